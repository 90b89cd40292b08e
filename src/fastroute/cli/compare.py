"""``fastroute compare``: full mesh vs route reflectors over node counts."""

from ..errors import InvalidValueError
from ..planning import plan as _plan
from ..planning.plots import plot_compare
from ._common import console, finish, fmt, print_fitted, progress_bar
from .plan import ESTIMATES
from .plan import TOPOLOGY_NAMES, add_design_args, add_fabric_args, design_kwargs, fabric_kwargs, reflector_crash_text


def add_parser(sub):
    p = sub.add_parser(
        "compare",
        help="full mesh vs route reflectors side by side over node counts, with the crossover",
        description="Plan the full mesh and each reflector count at each node count (see `fastroute "
        "plan`), side by side, with the crossover (the smallest node count where every reflector "
        "design has fewer sessions and less memory per node than the mesh) and a recommendation.",
    )
    p.add_argument("--nodes", default="100,500,1000,5000", metavar="N,N,...",
                   help="node counts (default 100,500,1000,5000)")
    p.add_argument("--reflectors", default="2,3", metavar="K,K,...", help="reflector counts (default 2,3)")
    p.add_argument("--topology", default="mesh,reflectors", metavar="T,T,...",
                   help="designs to compare: mesh, reflectors (one per --reflectors count), fabric (nodes peering "
                   "with top-of-rack routers, docs/fabric.md) (default mesh,reflectors)")
    add_fabric_args(p)
    add_design_args(p)
    p.add_argument("--plot", metavar="FILE",
                   help="PNG of sessions, routes, memory and convergence vs nodes (needs matplotlib)")
    return p


def _ints(text, what):
    try:
        vals = [int(x) for x in text.split(",") if x.strip()]
    except ValueError:
        raise InvalidValueError(f"invalid {what} {text!r}: expected comma-separated integers, e.g. 100,500") from None
    if not vals or any(v < 1 for v in vals):
        raise InvalidValueError(f"invalid {what} {text!r}: expected integers >= 1")
    return vals


def _topologies(text):
    names = [x.strip() for x in text.split(",") if x.strip()]
    known = ("mesh", "reflectors", "rr", "fabric")
    bad = [x for x in names if x not in known]
    if not names or bad:
        raise InvalidValueError(f"invalid --topology {text!r}: expected a comma-separated list of "
                                f"{', '.join(known[:2] + known[3:])}")
    return [TOPOLOGY_NAMES.get(x, x) for x in names]


def run(args):
    nodes = _ints(args.nodes, "--nodes")
    refl = _ints(args.reflectors, "--reflectors")
    topologies = _topologies(args.topology)
    total = sum(len(_plan.compare_designs(n, refl, topologies)) for n in nodes)
    with progress_bar(total) as (step, advance):
        res = _plan.compare(nodes, refl, args.pods_per_node, progress=step, on_plan=advance, topologies=topologies,
                            **design_kwargs(args), **fabric_kwargs(args))
    return finish(args, res, _print, plot=plot_compare)


def _print(res):
    fabric = any(p["topology"] == "fabric" for p in res["plans"])
    per = "per RR/router" if fabric else "per RR"
    columns = [(c, "left" if c == "design" else "right") for c in (
        "nodes", "design", "sessions", "per node", per, "prefixes", "routes/node")
        + (("routes/router",) if fabric else ()) + ("mem/node", "mem/RR/router" if fabric else "mem/RR",
                                                     "cold start", "node crash", "RR/ToR crash" if fabric else "RR crash")]
    rows = []
    for p in res["plans"]:
        if rows and p["nodes"] != last:
            rows.append(None)
        last = p["nodes"]
        rr = bool(p["reflectors"])
        fab = p["topology"] == "fabric"
        design = ("mesh" if not rr else f"{p['reflectors']} RR" + (" (SPOF)" if p.get("single_point_of_failure")
                                                                    else "")) if not fab else f"fabric {p['fabric']}"
        row = [fmt(p["nodes"]), design, fmt(p["sessions_total"]), fmt(p["sessions_per_node"]),
               fmt(p["sessions_per_reflector"]) if rr else fmt(p["sessions_per_router"]) if fab else "",
               fmt(p["prefixes"]), fmt(p["routes_per_node"])]
        if fabric:
            row.append(fmt(p["routes_per_router"]) if fab else "")
        row += [fmt(p["memory_per_node_bytes"], "bytes"),
                fmt(p["memory_per_reflector_bytes"], "bytes") if rr else
                fmt(p["memory_per_router_bytes"], "bytes") if fab else "",
                fmt(p["convergence_s"], "s"), fmt(p["blackhole_node_crash_s"], "s"),
                reflector_crash_text(p, short=True) if rr else
                (f"ToR {fmt(p['tor_crash_s'], 's')}" if p.get("tor_crash_s") is not None else "-") if fab else ""]
        rows.append(row)
    out = console()
    print_fitted(out, "full mesh vs route reflectors" + (" vs fabric" if fabric else ""), columns, rows, keep=2)
    cross = res["crossover"]
    out.print(f"crossover: {f'{cross:,} nodes' if cross else 'none among the compared sizes'} "
              f"({res['crossover_criterion']})", markup=False, soft_wrap=True)
    for r in res["recommendation"]:
        out.print(f"recommendation: {r}", markup=False, soft_wrap=True)
    out.print(ESTIMATES, markup=False, soft_wrap=True)
    for w in res["warnings"]:
        out.print(f"warning: {w}", markup=False, soft_wrap=True)
