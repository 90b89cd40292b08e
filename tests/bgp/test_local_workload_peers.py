"""BGPPeer ``localWorkloadSelector`` (v3.30+): ``Local_Workload_`` peers toward a node's own workloads.

Felix writes, for each workload on its node, the BGPPeer that selects it (projectcalico/calico
``felix/calc/active_bpgpeer_calculator.go``); confd turns those into passive ``Local_Workload_``
protocols (``confd/pkg/backends/calico/client.go`` ``localBGPPeerDataAsBGPPeers``).  fastroute
reads the same choice off the cluster's WorkloadEndpoints (tests/bgp/test_confd_suite.py replays
confd's own case; these are the rules around it).
"""

import re

import pytest

from fastroute.bgp import birdcfg, topology
from fastroute.bgp.birdview import BgpGlobals, NodeInfo, PeerData
from fastroute.bgp.peers import local_workload_entries
from fastroute.calicoctl.status import node_status
from fastroute.errors import InvalidValueError, ResourceError
from fastroute.model import reader
from fastroute.model.cluster import Cluster
from fastroute.model.kinds import BGPPeer

NODES = """
apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: n1, labels: {rack: a}}
spec: {bgp: {ipv4Address: 10.0.0.1/24, ipv6Address: "2001::1/64"}}
---
apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: n2, labels: {rack: b}}
spec: {bgp: {ipv4Address: 10.0.0.2/24, ipv6Address: "2001::2/64"}}
---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata: {name: default}
spec: {nodeToNodeMeshEnabled: false, asNumber: 64512}
"""


def wep(pod, node, nets, labels="{app: bird}", iface="cali0123456789a"):
    return f"""---
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: {{name: {node}-k8s-{pod}-eth0, namespace: default, labels: {labels}}}
spec: {{node: {node}, orchestrator: k8s, pod: {pod}, endpoint: eth0, interfaceName: {iface},
        ipNetworks: [{', '.join(nets)}]}}
"""


def peer(name, selector="app == 'bird'", asn=65100, extra=""):
    return f"""---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {{name: {name}}}
spec: {{localWorkloadSelector: "{selector}", asNumber: {asn}{extra}}}
"""


def cluster(*parts):
    return Cluster.from_resources(reader.loads(NODES + "".join(parts), "cluster.yaml"))


def files(c, node="n1", version="3.32"):
    return birdcfg.render_files(topology.compute(c, version).view(node))


def local_protocols(text):
    return re.findall(r"protocol bgp (Local_Workload_\S+)", text)


POD = wep("pod1", "n1", ["192.168.1.5/32", "fd00::5/128"])


@pytest.mark.parametrize("version", ["3.30.1", "3.30", "3.31", "3.32"])
def test_a_selected_workload_on_the_node_is_a_passive_peer_in_each_family(version):
    got = files(cluster(peer("workloads"), POD), version=version)
    assert local_protocols(got["bird.cfg"]) == ["Local_Workload_192_168_1_5"]
    assert local_protocols(got["bird6.cfg"]) == ["Local_Workload_fd00__5"]
    block = got["bird.cfg"].split("protocol bgp Local_Workload_192_168_1_5 from bgp_template {\n")[1].split("\n}")[0]
    assert "  neighbor 192.168.1.5 as 65100;" in block and "  passive on;" in block
    assert "source address" not in block            # confd: SourceAddr "None"


@pytest.mark.parametrize("version", ["3.28", "3.28.1", "3.20"])
def test_releases_before_v3_30_render_no_local_workload_peer(version):
    # v3.30.0 brought localWorkloadSelector (TEMPLATE_RELEASES: local_workload_peers)
    with_peer = files(cluster(peer("workloads"), POD), version=version)
    assert with_peer == files(cluster(POD), version=version)
    assert "Local_Workload" not in with_peer["bird.cfg"]


def test_a_selector_that_matches_no_workload_renders_nothing():
    c = cluster(peer("workloads", selector="app == 'other'"), POD)
    assert local_workload_entries(c, "n1") == ([], [])
    assert files(c) == files(cluster(POD))
    assert files(c, version="3.31") == files(cluster(POD), version="3.31")


def test_a_workload_on_another_node_is_not_a_peer():
    # a global BGPPeer is active on every node; the workload peers with the node it runs on only
    c = cluster(peer("workloads"), wep("pod1", "n2", ["192.168.1.5/32"]))
    assert local_protocols(files(c, "n1")["bird.cfg"]) == []
    assert local_protocols(files(c, "n2")["bird.cfg"]) == ["Local_Workload_192_168_1_5"]
    # a BGPPeer of node n1 only: a workload of n2 is nobody's peer
    c = cluster(peer("workloads", extra=", node: n1"), wep("pod1", "n2", ["192.168.1.5/32"]))
    assert local_protocols(files(c, "n1")["bird.cfg"]) == local_protocols(files(c, "n2")["bird.cfg"]) == []


def test_node_selector_and_node_put_the_peer_in_the_node_section():
    c = cluster(peer("workloads", extra=", nodeSelector: \"rack == 'a'\""), POD, wep("pod2", "n2", ["192.168.2.5/32"]))
    g, n = local_workload_entries(c, "n1")
    assert g == [] and [d.ip for d in n] == ["192.168.1.5", "fd00::5"]
    assert local_workload_entries(c, "n2") == ([], [])      # n2 is not selected: Felix ignores the BGPPeer
    text = files(c, version="3.31")["bird.cfg"]
    assert "# ------------- Node-specific local BGP peers -------------\n \n" \
           "# For peer /bgp/v1/host/n1/peer_v4/192.168.1.5\nprotocol bgp Local_Workload_192_168_1_5" in text
    assert "# Skipping local bgp peer (192.168.1.5)" in text
    assert "Global local bgp peers" not in text


