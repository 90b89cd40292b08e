"""A cluster's BGP network as the routing kernels see it: speakers, established
sessions and originations, for one IP version.

:func:`build` takes the sessions from :mod:`fastroute.bgp.topology` (confd's peer
expansion and BIRD's session pairing).  The node-to-node mesh is the one part
that grows with the square of the cluster, so for large clusters it is laid
down here as arrays — every pair of mesh nodes, exactly the pairs confd's
template renders — and only the BGPPeer-derived sessions go through the
per-node topology.  Both ways give the same graph (tested).
"""

import dataclasses
import ipaddress
from dataclasses import dataclass

import numpy as np

from . import topology as _topology
from ..errors import choice
from ..model.calico import reflectors_leave_mesh
from .propagate import Originations, SessionGraph, Speakers, originations

__all__ = ["Network", "build"]

# Below this many nodes the whole topology goes through the per-node path.
_FAST_MIN_NODES = 150


@dataclass
class Network:
    """Speakers (nodes, then external routers), established sessions and
    originations of one IP version."""

    cluster: object
    version: int
    speakers: Speakers
    graph: SessionGraph
    origins: Originations
    externals: tuple
    down: frozenset
    topology: object = None     # the Topology used (its views render bird.cfg)

    @property
    def n_nodes(self):
        return self.cluster.n_nodes

    def speaker_name(self, i):
        if i < self.n_nodes:
            return self.cluster.node_names[i]
        return self.externals[i - self.n_nodes].name


def _node_addresses(cluster, version):
    ips, nets = [], []
    for n in cluster.nodes:
        iface = n.ipv4 if version == 4 else n.ipv6
        ips.append(iface.ip if iface is not None else None)
        nets.append(iface.network if iface is not None else None)
    return ips, nets


def _speakers(cluster, version, externals, router_id):
    ips, nets = _node_addresses(cluster, version)
    asn = list(cluster.node_arrays().asn)
    for e in externals:
        ips.append(ipaddress.ip_address(e.ip))
        nets.append(None)
        asn.append(e.as_number)
    ext = np.zeros(len(ips), bool)
    ext[cluster.n_nodes:] = True
    return Speakers(ips, np.array(asn, np.uint32), np.asarray(router_id, np.uint32), nets, ext)


def _graph_from_sessions(s, keep):
    local = s.local[keep].astype(np.int32)
    remote = s.remote[keep].astype(np.int32)
    calico = (local < s.n_nodes) & (remote < s.n_nodes)
    return SessionGraph(
        local=local, remote=remote, rr_client=s.rr_client[keep].astype(bool),
        cluster_id=s.session_cluster_id[keep].astype(np.uint32), ebgp=s.ebgp[keep].astype(bool),
        keep_next_hop=s.keep_next_hop[keep].astype(bool), allow_local_as=s.allow_local_as[keep].astype(np.int32),
        add_paths=calico,
    )


def _concat(a, b):
    return SessionGraph(*[np.concatenate([getattr(a, f.name), getattr(b, f.name)])
                          for f in dataclasses.fields(SessionGraph)])


def _mesh_graph(cluster, version, calico_version, down, router_id):
    """The established Mesh_ sessions as arrays (confd's mesh rules, BIRD pairing)."""
    cfg = cluster.bgp_config
    n = cluster.n_nodes
    empty = SessionGraph.build([])
    if not cfg.mesh_enabled:
        return empty, True
    ips, _ = _node_addresses(cluster, version)
    rr_leave = reflectors_leave_mesh(calico_version)
    ok = np.array([ip is not None and not (rr_leave and node.rr_cluster_id) for ip, node in zip(ips, cluster.nodes)])
    ok &= ~down
    members = np.flatnonzero(ok).astype(np.int32)
    keys = [int(ips[i]) for i in members]
    if len(set(keys)) != len(keys):
        return empty, False             # shared addresses: leave it to the per-node path
    m = len(members)
    a = np.repeat(members, m)
    b = np.tile(members, m)
    off = a != b
    a, b = a[off], b[off]
    asn = cluster.node_arrays().asn
    k = len(a)
    return SessionGraph(
        local=a, remote=b, rr_client=np.zeros(k, bool), cluster_id=np.asarray(router_id, np.uint32)[a],
        ebgp=asn[a] != asn[b], keep_next_hop=np.zeros(k, bool), allow_local_as=np.zeros(k, np.int32),
        add_paths=np.ones(k, bool),
    ), True


def _without_mesh(cluster):
    cfgs = []
    found = False
    for c in cluster.bgp_configurations:
        if c.name == "default":
            c = dataclasses.replace(c, node_to_node_mesh=False, node_mesh_password=None,
                                    node_mesh_max_restart_time=None)
            found = True
        cfgs.append(c)
    if not found:
        from ..model.resources import BGPConfiguration
        cfgs.append(BGPConfiguration(name="default", node_to_node_mesh=False))
    return cluster.replace(bgp_configurations=cfgs)


def build(cluster, version=4, down=(), calico_version=None, method="auto"):
    """The BGP network of `cluster` for one IP version.

    Parameters
    ----------
    cluster : Cluster
        With blocks and pod addresses (run :meth:`Cluster.allocate` on a plan).
    version : {4, 6}
    down : iterable of str
        Nodes whose calico-node was stopped cleanly: none of their sessions is up,
        so nothing they originate reaches anyone.
    calico_version : str, optional
        confd template behaviour ("3.28" default, "3.20").
    method : {"auto", "topology", "arrays"}
        "topology" takes every session from :mod:`fastroute.bgp.topology`; "arrays"
        lays the mesh down as arrays; "auto" picks "arrays" for large clusters.
    """
    choice(version, (4, 6), "IP version")
    choice(method, ("auto", "topology", "arrays"), "network method")
    if isinstance(down, str):
        down = [d for d in down.split(",") if d]
    down = frozenset(down)
    if method == "auto":
        method = "arrays" if cluster.n_nodes >= _FAST_MIN_NODES else "topology"
    if method == "arrays":
        topo = _topology.compute(_without_mesh(cluster), calico_version=calico_version, down=down)
        calico_version = topo.calico_version
        s = topo.sessions(version)
        down_mask = np.asarray(s.down, bool)
        mesh, ok = _mesh_graph(cluster, version, calico_version, down_mask, s.router_id)
        peers = _graph_from_sessions(s, _usable(s))
        if ok:
            # the mesh is complete among its members: a BGPPeer session between
            # two of them would be a second protocol toward the same neighbour
            member = np.zeros(len(s.router_id), bool)
            member[mesh.local] = True
            clash = bool(np.any(member[peers.local] & member[peers.remote]))
            if not clash:
                graph = _concat(mesh, peers)
                return _finish(cluster, version, topo, s, graph, down)
        method = "topology"
    topo = _topology.compute(cluster, calico_version=calico_version, down=down)
    s = topo.sessions(version)
    return _finish(cluster, version, topo if method == "topology" else None, s,
                   _graph_from_sessions(s, _usable(s)), down)


def _usable(s):
    return np.asarray(s.established, bool) & (np.asarray(s.peer_row) >= 0)


def _finish(cluster, version, topo, s, graph, down):
    externals = tuple(e for e in topo.externals)
    sp = _speakers(cluster, version, externals, s.router_id)
    origins = originations(cluster, version)
    return Network(cluster, version, sp, graph, origins, externals, frozenset(down), topo)
