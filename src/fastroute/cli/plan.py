"""``fastroute plan``: what one Calico design costs at a given size."""

from ..planning import plan as _plan
from ..planning.fabric import tor_crash_text
from ..planning.plots import plot_plan
from ..planning.sweeps import ENCAPSULATIONS
from ..model.synth import FABRIC_DESIGNS
from ..sim.seeds import CAVEAT
from ._common import console, finish, fmt, progress_bar, table

#: What the figures of a plan are and how far to trust them, printed under its table.
ESTIMATES = ("figures: sessions, prefixes, routes and pool use computed from the design (exact); BIRD memory "
             "estimated from BIRD 2 benchmarks, about +-2x (docs/planning.md); times simulated: " + CAVEAT)

#: What the CLI's topology names mean to the planner.
TOPOLOGY_NAMES = {"reflectors": "rr"}


def add_parser(sub):
    p = sub.add_parser(
        "plan",
        help="size one design: sessions, prefixes, routes, memory, convergence, pool use, Typha",
        description="Size a Calico design of N nodes x P pods: BGP sessions (total, per node, per "
        "reflector), prefixes, routes per node, BIRD memory per node and per reflector (estimate), "
        "cold-start convergence and blackhole windows (simulated: a mesh up to --simulate-limit nodes), IP "
        "pool use (borrowing once the blocks run out, each borrowed IP a /32 route) and Typha "
        "replicas by the operator's formula.",
    )
    add_design_args(p)
    p.add_argument("--nodes", type=int, required=True, metavar="N")
    p.add_argument("--topology", choices=("mesh", "rr", "reflectors", "fabric"), default=None,
                   help="BGP full mesh, route reflectors (rr) or nodes peering with top-of-rack routers "
                   "(fabric, docs/fabric.md) (default mesh; rr when --reflectors is given)")
    p.add_argument("--reflectors", type=int, default=None, metavar="K",
                   help="route reflectors with --topology reflectors (default 2); alone, it means "
                   "--topology reflectors")
    add_fabric_args(p)
    p.add_argument("--plot", metavar="FILE", help="write a PNG (needs matplotlib: fastroute[plot])")
    return p


def add_design_args(p):
    """What ``plan`` and ``compare`` size besides the nodes: pods, pool, blocks, encapsulation, simulation."""
    p.add_argument("--pods-per-node", type=int, default=110, metavar="P", help="default 110 (Kubernetes' limit)")
    p.add_argument("--pool", metavar="CIDR", default=None, help=f"IPv4 pool (default {_plan.DEFAULT_POOL}, Calico's)")
    p.add_argument("--block-size", type=int, default=26, metavar="B", help="block prefix length (default 26)")
    p.add_argument("--encapsulation", default="None", choices=ENCAPSULATIONS)
    p.add_argument("--no-simulate", action="store_true", help="skip the convergence simulation")
    p.add_argument("--simulate-limit", type=int, default=1000, metavar="N",
                   help="simulate a mesh's convergence up to N nodes (default 1000; 5,000 take about a "
                   "minute); reflector and fabric designs are simulated at any size")
    p.add_argument("--json", action="store_true")


def add_fabric_args(p):
    """The fabric design's flags (``--topology fabric``)."""
    p.add_argument("--racks", type=int, default=None, metavar="R",
                   help="racks of a fabric design, one top-of-rack router each (default one per 40 nodes)")
    p.add_argument("--spines", type=int, default=2, metavar="S", help="spine routers of a fabric design (default 2)")
    p.add_argument("--fabric", choices=FABRIC_DESIGNS, default="as-per-rack",
                   help="fabric design: AS per rack (default), AS per node, or downward default")


def fabric_kwargs(args):
    """The keyword arguments of :func:`add_fabric_args`' flags."""
    return dict(racks=args.racks, spines=args.spines, fabric=args.fabric)


def design_kwargs(args):
    """The keyword arguments of :func:`fastroute.planning.plan.plan` and ``compare`` that
    :func:`add_design_args` declares."""
    return dict(pool=args.pool, block_size=args.block_size, encapsulation=args.encapsulation,
                simulate=False if args.no_simulate else "auto", simulate_limit=args.simulate_limit)


def run(args):
    topology = args.topology or ("rr" if args.reflectors else "mesh")
    with progress_bar() as (step, _):
        p = _plan.plan(args.nodes, args.pods_per_node, topology=TOPOLOGY_NAMES.get(topology, topology),
                       reflectors=args.reflectors, progress=step, **design_kwargs(args), **fabric_kwargs(args))
    return finish(args, p, print_plan, plot=plot_plan)


