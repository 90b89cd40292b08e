"""The BIRD configuration confd renders for one Calico node.

calico-node runs confd, which watches the datastore and renders ``bird.cfg``
(plus the two files it includes, ``bird_aggr.cfg`` and ``bird_ipam.cfg``) and
the IPv6 trio ``bird6*.cfg``.  This module reproduces that rendering from a
neutral, explicit description of what confd sees for one node:

* :class:`NodeInfo` -- a Calico node as confd's ``/bgp/v1/host/<node>`` keys
  describe it (name, addresses with prefix length, AS, route-reflector cluster
  id, listen port);
* :class:`BgpGlobals` -- the ``/bgp/v1/global`` keys (default AS, mesh on/off,
  mesh password and restart time, log level, ...);
* :class:`PeerData` -- one ``peer_v4``/``peer_v6`` entry, as confd computes it
  from the BGPPeer resources (the topology engineer produces these);
* :class:`Pool`, :class:`AffineBlock` -- the IP pools and this node's affine
  blocks;
* :class:`BirdPeer` -- one fully decided ``protocol bgp`` section;
* :class:`BirdNodeView` -- all of it for one node, ready to render.

:func:`mesh_peers` and :func:`explicit_peer` apply the rules confd's templates
apply (who is in the mesh, which end is passive, when a peer is an ``rr
client``, ...); :func:`node_view` puts a view together and
:func:`render_files` renders it.

Behaviour follows Calico v3.28 (``calico_version="3.28"``, the default).
``calico_version="3.20"`` renders the layout of the v3.20 templates, which
differs in these ways (read from ``projectcalico/confd`` at release-v3.20):

* route reflectors are *not* excluded from the node-to-node mesh, and a node
  with a cluster id still renders its mesh section;
* ``multihop``, ``import all`` and ``export filter calico_export_to_bgp_peers``
  live in ``bgp_template``; peers carry no filter blocks, no ``ttl security``,
  no ``passive on`` for Global peers, no ``graceful restart time`` and no
  ``allow local as``;
* ``calico_export_to_bgp_peers`` is a filter ending in ``reject`` (there is no
  ``reject_disabled_pools`` and no ``reject_tunnel_routes``), and an identical,
  unused ``calico_export_to_bgp_mesh`` filter follows it;
* the direct protocol also ignores ``tap*``, ``qvo*`` and ``qvb*``;
* ``listen bgp`` knows only a port (no bind address), there are no ignored
  interfaces and no ``reachableBy`` static routes.

Sources and fidelity
--------------------
The v3.20 layout follows ``projectcalico/confd`` ``etc/calico/confd/templates``; the
v3.28 layout follows the stored ``projectcalico/calico``
``confd/etc/calico/confd/templates`` version that carries the v3.27-v3.28 feature set
(``calico_export_to_bgp_peers(bool)``, per-peer ``ttl security``/``multihop``, bind
mode, ignored interfaces, ``reachableBy`` statics), cross-checked with
``calico-semantics.md`` §4.  Directives, their values and their order are the
templates'; comments and blank lines are not (confd's own template tests ignore
them too).  Not rendered: BGPFilter functions (an empty filter section is), LoadBalancer
allow-lists on reflectors, and the per-node log level override.  Every variant is
accepted by real ``bird -p``/``bird6 -p`` (tests/interop/test_config_parses.py).

Examples
--------
The seed cluster: 3 nodes, pool 10.244.0.0/16 with /26 blocks, full mesh.

>>> nodes = [NodeInfo("master", "192.168.31.201/24"),
...          NodeInfo("node1", "192.168.31.202/24"),
...          NodeInfo("node2", "192.168.31.203/24")]
>>> view = node_view(nodes[0], nodes, pools=[Pool("10.244.0.0/16")],
...                  blocks=[AffineBlock("10.244.219.64/26")])
>>> [p.name for p in view.peers_v4]
['Mesh_192_168_31_202', 'Mesh_192_168_31_203']
>>> [p.passive for p in view.peers_v4]
[True, True]
>>> sorted(render_files(view))
['bird.cfg', 'bird6.cfg', 'bird6_aggr.cfg', 'bird6_ipam.cfg', 'bird_aggr.cfg', 'bird_ipam.cfg']
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass, field

from ..model.calico import CALICO_VERSIONS, DEFAULT_AS, as_number, reflectors_leave_mesh
from ..errors import InvalidAddressError, InvalidPrefixError, InvalidValueError, choice

__all__ = [
    "CALICO_VERSIONS",
    "DEFAULT_AS",
    "NodeInfo",
    "BgpGlobals",
    "PeerData",
    "Pool",
    "AffineBlock",
    "BirdPeer",
    "BirdNodeView",
    "protocol_name",
    "hash_router_id",
    "mesh_peers",
    "explicit_peer",
    "node_view",
    "render_files",
    "render_bird_cfg",
    "render_aggr_cfg",
    "render_ipam_cfg",
    "render_inline",
]


_MODES = ("Never", "Always", "CrossSubnet")
_LOG_LEVELS = ("debug", "info", "warning", "error", "fatal", "none")


# --------------------------------------------------------------------------- inputs


def _interface(value, where, version=None):
    """Parse ``ip/len`` (or a bare ip) into an ``ip_interface``; None stays None."""
    if value is None or value == "":
        return None
    try:
        iface = ipaddress.ip_interface(value)
    except ValueError:
        raise InvalidAddressError(
            f"invalid address {value!r} at {where}: expected an IP address with optional /prefix length"
        ) from None
    if version is not None and iface.version != version:
        raise InvalidAddressError(f"invalid address {value!r} at {where}: expected an IPv{version} address")
    return iface


def _address(value, where, version=None):
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        raise InvalidAddressError(f"invalid address {value!r} at {where}: expected an IP address") from None
    if version is not None and addr.version != version:
        raise InvalidAddressError(f"invalid address {value!r} at {where}: expected an IPv{version} address")
    return addr


def _network(value, where):
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError as e:
        raise InvalidPrefixError(f"invalid prefix {value!r} at {where}: {e}") from None


def _as_number(value, where):
    return as_number(value, where, bird=True)


@dataclass(frozen=True)
class NodeInfo:
    """A Calico node as confd's ``/bgp/v1/host/<name>`` keys describe it.

    Parameters
    ----------
    name : str
        Node name (``NODENAME``); the mesh is walked in the sorted order of names.
    ipv4_address : str or None
        ``Node.spec.bgp.ipv4Address``, e.g. ``"192.168.31.201/24"``.  The prefix
        length gives ``network_v4`` (used by IPIP CrossSubnet); a bare address is
        taken as /32.  None: the node has no IPv4 BGP address.
    ipv6_address : str or None
        ``Node.spec.bgp.ipv6Address``, e.g. ``"fd00::1/64"``.
    as_number : int or None
        ``Node.spec.bgp.asNumber``; None means the global AS.
    rr_cluster_id : str
        ``routeReflectorClusterID``; non-empty makes the node a route reflector.
    listen_port : int or None
        Per-node listen port (``node.<name>`` BGPConfiguration); None means the global one.
    """

    name: str
    ipv4_address: str | None = None
    ipv6_address: str | None = None
    as_number: int | None = None
    rr_cluster_id: str = ""
    listen_port: int | None = None

    def __post_init__(self):
        if not isinstance(self.name, str) or not self.name:
            raise InvalidValueError(f"invalid node name {self.name!r}: expected a non-empty string")
        # parsed once here; the address properties below read these
        object.__setattr__(self, "_iface4", _interface(self.ipv4_address, f"node {self.name!r} ipv4_address", 4))
        object.__setattr__(self, "_iface6", _interface(self.ipv6_address, f"node {self.name!r} ipv6_address", 6))
        if self.as_number is not None:
            _as_number(self.as_number, f"node {self.name!r} as_number")
        if self.rr_cluster_id:
            _address(self.rr_cluster_id, f"node {self.name!r} rr_cluster_id", 4)

    @property
    def ip4(self):
        """The IPv4 address without prefix length, or ``""`` (confd's ``ip_addr_v4``)."""
        return str(self._iface4.ip) if self._iface4 else ""

    @property
    def ip6(self):
        """The IPv6 address without prefix length, or ``""`` (confd's ``ip_addr_v6``)."""
        return str(self._iface6.ip) if self._iface6 else ""

    @property
    def network4(self):
        """The masked IPv4 network, e.g. ``"192.168.31.0/24"`` (confd's ``network_v4``), or ``""``."""
        return str(self._iface4.network) if self._iface4 else ""

    @property
    def network6(self):
        return str(self._iface6.network) if self._iface6 else ""

    def ip(self, family):
        return self.ip4 if family == 4 else self.ip6


@dataclass(frozen=True)
class BgpGlobals:
    """The cluster-wide BGP settings confd reads (``/bgp/v1/global``).

    Parameters
    ----------
    as_number : int
        Default AS (BGPConfiguration ``asNumber``, 64512 when unset).
    mesh_enabled : bool
        ``nodeToNodeMeshEnabled``.
    listen_port : int or None
        ``listenPort``; None when unset (BIRD then listens on 179).
    mesh_password : str or None
        ``nodeMeshPassword``.
    mesh_restart_time : int or None
        ``nodeMeshMaxRestartTime`` in seconds.
    log_level : str
        ``logSeverityScreen`` lower-cased: ``debug`` gives ``debug all``, ``none`` gives
        nothing, anything else ``debug { states }``.
    bind_mode : str or None
        ``"NodeIP"`` makes BIRD listen on the node IP only (v3.28).
    ignored_interfaces : tuple of str
        ``ignoredInterfaces`` (v3.28), excluded from the direct protocol.
    prefix_advertisements : tuple of (str, tuple of str)
        ``prefixAdvertisements`` with community names already resolved to values:
        ``(cidr, ("65000:100", "65000:1:2", ...))``.  ``apply_communities()`` adds each
        ``a:b`` to ``bgp_community`` and each ``a:b:c`` to ``bgp_large_community`` for
        routes inside ``cidr``.
    """

    as_number: int = DEFAULT_AS
    mesh_enabled: bool = True
    listen_port: int | None = None
    mesh_password: str | None = None
    mesh_restart_time: int | None = None
    log_level: str = "info"
    bind_mode: str | None = None
    ignored_interfaces: tuple = ()
    prefix_advertisements: tuple = ()

    def __post_init__(self):
        _as_number(self.as_number, "globals.as_number")
        for i, adv in enumerate(self.prefix_advertisements):
            try:
                cidr, communities = adv
            except (TypeError, ValueError):
                raise InvalidValueError(
                    f"invalid prefix advertisement {adv!r} at globals.prefix_advertisements[{i}]: "
                    "expected (cidr, communities)") from None
            _network(cidr, f"globals.prefix_advertisements[{i}].cidr")
            for c in communities:
                parts = c.split(":") if isinstance(c, str) else []
                if len(parts) not in (2, 3) or not all(p.isdigit() for p in parts):
                    raise InvalidValueError(
                        f"invalid community value {c!r} at globals.prefix_advertisements[{i}]: "
                        "expected 'aa:nn' or 'aa:nn:mm'")
        choice(self.log_level, _LOG_LEVELS, "globals.log_level")
        if self.bind_mode is not None:
            choice(self.bind_mode, ("None", "NodeIP"), "globals.bind_mode")
        if self.listen_port is not None and not (isinstance(self.listen_port, int) and 0 < self.listen_port < 65536):
            raise InvalidValueError(f"invalid listen port {self.listen_port!r} at globals.listen_port: expected 1..65535")


@dataclass(frozen=True)
class PeerData:
    """One ``peer_v4``/``peer_v6`` entry as confd stores it after expanding BGPPeers.

    Parameters
    ----------
    ip : str
        Peer address.
    as_number : int
        Peer AS.
    rr_cluster_id : str
        The peer's own cluster id (Calico nodes that are reflectors), else ``""``.
    port : int or None
        Explicit peer port; it also goes into the protocol name (``_port_N``).
    source_address : str
        ``"UseNodeIP"`` (default) or ``"None"``.
    password : str or None
    keep_next_hop : bool
        ``keepOriginalNextHop``; renders ``next hop keep`` toward eBGP peers only.
    restart_time : int or None
        ``maxRestartTime`` in seconds.
    calico_node : bool
        The peer IP is a Calico node's (only IP-specified peers); makes Global peers passive
        when their IP is greater.
    num_allow_local_as : int
    ttl_security : int
        ``ttlSecurity`` hop count, 0 = off (v3.28).
    reachable_by : str or None
        ``reachableBy`` gateway (v3.28): a static ``/32 via`` route to the peer.
    """

    ip: str
    as_number: int
    rr_cluster_id: str = ""
    port: int | None = None
    source_address: str = "UseNodeIP"
    password: str | None = None
    keep_next_hop: bool = False
    restart_time: int | None = None
    calico_node: bool = False
    num_allow_local_as: int = 0
    ttl_security: int = 0
    reachable_by: str | None = None

    def __post_init__(self):
        _address(self.ip, "peer ip")
        _as_number(self.as_number, f"peer {self.ip!r} as_number")
        choice(self.source_address, ("UseNodeIP", "None"), f"peer {self.ip!r} source_address")


@dataclass(frozen=True)
class Pool:
    """An IP pool as ``/v1/ipam/v4/pool/<cidr>`` describes it.

    Parameters
    ----------
    cidr : str
    ipip_mode, vxlan_mode : {"Never", "Always", "CrossSubnet"}
    nat_outgoing : bool
        Carried for completeness; it changes nothing in BIRD's configuration.
    disable_bgp_export : bool
    disabled : bool
        Carried for completeness; the templates ignore it.
    """

    cidr: str
    ipip_mode: str = "Never"
    vxlan_mode: str = "Never"
    nat_outgoing: bool = False
    disable_bgp_export: bool = False
    disabled: bool = False

    def __post_init__(self):
        net = _network(self.cidr, "pool.cidr")
        choice(self.ipip_mode, _MODES, f"pool {self.cidr!r} ipip_mode")
        choice(self.vxlan_mode, _MODES, f"pool {self.cidr!r} vxlan_mode")
        if net.version == 6 and self.ipip_mode != "Never":
            raise InvalidValueError(f"invalid ipip_mode {self.ipip_mode!r} for IPv6 pool {self.cidr!r}: IPIP is IPv4 only")

    @property
    def version(self):
        return ipaddress.ip_network(self.cidr).version

    @property
    def key(self):
        # confd lists pools by their key, the CIDR with '/' replaced by '-'.
        return self.cidr.replace("/", "-")


@dataclass(frozen=True)
class AffineBlock:
    """One of this node's affine blocks (``/ipam/v2/host/<node>/ipv4/block/<cidr>``).

    ``state`` is the affinity state (``confirmed``, ``pending``, ``pendingDeletion``)
    or ``""`` for an affinity without a state, which confd treats as confirmed.
    """

    cidr: str
    state: str = "confirmed"

    def __post_init__(self):
        _network(self.cidr, "block.cidr")
        choice(self.state, ("confirmed", "pending", "pendingDeletion", ""), f"block {self.cidr!r} state")

    @property
    def version(self):
        return ipaddress.ip_network(self.cidr).version

    @property
    def key(self):
        return self.cidr.replace("/", "-")


def protocol_name(kind, ip, port=None):
    """BIRD protocol name confd gives a peer: ``Mesh_``/``Global_``/``Node_`` + the IP.

    Dots (IPv4) or colons (IPv6) become underscores; an explicit port of a Global or
    Node peer appends ``_port_<port>``.

    >>> protocol_name("Mesh", "192.168.31.202")
    'Mesh_192_168_31_202'
    >>> protocol_name("Global", "fd00::2", 1790)
    'Global_fd00__2_port_1790'
    """
    choice(kind, ("Mesh", "Global", "Node"), "peer kind")
    ident = ip.replace(".", "_").replace(":", "_")
    if port and kind != "Mesh":
        ident = f"{ident}_port_{int(port)}"
    return f"{kind}_{ident}"


@dataclass(frozen=True)
class BirdPeer:
    """One ``protocol bgp`` section, every choice already made.

    Parameters
    ----------
    kind : {"Mesh", "Global", "Node"}
    ip : str
    as_number : int
    port : int or None
        Neighbour port (``neighbor <ip> port <p>``).
    source_address : str or None
        ``source address``; None renders nothing.
    passive : bool
    rr_cluster_id : str or None
        When set: ``rr client; rr cluster id <id>`` (the *local* cluster id).
    internal : bool
        The argument of ``calico_export_to_bgp_peers`` (peer AS == local AS), v3.28.
    ttl_security : int
        0 renders ``ttl security off; multihop;``, N renders ``ttl security on; multihop N;``
        (v3.28, Global and Node peers).
    restart_time : int or None
        ``graceful restart time``.
    password : str or None
    next_hop_keep : bool
    allow_local_as : int
    reachable_by : str or None
    name_port : int or None
        The port that goes into the protocol name (explicit peer ports only).
    """

    kind: str
    ip: str
    as_number: int
    port: int | None = None
    source_address: str | None = None
    passive: bool = False
    rr_cluster_id: str | None = None
    internal: bool = True
    ttl_security: int = 0
    restart_time: int | None = None
    password: str | None = None
    next_hop_keep: bool = False
    allow_local_as: int = 0
    reachable_by: str | None = None
    name_port: int | None = None

    def __post_init__(self):
        choice(self.kind, ("Mesh", "Global", "Node"), "peer kind")
        _address(self.ip, "peer ip")
        _as_number(self.as_number, f"peer {self.ip!r} as_number")

    @property
    def name(self):
        return protocol_name(self.kind, self.ip, self.name_port)

    @property
    def version(self):
        return ipaddress.ip_address(self.ip).version


@dataclass(frozen=True)
class BirdNodeView:
    """Everything confd's templates read for one node.

    Build it with :func:`node_view`, which applies confd's session rules, or fill
    it directly when the peers come from elsewhere.
    """

    node: NodeInfo
    globals: BgpGlobals = field(default_factory=BgpGlobals)
    peers_v4: tuple = ()
    peers_v6: tuple = ()
    pools: tuple = ()
    blocks: tuple = ()
    static_routes: tuple = ()
    reject_cidrs: tuple = ()
    router_id: str | None = None
    calico_version: str = "3.28"

    def __post_init__(self):
        choice(self.calico_version, CALICO_VERSIONS, "calico_version")
        if self.router_id is not None:
            _address(self.router_id, f"node {self.node.name!r} router_id", 4)
        for i, p in enumerate(self.peers_v4):
            if not isinstance(p, BirdPeer) or p.version != 4:
                raise InvalidValueError(f"invalid peer {p!r} at peers_v4[{i}]: expected an IPv4 BirdPeer")
        for i, p in enumerate(self.peers_v6):
            if not isinstance(p, BirdPeer) or p.version != 6:
                raise InvalidValueError(f"invalid peer {p!r} at peers_v6[{i}]: expected an IPv6 BirdPeer")
        for i, c in enumerate(self.static_routes):
            _network(c, f"static_routes[{i}]")
        for i, c in enumerate(self.reject_cidrs):
            _network(c, f"reject_cidrs[{i}]")

    @property
    def as_number(self):
        return self.node.as_number if self.node.as_number is not None else self.globals.as_number

    @property
    def effective_router_id(self):
        # Router ids are 4 octets even for bird6; a node without IPv4 renders an empty one,
        # as confd does (BIRD then refuses the file, as it does on a real node).
        return self.router_id or self.node.ip4


# --------------------------------------------------------------------------- session rules


def mesh_peers(local, nodes, globals=None, family=4, calico_version="3.28"):
    """The ``Mesh_`` peers confd renders on ``local`` for the node-to-node mesh.

    Rules (``bird.cfg.template``, node-to-node mesh section):

    * nothing when the mesh is disabled, or -- from v3.22 -- when ``local`` is a
      route reflector (has a cluster id);
    * otherwise every node with an address of this family, in the sorted order of
      node names, except the node whose address equals ours and -- from v3.22 --
      nodes with a cluster id;
    * ``passive on`` when the peer's address is greater than ours as a *string*;
    * the peer AS is the peer node's own AS, else the global AS; the neighbour
      port is the peer node's listen port, else the global one;
    * ``graceful restart time`` and ``password`` from the mesh settings (v3.28).

    Parameters
    ----------
    local : NodeInfo
    nodes : sequence of NodeInfo
        All nodes of the cluster (``local`` may be among them).
    globals : BgpGlobals, optional
    family : {4, 6}
    calico_version : str

    Returns
    -------
    tuple of BirdPeer
    """
    globals = globals or BgpGlobals()
    choice(family, (4, 6), "family")
    choice(calico_version, CALICO_VERSIONS, "calico_version")
    rr_leave_mesh = reflectors_leave_mesh(calico_version)
    if not globals.mesh_enabled:
        return ()
    if rr_leave_mesh and local.rr_cluster_id:
        return ()
    local_ip = local.ip(family)
    if not local_ip:
        return ()
    names = [n.name for n in nodes]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise InvalidValueError(f"duplicate node name {sorted(dup)[0]!r} in nodes: names must be unique")
    out = []
    for other in sorted(nodes, key=lambda n: n.name):
        ip = other.ip(family)
        if not ip or ip == local_ip:
            continue
        if rr_leave_mesh and other.rr_cluster_id:
            continue
        port = other.listen_port if other.listen_port is not None else globals.listen_port
        v328 = calico_version == "3.28"
        out.append(
            BirdPeer(
                kind="Mesh",
                ip=ip,
                as_number=other.as_number if other.as_number is not None else globals.as_number,
                port=port,
                source_address=local_ip,
                passive=ip > local_ip,
                internal=True,
                restart_time=globals.mesh_restart_time if v328 else None,
                password=globals.mesh_password if v328 else None,
            )
        )
    return tuple(out)


def explicit_peer(local, data, kind, globals=None, family=4, calico_version="3.28"):
    """The ``Global_``/``Node_`` protocol confd renders on ``local`` for one peer entry.

    Returns None when the peer is ``local`` itself (confd skips it).

    Rules (``bird.cfg.template``, global and node-specific peer sections):

    * ``source address`` = our address when ``source_address == "UseNodeIP"``;
    * ``passive on`` only for Global peers that are Calico nodes and whose address is
      greater than ours as a string (v3.23+, so v3.28 here);
    * ``rr client; rr cluster id <ours>`` when the peer AS equals ours, we have a cluster
      id, and the peer's cluster id differs from ours;
    * ``next hop keep`` only toward a different AS with ``keep_next_hop``;
    * the export function's argument is "peer AS equals ours".
    """
    globals = globals or BgpGlobals()
    choice(kind, ("Global", "Node"), "peer kind")
    choice(family, (4, 6), "family")
    choice(calico_version, CALICO_VERSIONS, "calico_version")
    local_ip = local.ip(family)
    ip = str(_address(data.ip, f"peer {data.ip!r}", family))
    if ip == local_ip:
        return None
    local_as = local.as_number if local.as_number is not None else globals.as_number
    v328 = calico_version == "3.28"
    cid = local.rr_cluster_id
    rr = cid if (data.as_number == local_as and cid and data.rr_cluster_id != cid) else None
    return BirdPeer(
        kind=kind,
        ip=ip,
        as_number=data.as_number,
        port=data.port,
        name_port=data.port,
        source_address=local_ip if data.source_address == "UseNodeIP" else None,
        passive=v328 and kind == "Global" and data.calico_node and ip > local_ip,
        rr_cluster_id=rr,
        internal=data.as_number == local_as,
        ttl_security=data.ttl_security if v328 else 0,
        restart_time=data.restart_time if v328 else None,
        password=data.password,
        next_hop_keep=data.keep_next_hop and data.as_number != local_as,
        allow_local_as=data.num_allow_local_as if v328 else 0,
        reachable_by=data.reachable_by if v328 else None,
    )


def hash_router_id(node_name):
    """confd's ``hashToIPv4``: the first 4 bytes of sha256(node name) as an IPv4 address.

    A first octet above 223 (multicast and reserved space, which BGP router ids may not
    use) is lowered by 32, as the confd versions read for this module do; an older variant
    without that adjustment also exists in the wild.

    >>> hash_router_id("kube-master")  # confd's compiled test template mesh/hash
    '25.79.212.8'
    """
    b = hashlib.sha256(node_name.encode()).digest()[:4]
    first = b[0] - 32 if b[0] > 223 else b[0]
    return f"{first}.{b[1]}.{b[2]}.{b[3]}"


def node_view(
    local,
    nodes,
    globals=None,
    pools=(),
    blocks=(),
    global_peers=(),
    node_peers=(),
    static_routes=(),
    reject_cidrs=(),
    router_id=None,
    calico_version="3.28",
):
    """Assemble the :class:`BirdNodeView` for ``local`` the way confd does.

    Parameters
    ----------
    local : NodeInfo
    nodes : sequence of NodeInfo
        Every node of the cluster, for the mesh.
    globals : BgpGlobals, optional
    pools : sequence of Pool
    blocks : sequence of AffineBlock
        ``local``'s affine blocks, IPv4 and IPv6.
    global_peers, node_peers : sequence of PeerData
        The ``/global/peer_v*`` entries and this node's ``/host/<node>/peer_v*`` entries;
        each family is picked by the peer's address.  confd renders them sorted by key
        (the IP, then ``-port``), which this function reproduces.
    static_routes, reject_cidrs : sequence of str
        Service advertisement CIDRs (``/staticroutes``, ``/rejectcidrs``).
    router_id : str, optional
        ``CALICO_ROUTER_ID``: an IPv4 address, or ``"hash"`` for :func:`hash_router_id`;
        default is the node's IPv4 address.
    calico_version : {"3.28", "3.20"}
    """
    globals = globals or BgpGlobals()
    choice(calico_version, CALICO_VERSIONS, "calico_version")
    if router_id == "hash":
        router_id = hash_router_id(local.name)

    def key(d):
        return f"{d.ip}-{d.port}" if d.port else d.ip

    peers = {4: list(mesh_peers(local, nodes, globals, 4, calico_version)),
             6: list(mesh_peers(local, nodes, globals, 6, calico_version))}
    for kind, group in (("Global", global_peers), ("Node", node_peers)):
        for data in sorted(group, key=key):
            fam = ipaddress.ip_address(data.ip).version
            p = explicit_peer(local, data, kind, globals, fam, calico_version)
            if p is not None:
                peers[fam].append(p)
    return BirdNodeView(
        node=local,
        globals=globals,
        peers_v4=tuple(peers[4]),
        peers_v6=tuple(peers[6]),
        pools=tuple(pools),
        blocks=tuple(blocks),
        static_routes=tuple(static_routes),
        reject_cidrs=tuple(reject_cidrs),
        router_id=router_id,
        calico_version=calico_version,
    )


# --------------------------------------------------------------------------- rendering


def _fam_files(family):
    return ("bird.cfg", "bird_aggr.cfg", "bird_ipam.cfg") if family == 4 else (
        "bird6.cfg", "bird6_aggr.cfg", "bird6_ipam.cfg")


def _debug_line(view):
    level = view.globals.log_level
    if level == "debug":
        return ["  debug all;"]
    if level == "none":
        return []
    return ["  debug { states };"]


def _sorted_by_key(items):
    return sorted(items, key=lambda x: x.key)


def _pools(view, family):
    return _sorted_by_key(p for p in view.pools if p.version == family)


def _blocks(view, family):
    return _sorted_by_key(b for b in view.blocks if b.version == family)


def _statics(cidrs, family):
    # confd keys are the CIDR with '/' -> '-', listed in key order.
    nets = [c for c in cidrs if ipaddress.ip_network(c).version == family]
    return sorted(nets, key=lambda c: c.replace("/", "-"))


def render_bird_cfg(view, family=4):
    """Render ``bird.cfg`` (family 4) or ``bird6.cfg`` (family 6) for ``view``."""
    choice(family, (4, 6), "family")
    v328 = view.calico_version == "3.28"
    node = view.node
    local_ip = node.ip(family)
    aggr, ipam = _fam_files(family)[1:]
    dbg = _debug_line(view)
    g = view.globals
    out = ["function apply_communities ()", "{"]
    for cidr, communities in g.prefix_advertisements:
        if ipaddress.ip_network(cidr).version != family:
            continue
        out.append(f"      if ( net ~ {cidr} ) then {{")
        for c in communities:
            parts = c.split(":")
            attr = "bgp_community" if len(parts) == 2 else "bgp_large_community"
            out.append(f"          {attr}.add(({', '.join(parts)}));")
        out.append("      }")
    out += ["}", "", "# Generated by confd",
           f'include "{aggr}";', f'include "{ipam}";', "", f"router id {view.effective_router_id};"]
    listen = ""
    if v328 and g.bind_mode == "NodeIP" and local_ip:
        listen += f" address {local_ip}"
    port = node.listen_port if node.listen_port is not None else g.listen_port
    if port is not None:
        listen += f" port {port}"
    if listen:
        out.append(f"listen bgp{listen};")
    out += [
        "",
        "# Keep the kernel's routing table and BIRD's in step.",
        "protocol kernel {",
        "  learn;",
        "  persist;",
        "  scan time 2;",
        "  import all;",
        "  export filter calico_kernel_programming;",
        "  graceful restart;",
        "  merge paths on;",
        "}",
        "",
        "# Follow interfaces going up and down.",
        "protocol device {",
        *dbg,
        "  scan time 2;",
        "}",
        "",
        "protocol direct {",
        *dbg,
    ]
    if v328:
        ignored = "".join(f'-"{i}", ' for i in g.ignored_interfaces)
        out.append(f'  interface {ignored}-"cali*", -"kube-ipvs*", "*";')
    else:
        out.append('  interface -"cali*", -"kube-ipvs*", -"tap*", -"qvo*", -"qvb*", "*";')
    out += ["}", ""]
    if not local_ip:
        out.append(f"# IPv{family} disabled on this node.")
        return "\n".join(out) + "\n"

    out += ["# Template for all BGP peers", "template bgp bgp_template {", *dbg,
            '  description "Connection to BGP peer";', f"  local as {view.as_number};"]
    if not v328:
        out.append("  multihop;")
    out.append("  gateway recursive;")
    if not v328:
        out += ["  import all;", "  export filter calico_export_to_bgp_peers;"]
    out += ["  add paths on;", "  graceful restart;", "  connect delay time 2;", "  connect retry time 5;",
            "  error wait time 5,30;", "}", ""]
    if v328:
        out += ["# -------------- BGP Filters ------------------", f"# No v{family} BGPFilters configured", ""]

    peers = view.peers_v4 if family == 4 else view.peers_v6
    out.append("# ------------- Node-to-node mesh -------------")
    if v328 and node.rr_cluster_id:
        out.append(f"# This node ({node.name}) is configured as a route reflector with cluster ID "
                   f"{node.rr_cluster_id};")
        out.append("# ignore node-to-node mesh setting.")
    elif not g.mesh_enabled:
        out.append("# Node-to-node mesh disabled")
    else:
        for p in peers:
            if p.kind == "Mesh":
                out += _render_peer(p, view, family)
    out += ["", "", "# ------------- Global peers -------------"]
    globals_ = [p for p in peers if p.kind == "Global"]
    out += [ln for p in globals_ for ln in _render_peer(p, view, family)] or ["# No global peers configured."]
    out += ["", "", "# ------------- Node-specific peers -------------"]
    nodes_ = [p for p in peers if p.kind == "Node"]
    out += [ln for p in nodes_ for ln in _render_peer(p, view, family)] or ["# No node-specific peers configured."]
    return "\n".join(out) + "\n"


def _render_peer(p, view, family):
    v328 = view.calico_version == "3.28"
    port = f"port {p.port} " if p.port else ""
    out = [f"protocol bgp {p.name} from bgp_template {{"]
    if v328 and p.kind != "Mesh":
        if p.ttl_security:
            out += ["  ttl security on;", f"  multihop {p.ttl_security};"]
        else:
            out += ["  ttl security off;", "  multihop;"]
    out.append(f"  neighbor {p.ip} {port}as {p.as_number};")
    if p.source_address:
        out.append(f"  source address {p.source_address};")
    if v328:
        if p.kind == "Mesh":
            out.append("  import all;")
        else:
            out += ["  import filter {", "    accept;", "  };"]
        out += ["  export filter {", f"    calico_export_to_bgp_peers({'true' if p.internal else 'false'});",
                "    reject;", "  };"]
    if p.passive:
        out.append("  passive on;")
    if p.restart_time is not None:
        out.append(f"  graceful restart time {p.restart_time};")
    if p.kind == "Mesh":
        if p.password:
            out.append(f'  password "{p.password}";')
        out.append("}")
        return out
    if p.rr_cluster_id:
        out += ["  rr client;", f"  rr cluster id {p.rr_cluster_id};"]
    if p.password:
        out.append(f'  password "{p.password}";')
    if p.next_hop_keep:
        out.append("  next hop keep;")
    if p.allow_local_as:
        out.append(f"  allow local as {p.allow_local_as};")
    out.append("}")
    return out


def render_aggr_cfg(view, family=4):
    """Render ``bird_aggr.cfg``/``bird6_aggr.cfg``: block blackholes and ``calico_aggr()``."""
    choice(family, (4, 6), "family")
    v328 = view.calico_version == "3.28"
    full = 32 if family == 4 else 128
    blocks = _blocks(view, family)
    statics = _statics(view.static_routes, family)
    peers = view.peers_v4 if family == 4 else view.peers_v6
    reach_g = [p for p in peers if v328 and p.kind == "Global" and p.reachable_by]
    reach_n = [p for p in peers if v328 and p.kind == "Node" and p.reachable_by]
    out = ["# Generated by confd", ""]
    if blocks or statics or reach_g or reach_n:
        out.append("protocol static {")
        if blocks:
            out.append("   # IP blocks for this host.")
            for b in blocks:
                # A block as small as one address needs no blackhole.
                if ipaddress.ip_network(b.cidr).prefixlen != full:
                    out.append(f"   route {b.cidr} blackhole;")
        if statics:
            out.append("   # Static routes.")
            out += [f"   route {c} blackhole;" for c in statics]
        for title, group in (("global", reach_g), ("node specific", reach_n)):
            if group:
                out.append(f"   # Static routes needed for {title} BGP peers")
                out += [f"   route {p.ip}/{full} via {p.reachable_by};" for p in group]
        out.append("}")
    else:
        out.append("# No IP blocks or static routes for this host.")
    out += ["", "# Export each block as one aggregate and nothing inside it.", "function calico_aggr ()", "{"]
    for b in blocks:
        if b.state:
            out.append(f"      # Block {b.cidr} is {b.state}")
        else:
            out.append(f"      # Block {b.cidr} is implicitly confirmed.")
        if b.state in ("confirmed", ""):
            out.append(f"      if ( net = {b.cidr} ) then {{ accept; }}")
            out.append(f"      if ( net ~ {b.cidr} ) then {{ reject; }}")
    out.append("}")
    return "\n".join(out) + "\n"


def render_ipam_cfg(view, family=4):
    """Render ``bird_ipam.cfg``/``bird6_ipam.cfg``: export function and kernel filter."""
    choice(family, (4, 6), "family")
    v328 = view.calico_version == "3.28"
    pools = _pools(view, family)
    statics = _statics(view.static_routes, family)
    rejects = _statics(view.reject_cidrs, family)
    out = ["# Generated by confd"]

    def static_accepts():
        lines = []
        if statics:
            lines += ["", "  # Export static routes."]
            lines += [f"  if ( net ~ {c} ) then {{ accept; }}" for c in statics]
        return lines

    if v328:
        out += ["function reject_disabled_pools ()", "{"]
        out += [f"  if ( net ~ {p.cidr} ) then {{ reject; }}" for p in pools if p.disable_bgp_export]
        out += ["}", "",
                "function reject_tunnel_routes () {",
                "  # Felix programs the VXLAN and WireGuard routes; never pass them on.",
                "  if (defined(ifname)) then {",
                '     if ((ifname ~ "*.cali") || (ifname ~ "*.calico")) then {',
                "        reject;",
                "     }",
                "  }",
                "}",
                "",
                "function calico_export_to_bgp_peers(bool internal_peer) {",
                "  reject_disabled_pools();",
                "  if (internal_peer) then {",
                "    reject_tunnel_routes();",
                "  }",
                "  apply_communities();",
                "  calico_aggr();"]
        out += static_accepts()
        for p in pools:
            if p.disable_bgp_export:
                out.append(f"  # Skip {p.cidr} as BGP export is disabled for it")
            else:
                out += [f"  if ( net ~ {p.cidr} ) then {{", "    accept;", "  }"]
        out += ["}", ""]
    else:
        for name in ("calico_export_to_bgp_peers", "calico_export_to_bgp_mesh"):
            out += [f"filter {name} {{", "  calico_aggr();"]
            out += static_accepts()
            for p in pools:
                out += [f"  if ( net ~ {p.cidr} ) then {{", "    accept;", "  }"]
            out += ["  reject;", "}", ""]

    network = view.node.network4 if family == 4 else view.node.network6
    out.append("filter calico_kernel_programming {")
    if rejects:
        out += ["", "  # Service CIDRs stay out of the kernel."]
        out += [f"  if ( net ~ {c} ) then {{ reject; }}" for c in rejects]
    if network:
        for p in pools:
            out.append(f"  if ( net ~ {p.cidr} ) then {{")
            if p.vxlan_mode != "Never":
                out += ["    # Felix programs VXLAN routes.", "    reject;", "  }"]
            elif family == 6:
                out += ["    accept;", "  }"]
            elif p.ipip_mode == "CrossSubnet":
                out += [f"    if defined(bgp_next_hop) && ( bgp_next_hop ~ {network} ) then",
                        '      krt_tunnel = "";',
                        "    else",
                        '      krt_tunnel = "tunl0";',
                        "    accept;", "  }"]
            else:
                tunnel = "tunl0" if p.ipip_mode == "Always" else ""
                out += [f'    krt_tunnel = "{tunnel}";', "    accept;", "  }"]
    out += ["  accept;", "}"]
    return "\n".join(out) + "\n"


def render_files(view):
    """Render every file confd writes for ``view``.

    Returns
    -------
    dict of str to str
        ``bird.cfg``, ``bird_aggr.cfg``, ``bird_ipam.cfg``, ``bird6.cfg``,
        ``bird6_aggr.cfg``, ``bird6_ipam.cfg`` -> file text.  ``bird.cfg`` includes the
        other two v4 files by relative name, as on a node, so they belong in one directory.
    """
    files = {}
    for family in (4, 6):
        main, aggr, ipam = _fam_files(family)
        files[main] = render_bird_cfg(view, family)
        files[aggr] = render_aggr_cfg(view, family)
        files[ipam] = render_ipam_cfg(view, family)
    return files


def render_inline(view, family=4):
    """``bird.cfg`` (or ``bird6.cfg``) with its two includes pasted in place, as one text."""
    choice(family, (4, 6), "family")
    main, aggr, ipam = _fam_files(family)
    text = render_bird_cfg(view, family)
    text = text.replace(f'include "{aggr}";\n', render_aggr_cfg(view, family))
    text = text.replace(f'include "{ipam}";\n', render_ipam_cfg(view, family))
    return text
