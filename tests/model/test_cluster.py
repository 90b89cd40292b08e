"""Tests for fastroute.model.cluster: assembling a Cluster, its arrays, export and errors."""

import ipaddress

import numpy as np
import pytest

from fastroute.model import examples, resources
from fastroute.model.cluster import Cluster
from fastroute.errors import ResourceError, UnknownNodeError

SEED_NODES = [("master", "192.168.31.201/24"), ("node1", "192.168.31.202/24"), ("node2", "192.168.31.203/24")]


def test_seed_nodes_pool_and_uplink():
    c = examples.seed()
    assert [(n.name, str(n.ipv4)) for n in c.nodes] == SEED_NODES
    assert {n.uplink for n in c.nodes} == {"ens33"}
    (p,) = c.pools
    assert (str(p.cidr), p.block_size, p.ipip_mode, p.vxlan_mode, p.nat_outgoing) == ("10.244.0.0/16", 26, "Never", "Never", True)
    assert c.bgp_config.mesh_enabled and c.bgp_config.effective_as_number == 64512
    assert c.is_allocated and not examples.seed_plan().is_allocated


def test_arrays_for_the_routing_layer():
    c = examples.seed()
    na = c.node_arrays()
    assert na.ipv4.dtype == np.uint32 and na.ipv4.tolist() == [int(ipaddress.ip_address(a.split("/")[0])) for _, a in SEED_NODES]
    assert na.ipv4_plen.tolist() == [24, 24, 24] and na.asn.tolist() == [64512] * 3
    ba = c.block_arrays()
    assert ba.net.dtype == np.uint32 and ba.plen.tolist() == [26, 26] and ba.node_idx.tolist() == [1, 0]
    assert ba.net.tolist() == [int(ipaddress.ip_address("10.244.166.128")), int(ipaddress.ip_address("10.244.219.64"))]
    pa = c.pod_arrays()
    assert pa.has_ipv4.all() and pa.node_idx.tolist() == [0, 0, 1, 1, 0, 1]
    assert c.borrowed() == []
    assert c.block_arrays(6).net.shape == (0,)


def test_node_index_errors_name_the_node():
    c = examples.seed()
    assert c.node_index("node2") == 2
    with pytest.raises(UnknownNodeError, match=r"unknown node 'node9': the cluster has 'master', 'node1', 'node2'") as ei:
        c.node_index("node9")
    assert isinstance(ei.value, KeyError) and not str(ei.value).startswith('"')


