"""Parameter sweeps: a grid of designs, every point a Dask task, one tidy table.

:func:`sweep` expands a grid (the cartesian product of parameter lists, minus
``exclude``/``where``), runs every point as a ``dask.distributed`` task and
returns a :class:`Table`: a row per point, a column per parameter and per
reported figure.  By default the points run on a local cluster of worker
processes on this machine; pass ``client=`` (a ``distributed.Client``) or
``scheduler="tcp://host:8786"`` to use a running cluster, whose workers need the
same fastroute version installed.  Each task returns only its figures (a dict
of numbers and short strings): synthetic clusters, route tables and simulator
state are built and dropped on the worker.

A grid (a Python dict, or a YAML file holding one)::

    run: plan                  # plan | converge | failure
    params:                    # a value or a list of values each
      nodes: [100, 500, 1000]
      topology: [mesh, rr]     # mesh points take reflectors 0
      reflectors: [2, 3]
      pods_per_node: 110
      block_size: [26, 28]
      pool: 10.0.0.0/8
    exclude:                   # points matching every key of an entry are dropped
      - {topology: rr, nodes: 100}
    where: nodes * pods_per_node <= 150000   # keep points where this holds

Keys: ``run`` (default ``plan``), ``params`` (required; ``nodes`` required),
``exclude`` (a list of mappings; a value in an entry may be a list: any of
them), ``where`` (an expression or a list of them over the parameters: names,
literals, arithmetic, comparisons, ``and``/``or``/``not``), ``name`` (a label).

Parameters every run takes: ``nodes``, ``pods_per_node`` (default 110),
``topology`` (``mesh``/``rr``; without it ``reflectors`` > 0 means ``rr``),
``reflectors`` (``rr`` default 2; 0 for a mesh, so mesh points that differ only
in ``reflectors`` run once), ``block_size`` (default 26), ``pool`` (default
Calico's ``192.168.0.0/16``), ``encapsulation``, ``seed`` (default 0).  Only
``plan``: ``simulate`` (true/false/auto), ``simulate_limit``, ``compute_limit``, and
``topology: fabric`` (nodes peering with top-of-rack Routers, docs/fabric.md) with
``racks``, ``spines`` and ``fabric`` (the design; these three are dropped at other points).
Only ``converge``: ``scenario``, ``timeline`` (a timeline file, :mod:`fastroute.sim.timeline`: runs
scenario ``timeline``) and the :class:`~fastroute.sim.converge.Params` fields.
Only ``failure``: ``failure``.  Every value is checked before anything runs; a
bad one raises :class:`~fastroute.errors.GridError` naming the file, the key and
the index (``grid.yaml: invalid value 'ring' at params.topology[1]: expected one
of 'mesh', 'rr'``).  A combination that cannot work (3 reflectors for 3 nodes)
is that point's error.

What runs at each point:

``plan``
    :func:`fastroute.planning.plan.plan` (sessions, prefixes, routes per node, memory,
    convergence and blackhole windows, Typha, pool use).  Deterministic: the
    ``seed`` axis does not change it.
``converge``
    :func:`fastroute.sim.converge.simulate` of ``scenario`` (default
    ``cold_start``) on the synthetic cluster, with ``seed`` as the simulator's
    seed (start times, timer jitter, churn) and any :class:`~fastroute.sim.converge.Params`
    field as a further axis (``hold_time: [90, 240]``, ``graceful_restart: [true, false]``).
``failure``
    The steady state after calico-node stops cleanly on ``failure`` (``none``,
    ``node``: the last client, ``reflector``: the first reflector,
    ``reflectors``: all of them): every up node's table from
    :func:`fastroute.dataplane.routes.compute` with ``down=``, and what is missing.

Rows are in point order (the product in the order the grid lists the
parameters, first one slowest), so two runs of the same grid give the same
table.  A point that raises is a row with its figures empty and ``error`` set
(``"InvalidValueError: ..."``); the other points finish.

Examples
--------
>>> import fastroute
>>> t = fastroute.sweep({"run": "plan", "params": {"nodes": [3, 4], "pods_per_node": 3,
...                      "pool": "10.244.0.0/16", "simulate": False}}, workers=0)
>>> t["nodes"], t["sessions_total"], t["prefixes"]
([3, 4], [3, 6], [3, 4])
"""

