"""Tests for fastroute.model.resources: reading, validating and writing Calico/Kubernetes resources."""

import ipaddress
import textwrap

import pytest

from fastroute.model import resources
from fastroute.errors import ResourceError
from fastroute.model.resources import Selector


def _y(text):
    return textwrap.dedent(text)


POOL = _y(
    """
    apiVersion: projectcalico.org/v3
    kind: IPPool
    metadata: {name: default-ipv4-ippool}
    spec: {cidr: 10.244.0.0/16, blockSize: 26, natOutgoing: true}
    """
)


def test_single_document_defaults():
    res = resources.loads(POOL)
    (p,) = res.pools
    assert p.name == "default-ipv4-ippool"
    assert p.cidr == ipaddress.ip_network("10.244.0.0/16")
    assert (p.block_size, p.ipip_mode, p.vxlan_mode, p.node_selector) == (26, "Never", "Never", "all()")
    assert p.allowed_uses == ("Workload", "Tunnel")
    assert p.nat_outgoing is True and p.disabled is False
    assert p.n_blocks == 1024 and p.block_addresses == 64


def test_ipv6_pool_defaults_to_block_122():
    res = resources.loads("apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: v6}\nspec: {cidr: 'fd00:10:244::/64'}\n")
    assert res.pools[0].block_size == 122


def test_multi_document_list_and_typed_list(tmp_path):
    text = POOL + "---\n" + _y(
        """
        apiVersion: v1
        kind: List
        items:
        - apiVersion: v1
          kind: Node
          metadata:
            name: n1
            annotations: {projectcalico.org/IPv4Address: 10.0.0.1/24, projectcalico.org/ASNumber: '65001', fastroute.io/uplink: ens33}
        ---
        apiVersion: projectcalico.org/v3
        kind: BGPPeerList
        items:
        - metadata: {name: rr}
          spec: {nodeSelector: all(), peerSelector: "route-reflector == 'true'"}
        """
    )
    res = resources.loads(text)
    assert [n.name for n in res.nodes] == ["n1"]
    n = res.nodes[0]
    assert str(n.ipv4) == "10.0.0.1/24" and n.asn == 65001 and n.uplink == "ens33"
    assert res.bgp_peers[0].peer_selector == "route-reflector == 'true'"


def test_folder_is_read_in_name_order(tmp_path):
    (tmp_path / "b.yaml").write_text("apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p2}\nspec: {cidr: 10.1.0.0/16}\n")
    (tmp_path / "a.yml").write_text(POOL)
    (tmp_path / "notes.txt").write_text("not yaml: [")
    res = resources.load(tmp_path)
    assert [p.name for p in res.pools] == ["default-ipv4-ippool", "p2"]


def test_empty_folder_is_an_error(tmp_path):
    with pytest.raises(ResourceError, match="no .yaml"):
        resources.load(tmp_path)


def test_calico_node_fields():
    res = resources.loads(
        _y(
            """
            apiVersion: projectcalico.org/v3
            kind: Node
            metadata: {name: rr1, labels: {route-reflector: 'true'}}
            spec:
              bgp: {ipv4Address: 192.168.1.5/24, asNumber: 64513, routeReflectorClusterID: 244.0.0.1, ipv4IPIPTunnelAddr: 10.244.1.0}
              ipv4VXLANTunnelAddr: 10.244.2.0
            """
        )
    )
    n = res.nodes[0]
    assert n.rr_cluster_id == "244.0.0.1" and n.asn == 64513 and n.labels == {"route-reflector": "true"}
    assert str(n.ipv4_ipip_tunnel_addr) == "10.244.1.0" and str(n.ipv4_vxlan_tunnel_addr) == "10.244.2.0"
    assert n.uplink == "eth0"


def test_k8s_node_without_annotation_uses_internal_ip():
    res = resources.loads(
        "apiVersion: v1\nkind: Node\nmetadata: {name: w}\nstatus: {addresses: [{type: InternalIP, address: 10.1.2.3}]}\n"
    )
    assert str(res.nodes[0].ipv4) == "10.1.2.3/32"


