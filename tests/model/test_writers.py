"""``export`` writes BGPFilters, Secrets, Services and their endpoints back as the documents
they were read from: every record loads back equal (fastroute.model.writers)."""

import base64

import pytest

from fastroute.errors import ResourceError
from fastroute.model import reader
from fastroute.model.cluster import Cluster
from fastroute.model.resources import dump_documents

DUMP = """
apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: a}
spec: {bgp: {ipv4Address: 192.168.0.1/24}}
---
apiVersion: projectcalico.org/v3
kind: BGPFilter
metadata: {name: f1}
spec:
  exportV4:
    - {action: Accept, matchOperator: In, cidr: 10.0.0.0/8, prefixLength: {min: 16}, peerType: eBGP,
       communities: {values: ["65000:1"]}, asPathPrefix: [65001, 65002], priority: 10,
       operations: [{addCommunity: {value: "1:2:3"}}, {prependASPath: {prefix: [65000, 65000]}},
                    {setPriority: {value: 5}}]}
    - {action: Reject, source: RemotePeers, interface: "eth*"}
  importV6:
    - {action: Accept, matchOperator: NotIn, cidr: "fd00::/64", prefixLength: {min: 64, max: 96}}
    - {action: Reject, futureField: 7}
---
apiVersion: v1
kind: Secret
metadata: {name: bgp, namespace: kube-system}
data: {a: %s}
stringData: {b: "two words"}
---
apiVersion: v1
kind: Service
metadata: {name: web, namespace: shop}
spec: {type: LoadBalancer, clusterIP: 10.96.0.10, externalTrafficPolicy: Local, externalIPs: [203.0.113.5],
       loadBalancerIP: 198.51.100.7}
status: {loadBalancer: {ingress: [{ip: 198.51.100.7}, {hostname: lb.example}]}}
---
apiVersion: v1
kind: Service
metadata: {name: plain}
spec: {clusterIP: 10.96.0.11}
---
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata: {name: web-abc12, namespace: shop, labels: {kubernetes.io/service-name: web}}
addressType: IPv4
endpoints:
  - {addresses: [10.244.0.5], nodeName: a, conditions: {ready: true}}
  - {addresses: [10.244.0.6], nodeName: a, conditions: {ready: false}}
  - {addresses: [10.244.0.7]}
---
apiVersion: v1
kind: Endpoints
metadata: {name: plain, namespace: default}
subsets:
  - addresses: [{ip: 10.244.0.8, nodeName: a}, {ip: "fd00::8"}]
""" % base64.b64encode(b"s3cret").decode()


def _cluster(text, name):
    return Cluster.from_resources(reader.loads(text, name))


def test_routing_inputs_load_back_equal():
    c = _cluster(DUMP, "dump.yaml")
    assert len(c.bgp_filters) == 1 and len(c.secrets) == 1 and len(c.services) == 2 and len(c.endpoints) == 2
    again = _cluster(dump_documents(c.to_documents()), "export.yaml")
    for attr in ("bgp_filters", "secrets", "services", "endpoints"):
        assert getattr(again, attr) == getattr(c, attr), attr
    assert again.secrets[0].data == {"a": "s3cret", "b": "two words"}
    assert [e.source.kind for e in again.endpoints] == ["EndpointSlice", "Endpoints"]


def test_a_rule_field_the_reader_does_not_know_is_written_back_and_still_refused():
    c = _cluster(dump_documents(_cluster(DUMP, "dump.yaml").to_documents()), "export.yaml")
    (rule,) = [r for r in c.bgp_filters[0].rules_of("import", 6) if r["action"] == "Reject"]
    assert rule["unrendered"] == {"futureField": 7}
    from fastroute.model.filters import filter_functions
    with pytest.raises(ResourceError, match=r"export.yaml: document \d+ \(BGPFilter 'f1'\): "
                                            r"spec.importV6\[1\]: .*futureField"):
        filter_functions(c.bgp_filters, 6, v332_rules=True)
