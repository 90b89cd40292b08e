"""What the commands share: the CLUSTER argument, ``--node``, ``--down``,
``--calico-version``, loading the cluster, the progress bar, number formatting,
tables and the ``--plot``/``--json``/text ending.

Every command declares these arguments through the ``add_*`` functions here, so
a flag reads and parses the same way in every command.
"""

import contextlib
import sys

from ..jsonout import dumps as json_dumps
from ..errors import InvalidValueError, ResourceError
from ..model import examples
from ..model.calico import CALICO_VERSIONS, DEFAULT_CALICO_VERSION

#: Help of the CLUSTER positional when a command does not word it otherwise.
CLUSTER_HELP = "YAML file or folder (default: the seed cluster)"
#: Help of ``--down`` when a command does not word it otherwise.
DOWN_HELP = "nodes whose calico-node was stopped cleanly (repeatable)"
#: Help of ``--calico-version`` for the commands that compute what a release does.
CALICO_VERSION_HELP = f"template behaviour (default: {DEFAULT_CALICO_VERSION})"


# ---------------------------------------------------------------------------- arguments


def add_cluster(p, help=CLUSTER_HELP):
    """The optional CLUSTER positional: a YAML/JSON file or folder; the bundled seed without it."""
    p.add_argument("cluster", metavar="CLUSTER", nargs="?", help=help)


def add_cluster_then(p, metavar):
    """``[CLUSTER] ARG...``: the CLUSTER positional in front of a command's own positionals
    (``trace [CLUSTER] SRC DST``); read back with :func:`split_cluster`."""
    p.add_argument("args", nargs="+", metavar=f"[CLUSTER] {metavar}")


def split_cluster(args, metavar):
    """``(cluster path or None, [the command's own positionals])`` from ``args.args``.

    Raises
    ------
    InvalidValueError
        Neither the command's own positionals nor one more.
    """
    got = args.args
    want = len(metavar.split())
    if len(got) not in (want, want + 1):
        raise InvalidValueError(f"expected [CLUSTER] {metavar}, got {len(got)} arguments: {got!r}")
    return (got[0] if len(got) > want else None), got[-want:]


def add_node(p, help, *, required=True, repeat=False):
    """``--node NAME`` (``repeat``: once per node, a list)."""
    if repeat:
        p.add_argument("--node", action="append", metavar="NAME", help=help)
    else:
        p.add_argument("--node", required=required, metavar="NAME", help=help)


def add_down(p, help=DOWN_HELP):
    """``--down NODE[,NODE...]``, repeatable; read back with :func:`down_nodes`."""
    p.add_argument("--down", metavar="NODE[,NODE...]", action="append", default=[], help=help)


def add_calico_version(p, help=CALICO_VERSION_HELP):
    """``--calico-version`` among the releases fastroute renders (:data:`fastroute.model.calico.CALICO_VERSIONS`)."""
    p.add_argument("--calico-version", choices=CALICO_VERSIONS, default=None, help=help)


def down_nodes(args, cluster=None):
    """The ``--down`` node names in order; each checked against ``cluster`` when given.

    Raises
    ------
    UnknownNodeError
        A name that is not a node of ``cluster`` (naming the known nodes).
    """
    down = [d for item in args.down for d in item.split(",") if d]
    if cluster is not None:
        for name in down:
            cluster.node_index(name)
    return down


#: What ``-o`` takes as a format for commands that write resources (``kubectl get -o``).
RESOURCE_FORMATS = ("yaml", "json")


def add_resource_output(p):
    """``-o yaml|json`` (the format, as ``kubectl get -o``), ``--out FILE`` and ``--json``:
    how a command writes Calico resources; read back with :func:`write_resources`."""
    p.add_argument("-o", "--output", metavar="yaml|json",
                   help="the format, as `kubectl get -o` (default yaml; JSON is one List document, which "
                   "fastroute reads back several times faster). Any other value is a file to write, "
                   "as in earlier releases; prefer --out FILE")
    p.add_argument("--out", metavar="FILE",
                   help="write to FILE instead of standard output (a .json name writes JSON unless -o says)")
    p.add_argument("--json", action="store_true", help="the same as -o json")


