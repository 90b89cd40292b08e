"""JSON text as RFC 8259 defines it, for every ``--json`` output and ``to_json()``.

Python's :func:`json.dumps` writes ``NaN``, ``Infinity`` and ``-Infinity`` for
non-finite floats, which no other JSON reader (``jq``, browsers, Go, pandas'
strict mode) accepts.  :func:`dumps` writes them as ``null``, the value a figure
that does not exist has everywhere else in fastroute's output.
"""

from __future__ import annotations

import json
import math
import types
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["dumps", "finite", "pandas", "Record"]


def finite(value: Any) -> Any:
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


def dumps(value: Any, **kw: Any) -> str:
    """``json.dumps`` of `value` that never writes NaN or Infinity (they become null)."""
    return json.dumps(finite(value), allow_nan=False, **kw)


def pandas() -> types.ModuleType:
    """The pandas module; MissingDependencyError naming the extra when it is not installed."""
    try:
        import pandas as pd
    except ImportError:
        from .errors import MissingDependencyError

        raise MissingDependencyError("to_pandas() needs pandas: pip install 'fastroute[pandas]'") from None
    return pd


class Record:
    """The three views every fastroute result offers: ``to_dict()`` (plain Python data),
    ``to_json(**json_kw)`` (that data as JSON text, never NaN/Infinity) and ``to_pandas()`` (a
    DataFrame of :meth:`table_rows`, one row per item: hops, findings, paths, designs...)."""

    def to_dict(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_json(self, **kw: Any) -> str:
        return dumps(self.to_dict(), **kw)

    def table_rows(self) -> list[dict[str, Any]]:
        """The rows :meth:`to_pandas` makes a DataFrame of (by default the one row of :meth:`to_dict`)."""
        return [self.to_dict()]

    def to_pandas(self) -> pd.DataFrame:
        return pandas().DataFrame(self.table_rows())
