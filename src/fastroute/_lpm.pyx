"""Longest-prefix-match kernel: a poptrie over a bucketed control plane.

Data plane (what lookups read): a poptrie (Asai & Ohara, SIGCOMM 2015).  The
top S=16 bits index a direct-pointing array; below that every internal node
covers 6 address bits with two 64-bit maps: ``vector`` marks children that are
nodes, ``leafvec`` marks where a run of equal leaves starts, so a lookup is a
shift, a mask and a popcount per level into small contiguous arrays.  A
Calico-sized table (thousands of /26) fits in L2.

Control plane (what updates edit): one sorted array of records per top-16-bit
slot (prefixes longer than 16 bits) plus one sorted array of short prefixes.
An update edits its slot's array and marks the slot dirty; the next lookup
rebuilds only the dirty slots' subtrees, appending them to the node and leaf
arrays.  When the garbage left by rebuilds outgrows the live part, everything
is rebuilt compactly.

Keys are 128-bit (hi, lo) words for both families; an IPv4 address ``a`` is
stored as ``hi = a << 32``.  Values are int32 >= 0; -1 means no route.
"""

cimport cython
from cython.parallel cimport prange
from libc.stdint cimport int32_t, int64_t, uint8_t, uint32_t, uint64_t
from libc.stdlib cimport calloc, free, malloc, realloc
from libc.string cimport memcpy, memmove, memset
from cpython.unicode cimport PyUnicode_AsUTF8AndSize
from cpython.pythread cimport (
    NOWAIT_LOCK, WAIT_LOCK, PyThread_acquire_lock, PyThread_allocate_lock, PyThread_free_lock,
    PyThread_get_thread_ident, PyThread_release_lock, PyThread_type_lock,
)

from fastroute._addr cimport (
    PARSE_OK, PARSE_ELENGTH, PARSE_EHOSTBITS, parse_v4, parse_v6, parse_prefix_v4, parse_prefix_v6,
    format_prefix_text, mask_hi, mask_lo,
)

import operator

import numpy as np

cdef extern from *:
    """
    static inline int fr_popcount64(unsigned long long x) { return __builtin_popcountll(x); }
    static inline int fr_ctz64(unsigned long long x) { return __builtin_ctzll(x); }
    static inline void fr_prefetch(const void* p) { __builtin_prefetch(p, 0, 3); }
    """
    void fr_prefetch(const void* p) noexcept nogil
    int fr_popcount64(unsigned long long x) noexcept nogil
    int fr_ctz64(unsigned long long x) noexcept nogil


# ---------------------------------------------------------------- structures

ctypedef struct node_t:
    uint64_t vector     # bit j: child j is a node
    uint64_t leafvec    # bit j: a run of equal leaves starts at child j
    uint32_t base0      # index of this node's first leaf
    uint32_t base1      # index of this node's first child node

ctypedef struct rec_t:
    uint64_t hi
    uint64_t lo
    int32_t value
    uint8_t plen

ctypedef struct bucket_t:
    rec_t* recs
    int32_t n
    int32_t cap

cdef enum:
    S = 16              # direct-pointing bits
    NSLOTS = 65536      # 2**S slots
    K = 6               # address bits per poptrie node
    MAX_CHANGES = 64    # changed long prefixes logged between two syncs
    DIRTY_FULL = 1      # dirty_mark: rebuild the slot's whole subtree
    DIRTY_PATHS = 2     # dirty_mark: rebuild only the logged changes' paths
# slots holding fewer records are rebuilt whole (cheap enough); see _tune
cdef Py_ssize_t path_min = 256
cdef uint32_t LEAF = 0x80000000u


# ---------------------------------------------------------------- key helpers

cdef inline uint32_t chunk(uint64_t hi, uint64_t lo, int off, int k) noexcept nogil:
    """Bits [off, off+k) of the 128-bit key, most significant first, zero past bit 128."""
    cdef uint64_t x
    if off == 0:
        x = hi
    elif off < 64:
        x = (hi << off) | (lo >> (64 - off))
    else:
        x = lo << (off - 64)
    return <uint32_t>(x >> (64 - k))


cdef inline int rec_cmp(const rec_t* r, uint64_t hi, uint64_t lo, int plen) noexcept nogil:
    # address order: network, then shorter prefix first
    if r.hi != hi:
        return -1 if r.hi < hi else 1
    if r.lo != lo:
        return -1 if r.lo < lo else 1
    if r.plen != plen:
        return -1 if r.plen < plen else 1
    return 0


cdef inline Py_ssize_t rec_search(const rec_t* recs, Py_ssize_t n, uint64_t hi, uint64_t lo,
                                  int plen, bint* found) noexcept nogil:
    """Index of the record equal to the key, or of the first greater one."""
    cdef Py_ssize_t a = 0, b = n, m
    cdef int c
    while a < b:
        m = (a + b) >> 1
        c = rec_cmp(&recs[m], hi, lo, plen)
        if c < 0:
            a = m + 1
        elif c > 0:
            b = m
        else:
            found[0] = True
            return m
    found[0] = False
    return a


cdef inline bint rec_covers(const rec_t* outer, const rec_t* inner) noexcept nogil:
    if inner.plen < outer.plen:
        return False
    return ((inner.hi & mask_hi(outer.plen)) == outer.hi
            and (inner.lo & mask_lo(outer.plen)) == outer.lo)


# ---------------------------------------------------------------- lookups

cdef inline int32_t lookup4(const uint32_t* direct, const node_t* nodes, const int32_t* leaves,
                            uint32_t a) noexcept nogil:
    cdef uint32_t d = direct[a >> 16]
    cdef const node_t* nd
    cdef uint32_t off, v
    if d & 0x80000000u:
        return <int32_t>(d & 0x7FFFFFFFu) - 1
    nd = &nodes[d]
    off = 16
    v = (a << 16) >> 26
    while (nd.vector >> v) & 1:
        nd = &nodes[nd.base1 + <uint32_t>fr_popcount64(nd.vector & ((<uint64_t>2 << v) - 1)) - 1]
        off += 6
        v = (a << off) >> 26
    return leaves[nd.base0 + <uint32_t>fr_popcount64(nd.leafvec & ((<uint64_t>2 << v) - 1)) - 1]


cdef enum:
    CHUNK = 2048        # addresses per batch chunk (two passes over it stay in L1)
    GROUP = 8          # IPv6 lookups walked in lockstep in the second pass


cdef void lookup4_chunk(const uint32_t* direct, const node_t* nodes, const int32_t* leaves,
                        const uint32_t[:] a, int32_t[::1] out,
                        Py_ssize_t start, Py_ssize_t end) noexcept nogil:
    """Batch IPv4 lookups in two passes.  Pass 1 resolves every address that
    ends in the direct array and queues the rest without a branch; pass 2
    walks the queued ones.  In a mixed batch the leaf-or-node test is a coin
    flip the CPU cannot predict: splitting the passes takes it out of the loop."""
    cdef uint32_t dq[CHUNK]
    cdef int32_t iq[CHUNK]
    cdef Py_ssize_t i, k = 0, j
    cdef uint32_t d, addr, v, off
    cdef const node_t* nd
    for i in range(start, end):
        d = direct[a[i] >> 16]
        out[i] = <int32_t>(d & 0x7FFFFFFFu) - 1
        dq[k] = d
        iq[k] = <int32_t>(i - start)
        k += (d >> 31) ^ 1
    for j in range(k):
        i = start + iq[j]
        addr = a[i]
        nd = &nodes[dq[j]]
        off = 16
        v = (addr << 16) >> 26
        while (nd.vector >> v) & 1:
            nd = &nodes[nd.base1 + <uint32_t>fr_popcount64(nd.vector & ((<uint64_t>2 << v) - 1)) - 1]
            off += 6
            v = (addr << off) >> 26
        out[i] = leaves[nd.base0 + <uint32_t>fr_popcount64(nd.leafvec & ((<uint64_t>2 << v) - 1)) - 1]


