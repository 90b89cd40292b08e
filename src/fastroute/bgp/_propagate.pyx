"""Propagation kernel: the steady state of every route class over the BGP
session graph, with BIRD 1.6's export rules and best-path order.

It computes exactly what ``fastroute.bgp.propagate.propagate_reference`` computes (the tests
hold it to that), class by class.  A class's state lives in a per-thread
workspace: a pool of immutable path records, a linked list of records per
speaker, and per session the records it has been sent.  A speaker whose
routes changed re-offers its paths on each of its sessions (all of them with
ADD-PATH, else only the best) and the difference to what the session already
carries is applied at the other end.  Speakers that can never pass a learned
route on (a mesh node with neither reflector clients nor eBGP peers) are
skipped when they change, which keeps a full mesh linear per class.  Classes
are independent and are spread over threads.
"""

cimport cython
from cython.parallel cimport parallel, prange
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free, malloc, realloc
from libc.string cimport memset

import numpy as np

# Status (what run_class returns), Reason (the best-path step), MAX_PATH_LEN and
# BIRD's route preferences are declared in _propagate.pxd
cdef uint32_t IGP_UNKNOWN = 0x80000000u
IGP_METRIC_UNKNOWN = IGP_UNKNOWN    # the IGP metric of a next hop off the holder's subnet

ctypedef struct rec_t:
    int32_t holder
    int32_t session         # row the path came in on at the holder (-1: local)
    int32_t up              # record id at the sender it was copied from
    int32_t next_hop        # speaker index, -1 local
    int32_t next            # next record of the same holder, -1 ends the list
    int32_t local_pref      # -1: absent
    uint32_t originator
    uint8_t has_orig
    uint8_t alive
    uint8_t as_len
    uint8_t cl_len
    uint8_t pref
    uint32_t as_path[MAX_PATH_LEN]
    uint32_t cl[MAX_PATH_LEN]


ctypedef struct sent_t:     # one path a session carries
    int32_t up              # record at the sender
    int32_t rec             # its copy at the receiver (-1: dropped by a loop check)
    int32_t next


ctypedef struct graph_t:
    int32_t n_sp
    int32_t n_rows
    const int32_t* local
    const int32_t* remote
    const int32_t* rev
    const uint8_t* rr_client
    const uint32_t* cluster_id
    const uint8_t* ebgp
    const uint8_t* keep_nh
    const int32_t* allow_local_as
    const uint8_t* add_paths
    const uint32_t* local_as     # per row: the protocol's own `local as`, 0: the speaker's (NULL: none set)
    const uint8_t* nh_self       # per row: `next hop self` (NULL: none set)
    const int32_t* row_start     # rows of speaker h: row_order[row_start[h]:row_start[h+1]]
    const int32_t* row_order
    const uint32_t* asn
    const uint32_t* router_id
    const int64_t* ip_rank
    const uint64_t* ip_hi
    const uint64_t* ip_lo
    const uint64_t* net_hi       # subnet of each speaker (masked), mask below
    const uint64_t* net_lo
    const uint64_t* mask_hi
    const uint64_t* mask_lo
    const uint8_t* has_net
    const uint8_t* has_ip
    const uint8_t* exporter
    const uint8_t* role          # ROLE_NODE, ROLE_ROUTER, ROLE_ROUTER_OWN (see _propagate.pxd)


ctypedef struct ws_t:               # per-thread workspace
    rec_t* recs
    int64_t n_recs, cap_recs
    sent_t* sent
    int64_t n_sent, cap_sent
    int32_t* head                   # per speaker: first record
    int32_t* sent_head              # per session row
    uint8_t* queued
    int32_t* queue
    int64_t q_len
    int32_t* touched                # speakers with records
    int64_t n_touched
    uint8_t* is_touched
    int32_t* touched_rows
    int64_t n_touched_rows
    uint8_t* row_touched
    int32_t* held                   # scratch: a holder's alive records
    int32_t* offer                  # scratch: offered record ids
    int64_t cap_scratch
    int64_t events
    int ok


cdef inline uint32_t igp(const graph_t* g, int32_t holder, int32_t nh) noexcept nogil:
    if nh < 0:
        return 0
    if g.has_net[holder] and g.has_ip[nh]:
        if ((g.ip_hi[nh] & g.mask_hi[holder]) == g.net_hi[holder]
                and (g.ip_lo[nh] & g.mask_lo[holder]) == g.net_lo[holder]):
            return 0
    return IGP_UNKNOWN


