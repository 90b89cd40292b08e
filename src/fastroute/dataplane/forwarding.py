"""The forwarding plane: what every node does with a packet, per destination prefix.

One table, built once per :class:`~fastroute.dataplane.routes.RouteTables` from
the propagation result (:mod:`fastroute.bgp.propagate`) and the pools' modes, is
what the rest of the dataplane reads: :mod:`~fastroute.dataplane.routes` renders
it as ``ip route`` text, :mod:`~fastroute.dataplane.trace` walks it hop by hop,
:mod:`~fastroute.dataplane.traffic` maps flows through it and
:mod:`~fastroute.dataplane.verify` closes it transitively.

Its columns are the prefixes some node routes other than its own pods' ``/32``
workload routes: every IPAM block, every exported pod ``/32`` (an address
borrowed from another node's block), in VXLAN pools every address used on
a node other than its block's node, and every prefix a modelled Router
announces (:mod:`fastroute.model.routers`; a blackhole in the Router's own
table, a BGP route elsewhere).  Per speaker (nodes, then external routers)
and column, :attr:`ForwardingPlane.entry` holds the speaker's own route to the
prefix as one int32 *state*: a next-hop speaker (``>= 0``) or ``-1 - outcome``
(:class:`Outcome`: ``DELIVERED`` for a node's own pod, ``BLACKHOLE``,
``NO_ROUTE`` where the table has no route to exactly this prefix).  The rules,
as Calico programs the kernel:

* BIRD (projectcalico/calico ``confd/etc/calico/confd/templates/bird.cfg.template``):
  a static blackhole for each affine block (not for ``/32`` blocks), and the
  best BGP path of every exported prefix outside VXLAN pools, over ``tunl0``
  with IPIP ``Always``, or ``CrossSubnet`` toward a next hop outside the
  node's subnet, else unencapsulated on the uplink;
* Felix, in VXLAN pools (projectcalico/calico ``felix/dataplane/linux/vxlan_mgr.go``):
  from IPAM, not BGP: a route to every other node's block and to every address
  used away from its block's node, through the target node's VTEP (none when it
  has no VXLAN tunnel address), or directly on the uplink with ``CrossSubnet``
  within the subnet; a blackhole (``proto 80``) for its own blocks;
* a stopped node keeps what it had (BIRD's kernel protocol runs with
  ``persist``): its rows come from the plane with every node up.

:attr:`ForwardingPlane.state` resolves the longest-prefix fallback: an address
whose longest column is ``k`` is handled at speaker ``v`` by the first entry
along ``k``'s chain of covering columns (a pod ``/32``, then its block) that
exists, ``NO_ROUTE`` if none does.
"""

from __future__ import annotations

import enum
import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from ..fib import Fib
from ..bgp.propagate import KIND_BLOCK, KIND_POD, KIND_ROUTE, propagate_reference

if TYPE_CHECKING:
    from ..model.cluster import Cluster

__all__ = ["Outcome", "Encap", "ForwardingPlane", "build", "terminal", "outcome_of", "node_addresses"]


class Outcome(enum.IntEnum):
    """Where a packet's walk ends (one vocabulary for routes, trace, traffic and verify)."""

    DELIVERED = 0           # to a pod on the node (or the node itself)
    BLACKHOLE = 1           # into a blackhole route
    NO_ROUTE = 2            # no route matches (the host's own routes take it, if any)
    LOOP = 3                # back at a node it passed
    UNKNOWN_SOURCE = 4      # the source is neither a pod nor a node address
    TTL_EXCEEDED = 5        # the TTL ran out
    LEFT_CLUSTER = 6        # toward a gateway that is no cluster node


class Encap(enum.IntEnum):
    """Encapsulation of a node-to-node leg."""

    NONE = 0
    IPIP = 1
    VXLAN = 2


def terminal(outcome: int) -> int:
    """The state encoding an outcome: ``-1 - outcome`` (states ``>= 0`` are next-hop speakers)."""
    return -1 - int(outcome)


def outcome_of(state: int | np.ndarray) -> int | np.ndarray:
    """The :class:`Outcome` code of a terminal state (array or int)."""
    return -1 - state


