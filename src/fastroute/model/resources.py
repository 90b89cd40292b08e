"""Calico and Kubernetes resources: YAML in, typed records, YAML out.

fastroute reads what ``calicoctl get ... -o yaml`` and ``kubectl get ... -o yaml``
print: projectcalico.org/v3 ``IPPool``, ``Node``, ``BGPConfiguration``,
``BGPPeer``, ``WorkloadEndpoint`` and ``IPAMConfiguration``;
crd.projectcalico.org/v1 ``IPAMBlock``, ``BlockAffinity`` (and the CRD forms of
the v3 kinds); Kubernetes v1 ``Pod`` and ``Node`` (with Calico's node
annotations); operator.tigera.io/v1 ``Installation`` (its ``calicoNetwork.ipPools``).
A file may hold one document, several (``---``), or ``List``/``*List`` kinds;
a folder is read file by file in name order.

Every record remembers where it came from (:class:`Source`) so that errors
name the file, the document, the field and the value::

    cluster.yaml: document 2 (IPPool 'p2'): spec.blockSize: ...

IPPools are validated with Calico's own rules, in Calico's order and with its
messages (libcalico-go ``clientv3/ippool.go validateAndSetDefaults``), wrapped
the way calicoctl prints them.
"""

import ipaddress
import json
import os
from dataclasses import dataclass, field, replace

import yaml

from .calico import CALICO_VERSIONS, DEFAULT_AS, as_number
from ..errors import FastrouteError, InvalidValueError, ResourceError
from .selector import Selector  # noqa: F401  (re-exported: resources.Selector)

__all__ = [
    "Source",
    "Selector",
    "IPPool",
    "Node",
    "BGPConfiguration",
    "BGPPeer",
    "IPAMConfig",
    "BlockRecord",
    "AffinityRecord",
    "PodRecord",
    "Resources",
    "ENCAPSULATIONS",
    "encapsulation_modes",
    "load",
    "loads",
    "parse_documents",
    "dump_documents",
    "validate_pools",
]

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


def _fail(src, fieldpath, message):
    raise ResourceError(f"{src.where(fieldpath)}: {message}")


# --------------------------------------------------------------------------------------
# Typed records

#: Operator ``encapsulation`` values and the (ipipMode, vxlanMode) they map to.
ENCAPSULATIONS = {
    "IPIP": ("Always", "Never"),
    "IPIPCrossSubnet": ("CrossSubnet", "Never"),
    "VXLAN": ("Never", "Always"),
    "VXLANCrossSubnet": ("Never", "CrossSubnet"),
    "None": ("Never", "Never"),
}

_MODES = ("Always", "CrossSubnet", "Never")


def encapsulation_modes(value, where="encapsulation"):
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
        return {"apiVersion": "projectcalico.org/v3", "kind": "IPPool", "metadata": {"name": self.name}, "spec": spec}


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
        bgp = {}
        if self.asn is not None:
            bgp["asNumber"] = self.asn
        if self.ipv4 is not None:
            bgp["ipv4Address"] = str(self.ipv4)
        if self.ipv4_ipip_tunnel_addr is not None:
            bgp["ipv4IPIPTunnelAddr"] = str(self.ipv4_ipip_tunnel_addr)
        if self.ipv6 is not None:
            bgp["ipv6Address"] = str(self.ipv6)
        if self.rr_cluster_id is not None:
            bgp["routeReflectorClusterID"] = self.rr_cluster_id
        spec = {}
        if bgp:
            spec["bgp"] = bgp
        if self.ipv4_vxlan_tunnel_addr is not None:
            spec["ipv4VXLANTunnelAddr"] = str(self.ipv4_vxlan_tunnel_addr)
        if self.ipv6_vxlan_tunnel_addr is not None:
            spec["ipv6VXLANTunnelAddr"] = str(self.ipv6_vxlan_tunnel_addr)
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
        return {"apiVersion": "projectcalico.org/v3", "kind": "Node", "metadata": meta, "spec": spec}


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
    calico_version: object = None  # annotation fastroute.io/calico-version: which confd/BIRD behaviour
    source: Source = field(default=Source(), compare=False, repr=False)

    @property
    def mesh_enabled(self):
        return True if self.node_to_node_mesh is None else bool(self.node_to_node_mesh)

    @property
    def effective_as_number(self):
        return DEFAULT_AS if self.as_number is None else self.as_number

    def to_doc(self):
        spec = {}
        pairs = [
            ("asNumber", self.as_number),
            ("bindMode", self.bind_mode),
            ("listenPort", self.listen_port),
            ("logSeverityScreen", self.log_severity_screen),
            ("nodeMeshMaxRestartTime", self.node_mesh_max_restart_time),
            ("nodeMeshPassword", self.node_mesh_password),
            ("nodeToNodeMeshEnabled", self.node_to_node_mesh),
        ]
        for key, val in pairs:
            if val is not None:
                spec[key] = val
        for key, val in [
            ("communities", self.communities),
            ("ignoredInterfaces", self.ignored_interfaces),
            ("prefixAdvertisements", self.prefix_advertisements),
        ]:
            if val:
                spec[key] = list(val)
        for key, val in [
            ("serviceClusterIPs", self.service_cluster_ips),
            ("serviceExternalIPs", self.service_external_ips),
            ("serviceLoadBalancerIPs", self.service_load_balancer_ips),
        ]:
            if val:
                spec[key] = [{"cidr": c} for c in val]
        meta = {"name": self.name}
        if self.calico_version is not None:
            meta["annotations"] = {CALICO_VERSION: self.calico_version}
        return {
            "apiVersion": "projectcalico.org/v3",
            "kind": "BGPConfiguration",
            "metadata": meta,
            "spec": spec,
        }


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
    source: Source = field(default=Source(), compare=False, repr=False)

    def to_doc(self):
        spec = {}
        for key, val in [
            ("asNumber", self.as_number),
            ("keepOriginalNextHop", self.keep_original_next_hop or None),
            ("maxRestartTime", self.max_restart_time),
            ("node", self.node),
            ("nodeSelector", self.node_selector),
            ("numAllowedLocalASNumbers", self.num_allowed_local_as_numbers),
            ("password", self.password),
            ("peerIP", self.peer_ip),
            ("peerSelector", self.peer_selector),
            ("reachableBy", self.reachable_by),
            ("sourceAddress", self.source_address),
            ("ttlSecurity", self.ttl_security),
        ]:
            if val is not None:
                spec[key] = val
        if self.filters:
            spec["filters"] = list(self.filters)
        return {"apiVersion": "projectcalico.org/v3", "kind": "BGPPeer", "metadata": {"name": self.name}, "spec": spec}


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
        return {
            "apiVersion": "projectcalico.org/v3",
            "kind": "IPAMConfiguration",
            "metadata": {"name": "default"},
            "spec": {
                "autoAllocateBlocks": self.auto_allocate_blocks,
                "maxBlocksPerHost": self.max_blocks_per_host,
                "strictAffinity": self.strict_affinity,
            },
        }


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

    def extend(self, other):
        for name in ("pools", "nodes", "bgp_configurations", "bgp_peers", "blocks", "affinities", "pods"):
            getattr(self, name).extend(getattr(other, name))
        if other.ipam_config is not None:
            self.ipam_config = other.ipam_config


