"""JSON output is JSON: no NaN or Infinity, anywhere."""

import json

import numpy as np
import pytest

from fastroute.cli import main
from fastroute.jsonout import dumps


def _strict(text):
    def refuse(name):
        raise AssertionError(f"not JSON: {name}")
    return json.loads(text, parse_constant=refuse)


def test_non_finite_numbers_become_null():
    v = {"a": float("nan"), "b": [np.float64("inf"), -float("inf"), 1.5, np.int64(3)], "c": (np.nan,)}
    assert _strict(dumps(v)) == {"a": None, "b": [None, None, 1.5, 3], "c": [None]}


@pytest.mark.parametrize("argv", [
    ["converge", "--json"], ["converge", "-s", "node_crash", "--node", "node1", "--json"],
    ["plan", "--nodes", "5", "--json"], ["verify", "--json"], ["routes", "--node", "master", "--json"],
    ["status", "--node", "master", "--json"], ["ipam", "--json"], ["trace", "10.244.219.66", "10.244.166.129", "--json"],
])
def test_every_json_output_parses_strictly(argv, capsys):
    assert main(argv) in (0, 1)
    _strict(capsys.readouterr().out)


def test_result_to_json_is_strict():
    from fastroute.model import examples
    from fastroute.sim import converge

    r = converge.simulate(examples.seed(), "node_crash", node="node1")
    r.unreachable["max_outage_seconds"] = float("inf")          # a figure that does not exist
    assert _strict(r.to_json())["unreachable"]["max_outage_seconds"] is None
