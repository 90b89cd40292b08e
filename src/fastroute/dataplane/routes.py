"""Every node's kernel routing table, as Calico's BIRD and Felix program it.

:func:`compute` runs the whole pipeline for a cluster (topology, propagation,
kernel programming) and returns :class:`RouteTables`.  Per node, the table holds

* Felix's workload routes: ``<pod ip> dev caliXXXXXXXXXXX scope link``;
* BIRD's static blackhole for each affine block: ``blackhole <block> proto bird``
  (Felix's ``proto 80`` blackhole in VXLAN pools);
* the best BGP path of every route class, rendered per pool mode:
  ``via <node> dev <uplink> proto bird`` (no encapsulation, or CrossSubnet
  within the subnet), ``via <node> dev tunl0 proto bird onlink`` (IPIP);
* Felix's VXLAN routes, which come from IPAM, not BGP:
  ``<block> via <vtep> dev vxlan.calico onlink`` (CrossSubnet within the subnet:
  ``via <node> dev <uplink> proto 80 onlink``), and /32s for borrowed addresses;
* with ``include_host``, the host's own routes (the node's
  ``fastroute.io/host-routes`` annotation, else its connected subnet).

Routes are listed in the kernel's order (``ip route``; see :func:`_sort_key`).
"""

import ipaddress
from dataclasses import dataclass, field

import numpy as np

from ..bgp import network as _network
from ..bgp.chains import reflector_chains
from ..errors import ConvergenceError, FastrouteError, choice
from ..fib import Fib
from ..bgp.propagate import KIND_BLOCK, KIND_POD, propagate, propagate_reference

__all__ = ["KernelRoute", "RouteTables", "compute", "format_routes"]


@dataclass(frozen=True)
class KernelRoute:
    """One route of a node's main table.

    ``via`` is a gateway address (str) or None; ``nexthops`` holds
    ``(via, dev)`` pairs of a multipath route (then ``via``/``dev`` are None).
    """

    dst: str                        # "10.244.0.0/26", a host route without "/32", or "default"
    type: str = "unicast"           # unicast | blackhole
    via: str | None = None
    dev: str | None = None
    proto: str | None = None        # None: boot (hidden by ip route)
    scope: str | None = None
    src: str | None = None
    metric: int | None = None
    onlink: bool = False
    nexthops: tuple = ()
    origin: str = ""                # felix | bird | host: who programs it
    pref: str | None = None         # IPv6 router preference ("medium")

    def text(self):
        """The line ``ip route`` prints for this route."""
        parts = [] if self.type == "unicast" else [self.type]
        parts.append(self.dst)
        if self.via:
            parts += ["via", self.via]
        if self.dev:
            parts += ["dev", self.dev]
        if self.proto:
            parts += ["proto", self.proto]
        if self.scope:
            parts += ["scope", self.scope]
        if self.src:
            parts += ["src", self.src]
        if self.metric is not None:
            parts += ["metric", str(self.metric)]
        if self.onlink:
            parts.append("onlink")
        if self.pref:
            parts += ["pref", self.pref]
        line = " ".join(parts)
        for via, dev in self.nexthops:
            line += f"\n\tnexthop via {via} dev {dev} weight 1"
        return line

    def to_json(self):
        return {
            "dst": self.dst, "type": self.type, "dev": self.dev, "via": self.via,
            "proto": self.proto or "boot", "scope": self.scope or "global",
            "onlink": self.onlink, "src": self.src, "metric": self.metric,
            "nexthops": [{"via": v, "dev": d} for v, d in self.nexthops], "origin": self.origin,
            "pref": self.pref,
        }


# How the kernel shows IPv6 routes (observed on real BIRD 1.6 in tests/interop):
# every route carries `metric 1024 pref medium` (connected ones metric 256),
# `scope link` is not printed, and a blackhole is attached to `dev lo`.
_V6 = dict(metric=1024, pref="medium")


def _dst_text(net, plen, version):
    width = 32 if version == 4 else 128
    addr = ipaddress.ip_address(net) if version == 4 else ipaddress.IPv6Address(net)
    if plen == 0:
        return "default"
    return str(addr) if plen == width else f"{addr}/{plen}"