cdef void lookup6_chunk(const uint32_t* direct, const node_t* nodes, const int32_t* leaves,
                        const uint64_t[:, :] a, int32_t[::1] out,
                        Py_ssize_t start, Py_ssize_t end) noexcept nogil:
    """IPv6 counterpart of lookup4_chunk."""
    cdef uint32_t dq[CHUNK]
    cdef int32_t iq[CHUNK]
    cdef uint32_t cur[GROUP]
    cdef int offs[GROUP]
    cdef uint64_t lhi[GROUP]
    cdef uint64_t llo[GROUP]
    cdef Py_ssize_t i, k = 0, j, g0, m, l, active
    cdef uint32_t d, v
    cdef int off
    cdef uint64_t hi, lo
    cdef const node_t* nd
    for i in range(start, end):
        d = direct[a[i, 0] >> 48]
        out[i] = <int32_t>(d & 0x7FFFFFFFu) - 1
        dq[k] = d
        iq[k] = <int32_t>(i - start)
        k += (d >> 31) ^ 1
    # pass 2: IPv6 walks are long (a /48 is six nodes deep), so walk GROUP
    # lookups in lockstep and prefetch each lane's next node: their cache
    # misses overlap instead of queueing behind one another
    g0 = 0
    while g0 < k:
        m = k - g0 if k - g0 < GROUP else GROUP
        for l in range(m):
            cur[l] = dq[g0 + l]
            offs[l] = 16
            i = start + iq[g0 + l]
            lhi[l] = a[i, 0]
            llo[l] = a[i, 1]
            fr_prefetch(&nodes[cur[l]])
        active = m
        while active:
            for l in range(m):
                if offs[l] == 0:
                    continue
                nd = &nodes[cur[l]]
                v = chunk(lhi[l], llo[l], offs[l], 6)
                if (nd.vector >> v) & 1:
                    cur[l] = nd.base1 + <uint32_t>fr_popcount64(nd.vector & ((<uint64_t>2 << v) - 1)) - 1
                    offs[l] += 6
                    fr_prefetch(&nodes[cur[l]])
                else:
                    out[start + iq[g0 + l]] = leaves[
                        nd.base0 + <uint32_t>fr_popcount64(nd.leafvec & ((<uint64_t>2 << v) - 1)) - 1]
                    offs[l] = 0
                    active -= 1
        g0 += GROUP


cdef inline void lookup_chunk(const uint32_t* direct, const node_t* nodes, const int32_t* leaves,
                              const uint32_t[:] a4, const uint64_t[:, :] a6, int32_t[::1] out,
                              Py_ssize_t start, Py_ssize_t end) noexcept nogil:
    """One chunk of a batch: IPv6 when `a6` holds the addresses, else IPv4."""
    if a6.shape[0]:
        lookup6_chunk(direct, nodes, leaves, a6, out, start, end)
    else:
        lookup4_chunk(direct, nodes, leaves, a4, out, start, end)


# stand-ins for the family a batch does not use
_NO_ADDRS4 = np.empty(0, dtype=np.uint32)
_NO_ADDRS6 = np.empty((0, 2), dtype=np.uint64)


def _tune(int min_path_records):
    """Slots with at least this many records rebuild only the paths of changed
    prefixes (tests lower it to exercise that on small tables); returns the old value."""
    global path_min
    old = path_min
    path_min = min_path_records
    return old


def _describe(arr):
    """What an array argument is, for an error message."""
    if not isinstance(arr, np.ndarray):
        return f"a {type(arr).__name__}, not a numpy array"
    layout = "" if arr.flags.c_contiguous else ", not C-contiguous"
    access = "" if arr.flags.writeable else ", read-only"
    return f"dtype {arr.dtype}, shape {arr.shape}{layout}{access}"


cdef inline int32_t lookup6(const uint32_t* direct, const node_t* nodes, const int32_t* leaves,
                            uint64_t hi, uint64_t lo) noexcept nogil:
    cdef uint32_t d = direct[hi >> 48]
    cdef const node_t* nd
    cdef int off
    cdef uint32_t v
    if d & 0x80000000u:
        return <int32_t>(d & 0x7FFFFFFFu) - 1
    nd = &nodes[d]
    off = 16
    v = chunk(hi, lo, off, 6)
    while (nd.vector >> v) & 1:
        nd = &nodes[nd.base1 + <uint32_t>fr_popcount64(nd.vector & ((<uint64_t>2 << v) - 1)) - 1]
        off += 6
        v = chunk(hi, lo, off, 6)
    return leaves[nd.base0 + <uint32_t>fr_popcount64(nd.leafvec & ((<uint64_t>2 << v) - 1)) - 1]


# ---------------------------------------------------------------- batch keys

cdef object format_key(int width, uint64_t hi, uint64_t lo, int plen):
    cdef char buf[64]
    cdef Py_ssize_t n = format_prefix_text(width, hi, lo, plen, buf)
    return buf[:n].decode("ascii")


def format_prefix(network, int plen):
    """Text of a prefix given as an int network (IPv4) or an IPv6 (hi, lo) pair."""
    if isinstance(network, (int, np.integer)):
        return format_key(32, (<uint64_t>(<uint32_t>network)) << 32, 0, plen)
    return format_key(128, <uint64_t>network[0], <uint64_t>network[1], plen)


def key_words(int width, nets):
    """A batch's networks as two contiguous uint64 arrays: the upper and the
    lower 64 bits of the 128-bit key (an IPv4 address sits in the top 32)."""
    if width == 32:
        hi = np.ascontiguousarray(nets, dtype=np.uint64) << np.uint64(32)
        return hi, np.zeros(len(hi), np.uint64)
    nets = np.asarray(nets, dtype=np.uint64).reshape(-1, 2)
    return np.ascontiguousarray(nets[:, 0]), np.ascontiguousarray(nets[:, 1])


def validate_batch(int version, nets, const uint8_t[:] lengths, const int64_t[:] values, bint strict):
    """(status, bad_index) for a batch of prefixes: ST_OK and -1, the first
    ST_PLEN, ST_HOSTBITS or ST_VALUE and its index, or ST_BATCH_SHAPE and -1."""
    cdef int width = 32 if version == 4 else 128
    cdef Py_ssize_t i, n = lengths.shape[0]
    cdef int plen
    cdef uint64_t hi, lo
    cdef bint has_values = values.shape[0] > 0
    cdef int st = ST_OK
    cdef const uint64_t[::1] H, L
    H, L = key_words(width, nets)
    if H.shape[0] != n or (has_values and values.shape[0] != n):
        return ST_BATCH_SHAPE, -1
    with nogil:
        for i in range(n):
            plen = lengths[i]
            if plen > width:
                st = ST_PLEN
                break
            hi = H[i]
            lo = L[i]
            if strict and ((hi & ~mask_hi(plen)) or (lo & ~mask_lo(plen))):
                st = ST_HOSTBITS
                break
            if has_values and (values[i] < 0 or values[i] > MAX_VALUE):
                st = ST_VALUE
                break
    if st != ST_OK:
        return st, i
    return ST_OK, -1


# ---------------------------------------------------------------- the table

