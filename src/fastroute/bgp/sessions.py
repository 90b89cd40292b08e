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

import dataclasses
import enum
import functools
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from .birdview import protocol_name
from .peers import DEFAULT_BGP_PORT
from .propagate import session_index
from ..model.calico import reflectors_leave_mesh, template_release

if TYPE_CHECKING:
    from .topology import Topology

__all__ = ["SessionKind", "ExternalRouter", "Sessions", "build_sessions", "text_rank"]


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
        The neighbour's configured AS differs from the local AS.
    keep_next_hop : ndarray of bool
        ``next hop keep`` rendered (eBGP peers with ``keepOriginalNextHop``).
    allow_local_as : ndarray of uint8
        ``allow local as N`` (0 = off).
    passive : ndarray of bool
        ``passive on`` rendered at this end.
    local_ip, remote_ip : ndarray
        This end's address and the configured neighbour address: uint32 for IPv4,
        Python ints (object) for IPv6.
    local_as, remote_as : ndarray of uint32
        This end's AS and the AS configured for the neighbour.
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




def text_rank(addresses: Sequence[str | None]) -> np.ndarray:
    """Rank of each address compared as text (None or "" first), as confd's
    template compares them: the end with the greater address renders ``passive on``."""
    texts = ["" if a is None else str(a) for a in addresses]
    order = sorted(range(len(texts)), key=texts.__getitem__)
    rank = np.empty(len(texts), dtype=np.int64)
    rank[order] = np.arange(len(texts))
    return rank


@functools.lru_cache(maxsize=65536)
def _ip_int(ip):
    return int(ipaddress.ip_address(ip))


_COLUMNS = {
    "local": np.int32, "remote": np.int32, "kind": np.uint8, "rr_client": bool, "local_cluster_id": np.uint32,
    "session_cluster_id": np.uint32, "ebgp": bool, "keep_next_hop": bool, "allow_local_as": np.uint8,
    "passive": bool, "local_ip": None, "remote_ip": None, "local_as": np.uint32, "remote_as": np.uint32,
    "remote_port": np.uint16, "name_port": np.uint16, "locked_out": bool,
}


def _mesh_part(topo, version, ip_text, ip_int, as_of, rid, cid, down):
    """Mesh rows, vectorised: (columns dict, count per local node, reverse-row index)."""
    n = topo.n_nodes
    g = topo.globals
    new = reflectors_leave_mesh(topo.calico_version)
    has = np.array([bool(t) for t in ip_text], dtype=bool)
    rr = np.array([bool(info.rr_cluster_id) for info in topo.infos], dtype=bool)
    counts = np.zeros(n, dtype=np.int64)
    if not g.mesh_enabled:
        return None, counts, None
    peer_ok = has & ~rr if new else has
    local_ok = peer_ok  # a reflector renders no mesh from v3.22; v3.20 keeps it in both roles
    locals_ = np.flatnonzero(local_ok)  # node order
    names = np.array(topo.node_names, dtype=object)
    peers = np.flatnonzero(peer_ok)
    peers = peers[np.argsort(names[peers], kind="stable")]  # the mesh walks node names in order
    m_l, m_p = len(locals_), len(peers)
    if m_l == 0 or m_p == 0:
        return None, counts, None
    ips = np.array(ip_int, dtype=object if version == 6 else np.uint32)
    rank = text_rank(ip_text)   # passive: the peer's address is greater as text
    listen = np.array([topo.listen_port(i) for i in range(n)], dtype=np.uint16)
    same = np.array_equal(locals_, np.sort(peers))
    unique_ips = len(set(ip_int[i] for i in peers)) == m_p
    if same and unique_ips:
        # Every eligible node peers with every other: row (a, b) sits at
        # lpos[a] * (m - 1) + nrank[b] - (nrank[b] > nrank[a]).  Per-row values are
        # repeats (local side) or the peer list without the diagonal (remote side).
        m = m_p
        keep = np.ones((m, m), dtype=bool)
        nrank = np.full(n, -1, dtype=np.int64)
        nrank[peers] = np.arange(m)
        keep[np.arange(m), nrank[locals_]] = False

        def by_local(x):
            return np.repeat(x[locals_], m - 1)

        def by_remote(x):
            return np.broadcast_to(x[peers], (m, m))[keep]

        lpos = np.full(n, -1, dtype=np.int64)
        lpos[locals_] = np.arange(m)
        nl, nr = by_local(nrank), by_remote(nrank)
        reverse = by_remote(lpos) * (m - 1) + nl - (nl > nr)
        del nl, nr
    else:
        L = np.repeat(locals_, m_p)
        R = np.tile(peers, m_l)
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

    node = np.arange(n, dtype=np.int32)
    local = by_local(node)
    counts = np.bincount(local, minlength=n).astype(np.int64)
    k = local.shape[0]
    as_l, as_r = by_local(as_of), by_remote(as_of)
    cols = {
        "local": local, "remote": by_remote(node),
        "kind": np.full(k, SessionKind.MESH, dtype=np.uint8),
        "rr_client": np.zeros(k, dtype=bool), "local_cluster_id": by_local(cid),
        "session_cluster_id": by_local(rid), "ebgp": as_l != as_r,
        "keep_next_hop": np.zeros(k, dtype=bool), "allow_local_as": np.zeros(k, dtype=np.uint8),
        "passive": by_remote(rank) > by_local(rank), "local_ip": by_local(ips), "remote_ip": by_remote(ips),
        "local_as": as_l, "remote_as": as_r, "remote_port": by_remote(listen),
        "name_port": np.zeros(k, dtype=np.uint16), "locked_out": np.zeros(k, dtype=bool),
    }
    return cols, counts, reverse