cdef inline uint32_t row_as(const graph_t* g, int32_t s) noexcept nogil:
    """The AS row s's protocol speaks: its own `local as`, else the speaker's."""
    if g.local_as != NULL and g.local_as[s] != 0:
        return g.local_as[s]
    return g.asn[g.local[s]]


cdef inline bint next_hop_self(const graph_t* g, int32_t s) noexcept nogil:
    return g.nh_self != NULL and g.nh_self[s] != 0


cdef inline int compare(const graph_t* g, int32_t holder, const rec_t* a, const rec_t* b,
                        int* step) noexcept nogil:
    """<0 when a is better, >0 when b is, 0 when equal; `step` gets the deciding step."""
    cdef int32_t lpa, lpb
    cdef uint32_t x, y, ra, rb
    cdef int64_t pa, pb
    if a.pref != b.pref:
        step[0] = PREFERENCE
        return -1 if a.pref > b.pref else 1
    if a.session < 0 or b.session < 0:
        step[0] = EQUAL
        return 0
    lpa = DEFAULT_LOCAL_PREF if a.local_pref < 0 else a.local_pref
    lpb = DEFAULT_LOCAL_PREF if b.local_pref < 0 else b.local_pref
    if lpa != lpb:
        step[0] = LOCAL_PREF
        return -1 if lpa > lpb else 1
    if a.as_len != b.as_len:
        step[0] = AS_PATH
        return -1 if a.as_len < b.as_len else 1
    # ORIGIN and MED are the same for every path fastroute originates (IGP, none)
    if g.ebgp[a.session] != g.ebgp[b.session]:
        step[0] = EBGP
        return -1 if g.ebgp[a.session] else 1
    x = igp(g, holder, a.next_hop)
    y = igp(g, holder, b.next_hop)
    if x != y:
        step[0] = IGP_METRIC
        return -1 if x < y else 1
    ra = a.originator if a.has_orig else g.router_id[g.remote[a.session]]
    rb = b.originator if b.has_orig else g.router_id[g.remote[b.session]]
    if ra != rb:
        step[0] = ROUTER_ID
        return -1 if ra < rb else 1
    if a.cl_len != b.cl_len:
        step[0] = CLUSTER_LIST
        return -1 if a.cl_len < b.cl_len else 1
    pa = g.ip_rank[g.remote[a.session]]
    pb = g.ip_rank[g.remote[b.session]]
    if pa != pb:
        step[0] = PEER_ADDRESS
        return -1 if pa < pb else 1
    step[0] = EQUAL
    # BIRD keeps the older of two equal routes; the lower next-hop address
    # stands in for the arrival order fastroute does not have
    pa = g.ip_rank[a.next_hop] if a.next_hop >= 0 else -1
    pb = g.ip_rank[b.next_hop] if b.next_hop >= 0 else -1
    if pa != pb:
        return -1 if pa < pb else 1
    return 0


cdef inline bint mergeable(const graph_t* g, int32_t holder, const rec_t* a, const rec_t* b) noexcept nogil:
    cdef int32_t lpa, lpb
    if a.pref != b.pref or a.session < 0 or b.session < 0:
        return a.pref == b.pref and a.session < 0 and b.session < 0
    lpa = DEFAULT_LOCAL_PREF if a.local_pref < 0 else a.local_pref
    lpb = DEFAULT_LOCAL_PREF if b.local_pref < 0 else b.local_pref
    return (lpa == lpb and a.as_len == b.as_len and g.ebgp[a.session] == g.ebgp[b.session]
            and igp(g, holder, a.next_hop) == igp(g, holder, b.next_hop))


cdef int append_slot(void** arr, int64_t* n, int64_t* cap, size_t itemsize) noexcept nogil:
    """Index of a new slot at the end of a realloc'd pool (doubling); -1 on no memory."""
    cdef int64_t c
    cdef void* grown
    if n[0] == cap[0]:
        c = 1024 if cap[0] == 0 else cap[0] * 2
        grown = realloc(arr[0], c * itemsize)
        if grown == NULL:
            return -1
        arr[0] = grown
        cap[0] = c
    n[0] += 1
    return <int>(n[0] - 1)


cdef inline int new_rec(ws_t* w) noexcept nogil:
    return append_slot(<void**>&w.recs, &w.n_recs, &w.cap_recs, sizeof(rec_t))


cdef inline int new_sent(ws_t* w) noexcept nogil:
    return append_slot(<void**>&w.sent, &w.n_sent, &w.cap_sent, sizeof(sent_t))