# --------------------------------------------------------------------------------------
# Field helpers


def _get(d, src, path, types, default=None, required=False):
    """Read ``path`` (dotted) from mapping ``d``; check the type."""
    cur = d
    parts = path.split(".")
    for i, p in enumerate(parts):
        if not isinstance(cur, dict):
            _fail(src, ".".join(parts[:i]), f"expected a mapping, got {type(cur).__name__} {cur!r}")
        if p not in cur or cur[p] is None:
            if required:
                _fail(src, path, "required field is missing")
            return default
        cur = cur[p]
    if types is not None and not isinstance(cur, types) or (types is int and isinstance(cur, bool)):
        names = " or ".join(t.__name__ for t in (types if isinstance(types, tuple) else (types,)))
        _fail(src, path, f"expected {names}, got {type(cur).__name__} {cur!r}")
    return cur


def _interface(value, src, path, version=None):
    try:
        iface = ipaddress.ip_interface(str(value).strip())
    except ValueError:
        _fail(src, path, f"invalid address {value!r}: expected an IP address with optional /prefix-length")
    if version is not None and iface.version != version:
        _fail(src, path, f"invalid address {value!r}: expected an IPv{version} address")
    return iface


def _address(value, src, path, version=None):
    try:
        addr = ipaddress.ip_address(str(value).strip().split("/")[0])
    except ValueError:
        _fail(src, path, f"invalid address {value!r}: expected an IP address")
    if version is not None and addr.version != version:
        _fail(src, path, f"invalid address {value!r}: expected an IPv{version} address")
    return addr


def _network(value, src, path, strict=True):
    try:
        return ipaddress.ip_network(str(value).strip(), strict=strict)
    except ValueError:
        _fail(src, path, f"invalid CIDR {value!r}: expected a network such as '10.244.0.0/16'")


def _asn(value, src, path):
    try:
        return as_number(value)
    except InvalidValueError as e:
        _fail(src, path, str(e))


def _bool(value, src, path):
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    _fail(src, path, f"expected a boolean, got {value!r}")


# --------------------------------------------------------------------------------------
# Per-kind parsers.  Each returns a record (or a list of records for Installation).

_CALICO_GROUPS = ("projectcalico.org/v3", "crd.projectcalico.org/v1")


def _parse_ippool_raw(doc, src):
    """IPPool spec as given (before Calico's defaulting); validation happens in validate_pools."""
    spec = _get(doc, src, "spec", dict, default={})
    raw = dict(spec)
    enc = spec.get("encapsulation")
    if enc is not None:
        # fastroute accepts the operator's encapsulation on an IPPool for convenience.
        if "ipipMode" in spec or "vxlanMode" in spec:
            _fail(src, "spec.encapsulation", "give either encapsulation or ipipMode/vxlanMode, not both")
        ipip, vxlan = encapsulation_modes(enc, src.where("spec.encapsulation"))
        raw["ipipMode"], raw["vxlanMode"] = ipip, vxlan
    raw.pop("encapsulation", None)
    return ("IPPool", src, raw)


