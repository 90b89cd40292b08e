"""confd's peer expansion: the ``peer_v4``/``peer_v6`` entries confd derives
from a cluster's BGPPeer resources, and the per-node inputs confd's templates read
(:class:`~fastroute.bgp.birdcfg.NodeInfo`, :class:`~fastroute.bgp.birdcfg.BgpGlobals`).

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
* **Local workload peers** (v3.30+) -- a BGPPeer with ``localWorkloadSelector`` peers with
  the node's own workloads: :func:`local_workload_entries` (Felix picks the BGPPeer of each
  workload, confd reads Felix's choice back), added to a node's entries by
  :func:`with_local_workloads`.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Callable, Collection, Iterable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from .birdview import AffineBlock, BgpGlobals, NodeInfo, PeerData, Pool
from ..errors import InvalidValueError, ResourceError
from ..model.calico import NORMAL_ROUTE_PRIORITY, template_release
from ..model.filters import secret_value
from ..model.selector import Selector

if TYPE_CHECKING:
    from ..model.cluster import Cluster
    from ..model.filters import Secret
    from ..model.kinds import BGPConfiguration, BGPPeer

__all__ = [
    "DEFAULT_BGP_PORT",
    "affine_blocks",
    "bgp_globals",
    "local_workload_entries",
    "with_local_workloads",
    "confd_passes",
    "expand_peers",
    "node_configs",
    "missing_as_error",
    "node_infos",
    "parse_duration",
    "peer_common_fields",
    "pools",
    "reverse_sides",
    "service_cidrs",
    "service_routes",
    "split_peer_ip",
    "where_in",
]

DEFAULT_BGP_PORT = 179


# --------------------------------------------------------------------------- small parsers


_DURATION = re.compile(r"(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)")
_UNIT = {"ns": 1e-9, "us": 1e-6, "µs": 1e-6, "ms": 1e-3, "s": 1.0, "m": 60.0, "h": 3600.0}


def parse_duration(value: object, where: str) -> int:
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


def split_peer_ip(text: object, where: str) -> tuple[str, int]:
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


def _password(value, secrets=()):
    # Calico reads BGP passwords from Kubernetes secrets (``secretKeyRef``; a missing
    # secret or key renders no password, as confd does); a plain string (fastroute's
    # shorthand) is used as the password itself.
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, dict) and isinstance(value.get("value"), str):
        return value["value"]
    if isinstance(value, dict) and "secretKeyRef" in value:
        return secret_value(secrets, value["secretKeyRef"])
    return None


def where_in(peer: BGPPeer, fieldpath: str) -> str:
    """Where a BGPPeer field came from, for error messages."""
    src = getattr(peer, "source", None)
    if src is not None and getattr(src, "kind", ""):
        return src.where(fieldpath)
    return f"BGPPeer {peer.name!r} {fieldpath}"


_LOG = {"debug": "debug", "info": "info"}

_COMMUNITY = re.compile(r"[0-9]+:[0-9]+(:[0-9]+)?")


def _prefix_advertisements(cfg):
    """``((cidr, communities), ...)`` of a BGPConfiguration's ``prefixAdvertisements``.

    confd (``getPrefixAdvertisementsKVPair`` in ``confd/pkg/backends/calico/client.go``):
    a community that is not a value is a name looked up in the same resource's
    ``communities`` (an unknown name is dropped); each prefix's values are a set,
    written in sorted order.
    """
    named = {}
    for c in cfg.communities or ():
        if isinstance(c, dict) and c.get("name") is not None:
            named.setdefault(str(c["name"]), str(c.get("value", "")).strip())
    out = []
    for adv in cfg.prefix_advertisements or ():
        if not isinstance(adv, dict) or not adv.get("cidr"):
            continue
        values = set()
        for c in adv.get("communities") or ():
            text = str(c).strip()
            value = text if _COMMUNITY.fullmatch(text) else named.get(text)
            if value:
                values.add(value)
        out.append((str(adv["cidr"]), tuple(sorted(values))))
    return tuple(out)


# --------------------------------------------------------------------------- confd inputs


def node_configs(cluster: Cluster) -> dict[str, BGPConfiguration]:
    """The per-node ``node.<name>`` BGPConfigurations, by node name."""
    return {c.name[len("node."):]: c for c in cluster.bgp_configurations if c.name.startswith("node.")}


def node_infos(cluster: Cluster) -> list[NodeInfo]:
    """The :class:`~fastroute.bgp.birdcfg.NodeInfo` of every node, in node order."""
    per_node = node_configs(cluster)
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


def bgp_globals(cluster: Cluster, node: str | None = None) -> BgpGlobals:
    """The :class:`~fastroute.bgp.birdcfg.BgpGlobals` confd renders for ``node`` (a name).

    The ``default`` BGPConfiguration, with ``logSeverityScreen``, ``bindMode`` and
    ``ignoredInterfaces`` of the node's ``node.<name>`` configuration taking
    precedence, and its ``prefixAdvertisements`` replacing the default's.  BIRD keeps only ``debug`` and ``info``; any other severity renders
    no debug line.
    """
    d = cluster.bgp_config
    sev = d.log_severity_screen
    bind = d.bind_mode
    ignored = tuple(d.ignored_interfaces)
    adverts = _prefix_advertisements(d)
    if node is not None:
        cfg = node_configs(cluster).get(node)
        if cfg is not None:
            sev = cfg.log_severity_screen if cfg.log_severity_screen is not None else sev
            bind = cfg.bind_mode if cfg.bind_mode is not None else bind
            ignored = tuple(cfg.ignored_interfaces) or ignored
            if cfg.prefix_advertisements:
                adverts = _prefix_advertisements(cfg)
    level = "info" if sev is None else _LOG.get(str(sev).lower(), "none")
    restart = d.node_mesh_max_restart_time
    return BgpGlobals(
        as_number=d.effective_as_number,
        mesh_enabled=d.mesh_enabled,
        listen_port=d.listen_port,
        mesh_password=_password(d.node_mesh_password, getattr(cluster, "secrets", ())),
        mesh_restart_time=None if restart is None else parse_duration(
            restart, "BGPConfiguration 'default' spec.nodeMeshMaxRestartTime"),
        log_level=level,
        bind_mode=bind,
        ignored_interfaces=ignored,
        prefix_advertisements=adverts,
        load_balancer_ips=tuple(d.service_load_balancer_ips),
        program_cluster_routes=d.program_cluster_routes != "Disabled",
        normal_route_priority=tuple(NORMAL_ROUTE_PRIORITY if v is None else v
                                    for v in (d.ipv4_normal_route_priority, d.ipv6_normal_route_priority)),
    )


def pools(cluster: Cluster) -> list[Pool]:
    """The cluster's IP pools as confd renders them."""
    return [Pool(str(p.cidr), ipip_mode=p.ipip_mode, vxlan_mode=p.vxlan_mode, nat_outgoing=p.nat_outgoing,
                 disable_bgp_export=p.disable_bgp_export, disabled=p.disabled) for p in cluster.pools]


