"""Differential: Routers (fastroute.io/v1) as real BIRD 1.6 speakers next to the nodes.

Every Router runs its own BIRD, configured from its resource
(:mod:`fastroute.testing.emulate_routers`); every node's and every router's
``ip route`` must be what :func:`fastroute.dataplane.routes.compute` predicts.
Cases: the seed cluster with one top-of-rack router announcing a default route
and 172.20.0.0/16 (docs/fabric.md), a ToR that sends nodes only its default,
the same ToR stopped, and reflectors sharing a cluster id (each reflector's own
table holds the other reflector's clients' blocks; the clients do not).
"""

import os

import pytest

from fastroute import examples
from fastroute.dataplane import routes
from fastroute.model import resources
from fastroute.model.cluster import Cluster
from fastroute.testing.emulate import cluster_emulation, diff_texts, normalize_routes

pytestmark = pytest.mark.interop

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "fabric")


def seed_with(extra):
    text = open(examples.seed_path()).read() + "\n---\n" + extra
    return Cluster.from_resources(resources.loads(text)).allocate()


def tor(export="all", announce="[0.0.0.0/0, 172.20.0.0/16]"):
    return f"""
apiVersion: fastroute.io/v1
kind: Router
metadata: {{name: tor}}
spec: {{asNumber: 65001, address: 192.168.31.1/24, announce: {announce}, export: {export}}}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {{name: tor}}
spec: {{peerIP: 192.168.31.1, asNumber: 65001}}
"""


def _bird_lines(text):
    # the emulation recreates no host routes: compare what BIRD and Felix program
    return "".join(ln + "\n" for ln in normalize_routes(text).splitlines() if "proto kernel" not in ln)


def compare(emu, cluster, speakers, down=()):
    tables = routes.compute(cluster, down=down)
    want = {n: tables.text(n) for n in speakers}
    got = {n: _bird_lines(emu.ip_route(n)) for n in speakers}
    assert got == want, diff_texts(want, got, "fastroute", "bird")
    return tables


def test_seed_with_a_tor_every_node_and_the_router(netns):
    c = seed_with(tor())
    emu, topo = cluster_emulation(c)
    with emu:
        emu.wait(timeout=60)
        t = compare(emu, c, list(c.node_names) + ["tor"])
    for n in c.node_names:
        text = t.text(n)
        assert "default via 192.168.31.1 dev ens33 proto bird\n" in text
        assert "172.20.0.0/16 via 192.168.31.1 dev ens33 proto bird\n" in text
    # the hot spot: the ToR reaches every block through the node with the lowest router id
    hops = {r.via for r in t.routes("tor") if r.via}
    assert hops == {"192.168.31.201"}


def test_downward_default_then_the_tor_stops(netns):
    c = seed_with(tor(export="default", announce="[0.0.0.0/0]"))
    emu, topo = cluster_emulation(c)
    with emu:
        emu.wait(timeout=60)
        t = compare(emu, c, list(c.node_names) + ["tor"])
        assert all("default via 192.168.31.1" in t.text(n) for n in c.node_names)
        emu.stop_bird("tor")
        expected = {(v.node.name, 4): [p.name for p in v.peers_v4 if p.ip != "192.168.31.1"] for v in topo.views}
        emu.wait(established=expected, timeout=60)
        t = compare(emu, c, list(c.node_names), down=["tor"])
        assert not any("default" in t.text(n) for n in c.node_names)


REFLECTORS = """
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: pool}
spec: {cidr: 10.244.0.0/16, blockSize: 26, ipipMode: Never, vxlanMode: Never}
---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata: {name: default}
spec: {nodeToNodeMeshEnabled: false}
---
apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: rr-a, labels: {kubernetes.io/hostname: rr-a, rr: a}}
spec: {bgp: {ipv4Address: 192.168.31.11/24, routeReflectorClusterID: 244.0.0.1}}
---
apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: rr-b, labels: {kubernetes.io/hostname: rr-b, rr: b}}
spec: {bgp: {ipv4Address: 192.168.31.12/24, routeReflectorClusterID: 244.0.0.1}}
---
apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: w1, labels: {kubernetes.io/hostname: w1, side: a}}
spec: {bgp: {ipv4Address: 192.168.31.21/24}}
---
apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: w2, labels: {kubernetes.io/hostname: w2, side: b}}
spec: {bgp: {ipv4Address: 192.168.31.22/24}}
---
apiVersion: v1
kind: Pod
metadata: {name: p1, namespace: default}
spec: {nodeName: w1}
---
apiVersion: v1
kind: Pod
metadata: {name: p2, namespace: default}
spec: {nodeName: w2}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: a}
spec: {nodeSelector: "side == 'a'", peerSelector: "rr == 'a'"}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: b}
spec: {nodeSelector: "side == 'b'", peerSelector: "rr == 'b'"}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: rrs}
spec: {nodeSelector: has(rr), peerSelector: has(rr)}
"""