def _installation_pools(doc, src):
    pools = _get(doc, src, "spec.calicoNetwork.ipPools", list, default=[])
    out = []
    named = []
    for i, p in enumerate(pools):
        path = f"spec.calicoNetwork.ipPools[{i}]"
        if not isinstance(p, dict):
            _fail(src, path, f"expected a mapping, got {p!r}")
        cidr_text = p.get("cidr")
        if not cidr_text:
            _fail(src, f"{path}.cidr", "required field is missing")
        net = _network(cidr_text, src, f"{path}.cidr", strict=False)
        v6 = net.version == 6
        enc = p.get("encapsulation", "None" if v6 else "IPIP")
        ipip, vxlan = encapsulation_modes(enc, src.where(f"{path}.encapsulation"))
        if v6 and ipip != "Never":
            _fail(src, f"{path}.encapsulation", f"IPIP encapsulation is not supported by IPv6 pools, but it is set for {cidr_text}")
        nat = p.get("natOutgoing", "Disabled" if v6 else "Enabled")
        if nat not in ("Enabled", "Disabled"):
            _fail(src, f"{path}.natOutgoing", f"invalid value {nat!r}: expected 'Enabled' or 'Disabled'")
        bs = p.get("blockSize", 122 if v6 else 26)
        if not isinstance(bs, int) or isinstance(bs, bool):
            _fail(src, f"{path}.blockSize", f"expected int, got {bs!r}")
        lo, hi = (116, 128) if v6 else (20, 32)
        if not lo <= bs <= hi:
            fam = "IPv6" if v6 else "IPv4"
            _fail(src, f"{path}.blockSize", f"{fam} pool block size must be greater than {lo - 1} and less than or equal to {hi}")
        if net.prefixlen > bs:
            _fail(src, f"{path}.cidr", "IP pool size is too small. It must be equal to or greater than the block size.")
        key = p.get("name") or cidr_text
        if key in named:
            _fail(src, path, f"IP pool {key} is specified more than once")
        named.append(key)
        raw = {
            "cidr": cidr_text,
            "blockSize": bs,
            "ipipMode": ipip,
            "vxlanMode": vxlan,
            "natOutgoing": nat == "Enabled",
            "nodeSelector": p.get("nodeSelector", "all()"),
        }
        if "disableBGPExport" in p:
            raw["disableBGPExport"] = p["disableBGPExport"]
        if "allowedUses" in p:
            raw["allowedUses"] = p["allowedUses"]
        out.append([p.get("name"), net, raw, Source(src.file, src.document, "Installation", src.name, i)])
    # Operator naming: default-ipv4-ippool / default-ipv6-ippool for one pool per family,
    # otherwise a name built from the CIDR.
    n4 = sum(1 for _, net, _, _ in out if net.version == 4)
    n6 = len(out) - n4
    results = []
    for name, net, raw, psrc in out:
        if not name:
            if (net.version == 4 and n4 == 1) or (net.version == 6 and n6 == 1):
                name = f"default-ipv{net.version}-ippool"
            else:
                text = net.exploded if net.version == 6 else str(net)
                name = text.replace(":", ".").replace("/", "-")
        results.append(("IPPool", replace(psrc, kind="IPPool", name=name), dict(raw, _name=name)))
    return results


def _parse_calico_node(doc, src):
    meta = _get(doc, src, "metadata", dict, default={})
    spec = _get(doc, src, "spec", dict, default={})
    ann = meta.get("annotations") or {}
    bgp = spec.get("bgp") or {}
    if not isinstance(bgp, dict):
        _fail(src, "spec.bgp", f"expected a mapping, got {bgp!r}")
    ipv4 = bgp.get("ipv4Address")
    ipv6 = bgp.get("ipv6Address")
    return Node(
        name=src.name,
        ipv4=_interface(ipv4, src, "spec.bgp.ipv4Address", 4) if ipv4 else None,
        ipv6=_interface(ipv6, src, "spec.bgp.ipv6Address", 6) if ipv6 else None,
        asn=_asn(bgp["asNumber"], src, "spec.bgp.asNumber") if bgp.get("asNumber") is not None else None,
        uplink=str(ann.get("fastroute.io/uplink", "eth0")),
        rr_cluster_id=_rr_id(bgp.get("routeReflectorClusterID"), src, "spec.bgp.routeReflectorClusterID"),
        labels=_labels(meta, src),
        ipv4_ipip_tunnel_addr=_opt_addr(bgp.get("ipv4IPIPTunnelAddr"), src, "spec.bgp.ipv4IPIPTunnelAddr", 4),
        ipv4_vxlan_tunnel_addr=_opt_addr(spec.get("ipv4VXLANTunnelAddr"), src, "spec.ipv4VXLANTunnelAddr", 4),
        ipv6_vxlan_tunnel_addr=_opt_addr(spec.get("ipv6VXLANTunnelAddr"), src, "spec.ipv6VXLANTunnelAddr", 6),
        host_routes=_host_routes(ann, src),
        source=src,
    )


HOST_ROUTES = "fastroute.io/host-routes"


def _host_routes(ann, src):
    """The node's own routes (`ip route` text), checked line by line."""
    text = ann.get(HOST_ROUTES)
    if text is None:
        return None
    path = f"metadata.annotations['{HOST_ROUTES}']"
    if not isinstance(text, str):
        _fail(src, path, f"expected `ip route` text, got {text!r}")
    from ..iproute import parse_ip_route
    from ..errors import FastrouteError
    for n, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            r = parse_ip_route(line)[0]
            if r.dst != "default":
                ipaddress.ip_network(r.dst, strict=True)
            if r.via:
                ipaddress.ip_address(r.via)
        except (FastrouteError, ValueError) as e:
            _fail(src, path, f"line {n} {line.strip()!r} is not a route: {e}")
    return text


def _opt_addr(value, src, path, version):
    return _address(value, src, path, version) if value else None


def _rr_id(value, src, path):
    if not value:
        return None
    try:
        ipaddress.IPv4Address(str(value))
    except ValueError:
        _fail(src, path, f"invalid route reflector cluster ID {value!r}: expected an IPv4-formatted ID")
    return str(value)


