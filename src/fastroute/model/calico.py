"""Facts about Calico releases that more than one stage needs, each written once.

The template rules themselves live with the code that renders them
(:mod:`fastroute.bgp.templates`, :mod:`fastroute.bgp.birdcfg`,
:mod:`fastroute.bgp.topology`); what is here is what decides between releases
(:data:`TEMPLATE_RELEASES`, the one table of template differences) and the
defaults confd falls back on.
"""

import re
from dataclasses import dataclass

from ..errors import InvalidValueError

__all__ = [
    "CALICO_VERSIONS", "DEFAULT_CALICO_VERSION", "DEFAULT_AS", "AS_NUMBER_MAX", "TEMPLATE_RELEASES",
    "TemplateRelease", "template_release", "version_tuple", "reflectors_leave_mesh", "as_number",
    "NORMAL_ROUTE_PRIORITY", "BIRD_INT_MAX", "BIRD_DEFAULT_LOCAL_PREF", "KernelMetrics", "kernel_metrics",
]


@dataclass(frozen=True)
class TemplateRelease:
    """One release line of confd's BIRD templates: where they come from and what they render.

    Attributes
    ----------
    name : str
        What ``--calico-version`` takes (``"3.28"``).
    releases : str
        The Calico releases whose templates render the same files.
    source : str
        The upstream repository, tag and folder of the templates.
    features : frozenset of str
        The template differences this release has (see :data:`TEMPLATE_FEATURES`).
    key_prefix : str
        What confd's keys start with in the templates' comments (``/bgp/v1`` from v3.21;
        v3.20's templates read ``/global/...`` and ``/host/<node>/...``).
    """

    name: str
    releases: str
    source: str
    features: frozenset
    key_prefix: str = "/bgp/v1"

    def has(self, feature):
        """Whether this release's templates have ``feature`` (a name of :data:`TEMPLATE_FEATURES`)."""
        if feature not in TEMPLATE_FEATURES:
            raise InvalidValueError(f"unknown template feature {feature!r}: expected one of "
                                    f"{', '.join(sorted(TEMPLATE_FEATURES))}")
        return feature in self.features


#: Every template difference between the supported releases, by name.
TEMPLATE_FEATURES = {
    "reflectors_leave_mesh": "route reflectors take no part in the node-to-node mesh (v3.22+); before, only "
                             "bird6.cfg of a reflector ignores the mesh",
    "peer_filter_blocks": "per-peer import/export filter blocks calling calico_export_to_bgp_peers(internal), "
                          "reject_disabled_pools() and reject_tunnel_routes(); bgp_template without "
                          "multihop/import/export",
    "ttl_security": "per-peer `ttl security on|off` and `multihop [N]` (BGPPeer ttlSecurity)",
    "global_passive": "`passive on` toward a Global peer that is a Calico node with the greater address",
    "mesh_restart_password": "mesh peers carry nodeMeshMaxRestartTime and nodeMeshPassword",
    "allow_local_as": "`allow local as N` (BGPPeer numAllowedLocalASNumbers)",
    "bind_mode": "`listen bgp address <node IP>` (BGPConfiguration bindMode NodeIP)",
    "ignored_interfaces": "BGPConfiguration ignoredInterfaces excluded from `protocol direct`",
    "reachable_by": "static `via` routes to BGPPeers with reachableBy",
    "bgp_filters": "the `BGP Filters` section of bird.cfg (BGPFilter functions)",
    "static_always": "bird_aggr.cfg always has a `protocol static` block, empty or not",
    "pending_affinities": "pending block affinities are listed (a blackhole and a comment, no accept)",
    "v6_pool_kernel_rejects": "bird6_ipam.cfg's kernel filter rejects VXLAN IPv6 pools",
    "reflector_lb_accepts": "a route reflector's export function accepts serviceLoadBalancerIPs ranges",
    "reject_local_routes": "bird_ipam.cfg's reject_local_routes() keeps BPF-learned local routes on the node "
                           "(v3.28.2+)",
    "bgp_filter_v332_rules": "BGPFilter rules with prefixLength, peerType, communities, asPathPrefix, priority "
                             "and operations; a direction with peerType rules takes `bool is_same_as`",
    "bgp_filter_prefix_length": "BGPFilter rules with prefixLength (v3.30+)",
    "peer_local_as": "`local as N` per protocol from BGPPeer localASNumber, which stands for the node's AS in "
                     "the peer's rules",
    "peer_keepalive": "BGPPeer keepaliveTime renders `keepalive time N`",
    "next_hop_mode": "BGPPeer nextHopMode Self|Keep renders `next hop self`|`next hop keep`",
    "local_workload_peers": "BGPPeer localWorkloadSelector: a passive `Local_Workload_` protocol toward each of "
                            "the node's workloads whose labels select the peer (v3.30+)",
    "bgp_processor": "the v3.32 layout confd computes in Go (confd/pkg/backends/calico/bgp_processor.go): one "
                     "section of peers sorted by name, route priority carried between local preference and "
                     "kernel metric, one-line IP pool statements",
}

