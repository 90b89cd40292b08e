"""Reading and checking the fields of a resource document.

The field readers turn a document's values into Python values or raise
:class:`~fastroute.errors.ResourceError` naming the file, document, field and value.
IPPools are validated with Calico's own rules, in Calico's order and with its
messages (projectcalico/calico ``libcalico-go/lib/clientv3/ippool.go``
``validateAndSetDefaults``), wrapped the way calicoctl prints them.
"""

import ipaddress
import re
from collections.abc import Collection, Iterable, Mapping
from typing import Any, NoReturn

from .calico import as_number
from .kinds import BGPPeer, IPPool, Source
from .selector import Selector
from ..errors import FastrouteError, InvalidValueError, ResourceError, shown

__all__ = [
    "fail", "get_field", "interface_field", "address_field", "network_field", "asn_field", "bool_field",
    "strict_bool_field", "password_field", "label_text", "label_map", "ipv4_quad", "validate_pools",
    "community_value_error", "enum_field", "bgppeer_v330_rules", "bgpconfig_field_rules",
]


_IP = ipaddress.IPv4Address | ipaddress.IPv6Address
_Interface = ipaddress.IPv4Interface | ipaddress.IPv6Interface
_Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def fail(src: Source, fieldpath: str | None, message: str) -> NoReturn:
    raise ResourceError(f"{src.where(fieldpath)}: {message}")


# --------------------------------------------------------------------------------------
# Field helpers


def get_field(d: Mapping[str, Any], src: Source, path: str, types: type | tuple[type, ...] | None,
              default: Any = None, required: bool = False) -> Any:
    """Read ``path`` (dotted) from mapping ``d``; check the type."""
    cur = d
    parts = path.split(".")
    for i, p in enumerate(parts):
        if not isinstance(cur, dict):
            fail(src, ".".join(parts[:i]), f"expected a mapping, got {type(cur).__name__} {cur!r}")
        if p not in cur or cur[p] is None:
            if required:
                fail(src, path, "required field is missing")
            return default
        cur = cur[p]
    if types is not None and not isinstance(cur, types) or (types is int and isinstance(cur, bool)):
        names = " or ".join(t.__name__ for t in (types if isinstance(types, tuple) else (types,)))
        fail(src, path, f"expected {names}, got {type(cur).__name__} {cur!r}")
    return cur


def interface_field(value: object, src: Source, path: str, version: int | None = None) -> _Interface:
    return _ip_field(value, src, path, version, ipaddress.ip_interface,
                     "an IP address with optional /prefix-length")


def address_field(value: object, src: Source, path: str, version: int | None = None) -> _IP:
    if isinstance(value, str) and version != 6:
        quad = ipv4_quad(value.split("/")[0])
        if quad is not None:
            return ipaddress.IPv4Address(quad)       # the common case, without ipaddress's parser
    return _ip_field(value, src, path, version, lambda text: ipaddress.ip_address(text.split("/")[0]),
                     "an IP address")


def ipv4_quad(text: str) -> int | None:
    """A dotted-quad IPv4 address as an int, or None when ``text`` is anything else."""
    parts = text.split(".")
    if len(parts) != 4:
        return None
    value = 0
    for p in parts:
        if not (p.isdigit() and p.isascii()) or len(p) > 3 or (p[0] == "0" and len(p) > 1):
            return None
        n = int(p)
        if n > 255:
            return None
        value = value * 256 + n
    return value



def _ip_field(value, src, path, version, parse, expected):
    try:
        ip = parse(str(value).strip())
    except ValueError:
        fail(src, path, f"invalid address {value!r}: expected {expected}")
    if version is not None and ip.version != version:
        fail(src, path, f"invalid address {value!r}: expected an IPv{version} address")
    return ip


def network_field(value: object, src: Source, path: str, strict: bool = True) -> _Network:
    try:
        return ipaddress.ip_network(str(value).strip(), strict=strict)
    except ValueError:
        fail(src, path, f"invalid CIDR {value!r}: expected a network such as '10.244.0.0/16'")


def asn_field(value: object, src: Source, path: str) -> int:
    try:
        return as_number(value)
    except InvalidValueError as e:
        hint = ""
        if isinstance(value, float):
            hint = " (YAML reads an unquoted asdot number as a float: quote it, e.g. '1.10')"
        fail(src, path, f"{e}{hint}")


