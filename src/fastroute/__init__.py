"""fastroute: Calico BGP networking for Kubernetes clusters, computed exactly and fast.

The package reads as the pipeline: the LPM core (:mod:`fastroute.addr`,
:class:`fastroute.Fib`, :mod:`fastroute.compat`, :mod:`fastroute.iproute`) needs
nothing of Calico; then :mod:`fastroute.model` (resources, cluster, IPAM),
:mod:`fastroute.bgp` (confd's peers, bird.cfg, the session graph, BIRD's best
paths), :mod:`fastroute.dataplane` (routing tables, traces, traffic, verify),
:mod:`fastroute.calicoctl`, :mod:`fastroute.sim` (convergence),
:mod:`fastroute.planning` (plan, compare, sweep), :mod:`fastroute.testing`
and :mod:`fastroute.cli`.
"""

import importlib
import importlib.abc
import importlib.util
import sys

from ._version import __version__
from .errors import (
    FastrouteError,
    InvalidAddressError,
    InvalidArrayError,
    InvalidPrefixError,
    InvalidValueError,
    IPAMError,
    ResourceError,
    UnknownNodeError,
)
from .model.cluster import Cluster, load  # noqa: E402
from .model import examples, synth  # noqa: E402
from .fib import Fib  # noqa: E402  (needs the compiled kernel)
from .planning.sweeps import sweep  # noqa: E402  (dask is imported only when a sweep runs)

__all__ = [
    "__version__",
    "FastrouteError",
    "InvalidAddressError",
    "InvalidArrayError",
    "InvalidPrefixError",
    "InvalidValueError",
    "UnknownNodeError",
    "IPAMError",
    "ResourceError",
    "Cluster",
    "load",
    "examples",
    "synth",
    "Fib",
    "sweep",
]

#: Modules users import by their first, flat names (``from fastroute import routes``,
#: ``import fastroute.strategies``), and where they live now.
_MOVED = {
    "resources": "model.resources", "cluster": "model.cluster", "ipam": "model.ipam",
    "gorand": "model.gorand", "names": "model.names", "selector": "model.selector",
    "topology": "bgp.topology", "network": "bgp.network", "birdcfg": "bgp.birdcfg",
    "routing": "bgp.propagate", "explain": "bgp.explain",
    "routes": "dataplane.routes", "trace": "dataplane.trace", "traffic": "dataplane.traffic",
    "verify": "dataplane.verify", "status": "calicoctl.status",
    "converge": "sim.converge", "cohorts": "sim.cohorts",
    "plan": "planning.plan", "sweeps": "planning.sweeps",
    "strategies": "testing.strategies", "emulate": "testing.emulate", "routetable": "iproute",
}


def __getattr__(name):
    new = _MOVED.get(name)
    if new is None:
        raise AttributeError(f"module 'fastroute' has no attribute {name!r}")
    return importlib.import_module(f"{__name__}.{new}")


class _MovedModules(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """``import fastroute.routes`` gives the module itself (one object, its own name)."""

    def find_spec(self, fullname, path=None, target=None):
        parent, _, leaf = fullname.rpartition(".")
        if parent == __name__ and leaf in _MOVED:
            return importlib.util.spec_from_loader(fullname, self)
        return None

    def create_module(self, spec):
        return None

    def exec_module(self, module):
        leaf = module.__name__.rpartition(".")[2]
        sys.modules[module.__name__] = importlib.import_module(f"{__name__}.{_MOVED[leaf]}")


sys.meta_path.append(_MovedModules())
