"""What every node's BIRD learns and which route its kernel ends up with.

The computation, for one IP version:

1. **Origination** (:func:`originations`): what each node's export filter lets
   out, as Calico's ``bird_aggr.cfg``/``bird_ipam.cfg`` decide it: the aggregate
   of each affine block (a static blackhole), the /32 (/128) of each local pod
   whose address was borrowed from a block affine to another node (learned from
   Felix's kernel route), nothing more specific inside the node's own blocks, and
   nothing from a ``disableBGPExport`` pool.  Every prefix a node exports leaves it
   with the same attributes (ORIGIN IGP, next hop = the session's source address),
   so all of them propagate alike: a node's exports form one *route class*.
2. **Propagation** (:func:`propagate`): each class spreads over the established
   BGP sessions to its steady state under BIRD 1.6's rules: no route back to the
   session it came from, iBGP split horizon (within one local AS) unless a side is an
   ``rr client`` (RFC 4456 reflection with ORIGINATOR_ID and CLUSTER_LIST, and their
   loop checks), the protocol's local AS prepended and next-hop-self on eBGP, next hop
   kept on iBGP, unless ``next hop self``/``keep`` says otherwise.  Calico's sessions run ``add paths on``, so a Calico speaker passes on every
   path it may, not only its best.  An external router learns but, unless its
   ``announces`` flag is set, announces nothing (fastroute cannot see its
   configuration; :mod:`fastroute.bgp.topology` and the BIRD emulation assume the same).
3. **Best path** per (node, class) in BIRD 1.6's ``bgp_rte_better`` order, with
   the step that decided it and the ECMP set that ``merge paths on`` installs.
4. **Kernel routes** (:mod:`fastroute.dataplane.routes`): the best path of each class,
   rendered per pool mode for every prefix of the class.

Two implementations produce the same :class:`Propagation`: ``method="fast"``
(the Cython kernel in ``_propagate.pyx``) and ``method="reference"``, a plain
Python worklist kept as the specification the fast path is tested against.
Both raise :class:`~fastroute.errors.ConvergenceError` when a class does not
settle.
"""

import ipaddress
from dataclasses import dataclass

import numpy as np

from ..addr import IntColumn
from ..errors import ConvergenceError, InvalidValueError, choice
# BIRD's constants and the best-path steps (Reason) are defined once, in the kernel's _propagate.pxd
from ._propagate import DEFAULT_LOCAL_PREF, IGP_METRIC_UNKNOWN, PREF_BGP, PREF_STATIC, Reason, Role

__all__ = ["Reason", "Role", "Speakers", "SessionGraph", "Originations", "Path", "Propagation", "originations",
           "propagate", "IGP_METRIC_UNKNOWN"]

ORIGIN_IGP = 0


@dataclass(frozen=True)
class Speakers:
    """BGP speakers: the cluster's nodes first (index = node index), then
    external routers.

    Attributes
    ----------
    ip : list of ipaddress.IPv4Address or IPv6Address (None where a node has no
        address of this version)
    asn : ndarray of uint32
    router_id : ndarray of uint32
    subnet : list of ip_network or None
        The speaker's connected subnet (a node's ``ipv4Address`` with its mask):
        BIRD resolves a next hop inside it through a direct route (IGP metric 0),
        and CrossSubnet pools use it to decide on encapsulation.
    external : ndarray of bool
    announces : ndarray of bool, optional
        Whether the speaker passes routes on at all (default: every node, no
        external router).  One that announces passes on its best path per class.
    role : ndarray of uint8, optional
        :class:`Role` per speaker (default: ``ROLE_NODE`` for nodes,
        ``ROLE_ROUTER`` for external routers).  A Calico node passes on no
        Router's announcements (its export filter accepts only its pools'
        prefixes); a ``ROLE_ROUTER_OWN`` Router sends Calico nodes only the
        routes it originates.
    """

    ip: list
    asn: np.ndarray
    router_id: np.ndarray
    subnet: list
    external: np.ndarray
    announces: np.ndarray = None
    role: np.ndarray = None

    def __post_init__(self):
        if self.announces is None:
            object.__setattr__(self, "announces", ~np.asarray(self.external, bool))
        if self.role is None:
            object.__setattr__(self, "role", np.where(np.asarray(self.external, bool), Role.ROLE_ROUTER,
                                                      Role.ROLE_NODE).astype(np.uint8))

    @property
    def n(self):
        return len(self.ip)

    def ip_rank(self):
        """Rank of each speaker's address in address order (ties impossible)."""
        keys = [int(a) if a is not None else -1 for a in self.ip]
        order = sorted(range(len(keys)), key=keys.__getitem__)
        rank = np.empty(len(keys), dtype=np.int64)
        rank[order] = np.arange(len(keys))
        return rank