def _single_address(cidr):
    net = ipaddress.ip_network(cidr, strict=False)
    return net.prefixlen == net.max_prefixlen


def service_cidrs(cluster: Cluster) -> list[str]:
    """Service CIDRs every node advertises and keeps out of its kernel (cluster, external and
    load-balancer IP ranges, first occurrence kept).

    A single-address ``serviceLoadBalancerIPs`` entry is left to the Services that use it
    (confd's ``onLoadBalancerIPsUpdate``).
    """
    d = cluster.bgp_config
    seen, out = set(), []
    lb = [c for c in d.service_load_balancer_ips if not _single_address(c)]
    for c in (*d.service_cluster_ips, *d.service_external_ips, *lb):
        if c not in seen:
            seen.add(c)
            out.append(c)
    return out


_EXCLUDE_LABEL = "node.kubernetes.io/exclude-from-external-load-balancers"


def _inside(ip, cidrs):
    try:
        addr = ipaddress.ip_address(ip)
    except ValueError:
        return False
    return any(addr.version == n.version and addr in n for n in cidrs)


def service_routes(cluster: Cluster, node: str) -> tuple[list[str], list[str]]:
    """``(static_routes, reject_cidrs)`` confd writes for node ``node`` (a name).

    confd (``confd/pkg/backends/calico/client.go`` ``updateGlobalRoutes``, ``routes.go``
    ``advertiseThisService`` / ``getAllRoutesForService``): a node labelled
    ``node.kubernetes.io/exclude-from-external-load-balancers: "true"`` advertises nothing (and
    still keeps the ranges out of its kernel).
    Otherwise the :func:`service_cidrs` ranges are advertised and rejected from the kernel,
    and each Service of type ClusterIP, NodePort or LoadBalancer with a cluster IP adds
    /32 (/128) routes when its ``externalTrafficPolicy`` is Local and one of its endpoints of
    the cluster IP's family runs on the node (or when it is a LoadBalancer with policy
    Cluster whose ``loadBalancerIP`` is a single-address ``serviceLoadBalancerIPs`` entry):
    its cluster IP when ``serviceClusterIPs`` is set, its ``externalIPs`` inside
    ``serviceExternalIPs`` and its load-balancer ingress IPs inside ``serviceLoadBalancerIPs``.
    """
    d = cluster.bgp_config
    base = service_cidrs(cluster)
    if cluster.node(node).labels.get(_EXCLUDE_LABEL) == "true":
        return [], base                 # still rejected from the kernel
    external = [ipaddress.ip_network(c, strict=False) for c in d.service_external_ips]
    balancers = [ipaddress.ip_network(c, strict=False) for c in d.service_load_balancer_ips]
    singles = [n for n in balancers if n.prefixlen == n.max_prefixlen]
    local = {}
    for e in getattr(cluster, "endpoints", ()):
        for ip, host in e.addresses:
            if host == node:
                local.setdefault((e.namespace, e.service), set()).add(":" in ip)
    extra = []
    for s in getattr(cluster, "services", ()):
        if s.type not in ("ClusterIP", "NodePort", "LoadBalancer") or s.cluster_ip in ("", "None"):
            continue
        pinned = (s.type == "LoadBalancer" and s.external_traffic_policy == "Cluster"
                  and _inside(s.load_balancer_ip, singles))
        if not pinned and (s.external_traffic_policy != "Local"
                           or (":" in s.cluster_ip) not in local.get((s.namespace, s.name), ())):
            continue
        ips = [s.cluster_ip] if d.service_cluster_ips else []
        ips += [ip for ip in s.external_ips if _inside(ip, external)]
        ips += [ip for ip in s.ingress_ips if _inside(ip, balancers)]
        extra += [f"{ip}/128" if ":" in ip else f"{ip}/32" for ip in ips]
    statics = list(base)
    for c in extra:
        if c not in statics:
            statics.append(c)
    return statics, base