def _parse_k8s_node(doc, src):
    meta = _get(doc, src, "metadata", dict, default={})
    ann = meta.get("annotations") or {}
    ipv4 = ann.get("projectcalico.org/IPv4Address")
    ipv6 = ann.get("projectcalico.org/IPv6Address")
    where = "metadata.annotations"
    if not ipv4:
        # Without Calico's annotation, fall back to the InternalIP (no mask known: /32).
        for a in _get(doc, src, "status.addresses", list, default=[]):
            if isinstance(a, dict) and a.get("type") == "InternalIP":
                try:
                    if ipaddress.ip_address(a.get("address")).version == 4:
                        ipv4 = a["address"]
                        where = "status.addresses"
                        break
                except ValueError:
                    _fail(src, "status.addresses", f"invalid address {a.get('address')!r}")
    asn = ann.get("projectcalico.org/ASNumber")
    return Node(
        name=src.name,
        ipv4=_interface(ipv4, src, f"{where}['projectcalico.org/IPv4Address']" if where != "status.addresses" else where, 4)
        if ipv4
        else None,
        ipv6=_interface(ipv6, src, "metadata.annotations['projectcalico.org/IPv6Address']", 6) if ipv6 else None,
        asn=_asn(asn, src, "metadata.annotations['projectcalico.org/ASNumber']") if asn else None,
        uplink=str(ann.get("fastroute.io/uplink", "eth0")),
        rr_cluster_id=_rr_id(
            ann.get("projectcalico.org/RouteReflectorClusterID"),
            src,
            "metadata.annotations['projectcalico.org/RouteReflectorClusterID']",
        ),
        labels=_labels(meta, src),
        ipv4_ipip_tunnel_addr=_opt_addr(
            ann.get("projectcalico.org/IPv4IPIPTunnelAddr"), src, "metadata.annotations['projectcalico.org/IPv4IPIPTunnelAddr']", 4
        ),
        ipv4_vxlan_tunnel_addr=_opt_addr(
            ann.get("projectcalico.org/IPv4VXLANTunnelAddr"), src, "metadata.annotations['projectcalico.org/IPv4VXLANTunnelAddr']", 4
        ),
        ipv6_vxlan_tunnel_addr=_opt_addr(
            ann.get("projectcalico.org/IPv6VXLANTunnelAddr"), src, "metadata.annotations['projectcalico.org/IPv6VXLANTunnelAddr']", 6
        ),
        host_routes=_host_routes(ann, src),
        source=src,
    )


def _cidr_list(values, src, path):
    out = []
    for i, v in enumerate(values or []):
        c = v.get("cidr") if isinstance(v, dict) else v
        out.append(str(_network(c, src, f"{path}[{i}].cidr")))
    return tuple(out)


CALICO_VERSION = "fastroute.io/calico-version"


def _calico_version(doc, src):
    ann = (doc.get("metadata") or {}).get("annotations") or {}
    value = ann.get(CALICO_VERSION)
    if value is None:
        return None
    if str(value) not in CALICO_VERSIONS:
        _fail(src, f"metadata.annotations['{CALICO_VERSION}']",
              f"unknown Calico version {value!r}: expected one of {', '.join(map(repr, CALICO_VERSIONS))}")
    return str(value)


def _parse_bgpconfig(doc, src):
    spec = _get(doc, src, "spec", dict, default={})
    mesh = spec.get("nodeToNodeMeshEnabled")
    cfg = BGPConfiguration(
        name=src.name or "default",
        node_to_node_mesh=_bool(mesh, src, "spec.nodeToNodeMeshEnabled") if mesh is not None else None,
        as_number=_asn(spec["asNumber"], src, "spec.asNumber") if spec.get("asNumber") is not None else None,
        listen_port=_get(doc, src, "spec.listenPort", int),
        log_severity_screen=spec.get("logSeverityScreen"),
        bind_mode=spec.get("bindMode"),
        service_cluster_ips=_cidr_list(spec.get("serviceClusterIPs"), src, "spec.serviceClusterIPs"),
        service_external_ips=_cidr_list(spec.get("serviceExternalIPs"), src, "spec.serviceExternalIPs"),
        service_load_balancer_ips=_cidr_list(spec.get("serviceLoadBalancerIPs"), src, "spec.serviceLoadBalancerIPs"),
        communities=tuple(spec.get("communities") or ()),
        prefix_advertisements=tuple(spec.get("prefixAdvertisements") or ()),
        ignored_interfaces=tuple(spec.get("ignoredInterfaces") or ()),
        node_mesh_password=spec.get("nodeMeshPassword"),
        node_mesh_max_restart_time=spec.get("nodeMeshMaxRestartTime"),
        calico_version=_calico_version(doc, src),
        source=src,
    )
    if cfg.listen_port is not None and cfg.listen_port <= 0:
        _fail(src, "spec.listenPort", f"invalid port {cfg.listen_port!r}: must be greater than 0")
    if cfg.name != "default":
        for key, val in [
            ("nodeToNodeMeshEnabled", cfg.node_to_node_mesh),
            ("asNumber", cfg.as_number),
            ("serviceClusterIPs", cfg.service_cluster_ips or None),
            ("serviceExternalIPs", cfg.service_external_ips or None),
            ("serviceLoadBalancerIPs", cfg.service_load_balancer_ips or None),
            ("nodeMeshPassword", cfg.node_mesh_password),
            ("nodeMeshMaxRestartTime", cfg.node_mesh_max_restart_time),
        ]:
            if val is not None:
                field_name = key[0].upper() + key[1:]
                _fail(src, f"spec.{key}", f"Cannot set {field_name} on a non default BGP Configuration.")
    elif not cfg.mesh_enabled:
        if cfg.node_mesh_password is not None:
            _fail(src, "spec.nodeMeshPassword", "spec.NodeMeshPassword cannot be set if spec.NodeToNodeMesh is disabled")
        if cfg.node_mesh_max_restart_time is not None:
            _fail(
                src,
                "spec.nodeMeshMaxRestartTime",
                "spec.NodeMeshMaxRestartTime cannot be set if spec.NodeToNodeMesh is disabled",
            )
    return cfg


