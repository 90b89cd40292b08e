"""``fastroute emulate``: run real BIRD 1.6 on the cluster in network namespaces.

Every node gets its own namespace, its uplink, its pods' interfaces and routes, and
a BIRD fed the configuration confd would render; external routers the BGPPeers point
at get a plain BIRD that peers back (:func:`fastroute.testing.emulate.cluster_emulation`).
Once sessions are up and tables are quiet (after stopping the ``--down`` nodes'
BIRD, if any), the command prints each node's ``ip route`` and ``birdc show
protocols``, then tears everything down.  Needs root, iproute2 and the Debian
``bird`` package.
"""

from ..model.calico import DEFAULT_CALICO_VERSION
from ..testing.emulate import emulate_cluster
from ._common import add_calico_version, add_cluster, add_down, add_node, down_nodes, load_cluster


def add_parser(sub):
    p = sub.add_parser(
        "emulate",
        help="run real BIRD per node in network namespaces and print ip route / show protocols",
        description="Run BIRD 1.6 for every node of CLUSTER in its own network namespace, with the "
        "configuration confd renders, wait until the BGP sessions are Established and the tables "
        "are stable, print each node's `ip route` and `birdc show protocols`, and clean up. "
        "CLUSTER is a YAML file or folder; without it, the bundled seed cluster. Needs root.",
    )
    add_cluster(p)
    add_node(p, "print only this node (repeatable)", repeat=True)
    add_down(p, help="stop calico-node (BIRD, SIGTERM) on these nodes after convergence")
    add_calico_version(p, help=f"confd template layout to render (default: the cluster's, else {DEFAULT_CALICO_VERSION})")
    p.add_argument("--ipv6", action="store_true", help="also run bird6 and print the IPv6 table")
    p.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for convergence (default 90)")
    return p


def run(args):
    cluster = load_cluster(args.cluster)
    print(emulate_cluster(cluster, args.node, down_nodes(args), args.calico_version, args.ipv6, args.timeout))
    return 0