from __future__ import annotations

import csv
import dataclasses
import io
import itertools
import math
import os
import time
import uuid
from collections.abc import Callable, Iterable
from typing import Any

from ..jsonout import dumps as json_dumps
from ..errors import GridError, InvalidValueError, MissingDependencyError, SweepError, shown
from ..model import resources as _resources
from ..model.synth import FABRIC_DESIGNS
from ..outfiles import replace_atomically, write_atomically
from .where import compile_where, holds
from .plots import plot_sweep as plot

__all__ = ["sweep", "load_grid", "expand", "run_point", "local_cluster", "Table", "RUNS", "FAILURES", "FIGURES",
           "plot"]

RUNS = ("plan", "converge", "failure")
FAILURES = ("none", "node", "reflector", "reflectors")
#: The operator's ``encapsulation`` values (fastroute.model.resources.ENCAPSULATIONS), "None" first.
ENCAPSULATIONS = ("None",) + tuple(e for e in _resources.ENCAPSULATIONS if e != "None")

#: The figures (columns after the parameters) each kind of run reports, in column order.
FIGURES = {
    "plan": (
        "sessions_total", "sessions_per_node", "sessions_per_reflector", "prefixes", "routes_per_node",
        "routes_per_node_mean", "routes_method", "memory_per_node_bytes", "memory_per_reflector_bytes",
        "convergence_s", "blackhole_node_crash_s", "blackhole_reflector_crash_s", "reflector_crash_reconverge_s",
        "reflector_crash_permanent", "reflector_crash_pod_pairs_lost", "single_point_of_failure",
        "typha_replicas", "blocks_used", "borrowed_ips", "pool_fits", "n_warnings", "warnings",
        "routers", "sessions_per_router", "routes_per_router", "memory_per_router_bytes",
    ),
    "converge": (
        "converged", "time_to_converge_s", "time_to_rib_converge_s", "sessions_total", "updates",
        "update_bytes", "prefix_advertisements", "prefix_withdrawals", "fib_max", "adj_rib_in_max",
        "memory_per_node_max_bytes", "memory_per_reflector_max_bytes", "busy_max_s", "pod_pair_seconds",
        "max_outage_s", "n_outages", "n_unreachable_at_end", "pod_pairs_unreachable_at_end", "permanent_outage",
        "refused_connects", "events",
    ),
    "failure": (
        "down", "n_down", "prefixes", "routes_per_node", "missing_routes", "nodes_missing_routes",
        "prefixes_missing_somewhere", "node_pairs_missing_routes", "pods_on_nodes_missing_routes",
    ),
}

_TOP_KEYS = ("run", "params", "exclude", "where", "name")


def _int(lo, hi=None):
    def check(v):
        if isinstance(v, bool) or not isinstance(v, int):
            return f"expected an integer, got {type(v).__name__}"
        if v < lo or (hi is not None and v > hi):
            return f"must be {lo}..{hi}" if hi is not None else f"must be >= {lo}"
        return None
    return check


def _one_of(allowed):
    def check(v):
        return None if v in allowed else "expected one of " + ", ".join(repr(a) for a in allowed)
    return check


def _str(v):
    return None if isinstance(v, str) else f"expected a string, got {type(v).__name__}"


def _simulate(v):
    return None if isinstance(v, bool) or v == "auto" else "expected true, false or 'auto'"


# parameter -> (runs it applies to, value check)
_COMMON = {
    "nodes": _int(1),
    "pods_per_node": _int(0),
    "topology": _one_of(("mesh", "rr")),
    "reflectors": _int(0),
    "block_size": _int(20, 32),
    "pool": _str,
    "encapsulation": _one_of(ENCAPSULATIONS),
    "seed": _int(0),
}
_PLAN_ONLY = {"simulate": _simulate, "simulate_limit": _int(0), "compute_limit": _int(0),
              # fabric designs (docs/fabric.md): plan runs only
              "topology": _one_of(("mesh", "rr", "fabric")), "racks": _int(1), "spines": _int(1, 250),
              "fabric": _one_of(FABRIC_DESIGNS)}
