"""BIRD's session pairing: the one table of ``protocol bgp`` instances of a
cluster (:class:`Sessions`), which of them pair up and which come up.

:func:`build_sessions` lays the table out from a
:class:`~fastroute.bgp.topology.Topology`: per node, its ``Mesh_`` rows (confd's
mesh, vectorised: every pair of mesh members) then its ``Global_``/``Node_``
rows in ``bird.cfg`` order; the external routers' rows last.  Two rows pair when
each end is configured toward the other; the session comes up when the AS
numbers, ports and passwords agree, not both ends are passive, neither node is
down, and BIRD 1.6's neighbour lock does not hold the protocol back (BIRD's
``proto/bgp/bgp.c``: ``bgp_start_locked``, one protocol per neighbour address
and port).
"""

from __future__ import annotations

import bisect
import dataclasses
import enum
import functools
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .birdview import protocol_name
from .peers import DEFAULT_BGP_PORT
from .peertable import NEXT_HOP_MODES
from .propagate import session_index
from ..model.calico import reflectors_leave_mesh, template_release

__all__ = ["SessionKind", "ExternalRouter", "Sessions", "SpeakerColumns", "build_sessions", "mesh_only", "mesh_part", "speakers",
           "text_rank", "router_row", "router_peer_rows", "addresses_of", "ip_int", "SESSION_COLUMNS"]


class SessionKind(enum.IntEnum):
    """Which confd section a protocol comes from (``Mesh_``/``Node_``/``Global_``), or the
    far side of a session kept by an external router."""

    MESH = 0
    NODE = 1
    GLOBAL = 2
    EXTERNAL = 3


_KIND_OF = {"Mesh": SessionKind.MESH, "Node": SessionKind.NODE, "Global": SessionKind.GLOBAL}


@dataclass(frozen=True)
class ExternalRouter:
    """A BGP speaker that is not a Calico node (a ToR, a route server...).

    ``index`` is its speaker index (``n_nodes + k``).
    """

    index: int
    ip: str
    as_number: int
    version: int
    router: object = None       # the fastroute.model.routers.Router modelling it, None: a sink

    @property
    def name(self):
        return self.router.name if self.router is not None else f"external {self.ip}"

    @property
    def announces(self):
        """It runs BGP fully (a modelled Router); otherwise it learns and announces nothing."""
        return self.router is not None