@dataclass(frozen=True)
class SessionGraph:
    """Established BGP sessions, one row per direction (a protocol instance on
    ``local`` talking to ``remote``); every row has its reverse row.

    ``cluster_id`` is the protocol's ``rr cluster id``: the local node's
    route-reflector cluster id where the protocol is an ``rr client`` one,
    otherwise BIRD's default, the local router id.  ``local_as``: the protocol's own
    ``local as`` (BGPPeer ``localASNumber``; 0: the speaker's AS), which BIRD 1.6
    prepends on eBGP, loop-checks AS_PATH against, and reflects only between iBGP
    protocols sharing it (``proto/bgp/attrs.c`` ``bgp_import_control``);
    ``next_hop_self``: ``next hop self``, on iBGP too.  Left out: unset on every row.
    """

    local: np.ndarray           # int32 speaker index
    remote: np.ndarray          # int32 speaker index
    rr_client: np.ndarray       # bool: the local side treats the remote as its client
    cluster_id: np.ndarray      # uint32
    ebgp: np.ndarray            # bool
    keep_next_hop: np.ndarray   # bool
    allow_local_as: np.ndarray  # int32
    add_paths: np.ndarray       # bool: ADD-PATH negotiated (both sides Calico)
    local_as: np.ndarray = None         # uint32, 0: the speaker's AS
    next_hop_self: np.ndarray = None    # bool

    def __post_init__(self):
        for name, dtype in (("local_as", np.uint32), ("next_hop_self", bool)):
            if getattr(self, name) is None:     # a zero-stride view: no memory per row
                object.__setattr__(self, name, np.broadcast_to(np.zeros(1, dtype), (len(self.local),)))

    def row_as(self, speakers, s):
        """The AS row ``s`` (an int, or an array of rows) speaks: its ``local as``, else the speaker's."""
        if np.ndim(s):
            return np.where(self.local_as[s] != 0, self.local_as[s], speakers.asn[self.local[s]])
        return int(self.local_as[s]) or int(speakers.asn[self.local[s]])

    @property
    def n(self):
        return len(self.local)

    def reverse(self):
        """Index of each row's reverse row.

        Raises
        ------
        InvalidValueError
            A row has no reverse row.
        """
        n_sp = int(max(self.local.max(initial=-1), self.remote.max(initial=-1))) + 1
        return session_index(self.local, self.remote, n_sp)[2].astype(np.int64)

    @classmethod
    def build(cls, rows):
        """From dicts with the field names (missing flags default to off)."""
        n = len(rows)

        def col(name, dtype, default=0):
            return np.array([r.get(name, default) for r in rows], dtype=dtype).reshape(n)
        return cls(
            local=col("local", np.int32), remote=col("remote", np.int32),
            rr_client=col("rr_client", bool, False), cluster_id=col("cluster_id", np.uint32),
            ebgp=col("ebgp", bool, False), keep_next_hop=col("keep_next_hop", bool, False),
            allow_local_as=col("allow_local_as", np.int32), add_paths=col("add_paths", bool, True),
            local_as=col("local_as", np.uint32), next_hop_self=col("next_hop_self", bool, False),
        )


@dataclass(frozen=True)
class Originations:
    """Prefixes of one IP version and who exports them.

    ``net``/``plen`` hold every prefix the routing layer knows about (blocks and
    pod host routes); ``origin`` is the exporting node (-1: not exported),
    ``kind`` says what the route is on its origin node.
    """

    version: int
    net: "IntColumn | list"     # int network addresses (IPv4: an IntColumn, read as ints)
    plen: np.ndarray            # uint8
    origin: np.ndarray          # int32 node index that exports it, -1 if none
    owner: np.ndarray           # int32 node the prefix lives on (block affinity / pod's node)
    kind: np.ndarray            # uint8: KIND_BLOCK or KIND_POD
    pool: np.ndarray            # int32 index into cluster.pools, -1 if outside every pool
    pod: np.ndarray             # int32 pod index for KIND_POD, -1 otherwise
    block_owner: np.ndarray = None  # int32 affinity node of the block holding the prefix (-1: none)
    route_origins: dict = None      # class key -> Router speakers, for prefixes several Routers announce

    @property
    def n(self):
        return len(self.net)

    def nets(self, index):
        """Network addresses of prefixes ``index``: uint32 (IPv4), Python ints (object, IPv6)."""
        if self.version == 4:
            return np.asarray(self.net, np.int64)[np.asarray(index, np.int64)].astype(np.uint32)
        return np.array([int(self.net[i]) for i in np.asarray(index).tolist()], dtype=object)

    def prefix(self, i):
        cls = ipaddress.IPv4Network if self.version == 4 else ipaddress.IPv6Network
        return cls((self.net[i], int(self.plen[i])))


