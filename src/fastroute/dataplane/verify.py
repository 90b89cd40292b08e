"""Check a cluster's Calico networking for what can go wrong: unreachable pods,
forwarding loops, unexpected blackholes, route-reflector misconfigurations and
pool exhaustion.

:func:`verify` computes every node's routes once (:func:`fastroute.dataplane.routes.compute`)
and closes their forwarding plane (:mod:`fastroute.dataplane.forwarding`)
transitively, as arrays, not pod by pod.  Pods that behave alike are one
*destination unit*: the pods of one block that live on one node (the block's own
node, or a node that borrowed addresses from it); every node handles a unit's
addresses by the plane's state of one column (the pods' ``/32``, else their
block), and its own pods by their workload routes.  The walk from every node to
every unit is solved by pointer doubling over that function: ``log2(n_speakers)``
gathers of an ``(4 n_speakers, n_units)`` array.  Unreachable pod pairs are then
grouped by cause: the destination block, where packets end and why.

Examples
--------
>>> from fastroute import examples, verify
>>> r = verify.verify(examples.seed())
>>> r.ok, r.n_pod_pairs
(True, 30)
>>> verify.verify(examples.seed(), down=["node1"]).findings[0].kind
'unreachable'
"""

from __future__ import annotations

import ipaddress
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from . import routes as _routes
from .fabric_checks import fabric_findings
from .forwarding import Outcome, terminal
from ..jsonout import Record
from ..errors import choice
from ..bgp.chains import reflector_chains
from ..bgp.propagate import KIND_BLOCK, KIND_POD
from ..model.ipam import release_pods

if TYPE_CHECKING:
    from ..model.cluster import Cluster

__all__ = ["Finding", "Report", "verify", "reach_matrix", "unreachable_pairs", "format_report"]

# terminal outcomes of the walk (codes inside the state encoding)
DELIVERED, BLACKHOLE, NO_ROUTE, LOOP = Outcome.DELIVERED, Outcome.BLACKHOLE, Outcome.NO_ROUTE, Outcome.LOOP
_OUTCOME = {DELIVERED: "delivered", BLACKHOLE: "blackhole", NO_ROUTE: "no route", LOOP: "loop"}
_MAX_GROUPS = 200


@dataclass(frozen=True)
class Finding(Record):
    """One problem: its kind, a one-line message and details for ``--json``.

    ``kind`` is one of ``unreachable``, ``loop``, ``blackhole``,
    ``shared-cluster-id``, ``reflector-chains``, ``rr-without-clients``, ``client-without-reflector``, ``no-sessions``,
    ``mesh-disabled-without-peers``, ``pool-exhaustion``, ``no-enabled-pool``, ``ipam-failure``, and for clusters
    with Routers
    ``inbound-hot-spot``, ``rack-without-path``, ``mesh-and-fabric``
    (:mod:`fastroute.dataplane.fabric_checks`).
    """

    kind: str
    message: str
    severity: str = "error"           # error | warning
    details: dict = field(default_factory=dict)

    def to_dict(self):
        return {"kind": self.kind, "severity": self.severity, "message": self.message, **self.details}


@dataclass
class Report(Record):
    """What :func:`verify` found.

    Attributes
    ----------
    findings : list of Finding
    n_pod_pairs : int
        Ordered pairs of distinct addressed pods checked.
    n_unreachable_pairs : int
    n_loop_pairs : int
        Pod pairs whose packets loop (also counted as unreachable).
    """

    findings: list
    n_nodes: int
    n_pods: int
    n_units: int
    n_pod_pairs: int
    n_unreachable_pairs: int
    n_loop_pairs: int
    version: int = 4
    down: tuple = ()

    @property
    def ok(self):
        return not self.findings

    def table_rows(self):
        """One row per finding (kind, severity, message and its details)."""
        return [f.to_dict() for f in self.findings]

    def to_dict(self):
        return {
            "ok": self.ok, "version": self.version, "down": list(self.down), "n_nodes": self.n_nodes,
            "n_pods": self.n_pods, "n_units": self.n_units, "n_pod_pairs": self.n_pod_pairs,
            "n_unreachable_pairs": self.n_unreachable_pairs, "n_loop_pairs": self.n_loop_pairs,
            "findings": [f.to_dict() for f in self.findings],
        }

    def text(self):
        return format_report(self)


# ---------------------------------------------------------------------------- units

