"""``fastroute emulate``: run real BIRD 1.6 on the cluster in network namespaces.

Every node gets its own namespace, its uplink (annotation ``fastroute.io/uplink``),
its pods' interfaces and routes, and a BIRD fed the configuration confd would render
(:mod:`fastroute.birdcfg`).  Once sessions are up and tables are quiet, the command
prints each node's ``ip route`` and ``birdc show protocols``, then tears everything
down.  Needs root, iproute2 and the Debian ``bird`` package.

The node-to-node mesh is built here; clusters with BGPPeer resources are refused
until their expansion into per-node peers (confd's global/node/reverse passes) exists.
"""

from .birdcfg import CALICO_VERSIONS, AffineBlock, BgpGlobals, NodeInfo, Pool, node_view
from .emulate import Emulation, Pod, emu_node, netns_unavailable_reason
from .errors import EmulationError
from .examples import resolve

__all__ = ["add_parser", "run", "cluster_emulation"]


def add_parser(sub):
    p = sub.add_parser(
        "emulate",
        help="run real BIRD per node in network namespaces and print ip route / show protocols",
        description="Run BIRD 1.6 for every node of CLUSTER in its own network namespace, with the "
        "configuration confd renders, wait until the BGP sessions are Established and the tables "
        "are stable, print each node's `ip route` and `birdc show protocols`, and clean up. "
        "CLUSTER is a YAML file or folder; without it, the bundled seed cluster. Needs root.",
    )
    p.add_argument("cluster", metavar="CLUSTER", nargs="?", help="YAML file or folder (default: the seed cluster)")
    p.add_argument("--node", action="append", metavar="NAME", help="print only this node (repeatable)")
    p.add_argument("--calico-version", default="3.28", choices=CALICO_VERSIONS,
                   help="confd template layout to render (default 3.28)")
    p.add_argument("--ipv6", action="store_true", help="also run bird6 and print the IPv6 table")
    p.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for convergence (default 90)")
    return p


def _globals(cluster):
    c = cluster.bgp_config
    return BgpGlobals(
        as_number=c.effective_as_number,
        mesh_enabled=c.mesh_enabled,
        listen_port=c.listen_port,
        mesh_password=c.node_mesh_password,
        mesh_restart_time=c.node_mesh_max_restart_time,
        log_level=(c.log_severity_screen or "info").lower(),
        bind_mode=c.bind_mode,
        ignored_interfaces=tuple(c.ignored_interfaces),
    )


def cluster_emulation(cluster, calico_version="3.28", ipv6=False):
    """An :class:`~fastroute.emulate.Emulation` of an allocated ``cluster`` (mesh only).

    Raises
    ------
    EmulationError
        When the cluster has BGPPeer resources, or a node has no IPv4 address.
    """
    if cluster.bgp_peers:
        names = ", ".join(repr(p.name) for p in cluster.bgp_peers[:5])
        raise EmulationError(f"cannot emulate BGPPeer resources yet ({names}): only the node-to-node mesh is built")
    g = _globals(cluster)
    infos = [NodeInfo(n.name, str(n.ipv4) if n.ipv4 else None, str(n.ipv6) if n.ipv6 else None,
                      n.asn, n.rr_cluster_id or "") for n in cluster.nodes]
    pools = [Pool(str(p.cidr), p.ipip_mode, p.vxlan_mode, p.nat_outgoing, p.disable_bgp_export, p.disabled)
             for p in cluster.pools]
    blocks = {n.name: [] for n in cluster.nodes}
    for b in cluster.blocks:
        if b.affinity in blocks:
            blocks[b.affinity].append(AffineBlock(str(b.cidr)))
    pods = {n.name: [] for n in cluster.nodes}
    for pod in cluster.pods:
        for ip in (pod.ipv4, pod.ipv6 if ipv6 else None):
            if ip is not None:
                pods[pod.node].append(Pod(str(ip), pod.interface_name))
    emus = []
    for node, info in zip(cluster.nodes, infos):
        if info.ipv4_address is None:
            raise EmulationError(f"node {node.name!r} has no IPv4 address: the emulation needs one for its uplink")
        view = node_view(info, infos, g, pools=pools, blocks=blocks[node.name], calico_version=calico_version)
        emus.append(emu_node(view, uplink=node.uplink, pods=pods[node.name]))
    return Emulation(emus, ipv6=ipv6)


def run(args):
    cluster = resolve(args.cluster)
    reason = netns_unavailable_reason()
    if reason is not None:
        raise EmulationError(f"network namespaces unavailable: {reason}")
    wanted = args.node or list(cluster.node_names)
    for name in wanted:
        cluster.node_index(name)  # UnknownNodeError names the known nodes
    families = (4, 6) if args.ipv6 else (4,)
    with cluster_emulation(cluster, args.calico_version, args.ipv6) as emu:
        emu.wait(timeout=args.timeout)
        out = []
        for name in wanted:
            for f in families:
                out.append(f"== {name}: ip {'-6 ' if f == 6 else ''}route")
                out.append(emu.ip_route(name, f).rstrip("\n"))
                out.append(f"== {name}: birdc{'6' if f == 6 else ''} show protocols")
                out.append(emu.show_protocols(name, f).rstrip("\n"))
    print("\n".join(out))
    return 0