KIND_BLOCK = 0
KIND_POD = 1
KIND_ROUTE = 2      # a prefix a Router announces (owner and origin: the Router's speaker index)


def missing_reverse(local, remote, found):
    """The error for session rows without a reverse row (``found`` false),
    whichever way the rows were paired."""
    i = int(np.flatnonzero(~np.asarray(found, bool))[0])
    return InvalidValueError(f"session {int(local[i])}->{int(remote[i])} has no reverse direction")


def session_index(local, remote, n_speakers):
    """``(row_start, row_order, rev)`` of session rows: rows grouped by local
    speaker (``row_start``, int64), sorted by remote speaker within each group
    (``row_order``, int32), and each row's reverse row (``rev``, int32).

    Raises
    ------
    InvalidValueError
        A row names a speaker outside ``0..n_speakers - 1``, or has no reverse row.
    """
    from ._propagate import session_index as kernel

    local = np.ascontiguousarray(local, np.int32)
    remote = np.ascontiguousarray(remote, np.int32)
    if len(local) and (min(local.min(), remote.min()) < 0 or max(local.max(), remote.max()) >= n_speakers):
        bad = (local < 0) | (local >= n_speakers) | (remote < 0) | (remote >= n_speakers)
        i = int(np.flatnonzero(bad)[0])
        raise InvalidValueError(f"session row {i} names a speaker outside 0..{n_speakers - 1}")
    start, order, rev = kernel(local, remote, n_speakers)
    if len(rev) and rev.min() < 0:
        raise missing_reverse(local, remote, rev >= 0)
    return start, order, rev


def _pool_lookup(cluster, version, addrs):
    """Index into cluster.pools of the pool holding each address (-1: none)."""
    out = np.full(len(addrs), -1, np.int64)
    for i, p in enumerate(cluster.pools):
        if p.version != version:
            continue
        lo, hi = int(p.cidr.network_address), int(p.cidr.broadcast_address)
        inside = (addrs >= lo) & (addrs <= hi) & (out < 0)
        out[inside] = i
    return out


def _aligned_lookup(b_key, b_plen, key):
    """Index into ``b_key`` of the block holding each IPv4 ``key`` (-1: none) by a table over the blocks' range,
    when all blocks share a prefix length (IPAM's do); None when not, or the range is too wide."""
    if not len(b_key) or not (b_plen == b_plen[0]).all():
        return None
    shift = np.int64(32 - int(b_plen[0]))
    lo, span = int(b_key.min()) >> int(shift), (int(b_key.max()) >> int(shift)) - (int(b_key.min()) >> int(shift)) + 1
    if span > 1 << 24:
        return None
    table = np.full(span + 2, -1, np.int64)        # a -1 slot either side for keys outside the range
    table[(b_key >> shift) - lo + 1] = np.arange(len(b_key))
    return table[np.clip((key >> shift) - lo + 1, 0, span + 1)]


