"""fastroute.bgp.topology: confd's peer expansion, per-node views and the session arrays.

Expected values come from confd's template rules (projectcalico/calico
``confd/etc/calico/confd/templates/bird.cfg.template``) and from confd's own test fixtures in projectcalico/calico
(``confd/tests/mock_data/calicoctl/explicit_peering/{route_reflector,selectors}/input.yaml``
and the matching ``confd/tests/compiled_templates/.../bird.cfg``, rendered there for
node ``kube-master``): the inputs are restated here as YAML, the expected protocols as
the facts those files show (name, neighbour, AS, rr client).
"""

import dataclasses
import ipaddress
import re

import numpy as np
import pytest

from fastroute.model import examples
from fastroute.bgp.birdcfg import render_bird_cfg
from fastroute.model.cluster import Cluster
from fastroute.errors import InvalidValueError, ResourceError, SelectorError, UnknownNodeError
from fastroute.model.resources import loads
from fastroute.bgp.topology import SessionKind, compute, expand_peers, parse_duration, split_peer_ip


def cluster_of(text):
    return Cluster.from_resources(loads(text))


POOL = """
kind: IPPool
apiVersion: projectcalico.org/v3
metadata: {name: pool}
spec: {cidr: 10.244.0.0/16}
"""


def node(name, ip, labels=None, cid=None, asn=None, ip6=None):
    bgp = {"ipv4Address": ip}
    if cid:
        bgp["routeReflectorClusterID"] = cid
    if asn:
        bgp["asNumber"] = asn
    if ip6:
        bgp["ipv6Address"] = ip6
    return f"""
---
kind: Node
apiVersion: projectcalico.org/v3
metadata: {{name: {name}, labels: {dict(labels or {})}}}
spec: {{bgp: {bgp}}}
"""


def peer(name, **spec):
    body = "".join(f"\n  {k}: {v!r}" if isinstance(v, str) else f"\n  {k}: {v}" for k, v in spec.items())
    return f"""
---
kind: BGPPeer
apiVersion: projectcalico.org/v3
metadata: {{name: {name}}}
spec:{body}
"""


def bgpconfig(name="default", **spec):
    body = "".join(f"\n  {k}: {v}" for k, v in spec.items()) or " {}"
    return f"""
---
kind: BGPConfiguration
apiVersion: projectcalico.org/v3
metadata: {{name: {name}}}
spec:{body}
"""


def protocols(topo, name, version=4):
    v = topo.view(name)
    return [p.name for p in (v.peers_v4 if version == 4 else v.peers_v6)]


def by_name(topo, name, version=4):
    v = topo.view(name)
    return {p.name: p for p in (v.peers_v4 if version == 4 else v.peers_v6)}


# --------------------------------------------------------------------------- seed / mesh


@pytest.mark.parametrize("version", ["3.20", "3.28"])
def test_seed_full_mesh(version):
    topo = compute(examples.seed(), version)
    assert protocols(topo, "master") == ["Mesh_192_168_31_202", "Mesh_192_168_31_203"]
    assert protocols(topo, "node1") == ["Mesh_192_168_31_201", "Mesh_192_168_31_203"]
    # passive on when the peer's address is greater (as text)
    assert [p.passive for p in topo.view("master").peers_v4] == [True, True]
    assert [p.passive for p in topo.view("node1").peers_v4] == [False, True]
    assert [p.passive for p in topo.view("node2").peers_v4] == [False, False]
    s = topo.sessions(4)
    assert s.n_sessions == 6 and s.n_nodes == s.n_speakers == 3
    assert s.local.tolist() == [0, 0, 1, 1, 2, 2]
    assert s.remote.tolist() == [1, 2, 0, 2, 0, 1]
    assert (s.kind == SessionKind.MESH).all()
    assert s.established.all() and not s.ebgp.any() and not s.rr_client.any()
    assert s.peer_row.tolist() == [2, 4, 0, 5, 1, 3]
    assert s.local_ip.dtype == np.uint32 and s.local_ip[0] == int.from_bytes(bytes([192, 168, 31, 201]), "big")
    assert s.router_id.tolist() == s.local_ip[[0, 2, 4]].tolist()
    assert (s.local_as == 64512).all() and (s.remote_port == 179).all()
    assert (s.local_cluster_id == 0).all() and (s.session_cluster_id == s.router_id[s.local]).all()
    assert s.names[0] == "Mesh_192_168_31_202"
    assert topo.sessions(6).n_sessions == 0
    assert topo.sessions(4) is s  # computed once


def test_seed_blocks_and_pool_reach_the_view():
    topo = compute(examples.seed())
    v = topo.view("master")
    assert [b.cidr for b in v.blocks] == ["10.244.219.64/26"]
    assert [p.cidr for p in v.pools] == ["10.244.0.0/16"]
    assert topo.view("node2").blocks == ()
    text = render_bird_cfg(v)
    assert "router id 192.168.31.201;" in text and "local as 64512;" in text