cdef inline void touch(ws_t* w, int32_t h) noexcept nogil:
    if not w.is_touched[h]:
        w.is_touched[h] = 1
        w.touched[w.n_touched] = h
        w.n_touched += 1


cdef inline void enqueue(ws_t* w, int32_t h) noexcept nogil:
    if not w.queued[h]:
        w.queued[h] = 1
        w.queue[w.q_len] = h
        w.q_len += 1


cdef int export_path(const graph_t* g, int32_t h, const rec_t* p, int32_t s, rec_t* out) noexcept nogil:
    """BIRD's bgp_import_control + attribute update for path p of holder h sent
    on row s; 1 = offered (written to out), 0 = refused, -1 = path too long."""
    cdef int32_t src = p.session, k
    cdef uint32_t orig = p.originator
    cdef uint8_t has_orig = p.has_orig
    cdef uint32_t pre[2]
    cdef int npre = 0
    if src >= 0:
        if g.remote[src] == g.remote[s]:
            return 0
        if g.rr_client[s]:
            for k in range(p.cl_len):
                if p.cl[k] == g.cluster_id[s]:
                    return 0
        # iBGP to iBGP within one local AS: reflection or nothing (BIRD 1.6
        # proto/bgp/attrs.c bgp_import_control); across local ASes it passes as from eBGP
        if not g.ebgp[src] and not g.ebgp[s] and row_as(g, src) == row_as(g, s):
            if not (g.rr_client[s] or g.rr_client[src]):
                return 0
            if not has_orig:
                orig = g.router_id[g.remote[src]]
                has_orig = 1
            # prepended in this order: first the one nearest the old list
            if g.rr_client[src]:
                pre[npre] = g.cluster_id[src]
            else:
                pre[npre] = g.cluster_id[s]
            npre += 1
            if g.rr_client[src] and g.rr_client[s] and g.cluster_id[src] != g.cluster_id[s]:
                pre[npre] = g.cluster_id[s]
                npre += 1
    out.session = -1
    out.pref = PREF_BGP
    out.alive = 1
    if g.ebgp[s]:
        if p.as_len + 1 > MAX_PATH_LEN:
            return -1
        out.as_path[0] = row_as(g, s)
        for k in range(p.as_len):
            out.as_path[k + 1] = p.as_path[k]
        out.as_len = p.as_len + 1
        # bgp_update_attrs: `next hop self` before `next hop keep`
        out.next_hop = p.next_hop if (g.keep_nh[s] and p.next_hop >= 0 and not next_hop_self(g, s)) else h
        out.local_pref = -1
        out.has_orig = 0
        out.originator = 0
        out.cl_len = 0
    else:
        for k in range(p.as_len):
            out.as_path[k] = p.as_path[k]
        out.as_len = p.as_len
        out.next_hop = h if (p.next_hop < 0 or next_hop_self(g, s)) else p.next_hop
        out.local_pref = DEFAULT_LOCAL_PREF if p.local_pref < 0 else p.local_pref
        out.has_orig = has_orig
        out.originator = orig if has_orig else 0
        if src < 0:
            out.has_orig = 0
            out.originator = 0
        if p.cl_len + npre > MAX_PATH_LEN:
            return -1
        # the newest cluster id goes first
        for k in range(npre):
            out.cl[k] = pre[npre - 1 - k]
        for k in range(p.cl_len):
            out.cl[npre + k] = p.cl[k]
        out.cl_len = <uint8_t>(p.cl_len + npre)
    return 1


cdef bint receive_ok(const graph_t* g, int32_t r, rec_t* p) noexcept nogil:
    """Loop checks at the receiving row r; fixes up receiver-side attributes."""
    cdef int32_t me = g.local[r], k, count = 0
    cdef uint32_t own_as = row_as(g, r)
    for k in range(p.as_len):
        if p.as_path[k] == own_as:
            count += 1
    if count > g.allow_local_as[r]:
        return False
    if not g.ebgp[r] and p.has_orig and p.originator == g.router_id[me]:
        return False
    if g.rr_client[r]:
        for k in range(p.cl_len):
            if p.cl[k] == g.cluster_id[r]:
                return False
    if g.ebgp[r]:
        p.local_pref = -1
    p.session = r
    return True


