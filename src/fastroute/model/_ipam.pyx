"""The block walk of libcalico-go's ``findUsableBlock`` (projectcalico/calico
``libcalico-go/lib/ipam/ipam.go``) for a plan, over an int array per pool.

From a host's hashed start index the walk goes up, with wrap-around, to the first
block nobody has claimed yet.  Claimed blocks form a cyclic union-find: ``parent[i]``
is -1 while block ``i`` is free, else the next candidate (``n`` meaning 0), compressed
along each walk, so a walk over thousands of claimed blocks costs near-constant time.
The pools' arrays lie end to end in one ``parent``, pool ``p`` from ``offset[p]``
(-1: that pool is too big for an array and is walked in Python, see
``fastroute.model.blockwalk.BlockWalk.find_free``, the same walk over a dict).
"""

cdef inline long long _find(int[::1] parent, long long off, long long n, long long idx) noexcept nogil:
    """The first free block of the pool at ``off`` from ``idx`` on (the pool must have one)."""
    cdef long long root = idx, nxt
    while parent[off + root] != -1:
        root = parent[off + root]
        if root >= n:
            root = 0
    while idx != root:
        nxt = parent[off + idx]
        if nxt >= n:
            nxt = 0
        parent[off + idx] = <int>root
        idx = nxt
    return root


cdef inline long long _claim(int[::1] parent, long long[::1] offset, long long[::1] n_blocks,
                             long long[::1] count, long long pool, long long start) noexcept nogil:
    cdef long long n = n_blocks[pool], off = offset[pool], idx
    if count[pool] >= n:
        return -1
    idx = _find(parent, off, n, start)
    parent[off + idx] = <int>(idx + 1)
    count[pool] += 1
    return idx


cdef inline long long _claim_first(int[::1] parent, long long[::1] offset, long long[::1] n_blocks,
                                   long long[::1] count, long long[:, ::1] starts, long long[:, ::1] pool_lists,
                                   long long row, long long node, long long* pool_out) noexcept nogil:
    """Claim for ``node`` from the first pool of ``pool_lists[row]`` (pool indices, -1 padded) with a
    free block: the block index (its pool in ``pool_out``), or -1 when those pools are all full."""
    cdef Py_ssize_t j
    cdef long long pool, idx
    for j in range(pool_lists.shape[1]):
        pool = pool_lists[row, j]
        if pool < 0:
            return -1
        idx = _claim(parent, offset, n_blocks, count, pool, starts[pool, node])
        if idx >= 0:
            pool_out[0] = pool
            return idx
    return -1


def claim_one(int[::1] parent, long long[::1] offset, long long[::1] n_blocks, long long[::1] count,
              long long pool, long long start):
    """Claim the first free block of ``pool`` from block index ``start`` on (cyclic): its index,
    or -1 when the pool has none left."""
    return _claim(parent, offset, n_blocks, count, pool, start)


def claim_many(int[::1] parent, long long[::1] offset, long long[::1] n_blocks, long long[::1] count,
               long long[:, ::1] starts, long long[:, ::1] pool_lists, long long[::1] event_node,
               long long[::1] event_list, long long[::1] out_pool, long long[::1] out_idx):
    """Claims in order: event ``e`` is node ``event_node[e]`` claiming from the first pool of
    ``pool_lists[event_list[e]]`` (pool indices, -1 padded) with a free block, starting at
    ``starts[pool, node]``.  Fills ``out_pool``/``out_idx``; returns the number of events done
    (fewer than all when one event's pools are all full: it and those after are not done)."""
    cdef Py_ssize_t e, n_events = event_node.shape[0], done = n_events
    cdef long long pool = -1, idx
    with nogil:
        for e in range(n_events):
            idx = _claim_first(parent, offset, n_blocks, count, starts, pool_lists, event_list[e], event_node[e],
                               &pool)
            if idx < 0:
                done = e
                break
            out_pool[e] = pool
            out_idx[e] = idx
    return done


def place_pods(int[::1] parent, long long[::1] offset, long long[::1] n_blocks, long long[::1] count,
               long long[:, ::1] starts, long long[:, ::1] pool_lists, long long[::1] list_of_node,
               long long[::1] node_of_pod, long long cap, long long[::1] current, long long[::1] used,
               long long first, long long[::1] out_block, long long[::1] out_ordinal,
               long long[::1] ev_node, long long[::1] ev_pool, long long[::1] ev_idx):
    """Each pod in order takes the next ordinal of its node's current block (``current[node]``, -1 for
    none, ``used[node]`` ordinals of ``cap`` taken), or claims a new block from the pools of
    ``pool_lists[list_of_node[node]]`` (as :func:`claim_many`), numbered from ``first`` on.

    Fills ``out_block``/``out_ordinal`` per pod and the claims ``ev_*``; returns the number of claims,
    or -1 when a pod's pools are all full (nothing after it done)."""
    cdef Py_ssize_t i, n_pods = node_of_pod.shape[0]
    cdef long long node, pool = -1, idx, n_events = 0
    with nogil:
        for i in range(n_pods):
            node = node_of_pod[i]
            if current[node] >= 0 and used[node] < cap:
                out_block[i] = current[node]
                out_ordinal[i] = used[node]
                used[node] += 1
                continue
            idx = _claim_first(parent, offset, n_blocks, count, starts, pool_lists, list_of_node[node], node, &pool)
            if idx < 0:
                n_events = -1
                break
            ev_node[n_events] = node
            ev_pool[n_events] = pool
            ev_idx[n_events] = idx
            current[node] = first + n_events
            used[node] = 1
            out_block[i] = current[node]
            out_ordinal[i] = 0
            n_events += 1
    return n_events


def group_by(long long[::1] key, long long n_keys, long long[::1] ptr, long long[::1] order):
    """Counting sort: ``order`` lists the indices of ``key`` grouped by key value (``0 <= key < n_keys``),
    in index order within a group; group ``k`` is ``order[ptr[k]:ptr[k + 1]]``."""
    cdef Py_ssize_t i, n = key.shape[0]
    cdef long long k
    with nogil:
        for k in range(n_keys + 1):
            ptr[k] = 0
        for i in range(n):
            ptr[key[i] + 1] += 1
        for k in range(n_keys):
            ptr[k + 1] += ptr[k]
        for i in range(n):
            order[ptr[key[i]]] = i
            ptr[key[i]] += 1
        for k in range(n_keys, 0, -1):
            ptr[k] = ptr[k - 1]
        ptr[0] = 0
