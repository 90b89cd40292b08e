"""A cluster's BGP network as the routing kernels see it: speakers, established
sessions and originations, for one IP version.  This module is the one builder
of session graphs; the convergence simulator's design
(:mod:`fastroute.sim.design`) is made of the same parts.

:func:`build` takes the sessions from :mod:`fastroute.bgp.topology` (confd's peer
expansion and BIRD's session pairing).  The node-to-node mesh is the one part
that grows with the square of the cluster, so for large clusters it is laid
down here as arrays (:func:`mesh_rows`: every pair of mesh nodes, exactly the
pairs confd's template renders) and only the BGPPeer-derived sessions go
through the per-node topology.  Both ways give the same graph (tested).

The parts, each a :class:`SessionRows` (a :class:`SessionGraph` plus which end
connects and which rows are ``Mesh_`` protocols):

* :func:`configured_rows` -- the established rows of a topology's
  :class:`~fastroute.bgp.sessions.Sessions`;
* :func:`mesh_rows` -- a full mesh of some nodes;
* :func:`reflector_rows` -- every client peering with every route reflector
  (the design Calico documents for large clusters);
* :func:`concat_rows` and :func:`reverse_rows` to join them.
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from . import topology as _topology
from ..errors import InvalidValueError, choice
from ..model.calico import reflectors_leave_mesh
from .propagate import (Originations, Role, SessionGraph, Speakers, missing_reverse, originations,
                        with_router_announcements)
from .sessions import SessionKind, text_rank

if TYPE_CHECKING:
    from .sessions import ExternalRouter, Sessions
    from .topology import Topology
    from ..model.cluster import Cluster

__all__ = ["Network", "SessionRows", "build", "concat_graphs", "concat_rows", "configured_rows", "mesh_rows", "reflector_rows",
           "reverse_rows", "speakers"]

# Below this many nodes the whole topology goes through the per-node path.
_FAST_MIN_NODES = 150

KIND_MESH = 0       # SessionRows.kind: a Mesh_ protocol
KIND_OTHER = 1      # any other (Node_, Global_, an external router's)


@dataclass
class Network:
    """Speakers (nodes, then external routers), established sessions and
    originations of one IP version.

    The sessions are ``peer_graph`` (explicit rows) plus, when ``mesh`` is set,
    the node-to-node mesh among those nodes, implied: :attr:`graph` lays its
    rows down (first, in :func:`mesh_rows` order) on first access."""

    cluster: object
    version: int
    speakers: Speakers
    peer_graph: SessionGraph
    origins: Originations
    externals: tuple
    down: frozenset
    topology: object = None         # the Topology whose sessions were used (its views render bird.cfg)
    full_topology: object = None    # the cluster's Topology with the mesh (``topology`` itself unless
                                    # the mesh was laid down as arrays)
    mesh: np.ndarray = None         # int32 members of the implied mesh (None: every row is in peer_graph)

    @property
    def n_nodes(self):
        return self.cluster.n_nodes

    @property
    def graph(self):
        """Every established session as a :class:`SessionGraph` (the implied mesh's
        rows first); made once, on first access."""
        g = self.__dict__.get("_graph")
        if g is None:
            g = self.peer_graph
            if self.mesh is not None:
                sp = self.speakers
                rows = mesh_rows(self.mesh, sp.ip, sp.router_id, sp.asn, pairing=False)
                g = concat_graphs([rows.graph, self.peer_graph])
            self.__dict__["_graph"] = g
        return g

    @property
    def implied_mesh(self):
        """The members of an iBGP full mesh that is the whole session graph (no other
        session, no external router, every member in one AS), else None: then every
        node's routes follow in closed form (:mod:`fastroute.bgp.compact`)."""
        if self.mesh is None or self.peer_graph.n or self.externals:
            return None
        asn = self.speakers.asn[self.mesh]
        return self.mesh if (len(asn) == 0 or (asn == asn[0]).all()) else None

    def speaker_name(self, i):
        if i < self.n_nodes:
            return self.cluster.node_names[i]
        return self.externals[i - self.n_nodes].name


# ---------------------------------------------------------------------------- speakers


def node_router_ids(cluster):
    """Each node's BGP router id: its IPv4 address (0 without one)."""
    return cluster.node_arrays().ipv4.copy()


