"""pytest-friendly assertions about a cluster's routing.

Each assertion takes a :class:`~fastroute.Cluster` (routed with every node up,
or with ``down=``) or the :class:`~fastroute.dataplane.routes.RouteTables` already
computed, and raises ``AssertionError`` with a message that names the node, the
prefix and the path the packet took::

    pod default/web-0 (10.244.1.2 on node-0) does not reach default/db-0 (10.244.2.5 on node-2):
      node-0: 10.244.2.0/26 via 172.16.0.3 dev eth0 proto bird
      node-2: blackhole 10.244.2.0/26 proto bird  -> dropped (blackhole)

The walk is the kernel's: at each node, the route :meth:`RouteTables.fib`
selects by longest-prefix match (the host's own routes included); a gateway
leads to the node (or VXLAN tunnel endpoint, or external router) that owns the
address; a workload route delivers.  External routers (a top-of-rack peer)
forward along their BGP best path.  Multipath routes are followed on every
branch.  The walk stops after ``max_hops`` hops (default: the number of
speakers), and a node visited twice is a forwarding loop.

Examples
--------
>>> from fastroute import examples, testing
>>> c = examples.seed()
>>> testing.assert_reachable(c, "echo-deployment-598f49cc44-td2lf", "10.244.166.129")
"""

from __future__ import annotations

import collections
import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

from ..dataplane import routes
from ..errors import InvalidArgumentError, InvalidValueError, UnknownNodeError
from ..model.cluster import Cluster

__all__ = [
    "Hop",
    "Walk",
    "walk",
    "reachability",
    "assert_reachable",
    "assert_all_reachable",
    "assert_route",
    "assert_no_loops",
    "assert_same_reachability",
]

# outcomes of a walk
DELIVERED = "delivered"
BLACKHOLE = "blackhole"
NO_ROUTE = "no route"
LOOP = "loop"
LEFT = "left the cluster"
MISDELIVERED = "delivered to another interface"


@dataclass(frozen=True)
class Hop:
    """One forwarding decision: the speaker (node or external router) and the route it used."""

    speaker: str
    route: str          # the route's `ip route` text, or a description for external routers

    def text(self) -> str:
        return f"{self.speaker}: {self.route}"


@dataclass(frozen=True)
class Walk:
    """The path of one packet (one branch of a multipath route)."""

    outcome: str        # delivered | blackhole | no route | loop | left the cluster | ...
    hops: tuple
    where: str = ""     # speaker where the walk ended

    @property
    def ok(self) -> bool:
        return self.outcome == DELIVERED

    def text(self) -> str:
        lines = [h.text() for h in self.hops]
        end = f"-> {self.outcome}" + (f" at {self.where}" if self.where else "")
        if lines:
            lines[-1] += "  " + end
        else:
            lines = [end]
        return "\n".join("  " + line for line in lines)


#: How many routings (a cluster's tables for one IP version and set of stopped nodes,
#: or tables given as such) the assertions keep between calls.  A run of assertions on
#: the same cluster computes its tables once; older ones are dropped.
CACHE_SIZE = 2
_recent = collections.OrderedDict()     # key -> (cluster or tables, its parts, _Ctx)


def _parts(cluster):
    """What a cluster's routing depends on, compared by identity: a Cluster is not changed
    in place (its methods return new clusters), but an attribute can be rebound."""
    return (cluster.nodes, cluster.pools, cluster.bgp_configurations, cluster.bgp_peers,
            cluster.ipam_config, cluster.blocks, cluster.pods, cluster.extra_owners,
            cluster.interface_prefix)


