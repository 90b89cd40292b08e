"""Route computation benchmarks: every node's table of a synthetic cluster.

Run: .venv/bin/python -m pytest bench/test_routes.py --benchmark-json=.benchmarks/routes.json
Each benchmark runs the whole pipeline from an allocated cluster: confd's
sessions, propagation to the steady state, and every node's BGP routes as one
(node x prefix) next-hop matrix.  extra_info records the peak RSS of the process.

The large runs (``test_reflectors_20000``, ``test_scaling``) each run in a fresh
process (``python bench/test_routes.py N REFLECTORS THREADS dense|stream``, which
prints its figures as JSON), so that the peak RSS is that computation's alone;
extra_info holds the child's timings: ``compute_s`` (``routes.compute``),
``tables_s`` (every node's table: the dense ``route_matrix``, or
``route_matrix_chunks(reuse=True)`` streamed: blocks made ahead on the worker
threads into the same few buffers, as a caller that reduces or writes out each block
reads them), ``peak_rss_mb`` and ``cluster_rss_mb`` (the
allocated cluster alone, before the computation).  Old code side by side: the same
command with ``PYTHONPATH=<older checkout>/src``.
"""

import json
import resource
import subprocess
import sys
import time

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


def _peak_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _record(benchmark, c, t, nh):
    benchmark.extra_info["nodes"] = c.n_nodes
    benchmark.extra_info["sessions"] = int(t.network.graph.n)
    benchmark.extra_info["routes"] = int((nh != -2).sum())
    benchmark.extra_info["peak_rss_mb"] = _peak_mb()


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
def test_compute_again_5000(benchmark, design):
    """``routes.compute`` of a 5,000-node cluster computed before in the same process (a
    what-if sweep recomputes one cluster under changes): sessions, prefixes and the
    closed-form propagation, no matrix."""
    c = cluster(5000, 0 if design == "mesh" else 3)
    benchmark.group = "routes-5000-compute-again"
    t = benchmark.pedantic(routes.compute, (c,), rounds=14, iterations=1, warmup_rounds=1)
    assert t.network.n_nodes == 5000


@pytest.mark.parametrize("design", ["mesh", "rr3"])
@pytest.mark.parametrize("method", ["fast", "reference"])
def test_fast_vs_reference_300(benchmark, design, method):
    c = cluster(300, 0 if design == "mesh" else 3)
    benchmark.group = f"routes-300-{design}"
    t, prefixes, nh = benchmark.pedantic(all_tables, (c, method), rounds=1, iterations=1)
    _record(benchmark, c, t, nh)
    assert (nh != -2).all()


# ---------------------------------------------------------------------------- one computation per process


