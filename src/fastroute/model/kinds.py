"""The resource kinds fastroute reads, as typed records: Calico's IPPool, Node,
BGPConfiguration, BGPPeer and IPAMConfiguration, the IPAM blocks, affinities and pods
of a snapshot, and :class:`Resources`, everything read from one input.

Every record remembers where it came from (:class:`Source`), so that errors name the
file, the document, the field and the value.  :mod:`fastroute.model.reader` builds
the records from YAML documents; :mod:`fastroute.model.resources` is the public face.
"""

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field

from .calico import DEFAULT_AS
from .selector import Selector
from ..errors import ResourceError

__all__ = [
    "Source", "IPPool", "Node", "BGPConfiguration", "BGPPeer", "IPAMConfig", "BlockRecord",
    "AffinityRecord", "PodRecord", "IPReservation", "Resources", "not_modelled_text", "ENCAPSULATIONS", "encapsulation_modes", "HOST_ROUTES",
    "CALICO_VERSION",
]

#: Node annotation holding the node's extra host routes (``ip route`` text).
HOST_ROUTES = "fastroute.io/host-routes"

#: Annotation naming the Calico release a cluster runs.
CALICO_VERSION = "fastroute.io/calico-version"


# --------------------------------------------------------------------------------------
# Where a record came from


@dataclass(frozen=True)
class Source:
    """File, 1-based document number and identity of the document a record came from."""

    file: str = "<input>"
    document: int = 1
    kind: str = ""
    name: str = ""
    item: int = -1  # index inside a List document, -1 if the document itself
    api: str = ""

    def where(self, fieldpath=None):
        ident = f"{self.kind} {self.name!r}" if self.name else self.kind
        doc = f"document {self.document}"
        if self.item >= 0:
            doc += f", items[{self.item}]"
        text = f"{self.file}: {doc}"
        if ident:
            text += f" ({ident})"
        if fieldpath:
            text += f": {fieldpath}"
        return text


# --------------------------------------------------------------------------------------
# Typed records


def _set_fields(pairs):
    """``{key: value}`` of the pairs whose value is set (not None), in the given order:
    what ``calicoctl get -o yaml`` shows of a spec (unset fields are omitted)."""
    return {key: val for key, val in pairs if val is not None}


def _text(value):
    return None if value is None else str(value)


def _nonempty(values, item=None):
    """``values`` as a list (each wrapped by ``item``), or None when empty."""
    if not values:
        return None
    return list(values) if item is None else [item(v) for v in values]


def _v3_doc(kind, metadata, spec):
    return {"apiVersion": "projectcalico.org/v3", "kind": kind, "metadata": metadata, "spec": spec}

#: Operator ``encapsulation`` values and the (ipipMode, vxlanMode) they map to.
ENCAPSULATIONS = {
    "IPIP": ("Always", "Never"),
    "IPIPCrossSubnet": ("CrossSubnet", "Never"),
    "VXLAN": ("Never", "Always"),
    "VXLANCrossSubnet": ("Never", "CrossSubnet"),
    "None": ("Never", "Never"),
}


def encapsulation_modes(value: str, where: str = "encapsulation") -> tuple[str, str]:
    """Map an operator ``encapsulation`` value to ``(ipipMode, vxlanMode)``.

    >>> encapsulation_modes("VXLANCrossSubnet")
    ('Never', 'CrossSubnet')
    """
    if value not in ENCAPSULATIONS:
        raise ResourceError(
            f"{where}: {value} is invalid for ipPool.encapsulation, should be one of "
            "IPIPCrossSubnet,IPIP,VXLAN,VXLANCrossSubnet,None"
        )
    return ENCAPSULATIONS[value]