@dataclass
class _Speakers:
    """Per-speaker columns of one family that every part of the layout reads."""

    n: int
    n_speakers: int
    ip_text: list
    ip_int: list
    addr_of: dict
    externals: list
    down: np.ndarray
    router_id: np.ndarray
    as_of: np.ndarray
    cluster_id: np.ndarray
    ext_of: dict = None             # speaker index -> ExternalRouter
    down_speaker: np.ndarray = None  # nodes and Routers that are down


def _speakers(topo, version):
    n = topo.n_nodes
    infos = topo.infos
    ip_text = [info.ip(version) for info in infos]
    ip4_text = [info.ip4 for info in infos] if version == 6 else ip_text
    addr_of = {}
    for i, ip in enumerate(ip_text):
        if ip:
            addr_of.setdefault(ip, i)
    ext = [e for e in topo.externals if e.version == version]
    for e in ext:
        addr_of[e.ip] = e.index
    ext_of = {e.index: e for e in topo.externals}
    down_speaker = np.zeros(n + len(topo.externals), dtype=bool)
    for e in topo.externals:
        down_speaker[e.index] = e.router is not None and e.router.name in topo.down
    n_speakers = n + len(topo.externals)
    down = np.zeros(n, dtype=bool)
    for name in topo.down:
        if name not in {e.router.name for e in topo.externals if e.router is not None}:
            down[topo.cluster.node_index(name)] = True
    down_speaker[:n] = down
    router_id = np.zeros(n_speakers, dtype=np.uint32)
    for i, t in enumerate(ip4_text):
        router_id[i] = _ip_int(t) if t else 0
    for e in topo.externals:
        router_id[e.index] = _ip_int(e.ip) if e.version == 4 else 0
    g = topo.globals
    return _Speakers(
        n=n, n_speakers=n_speakers, ip_text=ip_text, ip_int=[(_ip_int(t) if t else 0) for t in ip_text],
        addr_of=addr_of, externals=ext, down=down, router_id=router_id, ext_of=ext_of, down_speaker=down_speaker,
        as_of=np.array([g.as_number if info.as_number is None else info.as_number for info in infos],
                       dtype=np.uint32),
        cluster_id=np.array([_ip_int(info.rr_cluster_id) if info.rr_cluster_id else 0 for info in infos],
                            dtype=np.uint32),
    )


