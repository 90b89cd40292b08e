"""``fastroute ipam``: what ``calicoctl ipam show`` prints for a cluster after IPAM."""

import json

from ..model import ipam
from ..model.examples import resolve


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
    p.add_argument("--json", action="store_true",
                   help="pools, their blocks (affinity, size, in use) and the borrowed addresses as JSON")
    return p


def as_json(cluster):
    """Pool and block utilisation and borrowed addresses, JSON-serialisable."""
    affinity = {str(b.cidr): b.affinity for b in cluster.blocks}
    pools = []
    for cidr, cap, used, blocks in ipam.utilization(cluster):
        pools.append({
            "cidr": str(cidr) if cidr is not None else None, "size": cap, "in_use": used,
            "blocks": [{"cidr": str(b), "affinity": affinity.get(str(b)), "size": n, "in_use": u}
                       for b, n, u in blocks],
        })
    borrowed = []
    for addr, node_idx, bi in cluster.borrowed(4) + cluster.borrowed(6):
        b = cluster.blocks[bi]
        borrowed.append({"ip": str(b.address(addr - b.net)),
                         "node": cluster.node_names[node_idx] if node_idx >= 0 else None,
                         "block": str(b.cidr), "block_owner": b.affinity})
    return {"pools": pools, "borrowed": borrowed}


def run(args):
    cluster = resolve(args.cluster)
    if args.json:
        print(json.dumps(as_json(cluster), indent=2))
        return 0
    if args.show_borrowed:
        text = ipam.format_borrowed(cluster)
    elif args.show_configuration:
        text = ipam.format_configuration(cluster)
    else:
        text = ipam.format_show(cluster, show_blocks=args.show_blocks)
    print(text, end="")
    return 0
