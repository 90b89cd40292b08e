"""``ip route`` text: parsed into :class:`Route` rows, and a node's table as
`ip route` shows it, with longest-prefix lookups.

This is the edge where route *text* becomes a :class:`~fastroute.Fib`: each
route's position in the table is its value, so a batch lookup returns route
indices.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from numpy.typing import ArrayLike

from .errors import InvalidPrefixError, RouteTextError, shown
from .fib import Fib

__all__ = ["Route", "parse_ip_route", "RouteTable", "load_ip_route"]


@dataclass(frozen=True)
class Route:
    """One line of ``ip route`` output."""

    dst: str
    type: str = "unicast"
    via: str | None = None
    dev: str | None = None
    proto: str | None = None
    scope: str | None = None
    src: str | None = None
    metric: int | None = None
    flags: tuple = ()
    raw: str = ""

    @property
    def onlink(self) -> bool:
        return "onlink" in self.flags


_ROUTE_TYPES = ("unicast", "blackhole", "unreachable", "prohibit", "local", "broadcast", "throw", "nat",
                "anycast", "multicast")
_ROUTE_FLAGS = ("onlink", "linkdown", "dead", "pervasive", "offload", "trap", "notify")


def parse_ip_route(text: str) -> list[Route]:
    """Parse ``ip route`` output (one route per line; multipath ``nexthop`` lines unsupported).

    Returns
    -------
    list of Route

    Examples
    --------
    >>> r = parse_ip_route("10.244.166.128/26 via 192.168.31.202 dev ens33 proto bird\\n")[0]
    >>> (r.dst, r.via, r.dev, r.proto)
    ('10.244.166.128/26', '192.168.31.202', 'ens33', 'bird')
    """
    routes = []
    for n, line in enumerate(text.splitlines(), 1):
        raw = line.rstrip()
        if not raw:
            continue
        if raw.startswith((" ", "\t")):
            raise RouteTextError(f"unsupported multipath route line {shown(raw)} at line {n} of ip route output")
        tok = raw.split()
        rtype = "unicast"
        if tok[0] in _ROUTE_TYPES:
            rtype, tok = tok[0], tok[1:]
        if not tok:
            raise RouteTextError(f"route line {shown(raw)} at line {n} has no destination")
        dst, rest = tok[0], tok[1:]
        kv, flags = {}, []
        i = 0
        while i < len(rest):
            t = rest[i]
            if t in _ROUTE_FLAGS:
                flags.append(t)
                i += 1
            elif i + 1 < len(rest):
                kv[t] = rest[i + 1]
                i += 2
            else:
                raise RouteTextError(f"cannot parse {shown(t, 60)} in route line {shown(raw)} at line {n}")
        metric = kv.get("metric")
        if metric is not None and not (metric.isascii() and metric.isdigit() and len(metric) <= 10
                                       and int(metric) <= 0xFFFFFFFF):
            # the kernel's route priority is a u32 (RTA_PRIORITY)
            raise RouteTextError(f"invalid metric {shown(metric, 40)} in route line {shown(raw)} at line {n}: "
                                 "expected 0..4294967295")
        routes.append(Route(dst, rtype, kv.get("via"), kv.get("dev"), kv.get("proto"), kv.get("scope"),
                            kv.get("src"), int(metric) if metric is not None else None, tuple(flags), raw))
    return routes


def _prefix(dst, where, line):
    if dst == "default":
        return None
    try:
        net = ipaddress.ip_network(dst, strict=True)
    except ValueError:
        raise InvalidPrefixError(f"invalid destination {dst!r} at {where} line {line}") from None
    return net


class RouteTable:
    """Routes of one node, IPv4 and IPv6, with kernel-style lookups.

    Among routes to the same prefix the kernel uses the lowest metric; the
    first one listed wins a tie.
    """

    def __init__(self, routes: Iterable[Route], where: str = "<routes>") -> None:
        self.routes = list(routes)
        self.fib4 = Fib(4)
        self.fib6 = Fib(6)
        best = {}
        for i, r in enumerate(self.routes, 1):
            net = _prefix(r.dst, where, i)
            if net is None:
                fam = 6 if (r.via and ":" in r.via) else 4
                net = ipaddress.ip_network("::/0" if fam == 6 else "0.0.0.0/0")
            key = (net.version, str(net))
            metric = r.metric or 0
            if key not in best or metric < best[key][0]:
                best[key] = (metric, i - 1)
        for (version, net), (_, idx) in best.items():
            (self.fib4 if version == 4 else self.fib6)[net] = idx

    def lookup(self, addr: str) -> Route | None:
        """The route the kernel picks for `addr`, or None."""
        fib = self.fib6 if ":" in str(addr) else self.fib4
        idx = fib.lookup(addr)
        return None if idx is None else self.routes[idx]

    def lookup_batch(self, addrs: ArrayLike, version: int = 4) -> np.ndarray:
        """Route index per address (-1: no route) for an address array."""
        return (self.fib4 if version == 4 else self.fib6).lookup_batch(addrs)


def load_ip_route(text: str, where: str = "<routes>") -> RouteTable:
    return RouteTable(parse_ip_route(text), where)
