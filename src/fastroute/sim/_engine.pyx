"""Discrete-event core of the BGP convergence simulator (see converge.py).

The model works on a *path universe* built beforehand in Python: every path a
route class can take (a chain of sessions from its origin node), sorted so that
the paths a speaker may hold for one class (a *group*) are contiguous and in
BIRD 1.6 preference order.  Run time only flips bits: a path is present at its
holder when the last UPDATE that reached the holder on the path's session
announced it.  A group's best path is its first present path.

Events live in a binary heap of C structs ordered by (time, sequence number),
so a run is a deterministic function of its inputs.  Each BIRD is one core:
every piece of work (receiving an UPDATE, building one, programming the kernel,
OPEN/KEEPALIVE handling) is appended to the speaker's timeline ``busy[h]``,
starting no earlier than when it became possible.

Event kinds (``a``/``b``/``c`` arguments):

* TX(path q): the sender of q builds the UPDATE for q's session now; if what
  it would announce differs from what it last sent (or a refresh is due), the
  message is counted and its processing at the receiver is booked (arrival =
  now + latency, then FIFO behind the receiver's earlier work) -> APPLY.
* APPLY(q, announce, epoch): the receiver has parsed the UPDATE; Adj-RIB-In,
  best path, kernel and further TX follow.
* CONNECT(pair, side, epoch), ESTAB(pair, epoch): session establishment.
* DOWN(row, mode, epoch): the receiving side of a row learns the session is
  gone (mode 0 flush, 1 keep routes stale: graceful restart).
* GR_TIMEOUT(row, epoch): restart timer ran out, stale routes go.
* EOR(row, epoch): End-of-RIB reached the receiver of row: unrefreshed stale
  routes go; a restarting node's kernel sync may finish.
* ACTION(i): the i-th scripted scenario action.
* GR_DONE(node, epoch): the graceful-restart wait timer of a BIRD started
  with -R ran out (nest/proto.c ``graceful_restart_done``).
"""

cimport cython
from cython.parallel cimport prange
from libc.math cimport floor, ceil
from libc.stdint cimport int8_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.stdlib cimport malloc, realloc, free
from libc.string cimport memset

cdef extern from "<stdlib.h>" nogil:
    int posix_memalign(void** memptr, size_t alignment, size_t size)

cdef extern from "<sys/mman.h>" nogil:
    int madvise(void* addr, size_t length, int advice)
    int MADV_HUGEPAGE

cdef extern from *:
    """
    #if defined(__GNUC__) || defined(__clang__)
    /* the empty volatile asm keeps gcc from deeming a function that only
       prefetches free of side effects and dropping the calls to it */
    static inline void fr_prefetch(const void* p) { __builtin_prefetch(p, 1, 3); __asm__ __volatile__(""); }
    #else
    static inline void fr_prefetch(const void* p) { (void)p; }
    #endif
    """
    # a hint to start loading the cache line of p (for writing); no effect on results
    void prefetch "fr_prefetch"(const void* p) noexcept nogil


cdef void* big_alloc(size_t size) noexcept nogil:
    """malloc for the big state arrays: 2 MiB aligned and marked for transparent
    huge pages, so random access over gigabytes misses the TLB less."""
    cdef void* ptr = NULL
    if size < (1 << 22):
        return malloc(size if size > 0 else 1)
    if posix_memalign(&ptr, 1 << 21, size) != 0:
        return NULL
    madvise(ptr, size, MADV_HUGEPAGE)
    return ptr

import numpy as np

# ------------------------------------------------------------------ constants

cdef enum:
    EV_TX = 0
    EV_APPLY = 1
    EV_CONNECT = 2
    EV_ESTAB = 3
    EV_DOWN = 4
    EV_GR_TIMEOUT = 5
    EV_EOR = 6
    EV_GR_DONE = 8
    EV_REFRESH_TX = 9
    EV_NODE_CONNECT = 10
    EV_KERNEL_SYNC = 11
    EV_ACTION = 100         # + the action kind

cdef enum:
    P_PRESENT = 1
    P_SENT = 2
    P_PENDING = 4
    P_STALE = 8
    P_REFRESH = 16

cdef enum:
    # which children of a path kick_children schedules
    KICK_ALL = 0
    KICK_ADD = 1            # those on ADD-PATH sessions
    KICK_BEST = 2           # those on best-only sessions (F_BEST)

cdef enum:
    # graceful-restart recovery of a BIRD started with -R, per row at its local
    # speaker (nest/proto.c, proto/bgp/bgp.c), and the receiving side of a
    # neighbour's graceful restart
    GR_RECOVERY = 1         # the protocol started during recovery (gr_recovery)
    GR_LOCK = 2             # it holds a recovery lock until End-of-RIB (proto_graceful_restart_lock)
    GR_WAIT = 4             # export to it is deferred until recovery ends (gr_wait)
    GR_STALE = 8            # the peer restarted: its routes are kept stale until End-of-RIB or the restart timer

cdef enum:
    S_IDLE = 0
    S_CONNECTING = 1
    S_UP = 2

# scripted actions: the Action enum of _engine.pxd (converge.py builds them)


cdef struct Event:
    double t
    int64_t seq
    int32_t kind
    int32_t a
    int32_t b
    int32_t c
    int32_t x               # where the handler's state lives (Engine.hint): fixed structure
    int32_t y               # of the event's subject, recorded when queued


cdef inline bint ev_less(Event* x, Event* y) noexcept nogil:
    if x.t < y.t:
        return True
    if x.t > y.t:
        return False
    return x.seq < y.seq


cdef struct Heap:
    Event* v
    int64_t n
    int64_t cap


cdef struct Fifo:
    # one BIRD core's booked completions, in non-decreasing time order; a ring
    # whose cap is a power of two, so positions wrap with a mask (no division)
    Event* v
    int64_t head
    int64_t n
    int64_t cap
    double last             # time of the last event (the ring's tail is rarely in cache)
    Event first             # copy of the head: popping it needs no ring access


cdef int heap_push(Heap* hp, Event e) noexcept nogil:
    cdef Event* nv
    cdef int64_t i, parent
    if hp.n == hp.cap:
        nv = <Event*>realloc(hp.v, 2 * hp.cap * sizeof(Event))
        if nv == NULL:
            return -1
        hp.v = nv
        hp.cap *= 2
    i = hp.n
    hp.n += 1
    while i > 0:
        parent = (i - 1) >> 1
        if ev_less(&e, &hp.v[parent]):
            hp.v[i] = hp.v[parent]
            i = parent
        else:
            break
    hp.v[i] = e
    return 0


cdef void heap_replace_top(Heap* hp, Event e) noexcept nogil:
    """Pop the top and push e in one sift-down (hp.n > 0)."""
    cdef int64_t i = 0, child, n = hp.n
    while True:
        child = 2 * i + 1
        if child >= n:
            break
        if child + 1 < n and ev_less(&hp.v[child + 1], &hp.v[child]):
            child += 1
        if ev_less(&hp.v[child], &e):
            hp.v[i] = hp.v[child]
            i = child
        else:
            break
    hp.v[i] = e


cdef Event heap_pop(Heap* hp) noexcept nogil:
    cdef Event top = hp.v[0]
    hp.n -= 1
    if hp.n > 0:
        heap_replace_top(hp, hp.v[hp.n])      # the last entry sifts down from the root
    return top


cdef inline uint64_t splitmix(uint64_t x) noexcept nogil:
    x += 0x9E3779B97F4A7C15ULL
    x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL
    x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL
    return x ^ (x >> 31)


cdef inline double unit(uint64_t seed, uint64_t a, uint64_t salt) noexcept nogil:
    return <double>(splitmix(seed ^ splitmix(a * 0x100000001B3ULL + salt)) >> 11) * (1.0 / 9007199254740992.0)


cdef inline double bird_timer(double value, double u) noexcept nogil:
    # BIRD's bgp_start_timer: randomize = value/4 (integer), fires after
    # value - randomize + random() % (randomize + 1) whole seconds.
    cdef double r = floor(value / 4.0)
    if value < 4.0:
        return value
    return value - r + floor(u * (r + 1.0))


# Hot state as arrays of structs: one cache line brings a path's (or group's,
# row's, session's) fields together; the event loop is bound by memory latency.
cdef struct PathS:
    int32_t parent          # path at the sender it is a copy of (-1: origin's own)
    int32_t row             # session row it is received on at the holder (-1: local)
    int32_t grp             # (class, holder) group
    int32_t nh              # next hop speaker (-1: local)
    int32_t c_first         # children: c_list[c_first : c_first + c_n]
    int32_t c_n
    int32_t pair            # session of `row` (-1: local); saves a row lookup per event
    uint16_t attr           # path attribute bytes in an UPDATE
    uint8_t state           # P_* bits
    uint8_t flags           # F_* bits (aggregate mode)


cdef struct GroupS:
    int32_t start           # paths start .. start + n, in preference order
    int32_t n
    int32_t holder
    int32_t cls
    int32_t best            # first present path, -1 none
    int32_t fib             # kernel next hop: speaker, -1 local, -2 none
    double out              # outage start, -1 none


cdef struct RowS:
    int32_t local
    int32_t rev
    int32_t pair
    int32_t rp_first        # paths received on the row: rp_list[rp_first : rp_first + rp_n]
    int32_t rp_n
    uint8_t active
    uint8_t grf             # GR_* bits


cdef struct PairS:
    double est              # established at
    double last             # last UPDATE either way
    double err              # current error wait
    double refused          # first refused connect of the current retry cycle (-1: none)
    int32_t epoch           # bumped when the session goes down or is reconfigured
    uint8_t state
    uint8_t cfg
    uint8_t refused_side    # the side whose connects are refused


ctypedef fused field_t:
    uint8_t
    int32_t


cdef object struct_field(const field_t* first, size_t stride, Py_ssize_t n, dtype):
    """One field of an array of n structs (``first``: the field in the first
    struct, ``stride``: the struct size) as a new numpy array of ``dtype``."""
    out = np.empty(n, dtype)
    cdef field_t[::1] o = out
    cdef Py_ssize_t i
    for i in range(n):
        o[i] = (<const field_t*>(<const char*>first + i * stride))[0]
    return out


