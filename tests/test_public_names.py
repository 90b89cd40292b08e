"""Names users already call keep working after the package was laid out by stage."""

import importlib
import subprocess
import sys

import pytest

import fastroute

#: first, flat module names -> where they live now
FLAT = {
    "routes": "fastroute.dataplane.routes", "trace": "fastroute.dataplane.trace",
    "traffic": "fastroute.dataplane.traffic", "verify": "fastroute.dataplane.verify",
    "plan": "fastroute.planning.plan", "sweeps": "fastroute.planning.sweeps",
    "converge": "fastroute.sim.converge", "cohorts": "fastroute.sim.cohorts",
    "strategies": "fastroute.testing.strategies", "emulate": "fastroute.testing.emulate",
    "status": "fastroute.calicoctl.status", "topology": "fastroute.bgp.topology",
    "birdcfg": "fastroute.bgp.birdcfg", "routing": "fastroute.bgp.propagate",
    "resources": "fastroute.model.resources", "cluster": "fastroute.model.cluster",
    "ipam": "fastroute.model.ipam", "routetable": "fastroute.iproute",
}


@pytest.mark.parametrize("old, new", sorted(FLAT.items()))
def test_flat_module_names_import_the_module_itself(old, new):
    mod = importlib.import_module(new)
    assert getattr(fastroute, old) is mod
    assert importlib.import_module(f"fastroute.{old}") is mod
    assert mod.__name__ == new and mod.__spec__.name == new


def test_top_level_names():
    from fastroute import Fib, Cluster, load, sweep, synth, examples, testing  # noqa: F401
    from fastroute.compat import PyTricia  # noqa: F401
    assert callable(testing.assert_reachable) and callable(sweep)
    assert Fib.from_prefixes(["10.0.0.0/8"], [7]).lookup("10.1.2.3") == 7


def test_unknown_names_still_fail():
    with pytest.raises(AttributeError):
        fastroute.no_such_module
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("fastroute.no_such_module")


def test_old_import_statements_in_a_fresh_interpreter():
    code = ("from fastroute.routes import RouteTables, compute\n"
            "from fastroute.strategies import clusters\n"
            "import fastroute.plan as p\n"
            "assert p.plan is __import__('fastroute.planning.plan', fromlist=['plan']).plan\n")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