@pytest.mark.parametrize(
    "enc, modes",
    [("IPIP", ("Always", "Never")), ("IPIPCrossSubnet", ("CrossSubnet", "Never")), ("VXLAN", ("Never", "Always")),
     ("VXLANCrossSubnet", ("Never", "CrossSubnet")), ("None", ("Never", "Never"))],
)
def test_operator_installation_encapsulation(enc, modes):
    res = resources.loads(
        _y(
            f"""
            apiVersion: operator.tigera.io/v1
            kind: Installation
            metadata: {{name: default}}
            spec:
              calicoNetwork:
                ipPools:
                - {{cidr: 10.244.0.0/16, blockSize: 26, encapsulation: {enc}}}
            """
        )
    )
    (p,) = res.pools
    assert (p.ipip_mode, p.vxlan_mode) == modes
    assert p.name == "default-ipv4-ippool" and p.nat_outgoing is True


def test_operator_defaults_ipip_and_names_pools_by_cidr():
    res = resources.loads(
        _y(
            """
            apiVersion: operator.tigera.io/v1
            kind: Installation
            metadata: {name: default}
            spec:
              calicoNetwork:
                ipPools:
                - {cidr: 10.244.0.0/16}
                - {cidr: 10.245.0.0/16, natOutgoing: Disabled}
            """
        )
    )
    assert [p.name for p in res.pools] == ["10.244.0.0-16", "10.245.0.0-16"]
    assert res.pools[0].ipip_mode == "Always" and res.pools[1].nat_outgoing is False


def test_operator_bad_encapsulation_message():
    with pytest.raises(ResourceError, match=r"Bogus is invalid for ipPool.encapsulation, should be one of IPIPCrossSubnet,IPIP,VXLAN,VXLANCrossSubnet,None"):
        resources.loads(
            "apiVersion: operator.tigera.io/v1\nkind: Installation\nmetadata: {name: default}\n"
            "spec: {calicoNetwork: {ipPools: [{cidr: 10.0.0.0/16, encapsulation: Bogus}]}}\n"
        )


def test_encapsulation_on_an_ippool_is_accepted():
    res = resources.loads("apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p}\nspec: {cidr: 10.0.0.0/16, encapsulation: VXLANCrossSubnet}\n")
    assert (res.pools[0].ipip_mode, res.pools[0].vxlan_mode) == ("Never", "CrossSubnet")


def _pool(name, **spec):
    body = ", ".join(f"{k}: {v!r}" if isinstance(v, str) else f"{k}: {str(v).lower() if isinstance(v, bool) else v}" for k, v in spec.items())
    return f"apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {{name: {name}}}\nspec: {{{body}}}\n"


