"""Kubernetes Services and their endpoints, as confd's route generator reads them.

calico-node's confd advertises a Service's addresses from the nodes that run one of its
endpoints when the Service asks for it (projectcalico/calico
``confd/pkg/backends/calico/routes.go``, ``advertiseThisService`` and
``getAllRoutesForService``); :func:`fastroute.bgp.peers.service_routes` applies those rules
to the records read here:

* :class:`Service` -- v1 ``Service``: type, ``clusterIP``, ``externalTrafficPolicy``,
  ``externalIPs``, ``loadBalancerIP`` and ``status.loadBalancer.ingress`` addresses;
* :class:`ServiceEndpoints` -- v1 ``Endpoints`` (``subsets[].addresses[]``) or
  discovery.k8s.io/v1 ``EndpointSlice`` (``endpoints[]``, its Service named by the
  ``kubernetes.io/service-name`` label): the ``(ip, nodeName)`` of each ready address.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .kinds import Source
from .validation import fail, get_field

__all__ = ["Service", "ServiceEndpoints", "parse_service", "parse_endpoints", "parse_endpoint_slice"]


@dataclass(frozen=True)
class Service:
    namespace: str
    name: str
    type: str = "ClusterIP"
    cluster_ip: str = ""
    external_traffic_policy: str = "Cluster"
    external_ips: tuple = ()
    load_balancer_ip: str = ""
    ingress_ips: tuple = ()
    source: Source = field(default=Source(), compare=False, repr=False)


@dataclass(frozen=True)
class ServiceEndpoints:
    namespace: str
    service: str
    addresses: tuple = ()           # (ip, node name or None)
    source: Source = field(default=Source(), compare=False, repr=False)


def _namespace(doc):
    return str((doc.get("metadata") or {}).get("namespace") or "default")


def _texts(value, src, path):
    if value is None:
        return ()
    if not isinstance(value, list):
        fail(src, path, f"expected a list, got {value!r}")
    return tuple(str(v) for v in value)


def parse_service(doc: dict[str, Any], src: Source) -> Service:
    spec = get_field(doc, src, "spec", dict, default={}) or {}
    ingress = ((doc.get("status") or {}).get("loadBalancer") or {}).get("ingress") or []
    return Service(
        namespace=_namespace(doc),
        name=src.name,
        type=str(spec.get("type") or "ClusterIP"),
        cluster_ip=str(spec.get("clusterIP") or ""),
        external_traffic_policy=str(spec.get("externalTrafficPolicy") or "Cluster"),
        external_ips=_texts(spec.get("externalIPs"), src, "spec.externalIPs"),
        load_balancer_ip=str(spec.get("loadBalancerIP") or ""),
        ingress_ips=tuple(str(i["ip"]) for i in ingress if isinstance(i, dict) and i.get("ip")),
        source=src,
    )


def parse_endpoints(doc: dict[str, Any], src: Source) -> ServiceEndpoints:
    subsets = get_field(doc, src, "subsets", list, default=[]) or []
    addresses = []
    for i, subset in enumerate(subsets):
        if not isinstance(subset, dict):
            fail(src, f"subsets[{i}]", f"expected a mapping, got {subset!r}")
        for a in subset.get("addresses") or []:
            if isinstance(a, dict) and a.get("ip"):
                addresses.append((str(a["ip"]), a.get("nodeName")))
    return ServiceEndpoints(_namespace(doc), src.name, tuple(addresses), src)


def parse_endpoint_slice(doc: dict[str, Any], src: Source) -> ServiceEndpoints:
    labels = (doc.get("metadata") or {}).get("labels") or {}
    service = labels.get("kubernetes.io/service-name")
    if not service:
        fail(src, "metadata.labels['kubernetes.io/service-name']", "required label is missing")
    addresses = []
    for e in get_field(doc, src, "endpoints", list, default=[]) or []:
        if not isinstance(e, dict) or (e.get("conditions") or {}).get("ready") is False:
            continue
        addresses += [(str(ip), e.get("nodeName")) for ip in e.get("addresses") or []]
    return ServiceEndpoints(_namespace(doc), str(service), tuple(addresses), src)
