"""The per-row reference of :func:`fastroute.bgp.sessions.build_sessions`: every
``Global_``/``Node_`` row as a record, from the per-entry peer expansion
(:func:`fastroute.bgp.peers.expand_peers`) and the per-node :class:`NodeInfo` s, paired
candidate by candidate.  It is the executable specification the vectorised layout is
held to (tests compare the two on random clusters); nothing else calls it.

BIRD 1.6's rules reproduced: ``proto/bgp/bgp.c`` (``bgp_start_locked``: one protocol
per neighbour address and port) and the pairing of the two ends of a session.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .birdcfg import explicit_peer
from .peers import DEFAULT_BGP_PORT, expand_peers, node_infos
from .sessions import (
    SESSION_COLUMNS,
    SessionKind,
    Sessions,
    ip_int as _ip_int,
    mesh_only,
    mesh_part,
    router_peer_rows,
    router_row,
    speakers,
)
from ..model.calico import reflectors_leave_mesh, template_release

if TYPE_CHECKING:
    from .topology import Topology

__all__ = ["reference_entries", "reference_sessions"]

_KIND_OF = {"Mesh": SessionKind.MESH, "Node": SessionKind.NODE, "Global": SessionKind.GLOBAL}
_COLUMNS = SESSION_COLUMNS

def _peer_key(d):
    # confd lists peer keys in order: the address, then "-<port>" when one is set.
    return f"{d.ip}-{d.port}" if d.port else d.ip


class _Reference:
    """What the per-row path reads of a topology, from the per-entry expansion."""

    def __init__(self, topo):
        self.topo = topo
        self.infos = node_infos(topo.cluster)
        self.global_peers, self.node_peers = expand_peers(topo.cluster, self.infos, topo.globals)
        self.global_sorted = sorted(self.global_peers, key=_peer_key)
        self.globals = topo.globals
        self.calico_version = topo.calico_version
        self.externals = topo.externals
        self.down = topo.down
        self.cluster = topo.cluster
        self.n_nodes = len(self.infos)

    def listen_port(self, i):
        p = self.infos[i].listen_port
        if p is not None:
            return p
        return self.globals.listen_port or DEFAULT_BGP_PORT

    def _entries(self, i, version):
        """Node ``i``'s ``Global_``/``Node_`` protocols of family ``version`` as ``bird.cfg``
        renders them (:class:`~fastroute.bgp.birdview.BirdPeer`), in order."""
        info = self.infos[i]
        local_ip = info.ip(version)
        out = []
        if local_ip:
            for kind, group in (("Global", self.global_sorted),
                                ("Node", sorted(self.node_peers[info.name], key=_peer_key))):
                for d in group:
                    if (":" in d.ip) != (version == 6) or d.ip == local_ip:
                        continue
                    out.append(explicit_peer(info, d, kind, self.globals, version, self.calico_version))
        return out


def reference_entries(topo: Topology) -> list[tuple[str, int, int]]:
    """The external routers the per-entry path finds, as ``(ip, as_number, version)``
    in speaker order (what :attr:`Topology.externals` holds before Routers are added)."""
    ref = _Reference(topo)
    node_ips = {ip for info in ref.infos for ip in (info.ip4, info.ip6) if ip}
    seen, out = set(), []
    for version in (4, 6):
        for i in range(ref.n_nodes):
            for p in ref._entries(i, version):
                if p.ip not in node_ips and p.ip not in seen:
                    seen.add(p.ip)
                    out.append((p.ip, p.as_number, version))
    return out


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
        taken = set()
        for p in topo._entries(i, version):
            b = sp.addr_of[p.ip]
            port = p.port or DEFAULT_BGP_PORT
            locked = (p.ip, port) in taken or (
                b < n and in_mesh[i] and in_mesh[b] and ip_text[b] != ip_text[i] and port == topo.listen_port(b))
            taken.add((p.ip, port))
            # bird.cfg's `local as` inside the protocol replaces the template's; `next hop self`
            # comes after `next hop keep` and wins (BIRD 1.6 proto/bgp/config.Y)
            local_as = int(sp.as_of[i]) if p.local_as is None else p.local_as
            rows.append(dict(
                locked_out=locked,
                local=i, remote=sp.addr_of[p.ip], kind=_KIND_OF[p.kind], rr_client=p.rr_cluster_id is not None,
                local_cluster_id=int(sp.cluster_id[i]),
                session_cluster_id=_ip_int(p.rr_cluster_id) if p.rr_cluster_id else int(sp.router_id[i]),
                ebgp=p.as_number != local_as, keep_next_hop=p.next_hop_keep and not p.next_hop_self,
                next_hop_self=p.next_hop_self, allow_local_as=p.allow_local_as,
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
                rows.append(router_row(sp, e, j, r["local_ip"], r["local_as"], False, topo.listen_port(j),
                                        r["password"]))
        rows += router_peer_rows(sp, e)
    return rows, n_node_rows


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


def reference_sessions(topo: Topology, version: int) -> Sessions:
    """:func:`fastroute.bgp.sessions.build_sessions`, row by row (the mesh part is shared)."""
    topo = _Reference(topo)
    sp = _speakers(topo, version)
    n, down = sp.n, sp.down
    mesh, mesh_counts, mesh_reverse, _ = mesh_part(topo.topo, version, speakers(topo.topo, version))
    rows, n_node_rows = _explicit_rows(topo, version, sp)
    n_mesh = 0 if mesh is None else mesh["local"].shape[0]
    common = dict(version=version, n_nodes=n, n_speakers=sp.n_speakers, router_id=sp.router_id, down=down)
    if not rows and n_mesh:
        return mesh_only(common, mesh, mesh_reverse)
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