@dataclass(frozen=True)
class Sessions:
    """The BGP session graph of one IP family, one row per ``protocol bgp`` instance.

    Speaker indices: ``0..n_nodes-1`` are the cluster's nodes, ``n_nodes + k`` the
    k-th external router (:attr:`Topology.externals`).  Each session between two
    speakers normally appears twice, once from each end; ``peer_row`` links the two.
    Rows are grouped by ``local`` in speaker order and, for a node, follow the
    order of its ``bird.cfg`` (which is also ``birdc show protocols`` order).
    Every array is read-only.

    Attributes
    ----------
    version : int
        4 or 6.
    n_nodes, n_speakers : int
        Calico nodes, and nodes plus external routers.
    local, remote : ndarray of int32, shape (n_sessions,)
        Speaker index of this end and of the configured neighbour.
    kind : ndarray of uint8
        :class:`SessionKind` of the row (``EXTERNAL`` for an external router's rows).
    rr_client : ndarray of bool
        This end renders ``rr client`` for the neighbour (this end reflects to it).
    local_cluster_id : ndarray of uint32
        This node's ``routeReflectorClusterID`` as an integer, 0 when it has none.
    session_cluster_id : ndarray of uint32
        The cluster id BIRD uses on this session: the rendered ``rr cluster id`` on
        ``rr client`` sessions, otherwise BIRD's default, the local router id.
        CLUSTER_LIST handling (prepend, loop check) uses this one.
    ebgp : ndarray of bool
        The neighbour's configured AS differs from the local AS (``local_as``).
    keep_next_hop : ndarray of bool
        BIRD keeps the next hop it received: ``next hop keep`` rendered (eBGP peers with
        ``keepOriginalNextHop``, BGPPeer ``nextHopMode: Keep``) and no ``next hop self``
        after it (in BIRD 1.6's ``proto/bgp/config.Y`` the later of the two wins).
    next_hop_self : ndarray of bool
        ``next hop self`` rendered (BGPPeer ``nextHopMode: Self``): this end sends itself
        as the next hop, on iBGP too.
    allow_local_as : ndarray of uint8
        ``allow local as N`` (0 = off).
    passive : ndarray of bool
        ``passive on`` rendered at this end.
    local_ip, remote_ip : ndarray
        This end's address and the configured neighbour address: uint32 for IPv4,
        Python ints (object) for IPv6.
    local_as, remote_as : ndarray of uint32
        This end's AS on the session (the protocol's ``local as``: BGPPeer
        ``localASNumber`` where the release renders it, else the node's AS) and the AS
        configured for the neighbour.
    remote_port : ndarray of uint16
        Neighbour port (179 unless configured).
    established : ndarray of bool
        The session comes up: both ends are configured toward each other with the
        AS numbers each expects, the ports and passwords agree, not both ends are
        passive, and neither node is down.
    peer_row : ndarray of int32
        Row of the other end of the same session, -1 when the other end has no
        protocol for it.
    router_id : ndarray of uint32, shape (n_speakers,)
        BGP identifier per speaker (node: its IPv4 address; external IPv4 router:
        its address; external IPv6 router: 0).
    down : ndarray of bool, shape (n_nodes,)
        Nodes whose calico-node was stopped.
    name_port : ndarray of uint16
        The port in the protocol name (explicit peer ports), 0 for none; :attr:`names`
        and :meth:`name` give the names.
    locked_out : ndarray of bool
        An earlier protocol of the same node has the same neighbour address and port
        (e.g. ``Mesh_x`` and ``Global_x``): BIRD 1.6's neighbour lock keeps this one
        ``Idle`` for good (observed on BIRD 1.6.8), so it is never established.
    """

    version: int
    n_nodes: int
    n_speakers: int
    local: np.ndarray
    remote: np.ndarray
    kind: np.ndarray
    rr_client: np.ndarray
    local_cluster_id: np.ndarray
    session_cluster_id: np.ndarray
    ebgp: np.ndarray
    keep_next_hop: np.ndarray
    allow_local_as: np.ndarray
    passive: np.ndarray
    local_ip: np.ndarray
    remote_ip: np.ndarray
    local_as: np.ndarray
    remote_as: np.ndarray
    remote_port: np.ndarray
    established: np.ndarray
    peer_row: np.ndarray
    router_id: np.ndarray
    down: np.ndarray
    name_port: np.ndarray = field(repr=False, default=None)
    locked_out: np.ndarray = field(repr=False, default=None)
    next_hop_self: np.ndarray = field(repr=False, default=None)

    def __post_init__(self):
        # Sessions are cached by their Topology and shared: freeze the arrays (kernels
        # take them as const memoryviews, which read-only arrays satisfy).
        for f in dataclasses.fields(self):
            v = getattr(self, f.name)
            if isinstance(v, np.ndarray):
                v.flags.writeable = False

    @property
    def names(self):
        """BIRD protocol name per row (tuple of str; ``""`` for external routers' rows).

        Built on first use: a full mesh has ``n_nodes * (n_nodes - 1)`` rows.
        """
        cached = self.__dict__.get("_names")
        if cached is None:
            cached = tuple(self.name(r) for r in range(self.n_sessions))
            object.__setattr__(self, "_names", cached)
        return cached

    def name(self, row):
        """BIRD protocol name of one row (``Mesh_10_0_0_2``, ``Global_10_0_0_1_port_1790``...)."""
        kind = SessionKind(int(self.kind[row]))
        if kind == SessionKind.EXTERNAL:
            return ""
        ip = str(ipaddress.ip_address(int(self.remote_ip[row])) if self.version == 4
                 else ipaddress.IPv6Address(int(self.remote_ip[row])))
        port = int(self.name_port[row]) if self.name_port is not None else 0
        return protocol_name(kind.name.capitalize(), ip, port or None)

    @property
    def n_sessions(self):
        """Number of rows (protocol instances)."""
        return int(self.local.shape[0])

    def rows_of(self, speaker):
        """Row indices whose ``local`` is ``speaker`` (in bird.cfg order)."""
        return np.flatnonzero(self.local == speaker)




def text_rank(addresses: Sequence[object]) -> np.ndarray:
    """Rank of each address compared as text (None or "" first), as confd's
    template compares them: the end with the greater address renders ``passive on``."""
    texts = ["" if a is None else str(a) for a in addresses]
    order = sorted(range(len(texts)), key=texts.__getitem__)
    rank = np.empty(len(texts), dtype=np.int64)
    rank[order] = np.arange(len(texts))
    return rank


