"""``fastroute sweep``: every point of a parameter grid, on Dask, as one table."""

import sys

from ..errors import InvalidValueError
from ..planning import sweeps as _sweeps
from ..planning.plots import plot_sweep
from ..sim.seeds import CAVEAT
from ._common import console, finish, fmt, print_fitted, progress_bar
from .plan import ESTIMATES

# the figures the terminal table shows (every figure is in --out and --json)
_SHOWN = {
    "plan": ("sessions_per_node", "prefixes", "routes_per_node", "memory_per_node_bytes",
             "memory_per_reflector_bytes", "convergence_s", "blackhole_node_crash_s", "blackhole_reflector_crash_s"),
    "converge": ("converged", "time_to_converge_s", "updates", "busy_max_s", "max_outage_s", "pod_pair_seconds",
                 "n_unreachable_at_end"),
    "failure": ("down", "missing_routes", "nodes_missing_routes", "node_pairs_missing_routes"),
}

# outage columns and the figure that says the outage never ended
_PERMANENT = {"max_outage_s": "permanent_outage", "blackhole_reflector_crash_s": "reflector_crash_permanent"}


def add_parser(sub):
    p = sub.add_parser(
        "sweep",
        help="run a grid of designs (plan, convergence, failure what-if) on Dask into one table",
        description="Expand GRID.yaml (parameters with lists of values: nodes, topology, reflectors, "
        "block_size, pods_per_node, scenario/failure, seed, ...; the schema is in `python -m pydoc "
        "fastroute.planning.sweeps` and examples/sweep_grid.yaml), run every point as a dask.distributed task (a local cluster of worker "
        "processes unless --scheduler is given) and print or write one table: a row per point, a "
        "column per parameter and per figure; a failing point has its error in the 'error' column.",
    )
    p.add_argument("grid", metavar="GRID.yaml")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="a running Dask scheduler, e.g. tcp://10.0.0.5:8786 (its workers need fastroute)")
    p.add_argument("--workers", type=int, default=None, metavar="N",
                   help="worker processes of the local cluster (default: the CPUs); 0 runs here, without Dask")
    p.add_argument("--out", metavar="FILE", help="write the table: .csv, .json or .parquet (needs pyarrow)")
    p.add_argument("--plot", metavar="FILE", help="PNG of the main figures against nodes (needs matplotlib)")
    p.add_argument("--json", action="store_true", help="print the table as JSON (columns, rows, meta)")
    return p


def run(args):
    if args.workers is not None and args.workers < 0:
        raise InvalidValueError(f"invalid --workers {args.workers!r}: must be >= 0")
    if args.scheduler and args.workers:
        raise InvalidValueError("--workers sizes the local cluster; with --scheduler the cluster has its own")
    if args.out and not args.out.lower().endswith((".csv", ".json", ".parquet", ".pq")):
        raise InvalidValueError(f"invalid --out {args.out!r}: expected a name ending in .csv, .json or .parquet")
    grid = _sweeps.load_grid(args.grid)
    _, points = _sweeps.expand(grid)      # a bad grid fails before a cluster starts
    with progress_bar(total=len(points)) as (step, advance):
        step(f"starting Dask for {len(points):,} points" if args.workers != 0 else f"{len(points):,} points")

        def progress(done, total):
            step(f"{done:,} of {total:,} points")
            advance()

        result = _sweeps.sweep(grid, scheduler=args.scheduler, workers=args.workers, progress=progress)
    if args.out:
        result.write(args.out)
    status = finish(args, result, _print, to_json=lambda t: t.to_json(indent=1), plot=plot_sweep,
                    written=[(args.out, "table")])
    return 1 if result.n_failed else status       # a failed point is a broken answer, as verify's findings


def _print(result):
    out = console(pipe_width=250)
    m = result.meta
    run = m["run"]
    params = result.parameters
    vary = [c for c in params if result.varies(c)] or params[:1]
    shown = ["point"] + vary + list(_SHOWN[run])
    title = (f"sweep {m.get('name') or ''} ({run}): {len(result):,} points, {m['n_failed']:,} failed, "
             f"{m['wall_seconds']:.1f} s on {m['workers'] or 'no'} worker{'s' if m['workers'] != 1 else ''}")
    columns = [(c, "left" if c in params and c not in ("nodes", "reflectors") else "right") for c in shown]
    rows = []
    for r in result.rows:
        cells = []
        for c in shown:
            unit = "bytes" if c.endswith("_bytes") else ("s" if c.endswith("_s") else "")
            v = r[c]
            if c in _PERMANENT and r.get(_PERMANENT[c]):
                cells.append("permanent")       # an outage that never ends is no number of seconds
                continue
            cells.append(str(v) if isinstance(v, (bool, str)) else fmt(v, unit))
        rows.append(cells)
    print_fitted(out, title, columns, rows, keep=1 + len(vary))
    caveat = {"plan": ESTIMATES, "converge": f"times: {CAVEAT}"}.get(run)
    if caveat:
        out.print(caveat, markup=False, soft_wrap=True)
    failed = [r for r in result.rows if r["error"]]
    if failed:
        out.print("errors:", markup=False)
        for r in failed:
            out.print(f"  point {r['point']}: {r['error']}", markup=False, soft_wrap=True)
    if result.n_failed:
        print(f"{result.n_failed} of {len(result)} points failed (see errors)", file=sys.stderr)
