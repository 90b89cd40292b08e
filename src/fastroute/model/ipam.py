"""Calico IPAM, reproduced: which node gets which block and which pod gets which address.

The reference path (:class:`IPAMState`) follows libcalico-go's ``lib/ipam``
(v3.20-v3.28) request by request:

* **Candidate pools** (``determinePools``/``prepareAffinityBlocksForHost``): enabled
  pools of the IP version in List order (name order), those whose
  ``nodeSelector`` selects the node (or exactly the requested pools, selector
  ignored), then those whose ``allowedUses`` contain the intended use.
* **Affine blocks first**, in List order (the KDD object name, so string order
  of ``10-244-9-0-26``-style names).  The first with a free address is used.
* **Claiming** (``findUsableBlock``): per pool, the walk starts at the block
  index drawn from Go's ``math/rand`` seeded with the FNV-1 hash of the
  hostname (:mod:`fastroute.model.gorand`) and goes up with wrap-around; the first
  block that does not exist yet (or is this host's and has room) is claimed.
* **Inside a block**: the head of the ``unallocated`` free list; released
  ordinals go to its tail.
* **Limits**: ``maxBlocksPerHost`` (20 when 0) is an error, not a reason to
  borrow.  When no block is left in any candidate pool and ``strictAffinity``
  is off, the host **borrows** the first free address of existing blocks,
  walking from the same hashed start.
* **Tunnel addresses** (calico-node ``allocateip``): IPIP, then VXLAN v4, then
  VXLAN v6, from the eligible pools, when the node starts (before its pods).

:func:`allocate` runs a whole cluster: existing addresses first, then tunnel
addresses node by node, then pods in the given order (IPv4 then IPv6).  A fast
path gives the identical result for plans (no existing allocations) that never
exhaust a pool: vectorised per-node ranks plus one step per block claim.
"""

from __future__ import annotations

import bisect
import collections
import ipaddress
from collections.abc import Iterable
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING

import numpy as np

from . import _ipam as _kernel
from . import gorand
from .blockwalk import BlockWalk, pod_ranks
from .names import cidr_name
from .blocks import Block, Pods
from .calico import version_tuple
from ..addr import format_prefixes
from ..errors import IPAMError, InvalidValueError, UnknownPodError, choice
from .resources import Selector
from .release import release_pods as _release_pods
from .usage import utilization  # noqa: F401  (public here since before the split)

if TYPE_CHECKING:
    from .kinds import IPPool

__all__ = ["IPAMState", "allocate", "release_pods", "start_block", "utilization", "TUNNEL_KINDS"]

#: Tunnel address kinds in calico-node's order: (node attribute, IP version, pool mode
#: attribute, handle prefix, allocation type attribute).
TUNNEL_KINDS = (
    ("ipv4_ipip_tunnel_addr", 4, "ipip_mode", "ipip-tunnel-addr", "ipipTunnelAddress"),
    ("ipv4_vxlan_tunnel_addr", 4, "vxlan_mode", "vxlan-tunnel-addr", "vxlanTunnelAddress"),
    ("ipv6_vxlan_tunnel_addr", 6, "vxlan_mode", "vxlan-v6-tunnel-addr", "vxlanV6TunnelAddress"),
)


@lru_cache(maxsize=65536)
def _start(host, n_blocks):
    return gorand.start_index(host, n_blocks)