cdef int64_t gather_held(ws_t* w, int32_t h) noexcept nogil:
    """Collect holder h's alive records into w.held; their count, or -1 on no memory."""
    cdef int64_t n = 0, cap
    cdef int32_t cur = w.head[h]
    cdef int32_t* a
    cdef int32_t* b
    while cur >= 0:
        if w.recs[cur].alive:
            if n == w.cap_scratch:
                cap = 64 if w.cap_scratch == 0 else 2 * w.cap_scratch
                a = <int32_t*>realloc(w.held, cap * sizeof(int32_t))
                if a == NULL:
                    return -1
                w.held = a
                b = <int32_t*>realloc(w.offer, cap * sizeof(int32_t))
                if b == NULL:
                    return -1
                w.offer = b
                w.cap_scratch = cap
            w.held[n] = cur
            n += 1
        cur = w.recs[cur].next
    return n


cdef int best_of(const graph_t* g, ws_t* w, int32_t h, int64_t n) noexcept nogil:
    """Index into w.held of the best of the first n records."""
    cdef int64_t i
    cdef int b = 0, step
    for i in range(1, n):
        if compare(g, h, &w.recs[w.held[i]], &w.recs[w.held[b]], &step) < 0:
            b = <int>i
    return b


cdef int process(const graph_t* g, ws_t* w, int32_t h, int64_t max_events, bint foreign) noexcept nogil:
    """Re-offer holder h's paths on each of its sessions and apply the differences.
    ``foreign``: the class is a Router's (a Calico node's export filter passes none of it)."""
    cdef int64_t n_held = 0, n_off, i, j
    cdef int32_t r, t, s, e, prev, nxt, idx, row_i
    cdef int best = -1, rc, found
    cdef bint own_only
    cdef rec_t tmp
    n_held = gather_held(w, h)
    if n_held < 0:
        return NO_MEMORY
    if foreign and g.role[h] == ROLE_NODE:
        n_held = 0
    if n_held:
        best = best_of(g, w, h, n_held)
    for row_i in range(g.row_start[h], g.row_start[h + 1]):
        s = g.row_order[row_i]
        own_only = g.role[h] == ROLE_ROUTER_OWN and g.role[g.remote[s]] == ROLE_NODE
        # the offer: record ids of h that pass export on s
        n_off = 0
        if g.add_paths[s]:
            for i in range(n_held):
                if own_only and w.recs[w.held[i]].session >= 0:
                    continue
                rc = export_path(g, h, &w.recs[w.held[i]], s, &tmp)
                if rc < 0:
                    return PATH_TOO_LONG
                if rc:
                    w.offer[n_off] = w.held[i]
                    n_off += 1
        elif best >= 0 and not (own_only and w.recs[w.held[best]].session >= 0):
            rc = export_path(g, h, &w.recs[w.held[best]], s, &tmp)
            if rc < 0:
                return PATH_TOO_LONG
            if rc:
                w.offer[0] = w.held[best]
                n_off = 1
        r = g.rev[s]
        t = g.remote[s]
        # withdraw what is no longer offered
        prev = -1
        e = w.sent_head[s]
        while e >= 0:
            nxt = w.sent[e].next
            found = 0
            for j in range(n_off):
                if w.offer[j] == w.sent[e].up:
                    found = 1
                    w.offer[j] = -1          # already carried
                    break
            if not found:
                if w.sent[e].rec >= 0:
                    w.recs[w.sent[e].rec].alive = 0
                    if g.exporter[t]:
                        enqueue(w, t)
                if prev < 0:
                    w.sent_head[s] = nxt
                else:
                    w.sent[prev].next = nxt
                w.events += 1
            else:
                prev = e
            e = nxt
        # announce the new ones
        for j in range(n_off):
            if w.offer[j] < 0:
                continue
            export_path(g, h, &w.recs[w.offer[j]], s, &tmp)
            w.events += 1
            e = new_sent(w)
            if e < 0:
                return NO_MEMORY
            if not w.row_touched[s]:
                w.row_touched[s] = 1
                w.touched_rows[w.n_touched_rows] = s
                w.n_touched_rows += 1
            w.sent[e].up = w.offer[j]
            w.sent[e].next = w.sent_head[s]
            w.sent_head[s] = e
            w.sent[e].rec = -1
            if receive_ok(g, r, &tmp):
                idx = new_rec(w)
                if idx < 0:
                    return NO_MEMORY
                tmp.holder = t
                tmp.up = w.offer[j]
                tmp.next = w.head[t]
                w.recs[idx] = tmp
                w.head[t] = idx
                w.sent[e].rec = idx
                touch(w, t)
                if g.exporter[t]:
                    enqueue(w, t)
        if w.events > max_events:
            return EVENT_LIMIT
    return OK