@cython.final
cdef class Engine:
    # ---- static structure
    cdef int32_t n_nodes, n_rows, n_pairs, n_paths, n_groups, n_classes
    cdef PathS* P
    cdef GroupS* G
    cdef RowS* R
    cdef PairS* S
    cdef const int32_t[::1] pair_row
    cdef const uint8_t[::1] best_only           # the speaker has best-only sessions (F_BEST children)
    cdef const uint8_t[::1] add_rows            # the speaker has ADD-PATH sessions
    cdef const int32_t[::1] c_list
    cdef const int32_t[::1] rp_list
    cdef const int32_t[::1] cl_origin
    cdef const int32_t[::1] cl_nlri
    cdef const double[::1] cl_pods
    cdef const double[::1] g_pods                 # pods a group's holder reaches through it (outage weights)
    cdef const double[::1] node_pods
    cdef const int64_t[::1] node_rows_start
    cdef const int32_t[::1] node_rows
    cdef const int64_t[::1] cls_groups_start      # groups of class c: contiguous
    cdef const int64_t[::1] hg_start              # groups of holder h: hg_list[hg_start[h]:hg_start[h + 1]]
    cdef const int32_t[::1] hg_list
    cdef const int64_t[::1] lp_start              # local paths of speaker h: lp_list[lp_start[h]:lp_start[h + 1]]
    cdef const int32_t[::1] lp_list
    # aggregate mode (converge.aggregate): a speaker stands for node_w[h] nodes
    # with node_proto[h] protocols each, a class for cl_cc[c] classes of the
    # same size; without it every multiplicity is 1
    cdef bint agg
    cdef const double[::1] node_w
    cdef const double[::1] cl_cc
    cdef const double[::1] node_proto
    cdef const int64_t[::1] pair_real       # the session of the real design a pair's timers draw for
    # ---- parameters
    cdef double latency, connect_delay, connect_retry, err_wait_min, err_wait_max
    cdef double hold, keepalive, gr_time, gr_wait, mrai, kernel_scan
    cdef double c_rx_msg, c_rx_route, c_tx_msg, c_tx_route, c_kernel, c_open, c_announce
    cdef double series_bin, horizon
    cdef bint graceful_restart
    cdef uint64_t seed
    cdef int64_t max_events
    cdef int32_t max_log
    # ---- dynamic state (numpy owned, exposed to Python)
    cdef public object a_bird, a_alive, a_frozen, a_busy
    cdef public object a_n_prefix, a_node_epoch, a_gr_locks, a_recovering, a_quiet, a_last_tx, a_recovered_at
    cdef public object a_busy_time, a_msgs_tx, a_bytes_tx, a_pfx_tx, a_msgs_rx, a_adj, a_loc, a_fib
    cdef public object a_adj_max, a_loc_max, a_fib_max, a_unreach_node, a_unreach_class, a_churn_t, a_churn_pods
    cdef public object a_sessions_up, a_sessions_max, a_churn_delta
    cdef uint8_t[::1] bird
    cdef uint8_t[::1] alive
    cdef uint8_t[::1] frozen
    cdef double[::1] busy
    cdef int64_t[::1] n_prefix
    cdef int32_t[::1] node_epoch
    cdef int32_t[::1] gr_locks
    cdef uint8_t[::1] recovering
    cdef uint8_t[::1] quiet
    cdef double[::1] recovered_at
    cdef double[::1] last_tx
    cdef double[::1] busy_time
    cdef double[::1] msgs_tx
    cdef double[::1] bytes_tx
    cdef double[::1] pfx_tx
    cdef double[::1] msgs_rx
    cdef double[::1] adj
    cdef double[::1] loc
    cdef double[::1] fib
    cdef double[::1] adj_max
    cdef double[::1] loc_max
    cdef double[::1] fib_max
    cdef double[::1] unreach_node
    cdef double[::1] unreach_class
    cdef double[::1] churn_t
    cdef int64_t[::1] churn_pods
    cdef double[::1] sessions_up
    cdef double[::1] sessions_max
    cdef int32_t[::1] churn_delta
    # ---- heap and logs (C memory)
    cdef Heap timers             # timer and scripted events
    cdef Heap cores              # one entry per non-empty core queue: a copy of its head, b = the core
    cdef Fifo* fifo              # per speaker
    cdef int64_t seq
    cdef double* series
    cdef int64_t series_n
    cdef double* log_buf           # outage log: holder, class, start, end
    cdef int32_t log_n
    # ---- totals
    cdef public int64_t n_events, n_updates, n_update_bytes, n_prefix_adverts, n_withdraws, n_refused_connects
    cdef public int64_t n_keepalives_est, log_dropped
    cdef public double last_rib_change, last_fib_change, now, pair_seconds, prefix_node_seconds, measure_from
    cdef public double max_outage, last_event
    cdef public bint measuring
    cdef public int32_t rc

    def __cinit__(self):
        self.timers.v = NULL
        self.cores.v = NULL
        self.P = NULL
        self.G = NULL
        self.R = NULL
        self.S = NULL
        self.fifo = NULL
        self.series = NULL
        self.log_buf = NULL

    def __dealloc__(self):
        cdef Py_ssize_t i
        free(self.P); free(self.G); free(self.R); free(self.S)
        free(self.timers.v)
        free(self.cores.v)
        if self.fifo != NULL:
            for i in range(self.n_nodes):
                free(self.fifo[i].v)
        free(self.fifo)
        free(self.series)
        free(self.log_buf)

    def __init__(self, s, p, a):
        """``s``: dict of structure arrays, ``p``: dict of float/int parameters
        (converge.py validates and builds both); ``a`` is unused (actions are
        queued with :meth:`schedule`)."""
        self.pair_row = s["pair_row"]; self.best_only = s["best_only"]; self.add_rows = s["add_rows"]
        self.c_list = s["c_list"]; self.rp_list = s["rp_list"]
        self.cl_origin = s["cl_origin"]; self.cl_nlri = s["cl_nlri"]; self.cl_pods = s["cl_pods"]
        self.g_pods = s["g_pods"]
        self.node_pods = s["node_pods"]; self.node_rows_start = s["node_rows_start"]; self.node_rows = s["node_rows"]
        self.cls_groups_start = s["cls_groups_start"]
        self.hg_start = s["hg_start"]; self.hg_list = s["hg_list"]
        self.lp_start = s["lp_start"]; self.lp_list = s["lp_list"]
        self.agg = "node_w" in s
        if self.agg:
            self.node_w = s["node_w"]; self.cl_cc = s["cl_cc"]; self.node_proto = s["node_proto"]
            self.pair_real = s["pair_real"]
        self.n_nodes = len(s["node_pods"]); self.n_rows = len(s["row_local"]); self.n_pairs = len(s["pair_row"]) // 2
        self.n_paths = len(s["p_parent"]); self.n_groups = len(s["g_holder"]); self.n_classes = len(s["cl_origin"])

        self.latency = p["latency"]; self.connect_delay = p["connect_delay"]; self.connect_retry = p["connect_retry"]
        self.err_wait_min = p["error_wait_min"]; self.err_wait_max = p["error_wait_max"]
        self.hold = p["hold_time"]; self.keepalive = p["keepalive_time"]; self.gr_time = p["restart_time"]
        self.gr_wait = p["gr_wait"]; self.mrai = p["mrai"]; self.kernel_scan = p["kernel_scan"]
        self.c_rx_msg = p["rx_message_cost"]; self.c_rx_route = p["rx_route_cost"]
        self.c_tx_msg = p["tx_message_cost"]; self.c_tx_route = p["tx_route_cost"]
        self.c_kernel = p["kernel_route_cost"]; self.c_open = p["open_cost"]; self.c_announce = p["announce_cost"]
        self.series_bin = p["series_bin"]; self.horizon = p["horizon"]
        self.graceful_restart = p["graceful_restart"]; self.seed = <uint64_t>p["seed"]
        self.max_events = p["max_events"]; self.max_log = p["max_outage_records"]

        n, g, P, pr = self.n_nodes, self.n_groups, self.n_paths, self.n_pairs
        self._fill(s)
        self.a_bird = np.zeros(n, np.uint8); self.bird = self.a_bird
        self.a_alive = np.asarray(s["alive"], np.uint8).copy(); self.alive = self.a_alive
        self.a_frozen = np.zeros(n, np.uint8); self.frozen = self.a_frozen
        self.a_busy = np.zeros(n); self.busy = self.a_busy
        self.a_n_prefix = np.asarray(s["cl_nprefix"], np.int64).copy(); self.n_prefix = self.a_n_prefix
        self.a_node_epoch = np.zeros(n, np.int32); self.node_epoch = self.a_node_epoch
        self.a_gr_locks = np.zeros(n, np.int32); self.gr_locks = self.a_gr_locks
        self.a_recovering = np.zeros(n, np.uint8); self.recovering = self.a_recovering
        self.a_quiet = np.asarray(s.get("quiet", np.zeros(n, np.uint8)), np.uint8).copy(); self.quiet = self.a_quiet
        self.a_recovered_at = np.full(n, -1.0); self.recovered_at = self.a_recovered_at
        self.a_last_tx = np.full(P if self.mrai > 0 else 1, -1e300); self.last_tx = self.a_last_tx
        self.a_busy_time = np.zeros(n); self.busy_time = self.a_busy_time
        self.a_msgs_tx = np.zeros(n); self.msgs_tx = self.a_msgs_tx
        self.a_bytes_tx = np.zeros(n); self.bytes_tx = self.a_bytes_tx
        self.a_pfx_tx = np.zeros(n); self.pfx_tx = self.a_pfx_tx
        self.a_msgs_rx = np.zeros(n); self.msgs_rx = self.a_msgs_rx
        self.a_adj = np.zeros(n); self.adj = self.a_adj
        self.a_loc = np.zeros(n); self.loc = self.a_loc
        self.a_fib = np.zeros(n); self.fib = self.a_fib
        self.a_adj_max = np.zeros(n); self.adj_max = self.a_adj_max
        self.a_loc_max = np.zeros(n); self.loc_max = self.a_loc_max
        self.a_fib_max = np.zeros(n); self.fib_max = self.a_fib_max
        self.a_unreach_node = np.zeros(n); self.unreach_node = self.a_unreach_node
        self.a_unreach_class = np.zeros(self.n_classes); self.unreach_class = self.a_unreach_class
        self.a_churn_t = np.full(self.n_classes, -1.0); self.churn_t = self.a_churn_t
        self.a_churn_pods = np.zeros(self.n_classes, np.int64); self.churn_pods = self.a_churn_pods
        self.a_sessions_up = np.zeros(n); self.sessions_up = self.a_sessions_up
        self.a_sessions_max = np.zeros(n); self.sessions_max = self.a_sessions_max
        self.a_churn_delta = np.zeros(self.n_classes, np.int32); self.churn_delta = self.a_churn_delta

        self.timers.cap = 1024
        self.timers.n = 0
        self.timers.v = <Event*>malloc(self.timers.cap * sizeof(Event))
        self.cores.cap = 1024
        self.cores.n = 0
        self.cores.v = <Event*>malloc(self.cores.cap * sizeof(Event))
        self.fifo = <Fifo*>malloc(max(1, n) * sizeof(Fifo))
        if self.fifo == NULL:
            raise MemoryError("convergence engine buffers")
        memset(self.fifo, 0, max(1, n) * sizeof(Fifo))
        self.series_n = 1024
        self.series = <double*>malloc(self.series_n * sizeof(double))
        self.log_buf = <double*>malloc((self.max_log + 1) * 4 * sizeof(double))
        if self.timers.v == NULL or self.cores.v == NULL or self.series == NULL or self.log_buf == NULL:
            raise MemoryError("convergence engine buffers")
        memset(self.series, 0, self.series_n * sizeof(double))
        self.seq = 0
        self.log_n = 0
        self.rc = OK
        self.last_fib_change = 0.0
        self.measuring = False
        self.measure_from = 0.0

    def _fill(self, s):
        cdef const int32_t[::1] p_parent = s["p_parent"], p_row = s["p_row"], p_grp = s["p_grp"], p_nh = s["p_nh"]
        cdef const uint16_t[::1] p_attr = s["p_attr"]
        cdef const int64_t[::1] c_start = s["c_start"], rp_start = s["rp_start"], g_start = s["g_start"]
        cdef const int32_t[::1] g_holder = s["g_holder"], g_class = s["g_class"]
        cdef const int32_t[::1] row_local = s["row_local"], row_rev = s["row_rev"], row_pair = s["row_pair"]
        cdef const uint8_t[::1] row_active = s["row_active"], pair_cfg = s["pair_cfg"]
        cdef const uint8_t[::1] p_flags = s["p_flags"] if "p_flags" in s else np.zeros(len(s["p_parent"]), np.uint8)
        cdef Py_ssize_t i
        if self.n_paths >= 2**31 - 1 or len(s["c_list"]) >= 2**31 - 1:
            raise MemoryError(f"{self.n_paths} paths: more than the engine's int32 indices")
        self.P = <PathS*>big_alloc(max(1, self.n_paths) * sizeof(PathS))
        self.G = <GroupS*>big_alloc(max(1, self.n_groups) * sizeof(GroupS))
        self.R = <RowS*>big_alloc(max(1, self.n_rows) * sizeof(RowS))
        self.S = <PairS*>big_alloc(max(1, self.n_pairs) * sizeof(PairS))
        if self.P == NULL or self.G == NULL or self.R == NULL or self.S == NULL:
            raise MemoryError("convergence engine state")
        cdef PathS* P = self.P
        cdef GroupS* G = self.G
        cdef RowS* R = self.R
        cdef PairS* S = self.S
        # two threads: most of the time here goes to the kernel faulting in
        # (and zeroing) the fresh pages of these gigabytes, which runs in parallel
        with nogil:
            for i in prange(self.n_paths, num_threads=2, schedule="static"):
                P[i].parent = p_parent[i]; P[i].row = p_row[i]; P[i].grp = p_grp[i]
                P[i].nh = p_nh[i]; P[i].attr = p_attr[i]; P[i].state = 0; P[i].flags = p_flags[i]
                P[i].pair = row_pair[p_row[i]] if p_row[i] >= 0 else -1
                P[i].c_first = <int32_t>c_start[i]; P[i].c_n = <int32_t>(c_start[i + 1] - c_start[i])
            for i in prange(self.n_groups, num_threads=2, schedule="static"):
                G[i].start = <int32_t>g_start[i]; G[i].n = <int32_t>(g_start[i + 1] - g_start[i])
                G[i].holder = g_holder[i]; G[i].cls = g_class[i]
                G[i].best = -1; G[i].fib = -2; G[i].out = -1.0
            for i in prange(self.n_rows, num_threads=2, schedule="static"):
                R[i].local = row_local[i]; R[i].rev = row_rev[i]; R[i].pair = row_pair[i]
                R[i].rp_first = <int32_t>rp_start[i]; R[i].rp_n = <int32_t>(rp_start[i + 1] - rp_start[i])
                R[i].active = row_active[i]; R[i].grf = 0
            for i in prange(self.n_pairs, num_threads=2, schedule="static"):
                S[i].est = 0; S[i].last = 0; S[i].err = 0; S[i].epoch = 0
                S[i].state = S_IDLE; S[i].cfg = pair_cfg[i]; S[i].refused = -1.0; S[i].refused_side = 0

    def n_paths_total(self):
        return self.n_paths

    def path_state(self):
        """P_* bits per path (uint8)."""
        return struct_field(&self.P[0].state if self.n_paths else NULL, sizeof(PathS), self.n_paths, np.uint8)

    def group_best_fib(self):
        """(best path, kernel next hop) per group (int32 arrays)."""
        cdef GroupS* g = self.G
        return (struct_field(&g[0].best if self.n_groups else NULL, sizeof(GroupS), self.n_groups, np.int32),
                struct_field(&g[0].fib if self.n_groups else NULL, sizeof(GroupS), self.n_groups, np.int32))

    def pair_states(self):
        """S_* per session (uint8): 2 = established."""
        return struct_field(&self.S[0].state if self.n_pairs else NULL, sizeof(PairS), self.n_pairs, np.uint8)

    # ------------------------------------------------------------------ heap

    cdef int push(self, double t, int32_t kind, int32_t a, int32_t b, int32_t c) noexcept nogil:
        """A timer event (any time)."""
        cdef Event e
        e.t = t; e.seq = self.seq; e.kind = kind; e.a = a; e.b = b; e.c = c
        self.hint(&e)             # a TX or APPLY that could not be booked in order lands here too
        self.seq += 1
        if heap_push(&self.timers, e) != 0:
            self.rc = NO_MEMORY
            return -1
        return 0

    cdef int book(self, int32_t h, double t, int32_t kind, int32_t a, int32_t b, int32_t c) noexcept nogil:
        """An event at the end of work booked on BIRD h's core: times on one core
        never decrease, so a FIFO per core and a small heap of FIFO heads replace
        one big heap (the order is the same: time, then sequence number)."""
        cdef Fifo* f = &self.fifo[h]
        cdef Event top
        cdef Event* e
        cdef Event* nv
        cdef int64_t k, m
        if f.n > 0 and t < f.last:
            return self.push(t, kind, a, b, c)
        if f.n == f.cap:
            m = 2 * f.cap if f.cap > 0 else 16
            nv = <Event*>big_alloc(m * sizeof(Event))
            if nv == NULL:
                self.rc = NO_MEMORY
                return -1
            for k in range(f.n):
                nv[k] = f.v[(f.head + k) & (f.cap - 1)]
            free(f.v)
            f.v = nv
            f.head = 0
            f.cap = m
        # written in place: a copy assembled on the stack would be reloaded
        # before the ring stores ahead of it have drained
        e = &f.v[(f.head + f.n) & (f.cap - 1)]
        e.t = t; e.seq = self.seq; e.kind = kind; e.a = a; e.b = b; e.c = c
        self.hint(e)
        self.seq += 1
        f.last = t
        f.n += 1
        # the slot after next, for the next booking on this core
        prefetch(&f.v[(f.head + f.n + 1) & (f.cap - 1)])
        if f.n <= 2:
            self.prefetch_event(e, 1)
        if f.n == 1:
            f.first = e[0]
            top = e[0]
            top.b = h
            if heap_push(&self.cores, top) != 0:
                self.rc = NO_MEMORY
                return -1
        return 0

    cdef inline void hint(self, Event* e) noexcept nogil:
        """Note in e where its handler starts (path q's session and group, a
        pair's two rows), read now while the booker has those lines in cache."""
        if e.kind == EV_TX or e.kind == EV_APPLY or e.kind == EV_REFRESH_TX:
            e.x = self.P[e.a].pair
            e.y = self.P[e.a].grp
        elif e.kind == EV_ESTAB:
            e.x = self.pair_row[2 * e.a]
            e.y = self.pair_row[2 * e.a + 1]
        else:
            e.x = 0
            e.y = 0

    cdef void prefetch_event(self, Event* e, int stage) noexcept nogil:
        """Start loading the state a booked event's handler will read.  Events
        of different cores interleave, so every event misses in DRAM, and its
        lookups form a chain (path -> session/group -> ...).  A core's events
        are prefetched a link deeper as they move up: stage 1 second in its
        FIFO, 2 its head (each step thousands of events apart, so the misses
        of many events overlap instead of stalling one after another), 3 the
        top of the cores heap, about to run."""
        cdef int32_t q, r, k, n
        cdef int64_t i
        if e.kind == EV_TX or e.kind == EV_APPLY or e.kind == EV_REFRESH_TX:
            q = e.a
            if stage == 1:
                prefetch(&self.P[q])
                prefetch(&self.S[e.x])
                prefetch(&self.G[e.y])
        elif e.kind == EV_ESTAB:
            if stage == 1:
                prefetch(&self.S[e.a])
                prefetch(&self.pair_row[2 * e.a])
                prefetch(&self.R[e.x])
                prefetch(<char*>&self.R[e.x] + sizeof(RowS) - 1)
                prefetch(&self.R[e.y])
                prefetch(<char*>&self.R[e.y] + sizeof(RowS) - 1)
            else:
                # the feed of each direction: paths received on its rows
                for k in range(2):
                    r = e.x if k == 0 else e.y
                    n = self.R[r].rp_n
                    if n == 0:
                        continue
                    i = self.R[r].rp_first
                    if stage == 2:
                        prefetch(&self.rp_list[i])
                    else:
                        if n > 4:
                            n = 4
                        for i in range(i, i + n):
                            prefetch(&self.P[self.rp_list[i]])

    cdef bint next_event(self, Event* out) noexcept nogil:
        """Pop the earliest event of either queue."""
        cdef Event top
        cdef Event* e
        cdef Fifo* f
        cdef int32_t h
        if self.cores.n == 0 and self.timers.n == 0:
            return False
        if self.cores.n == 0 or (self.timers.n > 0 and ev_less(&self.timers.v[0], &self.cores.v[0])):
            out[0] = heap_pop(&self.timers)
            return True
        h = self.cores.v[0].b
        f = &self.fifo[h]
        out[0] = f.first
        f.head = (f.head + 1) & (f.cap - 1)
        f.n -= 1
        # the FIFO moved up one place: load ahead what its next two events
        # will touch, a step deeper each place they move (see prefetch_event),
        # and the ring slot that will be second next time (written long ago)
        prefetch(&f.v[(f.head + 2) & (f.cap - 1)])
        prefetch(<char*>&f.v[(f.head + 2) & (f.cap - 1)] + sizeof(Event) - 1)
        if f.n > 1:
            self.prefetch_event(&f.v[(f.head + 1) & (f.cap - 1)], 1)
        if f.n > 0:
            f.first = f.v[f.head]
            self.prefetch_event(&f.first, 2)
            top = f.first
            top.b = h
            heap_replace_top(&self.cores, top)      # the core's entry takes its new head
        else:
            heap_pop(&self.cores)
        # the heap's top is (most likely) the next event: bring its lines from
        # wherever the FIFO-stage prefetches left them up to L1 now
        if self.cores.n > 0:
            e = &self.cores.v[0]
            prefetch(&self.fifo[e.b])
            prefetch(<char*>&self.fifo[e.b] + sizeof(Fifo) - 1)
            self.prefetch_event(e, 1)
            if e.kind == EV_ESTAB:
                self.prefetch_event(e, 3)
        return True

    cdef double peek_time(self) noexcept nogil:
        if self.cores.n == 0 and self.timers.n == 0:
            return 1e308
        if self.cores.n == 0:
            return self.timers.v[0].t
        if self.timers.n == 0:
            return self.cores.v[0].t
        return self.timers.v[0].t if self.timers.v[0].t < self.cores.v[0].t else self.cores.v[0].t

    # ------------------------------------------------------------------ helpers

    cdef inline double work(self, int32_t h, double t0, double cost) noexcept nogil:
        """Append `cost` seconds of work to BIRD h's single core, not before t0;
        returns when it finishes."""
        cdef double start = t0 if t0 > self.busy[h] else self.busy[h]
        self.busy[h] = start + cost
        self.busy_time[h] += cost
        return start + cost

    cdef inline int32_t sender_of(self, int32_t q) noexcept nogil:
        return self.R[self.R[self.P[q].row].rev].local

    # aggregate-mode multiplicities (all 1 without it)

    cdef inline double msgs_of(self, int32_t q) noexcept nogil:
        """UPDATEs path q stands for: its class bundle (cl_cc classes) sent to
        each of the node_w nodes of its holder.  Straight back to the cohort it
        came from, a node's own class is not among them (BIRD never sends a
        route to the protocol it came from)."""
        cdef int32_t g
        cdef double w
        if not self.agg:
            return 1.0
        g = self.P[q].grp
        w = self.node_w[self.G[g].holder]
        if self.P[q].flags & F_BACK:
            w -= 1.0
        return self.cl_cc[self.G[g].cls] * w

    cdef inline double acc_of(self, int32_t g) noexcept nogil:
        """Classes of group g that one node of its holder has: its own class
        (the local path), the other nodes' classes (a cohort's own bundle coming
        back; its own copy fails the ORIGINATOR_ID check) or the whole bundle."""
        cdef int32_t p0
        cdef double w
        if not self.agg:
            return 1.0
        p0 = self.G[g].start
        w = self.node_w[self.G[g].holder]
        if self.P[p0].row < 0:
            return self.cl_cc[self.G[g].cls] / w
        if self.P[p0].flags & F_SELF:
            return self.cl_cc[self.G[g].cls] * (w - 1.0) / w
        return self.cl_cc[self.G[g].cls]

    cdef inline uint64_t pair_seed(self, int32_t pair) noexcept nogil:
        # timer jitter is drawn per session; in aggregate mode per the real session
        # a pair is drawn from, so kept nodes see the same timers as without it
        return <uint64_t>(self.pair_real[pair] if self.agg else pair)

    cdef inline double nodes_of(self, int32_t h) noexcept nogil:
        return self.node_w[h] if self.agg else 1.0

    cdef inline double row_mult(self, int32_t r) noexcept nogil:
        """Sessions row r stands for at each node of its local speaker."""
        if not self.agg:
            return 1.0
        return self.node_w[self.R[self.R[r].rev].local]

    cdef inline double protocols(self, int32_t h) noexcept nogil:
        if self.agg:
            return self.node_proto[h]
        return <double>(self.node_rows_start[h + 1] - self.node_rows_start[h])

    cdef inline bint exportable(self, int32_t q) noexcept nogil:
        cdef int32_t par = self.P[q].parent
        cdef int32_t h = self.G[self.P[par].grp].holder
        if not self.bird[h] or not (self.P[par].state & P_PRESENT):
            return False
        if self.P[q].flags & F_BEST:
            return self.G[self.P[par].grp].best == par
        return True

    cdef inline void series_add(self, double t, double delta) noexcept nogil:
        cdef int64_t k = <int64_t>(t / self.series_bin)
        cdef int64_t m
        cdef double* s
        if k < 0:
            k = 0
        if k >= self.series_n:
            m = self.series_n
            while m <= k:
                m *= 2
            s = <double*>realloc(self.series, m * sizeof(double))
            if s == NULL:
                self.rc = NO_MEMORY
                return
            memset(s + self.series_n, 0, (m - self.series_n) * sizeof(double))
            self.series = s
            self.series_n = m
        self.series[k] += delta

    cdef inline bint counts(self, int32_t h, int32_t c) noexcept nogil:
        # an outage of class c at node h matters while both nodes exist
        # (cl_origin < 0: a Router's class, counted whether its Routers run or not: the pods it
        # stands for, g_pods, are elsewhere)
        cdef int32_t o = self.cl_origin[c]
        return (self.measuring and self.alive[h] and self.n_prefix[c] > 0 and not self.quiet[h]
                and (o < 0 or (self.alive[o] and not self.quiet[o])))

    cdef void outage_end(self, int32_t g, double t) noexcept nogil:
        cdef double d = t - self.G[g].out
        cdef int32_t h = self.G[g].holder, c = self.G[g].cls
        cdef double a = self.acc_of(g)
        cdef double pairs = <double>self.node_pods[h] * self.g_pods[g] * a * self.nodes_of(h)
        if d < 0:
            d = 0
        self.pair_seconds += pairs * d
        self.prefix_node_seconds += <double>self.n_prefix[c] * a * self.nodes_of(h) * d
        self.unreach_node[h] += d * <double>self.n_prefix[c] * a
        self.unreach_class[c] += d * pairs
        if d > self.max_outage:
            self.max_outage = d
        if self.log_n < self.max_log:
            self.log_buf[4 * self.log_n] = h
            self.log_buf[4 * self.log_n + 1] = c
            self.log_buf[4 * self.log_n + 2] = self.G[g].out
            self.log_buf[4 * self.log_n + 3] = t
            self.log_n += 1
        else:
            self.log_dropped += 1
        self.G[g].out = -1.0

    cdef void set_fib(self, int32_t g, int32_t nh, double t) noexcept nogil:
        """Kernel programming of group g's prefixes at holder h, finishing at t."""
        cdef int32_t h = self.G[g].holder, c = self.G[g].cls
        cdef int32_t old = self.G[g].fib
        cdef double k
        if old == nh:
            return
        k = <double>self.n_prefix[c] * self.acc_of(g)
        self.G[g].fib = nh
        if old == -2:
            self.fib[h] += k
            if self.fib[h] > self.fib_max[h]:
                self.fib_max[h] = self.fib[h]
            self.series_add(t, k * self.nodes_of(h))
            if self.G[g].out >= 0:
                self.outage_end(g, t)
        elif nh == -2:
            self.fib[h] -= k
            self.series_add(t, -k * self.nodes_of(h))
            if self.counts(h, c):
                self.G[g].out = t
        if t > self.last_fib_change:
            self.last_fib_change = t

    cdef void group_changed(self, int32_t g, double t) noexcept nogil:
        """Re-run best path for group g after a change at time t (work already booked)."""
        cdef int64_t i
        cdef int32_t h = self.G[g].holder, c = self.G[g].cls
        cdef int32_t old = self.G[g].best, best = -1, nh, q
        cdef double tk, k
        for i in range(self.G[g].start, self.G[g].start + self.G[g].n):
            if self.P[i].state & P_PRESENT:
                best = <int32_t>i
                break
        if best == old:
            return
        self.G[g].best = best
        k = <double>self.n_prefix[c] * self.acc_of(g)
        if old < 0:
            self.loc[h] += k
            if self.loc[h] > self.loc_max[h]:
                self.loc_max[h] = self.loc[h]
        elif best < 0:
            self.loc[h] -= k
        nh = self.P[best].nh if best >= 0 else -2
        if nh != self.G[g].fib and not self.frozen[h]:
            tk = self.work(h, t, self.c_kernel * k)
            self.set_fib(g, nh, tk)
        if self.best_only[h]:
            # on a best-only session the speaker re-announces when its best changes
            if old >= 0:
                self.kick_children(old, t, KICK_BEST if self.add_rows[h] else KICK_ALL)
            if best >= 0:
                self.kick_children(best, t, KICK_BEST if self.add_rows[h] else KICK_ALL)

    cdef void kick_children(self, int32_t par, double t, int mode) noexcept nogil:
        cdef int64_t i
        cdef int32_t q
        for i in range(self.P[par].c_first, self.P[par].c_first + self.P[par].c_n):
            q = self.c_list[i]
            if mode == KICK_ALL or (mode == KICK_BEST) == ((self.P[q].flags & F_BEST) != 0):
                self.schedule_tx(q, t)

    cdef void schedule_tx(self, int32_t q, double t) noexcept nogil:
        cdef int32_t pair = self.P[q].pair
        cdef int32_t h, gp
        cdef double dep
        if self.S[pair].state != S_UP or (self.P[q].state & P_PENDING):
            return
        gp = self.P[self.P[q].parent].grp
        h = self.G[gp].holder
        if not self.bird[h]:
            return
        if self.recovering[h] and (self.R[self.R[self.P[q].row].rev].grf & GR_WAIT):
            return                  # export deferred until the graceful-restart recovery ends
        # q's class is its parent's: read it from the parent's group, already in cache
        dep = self.c_tx_msg + self.c_tx_route * <double>self.n_prefix[self.G[gp].cls]
        if self.agg:
            dep *= self.msgs_of(q) / self.node_w[h]
        dep = self.work(h, t, dep)
        if self.mrai > 0 and self.last_tx[q] + self.mrai > dep:
            dep = self.last_tx[q] + self.mrai
        self.P[q].state |= P_PENDING
        self.book(h, dep, EV_TX, q, self.S[pair].epoch, 0)

    cdef void path_set(self, int32_t q, bint present, double t) noexcept nogil:
        """Adj-RIB-In of q's holder gains/loses q (work already booked)."""
        cdef uint8_t st = self.P[q].state
        cdef int32_t g = self.P[q].grp
        cdef int32_t h = self.G[g].holder
        cdef double k
        self.P[q].state = st & ~P_STALE
        if present == ((st & P_PRESENT) != 0):
            return
        k = <double>self.n_prefix[self.G[g].cls] * self.acc_of(g)
        if t > self.last_rib_change:
            self.last_rib_change = t
        # BIRD's nest offers the change to every protocol of the node (rte_announce)
        if self.c_announce > 0:
            t = self.work(h, t, self.c_announce * k * self.protocols(h))
        if present:
            self.P[q].state |= P_PRESENT
            if self.P[q].row >= 0:
                self.adj[h] += k
                if self.adj[h] > self.adj_max[h]:
                    self.adj_max[h] = self.adj[h]
        else:
            self.P[q].state &= ~P_PRESENT
            if self.P[q].row >= 0:
                self.adj[h] -= k
        self.group_changed(g, t)
        if self.add_rows[h]:
            self.kick_children(q, t, KICK_ADD if self.best_only[h] else KICK_ALL)

    # ------------------------------------------------------------------ sessions

    cdef void session_up(self, int32_t pair, double t) noexcept nogil:
        cdef int32_t k, r, s, h, b
        self.S[pair].state = S_UP
        self.S[pair].est = t
        self.S[pair].last = t
        for k in range(2):
            r = self.pair_row[2 * pair + k]
            h = self.R[r].local
            self.sessions_up[h] += self.row_mult(r)
            if self.sessions_up[h] > self.sessions_max[h]:
                self.sessions_max[h] = self.sessions_up[h]
        # a BIRD in graceful-restart recovery (bgp_conn_enter_established_state):
        # a peer that is restarting too (its OPEN has the R flag) is not "gr
        # ready" and releases the lock at once; toward any other peer export
        # waits for the end of the recovery.  Both ends decide on the OPENs
        # exchanged, before either recovery may end.
        cdef bint unlock[2]
        for k in range(2):
            s = self.pair_row[2 * pair + k]
            h = self.R[s].local
            unlock[k] = False
            if self.recovering[h] and (self.R[s].grf & GR_RECOVERY):
                b = self.R[self.R[s].rev].local
                if self.recovering[b] or not self.graceful_restart:
                    unlock[k] = True
                else:
                    self.R[s].grf |= GR_WAIT
        for k in range(2):
            if unlock[k]:
                s = self.pair_row[2 * pair + k]
                self.gr_unlock(self.R[s].local, s, t)
        for k in range(2):
            s = self.pair_row[2 * pair + k]
            if not (self.recovering[self.R[s].local] and (self.R[s].grf & GR_WAIT)):
                self.feed(s, t)

    cdef void feed(self, int32_t s, double t) noexcept nogil:
        """The initial feed over an established row s: its local BIRD announces
        everything it may, then End-of-RIB where the receiver waits for one
        (stale routes of a restart to drop, or a recovery lock to release)."""
        cdef int32_t r = self.R[s].rev, h = self.R[s].local, rcv = self.R[r].local
        cdef int64_t i
        cdef double te
        for i in range(self.R[r].rp_first, self.R[r].rp_first + self.R[r].rp_n):
            self.P[self.rp_list[i]].state &= ~P_SENT
            if self.exportable(self.rp_list[i]):
                self.schedule_tx(self.rp_list[i], t)
        if (self.R[r].grf & GR_STALE) or (self.recovering[rcv] and (self.R[r].grf & GR_LOCK)):
            te = self.work(h, t, self.c_tx_msg * self.row_mult(s))
            self.book(h, te, EV_EOR, r, self.S[self.R[s].pair].epoch, 0)

    cdef void gr_unlock(self, int32_t h, int32_t r, double t) noexcept nogil:
        """Row r's protocol at BIRD h releases its recovery lock
        (proto_graceful_restart_unlock); the last one ends the recovery."""
        if not (self.R[r].grf & GR_LOCK):
            return
        self.R[r].grf &= ~GR_LOCK
        self.gr_locks[h] -= 1
        if self.gr_locks[h] <= 0 and self.recovering[h]:
            self.recovery_done(h, t)

    cdef void pair_unlock(self, int32_t pair, double t) noexcept nogil:
        """Both ends' protocols of a removed session release their recovery
        locks (proto_falling_down)."""
        cdef int32_t k, r
        for k in range(2):
            r = self.pair_row[2 * pair + k]
            if self.recovering[self.R[r].local]:
                self.gr_unlock(self.R[r].local, r, t)

    cdef void recovery_start(self, int32_t h, double t) noexcept nogil:
        """BIRD h starts with -R (sysdep/unix/main.c -> graceful_restart_recovery):
        every configured BGP protocol locks the recovery (bgp_start), the kernel
        protocol's export waits (krt_start: ``graceful restart``), and the wait
        timer starts (graceful_restart_init)."""
        cdef int64_t i
        cdef int32_t r
        self.recovering[h] = 1
        self.frozen[h] = 1
        self.gr_locks[h] = 0
        for i in range(self.node_rows_start[h], self.node_rows_start[h + 1]):
            r = self.node_rows[i]
            self.R[r].grf &= GR_STALE
            if self.S[self.R[r].pair].cfg and self.graceful_restart:
                # without ``graceful restart`` (gr_mode 0) BGP takes no part in the recovery
                self.R[r].grf |= GR_RECOVERY | GR_LOCK
                self.gr_locks[h] += 1
        if self.gr_locks[h] == 0:
            self.recovery_done(h, t)
        else:
            self.push(t + self.gr_wait, EV_GR_DONE, h, self.node_epoch[h], 0)

    cdef void recovery_done(self, int32_t h, double t) noexcept nogil:
        """graceful_restart_done: deferred exports start (each row's feed), and
        the kernel protocol syncs the kernel with BIRD's table."""
        cdef int64_t i
        cdef int32_t r
        cdef uint8_t f
        self.recovering[h] = 0
        self.gr_locks[h] = 0
        self.recovered_at[h] = t
        for i in range(self.node_rows_start[h], self.node_rows_start[h + 1]):
            r = self.node_rows[i]
            f = self.R[r].grf
            self.R[r].grf = f & GR_STALE
            if (f & GR_WAIT) and self.S[self.R[r].pair].state == S_UP:
                self.feed(r, t)
        # the kernel protocol's export starts now; kernel routes BIRD does not
        # have go at its next scan (krt_prune after the periodic scan)
        self.kernel_sync(h, t, False)
        self.push(t + self.kernel_scan * unit(self.seed, <uint64_t>h, 11 + <uint64_t>self.node_epoch[h]),
                  EV_KERNEL_SYNC, h, self.node_epoch[h], 0)

    cdef void session_down(self, int32_t pair, double t, int32_t mode_a, int32_t mode_b, double detect_a, double detect_b) noexcept nogil:
        """Both ends lose the session; end k learns it at detect_k (<0: not at all,
        the node is gone) and then flushes (mode 0) or keeps routes stale (1)."""
        cdef int32_t k, r, mode
        cdef double d
        if self.S[pair].state == S_UP:
            for k in range(2):
                r = self.pair_row[2 * pair + k]
                self.sessions_up[self.R[r].local] -= self.row_mult(r)
        self.S[pair].state = S_IDLE
        self.S[pair].epoch += 1
        for k in range(2):
            r = self.pair_row[2 * pair + k]
            d = detect_a if k == 0 else detect_b
            mode = mode_a if k == 0 else mode_b
            if d >= 0:
                # the receiver's process (node epoch) rides along: a BIRD started
                # since has new protocols and never hears of the old session's end
                self.push(d, EV_DOWN, r, self.S[pair].epoch, mode | (self.node_epoch[self.R[r].local] << 2))

    cdef void row_flush(self, int32_t r, double t, bint stale_only) noexcept nogil:
        """Receiver of row r drops what it learned on r (all, or only stale paths)."""
        cdef int64_t i
        cdef int32_t q, h = self.R[r].local
        cdef double n = 0
        for i in range(self.R[r].rp_first, self.R[r].rp_first + self.R[r].rp_n):
            q = self.rp_list[i]
            if (self.P[q].state & P_PRESENT) and (not stale_only or (self.P[q].state & P_STALE)):
                n += <double>self.n_prefix[self.G[self.P[q].grp].cls] * self.acc_of(self.P[q].grp)
        if n == 0:
            return
        t = self.work(h, t, self.c_rx_route * n)
        for i in range(self.R[r].rp_first, self.R[r].rp_first + self.R[r].rp_n):
            q = self.rp_list[i]
            if (self.P[q].state & P_PRESENT) and (not stale_only or (self.P[q].state & P_STALE)):
                self.path_set(q, False, t)

    cdef void try_connect(self, int32_t pair, int32_t side, double t) noexcept nogil:
        self.push(t, EV_CONNECT, pair, self.S[pair].epoch, side)

    cdef void connect(self, int32_t pair, int32_t side, double t) noexcept nogil:
        """The BIRD on `side` of `pair` opens a TCP connection now."""
        cdef int32_t r, h, peer
        cdef double fin
        if self.S[pair].state != S_IDLE or not self.S[pair].cfg:
            return
        r = self.pair_row[2 * pair + side]
        h = self.R[r].local
        peer = self.R[self.R[r].rev].local
        if not self.bird[h]:
            return
        if self.bird[peer]:
            # handshake (one round trip), OPEN both ways; h answers the peer's OPEN
            # with a KEEPALIVE and the peer, on reading it, is Established
            self.S[pair].state = S_CONNECTING
            fin = self.work(h, t + 2 * self.latency, self.c_open * self.row_mult(r))
            fin = self.work(peer, fin + self.latency, self.c_open * self.row_mult(self.R[r].rev))
            self.book(peer, fin, EV_ESTAB, pair, self.S[pair].epoch, 0)
        elif self.alive[peer]:
            # the peer's kernel refuses (RST): bgp_sock_err -> idle -> bgp_decision ->
            # bgp_active, the connect delay again (no error wait: not a BGP error).
            # The cycle repeats until the peer's BIRD starts; it is not simulated
            # connect by connect but resolved then (refusals_end)
            self.n_refused_connects += <int64_t>(self.nodes_of(h) * self.row_mult(r) + 0.5)
            if self.S[pair].refused < 0:
                self.S[pair].refused = t
                self.S[pair].refused_side = <uint8_t>side
        # a dead peer: no answer; retries resume when it comes back (bird_start)

    cdef void node_rows_connect(self, int32_t h, double t, bint include_passive) noexcept nogil:
        """BIRD h's protocols start: active ones connect after the connect delay;
        peers already retrying toward h reach it within their retry period."""
        cdef int64_t i
        cdef int32_t r, pair, peer, side
        cdef double u
        for i in range(self.node_rows_start[h], self.node_rows_start[h + 1]):
            r = self.node_rows[i]
            pair = self.R[r].pair
            if not self.S[pair].cfg or self.S[pair].state != S_IDLE:
                continue
            side = 0 if self.pair_row[2 * pair] == r else 1
            peer = self.R[self.R[r].rev].local
            if self.S[pair].refused >= 0 and self.S[pair].refused_side != side:
                # the peer's connects were refused every cycle: its next one succeeds
                self.try_connect(pair, 1 - side, self.refusals_end(pair, t))
                continue
            if include_passive and self.R[self.R[r].rev].active and self.bird[peer]:
                # the peer has been sending SYNs into the void: its connect retry
                # timer (bgp_connect_timeout) reconnects within one retry period
                u = unit(self.seed, self.pair_seed(pair), 7 + <uint64_t>self.node_epoch[h])
                self.try_connect(pair, 1 - side, t + u * bird_timer(self.connect_retry, u))
        self.push(t + self.connect_delay, EV_NODE_CONNECT, h, self.node_epoch[h], 0)

    cdef double refusals_end(self, int32_t pair, double t) noexcept nogil:
        """The refused-connect cycle of ``pair`` ends at t: count the connects
        refused since the first one; returns when the next one is due."""
        cdef double period = 2 * self.latency + self.connect_delay
        cdef double k = ceil((t - self.S[pair].refused) / period)
        cdef int32_t r = self.pair_row[2 * pair + self.S[pair].refused_side]
        if k < 1:
            k = 1
        self.n_refused_connects += <int64_t>((k - 1) * self.nodes_of(self.R[r].local) * self.row_mult(r) + 0.5)
        t = self.S[pair].refused + k * period
        self.S[pair].refused = -1.0
        return t

    def end_refusals(self, double t):
        """Count the connects still being refused at the end of the run (time t)."""
        cdef int32_t pair
        for pair in range(self.n_pairs):
            if self.S[pair].refused >= 0:
                self.refusals_end(pair, t + 1e-9)

    # ------------------------------------------------------------------ actions

    cdef void bird_start(self, int32_t h, double t, bint recover) noexcept nogil:
        cdef int32_t c, g
        cdef int64_t i
        cdef bint was_alive = self.alive[h]
        self.bird[h] = 1
        self.alive[h] = 1
        self.node_epoch[h] += 1
        if recover:
            self.recovery_start(h, t)
        elif self.frozen[h]:
            # without -R the kernel protocol's first scan removes what BIRD does not have
            self.frozen[h] = 0
            self.kernel_sync(h, t, True)
        # originate: the local path of every class h originates (alone, or with
        # other Routers announcing the same prefixes)
        self.local_paths_set(h, True, t)
        # peers that got a refusal keep retrying on their own (EV_CONNECT); a node
        # that was gone refused nothing, so they reach it within one connect delay
        self.node_rows_connect(h, t, not was_alive)

    cdef void bird_stop(self, int32_t h, double t, int32_t how) noexcept nogil:
        """how: 0 = drained/deleted (Cease to every peer, immediate withdraw),
        1 = calico-node restart (TCP closed, graceful restart on the peers),
        2 = crash (silent: the peers' hold timers decide)."""
        cdef int64_t i, k
        cdef int32_t r, pair, peer, q
        cdef double det, ka, last
        cdef int32_t mode
        # the node's own RIB is gone; its kernel keeps routes on restart (persist)
        self.bird[h] = 0
        self.node_epoch[h] += 1
        self.recovering[h] = 0
        self.gr_locks[h] = 0
        if how == 1:
            self.frozen[h] = 1
        for i in range(self.node_rows_start[h], self.node_rows_start[h + 1]):
            r = self.node_rows[i]
            pair = self.R[r].pair
            peer = self.R[self.R[r].rev].local
            self.R[r].grf = 0
            if self.S[pair].refused >= 0:
                self.refusals_end(pair, t)
            if self.S[pair].state == S_UP:
                if how == 2:
                    # last message the peer heard: the later of the last UPDATE and
                    # the last keepalive of the session's keepalive cycle
                    ka = bird_timer(self.keepalive, unit(self.seed, self.pair_seed(pair), 3))
                    last = self.S[pair].est + floor((t - self.S[pair].est) / ka) * ka
                    if self.S[pair].last > last:
                        last = self.S[pair].last
                    if last > t:
                        last = t
                    det = last + self.latency + bird_timer(self.hold, unit(self.seed, self.pair_seed(pair), 4))
                    if det < t + self.latency:
                        det = t + self.latency
                    mode = 0
                elif how == 1:
                    det = t + self.latency
                    mode = 1 if self.graceful_restart else 0
                else:
                    det = t + self.latency
                    mode = 0
                if self.pair_row[2 * pair] == r:
                    self.session_down(pair, t, 0, mode, -1.0, det)
                else:
                    self.session_down(pair, t, mode, 0, det, -1.0)
            elif self.S[pair].state == S_CONNECTING:
                self.S[pair].state = S_IDLE
                self.S[pair].epoch += 1
        # the local Adj-RIB-In and Loc-RIB disappear with the process
        for k in range(self.node_rows_start[h], self.node_rows_start[h + 1]):
            r = self.node_rows[k]
            for i in range(self.R[r].rp_first, self.R[r].rp_first + self.R[r].rp_n):
                q = self.rp_list[i]
                if self.P[q].state & P_PRESENT:
                    self.path_set(q, False, t)
                self.P[q].state &= ~(P_STALE | P_SENT)
        self.local_paths_set(h, False, t)
        if how != 1:
            self.frozen[h] = 0
            self.alive[h] = 0
            self.node_clear_fib(h, t)
            # outages toward its pods end with them
            for i in range(self.n_classes):
                if self.cl_origin[i] == h:
                    for k in range(self.cls_groups_start[i], self.cls_groups_start[i + 1]):
                        if self.G[k].out >= 0:
                            self.outage_end(<int32_t>k, t)

    cdef void local_paths_set(self, int32_t h, bint present, double t) noexcept nogil:
        """The local paths (origin routes) of h appear or go."""
        cdef int64_t i
        for i in range(self.lp_start[h], self.lp_start[h + 1]):
            self.path_set(self.lp_list[i], present, t)

    cdef void node_clear_fib(self, int32_t h, double t) noexcept nogil:
        cdef int32_t g
        cdef int64_t i
        for i in range(self.hg_start[h], self.hg_start[h + 1]):
            g = self.hg_list[i]
            if self.G[g].fib != -2:
                self.set_fib(g, -2, t)
            self.G[g].out = -1.0

    cdef void kernel_sync(self, int32_t h, double t, bint prune) noexcept nogil:
        """BIRD h's kernel protocol exports its table again: every kernel route
        becomes what BIRD's best path says; kept routes it no longer has go
        only with ``prune``."""
        cdef int32_t g, nh
        cdef int64_t i
        cdef double tk
        self.frozen[h] = 0
        for i in range(self.hg_start[h], self.hg_start[h + 1]):
            g = self.hg_list[i]
            nh = self.P[self.G[g].best].nh if self.G[g].best >= 0 else -2
            if nh != self.G[g].fib and (prune or nh != -2):
                tk = self.work(h, t, self.c_kernel * <double>self.n_prefix[self.G[g].cls] * self.acc_of(g))
                self.set_fib(g, nh, tk)

    cdef void measure_start(self, double t) noexcept nogil:
        cdef int32_t g, h, c
        self.measuring = True
        self.measure_from = t
        for g in range(self.n_groups):
            h = self.G[g].holder
            c = self.G[g].cls
            if self.G[g].fib == -2 and self.counts(h, c):
                self.G[g].out = t

    cdef void node_alive(self, int32_t h, double t) noexcept nogil:
        """Node h (and its pods) exists from t: missing routes to/from it count."""
        cdef int32_t g
        self.alive[h] = 1
        if not self.measuring:
            return
        for g in range(self.n_groups):
            if (self.G[g].holder == h or self.cl_origin[self.G[g].cls] == h) and self.G[g].fib == -2 \
                    and self.G[g].out < 0 and self.counts(self.G[g].holder, self.G[g].cls):
                self.G[g].out = t

    cdef void churn(self, int32_t c, int32_t delta, int32_t pods, double t) noexcept nogil:
        """Class c gains (delta > 0) or loses prefixes: the origin sends an
        UPDATE with just those prefixes along every path the class holds.
        Table-size counters follow at once; the propagation delay shows in the
        unreachability of the `pods` new pods (refresh_apply)."""
        cdef int32_t g, h
        cdef int64_t i
        cdef int64_t old = self.n_prefix[c]
        cdef int64_t new = old + delta
        if new < 0:
            new = 0
        for g in range(<int32_t>self.cls_groups_start[c], <int32_t>self.cls_groups_start[c + 1]):
            h = self.G[g].holder
            for i in range(self.G[g].start, self.G[g].start + self.G[g].n):
                if (self.P[i].state & P_PRESENT) and self.P[i].row >= 0:
                    self.adj[h] += new - old
            if self.G[g].best >= 0:
                self.loc[h] += new - old
            if self.G[g].fib != -2:
                self.fib[h] += new - old
                self.series_add(t, new - old)
        self.n_prefix[c] = new
        self.churn_t[c] = t
        self.churn_pods[c] = pods
        self.churn_delta[c] = delta
        self.a_refresh_from_origin(c, t, delta)

    cdef void a_refresh_from_origin(self, int32_t c, double t, int32_t delta) noexcept nogil:
        cdef int32_t g
        cdef int64_t i
        for g in range(<int32_t>self.cls_groups_start[c], <int32_t>self.cls_groups_start[c + 1]):
            if self.G[g].holder == self.cl_origin[c]:
                for i in range(self.G[g].start, self.G[g].start + self.G[g].n):
                    if self.P[i].row < 0 and (self.P[i].state & P_PRESENT):
                        self.refresh_children(<int32_t>i, t, delta)

    cdef void refresh_children(self, int32_t par, double t, int32_t delta) noexcept nogil:
        cdef int64_t i
        cdef int32_t q, pair
        cdef double dep
        cdef int32_t h
        for i in range(self.P[par].c_first, self.P[par].c_first + self.P[par].c_n):
            q = self.c_list[i]
            pair = self.P[q].pair
            if self.S[pair].state != S_UP or not (self.P[q].state & P_SENT):
                continue
            h = self.G[self.P[par].grp].holder
            if (self.P[q].flags & F_BEST) and self.G[self.P[par].grp].best != par:
                continue
            dep = self.work(h, t, self.c_tx_msg + self.c_tx_route * <double>(delta if delta > 0 else -delta))
            self.book(h, dep, EV_REFRESH_TX, q, self.S[pair].epoch, delta)

    # ------------------------------------------------------------------ main loop

    def run(self):
        """Process events until none are left; returns the number processed."""
        with nogil:
            self._run()
        return self.n_events

    cdef void _run(self) noexcept nogil:
        cdef Event e
        cdef int32_t q, g, h, r, pair, peer, k, side, s, c
        cdef double t, fin, u, wait, last
        cdef int64_t i, npfx, nbytes, nmsg
        while self.rc == OK:
            if self.peek_time() > self.horizon:
                break                       # leave the rest unprocessed (and not converged)
            if not self.next_event(&e):
                break
            t = e.t
            self.now = t
            last = self.last_event
            self.last_event = t
            self.n_events += 1
            if self.n_events > self.max_events:
                self.rc = EVENT_LIMIT
                break
            if e.kind == EV_TX:
                q = e.a
                pair = e.x                  # P[q].pair (Engine.hint): S[pair] need not wait for P[q]
                self.P[q].state &= ~P_PENDING
                if self.S[pair].state != S_UP:
                    continue
                # a TX booked before the session last went down still sends the current state
                k = 1 if self.exportable(q) else 0
                if k == ((self.P[q].state & P_SENT) != 0):
                    continue
                if k:
                    self.P[q].state |= P_SENT
                else:
                    self.P[q].state &= ~P_SENT
                if self.mrai > 0:
                    self.last_tx[q] = t
                self.send(q, k, t, self.S[pair].epoch, 0)
            elif e.kind == EV_REFRESH_TX:
                q = e.a
                pair = self.P[q].pair
                if self.S[pair].state != S_UP or self.S[pair].epoch != e.b or not (self.P[q].state & P_SENT):
                    continue
                self.send(q, 2, t, e.b, e.c)
            elif e.kind == EV_APPLY:
                q = e.a
                pair = e.x                  # P[q].pair
                if self.S[pair].epoch != e.b:
                    continue
                if e.c == 2:
                    self.refresh_apply(q, t)
                else:
                    self.path_set(q, e.c == 1, t)
            elif e.kind == EV_CONNECT:
                pair = e.a
                if self.S[pair].epoch != e.b:
                    continue
                self.connect(pair, e.c, t)
            elif e.kind == EV_NODE_CONNECT:
                # every active protocol of a starting BIRD connects at the same moment
                h = e.a
                if self.node_epoch[h] != e.b or not self.bird[h]:
                    continue
                for i in range(self.node_rows_start[h], self.node_rows_start[h + 1]):
                    r = self.node_rows[i]
                    if self.R[r].active:
                        pair = self.R[r].pair
                        self.connect(pair, 0 if self.pair_row[2 * pair] == r else 1, t)
            elif e.kind == EV_ESTAB:
                pair = e.a
                if self.S[pair].epoch != e.b or self.S[pair].state != S_CONNECTING:
                    continue
                self.session_up(pair, t)
            elif e.kind == EV_DOWN:
                r = e.a
                pair = self.R[r].pair
                h = self.R[r].local
                if not self.bird[h] or (e.c >> 2) != self.node_epoch[h]:
                    continue
                e.c = e.c & 3
                t = self.work(h, t, self.c_rx_msg * self.row_mult(r))
                if e.c == 1:
                    # graceful restart: keep what r brought, marked stale, for the restart time
                    for i in range(self.R[r].rp_first, self.R[r].rp_first + self.R[r].rp_n):
                        q = self.rp_list[i]
                        if self.P[q].state & P_PRESENT:
                            self.P[q].state |= P_STALE
                    self.R[r].grf |= GR_STALE
                    self.push(t + self.gr_time, EV_GR_TIMEOUT, r, self.S[pair].epoch, self.node_epoch[h])
                else:
                    self.R[r].grf &= ~GR_STALE
                    self.row_flush(r, t, False)
                    if self.recovering[h]:
                        self.gr_unlock(h, r, t)     # the protocol went down (proto_falling_down)
                # sessions still configured come back: error wait after a hold expiry
                if self.S[pair].cfg:
                    side = 0 if self.pair_row[2 * pair] == r else 1
                    wait = self.connect_delay
                    if self.S[pair].err > 0:
                        self.S[pair].err = self.S[pair].err * 2
                        if self.S[pair].err > self.err_wait_max:
                            self.S[pair].err = self.err_wait_max
                    else:
                        self.S[pair].err = self.err_wait_min
                    if e.c == 0:
                        wait = self.S[pair].err + self.connect_delay
                    if self.R[r].active:
                        self.try_connect(pair, side, t + wait)
            elif e.kind == EV_GR_TIMEOUT:
                r = e.a
                pair = self.R[r].pair
                h = self.R[r].local
                if self.node_epoch[h] != e.c or not (self.R[r].grf & GR_STALE) or self.S[pair].epoch != e.b:
                    continue
                if self.S[pair].state == S_UP:
                    continue                 # re-established: the restart timer stopped, End-of-RIB decides
                self.R[r].grf &= ~GR_STALE
                self.row_flush(r, t, True)
            elif e.kind == EV_EOR:
                r = e.a
                pair = self.R[r].pair
                if self.S[pair].epoch != e.b:
                    continue
                h = self.R[r].local
                if e.c == 0:
                    # arrives behind the feed's UPDATEs and is processed after them
                    self.book(h, self.work(h, t + self.latency, self.c_rx_msg * self.row_mult(r)), EV_EOR, r, e.b, 1)
                    continue
                # bgp_rx_end_mark: the restart's stale routes go, a recovery lock is released
                self.R[r].grf &= ~GR_STALE
                self.row_flush(r, t, True)
                if self.recovering[h]:
                    self.gr_unlock(h, r, t)
            elif e.kind == EV_KERNEL_SYNC:
                h = e.a
                if self.node_epoch[h] == e.b and self.bird[h]:
                    self.kernel_sync(h, t, True)
            elif e.kind == EV_GR_DONE:
                h = e.a
                if self.node_epoch[h] == e.b and self.recovering[h]:
                    self.recovery_done(h, t)
                else:
                    self.last_event = last      # a timer the recovery outlived: not an event of the run
            elif e.kind >= EV_ACTION:
                self.action(e.kind - EV_ACTION, e.a, e.b, e.c, t)

    cdef void send(self, int32_t q, int32_t what, double t, int32_t epoch, int32_t delta) noexcept nogil:
        """Count one UPDATE for path q (what: 1 announce, 0 withdraw, 2 refresh
        of `delta` prefixes) and book its processing at the receiver."""
        cdef int32_t g = self.P[q].grp
        cdef int32_t c = self.G[g].cls
        cdef int32_t h = self.G[self.P[self.P[q].parent].grp].holder
        cdef int32_t rcv = self.G[g].holder
        cdef int64_t npfx = self.n_prefix[c]
        cdef int64_t nlri, room, nmsg, nbytes
        cdef double fin, m = 1.0, ms = 1.0, mr = 1.0
        cdef Fifo* f = &self.fifo[rcv]
        # the receiver's FIFO and the slot this UPDATE will take in it (book, below)
        prefetch(f)
        if f.cap > 0:
            prefetch(&f.v[(f.head + f.n) & (f.cap - 1)])
        if self.agg:
            # the bundle's UPDATEs: m in all, ms built by each sending node, mr read by each receiver
            m = self.msgs_of(q)
            ms = m / self.node_w[h]
            mr = m / self.node_w[rcv]
        if what == 2:
            npfx = delta if delta > 0 else -delta
        # BGP header 19 + withdrawn-length 2 + attribute-length 2; NLRI (or withdrawn
        # routes) per prefix from the class; one attribute set per UPDATE, split at 4096
        nlri = npfx * <int64_t>self.cl_nlri[c] // (self.n_prefix[c] if self.n_prefix[c] > 0 else 1)
        if what == 0 or (what == 2 and delta < 0):
            room = 4096 - 23
            nmsg = (nlri + room - 1) // room if nlri > 0 else 1
            nbytes = nmsg * 23 + nlri
            self.n_withdraws += <int64_t>(<double>npfx * m + 0.5)
        else:
            room = 4096 - 23 - <int64_t>self.P[q].attr
            nmsg = (nlri + room - 1) // room if nlri > 0 else 1
            nbytes = nmsg * (23 + <int64_t>self.P[q].attr) + nlri
        self.n_updates += <int64_t>(<double>nmsg * m + 0.5)
        self.n_update_bytes += <int64_t>(<double>nbytes * m + 0.5)
        self.n_prefix_adverts += <int64_t>(<double>npfx * m + 0.5)
        self.msgs_tx[h] += <double>nmsg * ms
        self.bytes_tx[h] += <double>nbytes * ms
        self.pfx_tx[h] += <double>npfx * ms
        self.msgs_rx[rcv] += <double>nmsg * mr
        self.S[self.P[q].pair].last = t
        fin = self.work(rcv, t + self.latency, (self.c_rx_msg * <double>nmsg + self.c_rx_route * <double>npfx) * mr)
        self.book(rcv, fin, EV_APPLY, q, epoch, what)

    cdef void refresh_apply(self, int32_t q, double t) noexcept nogil:
        """New prefixes of a present path arrive: installed if q is the best; passed on."""
        cdef int32_t g = self.P[q].grp, h, c
        cdef double tk, d
        if not (self.P[q].state & P_PRESENT):
            return
        h = self.G[g].holder
        c = self.G[g].cls
        if self.G[g].best == q and self.churn_delta[c] > 0:
            tk = self.work(h, t, self.c_kernel * <double>self.churn_delta[c])
            d = tk - self.churn_t[c]
            if self.measuring and d > 0 and self.alive[h]:
                self.pair_seconds += d * <double>self.node_pods[h] * <double>self.churn_pods[c]
                self.unreach_class[c] += d * <double>self.node_pods[h] * <double>self.churn_pods[c]
                self.prefix_node_seconds += d * <double>self.churn_delta[c]
            if tk > self.last_fib_change:
                self.last_fib_change = tk
        elif self.G[g].best == q:
            tk = self.work(h, t, self.c_kernel * <double>(-self.churn_delta[c]))
            if tk > self.last_fib_change:
                self.last_fib_change = tk
        if self.add_rows[h] or self.G[g].best == q:
            self.refresh_children(q, t, self.churn_delta[c])

    def schedule(self, double t, int kind, int a, int b, int c):
        """Queue scripted action `kind` (an Action) with its arguments at time t."""
        if self.push(t, EV_ACTION + kind, a, b, c) != 0:
            raise MemoryError("convergence event heap")

    cdef void action(self, int32_t kind, int32_t a, int32_t b, int32_t c, double t) noexcept nogil:
        cdef int32_t k, r, h
        cdef int64_t j
        if kind == BIRD_START:
            self.bird_start(a, t, b != 0)
        elif kind == BIRD_STOP:
            self.bird_stop(a, t, 1 if b else 0)
        elif kind == CRASH:
            self.bird_stop(a, t, 2)
        elif kind == DELETE:
            # confd removes the node's protocols everywhere: nobody reconnects
            for j in range(self.node_rows_start[a], self.node_rows_start[a + 1]):
                self.S[self.R[self.node_rows[j]].pair].cfg = 0
            self.bird_stop(a, t, 0)
            for j in range(self.node_rows_start[a], self.node_rows_start[a + 1]):
                self.pair_unlock(self.R[self.node_rows[j]].pair, t)
        elif kind == PAIR_ADD:
            if self.S[a].refused >= 0:
                self.refusals_end(a, t)
            self.S[a].cfg = 1
            self.S[a].epoch += 1
            for k in range(2):
                r = self.pair_row[2 * a + k]
                h = self.R[r].local
                if self.R[r].active and self.bird[h]:
                    self.try_connect(a, k, t + self.connect_delay)
        elif kind == PAIR_REMOVE:
            if self.S[a].refused >= 0:
                self.refusals_end(a, t)
            self.S[a].cfg = 0
            if self.S[a].state == S_UP:
                self.session_down(a, t, 0, 0, t + self.latency, t + self.latency)
            else:
                self.S[a].state = S_IDLE
                self.S[a].epoch += 1
            self.pair_unlock(a, t)
        elif kind == CHURN:
            self.churn(a, b, c, t)
        elif kind == MEASURE:
            self.measure_start(t)
        elif kind == NODE_ALIVE:
            self.node_alive(a, t)

    # ------------------------------------------------------------------ results

    def series_counts(self):
        """Net change of installed routes per time bin (float64 array)."""
        n = 0
        cdef int64_t i
        for i in range(self.series_n):
            if self.series[i] != 0:
                n = i + 1
        return np.array([self.series[i] for i in range(n)], dtype=np.float64)

    def outage_log(self):
        """(holder, class, start, end) rows, float64, shape (n, 4)."""
        out = np.empty((self.log_n, 4))
        cdef int32_t i, j
        for i in range(self.log_n):
            for j in range(4):
                out[i, j] = self.log_buf[4 * i + j]
        return out

    def close_outages(self, double t):
        """Open outages at the end: (holder, class, start, node-class pairs x the pods reached through the class) rows."""
        rows = []
        cdef int32_t g
        for g in range(self.n_groups):
            if self.G[g].out >= 0:
                rows.append((self.G[g].holder, self.G[g].cls, self.G[g].out,
                             self.acc_of(g) * self.nodes_of(self.G[g].holder) * self.g_pods[g]))
        return rows

    def heap_size(self):
        return self.timers.n + self.cores.n


