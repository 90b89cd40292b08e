"""The document reader: YAML/JSON text and files in, :class:`~fastroute.model.kinds.Resources` out.

One parser per kind (projectcalico.org/v3 and crd.projectcalico.org/v1 Calico kinds,
Kubernetes v1 Pod and Node, operator.tigera.io/v1 Installation); :func:`parse_documents`
dispatches each document (and each item of a ``List``) to its parser.
"""

import ipaddress
import os
from collections.abc import Iterable
from dataclasses import replace

from . import filters, services, yamltext
from .calico import CALICO_VERSIONS
from .kinds import (
    CALICO_VERSION, HOST_ROUTES, AffinityRecord, BGPConfiguration, BGPPeer, BlockRecord, IPAMConfig,
    IPReservation, Node, PodRecord, Resources, Source, encapsulation_modes,
)
from .routers import Router, parse_router
from .selector import Selector
from .validation import (
    address_field, asn_field, bool_field, fail, get_field, ipv4_quad as _quad, interface_field, label_map, label_text, network_field,
    password_field, strict_bool_field, validate_pools, community_value_error, enum_field, bgppeer_v330_rules, bgpconfig_field_rules,
)
from ..errors import FastrouteError, ResourceError, shown

__all__ = ["parse_documents", "loads", "load"]


# --------------------------------------------------------------------------------------
# Per-kind parsers.  Each returns a record (or a list of records for Installation).



def _parse_ippool_raw(doc, src):
    """IPPool spec as given (before Calico's defaulting); validation happens in validate_pools."""
    spec = get_field(doc, src, "spec", dict, default={})
    raw = dict(spec)
    enc = spec.get("encapsulation")
    if enc is not None:
        # fastroute accepts the operator's encapsulation on an IPPool for convenience.
        if "ipipMode" in spec or "vxlanMode" in spec:
            fail(src, "spec.encapsulation", "give either encapsulation or ipipMode/vxlanMode, not both")
        ipip, vxlan = encapsulation_modes(enc, src.where("spec.encapsulation"))
        raw["ipipMode"], raw["vxlanMode"] = ipip, vxlan
    raw.pop("encapsulation", None)
    return ("IPPool", src, raw)


def _installation_pools(doc, src):
    pools = get_field(doc, src, "spec.calicoNetwork.ipPools", list, default=[])
    out = []
    named = []
    for i, p in enumerate(pools):
        path = f"spec.calicoNetwork.ipPools[{i}]"
        if not isinstance(p, dict):
            fail(src, path, f"expected a mapping, got {p!r}")
        cidr_text = p.get("cidr")
        if not cidr_text:
            fail(src, f"{path}.cidr", "required field is missing")
        net = network_field(cidr_text, src, f"{path}.cidr", strict=False)
        v6 = net.version == 6
        enc = p.get("encapsulation", "None" if v6 else "IPIP")
        ipip, vxlan = encapsulation_modes(enc, src.where(f"{path}.encapsulation"))
        if v6 and ipip != "Never":
            fail(src, f"{path}.encapsulation", f"IPIP encapsulation is not supported by IPv6 pools, but it is set for {cidr_text}")
        nat = p.get("natOutgoing", "Disabled" if v6 else "Enabled")
        if nat not in ("Enabled", "Disabled"):
            fail(src, f"{path}.natOutgoing", f"invalid value {nat!r}: expected 'Enabled' or 'Disabled'")
        bs = p.get("blockSize", 122 if v6 else 26)
        if not isinstance(bs, int) or isinstance(bs, bool):
            fail(src, f"{path}.blockSize", f"expected int, got {bs!r}")
        lo, hi = (116, 128) if v6 else (20, 32)
        if not lo <= bs <= hi:
            fam = "IPv6" if v6 else "IPv4"
            fail(src, f"{path}.blockSize", f"{fam} pool block size must be greater than {lo - 1} and less than or equal to {hi}")
        if net.prefixlen > bs:
            fail(src, f"{path}.cidr", "IP pool size is too small. It must be equal to or greater than the block size.")
        key = p.get("name") or cidr_text
        if key in named:
            fail(src, path, f"IP pool {key} is specified more than once")
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
    meta = get_field(doc, src, "metadata", dict, default={})
    spec = get_field(doc, src, "spec", dict, default={})
    ann = label_map(meta.get("annotations"), src, "metadata.annotations")
    bgp = spec.get("bgp") or {}
    if not isinstance(bgp, dict):
        fail(src, "spec.bgp", f"expected a mapping, got {bgp!r}")
    ipv4 = bgp.get("ipv4Address")
    ipv6 = bgp.get("ipv6Address")
    return Node(
        name=src.name,
        ipv4=interface_field(ipv4, src, "spec.bgp.ipv4Address", 4) if ipv4 else None,
        ipv6=interface_field(ipv6, src, "spec.bgp.ipv6Address", 6) if ipv6 else None,
        asn=asn_field(bgp["asNumber"], src, "spec.bgp.asNumber") if bgp.get("asNumber") is not None else None,
        uplink=str(ann.get("fastroute.io/uplink", "eth0")),
        rr_cluster_id=_rr_id(bgp.get("routeReflectorClusterID"), src, "spec.bgp.routeReflectorClusterID"),
        labels=_labels(meta, src),
        ipv4_ipip_tunnel_addr=_opt_addr(bgp.get("ipv4IPIPTunnelAddr"), src, "spec.bgp.ipv4IPIPTunnelAddr", 4),
        ipv4_vxlan_tunnel_addr=_opt_addr(spec.get("ipv4VXLANTunnelAddr"), src, "spec.ipv4VXLANTunnelAddr", 4),
        ipv6_vxlan_tunnel_addr=_opt_addr(spec.get("ipv6VXLANTunnelAddr"), src, "spec.ipv6VXLANTunnelAddr", 6),
        host_routes=_host_routes(ann, src),
        source=src,
    )


