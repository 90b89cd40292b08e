"""confd's peer expansion for a whole cluster at once, as integer arrays.

The rules are :mod:`fastroute.bgp.peers`' (confd's ``updatePeersV1``,
``nodeAsBGPPeers``, ``nodesWithIPPortAndAS`` in projectcalico/calico
``confd/pkg/backends/calico/client.go``): the global pass, the node pass and the
reverse pass, an existing entry always winning and a node entry giving way to a
global one with the same address and port.  Here every entry is one row of a
:class:`PeerTable` instead of a :class:`~fastroute.bgp.birdview.PeerData`: an entry
taken from a node (a selector peering, the reverse pass) is the node's index,
family and BGPPeer; only ``peerIP`` entries, a handful per BGPPeer, are
``PeerData``.  Addresses are integer ids numbered in the order of their text, so
"greater as text" (confd's passive rule) and "sorted by key" (confd lists peers by
``<ip>`` or ``<ip>-<port>``) are integer comparisons.

:func:`fastroute.bgp.peers.expand_peers` stays the per-entry reference;
:meth:`PeerTable.global_peers` and :meth:`PeerTable.node_peers` give the same
lists from the table (tests hold the two equal).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from .birdview import NodeInfo, PeerData
from .peers import confd_passes, missing_as_error, peer_common_fields, reverse_sides, split_peer_ip, where_in
from ..addr import format_addresses
from ..errors import choice
from ..model.selector import Selector

if TYPE_CHECKING:
    from ..model.cluster import Cluster
    from ..model.kinds import BGPConfiguration
    from .birdview import BgpGlobals

__all__ = ["NEXT_HOP_MODES", "NodeColumns", "PeerTable", "node_columns", "peer_table"]

#: BGPPeer ``nextHopMode`` as :attr:`PeerTable.next_hop_mode` codes (0: unset or ``Auto``, BIRD's default)
NEXT_HOP_MODES = {None: 0, "Auto": 0, "Self": 1, "Keep": 2}


def _mode_code(mode):
    """The :data:`NEXT_HOP_MODES` code of ``mode``; InvalidValueError for another value."""
    return NEXT_HOP_MODES[choice(mode, tuple(NEXT_HOP_MODES), "BGPPeer nextHopMode")]


@dataclass
class NodeColumns:
    """What confd reads of every node, as arrays in node order.

    ``text[v]`` is the node's address of family ``v`` as confd writes it (``""``:
    none), ``addr[v]`` the same as an integer (uint32 for IPv4, Python ints in an
    object array for IPv6, 0 for none), ``aid[v]`` its address id (-1 for none),
    ``as_number`` the node's AS (the global one when unset), ``cluster_id`` its
    ``routeReflectorClusterID`` as an integer (0: not a reflector) and
    ``cluster_id_text`` as text, ``listen_port`` its per-node listen port (0: unset).
    """

    names: tuple
    text: dict
    addr: dict
    has: dict
    as_number: np.ndarray
    cluster_id: np.ndarray
    cluster_id_text: list
    listen_port: np.ndarray
    aid: dict = None

    @property
    def n(self):
        return len(self.names)

    def node_port(self, global_port):
        """Each node's BGP port as a peer entry carries it (0: none set)."""
        return np.where(self.listen_port > 0, self.listen_port, global_port or 0)


def _check_node(node, listen_port, seen_as, seen_ids):
    """Raise what :class:`NodeInfo` raises for ``node``, checking each distinct AS and
    cluster id once."""
    asn, cid = node.asn, node.rr_cluster_id or ""
    if type(node.ipv4) is not ipaddress.IPv4Interface and node.ipv4 is not None \
            or type(node.ipv6) is not ipaddress.IPv6Interface and node.ipv6 is not None \
            or not isinstance(node.name, str) or not node.name \
            or (asn is not None and asn not in seen_as) or (cid and cid not in seen_ids):
        NodeInfo(name=node.name, ipv4_address=None if node.ipv4 is None else str(node.ipv4),
                 ipv6_address=None if node.ipv6 is None else str(node.ipv6), as_number=asn,
                 rr_cluster_id=cid, listen_port=listen_port)
        if asn is not None:
            seen_as.add(asn)
        if cid:
            seen_ids.add(cid)


def _interface_int(value, version):
    """The address of an interface (an ``ipaddress`` interface or its text) as an int."""
    if value is None:
        return 0
    if type(value) is (ipaddress.IPv4Interface if version == 4 else ipaddress.IPv6Interface):
        return int(value)
    return int(ipaddress.ip_interface(str(value)))