@pytest.mark.parametrize(
    "spec, message",
    [
        ({}, "error with field IPPool.Spec.CIDR (IPPool CIDR must be specified)"),
        ({"cidr": "10.0.0/8x"}, "error with field IPPool.Spec.CIDR = '10.0.0/8x' (IPPool CIDR must be a valid subnet)"),
        ({"cidr": "10.0.0.0/16", "blockSize": 40}, "error with field IPPool.Spec.BlockSize = '40' (IPv4 block size must be between 20 and 32)"),
        ({"cidr": "fd00::/64", "blockSize": 100}, "error with field IPPool.Spec.BlockSize = '100' (IPv6 block size must be between 116 and 128)"),
        ({"cidr": "10.0.0.0/28", "blockSize": 26},
         "error with field IPPool.Spec.CIDR = '10.0.0.0/28' (IP pool size is too small for use with Calico IPAM. It must be equal to or greater than the block size.)"),
        ({"cidr": "10.0.0.0/16", "ipipMode": "Always", "vxlanMode": "Always"},
         "error with field IPPool.Spec.VXLANMode = 'Always' (Cannot enable both VXLAN and IPIP on the same IPPool)"),
        ({"cidr": "fd00::/64", "ipipMode": "Always"}, "error with field IPPool.Spec.IPIPMode = 'Always' (IPIP is not supported on an IPv6 IP pool)"),
        ({"cidr": "10.0.0.1/16"}, "error with field IPPool.Spec.CIDR = '10.0.0.0/16' (IPPool CIDR is not strictly masked)"),
        ({"cidr": "169.254.0.0/16"}, "error with field IPPool.Spec.CIDR = '169.254.0.0/16' (IPPool CIDR overlaps with IPv4 Link Local range 169.254.0.0/16)"),
        ({"cidr": "fe80::/64"}, "error with field IPPool.Spec.CIDR = 'fe80::/64' (IPPool CIDR overlaps with IPv6 Link Local range fe80::/10)"),
        ({"cidr": "10.0.0.0/16", "ipipMode": "always"},
         "error with field IPIPMode = 'always' (Reason: failed to validate Field: IPIPMode because of Tag: ipIpMode )"),
        ({"cidr": "10.0.0.0/16", "allowedUses": ["Workload", "Other"]}, "unknown use: Other"),
    ],
)
def test_ippool_validation_messages(spec, message):
    with pytest.raises(ResourceError) as ei:
        resources.loads(_pool("p1", **spec), filename="pools.yaml")
    text = str(ei.value)
    assert text.startswith("pools.yaml: document 1 (IPPool 'p1'): Failed to create 'IPPool' resource: [")
    assert message in text


def test_ippool_several_errors_use_calicos_list_format():
    with pytest.raises(ResourceError) as ei:
        resources.loads(_pool("p1", cidr="10.0.0.1/28", blockSize=40))
    assert "[error with the following fields:\n-  IPPool.Spec.BlockSize = '40' (IPv4 block size must be between 20 and 32)\n" in str(ei.value)
    assert "-  IPPool.Spec.CIDR = '10.0.0.0/28' (IPPool CIDR is not strictly masked)\n]" in str(ei.value)


def test_overlapping_pools_name_both():
    text = _pool("default-ipv4-ippool", cidr="192.168.0.0/16") + "---\n" + _pool("p2", cidr="192.168.0.0/17")
    with pytest.raises(ResourceError) as ei:
        resources.loads(text, filename="c.yaml")
    assert str(ei.value) == (
        "c.yaml: document 2 (IPPool 'p2'): Failed to create 'IPPool' resource: [error with field "
        "IPPool.Spec.CIDR = '192.168.0.0/17' (IPPool(p2) CIDR overlaps with IPPool(default-ipv4-ippool) CIDR 192.168.0.0/16)]"
    )


def test_disabled_small_pool_is_allowed():
    res = resources.loads(_pool("p", cidr="10.0.0.0/28", blockSize=26, disabled=True))
    assert res.pools[0].disabled


def test_malformed_yaml_names_line():
    with pytest.raises(ResourceError, match=r"bad\.yaml: malformed YAML at line 3"):
        resources.loads("apiVersion: v1\nkind: [oops\nmetadata: {}\n", filename="bad.yaml")


def test_unknown_kind_lists_known_kinds():
    with pytest.raises(ResourceError, match=r"x.yaml: document 1 \(Gadget 'g'\): kind: unknown kind 'Gadget': expected one of .*IPPool"):
        resources.loads("apiVersion: v1\nkind: Gadget\nmetadata: {name: g}\n", filename="x.yaml")


def test_wrong_api_version():
    with pytest.raises(ResourceError, match=r"unsupported apiVersion 'projectcalico.org/v2' for IPPool"):
        resources.loads("apiVersion: projectcalico.org/v2\nkind: IPPool\nmetadata: {name: p}\nspec: {cidr: 10.0.0.0/8}\n")


def test_missing_required_fields():
    with pytest.raises(ResourceError, match=r"document 1 \(Pod 'p'\): spec.nodeName: required field is missing"):
        resources.loads("apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {}\n")
    with pytest.raises(ResourceError, match=r"document 1: kind: required field is missing"):
        resources.loads("apiVersion: v1\nmetadata: {name: p}\n")


