"""libcalico-go's ``findUsableBlock`` walk (projectcalico/calico ``libcalico-go/lib/ipam/ipam.go``)
for a plan: per pool, from each host's hashed start index (:mod:`fastroute.model.gorand`) up,
with wrap-around, to the first block nobody has claimed.

Claimed block indices form a sparse cyclic union-find (a claimed index points at the next
candidate), so a walk skips claimed blocks in near-constant time.  Pools of up to
:data:`ARRAY_WALK_MAX` blocks are walked in the kernel (:mod:`fastroute.model._ipam`) over one
int array; bigger ones (IPv6) over a dict here (:meth:`BlockWalk.find_free`, the same walk).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np

from . import _ipam as _kernel
from . import gorand

__all__ = ["BlockWalk", "pod_ranks", "ARRAY_WALK_MAX", "ARRAY_WALK_TOTAL"]

#: Pools of up to this many blocks are walked over an int array (all such pools together: up to
#: ``ARRAY_WALK_TOTAL`` blocks); bigger ones over a dict.
ARRAY_WALK_MAX = 1 << 24
ARRAY_WALK_TOTAL = 1 << 25


class BlockWalk:
    """The claimed blocks of every pool, for hosts ``node_names``; ``n_blocks[p]``: blocks of pool ``p``."""

    def __init__(self, node_names: Sequence[str], n_blocks: Iterable[int]) -> None:
        self.node_names = node_names
        self.n_blocks = list(n_blocks)
        self.claimed = {}  # pool index -> {block index: next candidate} (pools walked over a dict)
        self.starts = {}  # pool index -> ndarray of start indices per node
        offset, total = [], 0
        for n in self.n_blocks:
            fits = n <= ARRAY_WALK_MAX and total + n <= ARRAY_WALK_TOTAL
            offset.append(total if fits else -1)
            total += n if fits else 0
        self.offset = np.array(offset, np.int64)
        self.parent = np.full(total, -1, np.int32)
        self.count = np.zeros(len(offset), np.int64)
        self.n_blocks_arr = np.array([min(n, ARRAY_WALK_MAX) for n in self.n_blocks], np.int64)

    def start_of(self, pi, ni):
        if pi not in self.starts:
            self.starts[pi] = gorand.start_indices(self.node_names, self.n_blocks[pi])
        return int(self.starts[pi][ni])

    def find_free(self, pi, idx):
        """The first unclaimed block index of pool ``pi`` from ``idx`` on (cyclic), or None."""
        parent = self.claimed.setdefault(pi, {})
        n = self.n_blocks[pi]
        path = []
        seen = 0
        while idx in parent:
            path.append(idx)
            idx = parent[idx]
            if idx >= n:
                idx = 0
            seen += 1
            if seen > n:
                return None
        for p in path:
            parent[p] = idx
        return idx

    def claim(self, ni, pool_list):
        """Claim the next block for node ``ni`` from the first pool of ``pool_list`` with room:
        ``(pool index, block index)``, or None when they are all full."""
        for pi in pool_list:
            if self.offset[pi] >= 0:
                idx = _kernel.claim_one(self.parent, self.offset, self.n_blocks_arr, self.count, pi,
                                        self.start_of(pi, ni))
                if idx >= 0:
                    return pi, idx
                continue
            if len(self.claimed.get(pi, ())) >= self.n_blocks[pi]:
                continue
            idx = self.find_free(pi, self.start_of(pi, ni))
            if idx is not None:
                self.claimed[pi][idx] = idx + 1
                return pi, idx
        return None

    def in_kernel(self, pool_lists):
        """Whether every pool of ``pool_lists`` is walked over the int array."""
        return all(self.offset[pi] >= 0 for lst in pool_lists for pi in lst)

    def tables(self, pool_lists):
        """For the kernel: the row of each of ``pool_lists`` in ``table`` (pool indices, -1 padded) and
        the start indices of every node in the pools used (rows by pool index)."""
        lists = {}
        rows = np.array([lists.setdefault(tuple(lst), len(lists)) for lst in pool_lists], np.int64)
        table = np.full((max(len(lists), 1), max(map(len, lists), default=1)), -1, np.int64)
        for lst, k in lists.items():
            table[k, : len(lst)] = lst
        starts = np.zeros((len(self.n_blocks), len(self.node_names)), np.int64)
        for pi in sorted({pi for lst in lists for pi in lst}):
            self.start_of(pi, 0)
            starts[pi] = self.starts[pi]
        return rows, table, starts

    def claim_many(self, event_node, pool_lists):
        """:meth:`claim` for each node of ``event_node`` in turn (``pool_lists[k]`` its pools), in one kernel
        call (every pool must be walked over the array): ``(pools, block indices, claims done)``."""
        rows, table, starts = self.tables(pool_lists)
        out_pool, out_idx = np.empty(event_node.size, np.int64), np.empty(event_node.size, np.int64)
        done = _kernel.claim_many(self.parent, self.offset, self.n_blocks_arr, self.count, starts, table,
                                  np.ascontiguousarray(event_node, np.int64), rows, out_pool, out_idx)
        return out_pool[:done], out_idx[:done], done

    def place(self, pool_lists, list_of_node, node_of_pod, cap, current, used, first, n_claims):
        """Pods in order onto their node's current block or a new claim (:func:`fastroute.model._ipam.place_pods`):
        ``(block per pod, ordinal per pod, claims as (nodes, pools, block indices))``, or None when a pool
        list runs out."""
        rows, table, starts = self.tables(pool_lists)
        n = node_of_pod.size
        pod_block, ordinal = np.empty(n, np.int64), np.empty(n, np.int64)
        ev_node, ev_pool, ev_idx = (np.empty(n_claims, np.int64) for _ in range(3))
        done = _kernel.place_pods(self.parent, self.offset, self.n_blocks_arr, self.count, starts, table,
                                  np.where(list_of_node >= 0, rows[list_of_node], -1), node_of_pod, cap, current, used, first,
                                  pod_block, ordinal, ev_node, ev_pool, ev_idx)
        if done < 0:
            return None
        return pod_block, ordinal, (ev_node[:done], ev_pool[:done], ev_idx[:done])


def pod_ranks(node_of_pod: np.ndarray, n_nodes: int) -> np.ndarray:
    """Rank of each pod among the pods of its node, in pod order."""
    order = np.argsort(node_of_pod, kind="stable")
    sorted_nodes = node_of_pod[order]
    first = np.searchsorted(sorted_nodes, np.arange(n_nodes))
    rank = np.empty(node_of_pod.shape[0], dtype=np.int64)
    rank[order] = np.arange(node_of_pod.shape[0]) - first[sorted_nodes]
    return rank
