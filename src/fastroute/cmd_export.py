"""``fastroute export``: the cluster after IPAM as Calico resources (multi-document YAML)."""

import sys

from .examples import resolve


def add_parser(sub):
    p = sub.add_parser(
        "export",
        help="write the cluster after IPAM as Calico resources (multi-document YAML)",
        description="Allocate the cluster with Calico's IPAM and write IPPools, Nodes, BGP resources, "
        "IPAMBlocks, BlockAffinities and WorkloadEndpoints as multi-document YAML, ready to be read back "
        "by fastroute or applied to a test cluster.",
    )
    p.add_argument("cluster", metavar="CLUSTER", nargs="?", help="YAML file or folder (default: the seed cluster)")
    p.add_argument("-o", "--output", metavar="FILE", help="write to FILE instead of standard output")
    return p


def run(args):
    cluster = resolve(args.cluster)
    text = cluster.dump()
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0
