"""Capacity planning of fabric designs: Calico nodes peering with top-of-rack Routers.

Calico's "Calico over IP fabrics" design guide (docs/fabric.md) has three designs,
built by :func:`fastroute.model.synth.fabric`: AS per rack (the ToR reflects between
its rack's nodes), AS per node (eBGP from every node to its ToR) and downward
default (each ToR sends its nodes only a default route).  :func:`count_tables`
fills a :func:`fastroute.planning.plan.plan` dict for such a design from the
tables :func:`fastroute.dataplane.routes.compute` gives every node and Router:

* **Sessions**: per speaker, the BGP sessions of the computed session graph
  (node to ToR, ToR to spine), the largest per node and per router.
* **Routes**: per speaker, the rows of its kernel table: a node's own pods'
  ``/32`` workload routes, a blackhole per own block and every route BIRD installs;
  a Router's routes and the blackholes of its own announcements.
* **Memory**: priced as for the other designs with
  :class:`fastroute.sim.converge.Params` (``base_bytes`` + ``route_bytes`` per
  entry + ``session_bytes`` per session), the entries being the paths each
  speaker holds (Adj-RIB-In, from the propagation) plus its Loc-RIB.
* **Convergence**: :func:`convergence` runs the simulator
  (:func:`fastroute.sim.converge.simulate`, Routers as speakers; at any size: past
  ~2,000 nodes each rack's nodes merge into cohorts, :mod:`fastroute.sim.cohorts`) for a cold start,
  a node crash and a ToR crash (in place of the reflector crash of the other
  designs): ``convergence_s``, ``blackhole_node_crash_s``, ``tor_crash_s`` (until
  every speaker has dropped the crashed ToR's routes: the hold timer) and
  ``tor_crash_pod_pairs_lost`` (cut until it returns).
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Callable

import numpy as np

from ..dataplane.forwarding import Outcome, terminal
from ..errors import FastrouteError
from ..model.cluster import Cluster
from ..sim import converge
from ..sim.converge import Params

if TYPE_CHECKING:
    from ..dataplane.routes import RouteTables

__all__ = ["count_tables", "convergence", "simulation_source", "speaker_figures", "summary", "DEFAULT_RACK_NODES",
           "SCENARIOS"]

#: The scenarios of a fabric plan: (scenario, plan field, what is read from the result).
SCENARIOS = (("cold_start", "convergence_s", "time_to_converge"),
             ("node_crash", "blackhole_node_crash_s", "time_to_converge"),
             ("router_crash", "tor_crash_s", "time_to_converge"))

#: Nodes per rack when no rack count is given (a 42U rack of 1U servers, with room for its ToR).
DEFAULT_RACK_NODES = 40

_BLACKHOLE = terminal(Outcome.BLACKHOLE)


def count_tables(out: dict[str, Any], cluster: Cluster, sources: dict[str, str], progress: Callable[[str], None]
                 ) -> tuple[int, np.ndarray]:
    """Sessions, routes and BIRD memory per node and per Router of an allocated fabric cluster.

    Fills ``sessions_total``, ``sessions_per_node``, ``sessions_per_router``,
    ``routers``, ``routes_per_router``, ``memory_per_node_bytes``,
    ``memory_per_router_bytes`` and ``routes_method`` in ``out``; returns
    ``(prefixes, routes per node)`` (prefixes: the node-exported ones plus the
    Routers' announcements).
    """
    from ..dataplane import routes as _routes
    n = cluster.n_nodes
    progress(f"computing {n:,} nodes' and {len(cluster.routers):,} routers' tables")
    t0 = time.perf_counter()
    t = _routes.compute(cluster, 4)
    per, sess, mem = speaker_figures(t)
    sources["routes"] = (f"computed: every node's and router's table (fastroute.dataplane.routes, "
                         f"{time.perf_counter() - t0:.2f} s)")
    sources["sessions"] = "counted: the computed session graph (node to ToR, ToR to spine)"
    out["routes_method"] = "computed"
    out["routers"] = int(len(per) - n)
    out["sessions_total"] = int(sess.sum() // 2)
    out["sessions_per_node"] = int(sess[:n].max())
    out["sessions_per_router"] = int(sess[n:].max()) if len(per) > n else None
    out["routes_per_router"] = int(per[n:].max()) if len(per) > n else None
    out["memory_per_node_bytes"] = int(mem[:n].max())
    out["memory_per_router_bytes"] = int(mem[n:].max()) if len(per) > n else None
    sources["memory"] = (f"estimate: {Params.base_bytes / 1e6:.1f} MB + {Params.route_bytes:g} B per route entry "
                         f"(paths held + Loc-RIB, from the propagation) + {Params.session_bytes / 1e3:.0f} kB per "
                         f"session (fastroute.sim.converge.Params, from BIRD 2 benchmarks: docs/convergence.md)")
    o = t.network.origins
    return int((o.origin >= 0).sum()), per[:n]


def speaker_figures(tables: RouteTables) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Per speaker (nodes, then Routers): ``(kernel routes, BGP sessions, BIRD memory in bytes)``."""
    p, prop, net = tables.plane, tables.propagation, tables.network
    n = tables.cluster.n_nodes
    n_sp = int(p.n_speakers)
    entry = np.asarray(p.entry)[:n_sp]
    per = (entry >= 0).sum(axis=1) + (entry == _BLACKHOLE).sum(axis=1)
    per[:n] += np.bincount(tables.cluster.pods.node_idx, minlength=n)[:n]      # Felix's workload routes
    graph = net.graph
    sess = np.bincount(np.asarray(graph.local[:graph.n]), minlength=n_sp)[:n_sp]
    # prefixes per propagated class: the paths of a class are held once per prefix
    o = net.origins
    exported = np.flatnonzero(o.origin >= 0)
    col = np.full(int(o.origin.max(initial=-1)) + 1, -1, np.int64)
    col[prop.classes] = np.arange(len(prop.classes))
    weight = np.bincount(col[o.origin[exported]], minlength=len(prop.classes)).astype(np.int64)
    held = np.asarray(prop.n_paths)[:n_sp].astype(np.int64)
    entries = held @ weight + (held > 0).astype(np.int64) @ weight
    mem = Params.base_bytes + Params.route_bytes * entries + Params.session_bytes * sess
    return per.astype(np.int64), sess.astype(np.int64), mem.astype(np.int64)


def convergence(out: dict, cluster: Cluster, warnings: list[str], sources: dict, progress: Callable[[str], None],
                run: bool = True, why: str | None = None) -> None:
    """The convergence figures of a fabric plan (:data:`SCENARIOS`) into ``out``;
    ``run`` False: none, and a warning says ``why``."""
    out.update(tor_crash_s=None, tor_crash_pod_pairs_lost=None, tor_crash_router=None)
    if not run:
        warnings.append(f"convergence_s, blackhole_node_crash_s and tor_crash_s not simulated: {why}")
        return
    design = None
    for scenario, key, _ in SCENARIOS:
        progress(f"simulating {scenario.replace('_', ' ')}")
        t0 = time.perf_counter()
        try:
            design = design or converge.design(cluster)
            r = converge.simulate(design, scenario)
        except (FastrouteError, MemoryError) as e:
            warnings.append(f"{key} not simulated: {type(e).__name__}: {e}")
            continue
        sources[scenario] = simulation_source(scenario, r, time.perf_counter() - t0)
        if not r.converged:
            warnings.append(f"{scenario}: the simulation did not settle; its times are lower bounds")
        out[key] = round(float(r.time_to_converge), 6)
        if scenario == "router_crash":
            out["tor_crash_router"] = r.unreachable["target"]
            out["tor_crash_pod_pairs_lost"] = float(r.unreachable["pod_pairs_unreachable_at_end"])
    if out["tor_crash_s"] is not None:
        sources["tor_crash"] = (f"router_crash of {out['tor_crash_router']} (silent, never back): tor_crash_s until "
                                "every speaker dropped its routes (hold timer), tor_crash_pod_pairs_lost: pod pairs "
                                "without a route to each other at the end (a lost default route counts the pods "
                                "it stood for)")


def simulation_source(scenario: str, r: converge.Result, seconds: float) -> str:
    """Where a plan's figure of ``scenario`` comes from: the simulation ``r`` that took ``seconds``."""
    text = (f"fastroute.sim.converge.simulate('{scenario}'): {r.cost['events']:,} events, {r.cost['paths']:,} paths, "
            f"{seconds:.2f} s")
    agg = r.cost["cohorts"]
    if agg:
        text += (f", aggregate mode ({agg['cohorts']:,} cohorts of ~{agg['nodes_per_cohort']['mean']:.0f} nodes, "
                 "fastroute.sim.cohorts)")
    return text


def tor_crash_text(p):
    """A fabric plan's ToR crash: when its routes are gone everywhere, and what it cuts."""
    if p.get("tor_crash_s") is None:
        return "-"
    lost = p.get("tor_crash_pod_pairs_lost") or 0
    return (f"{p['tor_crash_s']:,.1f} s" + (f", {lost:,.0f} pod pairs cut until it returns" if lost else ""))


def summary(p: Mapping[str, Any]) -> str:
    """One recommendation line for a fabric plan."""
    mib = (lambda b: f"{b / 2**20:,.0f} MiB" if b is not None else "-")
    return (f"{p['nodes']:,} nodes: fabric {p['fabric']} ({_count(p['racks'], 'rack')}, "
            f"{_count(p['spines'], 'spine')}, {_count(p['routers'], 'router')}): "
            f"{_count(p['sessions_per_node'], 'session')} and {_count(p['routes_per_node'], 'route')} per node, "
            f"{mib(p['memory_per_node_bytes'])}; each router up to {_count(p['sessions_per_router'], 'session')}, "
            f"{_count(p['routes_per_router'], 'route')}, {mib(p['memory_per_router_bytes'])}; "
            f"cold start {_secs(p.get('convergence_s'))}, node crash {_secs(p.get('blackhole_node_crash_s'))}, "
            f"ToR crash {_secs(None) if p.get('tor_crash_s') is None else tor_crash_text(p)}")


def _secs(v):
    return "not simulated" if v is None else f"{v:,.1f} s"


def _count(v, word):
    return f"- {word}s" if v is None else f"{v:,} {word}{'' if v == 1 else 's'}"