def node_columns(cluster: Cluster, global_as: int, per_node_configs: dict[str, BGPConfiguration]) -> NodeColumns:
    """The :class:`NodeColumns` of ``cluster`` (``per_node_configs``: :func:`~fastroute.bgp.peers.node_configs`).

    Raises
    ------
    InvalidAddressError, InvalidValueError
        What :class:`NodeInfo` raises for the first node it refuses.
    """
    nodes = cluster.nodes
    n = len(nodes)
    listen = np.zeros(n, np.int64)
    index = {name: i for i, name in enumerate(cluster.node_names)} if per_node_configs else {}
    for name, cfg in per_node_configs.items():
        i = index.get(name)
        if i is not None and cfg.listen_port is not None:
            listen[i] = cfg.listen_port
    seen_as, seen_ids = set(), set()
    for i, node in enumerate(nodes):
        _check_node(node, int(listen[i]) or None, seen_as, seen_ids)
    v4 = np.fromiter((_interface_int(node.ipv4, 4) for node in nodes), np.uint32, n)
    has4 = np.fromiter((node.ipv4 is not None for node in nodes), bool, n)
    has6 = np.fromiter((node.ipv6 is not None for node in nodes), bool, n)
    v6 = np.zeros(n, object)
    v6[:] = 0
    text = {4: [""] * n, 6: [""] * n}
    for k, t in zip(np.flatnonzero(has4).tolist(), format_addresses(v4[has4])):
        text[4][k] = t
    if has6.any():
        idx = np.flatnonzero(has6).tolist()
        ints = [_interface_int(nodes[k].ipv6, 6) for k in idx]
        v6[idx] = ints
        words = np.array([[x >> 64, x & 0xFFFFFFFFFFFFFFFF] for x in ints], np.uint64).reshape(-1, 2)
        for k, t in zip(idx, format_addresses(words)):
            text[6][k] = t
    cid_text = [node.rr_cluster_id or "" for node in nodes]
    ids = {t: int(ipaddress.IPv4Address(t)) for t in set(cid_text) if t}
    cid = np.fromiter((ids[t] if t else 0 for t in cid_text), np.uint32, n)
    asn = np.fromiter((global_as if node.asn is None else node.asn for node in nodes), np.int64, n)
    return NodeColumns(tuple(cluster.node_names), text, {4: v4, 6: v6}, {4: has4, 6: has6}, asn.astype(np.uint32),
                       cid, cid_text, listen)


# --------------------------------------------------------------------------- the expansion


