"""One scenario over several seeds: the spread of the hold-timer and jitter draws.

BIRD jitters every BGP timer (``bgp_start_timer`` in BIRD 1.6
``proto/bgp/bgp.c``) and calico-node pods start at random moments, so one run
is one draw.  :func:`over_seeds` runs a scenario with ``seed``, ``seed + 1``,
... and :func:`spread` reports the median and the 95th percentile of each
time figure.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import InvalidValueError
from .converge import Params, Result, simulate

if TYPE_CHECKING:
    from .design import Design
    from ..model.cluster import Cluster

__all__ = ["CAVEAT", "FIGURES", "over_seeds", "spread"]

#: What the simulated times cover, printed with them.
CAVEAT = ("BGP processing only (BIRD's timers, sessions, UPDATEs and kernel programming): no confd re-rendering, "
          "Kubernetes API or Typha delays; the processing costs are from BIRD 2 benchmarks, about +-2x "
          "(docs/convergence.md)")

#: Result figures summarised over seeds: name -> how to read it from a Result.
FIGURES = {
    "time_to_converge": lambda r: r.time_to_converge,
    "time_to_rib_converge": lambda r: r.time_to_rib_converge,
    "pod_pair_seconds": lambda r: r.unreachable["pod_pair_seconds"],
    "max_outage_seconds": lambda r: r.unreachable["max_outage_seconds"],
    "pod_pairs_unreachable_at_end": lambda r: r.unreachable["pod_pairs_unreachable_at_end"],
}


def over_seeds(cluster_or_design: Cluster | Design, scenario: str, n: int, params: Params | None = None,
               **overrides: object) -> list[Result]:
    """``n`` results of :func:`~fastroute.sim.converge.simulate`, seeds ``seed .. seed + n - 1``."""
    if isinstance(n, bool) or not isinstance(n, int) or not 1 <= n <= 1000:
        raise InvalidValueError(f"invalid seeds {n!r}: expected an integer 1..1000")
    p = (params or Params()).replace(**overrides)
    return [simulate(cluster_or_design, scenario, p.replace(seed=p.seed + i)) for i in range(n)]


def spread(results: Sequence[Result]) -> dict[str, Any]:
    """``{figure: {"median", "p95", "min", "max"}}`` over results, plus ``seeds`` and
    ``permanent`` (how many runs ended with an outage that never ends)."""
    out = {"seeds": [int(r.params["seed"]) for r in results],
           "permanent": sum(bool(r.unreachable["permanent"]) for r in results)}
    for name, get in FIGURES.items():
        a = np.array([float(get(r)) for r in results])
        out[name] = {"median": float(np.median(a)), "p95": float(np.percentile(a, 95)),
                     "min": float(a.min()), "max": float(a.max())}
    return out