def measure(n, reflectors, threads=2, dense=True):
    """Figures of one computation in a fresh process (see the module docstring); ``dense="node"``:
    one node's table instead of every node's; ``dense="write"``: the matrix written alone (:func:`_measure_write`)."""
    mode = dense if isinstance(dense, str) else "dense" if dense else "stream"
    out = subprocess.run([sys.executable, __file__, str(n), str(reflectors), str(threads), mode],
                         capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def _measure_here(n, reflectors, threads, dense):
    c = cluster(n, reflectors)
    before = _peak_mb()
    t0 = time.perf_counter()
    try:
        t = routes.compute(c, threads=threads)
    except TypeError:                   # older code: no threads argument
        t = routes.compute(c)
    t.n_threads = threads
    t1 = time.perf_counter()
    nh = None
    if dense or not hasattr(t, "route_matrix_chunks"):
        prefixes, nh = t.route_matrix()
    else:
        n_prefixes, missing = 0, 0
        try:
            chunks = t.route_matrix_chunks(reuse=True)
        except TypeError:               # older code: a fresh array per block
            chunks = t.route_matrix_chunks()
        for _, prefixes, block in chunks:
            n_prefixes, missing = len(prefixes), missing + int(np.count_nonzero(block == -2))
    t2 = time.perf_counter()
    if nh is not None:      # the dense matrix is checked outside the timed window (a 200 MB pass of its own)
        n_prefixes, missing = len(prefixes), int(np.count_nonzero(nh == -2))
    return {"nodes": n, "reflectors": reflectors, "threads": threads, "dense": bool(dense),
            "compute_s": round(t1 - t0, 3), "tables_s": round(t2 - t1, 3), "total_s": round(t2 - t0, 3),
            "peak_rss_mb": round(_peak_mb()), "cluster_rss_mb": round(before), "prefixes": n_prefixes,
            "missing_routes": missing}


def _measure_one_node(n, reflectors):
    """One node's table (``fib``, as ``routes --node``, ``lookup`` and ``trace`` read it), then a second node's."""
    c = cluster(n, reflectors)
    t0 = time.perf_counter()
    t = routes.compute(c)
    t1 = time.perf_counter()
    first = t.routes(c.nodes[n // 3].name)
    t.fib(c.nodes[n // 3].name)
    t2 = time.perf_counter()
    t.fib(c.nodes[n // 2].name)
    t3 = time.perf_counter()
    return {"nodes": n, "reflectors": reflectors, "compute_s": round(t1 - t0, 3), "first_node_s": round(t2 - t1, 3),
            "next_node_s": round(t3 - t2, 3), "routes": len(first), "peak_rss_mb": round(_peak_mb())}


def test_one_node_table_20000(benchmark):
    """One node's table of a 20,000-node 3-reflector design (its rows only, not the whole plane)."""
    benchmark.group = "routes-20000-rr3-one-node"
    figures = benchmark.pedantic(measure, (20_000, 3, 2, "node"), rounds=1, iterations=1)
    benchmark.extra_info.update(figures)
    assert figures["routes"] >= 2 * 20_000


def _check(benchmark, figures, n):
    benchmark.extra_info.update(figures)
    assert figures["prefixes"] == 2 * n and figures["missing_routes"] == 0


def test_reflectors_20000(benchmark):
    """20,000 nodes with 3 reflectors: every node's table streamed in blocks of nodes."""
    benchmark.group = "routes-20000-rr3"
    figures = benchmark.pedantic(measure, (20_000, 3, 2, False), rounds=1, iterations=1)
    _check(benchmark, figures, 20_000)


def test_reflectors_20000_dense(benchmark):
    """The same, with the dense (node x prefix) matrix on request (3.2 GB of int32 by itself)."""
    benchmark.group = "routes-20000-rr3"
    figures = benchmark.pedantic(measure, (20_000, 3, 2, True), rounds=1, iterations=1)
    _check(benchmark, figures, 20_000)


def measure_median(n, reflectors, threads=2, dense=True, runs=3):
    """:func:`measure` ``runs`` times (a fresh process each); each timing is the median of the runs:
    the first writes into fresh memory vary by a factor of ten from run to run on a busy machine."""
    runs = [measure(n, reflectors, threads, dense) for _ in range(runs)]
    out = dict(runs[-1])
    for key in ("compute_s", "tables_s", "total_s"):
        out[key] = float(np.median([r[key] for r in runs]))
        out[key + "_runs"] = [r[key] for r in runs]
    return out


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("n,reflectors", [(1000, 0), (5000, 0), (1000, 3), (5000, 3), (20_000, 3)])
def test_scaling(benchmark, n, reflectors, threads):
    """The 1- vs 2-thread table: every node's table (dense up to 5,000 nodes, streamed at 20,000);
    medians of 5 processes up to 5,000 nodes, of 3 at 20,000."""
    benchmark.group = f"routes-scaling-{n}-{'mesh' if reflectors == 0 else f'rr{reflectors}'}"
    figures = benchmark.pedantic(measure_median, (n, reflectors, threads, n <= 5000, 5 if n <= 5000 else 3),
                                 rounds=1, iterations=1)
    _check(benchmark, figures, n)


def _measure_write(n, threads):
    """The floor under every-node tables: write an int32 (n x 2n) matrix once into fresh memory
    (``routes._large_array``, as ``route_matrix`` allocates it), a row block per task on
    ``threads`` threads, with nothing computed: what any implementation must at least do."""
    from concurrent.futures import ThreadPoolExecutor
    row = np.arange(2 * n, dtype=np.int32)
    t0 = time.perf_counter()
    out = routes._large_array((n, 2 * n), np.int32)
    blocks = [slice(a, min(a + routes._CHUNK_ROWS, n)) for a in range(0, n, routes._CHUNK_ROWS)]

    def fill(rows):
        out[rows] = row
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(fill, blocks))
    t1 = time.perf_counter()
    return {"nodes": n, "threads": threads, "write_s": round(t1 - t0, 4), "last": int(out[n - 1, 2 * n - 1])}


def measure_write_median(n, threads, runs=5):
    out = [measure(n, 0, threads, "write") for _ in range(runs)]
    assert all(r["last"] == 2 * n - 1 for r in out)       # the matrix was written to its end
    return {"nodes": n, "threads": threads, "write_s": float(np.median([r["write_s"] for r in out])),
            "write_s_runs": [r["write_s"] for r in out]}


@pytest.mark.parametrize("threads", [1, 2])
def test_scaling_write_floor(benchmark, threads):
    """Beside ``test_scaling``'s 5,000-node rows: writing the 5,000 x 10,000 next-hop matrix
    alone (200 MB, nothing computed), 1 and 2 threads, medians of 5 processes.  Its 2- to
    1-thread ratio bounds what a second core can give the whole computation on this machine."""
    benchmark.group = "routes-scaling-5000-write-floor"
    figures = benchmark.pedantic(measure_write_median, (5000, threads), rounds=1, iterations=1)
    benchmark.extra_info.update(figures)


if __name__ == "__main__":
    a = sys.argv[1:]
    if a[3] == "write":
        print(json.dumps(_measure_write(int(a[0]), int(a[2]))))
    elif a[3] == "node":
        print(json.dumps(_measure_one_node(int(a[0]), int(a[1]))))
    else:
        print(json.dumps(_measure_here(int(a[0]), int(a[1]), int(a[2]), a[3] == "dense")))