def _explicit_rows(topo, version, sp):
    """The ``Global_``/``Node_`` rows of every node, then the external routers'
    rows, as records; and how many of them are nodes' rows.

    BIRD 1.6 takes a lock on (neighbour address, port) when a BGP protocol
    starts; a later protocol of the same node toward the same address and port
    waits for it forever (``start``/``Idle``, observed), so it never comes up.
    """
    n, infos, ip_text = sp.n, topo.infos, sp.ip_text
    # who is in the mesh (the rule _mesh_part applies), for the neighbour lock
    in_mesh = [False] * n
    if topo.globals.mesh_enabled:
        leave = reflectors_leave_mesh(topo.calico_version)
        in_mesh = [bool(ip_text[i]) and not (leave and infos[i].rr_cluster_id) for i in range(n)]
    rows = []
    for i, info in enumerate(infos):
        if not ip_text[i]:
            continue
        local_as = int(sp.as_of[i])
        taken = set()
        for p in topo._entries(i, version):
            b = sp.addr_of[p.ip]
            port = p.port or DEFAULT_BGP_PORT
            locked = (p.ip, port) in taken or (
                b < n and in_mesh[i] and in_mesh[b] and ip_text[b] != ip_text[i] and port == topo.listen_port(b))
            taken.add((p.ip, port))
            rows.append(dict(
                locked_out=locked,
                local=i, remote=sp.addr_of[p.ip], kind=_KIND_OF[p.kind], rr_client=p.rr_cluster_id is not None,
                local_cluster_id=int(sp.cluster_id[i]),
                session_cluster_id=_ip_int(p.rr_cluster_id) if p.rr_cluster_id else int(sp.router_id[i]),
                ebgp=p.as_number != local_as, keep_next_hop=p.next_hop_keep, allow_local_as=p.allow_local_as,
                passive=p.passive, local_ip=sp.ip_int[i], remote_ip=_ip_int(p.ip), local_as=local_as,
                remote_as=p.as_number, remote_port=p.port or DEFAULT_BGP_PORT, name_port=p.port or 0,
                password=p.password,
            ))
    n_node_rows = len(rows)
    # external routers peer back with every node configured toward them (first row per node)
    for e in sp.externals:
        done = set()
        for r in rows[:n_node_rows]:
            if r["remote"] == e.index and r["local"] not in done:
                done.add(r["local"])
                j = r["local"]
                rows.append(_router_row(sp, e, j, r["local_ip"], r["local_as"], False, topo.listen_port(j),
                                        r["password"]))
        rows += _router_peer_rows(sp, e)
    return rows, n_node_rows


def _router_row(sp, e, j, remote_ip, remote_as, remote_reflects, port, password=None):
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
        remote_port=port, name_port=0, password=password, locked_out=False,
    )


def _router_peer_rows(sp, e):
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
        out.append(_router_row(sp, e, j, _ip_int(p.ip), p.as_number, reflects, DEFAULT_BGP_PORT))
    return out


def _layout(sp, version, mesh, mesh_counts, rows, n_node_rows):
    """The columns in their final order (per node: its mesh rows, then its
    explicit rows; external routers last), and where the mesh rows and the
    records went."""
    n = sp.n
    n_mesh = 0 if mesh is None else mesh["local"].shape[0]
    exp_local = np.array([r["local"] for r in rows[:n_node_rows]], dtype=np.int64)
    exp_counts = np.bincount(exp_local, minlength=n)[:n] if n_node_rows else np.zeros(n, dtype=np.int64)
    offsets = np.concatenate([[0], np.cumsum(mesh_counts + exp_counts)])
    total_nodes = int(offsets[-1])
    n_rows = total_nodes + (len(rows) - n_node_rows)
    mesh_pos = np.zeros(n_mesh, dtype=np.int64)
    if n_mesh:
        ml = mesh["local"].astype(np.int64)
        mesh_start = np.concatenate([[0], np.cumsum(mesh_counts)])[:-1]
        mesh_pos = offsets[:-1][ml] + (np.arange(n_mesh) - mesh_start[ml])
    exp_pos = np.empty(len(rows), dtype=np.int64)
    if n_node_rows:
        seen = np.zeros(n, dtype=np.int64)
        for k in range(n_node_rows):
            i = rows[k]["local"]
            exp_pos[k] = offsets[i] + mesh_counts[i] + seen[i]
            seen[i] += 1
    exp_pos[n_node_rows:] = total_nodes + np.arange(len(rows) - n_node_rows)
    ip_dtype = np.uint32 if version == 4 else object
    out = {}
    for name, dtype in _COLUMNS.items():
        dt = ip_dtype if dtype is None else dtype
        col = np.zeros(n_rows, dtype=dt) if dt is not object else np.empty(n_rows, dtype=object)
        if n_mesh:
            col[mesh_pos] = mesh[name].astype(dt) if dt is not object else mesh[name]
        if rows:
            vals = [r[name] for r in rows]
            col[exp_pos] = np.array(vals, dtype=dt) if dt is not object else np.array(vals + [None], dtype=object)[:-1]
        out[name] = col
    return out, mesh_pos, exp_pos