def _parse_bgppeer(doc, src):
    spec = _get(doc, src, "spec", dict, default={})
    peer = BGPPeer(
        name=src.name,
        node=spec.get("node") or None,
        node_selector=spec.get("nodeSelector") or None,
        peer_ip=spec.get("peerIP") or None,
        as_number=_asn(spec["asNumber"], src, "spec.asNumber") if spec.get("asNumber") is not None else None,
        peer_selector=spec.get("peerSelector") or None,
        keep_original_next_hop=bool(spec.get("keepOriginalNextHop", False)),
        source_address=spec.get("sourceAddress"),
        max_restart_time=spec.get("maxRestartTime"),
        num_allowed_local_as_numbers=spec.get("numAllowedLocalASNumbers"),
        ttl_security=spec.get("ttlSecurity"),
        reachable_by=spec.get("reachableBy") or None,
        filters=tuple(spec.get("filters") or ()),
        password=spec.get("password"),
        source=src,
    )
    if peer.node and peer.node_selector:
        _fail(src, "spec.nodeSelector", "Node field must be empty when NodeSelector is specified")
    if peer.peer_ip and peer.peer_selector:
        _fail(src, "spec.peerSelector", "PeerIP field must be empty when PeerSelector is specified")
    if peer.as_number is not None and peer.peer_selector:
        _fail(src, "spec.peerSelector", "ASNumber field must be empty when PeerSelector is specified")
    if peer.reachable_by and not peer.peer_ip:
        _fail(src, "spec.reachableBy", "ReachablyBy field must be empty when PeerIP is empty")
    for key in ("node_selector", "peer_selector"):
        text = getattr(peer, key)
        if text:
            try:
                Selector(text)
            except ValueError as e:
                camel = "nodeSelector" if key == "node_selector" else "peerSelector"
                _fail(src, f"spec.{camel}", str(e))
    if peer.peer_ip:
        _peer_ip_address(peer.peer_ip, src)
        if peer.reachable_by:
            a = _peer_ip_address(peer.peer_ip, src)
            b = _address(peer.reachable_by, src, "spec.reachableBy")
            if a.version != b.version:
                _fail(src, "spec.reachableBy", "ReachableBy and PeerIP address family mismatched")
    return peer


def _peer_ip_address(text, src):
    """The address part of ``ip``, ``ip:port`` or ``[v6]:port``."""
    t = str(text).strip()
    if t.startswith("["):
        t = t[1:].split("]")[0]
    elif t.count(":") == 1:
        t = t.split(":")[0]
    return _address(t, src, "spec.peerIP")


def _parse_ipam_config(doc, src):
    spec = _get(doc, src, "spec", dict, default={})
    mbph = spec.get("maxBlocksPerHost", 0) or 0
    if not isinstance(mbph, int) or isinstance(mbph, bool) or mbph < 0:
        _fail(src, "spec.maxBlocksPerHost", f"invalid value {mbph!r}: must be a non-negative integer")
    strict = _bool(spec.get("strictAffinity", False), src, "spec.strictAffinity")
    auto = _bool(spec.get("autoAllocateBlocks", True), src, "spec.autoAllocateBlocks")
    if mbph > 0 and not strict:
        _fail(src, "spec.maxBlocksPerHost", "MaxBlocksPerHost requires StrictAffinity to be enabled")
    if not strict and not auto:
        _fail(src, "spec.autoAllocateBlocks", "Cannot disable both StrictAffinity and AutoAllocateBlocks")
    return IPAMConfig(strict_affinity=strict, auto_allocate_blocks=auto, max_blocks_per_host=mbph, source=src)


def _labels(meta, src):
    labels = meta.get("labels") or {}
    if not isinstance(labels, dict):
        _fail(src, "metadata.labels", f"expected a mapping of label names to values, got {labels!r}")
    return {str(k): "" if v is None else str(v) for k, v in labels.items()}


def _parse_ipamblock(doc, src):
    spec = _get(doc, src, "spec", dict, required=True)
    cidr = _network(_get(doc, src, "spec.cidr", str, required=True), src, "spec.cidr")
    lo = 20 if cidr.version == 4 else 116
    if cidr.prefixlen < lo:
        _fail(src, "spec.cidr", f"block {str(cidr)!r} is larger than Calico allows: the block size must be "
                                f"{lo}..{cidr.max_prefixlen}")
    n = cidr.num_addresses
    allocs = _get(doc, src, "spec.allocations", list, default=[None] * n)
    if len(allocs) != n:
        _fail(src, "spec.allocations", f"expected {n} entries for {cidr}, got {len(allocs)}")
    attrs = _get(doc, src, "spec.attributes", list, default=[])
    for i, a in enumerate(allocs):
        if a is not None and (not isinstance(a, int) or not 0 <= a < len(attrs)):
            _fail(src, f"spec.allocations[{i}]", f"invalid attribute index {a!r}: block has {len(attrs)} attributes")
    unalloc = _get(doc, src, "spec.unallocated", list, default=[i for i, a in enumerate(allocs) if a is None])
    for i, o in enumerate(unalloc):
        if not isinstance(o, int) or not 0 <= o < n or allocs[o] is not None:
            _fail(src, f"spec.unallocated[{i}]", f"invalid free ordinal {o!r} for {cidr}")
    if len(set(unalloc)) != len(unalloc):
        _fail(src, "spec.unallocated", "ordinals repeat")
    norm_attrs = []
    for i, a in enumerate(attrs):
        if not isinstance(a, dict):
            _fail(src, f"spec.attributes[{i}]", f"expected a mapping, got {a!r}")
        secondary = a.get("secondary") or {}
        if not isinstance(secondary, dict):
            _fail(src, f"spec.attributes[{i}].secondary", f"expected a mapping, got {secondary!r}")
        norm_attrs.append({"handle_id": a.get("handle_id"), "secondary": dict(secondary)})
    aff = spec.get("affinity")
    if aff is not None and not str(aff).startswith("host:"):
        _fail(src, "spec.affinity", f"unsupported affinity {aff!r}: expected 'host:<node>'")
    return BlockRecord(
        cidr=cidr,
        affinity=str(aff) if aff else None,
        allocations=tuple(allocs),
        unallocated=tuple(unalloc),
        attributes=tuple(norm_attrs),
        sequence_number=_get(doc, src, "spec.sequenceNumber", int, default=0) or 0,
        source=src,
    )