def speakers(cluster: Cluster, version: int, externals: Iterable[ExternalRouter] = (),
             router_id: np.ndarray | None = None) -> Speakers:
    """The :class:`Speakers` of ``cluster``'s nodes followed by ``externals``
    (:class:`~fastroute.bgp.sessions.ExternalRouter`); ``router_id`` per
    speaker (default: the nodes' :func:`node_router_ids`)."""
    ips, nets = map(list, cluster.node_addresses(version))
    asn = cluster.node_arrays().asn.tolist()
    # a modelled Router (fastroute.model.routers) runs BGP fully; any other
    # external router learns and announces nothing
    announces = [True] * len(ips)
    role = [Role.ROLE_NODE] * len(ips)
    for e in externals:
        ips.append(ipaddress.ip_address(e.ip))
        nets.append(e.router.network if e.router is not None and e.version == version else None)
        asn.append(e.as_number)
        announces.append(e.router is not None)
        role.append(Role.ROLE_ROUTER_OWN if e.router is not None and e.router.export != "all" else Role.ROLE_ROUTER)
    ext = np.zeros(len(ips), bool)
    ext[cluster.n_nodes:] = True
    if router_id is None:
        router_id = node_router_ids(cluster)
    return Speakers(ips, np.array(asn, np.uint32), np.asarray(router_id, np.uint32), nets, ext,
                    np.array(announces, bool), np.array(role, np.uint8))


# ---------------------------------------------------------------------------- session rows


@dataclass(frozen=True)
class SessionRows:
    """Session rows and what the simulator needs beyond the graph.

    ``active[s]``: row ``s``'s end opens the TCP connection (the template's
    ``passive on`` is the opposite); ``kind[s]``: :data:`KIND_MESH` or
    :data:`KIND_OTHER` (uint8); ``rev[s]``: the reverse row, when the part
    knows it (else None: :func:`reverse_rows`).
    """

    graph: SessionGraph
    active: np.ndarray
    kind: np.ndarray
    rev: np.ndarray = None

    @property
    def n(self):
        return self.graph.n


def configured_rows(sessions: Sessions, keep: np.ndarray | None = None) -> SessionRows:
    """The rows of a :class:`~fastroute.bgp.sessions.Sessions` table that
    ``keep`` selects (default: the established ones with a peer row)."""
    s = sessions
    if keep is None:
        keep = np.asarray(s.established, bool) & (np.asarray(s.peer_row) >= 0)
    local = s.local[keep].astype(np.int32)
    remote = s.remote[keep].astype(np.int32)
    calico = (local < s.n_nodes) & (remote < s.n_nodes)
    graph = SessionGraph(
        local=local, remote=remote, rr_client=s.rr_client[keep].astype(bool),
        cluster_id=s.session_cluster_id[keep].astype(np.uint32), ebgp=s.ebgp[keep].astype(bool),
        keep_next_hop=s.keep_next_hop[keep].astype(bool), allow_local_as=s.allow_local_as[keep].astype(np.int32),
        add_paths=calico, local_as=s.local_as[keep].astype(np.uint32), next_hop_self=_option(s.next_hop_self[keep]),
    )
    return SessionRows(graph, active=~s.passive[keep].astype(bool),
                       kind=(s.kind[keep] != SessionKind.MESH).astype(np.uint8))


def _option(values):
    """A per-row option, None (unset: no memory per row) when no row sets it."""
    return values if values.any() else None


def _own_local_as(graph, speakers):
    """``graph`` with ``local_as`` set only where a protocol's AS is not its speaker's
    (unset when none is: a mesh joined to it then stays without the column)."""
    own = np.where(graph.local_as == np.asarray(speakers.asn)[graph.local], 0, graph.local_as).astype(np.uint32)
    return dataclasses.replace(graph, local_as=_option(own))


