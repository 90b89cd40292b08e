"""`fastroute plan --topology fabric` and `fastroute compare --topology mesh,reflectors,fabric`."""

import json

import pytest

from fastroute.cli import main



def test_plan_fabric_json(capsys):
    assert main(["plan", "--nodes", "9", "--pods-per-node", "3", "--pool", "10.244.0.0/16", "--topology", "fabric",
                 "--racks", "3", "--spines", "1", "--fabric", "as-per-node", "--json"]) == 0
    p = json.loads(capsys.readouterr().out)
    assert (p["topology"], p["fabric"], p["racks"], p["spines"], p["routers"]) == ("fabric", "as-per-node", 3, 1, 4)
    assert p["sessions_per_node"] == 1 and p["sessions_per_router"] == 4      # a ToR: 3 nodes + the spine
    assert p["convergence_s"] > 2.0 and p["tor_crash_s"] > 100.0 and p["tor_crash_router"] == "tor-0"


def test_plan_fabric_table(capsys):
    assert main(["plan", "--nodes", "8", "--pods-per-node", "2", "--pool", "10.244.0.0/16", "--topology", "fabric",
                 "--racks", "2"]) == 0
    out = capsys.readouterr().out
    assert "fabric as-per-rack (2 racks, 2 spines)" in out and "per router" in out
    assert "cold-start convergence" in out and "not simulated" not in out
    assert "routes gone after a ToR crash (tor-0)" in out and "BGP processing only" in out


def test_plan_reflectors_name(capsys):
    assert main(["plan", "--nodes", "6", "--pods-per-node", "2", "--topology", "reflectors", "--no-simulate",
                 "--json"]) == 0
    p = json.loads(capsys.readouterr().out)
    assert p["topology"] == "rr" and p["reflectors"] == 2


def test_plan_fabric_bad_racks(capsys):
    assert main(["plan", "--nodes", "4", "--topology", "fabric", "--racks", "5"]) == 2
    assert "invalid racks 5" in capsys.readouterr().err
    assert main(["plan", "--nodes", "4", "--topology", "fabric", "--fabric", "as-per-pod"]) == 2


def test_compare_three_designs(capsys):
    assert main(["compare", "--topology", "mesh,reflectors,fabric", "--nodes", "10,20", "--reflectors", "2",
                 "--pods-per-node", "2", "--pool", "10.244.0.0/16", "--no-simulate", "--json"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert [(p["nodes"], p["topology"]) for p in r["plans"]] == [
        (10, "mesh"), (10, "rr"), (10, "fabric"), (20, "mesh"), (20, "rr"), (20, "fabric")]
    assert all(p["sessions_per_router"] and p["routes_per_router"] and p["memory_per_router_bytes"]
               for p in r["plans"] if p["topology"] == "fabric")


def test_compare_table_with_fabric(capsys):
    assert main(["compare", "--topology", "mesh,fabric", "--nodes", "12", "--pods-per-node", "2",
                 "--pool", "10.244.0.0/16", "--no-simulate", "--racks", "3"]) == 0
    out = capsys.readouterr().out
    assert "fabric as-per-rack" in out and "routes/router" in out
    assert "recommendation: 12 nodes: fabric as-per-rack (3 racks" in out


def test_compare_default_unchanged(capsys):
    assert main(["compare", "--nodes", "10", "--reflectors", "2", "--pods-per-node", "2", "--no-simulate",
                 "--json"]) == 0
    assert [p["topology"] for p in json.loads(capsys.readouterr().out)["plans"]] == ["mesh", "rr"]


@pytest.mark.parametrize("bad", ["ring", "", "mesh,,x"])
def test_compare_bad_topology(bad, capsys):
    assert main(["compare", "--topology", bad, "--nodes", "10"]) == 2
    assert "invalid --topology" in capsys.readouterr().err