def _host_routes(ann, src):
    """The node's own routes (`ip route` text), checked line by line."""
    text = ann.get(HOST_ROUTES)
    if text is None:
        return None
    path = f"metadata.annotations['{HOST_ROUTES}']"
    if not isinstance(text, str):
        fail(src, path, f"expected `ip route` text, got {text!r}")
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
            fail(src, path, f"line {n} {line.strip()!r} is not a route: {e}")
    return text


def _opt_addr(value, src, path, version):
    return address_field(value, src, path, version) if value else None


def _rr_id(value, src, path):
    if not value:
        return None
    try:
        ipaddress.IPv4Address(str(value))
    except ValueError:
        fail(src, path, f"invalid route reflector cluster ID {value!r}: expected an IPv4-formatted ID")
    return str(value)


def _parse_k8s_node(doc, src):
    meta = get_field(doc, src, "metadata", dict, default={})
    ann = label_map(meta.get("annotations"), src, "metadata.annotations")
    ipv4 = ann.get("projectcalico.org/IPv4Address")
    ipv6 = ann.get("projectcalico.org/IPv6Address")
    where = "metadata.annotations"
    if not ipv4:
        # Without Calico's annotation, fall back to the InternalIP (no mask known: /32).
        for a in get_field(doc, src, "status.addresses", list, default=[]):
            if isinstance(a, dict) and a.get("type") == "InternalIP":
                try:
                    if ipaddress.ip_address(a.get("address")).version == 4:
                        ipv4 = a["address"]
                        where = "status.addresses"
                        break
                except ValueError:
                    fail(src, "status.addresses", f"invalid address {a.get('address')!r}")
    asn = ann.get("projectcalico.org/ASNumber")
    return Node(
        name=src.name,
        ipv4=interface_field(ipv4, src, f"{where}['projectcalico.org/IPv4Address']" if where != "status.addresses" else where, 4)
        if ipv4
        else None,
        ipv6=interface_field(ipv6, src, "metadata.annotations['projectcalico.org/IPv6Address']", 6) if ipv6 else None,
        asn=asn_field(asn, src, "metadata.annotations['projectcalico.org/ASNumber']") if asn else None,
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
    """``serviceClusterIPs``-style ``[{cidr: ...}]`` lists; an entry without a CIDR (``- {}``, which
    the CRD allows) is skipped, as confd does from v3.29 (``getServiceClusterIPsKVPair`` in
    projectcalico/calico ``confd/pkg/backends/calico/client.go``: "ignore empty CIDRs")."""
    out = []
    for i, v in enumerate(values or []):
        c = v.get("cidr") if isinstance(v, dict) else v
        if isinstance(v, dict) and c in (None, ""):
            continue
        out.append(str(network_field(c, src, f"{path}[{i}].cidr")))
    return tuple(out)


def _calico_version(doc, src):
    ann = (doc.get("metadata") or {}).get("annotations") or {}
    value = ann.get(CALICO_VERSION)
    if value is None:
        return None
    if str(value) not in CALICO_VERSIONS:
        fail(src, f"metadata.annotations['{CALICO_VERSION}']",
              f"unknown Calico version {value!r}: expected one of {', '.join(map(repr, CALICO_VERSIONS))}")
    return str(value)


def _parse_bgpconfig(doc, src):
    spec = get_field(doc, src, "spec", dict, default={})
    bgpconfig_field_rules(spec, src)
    mesh = spec.get("nodeToNodeMeshEnabled")
    cfg = BGPConfiguration(
        name=src.name or "default",
        node_to_node_mesh=bool_field(mesh, src, "spec.nodeToNodeMeshEnabled") if mesh is not None else None,
        as_number=_bgp_as(spec, src),
        listen_port=get_field(doc, src, "spec.listenPort", int),
        log_severity_screen=spec.get("logSeverityScreen"),
        bind_mode=enum_field(spec, "bindMode", ("None", "NodeIP"), src),
        service_cluster_ips=_cidr_list(spec.get("serviceClusterIPs"), src, "spec.serviceClusterIPs"),
        service_external_ips=_cidr_list(spec.get("serviceExternalIPs"), src, "spec.serviceExternalIPs"),
        service_load_balancer_ips=_cidr_list(spec.get("serviceLoadBalancerIPs"), src, "spec.serviceLoadBalancerIPs"),
        communities=_communities(spec, src),
        prefix_advertisements=_prefix_advertisements(spec, src),
        ignored_interfaces=tuple(spec.get("ignoredInterfaces") or ()),
        node_mesh_password=password_field(spec, "nodeMeshPassword", src),
        node_mesh_max_restart_time=spec.get("nodeMeshMaxRestartTime"),
        program_cluster_routes=enum_field(spec, "programClusterRoutes", ("Enabled", "Disabled"), src),
        local_workload_peering_ipv4=spec.get("localWorkloadPeeringIPV4") or None,
        local_workload_peering_ipv6=spec.get("localWorkloadPeeringIPV6") or None,
        ipv4_normal_route_priority=_int_field(spec, "ipv4NormalRoutePriority", src, "spec.ipv4NormalRoutePriority",
                                              1, 2147483646, "int"),
        ipv6_normal_route_priority=_int_field(spec, "ipv6NormalRoutePriority", src, "spec.ipv6NormalRoutePriority",
                                              1, 2147483646, "int"),
        calico_version=_calico_version(doc, src),
        source=src,
    )
    if cfg.listen_port is not None and cfg.listen_port <= 0:
        fail(src, "spec.listenPort", f"invalid port {cfg.listen_port!r}: must be greater than 0")
    if cfg.listen_port is not None and cfg.listen_port > 65535:
        # ListenPort is a uint16 (api/pkg/apis/projectcalico/v3/bgpconfig.go)
        fail(src, "spec.listenPort", f"invalid port {cfg.listen_port!r}: must be 1..65535")
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
                fail(src, f"spec.{key}", f"Cannot set {field_name} on a non default BGP Configuration.")
    elif not cfg.mesh_enabled:
        if cfg.node_mesh_password is not None:
            fail(src, "spec.nodeMeshPassword", "spec.NodeMeshPassword cannot be set if spec.NodeToNodeMesh is disabled")
        if cfg.node_mesh_max_restart_time is not None:
            fail(
                src,
                "spec.nodeMeshMaxRestartTime",
                "spec.NodeMeshMaxRestartTime cannot be set if spec.NodeToNodeMesh is disabled",
            )
    return cfg


def _parse_bgppeer(doc, src):
    spec = get_field(doc, src, "spec", dict, default={})
    asn = spec.get("asNumber")
    knh = spec.get("keepOriginalNextHop")
    peer = BGPPeer(
        name=src.name,
        node=_text(spec, "node", src, "spec.node"),
        node_selector=_text(spec, "nodeSelector", src, "spec.nodeSelector"),
        peer_ip=_text(spec, "peerIP", src, "spec.peerIP"),
        # asNumber 0 is Go's zero value, omitted: the peer's own AS is used (peerSelector / a node's IP)
        as_number=asn_field(asn, src, "spec.asNumber") or None if asn is not None else None,
        peer_selector=_text(spec, "peerSelector", src, "spec.peerSelector"),
        # a Go bool (api/pkg/apis/projectcalico/v3/bgppeer.go): a quoted "false" is an unmarshal error
        keep_original_next_hop=False if knh is None else strict_bool_field(knh, src, "spec.keepOriginalNextHop"),
        source_address=spec.get("sourceAddress"),
        max_restart_time=spec.get("maxRestartTime"),
        keepalive_time=spec.get("keepaliveTime"),
        # NumAllowedLocalASNumbers is a *int32 and BIRD's `allow local as` takes a count: 0..2^31-1
        num_allowed_local_as_numbers=_int_field(spec, "numAllowedLocalASNumbers", src,
                                                "spec.numAllowedLocalASNumbers", 0, 2**31 - 1, "int32"),
        # TTLSecurity is a *uint8
        ttl_security=_int_field(spec, "ttlSecurity", src, "spec.ttlSecurity", 0, 255, "uint8"),
        reachable_by=spec.get("reachableBy") or None,
        filters=tuple(spec.get("filters") or ()),
        password=password_field(spec, "password", src),
        local_as_number=None if spec.get("localASNumber") is None else asn_field(
            spec["localASNumber"], src, "spec.localASNumber"),
        next_hop_mode=enum_field(spec, "nextHopMode", ("Auto", "Self", "Keep"), src),
        reverse_peering=enum_field(spec, "reversePeering", ("Auto", "Manual"), src),
        local_workload_selector=_text(spec, "localWorkloadSelector", src, "spec.localWorkloadSelector"),
        source=src,
    )
    bgppeer_v330_rules(peer, src)
    if peer.node and peer.node_selector:
        fail(src, "spec.nodeSelector", "Node field must be empty when NodeSelector is specified")
    if peer.peer_ip and peer.peer_selector:
        fail(src, "spec.peerSelector", "PeerIP field must be empty when PeerSelector is specified")
    if peer.as_number is not None and peer.peer_selector:
        fail(src, "spec.peerSelector", "ASNumber field must be empty when PeerSelector is specified")
    if peer.reachable_by and not peer.peer_ip:
        fail(src, "spec.reachableBy", "ReachablyBy field must be empty when PeerIP is empty")
    for key, camel in (("node_selector", "nodeSelector"), ("peer_selector", "peerSelector"),
                       ("local_workload_selector", "localWorkloadSelector")):
        text = getattr(peer, key)
        if text:
            try:
                Selector(text)
            except ValueError as e:
                fail(src, f"spec.{camel}", str(e))
    if peer.peer_ip:
        _peer_ip_address(peer.peer_ip, src)
        if peer.reachable_by:
            a = _peer_ip_address(peer.peer_ip, src)
            b = address_field(peer.reachable_by, src, "spec.reachableBy")
            if a.version != b.version:
                fail(src, "spec.reachableBy", "ReachableBy and PeerIP address family mismatched")
    return peer


def _peer_ip_address(text, src):
    """The address part of ``ip``, ``ip:port`` or ``[v6]:port``."""
    t = str(text).strip()
    if t.startswith("["):
        t = t[1:].split("]")[0]
    elif t.count(":") == 1:
        t = t.split(":")[0]
    return address_field(t, src, "spec.peerIP")


def _parse_ipam_config(doc, src):
    spec = get_field(doc, src, "spec", dict, default={})
    # api/pkg/apis/projectcalico/v3/ipamconfig.go: MaxBlocksPerHost int32 (0 = the default 20),
    # StrictAffinity and AutoAllocateBlocks bools; the validator adds no rule across them
    # (the documented sample sets maxBlocksPerHost: 4 with strictAffinity: false)
    mbph = _int_field(spec, "maxBlocksPerHost", src, "spec.maxBlocksPerHost", 0, 2**31 - 1, "int32") or 0
    strict = bool_field(spec.get("strictAffinity", False), src, "spec.strictAffinity")
    auto = bool_field(spec.get("autoAllocateBlocks", True), src, "spec.autoAllocateBlocks")
    return IPAMConfig(strict_affinity=strict, auto_allocate_blocks=auto, max_blocks_per_host=mbph, source=src)


def _bgp_as(spec, src):
    """``spec.asNumber``; 0 is a valid Calico ASNumber but not an AS BIRD can run as ("Local AS number
    must be set"), so it is refused here, where the document can be named."""
    if spec.get("asNumber") is None:
        return None
    asn = asn_field(spec["asNumber"], src, "spec.asNumber")
    if asn == 0:
        fail(src, "spec.asNumber", "invalid AS number 0: BIRD refuses 'local as 0' (give 1..4294967295)")
    return asn


def _communities(spec, src):
    """BGPConfiguration ``spec.communities``: ``{name, value}`` pairs with valid values."""
    items = get_field({"spec": spec}, src, "spec.communities", list, default=[])
    for i, c in enumerate(items):
        if not isinstance(c, dict) or not isinstance(c.get("name"), str) or not c["name"]:
            fail(src, f"spec.communities[{i}]", f"expected {{name: ..., value: ...}}, got {c!r}")
        why = community_value_error(c.get("value"))
        if why:
            fail(src, f"spec.communities[{i}].value", f"invalid community {c.get('value')!r}: {why}")
    return tuple(items)


def _prefix_advertisements(spec, src):
    """BGPConfiguration ``spec.prefixAdvertisements``: a valid ``cidr`` each, and communities that are
    values or names defined in ``spec.communities`` (libcalico-go's validator refuses others)."""
    items = get_field({"spec": spec}, src, "spec.prefixAdvertisements", list, default=[])
    names = {c.get("name") for c in spec.get("communities") or () if isinstance(c, dict)}
    for i, adv in enumerate(items):
        at = f"spec.prefixAdvertisements[{i}]"
        if not isinstance(adv, dict):
            fail(src, at, f"expected {{cidr: ..., communities: [...]}}, got {adv!r}")
        network_field(adv.get("cidr"), src, f"{at}.cidr")
        communities = adv.get("communities") or []
        if not isinstance(communities, list):
            fail(src, f"{at}.communities", f"expected a list, got {communities!r}")
        for j, c in enumerate(communities):
            if c not in names and community_value_error(c):
                fail(src, f"{at}.communities[{j}]", f"invalid community {c!r}: neither a name in "
                     f"spec.communities nor a value ({community_value_error(c)})")
    return tuple(items)


def _parse_reservation(doc, src):
    """IPReservation ``spec.reservedCIDRs``: CIDRs or bare addresses (validator ``cidrs``)."""
    cidrs = get_field(doc, src, "spec.reservedCIDRs", list, default=[])
    return IPReservation(name=src.name, cidrs=tuple(
        network_field(c, src, f"spec.reservedCIDRs[{i}]", strict=False) for i, c in enumerate(cidrs)), source=src)


def _labels(meta, src):
    return label_map(meta.get("labels"), src, "metadata.labels")


def _text(spec, key, src, path):
    """A Go ``string`` field: a YAML boolean or number in it reads as its string form
    (:func:`~fastroute.model.validation.label_text`); None when absent or empty."""
    value = spec.get(key)
    if value is None or value == "":
        return None
    text = label_text(value)
    if text is None:
        fail(src, path, f"expected a string, got {type(value).__name__} {value!r}")
    return text


def _int_field(spec, key, src, path, lo, hi, go_type):
    """An integer field of Go type ``go_type`` (range lo..hi); None when absent."""
    value = spec.get(key)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        fail(src, path, f"expected an integer ({go_type}), got {type(value).__name__} {value!r}")
    if not lo <= value <= hi:
        fail(src, path, f"invalid value {value!r}: must be {lo}..{hi}")
    return value


def _parse_ipamblock(doc, src):
    spec = get_field(doc, src, "spec", dict, required=True)
    cidr = network_field(get_field(doc, src, "spec.cidr", str, required=True), src, "spec.cidr")
    lo = 20 if cidr.version == 4 else 116
    if cidr.prefixlen < lo:
        fail(src, "spec.cidr", f"block {str(cidr)!r} is larger than Calico allows: the block size must be "
                                f"{lo}..{cidr.max_prefixlen}")
    n = cidr.num_addresses
    allocs = get_field(doc, src, "spec.allocations", list, default=[None] * n)
    if len(allocs) != n:
        fail(src, "spec.allocations", f"expected {n} entries for {cidr}, got {len(allocs)}")
    attrs = get_field(doc, src, "spec.attributes", list, default=[])
    for i, a in enumerate(allocs):
        if a is not None and (not isinstance(a, int) or not 0 <= a < len(attrs)):
            fail(src, f"spec.allocations[{i}]", f"invalid attribute index {a!r}: block has {len(attrs)} attributes")
    unalloc = get_field(doc, src, "spec.unallocated", list, default=[i for i, a in enumerate(allocs) if a is None])
    for i, o in enumerate(unalloc):
        if not isinstance(o, int) or not 0 <= o < n or allocs[o] is not None:
            fail(src, f"spec.unallocated[{i}]", f"invalid free ordinal {o!r} for {cidr}")
    if len(set(unalloc)) != len(unalloc):
        fail(src, "spec.unallocated", "ordinals repeat")
    norm_attrs = []
    for i, a in enumerate(attrs):
        if not isinstance(a, dict):
            fail(src, f"spec.attributes[{i}]", f"expected a mapping, got {a!r}")
        secondary = a.get("secondary") or {}
        if not isinstance(secondary, dict):
            fail(src, f"spec.attributes[{i}].secondary", f"expected a mapping, got {secondary!r}")
        # libcalico-go AllocationAttribute: handle_id *string, secondary map[string]string
        for k, v in secondary.items():
            if not isinstance(k, str) or not isinstance(v, str):
                fail(src, f"spec.attributes[{i}].secondary.{k}", f"expected a string, got {type(v).__name__} {v!r}")
        handle = a.get("handle_id")
        if handle is not None and not isinstance(handle, str):
            fail(src, f"spec.attributes[{i}].handle_id", f"expected a string, got {type(handle).__name__} {handle!r}")
        norm_attrs.append({"handle_id": handle, "secondary": dict(secondary)})
    aff = spec.get("affinity")
    if aff is not None and not str(aff).startswith("host:"):
        fail(src, "spec.affinity", f"unsupported affinity {aff!r}: expected 'host:<node>'")
    return BlockRecord(
        cidr=cidr,
        affinity=str(aff) if aff else None,
        allocations=tuple(allocs),
        unallocated=tuple(unalloc),
        attributes=tuple(norm_attrs),
        sequence_number=get_field(doc, src, "spec.sequenceNumber", int, default=0) or 0,
        source=src,
    )


#: BlockAffinity states (api/pkg/apis/projectcalico/v3/blockaffinity.go).
AFFINITY_STATES = ("confirmed", "pending", "pendingDeletion")


def _parse_affinity(doc, src):
    spec = get_field(doc, src, "spec", dict, required=True)
    node = get_field(doc, src, "spec.node", str, required=True)
    cidr = network_field(get_field(doc, src, "spec.cidr", str, required=True), src, "spec.cidr")
    deleted = label_text(spec.get("deleted", False))   # "true"/"false" in the v1 CRD, a bool in v3
    if deleted not in ("true", "false"):
        fail(src, "spec.deleted", f"expected true or false, got {spec.get('deleted')!r}")
    state = spec.get("state") or "confirmed"
    if state not in AFFINITY_STATES:
        fail(src, "spec.state", f"invalid state {state!r}: expected one of {', '.join(AFFINITY_STATES)}")
    if deleted == "true":
        state = "pendingDeletion"
    return AffinityRecord(node=node, cidr=cidr, state=state, source=src)


def _wep_address(text, src, path):
    """One ``ipNetworks`` entry: an address or a full-length network (/32, /128), as
    libcalico-go ``validator/v3/validator.go`` ``validateWorkloadEndpointSpec`` requires
    ("IP network contains multiple addresses")."""
    if isinstance(text, str):
        addr, slash, plen = text.partition("/")
        value = _quad(addr)
        if value is not None and plen in ("32", ""):
            return ipaddress.IPv4Address(value)      # the common case, without ipaddress's parser
    if isinstance(text, str) and "/" in text:
        net = network_field(text, src, path, strict=False)
        if net.prefixlen != net.max_prefixlen:
            fail(src, path, f"invalid ipNetwork {text!r}: IP network contains multiple addresses "
                            f"(a workload address is a /{net.max_prefixlen})")
        return net.network_address
    return address_field(text, src, path)


def _parse_wep(doc, src):
    meta = doc.get("metadata") or {}
    spec = doc.get("spec")
    if not isinstance(spec, dict):
        spec = get_field(doc, src, "spec", dict, required=True)
    node = spec.get("node")
    if not isinstance(node, str):
        node = get_field(doc, src, "spec.node", str, required=True)
    # a Kubernetes endpoint names its pod; other orchestrators (OpenStack, libvirt, ...) a workload
    pod = spec.get("pod") or spec.get("workload") or src.name
    if not isinstance(pod, str):
        fail(src, "spec.pod", f"expected a string, got {type(pod).__name__} {pod!r}")
    nets = spec.get("ipNetworks")
    if not isinstance(nets, list):
        nets = get_field(doc, src, "spec.ipNetworks", list, default=[])
    ips = tuple([_wep_address(n, src, f"spec.ipNetworks[{i}]") for i, n in enumerate(nets)])
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
    meta = get_field(doc, src, "metadata", dict, default={})
    spec = get_field(doc, src, "spec", dict, default={})
    if spec.get("hostNetwork"):
        return None  # host-networked pods use the node's address; Calico IPAM is not involved
    node = get_field(doc, src, "spec.nodeName", str, required=True)
    status = get_field(doc, src, "status", dict, default={})
    pod_ips = get_field(doc, src, "status.podIPs", list, default=[])
    for i, p in enumerate(pod_ips):
        if not isinstance(p, dict):
            fail(src, f"status.podIPs[{i}]", f"expected a mapping {{ip: ADDRESS}}, got {p!r}")
    texts = [p.get("ip") for p in pod_ips]
    if not texts and status.get("podIP"):
        texts = [status["podIP"]]
    ips = tuple(address_field(t, src, "status.podIPs") for t in texts if t)
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
    ("crd.projectcalico.org/v1", "IPAMConfiguration"): _parse_ipam_config,
    ("projectcalico.org/v3", "IPReservation"): _parse_reservation,
    ("crd.projectcalico.org/v1", "IPReservation"): _parse_reservation,
    ("projectcalico.org/v3", "BlockAffinity"): _parse_affinity,
    ("crd.projectcalico.org/v1", "IPAMBlock"): _parse_ipamblock,
    ("crd.projectcalico.org/v1", "BlockAffinity"): _parse_affinity,
    ("projectcalico.org/v3", "WorkloadEndpoint"): _parse_wep,
    ("v1", "Pod"): _parse_pod,
    ("v1", "Node"): _parse_k8s_node,
    ("operator.tigera.io/v1", "Installation"): _installation_pools,
    ("projectcalico.org/v3", "BGPFilter"): filters.parse_bgp_filter,
    ("crd.projectcalico.org/v1", "BGPFilter"): filters.parse_bgp_filter,
    ("v1", "Secret"): filters.parse_secret,
    ("v1", "Service"): services.parse_service,
    ("v1", "Endpoints"): services.parse_endpoints,
    ("discovery.k8s.io/v1", "EndpointSlice"): services.parse_endpoint_slice,
    ("fastroute.io/v1", "Router"): parse_router,
}