# ---------------------------------------------------------------------- path universe

cdef struct Tmp:
    uint64_t key_hi         # fastroute.bgp.propagate.path_key in two words (see path_key below)
    uint64_t key_lo
    int64_t originator      # -1: absent
    int32_t holder
    int32_t row
    int32_t parent          # index in this class's temporary list
    int32_t next_hop        # speaker index, -1: local
    int32_t cl_off          # CLUSTER_LIST and AS_PATH: offsets into the class's list buffer
    int32_t as_off
    uint8_t cl_len          # at most max_list (< 256)
    uint8_t as_len
    uint8_t flags           # F_* (aggregate mode)
    uint8_t has_lp          # LOCAL_PREF attribute present (received over iBGP)


def _prefault(a):
    """Touch every page of a freshly allocated array on two threads, before a
    single-threaded pass fills it: building the model is mostly the kernel
    faulting in (and zeroing) gigabytes of fresh pages, and two cores do that
    twice as fast.  Only for arrays of zeros or that the caller fills entirely
    (a zero is written to each page)."""
    cdef uint8_t[::1] b = a.reshape(-1).view(np.uint8)
    cdef Py_ssize_t i, n = b.shape[0]
    cdef Py_ssize_t pages = (n + 4095) // 4096
    if n < (1 << 22):
        return a
    with nogil:
        for i in prange(pages, num_threads=2, schedule="static"):
            b[i * 4096] = 0
    return a