cdef int run_class(const graph_t* g, ws_t* w, const int32_t* origins, int64_t n_origins, int32_t c,
                   int64_t n_classes, int32_t* best_nh, int32_t* best_sess, uint8_t* reason, int32_t* n_paths,
                   int32_t* ecmp_cnt, int64_t max_events) noexcept nogil:
    """One class from its origin speakers (several Routers may announce one prefix)."""
    cdef int idx, rc = OK, step, b, cmp, dup
    cdef int64_t i, i2, n_held, k, pos
    cdef int32_t h, cur, bi, origin
    cdef rec_t* lp
    w.n_recs = 0
    w.n_sent = 0
    w.q_len = 0
    w.n_touched = 0
    w.n_touched_rows = 0
    w.events = 0
    for i in range(n_origins):
        origin = origins[i]
        idx = new_rec(w)
        if idx < 0:
            return NO_MEMORY
        lp = &w.recs[idx]
        memset(lp, 0, sizeof(rec_t))
        lp.holder = origin
        lp.session = -1
        lp.up = -1
        lp.next_hop = -1
        lp.next = w.head[origin]
        lp.local_pref = -1
        lp.alive = 1
        lp.pref = PREF_STATIC
        w.head[origin] = idx
        touch(w, origin)
        enqueue(w, origin)
    origin = origins[0]
    while w.q_len > 0:
        w.q_len -= 1
        h = w.queue[w.q_len]
        w.queued[h] = 0
        rc = process(g, w, h, max_events, g.role[origin] != ROLE_NODE)
        if rc != OK:
            break
    # results, and the workspace reset for the next class
    for i in range(w.n_touched):
        h = w.touched[i]
        if rc == OK:
            n_held = gather_held(w, h)
            if n_held < 0:
                rc = NO_MEMORY
                n_held = 0
            pos = <int64_t>h * n_classes + c
            n_paths[pos] = <int32_t>n_held
            if n_held:
                b = best_of(g, w, h, n_held)
                bi = w.held[b]
                best_nh[pos] = w.recs[bi].next_hop
                best_sess[pos] = w.recs[bi].session
                if n_held == 1:
                    reason[pos] = ONLY
                else:
                    # the runner-up decides which step separated them
                    step = EQUAL
                    k = -1
                    for i2 in range(n_held):
                        if i2 == b:
                            continue
                        if k < 0 or compare(g, h, &w.recs[w.held[i2]], &w.recs[w.held[k]], &step) < 0:
                            k = i2
                    compare(g, h, &w.recs[bi], &w.recs[w.held[k]], &step)
                    reason[pos] = <uint8_t>step
                    # next hops ECMP would merge (distinct from the best's)
                    cmp = 0
                    for i2 in range(n_held):
                        if (w.recs[w.held[i2]].next_hop == w.recs[bi].next_hop
                                or not mergeable(g, h, &w.recs[w.held[i2]], &w.recs[bi])):
                            continue
                        # count each next hop once
                        dup = 0
                        for k in range(i2):
                            if (w.recs[w.held[k]].next_hop == w.recs[w.held[i2]].next_hop
                                    and mergeable(g, h, &w.recs[w.held[k]], &w.recs[bi])):
                                dup = 1
                                break
                        if not dup:
                            cmp += 1
                    ecmp_cnt[pos] = cmp
        w.head[h] = -1
        w.is_touched[h] = 0
        w.queued[h] = 0
    for i in range(w.n_touched_rows):
        w.sent_head[w.touched_rows[i]] = -1
        w.row_touched[w.touched_rows[i]] = 0
    return rc


cdef int ws_init(ws_t* w, int32_t n_sp, int32_t n_rows) noexcept nogil:
    cdef int32_t i
    memset(w, 0, sizeof(ws_t))
    w.head = <int32_t*>malloc(n_sp * sizeof(int32_t))
    w.sent_head = <int32_t*>malloc(n_rows * sizeof(int32_t) + 4)
    w.queued = <uint8_t*>calloc(n_sp, 1)
    w.queue = <int32_t*>malloc(n_sp * sizeof(int32_t))
    w.touched = <int32_t*>malloc(n_sp * sizeof(int32_t))
    w.is_touched = <uint8_t*>calloc(n_sp, 1)
    w.touched_rows = <int32_t*>malloc(n_rows * sizeof(int32_t) + 4)
    w.row_touched = <uint8_t*>calloc(n_rows + 1, 1)
    if (w.head == NULL or w.sent_head == NULL or w.queued == NULL or w.queue == NULL
            or w.touched == NULL or w.is_touched == NULL or w.touched_rows == NULL or w.row_touched == NULL):
        return NO_MEMORY
    for i in range(n_sp):
        w.head[i] = -1
    for i in range(n_rows):
        w.sent_head[i] = -1
    return OK


