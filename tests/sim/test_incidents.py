"""Incidents: graceful-restart recovery of a BIRD started with -R, nodes down at
the event, and outages that never end."""

import pytest

from fastroute.errors import InvalidValueError, UnknownNodeError
from fastroute.model import examples, synth
from fastroute.sim import converge


@pytest.fixture(scope="module")
def seed():
    return examples.seed()


def test_restart_while_a_peer_is_down_waits_for_the_graceful_restart_wait(seed):
    # BIRD started with -R holds node2's kernel table and exports until every
    # configured peer sent End-of-RIB; node1 never will, so the wait timer
    # (240 s) decides: node2's stale routes to node1 go 240 s after its restart
    r = converge.simulate(seed, "calico_node_restart", node="node2", down=["node1"])
    p = converge.Params()
    # ... at the kernel protocol's next scan after the recovery ends
    wait_ends = p.restart_downtime + p.gr_wait
    assert wait_ends < r.time_to_converge < wait_ends + p.kernel_scan
    assert r.unreachable["down"] == ["node1"] and r.unreachable["n_outages"] == 0
    # node2's connects to node1 are refused every connect delay for the whole wait
    assert r.sessions["refused_connects"] == pytest.approx(p.gr_wait / p.connect_delay, abs=3)
    # the done-when figure: within 2x of real BIRD 1.6's 240.5 s
    assert 240.5 / 2 <= r.time_to_converge <= 240.5 * 2


def test_a_shorter_wait_timer_ends_the_recovery_sooner(seed):
    r = converge.simulate(seed, "calico_node_restart", node="node2", down=["node1"], gr_wait=20.0,
                          restart_time=5.0)
    assert 10.0 + 20.0 < r.time_to_converge < 10.0 + 20.0 + converge.Params().kernel_scan


def test_without_a_down_peer_the_recovery_ends_at_end_of_rib(seed):
    # every peer answers: node2's recovery ends when master's End-of-RIB arrives,
    # node2's routes never left the kernel, nothing is lost
    r = converge.simulate(seed, "calico_node_restart", node="node2", keep_state=True)
    assert r.time_to_converge < 1.0 and r.unreachable["n_outages"] == 0
    full = converge.simulate(seed, "cold_start", keep_state=True)
    assert (r.final["fib_next_hop"] == full.final["fib_next_hop"]).all()


def test_without_minus_r_the_kernel_loses_the_routes_until_the_sessions_are_up(seed):
    # BIRD without -R: the kernel protocol removes what BIRD does not have yet
    r = converge.simulate(seed, "calico_node_restart", node="node2", recovery=False)
    assert r.unreachable["n_outages"] > 0
    assert 2.0 <= r.unreachable["max_outage_seconds"] < 3.0      # the connect delay and the session


def test_cold_start_with_a_node_down_waits_for_the_wait_timer(seed):
    # every calico-node starts BIRD with -R: a peer that never answers holds the
    # kernel programming of every node that peers with it for the wait time
    r = converge.simulate(seed, "cold_start", down=["node1"])
    assert r.time_to_converge == pytest.approx(converge.Params().gr_wait, abs=1.0)
    assert r.sessions["total"] == 1 and r.unreachable["down"] == ["node1"]
    plain = converge.simulate(seed, "cold_start", down=["node1"], recovery=False)
    assert plain.time_to_converge < 5.0


def test_down_is_checked(seed):
    with pytest.raises(UnknownNodeError):
        converge.simulate(seed, "cold_start", down=["nope"])
    with pytest.raises(InvalidValueError, match="the node the scenario acts on"):
        converge.simulate(seed, "calico_node_restart", node="node2", down=["node2"])


def test_peers_keep_a_killed_nodes_routes_for_the_restart_time(seed):
    # node1 killed for good: master and node2 keep its routes stale for the
    # restart time node1 advertised, then drop them (its pods are not counted)
    for t in (30.0, 120.0):
        r = converge.simulate(seed, "node_crash", node="node2", down=["node1"], restart_time=t, hold_time=600.0)
        assert r.time_to_converge == pytest.approx(t, abs=0.01)


def single_and_double():
    one = synth.cluster(12, 4, pools=["10.244.0.0/16"], reflectors=1, seed=1).allocate()
    two = synth.cluster(12, 4, pools=["10.244.0.0/16"], reflectors=2, seed=1).allocate()
    return one, two


def test_a_single_reflector_crash_is_a_permanent_outage():
    one, two = single_and_double()
    r = converge.simulate(one, "reflector_crash")
    u = r.unreachable
    assert u["permanent"] and r.converged
    # every client pair (11 clients x 10 others, 4 pods each side) is cut for good
    assert u["pod_pairs_unreachable_at_end"] == 11 * 10 * 4 * 4
    r2 = converge.simulate(two, "reflector_crash")
    assert not r2.unreachable["permanent"] and r2.unreachable["pod_pairs_unreachable_at_end"] == 0


def test_an_outage_cut_short_by_the_horizon_is_not_permanent():
    one, _ = single_and_double()
    r = converge.simulate(one, "reflector_crash", horizon=60.0)
    assert not r.converged and not r.unreachable["permanent"]


def test_timer_defaults_are_what_calicos_template_renders(seed):
    # the simulator's BIRD timers are the rendered bgp_template's (and BIRD's defaults where Calico sets none)
    import re

    from fastroute.bgp.birdcfg import render_files
    from fastroute.bgp.topology import compute

    cfg = render_files(compute(seed).views[0])["bird.cfg"]
    tpl = cfg[cfg.index("template bgp bgp_template {"):]
    tpl = tpl[:tpl.index("\n}")]
    p = converge.Params()
    assert f"connect delay time {p.connect_delay:g};" in tpl and f"connect retry time {p.connect_retry:g};" in tpl
    assert f"error wait time {p.error_wait_min:g},{p.error_wait_max:g};" in tpl
    assert "  graceful restart;" in tpl and "graceful restart time" not in tpl     # BIRD's gr_time: 120
    assert "graceful restart wait" not in cfg and p.gr_wait == 240 and p.restart_time == 120
    kernel = cfg[cfg.index("protocol kernel {"):]
    assert re.search(rf"scan time {p.kernel_scan:g};", kernel[:kernel.index("}")])
