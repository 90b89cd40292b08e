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

confd's behaviour that this reproduces (``confd/pkg/backends/calico/client.go``
``updatePeersV1``, ``nodeAsBGPPeers``, ``nodesWithIPPortAndAS``,
``setPeerConfigFieldsFromV3Resource`` in projectcalico/calico):

* **Global pass** -- BGPPeers with neither ``node`` nor ``nodeSelector``: a
  ``global`` entry keyed by peer address and port (``Global_<ip>`` on every node
  but the one with that address).
* **Node pass** -- BGPPeers with ``node`` or ``nodeSelector``: a node entry for
  every selected node (``Node_<ip>``), skipped when a global entry with the same
  address and port exists.
* **Reverse pass** -- for every BGPPeer, the nodes on the *remote* side (those
  matching ``peerSelector``, or the Calico nodes whose address, AS and port equal
  ``peerIP``/``asNumber``) get node entries toward every node on the local side
  (``nodeSelector``, ``node``, or all nodes).  A selector peering is reversed in
  both IP families, a ``peerIP`` one only in the family of the address.
* An entry that already exists always wins; confd walks BGPPeers in Go map
  order, fastroute in name order (only matters when two BGPPeers produce the same
  key with different contents).
* Peers taken from nodes (selectors, reverse pass) carry the node's address,
  AS (else the global one), listen port (per-node ``node.<name>``
  BGPConfiguration, else the global ``listenPort``) and route-reflector cluster id;
  ``calico_node`` is false for them.  A ``peerIP`` peer carries the BGPPeer's AS,
  ``keepOriginalNextHop``, ``numAllowedLocalASNumbers`` and ``reachableBy``; its
  ``calico_node`` says whether the address is a Calico node's, and without an
  explicit port it takes the listen port of the Calico node with that address and AS.
* Every entry of a BGPPeer gets its password, ``sourceAddress`` (default
  ``UseNodeIP``), ``maxRestartTime`` (whole seconds) and ``ttlSecurity``.

The mesh (``nodeToNodeMeshEnabled``; route reflectors leave it from v3.22; the
higher address, compared as text, is passive) and every per-protocol directive
are :mod:`fastroute.bgp.birdcfg`'s rules.

Calico version: ``calico_version`` ``"3.28"`` (default) or ``"3.20"`` (the
seed's).  The cluster model has no version setting yet; :func:`compute` uses a
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
import dataclasses
import enum
import functools
import ipaddress
import re
from dataclasses import dataclass, field

import numpy as np

from .birdcfg import (
    AffineBlock,
    BgpGlobals,
    NodeInfo,
    PeerData,
    Pool,
    explicit_peer,
    node_view,
    protocol_name,
)
from ..errors import InvalidValueError, ResourceError, choice
from ..model.calico import CALICO_VERSIONS, reflectors_leave_mesh
from ..model.selector import Selector

__all__ = [
    "SessionKind",
    "ExternalRouter",
    "Sessions",
    "Topology",
    "compute",
    "expand_peers",
    "node_infos",
    "bgp_globals",
    "parse_duration",
    "split_peer_ip",
]

DEFAULT_BGP_PORT = 179


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

    @property
    def name(self):
        return f"external {self.ip}"


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




# --------------------------------------------------------------------------- small parsers


_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value, where):
    """Seconds (rounded to an int, as confd does) of a Kubernetes duration (``"120s"``, ``"2m"``).

    An int or float is taken as seconds.

    Raises
    ------
    InvalidValueError
    """
    if isinstance(value, bool):
        raise InvalidValueError(f"invalid duration {value!r} at {where}: expected e.g. '120s' or '2m'")
    if isinstance(value, (int, float)):
        return int(round(value))
    text = str(value).strip()
    pos, total = 0, 0.0
    if text in ("0", ""):
        return 0
    while pos < len(text):
        m = _DURATION.match(text, pos)
        if not m:
            raise InvalidValueError(f"invalid duration {value!r} at {where}: expected e.g. '120s', '2m' or '1h30m'")
        total += float(m.group(1)) * _UNIT[m.group(2)]
        pos = m.end()
    # Go's math.Round rounds half away from zero.
    return int(total + 0.5)