def ip_int(ip: str) -> int:
    """An address text as an int."""
    return _ip_int(ip)


@functools.lru_cache(maxsize=65536)
def _ip_int(ip):
    return int(ipaddress.ip_address(ip))


#: The columns of :class:`Sessions` laid out per row (None: the family's address type).
SESSION_COLUMNS = {
    "local": np.int32, "remote": np.int32, "kind": np.uint8, "rr_client": bool, "local_cluster_id": np.uint32,
    "session_cluster_id": np.uint32, "ebgp": bool, "keep_next_hop": bool, "allow_local_as": np.uint8,
    "passive": bool, "local_ip": None, "remote_ip": None, "local_as": np.uint32, "remote_as": np.uint32,
    "remote_port": np.uint16, "name_port": np.uint16, "locked_out": bool, "next_hop_self": bool,
}


@dataclass
class SpeakerColumns:
    """Per-speaker columns of one family that every part of the layout reads.

    ``ip_int`` (node order; uint32 for IPv4, Python ints for IPv6, 0 for none),
    ``has`` (the node has an address of the family), ``rank`` (the address's place in
    text order, -1 for none), ``in_mesh`` (the node renders the mesh), ``listen``
    (the port each node listens on), ``ip_all`` the address of every speaker.
    """

    n: int
    n_speakers: int
    ip_int: np.ndarray
    has: np.ndarray
    rank: np.ndarray
    externals: list
    down: np.ndarray
    router_id: np.ndarray
    as_of: np.ndarray
    cluster_id: np.ndarray
    reflector: np.ndarray
    listen: np.ndarray
    in_mesh: np.ndarray
    ip_all: np.ndarray
    ext_of: dict
    down_speaker: np.ndarray
    addr_of: dict = None


def _down(topo, n):
    routers = {e.router.name for e in topo.externals if e.router is not None}
    down = np.zeros(n, dtype=bool)
    for name in topo.down:
        if name not in routers:
            down[topo.cluster.node_index(name)] = True
    return down


def speakers(topo: "Topology", version: int) -> SpeakerColumns:
    """The :class:`SpeakerColumns` of family ``version`` of a topology."""
    cols = topo.columns
    n = cols.n
    ext = [e for e in topo.externals if e.version == version]
    n_speakers = n + len(topo.externals)
    down = _down(topo, n)
    down_speaker = np.zeros(n_speakers, dtype=bool)
    down_speaker[:n] = down
    for e in topo.externals:
        down_speaker[e.index] = e.router is not None and e.router.name in topo.down
    router_id = np.zeros(n_speakers, dtype=np.uint32)
    router_id[:n] = cols.addr[4]
    for e in topo.externals:
        router_id[e.index] = _ip_int(e.ip) if e.version == 4 else 0
    ip_dtype = np.uint32 if version == 4 else object
    ip_all = np.zeros(n_speakers, ip_dtype) if version == 4 else np.full(n_speakers, 0, object)
    ip_all[:n] = cols.addr[version]
    for e in topo.externals:
        if e.version == version:
            ip_all[e.index] = _ip_int(e.ip)
    has = cols.has[version]
    reflector = cols.cluster_id != 0
    in_mesh = np.zeros(n, bool)
    if topo.globals.mesh_enabled:
        in_mesh = has & ~reflector if reflectors_leave_mesh(topo.calico_version) else has.copy()
    return SpeakerColumns(
        n=n, n_speakers=n_speakers, ip_int=cols.addr[version], has=has, rank=cols.aid[version], externals=ext,
        down=down, router_id=router_id, as_of=cols.as_number, cluster_id=cols.cluster_id, reflector=reflector,
        listen=topo.listen_ports(), in_mesh=in_mesh, ip_all=ip_all, ext_of={e.index: e for e in topo.externals},
        down_speaker=down_speaker,
    )