def _grown(a, int64_t n, int64_t cap, int64_t expect):
    """a's first n entries in a new array of cap; the first `expect` entries
    (what will be filled) are faulted in on two threads, the rest left untouched."""
    out = np.empty(cap, a.dtype)
    _prefault(out[:min(expect, cap)])
    out[:n] = a[:n]
    return out


ctypedef struct PathGraph:         # enumerate_paths' inputs, as pointers
    const int32_t* row_local
    const int32_t* row_remote
    const int32_t* row_rev
    const uint8_t* rr_client
    const uint32_t* cluster_id
    const uint8_t* ebgp
    const uint8_t* keep_next_hop
    const int32_t* allow_local_as
    const uint32_t* router_id
    const int64_t* ip_rank
    const uint32_t* ip
    const uint8_t* has_ip
    const uint32_t* sub_net
    const uint32_t* sub_mask
    const uint8_t* has_sub
    const uint32_t* asn
    const uint8_t* announces
    const uint8_t* role
    const uint8_t* reexports        # the speaker has an rr-client or an eBGP row
    const int64_t* rows_start
    const int32_t* rows_list
    const uint8_t* cohort           # NULL outside aggregate mode
    int32_t max_list                # longest CLUSTER_LIST / AS_PATH followed


ctypedef struct ClassPaths:         # one class's paths, in discovery order, and their lists
    Tmp* tmp
    int64_t n, cap
    uint32_t* cl                    # CLUSTER_LISTs and AS_PATHs (a path shares its parent's when unchanged)
    int64_t cl_n, cl_cap


