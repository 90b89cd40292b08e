"""``fastroute export``: the cluster after IPAM as Calico resources (multi-document YAML or JSON)."""

import sys

from ..errors import InvalidValueError
from ..model.resources import dump_documents, dump_json
from ._common import add_cluster, load_cluster

#: What ``-o`` takes as a format, as ``kubectl get -o`` / ``calicoctl get -o`` do.
FORMATS = ("yaml", "json")


def add_parser(sub):
    p = sub.add_parser(
        "export",
        help="write the cluster after IPAM as Calico resources (YAML or JSON)",
        description="Allocate the cluster with Calico's IPAM and write IPPools, Nodes, BGP resources, "
        "IPAMBlocks, BlockAffinities and WorkloadEndpoints as multi-document YAML (or one JSON List), "
        "ready to be read back by fastroute or applied to a test cluster.",
    )
    add_cluster(p)
    p.add_argument("-o", "--output", metavar="yaml|json",
                   help="the format, as `kubectl get -o` (default yaml; JSON is one List document, which "
                   "fastroute reads back several times faster). Any other value is a file to write, "
                   "as in earlier releases; prefer --out FILE")
    p.add_argument("--out", metavar="FILE",
                   help="write to FILE instead of standard output (a .json name writes JSON unless -o says)")
    p.add_argument("--json", action="store_true", help="the same as -o json")
    return p


def _format_and_file(args):
    """``(format, path or None)`` from ``-o``, ``--out`` and ``--json``."""
    fmt, path = None, args.out
    if args.output in FORMATS:
        fmt = args.output
    elif args.output is not None:
        if path is None:
            path = args.output              # -o FILE: the flag's meaning before -o took formats
        else:
            raise InvalidValueError(f"-o takes a format ({' or '.join(FORMATS)}), got {args.output!r}")
    if args.json:
        fmt = "json"
    if fmt is None:
        fmt = "json" if (path or "").endswith(".json") else "yaml"
    return fmt, path


def run(args):
    fmt, path = _format_and_file(args)
    cluster = load_cluster(args.cluster)
    docs = cluster.to_documents()
    text = dump_json(docs) if fmt == "json" else dump_documents(docs)
    if path:
        with open(path, "w", encoding="utf-8") as f:
            f.write(text)
        print(f"wrote {len(docs)} resources ({cluster.n_nodes} nodes, {cluster.n_pods} pods) "
              f"to {path} as {fmt.upper()}", file=sys.stderr)
    else:
        sys.stdout.write(text)
    return 0