def community_value_error(text: object) -> str | None:
    """Why `text` is not a BGP community value, or None: standard ``aa:nn`` (each 0..65535) or
    large ``aa:nn:mm`` (each 0..4294967295), as libcalico-go's validator
    (``lib/validator/v3/validator.go``, ``validateCommunityValue``) checks them."""
    parts = text.split(":") if isinstance(text, str) else []
    if len(parts) not in (2, 3) or not all(p.isascii() and p.isdigit() and len(p) <= 10 for p in parts):
        return "expected 'aa:nn' (standard) or 'aa:nn:mm' (large community)"
    top = 0xFFFF if len(parts) == 2 else 0xFFFFFFFF
    if any(int(p) > top for p in parts):
        return f"each part of a {'standard' if len(parts) == 2 else 'large'} community must be 0..{top}"
    return None


def strict_bool_field(value: object, src: Source, path: str) -> bool:
    """A Go ``bool`` field: a YAML boolean only.

    Calico reads a resource with Go's ``encoding/json`` (after sigs.k8s.io/yaml turns the
    YAML into JSON), and ``json.Unmarshal`` of a string into a ``bool`` fails ("cannot
    unmarshal string into Go struct field ... of type bool"): ``keepOriginalNextHop: "false"``
    is an error in calicoctl, never true.
    """
    if isinstance(value, bool):
        return value
    fail(src, path, f"expected a boolean (true or false, unquoted), got {type(value).__name__} {value!r}: "
                    "Calico's Go unmarshal refuses it")


def _go_float(value):
    """``strconv.FormatFloat(v, 'g', -1, 32)``, as sigs.k8s.io/yaml formats a YAML float
    aimed at a string field: the shortest float32 digits, exponent form ("1e+06") when the
    decimal exponent is < -4 or >= 6, else plain ("1.1", "100")."""
    import numpy as np

    if value != value:
        return "NaN"
    f32 = np.float32(value)
    if np.isinf(f32):
        return "+Inf" if value > 0 else "-Inf"
    if f32 == 0:
        return "-0" if str(value).startswith("-") else "0"
    sci = np.format_float_scientific(f32, unique=True, trim="-")
    mant, _, exp = sci.partition("e")
    sign = "-" if mant.startswith("-") else ""
    digits = mant.lstrip("-").replace(".", "").rstrip("0") or "0"
    x = int(exp)
    if x < -4 or x >= 6:
        body = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        return f"{sign}{body}e{'-' if x < 0 else '+'}{abs(x):02d}"
    point = x + 1
    if point <= 0:
        return f"{sign}0.{'0' * -point}{digits}"
    if point >= len(digits):
        return sign + digits + "0" * (point - len(digits))
    return f"{sign}{digits[:point]}.{digits[point:]}"


def label_text(value: object) -> str | None:
    """A label, annotation or selector value as Calico reads it.

    Labels and annotations are Go ``map[string]string``; sigs.k8s.io/yaml (which calicoctl
    and kubectl read YAML with) converts a YAML boolean or number aimed at a string field to
    its Go string form: ``true`` -> "true" (``strconv.FormatBool``), ``0x10`` -> "16"
    (``strconv.FormatInt``), ``1.10`` -> "1.1" (``strconv.FormatFloat(v, 'g', -1, 64)``),
    and a null to "".  PyYAML reads the same YAML 1.1 scalars (``yes``, ``on`` are booleans).
    """
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return _go_float(value)
    return None


def label_map(value: object, src: Source, path: str) -> dict[str, str]:
    """A ``map[string]string`` field (labels, annotations) read with :func:`label_text`."""
    if value is None:
        return {}
    if not isinstance(value, dict):
        fail(src, path, f"expected a mapping of names to values, got {type(value).__name__} {value!r}")
    out = {}
    for k, v in value.items():
        text = label_text(v)
        if text is None:
            fail(src, f"{path}[{k!r}]", f"expected a string, got {type(v).__name__} {v!r}")
        out[label_text(k) if not isinstance(k, str) else k] = text
    return out


def bool_field(value: object, src: Source, path: str) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    fail(src, path, f"expected a boolean, got {value!r}")


