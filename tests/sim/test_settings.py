"""fastroute.sim.settings: simulator parameters given as NAME=VALUE text."""

import dataclasses

import pytest

from fastroute.errors import InvalidValueError
from fastroute.sim.converge import Params
from fastroute.sim.settings import parse_params, settable


def test_values_take_the_type_of_the_default():
    got = parse_params(["hold_time=90", "graceful-restart=no", "max_paths=1_000", "aggregate=off", "seed=7"])
    assert got == {"hold_time": 90.0, "graceful_restart": False, "max_paths": 1000, "aggregate": "off", "seed": 7}
    assert type(got["hold_time"]) is float and type(got["max_paths"]) is int
    assert Params().replace(**got).hold_time == 90.0


def test_settable_is_every_field_but_the_per_run_inputs():
    names = [f.name for f in dataclasses.fields(Params)]
    assert list(settable()) == [n for n in names if n not in ("node", "start_times", "down", "timeline")]
    assert settable()["hold_time"] == Params().hold_time


@pytest.mark.parametrize("item, message", [
    ("hold_time", "invalid --set 'hold_time': expected NAME=VALUE"),
    ("node=master", "unknown parameter 'node'"),
    ("hold_time=soon", "hold_time takes a float"),
    ("graceful_restart=maybe", "graceful_restart takes a bool"),
    ("seed=1.5", "seed takes a int"),
])
def test_bad_items_name_the_problem(item, message):
    with pytest.raises(InvalidValueError, match=message):
        parse_params([item])


def test_messages_name_the_option():
    with pytest.raises(InvalidValueError, match=r"^invalid params\['x'\] 'x': expected NAME=VALUE$"):
        parse_params(["x"], option="params['x']")


@pytest.mark.parametrize("item, match", [
    ("hold_time=-1", r"hold_time=-1\.0: expected a finite number >= 0"),
    ("start_spread=inf", r"start_spread=inf: expected a finite number >= 0"),
    ("hold_time=nan", r"hold_time=nan"),
    ("seed=-1", r"seed=-1: expected an integer >= 0"),
    ("series_bin=0", r"series_bin=0\.0: must be > 0"),
    ("error_wait_min=40", r"error_wait_min=40\.0 > error_wait_max=30\.0"),
])
def test_params_refuse_values_that_would_simulate_nonsense(item, match, capsys):
    from fastroute.cli import main
    from fastroute.errors import InvalidValueError
    from fastroute.sim.converge import Params
    from fastroute.sim.settings import parse_params

    with pytest.raises(InvalidValueError, match=match):
        Params(**parse_params([item]))
    assert main(["converge", "--set", item]) == 2
    assert capsys.readouterr().err.startswith("fastroute: error: invalid convergence parameter")