def test_passive_is_a_string_comparison():
    # "10.0.0.10" < "10.0.0.9" as text although 10 > 9 as numbers.
    c = cluster_of(POOL + node("a", "10.0.0.9/24") + node("b", "10.0.0.10/24"))
    topo = compute(c)
    assert by_name(topo, "a")["Mesh_10_0_0_10"].passive is False
    assert by_name(topo, "b")["Mesh_10_0_0_9"].passive is True
    assert topo.sessions(4).established.all()


def test_down_nodes_take_their_sessions_down():
    topo = compute(examples.seed(), down={"node1"})
    s = topo.sessions(4)
    touches = (s.local == 1) | (s.remote == 1)
    assert not s.established[touches].any() and s.established[~touches].all()
    assert s.down.tolist() == [False, True, False]
    # configuration does not change when calico-node stops
    assert protocols(topo, "master") == ["Mesh_192_168_31_202", "Mesh_192_168_31_203"]
    assert compute(examples.seed(), down="node1,node2").down == {"node1", "node2"}


def test_unknown_down_node():
    with pytest.raises(UnknownNodeError, match=r"unknown node 'nodeX': the cluster has 'master', 'node1', 'node2'"):
        compute(examples.seed(), down=["nodeX"])
    with pytest.raises(UnknownNodeError, match="unknown node 'x'"):
        compute(examples.seed()).view("x")


def test_bad_calico_version():
    with pytest.raises(InvalidValueError, match=r"invalid calico_version '3.99': expected one of '3.28', '3.32', "
                                                r"'3.31', '3.30', '3.30.1', '3.28.1', '3.20'"):
        compute(examples.seed(), "3.99")


def test_cluster_level_version_setting_is_used():
    # the seed ran v3.20: its default BGPConfiguration carries fastroute.io/calico-version
    c = examples.seed()
    assert c.calico_version == "3.20"
    assert compute(c).calico_version == "3.20"
    assert compute(c, "3.28").calico_version == "3.28"
    plain = c.replace(bgp_configurations=[])
    assert plain.calico_version is None and compute(plain).calico_version == "3.28"


# --------------------------------------------------------------------------- route reflectors


def rr_cluster(rr_ids=("244.0.0.1", "244.0.0.1"), global_peer=False, mesh=False):
    text = POOL + bgpconfig(nodeToNodeMeshEnabled="true" if mesh else "false")
    for k, cid in enumerate(rr_ids, 1):
        text += node(f"rr{k}", f"10.0.0.1{k}/24", {"route-reflector": "true"}, cid=cid)
    for k in range(1, 5):
        text += node(f"c{k}", f"10.0.0.2{k}/24")
    spec = dict(peerSelector="route-reflector == 'true'")
    if not global_peer:
        spec["nodeSelector"] = "all()"
    text += peer("peer-with-route-reflectors", **spec)
    return cluster_of(text)


def test_docs_route_reflector_design():
    """§5.4: every node gets Node_<rr> for each (other) RR from the node pass; each RR gets
    Node_<ip> for every node from the reverse pass; clients are rr clients of both RRs; the
    two RRs share a cluster id and peer as plain iBGP."""
    topo = compute(rr_cluster())
    for c in ("c1", "c2", "c3", "c4"):
        assert protocols(topo, c) == ["Node_10_0_0_11", "Node_10_0_0_12"]
        assert not any(p.rr_cluster_id for p in topo.view(c).peers_v4)
    rr1 = by_name(topo, "rr1")
    assert list(rr1) == ["Node_10_0_0_12", "Node_10_0_0_21", "Node_10_0_0_22", "Node_10_0_0_23", "Node_10_0_0_24"]
    assert rr1["Node_10_0_0_12"].rr_cluster_id is None
    assert all(rr1[f"Node_10_0_0_2{k}"].rr_cluster_id == "244.0.0.1" for k in range(1, 5))
    assert not any(p.passive for v in topo.views for p in v.peers_v4)
    s = topo.sessions(4)
    assert s.n_sessions == 4 * 2 + 2 * 5 and s.established.all()
    assert (s.kind == SessionKind.NODE).all()
    rows = s.rows_of(0)
    assert s.rr_client[rows].tolist() == [False, True, True, True, True]
    cid = int.from_bytes(bytes([244, 0, 0, 1]), "big")
    assert (s.local_cluster_id[rows] == cid).all()
    # BIRD's cluster id per session: the configured one toward clients, else the router id.
    assert s.session_cluster_id[rows].tolist() == [int(s.router_id[0])] + [cid] * 4
    client_rows = s.rows_of(2)
    assert not s.rr_client[client_rows].any() and (s.local_cluster_id[client_rows] == 0).all()
    text = render_bird_cfg(topo.view("rr1"))
    assert "rr client;\n  rr cluster id 244.0.0.1;" in text
    assert "is configured as a route reflector with cluster ID 244.0.0.1" in text


