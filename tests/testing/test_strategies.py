"""fastroute.testing.strategies: what they draw, how they shrink, and that fastroute imports without hypothesis."""

import ipaddress
import subprocess
import sys

import pytest
from hypothesis import find, given, settings

from fastroute import Fib
from fastroute.testing import strategies as fs
from fastroute.errors import InvalidValueError


@settings(max_examples=50)
@given(fs.addresses(4, within="10.244.0.0/16"), fs.addresses(6))
def test_addresses(a, b):
    assert a in ipaddress.ip_network("10.244.0.0/16")
    assert b.version == 6


@settings(max_examples=50)
@given(fs.prefixes(4, min_len=8, max_len=28, within="10.0.0.0/8"), fs.prefixes(6, max_len=64))
def test_prefixes_are_strict_and_inside(p, q):
    assert ipaddress.ip_network(str(p), strict=True) == p
    assert 8 <= p.prefixlen <= 28 and p.subnet_of(ipaddress.ip_network("10.0.0.0/8"))
    assert q.version == 6 and q.prefixlen <= 64


@settings(max_examples=30)
@given(fs.prefix_tables(4))
def test_prefix_tables_load_into_a_fib(table):
    fib = Fib(4)
    for k, v in table.items():
        fib[k] = v
    assert len(fib) == len(table)


def test_minimal_examples_are_small_and_readable():
    once = settings(database=None)      # shrink from scratch, not from a saved example
    assert find(fs.addresses(4), lambda a: True, settings=once) == ipaddress.IPv4Address("0.0.0.0")
    c = find(fs.clusters(), lambda c: True, settings=once)
    assert repr(c) == ("DrawnCluster(topology='mesh', encapsulation='None', pool='10.244.0.0/16', block_size=26, "
                       "racks=1, pods_per_node=[0])")
    # the smallest cluster that borrows: two nodes sharing a one-block pool
    b = find(fs.clusters(encapsulations=("None",)), lambda c: len(c.borrowed()) > 0, settings=once)
    assert repr(b) == ("DrawnCluster(topology='mesh', encapsulation='None', pool='10.244.0.0/26', block_size=26, "
                       "racks=1, pods_per_node=[1, 1], blocks=['10.244.0.0/26->node-0'], borrowed=['10.244.0.1@node-1'])")
    r = find(fs.clusters(), lambda c: c.fastroute_design["topology"] == "reflectors", settings=once)
    assert r.n_nodes == 2 and r.fastroute_design["reflectors"] == 1


@settings(max_examples=40)
@given(fs.clusters())
def test_clusters_are_allocated_and_describe_their_design(c):
    assert c.is_allocated
    d = c.fastroute_design
    assert set(d) >= {"topology", "encapsulation", "pool", "block_size", "racks", "reflectors", "fault"}
    rr = [n for n in c.nodes if n.rr_cluster_id]
    assert len(rr) == d["reflectors"]
    if d["topology"] == "reflectors":
        assert 0 < len(rr) < c.n_nodes and not c.bgp_config.mesh_enabled
    if d["topology"] == "tor":
        assert [p.peer_ip for p in c.bgp_peers] == [fs.TOR_IP]


@settings(max_examples=20)
@given(fs.scenarios(max_down=2))
def test_scenarios_draw_down_nodes_of_the_cluster(s):
    assert s.down <= set(s.cluster.node_names) and len(s.down) <= 2


@settings(max_examples=10)
@given(fs.route_tables(down=True, max_nodes=3))
def test_route_tables(t):
    for name in t.cluster.node_names:
        t.routes(name)


@settings(max_examples=20)
@given(fs.clusters(faults=fs.FAULTS, max_nodes=5))
def test_every_fault_is_drawn_with_its_topology(c):
    f = c.fastroute_design["fault"]
    assert f in fs.FAULTS
    needs = {"tor-only": "tor", "split-reflectors": "reflectors", "lonely-node": "reflectors"}
    if f in needs:
        assert c.fastroute_design["topology"] == needs[f]
    if f == "tor-only":
        assert not c.bgp_config.mesh_enabled and [p.peer_ip for p in c.bgp_peers] == [fs.TOR_IP]
    if f == "lonely-node":
        assert [n.name for n in c.nodes if n.labels.get("lonely") == "true"] == [c.node_names[-1]]
    if f == "no-export":
        assert all(p.disable_bgp_export for p in c.pools)


def test_bad_arguments():
    with pytest.raises(InvalidValueError, match="invalid IP version 5"):
        fs.addresses(5)
    with pytest.raises(InvalidValueError, match=r"invalid prefix lengths 9\.\.8"):
        fs.prefixes(4, min_len=9, max_len=8)
    with pytest.raises(InvalidValueError, match="invalid topology 'ring'"):
        fs.clusters(topologies=("ring",))
    with pytest.raises(InvalidValueError, match="not an IPv6 network"):
        fs.addresses(6, within="10.0.0.0/8")


def test_fastroute_imports_without_hypothesis():
    code = ("import sys; sys.modules['hypothesis'] = None\n"
            "import fastroute, fastroute.testing.strategies, fastroute.testing, fastroute.dataplane.verify\n"
            "try:\n    fastroute.testing.strategies.clusters()\nexcept ImportError as e:\n    print(e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert "fastroute.testing.strategies needs hypothesis" in out


def test_missing_hypothesis_is_a_fastroute_error():
    code = ("import sys; sys.modules['hypothesis'] = None\n"
            "from fastroute.errors import MissingDependencyError\n"
            "import fastroute.testing.strategies as fs\n"
            "try:\n    fs.addresses()\nexcept MissingDependencyError as e:\n    print(type(e).__name__, e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("MissingDependencyError fastroute.testing.strategies needs hypothesis")