def _context(x, down=(), version=4):
    """The walking context of `x`'s tables: a Cluster's computed once for a run of
    assertions on it (the :data:`CACHE_SIZE` most recent are kept), RouteTables as given."""
    if isinstance(x, Cluster):
        key = ("cluster", id(x), version, tuple(down))
        parts = _parts(x)
    elif isinstance(x, routes.RouteTables):
        if down:
            raise InvalidValueError("down= applies to a Cluster; these tables are already computed")
        key, parts = ("tables", id(x)), ()
    else:
        raise InvalidArgumentError(f"expected a Cluster or RouteTables, got {type(x).__name__}")
    hit = _recent.get(key)
    if hit is not None and hit[0] is x and all(a is b for a, b in zip(hit[1], parts)):
        _recent.move_to_end(key)
        return hit[2]
    t = routes.compute(x, version, down=down) if parts else x
    ctx = _recent[key] = (x, parts, _Ctx(t))
    while len(_recent) > CACHE_SIZE:
        _recent.popitem(last=False)
    return ctx[2]


class _Ctx:
    """Per-tables caches for walking: FIBs, address owners, workload interfaces."""

    def __init__(self, tables):
        self.t = tables
        self.c = tables.cluster
        self.version = tables.version
        net = tables.network
        self.n_nodes = self.c.n_nodes
        self.owner_of = {}
        for i, ip in enumerate(net.speakers.ip):
            if ip is not None:
                self.owner_of.setdefault(str(ip), i)
        for i, node in enumerate(self.c.nodes):
            for a in (node.ipv4_vxlan_tunnel_addr, node.ipv6_vxlan_tunnel_addr, node.ipv4_ipip_tunnel_addr):
                if a is not None:
                    self.owner_of.setdefault(str(a).split("/")[0], i)
        self._fibs = {}
        self._ifaces = {}
        self._ext = None
        self._pods = None

    def find_pod(self, text):
        """Index of the pod named ``text`` (name, ``namespace/name``) or with that address; None if none."""
        if self._pods is None:
            pods, by_addr, by_name = self.c.pods, {}, {}
            self.pod_addrs = [_pod_addr(self.c, i, self.version) for i in range(len(pods))]
            for i, addr in enumerate(self.pod_addrs):
                by_addr.setdefault(addr, i)
                by_name.setdefault(pods.name[i], i)
                by_name.setdefault(f"{pods.namespace[i]}/{pods.name[i]}", i)
            by_addr.pop(None, None)
            self._pods = by_addr, by_name
        by_addr, by_name = self._pods
        if text in by_addr:                 # an address as pods print it
            return by_addr[text]
        try:
            return by_addr.get(str(ipaddress.ip_address(text)))
        except ValueError:
            return by_name.get(text)

    def name(self, sp):
        return self.t.network.speaker_name(sp)

    def lookup(self, v, addr):
        if v not in self._fibs:
            self._fibs[v] = self.t.fib(v, include_host=True)
        fib, rows = self._fibs[v]
        i = fib.lookup(addr)
        return None if i is None else rows[i]

    def ifaces(self, v):
        if v not in self._ifaces:
            pods = self.c.pods
            self._ifaces[v] = {pods.interface_name(p) for p in range(len(pods)) if int(pods.node_idx[p]) == v}
        return self._ifaces[v]

    def external_route(self, e, addr):
        """(prefix text, next-hop speaker) an external router uses for addr, or None."""
        if self._ext is None:
            import numpy as np
            o = self.t.network.origins
            prop = self.t.propagation
            col = {int(n): k for k, n in enumerate(prop.classes)}
            self._ext = [(o.prefix(i), col[int(o.origin[i])]) for i in np.flatnonzero(o.origin >= 0)]
        a = ipaddress.ip_address(addr)
        best = None
        for p, k in self._ext:
            nh = int(self.t.propagation.best_next_hop[e, k])
            if nh == -2 or a not in p:
                continue
            if best is None or p.prefixlen > best[0].prefixlen:
                best = (p, nh)
        return best


