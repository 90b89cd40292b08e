"""Scenario timelines (fastroute.sim.timeline) and several seeds (fastroute.sim.seeds)."""

import pytest

import fastroute
from fastroute.cli.main import main
from fastroute.errors import InvalidValueError, TimelineError
from fastroute.model import examples, synth
from fastroute.sim import converge, seeds, timeline


@pytest.fixture(scope="module")
def rr():
    return synth.cluster(16, 4, pools=["10.244.0.0/16"], reflectors=2, seed=1).allocate()


@pytest.mark.parametrize("scenario, events, gap", [
    ("migration_unsafe", [{"at": 0, "event": "mesh_off"}, {"at": 30, "event": "peerings_add"}], {}),
    ("migration_unsafe", [{"at": 0, "event": "mesh_off"}, {"at": 2, "event": "peerings_add"}],
     {"migration_gap": 2.0}),
])
def test_a_timeline_reproduces_the_single_event_scenarios(rr, scenario, events, gap):
    one = converge.simulate(rr, scenario, **gap)
    tl = converge.simulate(rr, "timeline", timeline=events)
    assert tl.unreachable["pod_pair_seconds"] == pytest.approx(one.unreachable["pod_pair_seconds"])
    assert tl.time_to_converge == pytest.approx(one.time_to_converge)


def test_the_safe_order_loses_nothing_the_unsafe_one_cuts_every_pair(rr):
    safe = converge.simulate(rr, "timeline", timeline=[{"at": 0, "event": "peerings_add"},
                                                       {"at": 30, "event": "mesh_off"}])
    assert safe.unreachable["n_outages"] == 0
    unsafe = converge.simulate(rr, "timeline", timeline=[{"at": 0, "event": "mesh_off"},
                                                         {"at": 2, "event": "peerings_add"}])
    assert unsafe.unreachable["n_outages"] >= 14 * 13 and unsafe.unreachable["max_outage_seconds"] > 2.0


def test_events_in_one_run(rr):
    r = converge.simulate(rr, "timeline", timeline=[
        {"at": 0, "event": "join", "node": "node-15"}, {"at": 1, "event": "block_add", "node": 3, "pods": 4},
        {"at": 3, "event": "drain", "node": "node-5"}, {"at": 4, "event": "reflector_crash"},
        {"at": 5, "event": "stop", "node": "node-7"}, {"at": 8, "event": "start", "node": "node-7"},
        {"at": 9, "event": "crash", "node": "node-9"}])
    assert r.converged and not r.unreachable["permanent"]
    assert r.updates["prefix_advertisements"] > 0 and r.time_to_converge > 100     # the crashes' hold timers


def test_rolling_restart_with_graceful_restart_moves_no_route():
    c = synth.cluster(12, 4, pools=["10.244.0.0/16"], seed=2).allocate()
    tl = [timeline.rolling_restart(batch=3, pause=20.0)]
    r = converge.simulate(c, "timeline", timeline=tl)
    assert r.unreachable["n_outages"] == 0 and r.unreachable["worst_pair"] is None
    # 4 batches: the last restarts 60 s in and its routes are sent again after its downtime
    assert 70.0 < r.time_to_rib_converge < 75.0
    hard = converge.simulate(c, "timeline", timeline=tl, graceful_restart=False)
    w = hard.unreachable["worst_pair"]
    assert hard.unreachable["n_outages"] > 0 and w["seconds"] > 10.0


def test_the_trap_in_a_timeline():
    # node1 stops for good, then node2 restarts: 240 s before node2's routes move
    r = converge.simulate(examples.seed(), "timeline", timeline=[
        {"at": 0, "event": "crash", "node": "node1"}, {"at": 1, "event": "restart", "node": "node2", "downtime": 5}])
    assert 1 + 5 + 240 < r.time_to_converge < 1 + 5 + 240 + converge.Params().kernel_scan


