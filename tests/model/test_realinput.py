"""Real Calico dumps: every kind loads, values read as Calico reads them, IPAM state from
BlockAffinities and IPReservations (projectcalico/calico api/pkg/apis/projectcalico/v3,
libcalico-go lib/validator/v3/validator.go, lib/ipam/ipam_block.go)."""

import json
import os

import pytest

from fastroute.cli.main import main
from fastroute.errors import ResourceError
from fastroute.model import cluster as cluster_mod
from fastroute.model import resources
from fastroute.model.validation import label_text

DATA = os.path.join(os.path.dirname(__file__), "data", "mixed_dump.yaml")


def _doc(kind, spec, api="projectcalico.org/v3", name="x", extra=""):
    return f"apiVersion: {api}\nkind: {kind}\nmetadata:\n  name: {name}\n{extra}spec: {spec}\n"


# ---------------------------------------------------------------------- kinds that cannot change routing

# Calico's documented samples (docs.tigera.io/calico/latest/reference/resources/*), trimmed to their shape
DOC_SAMPLES = [
    _doc("GlobalNetworkPolicy", "{tier: default, order: 200, selector: role == 'database', types: [Ingress, Egress],"
         " ingress: [{action: Allow, protocol: TCP, source: {selector: role == 'frontend'},"
         " destination: {ports: [6379]}}], egress: [{action: Allow}]}", name="default.allow-tcp-6379"),
    _doc("NetworkPolicy", "{selector: role == 'database', types: [Ingress]}", extra="  namespace: production\n"),
    _doc("StagedGlobalNetworkPolicy", "{selector: all()}"), _doc("StagedNetworkPolicy", "{selector: all()}"),
    _doc("StagedKubernetesNetworkPolicy", "{podSelector: {}}"),
    _doc("Tier", "{order: 100}", name="internal-access"),
    _doc("HostEndpoint", "{interfaceName: eth0, node: myhost, expectedIPs: [192.168.0.1, 192.168.0.2],"
         " profiles: [profile1, profile2], ports: [{name: some-port, port: 1234, protocol: TCP}]}",
         name="some.name", extra="  labels: {type: production}\n"),
    _doc("GlobalNetworkSet", "{nets: [198.51.100.0/28, 203.0.113.0/24]}", name="a-name-for-the-set"),
    _doc("NetworkSet", "{nets: [198.51.100.0/28]}", extra="  namespace: default\n"),
    _doc("CalicoNodeStatus", "{classes: [Agent, BGP, Routes], node: my-node, updatePeriodSeconds: 10}"),
    _doc("FelixConfiguration", "{ipv6Support: false, ipipMTU: 1400, chainInsertMode: Append}", name="default"),
    _doc("KubeControllersConfiguration", "{logSeverityScreen: Info, healthChecks: Enabled,"
         " controllers: {node: {reconcilerPeriod: 5m, leakGracePeriod: 15m, syncLabels: Enabled,"
         " hostEndpoint: {autoCreate: Disabled}}}}", name="default"),
    _doc("ClusterInformation", "{calicoVersion: v3.28.1, clusterType: k8s,bgp,kdd, datastoreReady: true}",
         name="default"),
    _doc("Profile", "{ingress: [{action: Allow}], egress: [{action: Allow}]}", name="dev-profile"),
    _doc("IPAMHandle", "{handleID: k8s-pod-network.abc, block: {10.0.0.0/26: 1}}", api="crd.projectcalico.org/v1"),
    _doc("Namespace", "{}", api="v1"), _doc("ConfigMap", "{}", api="v1"),
    _doc("Deployment", "{replicas: 1}", api="apps/v1"),
    _doc("NetworkPolicy", "{podSelector: {}}", api="networking.k8s.io/v1"),
    _doc("APIServer", "{}", api="operator.tigera.io/v1"),
]


