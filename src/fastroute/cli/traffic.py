"""``fastroute traffic``: a flows CSV mapped onto node pairs, node in/out and encapsulation."""

import time

from ..jsonout import dumps as json_dumps
from ..dataplane import traffic as _traffic
from ._common import add_calico_version, add_cluster_then, console, fmt, load_cluster, progress_bar, split_cluster, table


def add_parser(sub):
    p = sub.add_parser(
        "traffic",
        help="bytes per node pair, per node and per encapsulation for a flows CSV",
        description="Map every flow of FLOWS.csv (columns src, dst, bytes; a header naming them, other "
        "columns ignored) onto the cluster with batch longest-prefix lookups: bytes per (source node, "
        "destination node), per node in/out, per encapsulation (none/IPIP/VXLAN), and what was not "
        "delivered (blackholed, unrouted, unknown source). CLUSTER is a YAML file or folder; without "
        "it, the bundled seed cluster.",
    )
    add_cluster_then(p, "FLOWS.csv")
    p.add_argument("--top", type=int, default=None, metavar="N",
                   help="node pairs and nodes to list (default: 20 in tables, all with --json)")
    add_calico_version(p, help=None)
    p.add_argument("--json", action="store_true", help="summary as JSON (all pairs unless --top is given)")
    return p


def run(args):
    cluster_path, (flows_path,) = split_cluster(args, "FLOWS.csv")
    t0 = time.perf_counter()
    with progress_bar() as (step, _):
        step(f"reading {flows_path}")
        flows = _traffic.read_flows(flows_path)
        step("loading the cluster")
        cluster = load_cluster(cluster_path)
        step(f"mapping {len(flows['src']):,} flows")
        t = _traffic.matrix(cluster, flows["src"], flows["dst"], flows["bytes"], calico_version=args.calico_version)
    elapsed = time.perf_counter() - t0
    top = args.top if args.top is not None else (None if args.json else 20)
    if args.json:
        print(json_dumps(t.to_dict(top=top), indent=2))
        return 0
    _print(t, top, elapsed)
    return 0


def _print(t, top, elapsed):
    out = console(pipe_width=None)
    d = t.to_dict(top=top)
    out.print(f"{d['n_flows']:,} flows over {t.n_nodes} nodes ({elapsed:.2f} s)")
    tab = table("outcome", [("outcome", "left"), "flows", "bytes"])
    for k, v in d["outcomes"].items():
        tab.add_row(k, fmt(v["flows"]), fmt(v["bytes"]))
    out.print(tab)
    tab = table("node-to-node bytes by encapsulation", list(d["encapsulation_bytes"]))
    tab.add_row(*[fmt(v) for v in d["encapsulation_bytes"].values()])
    out.print(tab)
    tab = table(f"top {len(d['pairs'])} node pairs (delivered)", [("src", "left"), ("dst", "left"), "bytes", "flows"])
    for p in d["pairs"]:
        tab.add_row(p["src"], p["dst"], fmt(p["bytes"]), fmt(p["flows"]))
    out.print(tab)
    nodes = sorted(d["nodes"], key=lambda r: -(r["out"] + r["in"]))[: top or len(d["nodes"])]
    tab = table("busiest nodes", [("node", "left"), "out", "in", "local"])
    for r in nodes:
        tab.add_row(r["node"], fmt(r["out"]), fmt(r["in"]), fmt(r["local"]))
    out.print(tab)
    if d["routers"]:
        tab = table("routers", [("router", "left"), "out", "in"])
        for r in sorted(d["routers"], key=lambda r: -(r["out"] + r["in"]))[: top or len(d["routers"])]:
            tab.add_row(r["router"], fmt(r["out"]), fmt(r["in"]))
        out.print(tab)
