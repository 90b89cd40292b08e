"""``fastroute emulate``: run real BIRD 1.6 on the cluster in network namespaces.

Every node gets its own namespace, its uplink (annotation ``fastroute.io/uplink``),
its pods' interfaces and routes, and a BIRD fed the configuration confd would render
(the views of :func:`fastroute.bgp.topology.compute`, rendered by :mod:`fastroute.bgp.birdcfg`).
External routers the BGPPeers point at (a ToR...) get a namespace on the same bridge
and a plain BIRD that peers back with every node configured to peer with it, learns
everything and announces nothing -- the same assumption :mod:`fastroute.bgp.topology`
makes.  Once sessions are up and tables are quiet (after stopping the ``--down``
nodes' BIRD, if any), the command prints each node's ``ip route`` and ``birdc show
protocols``, then tears everything down.  Needs root, iproute2 and the Debian
``bird`` package.
"""

import ipaddress

from ..bgp.birdcfg import CALICO_VERSIONS
from ..testing.emulate import EmuNode, Emulation, Pod, emu_node, netns_unavailable_reason
from ..errors import EmulationError
from ..model.examples import resolve

__all__ = ["add_parser", "run", "cluster_emulation", "external_router_config"]


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
    p.add_argument("--down", default="", metavar="NODE[,NODE...]",
                   help="stop calico-node (BIRD, SIGTERM) on these nodes after convergence")
    p.add_argument("--calico-version", default=None, choices=CALICO_VERSIONS,
                   help="confd template layout to render (default: the cluster's, else 3.28)")
    p.add_argument("--ipv6", action="store_true", help="also run bird6 and print the IPv6 table")
    p.add_argument("--timeout", type=float, default=90.0, help="seconds to wait for convergence (default 90)")
    return p


def external_router_config(router, peers):
    """BIRD 1.6 configuration of an external router.

    Parameters
    ----------
    router : fastroute.bgp.topology.ExternalRouter
    peers : sequence of (node ip, node AS)
        The nodes configured to peer with it.
    """
    out = [f"# External router {router.ip} (AS {router.as_number}): learns everything, announces nothing.",
           f"router id {router.ip};",
           "protocol device { scan time 2; }",
           "protocol kernel { scan time 2; import none; export all; }"]
    for k, (ip, asn) in enumerate(peers):
        out += [f"protocol bgp peer{k} {{",
                f"  local as {router.as_number};",
                f"  neighbor {ip} as {asn};",
                "  import all;",
                "  export none;",
                "}"]
    return "\n".join(out) + "\n"


def cluster_emulation(cluster, calico_version=None, ipv6=False):
    """An :class:`~fastroute.testing.emulate.Emulation` of an allocated ``cluster``.

    Returns
    -------
    (Emulation, Topology)

    Raises
    ------
    EmulationError
        A node without an IPv4 address, an IPv6 external router, or an external router
        outside every node's IPv4 subnet (the emulation has one flat L2 segment).
    """
    from ..bgp.topology import compute  # the session model, built by fastroute.bgp.topology

    topo = compute(cluster, calico_version)
    pods = {n: [] for n in cluster.node_names}
    for pod in cluster.pods:
        for ip in (pod.ipv4, pod.ipv6 if ipv6 else None):
            if ip is not None:
                pods[pod.node].append(Pod(str(ip), pod.interface_name))
    emus = []
    for node, view in zip(cluster.nodes, topo.views):
        if not view.node.ipv4_address:
            raise EmulationError(f"node {node.name!r} has no IPv4 address: the emulation needs one for its uplink")
        emus.append(emu_node(view, uplink=node.uplink, pods=pods[node.name]))
    nets = [ipaddress.ip_interface(v.node.ipv4_address).network for v in topo.views]
    for router in topo.externals:
        if router.version != 4:
            if ipv6:
                raise EmulationError(f"cannot emulate IPv6 external router {router.ip!r} yet")
            continue
        net = next((n for n in nets if ipaddress.ip_address(router.ip) in n), None)
        if net is None:
            raise EmulationError(f"external router {router.ip!r} is outside every node subnet: the emulation "
                                 "puts all speakers on one L2 segment")
        peers = [(v.node.ip4, v.as_number) for v in topo.views
                 if any(p.ip == router.ip for p in v.peers_v4)]
        emus.append(EmuNode(router.name.replace(" ", "-"), f"{router.ip}/{net.prefixlen}",
                            {"bird.cfg": external_router_config(router, peers)}))
    return Emulation(emus, ipv6=ipv6), topo


def run(args):
    cluster = resolve(args.cluster)
    wanted = args.node or list(cluster.node_names)
    down = [d for d in args.down.split(",") if d]
    for name in wanted + down:
        cluster.node_index(name)  # UnknownNodeError names the known nodes
    reason = netns_unavailable_reason()
    if reason is not None:
        raise EmulationError(f"network namespaces unavailable: {reason}")
    families = (4, 6) if args.ipv6 else (4,)
    emu, topo = cluster_emulation(cluster, args.calico_version, args.ipv6)
    with emu:
        emu.wait(timeout=args.timeout)
        if down:
            for name in down:
                emu.stop_bird(name)
            down_ips = {ip for name in down for ip in (topo.view(name).node.ip4, topo.view(name).node.ip6) if ip}
            expected = {}
            for name, view in zip(topo.node_names, topo.views):
                if name in down:
                    continue
                for f in families:
                    peers = view.peers_v4 if f == 4 else view.peers_v6
                    expected[(name, f)] = [p.name for p in peers if p.ip not in down_ips]
            emu.wait(established=expected, timeout=args.timeout)
        out = []
        for name in wanted:
            for f in families:
                out.append(f"== {name}: ip {'-6 ' if f == 6 else ''}route")
                out.append(emu.ip_route(name, f).rstrip("\n"))
                if name in down:
                    out.append(f"== {name}: BIRD stopped")
                    continue
                out.append(f"== {name}: birdc{'6' if f == 6 else ''} show protocols")
                out.append(emu.show_protocols(name, f).rstrip("\n"))
    print("\n".join(out))
    return 0
