"""BGP session topology: what confd gives every node, and the sessions that result.

From a :class:`~fastroute.model.cluster.Cluster` this module computes, for the whole
cluster at once,

1. the ``peer_v4``/``peer_v6`` entries confd derives from the BGPPeer resources
   (:func:`expand_peers`: the global pass, the node pass and the reverse pass of
   confd's ``updatePeersV1``),
2. each node's :class:`~fastroute.bgp.birdcfg.BirdNodeView` (mesh peers, explicit
   peers, pools, affine blocks, BGPConfiguration settings), which
   :func:`fastroute.bgp.birdcfg.render_files` turns into the node's ``bird.cfg`` and
   ``bird6.cfg``, and
3. the session graph the routing layer consumes (:class:`Sessions`): one row per
   ``protocol bgp`` instance, integer-indexed.

Speakers are indexed ``0..n_nodes-1`` (the cluster's node order) followed by the
*external routers* ``n_nodes + k``: every peer address that is not a Calico
node's.  fastroute does not know what an external router is configured to do, so
it assumes the simplest thing that makes sense of a BGPPeer: the router has the
AS the BGPPeer gives it, peers back with every node that is configured to peer
with it (from port 179, without password or passive mode), reflects nothing,
and runs plain BGP (eBGP when its AS differs from the node's, iBGP otherwise).
Its router id is its address for IPv4, 0 for IPv6.  When BGPPeers give one
address different AS numbers, the first in BGPPeer name order is the router's;
the nodes configured with another AS get a session that never comes up.

:mod:`fastroute.bgp.peers` reproduces confd's peer expansion and
:mod:`fastroute.bgp.sessions` BIRD's session pairing; this module ties them
together per cluster.

The mesh (``nodeToNodeMeshEnabled``; route reflectors leave it from v3.22; the
higher address, compared as text, is passive) and every per-protocol directive
are :mod:`fastroute.bgp.birdcfg`'s rules.

Calico version: ``calico_version`` ``"3.28"`` (default) or ``"3.20"``
(:data:`fastroute.model.calico.CALICO_VERSIONS`).  The cluster model has no version setting yet; :func:`compute` uses a
``calico_version`` attribute of the cluster when there is one and the argument
is not given.

Examples
--------
>>> from fastroute import examples
>>> topo = compute(examples.seed())
>>> [p.name for p in topo.view("master").peers_v4]
['Mesh_192_168_31_202', 'Mesh_192_168_31_203']
>>> s = topo.sessions(4)
>>> s.n_sessions, bool(s.established.all())
(6, True)
"""

from __future__ import annotations

import collections
import copy
import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING

import numpy as np

from .birdcfg import explicit_peer, node_view
from .peers import (
    DEFAULT_BGP_PORT,
    affine_blocks,
    bgp_globals,
    expand_peers,
    node_configs,
    node_infos,
    parse_duration,
    pools,
    service_cidrs,
    service_routes,
    split_peer_ip,
)
from .sessions import ExternalRouter, SessionKind, Sessions, build_sessions
from ..errors import ResourceError, choice
from ..model.calico import CALICO_VERSIONS, template_release
from ..model.routers import routers_of

if TYPE_CHECKING:
    from ..model.cluster import Cluster
    from .birdview import AffineBlock, BgpGlobals, NodeInfo, PeerData, Pool

__all__ = [
    "SessionKind",
    "ExternalRouter",
    "Sessions",
    "Topology",
    "compute",
    "template_version",
    "expand_peers",
    "node_infos",
    "bgp_globals",
    "parse_duration",
    "split_peer_ip",
    "DEFAULT_BGP_PORT",
]


# --------------------------------------------------------------------------- the topology