def test_secrets_and_services_are_modelled_not_just_counted():
    # Secrets hold BGP passwords (BGPPeer password.secretKeyRef); Services are advertised
    res = resources.loads("apiVersion: v1\nkind: Secret\nmetadata: {name: bgp, namespace: kube-system}\n"
                          "data: {pw: c2VjcmV0}\n")
    assert res.not_modelled == {} and len(res.secrets) == 1


@pytest.mark.parametrize("text", DOC_SAMPLES, ids=lambda t: t.split("kind: ")[1].split("\n")[0])
def test_kinds_that_cannot_change_routing_are_counted_not_refused(text):
    res = resources.loads(text)
    kind = text.split("kind: ")[1].split("\n")[0]
    assert res.not_modelled == {kind: 1}
    assert res.not_modelled_text() == f"not modelled: {kind} (1)"


def test_not_modelled_counts_add_up_across_list_items_and_documents():
    items = "".join(f"- {{apiVersion: projectcalico.org/v3, kind: Tier, metadata: {{name: t{i}}}}}\n" for i in range(3))
    res = resources.loads("apiVersion: v1\nkind: List\nitems:\n" + items + "---\n" + DOC_SAMPLES[0])
    assert res.not_modelled == {"Tier": 3, "GlobalNetworkPolicy": 1}


@pytest.mark.parametrize("api, kind", [("projectcalico.org/v3", "IPPol"), ("v1", "Gadget")])
def test_unknown_kind_of_calico_or_core_group_is_still_an_error(api, kind):
    with pytest.raises(ResourceError, match=f"unknown kind '{kind}'"):
        resources.loads(_doc(kind, "{}", api=api), filename="x.yaml")


def test_cli_prints_one_not_modelled_line(capsys):
    assert main(["verify", DATA]) == 0
    err = capsys.readouterr().err
    assert err.count("not modelled") == 1
    assert "fastroute: not modelled: GlobalNetworkPolicy (1), Tier (1), Deployment (1)\n" in err


# ---------------------------------------------------------------------- Calico's reading rules

@pytest.mark.parametrize("value, text", [
    (True, "true"), (False, "false"), (None, ""), (16, "16"), (1.1, "1.1"), (1.0, "1"), (1e6, "1e+06"),
    (123456.0, "123456"), (0.0001, "0.0001"), (1e-05, "1e-05"), ("x", "x"),
])
def test_label_text_is_go_yaml_string_form(value, text):
    assert label_text(value) == text


def test_boolean_and_number_labels_read_as_calico_and_export_writes_them_back():
    text = ("apiVersion: projectcalico.org/v3\nkind: Node\nmetadata:\n  name: a\n  labels: {route-reflector: true,"
            " ok: yes, rack: 0x10, zone: 1.10}\nspec: {bgp: {ipv4Address: 10.0.0.1/24}}\n")
    res = resources.loads(text)
    assert res.nodes[0].labels == {"route-reflector": "true", "ok": "true", "rack": "16", "zone": "1.1"}
    out = resources.dump_documents([res.nodes[0].to_doc()])
    assert "route-reflector: 'true'" in out and "True" not in out


def test_selector_on_boolean_label_matches():
    c = cluster_mod.load(DATA).allocate()
    assert c.node("a").labels["route-reflector"] == "true"


@pytest.mark.parametrize("spec, message", [
    ('{peerIP: 10.0.0.9, asNumber: 65001, keepOriginalNextHop: "false"}',
     r"spec.keepOriginalNextHop: expected a boolean .*got str 'false'"),
    ("{peerIP: 10.0.0.9, asNumber: 65001, numAllowedLocalASNumbers: -1}",
     r"spec.numAllowedLocalASNumbers: invalid value -1"),
    ('{peerIP: 10.0.0.9, asNumber: 65001, ttlSecurity: "2"}', r"spec.ttlSecurity: expected an integer \(uint8\)"),
    ("{peerIP: 10.0.0.9, asNumber: 1.10}", r"spec.asNumber: invalid AS number 1.1.*quote it"),
])
def test_bgppeer_values_calico_refuses(spec, message):
    with pytest.raises(ResourceError, match=r"p.yaml: document 1 \(BGPPeer 'x'\): " + message):
        resources.loads(_doc("BGPPeer", spec), filename="p.yaml")


