"""``fastroute ipam``: what ``calicoctl ipam show`` prints for a cluster after IPAM."""

from . import ipam
from .examples import resolve


def add_parser(sub):
    p = sub.add_parser(
        "ipam",
        help="IP pool and block utilisation, as `calicoctl ipam show` prints it",
        description="Allocate the cluster with Calico's IPAM and print pool utilisation the way "
        "`calicoctl ipam show` does (v3.20-v3.28). CLUSTER is a YAML file or folder of Calico and "
        "Kubernetes resources; without it, the bundled seed cluster.",
    )
    p.add_argument("cluster", metavar="CLUSTER", nargs="?", help="YAML file or folder (default: the seed cluster)")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--show-blocks", action="store_true", help="also list each pool's blocks")
    what.add_argument("--show-borrowed", action="store_true", help="list addresses borrowed from other nodes' blocks")
    what.add_argument("--show-configuration", action="store_true", help="show the IPAM configuration")
    return p


def run(args):
    cluster = resolve(args.cluster)
    if args.show_borrowed:
        text = ipam.format_borrowed(cluster)
    elif args.show_configuration:
        text = ipam.format_configuration(cluster)
    else:
        text = ipam.format_show(cluster, show_blocks=args.show_blocks)
    print(text, end="")
    return 0