@dataclass(frozen=True)
class IPPool:
    """A projectcalico.org/v3 IPPool after Calico's defaulting.

    ``cidr`` is an ``ipaddress`` network; ``block_size`` the block prefix length.
    """

    name: str
    cidr: object
    block_size: int = 26
    ipip_mode: str = "Never"
    vxlan_mode: str = "Never"
    nat_outgoing: bool = False
    disabled: bool = False
    disable_bgp_export: bool = False
    node_selector: str = "all()"
    allowed_uses: tuple = ("Workload", "Tunnel")
    assignment_mode: object = None     # v3.30+: "Automatic" | "Manual" (None = unset = Automatic)
    namespace_selector: object = None  # v3.30+: the namespaces whose pods the pool serves
    source: Source = field(default=Source(), compare=False, repr=False)

    @property
    def version(self):
        return self.cidr.version

    @property
    def n_blocks(self):
        """Number of blocks in the pool, ``2 ** (block_size - prefixlen)``."""
        return 1 << (self.block_size - self.cidr.prefixlen)

    @property
    def block_addresses(self):
        """Addresses per block."""
        return 1 << (self.cidr.max_prefixlen - self.block_size)

    @property
    def selector(self):
        return Selector(self.node_selector)

    def block_cidr(self, index):
        """The ``index``-th block of the pool as an ``ipaddress`` network."""
        base = int(self.cidr.network_address) + index * self.block_addresses
        return ipaddress.ip_network((base, self.block_size))

    def to_doc(self):
        spec = {"allowedUses": list(self.allowed_uses), "blockSize": self.block_size, "cidr": str(self.cidr)}
        if self.disable_bgp_export:
            spec["disableBGPExport"] = True
        if self.disabled:
            spec["disabled"] = True
        spec["ipipMode"] = self.ipip_mode
        spec["natOutgoing"] = self.nat_outgoing
        spec["nodeSelector"] = self.node_selector
        spec["vxlanMode"] = self.vxlan_mode
        if self.assignment_mode is not None:
            spec["assignmentMode"] = self.assignment_mode
        if self.namespace_selector is not None:
            spec["namespaceSelector"] = self.namespace_selector
        return _v3_doc("IPPool", {"name": self.name}, spec)


@dataclass(frozen=True)
class Node:
    """A cluster node as Calico sees it (projectcalico.org/v3 Node, or a k8s Node's annotations).

    ``ipv4``/``ipv6`` are ``ipaddress`` interfaces (address with prefix length,
    e.g. ``192.168.31.201/24``), ``asn`` the node's own AS number or None for
    the global default, ``uplink`` the host interface BGP routes leave by
    (annotation ``fastroute.io/uplink``, default ``eth0``).
    """

    name: str
    ipv4: object = None
    ipv6: object = None
    asn: object = None
    uplink: str = "eth0"
    rr_cluster_id: object = None
    labels: dict = field(default_factory=dict)
    ipv4_ipip_tunnel_addr: object = None
    ipv4_vxlan_tunnel_addr: object = None
    ipv6_vxlan_tunnel_addr: object = None
    host_routes: object = None  # the host's own routes as `ip route` prints them (annotation)
    source: Source = field(default=Source(), compare=False, repr=False)

    def to_doc(self):
        bgp = _set_fields([
            ("asNumber", self.asn),
            ("ipv4Address", _text(self.ipv4)),
            ("ipv4IPIPTunnelAddr", _text(self.ipv4_ipip_tunnel_addr)),
            ("ipv6Address", _text(self.ipv6)),
            ("routeReflectorClusterID", self.rr_cluster_id),
        ])
        spec = _set_fields([
            ("bgp", bgp or None),
            ("ipv4VXLANTunnelAddr", _text(self.ipv4_vxlan_tunnel_addr)),
            ("ipv6VXLANTunnelAddr", _text(self.ipv6_vxlan_tunnel_addr)),
        ])
        spec["orchRefs"] = [{"nodeName": self.name, "orchestrator": "k8s"}]
        meta = {"name": self.name}
        ann = {}
        if self.uplink != "eth0":
            ann["fastroute.io/uplink"] = self.uplink
        if self.host_routes:
            ann[HOST_ROUTES] = self.host_routes
        if ann:
            meta["annotations"] = ann
        if self.labels:
            meta["labels"] = dict(self.labels)
        return _v3_doc("Node", meta, spec)


