"""``fastroute lookup``: longest-prefix match of addresses in an ``ip route`` dump."""

import sys

from ..jsonout import dumps as json_dumps
from ..fib import Fib
from ..iproute import load_ip_route


def add_parser(sub):
    p = sub.add_parser(
        "lookup",
        help="longest-prefix match of addresses in an `ip route` dump",
        description="Read a routing table as `ip route` prints it and show, for each address, "
        "the route the kernel would pick (longest prefix; lowest metric among equals).",
    )
    p.add_argument("routes", metavar="ROUTES", help="file with `ip route` output, or - for stdin")
    p.add_argument("addrs", metavar="ADDR", nargs="+", help="IPv4 or IPv6 addresses")
    p.add_argument("--json", action="store_true", help="one JSON object per address")
    return p


def run(args):
    if args.routes == "-":
        text, name = sys.stdin.read(), "<stdin>"
    else:
        with open(args.routes, encoding="utf-8") as f:
            text, name = f.read(), args.routes
    table = load_ip_route(text, where=name)
    results = [table.lookup(a) for a in args.addrs]
    if args.json:
        out = [{"addr": a, "route": (r.raw if r else None), "dst": (r.dst if r else None)}
               for a, r in zip(args.addrs, results)]
        print(json_dumps(out, indent=2))
    else:
        width = max(len(a) for a in args.addrs)
        for a, r in zip(args.addrs, results):
            print(f"{a:<{width}}  {r.raw if r else 'no route'}")
    return 0
