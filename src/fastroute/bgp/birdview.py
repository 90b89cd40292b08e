"""What confd sees for one Calico node, and the ``protocol bgp`` sections it
decides on: the neutral description :mod:`fastroute.bgp.birdcfg` renders
(``/bgp/v1/host/<node>`` as :class:`NodeInfo`, ``/bgp/v1/global`` as
:class:`BgpGlobals`, one ``peer_v4``/``peer_v6`` entry as :class:`PeerData`,
:class:`Pool`, :class:`AffineBlock`, :class:`BirdPeer`, :class:`BirdNodeView`),
with the address, prefix and AS-number parsers that check it.
"""

from __future__ import annotations

import hashlib
import ipaddress
from dataclasses import dataclass, field
from typing import Any

from ..model.calico import CALICO_VERSIONS, DEFAULT_AS, NORMAL_ROUTE_PRIORITY, as_number
from ..errors import InvalidAddressError, InvalidPrefixError, InvalidValueError, choice

__all__ = [
    "NodeInfo",
    "BgpGlobals",
    "PeerData",
    "Pool",
    "AffineBlock",
    "BirdPeer",
    "BirdNodeView",
    "protocol_name",
    "PROTOCOL_KINDS",
    "hash_router_id",
    "parse_address",
    "parse_as_number",
    "parse_interface",
    "parse_network",
]


_MODES = ("Never", "Always", "CrossSubnet")
_LOG_LEVELS = ("debug", "info", "warning", "error", "fatal", "none")


# --------------------------------------------------------------------------- inputs


def parse_interface(value: Any, where: str, version: int | None = None
                    ) -> ipaddress.IPv4Interface | ipaddress.IPv6Interface | None:
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


def parse_address(value: Any, where: str, version: int | None = None
                  ) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        addr = ipaddress.ip_address(value)
    except ValueError:
        raise InvalidAddressError(f"invalid address {value!r} at {where}: expected an IP address") from None
    if version is not None and addr.version != version:
        raise InvalidAddressError(f"invalid address {value!r} at {where}: expected an IPv{version} address")
    return addr


