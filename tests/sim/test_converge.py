"""Tests of fastroute.sim.converge: the convergence simulator."""

import ipaddress
import json

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastroute.bgp import network
from fastroute.sim import converge
from fastroute.sim import design as design_module
from fastroute.model import examples, synth
from fastroute.bgp import propagate as routing
from fastroute.errors import ConvergenceError, InvalidValueError, UnknownNodeError


def small(n=8, reflectors=0, racks=2, pods=3, seed=1, pools=("10.244.0.0/16",)):
    return synth.cluster(n, pods_per_node=pods, pools=list(pools), reflectors=reflectors, racks=racks,
                         seed=seed).allocate()


def without_cost(r):
    d = r.to_dict()
    d.pop("cost")
    return d


def assert_matches_reference(d, r):
    ref = routing.propagate_reference(d.speakers, d.graph, d.classes)
    np.testing.assert_array_equal(r.final["best_next_hop"], ref.best_next_hop)
    np.testing.assert_array_equal(r.final["best_session"], ref.best_session)
    np.testing.assert_array_equal(r.final["n_paths"], ref.n_paths)
    # the kernel holds the best path's next hop (local: the blackhole, -1)
    np.testing.assert_array_equal(r.final["fib_next_hop"], ref.best_next_hop)


def assert_same_universe(d):
    a = converge.universe(d, "fast")
    b = converge.universe(d, "reference")
    for f in ("holder", "row", "parent", "cls", "next_hop", "attr_bytes"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f)


# ---------------------------------------------------------------------------- cold start


def test_seed_cold_start_counts():
    r = converge.simulate(examples.seed(), "cold_start", keep_state=True)
    c = examples.seed()
    d = converge.design(c)
    assert r.converged
    assert r.sessions["total"] == 3                       # 3 nodes: n(n-1)/2
    assert r.sessions["per_node"]["max"] == 2
    # every class reaches every other node once: one UPDATE per (class, receiving session)
    assert r.updates["messages"] == len(d.classes) * 2
    assert r.updates["prefix_advertisements"] == int(d.n_prefix.sum()) * 2
    # sessions open after BIRD's 2 s connect delay
    assert 2.0 < r.time_to_converge < 2.0 + 1.0 + 0.1
    assert_matches_reference(d, r)
    assert r.series["routes_installed"][-1] == int(np.sum(r.tables["per_node"]["fib"]))


def test_mesh_and_reflector_counts():
    mesh = converge.simulate(small(10), "cold_start")
    rr = converge.simulate(small(10, reflectors=2), "cold_start")
    assert mesh.sessions["total"] == 10 * 9 // 2
    assert rr.sessions["total"] == 2 * 8 + 1               # k(n-k) + k(k-1)/2
    assert rr.sessions["per_reflector"] == [9, 9]
    # reflected copies: each client hears every other class from both reflectors
    assert rr.tables["adj_rib_in"]["max"] > mesh.tables["adj_rib_in"]["max"]
    assert rr.memory["per_reflector_bytes"][0] > rr.memory["per_node_bytes"]["max"]


def test_result_is_json():
    r = converge.simulate(small(6, reflectors=1), "node_crash")
    back = json.loads(r.to_json())
    assert back["scenario"] == "node_crash"
    assert back["unreachable"]["target"] == "node-5"


def test_deterministic_for_a_seed():
    c = small(12, reflectors=2)
    a = converge.simulate(c, "node_crash", seed=7)
    b = converge.simulate(c, "node_crash", seed=7)
    assert without_cost(a) == without_cost(b)
    other = converge.simulate(c, "node_crash", seed=8)
    assert without_cost(other) != without_cost(a)