@dataclass
class _Units:
    """Destination units: pods of one block on one node."""

    block: np.ndarray        # int64 index into origins (KIND_BLOCK row), -1 outside every block
    node: np.ndarray         # int64 node the unit's pods live on
    home: np.ndarray         # bool: node == the block's affine node
    exported: np.ndarray     # bool: away from home, with the pods' /32s exported
    affine: np.ndarray       # int64 block's affine node, -1 none
    vxlan: np.ndarray        # bool: the pods' pool is a VXLAN pool
    col: np.ndarray          # int64 plane column the pods' addresses resolve by, -1 none
    n_pods: np.ndarray       # int64 pods in the unit
    pod_unit: np.ndarray     # int64 per addressed pod (origins KIND_POD order): its unit


def _units(tables):
    o = tables.network.origins
    plane = tables.plane
    pi = np.flatnonzero(o.kind == KIND_POD)
    holder = plane.pod_holder
    p_node = o.owner[pi].astype(np.int64)
    key = np.stack([holder, p_node], axis=1) if len(pi) else np.zeros((0, 2), np.int64)
    uniq, pod_unit, n_pods = np.unique(key, axis=0, return_inverse=True, return_counts=True) if len(pi) else \
        (np.zeros((0, 2), np.int64), np.zeros(0, np.int64), np.zeros(0, np.int64))
    pod_unit = pod_unit.reshape(-1)
    ub, un = uniq[:, 0], uniq[:, 1]
    affine = np.where(ub >= 0, o.owner[np.maximum(ub, 0)], -1).astype(np.int64)
    home = (ub >= 0) & (affine == un)
    # the unit's first pod stands for all: its /32 column (a borrowed address), else its block's
    first_pod = np.zeros(len(uniq), np.int64)
    if len(pi):
        first_pod[pod_unit[::-1]] = np.arange(len(pi))[::-1]
    rep = pi[first_pod] if len(pi) else np.zeros(0, np.int64)
    col = np.full(len(uniq), -1, np.int64)
    exported = np.zeros(len(uniq), bool)
    if len(pi):
        np.maximum.at(col, pod_unit, plane.col_of[pi])
        exported[pod_unit[o.origin[pi] >= 0]] = True
    exported &= ~home
    col = np.where(col >= 0, col, np.where(ub >= 0, plane.col_of[np.maximum(ub, 0)], -1))
    # the pool of the unit: the block's, else the pods' own
    pool_idx = np.where(ub >= 0, o.pool[np.maximum(ub, 0)], o.pool[rep] if len(pi) else -1)
    vx = np.array([p.vxlan_mode != "Never" for p in tables.cluster.pools] + [False], bool)[pool_idx]
    return _Units(ub, un, home, exported, affine, vx, col.astype(np.int64), n_pods.astype(np.int64), pod_unit)


def _transition(tables, units):
    """Next state of every (speaker, unit): a speaker index, or a terminal code
    (-1 - outcome), read from the forwarding plane."""
    state = tables.plane.state
    n_sp = state.shape[0]
    state = np.concatenate([state, np.full((n_sp, 1), terminal(Outcome.NO_ROUTE), state.dtype)], axis=1)
    out = state[:, np.where(units.col >= 0, units.col, state.shape[1] - 1)].astype(np.int64)
    out[units.node, np.arange(len(units.node))] = terminal(Outcome.DELIVERED)
    return out


