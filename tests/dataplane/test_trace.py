"""fastroute.dataplane.trace: the seed article's packet walk, encapsulations, outcomes, errors, CLI."""

import hashlib
import ipaddress
import json

import pytest

from fastroute.model import examples, synth
from fastroute.dataplane import trace
from fastroute.cli import main
from fastroute.errors import InvalidValueError, UnknownPodError
from fastroute.dataplane.forwarding import Encap, Outcome, node_addresses, terminal
from fastroute.dataplane.routes import KernelRoute

SRC = "10.244.219.66"       # echo-deployment-598f49cc44-td2lf on master (the article's ping source)
DST = "10.244.166.129"      # echo-deployment-598f49cc44-7r7kv on node1


@pytest.fixture(scope="module")
def seed():
    return examples.seed()


def _veth(ns, name):
    return "cali" + hashlib.sha1(f"{ns}.{name}".encode()).hexdigest()[:11]


def test_seed_ping_arrives_with_ttl_62_along_the_articles_path(seed):
    t = trace.trace(seed, SRC, DST)
    assert t.outcome == "delivered" and t.ttl == 62 and t.routed_hops == 2
    pod, master, node1, arrive = t.hops
    # in the pod: `route -n` shows 0.0.0.0 via 169.254.1.1 on eth0; `ip neigh` 169.254.1.1 -> ee:ee:...
    assert (pod.where, pod.node, pod.dev_out, pod.next_hop) == ("pod", "master", "eth0", "169.254.1.1")
    assert "ee:ee:ee:ee:ee:ee" in pod.note and "calic88c1a5fc6d" in pod.note
    assert pod.ttl == 64 and pod.mtu == 1500            # ifconfig eth0: MTU:1500
    # on master: arrives on calic88c1a5fc6d (the article's eth0@if6 peer), matches the second ip route line
    assert master.dev_in == "calic88c1a5fc6d"
    assert master.route == "10.244.166.128/26 via 192.168.31.202 dev ens33 proto bird"
    assert (master.action, master.dev_out, master.next_hop, master.next_node) == ("forward", "ens33",
                                                                                  "192.168.31.202", "node1")
    assert master.ttl == 63 and master.encap is None
    # on node1: in from ens33, the workload route to the echo pod's veth
    veth = _veth("default", "echo-deployment-598f49cc44-7r7kv")
    assert node1.dev_in == "ens33" and node1.route == f"{DST} dev {veth} scope link"
    assert (node1.action, node1.dev_out, node1.ttl) == ("deliver", veth, 62)
    assert (arrive.where, arrive.name, arrive.action, arrive.ttl) == (
        "pod", "default/echo-deployment-598f49cc44-7r7kv", "receive", 62)
    assert t.path_mtu == 1500
    text = t.text()
    assert "ttl=62" in text and "10.244.166.128/26 via 192.168.31.202 dev ens33 proto bird" in text


def test_seed_other_pod_on_node1_matches_the_same_route(seed):
    # the article: 10.244.166.130 "matches this route entry too"
    t = trace.trace(seed, "default/echo-deployment-598f49cc44-td2lf", "10.244.166.130")
    assert t.hops[1].route == "10.244.166.128/26 via 192.168.31.202 dev ens33 proto bird"
    assert t.outcome == "delivered" and t.ttl == 62
    assert t.dst.name == "default/echo-deployment-598f49cc44-wsw2d"


def test_same_node_is_one_routed_hop_and_host_source_is_not_decremented(seed):
    t = trace.trace(seed, SRC, "10.244.219.65")
    assert t.outcome == "delivered" and t.ttl == 63
    assert t.hops[1].route == "10.244.219.65 dev calia43cac5d3d1 scope link"
    t = trace.trace(seed, SRC, SRC)                 # to itself: over lo, nothing routed
    assert t.outcome == "delivered" and t.ttl == 64 and [h.dev_in for h in t.hops] == ["lo"]
    t = trace.trace(seed, "master", DST)            # the host pings: only node1 forwards
    assert t.src.kind == "host" and t.ttl == 63 and [h.where for h in t.hops] == ["host", "host", "pod"]
    t = trace.trace(seed, SRC, "192.168.31.203")    # to node2's host: master forwards once
    assert t.outcome == "delivered" and t.ttl == 63 and t.hops[-1].node == "node2"
    assert t.hops[1].route.startswith("192.168.31.0/24 dev ens33 proto kernel")


