"""A packet's walk through a Calico cluster, hop by hop, as the kernels route it.

:func:`trace` follows one packet from a source (a pod, a node, or an address)
to a destination with each node's computed kernel table and the forwarding
plane's decision for the route it matches
(:meth:`fastroute.dataplane.routes.RouteTables.step`), the way the seed article walks
its ping from ``10.244.219.66`` on master to ``10.244.166.129`` on node1:

1. in the source pod, ``default via 169.254.1.1 dev eth0``; the pod's ARP entry
   for 169.254.1.1 is ``ee:ee:ee:ee:ee:ee``, answered by proxy ARP on the host
   end of the veth (``caliXXXXXXXXXXX``), so the packet lands in the host;
2. on each host, the route the kernel matches (printed as ``ip route`` prints
   it) decides: a workload route ``dev caliY`` delivers to the pod, a BGP route
   ``via <node> dev <uplink>`` sends it to the next node as it is, ``dev tunl0
   onlink`` wraps it in IPIP (20-byte outer header), ``dev vxlan.calico onlink``
   in VXLAN (50 bytes), a blackhole drops it;
3. every host that *forwards* the packet decrements its TTL: the seed's ping
   leaves the pod with 64, is forwarded by master and node1, and arrives with
   ttl=62.

MTUs follow Felix (projectcalico/calico ``felix/dataplane/linux/int_dataplane.go``:
``ipipMTUOverhead``, ``vxlanMTUOverhead``, ``vxlanV6MTUOverhead``): pod ``eth0`` and ``caliX`` carry the
pod MTU, the host MTU minus the largest overhead among the encapsulations the
cluster's pools enable; ``tunl0`` is host MTU - 20, ``vxlan.calico`` host MTU - 50.
The host MTU is not in the cluster data: it is a parameter (default 1500, the
seed's ``ens33``).

Examples
--------
>>> from fastroute import examples, trace
>>> t = trace.trace(examples.seed(), "10.244.219.66", "10.244.166.129")
>>> t.outcome, t.ttl, [h.node for h in t.hops]
('delivered', 62, ['master', 'master', 'node1', 'node1'])
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from . import routes as _routes
from .forwarding import Encap, Outcome, node_addresses, terminal
from ..jsonout import Record
from ..errors import InvalidAddressError, InvalidValueError, UnknownPodError

if TYPE_CHECKING:
    from ..model.cluster import Cluster

__all__ = ["Endpoint", "Hop", "Trace", "trace", "resolve_endpoint", "OUTCOMES",
           "ENCAP_OVERHEAD", "PROXY_ARP_MAC", "POD_GATEWAY"]

#: Possible outcomes of a trace.
OUTCOMES = ("delivered", "blackholed", "no route", "loop", "ttl exceeded", "left cluster")

#: Outer-header bytes per encapsulation (Felix's MTU overheads, projectcalico/calico
#: ``felix/dataplane/linux/int_dataplane.go``).
ENCAP_OVERHEAD = {"ipip": 20, "vxlan": 50, "vxlan6": 70}

#: The MAC Calico gives every host-side veth; pods resolve their gateway to it.
PROXY_ARP_MAC = "ee:ee:ee:ee:ee:ee"

#: The pod's default gateway (IPv4); for IPv6 the host veth's link-local address.
POD_GATEWAY = {4: "169.254.1.1", 6: "fe80::ecee:eeff:feee:eeee"}

_INITIAL_TTL = 64       # Linux's default ip_default_ttl
_DELIVERED = terminal(Outcome.DELIVERED)
_BLACKHOLE = terminal(Outcome.BLACKHOLE)


_LABELS = {"pod": "{address} (pod {name} on {node})", "host": "{address} (node {node})",
           "unassigned": "{address} (in pool {name}, assigned to no pod)"}


@dataclass(frozen=True)
class Endpoint:
    """One end of a trace: a pod, a node's host, or an address outside the cluster.

    ``kind`` is ``"pod"``, ``"host"``, ``"unassigned"`` (in a pool, no pod has it)
    or ``"external"``; ``node`` the node it is on
    (None for external); ``name`` ``namespace/pod`` or the node name.
    """

    kind: str
    address: str
    node: str | None = None
    name: str | None = None
    interface: str | None = None    # a pod's host-side veth

    def label(self):
        return _LABELS.get(self.kind, "{address} (outside the cluster)").format(**asdict(self))


@dataclass(frozen=True)
class Hop:
    """One place the packet is routed.

    ``where`` is ``"pod"`` (in a pod's network namespace) or ``"host"`` (a
    node's root namespace); ``route`` the line of the table that matched (as
    ``ip route`` prints it), None where nothing matched; ``action`` one of
    ``send`` (leaves the pod), ``forward`` (to another node), ``encapsulate``
    (into a tunnel toward another node), ``deliver`` (into a local pod or the
    host itself), ``blackhole``, ``no route``, ``exit`` (toward a gateway or host
    that is not a cluster node), ``receive`` (the packet arrived); ``ttl`` the TTL
    the packet carries when it leaves this hop (on arrival for ``receive``).
    """

    where: str
    node: str | None
    name: str
    dev_in: str | None
    route: str | None
    action: str
    dev_out: str | None = None
    next_hop: str | None = None
    next_node: str | None = None
    ttl: int = _INITIAL_TTL
    mtu: int | None = None
    encap: str | None = None
    outer: dict | None = None       # outer header of an encapsulated leg
    note: str | None = None

    def to_dict(self):
        return asdict(self)


@dataclass
class Trace(Record):
    """The walk of one packet: endpoints, hops, outcome, arrival TTL, path MTU."""

    src: Endpoint
    dst: Endpoint
    hops: list
    outcome: str
    ttl: int | None                 # TTL on arrival (None unless delivered)
    routed_hops: int                # hosts that forwarded the packet (each decremented the TTL)
    path_mtu: int | None
    host_mtu: int
    notes: list = field(default_factory=list)

    @property
    def delivered(self):
        return self.outcome == "delivered"

    def table_rows(self):
        """One row per hop."""
        return [h.to_dict() for h in self.hops]

    def to_dict(self):
        return {
            "src": asdict(self.src), "dst": asdict(self.dst), "outcome": self.outcome, "ttl": self.ttl,
            "routed_hops": self.routed_hops, "path_mtu": self.path_mtu, "host_mtu": self.host_mtu,
            "hops": [h.to_dict() for h in self.hops], "notes": list(self.notes),
        }

    def text(self):
        """The walk as readable lines (what ``fastroute trace`` prints)."""
        lines = [f"trace {self.src.label()}", f"   -> {self.dst.label()}", ""]
        for i, h in enumerate(self.hops, 1):
            head = f"{i:>2}  {h.where} {h.name}"
            if h.dev_in:
                head += f"  in {h.dev_in}"
            lines.append(head)
            if h.route is not None:
                for k, rl in enumerate(h.route.splitlines()):
                    lines.append(f"      {'route ' if k == 0 else '      '}{rl}")
            lines.append("      " + _action_text(h))
            if h.note:
                lines.append(f"      ({h.note})")
        lines.append("")
        summary = f"{self.outcome}"
        if self.ttl is not None:
            summary += (f": ttl={self.ttl} on arrival ({_INITIAL_TTL} - {self.routed_hops} routed "
                        f"hop{'s' if self.routed_hops != 1 else ''})")
        if self.path_mtu is not None:
            summary += f", path MTU {self.path_mtu} (host MTU {self.host_mtu})"
        lines.append(summary)
        lines += [f"note: {n}" for n in self.notes]
        return "\n".join(lines) + "\n"


def _action_text(h):
    if h.action == "send":
        return f"-> out {h.dev_out} to gateway {h.next_hop} ({h.next_node}), ttl {h.ttl}, mtu {h.mtu}"
    if h.action == "forward":
        return f"-> forward out {h.dev_out} to {h.next_hop} ({h.next_node}), ttl {h.ttl}, mtu {h.mtu}"
    if h.action == "encapsulate":
        o = h.outer or {}
        return (f"-> {h.encap.upper()} out {h.dev_out}: outer {o.get('src')} -> {o.get('dst')} ({h.next_node}), "
                f"+{o.get('overhead')} bytes, ttl {h.ttl}, mtu {h.mtu}")
    if h.action == "deliver":
        return f"-> deliver out {h.dev_out}, ttl {h.ttl}" + (f", mtu {h.mtu}" if h.mtu else "")
    if h.action == "receive":
        return f"<- received on {h.dev_in or 'eth0'}, ttl={h.ttl}"
    if h.action == "exit":
        return f"-> out {h.dev_out} to {h.next_hop}, which is not a cluster node: the packet leaves the cluster"
    if h.action == "blackhole":
        return "-> dropped by the blackhole route"
    if h.action == "no route":
        return "-> no route matches: dropped (network unreachable)"
    if h.action == "loop":
        return "-> back at a node it already passed: routing loop"
    return f"-> {h.action}"


# ---------------------------------------------------------------------------- endpoints


def _parse_ip(text):
    try:
        return ipaddress.ip_address(text)
    except ValueError:
        return None


def _pod_endpoint(cluster, i, version):
    pods = cluster.pods
    if version == 4:
        v = int(pods.ipv4[i])
        addr = str(ipaddress.IPv4Address(v)) if v >= 0 else None
    else:
        v = pods.ipv6[i]
        addr = str(ipaddress.IPv6Address(v)) if v is not None else None
    if addr is None:
        raise InvalidValueError(f"pod {pods.namespace[i]}/{pods.name[i]} has no IPv{version} address")
    return Endpoint("pod", addr, cluster.node_names[int(pods.node_idx[i])],
                    f"{pods.namespace[i]}/{pods.name[i]}", pods.interface_name(i))


def _pod_by_address(cluster, ip):
    pods = cluster.pods
    if ip.version == 4:
        hit = np.flatnonzero(pods.ipv4 == int(ip))
        return int(hit[0]) if hit.size else None
    for i, a in enumerate(pods.ipv6):
        if a is not None and int(a) == int(ip):
            return i
    return None


def resolve_endpoint(cluster: Cluster, text: str, version: int | None = None, where: str = "endpoint") -> Endpoint:
    """An :class:`Endpoint` for ``text``: ``namespace/pod``, a pod name (any
    namespace, must be unique), a node name, or an IP address.

    Raises
    ------
    UnknownPodError
        A name that is no pod and no node, or a pod name found in several namespaces.
    """
    ip = _parse_ip(text)
    if ip is not None:
        if version is not None and ip.version != version:
            raise InvalidAddressError(f"invalid {where} {text!r}: expected an IPv{version} address")
        p = _pod_by_address(cluster, ip)
        if p is not None:
            return _pod_endpoint(cluster, p, ip.version)
        owners = node_addresses(cluster, ip.version)
        if ip in owners:
            return Endpoint("host", str(ip), cluster.node_names[owners[ip]], cluster.node_names[owners[ip]])
        for pool in cluster.pools:
            if pool.version == ip.version and ip in pool.cidr:
                return Endpoint("unassigned", str(ip), name=str(pool.cidr))
        return Endpoint("external", str(ip))
    pods = cluster.pods
    if "/" in text:
        ns, name = text.split("/", 1)
        hits = [i for i, (a, b) in enumerate(zip(pods.namespace, pods.name)) if a == ns and b == name]
    else:
        hits = [i for i, b in enumerate(pods.name) if b == text]
    if len(hits) == 1:
        return _pod_endpoint(cluster, hits[0], version or 4)
    if len(hits) > 1:
        which = ", ".join(f"{pods.namespace[i]}/{pods.name[i]}" for i in hits[:5])
        raise UnknownPodError(f"ambiguous {where} {text!r}: pods {which} have that name; write namespace/name")
    if "/" not in text and text in cluster.node_names:
        node = cluster.nodes[cluster.node_index(text)]
        iface = node.ipv4 if (version or 4) == 4 else node.ipv6
        if iface is None:
            raise InvalidValueError(f"node {text!r} has no IPv{version or 4} address")
        return Endpoint("host", str(iface.ip), text, text)
    raise UnknownPodError(
        f"unknown {where} {text!r}: expected an IP address, namespace/pod, a pod name or a node name "
        f"(the cluster has {len(pods)} pods and nodes {', '.join(repr(n) for n in cluster.node_names[:5])}"
        f"{', ...' if cluster.n_nodes > 5 else ''})"
    )


# ---------------------------------------------------------------------------- MTU


def encapsulations(cluster, version=4):
    """Encapsulations enabled by the cluster's enabled pools: subset of {"ipip", "vxlan", "vxlan6"}."""
    out = set()
    for p in cluster.pools:
        if p.disabled:
            continue
        if p.version == 4 and p.ipip_mode != "Never":
            out.add("ipip")
        if p.vxlan_mode != "Never":
            out.add("vxlan" if p.version == 4 else "vxlan6")
    return out