_MODES = ("Always", "CrossSubnet", "Never")


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
    iface = None
    if "/" in str(cidr_text):
        try:
            iface = ipaddress.ip_interface(str(cidr_text).strip())
        except ValueError:
            pass
    if iface is None:
        raise ResourceError(
            f"{where}: {_render([_field('IPPool.Spec.CIDR', 'IPPool CIDR must be a valid subnet', cidr_text)])}")
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
    disabled = bool_field(spec.get("disabled", False), src, "spec.disabled")
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
    errs += _v330_pool_errors(spec, uses, ipip, vxlan)
    if errs:
        raise ResourceError(f"{where}: {_render(errs)}")
    # Struct validator (runs only once the above passed).
    for fname, val in (("IPIPMode", ipip), ("VXLANMode", vxlan)):
        if val not in _MODES:
            tag = "ipIpMode" if fname == "IPIPMode" else "vxlanMode"
            reason = f"Reason: failed to validate Field: {fname} because of Tag: {tag} "
            raise ResourceError(f"{where}: {_render([_field(fname, reason, val)])}")
    for u in uses:
        if u not in ("Workload", "Tunnel", "LoadBalancer"):
            raise ResourceError(f"{where}: Failed to create 'IPPool' resource: [unknown use: {u}]")
    selector = spec.get("nodeSelector") or "all()"
    for key, text in (("nodeSelector", selector), ("namespaceSelector", spec.get("namespaceSelector") or "all()")):
        try:
            Selector(text)
        except ValueError as e:
            raise ResourceError(f"{src.where('spec.' + key)}: {e}") from None
    mode = spec.get("assignmentMode")
    if mode is not None and mode not in ("Automatic", "Manual"):
        raise ResourceError(f"{src.where('spec.assignmentMode')}: invalid assignmentMode {shown(mode)}: expected "
                            "'Automatic' or 'Manual'")
    return IPPool(
        name=name,
        cidr=net,
        block_size=bs,
        ipip_mode=ipip,
        vxlan_mode=vxlan,
        nat_outgoing=bool_field(spec.get("natOutgoing", False), src, "spec.natOutgoing"),
        disabled=disabled,
        disable_bgp_export=bool_field(spec.get("disableBGPExport", False), src, "spec.disableBGPExport"),
        node_selector=selector,
        allowed_uses=tuple(uses),
        assignment_mode=mode,
        namespace_selector=spec.get("namespaceSelector") or None,
        source=src,
    )


def _v330_pool_errors(spec, uses, ipip, vxlan):
    """libcalico-go's ``validateIPPool`` rules for the v3.30+ fields (``LoadBalancer`` pools,
    ``namespaceSelector``; projectcalico/calico ``libcalico-go/lib/validator/v3/validator.go``)."""
    errs = []
    if "LoadBalancer" in uses:
        if ipip != "Never" or vxlan != "Never":
            mode = ipip if ipip != "Never" else vxlan
            errs.append(_field("IPPool.Spec.IPIPMode", "Neither IPIPMode nor VXLANMode can be enabled on "
                                                       "AllowedUses LoadBalancer IP pool", mode))
        errs += [_field("IPPool.Spec.AllowedUses", f"LoadBalancer cannot be used at the same time as: {u}", u)
                 for u in uses if u in ("Workload", "Tunnel")]
        if spec.get("disableBGPExport") is True:
            errs.append(_field("IPPool.Spec.DisableBGPExport", "IP Pool with AllowedUse LoadBalancer must not have "
                                                              "DisableBGPExport set to true", True))
        if (spec.get("nodeSelector") or "all()") != "all()":
            errs.append(_field("IPPool.Spec.NodeSelector", "IP Pool with AllowedUse LoadBalancer must have node "
                                                           "selector set to all()", spec.get("nodeSelector")))
    if "Tunnel" in uses and spec.get("namespaceSelector"):
        errs.append(_field("IPPool.Spec.NamespaceSelector", "IP Pool with AllowedUse Tunnel cannot have "
                                                            "namespaceSelector specified", spec["namespaceSelector"]))
    return errs


def validate_pools(raw_pools: Iterable[tuple[str, Source, dict[str, Any]]]) -> list[IPPool]:
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