@pytest.mark.parametrize("entries, message", [
    ("nope", "<timeline>: expected a list of events"),
    ([{"event": "crash", "node": "a"}], "entry 0: 'at' is required"),
    ([{"at": 0, "event": "explode"}], "entry 0: invalid event 'explode': expected one of crash, restart"),
    ([{"at": 0, "event": "crash", "node": "x"}, {"at": -1, "event": "crash", "node": "x"}],
     "entry 1: invalid at -1"),
    ([{"at": 0, "event": "crash"}], "entry 0: event 'crash' needs 'node'"),
    ([{"at": 0, "event": "crash", "node": "a", "batch": 2}], "entry 0: unknown field 'batch' for event 'crash'"),
    ([{"at": 0, "event": "rolling_restart", "batch": 0}], "entry 0: invalid batch 0: expected an integer"),
    ([{"at": 0, "event": "rolling_restart", "nodes": []}], "entry 0: invalid nodes []"),
    ([{"at": float("nan"), "event": "mesh_off"}], "entry 0: invalid at nan"),
])
def test_bad_entries_name_the_entry_field_and_value(entries, message):
    with pytest.raises(TimelineError, match=message.replace("[", r"\[").replace("]", r"\]")):
        timeline.parse(entries)


def test_unknown_nodes_are_timeline_errors():
    with pytest.raises(TimelineError, match="entry 0: unknown node 'ghost'"):
        converge.simulate(examples.seed(), "timeline", timeline=[{"at": 0, "event": "crash", "node": "ghost"}])
    with pytest.raises(TimelineError, match="reflector_crash needs a design with route reflectors"):
        converge.simulate(examples.seed(), "timeline", timeline=[{"at": 0, "event": "reflector_crash"}])
    with pytest.raises(InvalidValueError, match="needs a timeline"):
        converge.simulate(examples.seed(), "timeline")


def test_cli_timeline_file_and_its_errors(tmp_path, capsys):
    good = tmp_path / "t.yaml"
    good.write_text("events:\n  - {at: 0, event: crash, node: node1}\n  - {at: 1, event: restart, node: node2}\n")
    assert main(["converge", "--timeline", str(good), "--json"]) == 0
    import json
    d = json.loads(capsys.readouterr().out)
    assert d["scenario"] == "timeline" and d["time_to_converge"] > 200 and "no confd" in d["caveat"]
    bad = tmp_path / "bad.json"
    bad.write_text('[{"at": 0, "event": "restart", "node": "node2", "downtime": "soon"}]')
    assert main(["converge", "--timeline", str(bad)]) == 2
    err = capsys.readouterr().err
    assert f"{bad}: entry 0: invalid downtime 'soon'" in err and len(err.strip().splitlines()) == 1


def test_seeds_report_median_and_p95(capsys):
    c = examples.seed()
    runs = seeds.over_seeds(c, "node_crash", 5, node="node1")
    sp = seeds.spread(runs)
    assert sp["seeds"] == [0, 1, 2, 3, 4]
    t = sorted(r.time_to_converge for r in runs)
    assert sp["time_to_converge"]["median"] == t[2] and t[3] <= sp["time_to_converge"]["p95"] <= t[4]
    assert len(set(t)) > 1                       # the hold-timer draws differ
    assert main(["converge", "-s", "node_crash", "--node", "node1", "--seeds", "5"]) == 0
    out = capsys.readouterr().out
    assert f"over 5 seeds, time to converge: median {t[2]:,.1f} s" in out and "BGP processing only" in out
    with pytest.raises(InvalidValueError, match="invalid seeds 0"):
        seeds.over_seeds(c, "cold_start", 0)


def test_sweep_runs_a_timeline(tmp_path):
    f = tmp_path / "t.yaml"
    f.write_text("- {at: 0, event: reflector_crash}\n")
    t = fastroute.sweep({"run": "converge", "params": {"nodes": 8, "reflectors": [1, 2], "pods_per_node": 2,
                                                       "pool": "10.244.0.0/16", "timeline": str(f)}}, workers=0)
    assert t["error"] == [None, None] and t["permanent_outage"] == [True, False]
