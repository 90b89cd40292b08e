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
