"""The fast path enumeration (fastroute.sim._engine.enumerate_paths) against the
reference walk (fastroute.sim.universe): the same universe, path for path, on
fabric designs (eBGP, Routers, their export modes) and on random session graphs."""

import dataclasses
import ipaddress

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from fastroute.bgp import propagate as routing
from fastroute.errors import ConvergenceError, InvalidValueError
from fastroute.model import synth
from fastroute.sim import converge
from fastroute.testing import strategies

FIELDS = ("holder", "row", "parent", "cls", "next_hop", "attr_bytes")


def assert_same_universe(d, max_paths=400_000_000):
    a = converge.universe(d, "fast", max_paths)
    b = converge.universe(d, "reference", max_paths)
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f), err_msg=f)
    return a


@pytest.mark.parametrize("design", synth.FABRIC_DESIGNS)
@pytest.mark.parametrize("n, racks, spines", [(8, 2, 1), (7, 3, 2), (3, 1, 1), (30, 4, 2)])
def test_fabric_designs(design, n, racks, spines):
    c = synth.fabric(n, 3, racks=racks, spines=spines, design=design, pools=["10.244.0.0/16"], seed=1).allocate()
    u = assert_same_universe(converge.design(c))
    assert u.n > n


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(c=strategies.clusters(max_nodes=7, max_pods=3, topologies=("fabric", "tor", "reflectors"), dual_stack=False))
def test_random_clusters(c):
    d = converge.design(c)
    if len(d.classes):
        assert_same_universe(d)


@st.composite
def announcing_fabrics(draw):
    """Fabrics whose Routers also announce prefixes, some shared between Routers, with any export mode."""
    plan = draw(strategies.clusters(max_nodes=6, max_pods=2, topologies=("fabric",), dual_stack=False,
                                    allocate=False))
    shared = draw(st.sampled_from(["0.0.0.0/0", "172.20.0.0/16"]))
    routers = []
    for r in plan.routers:
        own = draw(st.lists(st.sampled_from([shared, "198.51.100.0/24", "203.0.113.0/24"]), max_size=2, unique=True))
        export = draw(st.sampled_from(["all", "originated", "default"]))
        routers.append(dataclasses.replace(r, announce=tuple(own), export=export))
    plan.routers = tuple(routers)
    return plan.allocate()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(c=announcing_fabrics())
def test_routers_announcing_and_export_modes(c):
    d = converge.design(c)
    if len(d.classes):
        assert_same_universe(d)


@st.composite
def graphs(draw):
    """A random Design over a bare session graph: iBGP and eBGP sessions, rr clients
    with shared or distinct cluster ids, next hop kept, allowas-in, external speakers
    with every role, classes several Routers originate."""
    n = draw(st.integers(2, 7))
    ips = [ipaddress.ip_address(f"10.0.{i % 2}.{i + 1}") for i in range(n)]
    subnets = [draw(st.sampled_from([ipaddress.ip_network("10.0.0.0/16"), ipaddress.ip_network("10.0.0.0/24"),
                                     None])) for _ in range(n)]
    asn = np.array([draw(st.sampled_from([65000, 65001, 65002])) for _ in range(n)], np.uint32)
    external = np.array([i > 0 and draw(st.booleans()) for i in range(n)])
    role = np.array([draw(st.sampled_from([1, 2])) if e else 0 for e in external], np.uint8)
    announces = np.array([draw(st.booleans()) if e else True for e in external])
    pairs = draw(st.lists(st.tuples(st.integers(0, n - 1), st.integers(0, n - 1)).filter(lambda p: p[0] < p[1]),
                          min_size=1, max_size=12, unique=True))
    rows = []
    for a, b in pairs:
        ebgp = bool(asn[a] != asn[b])
        for x, y in ((a, b), (b, a)):
            client = not ebgp and draw(st.booleans())
            rows.append(dict(local=x, remote=y, ebgp=ebgp, rr_client=client,
                             cluster_id=draw(st.sampled_from([int(ips[x]), 7])) if client else int(ips[x]),
                             keep_next_hop=ebgp and draw(st.booleans()),
                             allow_local_as=draw(st.integers(0, 1)), add_paths=not (external[x] or external[y])))
    graph = routing.SessionGraph.build(rows)
    sp = routing.Speakers(ip=ips, asn=asn, router_id=np.array([int(a) for a in ips], np.uint32), subnet=subnets,
                          external=external, announces=announces, role=role)
    classes = [i for i in range(n) if not external[i] or draw(st.booleans())]
    routers = [i for i in range(n) if external[i]]
    origins = None
    if len(routers) > 1 and draw(st.booleans()):
        classes.append(n)
        origins = {n: tuple(routers)}
    if not classes:
        classes = [0]
    d = converge.from_graph(sp, graph, np.array(classes, np.int32))
    d.origins = origins
    return d


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(d=graphs())
def test_random_session_graphs(d):
    try:
        ref = converge.universe(d, "reference", 20_000)
    except ConvergenceError:
        # a reflection or AS loop the walk cannot close: the fast walk refuses it too
        with pytest.raises(ConvergenceError):
            converge.universe(d, "fast", 20_000)
        return
    fast = converge.universe(d, "fast", 20_000)
    for f in FIELDS:
        np.testing.assert_array_equal(getattr(fast, f), getattr(ref, f), err_msg=f)


def test_ipv6_speakers_need_the_reference_walk():
    d = converge.design(synth.fabric(4, 2, racks=1, pools=["10.244.0.0/16"], seed=1).allocate())
    sp = dataclasses.replace(d.speakers, ip=[ipaddress.ip_address("fd00::1")] + list(d.speakers.ip[1:]))
    d6 = dataclasses.replace(d, speakers=sp)
    with pytest.raises(InvalidValueError, match="IPv4"):
        converge.universe(d6, "fast")
    assert converge.universe(d6).n == converge.universe(d6, "reference").n


def test_an_allowas_in_loop_is_refused_with_its_reason():
    # two speakers of one AS each side of a third, allowas-in high: the AS_PATH grows until the limit
    ips = [ipaddress.ip_address(f"10.0.0.{i + 1}") for i in range(3)]
    rows = []
    for a, b in ((0, 1), (1, 2), (0, 2)):
        for x, y in ((a, b), (b, a)):
            rows.append(dict(local=x, remote=y, ebgp=True, cluster_id=int(ips[x]), allow_local_as=100))
    sp = routing.Speakers(ip=ips, asn=np.array([65000, 65001, 65002], np.uint32),
                          router_id=np.array([int(a) for a in ips], np.uint32), subnet=[None] * 3,
                          external=np.zeros(3, bool))
    d = converge.from_graph(sp, routing.SessionGraph.build(rows), np.array([0], np.int32))
    with pytest.raises(ConvergenceError, match="AS_PATH grew past"):
        converge.universe(d, "fast")


def without_cost(r):
    out = r.to_dict()
    out.pop("cost")
    out["params"].pop("enumeration")
    return out


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(c=announcing_fabrics(), scenario=st.sampled_from(["cold_start", "node_crash", "router_crash"]),
       seed=st.integers(0, 100))
def test_simulation_is_the_same_on_either_universe(c, scenario, seed):
    d = converge.design(c)
    if not len(d.classes):
        return
    fast = converge.simulate(d, scenario, enumeration="fast", seed=seed, keep_state=True)
    ref = converge.simulate(d, scenario, enumeration="reference", seed=seed, keep_state=True)
    assert without_cost(fast) == without_cost(ref)
    for k, v in ref.final.items():
        np.testing.assert_array_equal(fast.final[k], v, err_msg=k)