cdef class LpmTable:
    """The LPM core; see :class:`fastroute.Fib` for the documented API."""

    cdef readonly int version
    cdef int width                 # 32 or 128
    # data plane
    cdef uint32_t* direct
    cdef node_t* nodes
    cdef Py_ssize_t n_nodes, cap_nodes
    cdef int32_t* leaves
    cdef Py_ssize_t n_leaves, cap_leaves
    cdef Py_ssize_t live_nodes, live_leaves   # reachable from `direct`
    # control plane
    cdef bucket_t* buckets
    cdef rec_t* short_recs                    # prefixes of length <= S
    cdef Py_ssize_t n_short, cap_short
    cdef Py_ssize_t n_prefixes
    cdef int64_t by_len[129]                  # prefix count per length
    # dirty tracking
    cdef uint8_t* dirty_mark
    cdef int32_t* dirty_list
    cdef Py_ssize_t n_dirty
    cdef bint all_dirty
    cdef rec_t changes[MAX_CHANGES]           # prefixes longer than S changed since the last sync
    cdef Py_ssize_t n_changes
    cdef bint changes_lost                    # more changes than the log holds
    # threads (see "Threads" in fastroute.Fib's docstring)
    cdef PyThread_type_lock lock              # held by writers, rebuilds and control-plane readers
    cdef unsigned long owner                  # thread holding `lock` (0: none)
    cdef bint rebuilding                      # a rebuild of the data plane runs without the GIL
    cdef bint writing                         # a batch change runs without the GIL
    cdef int readers                          # batch lookups running without the GIL

    def __cinit__(self, int version=4):
        if version != 4 and version != 6:
            self._fail(ST_VERSION, version)
        self.version = version
        self.width = 32 if version == 4 else 128
        self.direct = <uint32_t*>malloc(NSLOTS * sizeof(uint32_t))
        self.buckets = <bucket_t*>calloc(NSLOTS, sizeof(bucket_t))
        self.dirty_mark = <uint8_t*>calloc(NSLOTS, 1)
        self.dirty_list = <int32_t*>malloc(NSLOTS * sizeof(int32_t))
        if not self.direct or not self.buckets or not self.dirty_mark or not self.dirty_list:
            self._fail(ST_NOMEM)
        cdef Py_ssize_t i
        for i in range(NSLOTS):
            self.direct[i] = LEAF          # value -1: no route
        self.n_nodes = self.cap_nodes = 0
        self.n_leaves = self.cap_leaves = 0
        self.nodes = NULL
        self.leaves = NULL
        self.short_recs = NULL
        self.n_short = self.cap_short = 0
        self.n_prefixes = 0
        memset(self.by_len, 0, sizeof(self.by_len))
        self.n_dirty = 0
        self.all_dirty = False
        self.n_changes = 0
        self.changes_lost = False
        self.readers = 0
        self.rebuilding = False
        self.writing = False
        self.owner = 0
        self.lock = PyThread_allocate_lock()
        if self.lock == NULL or self._add_sentinel() != ST_OK:
            self._fail(ST_NOMEM)

    def __dealloc__(self):
        cdef Py_ssize_t i
        if self.buckets != NULL:
            for i in range(NSLOTS):
                free(self.buckets[i].recs)
        free(self.buckets)
        free(self.direct)
        free(self.nodes)
        free(self.leaves)
        free(self.short_recs)
        free(self.dirty_mark)
        free(self.dirty_list)
        if self.lock != NULL:
            PyThread_free_lock(self.lock)

    # ------------------------------------------------------------ key parsing (Python edge)

    cdef int _parse_key(self, object key, uint64_t* hi, uint64_t* lo, int* plen,
                        bint strict) except -1:
        """Turn a prefix key (str, (network, length) tuple, int, ipaddress object) into words."""
        cdef const char* s
        cdef Py_ssize_t n
        cdef uint32_t a4
        cdef int rc
        if type(key) is str:
            s = PyUnicode_AsUTF8AndSize(key, &n)
            if self.width == 32:
                rc = parse_prefix_v4(s, n, strict, &a4, plen)
                hi[0] = (<uint64_t>a4) << 32
                lo[0] = 0
            else:
                rc = parse_prefix_v6(s, n, strict, hi, lo, plen)
            if rc == PARSE_ELENGTH:
                return self._fail(ST_PREFIX_LENGTH, key)
            if rc == PARSE_EHOSTBITS:
                return self._fail(ST_PREFIX_HOSTBITS, key)
            if rc != PARSE_OK:
                return self._fail(ST_PREFIX_SYNTAX, key)
            return 0
        if isinstance(key, tuple):
            if len(key) != 2:
                return self._fail(ST_TUPLE_ARITY, key)
            net, length = key
            if not isinstance(length, int) or isinstance(length, bool):
                return self._fail(ST_TUPLE_LENGTH, key, length)
            if length < 0 or length > self.width:
                return self._fail(ST_TUPLE_RANGE, key)
            self._parse_addr(net, hi, lo)
            plen[0] = length
            if (hi[0] & ~mask_hi(length)) or (lo[0] & ~mask_lo(length)):
                if strict:
                    return self._fail(ST_TUPLE_HOSTBITS, key, length)
                hi[0] &= mask_hi(length)
                lo[0] &= mask_lo(length)
            return 0
        if isinstance(key, int) and not isinstance(key, bool):
            self._parse_addr(key, hi, lo)
            plen[0] = self.width
            return 0
        # ipaddress objects and anything else with a text form of a network
        mod = type(key).__module__
        if mod == "ipaddress":
            if getattr(key, "version", None) != self.version:
                return self._fail(ST_KEY_FAMILY, key, getattr(key, "version", "?"))
            if hasattr(key, "network_address"):
                return self._parse_key(str(key.network_address) + "/" + str(key.prefixlen),
                                       hi, lo, plen, strict)
            if hasattr(key, "packed"):
                return self._parse_key(int(key), hi, lo, plen, strict)
        return self._fail(ST_KEY_TYPE, key)

    cdef int _parse_addr(self, object addr, uint64_t* hi, uint64_t* lo) except -1:
        cdef const char* s
        cdef Py_ssize_t n
        cdef uint32_t a4
        cdef int rc
        if type(addr) is str:
            s = PyUnicode_AsUTF8AndSize(addr, &n)
            if self.width == 32:
                rc = parse_v4(s, n, &a4)
                hi[0] = (<uint64_t>a4) << 32
                lo[0] = 0
            else:
                rc = parse_v6(s, n, hi, lo)
            if rc != PARSE_OK:
                return self._fail(ST_ADDR_SYNTAX, addr)
            return 0
        if isinstance(addr, int) and not isinstance(addr, bool):
            if addr < 0 or addr >= (1 << <object>self.width):
                return self._fail(ST_ADDR_RANGE, addr)
            if self.width == 32:
                hi[0] = (<uint64_t>(<uint32_t>addr)) << 32
                lo[0] = 0
            else:
                hi[0] = <uint64_t>(addr >> 64)
                lo[0] = <uint64_t>(addr & 0xFFFFFFFFFFFFFFFF)
            return 0
        if type(addr).__module__ == "ipaddress" and hasattr(addr, "packed"):
            if addr.version != self.version:
                return self._fail(ST_ADDR_FAMILY, addr, addr.version)
            return self._parse_addr(int(addr), hi, lo)
        if isinstance(addr, (bytes, bytearray)) and len(addr) == self.width // 8:
            return self._parse_addr(int.from_bytes(addr, "big"), hi, lo)
        return self._fail(ST_ADDR_TYPE, addr)

    cdef int _fail(self, int status, object subject=None, object detail=None) except -1:
        """Raise the exception for `status`: the one code -> exception table is the
        wrapper's ``_raise_status`` (fastroute.fib), so no message is written here."""
        self._raise_status(status, subject, detail)
        return -1

    cdef object _format(self, uint64_t hi, uint64_t lo, int plen):
        return format_key(self.width, hi, lo, plen)

    cdef object _addr_int(self, uint64_t hi, uint64_t lo):
        if self.width == 32:
            return <uint32_t>(hi >> 32)
        return ((<object>hi) << 64) | <object>lo

    # ------------------------------------------------------------ control plane

    # ------------------------------------------------------------ threads
    #
    # One lock orders everything but the lookups: writers, rebuilds of the data
    # plane and readers of the control plane hold it.  The data plane changes
    # only in a rebuild, which runs with the lock held and `rebuilding` set
    # (both under the GIL), so a lookup that finds the table clean and no
    # rebuild running reads it without the lock; otherwise it takes the lock
    # and rebuilds first (double-checked: whoever comes second finds it clean).
    # A batch lookup counts itself in `readers` for as long as its kernel runs
    # without the GIL; a writer finding readers refuses with ST_BUSY.  Only
    # batch changes edit the control plane without the GIL (flagged by
    # `writing`), so an exact-match query holding the GIL takes the lock only
    # while one runs.

    cdef int _acquire(self) except -1:
        """Take the table lock, waiting with the GIL released (its holder may need the GIL)."""
        cdef unsigned long me = PyThread_get_thread_ident()
        if not PyThread_acquire_lock(self.lock, NOWAIT_LOCK):
            if self.owner == me:
                return self._fail(ST_REENTRANT)
            with nogil:
                PyThread_acquire_lock(self.lock, WAIT_LOCK)
        self.owner = me
        return 0

    cdef inline void _release(self) noexcept:
        self.owner = 0
        PyThread_release_lock(self.lock)

    cdef int _begin_write(self) except -1:
        """Take the lock for a modification; ST_BUSY while a batch lookup runs."""
        self._acquire()
        if self.readers:
            self._release()
            return self._fail(ST_BUSY)
        return 0

    cdef int _sync_locked(self) except -1:
        """Bring the data plane up to date (the caller holds the lock)."""
        cdef int rc = ST_OK
        if self.n_dirty or self.all_dirty:
            self.rebuilding = True
            with nogil:
                rc = self._sync()
            self.rebuilding = False
            if rc != ST_OK:
                return self._fail(ST_NOMEM)
        return 0

    cdef inline int _read_begin(self) except -1:
        """Before a control-plane read under the GIL: 1 if it took the lock."""
        if self.writing:
            self._acquire()
            return 1
        return 0

    cdef inline void _read_end(self, int locked) noexcept:
        if locked:
            self._release()

    cdef inline bint _clean(self) noexcept:
        """True when a lookup may read the data plane without the lock (GIL held)."""
        return not (self.n_dirty or self.all_dirty or self.rebuilding)

    cdef void _mark(self, uint64_t hi, uint64_t lo, int plen) noexcept nogil:
        """Note a changed prefix: its slots need rebuilding.  A prefix longer
        than S changes one path below its slot's root, so it is also logged
        (while the log has room) for _sync to rebuild just that path."""
        cdef uint32_t first = <uint32_t>(hi >> 48)
        cdef uint32_t count, t
        cdef uint8_t how = DIRTY_FULL
        if self.all_dirty:
            return
        if plen > S:
            count = 1
            if self.n_changes < MAX_CHANGES:
                self.changes[self.n_changes].hi = hi
                self.changes[self.n_changes].lo = lo
                self.changes[self.n_changes].plen = <uint8_t>plen
                self.n_changes += 1
                how = DIRTY_PATHS
            else:
                self.changes_lost = True
        elif plen == S:
            count = 1
        else:
            count = (<uint32_t>1) << (S - plen)
        if count > 4096 or self.n_dirty + count > 4096:
            self.all_dirty = True
            return
        for t in range(first, first + count):
            if not self.dirty_mark[t]:
                self.dirty_mark[t] = how
                self.dirty_list[self.n_dirty] = <int32_t>t
                self.n_dirty += 1
            elif how == DIRTY_FULL:
                self.dirty_mark[t] = DIRTY_FULL

    cdef int _insert(self, uint64_t hi, uint64_t lo, int plen, int32_t value) noexcept nogil:
        """Insert or replace one record; ST_OK or ST_NOMEM (table unchanged)."""
        cdef rec_t** arr
        cdef Py_ssize_t* pn
        cdef Py_ssize_t n, cap, i
        cdef bucket_t* b
        cdef bint found
        cdef rec_t* grown
        if plen <= S:
            i = rec_search(self.short_recs, self.n_short, hi, lo, plen, &found)
            if found:
                if self.short_recs[i].value != value:
                    self.short_recs[i].value = value
                    self._mark(hi, lo, plen)
                return ST_OK
            if self.n_short == self.cap_short:
                cap = 16 if self.cap_short == 0 else self.cap_short * 2
                grown = <rec_t*>realloc(self.short_recs, cap * sizeof(rec_t))
                if grown == NULL:
                    return ST_NOMEM
                self.short_recs = grown
                self.cap_short = cap
            memmove(&self.short_recs[i + 1], &self.short_recs[i], (self.n_short - i) * sizeof(rec_t))
            self.n_short += 1
            self._set_rec(&self.short_recs[i], hi, lo, plen, value)
        else:
            b = &self.buckets[hi >> 48]
            i = rec_search(b.recs, b.n, hi, lo, plen, &found)
            if found:
                if b.recs[i].value != value:
                    b.recs[i].value = value
                    self._mark(hi, lo, plen)
                return ST_OK
            if b.n == b.cap:
                cap = 4 if b.cap == 0 else b.cap + (b.cap >> 1) + 1
                grown = <rec_t*>realloc(b.recs, cap * sizeof(rec_t))
                if grown == NULL:
                    return ST_NOMEM
                b.recs = grown
                b.cap = <int32_t>cap
            memmove(&b.recs[i + 1], &b.recs[i], (b.n - i) * sizeof(rec_t))
            b.n += 1
            self._set_rec(&b.recs[i], hi, lo, plen, value)
        self.n_prefixes += 1
        self.by_len[plen] += 1
        self._mark(hi, lo, plen)
        return ST_OK

    cdef inline void _set_rec(self, rec_t* r, uint64_t hi, uint64_t lo, int plen, int32_t value) noexcept nogil:
        r.hi = hi
        r.lo = lo
        r.plen = <uint8_t>plen
        r.value = value

    cdef bint _delete(self, uint64_t hi, uint64_t lo, int plen) noexcept nogil:
        cdef Py_ssize_t i
        cdef bint found
        cdef bucket_t* b
        if plen <= S:
            i = rec_search(self.short_recs, self.n_short, hi, lo, plen, &found)
            if not found:
                return False
            memmove(&self.short_recs[i], &self.short_recs[i + 1],
                    (self.n_short - i - 1) * sizeof(rec_t))
            self.n_short -= 1
        else:
            b = &self.buckets[hi >> 48]
            i = rec_search(b.recs, b.n, hi, lo, plen, &found)
            if not found:
                return False
            memmove(&b.recs[i], &b.recs[i + 1], (b.n - i - 1) * sizeof(rec_t))
            b.n -= 1
            if b.n == 0:
                free(b.recs)
                b.recs = NULL
                b.cap = 0
        self.n_prefixes -= 1
        self.by_len[plen] -= 1
        self._mark(hi, lo, plen)
        return True

    cdef const rec_t* _find(self, uint64_t hi, uint64_t lo, int plen) noexcept nogil:
        cdef Py_ssize_t i
        cdef bint found
        cdef bucket_t* b
        if plen <= S:
            i = rec_search(self.short_recs, self.n_short, hi, lo, plen, &found)
            return &self.short_recs[i] if found else NULL
        b = &self.buckets[hi >> 48]
        i = rec_search(b.recs, b.n, hi, lo, plen, &found)
        return &b.recs[i] if found else NULL

    cdef const rec_t* _match(self, uint64_t hi, uint64_t lo, int maxlen) noexcept nogil:
        """The longest stored prefix of length <= maxlen that covers the address."""
        cdef int plen
        cdef const rec_t* r
        for plen in range(maxlen, -1, -1):
            if self.by_len[plen] == 0:
                continue
            r = self._find(hi & mask_hi(plen), lo & mask_lo(plen), plen)
            if r != NULL:
                return r
        return NULL

    # ------------------------------------------------------------ data plane build

    cdef int _reserve_nodes(self, Py_ssize_t extra) noexcept nogil:
        return grow_array(<void**>&self.nodes, &self.cap_nodes, self.n_nodes + extra, sizeof(node_t), 64)

    cdef int _reserve_leaves(self, Py_ssize_t extra) noexcept nogil:
        return grow_array(<void**>&self.leaves, &self.cap_leaves, self.n_leaves + extra, sizeof(int32_t), 256)

    cdef void _scan_node(self, const rec_t* recs, Py_ssize_t lo, Py_ssize_t hi, int depth,
                         int32_t dflt, int32_t* vals, int32_t* child_lo, int32_t* child_hi,
                         uint64_t* vector) noexcept nogil:
        """The 64 child values of a node over recs[lo:hi] (all longer than
        `depth`, inside the node's range) and which children are nodes, over
        which records.  A child's records are found by galloping search, so a
        node costs O(64 log n), not O(n), however many records lie below it."""
        cdef Py_ssize_t i = lo, k, step, a, b, m
        cdef uint32_t j, c, span
        vector[0] = 0
        for c in range(64):
            vals[c] = dflt
        while i < hi:
            j = chunk(recs[i].hi, recs[i].lo, depth, K)
            if recs[i].plen <= depth + K:
                # expand into the children it covers; containers come first in
                # address order, so more specific prefixes overwrite them
                span = (<uint32_t>1) << (depth + K - recs[i].plen)
                for c in range(j, j + span):
                    vals[c] = recs[i].value
                i += 1
                continue
            # the child's records (sorted, so their chunks never decrease) end at
            # the first record of a later chunk: gallop, then bisect
            a = i + 1
            step = 1
            while a < hi and chunk(recs[a].hi, recs[a].lo, depth, K) == j:
                a = i + 1 + step
                step <<= 1
            b = a if a < hi else hi
            a = i + 1 + (step >> 2) if step > 1 else i + 1
            while a < b:
                m = (a + b) >> 1
                if chunk(recs[m].hi, recs[m].lo, depth, K) == j:
                    a = m + 1
                else:
                    b = m
            k = a
            vector[0] |= (<uint64_t>1) << j
            child_lo[j] = <int32_t>i
            child_hi[j] = <int32_t>k
            i = k

    cdef int _put_leaves(self, const int32_t* vals, uint64_t vector, uint64_t* leafvec,
                         Py_ssize_t* base0, Py_ssize_t reuse_at, Py_ssize_t reuse_room) noexcept nogil:
        """Store the leaves of a node with these child values: one per run of
        equal values among the leaf children (node children neither start nor
        break a run; computed without branches).  They overwrite the `reuse_room`
        leaves at `reuse_at` when they fit, else they are appended."""
        cdef uint64_t lv = 0, bits
        cdef uint32_t c, isleaf, bit, first = 1
        cdef int32_t prev = 0
        cdef Py_ssize_t nleaf, w
        for c in range(64):
            isleaf = <uint32_t>(((~vector) >> c) & 1)
            bit = isleaf & (first | <uint32_t>(vals[c] != prev))
            lv |= (<uint64_t>bit) << c
            prev = vals[c] if isleaf else prev
            first = first & (isleaf ^ 1)
        nleaf = fr_popcount64(lv)
        if nleaf <= reuse_room:
            w = reuse_at
        else:
            if self._reserve_leaves(nleaf) != ST_OK:
                return ST_NOMEM
            w = self.n_leaves
            self.n_leaves += nleaf
        base0[0] = w
        bits = lv
        while bits:
            self.leaves[w] = vals[fr_ctz64(bits)]
            w += 1
            bits &= bits - 1
        leafvec[0] = lv
        return ST_OK

    cdef int _build_node(self, Py_ssize_t idx, const rec_t* recs, Py_ssize_t lo, Py_ssize_t hi,
                         int depth, int32_t dflt) noexcept nogil:
        """Fill nodes[idx] for the records recs[lo:hi], all longer than `depth`,
        all inside the 2**(width-depth) range this node covers; `dflt` is the
        value of the longest shorter prefix covering the range."""
        cdef int32_t vals[64]
        cdef int32_t child_lo[64]
        cdef int32_t child_hi[64]
        cdef uint64_t vector, leafvec, bits
        cdef Py_ssize_t base1, base0
        cdef uint32_t c
        cdef int rc, rank
        self._scan_node(recs, lo, hi, depth, dflt, vals, child_lo, child_hi, &vector)
        if self._put_leaves(vals, vector, &leafvec, &base0, 0, -1) != ST_OK:
            return ST_NOMEM
        rank = fr_popcount64(vector)
        if self._reserve_nodes(rank) != ST_OK:
            return ST_NOMEM
        base1 = self.n_nodes
        self.n_nodes += rank
        self.nodes[idx].vector = vector
        self.nodes[idx].leafvec = leafvec
        self.nodes[idx].base0 = <uint32_t>base0
        self.nodes[idx].base1 = <uint32_t>base1
        self.live_nodes += 1
        self.live_leaves += fr_popcount64(leafvec)
        rank = 0
        bits = vector
        while bits:
            c = fr_ctz64(bits)
            rc = self._build_node(base1 + rank, recs, child_lo[c], child_hi[c], depth + K, vals[c])
            if rc != ST_OK:
                return rc
            rank += 1
            bits &= bits - 1
        return ST_OK

    cdef int _rebuild_path(self, Py_ssize_t idx, const rec_t* recs, Py_ssize_t lo, Py_ssize_t hi,
                           int depth, int32_t dflt, const rec_t* key) noexcept nogil:
        """Bring nodes[idx], built for an older version of recs[lo:hi], up to
        date after `key` changed below it, in place: only the nodes on the
        key's path are rebuilt (with the subtrees the key covers, whose leaves
        carry its value); every other child keeps its subtree.  No lookup runs
        meanwhile (the caller holds the table's lock)."""
        cdef int32_t vals[64]
        cdef int32_t child_lo[64]
        cdef int32_t child_hi[64]
        cdef uint64_t vector, leafvec, old_vector, bits
        cdef Py_ssize_t base0, base1, old_base1, p
        cdef uint32_t c, kc, kspan
        cdef int rc, rank, old_nleaf
        cdef node_t old = self.nodes[idx]
        self._scan_node(recs, lo, hi, depth, dflt, vals, child_lo, child_hi, &vector)
        old_nleaf = fr_popcount64(old.leafvec)
        if self._put_leaves(vals, vector, &leafvec, &base0, old.base0, old_nleaf) != ST_OK:
            return ST_NOMEM
        self.live_leaves += fr_popcount64(leafvec) - old_nleaf
        # the children the key reaches: one it lies inside, or the ones it covers
        kc = chunk(key.hi, key.lo, depth, K)
        kspan = 1
        if key.plen <= depth + K:
            kspan = (<uint32_t>1) << (depth + K - key.plen)
        old_vector = old.vector
        old_base1 = old.base1
        if vector == old_vector:
            base1 = old_base1
        else:
            # a child node came or went: a new block of children, the kept ones moved
            rank = fr_popcount64(vector)
            if self._reserve_nodes(rank) != ST_OK:
                return ST_NOMEM
            base1 = self.n_nodes
            self.n_nodes += rank
            bits = old_vector
            while bits:
                c = fr_ctz64(bits)
                p = old_base1 + fr_popcount64(old_vector & ((<uint64_t>2 << c) - 1)) - 1
                if (vector >> c) & 1:
                    self.nodes[base1 + fr_popcount64(vector & ((<uint64_t>2 << c) - 1)) - 1] = self.nodes[p]
                else:
                    self._drop_subtree(p)
                bits &= bits - 1
        self.nodes[idx].vector = vector
        self.nodes[idx].leafvec = leafvec
        self.nodes[idx].base0 = <uint32_t>base0
        self.nodes[idx].base1 = <uint32_t>base1
        rank = 0
        bits = vector
        while bits:
            c = fr_ctz64(bits)
            p = base1 + rank
            rank += 1
            bits &= bits - 1
            if not (old_vector >> c) & 1:
                rc = self._build_node(p, recs, child_lo[c], child_hi[c], depth + K, vals[c])
            elif c < kc or c >= kc + kspan:
                continue                    # off the key's path: unchanged
            elif key.plen > depth + K:
                rc = self._rebuild_path(p, recs, child_lo[c], child_hi[c], depth + K, vals[c], key)
            else:
                # covered by the key: every leaf below may carry its value
                self._drop_subtree(p)
                rc = self._build_node(p, recs, child_lo[c], child_hi[c], depth + K, vals[c])
            if rc != ST_OK:
                return rc
        return ST_OK

    cdef void _shrink(self) noexcept nogil:
        """Give back the doubling slack after a compact rebuild (keep 1/8 headroom
        for the subtrees that later updates append)."""
        cdef Py_ssize_t want
        cdef node_t* n2
        cdef int32_t* l2
        want = self.n_nodes + (self.n_nodes >> 3) + 64
        if want < self.cap_nodes:
            n2 = <node_t*>realloc(self.nodes, want * sizeof(node_t))
            if n2 != NULL:
                self.nodes = n2
                self.cap_nodes = want
        want = self.n_leaves + (self.n_leaves >> 3) + 256
        if want < self.cap_leaves:
            l2 = <int32_t*>realloc(self.leaves, want * sizeof(int32_t))
            if l2 != NULL:
                self.leaves = l2
                self.cap_leaves = want

    cdef int _add_sentinel(self) noexcept nogil:
        """Node 0: no children, one leaf (leaves[0] = -1).  Branch-free lookups
        park finished walks there; no slot ever points at it."""
        if self._reserve_nodes(1) != ST_OK or self._reserve_leaves(1) != ST_OK:
            return ST_NOMEM
        self.nodes[0].vector = 0
        self.nodes[0].leafvec = 1
        self.nodes[0].base0 = 0
        self.nodes[0].base1 = 0
        self.leaves[0] = -1
        self.n_nodes = 1
        self.n_leaves = 1
        return ST_OK

    cdef int32_t _slot_default(self, uint32_t t) noexcept nogil:
        """Value of the longest short prefix (length <= S) covering slot t, or -1."""
        cdef uint64_t hi = (<uint64_t>t) << 48
        cdef int plen
        cdef const rec_t* r
        cdef Py_ssize_t i
        cdef bint found
        for plen in range(S, -1, -1):
            if self.by_len[plen] == 0:
                continue
            i = rec_search(self.short_recs, self.n_short, hi & mask_hi(plen), 0, plen, &found)
            if found:
                return self.short_recs[i].value
        return -1

    cdef int _build_slot(self, uint32_t t, int32_t dflt) noexcept nogil:
        cdef bucket_t* b = &self.buckets[t]
        cdef Py_ssize_t idx
        cdef int rc
        if b.n == 0:
            self.direct[t] = LEAF | <uint32_t>(dflt + 1)
            return ST_OK
        if self._reserve_nodes(1) != ST_OK:
            return ST_NOMEM
        idx = self.n_nodes
        self.n_nodes += 1
        rc = self._build_node(idx, b.recs, 0, b.n, S, dflt)
        if rc != ST_OK:
            return rc
        self.direct[t] = <uint32_t>idx
        return ST_OK

    cdef void _drop_subtree(self, Py_ssize_t idx) noexcept nogil:
        """Stop counting the subtree at nodes[idx] as live (it is about to be replaced)."""
        cdef Py_ssize_t nn = 0, nl = 0
        self._count_subtree(idx, &nn, &nl)
        self.live_nodes -= nn
        self.live_leaves -= nl

    cdef void _count_subtree(self, Py_ssize_t idx, Py_ssize_t* nn, Py_ssize_t* nl) noexcept nogil:
        cdef node_t* nd = &self.nodes[idx]
        cdef int r, cnt = fr_popcount64(nd.vector)
        nn[0] += 1
        nl[0] += fr_popcount64(nd.leafvec)
        for r in range(cnt):
            self._count_subtree(nd.base1 + r, nn, nl)

    cdef int _rebuild_all(self) noexcept nogil:
        """Rebuild the whole data plane compactly from the control plane."""
        cdef int32_t* dflt = <int32_t*>malloc(NSLOTS * sizeof(int32_t))
        cdef Py_ssize_t i, a, b
        cdef uint32_t t, first, count
        cdef int rc = ST_OK
        if dflt == NULL:
            return ST_NOMEM
        # paint the short prefixes over the slots: containers come first in
        # address order, so more specific ones overwrite them
        for t in range(NSLOTS):
            dflt[t] = -1
        for i in range(self.n_short):
            first = <uint32_t>(self.short_recs[i].hi >> 48)
            count = (<uint32_t>1) << (S - self.short_recs[i].plen)
            for t in range(first, first + count):
                dflt[t] = self.short_recs[i].value
        self.n_nodes = 0
        self.n_leaves = 0
        self.live_nodes = 0
        self.live_leaves = 0
        rc = self._add_sentinel()
        for t in range(NSLOTS):
            if rc != ST_OK:
                break
            rc = self._build_slot(t, dflt[t])
            if rc != ST_OK:
                break
        free(dflt)
        if rc != ST_OK:
            self.all_dirty = True
            return rc
        self._shrink()
        for i in range(self.n_dirty):
            self.dirty_mark[self.dirty_list[i]] = 0
        self.n_dirty = 0
        self.all_dirty = False
        self.n_changes = 0
        self.changes_lost = False
        return rc

    cdef int _sync(self) noexcept nogil:
        """Bring the data plane up to date with the control plane."""
        cdef Py_ssize_t i, k
        cdef uint32_t t, d
        cdef int rc
        if self.all_dirty:
            return self._rebuild_all()
        for i in range(self.n_dirty):
            t = <uint32_t>self.dirty_list[i]
            d = self.direct[t]
            if (self.dirty_mark[t] == DIRTY_PATHS and not self.changes_lost and not (d & LEAF)
                    and self.buckets[t].n >= path_min and self.buckets[t].n > 0):
                # a large slot with a few changed long prefixes: rebuild their paths
                rc = ST_OK
                for k in range(self.n_changes):
                    if <uint32_t>(self.changes[k].hi >> 48) == t and rc == ST_OK:
                        rc = self._rebuild_path(d, self.buckets[t].recs, 0, self.buckets[t].n, S,
                                                self._slot_default(t), &self.changes[k])
            else:
                if not (d & LEAF):
                    self._drop_subtree(d)
                rc = self._build_slot(t, self._slot_default(t))
            if rc != ST_OK:
                return self._rebuild_all()
            self.dirty_mark[t] = 0
        self.n_dirty = 0
        self.n_changes = 0
        self.changes_lost = False
        # compact when rebuilt subtrees left more garbage than live data
        if (self.n_nodes > 2 * self.live_nodes + 4096
                or self.n_leaves > 2 * self.live_leaves + 16384):
            return self._rebuild_all()
        return ST_OK

    # ------------------------------------------------------------ Python API: single keys

    def __len__(self):
        return self.n_prefixes

    def __setitem__(self, key, value):
        cdef uint64_t hi, lo
        cdef int plen, rc
        self._parse_key(key, &hi, &lo, &plen, True)
        cdef int32_t v = self._check_value(value, key)
        self._begin_write()
        rc = self._insert(hi, lo, plen, v)
        self._release()
        if rc != ST_OK:
            self._fail(ST_NOMEM)

    cdef int32_t _check_value(self, object value, object where) except? -2:
        cdef object number = value
        cdef bint is_int = True
        if not isinstance(value, int) or isinstance(value, bool):
            try:
                number = operator.index(value)
            except TypeError:
                is_int = False
            if not is_int:
                return self._fail(ST_KEY_VALUE, value, where)
        if number < 0 or number > MAX_VALUE:
            return self._fail(ST_KEY_VALUE, value, where)
        return <int32_t>number

    cdef int32_t _exact_value(self, object key) except -2:
        """Value stored for exactly `key`, or -1."""
        cdef uint64_t hi, lo
        cdef int plen
        cdef const rec_t* r
        cdef int32_t v = -1
        self._parse_key(key, &hi, &lo, &plen, True)
        cdef int locked = self._read_begin()
        r = self._find(hi, lo, plen)
        if r != NULL:
            v = r.value
        self._read_end(locked)
        return v

    def __getitem__(self, key):
        cdef int32_t v = self._exact_value(key)
        if v < 0:
            self._fail(ST_MISSING, key)
        return v

    def __delitem__(self, key):
        cdef uint64_t hi, lo
        cdef int plen
        cdef bint found
        self._parse_key(key, &hi, &lo, &plen, True)
        self._begin_write()
        found = self._delete(hi, lo, plen)
        self._release()
        if not found:
            self._fail(ST_MISSING, key)

    def __contains__(self, key):
        return self._exact_value(key) >= 0

    def get_exact(self, key, default=None):
        """Value stored for exactly this prefix, or `default`."""
        cdef int32_t v = self._exact_value(key)
        if v < 0:
            return default
        return v

    def pop(self, key, *default):
        """Remove the prefix and return its value (or `default` when absent)."""
        cdef uint64_t hi, lo
        cdef int plen
        cdef const rec_t* r
        cdef int32_t v = -1
        self._parse_key(key, &hi, &lo, &plen, True)
        self._begin_write()
        r = self._find(hi, lo, plen)
        if r != NULL:
            v = r.value
            self._delete(hi, lo, plen)
        self._release()
        if v < 0:
            if default:
                return default[0]
            self._fail(ST_MISSING, key)
        return v

    cdef int32_t _lookup_value(self, object addr) except -2:
        """The longest-prefix match of one address: its value, or -1."""
        cdef const char* s
        cdef Py_ssize_t n
        cdef uint32_t a4
        cdef uint64_t hi, lo
        cdef int32_t v
        if self.width == 32:
            if type(addr) is str:
                s = PyUnicode_AsUTF8AndSize(addr, &n)
                if parse_v4(s, n, &a4) != PARSE_OK:
                    self._fail(ST_ADDR_SYNTAX, addr)
            else:
                self._parse_addr(addr, &hi, &lo)
                a4 = <uint32_t>(hi >> 32)
            if self._clean():
                return lookup4(self.direct, self.nodes, self.leaves, a4)
            self._acquire()
            try:
                self._sync_locked()
                v = lookup4(self.direct, self.nodes, self.leaves, a4)
            finally:
                self._release()
            return v
        self._parse_addr(addr, &hi, &lo)
        if self._clean():
            return lookup6(self.direct, self.nodes, self.leaves, hi, lo)
        self._acquire()
        try:
            self._sync_locked()
            v = lookup6(self.direct, self.nodes, self.leaves, hi, lo)
        finally:
            self._release()
        return v

    @cython.always_allow_keywords(False)
    def lookup(self, addr):
        """Longest-prefix match: the value of the most specific prefix covering
        `addr`, or None."""
        cdef int32_t v = self._lookup_value(addr)
        if v < 0:
            return None
        return v

    def lookup_in(self, addr, values, default=None):
        """``values[v]`` for the value `v` of the longest-prefix match of `addr`,
        or `default`: for tables whose values index a Python sequence.  The
        lookup and the indexing happen in one step under the GIL, so a thread
        that keeps `values` in step with the table never sees one without the
        other."""
        cdef int32_t v = self._lookup_value(addr)
        if v < 0:
            return default
        return values[v]

    cdef int _match_rec(self, object addr_or_key, bint is_key, rec_t* out) except -1:
        """Copy the longest stored prefix covering an address (or strictly covering
        a key) into `out`; 1 if found, 0 if not."""
        cdef uint64_t hi, lo
        cdef int plen
        cdef const rec_t* r
        if is_key:
            self._parse_key(addr_or_key, &hi, &lo, &plen, True)
            if plen == 0:
                return 0
            plen -= 1
        else:
            self._parse_addr(addr_or_key, &hi, &lo)
            plen = self.width
        cdef int locked = self._read_begin()
        r = self._match(hi, lo, plen)
        if r != NULL:
            out[0] = r[0]
        self._read_end(locked)
        return r != NULL

    def lookup_prefix(self, addr):
        """The most specific prefix covering `addr` and its value, as
        ``(prefix, value)``, or None."""
        cdef rec_t r
        if not self._match_rec(addr, False, &r):
            return None
        return self._format(r.hi, r.lo, r.plen), r.value

    def parent(self, key):
        """The most specific stored prefix strictly covering `key` (which need
        not be stored), as ``(prefix, value)``, or None."""
        cdef rec_t r
        if not self._match_rec(key, True, &r):
            return None
        return self._format(r.hi, r.lo, r.plen), r.value

    def _covered_arrays(self, key, bint strict_subprefix):
        """(networks, lengths, values) of the stored prefixes inside `key`,
        in address order; without `key` itself when strict_subprefix."""
        cdef uint64_t hi, lo
        cdef int plen
        cdef rec_t outer
        self._parse_key(key, &hi, &lo, &plen, True)
        outer.hi = hi
        outer.lo = lo
        outer.plen = <uint8_t>plen
        out = []
        cdef Py_ssize_t i, k
        cdef bint found
        cdef uint32_t t, first, count
        cdef bucket_t* b
        # always locked: the appends below may run a garbage collection, which
        # may run other Python code and let a batch change start
        self._acquire()
        try:
            if plen > S:
                b = &self.buckets[hi >> 48]
                i = rec_search(b.recs, b.n, hi, lo, plen, &found)
                while i < b.n and rec_covers(&outer, &b.recs[i]):
                    if not (strict_subprefix and b.recs[i].plen == plen):
                        out.append((b.recs[i].hi, b.recs[i].lo, b.recs[i].plen, b.recs[i].value))
                    i += 1
            else:
                first = <uint32_t>(hi >> 48)
                count = (<uint32_t>1) << (S - plen)
                i = rec_search(self.short_recs, self.n_short, hi, lo, plen, &found)
                # short records inside the range interleave with the slots in
                # address order: emit each before the first slot it precedes
                for t in range(first, first + count):
                    while (i < self.n_short and rec_covers(&outer, &self.short_recs[i])
                           and (self.short_recs[i].hi >> 48) <= t):
                        if not (strict_subprefix and self.short_recs[i].plen == plen):
                            out.append((self.short_recs[i].hi, self.short_recs[i].lo,
                                        self.short_recs[i].plen, self.short_recs[i].value))
                        i += 1
                    b = &self.buckets[t]
                    for k in range(b.n):
                        out.append((b.recs[k].hi, b.recs[k].lo, b.recs[k].plen, b.recs[k].value))
        finally:
            self._release()
        return self._rows_to_arrays(out)

    cdef _rows_to_arrays(self, list rows):
        cdef Py_ssize_t n = len(rows), i
        lengths = np.empty(n, dtype=np.uint8)
        values = np.empty(n, dtype=np.int64)
        if self.width == 32:
            nets = np.empty(n, dtype=np.uint32)
            for i in range(n):
                nets[i] = rows[i][0] >> 32
                lengths[i] = rows[i][2]
                values[i] = rows[i][3]
        else:
            nets = np.empty((n, 2), dtype=np.uint64)
            for i in range(n):
                nets[i, 0] = rows[i][0]
                nets[i, 1] = rows[i][1]
                lengths[i] = rows[i][2]
                values[i] = rows[i][3]
        return nets, lengths, values

    def to_arrays(self):
        """All prefixes in address order as (networks, lengths, values) arrays."""
        self._acquire()
        try:
            return self._arrays_locked()
        finally:
            self._release()

    cdef _arrays_locked(self):
        cdef Py_ssize_t n = self.n_prefixes, i = 0, j = 0, k
        cdef uint32_t t
        cdef bucket_t* b
        lengths = np.empty(n, dtype=np.uint8)
        values = np.empty(n, dtype=np.int64)
        hi_arr = np.empty(n, dtype=np.uint64)
        lo_arr = np.empty(n, dtype=np.uint64)
        cdef uint8_t[::1] L = lengths
        cdef int64_t[::1] V = values
        cdef uint64_t[::1] H = hi_arr
        cdef uint64_t[::1] Lo = lo_arr
        with nogil:
            for t in range(NSLOTS):
                while j < self.n_short and (self.short_recs[j].hi >> 48) <= t:
                    H[i] = self.short_recs[j].hi
                    Lo[i] = self.short_recs[j].lo
                    L[i] = self.short_recs[j].plen
                    V[i] = self.short_recs[j].value
                    i += 1
                    j += 1
                b = &self.buckets[t]
                for k in range(b.n):
                    H[i] = b.recs[k].hi
                    Lo[i] = b.recs[k].lo
                    L[i] = b.recs[k].plen
                    V[i] = b.recs[k].value
                    i += 1
        if self.width == 32:
            nets = (hi_arr >> np.uint64(32)).astype(np.uint32)
        else:
            nets = np.stack([hi_arr, lo_arr], axis=1)
        return nets, lengths, values

    # ------------------------------------------------------------ batch operations

    def lookup_into(self, addrs, out, int n_threads=1):
        """Kernel entry for Fib.lookup_batch: `addrs` is uint32 (n,) for IPv4 or
        uint64 (n, 2) for IPv6 (C-contiguous not required); results go to `out`,
        a writable C-contiguous int32 array of shape (n,), checked before the
        kernel writes anything."""
        cdef const uint32_t[:] a4 = _NO_ADDRS4
        cdef const uint64_t[:, :] a6 = _NO_ADDRS6
        cdef int32_t[::1] res
        cdef Py_ssize_t n, c, nchunks
        cdef const uint32_t* direct
        cdef const node_t* nodes
        cdef const int32_t* leaves
        if self.width == 32:
            if not (isinstance(addrs, np.ndarray) and addrs.dtype == np.uint32 and addrs.ndim == 1):
                self._fail(ST_ADDR_ARRAY, _describe(addrs))
            a4 = addrs
            n = a4.shape[0]
        else:
            if not (isinstance(addrs, np.ndarray) and addrs.dtype == np.uint64 and addrs.ndim == 2
                    and addrs.shape[1] == 2):
                self._fail(ST_ADDR_ARRAY, _describe(addrs))
            a6 = addrs
            n = a6.shape[0]
        if not (isinstance(out, np.ndarray) and out.dtype == np.int32 and out.ndim == 1
                and out.flags.c_contiguous and out.flags.writeable):
            self._fail(ST_OUT_ARRAY, _describe(out))
        if out.shape[0] != n:
            self._fail(ST_OUT_LENGTH, out.shape[0], n)
        res = out
        nchunks = (n + CHUNK - 1) // CHUNK
        if n_threads < 1:
            n_threads = 1
        self._acquire()
        try:
            self._sync_locked()
            direct = self.direct
            nodes = self.nodes
            leaves = self.leaves
            self.readers += 1
        finally:
            self._release()
        try:
            if n < 65536 or n_threads == 1:
                with nogil:
                    for c in range(nchunks):
                        lookup_chunk(direct, nodes, leaves, a4, a6, res,
                                     c * CHUNK, min(n, (c + 1) * CHUNK))
            else:
                for c in prange(nchunks, nogil=True, num_threads=n_threads, schedule="static"):
                    lookup_chunk(direct, nodes, leaves, a4, a6, res,
                                 c * CHUNK, min(n, (c + 1) * CHUNK))
        finally:
            self.readers -= 1

    def _insert_batch(self, nets, const uint8_t[:] lengths, const int64_t[:] values):
        """Insert validated records in order (later duplicates win)."""
        cdef Py_ssize_t i, n = lengths.shape[0]
        cdef uint64_t hi, lo, m_hi, m_lo
        cdef int rc = ST_OK
        cdef const uint64_t[::1] H, L
        H, L = key_words(self.width, nets)
        if H.shape[0] != n or values.shape[0] != n:
            self._fail(ST_BATCH_SHAPE, H.shape[0], n)
        self._begin_write()
        self.writing = True
        with nogil:
            for i in range(n):
                hi = H[i]
                lo = L[i]
                hi &= mask_hi(lengths[i])
                lo &= mask_lo(lengths[i])
                rc = self._insert(hi, lo, lengths[i], <int32_t>values[i])
                if rc != ST_OK:
                    break
        self.writing = False
        self._release()
        if rc != ST_OK:
            self._fail(ST_NOMEM)

    def _delete_batch(self, nets, const uint8_t[:] lengths, bint strict):
        """Delete records; return how many were present.  With strict, a missing
        prefix aborts before anything is removed (ST_MISSING)."""
        cdef Py_ssize_t i, n = lengths.shape[0], removed = 0
        cdef uint64_t hi, lo
        cdef Py_ssize_t missing = -1
        cdef const uint64_t[::1] H, L
        H, L = key_words(self.width, nets)
        if H.shape[0] != n:
            self._fail(ST_BATCH_SHAPE, H.shape[0], n)
        self._begin_write()
        self.writing = True
        with nogil:
            if strict:
                for i in range(n):
                    hi = H[i]
                    lo = L[i]
                    if self._find(hi, lo, lengths[i]) == NULL:
                        missing = i
                        break
            if missing < 0:
                for i in range(n):
                    hi = H[i]
                    lo = L[i]
                    if self._delete(hi, lo, lengths[i]):
                        removed += 1
        self.writing = False
        self._release()
        if missing >= 0:
            return self._fail(ST_MISSING, self._format(H[missing], L[missing], lengths[missing]))
        return removed

    def _bulk_load(self, nets, lengths, values, bint merge=False):
        """Replace the whole table with these validated records (later duplicates
        win), or with merge, add them to what it holds, in one step."""
        self._begin_write()
        try:
            if merge:
                old_nets, old_lens, old_vals = self._arrays_locked()
                nets = np.concatenate([old_nets, nets])
                lengths = np.concatenate([old_lens, lengths])
                values = np.concatenate([old_vals, values])
            self._load_locked(nets, lengths, values)
        finally:
            self._release()

    cdef int _load_locked(self, nets, const uint8_t[:] lengths, const int64_t[:] values) except -1:
        """_bulk_load with the lock held.  Distributes records to their slots,
        sorts each slot stably, then builds the data plane once.  On failure the
        table is left as it was."""
        cdef Py_ssize_t i, n = lengths.shape[0], t, m, w, nshort = 0
        cdef uint64_t hi, lo
        cdef int32_t* counts = NULL
        cdef bucket_t* nb = NULL
        cdef rec_t* nshort_recs = NULL
        cdef rec_t* tmp = NULL
        cdef rec_t* r
        cdef int64_t new_by_len[129]
        cdef int rc = ST_OK
        cdef Py_ssize_t maxb = 0, total = 0
        cdef const uint64_t[::1] H, L
        H, L = key_words(self.width, nets)
        if H.shape[0] != n or values.shape[0] != n:
            self._fail(ST_BATCH_SHAPE, H.shape[0], n)
        memset(new_by_len, 0, sizeof(new_by_len))
        with nogil:
            counts = <int32_t*>calloc(NSLOTS, sizeof(int32_t))
            nb = <bucket_t*>calloc(NSLOTS, sizeof(bucket_t))
            if counts == NULL or nb == NULL:
                rc = ST_NOMEM
            if rc == ST_OK:
                for i in range(n):
                    hi = H[i]
                    if lengths[i] <= S:
                        nshort += 1
                    else:
                        counts[hi >> 48] += 1
                for t in range(NSLOTS):
                    if counts[t]:
                        nb[t].recs = <rec_t*>malloc(counts[t] * sizeof(rec_t))
                        if nb[t].recs == NULL:
                            rc = ST_NOMEM
                            break
                        nb[t].cap = counts[t]
                        if counts[t] > maxb:
                            maxb = counts[t]
                if rc == ST_OK and nshort:
                    nshort_recs = <rec_t*>malloc(nshort * sizeof(rec_t))
                    if nshort_recs == NULL:
                        rc = ST_NOMEM
                if maxb < nshort:
                    maxb = nshort
                if rc == ST_OK and maxb:
                    tmp = <rec_t*>malloc(maxb * sizeof(rec_t))
                    if tmp == NULL:
                        rc = ST_NOMEM
            if rc == ST_OK:
                w = 0
                for i in range(n):
                    hi = H[i]
                    lo = L[i]
                    hi &= mask_hi(lengths[i])
                    lo &= mask_lo(lengths[i])
                    if lengths[i] <= S:
                        r = &nshort_recs[w]
                        w += 1
                    else:
                        t = <Py_ssize_t>(hi >> 48)
                        r = &nb[t].recs[nb[t].n]
                        nb[t].n += 1
                    r.hi = hi
                    r.lo = lo
                    r.plen = lengths[i]
                    r.value = <int32_t>values[i]
                m = _sort_dedupe(nshort_recs, nshort, tmp)
                nshort = m
                for i in range(m):
                    new_by_len[nshort_recs[i].plen] += 1
                total = m
                for t in range(NSLOTS):
                    if nb[t].n > 1:
                        nb[t].n = <int32_t>_sort_dedupe(nb[t].recs, nb[t].n, tmp)
                    for i in range(nb[t].n):
                        new_by_len[nb[t].recs[i].plen] += 1
                    total += nb[t].n
        free(counts)
        free(tmp)
        if rc != ST_OK:
            if nb != NULL:
                for t in range(NSLOTS):
                    free(nb[t].recs)
                free(nb)
            free(nshort_recs)
            self._fail(ST_NOMEM)
        # swap in the new control plane, then build the data plane
        for t in range(NSLOTS):
            free(self.buckets[t].recs)
        free(self.buckets)
        free(self.short_recs)
        self.buckets = nb
        self.short_recs = nshort_recs
        self.n_short = self.cap_short = nshort
        self.n_prefixes = total
        memcpy(self.by_len, new_by_len, sizeof(new_by_len))
        self.all_dirty = True
        self._sync_locked()
        return 0

    # ------------------------------------------------------------ introspection

    @property
    def nbytes(self):
        """Bytes held by the table: data plane (direct array, nodes, leaves) and
        control plane (records, slot headers, dirty tracking)."""
        cdef Py_ssize_t t, total = 0
        self._acquire()
        total += NSLOTS * sizeof(uint32_t)                     # direct
        total += self.cap_nodes * sizeof(node_t)
        total += self.cap_leaves * sizeof(int32_t)
        total += NSLOTS * sizeof(bucket_t)
        total += NSLOTS * (1 + sizeof(int32_t))                # dirty mark + list
        total += self.cap_short * sizeof(rec_t)
        for t in range(NSLOTS):
            total += self.buckets[t].cap * sizeof(rec_t)
        self._release()
        return total

    def stats(self):
        """Structure sizes, for reports and tests."""
        self._acquire()
        try:
            self._sync_locked()
            out = {
                "prefixes": self.n_prefixes,
                "nodes": self.n_nodes,
                "leaves": self.n_leaves,
                "live_nodes": self.live_nodes,
                "live_leaves": self.live_leaves,
            }
        finally:
            self._release()
        out["nbytes"] = self.nbytes
        return out


