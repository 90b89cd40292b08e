"""Scenario timelines: timed events on one cluster in one simulation.

Operations are timelines, not single events: a node down while another
restarts, a rolling restart of calico-node (a DaemonSet upgrade), a reflector
replaced while clients restart, the mesh-to-reflector migration in the wrong
order.  A timeline is a list of entries, each ``at`` seconds after the
disruption starts (the cold start has converged and settled, as for every
scenario of :func:`fastroute.sim.converge.simulate`)::

    - {at: 0, event: crash, node: node1}
    - {at: 5, event: restart, node: node2}          # downtime: Params.restart_downtime
    - {at: 60, event: rolling_restart, batch: 1, pause: 30}

Events (``node`` is a node name or index; ``crash``, ``restart``, ``stop`` and
``start`` also take the name of a Router, docs/fabric.md):

==================  ==========================================================
``crash``           the node dies silently: each peer's hold timer decides
``restart``         calico-node killed and started again after ``downtime``
                    (BIRD -R: graceful restart on the peers, recovery on the node)
``stop``            calico-node stopped cleanly (SIGTERM): Cease, peers withdraw
                    at once; its pods are not counted until it starts again
``start``           calico-node starts (BIRD -R)
``join``            a new node appears (absent until then): confd adds its
                    peerings everywhere, its BIRD starts
``drain``           the node is deleted: confd removes its peerings
``reflector_crash`` a route reflector dies silently (default: the first one)
``mesh_off``        the node-to-node mesh is disabled
``peerings_add``    the reflector peerings (BGPPeers) are created (absent until
                    then when the timeline has this event)
``block_add``       the node claims one more block; ``pods`` new pods on it
``rolling_restart`` ``restart`` of ``nodes`` (default: every node, in order) in
                    batches of ``batch`` every ``pause`` seconds
==================  ==========================================================

:func:`load` reads a YAML or JSON file (a list, or a mapping with ``events``);
:func:`parse` checks entries.  A bad entry raises
:class:`~fastroute.errors.TimelineError` naming the file, the entry's index,
the field and the value.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import TimelineError, shown

__all__ = ["EVENTS", "Timeline", "load", "parse", "rolling_restart"]

#: event -> its fields besides ``at`` and ``event`` (None: no default, required)
EVENTS = {
    "crash": {"node": None},
    "restart": {"node": None, "downtime": "restart_downtime"},
    "stop": {"node": None},
    "start": {"node": None},
    "join": {"node": None},
    "drain": {"node": None},
    "reflector_crash": {"node": "first reflector"},
    "mesh_off": {},
    "peerings_add": {},
    "block_add": {"node": None, "pods": 0},
    "rolling_restart": {"nodes": "every node", "batch": 1, "pause": 30.0, "downtime": "restart_downtime"},
}


@dataclass(frozen=True)
class Timeline:
    """Checked timeline entries (dicts with ``at``, ``event`` and the event's fields), in time order."""

    entries: tuple
    source: str = "<timeline>"

    @property
    def needs_both(self):
        """The design must hold the mesh and the configured peerings at once."""
        return any(e["event"] in ("mesh_off", "peerings_add") for e in self.entries)

    def events(self, kind):
        return [e for e in self.entries if e["event"] == kind]


def rolling_restart(at: float = 0.0, batch: int = 1, pause: float = 30.0, nodes: Iterable[str] | None = None,
                    downtime: float | None = None) -> dict[str, Any]:
    """A ``rolling_restart`` entry (a DaemonSet upgrade with ``maxUnavailable: batch``)."""
    e = {"at": at, "event": "rolling_restart", "batch": batch, "pause": pause}
    if nodes is not None:
        e["nodes"] = list(nodes)
    if downtime is not None:
        e["downtime"] = downtime
    return e


def load(path: str | os.PathLike[str]) -> Timeline:
    """A :class:`Timeline` from a YAML or JSON file.

    Raises
    ------
    TimelineError
        Not YAML, not a list of entries, or a bad entry (file, index, field, value).
    OSError
        The file cannot be read.
    """
    import yaml

    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise TimelineError(f"{path}: not valid YAML or JSON: {e}") from None
    return parse(data, source=str(path))


def parse(entries: object, source: str = "<timeline>") -> Timeline:
    """Check timeline entries (a list of mappings, or ``{"events": [...]}``); a :class:`Timeline`."""
    if isinstance(entries, Timeline):
        return entries
    if isinstance(entries, dict) and set(entries) == {"events"}:
        entries = entries["events"]
    if not isinstance(entries, (list, tuple)):
        raise TimelineError(f"{source}: expected a list of events (or a mapping with 'events'), "
                            f"got {type(entries).__name__}")
    out = []
    for i, raw in enumerate(entries):
        out.append(_entry(raw, i, source))
    out.sort(key=lambda e: e["at"])
    return Timeline(tuple(out), source)


def _bad(source, i, field, value, want):
    return TimelineError(f"{source}: entry {i}: invalid {field} {shown(value)}: {want}")


def _entry(raw, i, source):
    if not isinstance(raw, dict):
        raise TimelineError(f"{source}: entry {i}: expected a mapping with 'at' and 'event', got {shown(raw)}")
    kind = raw.get("event")
    if kind not in EVENTS:
        raise _bad(source, i, "event", kind, f"expected one of {', '.join(EVENTS)}")
    fields = EVENTS[kind]
    for k in raw:
        if k not in ("at", "event") and k not in fields:
            allowed = ", ".join(["at", "event", *fields])
            raise TimelineError(f"{source}: entry {i}: unknown field {shown(k)} for event {kind!r} "
                                f"(fields: {allowed})")
    e = {"at": _seconds(raw.get("at"), source, i, "at", required=True), "event": kind}
    for k, default in fields.items():
        v = raw.get(k)
        if v is None:
            if default is None:
                raise TimelineError(f"{source}: entry {i}: event {kind!r} needs {k!r}")
            e[k] = None if isinstance(default, str) else default
            continue
        if k == "node":
            e[k] = _node(v, source, i, k)
        elif k == "nodes":
            if not isinstance(v, (list, tuple)) or not v:
                raise _bad(source, i, k, v, "expected a non-empty list of node names")
            e[k] = [_node(x, source, i, k) for x in v]
        elif k in ("batch", "pods"):
            low = 1 if k == "batch" else 0
            if isinstance(v, bool) or not isinstance(v, int) or not low <= v <= 1_000_000:
                raise _bad(source, i, k, v, f"expected an integer {low}..1000000")
            e[k] = v
        else:
            e[k] = _seconds(v, source, i, k)
    return e


def _seconds(v, source, i, field, required=False):
    if v is None and required:
        raise TimelineError(f"{source}: entry {i}: {field!r} is required (seconds after the disruption starts)")
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not 0 <= v <= 1e7:
        raise _bad(source, i, field, v, "expected seconds, a number 0..10000000")
    return float(v)


def _node(v, source, i, field):
    if isinstance(v, bool) or not isinstance(v, (str, int)) or (isinstance(v, str) and not v):
        raise _bad(source, i, field, v, "expected a node name or index")
    return v


# ---------------------------------------------------------------------------- on a design


def actions(tl, d, p):
    """The engine actions of a timeline on design ``d``: ``(t, action, a, b, c)``
    with ``t`` relative to the disruption and ``a`` a speaker index, or for
    ``mesh_off``/``peerings_add`` the strings ``"mesh"``/``"peerings"`` (pairs
    are chosen by :func:`schedule`)."""
    out = []
    for i, e in enumerate(tl.entries):
        kind, t = e["event"], e["at"]
        if kind == "rolling_restart":
            nodes = ([_index(d, x, tl.source, i) for x in e["nodes"]] if e["nodes"] is not None
                     else [h for h in range(d.n_speakers) if not d.speakers.external[h]])
            down = p.restart_downtime if e["downtime"] is None else e["downtime"]
            for k in range(0, len(nodes), e["batch"]):
                for h in nodes[k:k + e["batch"]]:
                    out += _restart(t + (k // e["batch"]) * e["pause"], h, down, p)
            continue
        if kind in ("mesh_off", "peerings_add"):
            out.append((t, kind, "mesh" if kind == "mesh_off" else "peerings", 0, 0))
            continue
        node = e.get("node")
        if kind == "reflector_crash" and node is None:
            if not len(d.reflectors):
                raise TimelineError(f"{tl.source}: entry {i}: reflector_crash needs a design with route reflectors")
            h = int(d.reflectors[0])
        else:
            h = _index(d, node, tl.source, i)
        if kind == "restart":
            out += _restart(t, h, p.restart_downtime if e["downtime"] is None else e["downtime"], p)
        elif kind in ("crash", "reflector_crash"):
            out.append((t, "CRASH", h, 0, 0))
        elif kind == "stop":
            out.append((t, "BIRD_STOP", h, 0, 0))
        elif kind == "start":
            out += [(t, "NODE_ALIVE", h, 0, 0), (t, "BIRD_START", h, int(p.recovery), 0)]
        elif kind == "join":
            out += [(t, "NODE_ALIVE", h, 0, 0), (t, "join", h, 0, 0), (t, "BIRD_START", h, int(p.recovery), 0)]
        elif kind == "drain":
            out.append((t, "DELETE", h, 0, 0))
        elif kind == "block_add":
            if d.speakers.external[h]:
                raise TimelineError(f"{tl.source}: entry {i}: invalid node {shown(node)}: a router claims no blocks")
            c = np.flatnonzero(np.asarray(d.classes) == h)
            if not len(c):
                raise TimelineError(f"{tl.source}: entry {i}: node {shown(node)} exports no prefixes to add to")
            out.append((t, "CHURN", h, 1, e["pods"]))
    return out


def _restart(t, h, downtime, p):
    return [(t, "BIRD_STOP", h, 1, 0), (t + downtime, "BIRD_START", h, int(p.recovery), 0)]


def _index(d, node, source, i):
    if isinstance(node, int):
        if not 0 <= node < d.n_speakers or d.speakers.external[node]:
            raise TimelineError(f"{source}: entry {i}: invalid node {node!r}: not a node index of the cluster")
        return node
    if node not in d.names:
        raise TimelineError(f"{source}: entry {i}: unknown node {shown(node)}: not a node or router of the cluster")
    return d.names.index(node)


def absent(acts, s):
    """``(nodes, pairs)`` that do not exist before the timeline adds them: the
    nodes that join, their sessions, and the peerings a ``peerings_add`` creates."""
    nodes = sorted({a for _, what, a, _, _ in acts if what == "join"})
    pr, loc = s["pair_row"], s["row_local"]
    ends = np.stack([loc[pr[0::2]], loc[pr[1::2]]], axis=1)
    pairs = np.isin(ends, nodes).any(axis=1)
    return nodes, pairs


def schedule(eng, A, acts, s, pair_kind, t0):
    """Queue the timeline's actions on engine ``eng`` from ``t0``."""
    mesh = pair_kind == 0
    pr, loc = s["pair_row"], s["row_local"]
    for t, what, a, b, c in acts:
        t = t0 + t
        if what == "join":
            for k in np.flatnonzero((loc[pr[0::2]] == a) | (loc[pr[1::2]] == a)):
                eng.schedule(t, A.PAIR_ADD, int(k), 0, 0)
        elif what == "mesh_off":
            for k in np.flatnonzero(mesh):
                eng.schedule(t, A.PAIR_REMOVE, int(k), 0, 0)
        elif what == "peerings_add":
            for k in np.flatnonzero(~mesh):
                eng.schedule(t, A.PAIR_ADD, int(k), 0, 0)
        elif what == "CHURN":
            # a: the node; the engine's churn acts on its class
            k = int(np.flatnonzero(np.asarray(s["cl_origin"]) == a)[0])
            eng.schedule(t, A.CHURN, k, int(b), int(c))
        else:
            eng.schedule(t, getattr(A, what), int(a), int(b), int(c))