cdef void ws_free(ws_t* w) noexcept nogil:
    free(w.recs)
    free(w.sent)
    free(w.head)
    free(w.sent_head)
    free(w.queued)
    free(w.queue)
    free(w.touched)
    free(w.is_touched)
    free(w.touched_rows)
    free(w.row_touched)
    free(w.held)
    free(w.offer)


cdef int32_t* _qsort_key = NULL

cdef extern from "stdlib.h":
    void qsort(void* base, size_t n, size_t size, int (*cmp)(const void*, const void*) noexcept nogil) nogil

cdef int _cmp_by_key(const void* x, const void* y) noexcept nogil:
    cdef int32_t a = _qsort_key[(<const int32_t*>x)[0]]
    cdef int32_t b = _qsort_key[(<const int32_t*>y)[0]]
    return (a > b) - (a < b)


def session_index(const int32_t[::1] local, const int32_t[::1] remote, int32_t n_sp):
    """Rows grouped by local speaker and sorted by remote within each group
    (``row_start``, int64; ``row_order``, int32), and each row's reverse row
    (int32, -1 if none).  Linear apart from sorting groups that are not already
    in order.  Every speaker index must lie in ``0..n_sp - 1`` (the caller checks)."""
    global _qsort_key
    cdef Py_ssize_t n = local.shape[0], i, j, a, b, lo, hi, mid
    start_a = np.zeros(n_sp + 1, np.int64)
    order_a = np.empty(n, np.int32)
    rev_a = np.full(n, -1, np.int32)
    cdef int64_t[::1] start = start_a
    cdef int32_t[::1] order = order_a
    cdef int32_t[::1] rev = rev_a
    cdef int64_t* fill
    cdef bint sorted_ok
    with nogil:
        for i in range(n):
            start[local[i] + 1] += 1
        for i in range(n_sp):
            start[i + 1] += start[i]
        fill = <int64_t*>malloc((n_sp + 1) * sizeof(int64_t))
        for i in range(n_sp):
            fill[i] = start[i]
        for i in range(n):
            order[fill[local[i]]] = <int32_t>i
            fill[local[i]] += 1
        free(fill)
        _qsort_key = <int32_t*>&remote[0] if n else NULL
        for a in range(n_sp):
            sorted_ok = True
            for j in range(start[a] + 1, start[a + 1]):
                if remote[order[j]] < remote[order[j - 1]]:
                    sorted_ok = False
                    break
            if not sorted_ok:
                qsort(&order[start[a]], start[a + 1] - start[a], sizeof(int32_t), _cmp_by_key)
        for i in range(n):
            b = remote[i]
            lo = start[b]
            hi = start[b + 1]
            while lo < hi:
                mid = (lo + hi) >> 1
                if remote[order[mid]] < local[i]:
                    lo = mid + 1
                else:
                    hi = mid
            if lo < start[b + 1] and remote[order[lo]] == local[i]:
                rev[i] = order[lo]
    return start_a, order_a, rev_a