def _parse_affinity(doc, src):
    spec = _get(doc, src, "spec", dict, required=True)
    node = _get(doc, src, "spec.node", str, required=True)
    cidr = _network(_get(doc, src, "spec.cidr", str, required=True), src, "spec.cidr")
    deleted = str(spec.get("deleted", "false")).lower() == "true"
    state = spec.get("state", "confirmed")
    if deleted:
        state = "pendingDeletion"
    return AffinityRecord(node=node, cidr=cidr, state=state, source=src)


def _parse_wep(doc, src):
    meta = _get(doc, src, "metadata", dict, default={})
    spec = _get(doc, src, "spec", dict, required=True)
    node = _get(doc, src, "spec.node", str, required=True)
    pod = _get(doc, src, "spec.pod", str, required=True)
    nets = _get(doc, src, "spec.ipNetworks", list, default=[])
    ips = tuple(_address(n, src, f"spec.ipNetworks[{i}]") for i, n in enumerate(nets))
    return PodRecord(
        namespace=meta.get("namespace") or "default",
        name=pod,
        node=node,
        ips=ips,
        interface_name=spec.get("interfaceName"),
        labels=_labels(meta, src),
        source=src,
    )


def _parse_pod(doc, src):
    meta = _get(doc, src, "metadata", dict, default={})
    spec = _get(doc, src, "spec", dict, default={})
    if spec.get("hostNetwork"):
        return None  # host-networked pods use the node's address; Calico IPAM is not involved
    node = _get(doc, src, "spec.nodeName", str, required=True)
    status = doc.get("status") or {}
    texts = [p.get("ip") for p in (status.get("podIPs") or []) if isinstance(p, dict)]
    if not texts and status.get("podIP"):
        texts = [status["podIP"]]
    ips = tuple(_address(t, src, "status.podIPs") for t in texts if t)
    return PodRecord(
        namespace=meta.get("namespace") or "default",
        name=src.name,
        node=node,
        ips=ips,
        labels=_labels(meta, src),
        source=src,
    )


_KINDS = {
    ("projectcalico.org/v3", "IPPool"): _parse_ippool_raw,
    ("crd.projectcalico.org/v1", "IPPool"): _parse_ippool_raw,
    ("projectcalico.org/v3", "Node"): _parse_calico_node,
    ("projectcalico.org/v3", "BGPConfiguration"): _parse_bgpconfig,
    ("crd.projectcalico.org/v1", "BGPConfiguration"): _parse_bgpconfig,
    ("projectcalico.org/v3", "BGPPeer"): _parse_bgppeer,
    ("crd.projectcalico.org/v1", "BGPPeer"): _parse_bgppeer,
    ("projectcalico.org/v3", "IPAMConfiguration"): _parse_ipam_config,
    ("crd.projectcalico.org/v1", "IPAMConfig"): _parse_ipam_config,
    ("crd.projectcalico.org/v1", "IPAMBlock"): _parse_ipamblock,
    ("crd.projectcalico.org/v1", "BlockAffinity"): _parse_affinity,
    ("projectcalico.org/v3", "WorkloadEndpoint"): _parse_wep,
    ("v1", "Pod"): _parse_pod,
    ("v1", "Node"): _parse_k8s_node,
    ("operator.tigera.io/v1", "Installation"): _installation_pools,
}

#: Kinds fastroute reads but has no use for (they do not change IPAM or routing).
_IGNORED = {"Namespace", "Service", "Endpoints", "ConfigMap", "Profile", "FelixConfiguration", "KubeControllersConfiguration",
            "IPAMHandle", "ClusterInformation", "Deployment", "DaemonSet", "ReplicaSet"}


def _known_kinds():
    return sorted({f"{k} ({g})" for g, k in _KINDS})


def _dispatch(doc, src, out, raw_pools):
    if not isinstance(doc, dict):
        _fail(src, None, f"expected a mapping with apiVersion and kind, got {type(doc).__name__} {doc!r}")
    kind = doc.get("kind")
    api = doc.get("apiVersion")
    if not kind:
        _fail(src, "kind", "required field is missing")
    if not isinstance(kind, str):
        _fail(src, "kind", f"expected a string, got {kind!r}")
    if not api:
        _fail(replace(src, kind=kind), "apiVersion", "required field is missing")
    if not isinstance(api, str):
        _fail(replace(src, kind=kind), "apiVersion", f"expected a string, got {api!r}")
    if kind == "List" or (kind.endswith("List") and "items" in doc):
        items = doc.get("items") or []
        if not isinstance(items, list):
            _fail(replace(src, kind=kind), "items", f"expected a list, got {items!r}")
        for i, item in enumerate(items):
            isrc = replace(src, item=i, kind="", name="")
            if isinstance(item, dict) and "kind" not in item and kind != "List":
                item = dict(item, kind=kind[: -len("List")], apiVersion=item.get("apiVersion", api))
            _dispatch(item, isrc, out, raw_pools)
        return
    meta = doc.get("metadata") or {}
    if not isinstance(meta, dict):
        _fail(replace(src, kind=kind), "metadata", f"expected a mapping, got {meta!r}")
    src = replace(src, kind=kind, name=str(meta.get("name") or ""), api=str(api))
    parser = _KINDS.get((api, kind))
    if parser is None:
        if kind in _IGNORED:
            return
        if any(k == kind for _, k in _KINDS):
            allowed = ", ".join(g for g, k in _KINDS if k == kind)
            _fail(src, "apiVersion", f"unsupported apiVersion {api!r} for {kind}: expected {allowed}")
        _fail(src, "kind", f"unknown kind {kind!r}: expected one of {', '.join(_known_kinds())}")
    needs_name = kind not in ("Installation",)
    if needs_name and not src.name and kind not in ("IPAMConfiguration", "IPAMConfig", "BGPConfiguration"):
        _fail(src, "metadata.name", "required field is missing")
    try:
        rec = parser(doc, src)
    except FastrouteError:
        raise
    except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError) as e:
        # a shape no check above anticipated: still name the document, never a traceback
        raise ResourceError(f"{src.where()}: malformed {kind}: {e}") from None
    if rec is None:
        return
    if kind == "Installation":
        raw_pools.extend(rec)
    elif kind == "IPPool":
        raw_pools.append(rec)
    elif isinstance(rec, Node):
        out.nodes.append(rec)
    elif isinstance(rec, BGPConfiguration):
        out.bgp_configurations.append(rec)
    elif isinstance(rec, BGPPeer):
        out.bgp_peers.append(rec)
    elif isinstance(rec, IPAMConfig):
        out.ipam_config = rec
    elif isinstance(rec, BlockRecord):
        out.blocks.append(rec)
    elif isinstance(rec, AffinityRecord):
        out.affinities.append(rec)
    elif isinstance(rec, PodRecord):
        out.pods.append(rec)


