"""The Calico v3.30+ BGPPeer and BGPConfiguration fields: read as libcalico-go reads them,
refused (naming file, document, field and value) where Calico's validator refuses them
(projectcalico/calico ``api/pkg/apis/projectcalico/v3/bgppeer.go``, ``bgpconfig.go``,
``libcalico-go/lib/validator/v3/validator.go``)."""

import pytest

from fastroute.errors import ResourceError
from fastroute.model import reader

PEER = """apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: p1}
spec:
"""
CONFIG = """apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata: {name: default}
spec:
"""


def _peer(extra):
    return reader.loads(PEER + extra, "peers.yaml").bgp_peers[0]


def test_the_fields_are_read():
    p = _peer("  peerIP: 10.0.0.1\n  asNumber: 65001\n  localASNumber: '1.10'\n  nextHopMode: Self\n"
              "  reversePeering: Manual\n")
    assert (p.local_as_number, p.next_hop_mode, p.reverse_peering) == (65546, "Self", "Manual")
    w = _peer("  asNumber: 65001\n  localWorkloadSelector: app == 'bird'\n")
    assert w.local_workload_selector == "app == 'bird'"
    cfg = reader.loads(CONFIG + "  programClusterRoutes: Disabled\n", "bgp.yaml").bgp_configurations[0]
    assert cfg.program_cluster_routes == "Disabled"


@pytest.mark.parametrize("extra, field, value", [
    ("  peerIP: 10.0.0.1\n  asNumber: 1\n  nextHopMode: Sometimes\n", "spec.nextHopMode", "'Sometimes'"),
    ("  peerIP: 10.0.0.1\n  asNumber: 1\n  reversePeering: Never\n", "spec.reversePeering", "'Never'"),
    ("  peerIP: 10.0.0.1\n  asNumber: 1\n  localASNumber: abc\n", "spec.localASNumber", "'abc'"),
    ("  peerIP: 10.0.0.1\n  asNumber: 1\n  localASNumber: 0\n", "spec.localASNumber", "0"),
    ("  peerIP: 10.0.0.1\n  asNumber: 1\n  keepOriginalNextHop: true\n  nextHopMode: Keep\n",
     "spec.keepOriginalNextHop", "'Keep'"),
    ("  asNumber: 1\n  localWorkloadSelector: \"app == \"\n", "spec.localWorkloadSelector", "'app == '"),
    ("  localWorkloadSelector: app == 'x'\n", "spec.asNumber", "app == 'x'"),
    ("  asNumber: 1\n  peerIP: 10.0.0.1\n  localWorkloadSelector: app == 'x'\n", "spec.peerIP", "'10.0.0.1'"),
    ("  asNumber: 1\n  peerSelector: all()\n  localWorkloadSelector: app == 'x'\n", "spec.peerSelector",
     "'all()'"),
])
def test_bad_peer_fields_are_refused(extra, field, value):
    with pytest.raises(ResourceError) as e:
        _peer(extra)
    msg = str(e.value)
    assert msg.startswith("peers.yaml: document 1 (BGPPeer 'p1'): ") and field in msg and value in msg, msg


def test_bad_program_cluster_routes_is_refused():
    with pytest.raises(ResourceError, match=r"bgp.yaml: document 1 .*spec.programClusterRoutes.*'Sometimes'"):
        reader.loads(CONFIG + "  programClusterRoutes: Sometimes\n", "bgp.yaml")


@pytest.mark.parametrize("extra, field, value", [
    ("  logSeverityScreen: debug\n", "spec.logSeverityScreen", "'debug'"),
    ("  bindMode: Anywhere\n", "spec.bindMode", "'Anywhere'"),
    ("  ignoredInterfaces: [eth0, '*']\n", "spec.ignoredInterfaces[1]", "'*'"),
    ("  ignoredInterfaces: [averyveryverylongname]\n", "spec.ignoredInterfaces[0]", "'averyveryverylongname'"),
    ("  localWorkloadPeeringIPV4: fd00::1\n", "spec.localWorkloadPeeringIPV4", "'fd00::1'"),
    ("  localWorkloadPeeringIPV6: 10.0.0.1\n", "spec.localWorkloadPeeringIPV6", "'10.0.0.1'"),
    ("  localWorkloadPeeringIPV4: 10.0.0.1/32\n", "spec.localWorkloadPeeringIPV4", "'10.0.0.1/32'"),
])
def test_bad_bgpconfiguration_fields_are_refused(extra, field, value):
    with pytest.raises(ResourceError) as e:
        reader.loads(CONFIG + extra, "bgp.yaml")
    msg = str(e.value)
    assert msg.startswith("bgp.yaml: document 1 (BGPConfiguration 'default'): ") and field in msg and value in msg, msg