def test_reflectors_with_different_cluster_ids_are_each_others_clients():
    topo = compute(rr_cluster(("244.0.0.1", "244.0.0.2")))
    assert by_name(topo, "rr1")["Node_10_0_0_12"].rr_cluster_id == "244.0.0.1"
    assert by_name(topo, "rr2")["Node_10_0_0_11"].rr_cluster_id == "244.0.0.2"


def test_global_peer_selector_gives_global_protocols():
    """§5.4: with a global BGPPeer, every node has Global_<rr>; RRs still see clients as Node_."""
    topo = compute(rr_cluster(global_peer=True))
    assert protocols(topo, "c1") == ["Global_10_0_0_11", "Global_10_0_0_12"]
    assert protocols(topo, "rr1") == ["Global_10_0_0_12", "Node_10_0_0_21", "Node_10_0_0_22", "Node_10_0_0_23",
                                      "Node_10_0_0_24"]
    # selector-derived peers are not marked calico_node, so not passive
    assert not any(p.passive for v in topo.views for p in v.peers_v4)
    s = topo.sessions(4)
    assert s.established.all()
    assert set(s.kind.tolist()) == {SessionKind.GLOBAL, SessionKind.NODE}


def test_mesh_route_reflector_exclusion_v320_vs_v328():
    """From v3.22 nodes with a cluster id leave the mesh; v3.20 keeps them in it."""
    c = rr_cluster(mesh=True)
    new = compute(c, "3.28")
    old = compute(c, "3.20")
    assert protocols(new, "c1") == ["Mesh_10_0_0_22", "Mesh_10_0_0_23", "Mesh_10_0_0_24", "Node_10_0_0_11",
                                    "Node_10_0_0_12"]
    assert [p for p in protocols(new, "rr1") if p.startswith("Mesh")] == []
    # the mesh walks the host directories, i.e. node names in order: c2 c3 c4 rr1 rr2
    assert protocols(old, "c1")[:5] == ["Mesh_10_0_0_22", "Mesh_10_0_0_23", "Mesh_10_0_0_24", "Mesh_10_0_0_11",
                                        "Mesh_10_0_0_12"]
    assert sum(p.startswith("Mesh") for p in protocols(old, "rr1")) == 5
    assert "# ignore node-to-node mesh setting." in render_bird_cfg(new.view("rr1"))
    assert "Mesh_10_0_0_12" in render_bird_cfg(old.view("rr1"))


CONFD_RR = """
kind: BGPConfiguration
apiVersion: projectcalico.org/v3
metadata: {name: default}
spec: {asNumber: 64532, nodeToNodeMeshEnabled: false}
---
kind: BGPPeer
apiVersion: projectcalico.org/v3
metadata: {name: bgppeer-1}
spec: {peerIP: 172.19.4.87, asNumber: 64533, nodeSelector: has(routeReflector)}
---
kind: BGPPeer
apiVersion: projectcalico.org/v3
metadata: {name: bgppeer-v6}
spec: {peerIP: "[ac13::57]:50", asNumber: 64533, nodeSelector: has(routeReflector)}
---
kind: BGPPeer
apiVersion: projectcalico.org/v3
metadata: {name: bgppeer-other-nodes}
spec: {nodeSelector: has(routeReflector), peerSelector: "!has(routeReflector)"}
---
kind: IPPool
apiVersion: projectcalico.org/v3
metadata: {name: ippool-1}
spec: {cidr: 192.168.0.0/16, natOutgoing: true}
---
kind: Node
apiVersion: projectcalico.org/v3
metadata: {name: kube-master, labels: {routeReflector: "true"}}
spec: {bgp: {ipv4Address: 10.192.0.2/16, ipv6Address: fe0a::2/96, routeReflectorClusterID: 10.0.0.1}}
---
kind: Node
apiVersion: projectcalico.org/v3
metadata: {name: kube-node-1}
spec: {bgp: {ipv4Address: 10.192.0.3/16, ipv6Address: fe0a::3/96}}
---
kind: Node
apiVersion: projectcalico.org/v3
metadata: {name: kube-node-2}
spec: {bgp: {ipv4Address: 10.192.0.4/16, ipv6Address: fe0a::4/96}}
"""


def _facts(text):
    """(protocol, neighbor line, rr client?) from a rendered bird.cfg."""
    out = []
    for m in re.finditer(r"^protocol bgp (\S+) from bgp_template \{\n(.*?)^\}", text, re.M | re.S):
        body = m.group(2)
        nb = re.search(r"^\s*neighbor (.*?);", body, re.M).group(1)
        out.append((m.group(1), nb, "rr client;" in body))
    return out


