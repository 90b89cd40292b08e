"""``fastroute converge``: how long BGP takes to converge, and what is lost meanwhile."""

import dataclasses

from ..sim import converge
from .birdconfig import load_cluster
from .plan import fmt, progress_bar
from ..errors import InvalidValueError


def add_parser(sub):
    p = sub.add_parser(
        "converge",
        help="simulate a cold start, a node or reflector failure, a migration: times, UPDATEs, outages",
        description="Simulate BIRD's BGP on CLUSTER for one scenario (fastroute.sim.converge, docs/convergence.md) "
        "and report sessions, UPDATEs, table sizes, BIRD memory and busy time, the time to converge and, for a "
        "disruption, which pods could not reach which for how long. Reflector designs past ~2,000 nodes run in "
        "aggregate mode (interchangeable clients merged into cohorts: counts exact, times within a cohort's "
        "spread). CLUSTER is a YAML/JSON file or folder; without it, the bundled seed.",
    )
    p.add_argument("cluster", metavar="CLUSTER", nargs="?", help="YAML/JSON file or folder (default: the seed cluster)")
    p.add_argument("--scenario", "-s", choices=converge.SCENARIOS, default="cold_start")
    p.add_argument("--node", metavar="NAME", help="the node a node_* or reflector_crash scenario acts on")
    p.add_argument("--set", metavar="NAME=VALUE", action="append", default=[], dest="params",
                   help="a model parameter, e.g. hold_time=90 or aggregate=off (repeatable; see "
                   "fastroute.sim.converge.Params)")
    p.add_argument("--json", action="store_true", help="the full result as JSON")
    p.add_argument("--plot", metavar="FILE", help="write a PNG of routes installed over time (needs matplotlib)")
    return p


def parse_params(items):
    """``NAME=VALUE`` strings -> Params overrides, typed like the defaults."""
    fields = {f.name: f for f in dataclasses.fields(converge.Params)}
    out = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip().replace("-", "_")
        if not sep:
            raise InvalidValueError(f"invalid --set {item!r}: expected NAME=VALUE")
        if name not in fields or name in ("node", "start_times"):
            known = ", ".join(n for n in fields if n not in ("node", "start_times"))
            raise InvalidValueError(f"invalid --set {item!r}: unknown parameter {name!r} (one of {known})")
        default = fields[name].default
        try:
            if isinstance(default, bool):
                if text.lower() not in ("true", "false", "1", "0", "yes", "no"):
                    raise ValueError
                value = text.lower() in ("true", "1", "yes")
            elif isinstance(default, int):
                value = int(text.replace("_", ""))
            elif isinstance(default, float):
                value = float(text)
            else:
                value = text
        except ValueError:
            raise InvalidValueError(f"invalid --set {item!r}: {name} takes a {type(default).__name__}") from None
        out[name] = value
    return out


def run(args):
    cluster = load_cluster(args.cluster)
    params = parse_params(args.params)
    if args.node is not None:
        cluster.node_index(args.node)
        params["node"] = args.node
    with progress_bar() as (step, _):
        step(f"simulating {args.scenario.replace('_', ' ')}")
        r = converge.simulate(cluster, args.scenario, **params)
    if args.plot:
        plot_result(r, args.plot)
    if args.json:
        print(r.to_json(indent=2))
        return 0
    print_result(r)
    if args.plot:
        print(f"plot written to {args.plot}")
    return 0


def print_result(r):
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    if not console.is_terminal:
        console = Console(highlight=False, width=200)
    rr = len(r.sessions["per_reflector"])
    design = f"{rr} route reflector{'s' if rr != 1 else ''}" if rr else "no reflectors"
    t = Table(title=f"{r.scenario.replace('_', ' ')}: {r.n_nodes:,} nodes, {design}", box=box.SIMPLE,
              title_justify="left")
    t.add_column("")
    t.add_column("per node (mean / max)", justify="right")
    t.add_column("per reflector (max)", justify="right")
    t.add_column("cluster", justify="right")

    def node(stats, unit=""):
        return f"{fmt(stats['mean'], unit)} / {fmt(stats['max'], unit)}"

    def refl(values, unit=""):
        return fmt(max(values), unit) if values else ""

    t.add_row("BGP sessions", node(r.sessions["per_node"]), refl(r.sessions["per_reflector"]), fmt(r.sessions["total"]))
    t.add_row("UPDATEs sent", node(r.updates["per_node_sent"]), refl(r.updates["per_reflector_sent"]),
              f"{r.updates['messages']:,} ({r.updates['bytes'] / 2**20:,.1f} MiB)")
    t.add_row("prefixes advertised / withdrawn", "", "",
              f"{r.updates['prefix_advertisements']:,} / {r.updates['prefix_withdrawals']:,}")
    t.add_row("Adj-RIB-In (peak)", node(r.tables["adj_rib_in_max"]), refl(r.tables["per_reflector_adj_rib_in"]), "")
    t.add_row("FIB routes from BGP (end)", node(r.tables["fib"]), "", "")
    t.add_row("BIRD memory (estimate)", node(r.memory["per_node_bytes"], "bytes"),
              refl(r.memory["per_reflector_bytes"], "bytes"), "")
    t.add_row("BIRD busy", node(r.busy["per_node_seconds"], "s"), refl(r.busy["per_reflector_seconds"], "s"),
              f"busiest {r.busy['busiest']}")
    label = "converged after" if r.scenario == "cold_start" else f"converged after the event at {r.event_time:,.1f} s"
    t.add_row(label, "", "", fmt(r.time_to_converge, "s") + ("" if r.converged else " (did not settle)"))
    u = r.unreachable
    if r.scenario != "cold_start":
        t.add_row("unreachable pod pairs x seconds", "", "", f"{u['pod_pair_seconds']:,.0f}")
        t.add_row("longest outage", "", "", fmt(u["max_outage_seconds"], "s"))
        t.add_row("pod pairs still unreachable", "", "", f"{u['pod_pairs_unreachable_at_end']:,.0f}")
    console.print(t)
    c = r.cost
    agg = c["cohorts"]
    mode = (f"aggregate mode, {agg['cohorts']:,} cohorts of ~{agg['nodes_per_cohort']['mean']:.0f} nodes"
            if agg else "per-path model")
    console.print(f"simulator: {c['events']:,} events on {c['paths']:,} paths ({mode}), "
                  f"{c['build_seconds']:.2f} s build + {c['run_seconds']:.2f} s run", markup=False)
    if u["outages"]:
        worst = sorted(u["outages"], key=lambda o: -o["seconds"])[:5]
        for o in worst:
            console.print(f"outage: {o['node']} had no route to the pods of {o['prefixes_of']} for "
                          f"{o['seconds']:,.2f} s (from {o['start']:,.2f} s)", markup=False, soft_wrap=True)


def plot_result(r, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise InvalidValueError("--plot needs matplotlib (pip install 'fastroute[plot]')") from None
    fig, ax = plt.subplots(figsize=(8, 4.5))
    ax.step(r.series["t"], r.series["routes_installed"], where="post")
    if r.event_time:
        ax.axvline(r.event_time, color="tab:red", linestyle="--", label=f"{r.scenario.replace('_', ' ')}")
        ax.legend()
    ax.set_xlabel("seconds")
    ax.set_ylabel("BGP routes in the kernels (all nodes)")
    ax.set_title(f"{r.scenario.replace('_', ' ')}: {r.n_nodes:,} nodes")
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)