def test_bgppeer_quoted_asdot_and_boolean_keep_next_hop():
    res = resources.loads(_doc("BGPPeer", '{peerIP: 10.0.0.9, asNumber: "1.10", keepOriginalNextHop: true}'))
    assert res.bgp_peers[0].as_number == 65546 and res.bgp_peers[0].keep_original_next_hop is True


@pytest.mark.parametrize("kind, key", [("BGPPeer", "password"), ("BGPConfiguration", "nodeMeshPassword")])
@pytest.mark.parametrize("value", ["'x\"; } protocol static evil { route 0.0.0.0/0 blackhole; } #'",
                                   "{value: pw}", "{secretKeyRef: pw}", "{secretKeyRef: {name: s}}"])
def test_passwords_come_only_from_a_secret(kind, key, value):
    # a plain string (here one that would end BIRD's `password "...";` and add a protocol) is
    # not a BGPPassword: Calico refuses it at the API, so the loader does, naming the field
    name, peer = ("default", "") if kind == "BGPConfiguration" else ("x", "peerIP: 10.0.0.9, asNumber: 65001, ")
    with pytest.raises(ResourceError, match=r"p.yaml: document 1 \(%s '%s'\): spec.%s: expected \{secretKeyRef"
                       % (kind, name, key)):
        resources.loads(_doc(kind, "{%s%s: %s}" % (peer, key, value), name=name), filename="p.yaml")
    assert resources.loads(_doc(kind, "{%s%s: {secretKeyRef: {name: s, key: k}}}" % (peer, key), name=name))


def test_workload_endpoint_network_must_be_one_address():
    wep = "{node: n, pod: p, ipNetworks: [10.0.0.0/24]}"
    with pytest.raises(ResourceError, match=r"spec.ipNetworks\[0\]: .*IP network contains multiple addresses"):
        resources.loads(_doc("WorkloadEndpoint", wep))
    wep = "{node: n, pod: p, ipNetworks: [10.0.0.5/40]}"        # a prefix length IPv4 does not have
    with pytest.raises(ResourceError, match=r"spec.ipNetworks\[0\]: invalid CIDR '10.0.0.5/40'"):
        resources.loads(_doc("WorkloadEndpoint", wep))
    res = resources.loads(_doc("WorkloadEndpoint", "{node: n, workload: vm1, orchestrator: openstack,"
                                                   " ipNetworks: [10.0.0.5/32, 'fd00::5/128']}"))
    assert res.pods[0].name == "vm1" and [str(i) for i in res.pods[0].ips] == ["10.0.0.5", "fd00::5"]


def test_pod_ips_as_a_string_is_refused_clearly():
    text = "apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec: {nodeName: n}\nstatus: {podIPs: 10.0.0.1}\n"
    with pytest.raises(ResourceError, match=r"document 1 \(Pod 'p'\): status.podIPs: expected list, got str"):
        resources.loads(text)


def test_ipam_configuration_docs_sample_loads():
    res = resources.loads(_doc("IPAMConfiguration", "{strictAffinity: false, maxBlocksPerHost: 4,"
                                                    " kubeVirtVMAddressPersistence: Enabled}", name="default"))
    assert res.ipam_config.max_blocks_per_host == 4 and not res.ipam_config.strict_affinity


# ---------------------------------------------------------------------- IPAM state from a real dump

