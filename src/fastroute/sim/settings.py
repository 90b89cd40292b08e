"""Simulator parameters given as text (``hold_time=90``, ``aggregate=off``).

:func:`parse_params` turns ``NAME=VALUE`` strings (the ``--set`` option of
``fastroute converge``) into keyword overrides of
:class:`fastroute.sim.converge.Params`, each typed like its default;
:func:`settable` lists the parameters a user may set, with their defaults
(also the converge axes of a sweep grid).
"""

import dataclasses
from collections.abc import Iterable
from typing import Any

from ..errors import InvalidValueError
from .converge import Params

__all__ = ["parse_params", "settable"]

# Params fields that are per-run inputs, not model parameters
_NOT_SETTABLE = ("node", "start_times", "down", "timeline")


def settable() -> dict[str, Any]:
    """``{name: default}`` of the :class:`~fastroute.sim.converge.Params` fields a user may set, in field order."""
    return {f.name: f.default for f in dataclasses.fields(Params) if f.name not in _NOT_SETTABLE}


def parse_params(items: Iterable[str], option: str = "--set") -> dict[str, Any]:
    """``NAME=VALUE`` strings -> Params overrides, typed like the defaults.

    A bool takes true/false/1/0/yes/no, an int may have ``_`` separators.
    ``option`` names the source in messages.

    Raises
    ------
    InvalidValueError
        Not ``NAME=VALUE``, an unknown name (listing the known ones) or a value
        of the wrong type.
    """
    fields = settable()
    out = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip().replace("-", "_")
        if not sep:
            raise InvalidValueError(f"invalid {option} {item!r}: expected NAME=VALUE")
        if name not in fields:
            raise InvalidValueError(f"invalid {option} {item!r}: unknown parameter {name!r} "
                                    f"(one of {', '.join(fields)})")
        default = fields[name]
        value = _typed(text, default)
        if value is _BAD:
            raise InvalidValueError(f"invalid {option} {item!r}: {name} takes a {type(default).__name__}")
        out[name] = value
    return out


_BAD = object()
_BOOLS = {"true": True, "1": True, "yes": True, "false": False, "0": False, "no": False}


def _typed(text, default):
    """``text`` as the type of ``default``, or ``_BAD``."""
    try:
        if isinstance(default, bool):
            return _BOOLS.get(text.lower(), _BAD)
        if isinstance(default, int):
            return int(text.replace("_", ""))
        if isinstance(default, float):
            return float(text)
    except ValueError:
        return _BAD
    return text