_DELIVERED = terminal(Outcome.DELIVERED)
_BLACKHOLE = terminal(Outcome.BLACKHOLE)
_NO_ROUTE = terminal(Outcome.NO_ROUTE)


# ---------------------------------------------------------------------------- addresses


def node_addresses(cluster: Cluster, version: int) -> dict[ipaddress.IPv4Address | ipaddress.IPv6Address, int]:
    """{address: node index} of every node's own addresses (interface and tunnels)."""
    out = {}
    for i, n in enumerate(cluster.nodes):
        for a in ((n.ipv4, n.ipv4_ipip_tunnel_addr, n.ipv4_vxlan_tunnel_addr) if version == 4
                  else (n.ipv6, n.ipv6_vxlan_tunnel_addr)):
            if a is None:
                continue
            ip = getattr(a, "ip", None) or ipaddress.ip_address(str(a).split("/")[0])
            out.setdefault(ip, i)
    return out



def _halves(x, version):
    """An address as (high, low) 64-bit halves of 128 bits (IPv4 in the high bits)."""
    x <<= 96 if version == 4 else 0
    return x >> 64, x & 0xFFFFFFFFFFFFFFFF


class _Subnets:
    """Every node's address and connected subnet, as 128-bit halves (IPv4 and IPv6 alike)."""

    def __init__(self, cluster, version):
        n = cluster.n_nodes
        self.has = np.zeros(n, bool)
        self.ip = np.zeros((n, 2), np.uint64)
        self.net = np.zeros((n, 2), np.uint64)
        self.mask = np.zeros((n, 2), np.uint64)
        width = 32 if version == 4 else 128
        for i, nd in enumerate(cluster.nodes):
            iface = nd.ipv4 if version == 4 else nd.ipv6
            if iface is None:
                continue
            self.has[i] = True
            mask = ((1 << width) - 1) ^ ((1 << (width - iface.network.prefixlen)) - 1)
            self.ip[i] = _halves(int(iface.ip), version)
            self.net[i] = _halves(int(iface.network.network_address), version)
            self.mask[i] = _halves(mask, version)

    def same(self, v, w):
        """Per pair: node w's address lies in node v's subnet (arrays of node indices)."""
        v = np.asarray(v, np.int64)
        w = np.asarray(w, np.int64)
        ok = self.has[v] & self.has[w]
        inside = ((self.ip[w] & self.mask[v]) == self.net[v]).all(axis=-1)
        return ok & inside


def _holders(o, rows):
    """The origins row of the block holding each of `rows` (pod rows), -1 outside every block."""
    width = 32 if o.version == 4 else 128
    bi = np.flatnonzero(o.kind == KIND_BLOCK)
    holder = np.full(len(rows), -1, np.int64)
    if not len(bi) or not len(rows):
        return holder
    obj = o.version == 6
    nets = np.array(o.net, dtype=object if obj else np.int64)
    b_key = nets[bi]
    order = np.argsort(b_key, kind="stable")
    p_key = nets[rows]
    pos = np.searchsorted(b_key[order], p_key, side="right") - 1
    cand = bi[order[np.maximum(pos, 0)]]
    off = p_key - nets[cand]
    if obj:
        span = [1 << (width - int(x)) for x in o.plen[cand]]
        inside = (pos >= 0) & np.array([0 <= a < s for a, s in zip(off, span)], bool)
    else:
        span = np.left_shift(np.int64(1), width - np.asarray(o.plen, np.int64)[cand])
        inside = (pos >= 0) & (off >= 0) & (off < span)
    return np.where(inside, cand, -1)


# ---------------------------------------------------------------------------- the plane