def test_confd_fixture_route_reflector():
    """confd's explicit_peering/route_reflector case, rendered for kube-master."""
    topo = compute(cluster_of(CONFD_RR))
    assert _facts(render_bird_cfg(topo.view("kube-master"))) == [
        ("Node_10_192_0_3", "10.192.0.3 as 64532", True),
        ("Node_10_192_0_4", "10.192.0.4 as 64532", True),
        ("Node_172_19_4_87", "172.19.4.87 as 64533", False),
    ]
    assert "rr cluster id 10.0.0.1;" in render_bird_cfg(topo.view("kube-master"))
    assert "calico_export_to_bgp_peers(false);" in render_bird_cfg(topo.view("kube-master"))
    # v6: the reverse peerings of the selector BGPPeer, and the explicit [v6]:port peer
    assert protocols(topo, "kube-master", 6) == ["Node_ac13__57_port_50", "Node_fe0a__3", "Node_fe0a__4"]
    assert by_name(topo, "kube-master", 6)["Node_ac13__57_port_50"].port == 50
    # the clients peer back with the reflector only (reverse pass)
    assert protocols(topo, "kube-node-1") == ["Node_10_192_0_2"]
    assert protocols(topo, "kube-node-1", 6) == ["Node_fe0a__2"]
    s4, s6 = topo.sessions(4), topo.sessions(6)
    assert [e.ip for e in topo.externals] == ["172.19.4.87", "ac13::57"]
    assert [e.index for e in topo.externals] == [3, 4]
    assert s4.n_speakers == s6.n_speakers == 5
    ext = s4.rows_of(3)
    assert len(ext) == 1 and s4.remote[ext[0]] == 0 and s4.kind[ext[0]] == SessionKind.EXTERNAL
    assert s4.ebgp[ext[0]] and s4.established.all()
    # v6 external on port 50: an external router is assumed to listen where it is told
    assert s6.established.all() and s6.remote_ip.dtype == object
    assert s6.router_id[4] == 0


CONFD_SELECTORS = """
kind: BGPConfiguration
apiVersion: projectcalico.org/v3
metadata: {name: default}
spec: {nodeToNodeMeshEnabled: false}
---
kind: BGPConfiguration
apiVersion: projectcalico.org/v3
metadata: {name: node.kube-node-1}
spec: {listenPort: 500}
---
kind: BGPPeer
apiVersion: projectcalico.org/v3
metadata: {name: bgppeer-1}
spec: {nodeSelector: "group=='one'", peerSelector: "group=='two'"}
---
kind: IPPool
apiVersion: projectcalico.org/v3
metadata: {name: ippool-1}
spec: {cidr: 192.168.0.0/16}
---
kind: Node
apiVersion: projectcalico.org/v3
metadata: {name: kube-master, labels: {group: one}}
spec: {bgp: {ipv4Address: 10.192.0.2/16, ipv6Address: fd5f::2/96}}
---
kind: Node
apiVersion: projectcalico.org/v3
metadata: {name: kube-node-1, labels: {group: two}}
spec: {bgp: {ipv4Address: 10.192.0.3/16, ipv6Address: fd5f::3/96}}
---
kind: Node
apiVersion: projectcalico.org/v3
metadata: {name: kube-node-2, labels: {group: two}}
spec: {bgp: {ipv4Address: 10.192.0.4/16, ipv6Address: fd5f::4/96}}
"""


def test_confd_fixture_selectors_and_listen_port():
    """confd's explicit_peering/selectors case: the peer's per-node listenPort goes into the
    neighbour line and the protocol name."""
    topo = compute(cluster_of(CONFD_SELECTORS))
    assert _facts(render_bird_cfg(topo.view("kube-master"))) == [
        ("Node_10_192_0_3_port_500", "10.192.0.3 port 500 as 64512", False),
        ("Node_10_192_0_4", "10.192.0.4 as 64512", False),
    ]
    # reverse: the group-two nodes peer with kube-master on its (default) port
    assert protocols(topo, "kube-node-1") == ["Node_10_192_0_2"]
    assert "listen bgp port 500;" in render_bird_cfg(topo.view("kube-node-1"))
    s = topo.sessions(4)
    assert s.established.all()
    assert s.remote_port[s.rows_of(0)].tolist() == [500, 179]


# --------------------------------------------------------------------------- explicit peers


MESH3 = POOL + node("n1", "10.0.0.1/24") + node("n2", "10.0.0.2/24") + node("n3", "10.0.0.3/24")


