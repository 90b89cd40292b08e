"""How long BGP takes to converge, and what is unreachable meanwhile.

:func:`simulate` runs a deterministic discrete-event model of the BIRD 1.6
daemons of a Calico cluster (one per node, plus external routers) over their
BGP sessions, for one scenario: a cold start, a node joining, being drained,
crashing, calico-node restarting, a route reflector failing, the mesh to
route-reflector migration in the safe and the unsafe order, block and
borrowed-IP churn.  The result is a JSON-serialisable :class:`Result`.

The model (``docs/convergence.md`` has the derivations):

* Route classes.  Every prefix a node exports leaves it with the same
  attributes, so a node's prefixes travel together: one UPDATE per (class,
  path, receiving session), carrying all the class's prefixes
  (:func:`fastroute.bgp.propagate.originations`).
* Path universe.  Before the run every path a class can take is enumerated
  with the rules of :mod:`fastroute.bgp.propagate` (``_export``/``_receive``, RFC 4456
  reflection, ``path_key`` order).  During the run a path is present at its
  holder iff the last UPDATE on its session announced it; the best path is the
  first present one in preference order.  The converged state therefore equals
  :func:`fastroute.bgp.propagate.propagate_reference` (tested).
* Time.  Each BIRD is one core: receiving, building an UPDATE, programming the
  kernel, handling OPEN/KEEPALIVE are costs on that core's timeline.  Links add
  a latency.  Sessions follow BIRD's timers (connect delay, refused connection,
  hold timer with BIRD's jitter, error wait, graceful restart, End-of-RIB).

Examples
--------
>>> from fastroute import converge, examples
>>> r = converge.simulate(examples.seed(), "cold_start")
>>> r.sessions["total"], r.converged
(3, True)
"""

from __future__ import annotations

import dataclasses
import math
import time as _time
from dataclasses import dataclass, field

import numpy as np

from ..jsonout import Record
from ..bgp.chains import reflector_chains
from ..bgp.propagate import class_origins as routing_class_origins
from ..errors import ConvergenceError, InvalidValueError, choice
from .design import Design, design, from_graph, group_pods
from . import timeline as _timeline
from .engine import raise_for
from .targets import down_indices, first_tor, node_index, router_index
from .universe import Universe, fast_enumerable, ibgp_only, paths_estimate, rows_csr, universe

__all__ = ["Params", "Design", "Result", "Universe", "SCENARIOS", "design", "first_tor", "from_graph", "group_pods",
           "simulate", "universe"]

SCENARIOS = (
    "cold_start",
    "node_join",
    "node_drain",
    "node_crash",
    "calico_node_restart",
    "reflector_crash",
    "router_crash",
    "migration_safe",
    "migration_unsafe",
    "block_churn",
    "ip_churn",
    "timeline",
)