def reach_matrix(tables: _routes.RouteTables) -> tuple[Any, np.ndarray, np.ndarray]:
    """Where a packet from every node to every destination unit ends.

    Returns
    -------
    units : _Units
    outcome : ndarray of int8, shape (n_nodes, n_units)
        0 delivered, 1 blackhole, 2 no route, 3 loop.
    where : ndarray of int64, shape (n_nodes, n_units)
        Speaker where the packet ended (for a loop: a speaker on the loop).
    """
    units = _units(tables)
    n = tables.cluster.n_nodes
    T = _transition(tables, units)
    n_sp, n_u = T.shape
    # states: speakers 0..n_sp-1, then terminal (speaker, code) as n_sp + 3 * speaker + code (absorbing)
    S = n_sp
    F = np.empty((4 * S, n_u), np.int64)
    term = T < 0
    code = -1 - T
    F[:S] = np.where(term, S + 3 * np.arange(S)[:, None] + code, T)
    F[S:] = np.arange(S, 4 * S)[:, None]
    steps = 1
    cols = np.arange(n_u)[None, :]
    while steps <= S:
        F = F[F, cols]
        steps *= 2
    final = F[:n]
    loop = final < S
    outcome = np.where(loop, LOOP, (final - S) % 3).astype(np.int8)
    where = np.where(loop, final, (final - S) // 3)
    return units, outcome, where


def unreachable_pairs(tables: _routes.RouteTables) -> dict[tuple[int, int], str]:
    """Pairs of pod indices (source, destination) that do not reach each other,
    from :func:`reach_matrix` (for small clusters and tests: it lists pairs).

    Returns
    -------
    dict of (int, int) -> str
        The outcome ("no route", "blackhole", "loop") per failing pair.
    """
    units, outcome, _ = reach_matrix(tables)
    c = tables.cluster
    o = tables.network.origins
    pi = np.flatnonzero(o.kind == KIND_POD)
    pods = o.pod[pi]
    node = c.pods.node_idx
    out = {}
    for d_pos, d in enumerate(pods):
        u = units.pod_unit[d_pos]
        for s in pods:
            if s != d and outcome[int(node[s]), u] != DELIVERED:
                out[(int(s), int(d))] = _OUTCOME[int(outcome[int(node[s]), u])]
    return out


# ---------------------------------------------------------------------------- findings

def _prefix_text(o, i):
    return str(o.prefix(int(i)))


def _cause(tables, units, u, code, where, src_is_where):
    """A sentence for why packets to unit `u` end with `code` at `where`."""
    c = tables.cluster
    net = tables.network
    o = net.origins
    m = int(units.node[u])
    b = int(units.block[u])
    names = c.node_names
    down = net.down
    dst_node = names[m]
    aff = int(units.affine[u])
    if code == LOOP:
        return f"forwarding loop through {net.speaker_name(where)}"
    if b < 0:
        return "the pods' addresses lie in no IPAM block: nothing routes them"
    pool = c.pools[int(o.pool[b])] if int(o.pool[b]) >= 0 else None
    if dst_node in down and not units.vxlan[u]:
        return f"{dst_node} is down: its routes were withdrawn"
    if pool is None:
        return f"block {_prefix_text(o, b)} lies in no IP pool: it is not exported"
    if pool.disable_bgp_export and not units.vxlan[u]:
        return f"pool {pool.name} has disableBGPExport: its routes are not advertised"
    if aff < 0 and not units.vxlan[u]:
        return f"block {_prefix_text(o, b)} has no affinity: no node exports it"
    if units.vxlan[u]:
        return f"Felix programs no VXLAN route here (the target node has no VXLAN tunnel address)"
    wname = net.speaker_name(where)
    if code == BLACKHOLE and where >= c.n_nodes:
        return f"router {wname} has no route to the block: a blackhole it announces covers it"
    if code == BLACKHOLE:
        return (f"{wname} holds the block's blackhole and did not learn the /32 of the address "
                f"borrowed by {dst_node}")
    who = dst_node if not bool(units.home[u]) and units.exported[u] else (names[aff] if aff >= 0 else "?")
    sessions = tables.network.graph
    if where < c.n_nodes and not np.any(sessions.local == where):
        return f"{wname} has no established BGP session"
    return f"the routes exported by {who} do not reach {wname}"


def _unreachable_findings(tables, units, outcome, where):
    c = tables.cluster
    n = c.n_nodes
    pods_on = np.bincount(c.pods.node_idx[c.pods.ipv4 >= 0] if tables.version == 4 else
                          np.array([int(c.pods.node_idx[i]) for i, a in enumerate(c.pods.ipv6) if a is not None],
                                   np.int64), minlength=n).astype(np.int64)
    bad = outcome != DELIVERED
    pairs = pods_on[:, None] * units.n_pods[None, :]
    bad &= pairs > 0
    n_bad = int(pairs[bad].sum())
    n_loop = int(pairs[bad & (outcome == LOOP)].sum())
    if not n_bad:
        return [], 0, 0
    src, u = np.nonzero(bad)
    code = outcome[src, u].astype(np.int64)
    w = where[src, u]
    at_src = (w == src) & (code != LOOP)
    wkey = np.where(at_src, -1, w)
    key = np.stack([u, code, wkey], axis=1)
    groups, inv = np.unique(key, axis=0, return_inverse=True)
    inv = inv.reshape(-1)
    g_pairs = np.bincount(inv, weights=pairs[src, u], minlength=len(groups)).astype(np.int64)
    g_nodes = np.bincount(inv, minlength=len(groups))
    order = np.argsort(-g_pairs, kind="stable")
    o = tables.network.origins
    net = tables.network
    out_loop, out_unreach = [], []
    first_src = np.zeros(len(groups), np.int64)
    first_src[inv[::-1]] = src[::-1]
    by_cause = defaultdict(list)
    for g in order[:_MAX_GROUPS]:
        ug, cg, wg = (int(x) for x in groups[g])
        b = int(units.block[ug])
        dst = _prefix_text(o, b) if b >= 0 else "outside every block"
        m = c.node_names[int(units.node[ug])]
        what = dst if units.home[ug] else f"{dst} (addresses borrowed by {m})"
        w_sp = int(first_src[g]) if wg < 0 else wg
        place = "at the source node" if wg < 0 else f"at {net.speaker_name(wg)}"
        cause = _cause(tables, units, ug, cg, w_sp, wg < 0)
        by_cause[(cause, cg)].append(dict(
            destination=what, pods_node=m, outcome=_OUTCOME[cg], where=place,
            n_source_nodes=int(g_nodes[g]), n_pod_pairs=int(g_pairs[g]),
            example_source_node=c.node_names[int(first_src[g])]))
    for (cause, cg), rows in by_cause.items():
        total = sum(r["n_pod_pairs"] for r in rows)
        dests = ", ".join(r["destination"] for r in rows[:3]) + (f", ... ({len(rows)} blocks)" if len(rows) > 3 else "")
        kind = "loop" if cg == LOOP else "unreachable"
        msg = f"{total} pod pairs {'loop' if cg == LOOP else 'unreachable'} ({_OUTCOME[cg]}) toward {dests}: {cause}"
        f = Finding(kind, msg, "error", {"cause": cause, "n_pod_pairs": total, "groups": rows})
        (out_loop if cg == LOOP else out_unreach).append(f)
    if len(groups) > _MAX_GROUPS:
        rest = int(g_pairs[order[_MAX_GROUPS:]].sum())
        out_unreach.append(Finding("unreachable", f"{rest} more unreachable pod pairs in "
                                   f"{len(groups) - _MAX_GROUPS} more groups", "error", {"n_pod_pairs": rest}))
    return out_loop + out_unreach, n_bad, n_loop


def _host_blackholes(tables):
    """Host routes (the node's host-routes annotation) that drop pod traffic."""
    c = tables.cluster
    pools = [p.cidr for p in c.pools if p.version == tables.version]
    out = []
    for i, node in enumerate(c.nodes):
        if not getattr(node, "host_routes", None):
            continue
        for r in _routes.host_routes(node, tables.version):
            if r.type == "unicast" or r.dst == "default":
                continue
            dst = ipaddress.ip_network(r.dst if "/" in r.dst else f"{r.dst}/{32 if tables.version == 4 else 128}",
                                       strict=False)
            hit = [str(p) for p in pools if p.overlaps(dst)]
            if hit:
                out.append(Finding("blackhole", f"node {node.name}: host route `{r.text()}` drops traffic to "
                                   f"pool {hit[0]}", "error", {"node": node.name, "route": r.text(), "pool": hit[0]}))
    return out


def _int_ip(x):
    return str(ipaddress.IPv4Address(int(x)))


def _reflector_findings(tables):
    """Route-reflector and session design problems, from the configured sessions."""
    c = tables.cluster
    topo = tables.network.topology
    if topo is None:
        from ..bgp import topology as _topology
        topo = _topology.compute(c, down=tables.network.down)
    s = topo.sessions(tables.version)
    n = c.n_nodes
    out = []
    names = c.node_names
    down = tables.network.down
    local = np.asarray(s.local)
    remote = np.asarray(s.remote)
    rr = np.asarray(s.rr_client, bool) & (local < n)
    est = np.asarray(s.established, bool)
    is_rr = np.array([bool(nd.rr_cluster_id) for nd in c.nodes], bool)
    # clients of each reflector (configured rr client sessions)
    clients = defaultdict(set)
    for a, b in zip(local[rr], remote[rr]):
        clients[int(a)].add(int(b))
    for i in np.flatnonzero(is_rr):
        if not clients.get(int(i)):
            out.append(Finding("rr-without-clients", f"route reflector {names[i]} (cluster id "
                               f"{c.nodes[i].rr_cluster_id}) has no clients: no BGPPeer peers a non-reflector with it",
                               "warning", {"node": names[i], "cluster_id": str(c.nodes[i].rr_cluster_id)}))
    by_cid = defaultdict(list)
    for i in np.flatnonzero(is_rr):
        by_cid[str(c.nodes[i].rr_cluster_id)].append(int(i))
    for cid, rrs in by_cid.items():
        if len(rrs) < 2:
            continue
        all_clients = set().union(*(clients.get(r, set()) for r in rrs)) - set(rrs)
        partial = sorted(x for x in all_clients if not all(x in clients.get(r, set()) for r in rrs))
        if partial:
            ex = partial[0]
            has = [names[r] for r in rrs if ex in clients.get(r, set())]
            out.append(Finding(
                "shared-cluster-id",
                f"route reflectors {', '.join(names[r] for r in rrs)} share cluster id {cid} but do not serve the "
                f"same clients ({len(partial)} clients peer with only some of them, e.g. {names[ex]} with "
                f"{', '.join(has)}): a reflector drops routes carrying its own cluster id, so clients of one "
                f"never learn the other's clients' routes",
                "error", {"cluster_id": cid, "reflectors": [names[r] for r in rrs],
                          "partial_clients": [names[x] for x in partial]}))
    chains = reflector_chains(local, remote, s.rr_client, is_rr, names)
    if chains is not None:
        out.append(Finding("reflector-chains", chains.message, "warning", chains.details))
    cfg = c.bgp_config
    if not cfg.mesh_enabled and not c.bgp_peers and n > 1:
        out.append(Finding("mesh-disabled-without-peers", "the node-to-node mesh is disabled and there is no "
                           "BGPPeer: no node has a BGP session", "error", {}))
    if n > 1:
        # established sessions from the network's graph: for large clusters the
        # topology's session table leaves the mesh out (network lays it down as arrays)
        # (with every node up: a node whose only peers are down is not misconfigured)
        g_local = np.asarray((tables.up_tables or tables).network.graph.local)
        has = np.zeros(n, bool)
        has[g_local[g_local < n]] = True
        bgp_pools = [p for p in c.pools if p.version == tables.version and not p.disabled
                     and p.vxlan_mode == "Never" and not p.disable_bgp_export]
        lonely = [names[i] for i in range(n) if not has[i] and names[i] not in down]
        if is_rr.any() and not cfg.mesh_enabled:
            served = set().union(*clients.values()) if clients else set()
            orphans = [names[i] for i in range(n) if has[i] and not is_rr[i] and i not in served
                       and names[i] not in down]
            if orphans:
                out.append(Finding(
                    "client-without-reflector",
                    f"{len(orphans)} nodes are no route reflector's client while the mesh is disabled "
                    f"({', '.join(orphans[:5])}{', ...' if len(orphans) > 5 else ''}): they learn no cluster routes",
                    "error", {"nodes": orphans}))
        if lonely and bgp_pools:
            cause = ("it is not a reflector client and the mesh is disabled" if not cfg.mesh_enabled
                     else "no session it is configured for comes up")
            out.append(Finding("no-sessions", f"{len(lonely)} nodes have no established BGP session "
                               f"({', '.join(lonely[:5])}{', ...' if len(lonely) > 5 else ''}): {cause}",
                               "error", {"nodes": lonely}))
    return out


def _pool_findings(cluster):
    from ..model.resources import Selector
    out = []
    if cluster.pools and all(p.disabled for p in cluster.pools):
        # Calico's IPAM allocates only from enabled pools: every new pod fails to get an address
        # (pods already holding addresses of a disabled pool keep them and are checked as usual)
        names = ", ".join(f"{p.name} ({p.cidr})" for p in cluster.pools)
        out.append(Finding("no-enabled-pool", f"every IP pool is disabled: {names}; no new pod can get an address",
                           "error", {"pools": [p.name for p in cluster.pools]}))
    for p in cluster.pools:
        if p.disabled:
            continue
        blocks = [b for b in cluster.blocks if b.version == p.version and p.cidr.overlaps(b.cidr)]
        free = p.n_blocks - len(blocks)
        try:
            sel = Selector(p.node_selector)
            nodes = [nd for nd in cluster.nodes if sel.matches(nd.labels)]
        except Exception:                     # a bad selector is the loader's business
            nodes = list(cluster.nodes)
        with_block = {b.affinity for b in blocks}
        need = sum(1 for nd in nodes if nd.name not in with_block)
        cap = p.cidr.num_addresses
        used = sum(b.n_used for b in blocks)
        if free < need:
            out.append(Finding(
                "pool-exhaustion",
                f"pool {p.name} ({p.cidr}) has {free} free blocks of /{p.block_size} for {need} nodes without a "
                f"block: they will borrow addresses from other nodes' blocks"
                + (" (strictAffinity: they will get none)" if cluster.ipam_config.strict_affinity else ""),
                "warning", {"pool": p.name, "free_blocks": free, "nodes_without_block": need}))
        elif used > 0.9 * cap:
            out.append(Finding("pool-exhaustion", f"pool {p.name} ({p.cidr}) is {100 * used / cap:.0f}% used "
                               f"({used} of {cap} addresses)", "warning",
                               {"pool": p.name, "used": used, "capacity": cap}))
    return out


def _without_unaddressed_pods(cluster):
    """The cluster less the pods IPAM could not address (they have no route to check)."""
    versions = {p.version for p in cluster.pools if not p.disabled}
    p = cluster.pods
    missing = [(p.namespace[i], p.name[i]) for i in range(len(p))
               if (4 in versions and p.ipv4[i] < 0) or (6 in versions and p.ipv6[i] is None)]
    return release_pods(cluster, missing) if missing else cluster


def verify(cluster: Cluster, version: int = 4, down: Iterable[str] = (), calico_version: str | None = None,
           tables: _routes.RouteTables | None = None, ipam_failures: list[str] | None = None) -> Report:
    """Check a cluster: every finding, and the pod-pair counts.

    Parameters
    ----------
    cluster : Cluster
        Allocated or a plan (allocated first).
    version : {4, 6}
    down : iterable of str
        Nodes whose calico-node is stopped.
    calico_version : str, optional
    tables : RouteTables, optional
        Already computed for this cluster, version and down set.
    ipam_failures : list of str, optional
        Pod allocations that failed (:func:`fastroute.model.ipam.allocate` ``failures``): each
        is an ``ipam-failure`` finding (an exhausted pool leaves pods without addresses).

    Returns
    -------
    Report
    """
    choice(version, (4, 6), "IP version")
    if isinstance(down, str):
        down = [d for d in down.split(",") if d]
    down = tuple(down)
    failures = list(ipam_failures or ())
    if not cluster.is_allocated and not failures:
        cluster = cluster.allocate(failures=failures)
    if failures:
        cluster = _without_unaddressed_pods(cluster)
    if tables is None:
        tables = _routes.compute(cluster, version, down=down, calico_version=calico_version)
    c = tables.cluster
    units, outcome, where = reach_matrix(tables)
    design = _reflector_findings(tables)
    findings, n_bad, n_loop = _unreachable_findings(tables, units, outcome, where)
    shared = [f for f in design if f.kind == "shared-cluster-id"]
    if shared:
        # name the likely culprit next to the symptom
        note = f" (see shared-cluster-id: reflectors {', '.join(shared[0].details['reflectors'])})"
        findings = [Finding(f.kind, f.message + note, f.severity, f.details)
                    if f.kind == "unreachable" and "do not reach" in f.message else f for f in findings]
    findings += _host_blackholes(tables)
    findings += design
    findings += _pool_findings(c)
    findings += [Finding("ipam-failure", f"no address: {m}", "error", {"message": m}) for m in failures]
    findings += fabric_findings(tables, units, outcome, Finding)
    n_addr = int(units.n_pods.sum())
    return Report(findings, c.n_nodes, n_addr, len(units.node), n_addr * (n_addr - 1), n_bad, n_loop, version,
                  down)


def format_report(report: Report) -> str:
    """Human-readable report text."""
    lines = [f"checked {report.n_nodes} nodes, {report.n_pods} pods, {report.n_pod_pairs} pod pairs "
             f"(IPv{report.version}" + (f", down: {', '.join(report.down)}" if report.down else "") + ")"]
    if report.ok:
        lines.append("ok: every pod reaches every other pod; no loops, blackholes or design problems found")
    for f in report.findings:
        lines.append(f"{f.severity}: {f.kind}: {f.message}")
        for g in f.details.get("groups", [])[:5]:
            lines.append(f"    {g['destination']} (pods on {g['pods_node']}): {g['outcome']} {g['where']}, "
                         f"from {g['n_source_nodes']} nodes (e.g. {g['example_source_node']}), "
                         f"{g['n_pod_pairs']} pod pairs")
        more = len(f.details.get("groups", [])) - 5
        if more > 0:
            lines.append(f"    ... {more} more blocks")
    return "\n".join(lines) + "\n"