def parse_network(value: Any, where: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network:
    try:
        return ipaddress.ip_network(value, strict=True)
    except ValueError as e:
        raise InvalidPrefixError(f"invalid prefix {value!r} at {where}: {e}") from None


def parse_as_number(value: object, where: str) -> int:
    """An AS number BIRD accepts in ``local as`` / ``neighbor ... as`` (1..4294967295)."""
    return as_number(value, where, bird=True)


def _text(iface, part):
    """``part`` ("ip" or "network") of an interface as text, ``""`` without one."""
    return str(getattr(iface, part)) if iface else ""


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
        object.__setattr__(self, "_iface4", parse_interface(self.ipv4_address, f"node {self.name!r} ipv4_address", 4))
        object.__setattr__(self, "_iface6", parse_interface(self.ipv6_address, f"node {self.name!r} ipv6_address", 6))
        if self.as_number is not None:
            parse_as_number(self.as_number, f"node {self.name!r} as_number")
        if self.rr_cluster_id:
            parse_address(self.rr_cluster_id, f"node {self.name!r} rr_cluster_id", 4)

    @property
    def ip4(self):
        """The IPv4 address without prefix length, or ``""`` (confd's ``ip_addr_v4``)."""
        return _text(self._iface4, "ip")

    @property
    def ip6(self):
        """The IPv6 address without prefix length, or ``""`` (confd's ``ip_addr_v6``)."""
        return _text(self._iface6, "ip")

    @property
    def network4(self):
        """The masked IPv4 network, e.g. ``"192.168.31.0/24"`` (confd's ``network_v4``), or ``""``."""
        return _text(self._iface4, "network")

    @property
    def network6(self):
        return _text(self._iface6, "network")

    def ip(self, family):
        return self.ip4 if family == 4 else self.ip6


@dataclass(frozen=True)
class BgpGlobals:
    """The cluster-wide BGP settings confd reads (``/bgp/v1/global``).

    Parameters
    ----------
    as_number : int
        Default AS (BGPConfiguration ``asNumber``, :data:`~fastroute.model.calico.DEFAULT_AS` when unset).
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
    load_balancer_ips : tuple of str
        ``serviceLoadBalancerIPs``: a route reflector's export function accepts routes in
        these ranges (v3.28).
    program_cluster_routes : bool
        ``programClusterRoutes`` (v3.30+): False (``Disabled``) leaves routes to other nodes'
        workloads of non-VXLAN pools to Felix, so BIRD's kernel filter rejects those pools.
    normal_route_priority : tuple of (int, int)
        ``ipv4NormalRoutePriority``, ``ipv6NormalRoutePriority`` (v3.32): the kernel metric
        of a route without a BGP priority, per family.
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
    load_balancer_ips: tuple = ()
    program_cluster_routes: bool = True
    normal_route_priority: tuple = (NORMAL_ROUTE_PRIORITY, NORMAL_ROUTE_PRIORITY)

    def __post_init__(self):
        parse_as_number(self.as_number, "globals.as_number")
        for i, c in enumerate(self.load_balancer_ips):
            parse_network(c, f"globals.load_balancer_ips[{i}]")
        for i, adv in enumerate(self.prefix_advertisements):
            try:
                cidr, communities = adv
            except (TypeError, ValueError):
                raise InvalidValueError(
                    f"invalid prefix advertisement {adv!r} at globals.prefix_advertisements[{i}]: "
                    "expected (cidr, communities)") from None
            parse_network(cidr, f"globals.prefix_advertisements[{i}].cidr")
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
    filters : tuple of str
        BGPPeer ``filters``: names of BGPFilters whose functions the peer's import and
        export filters call, in this order (v3.28).
    local_as_number : int or None
        BGPPeer ``localASNumber`` (v3.30+): the AS the node uses toward this peer.
    next_hop_mode : str or None
        BGPPeer ``nextHopMode`` (v3.30+): ``Auto``, ``Self`` or ``Keep``.
    keepalive_time : int or None
        BGPPeer ``keepaliveTime`` in seconds (v3.32).
    local_workload : bool
        confd's ``local_bgp_peer``: a workload on this node that a BGPPeer's
        ``localWorkloadSelector`` selects (v3.30+, :func:`fastroute.bgp.peers.local_workload_entries`);
        it carries confd's ``passive_mode`` too.
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
    filters: tuple = ()
    local_as_number: int | None = None
    next_hop_mode: str | None = None
    keepalive_time: int | None = None
    local_workload: bool = False

    def __post_init__(self):
        parse_address(self.ip, "peer ip")
        parse_as_number(self.as_number, f"peer {self.ip!r} as_number")
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
        net = parse_network(self.cidr, "pool.cidr")
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
        parse_network(self.cidr, "block.cidr")
        choice(self.state, ("confirmed", "pending", "pendingDeletion", ""), f"block {self.cidr!r} state")

    @property
    def version(self):
        return ipaddress.ip_network(self.cidr).version

    @property
    def key(self):
        return self.cidr.replace("/", "-")


def hash_router_id(node_name: str) -> str:
    """confd's ``hashToIPv4``: the first 4 bytes of sha256(node name) as an IPv4 address.

    A first octet above 223 (multicast and reserved space, which BGP router ids may not
    use) is lowered by 32 (projectcalico/calico
    ``confd/pkg/resource/template/template_funcs.go`` ``hashToIPv4``).

    >>> hash_router_id("kube-master")  # confd's compiled test template mesh/hash
    '25.79.212.8'
    """
    b = hashlib.sha256(node_name.encode()).digest()[:4]
    first = b[0] - 32 if b[0] > 223 else b[0]
    return f"{first}.{b[1]}.{b[2]}.{b[3]}"


#: the kinds of ``protocol bgp`` confd writes, as their names start
PROTOCOL_KINDS = ("Mesh", "Global", "Node", "Local_Workload")


def protocol_name(kind: str, ip: str, port: int | str | None = None) -> str:
    """BIRD protocol name confd gives a peer: ``Mesh_``/``Global_``/``Node_``/``Local_Workload_`` + the IP.

    Dots (IPv4) or colons (IPv6) become underscores; an explicit port of a peer other than
    a mesh one appends ``_port_<port>``.

    >>> protocol_name("Mesh", "192.168.31.202")
    'Mesh_192_168_31_202'
    >>> protocol_name("Global", "fd00::2", 1790)
    'Global_fd00__2_port_1790'
    >>> protocol_name("Local_Workload", "192.168.162.134")
    'Local_Workload_192_168_162_134'
    """
    choice(kind, PROTOCOL_KINDS, "peer kind")
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
        The section of confd's keys the peer comes from (a ``Local_Workload_`` peer is a
        Global or a Node one, as its BGPPeer is).
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
    keepalive_time : int or None
        ``keepalive time`` (BGPPeer ``keepaliveTime``, v3.32).
    password : str or None
    next_hop_keep : bool
    next_hop_self : bool
        ``next hop self`` (BGPPeer ``nextHopMode: Self``, v3.30+).
    local_as : int or None
        ``local as N`` inside the protocol (BGPPeer ``localASNumber``, v3.30+).
    allow_local_as : int
    reachable_by : str or None
    name_port : int or None
        The port that goes into the protocol name (explicit peer ports only).
    import_filters, export_filters : tuple of str
        BIRD functions (BGPFilter rules) called first in the peer's import and export
        filters, in BGPPeer ``filters`` order (v3.28).
    local_workload : bool
        A workload on the node that a BGPPeer's ``localWorkloadSelector`` selects: the
        protocol is named ``Local_Workload_<ip>`` and is passive (v3.30+).
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
    next_hop_self: bool = False
    local_as: int | None = None
    keepalive_time: int | None = None
    allow_local_as: int = 0
    reachable_by: str | None = None
    name_port: int | None = None
    import_filters: tuple = ()
    export_filters: tuple = ()
    local_workload: bool = False

    def __post_init__(self):
        choice(self.kind, ("Mesh", "Global", "Node"), "peer kind")
        parse_address(self.ip, "peer ip")
        parse_as_number(self.as_number, f"peer {self.ip!r} as_number")
        if self.local_workload and self.kind == "Mesh":
            raise InvalidValueError(f"invalid peer {self.ip!r}: a local workload peer is a Global or a Node one")

    @property
    def name(self):
        return protocol_name("Local_Workload" if self.local_workload else self.kind, self.ip, self.name_port)

    @property
    def version(self):
        return ipaddress.ip_address(self.ip).version


@dataclass(frozen=True)
class BirdNodeView:
    """Everything confd's templates read for one node.

    Build it with :func:`node_view`, which applies confd's session rules, or fill
    it directly when the peers come from elsewhere.

    ``router_id`` is ``CALICO_ROUTER_ID``: an IPv4 address, ``"hash"`` (confd's
    ``hashToIPv4`` of the node name) or None (the node's IPv4 address).
    ``mesh_nodes`` are all nodes of the cluster, for the mesh section's per-host
    comments; ``self_peers`` the ``(kind, ip, port)`` peer entries that are this node
    (confd writes "Skipping ourselves" for them); ``filter_functions_v4``/``_v6`` the
    lines of the ``BGP Filters`` section.
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
    mesh_nodes: tuple = ()
    self_peers: tuple = ()
    filter_functions_v4: tuple = ()
    filter_functions_v6: tuple = ()

    def __post_init__(self):
        choice(self.calico_version, CALICO_VERSIONS, "calico_version")
        if self.router_id is not None and self.router_id != "hash":
            parse_address(self.router_id, f"node {self.node.name!r} router_id", 4)
        for i, p in enumerate(self.peers_v4):
            if not isinstance(p, BirdPeer) or p.version != 4:
                raise InvalidValueError(f"invalid peer {p!r} at peers_v4[{i}]: expected an IPv4 BirdPeer")
        for i, p in enumerate(self.peers_v6):
            if not isinstance(p, BirdPeer) or p.version != 6:
                raise InvalidValueError(f"invalid peer {p!r} at peers_v6[{i}]: expected an IPv6 BirdPeer")
        for i, c in enumerate(self.static_routes):
            parse_network(c, f"static_routes[{i}]")
        for i, c in enumerate(self.reject_cidrs):
            parse_network(c, f"reject_cidrs[{i}]")

    @property
    def as_number(self):
        return self.node.as_number if self.node.as_number is not None else self.globals.as_number

    @property
    def effective_router_id(self):
        # Router ids are 4 octets even for bird6; a node without IPv4 and without
        # CALICO_ROUTER_ID renders an empty one, as confd does (BIRD then refuses the
        # file, as it does on a real node).
        if self.router_id == "hash":
            return hash_router_id(self.node.name)
        return self.router_id or self.node.ip4

