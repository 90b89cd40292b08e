"""Convergence of fabric designs: Routers (docs/fabric.md) as speakers of the simulator.

The end state of every simulated scenario is the steady state the routing
tables are computed from (fastroute.dataplane.routes.compute), speaker by
speaker and class by class.
"""

import dataclasses
import ipaddress

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

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


def test_downward_default_tor_crash_counts_the_pods_behind_the_default():
    c = fabric(8, racks=2, spines=1, design="downward-default")
    d = converge.design(c)
    r = converge.simulate(d, "router_crash", hold_time=90.0)
    assert r.unreachable["target"] == "tor-0" and r.unreachable["permanent"]
    # rack 0's 4 nodes (3 pods each) lose the default route that stood for the 7 other nodes' pods
    assert r.unreachable["pod_pairs_unreachable_at_end"] == 4 * 3 * 7 * 3
    lost = {(o["node"], o["prefixes_of"]) for o in r.unreachable["unreachable_at_end"]}
    assert ("node-0", "tor-0+tor-1") in lost and ("node-4", "tor-0+tor-1") not in lost
    # a node hears its own class only: the default stands for the others
    gp = design_pods(d)
    assert gp[("node-0", "tor-0+tor-1")] == 7 * 3 and gp[("node-0", "node-0")] == 3


def groups(d):
    u = converge.universe(d)
    first = np.r_[True, (np.diff(u.cls) != 0) | (np.diff(u.holder) != 0)]
    return u.holder[first], u.cls[first]


def design_pods(d):
    h, c = groups(d)
    pods = converge.group_pods(d, h, c)
    return {(d.names[a], d.class_name(b)): p for a, b, p in zip(h, c, pods)}


def group_pods_reference(d, holder, cls):
    """converge.group_pods one group and one prefix at a time (the executable spec)."""
    n_nodes = int((~d.speakers.external).sum())
    nets = {rc: [ipaddress.ip_network(x) for x in d.prefixes[rc]]
            for rc in range(len(d.classes)) if d.classes[rc] >= n_nodes}
    stands_for = {}
    for c in range(len(d.classes)):
        if c in nets or not d.class_pods[c]:
            continue
        best, best_len = None, -1
        for rc, covers in nets.items():
            # the longest of rc's prefixes covering each of c's; c is covered when all of them are
            length = min(max((r.prefixlen for r in covers if r.version == o.version and o.subnet_of(r)), default=-1)
                         for o in map(ipaddress.ip_network, d.prefixes[c]))
            if length > best_len:
                best, best_len = rc, length
        if best is not None:
            stands_for[c] = best
    heard = set(zip(holder.tolist(), cls.tolist()))
    return [float(d.class_pods[c]) if c not in nets else
            float(sum(d.class_pods[x] for x, rc in stands_for.items() if rc == c and (h, x) not in heard))
            for h, c in zip(holder.tolist(), cls.tolist())]


@st.composite
def fabrics_announcing(draw):
    """Fabric clusters whose ToRs also announce supernets of some nodes' blocks."""
    plan = draw(strategies.clusters(max_nodes=7, max_pods=3, topologies=("fabric",), dual_stack=False,
                                    allocate=False))
    c = plan.allocate()
    blocks = sorted({str(b.cidr) for b in c.blocks if b.cidr.version == 4}) if c.blocks else []
    if not blocks:
        return c
    routers = []
    for r in plan.routers:
        extra = draw(st.lists(st.tuples(st.sampled_from(blocks), st.integers(8, 26)), max_size=3))
        more = tuple(str(ipaddress.ip_network(b).supernet(new_prefix=min(k, ipaddress.ip_network(b).prefixlen)))
                     for b, k in extra)
        routers.append(dataclasses.replace(r, announce=tuple(dict.fromkeys(r.announce + more))))
    plan.routers = tuple(routers)
    return plan.allocate()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(c=fabrics_announcing())
def test_group_pods_is_the_reference(c):
    d = converge.design(c)
    if not len(d.classes):
        return
    h, k = groups(d)
    np.testing.assert_array_equal(converge.group_pods(d, h, k), group_pods_reference(d, h, k))


def test_reference_walk_leaves_the_garbage_collector_as_it_was():
    import gc

    d = converge.design(fabric(4, racks=1))
    assert gc.isenabled()
    assert converge.universe(d).n > 0 and gc.isenabled()
    gc.disable()
    try:
        converge.universe(d, method="reference")
        assert not gc.isenabled()
    finally:
        gc.enable()