class _Emitter:
    """The passes of :func:`~fastroute.bgp.peers.expand_peers`, emitting rows instead of entries.

    A *field* is one entry's contents: ``(node, family)`` with the BGPPeer's common
    fields for an entry taken from a node, or a ``PeerData`` for a ``peerIP`` one.
    """

    def __init__(self, cluster, cols, globals_):
        self.cluster = cluster
        self.cols = cols
        self.globals = globals_
        self.global_as = globals_.as_number
        self.labels = [n.labels for n in cluster.nodes]
        self.index = {name: i for i, name in enumerate(cols.names)}
        self.secrets = getattr(cluster, "secrets", ())
        self._matched = {}
        self._texts = None
        self.datas = []          # PeerData of peerIP fields
        self.commons = []        # per BGPPeer pass: the fields every entry of it gets
        self.f_node, self.f_fam, self.f_data, self.f_common = [], [], [], []
        self.e_local, self.e_field = [], []
        self.n_fields = 0

    def node_port(self, i):
        p = int(self.cols.listen_port[i])
        return p if p else (self.globals.listen_port or 0)

    def matching(self, text, where):
        hit = self._matched.get(text)
        if hit is None:
            sel = Selector(text, where)
            hit = self._matched[text] = np.array([i for i, lab in enumerate(self.labels) if sel.matches(lab)],
                                                 np.int64)
        return hit

    def owners(self, ip):
        """Nodes with address ``ip`` (either family), in node order."""
        c = self.cols
        if ip not in self.node_texts():
            return []
        return [i for i in range(c.n) if ip in (c.text[4][i], c.text[6][i])]

    def node_texts(self):
        if self._texts is None:
            self._texts = (set(self.cols.text[4]) | set(self.cols.text[6])) - {""}
        return self._texts

    def nodes_with_ip_port_as(self, ip, asn, port):
        want_as = self.global_as if not asn else asn
        c = self.cols
        gp = self.globals.listen_port
        out = []
        for i in self.owners(ip):
            if int(c.as_number[i]) != want_as:
                continue
            own = int(c.listen_port[i])
            if port and ((own and own != port) or (not own and gp and gp != port)):
                continue
            out.append(i)
        return out

    def node_fields(self, nodes, common, v4=True, v6=True):
        """Fields of ``nodes`` (node-major, IPv4 before IPv6) with one BGPPeer's common fields."""
        nodes = np.asarray(nodes, np.int64)
        c = self.cols
        ok = np.stack([c.has[4][nodes] & v4, c.has[6][nodes] & v6], axis=1).ravel()
        j = np.repeat(nodes, 2)[ok]
        f = np.tile(np.array([4, 6], np.int64), len(nodes))[ok]
        self.commons.append(common)
        return self.add_fields(j, f, np.full(len(j), -1), np.full(len(j), len(self.commons) - 1))

    def data_field(self, data):
        self.datas.append(data)
        return self.add_fields(np.array([-1]), np.array([6 if ":" in data.ip else 4]),
                               np.array([len(self.datas) - 1]), np.array([-1]))

    def add_fields(self, node, fam, data, common):
        start = self.n_fields
        self.f_node.append(node)
        self.f_fam.append(fam)
        self.f_data.append(data)
        self.f_common.append(common)
        self.n_fields += len(node)
        return np.arange(start, self.n_fields, dtype=np.int64)

    def emit(self, fields, local):
        """Every field toward every local node (field-major); ``local`` None: global entries."""
        if local is None:
            self.e_local.append(np.full(len(fields), -1, np.int64))
            self.e_field.append(fields)
            return
        local = np.asarray(local, np.int64)
        self.e_local.append(np.tile(local, len(fields)))
        self.e_field.append(np.repeat(fields, len(local)))

    def forward(self, peer, global_pass):
        if peer.node_selector:
            local = self.matching(peer.node_selector, where_in(peer, "spec.nodeSelector"))
        elif peer.node:
            local = [self.index[peer.node]] if peer.node in self.index else []
        else:
            local = []
        common = peer_common_fields(peer, self.secrets)
        if peer.peer_selector:
            fields = self.node_fields(self.matching(peer.peer_selector, where_in(peer, "spec.peerSelector")), common)
        elif peer.peer_ip:
            ip, port = split_peer_ip(peer.peer_ip, where_in(peer, "spec.peerIP"))
            asn = peer.as_number
            if asn is None:
                owners = self.owners(ip)
                if not owners:
                    raise missing_as_error(peer)
                asn = int(self.cols.as_number[owners[0]])
            if port == 0:
                nodes = self.nodes_with_ip_port_as(ip, peer.as_number, 0)
                if nodes:
                    port = self.node_port(nodes[0])
            fields = self.data_field(PeerData(
                ip=ip, as_number=asn, port=port or None, calico_node=ip in self.node_texts(),
                keep_next_hop=bool(peer.keep_original_next_hop),
                num_allow_local_as=int(peer.num_allowed_local_as_numbers or 0),
                reachable_by=peer.reachable_by or None, local_as_number=peer.local_as_number, **common))
        else:
            return
        self.emit(fields, None if global_pass else local)

    def reverse(self, peer):
        sides = reverse_sides(peer, self)
        if sides is None:
            return
        local, remote, v4, v6 = sides
        common = peer_common_fields(peer, self.secrets)
        self.emit(self.node_fields(remote, common, v4, v6), local)

    @property
    def n_nodes(self):
        return self.cols.n

    def run(self):
        confd_passes(self.cluster, self.forward, self.reverse)
        return PeerTable.build(self)


def _cat(parts, dtype=np.int64):
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.zeros(0, dtype)