cdef enum:
    # what crossing a session does to a path (next to a failing Status)
    CROSS_ACCEPTED = 100
    CROSS_REFUSED = 101
    # fastroute.bgp.propagate.Role (bgp/_propagate.pxd), as the export rules read it
    NODE_ROLE = 0
    ROUTER_OWN_ROLE = 2


cdef inline bint in_list(const uint32_t* lst, int32_t n, uint32_t v) noexcept nogil:
    cdef int32_t k
    for k in range(n):
        if lst[k] == v:
            return True
    return False


cdef inline int32_t count_in(const uint32_t* lst, int32_t n, uint32_t v) noexcept nogil:
    cdef int32_t k, m = 0
    for k in range(n):
        if lst[k] == v:
            m += 1
    return m


cdef inline void path_key(const PathGraph* g, Tmp* p) noexcept nogil:
    """fastroute.bgp.propagate.path_key of received path p at its holder, in two
    words (the local route's key is 0, 0): preference and LOCAL_PREF are equal for
    every received path, ORIGIN and MED too; then AS_PATH length, eBGP before iBGP,
    IGP metric (0 when the next hop is on the holder's subnet), router id
    (ORIGINATOR_ID else the peer's) | CLUSTER_LIST length, peer address rank,
    next-hop address rank."""
    cdef int32_t r = p.row, t = p.holder, nh = p.next_hop
    cdef uint32_t rid = <uint32_t>(p.originator if p.originator >= 0 else g.router_id[g.row_remote[r]])
    cdef uint64_t hi = (<uint64_t>1) << 63
    hi |= (<uint64_t>(p.as_len if p.as_len < 255 else 255)) << 48
    if not g.ebgp[r]:
        hi |= (<uint64_t>1) << 47
    if not (g.has_sub[t] and g.has_ip[nh] and (g.ip[nh] & g.sub_mask[t]) == g.sub_net[t]):
        hi |= (<uint64_t>1) << 46
    hi |= <uint64_t>rid
    p.key_hi = hi
    p.key_lo = ((<uint64_t>(p.cl_len if p.cl_len < 255 else 255)) << 48
                | (<uint64_t>(g.ip_rank[g.row_remote[r]] & 0xFFFFFF)) << 24
                | <uint64_t>(g.ip_rank[nh] & 0xFFFFFF))