def originations(cluster: "Cluster", version: int = 4) -> Originations:
    """Every block and pod route of one IP version, and which node exports it.

    Block aggregates are exported by their affine node; a pod's host route is
    exported by the pod's node only when the address lies outside that node's
    own affine blocks (a borrowed address) and inside a pool.  Nothing in a
    ``disableBGPExport`` pool is exported.
    """
    width = 32 if version == 4 else 128
    ba = cluster.block_arrays(version)
    b_node = ba.node_idx.astype(np.int64)
    b_plen = ba.plen.astype(np.int64)
    pods = cluster.pods
    if version == 4:
        has = pods.ipv4 >= 0
        p_idx = np.flatnonzero(has)
        key = pods.ipv4[p_idx].astype(np.int64)
        b_key = np.asarray(ba.net, np.int64)
    else:
        b_net = ba.net.tolist()
        p_idx = np.array([i for i, a in enumerate(pods.ipv6) if a is not None], np.int64)
        p_net = [int(pods.ipv6[i]) for i in p_idx]
        # order-preserving keys for 128-bit values: Python ints in object arrays
        key = np.array(p_net, dtype=object)
        b_key = np.array(b_net, dtype=object)
    p_node = pods.node_idx[p_idx].astype(np.int64) if len(p_idx) else np.zeros(0, np.int64)
    # the block holding each pod address (blocks are disjoint)
    pos = _aligned_lookup(b_key, b_plen, key) if version == 4 else None
    if pos is not None:
        order = np.arange(len(b_key))
    else:
        order = np.argsort(b_key, kind="stable") if len(b_key) else np.zeros(0, np.int64)
        sorted_keys = b_key[order] if len(b_key) else b_key
        pos = np.searchsorted(sorted_keys, key, side="right") - 1 if len(b_key) else np.full(len(key), -1)
    in_block = np.zeros(len(key), bool)
    holder = np.full(len(key), -1, np.int64)
    if len(b_key) and len(key):
        cand = order[np.maximum(pos, 0)]
        offset = key - b_key[cand]
        if version == 4:
            in_block = (pos >= 0) & (offset < (np.int64(1) << (width - b_plen[cand])))
        else:
            span = [1 << (width - int(x)) for x in b_plen[cand]]
            in_block = (pos >= 0) & np.array([o < sp for o, sp in zip(offset, span)], bool)
        holder = np.where(in_block, b_node[cand], -1)
    inside_own = in_block & (holder == p_node)
    b_pool = _pool_lookup(cluster, version, b_key)
    p_pool = _pool_lookup(cluster, version, key)
    no_export = np.array([p.disable_bgp_export for p in cluster.pools] + [True], bool)
    b_exp = (b_node >= 0) & (b_pool >= 0) & ~no_export[b_pool]
    p_exp = ~inside_own & (p_pool >= 0) & ~no_export[p_pool]
    nb, npod = len(b_key), len(p_idx)
    # IPv4: the addresses as one array read as ints; IPv6: Python ints (128 bits)
    nets = IntColumn(_joined(b_key, key, nb, npod, np.int64)) if version == 4 else b_net + p_net
    return Originations(version, nets, _joined(b_plen, width, nb, npod, np.uint8),
                        _joined(np.where(b_exp, b_node, -1), np.where(p_exp, p_node, -1), nb, npod, np.int32),
                        _joined(b_node, p_node, nb, npod, np.int32), _joined(KIND_BLOCK, KIND_POD, nb, npod, np.uint8),
                        _joined(b_pool, p_pool, nb, npod, np.int32), _joined(-1, p_idx, nb, npod, np.int32),
                        _joined(b_node, holder, nb, npod, np.int32))


def _joined(blocks, pods, nb, npod, dtype):
    """An originations column: ``nb`` block values then ``npod`` pod values (each part an array or a scalar), as ``dtype``."""
    out = np.empty(nb + npod, dtype)
    out[:nb], out[nb:] = blocks, pods
    return out


def with_router_announcements(origins, externals):
    """``origins`` followed by the prefixes the modelled Routers among ``externals``
    announce in its IP version (:data:`KIND_ROUTE`); ``origins`` itself when there
    are none.

    Prefixes announced by the same set of Routers form one route class: a single
    Router's class key is its speaker index, a class several Routers originate (a
    default route from every ToR) gets a key past the speaker indices, listed in
    ``route_origins``.  ``owner`` is the first Router of the set."""
    by_prefix = {}
    for e in externals:
        if e.router is None or e.version != origins.version:
            continue
        for net in map(ipaddress.ip_network, e.router.announce):
            by_prefix.setdefault((int(net.network_address), net.prefixlen), []).append(e.index)
    if not by_prefix:
        return origins
    base = max(e.index for e in externals) + 1
    keys, route_origins = {}, {}
    rows = []
    for (net, plen), who in by_prefix.items():
        who = tuple(sorted(who))
        if who not in keys:
            keys[who] = who[0] if len(who) == 1 else base + len(route_origins)
            if len(who) > 1:
                route_origins[keys[who]] = who
        rows.append((net, plen, keys[who], who[0]))
    k = len(rows)
    spk = np.array([r[2] for r in rows], np.int32)
    owner = np.array([r[3] for r in rows], np.int32)
    none = np.full(k, -1, np.int32)
    block_owner = None if origins.block_owner is None else np.concatenate([origins.block_owner, none])
    return Originations(
        origins.version, origins.net + [r[0] for r in rows],
        np.concatenate([origins.plen, np.array([r[1] for r in rows], np.uint8)]),
        np.concatenate([origins.origin, spk]), np.concatenate([origins.owner, owner]),
        np.concatenate([origins.kind, np.full(k, KIND_ROUTE, np.uint8)]),
        np.concatenate([origins.pool, none]), np.concatenate([origins.pod, none]), block_owner,
        route_origins or None,
    )


# ---------------------------------------------------------------------------- paths