def test_global_external_ebgp_tor():
    topo = compute(cluster_of(MESH3 + peer("tor", peerIP="10.0.0.254", asNumber=65001)))
    for n in ("n1", "n2", "n3"):
        p = by_name(topo, n)["Global_10_0_0_254"]
        assert p.as_number == 65001 and not p.passive and not p.internal
    assert [(e.ip, e.as_number, e.index) for e in topo.externals] == [("10.0.0.254", 65001, 3)]
    s = topo.sessions(4)
    tor = s.rows_of(3)
    assert s.remote[tor].tolist() == [0, 1, 2]
    assert (s.kind[tor] == SessionKind.EXTERNAL).all() and s.ebgp[tor].all()
    assert (s.local_as[tor] == 65001).all() and (s.remote_as[tor] == 64512).all()
    assert s.established.all()
    g = [r for r in range(s.n_sessions) if s.names[r] == "Global_10_0_0_254"]
    assert len(g) == 3 and s.ebgp[g].all() and (s.kind[g] == SessionKind.GLOBAL).all()
    assert all(s.peer_row[s.peer_row[r]] == r for r in range(s.n_sessions))
    assert s.router_id[3] == int.from_bytes(bytes([10, 0, 0, 254]), "big")


def test_node_specific_peer_and_keep_next_hop():
    c = cluster_of(MESH3 + peer("tor", node="n2", peerIP="10.0.0.254", asNumber=65001, keepOriginalNextHop=True,
                                numAllowedLocalASNumbers=2))
    topo = compute(c)
    assert "Node_10_0_0_254" in protocols(topo, "n2")
    assert not any("254" in p for p in protocols(topo, "n1") + protocols(topo, "n3"))
    p = by_name(topo, "n2")["Node_10_0_0_254"]
    assert p.next_hop_keep and p.allow_local_as == 2
    s = topo.sessions(4)
    r = s.names.index("Node_10_0_0_254")
    assert s.keep_next_hop[r] and s.allow_local_as[r] == 2 and s.ebgp[r]
    assert s.remote[s.rows_of(3)].tolist() == [1]


def test_node_pass_skips_peers_a_global_peer_already_covers():
    c = cluster_of(MESH3 + peer("a-global", peerIP="10.0.0.254", asNumber=65001)
                   + peer("b-node", node="n1", peerIP="10.0.0.254", asNumber=65002))
    g, n = expand_peers(c)
    assert [(d.ip, d.as_number) for d in g] == [("10.0.0.254", 65001)]
    assert n["n1"] == []
    assert protocols(compute(c), "n1")[-1] == "Global_10_0_0_254"


def test_peer_ip_of_a_calico_node_is_reversed_and_global_ones_are_passive():
    """A global peerIP that is a Calico node's address: calico_node=true, so from v3.23 the end
    with the lower address... renders passive on the other side; the reverse pass gives the
    target node Node_ sessions toward every node."""
    c = cluster_of(POOL + bgpconfig(nodeToNodeMeshEnabled="false") + node("n1", "10.0.0.1/24")
                   + node("n2", "10.0.0.2/24") + node("n3", "10.0.0.3/24")
                   + peer("to-n3", peerIP="10.0.0.3", asNumber=64512))
    topo = compute(c)
    assert by_name(topo, "n1")["Global_10_0_0_3"].passive is True  # "10.0.0.3" > "10.0.0.1"
    assert protocols(topo, "n3") == ["Node_10_0_0_1", "Node_10_0_0_2"]
    assert topo.externals == ()
    assert topo.sessions(4).established.all()
    old = compute(c, "3.20")
    assert by_name(old, "n1")["Global_10_0_0_3"].passive is False


def test_peer_ip_of_a_calico_node_with_the_wrong_as_is_one_sided():
    c = cluster_of(POOL + bgpconfig(nodeToNodeMeshEnabled="false") + node("n1", "10.0.0.1/24")
                   + node("n2", "10.0.0.2/24") + peer("bad", node="n1", peerIP="10.0.0.2", asNumber=65000))
    topo = compute(c)
    assert protocols(topo, "n1") == ["Node_10_0_0_2"]
    assert protocols(topo, "n2") == []  # no reverse peering: the AS does not match n2's
    s = topo.sessions(4)
    assert s.n_sessions == 1 and not s.established[0] and s.peer_row[0] == -1 and s.remote[0] == 1


def test_as_mismatch_between_configured_ends():
    c = cluster_of(POOL + bgpconfig(nodeToNodeMeshEnabled="false") + node("n1", "10.0.0.1/24")
                   + node("n2", "10.0.0.2/24", asn=65002)
                   + peer("a", node="n1", peerIP="10.0.0.2", asNumber=65000)
                   + peer("b", node="n2", peerIP="10.0.0.1", asNumber=64512))
    s = compute(c).sessions(4)
    assert s.n_sessions == 2 and s.peer_row.tolist() == [1, 0] and not s.established.any()


