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

import collections
import functools
import itertools
import ipaddress
import mmap
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

import numpy as np

from . import forwarding as _forwarding
from .forwarding import Encap, Outcome
from ..jsonout import Record
from ..bgp import network as _network
from ..bgp.chains import reflector_chains
from ..errors import ConvergenceError, choice
from ..addr import format_prefixes
from ..fib import Fib
from ..bgp.compact import propagate_mesh, propagate_reflectors
from ..bgp.propagate import KIND_POD, Propagation, propagate
from ..model.calico import kernel_metrics

if TYPE_CHECKING:
    from ..model.cluster import Cluster
    from ..model.kinds import Node

_DELIVERED = _forwarding.terminal(Outcome.DELIVERED)
_BLACKHOLE = _forwarding.terminal(Outcome.BLACKHOLE)
_LEFT = _forwarding.terminal(Outcome.LEFT_CLUSTER)
_TUNNEL_ENCAP = {"tunl0": Encap.IPIP, "vxlan.calico": Encap.VXLAN, "vxlan-v6.calico": Encap.VXLAN}

# route_matrix() is filled, and route_matrix_chunks() yields, this many nodes at a time
_CHUNK_ROWS = 512
# arrays from this size on are laid in huge pages where the kernel allows it (_large_array)
_HUGE_MIN_BYTES = 32 << 20

__all__ = ["KernelRoute", "RouteTables", "RouteMatrix", "compute", "format_routes", "host_routes"]


@dataclass(frozen=True)
class KernelRoute(Record):
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

    def to_dict(self):
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


def _with_metric(attrs, metric):
    """Route attributes with ``metric`` in place of the family's default (None: as they are)."""
    return attrs if metric is None else {**attrs, "metric": metric}


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
    return (*_prefix_key(r.dst, version), 0 if r.type == "unicast" else 1)


@functools.lru_cache(maxsize=1 << 18)
def _prefix_key(dst, version):
    """(address, -prefix length) of :func:`_sort_key` for a route's ``dst`` text (kept: every
    node's table lists the same prefixes)."""
    if dst == "default":
        net = ipaddress.ip_network("0.0.0.0/0" if version == 4 else "::/0")
    else:
        net = ipaddress.ip_network(dst, strict=False)
    return int(net.network_address if version == 4 else net.broadcast_address), -net.prefixlen


def format_routes(routes: Iterable[KernelRoute]) -> str:
    """``ip route`` text of a list of routes (already in kernel order)."""
    return "".join(r.text() + "\n" for r in routes)


