"""The ``fastroute`` command line.

``main(argv=None) -> int`` dispatches to one subcommand per user question.  Each
subcommand lives in a module that defines ``add_parser(subparsers)`` and
``run(args) -> int``; register it in ``_COMMANDS``.  A :class:`FastrouteError`
(or a bad argument) prints ``fastroute: error: <message>`` and returns 2.
"""

import argparse
import importlib
import sys

from .._version import __version__
from ..errors import FastrouteError

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
        parser.commands[name] = p
    return parser


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
        return int(args._run(args) or 0)
    except _UsageError as e:
        print(f"fastroute: error: {e}", file=sys.stderr)
        return 2
    except FastrouteError as e:
        print(f"fastroute: error: {e}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        return 0
    except OSError as e:
        # A missing or unreadable file named on the command line.
        name = f" {e.filename!r}" if getattr(e, "filename", None) else ""
        print(f"fastroute: error: cannot read{name}: {e.strerror or e}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
