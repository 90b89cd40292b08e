"""Tests for fastroute.model.synth: synthetic plans, and the fast IPAM path against the reference."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastroute.model import ipam, synth
from fastroute.errors import InvalidValueError, IPAMError


def test_shape_of_a_plan():
    c = synth.cluster(10, 3, pools=["10.244.0.0/16"], racks=2, node_name="w{rack}-{i}")
    assert c.n_nodes == 10 and c.n_pods == 30 and not c.blocks
    assert c.node_names[:2] == ("w0-0", "w0-1") and c.node_names[5] == "w1-5"
    assert str(c.nodes[0].ipv4) == "172.16.0.1/24" and str(c.nodes[5].ipv4) == "172.16.1.1/24"
    assert c.nodes[7].labels["rack"] == "rack-1"
    # Round-robin order: pod k of every node, then k+1.
    assert c.pods.node_idx[:10].tolist() == list(range(10))
    assert c.pods.name[:2] == ["pod-w0-0-0", "pod-w0-1-0"]


def test_by_node_order_and_counts():
    c = synth.cluster(3, [2, 0, 1], pools=["10.244.0.0/16"], pod_order="by-node")
    assert c.pods.node_idx.tolist() == [0, 0, 2]
    assert c.pods.name == ["pod-node-0-0", "pod-node-0-1", "pod-node-2-0"]


def test_distributions_are_seeded():
    a = synth.pod_counts(50, ("poisson", 30), np.random.default_rng(4))
    b = synth.pod_counts(50, ("poisson", 30), np.random.default_rng(4))
    assert np.array_equal(a, b) and a.mean() > 20
    u = synth.pod_counts(100, ("uniform", 5, 7), np.random.default_rng(1))
    assert u.min() >= 5 and u.max() <= 7
    ch = synth.pod_counts(100, ("choice", [1, 9], [0, 1]), np.random.default_rng(1))
    assert set(ch.tolist()) == {9}


def test_reflectors_global_and_per_rack():
    g = synth.cluster(6, 0, pools=["10.244.0.0/16"], reflectors=2)
    assert [n.rr_cluster_id for n in g.nodes] == ["244.0.0.1"] * 2 + [None] * 4
    assert not g.bgp_config.mesh_enabled and g.bgp_peers[0].peer_selector == "route-reflector == 'true'"
    r = synth.cluster(6, 0, pools=["10.244.0.0/16"], racks=3, reflectors=1, reflector_placement="per-rack")
    assert [n.name for n in r.nodes if n.rr_cluster_id] == ["node-0", "node-2", "node-4"]
    assert len(r.bgp_peers) == 4


def test_encapsulation_and_bad_arguments():
    c = synth.cluster(2, 1, pools=["10.244.0.0/16"], encapsulation="IPIPCrossSubnet").allocate()
    assert c.pools[0].ipip_mode == "CrossSubnet" and all(n.ipv4_ipip_tunnel_addr for n in c.nodes)
    with pytest.raises(InvalidValueError, match="invalid reflector_placement 'rack'"):
        synth.cluster(2, 1, reflector_placement="rack")
    with pytest.raises(InvalidValueError, match="invalid pods_per_node"):
        synth.cluster(2, [1, 2, 3])
    with pytest.raises(InvalidValueError, match="invalid n_nodes 0"):
        synth.cluster(0)


def test_large_plan_uses_two_blocks_per_node():
    c = synth.cluster(200, 110, pools=["10.0.0.0/16"]).allocate("fast")
    assert len(c.blocks) == 400 and c.is_allocated
    assert len(set(c.pods.ipv4.tolist())) == c.n_pods


@settings(max_examples=40, deadline=None)
@given(
    n_nodes=st.integers(1, 40),
    pods=st.one_of(st.integers(0, 70), st.tuples(st.just("uniform"), st.just(0), st.integers(0, 140))),
    block_size=st.integers(24, 28),
    encapsulation=st.sampled_from(["None", "IPIP", "VXLANCrossSubnet"]),
    order=st.sampled_from(["round-robin", "by-node"]),
    seed=st.integers(0, 2**16),
    two_pools=st.booleans(),
)
def test_fast_path_equals_reference(n_nodes, pods, block_size, encapsulation, order, seed, two_pools):
    pools = ["10.244.0.0/18", "10.250.0.0/20"] if two_pools else ["10.244.0.0/18"]
    plan = synth.cluster(n_nodes, pods, pools=pools, block_size=block_size, encapsulation=encapsulation,
                         pod_order=order, seed=seed)
    try:
        ref = ipam.allocate(plan, "reference")
    except IPAMError:
        with pytest.raises((IPAMError, ValueError)):
            ipam.allocate(plan, "fast")
        return
    try:
        fast = ipam.allocate(plan, "fast")
    except ValueError:
        return  # exhaustion/borrowing: only the reference path does that
    assert fast.blocks == ref.blocks
    assert np.array_equal(fast.pods.ipv4, ref.pods.ipv4)
    assert fast.nodes == ref.nodes and fast.extra_owners == ref.extra_owners


def test_fast_path_equals_reference_dual_stack():
    plan = synth.cluster(12, ("uniform", 0, 90), pools=["10.244.0.0/16", "fd00:10:244::/64"], seed=5)
    ref, fast = ipam.allocate(plan, "reference"), ipam.allocate(plan, "fast")
    assert fast.blocks == ref.blocks and fast.pods.ipv6 == ref.pods.ipv6
    assert all(v is not None for v in fast.pods.ipv6)


@pytest.mark.parametrize("pattern", ["pod-{node}-{k}", "{node}{k}", "p{node}-{k}x", "{k}-{node}", "pod-{i}",
                                     "{node}-{k}-{i}", "a{node:>9}{k}", "{node}{k!r}", "{{x}}{node}-{k}", "{node}-{k}}}x"])
def test_pod_names_are_the_pattern_formatted_per_pod(pattern):
    c = synth.cluster(7, ("uniform", 0, 5), pod_name=pattern, seed=3)
    names, node_of = c.node_names, c.pods.node_idx.tolist()
    k_of = [node_of[:j].count(a) for j, a in enumerate(node_of)]
    assert list(c.pods.name) == [pattern.format(node=names[a], k=b, i=j)
                                 for j, (a, b) in enumerate(zip(node_of, k_of))]