@dataclass(frozen=True)
class Path:
    """One route to a class's prefixes as one speaker holds it.

    ``session`` is the row of :class:`SessionGraph` it was learned on (-1 for
    the origin's own route); ``next_hop`` a speaker index (-1: local).
    """

    next_hop: int
    as_path: tuple = ()
    originator: int | None = None     # ORIGINATOR_ID (a router id), None if absent
    cluster_list: tuple = ()
    local_pref: int | None = None      # None: absent (the session default applies)
    med: int | None = None
    origin: int = ORIGIN_IGP
    session: int = -1
    chain: tuple = ()                  # speakers the path went through, origin first
    pref: int = PREF_BGP


class _Dense:
    """A (speaker x class) result array of :class:`Propagation`: stored when the
    kernel wrote it, else made on first read from the propagation's compact form."""

    def __set_name__(self, owner, name):
        self.slot = "_" + name

    def __get__(self, obj, owner=None):
        if obj is None:
            return self
        if getattr(obj, self.slot) is None and obj.compact is not None:
            for name, value in obj.compact.dense().items():
                setattr(obj, "_" + name, value)
        return getattr(obj, self.slot)

    def __set__(self, obj, value):
        setattr(obj, self.slot, value)


class Propagation:
    """Steady state of one IP version: per (speaker, class) the best path.

    Arrays are ``(n_speakers, n_classes)``; class ``c`` is the route class of
    node ``classes[c]``.  A result computed in closed form (``compact``, e.g. an
    iBGP full mesh: :class:`fastroute.bgp.compact.MeshRoutes`) makes them on
    first read; :meth:`route_columns` reads next hops without them.

    Attributes
    ----------
    classes : int32 origin node per class
    best_next_hop : int32: speaker index, -1 local, -2 no route
    best_session : int32 session row the best path came in on (-1 local/none)
    reason : uint8 Reason
    n_paths : int32 candidates held (Adj-RIB-In + local)
    ecmp_count : int32: other next hops ECMP merges with the best's
    ecmp : dict (speaker, class) -> sorted next hops when > 1 (reference)
    paths : dict (speaker, class) -> list of Path (reference only)
    """

    best_next_hop = _Dense()
    best_session = _Dense()
    reason = _Dense()
    n_paths = _Dense()
    ecmp_count = _Dense()

    def __init__(self, classes: np.ndarray, best_next_hop: np.ndarray | None = None,
                 best_session: np.ndarray | None = None, reason: np.ndarray | None = None,
                 n_paths: np.ndarray | None = None, ecmp_count: np.ndarray | None = None,
                 ecmp: dict | None = None, paths: dict | None = None, compact: object = None):
        self.classes = classes
        self.compact = compact
        self._best_next_hop, self._best_session, self._reason = best_next_hop, best_session, reason
        self._n_paths, self._ecmp_count = n_paths, ecmp_count
        self.ecmp = {} if ecmp is None else ecmp
        self.paths = {} if paths is None else paths

    def class_of(self, node):
        hit = np.flatnonzero(self.classes == node)
        return int(hit[0]) if len(hit) else -1

    def route_columns(self, cls, rows, out=None):
        """Next hops ``best_next_hop[rows][:, cls]`` (int32, :meth:`columns`)."""
        return self.columns("best_next_hop", cls, rows, out)

    def columns(self, name, cls, rows, out=None):
        """``<name>[rows][:, cls]`` (``rows`` a slice; into ``out`` if given), compact while not made."""
        if self.compact is not None and getattr(self, "_" + name) is None:
            return self.compact.columns(name, cls, rows, out)
        return np.take(getattr(self, name)[rows], cls, axis=1, out=out)


# ---------------------------------------------------------------------------- best path


def igp_metric(speakers, holder, next_hop):
    """BIRD's IGP metric of a next hop at a holder: 0 when a direct route (the
    holder's connected subnet) resolves it, unknown otherwise."""
    if next_hop < 0:
        return 0
    net = speakers.subnet[holder]
    ip = speakers.ip[next_hop]
    if net is not None and ip is not None and ip in net:
        return 0
    return IGP_METRIC_UNKNOWN


def path_key(speakers, graph, holder, p, ip_rank=None):
    """Sort key of a path at a holder: smaller is better, in BIRD 1.6's order.

    MED is 0 for every path fastroute originates (Calico sets none), so the
    neighbour-AS condition on comparing it never changes the outcome.
    """
    if ip_rank is None:
        ip_rank = speakers.ip_rank()
    if p.session < 0:
        return (-p.pref, 0, 0, 0, 0, 0, 0, 0, 0, 0, -1)
    s = p.session
    lp = DEFAULT_LOCAL_PREF if p.local_pref is None else p.local_pref
    med = 0 if p.med is None else p.med
    rid = p.originator if p.originator is not None else int(speakers.router_id[graph.remote[s]])
    return (
        -p.pref,
        -lp,
        len(p.as_path),
        p.origin,
        med,
        0 if graph.ebgp[s] else 1,
        igp_metric(speakers, holder, p.next_hop),
        rid,
        len(p.cluster_list),
        int(ip_rank[graph.remote[s]]),
        # BIRD keeps the older of two equal routes; fastroute has no arrival
        # order, so the lower next-hop address stands in for it
        int(ip_rank[p.next_hop]) if p.next_hop >= 0 else -1,
    )


