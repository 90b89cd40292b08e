"""Route computation benchmarks: every node's table of a synthetic cluster.

Run: .venv/bin/python -m pytest bench/test_routes.py --benchmark-json=.benchmarks/routes.json
Each benchmark runs the whole pipeline from an allocated cluster: confd's
sessions, propagation to the steady state, and every node's BGP routes as one
(node x prefix) next-hop matrix.  extra_info records the peak RSS of the process.
"""

import resource

import numpy as np
import pytest

from fastroute.dataplane import routes
from fastroute.model import synth

_CLUSTERS = {}


def cluster(n, reflectors):
    key = (n, reflectors)
    if key not in _CLUSTERS:
        _CLUSTERS[key] = synth.cluster(n, 110, pools=("10.0.0.0/8",), reflectors=reflectors).allocate()
    return _CLUSTERS[key]


def all_tables(c, method="fast"):
    t = routes.compute(c, method=method)
    prefixes, nh = t.route_matrix()
    return t, prefixes, nh


def _record(benchmark, c, t, nh):
    benchmark.extra_info["nodes"] = c.n_nodes
    benchmark.extra_info["sessions"] = int(t.network.graph.n)
    benchmark.extra_info["routes"] = int((nh != -2).sum())
    benchmark.extra_info["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


@pytest.mark.parametrize("n", [500, 2000, 5000])
@pytest.mark.parametrize("design", ["mesh", "rr3"])
def test_all_tables(benchmark, n, design):
    c = cluster(n, 0 if design == "mesh" else 3)
    benchmark.group = f"routes-{design}"
    t, prefixes, nh = benchmark.pedantic(all_tables, (c,), rounds=2, iterations=1)
    _record(benchmark, c, t, nh)
    # every node reaches every other node's blocks
    assert (nh[:, :] != -2).all()


@pytest.mark.parametrize("design", ["mesh", "rr3"])
@pytest.mark.parametrize("method", ["fast", "reference"])
def test_fast_vs_reference_300(benchmark, design, method):
    c = cluster(300, 0 if design == "mesh" else 3)
    benchmark.group = f"routes-300-{design}"
    t, prefixes, nh = benchmark.pedantic(all_tables, (c, method), rounds=1, iterations=1)
    _record(benchmark, c, t, nh)
    assert (nh != -2).all()