@dataclass(frozen=True)
class Params:
    """Timing and cost parameters, in seconds (costs per item on one BIRD core).

    Defaults and where they come from (``docs/convergence.md``, "Parameters and
    their sources", has the derivations):

    connect_delay = 2, connect_retry = 5, error_wait = (5, 30)
        Calico's ``bgp_template`` in projectcalico/calico
        ``confd/etc/calico/confd/templates/bird.cfg.template`` (v3.22-v3.31): ``connect delay time 2``,
        ``connect retry time 5``, ``error wait time 5,30``.  BIRD waits
        ``max(1, connect delay)`` before the first connect and again after a
        refused one (``bgp_active`` from ``bgp_decision``); a hold-timer expiry is
        an error and adds the error wait, doubling up to the maximum
        (``bgp_update_startup_delay``).
    hold_time = 240, keepalive_time = 80
        BIRD's defaults (``proto/bgp/config.Y``); Calico sets neither.  Timers are
        jittered like ``bgp_start_timer``: value - value/4 + U{0..value/4}.
    restart_time = 120
        Graceful-restart time BIRD advertises by default (``gr_time``), the time
        a peer keeps a restarting node's routes stale.
    gr_wait = 240
        BIRD's ``graceful restart wait`` (``DEFAULT_GR_WAIT``, nest/protocol.h):
        how long a BIRD started with -R waits for End-of-RIB from every
        configured peer before it exports anything (nest/proto.c,
        ``graceful_restart_init``/``graceful_restart_done``).
    recovery = True
        calico-node starts BIRD with ``-R`` (graceful-restart recovery,
        sysdep/unix/main.c): every configured BGP protocol locks the recovery
        until its peer's End-of-RIB (``bgp_start``, ``bgp_rx_end_mark``) or the
        session comes up with a peer that is restarting too
        (``bgp_conn_enter_established_state``); meanwhile the kernel keeps its
        routes and exports toward peers wait.  A peer whose BIRD is down holds
        the lock until ``gr_wait`` ends.  False: BIRD without -R (the kernel
        protocol's first scan removes the routes BIRD does not have yet).
    kernel_scan = 2
        Calico's kernel protocol ``scan time 2``: when a recovery ends, the
        routes BIRD no longer has leave the kernel at the next scan (a
        deterministic draw in [0, kernel_scan) per node).
    down, down_before = (), 0
        Nodes whose calico-node is down when the scenario's event happens: killed
        ``down_before`` seconds before it (the kernel closes their TCP sessions;
        peers keep their routes stale for ``restart_time``), never restarted; in
        a cold start they never start.  Their pods are not counted as
        unreachable (the outage measured is the event's).
    mrai = 0
        BIRD 1.6 implements no MRAI (``proto/bgp/config.Y`` has no such
        option; ``proto/bgp/packets.c`` sends an UPDATE as soon as the route
        changes); set e.g. 5 for an RFC 4271 iBGP what-if (per path, per session).
    rx_route_cost = tx_route_cost = 4e-6, rx_message_cost = tx_message_cost = 25e-6
        Calibrated on CZ.NIC's BIRD 2.0.8 route-server benchmark
        (docs/convergence.md): the 10-peer / 1.32 M-route run (37.2 s for ~9 M route
        imports+exports with few, large UPDATEs) gives ~4 us per route; the
        1,000-peer / 20.2 k-route run (56.4 s; 7.3 k prefixes to each of 1,000
        peers = 7.3 M route exports in ~1 M UPDATEs) then leaves ~26 us per
        UPDATE.  See docs/convergence.md.
    announce_cost = 0.5e-6
        BIRD 1.6's nest offers every route change to every protocol on the
        table (``rte_announce``); most are refused at once by
        ``bgp_import_control`` (split horizon).  Assumed an order of magnitude
        below a full export; charged per prefix x protocol at the node.
    kernel_route_cost = 10e-6
        One netlink route change per prefix (assumption: a few us to tens of us
        per RTM_NEWROUTE on Linux).
    open_cost = 100e-6
        OPEN + KEEPALIVE handling per session end (4 messages at the message cost).
    latency = 0.2e-3
        One-way delay between nodes (same data centre).
    start_spread = 1.0
        Cold start: BIRDs start at uniform times in [0, start_spread].
    restart_downtime = 10.0
        calico-node restart: BIRD is down this long (assumption).
    migration_gap = 30.0
        Time between the two steps of a mesh -> reflector migration.
    settle = 5.0
        Disruptions start this long after the cold start has converged and
        every BIRD is idle again.
    graceful_restart = True
        Calico's ``graceful restart`` on every session.
    route_bytes = 330, session_bytes = 34e3, base_bytes = 3.4e6
        Memory: BIRD 2.0.8 RSS per route (440 MB / 1.32 M routes), per BGP
        session ((44 - 13.7) MB / 900 extra peers) and what is left of the
        10-peer 12.9 k-route run's 8 MB (the same benchmark; docs/convergence.md).
    aggregate = "auto", cohorts = 1000, aggregate_above = 10_000_000
        Aggregate mode (:mod:`fastroute.sim.cohorts`): interchangeable nodes (route
        reflector clients, or a fabric rack's nodes, with the same peerings and
        class size) merge into about ``cohorts`` cohorts, so a 50,000-node reflector design runs in
        seconds.  ``"auto"`` uses it when the per-path model would hold more
        than ``aggregate_above`` paths (about 2,000 nodes with two reflectors)
        and the design has interchangeable nodes; ``"on"`` always; ``"off"``
        never.  Counts are exact, times lose the spread inside a cohort.
    """

    connect_delay: float = 2.0
    connect_retry: float = 5.0
    error_wait_min: float = 5.0
    error_wait_max: float = 30.0
    hold_time: float = 240.0
    keepalive_time: float = 80.0
    restart_time: float = 120.0
    gr_wait: float = 240.0
    recovery: bool = True
    kernel_scan: float = 2.0
    mrai: float = 0.0
    rx_route_cost: float = 4e-6
    tx_route_cost: float = 4e-6
    rx_message_cost: float = 25e-6
    tx_message_cost: float = 25e-6
    announce_cost: float = 0.5e-6
    kernel_route_cost: float = 10e-6
    open_cost: float = 100e-6
    latency: float = 0.2e-3
    start_spread: float = 1.0
    restart_downtime: float = 10.0
    migration_gap: float = 30.0
    settle: float = 5.0
    graceful_restart: bool = True
    route_bytes: float = 330.0
    session_bytes: float = 34e3
    base_bytes: float = 3.4e6
    series_bin: float = 0.5
    horizon: float = 1e6
    seed: int = 0
    max_events: int = 2_000_000_000
    max_paths: int = 60_000_000     # ~270 bytes per path at peak (5,000-node mesh: 25 M paths, 6.7 GB)
    max_outage_records: int = 10_000
    node: object = None            # the node a single-node scenario acts on (name or index)
    start_times: object = None     # cold start: explicit BIRD start time per node (overrides start_spread)
    down: tuple = ()               # nodes (names or indices) whose calico-node is down at the event
    timeline: object = None        # scenario "timeline": its events (fastroute.sim.timeline)
    down_before: float = 0.0
    churn_events: int = 100
    churn_window: float = 10.0
    enumeration: str = "auto"      # "auto", "fast" (IPv4 designs), "reference"
    aggregate: str = "auto"        # "auto" (above aggregate_above paths), "on", "off": see cohorts.py
    cohorts: int = 1000            # aggregate mode: about this many cohorts of interchangeable nodes
    aggregate_above: int = 10_000_000

    def __post_init__(self):
        # every time, cost and size is a finite number >= 0, every count an integer >= 0: a negative
        # hold time or an infinite start spread would be simulated as nonsense, not refused
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(f.default, bool):
                if not isinstance(value, (bool, np.bool_)):
                    raise InvalidValueError(f"invalid convergence parameter {f.name}={value!r}: expected true or false")
            elif isinstance(f.default, int):
                if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 0:
                    raise InvalidValueError(f"invalid convergence parameter {f.name}={value!r}: expected an "
                                            "integer >= 0")
            elif isinstance(f.default, float):
                if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
                        or not math.isfinite(value) or value < 0:
                    raise InvalidValueError(f"invalid convergence parameter {f.name}={value!r}: expected a finite "
                                            "number >= 0 (seconds, bytes or seconds per item)")
        for name in ("series_bin", "horizon"):
            if getattr(self, name) <= 0:
                raise InvalidValueError(f"invalid convergence parameter {name}={getattr(self, name)!r}: must be > 0")
        if self.error_wait_min > self.error_wait_max:
            raise InvalidValueError(f"invalid convergence parameters error_wait_min={self.error_wait_min!r} > "
                                    f"error_wait_max={self.error_wait_max!r}")

    def replace(self, **changes):
        """A copy with some parameters changed (unknown names raise InvalidValueError)."""
        names = [f.name for f in dataclasses.fields(self)]
        for k in changes:
            if k not in names:
                raise InvalidValueError(f"unknown convergence parameter {k!r}: expected one of {', '.join(names)}")
        return dataclasses.replace(self, **changes)