#: Calico kinds (api/pkg/apis/projectcalico/v3, libcalico-go/lib/apis/v3 and their
#: crd.projectcalico.org/v1 forms) that are read and counted but not modelled: they do not
#: change IPAM or routing (policy, sets, status, Felix and controller settings, handles).
NOT_MODELLED_CALICO = frozenset({
    "GlobalNetworkPolicy", "NetworkPolicy", "StagedGlobalNetworkPolicy", "StagedNetworkPolicy",
    "StagedKubernetesNetworkPolicy", "Tier", "HostEndpoint", "GlobalNetworkSet", "NetworkSet", "Profile",
    "CalicoNodeStatus", "FelixConfiguration", "KubeControllersConfiguration", "ClusterInformation", "IPAMHandle",
    "LiveMigration", "KubeControllersConfig",
})

#: Kubernetes core (``v1``) kinds: any other kind under ``v1`` is a mistake, not a resource.
_CORE_V1 = frozenset({
    "Namespace", "Service", "Endpoints", "ConfigMap", "Secret", "ServiceAccount", "PersistentVolume",
    "PersistentVolumeClaim", "Event", "LimitRange", "ResourceQuota", "ReplicationController", "PodTemplate",
    "ComponentStatus", "Binding",
})

def _calico_group(api):
    return api.split("/")[0] in ("projectcalico.org", "crd.projectcalico.org")