# ---------------------------------------------------------------------------- converged == steady state


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    n=st.integers(2, 7),
    reflectors=st.integers(0, 2),
    racks=st.integers(1, 2),
    seed=st.integers(0, 1000),
    pool=st.sampled_from(["10.244.0.0/16", "10.244.0.0/25"]),
    scenario=st.sampled_from(["cold_start", "node_drain", "calico_node_restart", "block_churn"]),
)
def test_converged_state_is_the_steady_state(n, reflectors, racks, seed, pool, scenario):
    reflectors = min(reflectors, n - 1)
    plan = synth.cluster(n, pods_per_node=("uniform", 0, 4), pools=[pool], reflectors=reflectors,
                         racks=min(racks, n), seed=seed)
    c = plan.allocate()
    d = converge.design(c)
    if not len(d.classes):
        return
    assert_same_universe(d)
    r = converge.simulate(d, scenario, keep_state=True, seed=seed, churn_events=5)
    assert r.converged
    if scenario == "node_drain":
        # the drained node's sessions are gone: compare with the graph without them
        t = d.names.index(r.unreachable["target"])
        keep = (d.graph.local != t) & (d.graph.remote != t)
        g = routing.SessionGraph(*(getattr(d.graph, f.name)[keep] for f in routing.SessionGraph.__dataclass_fields__.values()))
        ref = routing.propagate_reference(d.speakers, g, d.classes)
        live = np.array([i != t for i in range(d.n_speakers)])
        cls = d.classes != t
        np.testing.assert_array_equal(r.final["best_next_hop"][np.ix_(live, cls)], ref.best_next_hop[np.ix_(live, cls)])
        np.testing.assert_array_equal(r.final["n_paths"][np.ix_(live, cls)], ref.n_paths[np.ix_(live, cls)])
    else:
        assert_matches_reference(d, r)


def _rr_design(cluster_ids, n_clients=4):
    """Reflectors with the given cluster ids (equal ids: plain peers; different:
    each other's clients), every client peering with every reflector."""
    k = len(cluster_ids)
    n = k + n_clients
    ips = [ipaddress.ip_address(f"10.0.{i // 3}.{10 + i}") for i in range(n)]
    subnets = [ipaddress.ip_network(f"10.0.{i // 3}.0/24") for i in range(n)]
    rid = np.array([int(a) for a in ips], np.uint32)
    cids = [int(ipaddress.ip_address(c)) for c in cluster_ids] + [None] * n_clients
    graph = network.reflector_rows(rid, cids, list(range(k)), list(range(k, n))).graph
    speakers = routing.Speakers(ip=ips, asn=np.full(n, 64512, np.uint32), router_id=rid, subnet=subnets,
                                external=np.zeros(n, bool))
    return converge.from_graph(speakers, graph, np.arange(n, dtype=np.int32))


@pytest.mark.parametrize("cluster_ids", [["1.1.1.1"], ["1.1.1.1", "1.1.1.1"], ["1.1.1.1", "2.2.2.2"],
                                         ["1.1.1.1", "2.2.2.2", "1.1.1.1"]])
def test_reflector_cluster_ids(cluster_ids):
    d = _rr_design(cluster_ids)
    assert_same_universe(d)
    r = converge.simulate(d, "cold_start", keep_state=True)
    assert_matches_reference(d, r)


def test_external_router_follows_the_reference_rules():
    # 3-node mesh plus an eBGP router peering with nodes 0 and 1; it passes on its best path only
    ips = [ipaddress.ip_address(a) for a in ("10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.254")]
    net = ipaddress.ip_network("10.0.0.0/24")
    rows = []
    for a in range(3):
        for b in range(3):
            if a != b:
                rows.append(dict(local=a, remote=b, cluster_id=int(ips[a])))
    for a in (0, 1):
        rows.append(dict(local=a, remote=3, ebgp=True, cluster_id=int(ips[a]), add_paths=False))
        rows.append(dict(local=3, remote=a, ebgp=True, cluster_id=int(ips[3]), add_paths=False))
    g = routing.SessionGraph.build(rows)
    sp = routing.Speakers(ip=ips, asn=np.array([64512, 64512, 64512, 65000], np.uint32),
                          router_id=np.array([int(a) for a in ips], np.uint32), subnet=[net] * 4,
                          external=np.array([False, False, False, True]))
    d = converge.from_graph(sp, g, np.array([0, 1, 2], np.int32))
    # the fast enumeration covers eBGP and external speakers: the reference walk's universe
    assert_same_universe(d)
    r = converge.simulate(d, "cold_start", keep_state=True)
    assert_matches_reference(d, r)


# ---------------------------------------------------------------------------- disruptions


def test_crash_waits_for_the_hold_timer_drain_does_not():
    c = small(8)
    crash = converge.simulate(c, "node_crash")
    drain = converge.simulate(c, "node_drain")
    # BIRD's hold timer: 240 s jittered down by up to a quarter, counted from the
    # last keepalive (every 60-80 s) the dead node sent
    assert 240 * 0.75 - 80 <= crash.time_to_converge <= 240 + 1
    assert drain.time_to_converge < 0.1
    fast = converge.simulate(c, "node_crash", hold_time=9, keepalive_time=3)
    assert fast.time_to_converge <= 9 + 1


