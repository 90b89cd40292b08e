"""Fixtures for the differential tests against real BIRD 1.6 in network namespaces.

These tests need root (to create network namespaces) and the Debian packages
``bird`` and ``iproute2`` (``ci/install.sh`` installs them).  They are skipped
only when network namespaces cannot be created here, and the reason is printed.
A missing ``bird`` binary is a failure, not a skip.
"""

import hashlib
import os

import pytest

from fastroute.testing.emulate import netns_unavailable_reason

DATA = os.path.join(os.path.dirname(__file__), "data")


@pytest.fixture(scope="session")
def netns():
    """Skip (with the reason) when this machine cannot create network namespaces."""
    reason = netns_unavailable_reason()
    if reason is not None:
        pytest.skip(f"network namespaces unavailable: {reason}")
    return True


def read_data(name):
    """A file of tests/interop/data without its '#' comment lines."""
    with open(os.path.join(DATA, name)) as f:
        return "".join(line for line in f if not line.startswith("#"))


def veth_name(namespace, pod):
    """Calico's host-side veth name: 'cali' + 11 hex digits of sha1("<namespace>.<pod>")."""
    return "cali" + hashlib.sha1(f"{namespace}.{pod}".encode()).hexdigest()[:11]