def _not_modelled(api, kind):
    """Whether a kind without a parser is accepted (and counted) rather than refused: a known
    Calico kind that cannot change routing, a Kubernetes core kind, or any kind of another API
    group (apps/v1 Deployment, networking.k8s.io NetworkPolicy, operator.tigera.io APIServer, a
    CRD of another project).  An unknown kind in Calico's or the core group is refused (a typo)."""
    if _calico_group(api):
        return kind in NOT_MODELLED_CALICO
    if api == "v1":
        return kind in _CORE_V1
    return True


def _known_kinds():
    return sorted({f"{k} ({g})" for g, k in _KINDS})


#: The Resources list each record type goes to.
_LIST_OF = {
    Node: "nodes", BGPConfiguration: "bgp_configurations", BGPPeer: "bgp_peers", BlockRecord: "blocks",
    AffinityRecord: "affinities", PodRecord: "pods", IPReservation: "reservations",
    filters.BGPFilter: "bgp_filters", filters.Secret: "secrets", services.Service: "services",
    services.ServiceEndpoints: "endpoints", Router: "routers",
}


def _dispatch(doc, src, out, raw_pools):
    if isinstance(doc, list) and src.item < 0:   # a file holding a list of resources, as calicoctl reads
        return [_dispatch(item, replace(src, item=i), out, raw_pools) for i, item in enumerate(doc)]
    if not isinstance(doc, dict):
        fail(src, None, f"expected a mapping with apiVersion and kind, got {type(doc).__name__} {shown(doc)}")
    kind = doc.get("kind")
    api = doc.get("apiVersion")
    if not kind or not isinstance(kind, str):
        fail(src, "kind", "required field is missing" if not kind else f"expected a string, got {shown(kind)}")
    if not api:
        fail(replace(src, kind=kind), "apiVersion", "required field is missing")
    if not isinstance(api, str):
        fail(replace(src, kind=kind), "apiVersion", f"expected a string, got {api!r}")
    if kind == "List" or (kind.endswith("List") and "items" in doc):
        items = doc.get("items") or []
        if not isinstance(items, list):
            fail(replace(src, kind=kind), "items", f"expected a list, got {items!r}")
        for i, item in enumerate(items):
            if isinstance(item, dict) and "kind" not in item and kind != "List":
                item = dict(item, kind=kind[: -len("List")], apiVersion=item.get("apiVersion", api))
            _dispatch(item, replace(src, item=i, kind="", name=""), out, raw_pools)
        return
    meta = doc.get("metadata") or {}
    if not isinstance(meta, dict):
        fail(replace(src, kind=kind), "metadata", f"expected a mapping, got {meta!r}")
    src = Source(src.file, src.document, kind, str(meta.get("name") or ""), src.item, api)
    parser = _KINDS.get((api, kind))
    if parser is None:
        if any(k == kind for _, k in _KINDS) and (_calico_group(api) or api == "v1"):
            allowed = ", ".join(g for g, k in _KINDS if k == kind)
            fail(src, "apiVersion", f"unsupported apiVersion {api!r} for {kind}: expected {allowed}")
        if _not_modelled(api, kind):
            out.not_modelled[kind] = out.not_modelled.get(kind, 0) + 1
            return
        if any(k == kind for _, k in _KINDS):
            allowed = ", ".join(g for g, k in _KINDS if k == kind)
            fail(src, "apiVersion", f"unsupported apiVersion {api!r} for {kind}: expected {allowed}")
        fail(src, "kind", f"unknown kind {kind!r}: expected one of {', '.join(_known_kinds())}")
    needs_name = kind not in ("Installation",)
    if needs_name and not src.name and kind not in ("IPAMConfiguration", "IPAMConfig", "BGPConfiguration"):
        fail(src, "metadata.name", "required field is missing")
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
    elif isinstance(rec, IPAMConfig):
        out.ipam_config = rec
    else:
        getattr(out, _LIST_OF[type(rec)]).append(rec)


# --------------------------------------------------------------------------------------
# Reading files


def _documents_of(text, filename):
    return yamltext.documents(text, filename)


def parse_documents(docs: Iterable[object], filename: str = "<input>") -> Resources:
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
    if scoped := sum(p.namespace_selector is not None for p in res.pools):   # pods' Namespace labels are not read
        res.not_modelled["IPPool spec.namespaceSelector"] = scoped
    return res


def loads(text: str, filename: str = "<string>") -> Resources:
    """Read resources from YAML text (one or more documents)."""
    with yamltext.paused_gc():
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


def load(path: str | os.PathLike[str]) -> Resources:
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
    with yamltext.paused_gc():
        for f in _files_in(os.fspath(path)):
            text = yamltext.read_text(f)
            part = parse_documents(_documents_of(text, f), f)
            res._raw_pools.extend(part._raw_pools)
            res.extend(part)
        return _finish(res)