#: What only a fabric point uses: None at the other points, so they run once.
_FABRIC_KEYS = ("racks", "spines", "fabric")


def _params_checks(run):
    checks = dict(_COMMON)
    if run == "plan":
        checks.update(_PLAN_ONLY)
    elif run == "converge":
        from ..sim.converge import SCENARIOS
        checks["scenario"] = _one_of(SCENARIOS)
        checks.update(_converge_param_checks())
    else:
        checks["failure"] = _one_of(FAILURES)
    return checks


def _converge_param_checks():
    from ..sim.settings import settable

    out = {}
    for name, d in settable().items():
        if name == "seed":
            continue
        if isinstance(d, bool):
            out[name] = lambda v: None if isinstance(v, bool) else f"expected true or false, got {shown(v)}"
        elif isinstance(d, int):
            out[name] = _int(0)
        elif isinstance(d, float):
            out[name] = (lambda v: None if isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0
                         else "expected a number >= 0")
        elif isinstance(d, str):
            out[name] = _str
    out["timeline"] = _str          # a timeline file (fastroute.sim.timeline) for scenario 'timeline'
    return out


def _where_of(key):
    # which run a parameter belongs to, for a helpful message
    if key in _PLAN_ONLY:
        return "plan"
    if key in ("scenario",) or key in _converge_param_checks():
        return "converge"
    if key == "failure":
        return "failure"
    return None


# ---------------------------------------------------------------------------- grid