def resource_output(args):
    """``(format, path or None)`` from :func:`add_resource_output`'s arguments.

    Raises
    ------
    InvalidValueError
        ``-o`` neither a format nor (without ``--out``) a file.
    """
    fmt, path = None, args.out
    if args.output in RESOURCE_FORMATS:
        fmt = args.output
    elif args.output is not None:
        if path is not None:
            raise InvalidValueError(f"-o takes a format ({' or '.join(RESOURCE_FORMATS)}), got {args.output!r}")
        path = args.output              # -o FILE: the flag's meaning before -o took formats
    if args.json:
        fmt = "json"
    if fmt is None:
        fmt = "json" if (path or "").endswith(".json") else "yaml"
    return fmt, path


def write_resources(args, cluster):
    """Write ``cluster`` as Calico resources where :func:`add_resource_output`'s arguments say;
    a file written is named on stderr (standard output stays the data's)."""
    from ..model.resources import dump_documents, dump_json
    from ..outfiles import write_atomically

    fmt, path = resource_output(args)
    with progress_bar() as (step, _):
        step(f"writing {cluster.n_nodes:,} nodes and {cluster.n_pods:,} pods as {fmt.upper()}")
        docs = cluster.to_documents()
        text = dump_json(docs) if fmt == "json" else dump_documents(docs)
    if path:
        write_atomically(path, text)
        print(f"wrote {len(docs)} resources ({cluster.n_nodes} nodes, {cluster.n_pods} pods) "
              f"to {path} as {fmt.upper()}", file=sys.stderr)
    else:
        sys.stdout.write(text)


# ---------------------------------------------------------------------------- loading


def load_cluster(path, *, allocate="always", need_pools=False, failures=None):
    """The CLUSTER argument as a cluster after IPAM.

    A file without nodes (empty, or only other kinds) is bad input, as is one
    without IP pools when ``need_pools`` (a check of pod addresses would check nothing).

    Parameters
    ----------
    path : str or None
        A YAML/JSON file or folder; None for the bundled seed
        (:func:`fastroute.model.examples.seed`).
    allocate : {"always", "if_needed"}
        ``"always"`` runs IPAM (addresses already written are kept, missing ones
        added); ``"if_needed"`` only when some pod has no address yet.
    failures : list, optional
        Collect pod allocations that fail here (the pod keeps no address) instead of raising.

    Raises
    ------
    ResourceError
        No nodes (or no pools when ``need_pools``); and as
        :meth:`fastroute.model.cluster.Cluster.load` raises it.
    IPAMError, OSError
        As :meth:`fastroute.model.cluster.Cluster.load` and ``allocate`` raise them.
    """
    with progress_bar() as (step, _):
        step(f"loading {path}" if path else "loading the bundled seed cluster")
        cluster = examples.resolve(path, allocate=False)
        if not cluster.n_nodes:
            raise ResourceError(f"{path}: no nodes in it (a Calico or Kubernetes Node resource): nothing to compute")
        if need_pools and not cluster.pools:
            raise ResourceError(f"{path}: no IP pools in it (an IPPool resource): no pod addresses to check")
        _report_not_modelled(cluster)
        if allocate == "if_needed" and cluster.is_allocated:
            return cluster
        step(f"allocating {cluster.n_nodes:,} nodes x {cluster.n_pods:,} pods (Calico's IPAM)")
        return cluster.allocate() if failures is None else cluster.allocate(failures=failures)


def _report_not_modelled(cluster):
    """One stderr line listing the kinds read but not modelled (they cannot change routing)."""
    from ..model.resources import not_modelled_text

    text = not_modelled_text(cluster.not_modelled)
    if text:
        print(f"fastroute: {text}", file=sys.stderr)


# ---------------------------------------------------------------------------- output


@contextlib.contextmanager
def progress_bar(total=None):
    """A rich progress bar on stderr (hidden when stderr is not a terminal); yields (step, advance).

    Inside another one (a command's bar around :func:`load_cluster`'s), the outer bar's
    ``(step, advance)`` come back: one bar at a time."""
    global _active_bar
    if _active_bar is not None:
        yield _active_bar
        return
    from rich.console import Console
    from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    console = Console(stderr=True)
    cols = [SpinnerColumn(), TextColumn("{task.description}")]
    if total:
        cols.append(BarColumn())
    cols.append(TimeElapsedColumn())
    with Progress(*cols, console=console, transient=True, disable=not console.is_terminal) as prog:
        task = prog.add_task("planning", total=total)

        def step(text):
            prog.update(task, description=text)

        def advance():
            prog.advance(task)

        _active_bar = step, advance
        try:
            yield _active_bar
        finally:
            _active_bar = None