def test_list_item_location_in_message():
    text = "apiVersion: v1\nkind: List\nitems:\n- {apiVersion: v1, kind: Node, metadata: {name: a}}\n- {apiVersion: v1, kind: Node, metadata: {name: b, annotations: {projectcalico.org/IPv4Address: nonsense}}}\n"
    with pytest.raises(ResourceError, match=r"document 1, items\[1\] \(Node 'b'\): metadata.annotations\['projectcalico.org/IPv4Address'\]: invalid address 'nonsense'"):
        resources.loads(text)


def test_host_network_pods_are_not_ipam_pods():
    res = resources.loads("apiVersion: v1\nkind: Pod\nmetadata: {name: calico-node-x}\nspec: {nodeName: n, hostNetwork: true}\n")
    assert res.pods == []


def test_pod_and_wep_addresses():
    res = resources.loads(
        _y(
            """
            apiVersion: v1
            kind: Pod
            metadata: {name: web, namespace: shop}
            spec: {nodeName: n1}
            status: {podIP: 10.244.1.5, podIPs: [{ip: 10.244.1.5}, {ip: 'fd00::5'}]}
            ---
            apiVersion: projectcalico.org/v3
            kind: WorkloadEndpoint
            metadata: {name: n1-k8s-db-eth0, namespace: shop}
            spec: {node: n1, pod: db, interfaceName: cali0123456789a, ipNetworks: [10.244.1.6/32]}
            """
        )
    )
    web, db = res.pods
    assert [str(i) for i in web.ips] == ["10.244.1.5", "fd00::5"]
    assert db.interface_name == "cali0123456789a" and [str(i) for i in db.ips] == ["10.244.1.6"]


@pytest.mark.parametrize(
    "spec, message",
    [
        ("{node: a, nodeSelector: all(), peerIP: 10.0.0.1, asNumber: 65000}", "Node field must be empty when NodeSelector is specified"),
        ("{peerIP: 10.0.0.1, peerSelector: all()}", "PeerIP field must be empty when PeerSelector is specified"),
        ("{asNumber: 65000, peerSelector: all()}", "ASNumber field must be empty when PeerSelector is specified"),
        ("{reachableBy: 10.0.0.1, peerSelector: all()}", "ReachablyBy field must be empty when PeerIP is empty"),
        ("{peerIP: 10.0.0.1, reachableBy: 'fd00::1', asNumber: 1}", "ReachableBy and PeerIP address family mismatched"),
        ("{peerIP: 10.0.0.1, asNumber: 'x.y'}", "invalid AS number 'x.y'"),
    ],
)
def test_bgppeer_validation(spec, message):
    with pytest.raises(ResourceError, match=message):
        resources.loads(f"apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {{name: p}}\nspec: {spec}\n")


def test_bgppeer_ip_port_forms():
    for ip in ("10.0.0.1:1790", "'[fd00::1]:179'", "fd00::1"):
        res = resources.loads(f"apiVersion: projectcalico.org/v3\nkind: BGPPeer\nmetadata: {{name: p}}\nspec: {{peerIP: {ip}, asNumber: 65000}}\n")
        assert res.bgp_peers[0].peer_ip


def test_bgpconfiguration_defaults_and_node_specific_rules():
    res = resources.loads("apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata: {name: default}\nspec: {}\n")
    cfg = res.bgp_configurations[0]
    assert cfg.mesh_enabled and cfg.effective_as_number == 64512
    with pytest.raises(ResourceError, match=r"Cannot set AsNumber on a non default BGP Configuration\."):
        resources.loads("apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata: {name: node.n1}\nspec: {asNumber: 65000}\n")
    with pytest.raises(ResourceError, match="spec.NodeMeshPassword cannot be set if spec.NodeToNodeMesh is disabled"):
        resources.loads(
            "apiVersion: projectcalico.org/v3\nkind: BGPConfiguration\nmetadata: {name: default}\n"
            "spec: {nodeToNodeMeshEnabled: false, nodeMeshPassword: {secretKeyRef: {name: a, key: b}}}\n"
        )


