"""``fastroute routes``: a node's routing table exactly as ``ip route`` shows it there."""

import json

from ..dataplane import routes as _routes
from ..bgp.birdcfg import CALICO_VERSIONS
from ..model.examples import resolve


def add_parser(sub):
    p = sub.add_parser(
        "routes",
        help="a node's routing table as `ip route` shows it",
        description="Print NODE's main routing table as Calico's BIRD and Felix program it, in the "
        "kernel's order: workload routes, block blackholes, BGP-learned blocks and borrowed /32s "
        "per pool mode. CLUSTER is a YAML file or folder; without it, the bundled seed.",
    )
    add_cluster_args(p)
    p.add_argument("--all", action="store_true", help="add the host's own routes (default route, subnets)")
    p.add_argument("--json", action="store_true", help="one JSON object per route")
    p.add_argument("-6", "--ipv6", action="store_true", help="the IPv6 table (`ip -6 route`)")
    return p


def add_cluster_args(p):
    p.add_argument("cluster", metavar="CLUSTER", nargs="?", help="YAML file or folder (default: the seed cluster)")
    p.add_argument("--node", required=True, metavar="NAME", help="the node whose table to show")
    p.add_argument("--down", metavar="NODE[,NODE...]", action="append", default=[],
                   help="nodes whose calico-node was stopped cleanly (repeatable)")
    p.add_argument("--calico-version", choices=CALICO_VERSIONS, default=None,
                   help="template behaviour (default: 3.28)")


def tables(args, version):
    cluster = resolve(args.cluster)
    cluster.node_index(args.node)
    down = [d for item in args.down for d in item.split(",") if d]
    return _routes.compute(cluster, version, down=down, calico_version=args.calico_version)


def run(args):
    t = tables(args, 6 if args.ipv6 else 4)
    rows = t.routes(args.node, include_host=args.all)
    if args.json:
        print(json.dumps([r.to_json() for r in rows], indent=2))
    else:
        print(_routes.format_routes(rows), end="")
    return 0