class Topology:
    """Per-node BIRD views and the session graphs of a cluster; build with :func:`compute`.

    Views are built when first asked for (a view lists every mesh peer, so all of them
    together grow with the square of the cluster); the session arrays are computed
    vectorised, without views.

    Attributes
    ----------
    cluster : Cluster
    calico_version : str
    down : frozenset of str
        Nodes whose calico-node is stopped.
    node_names : tuple of str
    infos : tuple of NodeInfo
        What confd knows of each node (node order).
    externals : tuple of ExternalRouter
        External routers, IPv4 ones first, each family in the order nodes' bird.cfg
        files first name them.
    global_peers, node_peers
        The confd peer entries (see :func:`expand_peers`).
    """

    def __init__(self, cluster: Cluster, infos: Iterable[NodeInfo], globals_: BgpGlobals,
                 node_globals: dict[int, BgpGlobals], externals: Iterable[ExternalRouter],
                 global_peers: list[PeerData], node_peers: dict[str, list[PeerData]], pools: list[Pool],
                 blocks: dict[str, list[AffineBlock]], services: list[str], calico_version: str, down: Iterable[str]
                ) -> None:
        self.cluster = cluster
        self.infos = tuple(infos)
        self.globals = globals_
        self._node_globals = node_globals
        self.externals = tuple(externals)
        self.global_peers = global_peers
        self.node_peers = node_peers
        self._pools = pools
        self._blocks = blocks
        self._services = services
        self.calico_version = calico_version
        self.down = frozenset(down)
        self.node_names = tuple(cluster.node_names)
        self._sessions = {}
        self._views = {}
        self._entries_cache = {}
        self._ip_texts = {4: [info.ip4 for info in self.infos], 6: [info.ip6 for info in self.infos]}
        self._global_sorted = sorted(global_peers, key=_peer_key)

    @property
    def n_nodes(self):
        return len(self.infos)

    def node_globals(self, i):
        """The :class:`BgpGlobals` confd renders on node ``i`` (per-node settings applied)."""
        return self._node_globals.get(i, self.globals)

    def view(self, node):
        """The :class:`BirdNodeView` of node ``node`` (a name, or a node index).

        Raises
        ------
        UnknownNodeError
        """
        i = node if isinstance(node, (int, np.integer)) else self.cluster.node_index(node)
        i = int(i)
        if i not in self._views:
            info = self.infos[i]
            statics, rejects = service_routes(self.cluster, info.name)
            self._views[i] = node_view(
                info, self.infos, self.node_globals(i), pools=self._pools, blocks=self._blocks[info.name],
                global_peers=self.global_peers, node_peers=self.node_peers[info.name],
                static_routes=statics, reject_cidrs=rejects, calico_version=self.calico_version,
                bgp_filters=getattr(self.cluster, "bgp_filters", ()),
            )
        return self._views[i]

    @property
    def views(self):
        """Every node's :class:`BirdNodeView`, in node order.

        A view holds both families (``peers_v4`` and ``peers_v6``):
        :func:`fastroute.bgp.birdcfg.render_files` renders ``bird.cfg`` and ``bird6.cfg``
        from the same view, so :attr:`views6` is the same tuple.
        """
        return tuple(self.view(i) for i in range(self.n_nodes))

    @property
    def views6(self):
        """Same as :attr:`views` (one view renders both families)."""
        return self.views

    def speaker_name(self, idx):
        """Node name, or ``external <ip>`` for an external router index."""
        if idx < self.n_nodes:
            return self.node_names[idx]
        return self.externals[idx - self.n_nodes].name

    def listen_port(self, i):
        """The port node ``i``'s BIRD listens on."""
        p = self.infos[i].listen_port
        if p is not None:
            return p
        return self.globals.listen_port or DEFAULT_BGP_PORT

    def sessions(self, version=4):
        """The :class:`Sessions` of IP family ``version`` (4 or 6), computed once."""
        choice(version, (4, 6), "IP version")
        if version not in self._sessions:
            self._sessions[version] = build_sessions(self, version)
        return self._sessions[version]

    def without_mesh(self):
        """This topology with the node-to-node mesh off: what :func:`compute` gives
        for the cluster with ``nodeToNodeMeshEnabled: false`` (and no mesh password
        or restart time), the sessions BGPPeers alone set up.  confd's peer
        expansion does not depend on the mesh, so it is shared, not redone."""
        off = dict(mesh_enabled=False, mesh_password=None, mesh_restart_time=None)
        topo = copy.copy(self)      # shares the peer entries and address texts
        topo.globals = dataclasses.replace(self.globals, **off)
        topo._node_globals = {i: dataclasses.replace(g, **off) for i, g in self._node_globals.items()}
        topo._sessions = {}
        topo._views = {}
        return topo

    def explicit_peers(self, i, version):
        """The ``Global_``/``Node_`` :class:`BirdPeer` list of node ``i`` in one family,
        in bird.cfg order (what :func:`fastroute.bgp.birdcfg.node_view` gives, without the mesh)."""
        info = self.infos[i]
        if not info.ip(version):
            return []
        out = []
        g = self.node_globals(i)
        for kind, group in (("Global", self._global_sorted),
                            ("Node", sorted(self.node_peers[info.name], key=_peer_key))):
            for data in group:
                if (":" in data.ip) != (version == 6):
                    continue
                p = explicit_peer(info, data, kind, g, version, self.calico_version)
                if p is not None:
                    out.append(p)
        return out

    def _entries(self, i, version):
        # explicit_peers' rules without building BirdPeers (parsing addresses dominates
        # at thousands of nodes); tests check both give the same sessions.
        key = (i, version)
        cached = self._entries_cache.get(key)
        if cached is not None:
            return cached
        info = self.infos[i]
        local_ip = self._ip_texts[version][i]
        out = []
        if local_ip:
            local_as = self.globals.as_number if info.as_number is None else info.as_number
            cid = info.rr_cluster_id
            rel = template_release(self.calico_version)
            for kind, group in (("Global", self._global_sorted),
                                ("Node", sorted(self.node_peers[info.name], key=_peer_key))):
                for d in group:
                    if (":" in d.ip) != (version == 6) or d.ip == local_ip:
                        continue
                    out.append(_Entry(
                        kind, d.ip, d.as_number, d.port,
                        rel.has("global_passive") and kind == "Global" and d.calico_node and d.ip > local_ip,
                        cid if (d.as_number == local_as and cid and d.rr_cluster_id != cid) else None,
                        d.keep_next_hop and d.as_number != local_as, d.num_allow_local_as if rel.has("allow_local_as") else 0,
                        d.password,
                    ))
        self._entries_cache[key] = out
        return out