def mesh_part(topo: "Topology", version: int, sp: SpeakerColumns
             ) -> tuple[dict[str, np.ndarray] | None, np.ndarray, np.ndarray | None, tuple | None]:
    """Mesh rows, vectorised: (columns dict, count per local node, reverse-row index,
    the mesh-row lookup :func:`_mesh_lookup` needs)."""
    n = sp.n
    counts = np.zeros(n, dtype=np.int64)
    if not topo.globals.mesh_enabled:
        return None, counts, None, None
    locals_ = np.flatnonzero(sp.in_mesh)  # node order; a reflector renders no mesh from v3.22
    names = np.array(topo.node_names, dtype=object)
    peers = locals_[np.argsort(names[locals_], kind="stable")]  # the mesh walks node names in order
    m = len(peers)
    if m == 0:
        return None, counts, None, None
    ips = np.asarray(sp.ip_int, dtype=object if version == 6 else np.uint32)
    unique_ips = len(set(ips[peers].tolist())) == m
    nrank = np.full(n, -1, dtype=np.int64)
    nrank[peers] = np.arange(m)
    lpos = np.full(n, -1, dtype=np.int64)
    lpos[locals_] = np.arange(m)
    if unique_ips:
        # Every member peers with every other: row (a, b) sits at
        # lpos[a] * (m - 1) + nrank[b] - (nrank[b] > nrank[a]).  Per-row values are
        # repeats (local side) or the peer list without the diagonal (remote side).
        keep = np.ones((m, m), dtype=bool)
        keep[np.arange(m), nrank[locals_]] = False

        def by_local(x):
            return np.repeat(x[locals_], m - 1)

        def by_remote(x):
            return np.broadcast_to(x[peers], (m, m))[keep]

        nl, nr = by_local(nrank), by_remote(nrank)
        reverse = by_remote(lpos) * (m - 1) + nl - (nl > nr)
        del nl, nr
        lookup = ("closed", lpos, nrank, m)
    else:
        L = np.repeat(locals_, m)
        R = np.tile(peers, m)
        keep = ips[L] != ips[R]
        if version == 6:
            keep = keep.astype(bool)
        L, R = L[keep], R[keep]
        # Reverse row: index of (R, L) among the kept pairs (the mesh is symmetric)
        reverse = session_index(L, R, n)[2]

        def by_local(x):
            return x[L]

        def by_remote(x):
            return x[R]

        key = L.astype(np.int64) * n + R
        order = np.argsort(key, kind="stable")
        lookup = ("sorted", key[order], order)

    node = np.arange(n, dtype=np.int32)
    local = by_local(node)
    counts = np.bincount(local, minlength=n).astype(np.int64)
    k = local.shape[0]
    as_l, as_r = by_local(sp.as_of), by_remote(sp.as_of)
    cols = {
        "local": local, "remote": by_remote(node),
        "kind": np.full(k, SessionKind.MESH, dtype=np.uint8),
        "rr_client": np.zeros(k, dtype=bool), "local_cluster_id": by_local(sp.cluster_id),
        "session_cluster_id": by_local(sp.router_id[:n]), "ebgp": as_l != as_r,
        "keep_next_hop": np.zeros(k, dtype=bool), "allow_local_as": np.zeros(k, dtype=np.uint8),
        "passive": by_remote(sp.rank) > by_local(sp.rank), "local_ip": by_local(ips), "remote_ip": by_remote(ips),
        "local_as": as_l, "remote_as": as_r, "remote_port": by_remote(sp.listen.astype(np.uint16)),
        "name_port": np.zeros(k, dtype=np.uint16), "locked_out": np.zeros(k, dtype=bool),
        "next_hop_self": np.zeros(k, dtype=bool),
    }
    return cols, counts, reverse, lookup


def _mesh_lookup(lookup, sp, a, b):
    """Mesh row index of (local ``a``, remote ``b``) per pair, -1 where the mesh has none."""
    out = np.full(len(a), -1, np.int64)
    if lookup is None or not len(a):
        return out
    ok = (a < sp.n) & (b < sp.n)
    ok[ok] = sp.in_mesh[a[ok]] & sp.in_mesh[b[ok]] & (a[ok] != b[ok])
    a, b = a[ok], b[ok]
    if lookup[0] == "closed":
        _, lpos, nrank, m = lookup
        out[ok] = lpos[a] * (m - 1) + nrank[b] - (nrank[b] > nrank[a])
        return out
    _, keys, order = lookup
    want = a.astype(np.int64) * sp.n + b
    at = np.minimum(np.searchsorted(keys, want), max(len(keys) - 1, 0))
    hit = keys[at] == want if len(keys) else np.zeros(len(want), bool)
    out[np.flatnonzero(ok)[hit]] = order[at[hit]]
    return out


