"""Traffic-matrix benchmarks: 1,000,000 flows on a 1,000-node cluster.

Run: .venv/bin/python -m pytest bench/test_traffic.py --benchmark-json=.benchmarks/traffic.json
``read`` parses a 1M-row CSV (src,dst,bytes); ``matrix`` maps 1M flows (pod to
pod, IPIP CrossSubnet over 4 racks) onto node pairs with batch lookups.
"""

import numpy as np
import pytest

from fastroute.dataplane import routes, traffic
from fastroute.model import synth
from fastroute.addr import format_addresses

N_FLOWS = 1_000_000


@pytest.fixture(scope="module")
def setup(tmp_path_factory):
    c = synth.cluster(1000, 30, pools=["10.0.0.0/8"], encapsulation="IPIPCrossSubnet", racks=4).allocate()
    tables = routes.compute(c)
    rng = np.random.default_rng(0)
    pods = c.pods.ipv4.astype(np.uint32)
    s, d = rng.choice(pods, N_FLOWS), rng.choice(pods, N_FLOWS)
    b = rng.integers(1, 10**6, N_FLOWS)
    path = tmp_path_factory.mktemp("flows") / "flows.csv"
    with open(path, "w") as f:
        f.write("src,dst,bytes\n")
        f.write("".join(f"{x},{y},{z}\n" for x, y, z in zip(format_addresses(s), format_addresses(d), b.tolist())))
    return tables, s, d, b, path


@pytest.mark.benchmark(group="traffic")
def test_read_1m(benchmark, setup):
    path = setup[4]
    r = benchmark.pedantic(traffic.read_flows, args=(path,), rounds=3, iterations=1)
    assert len(r["src"]) == N_FLOWS


@pytest.mark.benchmark(group="traffic")
def test_matrix_1m(benchmark, setup):
    tables, s, d, b, _ = setup
    t = benchmark.pedantic(traffic.matrix, args=(tables, s, d, b), rounds=3, iterations=1)
    benchmark.extra_info["flows_per_second"] = N_FLOWS / benchmark.stats.stats.mean
    assert t.outcome_flows["delivered"] == N_FLOWS