def mesh_rows(members: npt.ArrayLike, addresses: Sequence[object], router_id: np.ndarray, asn: np.ndarray | None = None,
              pairing: bool = True) -> SessionRows:
    """The ``Mesh_`` sessions among ``members`` (node indices): every ordered
    pair, member-major, at row ``i * (k - 1) + j - (j > i)`` for the i-th and
    j-th member.  The end whose address (``addresses``, per node) is the lower as
    text connects (confd's template renders ``passive on`` toward a greater
    address).  Cluster id: the local router id.  eBGP where ``asn`` (per node)
    differs; without ``asn`` every row is iBGP.  Without ``pairing`` the rows'
    ``active`` and ``rev`` are None (the routing kernels do not need them).
    """
    from ._propagate import mesh_rows as kernel

    m = np.ascontiguousarray(members, np.int32)
    k = len(m)
    if k * (k - 1) >= 2 ** 31:
        raise MemoryError(f"a mesh of {k} members: more rows than int32 indices")
    n = len(router_id)
    asn = np.zeros(n, np.uint32) if asn is None else np.ascontiguousarray(asn, np.uint32)
    rank = np.ascontiguousarray(text_rank(addresses), np.int64) if pairing else np.zeros(n, np.int64)
    a, b, cid, ebgp, active, rev = kernel(m, rank, np.ascontiguousarray(router_id, np.uint32), asn, pairing)
    rows = len(a)
    graph = SessionGraph(local=a, remote=b, rr_client=np.zeros(rows, bool), cluster_id=cid, ebgp=ebgp,
                         keep_next_hop=np.zeros(rows, bool), allow_local_as=np.zeros(rows, np.int32),
                         add_paths=np.ones(rows, bool))
    return SessionRows(graph, active=active, kind=np.zeros(rows, np.uint8), rev=rev)


def reflector_rows(router_id: np.ndarray, cluster_ids: Sequence[int | None] | np.ndarray, reflectors: npt.ArrayLike,
                   clients: npt.ArrayLike) -> SessionRows:
    """Calico's reflector topology: clients <-> reflectors (``rr client`` on the
    reflector side with its cluster id); reflectors with equal cluster ids are
    plain iBGP peers, with different ids each treats the other as a client.
    Every end of these ``Node_`` sessions connects (no ``passive``).

    ``cluster_ids[r]``: reflector ``r``'s cluster id as an integer."""
    rr = np.asarray(reflectors, np.int32)
    cl = np.asarray(clients, np.int32)
    cid = np.zeros(len(router_id), np.uint32)
    for r in rr:
        cid[r] = cluster_ids[r]
    nr, nc = len(rr), len(cl)
    # reflector -> client and client -> reflector
    r1 = np.repeat(rr, nc)
    c1 = np.tile(cl, nr)
    # reflector <-> reflector
    ra = np.repeat(rr, nr)
    rb = np.tile(rr, nr)
    keep = ra != rb
    ra, rb = ra[keep], rb[keep]
    rr_cli = cid[ra] != cid[rb]
    local = np.concatenate([r1, c1, ra]).astype(np.int32)
    rows = len(local)
    graph = SessionGraph(
        local=local, remote=np.concatenate([c1, r1, rb]).astype(np.int32),
        rr_client=np.concatenate([np.ones(len(r1), bool), np.zeros(len(c1), bool), rr_cli]),
        cluster_id=np.concatenate([cid[r1], router_id[c1], np.where(rr_cli, cid[ra], router_id[ra])]).astype(np.uint32),
        ebgp=np.zeros(rows, bool), keep_next_hop=np.zeros(rows, bool), allow_local_as=np.zeros(rows, np.int32),
        add_paths=np.ones(rows, bool),
    )
    return SessionRows(graph, active=np.ones(rows, bool), kind=np.full(rows, KIND_OTHER, np.uint8))


def concat_graphs(graphs: Sequence[SessionGraph]) -> SessionGraph:
    """One :class:`SessionGraph` of the rows of ``graphs`` in order; a graph
    with every row as it is, not copied (a 5,000-node mesh has 25 M rows)."""
    nonempty = [g for g in graphs if g.n]
    if len(nonempty) == 1 or len(graphs) == 1:
        return (nonempty or graphs)[0]
    return SessionGraph(*[_concat([getattr(g, f.name) for g in graphs]) for f in dataclasses.fields(SessionGraph)])


def _concat(columns):
    """One column of the rows of ``columns``; None (the default) for an option no row sets."""
    if all(c.strides == (0,) and not (len(c) and c[0]) for c in columns):
        return None
    return np.concatenate(columns)


def concat_rows(parts: Sequence[SessionRows]) -> SessionRows:
    """The rows of every part, in order (a single part as it is)."""
    if len(parts) == 1:
        return parts[0]
    return SessionRows(concat_graphs([p.graph for p in parts]), active=np.concatenate([p.active for p in parts]),
                       kind=np.concatenate([p.kind for p in parts]))