def _walk(ctx, start, addr, max_hops):
    addr = str(addr)
    out = []
    stack = [(start, ())]
    while stack:
        sp, hops = stack.pop()
        seen = [h[0] for h in hops]
        if sp in seen or len(hops) > max_hops:
            out.append(Walk(LOOP, tuple(h[1] for h in hops), ctx.name(sp)))
            continue
        name = ctx.name(sp)
        if sp >= ctx.n_nodes:
            hit = ctx.external_route(sp, addr)
            if hit is None:
                out.append(Walk(NO_ROUTE, tuple(h[1] for h in hops) + (Hop(name, "no BGP route"),), name))
                continue
            prefix, nh = hit
            hop = Hop(name, f"{prefix} via {ctx.name(nh)} (BGP best path)")
            stack.append((nh, hops + ((sp, hop),)))
            continue
        r = ctx.lookup(sp, addr)
        if r is None:
            out.append(Walk(NO_ROUTE, tuple(h[1] for h in hops) + (Hop(name, f"no route to {addr}"),), name))
            continue
        hop = Hop(name, r.text().replace("\n\t", "; "))
        path = hops + ((sp, hop),)
        done = tuple(h[1] for h in path)
        if r.type != "unicast":
            out.append(Walk(BLACKHOLE if r.type == "blackhole" else f"dropped ({r.type})", done, name))
        elif r.nexthops:
            for via, _dev in r.nexthops:
                nxt = ctx.owner_of.get(via)
                if nxt is None:
                    out.append(Walk(LEFT, done, f"gateway {via}"))
                else:
                    stack.append((nxt, path))
        elif r.via:
            nxt = ctx.owner_of.get(r.via)
            if nxt is None:
                out.append(Walk(LEFT, done, f"gateway {r.via}"))
            else:
                stack.append((nxt, path))
        elif r.dev in ctx.ifaces(sp):
            out.append(Walk(DELIVERED, done, name))
        else:
            out.append(Walk(MISDELIVERED if r.origin == "felix" else LEFT, done, f"{name} dev {r.dev}"))
    return out


def walk(cluster_or_tables: Cluster | routes.RouteTables, src: str, dst: str, *, down: Iterable[str] = (),
         max_hops: int | None = None) -> list[Walk]:
    """Every path a packet from `src` to `dst` takes (one per multipath branch).

    Parameters
    ----------
    cluster_or_tables : Cluster or RouteTables
    src : str
        A pod (``name``, ``namespace/name`` or its address) or a node name.
    dst : str
        A pod (as for `src`) or an address.
    down : iterable of str
        Stopped nodes (only with a Cluster).
    max_hops : int, optional

    Returns
    -------
    list of Walk
    """
    return _walk_between(_context(cluster_or_tables, down), src, dst, max_hops)


def _walk_between(ctx, src, dst, max_hops):
    start, _ = _endpoint(ctx, src, allow_node=True)
    _, addr = _endpoint(ctx, dst, allow_node=False)
    return _walk(ctx, start, addr, max_hops if max_hops is not None else ctx.t.network.speakers.n)


def _pod_addr(c, i, version):
    if version == 4:
        a = int(c.pods.ipv4[i])
        return str(ipaddress.IPv4Address(a)) if a >= 0 else None
    a = c.pods.ipv6[i]
    return str(ipaddress.IPv6Address(a)) if a is not None else None


def _pod_label(c, i, version):
    return f"{c.pods.namespace[i]}/{c.pods.name[i]} ({_pod_addr(c, i, version)} on {c.node_names[int(c.pods.node_idx[i])]})"


def _endpoint(ctx, text, allow_node):
    """(start node index, address text) of a pod, node or address."""
    c = ctx.c
    p = ctx.find_pod(str(text))
    if p is not None:
        return int(c.pods.node_idx[p]), ctx.pod_addrs[p]
    if allow_node and text in c.node_names:
        return c.node_index(text), None
    try:
        a = ipaddress.ip_address(text)
    except ValueError:
        a = None
    if a is not None and not allow_node:
        return -1, str(a)
    what = "pod or node" if allow_node else "pod or address"
    raise UnknownNodeError(f"unknown {what} {text!r}: not a pod name, namespace/name or pod address of the cluster")


