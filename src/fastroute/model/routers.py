"""Routers that are not Calico nodes: top-of-rack and spine routers of an L3 fabric.

A ``Router`` (apiVersion ``fastroute.io/v1``) is a BGP speaker fastroute models
like a node's BIRD, in the style of Calico's resources::

    apiVersion: fastroute.io/v1
    kind: Router
    metadata:
      name: tor-r1
    spec:
      asNumber: 65001
      address: 192.168.31.1/24      # peering address; the prefix is the subnet it shares with nodes
      interface: eth0               # optional: the interface its own table prints
      announce: [0.0.0.0/0, 172.20.0.0/16]   # prefixes it originates
      export: all                   # all | originated | default (what it sends to Calico nodes)
      peers:                        # router-to-router sessions; node sessions come from BGPPeers
        - {peerIP: 10.0.0.1, asNumber: 65100}
      routeReflector: false         # an iBGP router may reflect to its iBGP neighbours
      clusterID: 10.0.0.9           # optional; default: its address

A router peers back with every Calico node whose BGPPeer targets its address and
with every Router it lists in ``peers`` that lists it back.  ``export`` limits what
it sends to Calico nodes: ``all`` (every best path), ``originated`` (only its own
``announce`` prefixes), ``default`` (only its default route: ``announce`` must then
hold only ``0.0.0.0/0`` and ``::/0``); router-to-router sessions always carry
everything.  See docs/fabric.md.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import Any

from .kinds import Source
from .validation import address_field, asn_field, bool_field, fail, get_field

__all__ = ["API_VERSION", "EXPORT_MODES", "Router", "RouterPeer", "parse_router", "routers_of"]

API_VERSION = "fastroute.io/v1"
EXPORT_MODES = ("all", "originated", "default")
_SPEC_FIELDS = ("asNumber", "address", "interface", "announce", "export", "peers", "routeReflector", "clusterID")


@dataclass(frozen=True)
class RouterPeer:
    """One router-to-router session a Router is configured with."""

    ip: str
    as_number: int


@dataclass(frozen=True)
class Router:
    """A ``fastroute.io/v1`` Router (see the module text)."""

    name: str
    as_number: int
    address: str                    # "192.168.31.1/24"
    interface: str = "eth0"
    announce: tuple = ()            # prefix texts, in the order given
    export: str = "all"
    peers: tuple = ()               # RouterPeer
    route_reflector: bool = False
    cluster_id: str | None = None
    source: Source = None

    @property
    def interface_address(self):
        return ipaddress.ip_interface(self.address)

    @property
    def ip(self):
        """The peering address as text (no prefix length)."""
        return str(self.interface_address.ip)

    @property
    def version(self):
        return self.interface_address.version

    @property
    def network(self):
        return self.interface_address.network

    @property
    def reflector_cluster_id(self):
        """The cluster id it reflects with (its address unless ``clusterID`` is set), as text."""
        return self.cluster_id or self.ip

    def to_doc(self):
        spec = {"asNumber": self.as_number, "address": self.address}
        if self.interface != "eth0":
            spec["interface"] = self.interface
        if self.announce:
            spec["announce"] = list(self.announce)
        if self.export != "all":
            spec["export"] = self.export
        if self.peers:
            spec["peers"] = [{"peerIP": p.ip, "asNumber": p.as_number} for p in self.peers]
        if self.route_reflector:
            spec["routeReflector"] = True
        if self.cluster_id:
            spec["clusterID"] = self.cluster_id
        return {"apiVersion": API_VERSION, "kind": "Router", "metadata": {"name": self.name}, "spec": spec}


def _items(values, src, field, what):
    """``(path, item)`` of a list field (``spec.peers[0]``...)."""
    if not isinstance(values, list):
        fail(src, field, f"expected a list of {what}, got {values!r}")
    return [(f"{field}[{i}]", v) for i, v in enumerate(values)]


def _announce(values, src, version):
    out = []
    for path, v in _items(values, src, "spec.announce", "prefixes"):
        try:
            net = ipaddress.ip_network(str(v).strip())
        except ValueError:
            fail(src, path, f"invalid prefix {v!r}: expected a network such as 172.20.0.0/16 (host bits unset)")
        if net.version != version:
            fail(src, path, f"invalid prefix {v!r}: expected an IPv{version} prefix, as the router's address")
        if str(net) in out:
            fail(src, path, f"prefix {v!r} is announced twice")
        out.append(str(net))
    return tuple(out)


def _peers(values, src, version):
    out = []
    for path, p in _items(values, src, "spec.peers", "{peerIP, asNumber}"):
        if not isinstance(p, dict):
            fail(src, path, f"expected a mapping with peerIP and asNumber, got {p!r}")
        for key in p:
            if key not in ("peerIP", "asNumber"):
                fail(src, f"{path}.{key}", f"unknown field {key!r}: expected peerIP, asNumber")
        if p.get("peerIP") is None:
            fail(src, f"{path}.peerIP", "required field is missing")
        if p.get("asNumber") is None:
            fail(src, f"{path}.asNumber", "required field is missing")
        ip = address_field(p["peerIP"], src, f"{path}.peerIP", version)
        if "/" in str(p["peerIP"]):
            fail(src, f"{path}.peerIP", f"invalid address {p['peerIP']!r}: expected an address without a prefix length")
        out.append(RouterPeer(str(ip), asn_field(p["asNumber"], src, f"{path}.asNumber")))
    return tuple(out)


def parse_router(doc: dict[str, Any], src: Source) -> Router:
    """A :class:`Router` from a ``fastroute.io/v1`` Router document.

    Raises
    ------
    ResourceError
        Naming the file, the document, the field and the value.
    """
    spec = get_field(doc, src, "spec", dict, required=True)
    for key in spec:
        if key not in _SPEC_FIELDS:
            fail(src, f"spec.{key}", f"unknown field {key!r}: expected one of {', '.join(_SPEC_FIELDS)}")
    asn = asn_field(get_field(doc, src, "spec.asNumber", None, required=True), src, "spec.asNumber")
    text = get_field(doc, src, "spec.address", str, required=True)
    try:
        iface = ipaddress.ip_interface(text.strip())
    except ValueError:
        fail(src, "spec.address", f"invalid address {text!r}: expected an address with its prefix length, "
                                  "such as 192.168.31.1/24")
    if "/" not in text:
        fail(src, "spec.address", f"invalid address {text!r}: expected a prefix length (the subnet it shares "
                                  "with nodes), such as 192.168.31.1/24")
    version = iface.version
    interface = get_field(doc, src, "spec.interface", str, default="eth0")
    if not interface or len(interface) > 15 or any(c.isspace() or c == "/" for c in interface):
        fail(src, "spec.interface", f"invalid interface name {interface!r}: 1..15 characters, no spaces or '/'")
    announce = _announce(get_field(doc, src, "spec.announce", None, default=[]), src, version)
    export = get_field(doc, src, "spec.export", str, default="all")
    if export not in EXPORT_MODES:
        fail(src, "spec.export", f"invalid value {export!r}: expected one of {', '.join(EXPORT_MODES)}")
    if export == "default":
        extra = [p for p in announce if ipaddress.ip_network(p).prefixlen != 0]
        if extra or not announce:
            fail(src, "spec.announce", f"export: default sends only the default route: announce must hold only "
                                       f"0.0.0.0/0 (::/0), got {list(announce)!r}")
    peers = _peers(get_field(doc, src, "spec.peers", None, default=[]), src, version)
    reflector = bool_field(get_field(doc, src, "spec.routeReflector", None, default=False), src, "spec.routeReflector")
    cid = get_field(doc, src, "spec.clusterID", str)
    if cid is not None:
        cid = str(address_field(cid, src, "spec.clusterID", 4))
        if not reflector:
            fail(src, "spec.clusterID", f"clusterID {cid!r} is set but routeReflector is false")
    return Router(src.name, asn, f"{iface.ip}/{iface.network.prefixlen}", interface, announce, export, peers,
                  reflector, cid, src)


def routers_of(cluster: Any) -> tuple[Router, ...]:
    """The cluster's Routers (a tuple; empty for a cluster without any)."""
    return tuple(getattr(cluster, "routers", ()) or ())