_V330_0 = {"bgp_filter_prefix_length", "local_workload_peers"}
_V330 = _V330_0 | {"next_hop_mode"}
_V331 = _V330 | {"peer_local_as"}
_V332 = _V331 | {"bgp_processor", "bgp_filter_v332_rules", "peer_keepalive"}
_V328_1 = frozenset(TEMPLATE_FEATURES) - {"pending_affinities", "reject_local_routes"} - _V332

#: The supported release lines: the default first, then the others newest first.
TEMPLATE_RELEASES = {
    "3.28": TemplateRelease(
        "3.28", "v3.28.2 - v3.29.x",
        "projectcalico/calico v3.28.2 confd/etc/calico/confd/templates", _V328_1 | {"reject_local_routes"}),
    "3.32": TemplateRelease(
        "3.32", "v3.32.x",
        "projectcalico/calico v3.32.1 confd/etc/calico/confd/templates and confd/pkg/backends/calico/"
        "bgp_processor.go", _V328_1 | {"reject_local_routes"} | _V332),
    "3.31": TemplateRelease(
        "3.31", "v3.31.x",
        "projectcalico/calico v3.31.7 confd/etc/calico/confd/templates", _V328_1 | {"reject_local_routes"} | _V331),
    "3.30": TemplateRelease(
        "3.30", "v3.30.2 - v3.30.x",
        "projectcalico/calico v3.30.7 confd/etc/calico/confd/templates", _V328_1 | {"reject_local_routes"} | _V330),
    "3.30.1": TemplateRelease(
        "3.30.1", "v3.30.0 - v3.30.1",
        "projectcalico/calico v3.30.1 confd/etc/calico/confd/templates",
        _V328_1 | {"reject_local_routes"} | _V330_0),
    "3.28.1": TemplateRelease(
        "3.28.1", "v3.28.0 - v3.28.1",
        "projectcalico/calico v3.28.1 confd/etc/calico/confd/templates", _V328_1),
    "3.20": TemplateRelease(
        "3.20", "v3.20.x (confd release-v3.20)",
        "projectcalico/confd release-v3.20 etc/calico/confd/templates", frozenset({"pending_affinities"}), ""),
}

#: Calico releases whose confd template layout fastroute renders, newest first.
CALICO_VERSIONS = tuple(TEMPLATE_RELEASES)

#: The release rendered when a cluster or a command names none.
DEFAULT_CALICO_VERSION = CALICO_VERSIONS[0]

#: The AS of every node when neither BGPConfiguration ``asNumber`` nor the Node's
#: ``bgp.asNumber`` sets one (Calico's documented BGPConfiguration default).
DEFAULT_AS = 64512

#: The kernel metric of a route without a BGP priority when BGPConfiguration
#: ``ipv4NormalRoutePriority``/``ipv6NormalRoutePriority`` (v3.32) are unset
#: (projectcalico/calico ``confd/pkg/backends/calico/bgp_processor.go``: ``NormalRoutePriority``).
NORMAL_ROUTE_PRIORITY = 1024


def version_tuple(version: str | float) -> tuple[int, int]:
    """``"3.28"`` -> ``(3, 28)``."""
    major, minor = str(version).split(".")[:2]
    return int(major), int(minor)


def template_release(calico_version: str) -> TemplateRelease:
    """The :class:`TemplateRelease` named ``calico_version`` (``"3.28"``, ``"3.28.1"``, ``"3.20"``).

    Raises
    ------
    InvalidValueError
        Not a supported release.
    """
    release = TEMPLATE_RELEASES.get(str(calico_version))
    if release is None:
        raise InvalidValueError(f"invalid calico_version {calico_version!r}: expected one of "
                                f"{', '.join(map(repr, CALICO_VERSIONS))}")
    return release


#: BIRD's largest int (``BirdIntMaxValue``, confd/pkg/resource/template/template_funcs.go): a route
#: priority p travels as the local preference ``BIRD_INT_MAX - p``, and local preference and kernel
#: metric add up to it.
BIRD_INT_MAX = 2147483647

#: The LOCAL_PREF BIRD 1.6 gives a route that arrives without one: every route learned over
#: eBGP (which carries none) and a route a BGP speaker without Calico's filters originates
#: (projectcalico/bird ``proto/bgp/attrs.c``: ``bgp_create_attrs``, ``bgp_decode_attrs``;
#: ``default bgp_local_pref`` is not set by Calico's templates).
BIRD_DEFAULT_LOCAL_PREF = 100