def _describe(ctx, text):
    p = ctx.find_pod(str(text))
    return _pod_label(ctx.c, p, ctx.version) if p is not None else repr(text)


def assert_reachable(cluster_or_tables: Cluster | routes.RouteTables, src: str, dst: str, *,
                     down: Iterable[str] = (), max_hops: int | None = None) -> None:
    """Assert that every path from `src` to `dst` is delivered to `dst`'s pod.

    Parameters
    ----------
    src : str
        Pod name, ``namespace/name``, pod address, or node name.
    dst : str
        Pod name, ``namespace/name`` or address.

    Raises
    ------
    AssertionError
        Naming the source, the destination and the path taken.
    """
    ctx = _context(cluster_or_tables, down)
    walks = _walk_between(ctx, src, dst, max_hops)
    dst_pod = ctx.find_pod(str(dst))
    want = ctx.c.node_names[int(ctx.c.pods.node_idx[dst_pod])] if dst_pod is not None else None
    bad = [w for w in walks if not w.ok or (want is not None and w.where != want)]
    if bad:
        w = bad[0]
        outcome = w.outcome if not w.ok else f"delivered on {w.where}, not on {want}"
        raise AssertionError(
            f"{_describe(ctx, src)} does not reach {_describe(ctx, dst)}: "
            f"{outcome}\n{w.text()}")


def reachability(cluster_or_tables: Cluster | routes.RouteTables, *, down: Iterable[str] = (),
                 max_hops: int | None = None) -> dict[tuple[str, str], list[Walk]]:
    """Per pair of pods (source, destination), the walks that fail.

    Returns
    -------
    dict of (src "ns/name", dst "ns/name") -> list of Walk
        Only the pairs where some path is not delivered to the destination pod.
    """
    return _reachability(_context(cluster_or_tables, down), max_hops)


def _reachability(ctx, max_hops):
    t, c = ctx.t, ctx.c
    limit = max_hops if max_hops is not None else t.network.speakers.n
    pods = c.pods
    names = [f"{pods.namespace[i]}/{pods.name[i]}" for i in range(len(pods))]
    addrs = [_pod_addr(c, i, t.version) for i in range(len(pods))]
    nodes = [int(v) for v in pods.node_idx]
    out = {}
    cache = {}
    for d in range(len(pods)):
        if addrs[d] is None:
            continue
        for s in range(len(pods)):
            if s == d or addrs[s] is None:
                continue
            key = (nodes[s], d)
            if key not in cache:
                ws = _walk(ctx, nodes[s], addrs[d], limit)
                cache[key] = [w for w in ws if not w.ok or w.where != c.node_names[nodes[d]]]
            if cache[key]:
                out[(names[s], names[d])] = cache[key]
    return out


def assert_all_reachable(cluster_or_tables: Cluster | routes.RouteTables, *, down: Iterable[str] = (),
                         max_hops: int | None = None) -> None:
    """Assert that every pod reaches every other pod (of the tables' IP version)."""
    ctx = _context(cluster_or_tables, down)
    bad = _reachability(ctx, max_hops)
    if bad:
        (s, d), walks = next(iter(bad.items()))
        raise AssertionError(
            f"{len(bad)} pod pairs do not reach each other; first: {_describe(ctx, s)} -> "
            f"{_describe(ctx, d)}: {walks[0].outcome}\n{walks[0].text()}")