def split_peer_ip(text, where):
    """``(address, port)`` of a BGPPeer ``peerIP``: ``ip``, ``ip:port`` or ``[v6]:port``.

    Port 0 means none was given (Go's ``net.SplitHostPort`` rules: a bare IPv6
    address has no port).

    Raises
    ------
    ResourceError
    """
    t = str(text).strip()
    host, port = t, 0
    if t.startswith("["):
        m = re.match(r"^\[([^\]]+)\]:(\d+)$", t)
        if not m:
            raise ResourceError(f"invalid peerIP {text!r} at {where}: expected ip, ip:port or [ipv6]:port")
        host, port = m.group(1), int(m.group(2))
    elif t.count(":") == 1:
        host, p = t.split(":")
        if not p.isdigit():
            raise ResourceError(f"invalid peerIP {text!r} at {where}: port {p!r} is not a number")
        port = int(p)
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        raise ResourceError(f"invalid peerIP {text!r} at {where}: {host!r} is not an IP address") from None
    if not 0 <= port < 65536:
        raise ResourceError(f"invalid peerIP {text!r} at {where}: port must be 1..65535")
    return str(addr), port


def _password(value):
    # Calico reads BGP passwords from Kubernetes secrets, which a cluster file does not
    # hold; a plain string (fastroute's shorthand) is used as the password itself.
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("value"), str):
        return value["value"]
    return None


def _where(peer, fieldpath):
    src = getattr(peer, "source", None)
    if src is not None and getattr(src, "kind", ""):
        return src.where(fieldpath)
    return f"BGPPeer {peer.name!r} {fieldpath}"


_LOG = {"debug": "debug", "info": "info"}


# --------------------------------------------------------------------------- confd inputs


def _node_configs(cluster):
    return {c.name[len("node."):]: c for c in cluster.bgp_configurations if c.name.startswith("node.")}


def node_infos(cluster):
    """The :class:`~fastroute.bgp.birdcfg.NodeInfo` of every node, in node order."""
    per_node = _node_configs(cluster)
    out = []
    for n in cluster.nodes:
        cfg = per_node.get(n.name)
        out.append(
            NodeInfo(
                name=n.name,
                ipv4_address=str(n.ipv4) if n.ipv4 is not None else None,
                ipv6_address=str(n.ipv6) if n.ipv6 is not None else None,
                as_number=n.asn,
                rr_cluster_id=n.rr_cluster_id or "",
                listen_port=cfg.listen_port if cfg is not None else None,
            )
        )
    return out


def bgp_globals(cluster, node=None):
    """The :class:`~fastroute.bgp.birdcfg.BgpGlobals` confd renders for ``node`` (a name).

    The ``default`` BGPConfiguration, with ``logSeverityScreen``, ``bindMode`` and
    ``ignoredInterfaces`` of the node's ``node.<name>`` configuration taking
    precedence.  BIRD keeps only ``debug`` and ``info``; any other severity renders
    no debug line.
    """
    d = cluster.bgp_config
    sev = d.log_severity_screen
    bind = d.bind_mode
    ignored = tuple(d.ignored_interfaces)
    if node is not None:
        cfg = _node_configs(cluster).get(node)
        if cfg is not None:
            sev = cfg.log_severity_screen if cfg.log_severity_screen is not None else sev
            bind = cfg.bind_mode if cfg.bind_mode is not None else bind
            ignored = tuple(cfg.ignored_interfaces) or ignored
    level = "info" if sev is None else _LOG.get(str(sev).lower(), "none")
    restart = d.node_mesh_max_restart_time
    return BgpGlobals(
        as_number=d.effective_as_number,
        mesh_enabled=d.mesh_enabled,
        listen_port=d.listen_port,
        mesh_password=_password(d.node_mesh_password),
        mesh_restart_time=None if restart is None else parse_duration(
            restart, "BGPConfiguration 'default' spec.nodeMeshMaxRestartTime"),
        log_level=level,
        bind_mode=bind,
        ignored_interfaces=ignored,
    )