def load_grid(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Read a grid from a YAML (or JSON) file.

    Raises
    ------
    GridError
        The file is not YAML, or not a mapping; the message names the file.
    OSError
        The file cannot be read.
    """
    import yaml

    with open(path, encoding="utf-8") as f:
        text = f.read()
    try:
        grid = yaml.safe_load(text)
    except yaml.YAMLError as e:
        raise GridError(f"{path}: not valid YAML: {e}") from None
    if not isinstance(grid, dict):
        raise GridError(f"{path}: expected a mapping with 'run' and 'params', got {type(grid).__name__}")
    grid = dict(grid)
    grid["_source"] = str(path)
    return grid


def _key(k):
    # a mapping key as the message names it: plain when it is a short string, bounded otherwise
    return k if isinstance(k, str) and len(k) <= 60 else shown(k)


def _values(v):
    return list(v) if isinstance(v, list) else [v]


def expand(grid: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The points of a grid, in order.

    Parameters
    ----------
    grid : dict
        ``run``, ``params`` and optionally ``exclude``, ``where``, ``name``.

    Returns
    -------
    run : str
    points : list of dict
        One dict per point: every parameter of the grid (topology and
        reflectors normalised: a mesh has 0 reflectors, ``reflectors`` without
        ``topology`` means ``rr`` when > 0), in grid order.  Points that become
        identical after normalising appear once.

    Raises
    ------
    GridError
        A key, value or filter the schema does not allow, naming where
        (``params.nodes[1]``) and what is allowed.
    """
    if not isinstance(grid, dict):
        raise GridError(f"invalid grid: expected a mapping, got {type(grid).__name__}")
    src = grid.get("_source")
    at = f"{src}: " if src else ""
    for k in grid:
        if k != "_source" and k not in _TOP_KEYS:
            raise GridError(f"{at}unknown key {shown(k)}: expected " + ", ".join(repr(x) for x in _TOP_KEYS))
    name = grid.get("name")
    if name is not None and not (isinstance(name, str) and len(name) <= 200):
        raise GridError(f"{at}name: expected a text of at most 200 characters, got {shown(name)}")
    run = grid.get("run", "plan")
    if run not in RUNS:
        raise GridError(f"{at}invalid run {shown(run)}: expected one of " + ", ".join(repr(r) for r in RUNS))
    params = grid.get("params")
    if not isinstance(params, dict) or not params:
        raise GridError(f"{at}params: expected a mapping of parameter -> value or list of values, "
                        f"got {shown(params)}")
    checks = _params_checks(run)
    axes = {}
    for key, raw in params.items():
        if key not in checks:
            other = _where_of(key)
            if other:
                raise GridError(f"{at}params.{key}: applies to run {other!r}, not {run!r}")
            raise GridError(f"{at}unknown parameter params.{_key(key)}: run {run!r} takes "
                            + ", ".join(sorted(checks)))
        vals = _values(raw)
        if not vals:
            raise GridError(f"{at}params.{key}: empty list (give at least one value)")
        for i, v in enumerate(vals):
            why = checks[key](v)
            if why:
                where = f"params.{key}[{i}]" if isinstance(raw, list) else f"params.{key}"
                raise GridError(f"{at}invalid value {shown(v)} at {where}: {why}")
        axes[key] = vals
    if "nodes" not in axes:
        raise GridError(f"{at}params.nodes is required (node counts)")
    exclude = grid.get("exclude") or []
    if not isinstance(exclude, list) or not all(isinstance(e, dict) and e for e in exclude):
        raise GridError(f"{at}exclude: expected a list of mappings like {{topology: rr, nodes: 100}}, "
                        f"got {shown(exclude)}")
    names = set(axes) | {"topology", "reflectors"}
    for i, e in enumerate(exclude):
        for k in e:
            if k not in names:
                raise GridError(f"{at}exclude[{i}].{_key(k)}: not a parameter of the grid (params: "
                                + ", ".join(sorted(names)) + ")")
    where = grid.get("where") or []
    where = [where] if isinstance(where, str) else where
    if not isinstance(where, list) or not all(isinstance(w, str) for w in where):
        raise GridError(f"{at}where: expected an expression or a list of expressions, got {shown(where)}")
    conds = [compile_where(w, names, f"{at}where[{i}]") for i, w in enumerate(where)]

    keys = list(axes)
    out_keys = list(keys)
    # the normalised design columns are always present, next to nodes
    for extra in ("topology", "reflectors"):
        if extra not in out_keys:
            out_keys.insert(out_keys.index("nodes") + 1 if extra == "topology" else out_keys.index("topology") + 1,
                            extra)
    size = math.prod(len(axes[k]) for k in keys)
    if size > MAX_POINTS:
        raise GridError(f"{at}params: the grid has {size:,} points (" + " x ".join(
            f"{len(axes[k])} {k}" for k in keys) + f"); at most {MAX_POINTS:,} are run: split it or "
            "narrow the lists")
    seen = set()
    points = []
    for combo in itertools.product(*(axes[k] for k in keys)):
        p = _normalise(dict(zip(keys, combo)))
        if any(all(p[k] in _values(v) for k, v in e.items()) for e in exclude):
            continue
        if not all(holds(c, p) for c in conds):
            continue
        p = {k: p[k] for k in out_keys}
        ident = tuple(p.items())
        if ident in seen:
            continue
        seen.add(ident)
        points.append(p)
    if not points:
        raise GridError(f"{at}no points: exclude and where remove all {size:,} points of the grid")
    return run, points


def _normalise(raw):
    p = dict(raw)
    k = p.get("reflectors")
    topo = p.get("topology")
    if topo is None:
        topo = "rr" if k else "mesh"
    if topo in ("mesh", "fabric"):
        k = 0
    elif k is None:
        k = 2
    p["topology"], p["reflectors"] = topo, k
    if topo != "fabric":
        p.update((key, None) for key in _FABRIC_KEYS if key in p)
    return p


#: The most points a grid may have before anything is expanded (a sweep of more is a typo or an attack:
#: at ~1 s a point it would run for days).
MAX_POINTS = 100_000

# ---------------------------------------------------------------------------- one point


def run_point(run: str, point: dict[str, Any]) -> dict[str, Any]:
    """Run one point; return its figures (and ``error``, None when it worked).

    Runs on a worker.  Returns only numbers and short strings: whatever the
    run builds (clusters, tables, simulator state) stays here and is dropped.
    """
    t0, c0 = time.perf_counter(), time.process_time()
    try:
        figures = _RUNNERS[run](point)
        figures["error"] = None
    except Exception as e:  # noqa: BLE001 -- a failing point is a row with its error; the others go on
        figures = {"error": f"{type(e).__name__}: {e}"}
    figures["_seconds"] = time.perf_counter() - t0
    figures["_cpu_seconds"] = time.process_time() - c0
    return figures


def _pool(point):
    from .plan import DEFAULT_POOL
    return point.get("pool") or DEFAULT_POOL


def _run_plan(p):
    from . import plan as _plan

    r = _plan.plan(p["nodes"], p.get("pods_per_node", 110), pool=p.get("pool"), block_size=p.get("block_size", 26),
                   topology=p["topology"], reflectors=p["reflectors"],
                   encapsulation=p.get("encapsulation", "None"), simulate=p.get("simulate", "auto"),
                   compute_limit=p.get("compute_limit", 1000), simulate_limit=p.get("simulate_limit", 1000),
                   **{k: p[k] for k in _FABRIC_KEYS if p.get(k) is not None})
    out = {k: r.get(k) for k in FIGURES["plan"]}
    pool = r["pool"]
    out.update(blocks_used=pool.get("blocks_used"), borrowed_ips=pool.get("borrowed_ips"), pool_fits=pool["fits"],
               n_warnings=len(r["warnings"]), warnings=" | ".join(r["warnings"]))
    return out


def _cluster(p):
    from ..model import synth

    _check_design(p)
    return synth.cluster(p["nodes"], p.get("pods_per_node", 110), pools=[_pool(p)],
                         block_size=p.get("block_size", 26), reflectors=p["reflectors"],
                         encapsulation=p.get("encapsulation", "None"), seed=p.get("seed", 0)).allocate()


def _check_design(p):
    if p["topology"] == "rr" and not 1 <= p["reflectors"] < p["nodes"]:
        raise InvalidValueError(f"invalid reflectors {p['reflectors']!r}: topology 'rr' needs "
                                f"1 <= reflectors < nodes ({p['nodes']})")


def _run_converge(p):
    from ..sim import converge
    from ..sim.converge import Params

    fields = {f.name for f in dataclasses.fields(Params)}
    overrides = {k: v for k, v in p.items() if k in fields and k not in ("seed", "timeline")}
    scenario = p.get("scenario", "cold_start")
    if p.get("timeline"):
        from ..sim import timeline

        overrides["timeline"] = timeline.load(p["timeline"])
        scenario = "timeline"
    r = converge.simulate(_cluster(p), scenario, Params(seed=p.get("seed", 0), **overrides))
    rr_mem = r.memory["per_reflector_bytes"]
    return {
        "converged": r.converged, "time_to_converge_s": r.time_to_converge,
        "time_to_rib_converge_s": r.time_to_rib_converge, "sessions_total": r.sessions["total"],
        "updates": r.updates["messages"], "update_bytes": r.updates["bytes"],
        "prefix_advertisements": r.updates["prefix_advertisements"],
        "prefix_withdrawals": r.updates["prefix_withdrawals"],
        "fib_max": r.tables["fib_max"]["max"], "adj_rib_in_max": r.tables["adj_rib_in_max"]["max"],
        "memory_per_node_max_bytes": r.memory["per_node_bytes"]["max"],
        "memory_per_reflector_max_bytes": max(rr_mem) if rr_mem else None,
        "busy_max_s": r.busy["max_seconds"], "pod_pair_seconds": r.unreachable["pod_pair_seconds"],
        "max_outage_s": r.unreachable["max_outage_seconds"], "n_outages": r.unreachable["n_outages"],
        "n_unreachable_at_end": r.unreachable["n_unreachable_at_end"],
        "pod_pairs_unreachable_at_end": r.unreachable["pod_pairs_unreachable_at_end"],
        "permanent_outage": r.unreachable["permanent"],
        "refused_connects": r.sessions["refused_connects"], "events": r.cost["events"],
    }


def _run_failure(p):
    import numpy as np

    from ..dataplane import routes as _routes

    c = _cluster(p)
    n, k = c.n_nodes, p["reflectors"]
    what = p.get("failure", "none")
    names = list(c.node_names)
    if what in ("reflector", "reflectors") and not k:
        raise InvalidValueError(f"invalid failure {what!r} with topology 'mesh': there are no reflectors")
    # synth makes the first k nodes the reflectors; 'node' is the last client, as in converge
    down_idx = {"none": [], "node": [n - 1], "reflector": [0], "reflectors": list(range(k))}[what]
    down = [names[i] for i in down_idx]
    t = _routes.compute(c, 4, down=down)
    prefixes, nh = t.route_matrix_indices()
    up = np.ones(n, bool)
    up[down_idx] = False
    missing = nh[up] == -2                                  # (up node, exported prefix) with no route
    origin = t.network.origins.origin[prefixes]
    pods_on = np.bincount(c.pods.node_idx, minlength=n)[:n]
    rows_missing = missing.any(axis=1)
    # node pairs (up node, origin) where the node lacks some prefix of the origin
    pair = np.zeros((int(up.sum()), n), bool)
    hh, pp = np.nonzero(missing)
    pair[hh, origin[pp]] = True
    ba = c.block_arrays(4)
    blackholes = np.bincount(ba.node_idx[ba.node_idx >= 0], minlength=n)[:n]
    per_node = (nh >= 0).sum(axis=1)[:n] + pods_on + blackholes
    return {
        "down": ",".join(down), "n_down": len(down), "prefixes": int(len(prefixes)),
        "routes_per_node": int(per_node[up].max()) if up.any() else None,
        "missing_routes": int(missing.sum()), "nodes_missing_routes": int(rows_missing.sum()),
        "prefixes_missing_somewhere": int(missing.any(axis=0).sum()),
        "node_pairs_missing_routes": int(pair.sum()),
        "pods_on_nodes_missing_routes": int(pods_on[up][rows_missing].sum()),
    }


_RUNNERS = {"plan": _run_plan, "converge": _run_converge, "failure": _run_failure}


# ---------------------------------------------------------------------------- the table


class Table:
    """The result of a sweep: a row per point, a column per parameter and figure.

    ``rows`` is a list of dicts (every dict has every column, None where a
    point did not report it); ``table["nodes"]`` is a column as a list;
    ``to_dict()`` gives dict-of-lists, ``to_pandas()`` a DataFrame (pandas
    needed).  ``meta`` holds what is not a result: wall time, workers,
    scheduler, seconds per point (these vary from run to run; the rows do not).
    """

    def __init__(self, columns: Iterable[str], rows: Iterable[dict[str, Any]], meta: dict[str, Any] | None = None
                ) -> None:
        self.columns = list(columns)
        self.rows = [{c: r.get(c) for c in self.columns} for r in rows]
        self.meta = dict(meta or {})

    def __len__(self):
        return len(self.rows)

    def __iter__(self):
        return iter(self.rows)

    def __getitem__(self, column):
        if column not in self.columns:
            raise KeyError(column)
        return [r[column] for r in self.rows]

    def __repr__(self):
        return f"<Table: {len(self.rows)} rows x {len(self.columns)} columns, {self.n_failed} failed>"

    @property
    def n_failed(self):
        return sum(1 for r in self.rows if r.get("error"))

    @property
    def parameters(self):
        """The parameter columns: after ``point``, before the run's figures."""
        run = self.meta.get("run", "plan")
        return self.columns[1:self.columns.index(FIGURES[run][0])]

    def varies(self, column):
        """Whether ``column`` holds more than one value."""
        return len(set(map(repr, self[column]))) > 1

    def to_dict(self):
        """Dict of lists, one per column, in column order."""
        return {c: [r[c] for r in self.rows] for c in self.columns}

    def to_records(self):
        return [dict(r) for r in self.rows]

    def to_pandas(self):
        try:
            import pandas as pd
        except ImportError:
            raise MissingDependencyError("Table.to_pandas needs pandas: pip install pandas") from None
        return pd.DataFrame(self.rows, columns=self.columns)

    def to_json(self, **kw):
        """``{"columns": [...], "rows": [{...}, ...], "meta": {...}}``."""
        return json_dumps({"columns": self.columns, "rows": self.rows, "meta": self.meta}, **kw)

    def to_csv(self):
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=self.columns, lineterminator="\n")
        w.writeheader()
        for r in self.rows:
            w.writerow({k: "" if v is None else v for k, v in r.items()})
        return buf.getvalue()

    def write(self, path):
        """Write ``.csv``, ``.json`` or ``.parquet`` (needs pyarrow), chosen by the file's suffix."""
        path = str(path)
        ext = os.path.splitext(path)[1].lower()
        if ext == ".csv":
            write_atomically(path, self.to_csv())
        elif ext == ".json":
            write_atomically(path, self.to_json(indent=1))
        elif ext in (".parquet", ".pq"):
            try:
                import pyarrow as pa
                import pyarrow.parquet as pq
            except ImportError:
                raise MissingDependencyError(f"cannot write {path!r}: parquet needs pyarrow (pip install pyarrow); "
                                        "or write .csv or .json") from None
            with replace_atomically(path) as tmp:
                pq.write_table(pa.Table.from_pylist(self.rows), tmp)
        else:
            raise InvalidValueError(f"invalid output file {path!r}: expected a name ending in .csv, .json or "
                                    ".parquet")


