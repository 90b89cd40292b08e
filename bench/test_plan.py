"""Planning benchmarks: ``plan`` of a large reflector design, and the topology stage of it.

Run: .venv/bin/python -m pytest bench/test_plan.py --benchmark-only --benchmark-json=.benchmarks/plan.json
Peak RSS (extra_info ``peak_rss_mb``) is the process's high-water mark: run one
benchmark per process (``-k``) for a figure of that benchmark alone.  Old code side by
side: run this file with ``PYTHONPATH=<older checkout>/src`` (the topology benchmarks
need ``fastroute.bgp.sessions_reference`` and skip without it; the plan one runs anywhere).

``test_topology`` compares the vectorised topology (node columns, peer table, session
layout) with the per-entry/per-row reference path it replaced, in one run.
"""

import resource

import pytest

from fastroute.bgp import topology
from fastroute.model import synth
from fastroute.planning import plan as planning

_CLUSTERS = {}


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _cluster(n, reflectors):
    key = (n, reflectors)
    if key not in _CLUSTERS:
        _CLUSTERS[key] = synth.cluster(n, 0, reflectors=reflectors)
    return _CLUSTERS[key]


@pytest.mark.parametrize("n", [50_000])
def test_plan_reflectors(benchmark, n):
    """``fastroute plan --nodes 50000 --topology rr --reflectors 3``: IPAM, counted tables,
    BIRD memory, the three simulated scenarios."""
    benchmark.group = "plan-rr3"
    out = benchmark.pedantic(planning.plan, (n,), dict(topology="rr", reflectors=3), rounds=1, iterations=1)
    benchmark.extra_info["nodes"] = n
    benchmark.extra_info["peak_rss_mb"] = _peak_mb()
    benchmark.extra_info["sources"] = out["sources"]
    assert out["sessions_per_node"] == 3 and out["prefixes"] == 2 * n
    assert out["convergence_s"] is not None


def _fast(c):
    topo = topology.compute(c)
    return topo, topo.sessions(4)


def _reference(c):
    from fastroute.bgp.sessions_reference import reference_sessions

    topo = topology.compute(c)
    return topo, reference_sessions(topo, 4)


@pytest.mark.parametrize("n", [10_000, 50_000])
@pytest.mark.parametrize("method", ["fast", "reference"])
def test_topology(benchmark, n, method):
    """confd's peer expansion and the session graph of a 3-reflector design (what
    ``plan`` and ``converge.design`` compute first)."""
    if method == "reference":
        pytest.importorskip("fastroute.bgp.sessions_reference")
    c = _cluster(n, 3)
    benchmark.group = f"topology-rr3-{n}"
    topo, s = benchmark.pedantic(_fast if method == "fast" else _reference, (c,), rounds=2, iterations=1)
    benchmark.extra_info["sessions"] = s.n_sessions
    benchmark.extra_info["peak_rss_mb"] = _peak_mb()
    assert s.established.sum() == 2 * (3 * (n - 3) + 3)
