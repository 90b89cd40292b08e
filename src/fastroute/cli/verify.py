"""``fastroute verify``: check a cluster for unreachable pods, loops, blackholes,
route-reflector misconfigurations and pool exhaustion; exit 1 when anything is wrong."""

import sys

from ..jsonout import dumps as json_dumps
from ..dataplane import verify as _verify
from ..planning.plan import GR_TRAP_WARNING
from ._common import add_calico_version, add_cluster, add_down, down_nodes, load_cluster, progress_bar


def add_parser(sub):
    p = sub.add_parser(
        "verify",
        help="check every pod pair, loops, blackholes, reflector design and pool exhaustion",
        description="Compute every node's routes and check that every pod reaches every other pod "
        "(unreachable pairs grouped by cause, per destination block), that no packet loops, that "
        "no host route blackholes a pool, that the route-reflector design is sound (shared cluster id "
        "with split clients, reflectors without clients, nodes without sessions, mesh disabled without "
        "peers) and that pools have blocks for every node. Exit status 0 when clean, 1 when anything "
        "was found, 2 on bad input (a file without nodes or IP pools among it). CLUSTER is a YAML file or folder; without it, the bundled seed.",
    )
    add_cluster(p)
    add_down(p)
    add_calico_version(p)
    p.add_argument("-6", "--ipv6", action="store_true", help="check IPv6 instead of IPv4")
    p.add_argument("--json", action="store_true", help="the report as one JSON object")
    return p


def run(args):
    failures = []
    with progress_bar() as (step, _):
        cluster = load_cluster(args.cluster, need_pools=True, failures=failures)
        step(f"checking {cluster.n_nodes:,} nodes: routing tables, every pod pair, the design")
        report = _verify.verify(cluster, 6 if args.ipv6 else 4, down=down_nodes(args),
                                calico_version=args.calico_version, ipam_failures=failures)
    # build the whole text first: nothing is printed if anything above raised
    text = json_dumps(report.to_dict(), indent=2) + "\n" if args.json else report.text()
    print(text, end="")
    if args.down and not args.json:
        print(f"warning: {GR_TRAP_WARNING}", file=sys.stderr)
    return 0 if report.ok else 1