# ---------------------------------------------------------------------------- engine


def _structure(d, u, agg=None):
    n = d.n_speakers
    g = d.graph
    from ._engine import PathFlag, csr, structure

    # groups: runs of equal (class, holder) (the universe is in that order); pairs of rows
    rev = np.ascontiguousarray(d.rev, np.int32)
    flags = None if agg is None else np.ascontiguousarray(u.flags, np.uint8)
    p_grp, g_start, g_holder, g_class, cls_groups_start, row_pair, pair_row = structure(
        np.ascontiguousarray(u.cls, np.int32), np.ascontiguousarray(u.holder, np.int32), rev, len(d.classes), flags)
    # children of each path, and paths received on each row
    par = u.parent
    c_start, order = csr(np.ascontiguousarray(par, np.int32), u.n)
    rows = u.row
    rp_start, rorder = csr(np.ascontiguousarray(rows, np.int32), g.n)
    nr_start, nr_list = rows_csr(g.local, n)
    hg_start, hg_list = csr(np.ascontiguousarray(g_holder, np.int32), n)
    local_paths = np.flatnonzero(np.asarray(rows) < 0)
    lp_start = np.zeros(n + 1, np.int64)
    lp_start[1:] = np.cumsum(np.bincount(np.asarray(u.holder)[local_paths], minlength=n))
    lp_list = local_paths[np.argsort(np.asarray(u.holder)[local_paths], kind="stable")].astype(np.int32)
    # sessions without ADD-PATH (a Router's, a node's toward one) carry the sender's best path only
    best_row = ~np.asarray(g.add_paths, bool)
    best_path = np.zeros(u.n, bool)
    got = np.asarray(rows) >= 0
    best_path[got] = best_row[rev[np.asarray(rows)[got]]]
    p_flags = (np.zeros(u.n, np.uint8) if flags is None else flags.copy()) | (best_path.astype(np.uint8) * np.uint8(PathFlag.F_BEST))
    sends = np.asarray(g.local)
    best_only = np.bincount(sends[best_row], minlength=n) > 0
    add_rows = np.bincount(sends[~best_row], minlength=n) > 0
    origin = np.asarray(d.classes, np.int32).copy()
    # a Router's class (or one several Routers announce) carries no pods of its origin: its
    # outages count whether the Router runs or not
    origin[origin >= int((~d.speakers.external).sum())] = -1
    extra = {}
    if agg is not None:
        extra = dict(node_w=np.ascontiguousarray(agg.weight, np.float64),
                     pair_real=np.ascontiguousarray(agg.real_pair_of_row[agg.row_real[pair_row[0::2]]], np.int64),
                     cl_cc=np.ascontiguousarray(agg.classes, np.float64),
                     node_proto=np.ascontiguousarray(agg.protocols, np.float64))
    return dict(**extra,
        row_local=np.ascontiguousarray(g.local, np.int32), row_rev=np.ascontiguousarray(rev, np.int32),
        row_pair=row_pair, row_active=np.ascontiguousarray(d.active, np.uint8),
        pair_row=pair_row, best_only=best_only.astype(np.uint8), add_rows=add_rows.astype(np.uint8),
        p_flags=np.ascontiguousarray(p_flags), lp_start=lp_start, lp_list=lp_list,
        p_parent=np.ascontiguousarray(par, np.int32), p_row=np.ascontiguousarray(rows, np.int32),
        p_grp=p_grp, p_nh=np.ascontiguousarray(u.next_hop, np.int32),
        p_attr=np.ascontiguousarray(u.attr_bytes, np.uint16),
        c_start=c_start, c_list=order, rp_start=rp_start, rp_list=rorder,
        g_start=g_start, g_holder=g_holder, g_class=g_class,
        cl_origin=origin, cl_nlri=np.ascontiguousarray(d.nlri_bytes, np.int32),
        cl_pods=np.ascontiguousarray(d.class_pods, np.float64),
        g_pods=group_pods(d, g_holder, g_class) if agg is None else agg.group_pods(g_holder, g_class, g_start, rows,
                                                                                   flags),
        cl_nprefix=np.ascontiguousarray(d.n_prefix, np.int64),
        node_pods=np.ascontiguousarray(d.node_pods, np.float64), node_rows_start=nr_start, node_rows=nr_list,
        cls_groups_start=cls_groups_start, hg_start=hg_start, hg_list=hg_list,
    )