def test_graceful_restart_keeps_routes():
    c = small(8)
    gr = converge.simulate(c, "calico_node_restart")
    assert gr.unreachable["pod_pair_seconds"] == 0
    assert gr.unreachable["n_outages"] == 0
    assert gr.sessions["total"] == 8 * 7 // 2             # all back
    no_gr = converge.simulate(c, "calico_node_restart", graceful_restart=False)
    # peers flush at once; routes return after the restart and a connect delay
    assert no_gr.unreachable["pod_pair_seconds"] > 0
    assert 10.0 <= no_gr.unreachable["max_outage_seconds"] <= 10.0 + 2.0 + 1.0


def _client_pairs(r, reflectors):
    return [o for o in r.unreachable["outages"] if o["node"] not in reflectors and o["prefixes_of"] not in reflectors]


def test_unsafe_migration_blackholes_and_safe_does_not():
    c = small(10, reflectors=2)
    rr_names = {c.node_names[0], c.node_names[1]}
    safe = converge.simulate(c, "migration_safe")
    unsafe = converge.simulate(c, "migration_unsafe")
    # unsafe: mesh off first, reflector peerings only after the gap
    out = _client_pairs(unsafe, rr_names)
    assert out and min(o["seconds"] for o in out) >= 30.0
    assert unsafe.unreachable["pod_pair_seconds"] > 30.0 * 8 * 7
    # safe: no two clients ever lose each other's routes (only the new
    # reflectors' own prefixes blink while their sessions are re-made)
    assert _client_pairs(safe, rr_names) == []
    assert safe.unreachable["n_unreachable_at_end"] == unsafe.unreachable["n_unreachable_at_end"] == 0
    assert safe.unreachable["pod_pair_seconds"] < unsafe.unreachable["pod_pair_seconds"] / 10


def test_reflector_loss_with_and_without_redundancy():
    one = converge.simulate(small(8, reflectors=1), "reflector_crash")
    two = converge.simulate(small(8, reflectors=2), "reflector_crash")
    assert one.unreachable["n_unreachable_at_end"] == 7 * 6     # every client loses every other client
    assert two.unreachable["n_unreachable_at_end"] == 0
    assert two.unreachable["pod_pair_seconds"] == 0


def test_churn_counts_updates():
    c = small(6, reflectors=1)
    base = converge.simulate(c, "cold_start")
    block = converge.simulate(c, "block_churn", churn_events=10)
    ip = converge.simulate(c, "ip_churn", churn_events=10)
    # each new prefix goes origin -> reflector -> 4 other clients
    assert block.updates["messages"] == base.updates["messages"] + 10 * 5
    assert ip.updates["messages"] == block.updates["messages"] + 10 * 5       # and is withdrawn again
    assert 0 < block.unreachable["pod_pair_seconds"] < 10 * 5 * 3 * 0.01


def test_join():
    r = converge.simulate(small(6), "node_join")
    assert r.sessions["total"] == 15
    # the new node's routes arrive after the connect delay
    assert 2.0 <= r.time_to_converge < 3.0
    assert r.unreachable["pod_pair_seconds"] > 0


# ---------------------------------------------------------------------------- errors


def test_errors():
    c = small(4)
    with pytest.raises(InvalidValueError, match=r"invalid scenario 'boot': expected one of 'cold_start'"):
        converge.simulate(c, "boot")
    with pytest.raises(InvalidValueError, match="needs a design with route reflectors"):
        converge.simulate(c, "reflector_crash")
    with pytest.raises(UnknownNodeError, match="'nope'"):
        converge.simulate(c, "node_crash", node="nope")
    with pytest.raises(ConvergenceError, match="event limit") as e:
        converge.simulate(c, "cold_start", max_events=10)
    assert e.value.n_events > 0


