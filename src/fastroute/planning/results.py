"""The results of :func:`fastroute.planning.plan.plan` and :func:`~fastroute.planning.plan.compare`.

Both are dicts (every ``result["key"]`` keeps working, and they pass through ``json``,
pickle and Dask unchanged) that also offer the three views of
:class:`fastroute.jsonout.Record`: ``to_dict()``, ``to_json()`` (a string) and
``to_pandas()``.

Table shapes (docs/planning.md):

- a plan is one row per node role -- ``node`` (the BGP peers that are not
  reflectors), ``reflector`` (route reflector nodes, ``"rr"`` designs) and ``router``
  (ToR and spine Routers, ``"fabric"`` designs) -- with that role's ``count``,
  ``sessions``, ``routes`` and ``memory_bytes`` (per member; None where the plan
  has no figure) beside the design's ``nodes``, ``topology``, ``reflectors``,
  ``prefixes``, ``convergence_s`` and ``typha_replicas``;
- a comparison is one row per design (one per plan), with every scalar field of
  that plan as a column (``warnings`` joined into one text, ``sources`` left out).
"""

from __future__ import annotations

from typing import Any

from ..jsonout import Record

__all__ = ["PlanResult", "CompareResult"]

#: The design's columns repeated on every role row of a plan.
DESIGN_COLUMNS = ("nodes", "topology", "reflectors", "pods_per_node", "prefixes", "convergence_s",
                  "typha_replicas")


def _plain(value: Any) -> Any:
    """`value` with every dict subclass (at any depth) made a plain dict."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


class PlanResult(dict, Record):
    """One sized design: the dict :func:`~fastroute.planning.plan.plan` documents, plus
    ``to_dict()``, ``to_json()`` and ``to_pandas()`` (one row per node role)."""

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)

    def table_rows(self) -> list[dict[str, Any]]:
        design = {c: self.get(c) for c in DESIGN_COLUMNS}
        n, k = int(self.get("nodes") or 0), int(self.get("reflectors") or 0)
        rows = [dict(design, role="node", count=n - k, sessions=self.get("sessions_per_node"),
                     routes=self.get("routes_per_node"), memory_bytes=self.get("memory_per_node_bytes"))]
        if k:
            rows.append(dict(design, role="reflector", count=k, sessions=self.get("sessions_per_reflector"),
                             routes=None, memory_bytes=self.get("memory_per_reflector_bytes")))
        if self.get("topology") == "fabric":
            rows.append(dict(design, role="router", count=self.get("routers"),
                             sessions=self.get("sessions_per_router"), routes=self.get("routes_per_router"),
                             memory_bytes=self.get("memory_per_router_bytes")))
        return rows


def design_row(p: dict[str, Any]) -> dict[str, Any]:
    """One plan as a flat table row: its scalar fields, ``warnings`` joined, ``sources`` left out
    (a nested dict such as ``pool`` becomes ``pool_<key>`` columns)."""
    row: dict[str, Any] = {}
    for key, value in p.items():
        if key == "sources":
            continue
        if key == "warnings":
            row[key] = "; ".join(value)
        elif isinstance(value, dict):
            for sub, v in value.items():
                if not isinstance(v, (dict, list)):
                    row[f"{key}_{sub}"] = v
        elif not isinstance(value, list):
            row[key] = value
    return row


class CompareResult(dict, Record):
    """Designs compared: the dict :func:`~fastroute.planning.plan.compare` documents
    (``plans`` are :class:`PlanResult`), plus ``to_dict()``, ``to_json()`` and
    ``to_pandas()`` (one row per design)."""

    def to_dict(self) -> dict[str, Any]:
        return _plain(self)

    def table_rows(self) -> list[dict[str, Any]]:
        return [design_row(p) for p in self.get("plans", [])]