def test_node_listen_port_mismatch_keeps_the_session_down():
    c = cluster_of(POOL + bgpconfig(nodeToNodeMeshEnabled="false") + bgpconfig("node.n2", listenPort=1790)
                   + node("n1", "10.0.0.1/24") + node("n2", "10.0.0.2/24")
                   + peer("a", node="n1", peerIP="10.0.0.2:179", asNumber=64512)
                   + peer("b", node="n2", peerIP="10.0.0.1", asNumber=64512))
    topo = compute(c)
    # n1's own entry says port 179; the reverse pass of "b" adds n2 at its listen port
    assert protocols(topo, "n1") == ["Node_10_0_0_2_port_179", "Node_10_0_0_2_port_1790"]
    s = topo.sessions(4)
    assert s.names == ("Node_10_0_0_2_port_179", "Node_10_0_0_2_port_1790", "Node_10_0_0_1")
    assert s.established.tolist() == [False, True, True]
    assert s.peer_row.tolist() == [2, 2, 1]


def test_mesh_uses_per_node_listen_port():
    c = cluster_of(MESH3 + bgpconfig("node.n2", listenPort=1790))
    topo = compute(c)
    p = by_name(topo, "n1")["Mesh_10_0_0_2"]
    assert p.port == 1790 and p.name == "Mesh_10_0_0_2"
    assert "neighbor 10.0.0.2 port 1790 as 64512;" in render_bird_cfg(topo.view("n1"))
    assert topo.sessions(4).established.all()


def test_peer_settings_reach_every_entry():
    secret = "\n---\nkind: Secret\napiVersion: v1\nmetadata: {name: bgp, namespace: calico-system}\n" \
             "stringData: {pw: s3cret}\n"
    c = cluster_of(MESH3 + secret + peer("p", nodeSelector="all()", peerIP="10.0.0.254", asNumber=65001,
                                         maxRestartTime="2m", sourceAddress="None",
                                         password={"secretKeyRef": {"name": "bgp", "key": "pw"}}))
    p = by_name(compute(c), "n1")["Node_10_0_0_254"]
    assert p.restart_time == 120 and p.source_address is None and p.password == "s3cret"


def test_bgp_configuration_settings():
    c = cluster_of(POOL + bgpconfig(asNumber=65100, logSeverityScreen="Debug", nodeMeshMaxRestartTime="90s")
                   + bgpconfig("node.n1", logSeverityScreen="Warning")
                   + node("n1", "10.0.0.1/24") + node("n2", "10.0.0.2/24", asn=65200))
    topo = compute(c)
    assert topo.view("n2").globals.log_level == "debug"
    assert topo.view("n1").globals.log_level == "none"
    m = by_name(topo, "n1")["Mesh_10_0_0_2"]
    assert m.as_number == 65200 and m.restart_time == 90
    s = topo.sessions(4)
    assert s.local_as.tolist() == [65100, 65200] and s.ebgp.all() and s.established.all()


# --------------------------------------------------------------------------- IPv6


def test_dual_stack_mesh():
    c = cluster_of(POOL + node("a", "10.0.0.1/24", ip6="fd00::1/64") + node("b", "10.0.0.2/24", ip6="fd00::2/64")
                   + node("c", "10.0.0.3/24"))
    topo = compute(c)
    assert protocols(topo, "a", 6) == ["Mesh_fd00__2"]
    assert protocols(topo, "c", 6) == []
    assert topo.views6 == topo.views and topo.views6[0] is topo.views[0]
    s6 = topo.sessions(6)
    assert s6.version == 6 and s6.n_sessions == 2 and s6.established.all()
    assert s6.local_ip.tolist() == [int.from_bytes(bytes(15) + b"\x01", "big") | (0xFD << 120),
                                    int.from_bytes(bytes(15) + b"\x02", "big") | (0xFD << 120)]
    # router ids stay IPv4
    assert s6.router_id.tolist() == topo.sessions(4).router_id.tolist()


# --------------------------------------------------------------------------- errors and parsers


def test_bad_selector_names_the_bgppeer():
    c = cluster_of(MESH3)
    from fastroute.model.resources import BGPPeer

    bad = c.replace(bgp_peers=[BGPPeer("rr-peers", node_selector="all()", peer_selector="route-reflector = 'x'")])
    with pytest.raises(SelectorError, match=r"invalid selector \"route-reflector = 'x'\" at BGPPeer 'rr-peers' "
                                            r"spec.peerSelector: cannot read"):
        compute(bad)


def test_peer_ip_without_as_number():
    from fastroute.model.resources import BGPPeer

    c = cluster_of(MESH3).replace(bgp_peers=[BGPPeer("tor", peer_ip="10.0.0.254")])
    with pytest.raises(ResourceError, match=r"BGPPeer 'tor' with peerIP '10.0.0.254' has no asNumber"):
        compute(c)