def _pools(cluster):
    return [Pool(str(p.cidr), ipip_mode=p.ipip_mode, vxlan_mode=p.vxlan_mode, nat_outgoing=p.nat_outgoing,
                 disable_bgp_export=p.disable_bgp_export, disabled=p.disabled) for p in cluster.pools]


def _service_cidrs(cluster):
    d = cluster.bgp_config
    seen, out = set(), []
    for c in (*d.service_cluster_ips, *d.service_external_ips, *d.service_load_balancer_ips):
        if c not in seen:
            seen.add(c)
            out.append(c)
    return out


class _Expander:
    """confd's ``updatePeersV1`` over the cluster (see the module docstring)."""

    def __init__(self, cluster, infos, globals_):
        self.cluster = cluster
        self.infos = infos
        self.globals = globals_
        self.global_as = globals_.as_number
        self.labels = [dict(n.labels) for n in cluster.nodes]
        self.node_ips = {}
        for info in infos:
            for ip in (info.ip4, info.ip6):
                if ip:
                    self.node_ips.setdefault(ip, info.name)
        self.index = {info.name: i for i, info in enumerate(infos)}
        self.entries = {}  # key -> PeerData; key = ("g", ip, port) | ("n", node, ip, port)

    def node_as(self, i):
        a = self.infos[i].as_number
        return self.global_as if a is None else a

    def node_port(self, i):
        p = self.infos[i].listen_port
        if p is not None:
            return p
        return self.globals.listen_port or 0

    def matching(self, text, where):
        sel = Selector(text, where)
        return [i for i, lab in enumerate(self.labels) if sel.matches(lab)]

    def nodes_with_ip_port_as(self, ip, asn, port):
        want_as = self.global_as if not asn else asn
        out = []
        for i, info in enumerate(self.infos):
            if ip not in (info.ip4, info.ip6) or self.node_as(i) != want_as:
                continue
            if port:
                own = self.infos[i].listen_port
                if own is not None and own != port:
                    continue
                if own is None and self.globals.listen_port and self.globals.listen_port != port:
                    continue
            out.append(i)
        return out

    def node_as_peers(self, i, v4=True, v6=True):
        info = self.infos[i]
        out = []
        for ok, ip in ((v4, info.ip4), (v6, info.ip6)):
            if ok and ip:
                out.append(dict(ip=ip, as_number=self.node_as(i), rr_cluster_id=info.rr_cluster_id,
                                port=self.node_port(i)))
        return out

    def peer_fields(self, peer):
        restart = None
        if peer.max_restart_time is not None:
            restart = parse_duration(peer.max_restart_time, _where(peer, "spec.maxRestartTime"))
        src = peer.source_address or "UseNodeIP"
        if src not in ("UseNodeIP", "None"):
            raise ResourceError(f"{_where(peer, 'spec.sourceAddress')}: invalid sourceAddress {src!r}: "
                                "expected 'UseNodeIP' or 'None'")
        return dict(password=_password(peer.password), source_address=src, restart_time=restart,
                    ttl_security=int(peer.ttl_security or 0))

    def emit(self, key, data):
        if key in self.entries:
            return
        if key[0] == "n" and ("g", key[2], key[3]) in self.entries:
            return
        self.entries[key] = data

    def make(self, fields, common):
        d = dict(fields)
        d.update(common)
        port = d.pop("port")
        return PeerData(port=port or None, **d)

    def forward(self, peer, global_pass):
        if peer.node_selector:
            local = self.matching(peer.node_selector, _where(peer, "spec.nodeSelector"))
            local_names = [self.infos[i].name for i in local]
        elif peer.node:
            local_names = [peer.node]
        else:
            local_names = []
        common = self.peer_fields(peer)
        if peer.peer_selector:
            fields = [f for j in self.matching(peer.peer_selector, _where(peer, "spec.peerSelector"))
                      for f in self.node_as_peers(j)]
        elif peer.peer_ip:
            ip, port = split_peer_ip(peer.peer_ip, _where(peer, "spec.peerIP"))
            if peer.as_number is None:
                raise ResourceError(f"{_where(peer, 'spec.asNumber')}: BGPPeer {peer.name!r} with peerIP "
                                    f"{peer.peer_ip!r} has no asNumber: the peer's AS is required")
            if port == 0:
                nodes = self.nodes_with_ip_port_as(ip, peer.as_number, 0)
                if nodes:
                    port = self.node_port(nodes[0])
            fields = [dict(ip=ip, as_number=peer.as_number, port=port, calico_node=ip in self.node_ips,
                           keep_next_hop=bool(peer.keep_original_next_hop),
                           num_allow_local_as=int(peer.num_allowed_local_as_numbers or 0),
                           reachable_by=peer.reachable_by or None)]
        else:
            return
        for f in fields:
            data = self.make(f, common)
            if global_pass:
                self.emit(("g", data.ip, data.port or 0), data)
            else:
                for name in local_names:
                    self.emit(("n", name, data.ip, data.port or 0), data)

    def reverse(self, peer):
        if peer.peer_selector:
            local = self.matching(peer.peer_selector, _where(peer, "spec.peerSelector"))
            v4 = v6 = True
        elif peer.peer_ip:
            ip, port = split_peer_ip(peer.peer_ip, _where(peer, "spec.peerIP"))
            local = self.nodes_with_ip_port_as(ip, peer.as_number, port)
            v4, v6 = ":" not in ip, ":" in ip
        else:
            return
        if not local:
            return
        if peer.node_selector:
            remote = self.matching(peer.node_selector, _where(peer, "spec.nodeSelector"))
        elif peer.node:
            # confd takes the name as given; a node that does not exist contributes nothing.
            remote = [self.index[peer.node]] if peer.node in self.index else []
        else:
            remote = list(range(len(self.infos)))
        common = self.peer_fields(peer)
        fields = [f for j in remote for f in self.node_as_peers(j, v4, v6)]
        for f in fields:
            data = self.make(f, common)
            for i in local:
                self.emit(("n", self.infos[i].name, data.ip, data.port or 0), data)

    def run(self):
        peers = sorted(self.cluster.bgp_peers, key=lambda p: p.name)
        for global_pass in (True, False):
            for p in peers:
                if global_pass == (not p.node and not p.node_selector):
                    self.forward(p, global_pass)
        for p in peers:
            self.reverse(p)
        global_peers = [d for k, d in self.entries.items() if k[0] == "g"]
        node_peers = {info.name: [] for info in self.infos}
        for k, d in self.entries.items():
            if k[0] == "n" and k[1] in node_peers:
                node_peers[k[1]].append(d)
        return global_peers, node_peers


