"""Clusters with Routers (fastroute.io/v1): their tables, the nodes' routes from
them, verify's fabric findings, trace across ToR and spine hops, traffic per router."""

import dataclasses
import os

import numpy as np
import pytest
from hypothesis import given, settings

from fastroute import examples
from fastroute.dataplane import routes, trace, traffic, verify
from fastroute.model import resources, synth
from fastroute.model.cluster import Cluster
from fastroute.testing import strategies

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "fabric")


@pytest.fixture(scope="module")
def seed_tor():
    text = open(examples.seed_path()).read() + "\n---\n" + open(os.path.join(DATA, "tor.yaml")).read()
    return Cluster.from_resources(resources.loads(text)).allocate()


def test_the_tor_case_nodes_and_router(seed_tor):
    t = routes.compute(seed_tor)
    for n in seed_tor.node_names:
        text = t.text(n)
        assert "default via 192.168.31.1 dev ens33 proto bird\n" in text
        assert "172.20.0.0/16 via 192.168.31.1 dev ens33 proto bird\n" in text
    assert t.text("tor") == ("blackhole default proto bird\n"
                             "10.244.166.128/26 via 192.168.31.201 dev eth0 proto bird\n"
                             "10.244.219.64/26 via 192.168.31.201 dev eth0 proto bird\n"
                             "blackhole 172.20.0.0/16 proto bird\n")
    # the nodes do not pass the router's prefixes on: each learns them from the ToR itself
    for m in ("reference", "fast"):
        p = routes.compute(seed_tor, method=m).propagation
        assert np.array_equal(p.best_next_hop, t.propagation.best_next_hop)


def test_verify_warns_about_the_inbound_hot_spot(seed_tor):
    r = verify.verify(seed_tor)
    (f,) = [f for f in r.findings if f.kind == "inbound-hot-spot"]
    assert f.severity == "warning" and f.details["router"] == "tor" and f.details["node"] == "master"
    assert "lowest router id" in f.message
    assert all(f.kind != "unreachable" for f in r.findings)


@pytest.mark.parametrize("design", synth.FABRIC_DESIGNS)
def test_fabric_designs_reach_everything_and_lose_a_rack_with_its_tor(design):
    c = synth.fabric(9, 2, racks=3, spines=2, design=design).allocate()
    assert [f.kind for f in verify.verify(c).findings] == []
    r = verify.verify(c, down=["tor-1"])
    lost = {(f.details["from_rack"], f.details["to_rack"]) for f in r.findings if f.kind == "rack-without-path"}
    assert lost == {("rack-0", "rack-1"), ("rack-1", "rack-0"), ("rack-2", "rack-1"), ("rack-1", "rack-2")}


def test_downward_default_nodes_hold_only_the_default():
    c = synth.fabric(6, 2, racks=2, design="downward-default").allocate()
    t = routes.compute(c)
    bird = [r for r in t.routes("node-0") if r.origin == "bird" and r.type == "unicast"]
    assert [(r.dst, r.via) for r in bird] == [("default", "172.16.0.254")]
    # every ToR announces the default: one class of two origins, a blackhole in each ToR
    assert t.network.origins.route_origins is not None
    assert t.text("tor-0").startswith("blackhole default proto bird\n")
    assert t.text("tor-1").startswith("blackhole default proto bird\n")


def test_mesh_and_fabric_both_carrying_routes_is_a_warning():
    c = synth.fabric(6, 2, racks=2, design="as-per-node").allocate()
    assert not [f for f in verify.verify(c).findings if f.kind == "mesh-and-fabric"]
    both = c.replace(bgp_configurations=[dataclasses.replace(x, node_to_node_mesh=True)
                                         for x in c.bgp_configurations])
    assert [f.kind for f in verify.verify(both).findings] == ["mesh-and-fabric"]


def test_trace_counts_tor_and_spine_hops():
    c = synth.fabric(6, 2, racks=2, design="as-per-node").allocate()
    t = trace.trace(c, "pod-node-0-0", "pod-node-4-0")
    assert t.delivered
    assert [h.name for h in t.hops if h.where == "router"] == ["tor-0", "spine-0", "tor-1"]
    assert t.routed_hops == 5 and t.ttl == 64 - 5      # node-0, tor-0, spine-0, tor-1, node-4


def test_traffic_per_router():
    c = synth.fabric(6, 2, racks=2, design="as-per-node").allocate()
    src, dst = c.pods.ipv4[[0, 4]], c.pods.ipv4[[4, 0]]        # node-0 <-> node-4
    m = traffic.matrix(c, src.astype(np.uint32), dst.astype(np.uint32), np.array([1000, 500]))
    assert m.outcome_flows["delivered"] == 2
    per = dict(zip(m.routers, m.router_in.tolist()))
    assert per == {"tor-0": 1500, "tor-1": 1500, "spine-0": 1500}


@settings(max_examples=25, deadline=None)
@given(strategies.clusters(max_nodes=6, max_racks=3, topologies=("fabric",), encapsulations=("None", "IPIP"),
                           dual_stack=False))
def test_drawn_fabrics_reach_everything_and_both_kernels_agree(c):
    t = routes.compute(c)
    ref = routes.compute(c, method="reference")
    assert np.array_equal(t.propagation.best_next_hop, ref.propagation.best_next_hop)
    bad = [f for f in verify.verify(c, tables=t).findings if f.severity == "error"]
    if c.fastroute_design["fabric"] == "downward-default" and c.borrowed():
        # a block's node blackholes the addresses other nodes borrowed from it: it hears
        # no /32 (only the ToR's default), as BIRD would (when only tunnel addresses were
        # borrowed, no pod is cut off and there may be no finding)
        # (a rack whose every pod holds a borrowed address is then cut off from the others
        # whole, and verify says so per rack)
        borrowed = {a for a, _, _ in c.borrowed()}
        pods_of = {}
        for n, a in zip(c.pods.node_idx.tolist(), c.pods.ipv4.tolist()):
            pods_of.setdefault(c.nodes[n].labels.get("rack"), set()).add(a)
        assert all((f.kind == "unreachable" and "blackhole" in f.message)
                   or (f.kind == "rack-without-path" and pods_of[f.details["to_rack"]] <= borrowed)
                   for f in bad), bad
    else:
        assert bad == [], bad