def _sort_key(r, version):
    """Where the kernel lists a route.

    IPv4 (fib_trie): by network address, and for one address the longer prefix
    first.  IPv6 (the fib6 tree, walked children first): every prefix after the
    prefixes inside it, in address order -- so by last address, longer first,
    and the default route last.
    """
    if r.dst == "default":
        net = ipaddress.ip_network("0.0.0.0/0" if version == 4 else "::/0")
    else:
        net = ipaddress.ip_network(r.dst, strict=False)
    kind = 0 if r.type == "unicast" else 1
    if version == 4:
        return (int(net.network_address), -net.prefixlen, kind)
    return (int(net.broadcast_address), -net.prefixlen, kind)


def format_routes(routes):
    """``ip route`` text of a list of routes (already in kernel order)."""
    return "".join(r.text() + "\n" for r in routes)


def _host_routes(node, version):
    """The host's own routes: the annotation when given, else the connected subnet."""
    from ..iproute import parse_ip_route
    text = getattr(node, "host_routes", None)
    out = []
    if text:
        for r in parse_ip_route(text):
            fam = 6 if ":" in (r.dst + (r.via or "")) else 4
            if fam != version:
                continue
            out.append(KernelRoute(r.dst, r.type, r.via, r.dev, r.proto, r.scope, r.src, r.metric,
                                   r.onlink, origin="host"))
        return out
    iface = node.ipv4 if version == 4 else node.ipv6
    if iface is not None and iface.network.prefixlen < iface.max_prefixlen:
        if version == 4:
            out.append(KernelRoute(str(iface.network), dev=node.uplink, proto="kernel", scope="link",
                                   src=str(iface.ip), origin="host"))
        else:
            # link-local fe80::/64 routes (one per interface) are left out
            out.append(KernelRoute(str(iface.network), dev=node.uplink, proto="kernel", metric=256,
                                   pref="medium", origin="host"))
    return out


