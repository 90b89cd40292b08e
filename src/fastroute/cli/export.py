"""``fastroute export``: the cluster after IPAM as Calico resources (multi-document YAML or JSON)."""

from ._common import add_cluster, add_resource_output, load_cluster, resource_output, write_resources


def add_parser(sub):
    p = sub.add_parser(
        "export",
        help="write the cluster after IPAM as Calico resources (YAML or JSON)",
        description="Allocate the cluster with Calico's IPAM and write IPPools, Nodes, BGP resources, "
        "IPAMBlocks, BlockAffinities and WorkloadEndpoints as multi-document YAML (or one JSON List), "
        "ready to be read back by fastroute or applied to a test cluster.",
    )
    add_cluster(p)
    add_resource_output(p)
    return p


def run(args):
    resource_output(args)               # a bad -o fails before the cluster loads
    write_resources(args, load_cluster(args.cluster))
    return 0
