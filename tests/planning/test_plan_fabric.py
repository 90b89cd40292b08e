"""fastroute.planning.plan with topology "fabric": figures held to the computed tables of synth.fabric."""

import numpy as np
import pytest

from fastroute.bgp import topology
from fastroute.dataplane import routes
from fastroute.errors import GridError, InvalidValueError
from fastroute.model import synth
from fastroute.planning import fabric, plan
from fastroute.sim.converge import Params

POOL = "10.244.0.0/16"


def _actual(n, ppn, racks, spines, design):
    """Per speaker name: (kernel routes, established sessions), read from the tables and the sessions."""
    c = synth.fabric(n, ppn, racks=racks, spines=spines, design=design, pools=[POOL]).allocate()
    t = routes.compute(c)
    s = topology.compute(c).sessions(4)
    up = np.asarray(s.established, bool)
    per_speaker = np.bincount(np.asarray(s.local)[up], minlength=s.n_speakers)
    names = list(c.node_names) + [r.name for r in c.routers]
    sessions = {name: int(per_speaker[i]) for i, name in enumerate(names)}
    tables = {name: len(t.routes(name)) for name in names}
    return c, tables, sessions


@pytest.mark.parametrize("n, ppn, racks, spines, design", [
    (8, 3, 2, 1, "as-per-rack"),
    (9, 4, 3, 2, "as-per-rack"),
    (8, 3, 2, 2, "as-per-node"),
    (10, 2, 2, 1, "downward-default"),
    (7, 70, 2, 2, "as-per-node"),            # two blocks per node
])
def test_fabric_plan_equals_the_tables(n, ppn, racks, spines, design):
    p = plan.plan(n, ppn, pool=POOL, topology="fabric", racks=racks, spines=spines, fabric=design)
    c, tables, sessions = _actual(n, ppn, racks, spines, design)
    nodes, routers = list(c.node_names), [r.name for r in c.routers]
    assert len(routers) == racks + spines == p["routers"]
    assert p["routes_per_node"] == max(tables[x] for x in nodes)
    assert p["routes_per_node_mean"] == pytest.approx(np.mean([tables[x] for x in nodes]))
    assert p["routes_per_router"] == max(tables[x] for x in routers)
    assert p["sessions_per_node"] == max(sessions[x] for x in nodes)
    assert p["sessions_per_router"] == max(sessions[x] for x in routers)
    assert p["sessions_total"] * 2 == sum(sessions.values())       # counted at both ends
    assert p["routes_method"] == "computed"
    assert (p["racks"], p["spines"], p["fabric"], p["topology"]) == (racks, spines, design, "fabric")


def test_fabric_figures_by_hand():
    # 8 nodes of 3 pods, 2 racks of 4, 1 spine, AS per rack: every node one session (its ToR), a ToR
    # 4 nodes + 1 spine, the spine 2 ToRs; 8 blocks; a node: 3 pods + its blackhole + 7 other blocks
    p = plan.plan(8, 3, pool=POOL, topology="fabric", racks=2, spines=1)
    assert (p["sessions_total"], p["sessions_per_node"], p["sessions_per_router"]) == (10, 1, 5)
    assert (p["prefixes"], p["routes_per_node"], p["routes_per_router"]) == (8, 11, 8)
    # memory: a node holds one path per prefix (its own block's local one, the others from the ToR) + Loc-RIB
    assert p["memory_per_node_bytes"] == Params.base_bytes + Params.route_bytes * 2 * 8 + Params.session_bytes
    assert p["memory_per_router_bytes"] > p["memory_per_node_bytes"]


def test_downward_default_nodes_hold_only_their_own_and_the_default():
    p = plan.plan(10, 2, pool=POOL, topology="fabric", racks=2, spines=1, fabric="downward-default")
    # 2 pods + own blackhole + the ToR's default route
    assert p["routes_per_node"] == 4
    assert p["prefixes"] == 10 + 1              # the blocks and the ToRs' one default route class
    assert p["routes_per_router"] >= 10


@pytest.mark.parametrize("design", ["as-per-rack", "as-per-node", "downward-default"])
def test_fabric_convergence_is_simulated(design):
    from fastroute.model import synth
    from fastroute.sim import converge

    p = plan.plan(8, 2, pool=POOL, topology="fabric", racks=2, spines=1, fabric=design)
    assert p["blackhole_reflector_crash_s"] is None and p["reflector_crash_permanent"] is None
    assert p["sessions_per_reflector"] is None and p["reflectors"] == 0
    assert not any("not simulated" in w for w in p["warnings"])
    # the figures are the simulator's on the same cluster (the planner's synth.fabric)
    c = synth.fabric(8, 2, racks=2, spines=1, design=design, pools=[POOL]).allocate()
    d = converge.design(c)
    assert p["convergence_s"] == round(converge.simulate(d, "cold_start").time_to_converge, 6)
    assert 2.0 < p["convergence_s"] < 5.0                     # connect delay, then the UPDATEs
    assert 150.0 < p["blackhole_node_crash_s"] <= 240.0       # the hold timer (240 s, jittered)
    crash = converge.simulate(d, "router_crash")
    assert p["tor_crash_router"] == "tor-0" == crash.unreachable["target"]
    assert p["tor_crash_s"] == round(crash.time_to_converge, 6) and 150.0 < p["tor_crash_s"] <= 240.0
    assert p["tor_crash_pod_pairs_lost"] == crash.unreachable["pod_pairs_unreachable_at_end"]
    assert any(k == "router_crash" for k in p["sources"])


