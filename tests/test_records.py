"""Every result offers to_dict() (a dict), to_json() (a string) and to_pandas() (a DataFrame)."""

import json

import numpy as np
import pytest

from fastroute.bgp import explain
from fastroute.dataplane import routes, trace, traffic, verify
from fastroute.jsonout import finite
from fastroute.model import examples
from fastroute.planning import plan
from fastroute.sim import converge


def _results():
    c = examples.seed()
    tables = routes.compute(c)
    t = traffic.matrix(c, ["10.244.219.66"], ["10.244.166.129"], np.array([1000]))
    return {
        "verify": (verify.verify(c.allocate() if not c.is_allocated else c, down=["node1"]), "kind"),
        "trace": (trace.trace(c, "10.244.219.66", "10.244.166.129"), "action"),
        "why": (explain.why(tables, "master", "10.244.166.128/26"), None),
        "converge": (converge.simulate(c, "node_crash", node="node1"), "routes_installed"),
        "traffic": (t, "bytes"),
        "route": (tables.lookup("master", "10.244.166.129"), "dst"),
        "plan": (plan.plan(12, 4, topology="rr", reflectors=2, simulate=False), "role"),
        "compare": (plan.compare(nodes=(6,), reflectors=(2,), pods_per_node=2, simulate=False), "topology"),
    }


@pytest.mark.parametrize("name", ["verify", "trace", "why", "converge", "traffic", "route", "plan", "compare"])
def test_three_views(name):
    pd = pytest.importorskip("pandas")
    result, column = _results()[name]
    d = result.to_dict()
    assert isinstance(d, dict)
    text = result.to_json()
    assert isinstance(text, str) and json.loads(text) == json.loads(json.dumps(finite(d)))
    frame = result.to_pandas()
    assert isinstance(frame, pd.DataFrame) and len(frame) >= 1
    if column:
        assert column in frame.columns


def test_sweep_table_offers_the_three_views():
    pd = pytest.importorskip("pandas")
    from fastroute.planning import sweeps

    grid = {"name": "views", "run": "plan", "params": {"nodes": [5, 6], "pods_per_node": 2, "simulate": False}}
    table = sweeps.sweep(grid, workers=0)
    d = table.to_dict()
    assert isinstance(d, dict) and d["nodes"] == [5, 6]
    text = table.to_json()
    assert isinstance(text, str) and [r["nodes"] for r in json.loads(text)["rows"]] == [5, 6]
    frame = table.to_pandas()
    assert isinstance(frame, pd.DataFrame) and list(frame["nodes"]) == [5, 6]
    assert list(frame.columns) == table.columns