def pod_mtu(cluster, host_mtu=1500):
    """Felix's pod MTU: host MTU minus the largest enabled encapsulation overhead."""
    enc = encapsulations(cluster, 4) | encapsulations(cluster, 6)
    return host_mtu - max((ENCAP_OVERHEAD[e] for e in enc), default=0)


def _dev_mtu(dev, node, host_mtu, podmtu):
    if dev == "tunl0":
        return host_mtu - ENCAP_OVERHEAD["ipip"]
    if dev == "vxlan.calico":
        return host_mtu - ENCAP_OVERHEAD["vxlan"]
    if dev == "vxlan-v6.calico":
        return host_mtu - ENCAP_OVERHEAD["vxlan6"]
    if dev and dev.startswith("cali"):
        return podmtu
    return host_mtu


# ---------------------------------------------------------------------------- the walk


def trace(cluster_or_tables: Cluster | _routes.RouteTables, src: str, dst: str, *, down: Iterable[str] = (),
          host_mtu: int = 1500, calico_version: str | None = None, max_hops: int = 64) -> Trace:
    """Follow a packet from ``src`` to ``dst`` through every node's kernel table.

    Parameters
    ----------
    cluster_or_tables : Cluster or routes.RouteTables
        A cluster (allocated or a plan) or tables already computed for the
        destination's IP version (then ``down``/``calico_version`` are ignored).
    src, dst : str
        ``namespace/pod``, a pod name, a node name, or an IP address.
    down : iterable of str
        Nodes whose calico-node was stopped (their BGP routes are gone elsewhere;
        their own kernel keeps its routes).
    host_mtu : int, default 1500
        MTU of the nodes' uplinks (not in the cluster data).
    max_hops : int, default 64
        Give up after this many host hops (the TTL would expire anyway).

    Returns
    -------
    Trace

    Raises
    ------
    UnknownPodError, InvalidAddressError, InvalidValueError
        An endpoint that does not resolve, or a source outside the cluster.

    Examples
    --------
    >>> from fastroute import examples
    >>> t = trace(examples.seed(), "default/echo-deployment-598f49cc44-td2lf", "10.244.166.129")
    >>> t.hops[1].route
    '10.244.166.128/26 via 192.168.31.202 dev ens33 proto bird'
    """
    if host_mtu < 68:
        raise InvalidValueError(f"invalid host_mtu {host_mtu!r}: must be >= 68")
    if hasattr(cluster_or_tables, "step"):       # RouteTables (or anything with its step)
        tables = cluster_or_tables
        cluster = tables.cluster
    else:
        cluster = cluster_or_tables
        if not cluster.is_allocated:
            cluster = cluster.allocate()
        tables = None
    d_ip = _parse_ip(dst)
    s_ip = _parse_ip(src)
    version = d_ip.version if d_ip is not None else (s_ip.version if s_ip is not None else 4)
    if tables is None:
        tables = _routes.compute(cluster, version, down=down, calico_version=calico_version)
    elif tables.version != version:
        raise InvalidValueError(f"tables are IPv{tables.version}, destination {dst!r} is IPv{version}")
    s = resolve_endpoint(cluster, src, version, "source")
    d = resolve_endpoint(cluster, dst, version, "destination")
    if s.kind in ("external", "unassigned"):
        raise InvalidValueError(
            f"invalid source {src!r}: not a pod or node address of the cluster; fastroute traces from inside it")
    return _walk(cluster, tables, s, d, version, host_mtu, max_hops)


