"""Capacity planning: what a Calico design costs at a given size, and mesh vs reflectors.

:func:`plan` sizes one design (nodes, pods per node, pool, block size, full
mesh or route reflectors) and returns a JSON-serialisable dict; :func:`compare`
runs :func:`plan` over node counts and reflector counts and says where the
mesh stops being the better choice.

Where each number comes from:

* **Blocks, borrowed addresses, prefixes**: a synthetic cluster
  (:func:`fastroute.model.synth.cluster`) allocated by fastroute's IPAM, exactly as
  Calico would (5,000 nodes x 110 pods allocate in about a second).  Every block
  is one exported prefix; every borrowed address one more ``/32``.
* **Routes per node**: from the kernel tables computed by
  :func:`fastroute.dataplane.routes.compute` up to ``compute_limit`` nodes (default
  1,000); above it *counted*: each node's table holds its pods' ``/32`` workload
  routes, a blackhole per own block and every prefix the other nodes export,
  which is what the computed tables hold whenever every session is up (tested
  against the computed tables).  ``routes_method`` says which.
* **Sessions**: closed form, the sessions :mod:`fastroute.bgp.topology` derives:
  a mesh has n(n-1)/2, k reflectors k(n-k) + k(k-1)/2, with k per client and
  n-1 per reflector.
* **Memory**: BIRD's table entries and sessions priced with the defaults of
  :class:`fastroute.sim.converge.Params` (``route_bytes``, ``session_bytes``,
  ``base_bytes``: ~330 bytes per route entry, ~34 kB per session, 3.4 MB base,
  from CZ.NIC's BIRD 2.0.8 route-server benchmark, see docs/convergence.md):
  entries = paths received (one per remote prefix per session that carries it:
  1 in a mesh, k at a reflector client with ADD-PATH; at a reflector, the other
  reflectors' copies of the clients' routes too) + the Loc-RIB.  An estimate
  from BIRD 2 benchmarks, not a measurement of calico-node.
* **Convergence**: the discrete-event simulator
  :func:`fastroute.sim.converge.simulate`: a mesh up to ``simulate_limit`` nodes
  (default 1,000: about 2 s per scenario there), a reflector or fabric design at
  any size (past ~2,000 nodes in aggregate mode, :mod:`fastroute.sim.cohorts`:
  seconds even at 50,000 nodes); otherwise the fields are None and ``warnings`` says why.
  ``convergence_s`` is the cold start (every BIRD starting within a second) to
  the last FIB change; ``blackhole_node_crash_s`` how long the other nodes keep
  routing a crashed node's blocks to it (until the hold timer, or graceful
  restart, lets them withdraw); ``blackhole_reflector_crash_s`` the longest
  time a live node lacked a route to a live node's pods after a reflector
  crash (0 when the other reflectors cover it; None with
  ``reflector_crash_permanent`` True when the loss never ends: with one
  reflector every client pair stays cut until it returns, counted in
  ``reflector_crash_pod_pairs_lost``), ``reflector_crash_reconverge_s``
  until the last FIB change after it.  ``single_point_of_failure`` marks a
  design whose one reflector's crash cuts pod pairs for good.
* **The graceful-restart trap**: calico-node starts BIRD with ``-R``; a
  restart while any peer is down holds every route change on that node for
  up to BIRD's ``graceful restart wait`` (240 s) -- a warning says so
  (docs/convergence.md, "Graceful-restart recovery").
* **Typha**: the Tigera operator's autoscaling formula (tigera/operator
  ``pkg/common/autoscale.go``, ``GetExpectedTyphaScale``): nodes // 200 + 2,
  at least 3 (1 for <= 2 nodes, 2 for <= 4).
* **Warnings**: Kubernetes' scalability thresholds ("Considerations for large
  clusters", kubernetes.io: 5,000 nodes, 110 pods per node, 150,000 pods) and
  Calico's guidance that the full mesh suits about 100 nodes or fewer ("Configure
  BGP peering", docs.tigera.io).

docs/planning.md explains each figure in more detail.

Examples
--------
>>> from fastroute import plan
>>> p = plan.plan(3, 3, pool="10.244.0.0/16", simulate=False)
>>> p["sessions_total"], p["sessions_per_node"], p["prefixes"], p["routes_per_node"]
(3, 2, 3, 6)
"""

from __future__ import annotations

import ipaddress
import math
import time
from collections.abc import Callable, Iterable

import numpy as np

from ..errors import FastrouteError, IPAMError, InvalidPrefixError, InvalidValueError, choice
from ..gcpause import paused_gc
from ..model import synth
from ..sim import converge
from ..sim.converge import Params
from . import fabric as _fabric
from .plots import plot_compare, plot_plan
from .results import CompareResult, PlanResult

