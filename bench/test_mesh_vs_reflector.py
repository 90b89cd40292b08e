"""Convergence simulator: full mesh vs route reflectors (issue 6).

Run: .venv/bin/python -m pytest bench/test_mesh_vs_reflector.py --benchmark-only \
         --benchmark-json=bench-converge.json
     (add -k "100 or 1000" for the quick part; the 5,000-node cases need ~7 GB each)

Each case simulates a cold start of a synthetic cluster (110 pods per node, a /8
pool, /26 blocks: 2 blocks per node) and records, in ``extra_info``, what the
model predicts (time to converge, sessions, UPDATEs, busiest BIRD, memory) and
what the simulator cost (events, events/s, paths, build and run seconds).

Targets (2-core machine): 5,000-node full mesh cold start <= 30 s and >= 5 M
events/s; 50,000-node reflector design cold start <= 60 s.  The asserts only
check the simulation itself; the targets are recorded, not asserted, so a slow
shared machine still reports its numbers.

Reflector designs also run in aggregate mode (``-aggregate`` cases and every
case past 5,000 nodes, where the per-path model does not fit): interchangeable
clients merge into 1,000 cohorts (fastroute.sim.cohorts); its 5,000-node case runs
next to the per-path one so the two predictions can be compared.
"""

import time

import pytest

from fastroute.sim import converge
from fastroute.model import synth
from fastroute.errors import ConvergenceError

SIZES = [100, 1000, 5000]
DESIGNS = {"mesh": (0, "off"), "reflectors-2": (2, "off"), "reflectors-2-aggregate": (2, "on")}


def plan(n, reflectors):
    return synth.cluster(n, 110, pools=["10.0.0.0/8"], reflectors=reflectors, racks=max(1, n // 200), seed=0)


def record(benchmark, r, wall, build):
    info = benchmark.extra_info
    info.update(
        time_to_converge_s=r.time_to_converge,
        sessions=r.sessions["total"],
        sessions_per_reflector=r.sessions["per_reflector"],
        update_messages=r.updates["messages"],
        update_bytes=r.updates["bytes"],
        prefix_advertisements=r.updates["prefix_advertisements"],
        busiest_bird_s=r.busy["max_seconds"],
        busy_per_node_mean_s=r.busy["per_node_seconds"]["mean"],
        busy_per_reflector_s=r.busy["per_reflector_seconds"],
        adj_rib_in_max=r.tables["adj_rib_in_max"]["max"],
        memory_per_node_mb=r.memory["per_node_bytes"]["max"] / 1e6,
        memory_per_reflector_mb=[m / 1e6 for m in r.memory["per_reflector_bytes"]],
        events=r.cost["events"],
        events_per_s=r.cost["events_per_second"],
        paths=r.cost["paths"],
        model_build_s=r.cost["build_seconds"],
        engine_run_s=r.cost["run_seconds"],
        design_s=build,
        total_s=wall,
        cohorts=r.cost["cohorts"],
    )


@pytest.mark.benchmark(group="converge-cold-start")
@pytest.mark.parametrize("n,design", [(n, d) for n in SIZES for d in ("mesh", "reflectors-2")]
                         + [(5000, "reflectors-2-aggregate")])
def test_cold_start(benchmark, n, design):
    reflectors, aggregate = DESIGNS[design]
    c = plan(n, reflectors).allocate()
    t0 = time.perf_counter()
    d = converge.design(c)
    build = time.perf_counter() - t0
    try:
        r = benchmark.pedantic(converge.simulate, args=(d, "cold_start"), kwargs=dict(aggregate=aggregate),
                               rounds=1, iterations=1)
    except ConvergenceError as e:           # too large for this machine's memory budget
        benchmark.extra_info["infeasible"] = str(e)
        pytest.skip(str(e))
    record(benchmark, r, benchmark.stats.stats.max + build, build)
    assert r.converged
    assert r.tables["fib"]["min"] == r.tables["fib"]["max"]        # every node has every route
    if design == "mesh":
        assert r.sessions["total"] == n * (n - 1) // 2
    else:
        assert r.sessions["total"] == 2 * (n - 2) + 1
        assert r.updates["messages"] >= 2 * (n - 2) * (n - 3)      # every client's class to every other client


@pytest.mark.benchmark(group="converge-disruption")
@pytest.mark.parametrize("scenario", ["node_crash", "calico_node_restart", "migration_unsafe", "migration_safe"])
def test_disruptions_1000(benchmark, scenario):
    c = plan(1000, 2).allocate()
    r = benchmark.pedantic(converge.simulate, args=(c, scenario), rounds=1, iterations=1)
    benchmark.extra_info.update(
        time_to_converge_s=r.time_to_converge,
        pod_pair_seconds=r.unreachable["pod_pair_seconds"],
        max_outage_s=r.unreachable["max_outage_seconds"],
        events=r.cost["events"],
        events_per_s=r.cost["events_per_second"],
    )
    assert r.converged


@pytest.mark.benchmark(group="converge-cold-start")
@pytest.mark.parametrize("n", [10_000, 20_000, 50_000])
def test_reflectors_large(benchmark, n):
    """The 50,000-node target (design + model + run, timed from the allocated
    cluster): the per-path model would need n^2 x 2 paths (5e9 at 50,000), so
    ``aggregate="auto"`` merges the clients into cohorts."""
    c = plan(n, 2).allocate()
    t0 = time.perf_counter()
    d = converge.design(c)
    build = time.perf_counter() - t0
    r = benchmark.pedantic(converge.simulate, args=(d, "cold_start"), rounds=1, iterations=1)
    record(benchmark, r, time.perf_counter() - t0, build)
    assert r.converged and r.cost["cohorts"] is not None
    assert r.sessions["total"] == 2 * (n - 2) + 1
    assert r.tables["fib"]["min"] == r.tables["fib"]["max"]
