"""Invariants of Calico routing over generated clusters (fastroute.testing.strategies),
checked hop by hop with fastroute.testing's kernel walk."""

import dataclasses
import ipaddress
import os

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

from fastroute.dataplane import routes, verify
from fastroute.bgp import propagate as routing
from fastroute.testing import strategies as fs
from fastroute import testing
from fastroute.model.resources import BGPConfiguration

N = int(os.environ.get("FASTROUTE_INVARIANT_EXAMPLES", "40"))     # examples per property: the whole module stays well under a minute on 2 cores


def pod_node(c, name):
    ns, pod = name.split("/", 1)
    return c.node_names[int(c.pods.node_idx[c.pods.index(ns, pod)])]


@settings(max_examples=N)
@given(fs.clusters())
def test_every_pod_reaches_every_pod_when_all_nodes_are_up(c):
    testing.assert_all_reachable(c)


@settings(max_examples=N // 2)
@given(fs.clusters(dual_stack=True, max_nodes=4))
def test_every_pod_reaches_every_pod_over_ipv6(c):
    testing.assert_all_reachable(routes.compute(c, 6))


@settings(max_examples=N)
@given(fs.scenarios(max_down=2))
def test_no_forwarding_loops(s):
    testing.assert_no_loops(s.cluster, down=s.down)


@settings(max_examples=N)
@given(fs.scenarios(max_down=1))
def test_blackholes_only_on_a_nodes_own_affine_blocks(s):
    c = s.cluster
    t = routes.compute(c, down=s.down)
    for v, name in enumerate(c.node_names):
        own = {str(b.cidr) for b in c.blocks
               if b.version == 4 and b.affinity == name and b.cidr.prefixlen < 32}
        holes = {r.dst for r in t.routes(name, include_host=True) if r.type == "blackhole"}
        # exactly one blackhole per affine block (BIRD's static, Felix's in VXLAN pools), nothing else
        assert holes == own, f"node {name}: blackholes {sorted(holes)}, affine blocks {sorted(own)}"


# After a node D stops (calico-node stopped cleanly), what is actually true:
#  * BIRD's kernel protocol runs with `persist`, so D keeps every route it had:
#    D's own pods still reach every other pod.
#  * Pools routed by BGP (no encapsulation, IPIP, IPIPCrossSubnet): D's sessions
#    go down and everyone withdraws what D exported, so exactly the pairs
#    (pod on another node -> pod on D) become unreachable -- provided D is not the
#    last route reflector.  A pod on D whose address was borrowed from another
#    node's block is unreachable too (the block's node blackholes it once D's /32
#    is withdrawn); a pod elsewhere holding an address of D's block stays reachable
#    (its own node exports the /32).
#  * When D is the only reflector, every cross-node pair that does not start on D
#    is lost (clients have no session left); pairs from D still work.
#  * VXLAN pools: Felix programs VXLAN routes from IPAM, not BGP, so nothing
#    becomes unreachable at all.

@settings(max_examples=N)
@given(fs.clusters(min_nodes=2), st.data())
def test_a_stopped_node_loses_exactly_its_own_pods(c, data):
    d = data.draw(st.sampled_from(c.node_names), label="down")
    before = testing.reachability(c)
    assert not before
    after = testing.reachability(c, down=[d])
    design = c.fastroute_design
    rrs = {n.name for n in c.nodes if n.rr_cluster_id}
    names = [f"{c.pods.namespace[i]}/{c.pods.name[i]}" for i in range(c.n_pods)]
    pairs = [(a, b) for a in names for b in names if a != b]
    if design["encapsulation"].startswith("VXLAN"):
        expected = set()
    elif rrs and rrs == {d}:
        expected = {(a, b) for a, b in pairs if pod_node(c, a) != d and pod_node(c, a) != pod_node(c, b)}
    else:
        expected = {(a, b) for a, b in pairs if pod_node(c, b) == d and pod_node(c, a) != d}
    assert set(after) == expected, (design, d, sorted(set(after) ^ expected)[:3])


def as_mesh(c):
    nodes = [dataclasses.replace(n, rr_cluster_id=None) for n in c.nodes]
    return c.replace(nodes=nodes, bgp_peers=[],
                     bgp_configurations=[BGPConfiguration(name="default", as_number=64512)])


@settings(max_examples=N)
@given(fs.clusters(min_nodes=2, topologies=("reflectors",)))
def test_a_valid_reflector_design_gives_the_same_reachability_and_tables_as_the_mesh(c):
    mesh = as_mesh(c)
    testing.assert_same_reachability(c, mesh)
    # every prefix has a single originator and iBGP keeps the next hop: same kernel tables
    a, b = routes.compute(c), routes.compute(mesh)
    for name in c.node_names:
        assert a.text(name) == b.text(name), name


@settings(max_examples=25)
@given(fs.clusters(min_nodes=4, max_pods=3, encapsulations=("None", "IPIP"), faults=("split-reflectors",)))
def test_shared_cluster_id_with_split_clients_is_detected(c):
    report = verify.verify(c)
    kinds = {f.kind for f in report.findings}
    assert "shared-cluster-id" in kinds
    # and it is what it claims: clients of one reflector miss the other's clients' pods
    bad = testing.reachability(c)
    half = {n.name: n.labels["half"] for n in c.nodes}
    rr = {n.name for n in c.nodes if n.rr_cluster_id}
    for (a, b) in bad:
        na, nb = pod_node(c, a), pod_node(c, b)
        assert half[na] != half[nb] and na not in rr and nb not in rr, (a, b)
    assert report.n_unreachable_pairs == len(bad)


@settings(max_examples=N)
@given(fs.clusters(allocate=False, max_pods=6))
def test_ipam_never_hands_an_address_out_twice(plan):
    c = plan.allocate()
    owners = {}
    for b in c.blocks:
        for ordinal, o in enumerate(b.owner):
            if o != -1:
                addr = b.net + ordinal
                assert addr not in owners, f"{ipaddress.ip_address(addr)} allocated twice"
                owners[addr] = o
        # the free list and the allocations partition the block
        assert sorted(set(b.unallocated)) == sorted(b.unallocated)
        assert set(b.unallocated) == {k for k, o in enumerate(b.owner) if o == -1}
    ips = c.pods.ipv4[c.pods.ipv4 >= 0]
    assert len(ips) == len(set(ips.tolist())) == c.n_pods
    for i, a in enumerate(c.pods.ipv4.tolist()):
        assert owners.get(a) == i, f"pod {c.pods.name[i]}: {ipaddress.ip_address(a)} is not recorded as its own"
    tunnels = [n.ipv4_ipip_tunnel_addr or n.ipv4_vxlan_tunnel_addr for n in c.nodes]
    tunnels = [int(ipaddress.ip_interface(t).ip) for t in tunnels if t is not None]
    assert len(tunnels) == len(set(tunnels))
    assert not set(tunnels) & set(ips.tolist())


def permuted(graph, perm):
    return routing.SessionGraph(*[getattr(graph, f.name)[perm] for f in dataclasses.fields(routing.SessionGraph)])


@settings(max_examples=N)
@given(fs.clusters(min_nodes=2), st.randoms(use_true_random=False), st.sampled_from(["fast", "reference"]))
def test_best_path_does_not_depend_on_candidate_order(c, rnd, method):
    t = routes.compute(c)
    net = t.network
    classes = t.propagation.classes
    base = routing.propagate(net.speakers, net.graph, classes, method=method)
    perm = np.arange(net.graph.n)
    rnd.shuffle(perm)
    shuffled = routing.propagate(net.speakers, permuted(net.graph, perm), classes, method=method)
    np.testing.assert_array_equal(shuffled.best_next_hop, base.best_next_hop)
    np.testing.assert_array_equal(shuffled.reason, base.reason)
    np.testing.assert_array_equal(shuffled.n_paths, base.n_paths)
    np.testing.assert_array_equal(shuffled.ecmp_count, base.ecmp_count)
    # the same session, under its new row number
    ok = base.best_session >= 0
    inverse = np.argsort(perm)
    np.testing.assert_array_equal(shuffled.best_session[ok], inverse[base.best_session[ok]])


@settings(max_examples=20)
@given(fs.clusters(min_nodes=2, max_nodes=5, topologies=("mesh", "reflectors")))
def test_simulated_cold_start_converges_to_the_steady_state(c):
    converge = pytest.importorskip("fastroute.sim.converge")
    t = routes.compute(c)
    r = converge.simulate(c, "cold_start", keep_state=True)
    assert r.converged
    d = converge.design(c)
    sim = np.asarray(r.final["best_next_hop"])
    prop = t.propagation
    n = c.n_nodes
    for k, origin in enumerate(np.asarray(d.classes).tolist()):
        col = prop.class_of(int(origin))
        if col < 0:
            continue
        np.testing.assert_array_equal(sim[:n, k], prop.best_next_hop[:n, col], err_msg=f"class of node {origin}")