_active_bar = None          # the (step, advance) of the bar on screen


def fmt(v, unit=""):
    """A figure for a table: ``-`` for None, MiB for ``bytes``, seconds for ``s``, thousands separated."""
    if v is None:
        return "-"
    if unit == "bytes":
        return f"{v / 2**20:,.1f} MiB"
    if unit == "s":
        return f"{v:,.1f} s"
    if isinstance(v, float):
        return f"{v:,.1f}"
    return f"{v:,}"


#: ``-o wide``: the width tables are laid out for, whatever the terminal's (rich pads nothing to it).
WIDE = 10_000
_wide = [False]


@contextlib.contextmanager
def wide_tables(on=True):
    """Within the block, :func:`console` lays tables out :data:`WIDE` columns wide (``-o wide``)."""
    before, _wide[0] = _wide[0], bool(on)
    try:
        yield
    finally:
        _wide[0] = before


def console(pipe_width=200):
    """A rich console on stdout; into a pipe or file ``pipe_width`` columns wide (no wrapping of tables);
    :data:`WIDE` columns under ``-o wide``."""
    from rich.console import Console

    out = Console(highlight=False)
    if _wide[0]:
        out = Console(highlight=False, width=WIDE)
    elif pipe_width and not out.is_terminal:
        out = Console(highlight=False, width=pipe_width)
    return out


def table(title=None, columns=()):
    """A rich table in the commands' style (simple box, title on the left).

    ``columns``: names (right-aligned) or ``(name, justify)`` pairs.
    """
    from rich import box
    from rich.table import Table

    t = Table(title=title, box=box.SIMPLE, title_justify="left")
    for c in columns:
        name, justify = (c, "right") if isinstance(c, str) else c
        t.add_column(name, justify=justify)
    return t


def print_fitted(out, title, columns, rows, keep=1):
    """Print ``rows`` as one table on ``out`` or, when that is wider than ``out``, as
    several tables that fit, each repeating the first ``keep`` columns.

    ``columns``: ``(name, justify)`` pairs; ``rows``: lists of cell text, None between
    sections.  Cells are never cut: a column wider than the terminal on its own gets a
    table to itself, and the terminal wraps it.
    """
    from rich.measure import Measurement

    def build(cols, part=""):
        t = table(title + part)
        for i in cols:
            t.add_column(columns[i][0], justify=columns[i][1], no_wrap=True)
        for r in rows:
            if r is None:
                t.add_section()
            else:
                t.add_row(*[r[i] for i in cols])
        return t

    def width(cols):
        return Measurement.get(out, out.options.update_width(10_000), build(cols)).maximum

    head = list(range(keep))
    groups = [[]]
    for i in range(keep, len(columns)):
        if groups[-1] and width(head + groups[-1] + [i]) > out.width:
            groups.append([])
        groups[-1].append(i)
    for k, g in enumerate(groups):
        t = build(head + g, f" ({k + 1}/{len(groups)})" if len(groups) > 1 else "")
        need = width(head + g)
        if need > out.width:        # one column too wide: print it whole, the terminal wraps it
            from rich.console import Console
            Console(file=out.file, width=need, highlight=False, color_system=out.color_system,
                    force_terminal=out.is_terminal).print(t)
        else:
            out.print(t)


def finish(args, result, show, to_json=lambda r: json_dumps(r, indent=2), plot=None, written=()):
    """The end of a command with ``--json`` (and ``--plot``): draw the plot, then print
    the JSON or the text (``show(result)``) and where each file went.

    ``written``: ``(path or None, what)`` pairs of files the command wrote, named after the text.
    """
    path = getattr(args, "plot", None)
    if plot is not None and path:
        plot(result, path)
    if args.json:
        print(to_json(result))
        return 0
    show(result)
    for where, what in list(written) + ([(path, "plot")] if plot is not None else []):
        if where:
            print(f"{what} written to {where}")
    return 0
