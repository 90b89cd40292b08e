"""``fastroute trace``: a packet's walk from one pod (or node) to another, hop by hop."""


from ..jsonout import dumps as json_dumps
from ..dataplane import trace as _trace
from ._common import (add_calico_version, add_cluster_then, add_down, down_nodes, load_cluster, progress_bar,
                      split_cluster)


def add_parser(sub):
    p = sub.add_parser(
        "trace",
        help="a packet's path between two pods, hop by hop",
        description="Follow a packet from SRC to DST through every node's computed kernel table, as the "
        "seed article walks its ping: pod eth0 -> default via 169.254.1.1 (proxy ARP, "
        "ee:ee:ee:ee:ee:ee) -> host caliX -> the host route that matched -> uplink or tunnel "
        "(IPIP +20 bytes, VXLAN +50) -> next node -> its route -> caliY -> pod; the TTL on arrival "
        "and the outcome (delivered, blackholed, no route, loop, left cluster). Exit status 0 when "
        "delivered, 1 when not, 2 on bad input. SRC and DST are "
        "namespace/pod, a pod name, a node name or an IP address. CLUSTER is a YAML file or "
        "folder; without it, the bundled seed cluster.",
    )
    add_cluster_then(p, "SRC DST")
    add_down(p)
    p.add_argument("--host-mtu", type=int, default=1500, metavar="BYTES",
                   help="MTU of the nodes' uplinks (default 1500)")
    add_calico_version(p, help=None)
    p.add_argument("--json", action="store_true", help="the trace as JSON (endpoints, hops, outcome)")
    return p


def run(args):
    cluster_path, (src, dst) = split_cluster(args, "SRC DST")
    with progress_bar() as (step, _):
        cluster = load_cluster(cluster_path)
        down = down_nodes(args, cluster)
        step(f"computing {cluster.n_nodes:,} nodes' routing tables")
        t = _trace.trace(cluster, src, dst, down=down, host_mtu=args.host_mtu, calico_version=args.calico_version)
    if args.json:
        print(json_dumps(t.to_dict(), indent=2))
    else:
        print(t.text(), end="")
    return 0 if t.delivered else 1