_KEY_REASONS = [Reason.PREFERENCE, Reason.LOCAL_PREF, Reason.AS_PATH, Reason.ORIGIN, Reason.MED,
                Reason.EBGP, Reason.IGP_METRIC, Reason.ROUTER_ID, Reason.CLUSTER_LIST, Reason.PEER_ADDRESS]


def decide(keys):
    """(index of the best key, Reason separating it from the runner-up)."""
    order = sorted(range(len(keys)), key=keys.__getitem__)
    best = order[0]
    if len(keys) == 1:
        return best, Reason.ONLY
    a, b = keys[order[0]], keys[order[1]]
    for step, (x, y) in enumerate(zip(a[:10], b[:10])):
        if x != y:
            return best, _KEY_REASONS[step]
    return best, Reason.EQUAL


def mergeable(ka, kb):
    """BIRD's bgp_rte_mergable: equal up to and including the IGP metric."""
    return ka[:7] == kb[:7]


# ---------------------------------------------------------------------------- reference propagation


def _export(speakers, graph, holder, p, s):
    """The path `p` held by `holder` as sent over session row `s`, or None
    when BIRD's bgp_import_control refuses it."""
    target = int(graph.remote[s])
    if p.session >= 0:
        src = p.session
        if int(graph.remote[src]) == target:
            return None                         # never back to where it came from
        if graph.rr_client[s] and int(graph.cluster_id[s]) in p.cluster_list:
            return None                         # bgp_cluster_list_loopy toward a client
        originator, cl = p.originator, p.cluster_list
        if not graph.ebgp[src] and not graph.ebgp[s] and graph.row_as(speakers, src) == graph.row_as(speakers, s):
            if not (graph.rr_client[s] or graph.rr_client[src]):
                return None                     # iBGP split horizon
            if originator is None:
                originator = int(speakers.router_id[graph.remote[src]])
            if graph.rr_client[src]:
                cl = (int(graph.cluster_id[src]),) + cl
            else:
                cl = (int(graph.cluster_id[s]),) + cl
            if graph.rr_client[src] and graph.rr_client[s] and graph.cluster_id[src] != graph.cluster_id[s]:
                cl = (int(graph.cluster_id[s]),) + cl
    else:
        originator, cl = None, ()
    if graph.ebgp[s]:
        as_path = (graph.row_as(speakers, s),) + p.as_path
        keep = graph.keep_next_hop[s] and p.next_hop >= 0 and not graph.next_hop_self[s]
        nh = p.next_hop if keep else holder
        local_pref = None
        originator, cl = None, ()                # RFC 4456 attributes are not sent over eBGP
    else:
        as_path = p.as_path
        nh = holder if p.next_hop < 0 or graph.next_hop_self[s] else p.next_hop
        local_pref = DEFAULT_LOCAL_PREF if p.local_pref is None else p.local_pref
    return Path(nh, as_path, originator, cl, local_pref, p.med, p.origin, -1, p.chain + (target,), PREF_BGP)


def _receive(speakers, graph, r, p):
    """The path as stored by the receiver on its session row `r`, or None when a
    loop check drops it."""
    me, own_as = int(graph.local[r]), graph.row_as(speakers, r)
    if sum(1 for a in p.as_path if a == own_as) > int(graph.allow_local_as[r]):
        return None
    if not graph.ebgp[r] and p.originator is not None and p.originator == int(speakers.router_id[me]):
        return None
    if graph.rr_client[r] and int(graph.cluster_id[r]) in p.cluster_list:
        return None
    lp = p.local_pref if not graph.ebgp[r] else None
    return Path(p.next_hop, p.as_path, p.originator, p.cluster_list, lp, p.med, p.origin, r, p.chain, PREF_BGP)


