"""``fastroute why``: the candidate paths a node holds for a prefix and the step that chose."""


from ..jsonout import dumps as json_dumps
from ..bgp import explain
from .routes import add_table_args, tables


def add_parser(sub):
    p = sub.add_parser(
        "why",
        help="the paths a node holds for a prefix, and why the best one won",
        description="List the BGP paths NODE's BIRD holds for the route covering PREFIX (an address "
        "or a prefix), best first, with the step of BIRD's decision process that chose the winner, "
        "and the route the kernel ends up with.",
    )
    add_table_args(p)
    p.add_argument("prefix", metavar="PREFIX", help="an address or prefix, e.g. 10.244.166.129")
    p.add_argument("--json", action="store_true")
    return p


def run(args):
    version = 6 if ":" in args.prefix else 4
    t = tables(args, version)
    e = explain.why(t, args.node, args.prefix)
    if args.json:
        print(json_dumps(e.to_dict(), indent=2))
    else:
        print(e.text(), end="")
    return 0