def test_blackholes_and_leaving_the_cluster(seed):
    t = trace.trace(seed, SRC, "10.244.219.100")            # unused address in master's own block
    assert t.outcome == "blackholed" and t.ttl is None
    assert t.hops[-1].node == "master" and t.hops[-1].route == "blackhole 10.244.219.64/26 proto bird"
    assert t.dst.kind == "unassigned"
    t = trace.trace(seed, SRC, "10.244.166.140")            # unused in node1's block: node1 drops it
    assert t.outcome == "blackholed" and [h.node for h in t.hops] == ["master", "master", "node1"]
    assert t.hops[-1].route == "blackhole 10.244.166.128/26 proto bird"
    t = trace.trace(seed, SRC, "8.8.8.8")
    assert t.outcome == "left cluster" and t.hops[-1].next_hop == "192.168.31.1"
    assert t.hops[-1].route == "default via 192.168.31.1 dev ens33 proto static metric 100"
    t = trace.trace(seed, DST, "8.8.8.8")                   # node1's default route is not in the data
    assert t.outcome == "no route" and "fastroute.io/host-routes" in t.notes[0]


def test_down_node_withdraws_its_block(seed):
    t = trace.trace(seed, SRC, DST, down=["node1"])
    # master no longer has node1's /26: the packet follows master's default route out of the cluster
    assert t.outcome == "left cluster" and t.hops[1].route.startswith("default via 192.168.31.1")
    t = trace.trace(seed, DST, SRC, down=["node1"])
    # node1's own kernel keeps its BIRD routes (persist): it still reaches master
    assert t.outcome == "delivered" and t.ttl == 62


@pytest.mark.parametrize("enc, dev, overhead, path_mtu", [
    ("IPIP", "tunl0", 20, 1480),
    ("VXLAN", "vxlan.calico", 50, 1450),
])
def test_tunnels_add_outer_headers(enc, dev, overhead, path_mtu):
    c = synth.cluster(4, 2, pools=["10.244.0.0/16"], encapsulation=enc, racks=2).allocate()
    t = trace.trace(c, "pod-node-0-0", "pod-node-2-0")
    assert t.outcome == "delivered" and t.ttl == 62 and t.path_mtu == path_mtu
    h = t.hops[1]
    assert (h.action, h.dev_out, h.encap, h.next_node) == ("encapsulate", dev, enc.lower(), "node-2")
    assert h.outer["overhead"] == overhead and h.mtu == 1500 - overhead
    assert (h.outer["src"], h.outer["dst"]) == (str(c.nodes[0].ipv4.ip), str(c.nodes[2].ipv4.ip))
    assert t.hops[2].dev_in == dev and t.hops[0].mtu == path_mtu      # pod MTU is the tunnel MTU
    assert trace.trace(c, "pod-node-0-0", "pod-node-2-0", host_mtu=9000).path_mtu == 9000 - overhead


@pytest.mark.parametrize("enc, far_dev", [("IPIPCrossSubnet", "tunl0"), ("VXLANCrossSubnet", "vxlan.calico")])
def test_cross_subnet_encapsulates_only_across_subnets(enc, far_dev):
    c = synth.cluster(4, 1, pools=["10.244.0.0/16"], encapsulation=enc, racks=2).allocate()
    near = trace.trace(c, "pod-node-0-0", "pod-node-1-0")        # same rack subnet
    far = trace.trace(c, "pod-node-0-0", "pod-node-3-0")
    assert near.hops[1].action == "forward" and near.hops[1].dev_out == "eth0" and near.hops[1].mtu == 1500
    assert far.hops[1].action == "encapsulate" and far.hops[1].dev_out == far_dev
    assert near.ttl == far.ttl == 62


def test_every_pod_pair_of_a_mesh_is_delivered():
    c = synth.cluster(5, 2, pools=["10.244.0.0/16"], seed=3).allocate()
    names = [f"{ns}/{n}" for ns, n in zip(c.pods.namespace, c.pods.name)]
    node_of = {nm: c.node_names[int(i)] for nm, i in zip(names, c.pods.node_idx)}
    from fastroute.dataplane import routes
    tables = routes.compute(c)
    for a in names:
        for b in names:
            if a == b:
                continue
            t = trace.trace(tables, a, b)
            assert t.outcome == "delivered", (a, b)
            assert t.ttl == (63 if node_of[a] == node_of[b] else 62), (a, b)
            assert t.hops[-1].name == b and t.hops[-2].node == node_of[b]


class _Stub:
    """Tables that send 10.9.0.0/16 from node A to node B and back (a loop), nothing else."""

    version = 4

    def __init__(self, cluster, table):
        self.cluster = cluster
        self.table = table

    def step(self, node, addr, include_host=True):
        name = node if isinstance(node, str) else self.cluster.node_names[node]
        r = self.table.get(name)
        if r is None:
            return None, terminal(Outcome.NO_ROUTE), Encap.NONE
        return r, node_addresses(self.cluster, 4)[ipaddress.ip_address(r.via)], Encap.NONE