def test_good_bgpconfiguration_fields_load_and_export():
    text = CONFIG + ("  logSeverityScreen: Warning\n  bindMode: NodeIP\n  ignoredInterfaces: [eth*, ens-1.2_x]\n"
                     "  localWorkloadPeeringIPV4: 169.254.0.1\n  localWorkloadPeeringIPV6: fe80::1\n"
                     "  ipv4NormalRoutePriority: 300\n")
    (cfg,) = reader.loads(text, "bgp.yaml").bgp_configurations
    assert (cfg.bind_mode, cfg.local_workload_peering_ipv6, cfg.ipv4_normal_route_priority) == ("NodeIP", "fe80::1", 300)
    assert cfg.to_doc()["spec"]["localWorkloadPeeringIPV4"] == "169.254.0.1"


POOL = """apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {name: lb}
spec:
  cidr: 10.50.0.0/24
"""


def test_v330_pool_fields_load_and_export():
    (pool,) = reader.loads(POOL + "  allowedUses: [LoadBalancer]\n  assignmentMode: Manual\n", "pools.yaml").pools
    assert (pool.allowed_uses, pool.assignment_mode) == (("LoadBalancer",), "Manual")
    spec = pool.to_doc()["spec"]
    assert (spec["allowedUses"], spec["assignmentMode"]) == (["LoadBalancer"], "Manual")
    # Calico defaults allowedUses to [Workload, Tunnel] before validating: a namespaced pool names Workload
    (ns,) = reader.loads(POOL + "  allowedUses: [Workload]\n  namespaceSelector: team == 'a'\n", "pools.yaml").pools
    assert ns.to_doc()["spec"]["namespaceSelector"] == "team == 'a'"


@pytest.mark.parametrize("extra, text", [
    ("  assignmentMode: Sometimes\n", "spec.assignmentMode: invalid assignmentMode 'Sometimes'"),
    ("  allowedUses: [Workload]\n  namespaceSelector: \"team ==\"\n", "spec.namespaceSelector: invalid selector"),
    ("  namespaceSelector: all()\n", "IPPool.Spec.NamespaceSelector = 'all()'"),
    ("  allowedUses: [LoadBalancer, Workload]\n", "LoadBalancer cannot be used at the same time as: Workload"),
    ("  allowedUses: [LoadBalancer]\n  ipipMode: Always\n", "IPPool.Spec.IPIPMode = 'Always' (Neither IPIPMode"),
    ("  allowedUses: [LoadBalancer]\n  disableBGPExport: true\n", "IPPool.Spec.DisableBGPExport = 'true'"),
    ("  allowedUses: [LoadBalancer]\n  nodeSelector: a == 'b'\n", "IPPool.Spec.NodeSelector = 'a == 'b''"),
    ("  allowedUses: [Tunnel]\n  namespaceSelector: all()\n", "IPPool.Spec.NamespaceSelector = 'all()'"),
])
def test_bad_v330_pool_fields_are_refused(extra, text):
    with pytest.raises(ResourceError) as e:
        reader.loads(POOL + extra, "pools.yaml")
    msg = str(e.value)
    assert msg.startswith("pools.yaml: document 1 (IPPool 'lb')") and text in msg, msg


@pytest.mark.parametrize("iface, ok", [("eth*", True), ("*", True), ("en.1_x-2", True), ('eth"0', False),
                                       ("averyveryverylongname", False), ("eth 0", False)])
def test_bgpfilter_interface_is_checked_as_calico_does(iface, ok):
    text = ("apiVersion: projectcalico.org/v3\nkind: BGPFilter\nmetadata: {name: f}\n"
            f"spec:\n  exportV4:\n    - {{action: Reject, interface: '{iface}'}}\n")
    if ok:
        assert reader.loads(text, "f.yaml").bgp_filters[0].rules["exportV4"][0]["interface"] == iface
    else:
        with pytest.raises(ResourceError, match=r"f.yaml: document 1 \(BGPFilter 'f'\): spec.exportV4\[0\]"
                                                r".interface: invalid interface"):
            reader.loads(text, "f.yaml")