def _propagate_class(speakers, graph, rev, rows_of, origins, ip_rank, max_events):
    """Adj-RIB-In of every speaker for the class originated by ``origins`` (one
    speaker, or several Routers announcing the same prefixes) at steady state."""
    # rib[speaker] = {key: Path}; key = (session row, path id on that session)
    rib = {o: {("local",): Path(-1, chain=(o,), pref=PREF_STATIC)} for o in origins}
    sent = {}          # (session row) -> {path id: Path as sent}
    work = list(origins)[::-1]
    origin = origins[0]
    events = 0
    role = speakers.role
    foreign = role[origin] != Role.ROLE_NODE
    while work:
        h = work.pop()
        if not speakers.announces[h]:
            continue
        # a Calico node's export filter passes none of a Router's announcements
        held = [] if foreign and role[h] == Role.ROLE_NODE else list(rib.get(h, {}).values())
        best = None
        if held:
            keys = [path_key(speakers, graph, h, p, ip_rank) for p in held]
            best = held[decide(keys)[0]]
        for s in rows_of[h]:
            # with ADD-PATH every path is offered; without it only the best one,
            # and nothing when the best one is refused (BIRD 1.6 has no fallback)
            own_only = role[h] == Role.ROLE_ROUTER_OWN and role[int(graph.remote[s])] == Role.ROLE_NODE
            offer = {}
            for p in (held if graph.add_paths[s] else ([best] if best is not None else [])):
                if own_only and p.session >= 0:
                    continue
                out = _export(speakers, graph, h, p, s)
                if out is None:
                    continue
                pid = p.chain if graph.add_paths[s] else ()
                offer[pid] = out
            if sent.get(s, {}) == offer:
                continue
            sent[s] = offer
            events += 1
            if events > max_events:
                raise _not_converged(origin, max_events)
            r = int(rev[s])
            t = int(graph.local[r])
            box = rib.setdefault(t, {})
            before = dict(box)
            for k in [k for k in box if k[0] == r]:
                del box[k]
            for pid, out in offer.items():
                got = _receive(speakers, graph, r, out)
                if got is not None:
                    box[(r, pid)] = got
            if box != before:
                work.append(t)
    return rib


def class_origins(classes, origins=None):
    """The origin speakers of each class: ``origins[key]`` for a class key that
    names several (Routers announcing one prefix), else the key itself."""
    origins = origins or {}
    return [tuple(origins.get(int(k), (int(k),))) for k in classes]


def propagate_reference(speakers, graph, classes, max_events=10_000_000, origins=None):
    """Pure-Python propagation: the specification :func:`propagate` is tested against."""
    rev = graph.reverse()
    rows_of = [[] for _ in range(speakers.n)]
    for s in range(graph.n):
        rows_of[int(graph.local[s])].append(s)
    ip_rank = speakers.ip_rank()
    n, k = speakers.n, len(classes)
    res = Propagation(
        classes=np.asarray(classes, np.int32),
        best_next_hop=np.full((n, k), -2, np.int32),
        best_session=np.full((n, k), -1, np.int32),
        reason=np.zeros((n, k), np.uint8),
        n_paths=np.zeros((n, k), np.int32),
        ecmp_count=np.zeros((n, k), np.int32),
    )
    for c, o in enumerate(class_origins(classes, origins)):
        rib = _propagate_class(speakers, graph, rev, rows_of, o, ip_rank, max_events)
        for h, box in rib.items():
            held = list(box.values())
            if not held:
                continue
            keys = [path_key(speakers, graph, h, p, ip_rank) for p in held]
            b, why = decide(keys)
            res.best_next_hop[h, c] = held[b].next_hop
            res.best_session[h, c] = held[b].session
            res.reason[h, c] = why
            res.n_paths[h, c] = len(held)
            hops = sorted({held[i].next_hop for i in range(len(held)) if mergeable(keys[i], keys[b])})
            if len(hops) > 1:
                res.ecmp[(h, c)] = hops
            res.ecmp_count[h, c] = len(hops) - 1
            res.paths[(h, c)] = [held[i] for i in sorted(range(len(held)), key=keys.__getitem__)]
    return res


def propagate(speakers: Speakers, graph: SessionGraph, classes: np.ndarray, method: str = "fast",
              origins: dict[int, tuple[int, ...]] | None = None, n_threads: int = 2) -> Propagation:
    """Steady-state best paths of every class at every speaker.

    Parameters
    ----------
    speakers : Speakers
    graph : SessionGraph
        Established sessions only.
    classes : array of int
        Origin speaker of each route class (a node, or a Router), or a key of ``origins``.
    method : {"fast", "reference"}
    origins : dict, optional
        ``{class key: origin speakers}`` for classes several Routers originate
        (keys beyond the speaker indices; :attr:`Originations.route_origins`).
    n_threads : int
        Threads the kernel propagates classes on (``method="fast"``).

    Raises
    ------
    ConvergenceError
        A class does not settle (either method), or one of its paths grows
        too long for the kernel.
    """
    choice(method, ("fast", "reference"), "propagation method")
    if method == "reference":
        return propagate_reference(speakers, graph, classes, origins=origins)
    return propagate_fast(speakers, graph, classes, n_threads=n_threads, origins=origins)