# ---------------------------------------------------------------------------- running


def sweep(grid: dict[str, Any] | str | os.PathLike[str], client: Any = None, *, scheduler: str | None = None,
          workers: int | None = None, progress: Callable[[int, int], Any] | None = None) -> Table:
    """Run every point of a grid on Dask and return one table.

    Parameters
    ----------
    grid : dict or str or path
        A grid (see the module docstring) or a YAML file holding one.
    client : distributed.Client, optional
        Run on this client's cluster (left open).
    scheduler : str, optional
        Address of a running scheduler, e.g. ``"tcp://10.0.0.5:8786"``; its workers
        need the same fastroute version.
    workers : int, optional
        Worker processes of the local cluster started when neither ``client`` nor
        ``scheduler`` is given (default: the machine's CPUs, at most one per
        point).  ``0`` runs the points one after the other in this process,
        without Dask.
    progress : callable(done, total), optional
        Called as points finish (the CLI's progress bar).

    Returns
    -------
    Table
        Rows in point order: ``point``, the parameters, the run's figures
        (:data:`FIGURES`), ``error``.

    Raises
    ------
    GridError
        The grid is malformed (nothing runs).
    SweepError
        The scheduler cannot be reached, its workers cannot import fastroute or
        run another version, or dask.distributed is not installed.

    Examples
    --------
    >>> t = sweep({"params": {"nodes": [3, 8], "reflectors": [0, 2], "pool": "10.244.0.0/16",
    ...            "pods_per_node": 3, "simulate": False}}, workers=0)
    >>> list(zip(t["nodes"], t["topology"], t["sessions_total"]))
    [(3, 'mesh', 3), (3, 'rr', 3), (8, 'mesh', 28), (8, 'rr', 13)]
    """
    if not isinstance(grid, dict):
        grid = load_grid(grid)
    run, points = expand(grid)
    total = len(points)
    progress = progress or (lambda done, total: None)
    t0 = time.perf_counter()
    results = [None] * total
    meta = {"name": grid.get("name"), "run": run, "n_points": total}
    if workers == 0 and client is None and scheduler is None:
        for i, p in enumerate(points):
            results[i] = run_point(run, p)
            progress(i + 1, total)
        meta.update(scheduler=None, workers=0)
    else:
        _dask_run(run, points, results, client, scheduler, workers, progress, meta)
    meta["wall_seconds"] = time.perf_counter() - t0
    meta["point_seconds"] = [r.pop("_seconds", None) for r in results]
    meta["point_cpu_seconds"] = [r.pop("_cpu_seconds", None) for r in results]
    columns = ["point"] + list(points[0]) + list(FIGURES[run]) + ["error"] if points else ["point", "error"]
    rows = [dict(p, point=i, **r) for i, (p, r) in enumerate(zip(points, results))]
    table = Table(columns, rows, meta)
    table.meta["n_failed"] = table.n_failed
    return table