def test_pod_on_unknown_node_names_file_and_field(tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text("apiVersion: v1\nkind: Node\nmetadata: {name: a}\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p, namespace: x}\nspec: {nodeName: b}\n")
    with pytest.raises(UnknownNodeError, match=r"c\.yaml: document 2 \(Pod 'p'\): spec\.nodeName: unknown node 'b': the cluster has 'a'"):
        Cluster.load(f)


def test_calico_and_k8s_node_merge_and_duplicates():
    text = (
        "apiVersion: v1\nkind: Node\nmetadata: {name: a, labels: {zone: x}, annotations: {fastroute.io/uplink: bond0}}\n"
        "status: {addresses: [{type: InternalIP, address: 10.0.0.9}]}\n---\n"
        "apiVersion: projectcalico.org/v3\nkind: Node\nmetadata: {name: a}\nspec: {bgp: {ipv4Address: 10.0.0.9/16, asNumber: 65001}}\n"
    )
    c = Cluster.from_resources(resources.loads(text))
    (n,) = c.nodes
    assert str(n.ipv4) == "10.0.0.9/16" and n.asn == 65001 and n.labels == {"zone": "x"} and n.uplink == "bond0"
    with pytest.raises(ResourceError, match="node 'a' is defined twice"):
        Cluster.from_resources(resources.loads(text + "---\n" + text.split("---\n")[1]))


def test_overlapping_blocks_are_rejected():
    blk = "apiVersion: crd.projectcalico.org/v1\nkind: IPAMBlock\nmetadata: {{name: {n}}}\nspec: {{cidr: {c}, affinity: 'host:a'}}\n"
    text = "apiVersion: v1\nkind: Node\nmetadata: {name: a}\n---\n" + blk.format(n="b1", c="10.0.0.0/26") + "---\n" + blk.format(n="b2", c="10.0.0.32/27")
    with pytest.raises(ResourceError, match=r"document 3 \(IPAMBlock 'b2'\): spec.cidr: block '10.0.0.32/27' overlaps block '10.0.0.0/26'"):
        Cluster.from_resources(resources.loads(text))


def test_block_affine_to_unknown_node():
    text = "apiVersion: crd.projectcalico.org/v1\nkind: IPAMBlock\nmetadata: {name: b}\nspec: {cidr: 10.0.0.0/30, affinity: 'host:ghost'}\n"
    with pytest.raises(UnknownNodeError, match=r"spec.affinity: unknown node 'ghost'"):
        Cluster.from_resources(resources.loads(text))


def test_export_documents_as_calico_stores_them():
    c = examples.seed()
    docs = c.to_documents()
    kinds = [d["kind"] for d in docs]
    assert kinds == ["IPPool"] + ["Node"] * 3 + ["BGPConfiguration"] + ["IPAMBlock"] * 2 + ["BlockAffinity"] * 2 + ["WorkloadEndpoint"] * 6
    blk = next(d for d in docs if d["kind"] == "IPAMBlock" and d["spec"]["cidr"] == "10.244.219.64/26")
    assert blk["metadata"]["name"] == "10-244-219-64-26" and blk["spec"]["affinity"] == "host:master"
    assert blk["spec"]["allocations"][:4] == [0, 1, 2, None]
    assert blk["spec"]["unallocated"] == list(range(3, 64))
    attrs = blk["spec"]["attributes"]
    assert attrs[2]["secondary"] == {"namespace": "default", "node": "master", "pod": "echo-deployment-598f49cc44-td2lf"}
    assert attrs[0]["handle_id"].startswith("k8s-pod-network.")
    aff = next(d for d in docs if d["kind"] == "BlockAffinity" and d["spec"]["node"] == "node1")
    assert aff["metadata"]["name"] == "node1-10-244-166-128-26" and aff["spec"]["state"] == "confirmed"
    wep = next(d for d in docs if d["kind"] == "WorkloadEndpoint" and d["spec"]["pod"] == "echo-deployment-598f49cc44-td2lf")
    assert wep["spec"]["interfaceName"] == "calic88c1a5fc6d" and wep["spec"]["ipNetworks"] == ["10.244.219.66/32"]
    assert wep["metadata"]["name"] == "master-k8s-echo--deployment--598f49cc44--td2lf-eth0"
    node = next(d for d in docs if d["kind"] == "Node" and d["metadata"]["name"] == "master")
    assert node["spec"]["bgp"]["ipv4Address"] == "192.168.31.201/24"
    assert node["metadata"]["annotations"]["fastroute.io/uplink"] == "ens33"
    assert node["metadata"]["annotations"]["fastroute.io/host-routes"].splitlines()[0] == (
        "default via 192.168.31.1 dev ens33 proto static metric 100")


def test_dump_load_round_trip(tmp_path):
    c = examples.seed()
    f = tmp_path / "out.yaml"
    with open(f, "w") as fh:
        c.dump(fh)
    back = Cluster.load(f)
    assert back.blocks == c.blocks and list(back.pods) == list(c.pods) and back.nodes == c.nodes
    assert back.pools == c.pools


def test_interface_prefix_is_configurable():
    c = Cluster.load(examples.seed_path(), interface_prefix="tap").allocate()
    assert c.pods[4].interface_name == "tapc88c1a5fc6d"


FULL = """
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: pool-a}
spec: {cidr: 10.244.0.0/16, blockSize: 26, ipipMode: CrossSubnet, nodeSelector: "rack == 'r1'"}
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: pool-b}
spec: {cidr: 'fd00:10:244::/64', vxlanMode: Always, disableBGPExport: true, allowedUses: [Workload]}
---
apiVersion: projectcalico.org/v3
kind: IPAMConfiguration
metadata: {name: default}
spec: {strictAffinity: true, maxBlocksPerHost: 5}
---
apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: rr, labels: {rack: r1, route-reflector: 'true'}}
spec: {bgp: {ipv4Address: 10.0.0.1/24, ipv6Address: 'fd00::1/64', asNumber: 65010, routeReflectorClusterID: 244.0.0.1}}
---
apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: w1, labels: {rack: r1}, annotations: {fastroute.io/uplink: bond0}}
spec: {bgp: {ipv4Address: 10.0.0.2/24}}
---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata: {name: default}
spec: {nodeToNodeMeshEnabled: false, asNumber: 65000, serviceClusterIPs: [{cidr: 10.96.0.0/12}], listenPort: 1790}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: to-rr}
spec: {nodeSelector: all(), peerSelector: "route-reflector == 'true'"}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: tor}
spec: {peerIP: '10.0.0.254:179', asNumber: 64999, node: w1, keepOriginalNextHop: true}
---
apiVersion: v1
kind: Pod
metadata: {name: web, namespace: shop}
spec: {nodeName: w1}
"""


def test_full_cluster_round_trip_keeps_every_resource():
    c = Cluster.from_resources(resources.loads(FULL)).allocate()
    assert c.nodes[1].ipv4_ipip_tunnel_addr is not None
    assert c.nodes[1].ipv6_vxlan_tunnel_addr is None  # pool-b does not allow Tunnel
    assert c.pods[0].ipv4 is not None and c.pods[0].ipv6 is not None
    back = Cluster.from_resources(resources.loads(c.dump()))
    assert back.pools == c.pools and back.nodes == c.nodes
    assert back.bgp_configurations == c.bgp_configurations and back.bgp_peers == c.bgp_peers
    assert back.ipam_config == c.ipam_config
    assert list(back.pods) == list(c.pods)
    # Owner ids are internal (tunnel owners are numbered in the order they are met);
    # what Calico stores must be identical.
    assert back.to_documents() == c.to_documents()
    assert back.allocate().to_documents() == c.to_documents()
    na = c.node_arrays()
    assert na.asn.tolist() == [65010, 65000] and na.rr_cluster_id == ["244.0.0.1", None]


def test_node_arrays_and_addresses_are_made_once_and_cannot_be_changed_by_a_caller():
    c = examples.seed()
    na = c.node_arrays()
    for a in (na.ipv4, na.ipv4_plen, na.asn):
        with pytest.raises(ValueError):
            a[0] = 1
    na.rr_cluster_id.append("x")
    again = c.node_arrays()
    assert again.ipv4 is na.ipv4 and len(again.rr_cluster_id) == c.n_nodes
    ips, nets = c.node_addresses(4)
    assert c.node_addresses(4)[0] is ips and isinstance(ips, tuple)
    assert [str(a) for a in ips] == [a.split("/")[0] for _, a in SEED_NODES]
    assert [str(n) for n in nets] == [str(ipaddress.ip_interface(a).network) for _, a in SEED_NODES]
    assert c.node_addresses(6) == ((None,) * 3, (None,) * 3)