def host_routes(node: "Node", version: int) -> list[KernelRoute]:
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

    def __init__(self, net: _network.Network, prop: Propagation,
                 up: "RouteTables | Callable[[], RouteTables] | None" = None) -> None:
        self.network = net
        self.propagation = prop
        self.cluster = net.cluster
        self.version = net.version
        # tables with every node up, for down nodes' own view: a RouteTables, or a
        # function that computes them the first time a down node's table is asked for
        self._up = up
        self._plane = None
        self._fib_cache = {}
        self._col_text = self._hop_texts = None     # per plane column / per speaker: text, made once
        self._decisions = {}            # (node, include_host) -> per route of fib(): (state, encap)
        self.n_threads = 2              # threads filling route_matrix()

    @property
    def up_tables(self):
        """The tables with every node up (what a stopped node's kernel keeps), or
        None when no node is down.  Computed on first use."""
        if callable(self._up):
            self._up = self._up()
        return self._up

    # ------------------------------------------------------------------ per node

    def node_index(self, node):
        """Speaker index of a node (name or index) or of a Router (its name)."""
        if isinstance(node, str):
            hit = None if node in self.cluster.node_names else self._router_index(node)
            return self.cluster.node_index(node) if hit is None else hit
        return int(node)

    def _router_index(self, name):
        for e in self.network.externals:
            if e.router is not None and e.router.name == name:
                return e.index
        return None

    def _uplink(self, v):
        """The interface speaker v's routes leave by (a node's uplink, a Router's interface)."""
        if v < self.cluster.n_nodes:
            return self.cluster.nodes[v].uplink
        e = self.network.externals[v - self.cluster.n_nodes]
        return e.router.interface if e.router is not None else "eth0"

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
        return [r for r, _, _ in self._rows(self.node_index(node), include_host)]

    def _rows(self, v, include_host):
        """(route, state, encap) of every route of node v (or Router v), in ``ip route`` order."""
        if v >= self.cluster.n_nodes:
            out = self._plane_routes(v)
            if include_host:
                r = self.network.externals[v - self.cluster.n_nodes].router
                if r is not None and r.network.prefixlen < r.network.max_prefixlen:
                    out.append((KernelRoute(str(r.network), dev=r.interface, proto="kernel", scope="link",
                                            src=r.ip, origin="host"), None, Encap.NONE))
            out.sort(key=lambda x: _sort_key(x[0], self.version))
            return out
        if self.cluster.node_names[v] in self.network.down and self.up_tables is not None:
            # BIRD's kernel protocol runs with `persist`: a stopped node keeps its routes
            return self.up_tables._rows(v, include_host)
        out = self._felix_local(v) + self._plane_routes(v)
        if include_host:
            out += self._host_decisions(v, host_routes(self.cluster.nodes[v], self.version))
        out.sort(key=lambda x: _sort_key(x[0], self.version))
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
        rows = self._rows(self.node_index(node), include_host)
        routes = [r for r, _, _ in rows]
        self._decisions[(self.node_index(node), bool(include_host))] = [(st, enc) for _, st, enc in rows]
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
        """The route `node`'s kernel uses for `addr` (text or an ``ipaddress`` address), or
        None when no route covers it.

        Routes cover the allocated blocks (Calico's IPAM picks blocks at hostname-seeded
        places in the pool, not from its start) and, with ``include_host``, the host's
        own routes, which a node has only when its resource gives them
        (``fastroute.io/host-routes``): a synthetic node has no default route, so an
        address of the pool outside every allocated block has no route there."""
        fib, routes = self.fib(node, include_host)
        i = fib.lookup(addr)
        return None if i is None else routes[i]

    # ------------------------------------------------------------------ the forwarding plane

    @property
    def plane(self):
        """The :class:`~fastroute.dataplane.forwarding.ForwardingPlane` these tables render;
        built on first use and kept."""
        if self._plane is None:
            self._plane = _forwarding.build(self)
        return self._plane

    def step(self, node, addr, include_host=True):
        """What `node` does with a packet to `addr`: ``(route, state, encap)``.

        ``route`` is the :class:`KernelRoute` the kernel uses (None: no route);
        ``state`` a next-hop speaker (``>= 0``) or a terminal state
        (:func:`~fastroute.dataplane.forwarding.terminal` of an ``Outcome``);
        ``encap`` the leg's :class:`~fastroute.dataplane.forwarding.Encap`.
        """
        fib, routes = self.fib(node, include_host)
        i = fib.lookup(addr)
        if i is None:
            return None, _forwarding.terminal(Outcome.NO_ROUTE), Encap.NONE
        state, encap = self._decisions[(self.node_index(node), bool(include_host))][i]
        if state is None:           # a connected route: the address itself
            state = self.plane.node_addresses.get(ipaddress.ip_address(addr), _LEFT)
        return routes[i], state, encap

    # ------------------------------------------------------------------ pieces

    def _felix_local(self, v):
        o = self.network.origins
        pods = self.cluster.pods
        out = []
        v6 = _with_metric(_V6 if self.version == 6 else {}, self._metrics.pod)
        for i in np.flatnonzero((o.kind == KIND_POD) & (o.owner == v)):
            p = int(o.pod[i])
            out.append((KernelRoute(_dst_text(o.net[i], int(o.plen[i]), self.version), dev=pods.interface_name(p),
                                    scope=None if self.version == 6 else "link", origin="felix", **v6), _DELIVERED, Encap.NONE))
        return out

    def _plane_routes(self, v):
        """The node's routes from the forwarding plane: blackholes, BIRD's routes, Felix's VXLAN
        routes, each with its (state, encap)."""
        p = self.plane
        row, enc, _, _ = p.row(v)
        holes, bird, felix = [], [], []
        order = np.argsort(p._class_col, kind="stable")          # BIRD's routes class by class
        text = self._column_text()
        metrics = self._bgp_metrics(v)
        for k in order[row[order] >= 0]:
            dst = text[k]
            if p.vxlan[k]:
                felix.append((k, self._felix_route(v, dst, int(row[k]), int(enc[k]))))
            else:
                metric = None if metrics is None else int(metrics[k])
                bird.append(self._bird_route(v, k, dst, int(row[k]), int(enc[k]), metric))
        for k in np.flatnonzero(row == _BLACKHOLE):
            v6 = dict(dev="lo", **_V6) if self.version == 6 else {}
            vx = bool(p.vxlan[k])
            holes.append((KernelRoute(text[k], type="blackhole",
                                      proto="80" if vx else "bird", origin="felix" if vx else "bird", **v6),
                          _BLACKHOLE, Encap.NONE))
        felix.sort(key=lambda x: x[0])
        return holes + bird + [r for _, r in felix]

    def _column_text(self):
        """The ``ip route`` destination text of each column of the plane (made once)."""
        if self._col_text is None:
            o, cols = self.network.origins, self.plane.columns
            if self.version == 4:
                plen = np.asarray(o.plen)[cols]
                text = format_prefixes(o.nets(cols), plen)
                self._col_text = ["default" if n == 0 else t[:-3] if n == 32 else t
                                  for t, n in zip(text, plen.tolist())]
            else:
                self._col_text = [_dst_text(o.net[i], int(o.plen[i]), 6) for i in cols.tolist()]
        return self._col_text

    def _hop_text(self, hop):
        """A speaker's address as text (each made once)."""
        if self._hop_texts is None:
            self._hop_texts = [None if ip is None else str(ip) for ip in self.network.speakers.ip]
        return self._hop_texts[hop]

    @functools.cached_property
    def _metrics(self):
        """The release's kernel metrics (:func:`fastroute.model.calico.kernel_metrics`)."""
        return kernel_metrics(self.network.topology.calico_version, self.cluster.bgp_config, self.version)

    def _bgp_metrics(self, v):
        """Per plane column, the kernel metric BIRD installs node ``v``'s BGP route with (None: the
        release sets none): the Calico origin's priority when the route reached ``v`` over iBGP
        only, BIRD's default LOCAL_PREF's otherwise (an eBGP session, or a Router's route).  A path
        that left its AS and came back to it over iBGP (``allow local as``) is taken as iBGP only."""
        m = self._metrics
        if m.ibgp is None or v >= self.cluster.n_nodes:
            return None
        prop, cls = self.propagation, np.maximum(self.plane._class_col, 0)
        if not len(prop.classes):
            return None
        origin = prop.classes[cls].astype(np.int64)
        ibgp = origin < self.cluster.n_nodes
        if prop.compact is None:            # closed forms (one AS, iBGP only) read no session rows
            g, sp = self.network.graph, self.network.speakers
            row = prop.columns("best_session", cls, slice(v, v + 1))[0].astype(np.int64)
            r = np.maximum(row, 0)          # the session each best path came in on (-1: none)
            ibgp &= (row >= 0) & (~g.ebgp[r] & (g.row_as(sp, r) == sp.asn[origin]) if g.n else False)
        return np.where(ibgp, m.ibgp, m.other)

    def _bird_route(self, v, k, dst, hop, encap, metric=None):
        p = self.plane
        v6 = _with_metric(_V6 if self.version == 6 else {}, metric)
        # a Router's kernel protocol installs its best path only (no `merge paths`)
        hops = p.multipath(v, k) if v < self.cluster.n_nodes else None
        if hops is None or len(hops) == 1:
            hop = hop if hops is None else hops[0]
            encap = encap if hops is None else p.hop_encap(v, k, hop)
            dev, onlink = ("tunl0", True) if encap == Encap.IPIP else (self._uplink(v), False)
            return (KernelRoute(dst, via=self._hop_text(hop), dev=dev, proto="bird", onlink=onlink, origin="bird", **v6),
                    hop, Encap(encap))
        encs = [p.hop_encap(v, k, h) for h in hops]
        nhs = tuple((self._hop_text(h), "tunl0" if e == Encap.IPIP else self.cluster.nodes[v].uplink)
                    for h, e in zip(hops, encs))
        # the kernel hashes each flow onto one next hop: the first one stands for them
        return KernelRoute(dst, proto="bird", nexthops=nhs, origin="bird", **v6), hops[0], encs[0]

    def _felix_route(self, v, dst, target, encap):
        c = self.cluster
        peer = c.nodes[target]
        if encap == Encap.NONE:         # CrossSubnet, within the subnet
            theirs = peer.ipv4 if self.version == 4 else peer.ipv6
            return (KernelRoute(dst, via=str(theirs.ip), dev=c.nodes[v].uplink, proto="80", onlink=True,
                                origin="felix"), target, Encap.NONE)
        dev = "vxlan.calico" if self.version == 4 else "vxlan-v6.calico"
        return KernelRoute(dst, via=str(self.plane.vteps[target]), dev=dev, onlink=True, origin="felix"), target, \
            Encap.VXLAN

    def _host_decisions(self, v, rows):
        """(route, state, encap) of the host's own routes: a gateway that is a node's address
        leads there, any other leaves the cluster; a connected route reaches the address itself
        (resolved per packet: state None)."""
        owners = self.plane.node_addresses
        out = []
        for r in rows:
            enc = _TUNNEL_ENCAP.get(r.dev, Encap.NONE)
            if r.type != "unicast":
                out.append((r, _BLACKHOLE, enc))
            elif r.via is not None:
                out.append((r, owners.get(ipaddress.ip_address(r.via), _LEFT), enc))
            elif r.dev is not None and r.dev.startswith(self.cluster.interface_prefix):
                out.append((r, _DELIVERED, enc))
            else:
                out.append((r, None, enc))
        return out

    # ------------------------------------------------------------------ whole cluster

    def next_hop_matrix(self):
        """(n_speakers, n_classes) best next hop per node and class (-1 local, -2 none)."""
        return self.propagation.best_next_hop

    def route_matrix(self):
        """Every node's BGP routes at once, by prefix.

        Returns
        -------
        RouteMatrix
            ``(prefixes, next_hop)``: ``prefixes`` the exported prefixes as CIDR text
            (``"10.0.0.0/26"``, ndarray of str, shape (n_exported,)); ``next_hop``
            (ndarray of int32, shape (n_nodes, n_exported)) per node and prefix the
            next-hop speaker (an index into ``network.speakers``; node ``i`` is speaker
            ``i``), -1 where the node is the origin, -2 where it has no route.
            :meth:`route_matrix_indices` gives the prefixes as indices instead.
        """
        index, next_hop = self.route_matrix_indices()
        o = self.network.origins
        if self.version == 4:
            text = format_prefixes(o.nets(index), o.plen[index])
        else:
            text = [str(o.prefix(i)) for i in index.tolist()]
        return RouteMatrix(np.array(text, dtype=str), next_hop)

    def route_matrix_indices(self):
        """:meth:`route_matrix` with the prefixes as indices into ``network.origins``
        (``origins.prefix(i)``, ``origins.origin[i]``: the exporting node).

        Returns
        -------
        prefixes : ndarray of int64, shape (n_exported,)
        next_hop : ndarray of int32, shape (n_nodes, n_exported)
        """
        prefixes, cls = self._prefix_classes()
        n = self.cluster.n_nodes
        next_hop = _large_array((n, len(prefixes)), np.int32)
        blocks = [slice(a, min(a + _CHUNK_ROWS, n)) for a in range(0, n, _CHUNK_ROWS)]

        def fill(rows):
            self.propagation.route_columns(cls, rows, next_hop[rows])
        # numpy's copies run without the GIL: the row blocks fill in parallel
        with ThreadPoolExecutor(max(1, min(self.n_threads, len(blocks)))) as pool:
            list(pool.map(fill, blocks))
        return prefixes, next_hop

    def route_matrix_chunks(self, rows=_CHUNK_ROWS, reuse=False):
        """:meth:`route_matrix_indices` a block of nodes at a time, for callers that
        stream: yields ``(first_node, prefixes, next_hop)`` with ``next_hop`` of shape
        ``(block_nodes, n_exported)``; ``prefixes`` is the same array every time.

        With ``n_threads`` > 1 the next blocks are made by worker threads while the
        caller reads the current one (at most ``n_threads`` blocks ahead, so the memory
        held is ``n_threads + 1`` blocks); blocks come in node order either way.
        ``reuse=True`` writes the blocks into those same ``n_threads + 1`` buffers over
        and over (no fresh memory per block, whose first writes cost a page fault each
        4 KiB): a block is then valid only until the next one is read; copy what you keep."""
        prefixes, cls = self._prefix_classes()
        n, step = self.cluster.n_nodes, max(1, int(rows))
        starts = range(0, n, step)
        ahead_max = max(1, min(int(self.n_threads), len(starts)))
        buffers = collections.deque(np.empty((min(step, n), len(cls)), np.int32) for _ in range(ahead_max + 1)) \
            if reuse else None

        def block(a, buf):
            rows_ = slice(a, min(a + step, n))
            return self.propagation.route_columns(cls, rows_, None if buf is None else buf[:rows_.stop - a])
        # numpy's copies run without the GIL: with threads, blocks ahead are made on the other cores
        pool = ThreadPoolExecutor(ahead_max) if ahead_max > 1 else None
        ahead = collections.deque()
        todo = iter(starts)

        def submit(a):
            buf = None
            if buffers is not None:
                buf = buffers.popleft()
                buffers.append(buf)
            ahead.append((a, pool.submit(block, a, buf) if pool is not None else None, buf))
        try:
            for a in itertools.islice(todo, ahead_max):
                submit(a)
            while ahead:
                a, made, buf = ahead.popleft()
                nh = made.result() if made is not None else block(a, buf)
                for b in itertools.islice(todo, 1):
                    submit(b)
                yield a, prefixes, nh
        finally:
            if pool is not None:
                pool.shutdown(wait=True, cancel_futures=True)

    def _prefix_classes(self):
        """(exported prefixes as indices into ``network.origins``, the class column of each)."""
        o = self.network.origins
        prefixes = np.flatnonzero(o.origin >= 0)
        col = np.full(int(o.origin.max(initial=-1)) + 1, -1, np.int64)
        col[self.propagation.classes] = np.arange(len(self.propagation.classes))
        return prefixes, col[o.origin[prefixes]]


