"""A cluster's BGP network as the routing kernels see it: speakers, established
sessions and originations, for one IP version.

:func:`build` takes the sessions from :mod:`fastroute.topology` (confd's peer
expansion and BIRD's session pairing) and keeps the established ones.
"""

import ipaddress
from dataclasses import dataclass

import numpy as np

from . import topology as _topology
from .errors import choice
from .routing import Originations, SessionGraph, Speakers, originations

__all__ = ["Network", "build"]


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


def _graph(s):
    """The established sessions of a topology.Sessions as a SessionGraph."""
    keep = np.asarray(s.established, bool) & (np.asarray(s.peer_row) >= 0)
    local = s.local[keep].astype(np.int32)
    remote = s.remote[keep].astype(np.int32)
    return SessionGraph(
        local=local, remote=remote, rr_client=s.rr_client[keep].astype(bool),
        cluster_id=s.session_cluster_id[keep].astype(np.uint32), ebgp=s.ebgp[keep].astype(bool),
        keep_next_hop=s.keep_next_hop[keep].astype(bool), allow_local_as=s.allow_local_as[keep].astype(np.int32),
        # ADD-PATH is negotiated only between Calico nodes
        add_paths=(local < s.n_nodes) & (remote < s.n_nodes),
    )


def build(cluster, version=4, down=(), calico_version=None):
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
    """
    choice(version, (4, 6), "IP version")
    if isinstance(down, str):
        down = [d for d in down.split(",") if d]
    down = frozenset(down)
    topo = _topology.compute(cluster, calico_version=calico_version, down=down)
    s = topo.sessions(version)
    externals = tuple(topo.externals)
    sp = _speakers(cluster, version, externals, s.router_id)
    return Network(cluster, version, sp, _graph(s), originations(cluster, version), externals, down, topo)