def _dask_run(run, points, results, client, scheduler, workers, progress, meta):
    try:
        from distributed import Client, as_completed
    except ImportError:
        raise MissingDependencyError("sweeps run on dask.distributed: pip install 'fastroute[sweep]' "
                         "(or workers=0 to run the points here, one after the other)") from None
    own_cluster = own_client = None
    try:
        if client is None and scheduler is not None:
            try:
                client = own_client = Client(scheduler, timeout="10s")
            except (OSError, TimeoutError) as e:
                raise SweepError(f"cannot reach the Dask scheduler {scheduler!r}: {e}") from None
            except ValueError as e:     # distributed's parse of the address: an unknown scheme, no port
                raise SweepError(f"invalid Dask scheduler address {scheduler!r}: {e}") from None
        elif client is None:
            own_cluster = local_cluster(workers or min(os.cpu_count() or 1, max(1, len(points))))
            client = own_client = Client(own_cluster)
        _check_workers(client)
        meta.update(scheduler=client.scheduler.address if client.scheduler else None,
                    workers=len(client.nthreads()))
        token = uuid.uuid4().hex[:8]
        # the biggest designs first (cost grows with nodes x pods), so none is left alone at the end;
        # one map per size: a few calls, not one per point
        by_size = {}
        for i, p in enumerate(points):
            by_size.setdefault(int(p["nodes"]) * max(1, int(p.get("pods_per_node", 110))), []).append(i)
        futures, index = [], {}
        for size, idx in by_size.items():
            fs = client.map(run_point, [run] * len(idx), [points[i] for i in idx], pure=False, priority=size,
                            key=[f"fastroute-sweep-{token}-{i}" for i in idx])
            futures += fs
            index.update((f.key, i) for f, i in zip(fs, idx))
        done = 0
        for f in as_completed(futures):
            i = index[f.key]
            try:
                results[i] = f.result()
            except Exception as e:  # noqa: BLE001 -- the task died with its worker (KilledWorker), ...
                results[i] = {"error": f"{type(e).__name__}: {e}", "_seconds": None, "_cpu_seconds": None}
            f.release()
            done += 1
            progress(done, len(points))
    finally:
        if own_client is not None:
            own_client.close()
        if own_cluster is not None:
            own_cluster.close()


