"""``fastroute compare``: full mesh vs route reflectors over node counts."""

import json

from ..planning import plan as _plan
from .plan import add_common, fmt, progress_bar
from ..errors import InvalidValueError


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
    add_common(p)
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


def run(args):
    nodes = _ints(args.nodes, "--nodes")
    refl = _ints(args.reflectors, "--reflectors")
    total = sum(1 + sum(1 for k in refl if k < n) for n in nodes)
    with progress_bar(total) as (step, advance):
        def progress(text, _last=[None]):
            step(text)

        res = _plan.compare(nodes, refl, args.pods_per_node, pool=args.pool, block_size=args.block_size,
                            encapsulation=args.encapsulation, simulate=False if args.no_simulate else "auto",
                            simulate_limit=args.simulate_limit, progress=progress, on_plan=advance)
    if args.plot:
        _plan.plot_compare(res, args.plot)
    if args.json:
        print(json.dumps(res, indent=2))
        return 0
    _print(res)
    if args.plot:
        print(f"plot written to {args.plot}")
    return 0


def _print(res):
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=200)      # a pipe or file: no wrapping of the table
    t = Table(box=box.SIMPLE, title="full mesh vs route reflectors", title_justify="left")
    for col in ("nodes", "design", "sessions", "per node", "per RR", "prefixes", "routes/node",
                "mem/node", "mem/RR", "cold start", "node crash", "RR crash"):
        t.add_column(col, justify="left" if col == "design" else "right", no_wrap=True)
    last = None
    for p in res["plans"]:
        if last is not None and p["nodes"] != last:
            t.add_section()
        last = p["nodes"]
        rr = bool(p["reflectors"])
        t.add_row(fmt(p["nodes"]), "mesh" if not rr else f"{p['reflectors']} RR", fmt(p["sessions_total"]),
                  fmt(p["sessions_per_node"]), fmt(p["sessions_per_reflector"]) if rr else "",
                  fmt(p["prefixes"]), fmt(p["routes_per_node"]), fmt(p["memory_per_node_bytes"], "bytes"),
                  fmt(p["memory_per_reflector_bytes"], "bytes") if rr else "", fmt(p["convergence_s"], "s"),
                  fmt(p["blackhole_node_crash_s"], "s"), fmt(p["blackhole_reflector_crash_s"], "s") if rr else "")
    console.print(t)
    cross = res["crossover"]
    console.print(f"crossover: {f'{cross:,} nodes' if cross else 'none among the compared sizes'} "
                  f"({res['crossover_criterion']})", markup=False, soft_wrap=True)
    for r in res["recommendation"]:
        console.print(f"recommendation: {r}", markup=False, soft_wrap=True)
    for w in res["warnings"]:
        console.print(f"warning: {w}", markup=False, soft_wrap=True)