@dataclass
class ForwardingPlane:
    """Per speaker and routed prefix: the state a packet is in after the speaker's decision.

    Attributes
    ----------
    columns : ndarray of int64, shape (k,)
        Rows of ``network.origins`` routed by some node's table (besides workload routes).
    parent : ndarray of int64, shape (k,)
        Column of the block holding a pod column, -1 for blocks and pods outside every block.
    vxlan : ndarray of bool, shape (k,)
        The column's pool is a VXLAN pool: Felix programs it, not BIRD.
    entry, state : ndarray of int32, shape (n_speakers, k)
        The speaker's own route to exactly the column's prefix, and the route it
        uses for an address whose longest column is this one (see the module text).
    entry_encap, state_encap : ndarray of int8, shape (n_speakers, k)
        :class:`Encap` of a forwarding entry/state (0 otherwise).
    col_of : ndarray of int64, shape (origins.n,)
        Column of each origins row, -1 if it is none.
    pod_holder : ndarray of int64, shape (n pod rows,)
        Per origins pod row (in origins order): the row of its block, -1 none.
    """

    version: int
    n_nodes: int
    n_speakers: int
    columns: np.ndarray
    parent: np.ndarray
    vxlan: np.ndarray
    col_of: np.ndarray
    pod_holder: np.ndarray
    subnets: _Subnets
    vteps: list                     # per node: its VXLAN tunnel address (ipaddress), or None
    node_addresses: dict            # {address: node} of the nodes' own addresses
    _network: object = field(repr=False, default=None)
    _propagation: object = field(repr=False, default=None)
    _ecmp: dict = field(repr=False, default_factory=dict)
    _fib: object = field(repr=False, default=None)
    _class_col: np.ndarray = field(repr=False, default=None)    # per column: its class's column in propagation
    _ipip: np.ndarray = field(repr=False, default=None)         # per column: the pool's IPIP mode (_MODES)
    _hop_ip: np.ndarray = field(repr=False, default=None)       # per speaker: its address as halves
    _hop_has: np.ndarray = field(repr=False, default=None)
    _pod_nodes: dict = field(repr=False, default=None)         # pod address -> its node
    _down: tuple = field(repr=False, default=None)     # (stopped nodes, the propagation with every node up)
    _dense: tuple = field(repr=False, default=None)    # (entry, entry_encap, state, state_encap), all speakers
    _block: tuple = field(repr=False, default=None)    # (first speaker, the four arrays of a block of rows)
    _ecmp_row: tuple = field(repr=False, default=(-1, None))

    @property
    def entry(self):
        return self._arrays()[0]

    @property
    def entry_encap(self):
        return self._arrays()[1]

    @property
    def state(self):
        return self._arrays()[2]

    @property
    def state_encap(self):
        return self._arrays()[3]

    def _arrays(self):
        if self._dense is None:
            self._dense = self.rows(0, self.n_speakers)
            self._block = None
        return self._dense

    def rows(self, start, stop):
        """``(entry, entry_encap, state, state_encap)`` of speakers ``start`` to ``stop - 1``, made
        from the propagation's rows alone (a compact propagation stays compact)."""
        entry, encap = _bird_entries(self, start, stop)
        _felix_entries(self, entry, encap, start, stop)
        _local_entries(self, entry, start, stop)
        encap[entry < 0] = Encap.NONE
        state, state_encap = _resolve(entry, encap, self.parent)
        return entry, encap, state, state_encap

    def row(self, v):
        """Speaker ``v``'s row of ``(entry, entry_encap, state, state_encap)``: from the dense
        arrays once they are made, else from a block of rows made around it and kept (one
        block at a time, at most ~32 MB): a per-node question on a large cluster never makes
        the (speakers x prefixes) arrays."""
        if self._dense is not None:
            return tuple(a[v] for a in self._dense)
        per_row = max(1, len(self.columns)) * 10
        size = int(min(256, max(1, (32 << 20) // per_row)))
        first = v - v % size
        if self._block is None or self._block[0] != first:
            self._block = (first, self.rows(first, min(first + size, self.n_speakers)))
        return tuple(a[v - first] for a in self._block[1])

    @property
    def fib(self):
        """The columns' prefixes as a :class:`Fib` (value: column index)."""
        if self._fib is None:
            o = self._network.origins
            cols = self.columns
            if self.version == 4:
                nets = o.nets(cols)
                self._fib = Fib.from_arrays(nets, np.asarray(o.plen)[cols], np.arange(len(cols), dtype=np.int32),
                                            version=4)
            else:
                fib = Fib(6)
                for k, i in enumerate(cols):
                    fib[str(o.prefix(int(i)))] = k
                self._fib = fib
        return self._fib

    def decide(self, v, addr):
        """(state, encap) of speaker v for a packet to `addr` (text or int): its own pod's
        workload route, else the longest column's resolved state."""
        addr = int(ipaddress.ip_address(addr)) if isinstance(addr, str) else int(addr)
        if self._pod_nodes is None:
            o = self._network.origins
            pods = np.flatnonzero(o.kind == KIND_POD)
            self._pod_nodes = {int(o.net[i]): int(o.owner[i]) for i in pods}
        if v < self.n_nodes and self._pod_nodes.get(addr) == v:
            return _DELIVERED, Encap.NONE
        cls = ipaddress.IPv4Address if self.version == 4 else ipaddress.IPv6Address
        k = self.fib.lookup(str(cls(addr))) if len(self.columns) else None
        if k is None:
            return _NO_ROUTE, Encap.NONE
        _, _, state, state_encap = self.row(v)
        return int(state[k]), Encap(int(state_encap[k]))

    def multipath(self, v, k):
        """The next hops of speaker v's multipath route for column k (ECMP), or None."""
        prop = self._propagation
        c = self._class_col[k]
        if c < 0 or not len(prop.classes):
            return None
        if self._ecmp_row[0] != v:
            self._ecmp_row = (v, prop.columns("ecmp_count", np.arange(len(prop.classes)), slice(v, v + 1))[0])
        if self._ecmp_row[1][c] <= 0:
            return None
        if c not in self._ecmp:
            net = self._network
            self._ecmp[c] = propagate_reference(net.speakers, net.graph, [int(prop.classes[c])],
                                                origins=net.origins.route_origins)
        ref = self._ecmp[c]
        return ref.ecmp.get((v, 0), [int(ref.best_next_hop[v, 0])])

    def hop_encap(self, v, k, hop):
        """:class:`Encap` of speaker v's BIRD route in column k toward next hop `hop`."""
        return Encap(int(self._bird_encap(np.array([v]), np.array([hop]), np.array([k]))[0]))

    def _bird_encap(self, v, hop, k):
        """Per element: IPIP ``Always`` -> IPIP; ``CrossSubnet`` -> IPIP unless the hop's
        address lies in v's subnet; else none (IPv6: never IPIP)."""
        out = np.zeros(len(v), np.int8)
        if self.version != 4 or not len(v):
            return out
        mode = self._ipip[k]
        node = v < self.n_nodes
        out[node & (mode == 1)] = Encap.IPIP
        cross = np.flatnonzero(node & (mode == 2))
        if len(cross):
            vv, hh = v[cross], hop[cross]
            sub = self.subnets      # IPv4 lives in the high halves
            inside = sub.has[vv] & self._hop_has[hh] & ((self._hop_ip[hh, 0] & sub.mask[vv, 0]) == sub.net[vv, 0])
            out[cross[~inside]] = Encap.IPIP
        return out


_MODES = {"Never": 0, "Always": 1, "CrossSubnet": 2}


def _columns(o, cluster):
    """(columns, parent, vxlan, pod_holder, col_of) of the plane."""
    vx_pool = np.array([p.vxlan_mode != "Never" for p in cluster.pools] + [False], bool)
    vx = vx_pool[np.asarray(o.pool, np.int64)]
    kind = np.asarray(o.kind)
    owner = np.asarray(o.owner)
    pods = np.flatnonzero(kind == KIND_POD)
    pod_holder = _holders(o, pods)
    block_owner = np.asarray(o.block_owner) if o.block_owner is not None else None
    pick = (kind == KIND_BLOCK) | (kind == KIND_ROUTE)
    pick |= (kind == KIND_POD) & (np.asarray(o.origin) >= 0)
    if block_owner is not None:
        pick |= (kind == KIND_POD) & vx & (owner >= 0) & (owner != block_owner)
    columns = np.flatnonzero(pick).astype(np.int64)
    col_of = np.full(o.n, -1, np.int64)
    col_of[columns] = np.arange(len(columns))
    holder_of = np.full(o.n, -1, np.int64)
    holder_of[pods] = pod_holder
    parent = np.where(holder_of[columns] >= 0, col_of[np.maximum(holder_of[columns], 0)], -1)
    _route_parents(o, columns, parent, kind[columns] == KIND_ROUTE)
    return columns, parent, vx[columns], pod_holder, col_of


def _route_parents(o, columns, parent, is_route):
    """Where a column has no parent (a pod's block) yet, the longest Router
    announcement strictly covering it (a default route covers every block): into
    ``parent``."""
    routes = np.flatnonzero(is_route)
    if not len(routes):
        return
    width = 32 if o.version == 4 else 128
    nets = o.nets(columns)
    nets = nets.astype(np.int64) if o.version == 4 else nets
    plens = np.asarray(o.plen)[columns].astype(np.int64)
    fixed = parent >= 0
    for r in sorted(routes, key=lambda r: int(plens[r])):        # shorter first: longer ones overwrite
        shift = width - int(plens[r])
        cover = np.array(nets >> shift == nets[r] >> shift, bool) & (plens > plens[r]) & ~fixed
        parent[cover] = r


def _bird_entries(plane, start, stop):
    """BIRD's routes of speakers ``start`` to ``stop - 1``: best paths of exported prefixes outside
    VXLAN pools.  A stopped node keeps the routes it had with every node up (``plane._down``)."""
    prop, cc = plane._propagation, plane._class_col
    shape = (stop - start, len(plane.columns))
    if not len(prop.classes):
        return np.full(shape, _NO_ROUTE, np.int32), np.zeros(shape, np.int8)
    cls = np.maximum(cc, 0)
    entry = np.ascontiguousarray(prop.route_columns(cls, slice(start, stop)), np.int32)
    if plane._down is not None:
        # BIRD's kernel protocol persists: a stopped node forwards with the routes it had
        down, up = plane._down
        for d in down[(down >= start) & (down < stop)]:
            entry[d - start] = up.route_columns(cls, slice(int(d), int(d) + 1))[0]
    np.copyto(entry, _NO_ROUTE, where=entry < 0)            # -1 (the origin) and -2 (none)
    entry[:, (cc < 0) | plane.vxlan] = _NO_ROUTE
    encap = np.zeros(shape, np.int8)
    # only IPIP pools encapsulate a BIRD route: the other columns stay 0
    enc_cols = np.flatnonzero(plane._ipip != 0) if plane.version == 4 else np.zeros(0, np.int64)
    if len(enc_cols):
        sub = entry[:, enc_cols]
        v, j = np.nonzero(sub >= 0)
        if len(v):
            encap[v, enc_cols[j]] = plane._bird_encap(v + start, sub[v, j], enc_cols[j])
    return entry, encap


def _felix_entries(plane, entry, encap, start, stop):
    """Felix's VXLAN routes (from IPAM) toward other nodes' blocks and borrowed addresses, into
    the node rows (``start`` to ``stop - 1``) of `entry`/`encap` in VXLAN columns."""
    cluster, o = plane._network.cluster, plane._network.origins
    vcols = np.flatnonzero(plane.vxlan)
    nodes = np.arange(start, min(stop, plane.n_nodes))
    if not len(vcols) or not len(nodes):
        return
    target = np.asarray(o.owner, np.int64)[plane.columns[vcols]]          # the block's node / the pod's node
    cross = np.array([p.vxlan_mode == "CrossSubnet" for p in cluster.pools] + [False],
                     bool)[np.asarray(o.pool, np.int64)[plane.columns[vcols]]]
    has_vtep = np.array([a is not None for a in plane.vteps] + [False], bool)
    v = np.repeat(nodes, len(vcols))
    t = np.tile(target, len(nodes))
    same = plane.subnets.same(v, np.maximum(t, 0)) & np.tile(cross, len(nodes)) & (t >= 0)
    ok = (t >= 0) & (t != v) & (same | has_vtep[t])
    st = np.where(ok, t, _NO_ROUTE).astype(np.int32)
    enc = np.where(ok & ~same, Encap.VXLAN, Encap.NONE).astype(np.int8)
    entry[np.ix_(nodes - start, vcols)] = st.reshape(len(nodes), len(vcols))
    encap[np.ix_(nodes - start, vcols)] = enc.reshape(len(nodes), len(vcols))


def _local_entries(plane, entry, start, stop):
    """Blackholes of each node's own blocks (BIRD's static, Felix's in VXLAN pools; none for /32
    blocks) and delivery of a node's own pods, in the rows of speakers ``start`` to ``stop - 1``."""
    o = plane._network.origins
    cols = plane.columns
    kind = np.asarray(o.kind)[cols]
    owner = np.asarray(o.owner, np.int64)[cols]
    here = (owner >= start) & (owner < stop)
    k = np.arange(len(cols))
    width = 32 if plane.version == 4 else 128
    hole = here & (kind == KIND_BLOCK) & (np.asarray(o.plen)[cols] < width)
    entry[owner[hole] - start, k[hole]] = _BLACKHOLE
    # a Router's own announcements: blackholes in its table (in every Router that announces one)
    origin = np.asarray(o.origin, np.int64)[cols]
    for j in np.flatnonzero(kind == KIND_ROUTE):
        for sp in (o.route_origins or {}).get(int(origin[j]), (int(owner[j]),)):
            if start <= sp < stop:
                entry[sp - start, j] = _BLACKHOLE
    pod = here & (kind == KIND_POD)
    entry[owner[pod] - start, k[pod]] = _DELIVERED


def _resolve(entry, encap, parent):
    """Longest-prefix fallback along the chain of covering columns."""
    state = entry.copy()
    s_enc = encap.copy()
    p = parent.copy()
    while (p >= 0).any():
        has = p >= 0
        pc = np.maximum(p, 0)
        miss = (state == _NO_ROUTE) & has[None, :]
        state = np.where(miss, entry[:, pc], state)
        s_enc = np.where(miss, encap[:, pc], s_enc)
        p = np.where(has, parent[pc], -1)
    return state, s_enc


def build(tables: "RouteTables") -> ForwardingPlane:  # noqa: F821 -- dataplane.routes imports this module
    """The forwarding plane of a :class:`~fastroute.dataplane.routes.RouteTables`
    (use ``tables.plane``: it is built once and kept)."""
    net = tables.network
    prop = tables.propagation
    cluster = tables.cluster
    o = net.origins
    version = tables.version
    n = cluster.n_nodes
    n_sp = net.speakers.n
    columns, parent, vx, pod_holder, col_of = _columns(o, cluster)
    vteps = []
    for nd in cluster.nodes:
        a = nd.ipv4_vxlan_tunnel_addr if version == 4 else nd.ipv6_vxlan_tunnel_addr
        vteps.append(ipaddress.ip_address(str(a).split("/")[0]) if a is not None else None)
    plane = ForwardingPlane(version, n, n_sp, columns, parent, vx, col_of, pod_holder, _Subnets(cluster, version),
                            vteps, node_addresses(cluster, version), net, prop)
    plane._ipip = np.array([_MODES.get(p.ipip_mode, 0) for p in cluster.pools] + [0],
                           np.int8)[np.asarray(o.pool, np.int64)[columns]]
    hop_ip = np.zeros((max(n_sp, 1), 2), np.uint64)
    hop_has = np.zeros(max(n_sp, 1), bool)
    for i, ip in enumerate(net.speakers.ip):
        if ip is not None:
            hop_ip[i] = _halves(int(ip), version)
            hop_has[i] = True
    plane._hop_ip, plane._hop_has = hop_ip, hop_has
    origin = np.asarray(o.origin)[columns]
    class_col = np.full(max(int(np.asarray(o.origin).max(initial=-1)) + 1, 1), -1, np.int64)
    class_col[prop.classes] = np.arange(len(prop.classes))
    plane._class_col = np.where(origin >= 0, class_col[np.maximum(origin, 0)], -1)
    down = np.flatnonzero([name in net.down for name in cluster.node_names])
    if len(down) and tables.up_tables is not None:
        plane._down = (down, tables.up_tables.propagation)
    return plane
