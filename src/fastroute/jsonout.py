"""JSON text as RFC 8259 defines it, for every ``--json`` output and ``to_json()``.

Python's :func:`json.dumps` writes ``NaN``, ``Infinity`` and ``-Infinity`` for
non-finite floats, which no other JSON reader (``jq``, browsers, Go, pandas'
strict mode) accepts.  :func:`dumps` writes them as ``null``, the value a figure
that does not exist has everywhere else in fastroute's output.
"""

import json
import math

import numpy as np

__all__ = ["dumps", "finite"]


def finite(value):
    """`value` with every non-finite float (at any depth of dicts, lists and tuples) replaced by None,
    and numpy scalars made Python numbers."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {k: finite(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [finite(v) for v in value]
    if isinstance(value, np.generic):
        return finite(value.item())
    return value


def dumps(value, **kw):
    """``json.dumps`` of `value` that never writes NaN or Infinity (they become null)."""
    return json.dumps(finite(value), allow_nan=False, **kw)
