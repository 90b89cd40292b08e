"""``fastroute bird-config``: the BIRD configuration confd renders on a node."""

import dataclasses
import os
import sys

from ..bgp import birdcfg, topology
from ..errors import InvalidValueError
from ..jsonout import dumps
from ..outfiles import write_atomically
from ..model.calico import DEFAULT_CALICO_VERSION, TEMPLATE_RELEASES
from ._common import add_calico_version, add_cluster, add_node, load_cluster

_RELEASES = "; ".join(f"{r.name} = Calico {r.releases} ({r.source})" for r in TEMPLATE_RELEASES.values())


def add_parser(sub):
    p = sub.add_parser(
        "bird-config",
        help="the bird.cfg (or bird6.cfg) confd renders on a node",
        description="Print the BIRD configuration calico-node's confd renders on NODE: bird.cfg, or "
        "bird6.cfg with --ipv6, as confd writes it, comments included. CLUSTER is a YAML file or folder of "
        "Calico and Kubernetes resources; without it, the bundled seed cluster. A cluster without pod "
        f"addresses is allocated with Calico's IPAM first. Templates rendered: {_RELEASES}; "
        f"the default is {DEFAULT_CALICO_VERSION}. Calico's own confd template tests pass for each "
        "(docs/confd.md).",
    )
    add_cluster(p)
    add_node(p, "the node whose configuration to print")
    p.add_argument("--ipv6", action="store_true", help="bird6.cfg instead of bird.cfg")
    add_calico_version(p, help=f"which release's templates (default: {DEFAULT_CALICO_VERSION}; see above)")
    p.add_argument("--router-id", metavar="IP|hash",
                   help="calico-node's CALICO_ROUTER_ID: an IPv4 address, or 'hash' for one made from the "
                   "node name (needed by a node without IPv4); default: the node's IPv4 address")
    p.add_argument("--file", choices=("main", "aggr", "ipam"), default="main",
                   help="which file: bird.cfg (main, default), bird_aggr.cfg or bird_ipam.cfg")
    p.add_argument("--inline", action="store_true",
                   help="paste the two included files into the main one")
    p.add_argument("-o", "--output", metavar="text|json",
                   help="the format, as `kubectl get -o`: text (default: the one file asked for) or json (all "
                   "six bird*.cfg files as one JSON object, file name to text). Any other value is a directory "
                   "to write the files into, as in earlier releases (deprecated: use --out DIR)")
    p.add_argument("--out", "--output-dir", metavar="DIR", dest="output_dir",
                   help="write all six files (bird*.cfg) into DIR instead of printing")
    return p


#: What ``-o`` takes as a format (kubectl's meaning of ``-o``).
FORMATS = ("text", "json")


def output(args):
    """``(format, directory or None)`` from ``-o`` and ``--out``; ``-o DIR`` (the flag's meaning
    before it took formats) still writes into DIR, with a deprecation note on stderr.

    Raises
    ------
    InvalidValueError
        ``-o`` not a format beside ``--out``, or ``-o json`` with ``--out``.
    """
    fmt, directory = args.output, args.output_dir
    if fmt is not None and fmt not in FORMATS:
        if directory is not None:
            raise InvalidValueError(f"-o takes a format ({' or '.join(FORMATS)}), got {fmt!r}")
        print(f"fastroute: warning: `-o {fmt}` as a directory is deprecated: -o is the output format "
              f"({'|'.join(FORMATS)}), as in kubectl; write the files with --out {fmt}", file=sys.stderr)
        fmt, directory = None, fmt
    if fmt == "json" and directory is not None:
        raise InvalidValueError("invalid options -o json with --out: -o json prints the files, --out DIR writes them")
    if directory is not None and os.path.exists(directory) and not os.path.isdir(directory):
        raise InvalidValueError(f"invalid --out {directory!r}: it is a file; --out names the directory the six "
                                "files go to")
    return fmt or "text", directory


def run(args):
    fmt, directory = output(args)       # a bad -o fails before the cluster loads
    if (directory or fmt == "json") and (args.inline or args.file != "main"):
        raise InvalidValueError(f"invalid options for {'--out' if directory else '-o json'}: --file and --inline "
                                "apply to printing one file only")
    cluster = load_cluster(args.cluster, allocate="if_needed")
    cluster.node_index(args.node)
    topo = topology.compute(cluster, args.calico_version)
    view = topo.view(args.node)
    if args.router_id is not None:
        view = dataclasses.replace(view, router_id=args.router_id)
    if not view.effective_router_id:
        print(f"warning: node {args.node!r} has no IPv4 address: confd writes `router id ;`, which BIRD "
              "refuses; calico-node needs CALICO_ROUTER_ID (--router-id hash)", file=sys.stderr)
    family = 6 if args.ipv6 else 4
    if directory:
        os.makedirs(directory, exist_ok=True)
        files = birdcfg.render_files(view)
        for name, text in files.items():
            write_atomically(os.path.join(directory, name), text)
        print(f"wrote {len(files)} files ({', '.join(files)}) for node {args.node} to {directory}", file=sys.stderr)
        return 0
    if fmt == "json":
        print(dumps(birdcfg.render_files(view), indent=2))
        return 0
    if args.inline:
        if args.file != "main":
            raise InvalidValueError(f"invalid option --inline with --file {args.file}: --inline pastes into the main file")
        text = birdcfg.render_inline(view, family)
    else:
        render = {"main": birdcfg.render_bird_cfg, "aggr": birdcfg.render_aggr_cfg,
                  "ipam": birdcfg.render_ipam_cfg}[args.file]
        text = render(view, family)
    print(text, end="")
    return 0
