"""pytest assertions over a cluster's forwarding (this package), hypothesis
strategies (:mod:`fastroute.testing.strategies`, needs hypothesis) and real
BIRD in network namespaces (:mod:`fastroute.testing.emulate`)."""

from .assertions import (
    Hop,
    Walk,
    assert_all_reachable,
    assert_no_loops,
    assert_reachable,
    assert_route,
    assert_same_reachability,
    reachability,
    walk,
)

__all__ = [
    "Hop",
    "Walk",
    "walk",
    "reachability",
    "assert_reachable",
    "assert_all_reachable",
    "assert_route",
    "assert_no_loops",
    "assert_same_reachability",
]
