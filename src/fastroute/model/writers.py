"""The routing inputs that are not Calico IPAM or BGP topology, written back as the
documents they were read from: BGPFilters, the Secrets BGP passwords come from, Services
and their endpoints (v1 ``Endpoints`` or discovery.k8s.io/v1 ``EndpointSlice``, as read).

Each writer is the inverse of its reader (:mod:`fastroute.model.filters`,
:mod:`fastroute.model.services`): what ``export`` writes loads back into equal records.
"""

from __future__ import annotations

import base64
import ipaddress
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from .filters import BGPFilter, Secret
    from .services import Service, ServiceEndpoints

__all__ = ["bgp_filter_doc", "secret_doc", "service_doc", "endpoints_doc", "routing_input_docs"]


def _operation_doc(name, value):
    if name == "prependASPath":
        return {name: {"prefix": list(value)}}
    return {name: {"value": value}}


def _rule_doc(rule):
    out = {}
    for key, value in rule.items():
        if key == "unrendered":
            out.update(value)           # fields the reader kept as given (refused when rendered)
        elif key == "prefixLength":
            out[key] = {k: v for k, v in zip(("min", "max"), value) if v is not None}
        elif key == "communities":
            out[key] = {"values": [value]}
        elif key == "asPathPrefix":
            out[key] = list(value)
        elif key == "operations":
            out[key] = [_operation_doc(n, v) for n, v in value]
        else:
            out[key] = value
    return out


def bgp_filter_doc(f: BGPFilter) -> dict[str, Any]:
    """projectcalico.org/v3 ``BGPFilter`` of a :class:`~fastroute.model.filters.BGPFilter`."""
    spec = {key: [_rule_doc(r) for r in rules] for key, rules in f.rules.items() if rules}
    return {"apiVersion": "projectcalico.org/v3", "kind": "BGPFilter", "metadata": {"name": f.name}, "spec": spec}


def secret_doc(s: Secret) -> dict[str, Any]:
    """v1 ``Secret`` (type Opaque, ``data`` in base64) of a :class:`~fastroute.model.filters.Secret`."""
    data = {k: base64.b64encode(v.encode("utf-8")).decode("ascii") for k, v in s.data.items()}
    return {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": s.name, "namespace": s.namespace},
            "type": "Opaque", "data": data}


def service_doc(s: Service) -> dict[str, Any]:
    """v1 ``Service`` of a :class:`~fastroute.model.services.Service`: the fields confd's route
    generator reads, and the load balancer ingress addresses in ``status``."""
    spec = {"type": s.type}
    if s.cluster_ip:
        spec["clusterIP"] = s.cluster_ip
    if s.type in ("NodePort", "LoadBalancer") or s.external_traffic_policy != "Cluster":
        spec["externalTrafficPolicy"] = s.external_traffic_policy
    if s.external_ips:
        spec["externalIPs"] = list(s.external_ips)
    if s.load_balancer_ip:
        spec["loadBalancerIP"] = s.load_balancer_ip
    doc = {"apiVersion": "v1", "kind": "Service", "metadata": {"name": s.name, "namespace": s.namespace},
           "spec": spec}
    if s.ingress_ips:
        doc["status"] = {"loadBalancer": {"ingress": [{"ip": ip} for ip in s.ingress_ips]}}
    return doc


def _address(ip, node):
    return {"ip": ip} if node is None else {"ip": ip, "nodeName": node}


def endpoints_doc(e: ServiceEndpoints) -> dict[str, Any]:
    """The ready addresses of a :class:`~fastroute.model.services.ServiceEndpoints`: an
    ``EndpointSlice`` (named as read) when it was read from one, else v1 ``Endpoints``."""
    if e.source.kind == "EndpointSlice":
        family = ipaddress.ip_address(e.addresses[0][0]).version if e.addresses else 4
        endpoints = []
        for ip, node in e.addresses:
            ep = {"addresses": [ip], "conditions": {"ready": True}}
            if node is not None:
                ep["nodeName"] = node
            endpoints.append(ep)
        return {"apiVersion": "discovery.k8s.io/v1", "kind": "EndpointSlice",
                "metadata": {"name": e.source.name or e.service, "namespace": e.namespace,
                             "labels": {"kubernetes.io/service-name": e.service}},
                "addressType": f"IPv{family}", "endpoints": endpoints}
    subsets = [{"addresses": [_address(ip, node) for ip, node in e.addresses]}] if e.addresses else []
    return {"apiVersion": "v1", "kind": "Endpoints", "metadata": {"name": e.service, "namespace": e.namespace},
            "subsets": subsets}


def routing_input_docs(cluster: "Cluster") -> list[dict[str, Any]]:  # noqa: F821 -- model.cluster imports this module
    """BGPFilters, Secrets, Services and endpoints of ``cluster``, in that order."""
    return ([bgp_filter_doc(f) for f in cluster.bgp_filters] + [secret_doc(s) for s in cluster.secrets]
            + [service_doc(s) for s in cluster.services] + [endpoints_doc(e) for e in cluster.endpoints])
