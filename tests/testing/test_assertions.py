"""fastroute.testing: the kernel walk and the assertions' messages."""

import copy
import dataclasses

import numpy as np
import pytest

from fastroute.model import examples, synth
from fastroute.dataplane import routes
from fastroute import testing
from fastroute.errors import InvalidArgumentError, InvalidValueError, UnknownNodeError
from fastroute.dataplane.routes import RouteTables

ECHO_MASTER = "echo-deployment-598f49cc44-td2lf"     # 10.244.219.66 on master
ECHO_NODE1 = "10.244.166.129"                         # a pod on node1


@pytest.fixture(scope="module")
def seed():
    return examples.seed()


def test_reachable_by_name_namespace_name_and_address(seed):
    testing.assert_reachable(seed, ECHO_MASTER, ECHO_NODE1)
    testing.assert_reachable(seed, f"default/{ECHO_MASTER}", ECHO_NODE1)
    testing.assert_reachable(seed, "10.244.219.66", ECHO_NODE1)
    testing.assert_reachable(seed, "node2", ECHO_NODE1)          # from a node
    testing.assert_all_reachable(seed)


def test_walk_lists_the_hops(seed):
    (w,) = testing.walk(seed, ECHO_MASTER, ECHO_NODE1)
    assert w.ok and w.where == "node1"
    assert [h.speaker for h in w.hops] == ["master", "node1"]
    assert w.hops[0].route == "10.244.166.128/26 via 192.168.31.202 dev ens33 proto bird"
    assert w.hops[1].route.startswith("10.244.166.129 dev cali")


def test_unreachable_message_names_pods_nodes_and_path(seed):
    with pytest.raises(AssertionError) as e:
        testing.assert_reachable(seed, ECHO_MASTER, ECHO_NODE1, down=["node1"])
    msg = str(e.value)
    assert f"default/{ECHO_MASTER} (10.244.219.66 on master) does not reach" in msg
    assert "(10.244.166.129 on node1)" in msg
    # node1's routes are withdrawn: master's default route takes the packet out of the cluster
    assert "master: default via 192.168.31.1 dev ens33" in msg and "left the cluster" in msg


def test_blackhole_at_the_blocks_node():
    # a /26 pool holds one block: node-1 borrows, and with node-1 down its /32 is withdrawn
    c = synth.cluster(2, 3, pools=("10.10.0.0/26",)).allocate()
    addr, borrower, _ = c.borrowed()[0]
    ip = str(__import__("ipaddress").IPv4Address(addr))
    other = c.node_names[1 - borrower]
    with pytest.raises(AssertionError, match=rf"(?s){other}: blackhole 10\.10\.0\.0/26 proto bird.*-> blackhole"):
        testing.assert_reachable(c, other, ip, down=[c.node_names[borrower]])


def test_unknown_pod():
    with pytest.raises(UnknownNodeError, match="'nope'"):
        testing.walk(examples.seed(), ECHO_MASTER, "nope")


def test_assert_route(seed):
    testing.assert_route(seed, "master", "10.244.166.128/26", via="192.168.31.202", dev="ens33", proto="bird")
    testing.assert_route(seed, "master", "10.244.219.64/26", type="blackhole")
    with pytest.raises(AssertionError, match=r"node master: route to 10\.244\.166\.128/26 has via '192\.168\.31\.202', "
                       r"expected '192\.168\.31\.203'"):
        testing.assert_route(seed, "master", "10.244.166.128/26", via="192.168.31.203")
    with pytest.raises(AssertionError, match=r"node master: no route to 10\.244\.166\.128/27; covering routes: .*"
                       r"10\.244\.166\.128/26 via 192\.168\.31\.202"):
        testing.assert_route(seed, "master", "10.244.166.128/27")


def looped(c, dst_node=0, a=1, b=2):
    """Tables where nodes a and b send dst_node's routes to each other."""
    t = routes.compute(c)
    prop = copy.deepcopy(t.propagation)
    k = prop.class_of(dst_node)
    prop.best_next_hop[a, k] = b
    prop.best_next_hop[b, k] = a
    return RouteTables(t.network, prop)


