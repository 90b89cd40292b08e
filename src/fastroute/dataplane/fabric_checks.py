"""Design checks of clusters with Routers (top-of-rack and spine routers of an L3
fabric, :mod:`fastroute.model.routers`), for :func:`fastroute.dataplane.verify.verify`.

* ``inbound-hot-spot`` (warning): a Router reaches the blocks of several nodes
  through one node.  A ToR hears every block from every node of its AS with
  AS paths of the same length and, BIRD 1.6's ``bgp_rte_better``
  (proto/bgp/attrs.c) going on to the router id, picks the lowest one: all pod
  traffic entering from the fabric goes through that node, which forwards it on.
* ``rack-without-path`` (error): no node of one rack reaches any pod of another
  rack.  A rack is the ``rack`` label of the nodes when every node has one, else
  the Router a node peers with first.
* ``mesh-and-fabric`` (warning): the node-to-node mesh is on and the Routers carry
  node routes too (a node learns another node's blocks over its Router sessions
  alone): two designs at once, twice the sessions and paths.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from ..bgp.propagate import KIND_BLOCK, Reason, SessionGraph, propagate

if TYPE_CHECKING:
    from .routes import RouteTables

__all__ = ["fabric_findings"]


def _routers(tables):
    n = tables.cluster.n_nodes
    return [(e.index, e.router) for e in tables.network.externals
            if e.router is not None and e.version == tables.version and e.router.name not in tables.network.down
            and e.index - n < len(tables.network.externals)]


def _hot_spots(tables, finding):
    plane, prop, o = tables.plane, tables.propagation, tables.network.origins
    n = tables.cluster.n_nodes
    names = tables.cluster.node_names
    kind = np.asarray(o.kind)[plane.columns]
    origin = np.asarray(o.origin)[plane.columns]
    blocks = np.flatnonzero((kind == KIND_BLOCK) & (origin >= 0) & (origin < n))
    out = []
    for v, r in _routers(tables):
        hop = plane.entry[v, blocks]
        ok = (hop >= 0) & (hop < n)
        owners = set(np.asarray(o.owner)[plane.columns[blocks[ok]]].tolist())
        hops = set(hop[ok].tolist())
        if len(hops) != 1 or len(owners) < 2:
            continue
        h = hops.pop()
        cls = plane._class_col[blocks[ok]]
        by_rid = bool(np.any(prop.reason[v, cls[cls >= 0]] == Reason.ROUTER_ID))
        why = " (the lowest router id among equal paths)" if by_rid else ""
        out.append(finding(
            "inbound-hot-spot",
            f"router {r.name} reaches the blocks of {len(owners)} nodes through node {names[h]}{why}: all pod "
            f"traffic entering from it goes through {names[h]}, which forwards it on (a hot spot and an extra hop)",
            "warning", {"router": r.name, "node": names[h], "n_nodes": len(owners), "n_blocks": int(ok.sum())}))
    return out


def _racks(tables):
    """Rack name per node (None: no rack)."""
    c = tables.cluster
    if all("rack" in nd.labels for nd in c.nodes):
        return [nd.labels["rack"] for nd in c.nodes]
    s = tables.network.topology.sessions(tables.version) if tables.network.topology is not None else None
    rack = [None] * c.n_nodes
    if s is None:
        return rack
    names = {e.index: e.router.name for e in tables.network.externals if e.router is not None}
    for a, b in zip(np.asarray(s.local).tolist(), np.asarray(s.remote).tolist()):
        if a < c.n_nodes and b in names and rack[a] is None:
            rack[a] = names[b]
    return rack


def _rack_paths(tables, units, outcome, finding):
    rack = _racks(tables)
    if len({r for r in rack if r is not None}) < 2:
        return []
    members = defaultdict(list)
    for i, r in enumerate(rack):
        if r is not None and tables.cluster.node_names[i] not in tables.network.down:
            members[r].append(i)
    unit_rack = np.array([rack[int(v)] or "" for v in units.node], dtype=object)
    out = []
    for a in sorted(members):
        rows = outcome[members[a]]
        for b in sorted(members):
            cols = np.flatnonzero(unit_rack == b)
            if a == b or not len(cols):
                continue
            if not (rows[:, cols] == 0).any():
                out.append(finding(
                    "rack-without-path", f"no node of rack {a} reaches any pod of rack {b}", "error",
                    {"from_rack": a, "to_rack": b}))
    return out


def _mesh_and_fabric(tables, finding):
    c = tables.cluster
    net = tables.network
    n = c.n_nodes
    if not c.bgp_config.mesh_enabled or not _routers(tables):
        return []
    g = net.graph
    keep = (np.asarray(g.local) >= n) | (np.asarray(g.remote) >= n)
    if not keep.any():
        return []
    fabric = SessionGraph(*(np.asarray(getattr(g, f.name))[keep] for f in dataclasses.fields(SessionGraph)))
    classes = np.asarray(tables.propagation.classes)
    classes = classes[classes < n]
    if not len(classes):
        return []
    res = propagate(net.speakers, fabric, classes)
    nh = res.best_next_hop[:n]
    learned = (nh >= 0).any(axis=1)
    if not learned.any():
        return []
    who = [c.node_names[i] for i in np.flatnonzero(learned)]
    return [finding("mesh-and-fabric",
                    f"the node-to-node mesh is on and the routers carry node routes too ({len(who)} nodes learn "
                    f"other nodes' blocks over their router sessions alone, e.g. {who[0]}): two designs at once, "
                    "twice the sessions and paths; turn the mesh off or stop the routers passing node routes",
                    "warning", {"nodes": who})]


def fabric_findings(tables: RouteTables, units: Any, outcome: np.ndarray, finding: Callable[..., Any]) -> list[Any]:
    """The fabric design findings (``finding(kind, message, severity, details)``
    makes each) of ``tables``, from :func:`~fastroute.dataplane.verify.reach_matrix`'s
    ``units`` and ``outcome``; none for a cluster without Routers."""
    if not _routers(tables):
        return []
    return _hot_spots(tables, finding) + _rack_paths(tables, units, outcome, finding) + \
        _mesh_and_fabric(tables, finding)