def peer_common_fields(peer: BGPPeer, secrets: Collection[Secret] = ()) -> dict[str, Any]:
    """The fields every entry of BGPPeer ``peer`` gets (confd's
    ``setPeerConfigFieldsFromV3Resource``): password, source address, restart time,
    TTL security, filters, next hop mode, keepalive time.

    Raises
    ------
    InvalidValueError, ResourceError
    """
    restart = None
    if peer.max_restart_time is not None:
        restart = parse_duration(peer.max_restart_time, where_in(peer, "spec.maxRestartTime"))
    keepalive = None
    if peer.keepalive_time is not None:
        keepalive = parse_duration(peer.keepalive_time, where_in(peer, "spec.keepaliveTime"))
    src = peer.source_address or "UseNodeIP"
    if src not in ("UseNodeIP", "None"):
        raise ResourceError(f"{where_in(peer, 'spec.sourceAddress')}: invalid sourceAddress {src!r}: "
                            "expected 'UseNodeIP' or 'None'")
    return dict(password=_password(peer.password, secrets), source_address=src,
                restart_time=restart, ttl_security=int(peer.ttl_security or 0),
                filters=tuple(str(f) for f in peer.filters or ()), next_hop_mode=peer.next_hop_mode,
                keepalive_time=keepalive)