def _outer(cluster, node, nxt, enc, version):
    """The outer header of an encapsulated leg from `node` to `nxt`."""
    me = cluster.nodes[node].ipv4 if version == 4 else cluster.nodes[node].ipv6
    peer = cluster.nodes[nxt].ipv4 if version == 4 else cluster.nodes[nxt].ipv6
    outer = {"src": str(me.ip) if me is not None else None, "dst": str(peer.ip) if peer is not None else None,
             "overhead": ENCAP_OVERHEAD[enc], "dev": cluster.nodes[node].uplink}
    if enc.startswith("vxlan"):
        outer.update(udp_port=4789, vni=4096)
    return outer


def _walkable_routers(tables):
    """{speaker index: Router} of the modelled Routers that are up: a packet is
    routed on through them (each decrements the TTL)."""
    net = getattr(tables, "network", None)
    if net is None:
        return {}
    return {e.index: e.router for e in net.externals if e.router is not None and e.router.name not in net.down}


def _speaker(cluster, routers, v):
    return cluster.node_names[v] if v < cluster.n_nodes else routers[v].name


def _interface(cluster, routers, v, version):
    """Speaker v's address with its subnet (a node's, a Router's)."""
    if v < cluster.n_nodes:
        return cluster.nodes[v].ipv4 if version == 4 else cluster.nodes[v].ipv6
    r = routers[v]
    return r.interface_address if r.version == version else None