def test_mixed_dump_blocks_are_the_same_for_every_command():
    c = cluster_mod.load(DATA)
    # the confirmed BlockAffinity gives b its block; the pending one gives a none (confd skips it)
    assert [(str(b.cidr), b.affinity) for b in c.blocks] == [("10.2.0.64/26", "b")]
    done = c.allocate()
    assert sorted((str(b.cidr), b.affinity) for b in done.blocks) == [("10.1.0.0/26", "a"), ("10.2.0.64/26", "b")]
    # b's tunnel address and pod skip the reserved 10.2.0.64/30
    assert str(done.node("b").ipv4_ipip_tunnel_addr) == "10.2.0.68"
    p2 = [i for i in range(done.n_pods) if done.pods.name[i] == "p2"][0]
    assert int(done.pods.ipv4[p2]) & 0xFF == 69
    # a keeps its hand-set tunnel address outside every pool; p1 keeps its disabled-pool address
    assert str(done.node("a").ipv4_ipip_tunnel_addr) == "172.31.0.1"
    docs = done.to_documents()
    kinds = [d["kind"] for d in docs]
    assert "IPReservation" in kinds
    again = cluster_mod.Cluster.from_resources(resources.loads(resources.dump_documents(docs)))
    assert sorted(str(b.cidr) for b in again.blocks) == sorted(str(b.cidr) for b in done.blocks)


def test_reserved_addresses_are_never_handed_out():
    text = (_doc("IPPool", "{cidr: 10.0.0.0/24, blockSize: 30}", name="p")
            + "---\n" + _doc("IPReservation", "{reservedCIDRs: [10.0.0.0/31, 10.0.0.5]}", name="r")
            + "---\n" + _doc("Node", "{bgp: {ipv4Address: 192.168.0.1/24}}", name="n")
            + "".join(f"---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}}}\nspec: {{nodeName: n}}\n"
                      for i in range(4)))
    c = cluster_mod.Cluster.from_resources(resources.loads(text)).allocate()
    got = sorted(int(v) & 0xFF for v in c.pods.ipv4)
    assert 0 not in got and 1 not in got and 5 not in got and len(set(got)) == 4


def _exhausted(tmp_path):
    text = (_doc("IPPool", "{cidr: 10.0.0.0/30, blockSize: 30}", name="tiny")
            + "".join("---\n" + _doc("Node", f"{{bgp: {{ipv4Address: 192.168.0.{i}/24}}}}", name=n)
                      for i, n in ((1, "a"), (2, "b")))
            + "".join(f"---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}}}\nspec: {{nodeName: {'a' if i < 4 else 'b'}}}\n"
                      for i in range(1, 7)))
    f = tmp_path / "tiny.yaml"
    f.write_text(text)
    return str(f)


def test_ipam_error_names_file_and_document(tmp_path):
    f = _exhausted(tmp_path)
    with pytest.raises(Exception, match=r"tiny\.yaml: document 8 \(Pod 'p5'\): pod default/p5 on node 'b': "
                                        r"failed to request IPv4 addresses: .*No IPs available in pools"):
        cluster_mod.load(f).allocate()


def test_verify_reports_pool_exhaustion_as_a_finding(tmp_path, capsys):
    f = _exhausted(tmp_path)
    assert main(["verify", f]) == 1
    out = capsys.readouterr().out
    assert "checked 2 nodes, 4 pods" in out
    assert out.count("error: ipam-failure: no address: ") == 2 and "document 9 (Pod 'p6')" in out


def test_ipreservation_docs_sample_loads():
    # docs.tigera.io/calico/latest/reference/resources/ipreservation, "Sample YAML"
    text = ("apiVersion: projectcalico.org/v3\nkind: IPReservation\nmetadata:\n  name: my-ipreservation-1\nspec:\n"
            "  reservedCIDRs:\n    - 192.168.2.3\n    - 10.0.2.3/32\n    - cafe:f00d::/123\n")
    res = resources.loads(text)
    assert [str(c) for c in res.reservations[0].cidrs] == ["192.168.2.3/32", "10.0.2.3/32", "cafe:f00d::/123"]


AFFINITY = os.path.join(os.path.dirname(__file__), "data", "affinity_dump.yaml")


