"""Aggregate mode of the convergence simulator (fastroute.sim.cohorts) against the
per-path model: counts must agree exactly, times within the spread a cohort
hides."""

import json

import numpy as np

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastroute.sim import cohorts, converge
from fastroute.model import synth
from fastroute.errors import ConvergenceError, InvalidValueError

COUNTED = ("sessions", "updates", "tables", "memory")


def both(c, scenario="cold_start", n_cohorts=20, **kw):
    d = converge.design(c)
    exact = converge.simulate(d, scenario, aggregate="off", **kw)
    agg = converge.simulate(d, scenario, aggregate="on", cohorts=n_cohorts, **kw)
    return exact, agg


def close(a, b, rel=1e-9):
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(close(a[k], b[k], rel) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(close(x, y, rel) for x, y in zip(a, b))
    if isinstance(a, float) or isinstance(b, float):
        return abs(a - b) <= rel * max(1.0, abs(a))
    return a == b


def assert_same_counts(exact, agg):
    e, a = exact.to_dict(), agg.to_dict()
    for section in COUNTED:
        for key, value in e[section].items():
            if key == "per_node":
                continue
            assert close(value, a[section][key]), (section, key, value, a[section][key])
    assert e["n_nodes"] == a["n_nodes"] and e["n_classes"] == a["n_classes"]
    assert close(e["busy"]["per_reflector_seconds"], a["busy"]["per_reflector_seconds"], 1e-6)
    assert close(e["busy"]["per_node_seconds"], a["busy"]["per_node_seconds"], 1e-6)


def test_cold_start_counts_are_exact_and_time_close():
    c = synth.cluster(600, 110, pools=["10.0.0.0/8"], reflectors=2, racks=3, seed=0).allocate()
    exact, agg = both(c, n_cohorts=60)
    assert agg.cost["cohorts"]["cohorts"] == 60 and exact.cost["cohorts"] is None
    assert agg.cost["paths"] * 50 < exact.cost["paths"]
    assert_same_counts(exact, agg)
    assert agg.converged
    assert abs(agg.time_to_converge - exact.time_to_converge) <= 0.02 * exact.time_to_converge
    # the routes-installed series ends at the same total
    assert agg.series["routes_installed"][-1] == pytest.approx(exact.series["routes_installed"][-1])


@pytest.mark.parametrize("placement,reflectors,racks", [("per-rack", 1, 3), ("per-rack", 2, 2), ("global", 3, 2)])
def test_reflector_designs(placement, reflectors, racks):
    # distinct cluster ids (per rack): a cohort's own classes come back through the
    # other reflectors and fail the ORIGINATOR_ID check at the node that sent them
    c = synth.cluster(240, ("uniform", 0, 200), pools=["10.0.0.0/8"], reflectors=reflectors,
                      reflector_placement=placement, racks=racks, seed=3).allocate()
    exact, agg = both(c, n_cohorts=24)
    assert_same_counts(exact, agg)
    assert abs(agg.time_to_converge - exact.time_to_converge) <= 0.1 * exact.time_to_converge


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(20, 120), reflectors=st.integers(1, 3), racks=st.integers(1, 3),
       per_rack=st.booleans(), seed=st.integers(0, 2**16), n_cohorts=st.integers(1, 15))
