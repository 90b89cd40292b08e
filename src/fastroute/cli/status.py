"""``fastroute status``: what ``calicoctl node status`` prints on a node."""

import re
import sys

from ..jsonout import dumps as json_dumps
from ..calicoctl import status
from ..errors import InvalidValueError, NodeDownError
from ._common import add_calico_version, add_cluster, add_down, add_node, down_nodes, load_cluster, progress_bar

#: Printed (on stderr, keeping the table as calicoctl prints it) when no ``--since`` was given.
SINCE_NOTE = (f"note: SINCE {status.DEFAULT_SINCE} is a placeholder: when a session last changed state is "
              "not computed; give the times with --since HH:MM:SS or --since PEER=HH:MM:SS")

_TIME = re.compile(r"^(?:\d{2}:\d{2}:\d{2}|\d{4}-\d{2}-\d{2})$")


def add_parser(sub):
    p = sub.add_parser(
        "status",
        help="BGP peer status of a node, as `calicoctl node status` prints it",
        description="Print what `calicoctl node status` shows on NODE: its BGP sessions (IPv4 and IPv6), "
        "their state and info as BIRD reports them. SINCE is the time of a session's last state "
        "change, which a computation cannot know: it prints as --since gives it (default "
        f"{status.DEFAULT_SINCE}). CLUSTER is a YAML file or folder; without it, the bundled seed.",
    )
    add_cluster(p)
    add_node(p, "the node to report on")
    add_down(p)
    p.add_argument("--since", metavar="[PEER=]TIME", action="append", default=[],
                   help="SINCE column: HH:MM:SS (or YYYY-MM-DD) for every row, or PEER=TIME for the row of "
                   "one peer address or protocol name (repeatable)")
    add_calico_version(p)
    out = p.add_mutually_exclusive_group()
    out.add_argument("--json", action="store_true", help="the rows as JSON instead of the table")
    out.add_argument("--birdc", action="store_true",
                     help="print BIRD's own `birdc show protocols` table instead (with --ipv6: birdc6)")
    p.add_argument("--ipv6", action="store_true", help="with --birdc: the IPv6 daemon (bird6)")
    return p


def parse_since(values):
    """``--since`` values -> the ``since`` argument of :func:`fastroute.calicoctl.status.node_status`."""
    if not values:
        return None
    out = {}
    for v in values:
        key, _, t = v.rpartition("=")
        if not _TIME.match(t):
            raise InvalidValueError(f"invalid --since {v!r}: expected HH:MM:SS, YYYY-MM-DD or PEER=HH:MM:SS")
        out[key or "*"] = t
    return out


def run(args):
    cluster = load_cluster(args.cluster, allocate="if_needed")
    cluster.node_index(args.node)
    down = down_nodes(args)
    since = parse_since(args.since)
    if args.ipv6 and not args.birdc:
        raise InvalidValueError("invalid option --ipv6 without --birdc: the status table shows both families")
    try:
        with progress_bar() as (step, _):
            step(f"computing the BGP sessions of {cluster.n_nodes:,} nodes")
            if args.birdc:
                text = status.show_protocols(cluster, args.node, 6 if args.ipv6 else 4, down, since,
                                             args.calico_version)
            elif args.json:
                text = json_dumps(status.status_dict(cluster, args.node, down, since, args.calico_version),
                                  indent=2) + "\n"
            else:
                text = status.node_status(cluster, args.node, down, since, args.calico_version)
        print(text, end="")
    except NodeDownError as e:
        # calicoctl's own behaviour on a node without calico-node.
        print(str(e), file=sys.stderr)
        return 1
    if since is None:
        print(SINCE_NOTE, file=sys.stderr)
    return 0