def test_plain_mesh_shortcut(monkeypatch):
    c = small(7, racks=2)
    fast = converge.design(c)
    monkeypatch.setattr(design_module, "_plain_mesh", lambda *a: False)
    slow = converge.design(c)

    def rows(d):
        g = d.graph
        return sorted(zip(g.local.tolist(), g.remote.tolist(), g.rr_client.tolist(), g.cluster_id.tolist(),
                          d.active.tolist(), (d.rev == d.rev).tolist()))
    assert rows(fast) == rows(slow)
    a, b = fast.graph, slow.graph
    assert sorted(zip(a.local[fast.rev].tolist(), a.remote[fast.rev].tolist())) == \
        sorted(zip(b.local[slow.rev].tolist(), b.remote[slow.rev].tolist()))


def test_design_takes_the_originations_already_computed():
    c = synth.cluster(12, 9, pools=["10.0.0.0/25"], block_size=29, reflectors=2).allocate()
    given = converge.design(c, origins=routing.originations(c, 4))
    made = converge.design(c)
    for f in ("classes", "n_prefix", "nlri_bytes", "class_pods", "node_pods"):
        assert np.array_equal(getattr(given, f), getattr(made, f)), f
    assert given.prefixes == made.prefixes
    with pytest.raises(InvalidValueError, match="invalid origins"):
        converge.design(c, origins=routing.originations(c, 6))


def test_mrai_delays_readvertisement():
    # BIRD has no MRAI; with one, the restarted node's routes wait for the interval
    # that started when they were first sent at the cold start
    c = small(6)
    kw = dict(graceful_restart=False, restart_downtime=1.0)
    plain = converge.simulate(c, "calico_node_restart", **kw)
    mrai = converge.simulate(c, "calico_node_restart", mrai=30.0, **kw)
    assert plain.unreachable["max_outage_seconds"] < 5.0
    assert mrai.unreachable["max_outage_seconds"] > plain.unreachable["max_outage_seconds"] + 15.0
    cold = converge.simulate(c, "cold_start", mrai=30.0)
    assert cold.time_to_converge == converge.simulate(c, "cold_start").time_to_converge


@pytest.mark.parametrize("reflectors", [0, 1])
def test_cluster_with_an_ebgp_tor(reflectors):
    # a global BGPPeer to a ToR in another AS: the ToR is an external speaker that
    # passes on its best path only; the design comes from topology.compute
    from fastroute.model.resources import BGPPeer

    c = small(5, reflectors=reflectors, racks=1)
    tor = BGPPeer("tor", peer_ip="172.16.0.254", as_number=65001)
    c = c.replace(bgp_peers=tuple(c.bgp_peers) + (tor,))
    d = converge.design(c)
    assert d.speakers.n == 6 and d.speakers.external.tolist() == [False] * 5 + [True]
    assert d.graph.ebgp.sum() == 2 * 5
    r = converge.simulate(d, "cold_start", keep_state=True)
    assert_matches_reference(d, r)
    # the ToR learns every node's routes
    assert (r.final["best_next_hop"][5] >= 0).all()
    crash = converge.simulate(d, "node_crash", keep_state=True)
    assert crash.converged


def test_unknown_parameter():
    with pytest.raises(InvalidValueError, match=r"unknown convergence parameter 'hold': expected one of"):
        converge.simulate(small(3), "cold_start", hold=9)


@pytest.mark.parametrize("method", ["fast", "reference"])
def test_path_limit_is_the_same_error_on_both_enumerations(method):
    d = converge.design(small(5))
    with pytest.raises(ConvergenceError, match="more than 3 paths in the path universe"):
        converge.universe(d, method, max_paths=3)


def test_design_reuses_a_built_network():
    from fastroute.bgp import network as bgp_network
    from fastroute.bgp import topology

    c = synth.cluster(12, 2, pools=["10.244.0.0/16"], reflectors=2, racks=2, seed=4).allocate()
    net = bgp_network.build(c, 4, method="arrays")
    calls = []
    real = topology.compute
    try:
        topology.compute = lambda *a, **k: calls.append(1) or real(*a, **k)
        d = converge.design(c, network=net)
    finally:
        topology.compute = real
    assert calls == []
    ref = converge.design(c)
    for f in ("local", "remote", "rr_client", "cluster_id"):
        np.testing.assert_array_equal(getattr(d.graph, f), getattr(ref.graph, f))
    np.testing.assert_array_equal(d.rev, ref.rev)
    with pytest.raises(InvalidValueError, match="invalid network"):
        converge.design(c, network=bgp_network.build(c, 4, down=[c.node_names[0]]))
