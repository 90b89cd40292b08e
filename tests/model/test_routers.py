"""The Router resource (fastroute.io/v1): parsing, errors that name the file,
document, field and value, and the round trip through ``export``."""

import os

import pytest

from fastroute.errors import ResourceError
from fastroute.model import resources
from fastroute.model.cluster import Cluster
from fastroute.model.routers import Router, RouterPeer
from fastroute.bgp import topology

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "fabric")
NODE = """
apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: n1}
spec: {bgp: {ipv4Address: 10.0.1.11/16}}
---
"""


def router_doc(**spec):
    spec.setdefault("asNumber", 65001)
    spec.setdefault("address", "10.0.1.1/16")
    body = ", ".join(f"{k}: {v}" for k, v in spec.items())
    return f"apiVersion: fastroute.io/v1\nkind: Router\nmetadata: {{name: tor}}\nspec: {{{body}}}\n"


def load(text):
    return Cluster.from_resources(resources.loads(text, "fab.yaml"))


def test_a_router_reads_with_every_field():
    c = load(NODE + router_doc(interface="ens3", announce="[0.0.0.0/0, 172.20.0.0/16]", export="originated",
                               peers="[{peerIP: 10.0.0.1, asNumber: 65100}]", routeReflector="true",
                               clusterID="244.0.0.9"))
    (r,) = c.routers
    assert r == Router("tor", 65001, "10.0.1.1/16", "ens3", ("0.0.0.0/0", "172.20.0.0/16"), "originated",
                       (RouterPeer("10.0.0.1", 65100),), True, "244.0.0.9", r.source)
    assert r.ip == "10.0.1.1" and r.reflector_cluster_id == "244.0.0.9"


@pytest.mark.parametrize("spec, field, value", [
    (dict(address="10.0.1.1"), "spec.address", "'10.0.1.1'"),
    (dict(address="nope/16"), "spec.address", "'nope/16'"),
    (dict(asNumber="x"), "spec.asNumber", "x"),
    (dict(announce="[10.0.0.1/8]"), "spec.announce[0]", "'10.0.0.1/8'"),
    (dict(announce="['fd00::/64']"), "spec.announce[0]", "'fd00::/64'"),
    (dict(export="some"), "spec.export", "'some'"),
    (dict(export="default", announce="[172.20.0.0/16]"), "spec.announce", "172.20.0.0/16"),
    (dict(peers="[{peerIP: 10.0.0.1}]"), "spec.peers[0].asNumber", "required"),
    (dict(peers="[{peerIP: bad, asNumber: 1}]"), "spec.peers[0].peerIP", "'bad'"),
    (dict(clusterID="244.0.0.1"), "spec.clusterID", "244.0.0.1"),
    (dict(colour="red"), "spec.colour", "colour"),
])
def test_errors_name_file_document_field_and_value(spec, field, value):
    with pytest.raises(ResourceError) as e:
        load(NODE + router_doc(**spec))
    text = str(e.value)
    assert text.startswith("fab.yaml: document 2 (Router 'tor'): " + field), text
    assert value in text


def test_routers_clash_with_each_other_or_a_node():
    two = router_doc() + "---\n" + router_doc().replace("name: tor", "name: tor2")
    with pytest.raises(ResourceError, match="also Router 'tor'"):
        topology.compute(load(NODE + two))
    with pytest.raises(ResourceError, match="node 'n1'"):
        topology.compute(load(NODE + router_doc(address="10.0.1.11/16")))


def test_export_round_trip():
    c = Cluster.load(os.path.join(DATA, "two_racks.yaml"))
    docs = c.to_documents()
    again = Cluster.from_resources(resources.parse_documents(docs))
    assert [(r.name, r.as_number, r.address, r.peers, r.route_reflector, r.announce) for r in again.routers] == \
        [(r.name, r.as_number, r.address, r.peers, r.route_reflector, r.announce) for r in c.routers]
    assert c.allocate().routers == c.routers