def _pair_explicit(topo, sp, out, mesh, mesh_pos, rows, exp_pos, peer_row, established):
    """Pair every explicit row with the other end's row (a mesh row or an
    explicit one) and decide whether the session comes up."""
    n, down = sp.n, sp.down
    mesh_row_of = {}
    if mesh is not None and mesh["local"].shape[0]:
        # only the pairs an explicit row may need
        wanted = {(r["remote"], r["local"]) for r in rows if r["remote"] < n and r["local"] < n}
        if wanted:
            ml64, mr64 = mesh["local"].astype(np.int64), mesh["remote"].astype(np.int64)
            key = ml64 * n + mr64
            want = np.array([a * n + b for a, b in wanted], dtype=np.int64)
            hit = np.flatnonzero(np.isin(key, want))
            mesh_row_of = {(int(ml64[h]), int(mr64[h])): int(mesh_pos[h]) for h in hit}
    by_pair = {}
    for k, r in enumerate(rows):
        by_pair.setdefault((r["local_ip"], r["remote_ip"]), []).append(k)

    def as_record(pos_row):
        return dict(local=int(out["local"][pos_row]), local_as=int(out["local_as"][pos_row]),
                    remote_as=int(out["remote_as"][pos_row]), passive=bool(out["passive"][pos_row]),
                    remote_port=int(out["remote_port"][pos_row]), password=topo.globals.mesh_password
                    if template_release(topo.calico_version).has("mesh_restart_password") else None)

    def compatible(r, s):
        a, b = r["local"], s["local"]
        if sp.down_speaker[a] or sp.down_speaker[b]:
            return False
        if r["remote_as"] != s["local_as"] or s["remote_as"] != r["local_as"]:
            return False
        if (r["passive"] and s["passive"]) or r["password"] != s["password"]:
            return False
        # Each end connects to the other's listen port; a node listens on its own port.
        if b < n and r["remote_port"] != topo.listen_port(b):
            return False
        if a < n and s["remote_port"] != topo.listen_port(a):
            return False
        return True

    for k, r in enumerate(rows):
        cands = []
        a, b = r["local"], r["remote"]
        if (b, a) in mesh_row_of:
            m = mesh_row_of[(b, a)]
            cands.append((m, as_record(m)))
        cands += [(int(exp_pos[c]), rows[c]) for c in by_pair.get((r["remote_ip"], r["local_ip"]), [])
                  if not rows[c]["locked_out"]]
        if not cands:
            continue
        ok = [pos for pos, s in cands if compatible(r, s)]
        peer_row[exp_pos[k]] = ok[0] if ok else cands[0][0]
        established[exp_pos[k]] = bool(ok) and not r["locked_out"]


def build_sessions(topo: Topology, version: int) -> Sessions:
    """The :class:`Sessions` of IP family ``version`` of a
    :class:`~fastroute.bgp.topology.Topology` (what :meth:`Topology.sessions` caches)."""
    sp = _speakers(topo, version)
    n, down = sp.n, sp.down
    mesh, mesh_counts, mesh_reverse = _mesh_part(topo, version, sp.ip_text, sp.ip_int, sp.as_of,
                                                 sp.router_id[:n], sp.cluster_id, down)
    rows, n_node_rows = _explicit_rows(topo, version, sp)
    n_mesh = 0 if mesh is None else mesh["local"].shape[0]
    common = dict(version=version, n_nodes=n, n_speakers=sp.n_speakers, router_id=sp.router_id, down=down)
    if not rows and n_mesh:
        # mesh only (the common small-cluster case): the mesh rows are the layout
        ip_dtype = np.uint32 if version == 4 else object
        out = {}
        for name, dtype in _COLUMNS.items():
            dt = ip_dtype if dtype is None else dtype
            out[name] = mesh[name] if dt is object else mesh[name].astype(dt, copy=False)
        return Sessions(**common, **out, established=~down[mesh["local"]] & ~down[mesh["remote"]],
                        peer_row=mesh_reverse.astype(np.int32))
    out, mesh_pos, exp_pos = _layout(sp, version, mesh, mesh_counts, rows, n_node_rows)
    n_rows = out["local"].shape[0]
    peer_row = np.full(n_rows, -1, dtype=np.int32)
    established = np.zeros(n_rows, dtype=bool)
    if n_mesh:
        peer_row[mesh_pos] = mesh_pos[mesh_reverse]
        established[mesh_pos] = ~down[mesh["local"]] & ~down[mesh["remote"]]
    if rows:
        _pair_explicit(topo, sp, out, mesh, mesh_pos, rows, exp_pos, peer_row, established)
    # both ends must agree (the checks are symmetric, but pairing may not be)
    bad = established & (peer_row >= 0)
    bad[bad] = ~established[peer_row[bad]]
    established[bad] = False
    return Sessions(**common, **out, established=established, peer_row=peer_row)