@pytest.mark.parametrize("text, expected", [
    ("10.0.0.1", ("10.0.0.1", 0)), ("10.0.0.1:1790", ("10.0.0.1", 1790)), ("fd00::1", ("fd00::1", 0)),
    ("[fd00::1]:179", ("fd00::1", 179)),
])
def test_split_peer_ip(text, expected):
    assert split_peer_ip(text, "here") == expected


@pytest.mark.parametrize("text", ["10.0.0.300", "10.0.0.1:x", "[fd00::1]", "[fd00::1]:99999"])
def test_split_peer_ip_errors(text):
    with pytest.raises(ResourceError, match=re.escape(repr(text)) + " at here"):
        split_peer_ip(text, "here")


@pytest.mark.parametrize("value, seconds", [("120s", 120), ("2m", 120), ("1h30m", 5400), ("1.5s", 2), (90, 90),
                                            ("500ms", 1), ("0", 0)])
def test_parse_duration(value, seconds):
    assert parse_duration(value, "x") == seconds


def test_parse_duration_error():
    with pytest.raises(InvalidValueError, match=r"invalid duration '2 minutes' at spec.maxRestartTime"):
        parse_duration("2 minutes", "spec.maxRestartTime")


# --------------------------------------------------------------------------- vectorised == views


def reference_rows(topo, version):
    """Session rows read off the per-node views (the straightforward path)."""
    out = []
    addr = {}
    for i, info in enumerate(topo.infos):
        if info.ip(version):
            addr.setdefault(info.ip(version), i)
    for e in topo.externals:
        addr[e.ip] = e.index
    for i, v in enumerate(topo.views):
        if not v.node.ip(version):
            continue
        for p in (v.peers_v4 if version == 4 else v.peers_v6):
            out.append((i, addr[p.ip], p.name, p.passive, p.as_number, v.as_number, p.port or 179,
                        p.rr_cluster_id is not None, p.next_hop_keep, p.allow_local_as))
    return out


def session_rows(s):
    return [(int(s.local[r]), int(s.remote[r]), s.names[r], bool(s.passive[r]), int(s.remote_as[r]),
             int(s.local_as[r]), int(s.remote_port[r]), bool(s.rr_client[r]), bool(s.keep_next_hop[r]),
             int(s.allow_local_as[r])) for r in range(s.n_sessions) if s.local[r] < s.n_nodes]


def random_cluster(rng):
    n = rng.randint(2, 9)
    text = POOL
    mesh = rng.random() < 0.6
    text += bgpconfig(nodeToNodeMeshEnabled="true" if mesh else "false", asNumber=64512)
    for k in range(n):
        labels = {"rr": "true"} if rng.random() < 0.3 else {}
        if rng.random() < 0.5:
            labels["zone"] = rng.choice(["a", "b"])
        cid = rng.choice(["244.0.0.1", "244.0.0.2"]) if labels.get("rr") else None
        asn = 65000 + k if rng.random() < 0.15 else None
        ip6 = f"fd00::{k + 1}/64" if rng.random() < 0.5 else None
        text += node(f"n{k}", f"10.0.0.{rng.choice([k + 1, k + 1, k + 100])}/24", labels, cid=cid, asn=asn, ip6=ip6)
    for p in range(rng.randint(0, 4)):
        spec = {}
        r = rng.random()
        if r < 0.3:
            spec["nodeSelector"] = rng.choice(["all()", "zone == 'a'", "!has(rr)"])
        elif r < 0.5:
            spec["node"] = f"n{rng.randrange(n)}"
        r = rng.random()
        if r < 0.5:
            spec["peerSelector"] = rng.choice(["has(rr)", "zone == 'b'", "all()"])
        elif r < 0.8:
            spec["peerIP"] = rng.choice([f"10.0.0.{rng.randint(1, n)}", "10.0.0.254", "fd00::fe",
                                         f"fd00::{rng.randint(1, n)}", "10.0.0.253:1790"])
            spec["asNumber"] = rng.choice([64512, 65001])
        else:
            continue
        text += peer(f"p{p}", **spec)
    if rng.random() < 0.2:
        text += bgpconfig("node.n0", listenPort=1790)
    return cluster_of(text)


@pytest.mark.parametrize("seed", range(60))
def test_vectorised_sessions_equal_the_views(seed):
    import random

    rng = random.Random(seed)
    c = random_cluster(rng)
    version = rng.choice(["3.20", "3.28"])
    down = [c.node_names[0]] if rng.random() < 0.3 else []
    topo = compute(c, version, down=down)
    for fam in (4, 6):
        s = topo.sessions(fam)
        assert session_rows(s) == reference_rows(topo, fam)
        assert s.local.shape == s.remote.shape == s.established.shape == s.peer_row.shape
        # pairing is consistent and establishment symmetric
        for r in range(s.n_sessions):
            q = s.peer_row[r]
            if q >= 0:
                assert s.remote[q] == s.local[r]
                if s.established[r]:
                    assert s.established[q] and s.peer_row[q] == r
            else:
                assert not s.established[r]
            if s.established[r]:
                assert not (s.local[r] < s.n_nodes and s.down[s.local[r]])
                assert s.remote_as[r] == s.local_as[q]