__all__ = ["plan", "compare", "typha_replicas", "sessions", "DEFAULT_POOL", "TOPOLOGIES", "plot_compare",
           "plot_plan"]

#: The designs :func:`plan` sizes: full mesh, route reflectors, nodes peering with ToR Routers (docs/fabric.md).
TOPOLOGIES = ("mesh", "rr", "fabric")

#: Calico's default IPv4 pool (CALICO_IPV4POOL_CIDR / the operator's default).
DEFAULT_POOL = "192.168.0.0/16"

# BIRD's memory prices: the simulator's defaults (converge.Params), read, not copied
ROUTE_BYTES = Params.route_bytes
SESSION_BYTES = Params.session_bytes
BASE_BYTES = Params.base_bytes

# Kubernetes' scalability thresholds ("Considerations for large clusters", kubernetes.io)
K8S_MAX_NODES = 5000
K8S_MAX_PODS_PER_NODE = 110
K8S_MAX_PODS = 150_000

_TYPHA_WARNING = "with the Kubernetes datastore and more than 50 nodes Calico needs Typha"

# Calico's "Configure BGP peering" (docs.tigera.io): the full mesh suits about 100 nodes or fewer
MESH_GUIDANCE_NODES = 100


def typha_replicas(n_nodes: int) -> int:
    """Typha replicas the Tigera operator runs for ``n_nodes`` (``GetExpectedTyphaScale``)."""
    if n_nodes <= 2:
        return 1
    if n_nodes <= 4:
        return 2
    return max(3, n_nodes // 200 + 2)


def sessions(n_nodes: int, reflectors: int = 0) -> tuple[int, int, int | None]:
    """BGP sessions of a design: ``(total, per client node, per reflector)``.

    A mesh (``reflectors=0``) has n(n-1)/2 sessions, n-1 per node; with k
    reflectors every other node peers with each of them and the reflectors
    mesh among themselves: k(n-k) + k(k-1)/2, k per client, n-1 per reflector.
    """
    n, k = int(n_nodes), int(reflectors)
    if k == 0:
        return n * (n - 1) // 2, n - 1, None
    return k * (n - k) + k * (k - 1) // 2, k, n - 1


def _progress_noop(*a, **k):
    pass


#: The most pods per node planned: a node's pods are addresses of its blocks, and a /20 block (the largest
#: IPv4 block Calico allows) holds 4,096; past 65,536 a node would need more than 16 of them.
MAX_PODS_PER_NODE = 65_536


def _check_args(nodes, pods_per_node, pool, block_size, topology, reflectors, racks=None, spines=None, fabric=None):
    if isinstance(nodes, bool) or not isinstance(nodes, (int, np.integer)) or not 1 <= nodes <= synth.MAX_NODES:
        raise InvalidValueError(f"invalid nodes {nodes!r}: must be an integer 1..{synth.MAX_NODES:,}")
    if isinstance(pods_per_node, bool) or not isinstance(pods_per_node, (int, np.integer)) \
            or not 0 <= pods_per_node <= MAX_PODS_PER_NODE:
        raise InvalidValueError(f"invalid pods_per_node {pods_per_node!r}: must be an integer "
                                f"0..{MAX_PODS_PER_NODE:,}")
    try:
        net = ipaddress.ip_network(pool)
    except ValueError as e:
        raise InvalidPrefixError(f"invalid pool {pool!r}: {e}") from None
    if net.version != 4:
        raise InvalidPrefixError(f"invalid pool {pool!r}: planning handles IPv4 pools")
    if not isinstance(block_size, (int, np.integer)) or not 20 <= block_size <= 32:
        raise InvalidValueError(f"invalid block_size {block_size!r}: must be 20..32 (IPv4)")
    if block_size < net.prefixlen:
        raise InvalidValueError(f"invalid block_size {block_size!r}: larger than the pool {pool} itself")
    choice(topology, TOPOLOGIES, "topology")
    if topology == "fabric":
        if reflectors:
            raise InvalidValueError(f"invalid reflectors {reflectors!r} with topology 'fabric': its ToRs reflect")
        choice(fabric, synth.FABRIC_DESIGNS, "fabric design")
        if isinstance(racks, bool) or not isinstance(racks, (int, np.integer)) or not 1 <= racks <= nodes:
            raise InvalidValueError(f"invalid racks {racks!r}: must be an integer 1..nodes ({nodes})")
        if isinstance(spines, bool) or not isinstance(spines, (int, np.integer)) or not 1 <= spines <= 250:
            raise InvalidValueError(f"invalid spines {spines!r}: must be an integer 1..250")
    if topology == "mesh" and reflectors:
        raise InvalidValueError(f"invalid reflectors {reflectors!r} with topology 'mesh': use topology 'rr'")
    if topology == "rr" and not (1 <= reflectors < nodes):
        raise InvalidValueError(f"invalid reflectors {reflectors!r}: topology 'rr' needs 1 <= reflectors < nodes "
                                f"({nodes})")
    return net


@paused_gc()   # a large plan builds millions of long-lived objects and no cycles
def plan(nodes: int, pods_per_node: int = 110, *, pool: str | None = None, block_size: int = 26,
         topology: str = "mesh", reflectors: int | None = None, encapsulation: str = "None",
         simulate: bool | str = "auto", compute_limit: int = 1000, simulate_limit: int = 1000,
         progress: Callable[[str], None] | None = None, racks: int | None = None, spines: int = 2,
         fabric: str = "as-per-rack") -> PlanResult:
    """Size one Calico design.

    Parameters
    ----------
    nodes : int
    pods_per_node : int
    pool : str, optional
        IPv4 pool CIDR; Calico's default ``192.168.0.0/16`` when None.
    block_size : int, default 26
    topology : {"mesh", "rr", "fabric"}
    reflectors : int, optional
        Route reflectors for ``"rr"`` (default 2, the docs' usual redundancy).
    racks, spines, fabric : optional
        For ``"fabric"`` (:func:`fastroute.model.synth.fabric`, docs/fabric.md): racks of
        one ToR Router each (default one per 40 nodes), spine Routers (default 2) and the
        design (``"as-per-rack"``, ``"as-per-node"`` or ``"downward-default"``).  A fabric
        plan adds ``routers``, ``racks``, ``spines``, ``fabric``, ``sessions_per_router``,
        ``routes_per_router`` and ``memory_per_router_bytes``, all counted from every
        node's and router's computed table, and the convergence of a cold start, a
        node crash and a ToR crash (``tor_crash_s``, ``tor_crash_pod_pairs_lost``,
        ``tor_crash_router``; :func:`fastroute.planning.fabric.convergence`).
    encapsulation : str, default "None"
        As the operator's (``"IPIP"``, ``"VXLAN"``, ...); a tunnel address takes one
        IP per node.
    simulate : bool or "auto"
        Run the convergence simulator; "auto": reflector and fabric designs always,
        a mesh up to ``simulate_limit`` nodes.
    compute_limit : int
        Compute every node's table up to this many nodes; count above.
    progress : callable(str), optional
        Called with a description before each step (the CLI's progress bar).

    Returns
    -------
    PlanResult
        A dict (JSON-serialisable) with ``to_dict()``, ``to_json()`` and ``to_pandas()``
        (:mod:`fastroute.planning.results`); keys include ``nodes``, ``topology``, ``reflectors``,
        ``sessions_total``, ``sessions_per_node``, ``sessions_per_reflector``,
        ``prefixes``, ``routes_per_node``, ``memory_per_node_bytes``,
        ``memory_per_reflector_bytes``, ``convergence_s``,
        ``blackhole_node_crash_s``, ``blackhole_reflector_crash_s``,
        ``reflector_crash_permanent``, ``reflector_crash_pod_pairs_lost``,
        ``single_point_of_failure``, ``typha_replicas``, ``pool`` (use), ``warnings``, ``sources``.

    Raises
    ------
    InvalidValueError, InvalidPrefixError
        A bad argument, naming it.
    """
    pool = DEFAULT_POOL if pool is None else pool
    if topology == "rr" and reflectors is None:
        reflectors = 2
    reflectors = int(reflectors or 0)
    if topology == "fabric" and racks is None and isinstance(nodes, (int, np.integer)):
        racks = max(1, -(-int(nodes) // _fabric.DEFAULT_RACK_NODES))
    net = _check_args(nodes, pods_per_node, pool, block_size, topology, reflectors, racks, spines, fabric)
    progress = progress or _progress_noop
    n, k, ppn = int(nodes), reflectors, int(pods_per_node)
    warnings = []
    sources = {}

    s_total, s_node, s_rr = sessions(n, k)
    sources["sessions"] = "closed form, the sessions fastroute.bgp.topology derives (docs/planning.md)"
    out = {
        "nodes": n, "pods_per_node": ppn, "pods_total": n * ppn,
        "topology": topology, "reflectors": k, "encapsulation": encapsulation,
        "sessions_total": s_total, "sessions_per_node": s_node, "sessions_per_reflector": s_rr,
    }
    layout = None
    if topology == "fabric":
        layout = dict(racks=int(racks), spines=int(spines), design=fabric)
        out.update(racks=layout["racks"], spines=layout["spines"], fabric=fabric, routers=None,
                   sessions_per_router=None, routes_per_router=None, memory_per_router_bytes=None)
    cluster = _size_pool(out, net, block_size, encapsulation, warnings, sources, progress, layout)
    prefixes = routes_node = routes_mean = network = origins = None
    if cluster is not None:
        if layout is not None:
            _pool_figures(out, cluster, net, warnings)
            prefixes, per_node = _fabric.count_tables(out, cluster, sources, progress)
        else:
            prefixes, per_node, network, origins = _count_routes(out, cluster, net, compute_limit, warnings,
                                                                 sources, progress)
        routes_node = int(per_node.max())
        routes_mean = float(per_node.mean())
    else:
        out.update(dict.fromkeys(("routes_method", "memory_per_node_bytes", "memory_per_reflector_bytes")))
    out["prefixes"] = prefixes
    out["routes_per_node"] = routes_node
    out["routes_per_node_mean"] = routes_mean
    out["typha_replicas"] = typha_replicas(n)
    sources["typha"] = ("Tigera operator GetExpectedTyphaScale (tigera/operator pkg/common/autoscale.go): "
                        "nodes // 200 + 2, at least 3")

    out.update(dict.fromkeys(("convergence_s", "blackhole_node_crash_s", "blackhole_reflector_crash_s",
                              "reflector_crash_reconverge_s", "reflector_crash_permanent",
                              "reflector_crash_pod_pairs_lost")))
    out["single_point_of_failure"] = topology == "rr" and k == 1
    if cluster is not None and layout is not None:
        # a fabric is simulated at any size: its racks' nodes merge into cohorts (fastroute.sim.cohorts)
        _fabric.convergence(out, cluster, warnings, sources, progress, bool(simulate), "simulation turned off")
    elif cluster is not None:
        run = (k > 0 or n <= simulate_limit) if simulate == "auto" else bool(simulate)
        if not run:
            why = (f"a {n:,}-node mesh is above simulate_limit={simulate_limit:,}" if simulate == "auto"
                   else "simulation turned off")
            warnings.append(f"convergence_s and blackhole windows not simulated: {why}")
        else:
            _convergence(out, cluster, k, warnings, sources, progress, network, origins)
    else:
        warnings.append("convergence_s not simulated: no cluster could be allocated")

    warnings += _guidance(out)
    out["warnings"] = warnings
    out["sources"] = sources
    return PlanResult(out)


def _size_pool(out, net, block_size, encapsulation, warnings, sources, progress, layout=None):
    """Pool use (``out["pool"]``) and the synthetic cluster after IPAM (None when it cannot be allocated).

    A pool too small for the design is sized as if it were just big enough, and a
    warning says so.  ``layout`` (racks, spines, design) builds a fabric cluster.
    """
    n, k, ppn = out["nodes"], out["reflectors"], out["pods_per_node"]
    block_addrs = 1 << (32 - block_size)
    pool_blocks = 1 << (block_size - net.prefixlen)
    tunnel = 0 if encapsulation in ("None", None) else 1
    ips_per_node = ppn + tunnel
    blocks_per_node = max(1, math.ceil(ips_per_node / block_addrs)) if ips_per_node else 0
    pool_use = {
        "cidr": str(net), "block_size": block_size, "blocks_total": pool_blocks, "addresses": net.num_addresses,
        "blocks_per_node": blocks_per_node, "blocks_needed": n * blocks_per_node,
        "nodes_before_borrowing": pool_blocks // blocks_per_node if blocks_per_node else None,
        "fits": True, "sized_with": None, "blocks_used": None, "borrowed_ips": None,
    }
    out["pool"] = pool_use
    cluster = None
    alloc_net = net
    if n * ips_per_node > net.num_addresses:
        # size the rest as if the pool were just big enough, and say so
        plen = _fitting_prefix(n, blocks_per_node, block_size)
        alloc_net = ipaddress.ip_network(f"10.0.0.0/{plen}") if plen >= 8 else None
        pool_use.update(fits=False, sized_with=str(alloc_net) if alloc_net else None)
        warnings.append(
            f"pool {net} has {net.num_addresses:,} addresses; {n:,} nodes x {ips_per_node} addresses "
            f"({n * ips_per_node:,}) do not fit: pods fail to start (IPAM: no IPs available). "
            f"{_pool_advice(n, blocks_per_node, block_size)}"
            + (f" Prefixes, routes, memory and convergence in this plan are for a {alloc_net} pool." if alloc_net else ""))
    if alloc_net is not None:
        progress(f"allocating {n:,} nodes x {ppn} pods")
        t0 = time.perf_counter()
        try:
            if layout is not None:
                cluster = synth.fabric(n, ppn, pools=[str(alloc_net)], block_size=block_size,
                                       encapsulation=encapsulation, **layout).allocate()
            else:
                cluster = synth.cluster(n, ppn, pools=[str(alloc_net)], block_size=block_size,
                                        reflectors=k, encapsulation=encapsulation).allocate()
        except IPAMError as e:
            warnings.append(f"IPAM could not allocate: {e}")
        sources["ipam"] = (f"fastroute IPAM on a synthetic cluster in {alloc_net} "
                           f"({time.perf_counter() - t0:.2f} s)")
    return cluster


def _pool_figures(out, cluster, net, warnings):
    """The pool's ``blocks_used`` and ``borrowed_ips`` of an allocated design, with a warning once the
    blocks run out; returns ``(origins, exported mask, exported prefixes)``."""
    from ..bgp.propagate import originations

    n = out["nodes"]
    pool_use = out["pool"]
    blocks_per_node, block_size, pool_blocks = (pool_use["blocks_per_node"], pool_use["block_size"],
                                                pool_use["blocks_total"])
    borrowed = len(cluster.borrowed(4))
    pool_use.update(blocks_used=len(cluster.blocks), borrowed_ips=borrowed)
    o = originations(cluster, 4)
    exported = o.origin >= 0
    prefixes = int(exported.sum())
    if n * blocks_per_node > pool_blocks and pool_use["fits"]:
        warnings.append(
            f"pool {net} holds only {pool_blocks:,} /{block_size} blocks and {n:,} nodes need "
            f"{n * blocks_per_node:,} ({blocks_per_node} each): the blocks run out at "
            f"{pool_blocks // blocks_per_node:,} nodes of {blocks_per_node}; past that, nodes borrow addresses "
            f"from other nodes' blocks and every borrowed IP is a /32 route "
            f"(here {borrowed:,} borrowed /32s: {prefixes:,} prefixes instead of "
            f"{n * blocks_per_node:,}). {_pool_advice(n, blocks_per_node, block_size)}")
    return o, exported, prefixes


def _count_routes(out, cluster, net, compute_limit, warnings, sources, progress):
    """Prefixes, routes per node and BIRD memory of an allocated design.

    Returns ``(prefixes, routes per node, the computed tables' network or None, the originations)``; fills ``routes_method``, the
    ``memory_*`` figures and the pool's ``blocks_used``/``borrowed_ips``.
    """
    n = out["nodes"]
    o, exported, prefixes = _pool_figures(out, cluster, net, warnings)
    # per node: own pods' /32s + own blackholes + every other node's exported prefixes
    own_exported = np.bincount(o.origin[exported], minlength=n)[:n]
    if n <= compute_limit:
        progress(f"computing {n:,} routing tables")
        t0 = time.perf_counter()
        per_node, network = _computed_routes(cluster, n)
        sources["routes"] = (f"computed: every node's kernel table (fastroute.dataplane.routes, "
                             f"{time.perf_counter() - t0:.2f} s)")
        out["routes_method"] = "computed"
    else:
        network = None
        ba = cluster.block_arrays(4)
        blackholes = np.bincount(ba.node_idx[ba.node_idx >= 0], minlength=n)[:n]
        pods_on = np.bincount(cluster.pods.node_idx, minlength=n)[:n]
        per_node = pods_on + blackholes + (prefixes - own_exported)
        sources["routes"] = ("counted: own pods' /32s + own blackholes + all other nodes' exported prefixes "
                             f"(what the computed tables hold with every session up; computed up to "
                             f"{compute_limit:,} nodes)")
        out["routes_method"] = "counted"
    _bird_memory(out, prefixes, prefixes - own_exported, own_exported, sources)
    return prefixes, per_node, network, o


def _bird_memory(out, prefixes, remote, own_exported, sources):
    """BIRD memory per client node and per reflector: received paths (1 per remote prefix
    per carrying session) + the Loc-RIB, priced with :class:`~fastroute.sim.converge.Params`."""
    n, k = out["nodes"], out["reflectors"]
    clients = np.ones(n, bool)
    clients[:k] = False                     # synth makes the first k nodes the reflectors
    adj_client = remote * (k if k else 1)
    loc = prefixes
    mem = BASE_BYTES + ROUTE_BYTES * (adj_client + loc) + SESSION_BYTES * out["sessions_per_node"]
    out["memory_per_node_bytes"] = int(mem[clients].max())
    if k:
        # a reflector also takes the clients' routes reflected by each other reflector: BIRD 1.6 checks
        # CLUSTER_LIST only on rr-client sessions, so copies between same-cluster reflectors are kept
        adj_rr = remote + (k - 1) * int(own_exported[clients].sum())
        mem_rr = BASE_BYTES + ROUTE_BYTES * (adj_rr + loc) + SESSION_BYTES * out["sessions_per_reflector"]
        out["memory_per_reflector_bytes"] = int(mem_rr[~clients].max())
    else:
        out["memory_per_reflector_bytes"] = None
    sources["memory"] = (f"estimate: {BASE_BYTES / 1e6:.1f} MB + {ROUTE_BYTES:g} B per route entry "
                         f"(paths received + Loc-RIB) + {SESSION_BYTES / 1e3:.0f} kB per session "
                         f"(fastroute.sim.converge.Params, from BIRD 2 benchmarks: docs/convergence.md)")


#: The trap of calico-node restarting while a peer is down (docs/convergence.md).
GR_TRAP_WARNING = ("a calico-node restart while any BGP peer is down waits up to the graceful-restart wait time "
                   "(BIRD's 'graceful restart wait', 240 s) before that node's routes move: calico-node starts "
                   "BIRD with -R, which holds exports and the kernel table until every configured peer has "
                   "sent End-of-RIB (fastroute converge -s calico_node_restart --down NODE shows it)")


def _guidance(out):
    """Warnings from Calico's and Kubernetes' published limits."""
    n, k, ppn = out["nodes"], out["reflectors"], out["pods_per_node"]
    warnings = []
    if out["topology"] == "mesh" and n > MESH_GUIDANCE_NODES:
        warnings.append(f"full mesh of {n:,} nodes ({out['sessions_total']:,} sessions, "
                        f"{out['sessions_per_node']:,} per node): Calico's docs "
                        f"recommend route reflectors above about 100 nodes")
    if out["topology"] == "rr" and k == 1:
        lost = out.get("reflector_crash_pod_pairs_lost")
        warnings.append("a single route reflector is a single point of failure: the docs use two per client"
                        + (f"; its crash cuts {lost:,.0f} pod pairs until it returns (permanent in the simulation)"
                           if lost else ""))
    if n > 2:
        warnings.append(GR_TRAP_WARNING)
    if ppn > K8S_MAX_PODS_PER_NODE:
        warnings.append(f"{ppn} pods per node is above Kubernetes' tested limit of 110")
    if n > K8S_MAX_NODES:
        warnings.append(f"{n:,} nodes is above Kubernetes' tested limit of 5,000")
    if n * ppn > K8S_MAX_PODS:
        warnings.append(f"{n * ppn:,} pods is above Kubernetes' tested limit of 150,000")
    if n > 50:
        warnings.append(f"{_TYPHA_WARNING}: {typha_replicas(n)} replicas by the operator's formula")
    return warnings


def _fitting_prefix(n, blocks_per_node, block_size):
    """Longest pool prefix that holds ``n * blocks_per_node`` blocks."""
    need = n * blocks_per_node
    return block_size - max(0, math.ceil(math.log2(need))) if need > 1 else block_size


def _pool_advice(n, blocks_per_node, block_size):
    plen = _fitting_prefix(n, blocks_per_node, block_size)
    return (f"A /{plen} pool holds {1 << (block_size - plen):,} /{block_size} blocks, enough for {n:,} nodes "
            f"x {blocks_per_node} block{'s' if blocks_per_node != 1 else ''}.")


def _computed_routes(cluster, n):
    from ..dataplane import routes as _routes
    t = _routes.compute(cluster, 4)
    per = np.zeros(n, np.int64)
    prefixes, nh = t.route_matrix_indices()
    o = t.network.origins
    # BIRD/Felix routes to others' prefixes, plus own workload routes and blackholes
    has = (nh >= 0).sum(axis=1)
    pods_on = np.bincount(cluster.pods.node_idx, minlength=n)[:n]
    ba = cluster.block_arrays(4)
    blackholes = np.bincount(ba.node_idx[ba.node_idx >= 0], minlength=n)[:n]
    per[:] = has[:n] + pods_on + blackholes
    return per, t.network


def _convergence(out, cluster, k, warnings, sources, progress, network=None, origins=None):
    # (scenario, key, what the number is)
    scen = [("cold_start", "convergence_s", "time_to_converge"),
            ("node_crash", "blackhole_node_crash_s", "time_to_converge")]
    if k:
        scen += [("reflector_crash", "blackhole_reflector_crash_s", "max_outage_seconds"),
                 ("reflector_crash", "reflector_crash_reconverge_s", "time_to_converge")]
    done = {}
    design = None
    for scenario, key, field in scen:
        if scenario not in done:
            progress(f"simulating {scenario.replace('_', ' ')}")
            t0 = time.perf_counter()
            try:
                design = design or converge.design(cluster, network=network, origins=origins)
                done[scenario] = converge.simulate(design, scenario)
            except (FastrouteError, ImportError, AttributeError, MemoryError) as e:
                done[scenario] = e
            r = done[scenario]
            if not isinstance(r, Exception):
                sources[scenario] = _fabric.simulation_source(scenario, r, time.perf_counter() - t0)
                if not r.converged:
                    warnings.append(f"{scenario}: the simulation did not settle; its times are lower bounds")
        r = done[scenario]
        if isinstance(r, Exception):
            warnings.append(f"{key} not simulated: {type(r).__name__}: {r}")
            continue
        u = r.unreachable
        if field == "max_outage_seconds" and u["permanent"]:
            # outages that never end are no duration: counted as lost pod pairs
            out[key] = None
            out["reflector_crash_permanent"] = True
            out["reflector_crash_pod_pairs_lost"] = float(u["pod_pairs_unreachable_at_end"])
            out["single_point_of_failure"] = True
            continue
        if field == "max_outage_seconds":
            out["reflector_crash_permanent"] = False
            out["reflector_crash_pod_pairs_lost"] = 0.0
        v = r.time_to_converge if field == "time_to_converge" else u["max_outage_seconds"]
        out[key] = round(float(v), 6)


# ---------------------------------------------------------------------------- compare


def compare(nodes: Iterable[int] = (100, 500, 1000, 5000), reflectors: Iterable[int] = (2, 3),
            pods_per_node: int = 110, *, pool: str | None = None, block_size: int = 26, encapsulation: str = "None",
            simulate: bool | str = "auto", compute_limit: int = 1000, simulate_limit: int = 1000,
            progress: Callable[[str], None] | None = None, on_plan: Callable[[], object] | None = None,
            topologies: Iterable[str] = ("mesh", "rr"), racks: int | None = None, spines: int = 2,
            fabric: str = "as-per-rack") -> CompareResult:
    """Mesh vs route reflectors (vs a fabric design) over node counts (``on_plan()`` is called after each plan).

    ``topologies`` picks the designs (``"mesh"``, ``"rr"`` for each reflector count,
    ``"fabric"`` with ``racks`` (default one per 40 nodes), ``spines`` and ``fabric``
    as in :func:`plan`).

    Returns
    -------
    CompareResult
        A dict with ``to_dict()``, ``to_json()`` and ``to_pandas()`` (one row per design):
        ``plans`` (list of :func:`plan` dicts: for each node count the mesh,
        then one per reflector count), ``crossover`` (the smallest compared node
        count above the docs' ~100-node mesh guidance at which every reflector
        design has fewer sessions *and* less BIRD memory per node than the mesh, or
        None), ``crossover_criterion`` (that rule in words), ``recommendation``
        (one line per node count, with the cold-start trade-off where simulated),
        ``warnings`` (the union, once each).

        Reflectors cut per-node sessions and memory at any size (k sessions instead
        of n-1); what they cost is the reflectors' own load (n-1 sessions each,
        a mesh node's memory) and, in the simulator, a slower cold start at large
        sizes.  The docs' guidance (full mesh up to about 100 nodes) is why the
        crossover is not simply the smallest size.
    """
    nodes = [int(x) for x in nodes]
    reflectors = [int(x) for x in reflectors]
    if not nodes:
        raise InvalidValueError("compare needs at least one node count")
    for k in reflectors:
        if k < 1:
            raise InvalidValueError(f"invalid reflectors {k!r}: must be >= 1")
    topologies = list(topologies)
    if not topologies:
        raise InvalidValueError("compare needs at least one topology")
    for t in topologies:
        choice(t, TOPOLOGIES, "topology")
    plans = []
    on_plan = on_plan or _progress_noop
    for n in nodes:
        for topo, k in compare_designs(n, reflectors, topologies):
            label = f"{n:,} nodes, {_design_label(topo, k)}: "
            step = (lambda text, _l=label: progress(_l + text)) if progress else None
            plans.append(plan(n, pods_per_node, pool=pool, block_size=block_size, topology=topo,
                              reflectors=k or None, encapsulation=encapsulation, simulate=simulate,
                              compute_limit=compute_limit, simulate_limit=simulate_limit, progress=step,
                              racks=None if racks is None else min(int(racks), n), spines=spines, fabric=fabric))
            on_plan()
    crossover = None
    recs = []
    for n in nodes:
        mesh = next((p for p in plans if p["nodes"] == n and p["topology"] == "mesh"), None)
        rrs = [p for p in plans if p["nodes"] == n and p["topology"] == "rr"]
        better = [p for p in rrs if mesh is not None and _rr_better(mesh, p)]
        if rrs and len(better) == len(rrs) and crossover is None and n > MESH_GUIDANCE_NODES:
            crossover = n
        if mesh is not None:
            recs.append(_recommend(n, mesh, rrs))
        recs += [_fabric.summary(p) for p in plans if p["nodes"] == n and p["topology"] == "fabric"]
    seen = []
    typha = {}
    for p in plans:
        for w in p["warnings"]:
            if w.startswith(_TYPHA_WARNING):
                typha[p["nodes"]] = p["typha_replicas"]
            elif w not in seen:
                seen.append(w)
    if typha:
        seen.append(_TYPHA_WARNING + ": replicas by the operator's formula: "
                    + ", ".join(f"{n:,} nodes -> {r}" for n, r in typha.items()))
    crit = (f"smallest compared node count above {MESH_GUIDANCE_NODES} (the docs' full-mesh guidance) where "
            f"every reflector design has fewer BGP sessions and less BIRD memory per node than the full mesh")
    return CompareResult({"plans": plans, "crossover": crossover, "crossover_criterion": crit,
                          "recommendation": recs, "warnings": seen})


def compare_designs(n, reflectors, topologies=("mesh", "rr")):
    """The ``(topology, reflectors)`` pairs :func:`compare` plans at ``n`` nodes, in order."""
    out = [("mesh", 0)] if "mesh" in topologies else []
    if "rr" in topologies:
        out += [("rr", int(k)) for k in reflectors if k < n]
    return out + ([("fabric", 0)] if "fabric" in topologies else [])


def _design_label(topology, k):
    return {"mesh": "full mesh", "fabric": "fabric"}.get(topology) or f"{k} reflectors"


def _rr_better(mesh, rr):
    if rr["sessions_per_node"] >= mesh["sessions_per_node"]:
        return False
    a, b = mesh["memory_per_node_bytes"], rr["memory_per_node_bytes"]
    return a is None or b is None or b < a


def _recommend(n, mesh, rrs):
    if not rrs:
        return f"{n:,} nodes: full mesh ({mesh['sessions_per_node']:,} sessions per node)"
    best = min(rrs, key=lambda p: (p["memory_per_node_bytes"] or 0, p["reflectors"]))
    two = [p for p in rrs if p["reflectors"] >= 2]
    pick = min(two, key=lambda p: p["reflectors"]) if two else best
    spof = (" (one reflector: a single point of failure)" if pick.get("single_point_of_failure") else "")
    if n <= 100 and not _rr_better(mesh, pick):
        return (f"{n:,} nodes: full mesh ({mesh['sessions_per_node']:,} sessions per node; reflectors do not "
                f"reduce per-node cost here)")
    if n <= 100:
        return (f"{n:,} nodes: full mesh is fine ({mesh['sessions_per_node']:,} sessions per node, within the "
                f"docs' ~100-node guidance); {pick['reflectors']} reflectors would cut it to "
                f"{pick['sessions_per_node']}{spof}")
    mm, pm = mesh["memory_per_node_bytes"], pick["memory_per_node_bytes"]
    mem = f", {_mb(mm)} -> {_mb(pm)} per node" if mm and pm else ""
    cold = ""
    if mesh["convergence_s"] is not None and pick["convergence_s"] is not None:
        word = "slower" if pick["convergence_s"] > mesh["convergence_s"] else "faster"
        cold = f"; cold start {word}: {mesh['convergence_s']:,.1f} s -> {pick['convergence_s']:,.1f} s"
    spof = ("; a single reflector is a single point of failure: its crash cuts every client pair until it "
            "returns" if pick.get("single_point_of_failure") else "")
    return (f"{n:,} nodes: {pick['reflectors']} route reflectors ({mesh['sessions_total']:,} -> "
            f"{pick['sessions_total']:,} sessions{mem}; each reflector holds {pick['sessions_per_reflector']:,} "
            f"sessions{', ' + _mb(pick['memory_per_reflector_bytes']) if pick['memory_per_reflector_bytes'] else ''}"
            f"{cold}{spof})")


def _mb(b):
    return f"{b / 2**20:,.0f} MiB" if b is not None else "-"
