"""``fastroute routes``: a node's routing table exactly as ``ip route`` shows it there."""


from ..jsonout import dumps as json_dumps
from ..dataplane import routes as _routes
from ..model.routers import routers_of
from ._common import add_calico_version, add_cluster, add_down, add_node, down_nodes, load_cluster, progress_bar


def add_parser(sub):
    p = sub.add_parser(
        "routes",
        help="a node's routing table as `ip route` shows it",
        description="Print NODE's main routing table as Calico's BIRD and Felix program it, in the "
        "kernel's order: workload routes, block blackholes, BGP-learned blocks and borrowed /32s "
        "per pool mode. NODE may also name a Router (fastroute.io/v1): its table of best paths, "
        "blackholes for what it announces. CLUSTER is a YAML file or folder; without it, the bundled seed.",
    )
    add_table_args(p)
    p.add_argument("--all", action="store_true", help="add the host's own routes (default route, subnets)")
    p.add_argument("--json", action="store_true",
                   help="a JSON array as `ip -j route` prints it (dst, gateway, dev, protocol, scope, "
                   "prefsrc, metric, flags, pref; type when not unicast)")
    p.add_argument("-6", "--ipv6", action="store_true", help="the IPv6 table (`ip -6 route`)")
    return p


def add_table_args(p):
    """CLUSTER, --node, --down, --calico-version: which node's table (``routes`` and ``why``)."""
    add_cluster(p)
    add_node(p, "the node whose table to show")
    add_down(p)
    add_calico_version(p)


def tables(args, version):
    """The routing tables :func:`add_table_args` describe."""
    with progress_bar() as (step, _):
        cluster = load_cluster(args.cluster)
        if args.node not in {r.name for r in routers_of(cluster)}:     # a Router's table is printed too
            cluster.node_index(args.node)
        step(f"computing {cluster.n_nodes:,} nodes' routing tables")
        return _routes.compute(cluster, version, down=down_nodes(args), calico_version=args.calico_version)


def ip_json(route):
    """A :class:`~fastroute.dataplane.routes.KernelRoute` as ``ip -j route`` prints it (iproute2
    ``ip/iproute.c`` ``print_route``): keys only for what ``ip route`` prints, ``protocol``
    and ``scope`` spelled out, ``onlink`` among the ``flags``, multipath legs in ``nexthops``."""
    out = {} if route.type == "unicast" else {"type": route.type}
    out["dst"] = route.dst
    if route.via:
        out["gateway"] = route.via
    if route.dev:
        out["dev"] = route.dev
    if route.proto:
        out["protocol"] = route.proto
    if route.scope:
        out["scope"] = route.scope
    if route.src:
        out["prefsrc"] = route.src
    if route.metric is not None:
        out["metric"] = route.metric
    out["flags"] = ["onlink"] if route.onlink else []
    if route.pref:
        out["pref"] = route.pref
    if route.nexthops:
        out["nexthops"] = [{"gateway": via, "dev": dev, "weight": 1, "flags": []} for via, dev in route.nexthops]
    return out


def run(args):
    t = tables(args, 6 if args.ipv6 else 4)
    rows = t.routes(args.node, include_host=args.all)
    if args.json:
        print(json_dumps([ip_json(r) for r in rows], indent=2))
    else:
        print(_routes.format_routes(rows), end="")
    return 0