def _peer_key(d):
    # confd lists peer keys in order: the address, then "-<port>" when one is set.
    return f"{d.ip}-{d.port}" if d.port else d.ip


_Entry = collections.namedtuple(
    "_Entry", "kind ip as_number port passive rr_cluster_id next_hop_keep allow_local_as password")


def check_routers(cluster):
    """The cluster's Routers, checked against each other and the nodes.

    Raises
    ------
    ResourceError
        Two Routers with one name or address, or a Router on a node's address.
    """
    routers = routers_of(cluster)
    names, addrs = {}, {}
    node_ips = {}
    for node in cluster.nodes:
        for iface in (node.ipv4, node.ipv6):
            if iface is not None:
                node_ips.setdefault(str(iface.ip), node.name)
    for r in routers:
        where = r.source.where if r.source is not None else (lambda f=None: f"Router {r.name!r}: {f}")
        if r.name in names:
            raise ResourceError(f"{where('metadata.name')}: Router {r.name!r} is defined twice")
        if r.ip in addrs:
            raise ResourceError(f"{where('spec.address')}: address {r.ip!r} is also Router {addrs[r.ip]!r}'s")
        if r.ip in node_ips:
            raise ResourceError(f"{where('spec.address')}: address {r.ip!r} is node {node_ips[r.ip]!r}'s")
        names[r.name] = r
        addrs[r.ip] = r.name
    return routers


def _with_routers(externals, routers, n_nodes):
    """The external routers with the Routers that model them, then the Routers no
    BGPPeer names (IPv4 first, in the order given), at the next speaker indices."""
    by_ip = {r.ip: r for r in routers}
    out = [dataclasses.replace(e, router=by_ip[e.ip], as_number=by_ip[e.ip].as_number) if e.ip in by_ip else e
           for e in externals]
    named = {e.ip for e in externals}
    for version in (4, 6):
        for r in routers:
            if r.version == version and r.ip not in named:
                out.append(ExternalRouter(n_nodes + len(out), r.ip, r.as_number, version, r))
    return out


def template_version(cluster: Cluster, calico_version: str | None = None) -> str:
    """The confd template behaviour to reproduce: ``calico_version`` if given,
    else the cluster's ``calico_version`` attribute, else ``"3.28"``.

    Raises
    ------
    InvalidValueError
        Not one of :data:`fastroute.model.calico.CALICO_VERSIONS`.
    """
    if calico_version is None:
        calico_version = getattr(cluster, "calico_version", None) or CALICO_VERSIONS[0]
    calico_version = str(calico_version)
    choice(calico_version, CALICO_VERSIONS, "calico_version")
    return calico_version


def compute(cluster: Cluster, calico_version: str | None = None, down: Iterable[str] | str = ()) -> Topology:
    """Compute the BGP topology of ``cluster`` as confd and BIRD set it up.

    Parameters
    ----------
    cluster : Cluster
        Blocks are taken as they are: run IPAM first (:meth:`Cluster.allocate`) for a plan.
    calico_version : {"3.28", "3.20"}, optional
        Template behaviour; default: the cluster's ``calico_version`` attribute if it
        has one, else ``"3.28"``.
    down : iterable of str
        Nodes whose calico-node was stopped cleanly: their configuration is unchanged
        (they are still in the datastore) but none of their sessions is established.

    Returns
    -------
    Topology

    Raises
    ------
    UnknownNodeError
        A name in ``down`` is not a node of the cluster.
    SelectorError, ResourceError, InvalidValueError
        Bad BGPPeer or BGPConfiguration contents, or an unknown ``calico_version``.
    """
    calico_version = template_version(cluster, calico_version)
    if isinstance(down, str):
        down = [d for d in down.split(",") if d]
    down = list(down)
    routers = check_routers(cluster)
    router_names = {r.name for r in routers}
    for name in down:
        if name not in router_names:
            cluster.node_index(name)
    infos = node_infos(cluster)
    glob = bgp_globals(cluster)
    node_globals = {cluster.node_index(name): bgp_globals(cluster, name)
                    for name in node_configs(cluster) if name in cluster.node_names}
    global_peers, node_peers = expand_peers(cluster, infos, glob)
    topo = Topology(cluster, infos, glob, node_globals, (), global_peers, node_peers, pools(cluster),
                    affine_blocks(cluster, infos), service_cidrs(cluster), calico_version, down)
    externals = []
    seen = {}
    node_ips = {ip for info in infos for ip in (info.ip4, info.ip6) if ip}
    for version in (4, 6):
        for i in range(len(infos)):
            for p in topo._entries(i, version):
                if p.ip not in node_ips and p.ip not in seen:
                    seen[p.ip] = len(infos) + len(externals)
                    externals.append(ExternalRouter(seen[p.ip], p.ip, p.as_number, version))
    topo.externals = tuple(_with_routers(externals, routers, len(infos)))
    return topo