# --------------------------------------------------------------------------------------
# IPPool validation (libcalico-go clientv3/ippool.go validateAndSetDefaults, then the
# struct validator), rendered as calicoctl prints it.


def _go_value(v):
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, (list, tuple)):
        return "[" + " ".join(str(x) for x in v) + "]"
    return str(v)


def _field(name, reason, value=None):
    if value is None:
        return f"{name} ({reason})"
    return f"{name} = '{_go_value(value)}' ({reason})"


def _render(fields):
    if len(fields) == 1:
        err = "error with field " + fields[0]
    else:
        err = "error with the following fields:\n" + "".join(f"-  {f}\n" for f in fields)
    return f"Failed to create 'IPPool' resource: [{err}]"


_LINK_LOCAL4 = ipaddress.ip_network("169.254.0.0/16")
_LINK_LOCAL6 = ipaddress.ip_network("fe80::/10")


def _validate_pool(name, spec, existing, src):
    """Return an IPPool, or raise ResourceError with Calico's message."""
    where = src.where()
    cidr_text = spec.get("cidr")
    if cidr_text in (None, ""):
        raise ResourceError(f"{where}: {_render([_field('IPPool.Spec.CIDR', 'IPPool CIDR must be specified')])}")
    try:
        iface = ipaddress.ip_interface(str(cidr_text).strip())
        if "/" not in str(cidr_text):
            raise ValueError
    except ValueError:
        raise ResourceError(
            f"{where}: {_render([_field('IPPool.Spec.CIDR', 'IPPool CIDR must be a valid subnet', cidr_text)])}"
        ) from None
    net = iface.network
    cidr = str(net)
    version = net.version
    errs = []
    bs = spec.get("blockSize") or 0
    if not isinstance(bs, int) or isinstance(bs, bool):
        raise ResourceError(f"{src.where('spec.blockSize')}: expected int, got {type(bs).__name__} {bs!r}")
    if bs == 0:
        bs = 26 if version == 4 else 122
    uses = spec.get("allowedUses") or ["Workload", "Tunnel"]
    if not isinstance(uses, list) or not all(isinstance(u, str) for u in uses):
        raise ResourceError(f"{src.where('spec.allowedUses')}: expected a list of strings, got {uses!r}")
    if version == 4 and not 20 <= bs <= 32:
        errs.append(_field("IPPool.Spec.BlockSize", "IPv4 block size must be between 20 and 32", bs))
    if version == 6 and not 116 <= bs <= 128:
        errs.append(_field("IPPool.Spec.BlockSize", "IPv6 block size must be between 116 and 128", bs))
    disabled = _bool(spec.get("disabled", False), src, "spec.disabled")
    if not disabled and net.prefixlen > bs:
        errs.append(
            _field(
                "IPPool.Spec.CIDR",
                "IP pool size is too small for use with Calico IPAM. It must be equal to or greater than the block size.",
                cidr,
            )
        )
    for other in existing:
        if other.name != name and other.cidr.version == version and other.cidr.overlaps(net):
            errs.append(
                _field("IPPool.Spec.CIDR", f"IPPool({name}) CIDR overlaps with IPPool({other.name}) CIDR {other.cidr}", cidr)
            )
    ipip = spec.get("ipipMode") or "Never"
    vxlan = spec.get("vxlanMode") or "Never"
    if vxlan != "Never" and ipip != "Never":
        errs.append(_field("IPPool.Spec.VXLANMode", "Cannot enable both VXLAN and IPIP on the same IPPool", vxlan))
    if version == 6 and ipip != "Never":
        errs.append(_field("IPPool.Spec.IPIPMode", "IPIP is not supported on an IPv6 IP pool", ipip))
    if iface.ip != net.network_address:
        errs.append(_field("IPPool.Spec.CIDR", "IPPool CIDR is not strictly masked", cidr))
    if version == 4 and net.overlaps(_LINK_LOCAL4):
        errs.append(_field("IPPool.Spec.CIDR", "IPPool CIDR overlaps with IPv4 Link Local range 169.254.0.0/16", cidr))
    if version == 6 and net.overlaps(_LINK_LOCAL6):
        errs.append(_field("IPPool.Spec.CIDR", "IPPool CIDR overlaps with IPv6 Link Local range fe80::/10", cidr))
    if errs:
        raise ResourceError(f"{where}: {_render(errs)}")
    # Struct validator (runs only once the above passed).
    for fname, val in (("IPIPMode", ipip), ("VXLANMode", vxlan)):
        if val not in _MODES:
            tag = "ipIpMode" if fname == "IPIPMode" else "vxlanMode"
            reason = f"Reason: failed to validate Field: {fname} because of Tag: {tag} "
            raise ResourceError(f"{where}: {_render([_field(fname, reason, val)])}")
    for u in uses:
        if u not in ("Workload", "Tunnel"):
            raise ResourceError(f"{where}: Failed to create 'IPPool' resource: [unknown use: {u}]")
    selector = spec.get("nodeSelector") or "all()"
    try:
        Selector(selector)
    except ValueError as e:
        raise ResourceError(f"{src.where('spec.nodeSelector')}: {e}") from None
    return IPPool(
        name=name,
        cidr=net,
        block_size=bs,
        ipip_mode=ipip,
        vxlan_mode=vxlan,
        nat_outgoing=_bool(spec.get("natOutgoing", False), src, "spec.natOutgoing"),
        disabled=disabled,
        disable_bgp_export=_bool(spec.get("disableBGPExport", False), src, "spec.disableBGPExport"),
        node_selector=selector,
        allowed_uses=tuple(uses),
        source=src,
    )