@dataclass(frozen=True)
class KernelMetrics:
    """The kernel metrics of a node's routes where a release sets them (``None``: the kernel's
    default, none printed for IPv4).

    From v3.32 Felix programs each workload's route with ``ipv4NormalRoutePriority`` /
    ``ipv6NormalRoutePriority`` (FelixConfiguration, default 1024; projectcalico/calico
    ``felix/dataplane/linux/endpoint_mgr.go``: ``Priority: routePriority``), and BIRD carries
    a route's priority in LOCAL_PREF: the originating node's export filter sets
    ``bgp_local_pref = 2147483647 - krt_metric`` (1024 for its blocks), and
    ``calico_kernel_programming`` installs a BGP route with ``krt_metric = 2147483647 -
    bgp_local_pref`` (``confd/pkg/backends/calico/bgp_processor.go``).  A route that crossed
    an eBGP session, or that a Router originated, holds BIRD's default LOCAL_PREF instead."""

    pod: int | None = None               # Felix's workload routes
    ibgp: int | None = None              # BGP routes of a Calico node that reached the holder over iBGP only
    other: int | None = None             # every other BGP route (an eBGP hop, or a Router's)


def kernel_metrics(calico_version: str, bgp_config: object = None, version: int = 4) -> KernelMetrics:
    """The :class:`KernelMetrics` of ``calico_version`` for IP ``version``, with the normal route
    priority of ``bgp_config`` (the ``default`` BGPConfiguration's ``ipv4NormalRoutePriority`` /
    ``ipv6NormalRoutePriority``, which Calico's docs require to equal FelixConfiguration's;
    unset or None: 1024)."""
    if not template_release(calico_version).has("bgp_processor"):
        return KernelMetrics()
    normal = getattr(bgp_config, f"ipv{version}_normal_route_priority", None) or NORMAL_ROUTE_PRIORITY
    return KernelMetrics(int(normal), int(normal), BIRD_INT_MAX - BIRD_DEFAULT_LOCAL_PREF)


def reflectors_leave_mesh(calico_version: str) -> bool:
    """Whether a route reflector (a node with ``routeReflectorClusterID``) takes no
    part in the node-to-node mesh.

    From v3.22, confd's ``bird.cfg.template`` renders no ``Mesh_`` peer on a
    reflector and leaves reflectors out of every other node's mesh; v3.20 keeps
    them in the mesh in both roles.
    """
    return template_release(calico_version).has("reflectors_leave_mesh")


#: The largest AS number: Calico's ``numorstring.ASNumber`` is a uint32.
AS_NUMBER_MAX = 0xFFFFFFFF

_DECIMAL = re.compile(r"[0-9]+")


def as_number(value: object, where: str | None = None, bird: bool = False) -> int:
    """The AS number `value` as an int; InvalidValueError if Calico (or BIRD) refuses it.

    Calico (projectcalico/calico ``api/pkg/lib/numorstring/asnumber.go``, v3.20 to
    v3.28): an ``ASNumber`` is a uint32, so 0..4294967295.  ``UnmarshalJSON`` takes a
    JSON number, or a string that ``ASNumberFromString`` reads as a decimal
    (``strconv.ParseUint(s, 10, 32)``: digits only) or as asdot ``"high.low"`` with
    each part 0..65535 (``"1.10"`` is 65546).  A JSON number with a fraction (YAML
    ``asNumber: 1.10``) does not unmarshal.  ``libcalico-go/lib/validator/v3/validator.go``
    adds no range check of its own.

    ``bird=True`` checks the number confd writes into bird.cfg (``local as``,
    ``neighbor ... as``) instead: an int, and not 0, which BIRD 1.6 refuses
    ("Local AS number must be set" / "Remote AS number must be set" in
    projectcalico/bird ``proto/bgp/bgp.c`` ``bgp_check_config``; the lexer in
    ``conf/cf-lex.l`` caps numbers at 4294967295).

    `where` names the field in the message (omitted when None).
    """
    at = "" if where is None else f" at {where}"
    if bird:
        if isinstance(value, bool) or not isinstance(value, int) or not 0 < value <= AS_NUMBER_MAX:
            raise InvalidValueError(f"invalid AS number {value!r}{at}: expected an integer 1..{AS_NUMBER_MAX}")
        return value
    expected = f"expected 0..{AS_NUMBER_MAX} or asdot 'n.n'"
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise InvalidValueError(f"invalid AS number {value!r}{at}: {expected}")
    if isinstance(value, int):
        num = value
    else:
        parts = value.strip().split(".")
        if len(parts) > 2 or not all(_DECIMAL.fullmatch(p) for p in parts):
            raise InvalidValueError(f"invalid AS number {value!r}{at}: {expected}")
        if len(parts) == 2:
            high, low = int(parts[0]), int(parts[1])
            if high > 0xFFFF or low > 0xFFFF:
                raise InvalidValueError(f"invalid AS number {value!r}{at}: {expected}")
            return (high << 16) | low
        num = int(parts[0])
    if not 0 <= num <= AS_NUMBER_MAX:
        raise InvalidValueError(f"invalid AS number {value!r}{at}: expected 0..{AS_NUMBER_MAX}")
    return num
