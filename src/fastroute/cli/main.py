"""The ``fastroute`` command line.

``main(argv=None) -> int`` dispatches to one subcommand per user question.  Each
subcommand lives in a module that defines ``add_parser(subparsers)`` and
``run(args) -> int``; register it in ``_COMMANDS``.  A :class:`FastrouteError`
(or a bad argument, an unreadable file, exhausted memory) prints ``fastroute: error: <message>``
and returns 2; Ctrl-C prints ``fastroute: interrupted`` and returns 130; anything else is a
bug in fastroute: one ``fastroute: internal error: ...`` line and status 70 (``FASTROUTE_DEBUG=1``
raises it with its traceback).
"""

import argparse
import importlib
import os
import sys

from .._version import __version__
from ..errors import FastrouteError
from ._common import wide_tables

# (subcommand name, module that implements it), in the order --help lists them.
_COMMANDS = [
    ("demo", "fastroute.cli.demo"),
    ("lookup", "fastroute.cli.lookup"),
    ("ipam", "fastroute.cli.ipam"),
    ("export", "fastroute.cli.export"),
    ("synth", "fastroute.cli.synth"),
    ("routes", "fastroute.cli.routes"),
    ("why", "fastroute.cli.why"),
    ("bird-config", "fastroute.cli.birdconfig"),
    ("status", "fastroute.cli.status"),
    ("emulate", "fastroute.cli.emulate"),
    ("trace", "fastroute.cli.trace"),
    ("traffic", "fastroute.cli.traffic"),
    ("plan", "fastroute.cli.plan"),
    ("compare", "fastroute.cli.compare"),
    ("converge", "fastroute.cli.converge"),
    ("sweep", "fastroute.cli.sweep"),
    ("verify", "fastroute.cli.verify"),
]


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        raise _UsageError(message)


class _UsageError(Exception):
    pass


def build_parser():
    """The ``fastroute`` parser; ``parser.commands`` maps each subcommand name to its parser."""
    parser = _Parser(
        prog="fastroute",
        description="Compute what Calico's BGP networking does to a Kubernetes cluster: "
        "IPAM blocks, BGP sessions, routing tables, packet paths, convergence.",
    )
    parser.add_argument("--version", action="version", version=f"fastroute {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)
    parser.commands = {}
    for name, modname in _COMMANDS:
        mod = importlib.import_module(modname)
        p = mod.add_parser(sub)
        p.set_defaults(_run=mod.run, command=name)
        _add_output_format(p)
        parser.commands[name] = p
    return parser


#: ``-o`` on the commands that print a table or JSON, in kubectl's meaning (the format of the output).
OUTPUT_FORMATS = ("text", "wide", "json")


def _add_output_format(p):
    options = {o for a in p._actions for o in a.option_strings}
    if "--json" in options and "-o" not in options:
        p.add_argument("-o", "--output", choices=OUTPUT_FORMATS, default="text", dest="output_format",
                       help="text (default: tables fitted to the terminal), wide (tables never split or wrapped) "
                            "or json (the same as --json)")


def _apply_output_format(args):
    fmt = getattr(args, "output_format", "text")
    if fmt == "json":
        args.json = True
    return fmt == "wide"


def parse_args(parser, argv):
    """``argv`` parsed with options anywhere among a command's positionals
    (``why CLUSTER --node N PREFIX``, ``trace CLUSTER --down N SRC DST``).

    argparse's intermixed parsing does not cross subcommands, so the command's own
    parser reads everything after the command's name.
    """
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in parser.commands:
        return parser.commands[argv[0]].parse_intermixed_args(argv[1:])
    return parser.parse_args(argv)     # --help, --version, no or an unknown command


def main(argv=None):
    """Run the CLI; return the process exit status."""
    try:
        parser = build_parser()
        args = parse_args(parser, argv)
        if getattr(args, "_run", None) is None:
            parser.print_help()
            return 0
        _check_outputs(args)
        with wide_tables(_apply_output_format(args)):
            return int(args._run(args) or 0)
    except (_UsageError, FastrouteError) as e:
        return _error(e)
    except BrokenPipeError:
        return 0
    except OSError as e:
        # A missing or unreadable file named on the command line.
        name = f" {e.filename!r}" if getattr(e, "filename", None) else ""
        return _error(f"cannot read{name}: {e.strerror or e}")
    except KeyboardInterrupt:
        print("fastroute: interrupted", file=sys.stderr)
        return 130
    except MemoryError:
        return _error("out of memory: the design or input is too large for this machine (try fewer nodes, "
                      "or a design with fewer sessions)")
    except RecursionError:
        return _error("input nested too deeply")
    except Exception as e:  # noqa: BLE001 -- a bug: say so in one line; FASTROUTE_DEBUG=1 shows the traceback
        if os.environ.get("FASTROUTE_DEBUG"):
            raise
        print(f"fastroute: internal error: {type(e).__name__}: {_capped(str(e))} (a bug in fastroute {__version__};"
              " FASTROUTE_DEBUG=1 shows where)", file=sys.stderr)
        return 70


def _check_outputs(args):
    # files the command will write, checked before its work starts (a typo must not cost a long run)
    from ..outfiles import check_writable

    plot = getattr(args, "plot", None)
    if plot:
        from ..planning.plots import plot_format

        plot_format(check_writable(plot, "plot file"))
    out = getattr(args, "out", None)
    if isinstance(out, str) and out != "-":
        check_writable(out)


#: The longest error message printed; past it the message is cut (a hostile input can make one huge).
MAX_MESSAGE = 2000


def _capped(text):
    return text if len(text) <= MAX_MESSAGE else text[:MAX_MESSAGE] + f"... ({len(text) - MAX_MESSAGE:,} more characters)"


def _error(message):
    print(f"fastroute: error: {_capped(str(message))}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