def validate_pools(raw_pools):
    """Validate and default IPPools in order, as if created one after the other.

    Parameters
    ----------
    raw_pools : list of (kind, Source, spec dict)

    Returns
    -------
    list of IPPool

    Raises
    ------
    ResourceError
        With Calico's message, e.g. ``Failed to create 'IPPool' resource: [error with field
        IPPool.Spec.CIDR = '192.168.0.0/17' (IPPool(p2) CIDR overlaps with IPPool(default-ipv4-ippool)
        CIDR 192.168.0.0/16)]``, prefixed with the file and document.
    """
    pools = []
    seen = {}
    for _, src, spec in raw_pools:
        name = spec.get("_name") or src.name
        if name in seen:
            raise ResourceError(f"{src.where('metadata.name')}: IPPool {name!r} is defined twice (first at {seen[name]})")
        spec = {k: v for k, v in spec.items() if k != "_name"}
        try:
            pools.append(_validate_pool(name, spec, pools, src))
        except FastrouteError:
            raise
        except (TypeError, ValueError, AttributeError, KeyError, IndexError, OverflowError) as e:
            raise ResourceError(f"{src.where()}: malformed IPPool: {e}") from None
        seen[name] = src.where()
    return pools


# --------------------------------------------------------------------------------------
# Reading files


_Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _documents_of(text, filename):
    head = text.lstrip()[:1]
    if head in ("{", "["):
        # JSON (`kubectl get -o json`, `fastroute export -o x.json`) is YAML too, but
        # the json module reads it ten times faster than PyYAML builds it
        try:
            data = json.loads(text)
        except ValueError:
            pass                    # YAML flow style, not JSON: the YAML reader decides
        else:
            return data if isinstance(data, list) else [data]
    try:
        # libyaml's loader when PyYAML has it: a thousand-node dump loads in a
        # second instead of half a minute
        return [d for d in yaml.load_all(text, Loader=_Loader)]
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        at = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(e, "problem", None) or str(e)
        raise ResourceError(f"{filename}: malformed YAML{at}: {problem}") from None


def parse_documents(docs, filename="<input>"):
    """Parse already-loaded YAML documents (a list of mappings) into :class:`Resources`."""
    out = Resources()
    raw_pools = []
    for i, doc in enumerate(docs):
        if doc is None:
            continue
        _dispatch(doc, Source(filename, i + 1), out, raw_pools)
    out._raw_pools = raw_pools  # validated together in _finish so overlaps see every file
    return out


def _finish(res):
    raw = getattr(res, "_raw_pools", [])
    res.pools = validate_pools(raw)
    return res


def loads(text, filename="<string>"):
    """Read resources from YAML text (one or more documents)."""
    return _finish(parse_documents(_documents_of(text, filename), filename))


def _files_in(path):
    if os.path.isdir(path):
        names = sorted(
            n for n in os.listdir(path) if n.endswith((".yaml", ".yml", ".json")) and not n.startswith(".")
        )
        if not names:
            raise ResourceError(f"{path}: folder holds no .yaml, .yml or .json files")
        return [os.path.join(path, n) for n in names]
    return [path]


def load(path):
    """Read resources from a YAML/JSON file or from every such file in a folder (name order).

    Raises
    ------
    ResourceError
        Malformed YAML, an unknown kind, a missing or invalid field, an invalid IPPool.
    OSError
        The path cannot be read.
    """
    res = Resources()
    res._raw_pools = []
    for f in _files_in(os.fspath(path)):
        with open(f, encoding="utf-8") as fh:
            text = fh.read()
        part = parse_documents(_documents_of(text, f), f)
        res._raw_pools.extend(part._raw_pools)
        res.extend(part)
    return _finish(res)


# --------------------------------------------------------------------------------------
# Writing


def dump_json(docs, stream=None):
    """Write documents as one JSON ``List`` (what ``kubectl get -o json`` prints);
    returns the text if ``stream`` is None."""
    text = json.dumps({"apiVersion": "v1", "kind": "List", "items": list(docs)}, indent=1) + "\n"
    if stream is None:
        return text
    stream.write(text)
    return None


class _Dumper(getattr(yaml, "CSafeDumper", yaml.SafeDumper)):
    pass


def _str_presenter(dumper, data):
    return dumper.represent_scalar("tag:yaml.org,2002:str", data)


_Dumper.add_representer(str, _str_presenter)


def dump_documents(docs, stream=None):
    """Write mappings as a multi-document YAML stream (``---`` between documents).

    Returns the text when ``stream`` is None.
    """
    return yaml.dump_all(docs, stream, Dumper=_Dumper, default_flow_style=False, sort_keys=False, explicit_start=True)