def local_cluster(n_workers: int) -> Any:
    """A ``distributed.LocalCluster`` of ``n_workers`` single-threaded worker processes, as :func:`sweep`
    starts one (close it when done; pass ``distributed.Client(cluster)`` as ``client=`` to reuse it)."""
    import logging

    import dask
    from distributed import LocalCluster

    # distributed starts workers with MALLOC_TRIM_THRESHOLD_=65536 so that long-lived workers give
    # memory back; that also pins glibc's mmap threshold, and every numpy array over 128 kB becomes a
    # fresh mmap: 14% more CPU per plan point, measured.  A sweep's cluster lives for the sweep.
    env = {k: v for k, v in (dask.config.get("distributed.nanny.pre-spawn-environ", None) or {}).items()
           if k != "MALLOC_TRIM_THRESHOLD_"}
    with dask.config.set({"distributed.nanny.pre-spawn-environ": env}):
        # the scheduler's HTTP endpoint on a free port of the loopback only: not 8787 (a second sweep, a
        # dashboard), and not reachable from other machines (":0" would listen on every interface)
        return LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, dashboard_address="127.0.0.1:0",
                            silence_logs=logging.ERROR)


def _worker_version():
    from .._version import __version__
    return __version__


def _check_workers(client):
    from .._version import __version__

    try:
        versions = client.run(_worker_version)
    except Exception as e:  # noqa: BLE001 -- e.g. ModuleNotFoundError while unpickling on a worker
        raise SweepError(f"the Dask workers cannot run fastroute ({type(e).__name__}: {e}): install fastroute "
                         f"{__version__} on every worker") from None
    other = {w: v for w, v in versions.items() if v != __version__}
    if other:
        w, v = next(iter(other.items()))
        raise SweepError(f"Dask worker {w} runs fastroute {v}, this client {__version__}: install the same "
                         f"version on every worker ({len(other)} differ)")
    if not versions:
        raise SweepError("the Dask cluster has no workers")
