"""Loading benchmarks: a 1,000-node x 110-pod dump (YAML as ``fastroute export`` prints it,
one document per resource), read the current way and the previous way in the same run.

Run: .venv/bin/python -m pytest bench/test_load.py --benchmark-only
Target (issue 14): the whole load, YAML text to Cluster, in at most 3 s on the 2-core machine.
``previous`` reads the same text with PyYAML's CSafeLoader (libyaml) and the garbage
collector running, as the loader did before the block-YAML kernel.
"""

import gc

import pytest
import yaml

from fastroute.model import cluster, reader, synth

TARGET_S = 3.0


@pytest.fixture(scope="module")
def dump_1000x110(tmp_path_factory):
    path = tmp_path_factory.mktemp("load") / "c1000.yaml"
    with open(path, "w", encoding="utf-8") as f:
        synth.cluster(1000, 110, pools=["10.0.0.0/8"], seed=0).allocate().dump(f)
    return str(path)


def _previous(path):
    """The loader before: every document through PyYAML's CSafeLoader, GC on."""
    assert gc.isenabled()
    with open(path, encoding="utf-8") as f:
        docs = list(yaml.load_all(f.read(), Loader=yaml.CSafeLoader))
    return cluster.Cluster.from_resources(reader._finish(reader.parse_documents(docs, path)))


@pytest.mark.benchmark(group="load")
def test_load_1000_nodes_110_pods(benchmark, dump_1000x110):
    c = benchmark.pedantic(cluster.load, args=(dump_1000x110,), rounds=3, iterations=1)
    benchmark.extra_info["ops"] = c.n_pods
    assert (c.n_nodes, c.n_pods, c.n_blocks) == (1000, 110_000, 2000)
    assert benchmark.stats.stats.max <= TARGET_S


@pytest.mark.benchmark(group="load")
def test_load_1000_nodes_110_pods_previous_way(benchmark, dump_1000x110):
    c = benchmark.pedantic(_previous, args=(dump_1000x110,), rounds=1, iterations=1)
    benchmark.extra_info["ops"] = c.n_pods
    assert c.n_pods == 110_000