@dataclass(frozen=True)
class BGPConfiguration:
    """projectcalico.org/v3 BGPConfiguration (``default`` or ``node.<name>``)."""

    name: str = "default"
    node_to_node_mesh: object = None  # None = unset = enabled
    as_number: object = None  # None = unset = DEFAULT_AS
    listen_port: object = None
    log_severity_screen: object = None
    bind_mode: object = None
    service_cluster_ips: tuple = ()
    service_external_ips: tuple = ()
    service_load_balancer_ips: tuple = ()
    communities: tuple = ()
    prefix_advertisements: tuple = ()
    ignored_interfaces: tuple = ()
    node_mesh_password: object = None
    node_mesh_max_restart_time: object = None
    program_cluster_routes: object = None  # "Enabled" | "Disabled"; None = unset = Enabled (v3.30+)
    local_workload_peering_ipv4: object = None  # v3.30+: the node's address toward Local_Workload peers
    local_workload_peering_ipv6: object = None
    ipv4_normal_route_priority: object = None  # 1..2147483646; None = unset = 1024 (v3.32)
    ipv6_normal_route_priority: object = None
    calico_version: object = None  # annotation fastroute.io/calico-version: which confd/BIRD behaviour
    source: Source = field(default=Source(), compare=False, repr=False)

    @property
    def mesh_enabled(self):
        return True if self.node_to_node_mesh is None else bool(self.node_to_node_mesh)

    @property
    def effective_as_number(self):
        return DEFAULT_AS if self.as_number is None else self.as_number

    def to_doc(self):
        def cidr(c):
            return {"cidr": c}

        spec = _set_fields([
            ("asNumber", self.as_number),
            ("bindMode", self.bind_mode),
            ("listenPort", self.listen_port),
            ("logSeverityScreen", self.log_severity_screen),
            ("nodeMeshMaxRestartTime", self.node_mesh_max_restart_time),
            ("nodeMeshPassword", self.node_mesh_password),
            ("nodeToNodeMeshEnabled", self.node_to_node_mesh),
            ("programClusterRoutes", self.program_cluster_routes),
            ("localWorkloadPeeringIPV4", self.local_workload_peering_ipv4),
            ("localWorkloadPeeringIPV6", self.local_workload_peering_ipv6),
            ("ipv4NormalRoutePriority", self.ipv4_normal_route_priority),
            ("ipv6NormalRoutePriority", self.ipv6_normal_route_priority),
            ("communities", _nonempty(self.communities)),
            ("ignoredInterfaces", _nonempty(self.ignored_interfaces)),
            ("prefixAdvertisements", _nonempty(self.prefix_advertisements)),
            ("serviceClusterIPs", _nonempty(self.service_cluster_ips, cidr)),
            ("serviceExternalIPs", _nonempty(self.service_external_ips, cidr)),
            ("serviceLoadBalancerIPs", _nonempty(self.service_load_balancer_ips, cidr)),
        ])
        meta = {"name": self.name}
        if self.calico_version is not None:
            meta["annotations"] = {CALICO_VERSION: self.calico_version}
        return _v3_doc("BGPConfiguration", meta, spec)


@dataclass(frozen=True)
class BGPPeer:
    """projectcalico.org/v3 BGPPeer."""

    name: str
    node: object = None
    node_selector: object = None
    peer_ip: object = None
    as_number: object = None
    peer_selector: object = None
    keep_original_next_hop: bool = False
    source_address: object = None
    max_restart_time: object = None
    num_allowed_local_as_numbers: object = None
    ttl_security: object = None
    reachable_by: object = None
    filters: tuple = ()
    password: object = None
    local_as_number: object = None       # v3.30+: the AS this node uses toward the peer
    next_hop_mode: object = None         # v3.30+: "Auto" | "Self" | "Keep"
    reverse_peering: object = None       # v3.30+: "Auto" | "Manual"
    local_workload_selector: object = None  # v3.30+: peer with local workloads (Local_Workload_ protocols)
    keepalive_time: object = None        # v3.32: a duration ("30s")
    source: Source = field(default=Source(), compare=False, repr=False)

    def to_doc(self):
        spec = _set_fields([
            ("asNumber", self.as_number),
            ("localASNumber", self.local_as_number),
            ("localWorkloadSelector", self.local_workload_selector),
            ("nextHopMode", self.next_hop_mode),
            ("reversePeering", self.reverse_peering),
            ("keepOriginalNextHop", self.keep_original_next_hop or None),
            ("maxRestartTime", self.max_restart_time),
            ("keepaliveTime", self.keepalive_time),
            ("node", self.node),
            ("nodeSelector", self.node_selector),
            ("numAllowedLocalASNumbers", self.num_allowed_local_as_numbers),
            ("password", self.password),
            ("peerIP", self.peer_ip),
            ("peerSelector", self.peer_selector),
            ("reachableBy", self.reachable_by),
            ("sourceAddress", self.source_address),
            ("ttlSecurity", self.ttl_security),
            ("filters", _nonempty(self.filters)),
        ])
        return _v3_doc("BGPPeer", {"name": self.name}, spec)