def test_counts_exact_on_random_reflector_designs(n, reflectors, racks, per_rack, seed, n_cohorts):
    racks = min(racks, n // (reflectors + 2))
    c = synth.cluster(n, ("uniform", 0, 150), pools=["10.0.0.0/12"], reflectors=reflectors, racks=max(racks, 1),
                      reflector_placement="per-rack" if per_rack else "global", seed=seed).allocate()
    exact, agg = both(c, n_cohorts=n_cohorts, seed=seed)
    assert_same_counts(exact, agg)


@pytest.mark.parametrize("scenario", ["node_crash", "node_drain", "calico_node_restart", "node_join"])
def test_disruptions_of_a_kept_node(scenario):
    # the node a scenario acts on stays itself, with the same timers as without cohorts
    c = synth.cluster(300, 110, pools=["10.0.0.0/8"], reflectors=2, racks=3, seed=1).allocate()
    exact, agg = both(c, scenario, n_cohorts=30)
    assert agg.unreachable["target"] == exact.unreachable["target"]
    assert agg.time_to_converge == pytest.approx(exact.time_to_converge, rel=0.01, abs=0.01)
    assert agg.unreachable["pod_pair_seconds"] == pytest.approx(exact.unreachable["pod_pair_seconds"], rel=0.01)
    assert agg.updates["messages"] == exact.updates["messages"]


def test_reflector_crash_with_one_reflector_blackholes_everyone():
    c = synth.cluster(200, 110, pools=["10.0.0.0/8"], reflectors=1, racks=2, seed=1).allocate()
    exact, agg = both(c, "reflector_crash", n_cohorts=20)
    assert agg.unreachable["pod_pairs_unreachable_at_end"] == pytest.approx(
        exact.unreachable["pod_pairs_unreachable_at_end"])
    assert agg.unreachable["pod_pairs_unreachable_at_end"] == 199 * 198 * 110 * 110


def test_auto_mode_and_refusals():
    c = synth.cluster(100, 110, pools=["10.0.0.0/8"], reflectors=2, seed=0).allocate()
    # auto: the per-path model while it fits
    assert converge.simulate(c).cost["cohorts"] is None
    r = converge.simulate(c, max_paths=5_000)
    assert r.cost["cohorts"]["cohorts"] > 0 and r.converged
    assert converge.simulate(c, aggregate_above=5_000).cost["cohorts"]["cohorts"] > 0
    with pytest.raises(ConvergenceError, match="per-path model"):
        converge.simulate(c, max_paths=5_000, aggregate="off")
    with pytest.raises(InvalidValueError, match="block_churn"):
        converge.simulate(c, "block_churn", aggregate="on")
    with pytest.raises(InvalidValueError, match="keep_state"):
        converge.simulate(c, aggregate="on", keep_state=True)
    with pytest.raises(InvalidValueError, match="aggregate"):
        converge.simulate(c, aggregate="sometimes")
    with pytest.raises(InvalidValueError, match="cohorts"):
        converge.simulate(c, aggregate="on", cohorts=0)
    mesh = synth.cluster(30, 10, pools=["10.0.0.0/16"], seed=0).allocate()
    with pytest.raises(InvalidValueError, match="interchangeable"):
        converge.simulate(mesh, aggregate="on")
    with pytest.raises(ConvergenceError, match="interchangeable"):
        converge.simulate(mesh, max_paths=100)


def test_cohorts_follow_start_order_and_keep_nodes():
    c = synth.cluster(50, 10, pools=["10.0.0.0/16"], reflectors=2, seed=0).allocate()
    d = converge.design(c)
    order = list(range(50))[::-1]
    a = cohorts.aggregate(d, 4, keep=[7], order=order)
    assert a.weight.sum() == 50 and a.n_cohorts == 4
    assert a.weight[a.speaker_of[7]] == 1 and a.weight[a.speaker_of[0]] == 1     # reflector 0
    for i in range(len(a.weight)):
        members = a.members[a.start[i]:a.start[i + 1]]
        assert (a.speaker_of[members] == i).all()
        if len(members) > 1:
            # cut along `order`: consecutive runs of it
            keys = sorted(order[m] for m in members)
            assert keys[-1] - keys[0] < 50 // 4 + 2
    assert json.dumps(converge.simulate(d, aggregate="on", cohorts=4).to_dict())


def test_reflector_chains_are_refused_with_their_reason():
    # 8 racks of per-rack reflectors, each the others' client: 13,699 copies of
    # every route (see verify's reflector-chains); with 16 classes that passes 100,000 paths
    c = synth.cluster(16, 3, pools=("10.10.0.0/16",), reflectors=1, racks=8, reflector_placement="per-rack").allocate()
    with pytest.raises(ConvergenceError, match="13,699 copies of each route"):
        converge.simulate(c, max_paths=100_000)


def test_a_mesh_too_large_is_refused_before_its_paths_are_allocated():
    import tracemalloc

    from fastroute.model import synth
    from fastroute.sim import converge as conv

    c = synth.cluster(300, 1, pools=["10.0.0.0/16"]).allocate()       # 89,700 session rows
    tracemalloc.start()
    with pytest.raises(ConvergenceError, match=r"89,700 session rows > max_paths=50,000 .*no interchangeable"):
        conv.simulate(c, max_paths=50_000)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 200 * 2**20          # the design only, not per-path state


# ---------------------------------------------------------------------------- fabric designs


def fabric_racks(n=160, racks=4, spines=2, design="as-per-rack"):
    return synth.fabric(n, ("uniform", 0, 50), racks=racks, spines=spines, design=design, pools=["10.0.0.0/12"],
                        seed=1).allocate()


@pytest.mark.parametrize("design", synth.FABRIC_DESIGNS)
@pytest.mark.parametrize("scenario", ["cold_start", "node_crash", "router_crash"])
def test_fabric_rack_cohorts_against_the_per_path_model(scenario, design):
    # a rack's nodes peer only with their ToR, alike (iBGP with AS per rack, eBGP with an AS each
    # else): they merge into cohorts.  A ToR sends its best path only (no ADD-PATH), so how many
    # UPDATEs a cold start takes depends on the order paths arrive in (the per-path model's own
    # count moves with the seed); the tables, the sessions and what a crash cuts do not
    c = fabric_racks(design=design)
    exact, agg = both(c, scenario, n_cohorts=20)
    assert agg.cost["cohorts"]["cohorts"] == 20 and agg.cost["paths"] * 6 < exact.cost["paths"]
    e, a = exact.to_dict(), agg.to_dict()
    for section in ("sessions", "tables"):
        for key, value in e[section].items():
            if key != "per_node":
                assert close(value, a[section][key]), (section, key, value, a[section][key])
    assert close(e["memory"]["per_node_bytes"], a["memory"]["per_node_bytes"])
    assert e["n_nodes"] == a["n_nodes"] and e["n_classes"] == a["n_classes"] and agg.converged
    # a cohort's nodes count the mean of their pods: pairs inside one cohort are near, not exact
    assert agg.unreachable["pod_pairs_unreachable_at_end"] == pytest.approx(
        exact.unreachable["pod_pairs_unreachable_at_end"], rel=0.01)
    assert agg.time_to_converge == pytest.approx(exact.time_to_converge, rel=0.03)
    spread = [converge.simulate(c, scenario, aggregate="off", seed=s).updates["messages"] for s in range(4)]
    assert min(spread) * 0.9 <= agg.updates["messages"] <= max(spread) * 1.1


def test_fabric_router_classes_survive_aggregation():
    # downward default: the ToRs' shared default route is one class several Routers originate
    c = fabric_racks(64, racks=2, design="downward-default")
    d = converge.design(c)
    a = cohorts.aggregate(d, 8)
    assert a.n_cohorts == 8 and a.weight.sum() == d.n_speakers
    assert np.array_equal(a.design.speakers.role, d.speakers.role[a.real_of])
    r = a.design
    assert r.class_name(len(r.classes) - 1) == "tor-0+tor-1" and r.prefixes[-1] == ["0.0.0.0/0"]
    assert [r.names[o] for o in r.class_origins()[-1]] == ["tor-0", "tor-1"]
    assert a.classes[-1] == 1 and a.classes[:-1].sum() == 64
    # an AS per node: the cohorts' own classes come back for their other nodes
    assert (a.flags()[a.weight > 1] == 2).all()
    rack = cohorts.aggregate(converge.design(fabric_racks(64, racks=2)), 8)
    assert (rack.flags()[rack.weight > 1] == 1).all() and (rack.flags()[rack.weight == 1] == 0).all()


def test_nodes_with_two_ebgp_sessions_stay_themselves():
    # a node peering with two routers passes routes from one to the other: it is no leaf
    c = fabric_racks(8, racks=1, design="as-per-node")
    d = converge.design(c)
    assert cohorts.candidates(d)[:8].all()
    g = d.graph
    local, remote = np.asarray(g.local), np.asarray(g.remote)
    spine = d.names.index("spine-0")
    extra = dict(local=[0, spine], remote=[spine, 0])
    from fastroute.bgp import propagate as routing
    rows = [dict(local=int(a), remote=int(b), rr_client=bool(g.rr_client[i]), cluster_id=int(g.cluster_id[i]),
                 ebgp=bool(g.ebgp[i]), add_paths=bool(g.add_paths[i])) for i, (a, b) in enumerate(zip(local, remote))]
    rows += [dict(local=a, remote=b, ebgp=True, cluster_id=1, add_paths=False) for a, b in zip(*extra.values())]
    d2 = converge.from_graph(d.speakers, routing.SessionGraph.build(rows), d.classes)
    ok = cohorts.candidates(d2)
    assert not ok[0] and ok[1:8].all()


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(n=st.integers(12, 90), racks=st.integers(1, 3), spines=st.integers(1, 2), seed=st.integers(0, 2**16),
       design=st.sampled_from(synth.FABRIC_DESIGNS), n_cohorts=st.integers(1, 12),
       scenario=st.sampled_from(["cold_start", "router_crash"]))
def test_tables_exact_on_random_fabrics(n, racks, spines, seed, design, n_cohorts, scenario):
    c = synth.fabric(n, ("uniform", 0, 30), racks=racks, spines=spines, design=design, pools=["10.0.0.0/12"],
                     seed=seed).allocate()
    exact, agg = both(c, scenario, n_cohorts=n_cohorts, seed=seed)
    assert agg.converged and exact.converged
    e, a = exact.to_dict(), agg.to_dict()
    # the tables at the end and the sessions are exact; the largest tables on the way (``*_max``)
    # depend, like the UPDATE count, on the order best paths change at the Routers
    for section in ("sessions", "tables"):
        for key, value in e[section].items():
            if key != "per_node" and not key.endswith("_max"):
                assert close(value, a[section][key]), (section, key, value, a[section][key])
    assert e["n_nodes"] == a["n_nodes"] and e["n_classes"] == a["n_classes"]


def test_fabric_paths_estimate_and_auto_mode():
    from fastroute.sim.universe import paths_estimate

    d = converge.design(fabric_racks(80, racks=4))
    # a fabric's paths are counted on a few classes: every node class takes the same number of them here
    assert paths_estimate(d) == converge.universe(d).n
    assert converge.simulate(d).cost["cohorts"] is None
    r = converge.simulate(d, aggregate_above=paths_estimate(d) - 1)
    assert r.cost["cohorts"]["cohorts"] > 0 and r.converged