@dataclass
class PeerTable:
    """Every ``peer_v4``/``peer_v6`` entry of a cluster, one row each, in confd's
    emission order (global entries have ``node`` -1).

    Per row: ``fam`` (4 or 6), ``src`` (the node the entry was taken from, -1 for a
    ``peerIP`` entry, whose contents are ``datas[data]``), ``common`` (the BGPPeer's
    common fields, ``commons[common]``), ``aid`` (address id: ``addr_text[aid]``,
    numbered in text order), ``port`` (0: none), ``as_number``, ``cluster_id``
    (id of the peer's cluster id text, 0: none), ``calico_node``, ``keep_next_hop``,
    ``allow_local_as``, ``password`` (id into ``passwords``, 0: none), ``local_as``
    (BGPPeer ``localASNumber``, 0: none), ``next_hop_mode`` (BGPPeer ``nextHopMode`` as a
    :data:`NEXT_HOP_MODES` code).
    """

    cols: NodeColumns
    node: np.ndarray
    fam: np.ndarray
    src: np.ndarray
    data: np.ndarray
    common: np.ndarray
    aid: np.ndarray
    port: np.ndarray
    as_number: np.ndarray
    cluster_id: np.ndarray
    calico_node: np.ndarray
    keep_next_hop: np.ndarray
    allow_local_as: np.ndarray
    password: np.ndarray
    local_as: np.ndarray
    next_hop_mode: np.ndarray
    addr_text: list
    datas: list
    commons: list
    passwords: list
    cluster_id_texts: list

    @classmethod
    def build(cls, em):
        cols = em.cols
        f_node, f_fam = _cat(em.f_node), _cat(em.f_fam)
        f_data, f_common = _cat(em.f_data), _cat(em.f_common)
        e_local, e_field = _cat(em.e_local), _cat(em.e_field)
        # address ids in text order: every node address and every peerIP
        texts = sorted(set(cols.text[4]) | set(cols.text[6]) | {d.ip for d in em.datas} - {""})
        pos = {t: k for k, t in enumerate(texts)}
        aid = {v: np.array([pos.get(t, -1) for t in cols.text[v]], np.int64) for v in (4, 6)}
        cols.aid = aid
        node_port = cols.node_port(em.globals.listen_port)
        # per field
        is_node = f_node >= 0
        j = np.where(is_node, f_node, 0)
        f_aid = np.where(f_fam == 4, aid[4][j], aid[6][j]) if len(j) else np.zeros(0, np.int64)
        f_port = node_port[j] if len(j) else np.zeros(0, np.int64)
        f_as = cols.as_number[j].astype(np.int64) if len(j) else np.zeros(0, np.int64)
        cid_texts = [""] + sorted(set(cols.cluster_id_text) - {""})
        cid_pos = {t: k for k, t in enumerate(cid_texts)}
        node_cid = np.array([cid_pos[t] for t in cols.cluster_id_text], np.int64)
        f_cid = node_cid[j] if len(j) else np.zeros(0, np.int64)
        f_calico = np.zeros(len(j), bool)
        f_keep = np.zeros(len(j), bool)
        f_allow = np.zeros(len(j), np.int64)
        passwords = [None]
        pw_pos = {None: 0}

        def pw(value):
            if value not in pw_pos:
                pw_pos[value] = len(passwords)
                passwords.append(value)
            return pw_pos[value]

        common_pw = np.array([pw(c["password"]) for c in em.commons] or [0], np.int64)
        f_pw = common_pw[np.where(f_common >= 0, f_common, 0)] if len(j) else np.zeros(0, np.int64)
        common_mode = np.array([_mode_code(c["next_hop_mode"]) for c in em.commons] or [0], np.uint8)
        f_mode = common_mode[np.where(f_common >= 0, f_common, 0)] if len(j) else np.zeros(0, np.uint8)
        f_local_as = np.zeros(len(j), np.int64)
        for k in np.flatnonzero(~is_node).tolist():
            d = em.datas[f_data[k]]
            f_aid[k], f_port[k], f_as[k] = pos[d.ip], d.port or 0, d.as_number
            f_fam[k] = 6 if ":" in d.ip else 4
            if d.rr_cluster_id not in cid_pos:
                cid_pos[d.rr_cluster_id] = len(cid_texts)
                cid_texts.append(d.rr_cluster_id)
            f_cid[k] = cid_pos[d.rr_cluster_id]
            f_calico[k], f_keep[k], f_allow[k] = d.calico_node, d.keep_next_hop, d.num_allow_local_as
            f_pw[k] = pw(d.password)
            f_local_as[k], f_mode[k] = d.local_as_number or 0, _mode_code(d.next_hop_mode)
        # the first entry of each key wins; a node entry gives way to a global one
        n_addr, n_port = max(len(texts), 1), 65536
        ea, ep = f_aid[e_field], f_port[e_field]
        key = ((e_local + 1) * n_addr + ea) * n_port + ep
        _, first = np.unique(key, return_index=True)
        keep = np.zeros(len(key), bool)
        keep[first] = True
        is_global = e_local < 0
        gkey = ea[is_global] * n_port + ep[is_global]
        keep &= is_global | ~np.isin(ea * n_port + ep, gkey)
        rows = np.flatnonzero(keep)
        fr = e_field[rows]
        return cls(
            cols=cols, node=e_local[rows], fam=f_fam[fr], src=f_node[fr], data=f_data[fr], common=f_common[fr],
            aid=f_aid[fr], port=f_port[fr], as_number=f_as[fr], cluster_id=f_cid[fr], calico_node=f_calico[fr],
            keep_next_hop=f_keep[fr], allow_local_as=f_allow[fr], password=f_pw[fr], local_as=f_local_as[fr],
            next_hop_mode=f_mode[fr], addr_text=texts,
            datas=em.datas, commons=em.commons, passwords=passwords, cluster_id_texts=cid_texts,
        )

    @property
    def node_cluster_id(self):
        """Each node's cluster id as an id into ``cluster_id_texts`` (0: none)."""
        pos = {t: k for k, t in enumerate(self.cluster_id_texts)}
        return np.array([pos[t] for t in self.cols.cluster_id_text], np.int64)

    def peer_data(self, r):
        """The :class:`PeerData` of row ``r``."""
        if self.src[r] < 0:
            return self.datas[self.data[r]]
        key = (int(self.src[r]), int(self.fam[r]), int(self.common[r]))
        cache = self.__dict__.setdefault("_made", {})
        data = cache.get(key)
        if data is None:       # one object per field, shared by every node that has the entry
            j, v, c = key
            data = cache[key] = PeerData(ip=self.cols.text[v][j], as_number=int(self.as_number[r]),
                                         rr_cluster_id=self.cols.cluster_id_text[j], port=int(self.port[r]) or None,
                                         **self.commons[c])
        return data

    def global_peers(self):
        """The ``/global/peer_v*`` entries (as :func:`~fastroute.bgp.peers.expand_peers` lists them)."""
        return [self.peer_data(r) for r in np.flatnonzero(self.node < 0).tolist()]

    def node_peers(self, i):
        """Node ``i``'s ``/host/<node>/peer_v*`` entries, in confd's order."""
        by = self.__dict__.get("_by_node")
        if by is None:
            order = np.argsort(self.node, kind="stable")
            starts = np.searchsorted(self.node[order], np.arange(self.cols.n + 1))
            by = self._by_node = (order, starts)
        order, starts = by
        return [self.peer_data(r) for r in order[starts[i]:starts[i + 1]].tolist()]

    def key_order(self, rows):
        """``rows`` sorted by confd's peer key (the address, then ``-<port>``, as text;
        no character of an address sorts before ``-``, so that is address id, then port text)."""
        rows = np.asarray(rows, np.int64)
        ports = self.port[rows]
        distinct = np.unique(ports)
        text_rank = np.argsort(np.argsort([str(p) if p else "" for p in distinct.tolist()], kind="stable"))
        pr = text_rank[np.searchsorted(distinct, ports)] if len(rows) else ports
        return rows[np.lexsort((pr, self.aid[rows]))]

    def entry_rows(self, version):
        """The ``Global_``/``Node_`` entries every node renders in family ``version``, in
        ``bird.cfg`` order (per node: global entries, then its own, each sorted by key;
        none toward the node's own address).

        Returns ``(local, row, kind)``: the node, the table row, 2 for ``Global``,
        1 for ``Node`` (:class:`~fastroute.bgp.sessions.SessionKind`).
        """
        cols = self.cols
        has = cols.has[version]
        nodes = np.flatnonzero(has)
        g = self.key_order(np.flatnonzero((self.node < 0) & (self.fam == version)))
        mine = np.flatnonzero((self.node >= 0) & (self.fam == version))
        mine = mine[has[self.node[mine]]]
        mine = self.key_order(mine)
        mine = mine[np.argsort(self.node[mine], kind="stable")]
        gl = np.repeat(nodes, len(g))
        gr = np.tile(g, len(nodes))
        local = np.concatenate([gl, self.node[mine]])
        row = np.concatenate([gr, mine])
        kind = np.concatenate([np.full(len(gr), 2, np.int64), np.ones(len(mine), np.int64)])
        own = cols.aid[version][local]
        ok = self.aid[row] != own
        local, row, kind = local[ok], row[ok], kind[ok]
        order = np.lexsort((np.arange(len(local)), 2 - kind, local))
        return local[order], row[order], kind[order]


def peer_table(cluster: Cluster, cols: NodeColumns, globals_: BgpGlobals) -> PeerTable:
    """The :class:`PeerTable` of ``cluster`` (``cols``: :func:`node_columns`).

    Raises what :func:`~fastroute.bgp.peers.expand_peers` raises.
    """
    return _Emitter(cluster, cols, globals_).run()