def mesh_rows(const int32_t[::1] members, const int64_t[::1] srank, const uint32_t[::1] rid,
              const uint32_t[::1] asn, bint pairing=True):
    """The rows of a full mesh of ``members``: every ordered pair (i, j), i != j,
    at row i * (k - 1) + j - (j > i).  Returns (local, remote, cluster_id = the
    local router id, ebgp = asn[local] != asn[remote], active, rev), written once
    in their final types (numpy temporaries over k^2 rows cost gigabytes).
    ``active`` (not srank[remote] > srank[local]) and ``rev`` (each row's reverse
    row) are the pairing the simulator needs; without ``pairing`` they are None
    and not written.  At most 2**31 - 1 rows (the caller checks)."""
    cdef int64_t k = members.shape[0]
    cdef int64_t m = k * (k - 1) if k > 0 else 0
    local_a = np.empty(m, np.int32)
    remote_a = np.empty(m, np.int32)
    cid_a = np.empty(m, np.uint32)
    ebgp_a = np.empty(m, np.bool_)
    active_a = np.empty(m if pairing else 0, np.bool_)
    rev_a = np.empty(m if pairing else 0, np.int32)
    cdef int32_t[::1] local = local_a, remote = remote_a, rev = rev_a
    cdef uint32_t[::1] cid = cid_a
    cdef uint8_t[::1] ebgp = ebgp_a.view(np.uint8), active = active_a.view(np.uint8)
    cdef int64_t i, j, r
    cdef int32_t a, b
    with nogil:
        for i in prange(k, num_threads=2, schedule="static"):
            a = members[i]
            for j in range(k):
                if j == i:
                    continue
                b = members[j]
                r = i * (k - 1) + j - (1 if j > i else 0)
                local[r] = a
                remote[r] = b
                cid[r] = rid[a]
                ebgp[r] = asn[a] != asn[b]
                if pairing:
                    active[r] = 0 if srank[b] > srank[a] else 1
                    rev[r] = <int32_t>(j * (k - 1) + i - (1 if i > j else 0))
    if not pairing:
        return local_a, remote_a, cid_a, ebgp_a, None, None
    return local_a, remote_a, cid_a, ebgp_a, active_a, rev_a


def address_words(ips, subnets):
    """Addresses and subnets as (high, low) 64-bit words, IPv4 in the high
    32 bits, for the kernel's on-subnet test."""
    n = len(ips)
    ip_hi, ip_lo, net_hi, net_lo, mask_hi, mask_lo = (np.zeros(n, np.uint64) for _ in range(6))
    has_ip = np.zeros(n, np.uint8)
    has_net = np.zeros(n, np.uint8)
    for i, a in enumerate(ips):
        if a is None:
            continue
        v = int(a) << (96 if a.version == 4 else 0)
        ip_hi[i], ip_lo[i] = v >> 64, v & 0xFFFFFFFFFFFFFFFF
        has_ip[i] = 1
    for i, net in enumerate(subnets):
        if net is None:
            continue
        shift = 96 if net.version == 4 else 0
        v = int(net.network_address) << shift
        m = (((1 << net.prefixlen) - 1) << (net.max_prefixlen - net.prefixlen)) << shift
        net_hi[i], net_lo[i] = v >> 64, v & 0xFFFFFFFFFFFFFFFF
        mask_hi[i], mask_lo[i] = m >> 64, m & 0xFFFFFFFFFFFFFFFF
        has_net[i] = 1
    return ip_hi, ip_lo, has_ip, net_hi, net_lo, mask_hi, mask_lo, has_net



def per_row_option(a, dtype):
    """A per-row option (``SessionGraph.local_as``, ``next_hop_self``) as
    :func:`propagate_classes` takes it: contiguous, empty when no row sets it."""
    if a.strides == (0,) and not (len(a) and a[0]):
        return np.zeros(0, dtype)
    a = np.ascontiguousarray(a)
    return a.view(np.uint8) if a.dtype == np.bool_ else np.ascontiguousarray(a, dtype)