def test_blocks_given_as_affinities_are_the_same_in_bird_config_ipam_and_export(capsys):
    assert main(["bird-config", "--node", "a", "--file", "aggr", AFFINITY]) == 0
    aggr = capsys.readouterr().out
    assert "route 10.244.7.0/26 blackhole;" in aggr and "# Block 10.244.7.0/26 is confirmed" in aggr
    assert main(["ipam", "--show-blocks", AFFINITY]) == 0
    shown = capsys.readouterr().out
    assert "| Block    | 10.244.7.0/26  |" in shown and "| Block    | 10.244.9.64/26 |" in shown
    assert shown.count("| Block ") == 2
    assert main(["export", "-o", "json", AFFINITY]) == 0
    blocks = [d["spec"]["cidr"] for d in json.loads(capsys.readouterr().out)["items"] if d["kind"] == "IPAMBlock"]
    assert blocks == ["10.244.7.0/26", "10.244.9.64/26"]


def test_peer_without_as_number_takes_the_peer_nodes_as(capsys):
    # BGPPeer 'x' peers b with node a (AS 65001) by IP and names no asNumber
    data = os.path.join(os.path.dirname(__file__), "data", "peer_without_as.yaml")
    assert main(["bird-config", "--node", "b", data]) == 0
    out = capsys.readouterr().out
    block = out[out.index("protocol bgp Global_10_1_0_1"):]
    assert "neighbor 10.1.0.1 as 65001;" in block[:block.index("}")]


def test_listen_port_beyond_uint16_names_file_and_document():
    with pytest.raises(ResourceError, match=r"b\.yaml: document 1 \(BGPConfiguration 'default'\): spec.listenPort: "
                                            r"invalid port 70000: must be 1\.\.65535"):
        resources.loads(_doc("BGPConfiguration", "{listenPort: 70000}", name="default"), filename="b.yaml")


def test_cluster_dump_to_a_path_yaml_or_json(tmp_path):
    import io
    import json as _json

    from fastroute.model import examples
    from fastroute.model.cluster import Cluster

    c = examples.seed()
    c.dump(tmp_path / "c.yaml")
    c.dump(str(tmp_path / "c.json"))
    again = Cluster.from_resources(resources.load(str(tmp_path / "c.yaml")))
    assert again.node_names == c.node_names and again.n_pods == c.n_pods
    assert _json.loads((tmp_path / "c.json").read_text())["kind"] == "List"
    assert c.dump() == (tmp_path / "c.yaml").read_text()
    buf = io.StringIO()
    c.dump(buf, format="json")
    assert _json.loads(buf.getvalue()) == _json.loads((tmp_path / "c.json").read_text())


@pytest.mark.parametrize("spec, match", [
    ("{prefixAdvertisements: [{cidr: 10.244.0.0/16, communities: [bogus]}]}",
     r"spec\.prefixAdvertisements\[0\]\.communities\[0\]: invalid community 'bogus'"),
    ("{prefixAdvertisements: [{cidr: 10.244.0.0/16, communities: ['99999999:1']}]}",
     r"spec\.prefixAdvertisements\[0\]\.communities\[0\]: .*standard community must be 0\.\.65535"),
    ("{prefixAdvertisements: [{cidr: 10.0.0.0/99}]}", r"spec\.prefixAdvertisements\[0\]\.cidr"),
    ("{communities: [{name: x, value: 'a:b'}]}", r"spec\.communities\[0\]\.value: invalid community 'a:b'"),
    ("{asNumber: 0}", r"spec\.asNumber: invalid AS number 0"),
])
def test_bgp_configuration_values_calico_or_bird_refuse_name_the_document(spec, match):
    text = _doc("BGPConfiguration", spec, name="default")
    with pytest.raises(ResourceError, match=r"document 1 \(BGPConfiguration 'default'\): " + match):
        resources.loads(text, "c.yaml")
    ok = _doc("BGPConfiguration", "{communities: [{name: x, value: '65000:100'}], prefixAdvertisements: "
              "[{cidr: 10.244.0.0/16, communities: [x, '1:2:3']}]}", name="default")
    assert len(resources.loads(ok).bgp_configurations) == 1
