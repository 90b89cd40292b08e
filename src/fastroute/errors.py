"""Exceptions raised by fastroute.

Every exception derives from :class:`FastrouteError` and from the builtin that
callers already catch (``ValueError``, ``KeyError``, ...).  Messages say what
was wrong, quote the offending value with ``!r``, say where it was and what is
allowed, e.g. ``invalid prefix '10.244.0.0/33' at pools[0].cidr: length must be 0..32``.
"""

from collections.abc import Collection
from typing import TypeVar

__all__ = [
    "FastrouteError",
    "InvalidAddressError",
    "InvalidPrefixError",
    "InvalidValueError",
    "InvalidArrayError",
    "UnknownNodeError",
    "UnknownPodError",
    "ResourceError",
    "IPAMError",
    "ConvergenceError",
    "EmulationError",
    "SelectorError",
    "NodeDownError",
    "GridError",
    "SweepError",
    "RouteTextError",
    "UnknownPrefixError",
    "TableBusyError",
    "InvalidArgumentError",
    "PackageDataError",
    "MissingDependencyError",
    "OutputFileError",
    "InputLimitError",
    "TimelineError",
    "choice",
    "shown",
]

_T = TypeVar("_T")


class FastrouteError(Exception):
    """Root of every fastroute exception."""


class InvalidAddressError(FastrouteError, ValueError):
    """An address that does not parse, or of the wrong IP version."""


class InvalidPrefixError(FastrouteError, ValueError):
    """A prefix that does not parse, has a length out of range, or host bits set."""


class InvalidValueError(FastrouteError, ValueError):
    """A value outside the allowed range (e.g. a negative next-hop id)."""


class InvalidArrayError(FastrouteError, TypeError):
    """An array argument of the wrong dtype, shape or kind."""


class _KeyErrorMessage:
    # KeyError.__str__ wraps the message in quotes; give the message back as written.
    def __str__(self):
        return str(self.args[0]) if self.args else ""


class UnknownNodeError(_KeyErrorMessage, FastrouteError, KeyError):
    """A node name that the cluster does not have."""


class UnknownPodError(_KeyErrorMessage, FastrouteError, KeyError):
    """A pod (or trace endpoint) name that the cluster does not have, or that is ambiguous."""


class ResourceError(FastrouteError, ValueError):
    """A Calico/Kubernetes resource document that is malformed or inconsistent."""


class IPAMError(FastrouteError, RuntimeError):
    """IPAM could not satisfy a request (no free blocks, block limit, ...)."""


class ConvergenceError(FastrouteError, RuntimeError):
    """The convergence simulation did not settle."""

    def __init__(self, message: str, n_events: int = 0) -> None:
        super().__init__(message)
        self.n_events = n_events


class RouteTextError(FastrouteError, ValueError):
    """``ip route`` text that does not parse."""


class EmulationError(FastrouteError, RuntimeError):
    """The real-BIRD emulation could not be set up, or did not reach the expected state."""


class SelectorError(FastrouteError, ValueError):
    """A Calico label selector that does not parse."""


class NodeDownError(FastrouteError, RuntimeError):
    """A question about a node whose calico-node is stopped (e.g. its ``calicoctl node status``)."""


class GridError(FastrouteError, ValueError):
    """A sweep grid that is malformed: an unknown key, a value out of range, a bad filter."""


class SweepError(FastrouteError, RuntimeError):
    """A sweep could not run: no dask.distributed, an unreachable scheduler, workers without fastroute."""


def choice(value: _T, allowed: Collection[object], where: str) -> _T:
    """Return ``value`` if it is one of ``allowed``; otherwise raise a ValueError listing them."""
    if value in allowed:
        return value
    listed = ", ".join(repr(a) for a in allowed)
    raise InvalidValueError(f"invalid {where} {value!r}: expected one of {listed}")


class UnknownPrefixError(FastrouteError, KeyError):
    """A prefix that a table does not hold exactly (``del fib[prefix]``, ``fib[prefix]``)."""


class TableBusyError(FastrouteError, RuntimeError):
    """A Fib modified while a batch lookup on it runs in another thread."""


class InvalidArgumentError(FastrouteError, TypeError):
    """An argument of a kind the function does not take (a wrong type; keywords where pairs or a
    mapping are taken)."""


class PackageDataError(FastrouteError, RuntimeError):
    """A data file shipped with fastroute that is missing or malformed (a broken install)."""


class MissingDependencyError(FastrouteError, ImportError):
    """An optional package a function needs is not installed (the message names the extra to install)."""



def shown(value: object, limit: int = 120) -> str:
    """``repr(value)`` bounded for an error message: nested and long values are elided
    (``[[1, 2, ...], ...]``), never expanded, so a hostile input cannot make the message
    itself huge (a YAML alias bomb is a small file holding a very deep or wide value)."""
    import reprlib

    r = reprlib.Repr()
    r.maxlevel, r.maxlist, r.maxtuple, r.maxdict, r.maxset = 3, 6, 6, 6, 6
    r.maxstring, r.maxother, r.maxlong = limit, limit, 40
    text = r.repr(value)
    return text if len(text) <= limit else text[:limit - 3] + "..."


class OutputFileError(FastrouteError, OSError):
    """An output file that cannot be written (no space, no permission); the old file, if any, is left as it was."""


class InputLimitError(ResourceError):
    """Input refused for its shape rather than its values: YAML aliases that expand past the
    budget ("billion laughs"), a document that refers to itself, nesting past the depth bound."""


class TimelineError(FastrouteError, ValueError):
    """A convergence timeline that is malformed: the message names the file, the entry, the field and the value."""