def test_ipam_configuration_rules():
    res = resources.loads("apiVersion: projectcalico.org/v3\nkind: IPAMConfiguration\nmetadata: {name: default}\nspec: {strictAffinity: true, maxBlocksPerHost: 4}\n")
    assert res.ipam_config.effective_max_blocks == 4
    # Calico's validator has no rule across the fields: the documented sample (strictAffinity
    # false, maxBlocksPerHost 4) is valid
    res = resources.loads("apiVersion: projectcalico.org/v3\nkind: IPAMConfiguration\nmetadata: {name: default}\n"
                          "spec: {strictAffinity: false, maxBlocksPerHost: 4}\n")
    assert (res.ipam_config.strict_affinity, res.ipam_config.effective_max_blocks) == (False, 4)
    with pytest.raises(ResourceError, match=r"spec.maxBlocksPerHost: invalid value -1"):
        resources.loads("apiVersion: projectcalico.org/v3\nkind: IPAMConfiguration\nmetadata: {name: default}\nspec: {strictAffinity: true, maxBlocksPerHost: -1}\n")


def test_ipamblock_checks_allocations():
    with pytest.raises(ResourceError, match=r"spec.allocations: expected 4 entries for 10.0.0.0/30, got 2"):
        resources.loads("apiVersion: crd.projectcalico.org/v1\nkind: IPAMBlock\nmetadata: {name: b}\nspec: {cidr: 10.0.0.0/30, allocations: [null, null]}\n")
    with pytest.raises(ResourceError, match=r"spec.unallocated\[0\]: invalid free ordinal 0"):
        resources.loads(
            "apiVersion: crd.projectcalico.org/v1\nkind: IPAMBlock\nmetadata: {name: b}\n"
            "spec: {cidr: 10.0.0.0/31, allocations: [0, null], unallocated: [0, 1], attributes: [{handle_id: h}]}\n"
        )


@pytest.mark.parametrize(
    "text, labels, expected",
    [
        ("all()", {}, True),
        ("", {"a": "b"}, True),
        ("a == 'b'", {"a": "b"}, True),
        ('a == "b"', {"a": "c"}, False),
        ("a != 'b'", {}, True),
        ("has(a)", {"a": ""}, True),
        ("!has(a)", {"a": ""}, False),
        ("a in {'x', 'y'}", {"a": "y"}, True),
        ("a not in {'x', 'y'}", {"a": "y"}, False),
        ("a == 'x' || (b == 'y' && !has(c))", {"b": "y"}, True),
        ("a == 'x' || (b == 'y' && !has(c))", {"b": "y", "c": "1"}, False),
        ("kubernetes.io/hostname starts with 'node'", {"kubernetes.io/hostname": "node-1"}, True),
        ("zone contains 'east'", {"zone": "us-east-1"}, True),
        ("zone ends with '-2'", {"zone": "us-east-1"}, False),
    ],
)
def test_selectors(text, labels, expected):
    assert Selector(text).matches(labels) is expected


@pytest.mark.parametrize("text", ["a ==", "has(a", "a in {'x'", "&& a", "a == 'b' extra"])
def test_bad_selectors(text):
    with pytest.raises(ValueError):
        Selector(text)


def test_bad_node_selector_on_pool():
    with pytest.raises(ResourceError, match=r"spec.nodeSelector: .*selector 'zone =='"):
        resources.loads(_pool("p", cidr="10.0.0.0/16", nodeSelector="zone =="))


def test_dump_round_trip_of_pool():
    res = resources.loads(POOL)
    text = resources.dump_documents([res.pools[0].to_doc()])
    assert text.startswith("---\napiVersion: projectcalico.org/v3\nkind: IPPool\n")
    again = resources.loads(text)
    assert again.pools == res.pools