def _walk(cluster, tables, s, d, version, host_mtu, max_hops):
    podmtu = pod_mtu(cluster, host_mtu)
    by_addr = node_addresses(cluster, version)
    daddr = ipaddress.ip_address(d.address)
    hops = []
    notes = []
    ttl = _INITIAL_TTL
    routed = 0
    mtus = []

    if s.address == d.address:
        hops.append(Hop("pod" if s.kind == "pod" else "host", s.node, s.name, "lo", None, "receive",
                        ttl=ttl, note="source and destination are the same address"))
        return Trace(s, d, hops, "delivered", ttl, 0, None, host_mtu, notes)

    node = cluster.node_index(s.node)
    dev_in = None
    if s.kind == "pod":
        gw = POD_GATEWAY[version]
        hops.append(Hop("pod", s.node, s.name, None, f"default via {gw} dev eth0", "send", dev_out="eth0",
                        next_hop=gw, next_node=s.node, ttl=ttl, mtu=podmtu,
                        note=(f"ARP {gw} -> {PROXY_ARP_MAC}: proxy ARP on the host end {s.interface}" if version == 4
                              else f"neighbour {gw} -> {PROXY_ARP_MAC}: the host end {s.interface}'s link-local "
                                   f"address (EUI-64 of its MAC; unconfirmed), proxy NDP on")))
        mtus.append(podmtu)
        dev_in = s.interface
        forwarding = True           # the host forwards what the pod sent
    else:
        forwarding = False          # the host itself originates the packet
    seen = set()
    final = None
    routers = _walkable_routers(tables)
    for _ in range(max_hops):
        name = _speaker(cluster, routers, node)
        where = "host" if node < cluster.n_nodes else "router"
        if node in seen:
            # a node decides on the destination alone, so coming back means going round forever
            hops.append(Hop(where, name, name, dev_in, None, "loop", ttl=ttl))
            final = "loop"
            break
        seen.add(node)
        if by_addr.get(daddr) == node:
            hops.append(Hop(where, name, name, dev_in, None, "receive", ttl=ttl,
                            note="the destination is this node's own address"))
            final = "delivered"
            break
        r, state, encap = tables.step(node, d.address)
        if r is None:
            hops.append(Hop(where, name, name, dev_in, None, "no route", ttl=ttl))
            if where == "host" and not getattr(cluster.nodes[node], "host_routes", None):
                notes.append(f"{name}'s own routes (default route, ...) are not in the cluster data: fastroute "
                             f"knows only its connected subnet (annotation fastroute.io/host-routes)")
            final = "no route"
            break
        if state == _BLACKHOLE:
            hops.append(Hop(where, name, name, dev_in, r.text(), "blackhole", ttl=ttl))
            final = "blackholed"
            break
        if forwarding:
            ttl -= 1
            routed += 1
            if ttl <= 0:
                hops.append(Hop(where, name, name, dev_in, r.text(), "ttl exceeded", ttl=0))
                final = "ttl exceeded"
                break
        forwarding = True
        via, dev = r.via, r.dev
        note = None
        if r.nexthops:
            via, dev = r.nexthops[0]
            note = (f"ECMP over {len(r.nexthops)} next hops: the kernel hashes each flow onto one; "
                    f"this trace follows the first")
        mtu = _dev_mtu(dev, node, host_mtu, podmtu)
        if state == _DELIVERED:         # a workload route: into a local pod
            mtus.append(mtu)
            hops.append(Hop("host", name, name, dev_in, r.text(), "deliver", dev_out=dev, ttl=ttl, mtu=mtu,
                            note=note))
            if not (d.kind == "pod" and d.node == name):
                notes.append(f"{dev} carries no pod with {d.address}")
            else:
                hops.append(Hop("pod", name, d.name, "eth0", None, "receive", ttl=ttl))
            final = "delivered"
            break
        gw = ipaddress.ip_address(via) if via is not None else daddr
        if state < 0 or (state >= cluster.n_nodes and state not in routers):   # no cluster node, no Router
            hops.append(Hop(where, name, name, dev_in, r.text(), "exit", dev_out=dev, next_hop=str(gw), ttl=ttl,
                            mtu=mtu, note=note))
            mtus.append(mtu)
            final = "left cluster"
            break
        nxt = int(state)
        nxt_name = _speaker(cluster, routers, nxt)
        if encap != Encap.NONE:
            enc = "ipip" if encap == Encap.IPIP else ("vxlan" if version == 4 else "vxlan6")
            hops.append(Hop("host", name, name, dev_in, r.text(), "encapsulate", dev_out=dev, next_hop=str(gw),
                            next_node=nxt_name, ttl=ttl, mtu=mtu, encap=enc, outer=_outer(cluster, node, nxt, enc,
                                                                                          version), note=note))
            dev_in = dev                    # decapsulated on the peer's tunnel device
        else:
            my = _interface(cluster, routers, node, version)
            if not r.onlink and my is not None and gw not in my.network:
                extra = (f"{gw} is not on {name}'s subnet {my.network}: the underlay routes it "
                         f"(its routers' TTL decrements are not counted)")
                note = f"{note}; {extra}" if note else extra
            hops.append(Hop(where, name, name, dev_in, r.text(), "forward", dev_out=dev, next_hop=str(gw),
                            next_node=nxt_name, ttl=ttl, mtu=mtu, note=note))
            dev_in = cluster.nodes[nxt].uplink if nxt < cluster.n_nodes else routers[nxt].interface
        mtus.append(mtu)
        node = nxt
    else:
        final = "loop"
        notes.append(f"gave up after {max_hops} host hops")
    if final == "loop" and hops[-1].action != "loop":
        name = _speaker(cluster, routers, node)
        hops.append(Hop("host" if node < cluster.n_nodes else "router", name, name, dev_in, None, "loop", ttl=ttl))
    path_mtu = min(mtus) if mtus else None
    return Trace(s, d, hops, final, ttl if final == "delivered" else None, routed, path_mtu, host_mtu, notes)