def _large_array(shape, dtype):
    """``np.empty(shape, dtype)``; a large one in memory the kernel may back with huge
    pages (``MADV_HUGEPAGE``): first writes to fresh memory cost a page fault each
    4 KiB otherwise, several times the time of writing a next-hop matrix."""
    nbytes = int(np.prod(shape)) * np.dtype(dtype).itemsize
    advice = getattr(mmap, "MADV_HUGEPAGE", None)
    if nbytes < _HUGE_MIN_BYTES or advice is None:
        return np.empty(shape, dtype)
    buf = mmap.mmap(-1, nbytes, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    buf.madvise(advice)
    return np.frombuffer(buf, dtype).reshape(shape)


class RouteMatrix(NamedTuple):
    """All nodes x all exported prefixes (:meth:`RouteTables.route_matrix`)."""

    prefixes: np.ndarray    # str, the exported prefixes as CIDR text
    next_hop: np.ndarray    # int32 (n_nodes, n_prefixes): next-hop speaker, -1 origin, -2 no route


def _with_chain_cause(message, cluster, graph):
    """``message``, with the likely cause of over-long paths when there is one:
    reflectors that copy routes along chains of each other (verify's reflector-chains)."""
    is_rr = [bool(nd.rr_cluster_id) for nd in cluster.nodes]
    chains = reflector_chains(graph.local, graph.remote, graph.rr_client, is_rr, cluster.node_names)
    return f"{message}: {chains.message}" if chains is not None else message


def compute(cluster: "Cluster", version: int = 4, down: Iterable[str] | str = (), calico_version: str | None = None,
            method: str = "fast", threads: int = 2) -> RouteTables:
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
    threads : int
        Threads the propagation kernel and :meth:`RouteTables.route_matrix` use.
    """
    choice(version, (4, 6), "IP version")
    if not cluster.is_allocated:
        cluster = cluster.allocate()
    net = _network.build(cluster, version, down=down, calico_version=calico_version)
    classes = np.unique(net.origins.origin[net.origins.origin >= 0]).astype(np.int32)
    try:
        prop = None
        if method == "fast":
            mesh = net.implied_mesh
            if mesh is not None:
                prop = propagate_mesh(net.speakers.n, mesh, classes)
            elif net.mesh is None:
                prop = propagate_reflectors(net.speakers, net.graph, classes)
        if prop is None:
            prop = propagate(net.speakers, net.graph, classes, method=method,
                             origins=net.origins.route_origins, n_threads=threads)
    except ConvergenceError as e:
        raise ConvergenceError(_with_chain_cause(str(e), cluster, net.graph)) from None
    up = None
    if net.down:
        def up():
            return compute(cluster, version, (), calico_version, method, threads)
    tables = RouteTables(net, prop, up)
    tables.n_threads = threads
    return tables
