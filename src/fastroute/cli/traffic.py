"""``fastroute traffic``: a flows CSV mapped onto node pairs, node in/out and encapsulation."""

import json
import time

from ..dataplane import traffic as _traffic
from ..bgp.birdcfg import CALICO_VERSIONS
from ..errors import InvalidValueError
from ..model.examples import resolve


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
    p.add_argument("args", nargs="+", metavar="[CLUSTER] FLOWS.csv")
    p.add_argument("--top", type=int, default=None, metavar="N",
                   help="node pairs and nodes to list (default: 20 in tables, all with --json)")
    p.add_argument("--calico-version", choices=CALICO_VERSIONS, default=None)
    p.add_argument("--json", action="store_true", help="summary as JSON (all pairs unless --top is given)")
    return p


def run(args):
    if len(args.args) not in (1, 2):
        raise InvalidValueError(f"expected [CLUSTER] FLOWS.csv, got {len(args.args)} arguments: {args.args!r}")
    cluster_path = args.args[0] if len(args.args) == 2 else None
    from .plan import progress_bar

    t0 = time.perf_counter()
    with progress_bar() as (step, _):
        step(f"reading {args.args[-1]}")
        flows = _traffic.read_flows(args.args[-1])
        step("loading the cluster")
        cluster = resolve(cluster_path)
        step(f"mapping {len(flows['src']):,} flows")
        t = _traffic.matrix(cluster, flows["src"], flows["dst"], flows["bytes"], calico_version=args.calico_version)
    elapsed = time.perf_counter() - t0
    top = args.top if args.top is not None else (None if args.json else 20)
    if args.json:
        print(json.dumps(t.to_dict(top=top), indent=2))
        return 0
    _print(t, top, elapsed)
    return 0


def _fmt(x):
    return f"{x:,}" if isinstance(x, int) else f"{x:,.1f}"


def _print(t, top, elapsed):
    from rich import box
    from rich.console import Console
    from rich.table import Table

    console = Console(highlight=False)
    d = t.to_dict(top=top)
    n_flows = d["n_flows"]
    console.print(f"{n_flows:,} flows over {t.n_nodes} nodes ({elapsed:.2f} s)")
    tab = Table(title="outcome", box=box.SIMPLE, title_justify="left")
    tab.add_column("outcome")
    tab.add_column("flows", justify="right")
    tab.add_column("bytes", justify="right")
    for k, v in d["outcomes"].items():
        tab.add_row(k, _fmt(v["flows"]), _fmt(v["bytes"]))
    console.print(tab)
    tab = Table(title="node-to-node bytes by encapsulation", box=box.SIMPLE, title_justify="left")
    for k in d["encapsulation_bytes"]:
        tab.add_column(k, justify="right")
    tab.add_row(*[_fmt(v) for v in d["encapsulation_bytes"].values()])
    console.print(tab)
    tab = Table(title=f"top {len(d['pairs'])} node pairs (delivered)", box=box.SIMPLE, title_justify="left")
    for col in ("src", "dst"):
        tab.add_column(col)
    tab.add_column("bytes", justify="right")
    tab.add_column("flows", justify="right")
    for p in d["pairs"]:
        tab.add_row(p["src"], p["dst"], _fmt(p["bytes"]), _fmt(p["flows"]))
    console.print(tab)
    nodes = sorted(d["nodes"], key=lambda r: -(r["out"] + r["in"]))[: top or len(d["nodes"])]
    tab = Table(title="busiest nodes", box=box.SIMPLE, title_justify="left")
    for col, j in (("node", "left"), ("out", "right"), ("in", "right"), ("local", "right")):
        tab.add_column(col, justify=j)
    for r in nodes:
        tab.add_row(r["node"], _fmt(r["out"]), _fmt(r["in"]), _fmt(r["local"]))
    console.print(tab)
