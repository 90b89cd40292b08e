"""``fastroute export``: the cluster after IPAM as Calico resources (multi-document YAML)."""

import sys

from ..model.resources import dump_json
from ._common import add_cluster, load_cluster


def add_parser(sub):
    p = sub.add_parser(
        "export",
        help="write the cluster after IPAM as Calico resources (multi-document YAML)",
        description="Allocate the cluster with Calico's IPAM and write IPPools, Nodes, BGP resources, "
        "IPAMBlocks, BlockAffinities and WorkloadEndpoints as multi-document YAML, ready to be read back "
        "by fastroute or applied to a test cluster.",
    )
    add_cluster(p)
    p.add_argument("-o", "--output", metavar="FILE",
                   help="write to FILE instead of standard output (a .json name writes JSON)")
    p.add_argument("--json", action="store_true",
                   help="one JSON List document (as `kubectl get -o json`) instead of YAML; "
                   "fastroute reads it back several times faster")
    return p


def run(args):
    cluster = load_cluster(args.cluster)
    as_json = args.json or (args.output or "").endswith(".json")
    text = dump_json(cluster.to_documents()) if as_json else cluster.dump()
    if args.output:
        with open(args.output, "w", encoding="utf-8") as f:
            f.write(text)
    else:
        sys.stdout.write(text)
    return 0