cdef inline bint key_greater(const Tmp* a, const Tmp* b) noexcept nogil:
    return a.key_hi > b.key_hi or (a.key_hi == b.key_hi and a.key_lo > b.key_lo)


cdef inline uint32_t* room_for(ClassPaths* b, int32_t m) noexcept nogil:
    """Space for m more list entries at ``b.cl + b.cl_n`` (NULL: out of memory)."""
    cdef uint32_t* grown
    if b.cl_n + m > b.cl_cap:
        grown = <uint32_t*>realloc(b.cl, 2 * (b.cl_n + m) * sizeof(uint32_t))
        if grown == NULL:
            return NULL
        b.cl = grown
        b.cl_cap = 2 * (b.cl_n + m)
    return b.cl + b.cl_n


cdef int reflect(const PathGraph* g, ClassPaths* b, int32_t src, int32_t s, Tmp* out) noexcept nogil:
    """RFC 4456 on an iBGP path passed from row src to row s (one side a client):
    ORIGINATOR_ID set if absent, the cluster id(s) prepended to ``out``'s CLUSTER_LIST
    (written at ``b.cl + b.cl_n``).  CROSS_ACCEPTED or a failing Status."""
    cdef bint from_client = g.rr_client[src] != 0, to_client = g.rr_client[s] != 0
    cdef bint two = from_client and to_client and g.cluster_id[src] != g.cluster_id[s]
    cdef int32_t m = out.cl_len + 1 + (1 if two else 0), z = 0, k, p_off = out.cl_off
    cdef uint32_t* cl
    if out.originator < 0:
        out.originator = <int64_t>g.router_id[g.row_remote[src]]
    if m > g.max_list:
        return CLUSTER_LIST_LOOP
    cl = room_for(b, m)
    if cl == NULL:
        return NO_MEMORY
    if two:
        cl[0] = g.cluster_id[s]
        z = 1
    cl[z] = g.cluster_id[src] if from_client else g.cluster_id[s]
    for k in range(out.cl_len):
        cl[z + 1 + k] = b.cl[p_off + k]
    out.cl_off = <int32_t>b.cl_n
    out.cl_len = m
    b.cl_n += m
    return CROSS_ACCEPTED


