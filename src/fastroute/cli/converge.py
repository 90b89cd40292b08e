"""``fastroute converge``: how long BGP takes to converge, and what is lost meanwhile."""


from ..jsonout import dumps as json_dumps
from ..errors import InvalidValueError
from ..planning.plots import plot_convergence
from ..sim import converge
from ..sim import timeline as _timeline
from ..sim.seeds import CAVEAT, over_seeds, spread
from ..sim.settings import parse_params
from ._common import add_cluster, add_down, add_node, console, down_nodes, finish, fmt, load_cluster, progress_bar, table


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
    add_cluster(p, help="YAML/JSON file or folder (default: the seed cluster)")
    p.add_argument("--scenario", "-s", choices=converge.SCENARIOS, default="cold_start")
    add_node(p, "the node (or Router) a node_*, reflector_crash or router_crash scenario acts on", required=False)
    add_down(p, help="nodes whose calico-node is down when the event happens (killed then, never restarted; "
             "in a cold start they never start); their pods are not counted as unreachable (repeatable)")
    p.add_argument("--set", metavar="NAME=VALUE", action="append", default=[], dest="params",
                   help="a model parameter, e.g. hold_time=90 or aggregate=off (repeatable; see "
                   "fastroute.sim.converge.Params)")
    p.add_argument("--timeline", metavar="FILE",
                   help="a YAML/JSON list of timed events (crash, restart, stop, start, join, drain, reflector_crash, "
                   "mesh_off, peerings_add, block_add, rolling_restart; fastroute.sim.timeline): runs the "
                   "'timeline' scenario")
    p.add_argument("--seeds", type=int, default=1, metavar="N",
                   help="run N seeds (timer jitter and start draws) and report the median and p95 (default 1)")
    p.add_argument("--json", action="store_true", help="the full result as JSON")
    p.add_argument("--plot", metavar="FILE", help="write a PNG of routes installed over time (needs matplotlib)")
    return p


def run(args):
    cluster = load_cluster(args.cluster, allocate="if_needed")
    params = parse_params(args.params)
    if args.node is not None:
        if args.node not in {r.name for r in cluster.routers}:      # a Router (docs/fabric.md) or a node
            cluster.node_index(args.node)
        params["node"] = args.node
    down = down_nodes(args, cluster)
    if down:
        params["down"] = tuple(down)
    scenario = args.scenario
    if args.timeline:
        if scenario not in ("cold_start", "timeline"):
            raise InvalidValueError(f"--timeline runs the 'timeline' scenario, not {scenario!r}: drop --scenario")
        params["timeline"] = _timeline.load(args.timeline)
        scenario = "timeline"
    with progress_bar() as (step, _):
        step(f"simulating {scenario.replace('_', ' ')}" + (f" over {args.seeds} seeds" if args.seeds > 1 else ""))
        runs = over_seeds(cluster, scenario, args.seeds, **params)
    r = runs[0]
    r.spread = spread(runs) if len(runs) > 1 else None

    def to_json(r):
        d = r.to_dict()
        d["spread"] = r.spread
        d["caveat"] = CAVEAT
        return json_dumps(d, indent=2)

    return finish(args, r, print_result, to_json=to_json, plot=plot_convergence)


def print_result(r):
    out = console()
    rr = len(r.sessions["per_reflector"])
    design = f"{rr} route reflector{'s' if rr != 1 else ''}" if rr else "no reflectors"
    t = table(f"{r.scenario.replace('_', ' ')}: {r.n_nodes:,} nodes, {design}",
              [("", "left"), "per node (mean / max)", "per reflector (max)", "cluster"])

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
        t.add_row("longest outage", "", "", "permanent" if u["permanent"] else fmt(u["max_outage_seconds"], "s"))
        w = u.get("worst_pair")
        if w:
            t.add_row("worst pod pair", "", "", f"{w['node']} -> pods of {w['prefixes_of']}: "
                      + ("permanent" if w["seconds"] is None else fmt(w["seconds"], "s")))
        t.add_row("last route moved (RIB) after the event", "", "", fmt(r.time_to_rib_converge, "s"))
        t.add_row("pod pairs still unreachable" + (" (permanent)" if u["permanent"] else ""), "", "",
                  f"{u['pod_pairs_unreachable_at_end']:,.0f}")
    out.print(t)
    c = r.cost
    agg = c["cohorts"]
    mode = (f"aggregate mode, {agg['cohorts']:,} cohorts of ~{agg['nodes_per_cohort']['mean']:.0f} nodes"
            if agg else "per-path model")
    sp = getattr(r, "spread", None)
    if sp:
        n = len(sp["seeds"])
        for key, what in (("time_to_converge", "time to converge"), ("time_to_rib_converge", "last route moved"),
                          ("max_outage_seconds", "longest outage")):
            f = sp[key]
            out.print(f"over {n} seeds, {what}: median {fmt(f['median'], 's')}, p95 {fmt(f['p95'], 's')} "
                      f"(min {fmt(f['min'], 's')}, max {fmt(f['max'], 's')})", markup=False)
        if sp["permanent"]:
            out.print(f"{sp['permanent']} of {n} seeds end with a permanent outage", markup=False)
    out.print(f"times: {CAVEAT}", markup=False, soft_wrap=True)
    out.print(f"simulator: {c['events']:,} events on {c['paths']:,} paths ({mode}), "
              f"{c['build_seconds']:.2f} s build + {c['run_seconds']:.2f} s run", markup=False)
    if u["outages"]:
        worst = sorted(u["outages"], key=lambda o: -o["seconds"])[:5]
        for o in worst:
            out.print(f"outage: {o['node']} had no route to the pods of {o['prefixes_of']} for "
                      f"{o['seconds']:,.2f} s (from {o['start']:,.2f} s)", markup=False, soft_wrap=True)