def confd_passes(cluster: Cluster, forward: Callable[[BGPPeer, bool], object],
                 reverse: Callable[[BGPPeer], object]) -> None:
    """confd's passes over the BGPPeers (name order): ``forward(peer, True)`` for the global
    ones, ``forward(peer, False)`` for those with ``node``/``nodeSelector``, then ``reverse(peer)``
    for every one."""
    peers = sorted(cluster.bgp_peers, key=lambda p: p.name)
    for global_pass in (True, False):
        for p in peers:
            if global_pass == (not p.node and not p.node_selector):
                forward(p, global_pass)
    for p in peers:
        reverse(p)


def reverse_sides(peer: BGPPeer, nodes: Any) -> tuple[list[int], list[int], bool, bool] | None:
    """The reverse pass of ``peer``: ``(local, remote, v4, v6)``: the nodes on its remote side
    (``peerSelector``, or the Calico nodes with the ``peerIP`` address, AS and port), which get
    entries toward the nodes on its local side (``nodeSelector``, ``node``, or all), in the
    families given; None when there is nothing to reverse.  ``nodes`` reads the cluster
    (``matching``, ``nodes_with_ip_port_as``, ``index``, ``n_nodes``).

    A BGPPeer with ``reversePeering: Manual`` or a ``localWorkloadSelector`` has none
    (confd ``client.go``: ``automaticReversePeering``; workloads peer back themselves)."""
    if peer.reverse_peering == "Manual" or peer.local_workload_selector:
        return None
    if peer.peer_selector:
        local = nodes.matching(peer.peer_selector, where_in(peer, "spec.peerSelector"))
        v4 = v6 = True
    elif peer.peer_ip:
        ip, port = split_peer_ip(peer.peer_ip, where_in(peer, "spec.peerIP"))
        local = nodes.nodes_with_ip_port_as(ip, peer.as_number, port)
        v4, v6 = ":" not in ip, ":" in ip
    else:
        return None
    if not len(local):
        return None
    if peer.node_selector:
        remote = nodes.matching(peer.node_selector, where_in(peer, "spec.nodeSelector"))
    elif peer.node:
        # confd takes the name as given; a node that does not exist contributes nothing.
        remote = [nodes.index[peer.node]] if peer.node in nodes.index else []
    else:
        remote = list(range(nodes.n_nodes))
    return local, remote, v4, v6