def password_field(spec: Mapping[str, Any], key: str, src: Source) -> dict[str, Any] | None:
    """A BGPPassword as Calico reads it: only ``{secretKeyRef: {name, key}}``.

    api/pkg/apis/projectcalico/v3/bgppeer.go: ``BGPPassword`` has the one field
    ``SecretKeyRef``; a plain string does not unmarshal into it.
    """
    value = spec.get(key)
    if value is None:
        return None
    ref = value.get("secretKeyRef") if isinstance(value, dict) else None
    if not (isinstance(value, dict) and set(value) == {"secretKeyRef"} and isinstance(ref, dict)
            and isinstance(ref.get("name"), str) and isinstance(ref.get("key"), str)):
        fail(src, f"spec.{key}", "expected {secretKeyRef: {name: SECRET, key: KEY}} (Calico reads BGP passwords "
             f"only from a Secret), got {shown(value)}")
    return value


def enum_field(spec: Mapping[str, Any], key: str, allowed: Collection[str], src: Source) -> str | None:
    """``spec.<key>``, one of ``allowed`` (a CRD ``Enum``), or None when unset."""
    value = spec.get(key)
    if value is not None and value not in allowed:
        fail(src, f"spec.{key}", f"invalid {key} {shown(value)}: expected one of {', '.join(map(repr, allowed))}")
    return value


def bgppeer_v330_rules(peer: BGPPeer, src: Source) -> None:
    """libcalico-go's ``validateBGPPeerSpec`` rules for the v3.30+ BGPPeer fields
    (projectcalico/calico ``libcalico-go/lib/validator/v3/validator.go``)."""
    if peer.keep_original_next_hop and peer.next_hop_mode is not None:
        fail(src, "spec.keepOriginalNextHop", "The KeepOriginalNextHop field is deprecated. It must not be set to "
             f"true when NextHopMode is configured (nextHopMode {peer.next_hop_mode!r}).")
    if peer.local_as_number == 0:
        fail(src, "spec.localASNumber", "invalid AS number 0: BIRD refuses `local as 0`")
    if peer.local_workload_selector:
        if peer.as_number is None:
            fail(src, "spec.asNumber", "ASNumber field must NOT be empty when LocalWorkloadSelector is specified "
                                       f"(localWorkloadSelector {peer.local_workload_selector!r})")
        if peer.peer_ip:
            fail(src, "spec.peerIP", f"PeerIP field must be empty when LocalWorkloadSelector is specified, "
                                     f"got {peer.peer_ip!r}")
        if peer.peer_selector:
            fail(src, "spec.peerSelector", "PeerSelector field must be empty when LocalWorkloadSelector is "
                                           f"specified, got {peer.peer_selector!r}")


_LOG_LEVEL = re.compile(r"Trace|Debug|Info|Warning|Error|Fatal")
_IGNORED_INTERFACE = re.compile(r"[a-zA-Z0-9_.*-]{1,15}")


def bgpconfig_field_rules(spec: Mapping[str, Any], src: Source) -> None:
    """libcalico-go's field validators for BGPConfiguration ``logSeverityScreen`` (``logLevel``),
    ``ignoredInterfaces`` (``ignoredInterface``) and ``localWorkloadPeeringIPV4``/``IPV6``
    (``ipv4``/``ipv6``) (projectcalico/calico ``libcalico-go/lib/validator/v3/validator.go``)."""
    level = spec.get("logSeverityScreen")
    if level is not None and not (isinstance(level, str) and _LOG_LEVEL.fullmatch(level)):
        fail(src, "spec.logSeverityScreen", f"invalid logSeverityScreen {shown(level)}: expected one of Trace, "
                                            "Debug, Info, Warning, Error, Fatal")
    ignored = spec.get("ignoredInterfaces")
    if ignored is not None and not isinstance(ignored, list):
        fail(src, "spec.ignoredInterfaces", f"expected a list of interface names, got {shown(ignored)}")
    for i, name in enumerate(ignored or ()):
        if not (isinstance(name, str) and name != "*" and _IGNORED_INTERFACE.fullmatch(name)):
            fail(src, f"spec.ignoredInterfaces[{i}]", f"invalid interface {shown(name)}: expected 1..15 of "
                                                      "a-z A-Z 0-9 _ . * - (and not '*' alone)")
    for key, version in (("localWorkloadPeeringIPV4", 4), ("localWorkloadPeeringIPV6", 6)):
        value = spec.get(key)
        if value in (None, ""):
            continue
        try:
            ok = isinstance(value, str) and ipaddress.ip_address(value).version == version
        except ValueError:
            ok = False
        if not ok:
            fail(src, f"spec.{key}", f"invalid {key} {shown(value)}: expected an IPv{version} address")