def test_loops_are_found_and_shown():
    c = synth.cluster(3, 1, pools=("10.10.0.0/16",)).allocate()
    testing.assert_no_loops(c)
    t = looped(c)
    with pytest.raises(AssertionError, match=r"(?s)forwarding loop toward 10\.10\.\S+ from node node-1 "
                       r"\(back at node-1\).*node-1: .* via 172\.16\.0\.3.*node-2: .* via 172\.16\.0\.2"):
        testing.assert_no_loops(t)
    (w,) = testing.walk(t, "node-1", c.pods[0].ipv4)
    assert w.outcome == "loop"


def test_same_reachability_reports_the_difference(seed):
    testing.assert_same_reachability(seed, examples.seed())
    cut = routes.compute(seed, down=["node1"])
    with pytest.raises(AssertionError, match=r"(?s)reachability differs \(0 \+ 9 pairs\).*unreachable only in the second"):
        testing.assert_same_reachability(seed, cut)


def test_tables_with_down_are_refused(seed):
    with pytest.raises(InvalidValueError, match="down= applies to a Cluster"):
        testing.assert_all_reachable(routes.compute(seed), down=["node1"])
    with pytest.raises(InvalidArgumentError, match="expected a Cluster or RouteTables, got int"):
        testing.assert_all_reachable(3)


def test_tor_design_stays_on_the_mesh_and_tor_only_reaches_nobody():
    # external routers learn everything and announce nothing (fastroute.bgp.propagate): pod traffic uses the mesh
    from hypothesis import find
    from fastroute.testing import strategies as fs
    two = lambda c: len(set(c.pods.node_idx.tolist())) >= 2
    c = find(fs.clusters(min_nodes=2, topologies=("tor",), encapsulations=("None",)), two)
    a, b = 0, int(np.flatnonzero(c.pods.node_idx != c.pods.node_idx[0])[0])
    (w,) = testing.walk(c, f"default/{c.pods.name[a]}", f"default/{c.pods.name[b]}")
    assert w.ok and len(w.hops) == 2
    lonely = find(fs.clusters(min_nodes=2, encapsulations=("None",), faults=("tor-only",)), two)
    with pytest.raises(AssertionError, match="no route"):
        testing.assert_all_reachable(lonely)


def test_a_run_of_assertions_on_one_cluster_computes_its_tables_once(monkeypatch):
    c = synth.cluster(4, 3, pools=("10.10.0.0/16",)).allocate()
    calls = []
    compute = routes.compute
    monkeypatch.setattr(routes, "compute", lambda *a, **k: calls.append(k.get("down")) or compute(*a, **k))
    testing.assert_no_loops(c)
    for src in c.pods:
        for dst in c.pods:
            testing.assert_reachable(c, src.ipv4, dst.ipv4)
    testing.assert_all_reachable(c)
    assert calls == [()]
    # stopped nodes are another routing; the cluster's own is still there afterwards
    with pytest.raises(AssertionError):
        testing.assert_reachable(c, c.pods[0].name, c.pods[-1].ipv4, down=[c.node_names[-1]])
    assert calls[:2] == [(), [c.node_names[-1]]]
    n = len(calls)
    testing.assert_reachable(c, c.pods[0].name, c.pods[-1].ipv4)
    assert len(calls) == n


def test_the_cache_follows_a_rebound_cluster_attribute():
    c = synth.cluster(3, 1, pools=("10.10.0.0/16",)).allocate()
    dst = c.pods[-1].ipv4
    testing.assert_reachable(c, "node-0", dst)
    c.bgp_configurations = (dataclasses.replace(c.bgp_configurations[0], node_to_node_mesh=False),)
    with pytest.raises(AssertionError, match="does not reach"):
        testing.assert_reachable(c, "node-0", dst)



def test_every_helper_takes_precomputed_tables_and_computes_nothing(seed, monkeypatch):
    t = routes.compute(seed)
    calls = []
    monkeypatch.setattr(routes, "compute", lambda *a, **k: calls.append(a) or pytest.fail("tables recomputed"))
    testing.assert_reachable(t, "10.244.219.66", "10.244.166.129")
    testing.assert_all_reachable(t)
    testing.assert_no_loops(t)
    testing.assert_same_reachability(t, t)
    testing.assert_route(t, "master", "10.244.166.128/26", via="192.168.31.202")
    (w,) = testing.walk(t, "10.244.219.66", "10.244.166.129")
    assert w.ok and testing.reachability(t) == {}          # no pair fails
    assert calls == []