def router_row(sp: SpeakerColumns, e: ExternalRouter, j: int, remote_ip: int, remote_as: int,
               remote_reflects: int | bool, port: int, password: str | None = None) -> dict[str, Any]:
    """Router ``e``'s row toward speaker ``j``.  A reflecting Router treats its iBGP
    neighbours as clients, except reflectors of its own cluster (RFC 4456; the
    same rule Calico's reflectors follow among themselves)."""
    r = e.router
    ebgp = e.as_number != remote_as
    cid = int(sp.router_id[e.index])
    client = False
    if r is not None and r.route_reflector and not ebgp:
        mine = _ip_int(r.reflector_cluster_id)
        client = remote_reflects is False or int(remote_reflects) != mine
        if client:
            cid = mine
    return dict(
        local=e.index, remote=j, kind=SessionKind.EXTERNAL, rr_client=client,
        local_cluster_id=_ip_int(r.reflector_cluster_id) if r is not None and r.route_reflector else 0,
        session_cluster_id=cid, ebgp=ebgp, keep_next_hop=False, allow_local_as=0, passive=False,
        local_ip=_ip_int(e.ip), remote_ip=remote_ip, local_as=e.as_number, remote_as=remote_as,
        remote_port=port, name_port=0, password=password, locked_out=False, next_hop_self=False,
    )


def router_peer_rows(sp: SpeakerColumns, e: ExternalRouter) -> list[dict[str, Any]]:
    """Router ``e``'s router-to-router rows (its ``peers`` that are Routers too)."""
    if e.router is None:
        return []
    out = []
    for p in e.router.peers:
        j = sp.addr_of.get(p.ip)
        if j is None or j < sp.n:
            continue
        other = sp.ext_of[j].router
        reflects = _ip_int(other.reflector_cluster_id) if other is not None and other.route_reflector else False
        out.append(router_row(sp, e, j, _ip_int(p.ip), p.as_number, reflects, DEFAULT_BGP_PORT))
    return out


def addresses_of(topo: "Topology", version: int, sp: SpeakerColumns) -> dict[str, int]:
    """Speaker index by address text (the first node with it; external routers)."""
    text = topo.columns.text[version]
    out = {}
    for i in np.flatnonzero(sp.has)[::-1].tolist():
        out[text[i]] = i
    for e in sp.externals:
        out[e.ip] = e.index
    return out


# --------------------------------------------------------------------------- Global_/Node_ rows


def _node_rows(topo, version, sp):
    """Every node's ``Global_``/``Node_`` rows of family ``version`` as columns (node
    order, bird.cfg order within a node), with each row's password id.

    BIRD 1.6 takes a lock on (neighbour address, port) when a BGP protocol
    starts; a later protocol of the same node toward the same address and port
    waits for it forever (``start``/``Idle``, observed), so it never comes up.
    """
    t = topo.peer_table
    rel = template_release(topo.calico_version)
    local, row, kind = topo.entry_rows(version)
    spk = np.full(len(t.addr_text) + 1, -1, np.int64)
    with_ip = np.flatnonzero(sp.has)
    first_aid, at = np.unique(sp.rank[with_ip], return_index=True)
    spk[first_aid] = with_ip[at]        # an address two nodes share is the first one's
    for e in sp.externals:
        k = bisect.bisect_left(t.addr_text, e.ip)
        if k < len(t.addr_text) and t.addr_text[k] == e.ip:
            spk[k] = e.index
    aid = t.aid[row]
    remote = spk[aid]
    la, keep, self_ = _peer_options(t, row, sp.as_of[local].astype(np.int64), rel)
    ras = t.as_number[row]
    node_cid = t.node_cluster_id
    lc = node_cid[local]
    rr = (ras == la) & (lc != 0) & (t.cluster_id[row] != lc)
    port = t.port[row]
    remote_port = np.where(port > 0, port, DEFAULT_BGP_PORT)
    # the lock: an earlier row of the node toward the same address and port, or the mesh's
    key = (local * (len(t.addr_text) + 1) + aid) * 65536 + remote_port
    _, first = np.unique(key, return_index=True)
    locked = np.ones(len(key), bool)
    locked[first] = False
    b = np.where(remote < sp.n, remote, 0)
    locked |= (remote < sp.n) & sp.in_mesh[local] & sp.in_mesh[b] & (sp.rank[b] != sp.rank[local]) \
        & (remote_port == sp.listen[b])
    cols = {
        "local": local, "remote": remote, "kind": kind, "rr_client": rr,
        "local_cluster_id": sp.cluster_id[local],
        "session_cluster_id": np.where(rr, sp.cluster_id[local], sp.router_id[local]),
        "ebgp": ras != la, "keep_next_hop": keep, "next_hop_self": self_,
        "allow_local_as": t.allow_local_as[row] if rel.has("allow_local_as") else np.zeros(len(row), np.int64),
        "passive": rel.has("global_passive") & (kind == SessionKind.GLOBAL) & t.calico_node[row]
        & (aid > sp.rank[local]),
        "local_ip": sp.ip_all[local], "remote_ip": sp.ip_all[remote], "local_as": la, "remote_as": ras,
        "remote_port": remote_port, "name_port": port, "locked_out": locked,
    }
    return cols, t.password[row]


