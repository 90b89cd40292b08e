"""fastroute verify at 1,000 nodes x 110 pods (the issue's budget: 10 s)."""

import pytest

from fastroute.dataplane import routes, verify
from fastroute.model import synth


@pytest.fixture(scope="module", params=[0, 3], ids=["mesh", "3-reflectors"])
def big(request):
    return synth.cluster(1000, 110, pools=("10.0.0.0/8",), reflectors=request.param, seed=1).allocate()


@pytest.mark.benchmark(group="verify")
def test_verify_1000_nodes_110_pods(benchmark, big):
    r = benchmark.pedantic(verify.verify, args=(big,), rounds=3, iterations=1)
    assert r.ok and r.n_pod_pairs == 110_000 * 109_999
    assert benchmark.stats.stats.max < 10.0


@pytest.mark.benchmark(group="verify")
def test_verify_1000_nodes_one_down(benchmark, big):
    r = benchmark.pedantic(verify.verify, args=(big,), kwargs={"down": ["node-500"]}, rounds=3, iterations=1)
    assert r.n_unreachable_pairs == 110 * (110_000 - 110)
    assert benchmark.stats.stats.max < 10.0


@pytest.mark.benchmark(group="verify")
def test_verify_matrix_only(benchmark, big):
    t = routes.compute(big)
    benchmark.pedantic(verify.reach_matrix, args=(t,), rounds=3, iterations=1)