cdef int cross(const PathGraph* g, ClassPaths* b, int64_t i, int32_t s, int32_t o, Tmp* out) noexcept nogil:
    """Path i of the class of origin o sent on row s: fastroute.bgp.propagate's
    ``_export`` (no route back where it came from, CLUSTER_LIST loop toward a client,
    iBGP split horizon unless a side is an rr client, RFC 4456 attributes; on eBGP
    the AS_PATH prepend, next-hop self unless kept, no LOCAL_PREF nor RFC 4456
    attributes) and ``_receive`` (AS_PATH loop past allow_local_as, ORIGINATOR_ID and
    CLUSTER_LIST loops).  CROSS_ACCEPTED with the copy in ``out`` (new lists written
    at ``b.cl + b.cl_n``), CROSS_REFUSED, or a failing Status."""
    cdef const Tmp* p = &b.tmp[i]
    cdef int32_t src = p.row, r = g.row_rev[s], t = g.row_local[r], h = p.holder, k
    cdef bint own_cohort = g.cohort != NULL and g.cohort[t] and t == o
    cdef int rc
    cdef uint32_t* lst
    out[0] = p[0]
    out.flags = 0
    if src >= 0:
        if g.row_remote[src] == g.row_remote[s]:
            if not own_cohort:
                return CROSS_REFUSED                # never back where it came from
            out.flags = F_SELF | F_BACK             # ... but to the cohort's other nodes
        if g.rr_client[s] and in_list(b.cl + p.cl_off, p.cl_len, g.cluster_id[s]):
            return CROSS_REFUSED                    # cluster list loop toward a client
        if not g.ebgp[src] and not g.ebgp[s]:
            if not g.rr_client[s] and not g.rr_client[src]:
                return CROSS_REFUSED                # iBGP split horizon
            rc = reflect(g, b, src, s, out)
            if rc != CROSS_ACCEPTED:
                return rc
    if g.ebgp[s]:
        if p.as_len + 1 > g.max_list:
            return AS_PATH_LONG
        lst = room_for(b, p.as_len + 1)
        if lst == NULL:
            return NO_MEMORY
        lst[0] = g.asn[h]
        for k in range(p.as_len):
            lst[1 + k] = b.cl[p.as_off + k]
        out.as_off = <int32_t>b.cl_n
        out.as_len = p.as_len + 1
        b.cl_n += out.as_len
        if not (g.keep_next_hop[s] and p.next_hop >= 0):
            out.next_hop = h
        out.originator = -1
        out.cl_len = 0
    elif p.next_hop < 0:
        out.next_hop = h
    # receive checks
    if count_in(b.cl + out.as_off, out.as_len, g.asn[t]) > g.allow_local_as[r]:
        if not (own_cohort and g.cohort[t] == 2):
            return CROSS_REFUSED
        out.flags |= F_SELF                         # a cohort of an AS per node: only its sender's copy fails
    if not g.ebgp[r] and out.originator >= 0 and out.originator == <int64_t>g.router_id[t]:
        if not own_cohort:
            return CROSS_REFUSED
        out.flags |= F_SELF                         # the cohort's own copy fails, the others' pass
    if g.rr_client[r] and in_list(b.cl + out.cl_off, out.cl_len, g.cluster_id[r]):
        return CROSS_REFUSED
    out.has_lp = not g.ebgp[s] and not g.ebgp[r]
    out.holder = t
    out.row = r
    out.parent = <int32_t>i
    path_key(g, out)
    return CROSS_ACCEPTED


cdef int walk_class(const PathGraph* g, ClassPaths* b, const int32_t* origins, int32_t n_origins,
                    int64_t room) noexcept nogil:
    """Every path of the class originated by ``origins`` into b, breadth first from
    the origins' own routes, offered as fastroute.sim.universe's ``_offers`` decides;
    PATH_LIMIT past ``room`` paths."""
    cdef int64_t i = 0, j
    cdef int32_t h, src, s, k, o = origins[0]
    cdef int rc
    cdef bint foreign = g.role[o] != NODE_ROLE, own_only
    cdef Tmp cand
    cdef Tmp* grown
    b.cl_n = 0
    if n_origins > b.cap:
        return PATH_LIMIT
    for k in range(n_origins):
        memset(&b.tmp[k], 0, sizeof(Tmp))
        b.tmp[k].holder = origins[k]; b.tmp[k].row = -1; b.tmp[k].parent = -1
        b.tmp[k].next_hop = -1; b.tmp[k].originator = -1
    b.n = n_origins
    while i < b.n:
        h = b.tmp[i].holder
        src = b.tmp[i].row
        if not g.announces[h] or (foreign and g.role[h] == NODE_ROLE):
            i += 1
            continue                                # announces nothing / a node passes on no Router's routes
        if src >= 0 and not g.reexports[h] and not g.ebgp[src] and not g.rr_client[src]:
            i += 1
            continue                                # learned over iBGP, no client or eBGP peer to pass it to
        own_only = src >= 0 and g.role[h] == ROUTER_OWN_ROLE
        for j in range(g.rows_start[h], g.rows_start[h + 1]):
            s = g.rows_list[j]
            if own_only and g.role[g.row_remote[s]] == NODE_ROLE:
                continue                            # export originated/default: nodes get its own only
            rc = cross(g, b, i, s, o, &cand)
            if rc == CROSS_REFUSED:
                continue
            if rc != CROSS_ACCEPTED:
                return rc
            if b.n == b.cap:
                grown = <Tmp*>realloc(b.tmp, 2 * b.cap * sizeof(Tmp))
                if grown == NULL:
                    return NO_MEMORY
                b.tmp = grown
                b.cap *= 2
            b.tmp[b.n] = cand
            b.n += 1
            if b.n > room:
                return PATH_LIMIT
        i += 1
    return OK