def _peer_options(t, row, node_as, rel):
    """``(local AS, next hop kept, next hop self)`` of the ``Global_``/``Node_`` protocols
    of PeerTable ``t``'s ``row`` s on nodes with AS ``node_as``, as release ``rel`` renders
    them (:func:`fastroute.bgp.birdcfg.explicit_peer`): BGPPeer ``localASNumber`` (``local
    as N``) replaces the node's AS on the session, so it decides iBGP or eBGP there;
    ``next hop keep`` comes from ``keepOriginalNextHop`` toward another AS or ``nextHopMode:
    Keep``, ``next hop self`` from ``nextHopMode: Self``, rendered after it and so winning
    (BIRD 1.6 ``proto/bgp/config.Y``).  A field the release does not render changes nothing.
    """
    la = np.where((t.local_as[row] > 0) & rel.has("peer_local_as"), t.local_as[row], node_as)
    mode = t.next_hop_mode[row] if rel.has("next_hop_mode") else np.zeros(len(row), np.uint8)
    self_ = mode == NEXT_HOP_MODES["Self"]
    keep = ((mode == NEXT_HOP_MODES["Keep"]) | t.keep_next_hop[row] & (t.as_number[row] != la)) & ~self_
    return la, keep, self_


def _external_rows(sp, nodes, pw):
    """The external routers' rows: toward every node configured toward them (the
    node's first such row), then their router-to-router rows, router by router."""
    n = sp.n
    toward = np.flatnonzero(nodes["remote"] >= n)
    toward = toward[np.lexsort((toward, nodes["remote"][toward]))]
    key = nodes["remote"][toward].astype(np.int64) * n + nodes["local"][toward]
    _, first = np.unique(key, return_index=True)
    toward = toward[np.sort(first)]
    e_of = nodes["remote"][toward]
    j = nodes["local"][toward]
    k = len(toward)
    n_ext = sp.n_speakers - n
    e_as = np.zeros(n_ext, np.int64)
    e_reflects = np.zeros(n_ext, bool)
    e_mine = np.zeros(n_ext, np.int64)
    e_ip = np.zeros(n_ext, object)
    for idx, e in sp.ext_of.items():
        e_as[idx - n] = e.as_number
        e_ip[idx - n] = _ip_int(e.ip)
        if e.router is not None and e.router.route_reflector:
            e_reflects[idx - n], e_mine[idx - n] = True, _ip_int(e.router.reflector_cluster_id)
    x = e_of - n
    ebgp = e_as[x] != nodes["local_as"][toward]
    client = e_reflects[x] & ~ebgp
    cols = {
        "local": e_of, "remote": j, "kind": np.full(k, SessionKind.EXTERNAL), "rr_client": client,
        "local_cluster_id": np.where(e_reflects[x], e_mine[x], 0),
        "session_cluster_id": np.where(client, e_mine[x], sp.router_id[e_of]), "ebgp": ebgp,
        "keep_next_hop": np.zeros(k, bool), "allow_local_as": np.zeros(k, np.int64), "passive": np.zeros(k, bool),
        "local_ip": e_ip[x], "remote_ip": nodes["local_ip"][toward], "local_as": e_as[x],
        "remote_as": nodes["local_as"][toward], "remote_port": sp.listen[j], "name_port": np.zeros(k, np.int64),
        "locked_out": np.zeros(k, bool), "next_hop_self": np.zeros(k, bool),
    }
    order = [e_of, np.zeros(k, np.int64), np.arange(k)]
    pws = [pw[toward]]
    extra = [r for e in sp.externals for r in router_peer_rows(sp, e)]
    if extra:
        for name in SESSION_COLUMNS:
            cols[name] = np.concatenate([np.asarray(cols[name], object), np.array([r[name] for r in extra] + [0],
                                                                                   object)[:-1]])
        order = [np.concatenate([o, np.array(v)]) for o, v in zip(order, (
            [r["local"] for r in extra], [1] * len(extra), range(len(extra))))]
        pws.append(np.zeros(len(extra), np.int64))
    pw_ext = np.concatenate(pws)
    by = np.lexsort((order[2], order[1], order[0]))
    return {name: np.asarray(v)[by] for name, v in cols.items()}, pw_ext[by]


