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

:mod:`fastroute.bgp.peers` reproduces confd's peer expansion (per entry, the
reference), :mod:`fastroute.bgp.peertable` the same over the whole cluster as
integer arrays (what :func:`compute` uses: no per-node address parsing, no
per-entry objects until a view asks for them) and :mod:`fastroute.bgp.sessions`
BIRD's session pairing; this module ties them together per cluster.

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
    with_local_workloads,
)
from .peertable import node_columns, peer_table
from .sessions import ExternalRouter, SessionKind, Sessions, build_sessions
from ..errors import ResourceError, choice
from ..model.calico import CALICO_VERSIONS
from ..model.routers import routers_of

if TYPE_CHECKING:
    from ..model.cluster import Cluster
    from .birdview import BgpGlobals, Pool
    from .peertable import NodeColumns, PeerTable

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
    from the cluster's peer table (:class:`~fastroute.bgp.peertable.PeerTable`), without views.

    Attributes
    ----------
    cluster : Cluster
    calico_version : str
    down : frozenset of str
        Nodes whose calico-node is stopped.
    node_names : tuple of str
    columns : NodeColumns
        What confd reads of each node, as arrays.
    peer_table : PeerTable
        Every confd peer entry of the cluster, one row each.
    infos : tuple of NodeInfo
        What confd knows of each node (node order; built on first use).
    externals : tuple of ExternalRouter
        External routers, IPv4 ones first, each family in the order nodes' bird.cfg
        files first name them.
    global_peers, node_peers
        The confd peer entries as :func:`expand_peers` gives them (built on first use).
    """

    def __init__(self, cluster: Cluster, columns: NodeColumns, table: PeerTable, globals_: BgpGlobals,
                 node_globals: dict[int, BgpGlobals], externals: Iterable[ExternalRouter], pools: list[Pool],
                 services: list[str], calico_version: str, down: Iterable[str]) -> None:
        self.cluster = cluster
        self.columns = columns
        self.peer_table = table
        self.globals = globals_
        self._node_globals = node_globals
        self.externals = tuple(externals)
        self._pools = pools
        self._blocks = None
        self._services = services
        self.calico_version = calico_version
        self.down = frozenset(down)
        self.node_names = tuple(cluster.node_names)
        self._sessions = {}
        self._views = {}
        self._entries_cache = {}
        self._lazy = {}

    def _once(self, name, make):
        if name not in self._lazy:
            self._lazy[name] = make()
        return self._lazy[name]

    @property
    def infos(self):
        return self._once("infos", lambda: tuple(node_infos(self.cluster)))

    @property
    def global_peers(self):
        return self._once("global", self.peer_table.global_peers)

    @property
    def node_peers(self):
        return self._once("node", lambda: {name: self._node_peers(i) for i, name in enumerate(self.node_names)})

    def _node_peers(self, i):
        if "node" in self._lazy:
            return self._lazy["node"][self.node_names[i]]
        return self.peer_table.node_peers(i)

    @property
    def n_nodes(self):
        return len(self.node_names)

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
            if self._blocks is None:
                self._blocks = affine_blocks(self.cluster, self.infos)
            statics, rejects = service_routes(self.cluster, info.name)
            global_peers, node_peers = with_local_workloads(self.cluster, info.name, self.global_peers,
                                                            self._node_peers(i), self.calico_version)
            self._views[i] = node_view(
                info, self.infos, self.node_globals(i), pools=self._pools, blocks=self._blocks[info.name],
                global_peers=global_peers, node_peers=node_peers,
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
        return int(self.listen_ports()[i])

    def listen_ports(self):
        """The port every node's BIRD listens on (int64 array, node order)."""
        def make():
            p = self.columns.listen_port
            return np.where(p > 0, p, self.globals.listen_port or DEFAULT_BGP_PORT)
        return self._once("listen", make)

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
        topo = copy.copy(self)      # shares the peer table and the node columns
        topo.globals = dataclasses.replace(self.globals, **off)
        topo._node_globals = {i: dataclasses.replace(g, **off) for i, g in self._node_globals.items()}
        topo._sessions = {}
        topo._views = {}
        topo._lazy = {k: v for k, v in self._lazy.items() if k != "listen"}
        return topo

    def explicit_peers(self, i, version):
        """The ``Global_``/``Node_`` :class:`BirdPeer` list of node ``i`` in one family,
        in bird.cfg order (what :func:`fastroute.bgp.birdcfg.node_view` gives, without the mesh)."""
        info = self.infos[i]
        if not info.ip(version):
            return []
        out = []
        g = self.node_globals(i)
        for kind, group in (("Global", sorted(self.global_peers, key=_peer_key)),
                            ("Node", sorted(self._node_peers(i), key=_peer_key))):
            for data in group:
                if (":" in data.ip) != (version == 6):
                    continue
                p = explicit_peer(info, data, kind, g, version, self.calico_version)
                if p is not None:
                    out.append(p)
        return out

    def entry_rows(self, version):
        """Every node's ``Global_``/``Node_`` entries of family ``version`` in bird.cfg
        order, as ``(local node, peer-table row, kind)`` arrays (computed once)."""
        if version not in self._entries_cache:
            self._entries_cache[version] = self.peer_table.entry_rows(version)
        return self._entries_cache[version]


def _peer_key(d):
    # confd lists peer keys in order: the address, then "-<port>" when one is set.
    return f"{d.ip}-{d.port}" if d.port else d.ip


def check_routers(cluster):
    """The cluster's Routers, checked against each other and the nodes.

    Raises
    ------
    ResourceError
        Two Routers with one name or address, or a Router on a node's address.
    """
    routers = routers_of(cluster)
    if not routers:
        return routers
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
    glob = bgp_globals(cluster)
    configs = node_configs(cluster)
    index = {name: i for i, name in enumerate(cluster.node_names)} if configs else {}
    node_globals = {index[name]: bgp_globals(cluster, name) for name in configs if name in index}
    cols = node_columns(cluster, glob.as_number, configs)
    table = peer_table(cluster, cols, glob)
    topo = Topology(cluster, cols, table, glob, node_globals, (), pools(cluster), service_cidrs(cluster),
                    calico_version, down)
    topo.externals = tuple(_with_routers(_externals(topo), routers, cols.n))
    return topo


def _externals(topo):
    """The peer addresses that are no node's, as :class:`ExternalRouter` s: IPv4 first, each
    family in the order the nodes' entries first name them, with the AS of that entry."""
    table, cols = topo.peer_table, topo.columns
    is_node = np.zeros(len(table.addr_text) + 1, bool)
    for v in (4, 6):
        is_node[cols.aid[v][cols.has[v]]] = True
    out = []
    for version in (4, 6):
        _, row, _ = topo.entry_rows(version)
        row = row[~is_node[table.aid[row]]]
        aids, first = np.unique(table.aid[row], return_index=True)
        for k in np.argsort(first).tolist():
            r = int(row[first[k]])
            out.append(ExternalRouter(cols.n + len(out), table.addr_text[int(aids[k])], int(table.as_number[r]),
                                      version))
    return out