def test_felix_gives_a_workload_the_first_selecting_peer_by_name():
    c = cluster(peer("b-peer", asn=65200), peer("a-peer", asn=65100), POD)
    g, _ = local_workload_entries(c, "n1")
    assert {d.as_number for d in g} == {65100}


def test_the_peer_carries_as_local_as_and_filters_and_nothing_else():
    extra = ", localASNumber: 65001, filters: [f1], maxRestartTime: 10s, ttlSecurity: 2, nextHopMode: Self"
    c = cluster(peer("workloads", extra=extra), POD)
    (d, _), _ = local_workload_entries(c, "n1")
    assert d == PeerData(ip="192.168.1.5", as_number=65100, source_address="None", filters=("f1",),
                         local_as_number=65001, local_workload=True)
    block = files(c)["bird.cfg"].split("protocol bgp Local_Workload_192_168_1_5")[1].split("\n}")[0]
    assert "  local as 65001;" in block
    for absent in ("graceful restart", "ttl security on", "next hop self"):
        assert absent not in block


def test_a_kubernetes_pod_has_the_labels_calico_adds():
    pod = """---
apiVersion: v1
kind: Pod
metadata: {name: bird-0, namespace: ns1, labels: {app: bird}}
spec: {nodeName: n1}
status: {podIPs: [{ip: 192.168.1.9}]}
"""
    c = cluster(peer("workloads", selector="projectcalico.org/namespace == 'ns1' && app == 'bird'"), pod)
    assert c.workload_labels(0) == {"app": "bird", "projectcalico.org/namespace": "ns1",
                                     "projectcalico.org/orchestrator": "k8s"}
    assert local_protocols(files(c)["bird.cfg"]) == ["Local_Workload_192_168_1_9"]
    # exported as the WorkloadEndpoint Calico makes of the pod, it peers the same
    from fastroute.model.resources import dump_documents
    again = Cluster.from_resources(reader.loads(dump_documents(c.to_documents()), "export.yaml"))
    assert again.workload_labels(0) == c.workload_labels(0)
    assert files(again) == files(c)


def test_an_entry_already_taken_wins():
    # confd's emit: a key (address, port) keeps its first entry; a peerIP BGPPeer comes first
    explicit = """---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: tor}
spec: {peerIP: 192.168.1.5, asNumber: 65000}
"""
    text = files(cluster(peer("workloads"), POD, explicit))["bird.cfg"]
    assert "protocol bgp Global_192_168_1_5 " in text
    assert local_protocols(text) == []


def test_export_keeps_the_labels_that_select_workloads():
    from fastroute.model.resources import dump_documents
    c = cluster(peer("workloads"), POD)
    again = Cluster.from_resources(reader.loads(dump_documents(c.to_documents()), "export.yaml"))
    assert files(again) == files(c)
    assert local_protocols(files(again)["bird.cfg"]) == ["Local_Workload_192_168_1_5"]


def test_calicoctl_node_status_lists_no_local_workload_peer():
    # calicoctl keeps the BIRD protocols named ^(Global|Node|Mesh)_ (projectcalico/calico
    # calicoctl/calicoctl/commands/node/status.go bgpPeerRegex): a Local_Workload_ one is not shown
    c = cluster(peer("workloads"), POD)
    assert local_protocols(files(c)["bird.cfg"])
    text = node_status(c, "n1", calico_version="3.32")
    assert "192.168.1.5" not in text and "No IPv4 peers found." in text


def test_errors_name_the_file_document_and_field():
    with pytest.raises(ResourceError, match=r"cluster\.yaml: document 4 \(BGPPeer 'workloads'\): "
                                            r"spec\.localWorkloadSelector"):
        cluster(peer("workloads", selector="app =="), POD)
    with pytest.raises(ResourceError, match=r"cluster\.yaml: document 4 \(BGPPeer 'workloads'\): spec\.asNumber"):
        cluster(peer("workloads", asn="null"), POD)
    with pytest.raises(ResourceError, match=r"cluster\.yaml: document 5 \(WorkloadEndpoint 'n1-k8s-pod1-eth0'\): "
                                            r"spec\.ipNetworks\[0\]"):
        cluster(peer("workloads"), wep("pod1", "n1", ["192.168.1.0/24"]))
    # a BGPPeer built in code (no document): the message names the BGPPeer and the field
    c = cluster(POD).replace(bgp_peers=(BGPPeer("workloads", local_workload_selector="app == 'bird'"),))
    with pytest.raises(ResourceError, match=r"BGPPeer 'workloads' spec\.asNumber"):
        local_workload_entries(c, "n1")


def test_a_release_without_local_workload_peers_refuses_one():
    data = PeerData(ip="192.168.1.5", as_number=65100, source_address="None", local_workload=True)
    with pytest.raises(InvalidValueError, match="no local workload peers"):
        birdcfg.explicit_peer(NodeInfo("n1", "10.0.0.1/24"), data, "Global", BgpGlobals(), 4, "3.28")
    p = birdcfg.explicit_peer(NodeInfo("n1", "10.0.0.1/24"), data, "Node", BgpGlobals(), 4, "3.30")
    assert (p.name, p.passive, p.source_address) == ("Local_Workload_192_168_1_5", True, None)
