"""``fastroute ipam``: what ``calicoctl ipam show`` prints for a cluster after IPAM."""


from ..jsonout import dumps as json_dumps
from ..calicoctl import ipam
from ._common import add_cluster, load_cluster


def add_parser(sub):
    p = sub.add_parser(
        "ipam",
        help="IP pool and block utilisation, as `calicoctl ipam show` prints it",
        description="Allocate the cluster with Calico's IPAM and print pool utilisation the way "
        "`calicoctl ipam show` does (v3.20-v3.28). CLUSTER is a YAML file or folder of Calico and "
        "Kubernetes resources; without it, the bundled seed cluster.",
    )
    add_cluster(p)
    what = p.add_mutually_exclusive_group()
    what.add_argument("--show-blocks", action="store_true", help="also list each pool's blocks")
    what.add_argument("--show-borrowed", action="store_true", help="list addresses borrowed from other nodes' blocks")
    what.add_argument("--show-configuration", action="store_true", help="show the IPAM configuration")
    p.add_argument("--json", action="store_true",
                   help="pools, their blocks (affinity, size, in use) and the borrowed addresses as JSON")
    return p


def run(args):
    cluster = load_cluster(args.cluster)
    if args.json:
        print(json_dumps(ipam.show_dict(cluster), indent=2))
        return 0
    if args.show_borrowed:
        text = ipam.format_borrowed(cluster)
    elif args.show_configuration:
        text = ipam.format_configuration(cluster)
    else:
        text = ipam.format_show(cluster, show_blocks=args.show_blocks)
    print(text, end="")
    return 0