def test_session_arrays_are_read_only_and_compact():
    s = compute(examples.seed()).sessions(4)
    with pytest.raises(ValueError):
        s.established[0] = False
    assert s.local.dtype == np.int32 and s.remote_port.dtype == np.uint16 and s.allow_local_as.dtype == np.uint8
    assert s.name(0) == "Mesh_192_168_31_202"


def test_large_mesh_is_vectorised():
    from fastroute.model import synth

    c = synth.cluster(300, pods_per_node=0)
    topo = compute(c)
    s = topo.sessions(4)
    assert s.n_sessions == 300 * 299 and s.established.all()
    assert (s.peer_row[s.peer_row] == np.arange(s.n_sessions)).all()
    assert (s.local[s.peer_row] == s.remote).all()
    # exactly one passive end per session
    assert (s.passive ^ s.passive[s.peer_row]).all()
    # spot-check against the rendered view of one node
    v = topo.view(c.node_names[17])
    rows = s.rows_of(17)
    assert [p.name for p in v.peers_v4] == [s.name(r) for r in rows]
    assert [p.passive for p in v.peers_v4] == s.passive[rows].tolist()


def test_mesh_with_a_shared_address_pairs_each_row_with_its_reverse():
    """Two nodes with one address: neither meshes with the other, and each mesh row
    is paired with the row of the opposite direction (the general mesh layout)."""
    c = cluster_of(POOL + node("n1", "10.0.0.1/24") + node("n2", "10.0.0.1/24") + node("n3", "10.0.0.3/24")
                   + node("n4", "10.0.0.4/24"))
    s = compute(c).sessions(4)
    assert s.local.tolist() == [0, 0, 1, 1, 2, 2, 2, 3, 3, 3]
    assert s.remote.tolist() == [2, 3, 2, 3, 0, 1, 3, 0, 1, 2]
    assert s.peer_row.tolist() == [4, 7, 5, 8, 0, 2, 9, 1, 3, 6]
    assert all(s.local[s.peer_row[r]] == s.remote[r] and s.remote[s.peer_row[r]] == s.local[r]
               for r in range(s.n_sessions))


# ---------------------------------------------------------------------------- Routers


def test_routers_peer_back_with_their_nodes_and_with_each_other():
    from fastroute.model import synth
    from fastroute.bgp import network

    c = synth.fabric(6, 1, racks=2, spines=1, design="as-per-rack").allocate()
    topo = compute(c)
    assert [e.name for e in topo.externals] == ["tor-0", "tor-1", "spine-0"]
    s = topo.sessions(4)
    assert s.established.all()
    tor0, tor1, spine = 6, 7, 8
    rows = {(int(a), int(b)): k for k, (a, b) in enumerate(zip(s.local, s.remote))}
    # the ToR reflects to its rack's nodes (same AS), with its address as cluster id
    k = rows[(tor0, 0)]
    assert s.rr_client[k] and not s.ebgp[k] and s.session_cluster_id[k] == int(ipaddress.ip_address("172.16.0.254"))
    assert (tor0, 3) not in rows
    # router-to-router sessions come from both Routers' peers
    assert s.ebgp[rows[(tor0, spine)]] and s.ebgp[rows[(spine, tor1)]]
    assert not s.rr_client[rows[(tor0, spine)]]
    a = network.build(c, method="topology")
    b = network.build(c, method="arrays")
    assert sorted(zip(a.graph.local.tolist(), a.graph.remote.tolist())) == \
        sorted(zip(b.graph.local.tolist(), b.graph.remote.tolist()))
    assert list(a.speakers.role) == [0] * 6 + [1, 1, 1]


def test_a_router_peer_with_the_wrong_as_never_comes_up_and_a_stopped_router_takes_its_sessions_down():
    from fastroute.model import synth

    c = synth.fabric(4, 1, racks=2, spines=1).allocate()
    spine = c.routers[-1]
    bad = dataclasses.replace(spine, peers=(dataclasses.replace(spine.peers[0], as_number=1),) + spine.peers[1:])
    s = compute(c.replace(routers=c.routers[:-1] + (bad,))).sessions(4)
    spine_rows = np.flatnonzero(s.local == 6)
    assert list(s.established[spine_rows]) == [False, True]
    s = compute(c, down=["tor-1"]).sessions(4)
    assert not s.established[(s.local == 5) | (s.remote == 5)].any()
    assert s.established[(s.local == 4) | (s.remote == 4)].all()