def reverse_rows(local: npt.ArrayLike, remote: npt.ArrayLike, kind: npt.ArrayLike, n_speakers: int) -> np.ndarray:
    """Row of the opposite direction of each row (same pair, same kind).

    Raises
    ------
    InvalidValueError
        A row has no reverse row.
    """
    local = np.asarray(local, np.int64)
    remote = np.asarray(remote, np.int64)
    kind = np.asarray(kind, np.int64)
    n = n_speakers
    key = (kind * n + local) * n + remote
    order = np.argsort(key, kind="stable")
    want = (kind * n + remote) * n + local
    pos = np.minimum(np.searchsorted(key[order], want), len(key) - 1)
    found = key[order][pos] == want
    if not found.all():
        raise missing_reverse(local, remote, found)
    return order[pos].astype(np.int32)


# ---------------------------------------------------------------------------- the network


def _mesh_members(cluster, version, calico_version, down):
    """The nodes in the mesh (None: addresses shared, leave it to the per-node path)."""
    ips, _ = cluster.node_addresses(version)
    leave = reflectors_leave_mesh(calico_version)
    ok = np.array([ip is not None and not (leave and node.rr_cluster_id) for ip, node in zip(ips, cluster.nodes)])
    ok &= ~down
    members = np.flatnonzero(ok).astype(np.int32)
    keys = [int(ips[i]) for i in members]
    if len(set(keys)) != len(keys):
        return None, ips
    return members, ips


def _arrays_graph(cluster, version, topo):
    """``(topology without the mesh, its sessions, the BGPPeer session rows, the
    mesh members or None)``: the mesh is left implied (:attr:`Network.graph`
    lays it down as arrays); None when the per-node path must decide (shared
    addresses, or a BGPPeer session between two mesh members)."""
    bare = topo.without_mesh()
    s = bare.sessions(version)
    peers = configured_rows(s)
    if not cluster.bgp_config.mesh_enabled:
        return bare, s, peers.graph, None
    members, ips = _mesh_members(cluster, version, topo.calico_version, np.asarray(s.down, bool))
    if members is None:
        return None
    # the mesh is complete among its members (a mesh of one node has no rows): a
    # BGPPeer session between two of them would be a second protocol toward the
    # same neighbour
    member = np.zeros(len(s.router_id), bool)
    if len(members) > 1:
        member[members] = True
    if np.any(member[peers.graph.local] & member[peers.graph.remote]):
        return None
    return bare, s, peers.graph, (members if len(members) > 1 else None)


def build(cluster: Cluster, version: int = 4, down: Iterable[str] | str = (), calico_version: str | None = None,
          method: str = "auto", topology: Topology | None = None) -> Network:
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
    topology : Topology, optional
        The cluster's topology if it is already computed
        (:func:`fastroute.bgp.topology.compute` with the same ``calico_version``
        and ``down``): it is used instead of computing it again.

    Raises
    ------
    InvalidValueError
        ``topology`` is not the topology of ``cluster`` with ``down`` and ``calico_version``.
    """
    choice(version, (4, 6), "IP version")
    choice(method, ("auto", "topology", "arrays"), "network method")
    if isinstance(down, str):
        down = [d for d in down.split(",") if d]
    down = frozenset(down)
    if topology is None:
        topology = _topology.compute(cluster, calico_version=calico_version, down=down)
    elif (topology.cluster is not cluster or topology.down != down
          or _topology.template_version(cluster, calico_version) != topology.calico_version):
        raise InvalidValueError("invalid topology: not the topology of this cluster with these down nodes "
                                "and Calico version")
    if method == "auto":
        method = "arrays" if cluster.n_nodes >= _FAST_MIN_NODES else "topology"
    if method == "arrays":
        found = _arrays_graph(cluster, version, topology)
        if found is not None:
            bare, s, graph, mesh = found
            return _finish(cluster, version, bare, topology, s, graph, down, mesh)
    s = topology.sessions(version)
    return _finish(cluster, version, topology, topology, s, configured_rows(s).graph, down)


def _finish(cluster, version, used, full, s, graph, down, mesh=None):
    externals = tuple(used.externals)
    sp = speakers(cluster, version, externals, s.router_id)
    origins = with_router_announcements(originations(cluster, version), externals)
    return Network(cluster, version, sp, _own_local_as(graph, sp), origins, externals, frozenset(down), used, full,
                   mesh)