def _engine_params(p):
    return dict(
        latency=p.latency, connect_delay=max(1.0, p.connect_delay), connect_retry=p.connect_retry,
        error_wait_min=p.error_wait_min, error_wait_max=p.error_wait_max, hold_time=p.hold_time,
        keepalive_time=p.keepalive_time, restart_time=p.restart_time, gr_wait=p.gr_wait, mrai=p.mrai,
        kernel_scan=p.kernel_scan,
        rx_message_cost=p.rx_message_cost, rx_route_cost=p.rx_route_cost, tx_message_cost=p.tx_message_cost,
        tx_route_cost=p.tx_route_cost, kernel_route_cost=p.kernel_route_cost, open_cost=p.open_cost,
        announce_cost=p.announce_cost, series_bin=p.series_bin, horizon=p.horizon,
        graceful_restart=bool(p.graceful_restart), seed=int(p.seed) & 0xFFFFFFFFFFFFFFFF,
        max_events=int(p.max_events), max_outage_records=int(p.max_outage_records),
    )


# ---------------------------------------------------------------------------- results


@dataclass
class Result(Record):
    """Outcome of one simulated scenario; every field is JSON-serialisable
    except ``final`` (numpy arrays of the final state, for tests)."""

    scenario: str
    n_nodes: int
    n_classes: int
    converged: bool
    time_to_converge: float              # last FIB change anywhere, from the scenario's event (cold start: 0)
    time_to_rib_converge: float          # last Adj-RIB-In change anywhere (e.g. a redundant reflector's loss)
    event_time: float                    # when the scenario's disruption happened (0 for cold start)
    sessions: dict
    updates: dict
    tables: dict
    memory: dict
    busy: dict
    unreachable: dict
    series: dict
    cost: dict
    params: dict
    final: object = field(default=None, repr=False)

    def to_dict(self):
        d = dataclasses.asdict(self)
        d.pop("final")
        return d

    def table_rows(self):
        """One row per time bin: ``t`` (seconds) and ``routes_installed`` (cumulative route installs)."""
        return [{"t": t, "routes_installed": n} for t, n in zip(self.series["t"], self.series["routes_installed"])]


def _stats(a, weights=None):
    a = np.asarray(a, float)
    if a.size == 0:
        return {"min": 0.0, "mean": 0.0, "max": 0.0}
    return {"min": float(a.min()), "mean": float(np.average(a, weights=weights)), "max": float(a.max())}


# ---------------------------------------------------------------------------- scenarios