def missing_as_error(peer: BGPPeer) -> ResourceError:
    """The error for a ``peerIP`` BGPPeer without ``asNumber`` whose address is no Calico node's."""
    return ResourceError(f"{where_in(peer, 'spec.asNumber')}: BGPPeer {peer.name!r} with peerIP "
                         f"{peer.peer_ip!r} has no asNumber: the AS of a peer that is not a "
                         "Calico node is required")


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
        return peer_common_fields(peer, getattr(self.cluster, "secrets", ()))

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
            local = self.matching(peer.node_selector, where_in(peer, "spec.nodeSelector"))
            local_names = [self.infos[i].name for i in local]
        elif peer.node:
            local_names = [peer.node]
        else:
            local_names = []
        common = self.peer_fields(peer)
        if peer.peer_selector:
            fields = [f for j in self.matching(peer.peer_selector, where_in(peer, "spec.peerSelector"))
                      for f in self.node_as_peers(j)]
        elif peer.peer_ip:
            ip, port = split_peer_ip(peer.peer_ip, where_in(peer, "spec.peerIP"))
            asn = peer.as_number
            if asn is None:
                # confd writes `as 0` (BIRD refuses it: "Remote AS number must be set"); the
                # Calico node with that address peers with its own AS, which is taken here
                owners = [i for i, info in enumerate(self.infos) if ip in (info.ip4, info.ip6)]
                if not owners:
                    raise missing_as_error(peer)
                asn = self.node_as(owners[0])
            if port == 0:
                nodes = self.nodes_with_ip_port_as(ip, peer.as_number, 0)
                if nodes:
                    port = self.node_port(nodes[0])
            fields = [dict(ip=ip, as_number=asn, port=port, calico_node=ip in self.node_ips,
                           keep_next_hop=bool(peer.keep_original_next_hop),
                           num_allow_local_as=int(peer.num_allowed_local_as_numbers or 0),
                           reachable_by=peer.reachable_by or None, local_as_number=peer.local_as_number)]
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
        sides = reverse_sides(peer, self)
        if sides is None:
            return
        local, remote, v4, v6 = sides
        common = self.peer_fields(peer)
        fields = [f for j in remote for f in self.node_as_peers(j, v4, v6)]
        for f in fields:
            data = self.make(f, common)
            for i in local:
                self.emit(("n", self.infos[i].name, data.ip, data.port or 0), data)

    @property
    def n_nodes(self):
        return len(self.infos)

    def run(self):
        confd_passes(self.cluster, self.forward, self.reverse)
        global_peers = [d for k, d in self.entries.items() if k[0] == "g"]
        node_peers = {info.name: [] for info in self.infos}
        for k, d in self.entries.items():
            if k[0] == "n" and k[1] in node_peers:
                node_peers[k[1]].append(d)
        return global_peers, node_peers


def expand_peers(cluster: Cluster, infos: Sequence[NodeInfo] | None = None, globals_: BgpGlobals | None = None
                 ) -> tuple[list[PeerData], dict[str, list[PeerData]]]:
    """confd's peer entries for ``cluster``.

    ``infos`` and ``globals_`` (:func:`node_infos`, :func:`bgp_globals`) are
    computed when not given.

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
    infos = node_infos(cluster) if infos is None else infos
    globals_ = bgp_globals(cluster) if globals_ is None else globals_
    return _Expander(cluster, infos, globals_).run()


def affine_blocks(cluster: Cluster, infos: Iterable[NodeInfo]) -> dict[str, list[AffineBlock]]:
    """Each node's confirmed affine blocks, by node name."""
    blocks = {info.name: [] for info in infos}
    for b in cluster.blocks:
        if b.affinity in blocks:
            blocks[b.affinity].append(AffineBlock(str(b.cidr), "confirmed"))
    return blocks


# --------------------------------------------------------------------------- local workload peers


def _selects_node(peer, node, labels):
    # felix/calc/active_bpgpeer_calculator.go bgpPeerSelectsLocalNode: `node`, else
    # `nodeSelector` (empty: every node)
    if peer.node:
        return peer.node == node
    return Selector(peer.node_selector or "", where_in(peer, "spec.nodeSelector")).matches(labels)


def _workload_addresses(pods, i):
    v4, v6 = int(pods.ipv4[i]), pods.ipv6[i]
    out = [str(ipaddress.IPv4Address(v4))] if v4 >= 0 else []
    return out + ([str(ipaddress.IPv6Address(v6))] if v6 is not None else [])


