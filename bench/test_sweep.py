"""Sweeps (issue 9): a 40-point grid serial vs 2 Dask workers, and what Dask costs per point.

Run: .venv/bin/python -m pytest bench/test_sweep.py --benchmark-only --benchmark-json=bench-sweep.json

* ``grid40``: 40 capacity plans (nodes 100..500 x mesh / 2 reflectors x /26 and /28
  blocks x 30 and 60 pods per node; routes computed and convergence simulated at
  every point, ~0.03-0.6 s each) run one after the other in this process
  (``workers=0``), then on a running 2-worker LocalCluster (processes), then with
  the cluster's start-up included (``workers=2``: what ``fastroute sweep
  --workers 2`` costs).
* ``overhead``: 40 trivial points (3 nodes, no simulation: ~1 ms each) serial and on
  the running 2-worker cluster; (dask - serial) / 40 is the scheduling and
  transfer cost per point.

``extra_info`` records the points, workers, the sum of the points' own wall and
CPU seconds (wall >> CPU: the workers waited for a core) and the overhead per
point: (wall x workers - the points' seconds) / points.  Nothing is asserted about speed (a shared 2-core
machine still reports its numbers); the rows must equal the serial run's.
"""

import pytest

import fastroute
from fastroute.planning import sweeps

distributed = pytest.importorskip("distributed")

GRID40 = {"run": "plan", "params": {"nodes": [100, 200, 300, 400, 500], "reflectors": [0, 2],
                                    "block_size": [26, 28], "pods_per_node": [30, 60], "pool": "10.0.0.0/12"}}
TRIVIAL40 = {"run": "plan", "params": {"nodes": 3, "pods_per_node": 3, "pool": "10.244.0.0/16",
                                       "simulate": False, "seed": list(range(40))}}
_serial = {}


@pytest.fixture(scope="module")
def client():
    with sweeps.local_cluster(2) as lc, distributed.Client(lc) as c:
        c.wait_for_workers(2)
        yield c


def _record(benchmark, t, name):
    assert len(t) == 40 and t.n_failed == 0
    info = benchmark.extra_info
    busy = sum(t.meta["point_seconds"])
    # worker time not spent inside the points (scheduling, pickling, transfers, idle tail), per point
    slots = max(1, t.meta["workers"])
    info.update(points=len(t), workers=t.meta["workers"], points_seconds_sum=round(busy, 3),
                points_cpu_seconds_sum=round(sum(t.meta["point_cpu_seconds"]), 3),
                wall_seconds=round(t.meta["wall_seconds"], 3),
                overhead_per_point_ms=round(1e3 * (t.meta["wall_seconds"] * slots - busy) / len(t), 2))
    if name in _serial:
        assert t.rows == _serial[name].rows
    else:
        _serial[name] = t


@pytest.mark.benchmark(group="sweep-grid40")
def test_grid40_serial(benchmark):
    t = benchmark.pedantic(lambda: fastroute.sweep(GRID40, workers=0), rounds=2, iterations=1)
    _record(benchmark, t, "grid40")


@pytest.mark.benchmark(group="sweep-grid40")
def test_grid40_two_workers(benchmark, client):
    t = benchmark.pedantic(lambda: fastroute.sweep(GRID40, client=client), rounds=2, iterations=1)
    _record(benchmark, t, "grid40")


@pytest.mark.benchmark(group="sweep-grid40")
def test_grid40_two_workers_with_startup(benchmark):
    t = benchmark.pedantic(lambda: fastroute.sweep(GRID40, workers=2), rounds=1, iterations=1)
    _record(benchmark, t, "grid40")


@pytest.mark.benchmark(group="sweep-overhead")
def test_overhead_serial(benchmark):
    assert len(sweeps.expand(TRIVIAL40)[1]) == 40
    t = benchmark.pedantic(lambda: fastroute.sweep(TRIVIAL40, workers=0), rounds=5, iterations=1)
    _record(benchmark, t, "trivial")


@pytest.mark.benchmark(group="sweep-overhead")
def test_overhead_two_workers(benchmark, client):
    t = benchmark.pedantic(lambda: fastroute.sweep(TRIVIAL40, client=client), rounds=5, iterations=1)
    _record(benchmark, t, "trivial")