def test_fabric_convergence_at_any_size_or_off():
    # a rack's nodes merge into cohorts (fastroute.sim.cohorts): simulate_limit bounds a mesh only
    for design in synth.FABRIC_DESIGNS:
        p = plan.plan(12, 1, pool=POOL, topology="fabric", racks=2, simulate_limit=10, fabric=design)
        assert p["convergence_s"] is not None and p["tor_crash_s"] is not None
        assert not any("not simulated" in w for w in p["warnings"])
    q = plan.plan(6, 1, pool=POOL, topology="fabric", racks=2, simulate=False)
    assert q["convergence_s"] is None and any("simulation turned off" in w for w in q["warnings"])


def test_large_fabric_plans_say_they_aggregate(monkeypatch):
    # past aggregate_above paths each rack's nodes merge into cohorts; the sources say so
    from fastroute.sim import converge

    real = converge.simulate
    monkeypatch.setattr(converge, "simulate", lambda d, s, **kw: real(d, s, aggregate_above=1_000, **kw))
    p = plan.plan(120, 1, pool=POOL, topology="fabric", racks=3)
    assert p["convergence_s"] is not None and p["tor_crash_s"] is not None
    assert "aggregate mode (" in p["sources"]["cold_start"] and "cohorts of" in p["sources"]["cold_start"]


def test_fabric_default_racks_one_per_40_nodes():
    assert plan.plan(81, 1, pool=POOL, topology="fabric", simulate=False)["racks"] == 3
    assert plan.plan(5, 1, pool=POOL, topology="fabric")["racks"] == 1


@pytest.mark.parametrize("kw, word", [
    (dict(racks=0), "racks"), (dict(racks=9), "racks"), (dict(racks=True), "racks"),
    (dict(spines=0), "spines"), (dict(fabric="as-per-pod"), "fabric design"),
    (dict(reflectors=2), "reflectors"),
])
def test_fabric_bad_arguments(kw, word):
    with pytest.raises(InvalidValueError, match=word):
        plan.plan(8, 2, pool=POOL, topology="fabric", **kw)


def test_compare_with_fabric():
    r = plan.compare([12], [2], 3, pool=POOL, simulate=False, topologies=("mesh", "rr", "fabric"), racks=3)
    assert [(p["topology"], p["reflectors"]) for p in r["plans"]] == [("mesh", 0), ("rr", 2), ("fabric", 0)]
    f = r["plans"][2]
    assert f["racks"] == 3 and f["sessions_per_node"] == 1
    assert any(line.startswith("12 nodes: fabric as-per-rack") and "cold start not simulated" in line
               and line.endswith("ToR crash not simulated") for line in r["recommendation"])
    sim = plan.compare([12], [2], 3, pool=POOL, topologies=("mesh", "rr", "fabric"), racks=3)
    f = sim["plans"][2]
    assert f["convergence_s"] > 2.0 and f["tor_crash_s"] > 100.0
    assert any(line.startswith("12 nodes: fabric") and f"ToR crash {f['tor_crash_s']:,.1f} s" in line
               for line in sim["recommendation"])
    only = plan.compare([12], [2], 3, pool=POOL, simulate=False, topologies=("fabric",))
    assert [p["topology"] for p in only["plans"]] == ["fabric"] and only["crossover"] is None
    # the default stays mesh vs reflectors
    assert [p["topology"] for p in plan.compare([12], [2], 3, pool=POOL, simulate=False)["plans"]] == ["mesh", "rr"]
    with pytest.raises(InvalidValueError, match="topology"):
        plan.compare([12], [2], 3, topologies=("ring",))


def test_sweep_plan_grid_with_fabric():
    from fastroute.planning import sweeps
    run, points = sweeps.expand({"run": "plan", "params": {"nodes": [8], "pods_per_node": 2, "pool": POOL,
                                                          "topology": ["mesh", "fabric"], "racks": [1, 2]}})
    # the mesh point does not take racks: it runs once
    assert [(p["topology"], p["racks"]) for p in points] == [("mesh", None), ("fabric", 1), ("fabric", 2)]
    rows = [sweeps.run_point(run, p) for p in points]
    assert all(r["error"] is None for r in rows)
    fab = plan.plan(8, 2, pool=POOL, topology="fabric", racks=2)
    assert rows[2]["sessions_per_router"] == fab["sessions_per_router"] and rows[2]["routers"] == 2 + 2
    assert rows[0]["routers"] is None
    with pytest.raises(GridError, match="topology"):
        sweeps.expand({"run": "converge", "params": {"nodes": [8], "topology": "fabric"}})


def test_compare_cli_prints_fabric_convergence(capsys):
    from fastroute.cli import main

    assert main(["compare", "--topology", "mesh,reflectors,fabric", "--nodes", "12", "--pods-per-node", "2",
                 "--pool", POOL, "--racks", "2", "--json"]) == 0
    import json
    f = [p for p in json.loads(capsys.readouterr().out)["plans"] if p["topology"] == "fabric"][0]
    assert main(["compare", "--topology", "mesh,reflectors,fabric", "--nodes", "12", "--pods-per-node", "2",
                 "--pool", POOL, "--racks", "2"]) == 0
    out = capsys.readouterr().out
    assert "RR/ToR crash" in out and "not simulated" not in out
    assert f"ToR {f['tor_crash_s']:,.1f}" in out or f"ToR {f['tor_crash_s']:,.0f}" in out
    assert "BGP processing only" in out                   # the same caveat line as the other designs
    # not simulated: a dash, as in the other convergence columns
    assert main(["compare", "--topology", "fabric", "--nodes", "12", "--pods-per-node", "2", "--pool", POOL,
                 "--racks", "2", "--no-simulate", "-o", "wide"]) == 0
    row = [line for line in capsys.readouterr().out.splitlines() if "fabric as-per-rack" in line and "12" in line][0]
    assert row.split()[-3:] == ["-", "-", "-"]