def simulate(cluster_or_design: "Cluster | Design", scenario: str = "cold_start", params: Params | None = None, *,
             keep_state: bool = False, **overrides: object) -> Result:
    """Simulate one scenario and report what happened.

    Parameters
    ----------
    cluster_or_design : Cluster or Design
        A cluster (its BGP design is derived with :func:`design`; migrations use
        its reflector nodes) or a prepared :class:`Design`.
    scenario : str
        One of :data:`SCENARIOS`.
    params : Params, optional
    keep_state : bool
        Attach the final per-(speaker, class) state to ``Result.final``.
    **overrides
        Parameter overrides, e.g. ``hold_time=90``.

    Returns
    -------
    Result

    Raises
    ------
    ConvergenceError
        The event limit was reached, or the path universe is too large.
    InvalidValueError
        An unknown scenario or parameter, or a scenario the design cannot run.

    Examples
    --------
    >>> from fastroute import converge, synth
    >>> c = synth.cluster(4, pods_per_node=3, pools=["10.244.0.0/16"], seed=1).allocate()
    >>> r = converge.simulate(c, "node_crash", seed=1)
    >>> r.sessions["total"], 100 < r.time_to_converge < 241
    (3, True)
    """
    from . import _engine as K

    choice(scenario, SCENARIOS, "scenario")
    p = (params or Params()).replace(**overrides) if overrides else (params or Params())
    choice(p.aggregate, ("auto", "on", "off"), "aggregate")
    t_build = _time.perf_counter()
    tl = None
    if scenario == "timeline":
        if p.timeline is None:
            raise InvalidValueError("scenario 'timeline' needs a timeline (Params.timeline: a list of events)")
        tl = _timeline.parse(p.timeline)
    if isinstance(cluster_or_design, Design):
        d = cluster_or_design
        if scenario.startswith("migration") or (tl is not None and tl.needs_both):
            raise InvalidValueError("migration scenarios (and timelines with mesh_off or peerings_add) need a "
                                    "cluster (mesh and reflector sessions), not a Design")
    else:
        both = scenario.startswith("migration") or (tl is not None and tl.needs_both)
        d = design(cluster_or_design, "both" if both else "auto")
    n = d.n_speakers
    rows = len(d.graph.local)
    if rows > p.max_paths and not len(d.reflectors):
        # every session carries at least one path, and a design without reflectors (a full mesh of
        # some 8,000 nodes and more) has no interchangeable leaves to aggregate: refuse it now, before
        # the per-path arrays are allocated
        raise ConvergenceError(
            f"design too large for the per-path model: {rows:,} session rows > max_paths={p.max_paths:,} "
            f"({n:,} speakers, no reflectors: no interchangeable nodes to aggregate); simulate a design "
            "with route reflectors, or fewer nodes")
    rng = np.random.default_rng(p.seed)
    starts = rng.uniform(0.0, p.start_spread, n) if p.start_spread > 0 else np.zeros(n)
    if p.start_times is not None:
        given = np.asarray(p.start_times, float)
        if given.shape != (n,):
            raise InvalidValueError(f"invalid start_times: expected {n} values (one per speaker), got shape {given.shape}")
        starts = given
    is_node = ~d.speakers.external
    target = None
    if scenario in ("node_join", "node_drain", "node_crash", "calico_node_restart"):
        rrs = set(d.reflectors.tolist())
        clients = [i for i in range(n) if is_node[i] and i not in rrs]
        target = node_index(d, p.node, clients[-1] if clients else n - 1)
    elif scenario == "reflector_crash":
        if not len(d.reflectors):
            raise InvalidValueError("scenario 'reflector_crash' needs a design with route reflectors")
        target = node_index(d, p.node, int(d.reflectors[0]))
    elif scenario == "router_crash":
        target = router_index(d, p.node)
    down = down_indices(d, p.down, target)
    acts = _timeline.actions(tl, d, p) if tl is not None else []
    acted = sorted({int(a) for _, what, a, _, _ in acts if not isinstance(a, str)})
    # every class reaches (nearly) every speaker at least once: n_classes x n_speakers
    # paths at the very least; refuse (or aggregate) before allocating gigabytes
    floor_paths = len(d.classes) * int(is_node.sum())
    agg = None
    if p.aggregate == "on" or (p.aggregate == "auto" and paths_estimate(d) > min(p.aggregate_above, p.max_paths)):
        agg = _aggregate(d, scenario, p, keep_state, ([] if target is None else [target]) + down + acted,
                         starts, floor_paths)
        if agg is not None:
            d = agg.design
            n = d.n_speakers
            starts = np.array([np.median(starts[agg.members[agg.start[i]:agg.start[i + 1]]]) for i in range(n)])
            target = int(agg.speaker_of[target]) if target is not None else None
            down = [int(agg.speaker_of[i]) for i in down]
            acts = [(t, w, a if isinstance(a, str) else int(agg.speaker_of[a]), b, c) for t, w, a, b, c in acts]
            is_node = ~d.speakers.external
            floor_paths = len(d.classes) * int(is_node.sum())
    if floor_paths > p.max_paths:
        raise ConvergenceError(
            f"design too large for the per-path model: at least {floor_paths:,} paths "
            f"({len(d.classes):,} route classes x {n:,} speakers) > max_paths={p.max_paths:,}"
            + ("" if agg is not None or p.aggregate != "off" else "; aggregate='auto' would merge interchangeable nodes"))
    _refuse_reflector_chains(d, p.max_paths)
    if agg is None and not ibgp_only(d) and (p.enumeration == "reference" or not fast_enumerable(d)):
        # several scenarios on one Design walk its paths once when the walk is the reference one
        # (Python, ~10 us per path; the fast one takes ~0.1 us)
        key = (p.enumeration, p.max_paths)
        if d.universe_cache is None or d.universe_cache[0] != key:
            d.universe_cache = (key, universe(d, p.enumeration, p.max_paths))
        u = d.universe_cache[1]
    else:
        u = universe(d, p.enumeration, p.max_paths, None if agg is None else agg.flags())
    s = _structure(d, u, agg)
    n_pairs = len(s["pair_row"]) // 2
    pair_kind = d.kind[s["pair_row"][0::2]]
    alive = np.ones(n, np.uint8)
    pair_cfg = np.ones(n_pairs, np.uint8)
    if scenario.startswith("migration") or (tl is not None and tl.events("peerings_add")):
        pair_cfg[:] = pair_kind == 0                        # before: the mesh only
    if tl is not None:
        gone, gone_pairs = _timeline.absent(acts, s)
        alive[gone] = 0
        pair_cfg[gone_pairs] = 0
    if scenario == "node_join":
        alive[target] = 0
        pr = s["pair_row"]
        loc = s["row_local"]
        joined = (loc[pr[0::2]] == target) | (loc[pr[1::2]] == target)
        pair_cfg[joined] = 0
    s["alive"] = alive
    s["pair_cfg"] = pair_cfg
    s["quiet"] = np.zeros(n, np.uint8)
    s["quiet"][down] = 1
    eng = K.Engine(s, _engine_params(p), dict(t=np.zeros(0), kind=np.zeros(0, np.int32), a=np.zeros(0, np.int32),
                                            b=np.zeros(0, np.int32), c=np.zeros(0, np.int32)))
    # the engine holds its own copies now; keep only what the result needs
    for key in ("p_parent", "p_row", "p_grp", "p_nh", "p_attr", "p_flags", "c_start", "rp_start", "g_start"):
        s.pop(key, None)
    if not keep_state:
        u = Universe(*(np.zeros(0, a.dtype) for a in (u.holder, u.row, u.parent, u.cls, u.next_hop, u.attr_bytes)))
        u_n = int(eng.n_paths_total())
    else:
        u_n = u.n
    t_built = _time.perf_counter()
    A = K.Action
    never = set(down) if scenario == "cold_start" else set()
    for i in range(n):
        if alive[i] and i not in never:
            eng.schedule(float(starts[i]), A.BIRD_START, i, int(p.recovery), 0)
    wall0 = _time.perf_counter()
    eng.run()
    _check(eng)
    t_cold = eng.last_fib_change
    event_time = 0.0
    if scenario != "cold_start":
        # every BIRD idle again (work that books no event, like offering a route to
        # every protocol, can outlast the last event), then the settle time
        t0 = max(eng.last_event, t_cold, float(np.max(eng.a_busy, initial=0.0))) + p.settle
        for i in down:
            eng.schedule(t0, A.BIRD_STOP, i, 1, 0)      # killed: the kernel closes the sessions
        t0 += p.down_before if down else 0.0
        event_time = t0
        eng.last_fib_change = 0.0
        eng.last_rib_change = 0.0
        eng.schedule(t0, A.MEASURE, 0, 0, 0)
        _disrupt(eng, A, d, s, scenario, target, t0, p, pair_kind, rng, acts)
        eng.run()
        _check(eng)
    eng.end_refusals(eng.now)
    wall = _time.perf_counter() - wall0
    return _result(eng, d, u, u_n, s, scenario, p, event_time, t_cold, wall, t_built - t_build, keep_state, target, agg)


