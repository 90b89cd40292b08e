"""``fastroute synth``: an N-node synthetic cluster as Calico resources, for every other command."""

from ..model import synth
from ..planning.sweeps import ENCAPSULATIONS
from ._common import add_resource_output, resource_output, write_resources


def add_parser(sub):
    p = sub.add_parser(
        "synth",
        help="write an N-node synthetic cluster (nodes, pool, BGP design, pods) as Calico resources",
        description="Write a synthetic cluster of N nodes with P pods each as Calico resources "
        "(fastroute.model.synth.cluster): nodes node-0 ... on 172.16.0.0/12 spread over racks, one IP "
        "pool, a full mesh or K route reflectors (the first K nodes), and the pods. Without --allocate "
        "it is a plan: the commands that read it run Calico's IPAM themselves. Example: "
        "`fastroute synth 200 --reflectors 2 --out c.yaml; fastroute verify c.yaml`.",
    )
    p.add_argument("nodes", type=int, metavar="N", help="number of nodes")
    p.add_argument("--pods-per-node", type=int, default=110, metavar="P", help="default 110 (Kubernetes' limit)")
    p.add_argument("--reflectors", type=int, default=0, metavar="K",
                   help="route reflectors (default 0: the node-to-node mesh)")
    p.add_argument("--racks", type=int, default=1, metavar="R", help="racks (one /24 of nodes each; default 1)")
    p.add_argument("--pool", metavar="CIDR", default="10.0.0.0/8", help="IP pool (default 10.0.0.0/8)")
    p.add_argument("--block-size", type=int, default=None, metavar="B", help="block prefix length (default 26)")
    p.add_argument("--encapsulation", default="None", choices=ENCAPSULATIONS)
    p.add_argument("--allocate", action="store_true",
                   help="run Calico's IPAM first and write the blocks and pod addresses too")
    add_resource_output(p)
    return p


def run(args):
    resource_output(args)
    cluster = synth.cluster(args.nodes, args.pods_per_node, pools=(args.pool,), block_size=args.block_size,
                            encapsulation=args.encapsulation, racks=args.racks, reflectors=args.reflectors)
    write_resources(args, cluster.allocate() if args.allocate else cluster)
    return 0
