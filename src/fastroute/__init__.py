"""fastroute: Calico BGP networking for Kubernetes clusters, computed exactly and fast."""

from ._version import __version__
from .errors import (
    FastrouteError,
    InvalidAddressError,
    InvalidArrayError,
    InvalidPrefixError,
    InvalidValueError,
    UnknownNodeError,
)

__all__ = [
    "__version__",
    "FastrouteError",
    "InvalidAddressError",
    "InvalidArrayError",
    "InvalidPrefixError",
    "InvalidValueError",
    "UnknownNodeError",
]

from .fib import Fib  # noqa: E402  (needs the compiled kernel)

__all__ += ["Fib"]