cdef void order_class(const Tmp* tmp, int64_t n_paths, int32_t n, int64_t* bucket, int64_t* order) noexcept nogil:
    """``order``: the class's paths by (holder, key), a counting sort by holder
    and an insertion sort of each holder's run (``bucket``: n + 2 scratch)."""
    cdef int64_t i, j, k, z, m
    cdef int32_t h
    memset(bucket, 0, (n + 2) * sizeof(int64_t))
    for i in range(n_paths):
        bucket[tmp[i].holder + 1] += 1
    for h in range(n):
        bucket[h + 1] += bucket[h]
    for i in range(n_paths):
        order[bucket[tmp[i].holder]] = i
        bucket[tmp[i].holder] += 1
    i = 0
    while i < n_paths:
        j = i + 1
        while j < n_paths and tmp[order[j]].holder == tmp[order[i]].holder:
            j += 1
        for k in range(i + 1, j):
            m = order[k]
            z = k - 1
            while z >= i and key_greater(&tmp[order[z]], &tmp[m]):
                order[z + 1] = order[z]
                z -= 1
            order[z + 1] = m
        i = j


cdef void write_class(const Tmp* tmp, const int64_t* order, int32_t* newidx, int64_t n_paths, int64_t n_out,
                      int32_t ci, int32_t* holder, int32_t* row, int32_t* parent, int32_t* cls,
                      int32_t* nh, uint16_t* attr, uint8_t* flags) noexcept nogil:
    """The class's paths in ``order`` at ``n_out`` of the outputs, parents renumbered."""
    cdef int64_t i, k
    cdef const Tmp* pp
    for i in range(n_paths):
        newidx[order[i]] = <int32_t>(n_out + i)
    for i in range(n_paths):
        pp = &tmp[order[i]]
        k = n_out + i
        holder[k] = pp.holder
        row[k] = pp.row
        parent[k] = newidx[pp.parent] if pp.parent >= 0 else -1
        cls[k] = ci
        nh[k] = pp.next_hop
        # ORIGIN 4 + AS_PATH 3 (+ 2 + 4 per AS) + NEXT_HOP 7, LOCAL_PREF 7 when present,
        # and when reflected ORIGINATOR_ID 7 + CLUSTER_LIST 3 + 4 per id
        attr[k] = (14 + ((2 + 4 * pp.as_len) if pp.as_len else 0) + (7 if pp.has_lp else 0)
                   + ((10 + 4 * pp.cl_len) if pp.originator >= 0 else 0))
        flags[k] = <uint8_t>pp.flags


_PATH_FIELDS = (np.int32, np.int32, np.int32, np.int32, np.int32, np.uint16, np.uint8)   # holder .. flags


cdef const void* first(object a):
    """The data pointer of a contiguous array (NULL when empty)."""
    cdef const uint8_t[::1] v = a.reshape(-1).view(np.uint8)
    return <const void*>&v[0] if v.shape[0] else NULL


def enumerate_paths(dict rows, dict speakers, const int64_t[::1] rows_start, const int32_t[::1] rows_list,
                    const int64_t[::1] class_start, const int32_t[::1] class_origins,
                    int64_t max_paths, int32_t max_list, const uint8_t[::1] cohort=None):
    """Every path of every class over a session graph of IPv4 speakers, grouped
    by (class, holder) and in BIRD 1.6 preference order.

    Applies fastroute.bgp.propagate's ``_export``/``_receive`` (iBGP split
    horizon and RFC 4456 reflection with their loop checks, the AS_PATH prepend
    and loop check with allow_local_as, next-hop self on eBGP unless kept),
    fastroute.sim.universe's offer rules (Routers' export modes, Calico nodes
    passing on no Router's routes) and fastroute.bgp.propagate.path_key's order;
    the tests hold it to fastroute.sim.universe's reference walk.

    ``rows``: contiguous per-row arrays ``local``, ``remote``, ``rev`` (int32),
    ``rr_client``, ``ebgp``, ``keep_next_hop`` (uint8), ``cluster_id`` (uint32),
    ``allow_local_as`` (int32); ``speakers``: ``router_id``, ``ip``, ``sub_net``,
    ``sub_mask``, ``asn`` (uint32), ``ip_rank`` (int64), ``has_ip``, ``has_sub``,
    ``announces``, ``role``, ``reexports`` (uint8).  Class ``c`` is originated by
    ``class_origins[class_start[c]:class_start[c + 1]]``.

    ``cohort[h]`` marks speakers that stand for several nodes (aggregate
    mode; 2: nodes with an AS each, fastroute.sim.cohorts.Cohorts.flags): a
    cohort's own class also reaches the cohort, for its other nodes (flagged
    F_SELF, and F_BACK when it comes straight back from the speaker the cohort
    sent it to); those paths are the last group of the cohort.

    Returns (status, arrays): a :class:`Status`, OK, PATH_LIMIT (more than
    max_paths paths), CLUSTER_LIST_LOOP or AS_PATH_LONG (a list longer than
    max_list); arrays is None unless OK.
    """
    cdef PathGraph g
    cdef ClassPaths b
    cdef int64_t cap = 1 << 16, n_out = 0, ocap = 0, expect, size
    cdef int32_t n = len(speakers["router_id"]), ci, n_classes = class_start.shape[0] - 1, n_orig
    cdef int64_t* bucket = <int64_t*>malloc((n + 2) * sizeof(int64_t))
    cdef int64_t* order = NULL
    cdef int32_t* newidx = NULL
    cdef const int32_t* orig_ptr
    cdef int status = OK
    cdef int32_t[::1] oh, orw, opa, ocl, onh
    cdef uint16_t[::1] oat
    cdef uint8_t[::1] ofl
    g.row_local = <const int32_t*>first(rows["local"])
    g.row_remote = <const int32_t*>first(rows["remote"])
    g.row_rev = <const int32_t*>first(rows["rev"])
    g.rr_client = <const uint8_t*>first(rows["rr_client"])
    g.cluster_id = <const uint32_t*>first(rows["cluster_id"])
    g.ebgp = <const uint8_t*>first(rows["ebgp"])
    g.keep_next_hop = <const uint8_t*>first(rows["keep_next_hop"])
    g.allow_local_as = <const int32_t*>first(rows["allow_local_as"])
    g.router_id = <const uint32_t*>first(speakers["router_id"])
    g.ip_rank = <const int64_t*>first(speakers["ip_rank"])
    g.ip = <const uint32_t*>first(speakers["ip"])
    g.has_ip = <const uint8_t*>first(speakers["has_ip"])
    g.sub_net = <const uint32_t*>first(speakers["sub_net"])
    g.sub_mask = <const uint32_t*>first(speakers["sub_mask"])
    g.has_sub = <const uint8_t*>first(speakers["has_sub"])
    g.asn = <const uint32_t*>first(speakers["asn"])
    g.announces = <const uint8_t*>first(speakers["announces"])
    g.role = <const uint8_t*>first(speakers["role"])
    g.reexports = <const uint8_t*>first(speakers["reexports"])
    g.rows_start = &rows_start[0]
    g.rows_list = &rows_list[0] if rows_list.shape[0] else NULL
    g.cohort = &cohort[0] if cohort is not None and cohort.shape[0] else NULL
    g.max_list = max_list if max_list < 255 else 255     # lengths are held in a byte
    b.tmp = <Tmp*>malloc(cap * sizeof(Tmp))
    b.cap = cap
    b.cl = <uint32_t*>malloc(cap * sizeof(uint32_t))
    b.cl_cap = cap
    out = [np.empty(cap, t) for t in _PATH_FIELDS]
    try:
        if b.tmp == NULL or b.cl == NULL or bucket == NULL:
            status = NO_MEMORY
        for ci in range(n_classes):
            if status != OK:
                break
            orig_ptr = &class_origins[class_start[ci]]
            n_orig = <int32_t>(class_start[ci + 1] - class_start[ci])
            with nogil:
                status = walk_class(&g, &b, orig_ptr, n_orig, max_paths - n_out)
                if status == OK and b.n > ocap:
                    ocap = 2 * b.n
                    free(order); free(newidx)
                    order = <int64_t*>malloc(ocap * sizeof(int64_t))
                    newidx = <int32_t*>malloc(ocap * sizeof(int32_t))
                    if order == NULL or newidx == NULL:
                        status = NO_MEMORY
                if status == OK:
                    order_class(b.tmp, b.n, n, bucket, order)
            if status != OK:
                break
            if n_out + b.n > out[0].shape[0]:
                # extrapolate from the classes so far (exact when the classes are
                # alike, as in a mesh): one allocation of about the final size
                # instead of a series of doubling copies
                expect = (n_out + b.n) * n_classes // (ci + 1)
                size = max(expect + expect // 64, out[0].shape[0] + out[0].shape[0] // 2, n_out + b.n)
                out = [_grown(a, n_out, size, expect) for a in out]
            oh, orw, opa, ocl, onh, oat, ofl = out
            write_class(b.tmp, order, newidx, b.n, n_out, ci, &oh[0], &orw[0], &opa[0], &ocl[0], &onh[0],
                        &oat[0], &ofl[0])
            n_out += b.n
    finally:
        free(b.tmp); free(b.cl); free(bucket); free(order); free(newidx)
    if status == NO_MEMORY:
        raise MemoryError("path enumeration")
    if status != OK:
        return Status(status), None
    return Status(status), tuple(a[:n_out] for a in out)


def csr(const int32_t[::1] keys, int64_t n_keys):
    """Counting sort: (start, order) with order listing the indices i where
    keys[i] >= 0, grouped by key (stable); start has n_keys + 1 offsets."""
    cdef Py_ssize_t i, n = keys.shape[0]
    start_a = _prefault(np.zeros(n_keys + 1, np.int64))
    cdef int64_t[::1] start = start_a
    cdef int64_t m = 0
    with nogil:
        for i in range(n):
            if keys[i] >= 0:
                start[keys[i] + 1] += 1
        for i in range(n_keys):
            start[i + 1] += start[i]
    m = start[n_keys]
    order_a = _prefault(np.empty(m, np.int32))
    cdef int32_t[::1] order = order_a
    with nogil:
        # start[k] serves as key k's cursor (ending at key k + 1's start), then
        # shifts back one place: no second offsets array
        for i in range(n):
            if keys[i] >= 0:
                order[start[keys[i]]] = <int32_t>i
                start[keys[i]] += 1
        for i in range(n_keys, 0, -1):
            start[i] = start[i - 1]
        start[0] = 0
    return start_a, order_a


def structure(const int32_t[::1] cls, const int32_t[::1] holder, const int32_t[::1] rev, int32_t n_classes,
              const uint8_t[::1] flags=None):
    """Groups of the path universe (runs of equal class, holder and, in
    aggregate mode, F_SELF) and the session pairs of the rows.  Returns (p_grp, g_start, g_holder, g_class,
    cls_groups_start, row_pair, pair_row)."""
    cdef Py_ssize_t i, n = cls.shape[0], m = rev.shape[0]
    cdef int64_t k = 0
    p_grp_a = _prefault(np.empty(n, np.int32))
    cdef int32_t[::1] p_grp = p_grp_a
    cdef bint has_flags = flags is not None
    with nogil:
        for i in range(n):
            if i > 0 and (cls[i] != cls[i - 1] or holder[i] != holder[i - 1]
                          or (has_flags and (flags[i] & F_SELF) != (flags[i - 1] & F_SELF))):
                k += 1
            p_grp[i] = <int32_t>k
    cdef int64_t n_groups = (k + 1) if n else 0
    g_start_a = _prefault(np.empty(n_groups + 1, np.int64))
    g_holder_a = _prefault(np.empty(n_groups, np.int32))
    g_class_a = _prefault(np.empty(n_groups, np.int32))
    cgs_a = np.zeros(n_classes + 1, np.int64)
    cdef int64_t[::1] g_start = g_start_a, cgs = cgs_a
    cdef int32_t[::1] g_holder = g_holder_a, g_class = g_class_a
    row_pair_a = _prefault(np.empty(m, np.int32))
    cdef int32_t[::1] row_pair = row_pair_a
    cdef int64_t n_pairs = 0
    with nogil:
        for i in range(n):
            if i == 0 or p_grp[i] != p_grp[i - 1]:
                g_start[p_grp[i]] = i
                g_holder[p_grp[i]] = holder[i]
                g_class[p_grp[i]] = cls[i]
                cgs[cls[i] + 1] += 1
        if n_groups:
            g_start[n_groups] = n
        for i in range(n_classes):
            cgs[i + 1] += cgs[i]
        for i in range(m):
            if i < rev[i]:
                row_pair[i] = <int32_t>n_pairs
                n_pairs += 1
    pair_row_a = _prefault(np.empty(2 * n_pairs, np.int32))
    cdef int32_t[::1] pair_row = pair_row_a
    with nogil:
        for i in range(m):
            if i < rev[i]:
                pair_row[2 * row_pair[i]] = <int32_t>i
                pair_row[2 * row_pair[i] + 1] = rev[i]
        for i in range(m):
            if i > rev[i]:
                row_pair[i] = row_pair[rev[i]]
    return p_grp_a, g_start_a, g_holder_a, g_class_a, cgs_a, row_pair_a, pair_row_a