def _column(values, dtype):
    if dtype is object:
        out = np.empty(len(values), dtype=object)
        out[:] = list(values) if isinstance(values, np.ndarray) and values.dtype == object else values
        return out
    return np.asarray(values).astype(dtype)


def _layout(sp, version, mesh, mesh_counts, nodes, exts):
    """The columns in their final order (per node: its mesh rows, then its
    explicit rows; external routers last), and where the mesh rows and the
    explicit rows went."""
    n = sp.n
    n_mesh = 0 if mesh is None else mesh["local"].shape[0]
    exp_local = np.asarray(nodes["local"], np.int64)
    n_node_rows, n_ext = len(exp_local), len(exts["local"])
    exp_counts = np.bincount(exp_local, minlength=n)[:n]
    offsets = np.concatenate([[0], np.cumsum(mesh_counts + exp_counts)])
    total_nodes = int(offsets[-1])
    n_rows = total_nodes + n_ext
    mesh_pos = np.zeros(n_mesh, dtype=np.int64)
    if n_mesh:
        ml = mesh["local"].astype(np.int64)
        mesh_start = np.concatenate([[0], np.cumsum(mesh_counts)])[:-1]
        mesh_pos = offsets[:-1][ml] + (np.arange(n_mesh) - mesh_start[ml])
    exp_start = np.concatenate([[0], np.cumsum(exp_counts)])[:-1]
    exp_pos = np.concatenate([offsets[:-1][exp_local] + mesh_counts[exp_local]
                              + (np.arange(n_node_rows) - exp_start[exp_local]),
                              total_nodes + np.arange(n_ext)]).astype(np.int64)
    ip_dtype = np.uint32 if version == 4 else object
    out = {}
    for name, dtype in SESSION_COLUMNS.items():
        dt = ip_dtype if dtype is None else dtype
        col = np.zeros(n_rows, dtype=dt) if dt is not object else np.full(n_rows, None, dtype=object)
        if n_mesh:
            col[mesh_pos] = mesh[name].astype(dt) if dt is not object else mesh[name]
        if len(exp_pos):
            col[exp_pos] = _column(np.concatenate([np.asarray(nodes[name], object if dt is object else None),
                                                   np.asarray(exts[name], object if dt is object else None)]), dt)
        out[name] = col
    return out, mesh_pos, exp_pos


def _first_per(r, order, *masks):
    """For each mask: the first candidate (by ``order``) of every row id in ``r``."""
    by = np.lexsort((order, r))
    out = []
    for m in masks:
        sel = by[m[by]]
        ids, at = np.unique(r[sel], return_index=True)
        out.append((ids, sel[at]))
    return out


def _pair(topo, sp, out, pw, mesh_lookup, exp_pos, peer_row, established):
    """Pair every explicit row with the other end's row (a mesh row, else an
    explicit one) and decide whether the session comes up: the first candidate
    that agrees, else the first candidate, is the peer row."""
    n = sp.n
    loc = out["local"][exp_pos].astype(np.int64)
    rem = out["remote"][exp_pos].astype(np.int64)
    _, ids = np.unique(np.concatenate([out["local_ip"][exp_pos], out["remote_ip"][exp_pos]]), return_inverse=True)
    li, ri = ids[: len(exp_pos)], ids[len(exp_pos):]
    width = int(ids.max()) + 1 if len(ids) else 1
    locked = out["locked_out"][exp_pos]
    # explicit candidates: rows from the remote address to the local one, not locked out
    free = np.flatnonzero(~locked)
    ck = li[free] * width + ri[free]
    o = np.argsort(ck, kind="stable")
    sk, sc = ck[o], free[o]
    want = ri * width + li
    lo, hi = np.searchsorted(sk, want, "left"), np.searchsorted(sk, want, "right")
    cnt = hi - lo
    r_exp = np.repeat(np.arange(len(exp_pos)), cnt)
    within = np.arange(len(r_exp)) - np.repeat(np.cumsum(cnt) - cnt, cnt)
    c = sc[np.repeat(lo, cnt) + within]
    m_row = _mesh_lookup(mesh_lookup[0], sp, rem, loc)
    has_m = np.flatnonzero(m_row >= 0)
    r = np.concatenate([has_m, r_exp])
    cand = np.concatenate([mesh_lookup[1][m_row[has_m]], exp_pos[c]])
    order = np.concatenate([np.zeros(len(has_m), np.int64), 1 + c])
    rp = exp_pos[r]
    a, b = out["local"][rp].astype(np.int64), out["local"][cand].astype(np.int64)
    ok = ~sp.down_speaker[a] & ~sp.down_speaker[b]
    ok &= (out["remote_as"][rp] == out["local_as"][cand]) & (out["remote_as"][cand] == out["local_as"][rp])
    ok &= ~(out["passive"][rp] & out["passive"][cand]) & (pw[rp] == pw[cand])
    # each end connects to the other's listen port; a node listens on its own port
    ok &= (b >= n) | (out["remote_port"][rp] == sp.listen[np.minimum(b, n - 1)])
    ok &= (a >= n) | (out["remote_port"][cand] == sp.listen[np.minimum(a, n - 1)])
    (any_r, any_at), (ok_r, ok_at) = _first_per(r, order, np.ones(len(r), bool), ok)
    peer_row[exp_pos[any_r]] = cand[any_at]
    peer_row[exp_pos[ok_r]] = cand[ok_at]
    established[exp_pos[ok_r]] = ~locked[ok_r]