def _refuse_reflector_chains(d, max_paths):
    """Reflectors that are each other's clients copy every route along every
    chain of them (:mod:`fastroute.bgp.chains`): refuse at once, with
    that reason, when the copies alone pass max_paths."""
    rr = np.zeros(d.n_speakers, bool)
    rr[np.asarray(d.reflectors, np.int64)] = True
    chains = reflector_chains(d.graph.local, d.graph.remote, d.graph.rr_client, rr, d.names)
    if chains is not None and chains.copies_per_route * max(len(d.classes), 1) > max_paths:
        raise ConvergenceError(f"design too large for the per-path model: {chains.message}")


def _aggregate(d, scenario, p, keep_state, keep, starts, floor_paths):
    """The cohorts of an aggregate-mode run (None: auto mode, nothing to merge,
    and the per-path model fits)."""
    from . import cohorts

    why = None
    if scenario in ("block_churn", "ip_churn", "migration_safe", "migration_unsafe") or (
            scenario == "timeline" and p.timeline is not None and _timeline.parse(p.timeline).needs_both):
        why = f"scenario {scenario!r} changes single nodes' classes or the mesh"
    elif keep_state:
        why = "keep_state needs one state per node"
    elif not fast_enumerable(d):
        why = "it needs a design of IPv4 speakers"
    if why is None:
        # about m^2 paths: leave room under the limits
        m = min(p.cohorts, max(1, int(math.sqrt(min(p.aggregate_above, p.max_paths) / 4))))
        if cohorts.candidates(d).any():
            return cohorts.aggregate(d, m, keep=keep, order=starts)
        why = "no nodes are interchangeable (a mesh, or every node peers differently)"
    if p.aggregate == "on":
        raise InvalidValueError(f"aggregate mode is not possible here: {why}")
    if floor_paths <= p.max_paths:
        return None                 # auto: the per-path model still fits
    raise ConvergenceError(
        f"design too large for the per-path model (at least {floor_paths:,} paths > max_paths={p.max_paths:,}) "
        f"and aggregate mode is not possible: {why}")


def _check(eng):
    raise_for(eng.rc, n_events=eng.n_events)


