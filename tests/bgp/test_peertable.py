"""The vectorised topology (node columns, peer table, session layout) held to the
per-entry and per-row reference paths (fastroute.bgp.peers.expand_peers,
fastroute.bgp.sessions_reference) on random clusters."""

import dataclasses
import ipaddress

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastroute.bgp.peers import expand_peers, node_infos
from fastroute.bgp.sessions_reference import reference_entries, reference_sessions
from fastroute.bgp.topology import compute
from fastroute.errors import FastrouteError
from fastroute.model import synth
from fastroute.model.cluster import Cluster
from fastroute.model.filters import Secret
from fastroute.model.kinds import BGPConfiguration, BGPPeer, IPAMConfig, Node

SELECTORS = ["all()", "has(rr)", "zone == 'a'", "zone == 'b'", "!has(rr)", "zone in {'a', 'b'}"]


@st.composite
def clusters(draw):
    n = draw(st.integers(1, 8))
    nodes = []
    for k in range(n):
        labels = {}
        rr = draw(st.booleans()) and draw(st.booleans())
        if rr:
            labels["rr"] = "true"
        zone = draw(st.sampled_from([None, "a", "b"]))
        if zone:
            labels["zone"] = zone
        host = draw(st.sampled_from([k + 1, k + 1, k + 1, 1, 200]))   # some addresses shared
        ip4 = ipaddress.ip_interface(f"10.0.0.{host}/24") if draw(st.integers(0, 9)) else None
        ip6 = ipaddress.ip_interface(f"fd00::{draw(st.sampled_from([k + 1, k + 1, 10]))}/64") \
            if draw(st.booleans()) else None
        nodes.append(Node(
            name=f"n{k}", ipv4=ip4, ipv6=ip6, labels=labels,
            asn=draw(st.sampled_from([None, None, None, 65000 + k, 64512])),
            rr_cluster_id=draw(st.sampled_from(["244.0.0.1", "244.0.0.2"])) if rr else None,
        ))
    configs = [BGPConfiguration(
        name="default", node_to_node_mesh=draw(st.sampled_from([None, False, True])), as_number=64512,
        listen_port=draw(st.sampled_from([None, None, 1790])),
        node_mesh_password=draw(st.sampled_from([None, {"secretKeyRef": {"name": "bgp", "key": "a"}}])),
        calico_version=draw(st.sampled_from([None, "3.20", "3.28", "3.30", "3.31", "3.32"])))]
    for k in range(n):
        if draw(st.integers(0, 5)) == 0:
            configs.append(BGPConfiguration(name=f"node.n{k}", listen_port=draw(st.sampled_from([179, 1790, 1791]))))
    peers = []
    for p in range(draw(st.integers(0, 5))):
        spec = {}
        local = draw(st.sampled_from(["none", "selector", "node", "missing"]))
        if local == "selector":
            spec["node_selector"] = draw(st.sampled_from(SELECTORS))
        elif local == "node":
            spec["node"] = f"n{draw(st.integers(0, n - 1))}"
        elif local == "missing":
            spec["node"] = "nowhere"
        remote = draw(st.sampled_from(["selector", "ip", "ip", "none"]))
        if remote == "selector":
            spec["peer_selector"] = draw(st.sampled_from(SELECTORS))
        elif remote == "ip":
            spec["peer_ip"] = draw(st.sampled_from(
                [f"10.0.0.{draw(st.integers(1, n))}", "10.0.0.254", "10.0.0.253:1790", "10.0.0.1:179",
                 f"fd00::{draw(st.integers(1, n))}", "fd00::fe", "[fd00::fd]:1790", "10.0.0.200"]))
            spec["as_number"] = draw(st.sampled_from([64512, 65001, 65000]))
            spec["keep_original_next_hop"] = draw(st.booleans())
            spec["num_allowed_local_as_numbers"] = draw(st.sampled_from([None, 2]))
            spec["local_as_number"] = draw(st.sampled_from([None, 65100, 65001, 64512]))
        elif remote == "none" and draw(st.booleans()):
            spec["local_workload_selector"] = "app == 'bird'"
            spec["as_number"] = 65002
        spec["next_hop_mode"] = draw(st.sampled_from([None, "Auto", "Self", "Keep"]))
        spec["reverse_peering"] = draw(st.sampled_from([None, "Auto", "Manual"]))
        spec["keepalive_time"] = draw(st.sampled_from([None, "30s"]))
        spec["password"] = draw(st.sampled_from([None, None, {"secretKeyRef": {"name": "bgp", "key": "a"}},
                                                 {"secretKeyRef": {"name": "bgp", "key": "b"}}]))
        peers.append(BGPPeer(name=f"p{draw(st.integers(0, 9))}{p}", **spec))
    c = Cluster(nodes, [], configs, peers, IPAMConfig(),
                secrets=(Secret("kube-system", "bgp", {"a": "one", "b": "two"}),))
    down = [c.node_names[0]] if draw(st.integers(0, 3)) == 0 else []
    return c, down