class RouteTables:
    """Every node's routing table for one IP version, computed once, rendered on demand.

    Attributes
    ----------
    network : network.Network
    propagation : routing.Propagation
    """

    def __init__(self, net, prop, up=None):
        self.network = net
        self.propagation = prop
        self.cluster = net.cluster
        self.version = net.version
        # tables with every node up, for down nodes' own view: a RouteTables, or a
        # function that computes them the first time a down node's table is asked for
        self._up = up
        self._ecmp_cache = {}
        self._vxlan_idx = None
        self._fib_cache = {}
        o = net.origins
        self._class_of_node = {int(n): c for c, n in enumerate(prop.classes)}
        # prefixes of each class, in originations order
        self._class_prefixes = {}
        for i in range(o.n):
            if o.origin[i] >= 0:
                self._class_prefixes.setdefault(int(o.origin[i]), []).append(i)

    @property
    def up_tables(self):
        """The tables with every node up (what a stopped node's kernel keeps), or
        None when no node is down.  Computed on first use."""
        if callable(self._up):
            self._up = self._up()
        return self._up

    # ------------------------------------------------------------------ per node

    def node_index(self, node):
        return self.cluster.node_index(node) if isinstance(node, str) else int(node)

    def routes(self, node, include_host=False):
        """The node's kernel routes, in ``ip route`` order.

        Parameters
        ----------
        node : str or int
        include_host : bool
            Add the host's own routes (default route, connected subnet, ...).

        Returns
        -------
        list of KernelRoute
        """
        v = self.node_index(node)
        if self.cluster.node_names[v] in self.network.down and self.up_tables is not None:
            # BIRD's kernel protocol runs with `persist`: a stopped node keeps its routes
            return self.up_tables.routes(v, include_host)
        out = self._felix_local(v) + self._bird_static(v) + self._bgp_routes(v) + self._felix_vxlan(v)
        if include_host:
            out += _host_routes(self.cluster.nodes[v], self.version)
        out.sort(key=lambda r: _sort_key(r, self.version))
        return out

    def text(self, node, include_host=False):
        return format_routes(self.routes(node, include_host))

    def fib(self, node, include_host=False):
        """The node's table as a :class:`Fib`; values index :meth:`routes`.

        Built once per node (and ``include_host``) and kept: lookups on the same
        node reuse it."""
        key = (self.node_index(node), bool(include_host))
        hit = self._fib_cache.get(key)
        if hit is None:
            hit = self._fib_cache[key] = self._build_fib(node, include_host)
        return hit

    def _build_fib(self, node, include_host):
        routes = self.routes(node, include_host)
        fib = Fib(self.version)
        width = 32 if self.version == 4 else 128
        for i, r in enumerate(routes):
            dst = ("0.0.0.0/0" if self.version == 4 else "::/0") if r.dst == "default" else r.dst
            if "/" not in dst:
                dst = f"{dst}/{width}"
            if dst not in fib:       # the first of equal prefixes is the one in use
                fib[dst] = i
        return fib, routes

    def lookup(self, node, addr, include_host=True):
        """The route `node`'s kernel uses for `addr`, or None."""
        fib, routes = self.fib(node, include_host)
        i = fib.lookup(addr)
        return None if i is None else routes[i]

    # ------------------------------------------------------------------ pieces

    def _pool(self, i):
        pi = int(self.network.origins.pool[i])
        return self.cluster.pools[pi] if pi >= 0 else None

    def _felix_local(self, v):
        o = self.network.origins
        pods = self.cluster.pods
        out = []
        v6 = _V6 if self.version == 6 else {}
        for i in np.flatnonzero((o.kind == KIND_POD) & (o.owner == v)):
            p = int(o.pod[i])
            out.append(KernelRoute(_dst_text(o.net[i], int(o.plen[i]), self.version),
                                   dev=pods.interface_name(p), scope=None if v6 else "link", origin="felix", **v6))
        return out

    def _bird_static(self, v):
        o = self.network.origins
        width = 32 if self.version == 4 else 128
        out = []
        for i in np.flatnonzero((o.kind == KIND_BLOCK) & (o.owner == v)):
            if int(o.plen[i]) == width:
                continue                    # /32 blocks are never blackholed
            pool = self._pool(i)
            vx = pool is not None and pool.vxlan_mode != "Never"
            v6 = dict(dev="lo", **_V6) if self.version == 6 else {}
            out.append(KernelRoute(_dst_text(o.net[i], int(o.plen[i]), self.version), type="blackhole",
                                   proto="80" if vx else "bird", origin="felix" if vx else "bird", **v6))
        return out

    def _dev_for(self, v, pool, nh_ip):
        """(dev, onlink) of a BIRD route in `pool` toward next hop `nh_ip` on node v."""
        node = self.cluster.nodes[v]
        mode = pool.ipip_mode if pool is not None else "Never"
        if self.version == 4 and mode == "Always":
            return "tunl0", True
        if self.version == 4 and mode == "CrossSubnet":
            net = node.ipv4.network if node.ipv4 is not None else None
            if net is None or nh_ip not in net:
                return "tunl0", True
        return node.uplink, False

    def _bgp_routes(self, v):
        net = self.network
        prop = self.propagation
        sp = net.speakers
        o = net.origins
        v6 = _V6 if self.version == 6 else {}
        out = []
        for c, origin in enumerate(prop.classes):
            nh = int(prop.best_next_hop[v, c])
            if nh < 0:
                continue                    # none, or the node's own routes
            hops = [nh]
            if prop.ecmp_count is not None and prop.ecmp_count[v, c] > 0:
                hops = self._ecmp_hops(v, c)
            for i in self._class_prefixes.get(int(origin), ()):
                pool = self._pool(i)
                if pool is not None and pool.vxlan_mode != "Never":
                    continue                # calico_kernel_programming rejects VXLAN pools
                dst = _dst_text(o.net[i], int(o.plen[i]), self.version)
                if len(hops) == 1:
                    ip = sp.ip[hops[0]]
                    dev, onlink = self._dev_for(v, pool, ip)
                    out.append(KernelRoute(dst, via=str(ip), dev=dev, proto="bird", onlink=onlink, origin="bird",
                                           **v6))
                else:
                    nhs = []
                    for h in hops:
                        dev, _ = self._dev_for(v, pool, sp.ip[h])
                        nhs.append((str(sp.ip[h]), dev))
                    out.append(KernelRoute(dst, proto="bird", nexthops=tuple(nhs), origin="bird", **v6))
        return out

    def _ecmp_hops(self, v, c):
        if c not in self._ecmp_cache:
            net = self.network
            self._ecmp_cache[c] = propagate_reference(net.speakers, net.graph, [int(self.propagation.classes[c])])
        ref = self._ecmp_cache[c]
        return ref.ecmp.get((v, 0), [int(ref.best_next_hop[v, 0])])

    def _felix_vxlan(self, v):
        """Felix's VXLAN routes toward other nodes' blocks and borrowed addresses (from IPAM)."""
        c = self.cluster
        node = c.nodes[v]
        o = self.network.origins
        if self._vxlan_idx is None:
            vx = np.array([p.vxlan_mode != "Never" for p in c.pools] + [False], bool)
            # other nodes' blocks, and addresses used on a node other than their block's
            pick = vx[o.pool] & (o.owner >= 0) & ((o.kind == KIND_BLOCK) | (o.owner != o.block_owner))
            self._vxlan_idx = np.flatnonzero(pick)
        idx = self._vxlan_idx[o.owner[self._vxlan_idx] != v]
        my = node.ipv4 if self.version == 4 else node.ipv6
        dev = "vxlan.calico" if self.version == 4 else "vxlan-v6.calico"
        out = []
        for i in idx:
            pool = self._pool(i)
            peer = c.nodes[int(o.owner[i])]
            dst = _dst_text(o.net[i], int(o.plen[i]), self.version)
            theirs = peer.ipv4 if self.version == 4 else peer.ipv6
            if (pool.vxlan_mode == "CrossSubnet" and my is not None and theirs is not None
                    and theirs.ip in my.network):
                out.append(KernelRoute(dst, via=str(theirs.ip), dev=node.uplink, proto="80", onlink=True,
                                       origin="felix"))
                continue
            vtep = peer.ipv4_vxlan_tunnel_addr if self.version == 4 else peer.ipv6_vxlan_tunnel_addr
            if vtep is None:
                continue                    # the peer has no VTEP: Felix programs nothing
            out.append(KernelRoute(dst, via=str(vtep), dev=dev, onlink=True, origin="felix"))
        return out

    # ------------------------------------------------------------------ whole cluster

    def next_hop_matrix(self):
        """(n_speakers, n_classes) best next hop per node and class (-1 local, -2 none)."""
        return self.propagation.best_next_hop

    def route_matrix(self):
        """Every node's BGP routes at once.

        Returns
        -------
        prefixes : ndarray of int64, shape (n_exported,)
            Indices into ``network.origins`` of the exported prefixes.
        next_hop : ndarray of int32, shape (n_nodes, n_exported)
            Per node and prefix: the next-hop speaker, -1 where the node is the
            origin, -2 where it has no route.
        """
        o = self.network.origins
        prefixes = np.flatnonzero(o.origin >= 0)
        col = np.full(int(o.origin.max(initial=-1)) + 1, -1, np.int64)
        col[self.propagation.classes] = np.arange(len(self.propagation.classes))
        cls = col[o.origin[prefixes]]
        return prefixes, self.propagation.best_next_hop[: self.cluster.n_nodes][:, cls]