def _disrupt(eng, A, d, s, scenario, target, t0, p, pair_kind, rng, acts=()):
    n_pairs = len(pair_kind)
    if scenario == "node_join":
        eng.schedule(t0, A.NODE_ALIVE, target, 0, 0)
        pr, loc = s["pair_row"], s["row_local"]
        # confd has rendered the new node's peers before its BIRD starts
        for k in range(n_pairs):
            if loc[pr[2 * k]] == target or loc[pr[2 * k + 1]] == target:
                eng.schedule(t0, A.PAIR_ADD, k, 0, 0)
        eng.schedule(t0, A.BIRD_START, target, int(p.recovery), 0)
    elif scenario == "node_drain":
        eng.schedule(t0, A.DELETE, target, 0, 0)
    elif scenario in ("node_crash", "reflector_crash", "router_crash"):
        eng.schedule(t0, A.CRASH, target, 0, 0)
    elif scenario == "calico_node_restart":
        eng.schedule(t0, A.BIRD_STOP, target, 1, 0)
        eng.schedule(t0 + p.restart_downtime, A.BIRD_START, target, int(p.recovery), 0)
    elif scenario in ("migration_safe", "migration_unsafe"):
        rr = set(d.reflectors.tolist())
        pr, loc = s["pair_row"], s["row_local"]
        touches_rr = np.array([loc[pr[2 * k]] in rr or loc[pr[2 * k + 1]] in rr for k in range(n_pairs)])
        mesh = pair_kind == 0
        if scenario == "migration_safe":
            # reflectors configured (cluster id + BGPPeer): confd drops their mesh
            # sessions and adds the reflector ones; the mesh goes later
            first_remove = np.flatnonzero(mesh & touches_rr)
            first_add = np.flatnonzero(~mesh)
            second_remove = np.flatnonzero(mesh & ~touches_rr)
            second_add = np.zeros(0, np.int64)
        else:
            # the mesh is disabled first, the reflector peerings come later
            first_remove = np.flatnonzero(mesh)
            first_add = np.zeros(0, np.int64)
            second_remove = np.zeros(0, np.int64)
            second_add = np.flatnonzero(~mesh)
        for k in first_remove:
            eng.schedule(t0, A.PAIR_REMOVE, int(k), 0, 0)
        for k in first_add:
            eng.schedule(t0, A.PAIR_ADD, int(k), 0, 0)
        for k in second_remove:
            eng.schedule(t0 + p.migration_gap, A.PAIR_REMOVE, int(k), 0, 0)
        for k in second_add:
            eng.schedule(t0 + p.migration_gap, A.PAIR_ADD, int(k), 0, 0)
    elif scenario == "timeline":
        _timeline.schedule(eng, A, acts, s, pair_kind, t0)
    elif scenario in ("block_churn", "ip_churn"):
        times = np.sort(rng.uniform(0.0, p.churn_window, p.churn_events)) + t0
        # the nodes' classes churn (a Router's announcements stay)
        cand = np.flatnonzero(np.asarray(d.classes) < int((~d.speakers.external).sum()))
        who = cand[rng.integers(0, len(cand), p.churn_events)] if len(cand) else ()
        times = times[:len(who)]
        for t, c in zip(times, who):
            # a block claim: the node's new pod needs the new /26 everywhere;
            # a borrowed IP: a /32 for the pod, withdrawn when the pod goes
            eng.schedule(float(t), A.CHURN, int(c), 1, 1)
            if scenario == "ip_churn":
                eng.schedule(float(t) + p.churn_window, A.CHURN, int(c), -1, 0)


