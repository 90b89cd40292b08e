"""Fabric benchmark: every node's and every router's table of a 5,000-node fabric.

Run: .venv/bin/python -m pytest bench/test_fabric.py --benchmark-json=.benchmarks/fabric.json
25 racks of 200 nodes, one top-of-rack Router per rack, 2 spines, AS per rack
(docs/fabric.md).  Each round runs the whole pipeline from the allocated cluster:
sessions, propagation of every block and announcement to the steady state, and
the forwarding plane that holds every speaker's table (nodes and routers).
Budget: 10 s on the 2-core machine.
"""

import resource

import numpy as np
import pytest

from fastroute.dataplane import routes
from fastroute.model import synth


def tables(c):
    t = routes.compute(c)
    return t, t.plane


@pytest.mark.parametrize("design", ["as-per-rack", "as-per-node", "downward-default"])
def test_fabric_5000(benchmark, design):
    c = synth.fabric(5000, 110, racks=25, spines=2, design=design).allocate()
    benchmark.group = "fabric-5000"
    t, plane = benchmark.pedantic(tables, (c,), rounds=1, iterations=1)
    benchmark.extra_info["speakers"] = int(plane.n_speakers)
    benchmark.extra_info["sessions"] = int(t.network.graph.n)
    benchmark.extra_info["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert plane.n_speakers == 5000 + 25 + 2
    nodes = t.propagation.best_next_hop[:5000]
    if design == "downward-default":
        # nodes hear only their ToR's default; blocks of other nodes are not in their tables
        assert (np.asarray(plane.entry[:5000]) != -3).any()
    else:
        assert (nodes != -2).all()
    assert benchmark.stats.stats.max <= 10.0


@pytest.mark.parametrize("racks", [25, 125])
def test_fabric_5000_convergence(benchmark, racks):
    # AS per rack: each rack's nodes merge into cohorts (fastroute.sim.cohorts); the path universe
    # is enumerated by the Cython walk (eBGP between ToRs and spines included)
    from fastroute.sim import converge

    d = converge.design(synth.fabric(5000, 110, racks=racks, spines=2).allocate())
    benchmark.group = "fabric-5000-convergence"

    def run():
        return [converge.simulate(d, s) for s in ("cold_start", "node_crash", "router_crash")]

    results = benchmark.pedantic(run, rounds=1, iterations=1)
    benchmark.extra_info["paths"] = [r.cost["paths"] for r in results]
    benchmark.extra_info["time_to_converge"] = [r.time_to_converge for r in results]
    benchmark.extra_info["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    assert all(r.converged and r.cost["cohorts"]["cohorts"] > 0 for r in results)
    assert benchmark.stats.stats.max <= 60.0


@pytest.mark.parametrize("design", ["as-per-rack", "as-per-node"])
def test_fabric_1000_cohorts_against_the_per_path_model(benchmark, design):
    # the largest fabric both models run: 1,000 nodes in 25 racks (2 million paths per path), cohorts of 5
    from fastroute.sim import converge

    d = converge.design(synth.fabric(1000, 110, racks=25, spines=2, design=design).allocate())
    benchmark.group = "fabric-1000-cohorts"

    def run():
        return [(converge.simulate(d, s, aggregate="off"), converge.simulate(d, s, aggregate="on", cohorts=200))
                for s in ("cold_start", "node_crash", "router_crash")]

    for exact, agg in benchmark.pedantic(run, rounds=1, iterations=1):
        assert agg.cost["paths"] * 20 < exact.cost["paths"]
        assert agg.time_to_converge == pytest.approx(exact.time_to_converge, rel=0.05)
        assert agg.tables["adj_rib_in"] == exact.tables["adj_rib_in"] and agg.tables["fib"] == exact.tables["fib"]
        assert agg.unreachable["pod_pairs_unreachable_at_end"] == exact.unreachable["pod_pairs_unreachable_at_end"]