def expand_peers(cluster):
    """confd's peer entries for ``cluster``.

    Returns
    -------
    global_peers : list of PeerData
        The ``/global/peer_v*`` entries (both families).
    node_peers : dict of str to list of PeerData
        Per node name, its ``/host/<node>/peer_v*`` entries.

    Raises
    ------
    SelectorError
        A nodeSelector/peerSelector does not parse (the message names the BGPPeer).
    ResourceError
        A peerIP does not parse, or a peerIP peer has no asNumber.
    """
    infos = node_infos(cluster)
    return _Expander(cluster, infos, bgp_globals(cluster)).run()


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

    def __init__(self, cluster, infos, globals_, node_globals, externals, global_peers, node_peers, pools, blocks,
                 services, calico_version, down):
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
            self._views[i] = node_view(
                info, self.infos, self.node_globals(i), pools=self._pools, blocks=self._blocks[info.name],
                global_peers=self.global_peers, node_peers=self.node_peers[info.name],
                static_routes=self._services, reject_cidrs=self._services, calico_version=self.calico_version,
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
            self._sessions[version] = _build_sessions(self, version)
        return self._sessions[version]

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
            v328 = self.calico_version == "3.28"
            for kind, group in (("Global", self._global_sorted),
                                ("Node", sorted(self.node_peers[info.name], key=_peer_key))):
                for d in group:
                    if (":" in d.ip) != (version == 6) or d.ip == local_ip:
                        continue
                    out.append(_Entry(
                        kind, d.ip, d.as_number, d.port,
                        v328 and kind == "Global" and d.calico_node and d.ip > local_ip,
                        cid if (d.as_number == local_as and cid and d.rr_cluster_id != cid) else None,
                        d.keep_next_hop and d.as_number != local_as, d.num_allow_local_as if v328 else 0,
                        d.password,
                    ))
        self._entries_cache[key] = out
        return out


def _peer_key(d):
    # confd lists peer keys in order: the address, then "-<port>" when one is set.
    return f"{d.ip}-{d.port}" if d.port else d.ip


_Entry = collections.namedtuple(
    "_Entry", "kind ip as_number port passive rr_cluster_id next_hop_keep allow_local_as password")


def compute(cluster, calico_version=None, down=()):
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
    if calico_version is None:
        calico_version = getattr(cluster, "calico_version", None) or "3.28"
    calico_version = str(calico_version)
    choice(calico_version, CALICO_VERSIONS, "calico_version")
    if isinstance(down, str):
        down = [d for d in down.split(",") if d]
    down = list(down)
    for name in down:
        cluster.node_index(name)
    infos = node_infos(cluster)
    glob = bgp_globals(cluster)
    node_globals = {cluster.node_index(name): bgp_globals(cluster, name)
                    for name in _node_configs(cluster) if name in cluster.node_names}
    global_peers, node_peers = _Expander(cluster, infos, glob).run()
    blocks = {info.name: [] for info in infos}
    for b in cluster.blocks:
        if b.affinity in blocks:
            blocks[b.affinity].append(AffineBlock(str(b.cidr), "confirmed"))
    topo = Topology(cluster, infos, glob, node_globals, (), global_peers, node_peers, _pools(cluster), blocks,
                    _service_cidrs(cluster), calico_version, down)
    externals = []
    seen = {}
    node_ips = {ip for info in infos for ip in (info.ip4, info.ip6) if ip}
    for version in (4, 6):
        for i in range(len(infos)):
            for p in topo._entries(i, version):
                if p.ip not in node_ips and p.ip not in seen:
                    seen[p.ip] = len(infos) + len(externals)
                    externals.append(ExternalRouter(seen[p.ip], p.ip, p.as_number, version))
    topo.externals = tuple(externals)
    return topo


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
    # passive: the peer's address is greater as text
    order = sorted(range(n), key=lambda i: ip_text[i])
    rank = np.empty(n, dtype=np.int32)
    rank[order] = np.arange(n, dtype=np.int32)
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
        # Reverse row: index of (R, L) among the kept pairs, found by sorting the pair keys.
        key = L.astype(np.int64) * n + R
        order = np.argsort(key, kind="stable")
        rev_key = R.astype(np.int64) * n + L
        at = np.minimum(np.searchsorted(key[order], rev_key), key.shape[0] - 1)
        reverse = order[at]
        if not (key[reverse] == rev_key).all():  # the mesh is symmetric; this cannot happen
            raise AssertionError("asymmetric mesh")

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


def _build_sessions(topo, version):
    n = topo.n_nodes
    infos = topo.infos
    ip_text = [info.ip(version) for info in infos]
    ip4_text = [info.ip4 for info in infos] if version == 6 else ip_text
    ip_int = [(_ip_int(t) if t else 0) for t in ip_text]
    addr_of = {}
    for i, ip in enumerate(ip_text):
        if ip:
            addr_of.setdefault(ip, i)
    ext = [e for e in topo.externals if e.version == version]
    for e in ext:
        addr_of[e.ip] = e.index
    n_speakers = n + len(topo.externals)
    down = np.zeros(n, dtype=bool)
    for name in topo.down:
        down[topo.cluster.node_index(name)] = True
    router_id = np.zeros(n_speakers, dtype=np.uint32)
    for i, t in enumerate(ip4_text):
        router_id[i] = _ip_int(t) if t else 0
    for e in topo.externals:
        router_id[e.index] = _ip_int(e.ip) if e.version == 4 else 0
    g = topo.globals
    as_of = np.array([g.as_number if info.as_number is None else info.as_number for info in infos], dtype=np.uint32)
    cid = np.array([_ip_int(info.rr_cluster_id) if info.rr_cluster_id else 0 for info in infos], dtype=np.uint32)

    mesh, mesh_counts, mesh_reverse = _mesh_part(topo, version, ip_text, ip_int, as_of, router_id[:n], cid, down)

    # Who is in the mesh (same rule as _mesh_part), for BIRD's neighbour lock below.
    in_mesh = [False] * n
    if topo.globals.mesh_enabled:
        leave = reflectors_leave_mesh(topo.calico_version)
        in_mesh = [bool(ip_text[i]) and not (leave and infos[i].rr_cluster_id) for i in range(n)]

    # Explicit (Global_/Node_) rows and the external routers' rows, as Python records.
    # BIRD 1.6 takes a lock on (neighbour address, port) when a BGP protocol starts; a
    # later protocol of the same node toward the same address and port waits for it
    # forever (``start``/``Idle``, observed), so it never comes up.
    rows = []
    for i, info in enumerate(infos):
        if not ip_text[i]:
            continue
        local_as = int(as_of[i])
        taken = set()
        for p in topo._entries(i, version):
            b = addr_of[p.ip]
            port = p.port or DEFAULT_BGP_PORT
            locked = (p.ip, port) in taken or (
                b < n and in_mesh[i] and in_mesh[b] and ip_text[b] != ip_text[i] and port == topo.listen_port(b))
            taken.add((p.ip, port))
            rows.append(dict(
                locked_out=locked,
                local=i, remote=addr_of[p.ip], kind=_KIND_OF[p.kind], rr_client=p.rr_cluster_id is not None,
                local_cluster_id=int(cid[i]),
                session_cluster_id=_ip_int(p.rr_cluster_id) if p.rr_cluster_id else int(router_id[i]),
                ebgp=p.as_number != local_as, keep_next_hop=p.next_hop_keep, allow_local_as=p.allow_local_as,
                passive=p.passive, local_ip=ip_int[i], remote_ip=_ip_int(p.ip), local_as=local_as,
                remote_as=p.as_number, remote_port=p.port or DEFAULT_BGP_PORT, name_port=p.port or 0,
                password=p.password,
            ))
    n_explicit_node_rows = len(rows)
    # External routers peer back with every node configured toward them (first row per node).
    for e in ext:
        done = set()
        for r in rows[:n_explicit_node_rows]:
            if r["remote"] == e.index and r["local"] not in done:
                done.add(r["local"])
                j = r["local"]
                rows.append(dict(
                    local=e.index, remote=j, kind=SessionKind.EXTERNAL, rr_client=False, local_cluster_id=0,
                    session_cluster_id=int(router_id[e.index]), ebgp=e.as_number != r["local_as"],
                    keep_next_hop=False, allow_local_as=0, passive=False, local_ip=_ip_int(e.ip),
                    remote_ip=r["local_ip"], local_as=e.as_number, remote_as=r["local_as"],
                    remote_port=topo.listen_port(j), name_port=0, password=r["password"], locked_out=False,
                ))

    # Final layout: per node, its mesh rows then its explicit rows; external routers last.
    n_mesh = 0 if mesh is None else mesh["local"].shape[0]
    ip_dtype = np.uint32 if version == 4 else object
    out = {}
    if not rows and n_mesh:
        # Mesh only (the common small-cluster case): the mesh rows are the layout.
        for name, dtype in _COLUMNS.items():
            dt = ip_dtype if dtype is None else dtype
            out[name] = mesh[name] if dt is object else mesh[name].astype(dt, copy=False)
        ml, mr = mesh["local"], mesh["remote"]
        return Sessions(
            version=version, n_nodes=n, n_speakers=n_speakers, **{k: out[k] for k in _COLUMNS},
            established=~down[ml] & ~down[mr], peer_row=mesh_reverse.astype(np.int32), router_id=router_id,
            down=down,
        )
    exp_local = np.array([r["local"] for r in rows[:n_explicit_node_rows]], dtype=np.int64)
    exp_counts = np.bincount(exp_local, minlength=n)[:n] if n_explicit_node_rows else np.zeros(n, dtype=np.int64)
    per_node = mesh_counts + exp_counts
    offsets = np.concatenate([[0], np.cumsum(per_node)])
    total_nodes = int(offsets[-1])
    n_rows = total_nodes + (len(rows) - n_explicit_node_rows)
    mesh_pos = np.zeros(n_mesh, dtype=np.int64)
    if n_mesh:
        ml = mesh["local"].astype(np.int64)
        mesh_start = np.concatenate([[0], np.cumsum(mesh_counts)])[:-1]
        mesh_pos = offsets[:-1][ml] + (np.arange(n_mesh) - mesh_start[ml])
    exp_pos = np.empty(len(rows), dtype=np.int64)
    if n_explicit_node_rows:
        seen = np.zeros(n, dtype=np.int64)
        for k in range(n_explicit_node_rows):
            i = rows[k]["local"]
            exp_pos[k] = offsets[i] + mesh_counts[i] + seen[i]
            seen[i] += 1
    exp_pos[n_explicit_node_rows:] = total_nodes + np.arange(len(rows) - n_explicit_node_rows)

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

    # Pairing and establishment.
    peer_row = np.full(n_rows, -1, dtype=np.int32)
    established = np.zeros(n_rows, dtype=bool)
    if n_mesh:
        peer_row[mesh_pos] = mesh_pos[mesh_reverse]
        ml, mr = mesh["local"], mesh["remote"]
        established[mesh_pos] = ~down[ml] & ~down[mr]
    if rows:
        mesh_row_of = {}
        if n_mesh:
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
                        if topo.calico_version == "3.28" else None)

        def compatible(r, s):
            a, b = r["local"], s["local"]
            if (a < n and down[a]) or (b < n and down[b]):
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
    # Both ends must agree (the checks are symmetric, but pairing may not be).
    bad = established & (peer_row >= 0)
    bad[bad] = ~established[peer_row[bad]]
    established[bad] = False

    return Sessions(
        version=version, n_nodes=n, n_speakers=n_speakers,
        local=out["local"], remote=out["remote"], kind=out["kind"], rr_client=out["rr_client"],
        local_cluster_id=out["local_cluster_id"], session_cluster_id=out["session_cluster_id"], ebgp=out["ebgp"],
        keep_next_hop=out["keep_next_hop"], allow_local_as=out["allow_local_as"], passive=out["passive"],
        local_ip=out["local_ip"], remote_ip=out["remote_ip"], local_as=out["local_as"], remote_as=out["remote_as"],
        remote_port=out["remote_port"], established=established, peer_row=peer_row, router_id=router_id,
        down=down, name_port=out["name_port"], locked_out=out["locked_out"],
    )
