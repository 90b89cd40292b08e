"""Hypothesis strategies for fastroute's inputs: addresses, prefixes, prefix
tables, whole clusters and their routing tables.

Every strategy shrinks toward the smallest readable case: IPv4 addresses toward
``10.0.0.0``, clusters toward one or two nodes with no pods, a single pool
without encapsulation and the node-to-node mesh.  hypothesis is needed only
here; ``import fastroute`` works without it (this module imports it lazily, on
the first call of a strategy).

Examples
--------
>>> from hypothesis import given
>>> from fastroute import strategies, testing
>>> @given(strategies.clusters(max_nodes=4))
... def test_every_pod_reaches_every_pod(cluster):
...     testing.assert_all_reachable(cluster)
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections import namedtuple
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import IPAMError, InvalidValueError, MissingDependencyError, choice
from ..model.calico import DEFAULT_AS

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

    from ..dataplane.routes import RouteTables
    from ..model.cluster import Cluster

__all__ = [
    "addresses",
    "prefixes",
    "prefix_tables",
    "clusters",
    "scenarios",
    "down_sets",
    "route_tables",
    "Scenario",
    "TOPOLOGIES",
    "EXTRA_TOPOLOGIES",
    "ENCAPSULATIONS",
    "TOR_IP",
    "TOR_AS",
    "FAULTS",
]

TOPOLOGIES = ("mesh", "reflectors", "tor")
#: Topologies clusters() draws only when asked: "fabric" (ToR and spine Routers, docs/fabric.md)
EXTRA_TOPOLOGIES = ("fabric",)
ENCAPSULATIONS = ("None", "IPIP", "IPIPCrossSubnet", "VXLAN", "VXLANCrossSubnet")
# misconfigurations clusters() can inject (faults=...)
FAULTS = (
    "no-export",          # the pool has disableBGPExport
    "split-reflectors",   # two reflectors share a cluster id; each serves half of the clients
    "lonely-node",        # mesh off, reflectors serve every node but the last
    "tor-only",           # mesh off, nodes peer only with the ToR (which announces nothing back)
)
# the topology a fault needs (the others keep the drawn one)
_FAULT_TOPOLOGY = {"tor-only": "tor", "split-reflectors": "reflectors", "lonely-node": "reflectors"}
TOR_IP = "172.16.0.254"     # the top-of-rack router of the "tor" topology (in rack 0's subnet)
TOR_AS = 65001

Scenario = namedtuple("Scenario", "cluster down")
Scenario.__doc__ = "A cluster and the nodes whose calico-node is stopped (a frozenset of names)."


def _st():
    try:
        from hypothesis import strategies as st
    except ImportError as e:                  # pragma: no cover - depends on the environment
        raise MissingDependencyError(
            "fastroute.testing.strategies needs hypothesis: pip install 'fastroute[test]'") from e
    return st


_FAMILIES = {
    4: (32, ipaddress.IPv4Address, ipaddress.IPv4Network),
    6: (128, ipaddress.IPv6Address, ipaddress.IPv6Network),
}


def _family(version):
    """(width in bits, address class, network class) of IP ``version``."""
    return _FAMILIES[choice(version, (4, 6), "IP version")]


_warmed_up = False


def _warm_up():
    """Pay a cluster draw's one-time costs (the lazy imports behind synth and IPAM: numpy.random,
    the kernels) once, when a strategy is made: hypothesis times the first draws against its
    ``too_slow`` health check (1 s for the first inputs), which a loaded machine went over."""
    global _warmed_up
    if not _warmed_up:
        from ..model import synth

        synth.cluster(2, 1, pools=("10.0.0.0/24",), seed=0).allocate()
        _warmed_up = True


def addresses(version: int = 4, within: str | ipaddress.IPv4Network | ipaddress.IPv6Network | None = None
             ) -> SearchStrategy[str]:
    """IP addresses of one version, optionally inside a network.

    Parameters
    ----------
    version : {4, 6}
    within : str or ip_network, optional

    Returns
    -------
    SearchStrategy of IPv4Address or IPv6Address
        Shrinks toward the lowest address of ``within`` (``0.0.0.0``/``::`` without it).
    """
    st = _st()
    width, cls, _ = _family(version)
    if within is None:
        return st.integers(0, (1 << width) - 1).map(cls)
    net = ipaddress.ip_network(within)
    if net.version != version:
        raise InvalidValueError(f"invalid within {str(net)!r}: not an IPv{version} network")
    lo = int(net.network_address)
    return st.integers(lo, lo + net.num_addresses - 1).map(cls)


def prefixes(version: int = 4, min_len: int = 0, max_len: int | None = None,
             within: str | ipaddress.IPv4Network | ipaddress.IPv6Network | None = None) -> SearchStrategy[str]:
    """Prefixes (network address with host bits clear) of one version.

    Parameters
    ----------
    version : {4, 6}
    min_len, max_len : int
        Range of prefix lengths (``max_len`` defaults to the full width).
    within : str or ip_network, optional
        Draw only prefixes inside this network (lengths are raised to its length).

    Returns
    -------
    SearchStrategy of IPv4Network or IPv6Network
    """
    st = _st()
    width, _, cls = _family(version)
    max_len = width if max_len is None else max_len
    if not 0 <= min_len <= max_len <= width:
        raise InvalidValueError(f"invalid prefix lengths {min_len!r}..{max_len!r}: must lie in 0..{width}")
    net = ipaddress.ip_network(within) if within is not None else None
    if net is not None:
        min_len = max(min_len, net.prefixlen)
        if min_len > max_len:
            raise InvalidValueError(f"invalid max_len {max_len!r}: shorter than {str(net)!r}")

    def build(args):
        value, plen = args
        if net is not None:
            value = int(net.network_address) | (value & ((1 << (width - net.prefixlen)) - 1))
        mask = ((1 << width) - 1) ^ ((1 << (width - plen)) - 1)
        return cls((value & mask, plen))

    return st.tuples(st.integers(0, (1 << width) - 1), st.integers(min_len, max_len)).map(build)


def prefix_tables(version: int = 4, max_size: int = 20, values: SearchStrategy[Any] | None = None
                 ) -> SearchStrategy[dict[str, Any]]:
    """Routing tables as plain dicts ``{prefix text: value}`` (for :class:`fastroute.Fib` and friends).

    Prefixes nest often (they are drawn under a few common parents) so that
    longest-prefix match has something to decide.
    """
    st = _st()
    values = st.integers(0, 1000) if values is None else values
    width, _, _ = _family(version)
    parent = "10.0.0.0/8" if version == 4 else "2001:db8::/32"
    anywhere = prefixes(version)
    nested = prefixes(version, max_len=width, within=parent)
    keys = st.one_of(nested, anywhere).map(str)
    return st.dictionaries(keys, values, max_size=max_size)


# ---------------------------------------------------------------------------- clusters

def _pool_choices():
    # (pool cidr, block size): tiny pools make nodes borrow from each other
    return [
        ("10.244.0.0/16", 26),
        ("10.244.0.0/26", 26),      # one block for everybody: the second node borrows
        ("10.244.0.0/24", 26),      # 4 blocks
        ("10.244.0.0/26", 28),      # 4 blocks of 16
        ("10.244.0.0/27", 29),      # 4 blocks of 8
    ]


def clusters(min_nodes: int = 1, max_nodes: int = 6, max_pods: int = 4, topologies: Sequence[str] = TOPOLOGIES,
             encapsulations: Sequence[str] = ENCAPSULATIONS, max_racks: int = 2, allocate: bool = True,
             faults: Sequence[str] = (), dual_stack: bool = False) -> SearchStrategy[Cluster]:
    """Whole clusters: nodes, pools, blocks and pods (borrowed addresses
    included), a BGP design and an encapsulation mode.

    Parameters
    ----------
    min_nodes, max_nodes : int
    max_pods : int
        Pods per node are drawn in ``0..max_pods``.
    topologies : sequence of {"mesh", "reflectors", "tor", "fabric"}
        ``"mesh"``: the node-to-node mesh.  ``"reflectors"``: 1 or 2 route
        reflectors (the first nodes, one shared cluster id, a valid design),
        mesh off.  ``"tor"``: the mesh, and every node also peers over eBGP
        with one top-of-rack router (:data:`TOR_IP`, AS :data:`TOR_AS`).  As
        in :mod:`fastroute.bgp.propagate`, an external router learns every route and
        announces nothing, so pod traffic stays on the mesh.  ``"fabric"`` (not
        drawn by default): a rack per ToR Router, 1 or 2 spines, one of
        :data:`fastroute.model.synth.FABRIC_DESIGNS` (:func:`fastroute.model.synth.fabric`).
    encapsulations : sequence of str
        Operator encapsulations (see :func:`fastroute.model.synth.cluster`).
    max_racks : int
        Racks are separate subnets (CrossSubnet modes encapsulate between them).
        The "tor" topology keeps one rack (its router sits in the rack subnet).
    allocate : bool
        Run IPAM (default); False gives the plan.
    dual_stack : bool or None
        Also give every node an IPv6 address (``fd00::<i+1>/64``) and add the
        pool ``fd00:10:244::/64`` (blocks of /122, no encapsulation); None
        draws it.
    faults : sequence of str
        Misconfigurations (:data:`FAULTS`) to draw from; when given, each
        cluster gets exactly one of them (the topology is forced where the
        fault needs one).

    Returns
    -------
    SearchStrategy of Cluster
        ``cluster.fastroute_design`` records what was drawn (a dict), for messages.
    """
    st = _st()
    for t in topologies:
        choice(t, TOPOLOGIES + EXTRA_TOPOLOGIES, "topology")
    for e in encapsulations:
        choice(e, ENCAPSULATIONS, "encapsulation")
    if not 1 <= min_nodes <= max_nodes:
        raise InvalidValueError(f"invalid node counts {min_nodes!r}..{max_nodes!r}: need 1 <= min <= max")
    pool_list = _pool_choices()
    _warm_up()

    @st.composite
    def build(draw):
        from hypothesis import assume
        from ..model import synth

        fault = draw(st.sampled_from(list(faults))) if faults else None
        forced = _FAULT_TOPOLOGY.get(fault)
        lo = max(min_nodes, 3 if forced == "reflectors" else 2 if fault else 1)
        # one pod count per node: shrinking drops nodes by deleting list entries
        pods = draw(st.lists(st.integers(0, max_pods), min_size=lo, max_size=max(lo, max_nodes)))
        n = len(pods)
        topo = draw(st.sampled_from(list(topologies)))
        topo = forced or topo
        enc = draw(st.sampled_from(list(encapsulations)))
        cidr, block = draw(st.sampled_from(pool_list))
        # draw every choice whatever the branch: hypothesis orders examples by their
        # choice sequences, and a branch that skips draws would look "simpler"
        racks_drawn = draw(st.integers(1, max(1, max_racks)))
        rr_drawn = draw(st.integers(1, 2))
        racks = 1 if topo == "tor" else min(racks_drawn, n)
        fabric = None
        if "fabric" in topologies:
            fabric = (draw(st.sampled_from(synth.FABRIC_DESIGNS)), draw(st.integers(1, 2)))
        n_rr = 0
        if topo == "reflectors" and n == 1:
            topo = "mesh"               # a lone node has nobody to reflect to
        if topo == "reflectors":
            # valid designs keep at least one client: a reflector without clients is a finding of verify
            n_rr = 2 if fault == "split-reflectors" else 1 if fault == "lonely-node" else min(rr_drawn, n - 1)
        capacity = ipaddress.ip_network(cidr).num_addresses
        tunnels = n if enc != "None" else 0
        # keep IPAM satisfiable: every pod and tunnel address fits the pool
        assume(sum(pods) + tunnels <= capacity)
        if topo == "fabric" and not fault:
            c = synth.fabric(n, pods, pools=(cidr,), block_size=block, encapsulation=enc, racks=racks,
                             design=fabric[0], spines=fabric[1], seed=0)
        else:
            topo = "mesh" if topo == "fabric" else topo
            c = synth.cluster(n, pods, pools=(cidr,), block_size=block, encapsulation=enc, racks=racks,
                              reflectors=n_rr, seed=0)
        design = dict(topology=topo, encapsulation=enc, pool=cidr, block_size=block, racks=racks,
                      reflectors=n_rr, pods_per_node=list(pods))
        if topo == "fabric":
            design.update(fabric=fabric[0], spines=fabric[1])
        if topo == "tor":
            c = _with_tor(c, mesh=False if fault == "tor-only" else None)
        c = _with_fault(c, fault)
        design["fault"] = fault
        v6 = draw(st.booleans()) if dual_stack is None else bool(dual_stack)
        design["dual_stack"] = v6
        if v6:
            c = _with_ipv6(c)
        if allocate:
            try:
                c = c.allocate()
            except IPAMError:
                assume(False)
        c.fastroute_design = design
        c.__class__ = _drawn_class()
        return c

    return build()


def _with_tor(c, mesh):
    """Every node also peers over eBGP with the top-of-rack router; ``mesh`` as BGPConfiguration sets it."""
    from ..model.resources import BGPConfiguration, BGPPeer

    return c.replace(
        bgp_configurations=[BGPConfiguration(name="default", as_number=DEFAULT_AS, node_to_node_mesh=mesh)],
        bgp_peers=[BGPPeer("tor", node_selector="all()", peer_ip=TOR_IP, as_number=TOR_AS)],
    )


def _with_labels(c, labels_of):
    """``c`` with ``labels_of(i)`` (a dict, maybe empty) added to the labels of node ``i``."""
    return [dataclasses.replace(nd, labels={**nd.labels, **extra}) if (extra := labels_of(i)) else nd
            for i, nd in enumerate(c.nodes)]


def _with_fault(c, fault):
    """``c`` with the misconfiguration ``fault`` (one of :data:`FAULTS`, or None for none)."""
    from ..model.resources import BGPPeer

    if fault == "no-export":
        return c.replace(pools=[dataclasses.replace(p, disable_bgp_export=True) for p in c.pools])
    if fault == "split-reflectors":
        # nodes 0 and 1 reflect (one cluster id); clients 2, 4, ... peer with node 0, 3, 5, ... with node 1
        halves = [BGPPeer(f"half-{h}", node_selector=f"half == '{h}'",
                          peer_selector=f"route-reflector == 'true' && half == '{h}'") for h in "01"]
        return c.replace(nodes=_with_labels(c, lambda i: {"half": str(i % 2)}), bgp_peers=halves + [
            BGPPeer("reflectors", node_selector="route-reflector == 'true'", peer_selector="route-reflector == 'true'"),
        ])
    if fault == "lonely-node":
        last = c.n_nodes - 1
        return c.replace(nodes=_with_labels(c, lambda i: {"lonely": "true"} if i == last else {}), bgp_peers=[
            BGPPeer("most", node_selector="!has(lonely)", peer_selector="route-reflector == 'true'")])
    return c


def _with_ipv6(c):
    """``c`` dual-stack: node ``i`` gets ``fd00::<i+1>/64`` and the pool ``fd00:10:244::/64`` (blocks of /122)."""
    from ..model.resources import IPPool

    nodes = [dataclasses.replace(nd, ipv6=ipaddress.ip_interface(f"fd00::{i + 1:x}/64")) for i, nd in enumerate(c.nodes)]
    pool6 = IPPool(name="pool-v6", cidr=ipaddress.ip_network("fd00:10:244::/64"), block_size=122)
    return c.replace(nodes=nodes, pools=list(c.pools) + [pool6])


_DRAWN = None


def _drawn_class():
    """A Cluster subclass whose repr is a readable counterexample (hypothesis prints it)."""
    global _DRAWN
    if _DRAWN is None:
        from ..model.cluster import Cluster

        class DrawnCluster(Cluster):
            def __repr__(self):
                d = dict(getattr(self, "fastroute_design", {}))
                parts = [f"{k}={v!r}" for k, v in d.items() if v not in (None, False, 0) or k == "topology"]
                if self.blocks:
                    parts.append("blocks=" + repr([f"{b.cidr}->{b.affinity}" for b in self.blocks]))
                if self.blocks and self.n_pods:
                    parts.append("borrowed=" + repr([f"{ipaddress.ip_address(a)}@{self.node_names[n]}"
                                                     for a, n, _ in self.borrowed()]))
                return "DrawnCluster(" + ", ".join(parts) + ")"

        _DRAWN = DrawnCluster
    return _DRAWN


def down_sets(cluster: Cluster, max_size: int = 2) -> SearchStrategy[frozenset[str]]:
    """Sets of node names to stop (frozenset, possibly empty; shrinks to empty)."""
    st = _st()
    return st.lists(st.sampled_from(cluster.node_names), max_size=max_size, unique=True).map(frozenset)


def scenarios(max_down: int = 1, **cluster_kw: Any) -> SearchStrategy[Scenario]:
    """A cluster from :func:`clusters` with a set of stopped nodes.

    Returns
    -------
    SearchStrategy of Scenario
    """
    return clusters(**cluster_kw).flatmap(
        lambda c: down_sets(c, max_down).map(lambda d: Scenario(c, d)))


def route_tables(version: int = 4, down: bool = False, **cluster_kw: Any) -> SearchStrategy[RouteTables]:
    """Every node's routing tables (:class:`fastroute.dataplane.routes.RouteTables`) of a drawn cluster.

    Parameters
    ----------
    down : bool
        Also draw a set of stopped nodes (at most one).
    **cluster_kw
        Passed to :func:`clusters`.
    """
    from ..dataplane import routes

    if down:
        return scenarios(max_down=1, **cluster_kw).map(lambda s: routes.compute(s.cluster, version, down=s.down))
    return clusters(**cluster_kw).map(lambda c: routes.compute(c, version))