def start_block(pool: IPPool, host: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    """The first block Calico tries to claim for ``host`` in ``pool`` (an ``ipaddress`` network).

    Calico seeds with wall-clock time when blocks are single addresses (/32,
    /128); fastroute keeps the hostname seed there so results are reproducible.

    >>> from fastroute.model.resources import IPPool
    >>> import ipaddress
    >>> str(start_block(IPPool("p", ipaddress.ip_network("10.244.0.0/16"), 26), "master"))
    '10.244.219.64/26'
    """
    return pool.block_cidr(_start(host, pool.n_blocks))


def _addr(version, value):
    return ipaddress.IPv4Address(value) if version == 4 else ipaddress.IPv6Address(value)


class _NoFreeBlocks(Exception):
    pass


class IPAMState:
    """Mutable IPAM state for one cluster: blocks, affinities, owners.

    Parameters
    ----------
    cluster : Cluster
        Its blocks are copied; the cluster itself is not changed.
    """

    def __init__(self, cluster: "Cluster") -> None:  # noqa: F821 -- model.cluster imports this module
        self.cluster = cluster
        self.pools = cluster.pools
        self.cfg = cluster.ipam_config
        self.node_names = cluster.node_names
        self.labels = [dict(n.labels) for n in cluster.nodes]
        self.blocks = {}
        self.affine = collections.defaultdict(list)  # (node name, version) -> sorted [(kname, key)]
        for b in cluster.blocks:
            b = b.copy()
            key = (b.version, b.net)
            self.blocks[key] = b
            if b.affinity:
                bisect.insort(self.affine[(b.affinity, b.version)], (b.kname, key))
        self.pods = cluster.pods.copy()
        self.extra = list(cluster.extra_owners)
        self._extra_index = {(h, tuple(sorted(a.items()))): -2 - k for k, (h, a) in enumerate(self.extra)}
        self.nodes = list(cluster.nodes)
        self._selects = {}
        self._selectors = {}  # pool index -> its parsed nodeSelector
        # IPReservation reservedCIDRs: IPAM skips these addresses, leaving them in the free list
        # (libcalico-go lib/ipam/ipam_block.go autoAssign, "Skipping reserved IP")
        self.reserved = [(int(n.network_address), int(n.broadcast_address), n.version)
                         for r in cluster.reservations for n in r.cidrs]

    # ----------------------------------------------------------------- owners
    def extra_owner(self, handle, attrs):
        """Owner id for a non-pod allocation (created on first use)."""
        key = (handle, tuple(sorted(attrs.items())))
        if key not in self._extra_index:
            self._extra_index[key] = -2 - len(self.extra)
            self.extra.append((handle, dict(attrs)))
        return self._extra_index[key]

    def tunnel_owner(self, node_idx, kind):
        _, _, _, handle, typ = kind
        node = self.node_names[node_idx]
        return self.extra_owner(f"{handle}-{node}", {"node": node, "type": typ})

    # ----------------------------------------------------------------- pools
    def _pool_selects(self, pool_idx, node_idx):
        key = (pool_idx, node_idx)
        if key not in self._selects:
            sel = self._selectors.get(pool_idx)
            if sel is None:
                sel = self._selectors[pool_idx] = Selector(self.pools[pool_idx].node_selector)
            self._selects[key] = sel.matches(self.labels[node_idx])
        return self._selects[key]

    def _enabled(self, version):
        return [i for i, p in enumerate(self.pools) if not p.disabled and p.version == version]

    def candidate_pools(self, node_idx, version, use="Workload", requested=None):
        """Pool indices a request may use, in order; raises IPAMError as Calico would.

        Returns
        -------
        (allowed, selecting) : lists of pool indices
            ``allowed`` is what the request draws from; ``selecting`` the pools
            selecting the node before the use filter.
        """
        enabled = self._enabled(version)
        if not enabled:
            raise IPAMError("cannot find a qualified ippool")
        if requested:
            selecting = []
            for cidr in requested:
                match = [i for i in enabled if self.pools[i].cidr == cidr]
                if not match:
                    raise IPAMError(f"the given pool ({cidr}) does not exist, or is not enabled")
                selecting.append(match[0])
        else:
            # a Manual pool serves only requests that name it (libcalico-go lib/ipam/ipam.go,
            # getPoolsForHost: ``AssignmentMode != Automatic`` is skipped without requested pools)
            selecting = [i for i in enabled if self.pools[i].assignment_mode != "Manual" and self._pool_selects(i, node_idx)]
        if not selecting:
            raise IPAMError(f"no configured Calico pools for node {self.node_names[node_idx]}")
        allowed = [i for i in selecting if use in self.pools[i].allowed_uses]
        if not allowed:
            raise IPAMError(f"cannot find a qualified ippool, no pools match the required use ({use})")
        return allowed, selecting

    def _pool_of(self, version, value, pool_indices=None):
        for i in range(len(self.pools)) if pool_indices is None else pool_indices:
            p = self.pools[i]
            if p.version == version and int(p.cidr.network_address) <= value <= int(p.cidr.broadcast_address):
                return i
        return None

    # ----------------------------------------------------------------- blocks
    def _claim(self, node, key, pool):
        block = Block(pool.block_cidr((key[1] - int(pool.cidr.network_address)) // pool.block_addresses), node)
        self.blocks[key] = block
        bisect.insort(self.affine[(node, key[0])], (block.kname, key))
        return block

    def _delete_block(self, key):
        b = self.blocks.pop(key)
        if b.affinity:
            lst = self.affine[(b.affinity, b.version)]
            lst.remove((b.kname, key))

    def _block_holding(self, version, value):
        for b in self.blocks.values():
            if b.holds(version, value):
                return b
        return None

    @staticmethod
    def _walk(node, version, pool):
        """Block keys of ``pool`` from ``node``'s hashed start index upwards, with wrap-around."""
        n, base, step = pool.n_blocks, int(pool.cidr.network_address), pool.block_addresses
        start = _start(node, n)
        for k in range(n):
            idx = start + k
            if idx >= n:
                idx -= n
            yield (version, base + idx * step)

    def find_usable_block(self, node, version, pool_indices):
        """Key of the block ``findUsableBlock`` returns; raises _NoFreeBlocks."""
        for pi in pool_indices:
            pool = self.pools[pi]
            for key in self._walk(node, version, pool):
                b = self.blocks.get(key)
                if b is None or (b.affinity == node and self._has_free(b)):
                    return key, pool
        raise _NoFreeBlocks()

    @staticmethod
    def _give(block, ordinal, owner):
        block.owner[ordinal] = owner
        if owner not in block.attr_owners:
            block.attr_owners.append(owner)
        return block.net + ordinal

    def _is_reserved(self, version, value):
        return any(v == version and lo <= value <= hi for lo, hi, v in self.reserved)

    def _free_index(self, block):
        """Index in ``block.unallocated`` of the first ordinal IPAM may hand out, or -1."""
        if not self.reserved:
            return 0 if block.unallocated else -1
        for k, ordinal in enumerate(block.unallocated):
            if not self._is_reserved(block.version, block.net + ordinal):
                return k
        return -1

    def _has_free(self, block):
        return self._free_index(block) >= 0

    def _take(self, block, owner):
        k = self._free_index(block)
        if k == 0:
            return self._give(block, block.unallocated.popleft(), owner)
        ordinal = block.unallocated[k]
        del block.unallocated[k]
        return self._give(block, ordinal, owner)

    def auto_assign(self, node_idx, version, owner, use="Workload", requested=None):
        """Assign one address to ``owner`` on node ``node_idx``, as ``AutoAssign(Num=1)`` does.

        Returns
        -------
        int
            The address.

        Raises
        ------
        IPAMError
            No qualified pool, per-host block limit, or no address left.
        """
        node = self.node_names[node_idx]
        allowed, selecting = self.candidate_pools(node_idx, version, use, requested)
        # Affine blocks in List order, restricted to the allowed pools; empty affine blocks in
        # pools that no longer select the node lose their affinity.
        remaining = []
        for kname, key in list(self.affine[(node, version)]):
            pi = self._pool_of(version, key[1], allowed)
            if pi is not None:
                remaining.append(key)
                continue
            if self._pool_of(version, key[1], selecting) is None:
                pool_idx = self._pool_of(version, key[1], self._enabled(version))
                if pool_idx is not None and not self._pool_selects(pool_idx, node_idx) and self.blocks[key].is_empty():
                    self._delete_block(key)
        owned = len(remaining)
        max_blocks = self.cfg.effective_max_blocks
        for key in remaining:
            b = self.blocks[key]
            if self._has_free(b):
                return self._take(b, owner)
        if owned >= max_blocks:
            raise IPAMError(
                f"cannot allocate new block due to per host block limit (Need to allocate an IPAM block but "
                f"could not - limit of {max_blocks} blocks reached for this node)"
            )
        if not self.cfg.auto_allocate_blocks:
            raise IPAMError("failed to find or claim a block")
        msgs = []
        try:
            key, pool = self.find_usable_block(node, version, allowed)
            b = self.blocks.get(key) or self._claim(node, key, pool)
            return self._take(b, owner)
        except _NoFreeBlocks:
            if self.cfg.strict_affinity:
                msgs.append("No more free affine blocks and strict affinity enabled")
        if not self.cfg.strict_affinity:
            exhausted = []
            for pi in allowed:
                pool = self.pools[pi]
                for key in self._walk(node, version, pool):
                    b = self.blocks.get(key)
                    if b is not None and self._has_free(b):
                        return self._take(b, owner)
                exhausted.append(str(pool.cidr))
            if exhausted:
                msgs.append(f"No IPs available in pools: [{' '.join(exhausted)}]")
        detail = "".join(f"; {m}" for m in msgs)
        raise IPAMError(f"Assigned 0 out of 1 requested IPv{version} addresses{detail}")

    def assign_ip(self, node_idx, version, value, owner):
        """Assign a specific address (``AssignIP``): claims its block for the node if missing."""
        node = self.node_names[node_idx]
        pi = self._pool_of(version, value, [i for i, p in enumerate(self.pools) if not p.disabled])
        if pi is None and self._block_holding(version, value) is None:
            # an address of a disabled pool (pods not yet moved off it, the documented pool
            # migration): its block exists from when the pool was enabled
            pi = self._pool_of(version, value)
        if pi is None:
            # Not in an enabled pool: only an existing (orphaned) block can hold it.
            b = self._block_holding(version, value)
            if b is None:
                raise IPAMError(f"{_addr(version, value)}: The provided IP address is not in a configured pool")
            return self._assign_in(b, node, value, owner)
        pool = self.pools[pi]
        base, step = int(pool.cidr.network_address), pool.block_addresses
        key = (version, base + (value - base) // step * step)
        # An existing block of another size may hold it (a snapshot).
        b = self.blocks.get(key) or self._block_holding(version, value) or self._claim(node, key, pool)
        return self._assign_in(b, node, value, owner)

    def _assign_in(self, b, node, value, owner):
        ordinal = value - b.net
        current = b.owner[ordinal]
        if current == owner:
            return value
        if self.cfg.strict_affinity and b.affinity != node:
            raise IPAMError(f"{_addr(b.version, value)}: Block host affinity does not match")
        if current != -1:
            raise IPAMError(f"{_addr(b.version, value)}: Address already assigned in block")
        b.unallocated.remove(ordinal)
        return self._give(b, ordinal, owner)

    def release(self, version, value):
        """Release one address (``ReleaseIPs``): its ordinal goes to the tail of the free list.

        An emptied block without affinity is deleted; an emptied affine block whose pool no
        longer selects its node loses its affinity (and is deleted).  Returns False if the
        address was not allocated.
        """
        for key, b in list(self.blocks.items()):
            if b.holds(version, value):
                ordinal = value - b.net
                owner = b.owner[ordinal]
                if owner == -1:
                    return False
                b.owner[ordinal] = -1
                b.unallocated.append(ordinal)
                if owner not in b.owner:
                    b.attr_owners.remove(owner)
                if b.is_empty():
                    if b.affinity is None:
                        self._delete_block(key)
                    else:
                        pi = self._pool_of(version, b.net)
                        ni = self.cluster._node_index.get(b.affinity)
                        if pi is None or ni is None or not self._pool_selects(pi, ni):
                            self._delete_block(key)
                return True
        return False

    def gc_empty_blocks(self, calico_version="3.28"):
        """kube-controllers' empty-block garbage collection, applied once with the grace period elapsed.

        An empty affine block loses its affinity (and is deleted) when its node owns more
        than one block; before v3.28 the node's other blocks must also have at least 3
        free addresses in total.  A node's last block is never collected.

        Returns
        -------
        list of str
            The CIDRs of the blocks that were released.
        """
        need_free = version_tuple(calico_version) < (3, 28)
        released = []
        for (node, version), lst in list(self.affine.items()):
            for kname, key in list(lst):
                b = self.blocks.get(key)
                if b is None or not b.is_empty():
                    continue
                others = [self.blocks[k] for _, k in self.affine[(node, version)] if k != key]
                if not others:
                    continue
                if need_free and sum(o.n_free for o in others) < 3:
                    continue
                self._delete_block(key)
                released.append(str(b.cidr))
        return released

    # ----------------------------------------------------------------- result
    def to_cluster(self):
        return self.cluster.replace(
            nodes=self.nodes, blocks=list(self.blocks.values()), pods=self.pods, extra_owners=self.extra
        )


def _enabled_versions(pools):
    return [v for v in (4, 6) if any(p.version == v and not p.disabled for p in pools)]


def _tunnel_candidates(pools, kind):
    """Pools that may give some node a tunnel address of ``kind`` (nodeSelector aside), in List order."""
    _, version, mode_attr, _, _ = kind
    return [
        i for i, p in enumerate(pools)
        if not p.disabled and p.version == version and getattr(p, mode_attr) != "Never" and "Tunnel" in p.allowed_uses
    ]


def _tunnel_pools(st, node_idx, kind):
    """Pools calico-node's ``allocateip`` may take a tunnel address of ``kind`` from, in List order."""
    return [i for i in _tunnel_candidates(st.pools, kind) if st._pool_selects(i, node_idx)]


def _tunnel_kinds(pools, version=None):
    """The tunnel kinds (of ``version``, or all) some pool may serve, in calico-node's order."""
    return [k for k in TUNNEL_KINDS if version in (None, k[1]) and _tunnel_candidates(pools, k)]


def _pod_label(cluster, i):
    ns, name = cluster.pods.namespace[i], cluster.pods.name[i]
    src = cluster.pod_sources.get((ns, name))
    at = f"{src.where()}: " if src is not None and src.kind else ""
    return f"{at}pod {ns}/{name} on node {cluster.node_names[int(cluster.pods.node_idx[i])]!r}"


def _node_label(node):
    at = f"{node.source.where()}: " if node.source.kind else ""
    return f"{at}node {node.name!r}"


def _allocate_reference(cluster, failures=None):
    st = IPAMState(cluster)
    versions = _enabled_versions(st.pools)
    # 1. Addresses that already exist: tunnel addresses, then pod addresses.
    for ni, node in enumerate(st.nodes):
        for kind in TUNNEL_KINDS:
            addr = getattr(node, kind[0])
            if addr is not None and st._pool_of(kind[1], int(addr)) is None \
                    and st._block_holding(kind[1], int(addr)) is None:
                continue        # set by hand outside every pool: the node keeps it, IPAM holds no record of it
            if addr is not None:
                try:
                    st.assign_ip(ni, kind[1], int(addr), st.tunnel_owner(ni, kind))
                except IPAMError as e:
                    raise IPAMError(f"{_node_label(node)}: {kind[0]}: {e}") from None
    pods = st.pods
    for i in range(len(pods)):
        ni = int(pods.node_idx[i])
        try:
            if pods.ipv4[i] >= 0:
                st.assign_ip(ni, 4, int(pods.ipv4[i]), i)
            if pods.ipv6[i] is not None:
                st.assign_ip(ni, 6, pods.ipv6[i], i)
        except IPAMError as e:
            raise IPAMError(f"{_pod_label(cluster, i)}: {e}") from None
    # 2. Tunnel addresses of nodes that lack them, node by node (calico-node starts before pods).
    for ni, node in enumerate(st.nodes):
        changes = {}
        for kind in TUNNEL_KINDS:
            if getattr(node, kind[0]) is not None:
                continue
            eligible = _tunnel_pools(st, ni, kind)
            if not eligible:
                continue
            try:
                value = st.auto_assign(
                    ni, kind[1], st.tunnel_owner(ni, kind), "Tunnel", [st.pools[i].cidr for i in eligible]
                )
            except IPAMError as e:
                raise IPAMError(f"{_node_label(node)}: {kind[0]}: {e}") from None
            changes[kind[0]] = _addr(kind[1], value)
        if changes:
            st.nodes[ni] = replace(node, **changes)
    # 3. Pods in order, IPv4 then IPv6.
    for i in range(len(pods)):
        ni = int(pods.node_idx[i])
        for v in versions:
            if (v == 4 and pods.ipv4[i] >= 0) or (v == 6 and pods.ipv6[i] is not None):
                continue
            try:
                value = st.auto_assign(ni, v, i)
            except IPAMError as e:
                msg = f"{_pod_label(cluster, i)}: failed to request IPv{v} addresses: {e}"
                if failures is None:
                    raise IPAMError(msg) from None
                failures.append(msg)        # the pod stays without an address, as in Calico
                continue
            if v == 4:
                pods.ipv4[i] = value
            else:
                pods.ipv6[i] = value
    return st.to_cluster()


class _Fallback(Exception):
    """The fast path cannot reproduce this case; use the reference path."""


def _require_plan(cluster):
    """Raise _Fallback unless ``cluster`` is a plan: no blocks, addresses or tunnel addresses yet."""
    if cluster.blocks or (cluster.pods.ipv4 >= 0).any() or cluster.pods.ipv6.count(None) != len(cluster.pods.ipv6):
        raise _Fallback("existing allocations")
    if any(getattr(n, k[0]) is not None for n in cluster.nodes for k in TUNNEL_KINDS):
        raise _Fallback("existing tunnel addresses")
    if cluster.reservations:
        raise _Fallback("reserved addresses")
    if not cluster.ipam_config.auto_allocate_blocks:
        raise _Fallback("autoAllocateBlocks off")


def _label_groups(st):
    """Nodes grouped by label set (identical sets select the same pools): the group of each
    node (ndarray) and {group: its first node}."""
    keys = {}
    group_of_node = np.empty(len(st.labels), dtype=np.int64)
    for ni, labels in enumerate(st.labels):
        group_of_node[ni] = keys.setdefault(tuple(sorted(labels.items())), len(keys))
    representative = {g: ni for ni, g in reversed(list(enumerate(group_of_node.tolist())))}
    return group_of_node, representative


class _FastAllocator:
    """The fast path over one plan: blocks claimed in the reference path's order (:class:`BlockWalk`),
    pods placed by rank.  ``blocks`` lists the claims in order as ``[version, pool index, block index,
    node name, owners]``.
    """

    def __init__(self, cluster):
        self.cluster = cluster
        self.st = st = IPAMState(cluster)
        self.n_nodes = cluster.n_nodes
        self.nodes = list(cluster.nodes)
        self.node_of_pod = st.pods.node_idx.astype(np.int64)
        self.group_of_node, self.representative = _label_groups(st)
        self.blocks = []
        self.walk = BlockWalk(cluster.node_names, [p.n_blocks for p in st.pools])

    # ----------------------------------------------------------------- block walk
    def claim(self, ni, pool_list):
        """Claim the next block for node ``ni`` from the first pool of ``pool_list`` with room; its index in ``blocks``."""
        got = self.walk.claim(ni, pool_list)
        if got is None:
            raise _Fallback("pool exhausted")
        self._add_claims(np.array([ni]), np.array([got[0]]), np.array([got[1]]))
        return len(self.blocks) - 1

    def claim_in_order(self, event_node, pool_lists):
        """:meth:`claim` for each node of ``event_node`` in turn, ``pool_lists[k]`` its pools; the
        claims' indices in ``blocks`` (ndarray).  One kernel call when every pool is walked over the array."""
        if not self.walk.in_kernel(pool_lists) or not event_node.size:
            return np.array([self.claim(ni, lst) for ni, lst in zip(event_node.tolist(), pool_lists)], np.int64)
        first = len(self.blocks)
        pools, idx, done = self.walk.claim_many(event_node, pool_lists)
        self._add_claims(event_node[:done], pools, idx)
        if done < event_node.size:
            raise _Fallback("pool exhausted")
        return np.arange(first, len(self.blocks), dtype=np.int64)

    def _add_claims(self, node, pool, idx):
        names, pools = self.cluster.node_names, self.st.pools
        self.blocks += [[pools[pi].version, pi, i, names[ni], []]
                        for ni, pi, i in zip(node.tolist(), pool.tolist(), idx.tolist())]

    # ----------------------------------------------------------------- one IP version
    def workload_pools(self, version):
        """Workload pools per label group (None when the group has none)."""
        wl = {}
        for g, ni in self.representative.items():
            try:
                wl[g] = self.st.candidate_pools(ni, version, "Workload")[0]
            except IPAMError:
                wl[g] = None
        return wl

    def claim_tunnels(self, version, wl):
        """Tunnel addresses of ``version``, node by node: each claims a block and takes its ordinal 0.

        Returns
        -------
        (open_block, open_used, owned) : ndarrays per node
            The tunnel block pods may also use (-1 if none), addresses used in it, blocks owned.
        """
        st = self.st
        open_block = np.full(self.n_nodes, -1, dtype=np.int64)
        open_used = np.zeros(self.n_nodes, dtype=np.int64)
        owned = np.zeros(self.n_nodes, dtype=np.int64)
        kinds = _tunnel_kinds(st.pools, version)
        for ni in range(self.n_nodes if kinds else 0):
            changes = {}
            for kind in kinds:
                eligible = _tunnel_pools(st, ni, kind)
                if not eligible:
                    continue
                bi = self.claim(ni, eligible)
                block = self.blocks[bi]
                block[4].append(st.tunnel_owner(ni, kind))
                pool = st.pools[block[1]]
                changes[kind[0]] = _addr(version, int(pool.block_cidr(block[2]).network_address))
                pools_w = wl[self.group_of_node[ni]]
                if pools_w is not None and block[1] in pools_w:
                    if open_block[ni] >= 0:
                        raise _Fallback("two tunnel blocks usable by pods")
                    open_block[ni] = bi
                    open_used[ni] = 1
                    owned[ni] = 1
            if changes:
                self.nodes[ni] = replace(self.nodes[ni], **changes)
        return open_block, open_used, owned

    def place_pods(self, version, wl, open_block, open_used, owned):
        """Block and ordinal of every pod: first the rest of its node's open block, then fresh blocks.

        Blocks are claimed in pod order (a pod at ordinal 0 of a new block), as the
        reference path claims them.
        """
        node_of_pod = self.node_of_pod
        n_nodes = self.n_nodes
        pods_on = np.bincount(node_of_pod, minlength=n_nodes)
        if any(wl[self.group_of_node[ni]] is None for ni in np.flatnonzero(pods_on).tolist()):
            raise _Fallback("a pod's node has no workload pool")
        # All pools of one version share a block size in this path (else capacities differ).
        sizes = {self.st.pools[pi].block_addresses for g in wl for pi in (wl[g] or [])}
        if len(sizes) != 1:
            raise _Fallback("mixed block sizes")
        cap = sizes.pop()
        c0 = np.where(open_block >= 0, cap - open_used, 0)
        n_new = -(-np.maximum(pods_on - c0, 0) // cap)     # blocks each node claims for its pods
        if ((owned + n_new) > self.st.cfg.effective_max_blocks).any():
            raise _Fallback("block limit")
        groups = sorted(g for g in wl if wl[g] is not None)
        if self.walk.in_kernel([wl[g] for g in groups]):
            return self._place_in_kernel(wl, groups, cap, open_block, open_used, int(n_new.sum()))
        rank = pod_ranks(node_of_pod, n_nodes)
        pod_c0 = c0[node_of_pod]
        in_open = rank < pod_c0
        r2 = rank - pod_c0
        j = np.where(in_open, -1, r2 // cap)
        ordinal = np.where(in_open, rank + open_used[node_of_pod], r2 % cap)
        # Claim events: pods with ordinal 0 in a new block, processed in pod order.
        events = np.nonzero((~in_open) & (r2 % cap == 0))[0]
        table = np.full((n_nodes, int(n_new.max()) + 1 if events.size else 1), -1, dtype=np.int64)
        event_node = node_of_pod[events]
        groups = self.group_of_node[event_node].tolist()
        table[event_node, j[events]] = self.claim_in_order(event_node, [wl[g] for g in groups])
        pod_block = np.where(in_open, open_block[node_of_pod], table[node_of_pod, np.maximum(j, 0)])
        return pod_block, ordinal

    def _place_in_kernel(self, wl, groups, cap, open_block, open_used, n_claims):
        """:meth:`place_pods` in one kernel pass over the pods (every pool walked over the int array)."""
        pos = np.full(int(self.group_of_node.max()) + 1, -1, np.int64)
        pos[groups] = np.arange(len(groups))
        got = self.walk.place([wl[g] for g in groups], pos[self.group_of_node], self.node_of_pod, cap,
                              open_block.copy(), open_used.copy(), len(self.blocks), n_claims)
        if got is None:
            raise _Fallback("pool exhausted")
        pod_block, ordinal, claims = got
        self._add_claims(*claims)
        return pod_block, ordinal

    def write_pods(self, version, pod_block, ordinal):
        """Pod addresses of ``version`` and the owners of each block, in ordinal order
        (the allocation order in a fresh block)."""
        pools, pods = self.st.pools, self.st.pods
        base = np.array(
            [int(pools[b[1]].cidr.network_address) + b[2] * pools[b[1]].block_addresses for b in self.blocks],
            dtype=object if version == 6 else np.int64,
        )
        if version == 4:
            pods.ipv4[:] = base[pod_block] + ordinal
        else:
            pods.ipv6 = [int(x) + int(o) for x, o in zip(base[pod_block], ordinal)]
        # a block's pods took its ordinals in pod order: grouping by block keeps them in ordinal order
        bounds = np.empty(len(self.blocks) + 1, np.int64)
        by_block = np.empty(pod_block.size, np.int64)
        _kernel.group_by(np.ascontiguousarray(pod_block, np.int64), len(self.blocks), bounds, by_block)
        idx_list = by_block.tolist()
        for bi, block in enumerate(self.blocks):
            if block[0] == version:
                block[4].extend(idx_list[bounds[bi] : bounds[bi + 1]])

    # ----------------------------------------------------------------- result
    def to_cluster(self):
        st = self.st
        blocks = []
        knames = _block_names(st.pools, self.blocks)
        for (_, pi, idx, node, owners), kname in zip(self.blocks, knames):
            pool = st.pools[pi]
            key = (pool.version, int(pool.cidr.network_address) + idx * pool.block_addresses, pool.block_size)
            blocks.append(Block.fresh(key, node, owners, kname))
        return self.cluster.replace(nodes=self.nodes, blocks=blocks, pods=st.pods, extra_owners=st.extra)


def _block_names(pools, claims):
    """KDD object names of claimed blocks (``[version, pool, index, ...]``): IPv4 ones formatted
    as arrays, None (the Block formats it) for IPv6."""
    v4 = [k for k, c in enumerate(claims) if c[0] == 4]
    out = [None] * len(claims)
    if v4:
        base = np.array([int(pools[pi].cidr.network_address) + idx * pools[pi].block_addresses
                         for _, pi, idx, *_ in (claims[k] for k in v4)], np.uint32)
        plen = np.array([pools[claims[k][1]].block_size for k in v4], np.uint8)
        for k, text in zip(v4, format_prefixes(base, plen)):
            out[k] = cidr_name(text)
    return out


def _allocate_fast(cluster):
    """Plans only: no existing blocks or addresses, no pool exhaustion (else _Fallback)."""
    _require_plan(cluster)
    fast = _FastAllocator(cluster)
    st = fast.st
    # Tunnel owners exist in the reference path's order (node by node, kind by kind).
    kinds = _tunnel_kinds(st.pools)
    for ni in range(fast.n_nodes if kinds else 0):
        for kind in kinds:
            if _tunnel_pools(st, ni, kind):
                st.tunnel_owner(ni, kind)
    for version in _enabled_versions(st.pools):
        wl = fast.workload_pools(version)
        open_block, open_used, owned = fast.claim_tunnels(version, wl)
        if len(fast.node_of_pod):
            pod_block, ordinal = fast.place_pods(version, wl, open_block, open_used, owned)
            fast.write_pods(version, pod_block, ordinal)
    return fast.to_cluster()


def release_pods(cluster: "Cluster", pods: Iterable[tuple[str, str]]) -> "Cluster":  # noqa: F821
    """Delete pods, releasing their addresses (see :func:`fastroute.model.release.release_pods`)."""
    return _release_pods(IPAMState(cluster), pods)


def allocate(cluster: "Cluster", method: str = "auto", failures: list[str] | None = None) -> "Cluster":  # noqa: F821
    """Run Calico's IPAM over a cluster and return the allocated cluster.

    Order of events: addresses the input already has (tunnel addresses, pod
    addresses) are assigned first (``AssignIP``; blocks are created for them
    as Calico would); then each node without them gets its tunnel addresses
    (IPIP, VXLAN, VXLAN v6), node by node; then pods, in the given order,
    one IPv4 and/or one IPv6 address each (one per IP version that has an
    enabled pool).

    Parameters
    ----------
    cluster : Cluster
    method : {"auto", "reference", "fast"}
        ``"reference"`` runs request by request; ``"fast"`` requires a plan the
        vectorised path handles (else raises InvalidValueError); ``"auto"`` uses the
        fast path when it applies.  Both give identical results.
    failures : list, optional
        When given, a pod whose allocation fails keeps no address and the error message
        is appended here (the others go on); otherwise the first failure raises.

    Returns
    -------
    Cluster
        A new cluster; the input is unchanged.

    Raises
    ------
    IPAMError
        The message names the pod or node and gives Calico's reason
        (no qualified pool, per-host block limit, no IPs available in pools).
    """
    choice(method, ("auto", "reference", "fast"), "IPAM method")
    if method in ("auto", "fast"):
        try:
            return _allocate_fast(cluster)
        except _Fallback as e:
            if method == "fast":
                raise InvalidValueError(f"the fast IPAM path does not apply: {e}") from None
    return _allocate_reference(cluster, failures)
