"""A node's routing table as `ip route` shows it, with longest-prefix lookups.

This is the edge where route *text* becomes a :class:`~fastroute.Fib`: each
route's position in the table is its value, so a batch lookup returns route
indices.
"""

import ipaddress


from .testing.emulate import parse_ip_route
from .errors import InvalidPrefixError
from .fib import Fib

__all__ = ["RouteTable", "load_ip_route"]


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

    def __init__(self, routes, where="<routes>"):
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

    def match(self, addr):
        """The route the kernel picks for `addr`, or None."""
        fib = self.fib6 if ":" in str(addr) else self.fib4
        idx = fib.lookup(addr)
        return None if idx is None else self.routes[idx]

    def match_batch(self, addrs, version=4):
        """Route index per address (-1: no route) for an address array."""
        return (self.fib4 if version == 4 else self.fib6).lookup_batch(addrs)


def load_ip_route(text, where="<routes>"):
    return RouteTable(parse_ip_route(text), where)
