"""pytest assertions over a cluster's forwarding (this package), hypothesis
strategies (:mod:`fastroute.testing.strategies`, needs hypothesis) and real
BIRD in network namespaces (:mod:`fastroute.testing.emulate`)."""

from . import assertions
from .assertions import *  # noqa: F401,F403

__all__ = list(assertions.__all__)