def reflector_crash_text(p, short=False):
    """The outage after a reflector crash: seconds, or "permanent" (with the pod pairs
    lost) when it never ends, never 0.0 s."""
    if p.get("reflector_crash_permanent"):
        lost = p.get("reflector_crash_pod_pairs_lost") or 0
        return "permanent" if short else f"permanent: {lost:,.0f} pod pairs cut (single point of failure)"
    return fmt(p["blackhole_reflector_crash_s"], "s")


def print_plan(p):
    if p["topology"] == "fabric":
        return print_fabric_plan(p)
    design = "full mesh" if p["topology"] == "mesh" else f"{p['reflectors']} route reflectors"
    pool = p["pool"]
    swapped = not pool.get("fits", True)
    t = table(f"{p['nodes']:,} nodes x {p['pods_per_node']} pods, {design}, {_pool_text(p)}",
              [("", "left"), "per node", "per reflector", "cluster"])
    rr = bool(p["reflectors"])
    t.add_row("BGP sessions", fmt(p["sessions_per_node"]), fmt(p["sessions_per_reflector"]) if rr else "",
              fmt(p["sessions_total"]))
    t.add_row("prefixes", "", "", fmt(p["prefixes"]))
    t.add_row(f"routes ({p['routes_method'] or '-'})", fmt(p["routes_per_node"]), "", "")
    t.add_row("BIRD memory (estimate)", fmt(p["memory_per_node_bytes"], "bytes"),
              fmt(p["memory_per_reflector_bytes"], "bytes") if rr else "", "")
    t.add_row("blocks", fmt(pool["blocks_per_node"]), "",
              f"{fmt(pool['blocks_used'])} of {pool['blocks_total']:,}" if not swapped
              else f"{fmt(pool['blocks_used'])} (pool has {pool['blocks_total']:,})")
    t.add_row("borrowed IPs (/32 routes)", "", "", fmt(pool["borrowed_ips"]))
    t.add_row("cold-start convergence", "", "", fmt(p["convergence_s"], "s"))
    t.add_row("blackhole after a node crash", "", "", fmt(p["blackhole_node_crash_s"], "s"))
    if rr:
        t.add_row("outage after a reflector crash", "", "", reflector_crash_text(p))
        t.add_row("reconverged after a reflector crash", "", "",
                  "never (until the reflector returns)" if p.get("reflector_crash_permanent")
                  else fmt(p["reflector_crash_reconverge_s"], "s"))
    t.add_row("Typha replicas (operator)", "", "", fmt(p["typha_replicas"]))
    out = console()
    out.print(t)
    out.print(ESTIMATES, markup=False, soft_wrap=True)
    for w in p["warnings"]:
        out.print(f"warning: {w}", markup=False, soft_wrap=True)


def _pool_text(p):
    pool = p["pool"]
    return f"pool {pool['cidr']} (/{pool['block_size']} blocks" + (
        "" if pool.get("fits", True) else f"; too small, sized as {pool['sized_with']}" if pool["sized_with"]
        else "; too small, and no IPv4 pool holds the design") + ")"


def print_fabric_plan(p):
    """A fabric design's plan: per node and per router (ToR or spine)."""
    pool = p["pool"]
    t = table(f"{p['nodes']:,} nodes x {p['pods_per_node']} pods, fabric {p['fabric']} ({p['racks']:,} racks, "
              f"{p['spines']} spines), {_pool_text(p)}", [("", "left"), "per node", "per router", "cluster"])
    t.add_row("BGP sessions", fmt(p["sessions_per_node"]), fmt(p["sessions_per_router"]), fmt(p["sessions_total"]))
    t.add_row("routers", "", "", fmt(p["routers"]))
    t.add_row("prefixes", "", "", fmt(p["prefixes"]))
    t.add_row(f"routes ({p['routes_method'] or '-'})", fmt(p["routes_per_node"]), fmt(p["routes_per_router"]), "")
    t.add_row("BIRD memory (estimate)", fmt(p["memory_per_node_bytes"], "bytes"),
              fmt(p["memory_per_router_bytes"], "bytes"), "")
    t.add_row("blocks", fmt(pool["blocks_per_node"]), "", fmt(pool["blocks_used"]))
    t.add_row("borrowed IPs (/32 routes)", "", "", fmt(pool["borrowed_ips"]))
    t.add_row("cold-start convergence", "", "", fmt(p["convergence_s"], "s"))
    t.add_row("blackhole after a node crash", "", "", fmt(p["blackhole_node_crash_s"], "s"))
    t.add_row(f"routes gone after a ToR crash ({p.get('tor_crash_router') or '-'})", "", "", tor_crash_text(p))
    t.add_row("Typha replicas (operator)", "", "", fmt(p["typha_replicas"]))
    out = console()
    out.print(t)
    out.print(ESTIMATES, markup=False, soft_wrap=True)
    for w in p["warnings"]:
        out.print(f"warning: {w}", markup=False, soft_wrap=True)
