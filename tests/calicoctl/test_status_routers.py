"""``calicoctl node status`` on nodes that peer with a Router: the router is a
``global`` or ``node specific`` peer, up when it peers back, down when it is stopped."""

import os

from fastroute import examples
from fastroute.calicoctl import status
from fastroute.model import resources
from fastroute.model.cluster import Cluster

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "fabric")


def cluster(extra):
    text = open(examples.seed_path()).read() + "\n---\n" + extra
    return Cluster.from_resources(resources.loads(text)).allocate()


def row(text, ip):
    return next(ln for ln in text.splitlines() if f" {ip} " in ln)


def test_global_router_peer_is_up_and_down_when_stopped():
    c = cluster(open(os.path.join(DATA, "tor.yaml")).read())
    text = status.node_status(c, "master")
    assert "| global" in row(text, "192.168.31.1") and "Established" in row(text, "192.168.31.1")
    stopped = status.node_status(c, "master", down=["tor"])
    assert "Established" not in row(stopped, "192.168.31.1")


def test_node_specific_router_peer():
    tor = open(os.path.join(DATA, "tor.yaml")).read().replace("  peerIP: 192.168.31.1", "  node: node1\n  peerIP: 192.168.31.1")
    c = cluster(tor)
    assert "| node specific" in row(status.node_status(c, "node1"), "192.168.31.1")
    assert "192.168.31.1" not in status.node_status(c, "master")
