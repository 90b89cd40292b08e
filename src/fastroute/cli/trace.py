"""``fastroute trace``: a packet's walk from one pod (or node) to another, hop by hop."""

import json

from ..dataplane import trace as _trace
from ..bgp.birdcfg import CALICO_VERSIONS
from ..errors import InvalidValueError
from ..model.examples import resolve


def add_parser(sub):
    p = sub.add_parser(
        "trace",
        help="a packet's path between two pods, hop by hop",
        description="Follow a packet from SRC to DST through every node's computed kernel table, as the "
        "seed article walks its ping: pod eth0 -> default via 169.254.1.1 (proxy ARP, "
        "ee:ee:ee:ee:ee:ee) -> host caliX -> the host route that matched -> uplink or tunnel "
        "(IPIP +20 bytes, VXLAN +50) -> next node -> its route -> caliY -> pod; the TTL on arrival "
        "and the outcome (delivered, blackholed, no route, loop, left cluster). SRC and DST are "
        "namespace/pod, a pod name, a node name or an IP address. CLUSTER is a YAML file or "
        "folder; without it, the bundled seed cluster.",
    )
    p.add_argument("args", nargs="+", metavar="[CLUSTER] SRC DST")
    p.add_argument("--down", metavar="NODE[,NODE...]", action="append", default=[],
                   help="nodes whose calico-node was stopped cleanly (repeatable)")
    p.add_argument("--host-mtu", type=int, default=1500, metavar="BYTES",
                   help="MTU of the nodes' uplinks (default 1500)")
    p.add_argument("--calico-version", choices=CALICO_VERSIONS, default=None)
    p.add_argument("--json", action="store_true", help="the trace as JSON (endpoints, hops, outcome)")
    return p


def run(args):
    if len(args.args) not in (2, 3):
        raise InvalidValueError(f"expected [CLUSTER] SRC DST, got {len(args.args)} arguments: {args.args!r}")
    cluster_path = args.args[0] if len(args.args) == 3 else None
    src, dst = args.args[-2:]
    cluster = resolve(cluster_path)
    down = [d for item in args.down for d in item.split(",") if d]
    for d in down:
        cluster.node_index(d)
    t = _trace.trace(cluster, src, dst, down=down, host_mtu=args.host_mtu, calico_version=args.calico_version)
    if args.json:
        print(json.dumps(t.to_json(), indent=2))
    else:
        print(t.text(), end="")
    return 0