def _with_chain_cause(message, cluster, graph):
    """``message``, with the likely cause of over-long paths when there is one:
    reflectors that copy routes along chains of each other (verify's reflector-chains)."""
    is_rr = [bool(nd.rr_cluster_id) for nd in cluster.nodes]
    chains = reflector_chains(graph.local, graph.remote, graph.rr_client, is_rr, cluster.node_names)
    return f"{message}: {chains.message}" if chains is not None else message


def compute(cluster, version=4, down=(), calico_version=None, method="fast"):
    """Every node's routing table.

    Parameters
    ----------
    cluster : Cluster
        Allocated (blocks and pod addresses); a plan is allocated first.
    version : {4, 6}
    down : iterable of str
        Nodes whose calico-node was stopped cleanly.
    method : {"fast", "reference"}
        Propagation kernel (see :func:`fastroute.bgp.propagate.propagate`).
    """
    choice(version, (4, 6), "IP version")
    if not cluster.is_allocated:
        cluster = cluster.allocate()
    net = _network.build(cluster, version, down=down, calico_version=calico_version)
    classes = np.unique(net.origins.origin[net.origins.origin >= 0]).astype(np.int32)
    try:
        prop = propagate(net.speakers, net.graph, classes, method=method)
    except ConvergenceError as e:
        raise ConvergenceError(_with_chain_cause(str(e), cluster, net.graph)) from None
    up = None
    if net.down:
        def up():
            return compute(cluster, version, (), calico_version, method)
    return RouteTables(net, prop, up)