def _result(eng, d, u, u_n, s, scenario, p, event_time, t_cold, wall, build_s, keep_state, target, agg=None):
    n = d.n_speakers
    rr = d.reflectors.astype(np.int64)
    sess_max = np.asarray(eng.a_sessions_max)
    # aggregate mode: speaker i stands for w[i] nodes, a session pair for w[a] * w[b]
    w = np.ones(n) if agg is None else agg.weight.astype(float)
    not_rr = ~np.isin(np.arange(n), rr)
    pr = s["pair_row"]
    pair_w = w[s["row_local"][pr[0::2]]] * w[s["row_local"][pr[1::2]]]
    pair_up = eng.pair_states() == 2
    adj_max, loc_max, fib_max = (np.asarray(x) for x in (eng.a_adj_max, eng.a_loc_max, eng.a_fib_max))
    mem = p.base_bytes + p.route_bytes * (adj_max + loc_max) + p.session_bytes * sess_max
    busy = np.asarray(eng.a_busy_time)
    series = eng.series_counts()
    cum = np.cumsum(series)
    ser_t = (np.arange(len(series)) + 1) * p.series_bin
    log = eng.outage_log()
    names = d.names
    origin = d.classes

    def nm(i):
        return names[int(i)] if int(i) < len(names) else f"speaker-{int(i)}"

    each = routing_class_origins(origin, d.origins)

    def cn(c):
        return "+".join(nm(o) for o in each[int(c)])

    open_out = eng.close_outages(eng.now)
    records = [
        {"node": nm(h), "prefixes_of": cn(c), "start": float(a), "end": float(b), "seconds": float(b - a)}
        for h, c, a, b in log
    ]
    still = [{"node": nm(h), "prefixes_of": cn(c), "since": float(a)} for h, c, a, _ in open_out]
    shown = sorted({int(c) for _, c, _, _ in log[:1000]} | {int(c) for _, c, _, _ in open_out[:1000]})
    prefixes_of = {cn(c): d.prefixes[c] for c in shown} if d.prefixes is not None else {}
    pairs_end = float(sum(float(d.node_pods[int(h)]) * m for h, c, _, m in open_out))
    per_node_list = (lambda a: np.asarray(a).astype(np.int64).tolist()) if agg is None else None
    ttc = (eng.last_fib_change - event_time) if scenario != "cold_start" else t_cold
    result = Result(
        scenario=scenario,
        n_nodes=int(w[~d.speakers.external].sum()),
        n_classes=int(len(d.classes)) if agg is None else int(agg.classes.sum()),
        converged=bool(eng.heap_size() == 0),
        time_to_converge=float(max(ttc, 0.0)),
        time_to_rib_converge=float(max(eng.last_rib_change - event_time, 0.0)),
        event_time=float(event_time),
        sessions={
            "total": int(round(pair_w[pair_up].sum())), "configured": int(round(pair_w.sum())),
            "per_node": _stats(sess_max[not_rr], w[not_rr]) if n else _stats([]),
            "per_reflector": [int(round(sess_max[r])) for r in rr],
            "refused_connects": int(eng.n_refused_connects),
        },
        updates={
            "messages": int(eng.n_updates), "bytes": int(eng.n_update_bytes),
            "prefix_advertisements": int(eng.n_prefix_adverts), "prefix_withdrawals": int(eng.n_withdraws),
            "per_node_sent": _stats(eng.a_msgs_tx, w), "per_node_received": _stats(eng.a_msgs_rx, w),
            "per_reflector_sent": [int(round(eng.a_msgs_tx[r])) for r in rr],
        },
        tables={
            "adj_rib_in": _stats(eng.a_adj, w), "loc_rib": _stats(eng.a_loc, w), "fib": _stats(eng.a_fib, w),
            "adj_rib_in_max": _stats(adj_max, w), "loc_rib_max": _stats(loc_max, w), "fib_max": _stats(fib_max, w),
            "per_reflector_adj_rib_in": [int(round(adj_max[r])) for r in rr],
            "per_node": {"adj_rib_in": per_node_list(eng.a_adj), "loc_rib": per_node_list(eng.a_loc),
                         "fib": per_node_list(eng.a_fib)} if n <= 1000 and per_node_list else None,
        },
        memory={
            "per_node_bytes": _stats(mem[not_rr], w[not_rr]),
            "per_reflector_bytes": [float(mem[r]) for r in rr],
            "route_bytes": p.route_bytes, "session_bytes": p.session_bytes, "base_bytes": p.base_bytes,
        },
        busy={
            "per_node_seconds": _stats(busy[not_rr], w[not_rr]),
            "per_reflector_seconds": [float(busy[r]) for r in rr],
            "max_seconds": float(busy.max()) if n else 0.0,
            "busiest": nm(int(busy.argmax())) if n else None,
        },
        unreachable={
            "target": nm(target) if target is not None else None,
            "pod_pair_seconds": float(eng.pair_seconds),
            "prefix_node_seconds": float(eng.prefix_node_seconds),
            "max_outage_seconds": float(eng.max_outage),
            "n_outages": len(records) + int(eng.log_dropped),
            "outages": records[:1000],
            "prefixes": prefixes_of,
            "unreachable_at_end": still[:1000],
            "n_unreachable_at_end": len(still),
            "pod_pairs_unreachable_at_end": pairs_end,
            # nothing is left to happen: what is unreachable now stays so (a lost
            # single reflector, a node that never comes back)
            "permanent": bool(still) and bool(eng.heap_size() == 0),
            "worst_pair": _worst_pair(records, still),
            "down": [nm(i) for i in np.flatnonzero(np.asarray(eng.a_quiet))],
        },
        series={"t": ser_t.tolist(), "routes_installed": np.rint(cum).astype(np.int64).tolist(), "bin": p.series_bin},
        cost={
            "events": int(eng.n_events), "paths": int(u_n), "groups": int(len(s["g_holder"])),
            "build_seconds": float(build_s), "run_seconds": float(wall),
            "events_per_second": float(eng.n_events / wall) if wall > 0 else 0.0,
            "cohorts": None if agg is None else {
                "speakers": int(n), "cohorts": agg.n_cohorts,
                "nodes_per_cohort": _stats(agg.weight[agg.weight > 1]),
            },
        },
        params={k: (v if isinstance(v, (int, float, str, bool)) or v is None else str(v))
                for k, v in dataclasses.asdict(p).items()},
    )
    if keep_state:
        gbest, gfib = eng.group_best_fib()
        k = len(d.classes)
        best_nh = np.full((n, k), -2, np.int32)
        best_row = np.full((n, k), -1, np.int32)
        n_paths = np.zeros((n, k), np.int32)
        gh, gc = s["g_holder"], s["g_class"]
        has = gbest >= 0
        best_nh[gh[has], gc[has]] = u.next_hop[gbest[has]]
        best_row[gh[has], gc[has]] = u.row[gbest[has]]
        present = (eng.path_state() & 1).astype(bool)
        np.add.at(n_paths, (u.holder[present], u.cls[present]), 1)
        result.final = {"best_next_hop": best_nh, "best_session": best_row, "n_paths": n_paths,
                        "fib_next_hop": _fib_matrix(gfib, s, n, k)}
    return result


def _worst_pair(records, still):
    """The (node, prefixes of) pair out longest in all (its outages summed; one
    still open at the end wins, as ``seconds`` None), or None."""
    if still:
        o = min(still, key=lambda o: o["since"])
        return {"node": o["node"], "prefixes_of": o["prefixes_of"], "seconds": None, "since": o["since"]}
    total = {}
    for o in records:
        key = (o["node"], o["prefixes_of"])
        total[key] = total.get(key, 0.0) + o["seconds"]
    if not total:
        return None
    (node, of), sec = max(total.items(), key=lambda kv: kv[1])
    return {"node": node, "prefixes_of": of, "seconds": sec}


def _fib_matrix(gfib, s, n, k):
    out = np.full((n, k), -2, np.int32)
    out[s["g_holder"], s["g_class"]] = gfib
    return out