@dataclass(frozen=True)
class IPAMConfig:
    """IPAM configuration (projectcalico.org/v3 IPAMConfiguration ``default``)."""

    strict_affinity: bool = False
    auto_allocate_blocks: bool = True
    max_blocks_per_host: int = 0
    source: Source = field(default=Source(), compare=False, repr=False)

    @property
    def effective_max_blocks(self):
        """The per-host block limit IPAM applies: ``max_blocks_per_host`` or the built-in 20."""
        return self.max_blocks_per_host if self.max_blocks_per_host > 0 else 20

    def is_default(self):
        return (self.strict_affinity, self.auto_allocate_blocks, self.max_blocks_per_host) == (False, True, 0)

    def to_doc(self):
        return _v3_doc("IPAMConfiguration", {"name": "default"}, {
            "autoAllocateBlocks": self.auto_allocate_blocks,
            "maxBlocksPerHost": self.max_blocks_per_host,
            "strictAffinity": self.strict_affinity,
        })


@dataclass(frozen=True)
class IPReservation:
    """projectcalico.org/v3 IPReservation: ``reservedCIDRs`` IPAM never hands out."""

    name: str
    cidrs: tuple = ()
    source: Source = field(default=Source(), compare=False, repr=False)

    def to_doc(self):
        return _v3_doc("IPReservation", {"name": self.name}, {"reservedCIDRs": [str(c) for c in self.cidrs]})


@dataclass(frozen=True)
class BlockRecord:
    """An IPAMBlock as stored (crd.projectcalico.org/v1): the raw allocation state."""

    cidr: object
    affinity: object  # "host:<node>" or None
    allocations: tuple  # per ordinal: attribute index or None
    unallocated: tuple  # free ordinals, in order
    attributes: tuple  # ({"handle_id": ..., "secondary": {...}}, ...)
    sequence_number: int = 0
    source: Source = field(default=Source(), compare=False, repr=False)


@dataclass(frozen=True)
class AffinityRecord:
    """A BlockAffinity (crd.projectcalico.org/v1)."""

    node: str
    cidr: object
    state: str = "confirmed"
    source: Source = field(default=Source(), compare=False, repr=False)


@dataclass(frozen=True)
class PodRecord:
    """A pod, from a Kubernetes Pod or a Calico WorkloadEndpoint.

    ``ips`` holds the pod's addresses (``ipaddress`` objects, possibly empty:
    a plan), ``interface_name`` the host-side veth if the input named it.
    """

    namespace: str
    name: str
    node: str
    ips: tuple = ()
    interface_name: object = None
    labels: dict = field(default_factory=dict)
    source: Source = field(default=Source(), compare=False, repr=False)


@dataclass
class Resources:
    """Everything read from a set of documents, grouped by kind, in input order."""

    pools: list = field(default_factory=list)
    nodes: list = field(default_factory=list)
    bgp_configurations: list = field(default_factory=list)
    bgp_peers: list = field(default_factory=list)
    ipam_config: object = None
    blocks: list = field(default_factory=list)
    affinities: list = field(default_factory=list)
    pods: list = field(default_factory=list)
    reservations: list = field(default_factory=list)
    #: kinds read but not modelled (they cannot change routing), with their document counts
    not_modelled: dict = field(default_factory=dict)
    bgp_filters: list = field(default_factory=list)
    secrets: list = field(default_factory=list)
    services: list = field(default_factory=list)
    endpoints: list = field(default_factory=list)
    routers: list = field(default_factory=list)     # fastroute.model.routers.Router

    def extend(self, other):
        for name in ("pools", "nodes", "bgp_configurations", "bgp_peers", "blocks", "affinities", "pods",
                     "reservations", "bgp_filters", "secrets", "services", "endpoints", "routers"):
            getattr(self, name).extend(getattr(other, name))
        if other.ipam_config is not None:
            self.ipam_config = other.ipam_config
        for kind, n in other.not_modelled.items():
            self.not_modelled[kind] = self.not_modelled.get(kind, 0) + n

    def not_modelled_text(self):
        """``"not modelled: Tier (1), NetworkPolicy (3)"``, or "" when every kind read is modelled."""
        return not_modelled_text(self.not_modelled)


def not_modelled_text(counts: Mapping[str, int]) -> str:
    """The one line that lists kinds read but not modelled, with their counts; "" if none."""
    if not counts:
        return ""
    return "not modelled: " + ", ".join(f"{k} ({n})" for k, n in counts.items())