# ---------------------------------------------------------------------------- the kernel

def _not_converged(origin, max_events):
    return ConvergenceError(f"routes of node {origin} did not converge within {max_events} updates",
                            n_events=max_events)


def _raise_for(status, origin, max_events):
    """The exception for a kernel :class:`~fastroute.bgp._propagate.Status`
    (None for OK) at the class of node ``origin``."""
    from ._propagate import MAX_PATH_LEN, Status

    if status == Status.OK:
        return
    if status == Status.NO_MEMORY:
        raise MemoryError("out of memory while propagating routes")
    if status == Status.PATH_TOO_LONG:
        raise ConvergenceError(f"a path of node {origin}'s routes grew longer than {MAX_PATH_LEN} "
                               "AS numbers or cluster ids")
    if status == Status.EVENT_LIMIT:
        raise _not_converged(origin, max_events)
    raise ConvergenceError(f"propagation kernel stopped with status {int(status)} at node {origin}'s routes")


def _origin_csr(classes, origins):
    """(start, list) of every class's origin speakers, for the kernel."""
    if not origins:
        return np.arange(len(classes) + 1, dtype=np.int64), np.ascontiguousarray(classes, np.int32)
    each = class_origins(classes, origins)
    start = np.zeros(len(each) + 1, np.int64)
    start[1:] = np.cumsum([len(e) for e in each])
    return start, np.array([s for e in each for s in e], np.int32)


def _bytes(a):
    """``a`` (bool or uint8) as a contiguous uint8 array, without a copy when it is one already."""
    a = np.ascontiguousarray(a)
    return a.view(np.uint8) if a.dtype == np.bool_ else np.ascontiguousarray(a, np.uint8)


def propagate_fast(speakers, graph, classes, n_threads=2, max_events=100_000_000, origins=None):
    """:func:`propagate` with the Cython kernel, over ``n_threads`` threads."""
    from ._propagate import address_words, per_row_option, propagate_classes

    classes = np.ascontiguousarray(classes, np.int32)
    n_sp, n_cls = speakers.n, len(classes)
    start, order, rev = session_index(graph.local, graph.remote, n_sp)
    local = np.ascontiguousarray(graph.local, np.int32)
    client = _bytes(graph.rr_client)
    ebgp = _bytes(graph.ebgp)
    # a speaker re-offers learned routes only with a client or eBGP row, or as an
    # external router; one that announces nothing never re-offers anything (its
    # origin route too: external routers originate no class)
    exporter = np.asarray(speakers.external, bool).copy()
    exporter[local[np.logical_or(client, ebgp)]] = True
    own_as, nh_self = per_row_option(graph.local_as, np.uint32), per_row_option(graph.next_hop_self, np.uint8)
    if len(own_as):     # an iBGP protocol of another local AS passes routes on too
        exporter[local[(own_as != 0) & (own_as != speakers.asn[local])]] = True
    exporter &= np.asarray(speakers.announces, bool)
    out = (np.full((n_sp, n_cls), -2, np.int32), np.full((n_sp, n_cls), -1, np.int32),
           np.zeros((n_sp, n_cls), np.uint8), np.zeros((n_sp, n_cls), np.int32), np.zeros((n_sp, n_cls), np.int32))
    status, bad = propagate_classes(
        local, np.ascontiguousarray(graph.remote, np.int32), rev, client,
        np.ascontiguousarray(graph.cluster_id, np.uint32), ebgp, _bytes(graph.keep_next_hop),
        np.ascontiguousarray(graph.allow_local_as, np.int32), _bytes(graph.add_paths),
        start.astype(np.int32), order, np.ascontiguousarray(speakers.asn, np.uint32),
        np.ascontiguousarray(speakers.router_id, np.uint32), np.ascontiguousarray(speakers.ip_rank(), np.int64),
        *address_words(speakers.ip, speakers.subnet), exporter.astype(np.uint8),
        np.ascontiguousarray(speakers.role, np.uint8), *_origin_csr(classes, origins), *out,
        own_as, nh_self, int(n_threads), int(max_events))
    _raise_for(status, int(classes[bad]) if bad >= 0 else -1, max_events)
    best_nh, best_sess, reason, n_paths, ecmp_cnt = out
    return Propagation(classes=classes.copy(), best_next_hop=best_nh, best_session=best_sess, reason=reason,
                       n_paths=n_paths, ecmp_count=ecmp_cnt)