def assert_same_reachability(a: Cluster | routes.RouteTables, b: Cluster | routes.RouteTables, *,
                             max_hops: int | None = None) -> None:
    """Assert that two clusters (or tables) let the same pod pairs through.

    Pods are matched by ``namespace/name``; the message lists the pairs that differ.
    """
    ra, rb = _reachability(_context(a), max_hops), _reachability(_context(b), max_hops)
    only_a = sorted(set(ra) - set(rb))
    only_b = sorted(set(rb) - set(ra))
    if only_a or only_b:
        lines = []
        for label, pairs, fails in (("only in the first", only_a, ra), ("only in the second", only_b, rb)):
            for s, d in pairs[:5]:
                w = fails[(s, d)][0]
                lines.append(f"unreachable {label}: {s} -> {d}: {w.outcome}\n{w.text()}")
            if len(pairs) > 5:
                lines.append(f"... and {len(pairs) - 5} more {label}")
        raise AssertionError(f"reachability differs ({len(only_a)} + {len(only_b)} pairs):\n" + "\n".join(lines))


def _norm_dst(prefix, version):
    if prefix == "default":
        return "default"
    net = ipaddress.ip_network(prefix, strict=True)
    if net.prefixlen == 0:
        return "default"
    return str(net.network_address) if net.prefixlen == net.max_prefixlen else str(net)


def assert_route(cluster_or_tables: Cluster | routes.RouteTables, node: str, prefix: str, *, via: str | None = None,
                 dev: str | None = None, type: str | None = None, proto: str | None = None, down: Iterable[str] = ()
                ) -> None:
    """Assert that `node`'s table holds a route to exactly `prefix` (with the given attributes).

    Parameters
    ----------
    node : str
    prefix : str
        ``"10.244.1.0/26"``, a host address or ``"default"``.
    via, dev, type, proto : str, optional
        Checked when given (``type``: unicast, blackhole).

    Raises
    ------
    AssertionError
        Quoting the node's routes that cover the prefix.
    """
    t = _context(cluster_or_tables, down).t
    t.cluster.node_index(node) if isinstance(node, str) else None
    want = _norm_dst(prefix, t.version)
    rows = t.routes(node, include_host=True)
    hits = [r for r in rows if r.dst == want]
    if not hits:
        covering = []
        if want != "default":
            net = ipaddress.ip_network(prefix)
            for r in rows:
                d = ("0.0.0.0/0" if t.version == 4 else "::/0") if r.dst == "default" else r.dst
                if net.subnet_of(ipaddress.ip_network(d, strict=False)) if net.version == ipaddress.ip_network(d, strict=False).version else False:
                    covering.append(r.text())
        hint = ("; covering routes: " + " | ".join(covering)) if covering else "; no route covers it"
        raise AssertionError(f"node {node}: no route to {want}{hint}")
    r = hits[0]
    problems = []
    for key, value in (("via", via), ("dev", dev), ("type", type), ("proto", proto)):
        if value is not None and getattr(r, key) != value:
            problems.append(f"{key} {getattr(r, key)!r}, expected {value!r}")
    if via is not None and r.nexthops and any(v == via for v, _ in r.nexthops):
        problems = [p for p in problems if not p.startswith("via")]
    if problems:
        raise AssertionError(f"node {node}: route to {want} has " + ", ".join(problems) + f": {r.text()}")


def assert_no_loops(cluster_or_tables: Cluster | routes.RouteTables, *, down: Iterable[str] = (),
                    max_hops: int | None = None) -> None:
    """Assert that no packet loops: from every node toward every pod address and
    every block (its first and last address)."""
    ctx = _context(cluster_or_tables, down)
    t, c = ctx.t, ctx.c
    limit = max_hops if max_hops is not None else t.network.speakers.n
    targets = [a for a in (_pod_addr(c, i, t.version) for i in range(c.n_pods)) if a is not None]
    for b in c.blocks:
        if b.version == t.version:
            targets += [str(b.cidr.network_address), str(b.cidr.broadcast_address)]
    for addr in dict.fromkeys(targets):
        for v in range(c.n_nodes):
            for w in _walk(ctx, v, addr, limit):
                if w.outcome == LOOP:
                    raise AssertionError(
                        f"forwarding loop toward {addr} from node {c.node_names[v]} (back at {w.where}):\n{w.text()}")