def local_workload_entries(cluster: Cluster, node: str) -> tuple[list[PeerData], list[PeerData]]:
    """confd's local workload entries on node ``node`` (a name): ``(global, node_specific)``
    lists of :class:`~fastroute.bgp.birdview.PeerData` with ``local_workload`` set.

    What a node's status files hold (projectcalico/calico
    ``felix/calc/active_bpgpeer_calculator.go``): a BGPPeer with ``localWorkloadSelector`` is
    active on the node its ``node`` names, or on every node its ``nodeSelector`` selects (every
    node without either); each workload on the node takes, of the active BGPPeers whose
    ``localWorkloadSelector`` matches its labels
    (:meth:`~fastroute.model.cluster.Cluster.workload_labels`), the first by name.
    What confd makes of them (``confd/pkg/backends/calico/client.go`` ``updatePeersV1``,
    ``localBGPPeerDataAsBGPPeers``): for each workload, one entry per family with an address
    (the workload's address of that family), the BGPPeer's ``asNumber``, ``localASNumber`` and
    ``filters``, no source address, passive; global when the BGPPeer has neither ``node`` nor
    ``nodeSelector``, else node-specific.  Nothing else of the BGPPeer applies (no password,
    restart time, TTL security, next hop mode).  BGPConfiguration ``localWorkloadPeeringIPV4``/
    ``IPV6`` (the address workloads dial) is Felix's dataplane business and changes no entry.

    Raises
    ------
    SelectorError
        A selector does not parse (the message names the BGPPeer and field).
    ResourceError
        A BGPPeer with ``localWorkloadSelector`` has no ``asNumber``.
    """
    peers = [p for p in cluster.bgp_peers if p.local_workload_selector]
    if not peers:
        return [], []
    i = cluster.node_index(node)
    labels = dict(cluster.nodes[i].labels)
    active = sorted((p for p in peers if _selects_node(p, node, labels)), key=lambda p: p.name)
    if not active:
        return [], []
    selectors = [(p, Selector(p.local_workload_selector, where_in(p, "spec.localWorkloadSelector")))
                 for p in active]
    pods = cluster.pods
    chosen = {}
    for j in np.flatnonzero(np.asarray(pods.node_idx) == i).tolist():
        wl = cluster.workload_labels(j)
        for p, sel in selectors:
            if sel.matches(wl):
                chosen.setdefault(p.name, []).append(j)
                break
    out = ([], [])
    for p in active:
        if p.name not in chosen:
            continue
        if p.as_number is None:
            raise ResourceError(f"{where_in(p, 'spec.asNumber')}: BGPPeer {p.name!r} with localWorkloadSelector "
                                f"{p.local_workload_selector!r} has no asNumber: the workloads' AS is required")
        filters = tuple(str(f) for f in p.filters or ())
        for j in chosen[p.name]:
            for ip in _workload_addresses(pods, j):
                out[bool(p.node or p.node_selector)].append(PeerData(
                    ip=ip, as_number=p.as_number, source_address="None", filters=filters,
                    local_as_number=p.local_as_number, local_workload=True))
    return out


def with_local_workloads(cluster: Cluster, node: str, global_peers: Sequence[PeerData],
                         node_peers: Sequence[PeerData], calico_version: str
                         ) -> tuple[Sequence[PeerData], Sequence[PeerData]]:
    """``(global_peers, node_peers)`` of node ``node`` with its :func:`local_workload_entries`
    added, for a release that has them (the ``local_workload_peers`` template feature).

    confd's ``emit``: an entry whose key (address and port) is taken keeps the first one, and a
    node-specific entry with the key of a global one is dropped; local workload entries come
    after the other entries of their pass (confd walks BGPPeers in Go map order).
    """
    if not template_release(calico_version).has("local_workload_peers"):
        return global_peers, node_peers
    local_global, local_node = local_workload_entries(cluster, node)
    if not (local_global or local_node):
        return global_peers, node_peers

    def key(d):
        return d.ip, d.port or 0

    taken = {key(d) for d in global_peers}
    global_out = list(global_peers)
    for d in local_global:
        if key(d) not in taken:
            taken.add(key(d))
            global_out.append(d)
    node_out = [d for d in node_peers if key(d) not in taken]
    taken |= {key(d) for d in node_out}
    for d in local_node:
        if key(d) not in taken:
            taken.add(key(d))
            node_out.append(d)
    return global_out, node_out