def propagate_classes(
        const int32_t[::1] local, const int32_t[::1] remote, const int32_t[::1] rev,
        const uint8_t[::1] rr_client, const uint32_t[::1] cluster_id, const uint8_t[::1] ebgp,
        const uint8_t[::1] keep_next_hop, const int32_t[::1] allow_local_as, const uint8_t[::1] add_paths,
        const int32_t[::1] row_start, const int32_t[::1] row_order,
        const uint32_t[::1] asn, const uint32_t[::1] router_id, const int64_t[::1] ip_rank,
        const uint64_t[::1] ip_hi, const uint64_t[::1] ip_lo, const uint8_t[::1] has_ip,
        const uint64_t[::1] net_hi, const uint64_t[::1] net_lo, const uint64_t[::1] mask_hi,
        const uint64_t[::1] mask_lo, const uint8_t[::1] has_net, const uint8_t[::1] exporter,
        const uint8_t[::1] role, const int64_t[::1] origin_start, const int32_t[::1] origin_list,
        int32_t[:, ::1] best_nh, int32_t[:, ::1] best_sess, uint8_t[:, ::1] reason,
        int32_t[:, ::1] n_paths, int32_t[:, ::1] ecmp_cnt, const uint32_t[::1] local_as,
        const uint8_t[::1] next_hop_self, int n_threads, int64_t max_events):
    """Propagate every class over the session graph into the caller's
    ``(n_speakers, n_classes)`` outputs (filled with -2, -1, 0, 0, 0).

    Rows: ``row_order[row_start[h]:row_start[h + 1]]`` are speaker h's
    (:func:`session_index`), ``rev`` the reverse of each.  Speakers: addresses
    as two 64-bit words (IPv4 in the high 32 bits of ``ip_hi``), subnets masked
    likewise; class ``c`` starts at the speakers
    ``origin_list[origin_start[c]:origin_start[c + 1]]``; ``exporter`` marks those that may pass a learned route on, ``role``
    says what each speaker is (a Calico node, a Router, a Router sending nodes
    only what it originates); ``local_as`` and ``next_hop_self`` per row, or empty when
    no row sets them.

    Returns ``(status, class)``: a :class:`Status` and the class it stopped at.
    """
    cdef int32_t n_sp = asn.shape[0], n_rows = local.shape[0]
    cdef int64_t n_cls = origin_start.shape[0] - 1
    cdef graph_t g
    g.n_sp = n_sp
    g.n_rows = n_rows
    g.local = &local[0] if n_rows else NULL
    g.remote = &remote[0] if n_rows else NULL
    g.rev = &rev[0] if n_rows else NULL
    g.rr_client = &rr_client[0] if n_rows else NULL
    g.cluster_id = &cluster_id[0] if n_rows else NULL
    g.ebgp = &ebgp[0] if n_rows else NULL
    g.keep_nh = &keep_next_hop[0] if n_rows else NULL
    g.allow_local_as = &allow_local_as[0] if n_rows else NULL
    g.add_paths = &add_paths[0] if n_rows else NULL
    g.local_as = &local_as[0] if n_rows and local_as.shape[0] else NULL
    g.nh_self = &next_hop_self[0] if n_rows and next_hop_self.shape[0] else NULL
    g.row_order = &row_order[0] if n_rows else NULL
    g.row_start = &row_start[0]
    g.asn = &asn[0] if n_sp else NULL
    g.router_id = &router_id[0] if n_sp else NULL
    g.ip_rank = &ip_rank[0] if n_sp else NULL
    g.ip_hi = &ip_hi[0] if n_sp else NULL
    g.ip_lo = &ip_lo[0] if n_sp else NULL
    g.net_hi = &net_hi[0] if n_sp else NULL
    g.net_lo = &net_lo[0] if n_sp else NULL
    g.mask_hi = &mask_hi[0] if n_sp else NULL
    g.mask_lo = &mask_lo[0] if n_sp else NULL
    g.has_net = &has_net[0] if n_sp else NULL
    g.has_ip = &has_ip[0] if n_sp else NULL
    g.exporter = &exporter[0] if n_sp else NULL
    g.role = &role[0] if n_sp else NULL

    cdef int rc
    cdef int64_t c
    cdef ws_t* w
    cdef int32_t* p_nh = &best_nh[0, 0] if n_sp * n_cls else NULL
    cdef int32_t* p_sess = &best_sess[0, 0] if n_sp * n_cls else NULL
    cdef uint8_t* p_reason = &reason[0, 0] if n_sp * n_cls else NULL
    cdef int32_t* p_np = &n_paths[0, 0] if n_sp * n_cls else NULL
    cdef int32_t* p_ecmp = &ecmp_cnt[0, 0] if n_sp * n_cls else NULL
    cdef int status, bad_class
    cdef int* st = <int*>calloc(2, sizeof(int))     # shared by the threads: status, class
    if st == NULL:
        return Status.NO_MEMORY, -1
    st[1] = -1
    if n_threads < 1:
        n_threads = 1
    if n_cls < 2 * n_threads:
        n_threads = 1
    if n_cls:
        with nogil, parallel(num_threads=n_threads):
            w = <ws_t*>malloc(sizeof(ws_t))
            if w != NULL:
                if ws_init(w, n_sp, n_rows) == OK:
                    w.ok = 1
                else:
                    st[0] = NO_MEMORY
            else:
                st[0] = NO_MEMORY
            for c in prange(n_cls, schedule="dynamic", chunksize=16):
                if w != NULL and w.ok and st[0] == OK:
                    rc = run_class(&g, w, &origin_list[origin_start[c]], origin_start[c + 1] - origin_start[c],
                                   <int32_t>c, n_cls, p_nh, p_sess, p_reason, p_np, p_ecmp, max_events)
                    if rc != OK:
                        st[0] = rc
                        st[1] = <int>c
            if w != NULL:
                ws_free(w)
                free(w)
    status, bad_class = st[0], st[1]
    free(st)
    return Status(status), bad_class