def assert_same_sessions(a, b):
    for f in dataclasses.fields(a):
        x, y = getattr(a, f.name), getattr(b, f.name)
        if isinstance(x, np.ndarray):
            assert x.dtype == y.dtype and x.shape == y.shape, f.name
            assert (x == y).all(), (f.name, x, y)
        else:
            assert x == y, f.name


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(clusters())
def test_vectorised_topology_equals_the_reference(case):
    c, down = case
    try:
        reference = expand_peers(c), node_infos(c)
    except FastrouteError as e:
        with pytest.raises(type(e)):
            compute(c, down=down)
        return
    topo = compute(c, down=down)
    (global_peers, node_peers), infos = reference
    assert topo.global_peers == global_peers
    assert topo.node_peers == node_peers
    assert topo.infos == tuple(infos)
    assert [(e.ip, e.as_number, e.version) for e in topo.externals] == reference_entries(topo)
    for family in (4, 6):
        assert_same_sessions(topo.sessions(family), reference_sessions(topo, family))
        assert_same_sessions(topo.without_mesh().sessions(family), reference_sessions(topo.without_mesh(), family))


@pytest.mark.parametrize("design", ["as-per-rack", "as-per-node", "downward-default"])
def test_fabric_sessions_equal_the_reference(design):
    """External routers modelled by Routers (ToRs, spines): their rows toward nodes and
    each other, and the pairing."""
    c = synth.fabric(24, 2, racks=3, spines=2, design=design).allocate()
    topo = compute(c, down=[c.node_names[1]])
    assert_same_sessions(topo.sessions(4), reference_sessions(topo, 4))


@pytest.mark.parametrize("reflectors", [0, 3])
def test_synthetic_designs_equal_the_reference(reflectors):
    c = synth.cluster(60, 0, reflectors=reflectors)
    topo = compute(c)
    assert_same_sessions(topo.sessions(4), reference_sessions(topo, 4))
    assert topo.node_peers == expand_peers(c)[1]


def test_node_columns_read_the_addresses_as_confd_writes_them():
    c = Cluster([Node("a", ipv4=ipaddress.ip_interface("10.0.0.1/24"), ipv6=ipaddress.ip_interface("fd00::1:0:0:1/64")),
                 Node("b", ipv6=ipaddress.ip_interface("::ffff:1.2.3.4/64"))], [])
    cols = compute(c).columns
    assert cols.text[4] == ["10.0.0.1", ""]
    assert cols.text[6] == ["fd00::1:0:0:1", str(ipaddress.ip_address("::ffff:1.2.3.4"))]
    assert cols.addr[4].tolist() == [0x0A000001, 0]


def test_a_bad_node_is_refused_as_node_info_refuses_it():
    c = Cluster([Node("a", ipv4=ipaddress.ip_interface("10.0.0.1/24")),
                 Node("b", ipv4=ipaddress.ip_interface("10.0.0.2/24"), rr_cluster_id="not-an-id")], [])
    with pytest.raises(FastrouteError, match="node 'b' rr_cluster_id"):
        compute(c)
