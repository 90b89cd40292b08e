"""Convergence of fabric designs: Routers (docs/fabric.md) as speakers of the simulator.

The end state of every simulated scenario is the steady state the routing
tables are computed from (fastroute.dataplane.routes.compute), speaker by
speaker and class by class.
"""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings

from fastroute.bgp import propagate as routing
from fastroute.dataplane import routes
from fastroute.errors import InvalidValueError, TimelineError
from fastroute.model import synth
from fastroute.sim import converge
from fastroute.testing import strategies


def fabric(n=8, racks=2, spines=1, design="as-per-rack", pods=3):
    return synth.fabric(n, pods, racks=racks, spines=spines, design=design, pools=["10.244.0.0/16"],
                        seed=1).allocate()


def assert_is_the_computed_state(d, r, cluster):
    prop = routes.compute(cluster, 4).propagation
    np.testing.assert_array_equal(d.classes, prop.classes)
    np.testing.assert_array_equal(r.final["best_next_hop"], prop.best_next_hop)
    np.testing.assert_array_equal(r.final["n_paths"], prop.n_paths)
    np.testing.assert_array_equal(r.final["fib_next_hop"], prop.best_next_hop)


def without(d, gone):
    """The steady state of ``d`` with speaker ``gone``'s sessions down (reference propagation)."""
    g = d.graph
    keep = (g.local != gone) & (g.remote != gone)
    graph = routing.SessionGraph(*(getattr(g, f)[keep] for f in routing.SessionGraph.__dataclass_fields__))
    return routing.propagate_reference(d.speakers, graph, d.classes, origins=d.origins)


# ---------------------------------------------------------------------------- the design


def test_design_has_the_routers_and_their_announcements():
    c = fabric(8, racks=2, spines=1, design="downward-default")
    d = converge.design(c)
    assert d.names[8:] == ["tor-0", "tor-1", "spine-0"]
    # the nodes' classes, then one class for the default route both ToRs announce
    assert len(d.classes) == 9 and d.classes[-1] >= d.n_speakers
    assert d.class_origins()[-1] == (8, 9)
    assert d.class_name(8) == "tor-0+tor-1" and d.prefixes[8] == ["0.0.0.0/0"]
    assert d.class_pods[8] == 0 and d.class_pods[:8].sum() == 8 * 3


# ---------------------------------------------------------------------------- end state == routes.compute


@pytest.mark.parametrize("design", ["as-per-rack", "as-per-node", "downward-default"])
@pytest.mark.parametrize("n, racks, spines", [(8, 2, 1), (7, 3, 2), (3, 1, 1)])
def test_cold_start_ends_in_the_computed_tables(design, n, racks, spines):
    c = fabric(n, racks, spines, design)
    d = converge.design(c)
    r = converge.simulate(d, "cold_start", keep_state=True)
    assert r.converged
    assert_is_the_computed_state(d, r, c)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(c=strategies.clusters(max_nodes=7, max_pods=3, topologies=("fabric",), dual_stack=False))
def test_cold_start_and_tor_crash_end_in_the_steady_state(c):
    d = converge.design(c)
    if not len(d.classes):
        return
    cold = converge.simulate(d, "cold_start", keep_state=True, seed=3)
    assert cold.converged
    assert_is_the_computed_state(d, cold, c)
    # the first ToR crashes and stays down: the others end as if its sessions never were
    tor = converge.first_tor(d)
    crash = converge.simulate(d, "router_crash", keep_state=True, seed=3)
    assert crash.converged and crash.unreachable["target"] == d.names[tor]
    ref = without(d, tor)
    live = np.arange(d.n_speakers) != tor
    np.testing.assert_array_equal(crash.final["best_next_hop"][live], ref.best_next_hop[live])
    np.testing.assert_array_equal(crash.final["n_paths"][live], ref.n_paths[live])
    assert (crash.final["best_next_hop"][tor] == -2).all()
    # ... and after a restart everything is back
    back = converge.simulate(d, "calico_node_restart", keep_state=True, node=d.names[tor], seed=3)
    assert back.converged
    assert_is_the_computed_state(d, back, c)


# ---------------------------------------------------------------------------- timing


def test_tor_crash_waits_for_the_hold_timer_and_cuts_the_rack():
    c = fabric(8, racks=2, spines=1)
    r = converge.simulate(c, "router_crash", hold_time=90.0)
    assert r.unreachable["target"] == "tor-0"
    # every peer of the ToR learns of the crash from its hold timer (90 s, jittered down to 68 s)
    assert 68.0 <= r.time_to_converge <= 91.0
    # the rack's nodes lose the other rack (and it theirs) for good: the ToR never returns
    assert r.unreachable["permanent"]
    lost = {(o["node"], o["prefixes_of"]) for o in r.unreachable["unreachable_at_end"]}
    assert ("node-0", "node-4") in lost and ("node-4", "node-0") in lost
    assert ("node-0", "node-1") in lost              # inside the rack the ToR reflected: those routes go too
    assert ("node-4", "node-5") not in lost          # the other rack keeps its ToR
    same = converge.simulate(c, "node_crash", node="tor-0", hold_time=90.0)
    assert same.time_to_converge == r.time_to_converge


def test_tor_restart_recovers():
    c = fabric(8, racks=2, spines=1, design="as-per-node")
    r = converge.simulate(c, "calico_node_restart", node="tor-1", keep_state=True)
    assert r.converged and not r.unreachable["permanent"]
    assert r.time_to_converge < 60.0


def test_timeline_takes_router_names():
    c = fabric(8, racks=2, spines=1)
    r = converge.simulate(c, "timeline", timeline=[{"at": 0, "event": "crash", "node": "spine-0"},
                                                   {"at": 300, "event": "start", "node": "spine-0"}],
                          keep_state=True)
    assert r.converged and not r.unreachable["permanent"]
    assert_is_the_computed_state(converge.design(c), r, c)
    with pytest.raises(TimelineError, match="a router claims no blocks"):
        converge.simulate(c, "timeline", timeline=[{"at": 0, "event": "block_add", "node": "tor-0"}])


def test_router_crash_needs_a_router():
    c = synth.cluster(4, 2, pools=["10.244.0.0/16"], seed=1).allocate()
    with pytest.raises(InvalidValueError, match="needs a design with routers"):
        converge.simulate(c, "router_crash")
    with pytest.raises(InvalidValueError, match="a Calico node, not a router"):
        converge.simulate(fabric(), "router_crash", node="node-0")


def test_converge_cli_on_a_router(tmp_path, capsys):
    from fastroute.cli.main import main

    f = tmp_path / "fabric.yaml"
    fabric(6, racks=2).dump(str(f))
    assert main(["converge", str(f), "-s", "node_crash", "--node", "tor-1", "--set", "hold_time=30"]) == 0
    out = capsys.readouterr().out
    assert "node crash" in out and "tor-1" not in out.split("worst pod pair")[0].split("BGP sessions")[0]
    assert main(["converge", str(f), "-s", "router_crash", "--json"]) == 0
    assert '"target": "tor-0"' in capsys.readouterr().out
