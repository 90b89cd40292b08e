"""fastroute: Calico BGP networking for Kubernetes clusters, computed exactly and fast."""

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
from .cluster import Cluster, load  # noqa: E402
from . import examples, synth  # noqa: E402

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
]

from .fib import Fib  # noqa: E402  (needs the compiled kernel)

__all__ += ["Fib"]

from .sweeps import sweep  # noqa: E402  (dask is imported only when a sweep runs)

__all__ += ["sweep"]