def reflector_split():
    return Cluster.from_resources(resources.loads(REFLECTORS)).allocate()


def test_reflectors_sharing_a_cluster_id_keep_each_others_clients_blocks(netns):
    """BIRD 1.6 drops a route whose CLUSTER_LIST holds the cluster id only on an
    ``rr client`` session (proto/bgp/attrs.c bgp_cluster_list_loopy): rr-a accepts
    w2's block from rr-b into its own table, but sends it on to no client whose
    cluster id is already in the list (bgp_import_control), so w1 never gets it."""
    c = reflector_split()
    emu, topo = cluster_emulation(c)
    with emu:
        emu.wait(timeout=60)
        t = compare(emu, c, list(c.node_names))
    w1_block, w2_block = (next(r.dst for r in t.routes(w) if r.type == "blackhole") for w in ("w1", "w2"))
    assert f"{w2_block} via 192.168.31.22 dev eth0 proto bird" in t.text("rr-a")
    assert f"{w1_block} via 192.168.31.21 dev eth0 proto bird" in t.text("rr-b")
    assert w2_block not in t.text("w1") and w1_block not in t.text("w2")


def test_two_racks_as_per_rack_one_spine_then_a_rack_tor_down(netns):
    """AS per rack, mesh off: each ToR reflects between its rack's nodes (iBGP, RFC 4456)
    and peers with the spine over eBGP (next hop self, AS-path loop check); the spine
    announces a default.  Then rack r2's ToR stops: r2's nodes keep only their own
    blocks, r1 loses r2's."""
    c = Cluster.load(os.path.join(DATA, "two_racks.yaml")).allocate()
    speakers = list(c.node_names) + ["tor-r1", "tor-r2", "spine"]
    emu, topo = cluster_emulation(c)
    with emu:
        emu.wait(timeout=60)
        t = compare(emu, c, speakers)
        r2_block = next(r.dst for r in t.routes("r2-a") if r.type == "blackhole")
        assert f"{r2_block} via 10.0.0.1 dev eth0 proto bird" in t.text("r1-a")
        emu.stop_bird("tor-r2")
        expected = {(v.node.name, 4): [p.name for p in v.peers_v4 if p.ip != "10.0.2.1"] for v in topo.views}
        expected.update({("tor-r1", 4): emu.bgp_protocols("tor-r1")})
        emu.wait(established=expected, timeout=60)
        t = compare(emu, c, [s for s in speakers if s != "tor-r2"], down=["tor-r2"])
        assert r2_block not in t.text("r1-a")


def test_two_racks_as_per_rack_on_v332_kernel_metrics(netns):
    """v3.32 (route priority in LOCAL_PREF): a rack's own blocks, reflected by its ToR over
    iBGP, keep the normal priority (metric 1024); the other rack's, learned over eBGP from the
    spine, and the spine's default carry BIRD's default LOCAL_PREF (metric 2147483547)."""
    c = Cluster.load(os.path.join(DATA, "two_racks.yaml")).allocate()
    speakers = list(c.node_names) + ["tor-r1", "tor-r2", "spine"]
    emu, _ = cluster_emulation(c, calico_version="3.32")
    with emu:
        emu.wait(timeout=60)
        t = routes.compute(c, calico_version="3.32")
        want = {n: t.text(n) for n in speakers}
        got = {n: _bird_lines(emu.ip_route(n)) for n in speakers}
    assert got == want, diff_texts(want, got, "fastroute", "bird")
    metrics = {r.metric for r in t.routes("r1-a") if r.proto == "bird" and r.type != "blackhole"}
    assert metrics == {1024, 2147483547}