def test_loop_and_no_route_with_stub_tables(seed):
    loop = _Stub(seed, {"master": KernelRoute("10.9.0.0/16", via="192.168.31.202", dev="ens33", proto="bird"),
                        "node1": KernelRoute("10.9.0.0/16", via="192.168.31.201", dev="ens33", proto="bird")})
    t = trace.trace(loop, SRC, "10.9.1.1")
    assert t.outcome == "loop" and [h.node for h in t.hops] == ["master", "master", "node1", "master"]
    assert t.hops[-1].action == "loop"
    t = trace.trace(_Stub(seed, {}), SRC, "10.9.1.1")
    assert t.outcome == "no route"


def test_endpoint_errors(seed):
    with pytest.raises(UnknownPodError, match=r"unknown source 'nosuch'"):
        trace.trace(seed, "nosuch", DST)
    with pytest.raises(UnknownPodError, match=r"'default/nope'"):
        trace.trace(seed, SRC, "default/nope")
    with pytest.raises(InvalidValueError, match=r"invalid source '8\.8\.8\.8'"):
        trace.trace(seed, "8.8.8.8", DST)
    with pytest.raises(InvalidValueError, match=r"host_mtu 10"):
        trace.trace(seed, SRC, DST, host_mtu=10)
    c = synth.cluster(2, 1, pools=["10.244.0.0/16"], pod_name="web-{k}", namespace="a")
    c.pods.namespace[1] = "b"
    with pytest.raises(UnknownPodError, match=r"ambiguous destination 'web-0'.*a/web-0, b/web-0"):
        trace.trace(c, "a/web-0", "web-0")
    assert trace.trace(c, "a/web-0", "b/web-0").outcome == "delivered"


def test_cli(capsys):
    assert main(["trace", SRC, DST]) == 0
    out = capsys.readouterr().out
    assert "delivered: ttl=62" in out and "route 10.244.166.128/26 via 192.168.31.202 dev ens33 proto bird" in out
    assert main(["trace", examples.seed_path(), SRC, DST, "--json"]) == 0
    j = json.loads(capsys.readouterr().out)
    assert j["ttl"] == 62 and len(j["hops"]) == 4 and j["hops"][1]["next_node"] == "node1"
    assert main(["trace", SRC, DST, "--down", "node1"]) == 1     # not delivered: exit 1, as verify
    assert "left cluster" in capsys.readouterr().out
    assert main(["trace", SRC, "default/nope"]) == 2
    assert capsys.readouterr().err.startswith("fastroute: error: unknown destination 'default/nope'")
    assert main(["trace", SRC]) == 2
    assert main(["trace", SRC, DST, "--down", "node9"]) == 2
    assert "unknown node 'node9'" in capsys.readouterr().err


# ---------------------------------------------------------------------------- against fastroute.testing.walk

from hypothesis import given, settings  # noqa: E402

from fastroute.dataplane import routes as _routes
from fastroute.testing import strategies
from fastroute import testing  # noqa: E402

_WALK = {"delivered": "delivered", "blackhole": "blackholed", "no route": "no route", "loop": "loop",
         "left the cluster": "left cluster"}


@settings(max_examples=30, deadline=None)
@given(strategies.scenarios(max_down=1))
def test_trace_agrees_with_the_testing_walk(scenario):
    """Every pod pair of random clusters (borrowing, reflectors, ToR, encapsulations, a stopped node):
    trace's outcome and the nodes it passes equal fastroute.testing's independent kernel walk."""
    cluster, down = scenario
    tables = _routes.compute(cluster, down=down)
    addrs = [str(cluster.pods[i].ipv4) for i in range(len(cluster.pods)) if cluster.pods.ipv4[i] >= 0][:6]
    # plus the last address of every block: free ones end in a blackhole
    dsts = addrs + [str(b.cidr[-1]) for b in cluster.blocks if b.version == 4][:4]
    for a in addrs:
        for b in dsts:
            if a == b:
                continue
            walks = testing.walk(tables, a, b)
            t = trace.trace(tables, a, b)
            if len(walks) != 1:
                continue                # multipath: trace follows one branch
            w = walks[0]
            assert t.outcome == _WALK[w.outcome], (a, b, w.text(), t.text())
            walked = [h.speaker for h in w.hops]
            traced = [h.node for h in t.hops if h.where == "host" and h.action != "loop"]
            assert traced == walked, (a, b, w.text(), t.text())
