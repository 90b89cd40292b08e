"""plan() and compare() results: still dicts, plus to_dict() / to_json() (a string) / to_pandas()."""

import json
import pickle

import pytest

from fastroute.jsonout import finite
from fastroute.planning import plan
from fastroute.planning.results import CompareResult, PlanResult


@pytest.fixture(scope="module")
def rr_plan():
    return plan.plan(30, 4, topology="rr", reflectors=2, simulate=False)


def test_plan_is_still_a_dict(rr_plan):
    assert isinstance(rr_plan, dict) and isinstance(rr_plan, PlanResult)
    assert rr_plan["sessions_per_node"] == 2 and rr_plan["nodes"] == 30
    d = rr_plan.to_dict()
    assert type(d) is dict and d == dict(rr_plan)
    assert json.loads(json.dumps(rr_plan)) == json.loads(rr_plan.to_json())
    assert type(pickle.loads(pickle.dumps(rr_plan))) is PlanResult


def test_plan_to_json_is_text(rr_plan):
    text = rr_plan.to_json()
    assert isinstance(text, str)
    assert json.loads(text) == json.loads(json.dumps(finite(rr_plan.to_dict())))


def test_plan_table_one_row_per_role(rr_plan):
    pytest.importorskip("pandas")
    frame = rr_plan.to_pandas()
    assert list(frame["role"]) == ["node", "reflector"]
    node, rr = frame.iloc[0], frame.iloc[1]
    assert (node["count"], rr["count"]) == (28, 2)
    assert (node["sessions"], rr["sessions"]) == (2, 29)
    assert node["routes"] == rr_plan["routes_per_node"]
    assert node["memory_bytes"] == rr_plan["memory_per_node_bytes"]
    assert rr["memory_bytes"] == rr_plan["memory_per_reflector_bytes"]
    assert set(frame["topology"]) == {"rr"} and set(frame["nodes"]) == {30}
    assert frame["count"].sum() == 30


def test_mesh_plan_has_only_node_rows():
    pytest.importorskip("pandas")
    frame = plan.plan(12, 4, simulate=False).to_pandas()
    assert list(frame["role"]) == ["node"] and frame.iloc[0]["sessions"] == 11


def test_fabric_plan_has_a_router_row():
    pytest.importorskip("pandas")
    p = plan.plan(40, 4, topology="fabric", racks=2, simulate=False)
    frame = p.to_pandas()
    assert list(frame["role"]) == ["node", "router"]
    router = frame.iloc[1]
    assert router["count"] == p["routers"] and router["sessions"] == p["sessions_per_router"]


def test_compare_one_row_per_design():
    pytest.importorskip("pandas")
    c = plan.compare(nodes=(10, 20), reflectors=(2, 3), pods_per_node=4, simulate=False)
    assert isinstance(c, CompareResult) and isinstance(c, dict)
    assert all(isinstance(p, PlanResult) for p in c["plans"])
    d = c.to_dict()
    assert type(d) is dict and all(type(p) is dict for p in d["plans"])
    assert isinstance(c.to_json(), str) and json.loads(c.to_json())["crossover"] == c["crossover"]
    frame = c.to_pandas()
    assert len(frame) == len(c["plans"]) == 6
    assert list(zip(frame["nodes"], frame["topology"], frame["reflectors"])) == [
        (p["nodes"], p["topology"], p["reflectors"]) for p in c["plans"]]
    assert list(frame["sessions_per_node"]) == [p["sessions_per_node"] for p in c["plans"]]
    assert "sources" not in frame.columns and "pool_cidr" in frame.columns
    assert frame["warnings"].map(lambda w: isinstance(w, str)).all()