def mesh_only(common: dict[str, Any], mesh: dict[str, np.ndarray], mesh_reverse: np.ndarray) -> Sessions:
    """The :class:`Sessions` of a cluster with mesh rows only (the common small-cluster
    case): the mesh rows are the layout."""
    down = common["down"]
    ip_dtype = np.uint32 if common["version"] == 4 else object
    out = {}
    for name, dtype in SESSION_COLUMNS.items():
        dt = ip_dtype if dtype is None else dtype
        out[name] = mesh[name] if dt is object else mesh[name].astype(dt, copy=False)
    return Sessions(**common, **out, established=~down[mesh["local"]] & ~down[mesh["remote"]],
                    peer_row=mesh_reverse.astype(np.int32))


def build_sessions(topo: "Topology", version: int) -> Sessions:
    """The :class:`Sessions` of IP family ``version`` of a
    :class:`~fastroute.bgp.topology.Topology` (what :meth:`Topology.sessions` caches)."""
    sp = speakers(topo, version)
    n, down = sp.n, sp.down
    mesh, mesh_counts, mesh_reverse, lookup = mesh_part(topo, version, sp)
    nodes, pw_nodes = _node_rows(topo, version, sp)
    n_mesh = 0 if mesh is None else mesh["local"].shape[0]
    common = dict(version=version, n_nodes=n, n_speakers=sp.n_speakers, router_id=sp.router_id, down=down)
    if not len(nodes["local"]) and not any(e.router is not None for e in sp.externals) and n_mesh:
        return mesh_only(common, mesh, mesh_reverse)
    sp.addr_of = addresses_of(topo, version, sp)
    passwords = list(topo.peer_table.passwords)
    exts, pw_ext = _external_rows(sp, nodes, pw_nodes)
    out, mesh_pos, exp_pos = _layout(sp, version, mesh, mesh_counts, nodes, exts)
    n_rows = out["local"].shape[0]
    mesh_pw = topo.globals.mesh_password if template_release(topo.calico_version).has("mesh_restart_password") \
        else None
    if mesh_pw not in passwords:
        passwords.append(mesh_pw)
    pw = np.zeros(n_rows, np.int64)
    pw[mesh_pos] = passwords.index(mesh_pw)
    pw[exp_pos] = np.concatenate([pw_nodes, pw_ext]).astype(np.int64)
    peer_row = np.full(n_rows, -1, dtype=np.int32)
    established = np.zeros(n_rows, dtype=bool)
    if n_mesh:
        peer_row[mesh_pos] = mesh_pos[mesh_reverse]
        established[mesh_pos] = ~down[mesh["local"]] & ~down[mesh["remote"]]
    if len(exp_pos):
        _pair(topo, sp, out, pw, (lookup, mesh_pos), exp_pos, peer_row, established)
    # both ends must agree (the checks are symmetric, but pairing may not be)
    bad = established & (peer_row >= 0)
    bad[bad] = ~established[peer_row[bad]]
    established[bad] = False
    return Sessions(**common, **out, established=established, peer_row=peer_row)