cdef int grow_array(void** arr, Py_ssize_t* cap, Py_ssize_t need, size_t itemsize,
                    Py_ssize_t slack) noexcept nogil:
    """Make room for `need` items in a realloc'd array: double it, or grow to
    need + slack; ST_NOMEM when memory runs out or indices would pass int32."""
    cdef Py_ssize_t c
    cdef void* grown
    if need <= cap[0]:
        return ST_OK
    c = cap[0] * 2
    if c < need:
        c = need + slack
    if c >= 0x7FFFFFFF:
        return ST_NOMEM
    grown = realloc(arr[0], c * itemsize)
    if grown == NULL:
        return ST_NOMEM
    arr[0] = grown
    cap[0] = c
    return ST_OK


cdef Py_ssize_t _sort_dedupe(rec_t* a, Py_ssize_t n, rec_t* tmp) noexcept nogil:
    """Stable merge sort of records into address order, then keep the last of
    each run of equal keys (later insertions win).  Returns the new length."""
    cdef Py_ssize_t width, lo, mid, hi, i, j, k, w
    cdef bint in_tmp = False
    cdef rec_t* src = a
    cdef rec_t* dst = tmp
    cdef rec_t* swap
    if n <= 1:
        return n
    # insertion-sort runs of 16, then merge
    width = 16
    lo = 0
    while lo < n:
        hi = lo + width if lo + width < n else n
        for i in range(lo + 1, hi):
            j = i
            while j > lo and rec_cmp(&src[j - 1], src[j].hi, src[j].lo, src[j].plen) > 0:
                _swap(&src[j - 1], &src[j])
                j -= 1
        lo = hi
    while width < n:
        lo = 0
        while lo < n:
            mid = lo + width if lo + width < n else n
            hi = lo + 2 * width if lo + 2 * width < n else n
            i = lo
            j = mid
            k = lo
            while i < mid and j < hi:
                if rec_cmp(&src[j], src[i].hi, src[i].lo, src[i].plen) < 0:
                    dst[k] = src[j]
                    j += 1
                else:
                    dst[k] = src[i]
                    i += 1
                k += 1
            while i < mid:
                dst[k] = src[i]
                i += 1
                k += 1
            while j < hi:
                dst[k] = src[j]
                j += 1
                k += 1
            lo = hi
        swap = src
        src = dst
        dst = swap
        in_tmp = not in_tmp
        width *= 2
    if in_tmp:
        memcpy(a, tmp, n * sizeof(rec_t))
    # dedupe, keeping the last of each equal run
    w = 0
    for i in range(n):
        if i + 1 < n and rec_cmp(&a[i + 1], a[i].hi, a[i].lo, a[i].plen) == 0:
            continue
        a[w] = a[i]
        w += 1
    return w


cdef inline void _swap(rec_t* x, rec_t* y) noexcept nogil:
    cdef rec_t t = x[0]
    x[0] = y[0]
    y[0] = t
