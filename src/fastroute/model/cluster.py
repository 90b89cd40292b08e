"""The cluster fastroute computes on: nodes, pools, BGP resources, IPAM blocks, pods.

A :class:`Cluster` is built from resources (:func:`load`, :meth:`Cluster.from_resources`)
and is either a *snapshot* (blocks and addresses given) or a *plan* (pods
without addresses).  :meth:`Cluster.allocate` runs fastroute's IPAM, which
allocates exactly as Calico's does, and returns a new cluster with every pod
addressed.

Names live at the edges.  Inside, nodes are indices ``0..n_nodes-1`` in input
order, and the arrays the routing layer wants come from :meth:`Cluster.node_arrays`,
:meth:`Cluster.block_arrays` and :meth:`Cluster.pod_arrays`.

Examples
--------
>>> from fastroute import examples
>>> c = examples.seed()
>>> [str(b.cidr) for b in c.blocks]
['10.244.166.128/26', '10.244.219.64/26']
>>> c.block_arrays().node_idx.tolist()
[1, 0]
"""

from __future__ import annotations

import collections
import itertools
import ipaddress
import os
from collections.abc import Iterable
from dataclasses import replace
from typing import IO, TYPE_CHECKING, Any

import numpy as np

from . import ipam, names as _names
from .yamltext import paused_gc
from .writers import routing_input_docs
from .blocks import Block, BlockArrays, NodeArrays, Pod, PodArrays, Pods
from ..errors import ResourceError, UnknownNodeError, choice
from .resources import (
    BGPConfiguration,
    IPAMConfig,
    PodRecord,
    Resources,
    dump_documents,
    load as _load_resources,
)

if TYPE_CHECKING:
    from .filters import BGPFilter, Secret
    from .kinds import BGPPeer, IPPool, IPReservation, Node
    from .routers import Router
    from .services import Service, ServiceEndpoints

__all__ = ["Cluster", "Block", "Pods", "Pod", "BlockArrays", "NodeArrays", "PodArrays", "load", "from_records"]


class Cluster:
    """A Kubernetes cluster networked by Calico.

    Parameters
    ----------
    nodes : sequence of resources.Node
    pools : sequence of resources.IPPool
        Kept in Calico's List order (name order).
    bgp_configurations : sequence of resources.BGPConfiguration, optional
    bgp_peers : sequence of resources.BGPPeer, optional
    ipam_config : resources.IPAMConfig, optional
    blocks : sequence of Block, optional
        IPAM blocks (a snapshot); a plan has none.
    pods : Pods, optional
    extra_owners : list of (handle_id, attributes dict), optional
        Owners of allocations that are not pods (tunnel addresses, unknown handles).
    interface_prefix : str, default "cali"
    """

    def __init__(self, nodes: Iterable[Node], pools: Iterable[IPPool],
                 bgp_configurations: Iterable[BGPConfiguration] = (), bgp_peers: Iterable[BGPPeer] = (),
                 ipam_config: IPAMConfig | None = None, blocks: Iterable[Block] = (), pods: Pods | None = None,
                 extra_owners: Iterable[tuple] | None = None, interface_prefix: str = "cali",
                 reservations: Iterable[IPReservation] = (), not_modelled: dict[str, int] | None = None,
                 pod_sources: dict | None = None, bgp_filters: Iterable[BGPFilter] = (),
                 secrets: Iterable[Secret] = (), services: Iterable[Service] = (),
                 endpoints: Iterable[ServiceEndpoints] = (), routers: Iterable[Router] = (),
                 pod_labels: dict | None = None) -> None:
        self.nodes = tuple(nodes)
        self.node_names = tuple(n.name for n in self.nodes)
        self._node_index = {name: i for i, name in enumerate(self.node_names)}
        if len(self._node_index) != len(self.nodes):
            dup = [n for n, c in collections.Counter(self.node_names).items() if c > 1]
            raise ResourceError(f"node {dup[0]!r} is defined twice")
        self.pools = tuple(sorted(pools, key=lambda p: p.name))
        self.bgp_configurations = tuple(bgp_configurations)
        self.bgp_peers = tuple(bgp_peers)
        self.ipam_config = ipam_config or IPAMConfig()
        # Block List order: the KDD object name (``10-244-219-64-26``), compared as strings.
        self.blocks = tuple(sorted(blocks, key=lambda b: b.kname))
        self.interface_prefix = interface_prefix
        self.pods = pods if pods is not None else Pods([], [], [], self.node_names, prefix=interface_prefix)
        self.extra_owners = list(extra_owners or [])
        #: IPReservations (addresses IPAM never hands out)
        self.reservations = tuple(reservations)
        #: kinds read but not modelled, with their document counts (see Resources.not_modelled)
        self.not_modelled = dict(not_modelled or {})
        #: (namespace, name) -> Source of the document a pod came from (for error messages)
        self.pod_sources = pod_sources or {}
        #: (namespace, name) -> the labels of a pod that has any (its WorkloadEndpoint's or Pod's)
        self.pod_labels = pod_labels or {}
        self.bgp_filters = tuple(bgp_filters)   # fastroute.model.filters.BGPFilter
        self.secrets = tuple(secrets)           # fastroute.model.filters.Secret (BGP passwords)
        self.services = tuple(services)         # fastroute.model.services.Service
        self.endpoints = tuple(endpoints)       # fastroute.model.services.ServiceEndpoints
        self.routers = tuple(routers)      # fastroute.model.routers.Router (fabric speakers)
        self._node_memo = {}               # per-node arrays made once (the nodes never change)

    # ------------------------------------------------------------------ names <-> indices
    @property
    def n_nodes(self) -> int:
        return len(self.nodes)

    @property
    def n_pods(self) -> int:
        return len(self.pods)

    @property
    def n_blocks(self) -> int:
        return len(self.blocks)

    def node_index(self, name: str) -> int:
        """Index of node ``name``.

        Raises
        ------
        UnknownNodeError
        """
        try:
            return self._node_index[name]
        except KeyError:
            known = ", ".join(repr(n) for n in self.node_names[:10])
            more = ", ..." if self.n_nodes > 10 else ""
            raise UnknownNodeError(f"unknown node {name!r}: the cluster has {known}{more}") from None

    def node(self, name):
        return self.nodes[self.node_index(name)]

    @property
    def bgp_config(self):
        """The ``default`` BGPConfiguration (Calico's defaults when none was given)."""
        for c in self.bgp_configurations:
            if c.name == "default":
                return c
        return BGPConfiguration()

    @property
    def calico_version(self):
        """The Calico behaviour to model ("3.28" or "3.20"), from the default
        BGPConfiguration's ``fastroute.io/calico-version`` annotation; None = default."""
        return self.bgp_config.calico_version

    # ------------------------------------------------------------------ arrays
    def node_arrays(self):
        """Per-node arrays: IPv4 address (uint32, 0 if none), its prefix length (uint8),
        effective AS number (uint32) and route-reflector cluster id (list of str or None).
        Made once per cluster: the arrays are read-only, the list is a fresh copy."""
        got = self._node_memo.get("arrays")
        if got is None:
            default_as = self.bgp_config.effective_as_number
            v4 = [node.ipv4 for node in self.nodes]
            # an IPv4Interface is an IPv4Address: int() is its address without making one
            ipv4 = np.array([int(i) if i is not None else 0 for i in v4], np.uint32).reshape(-1)
            plen = np.array([i.network.prefixlen if i is not None else 0 for i in v4], np.uint8).reshape(-1)
            asn = np.array([default_as if node.asn is None else node.asn for node in self.nodes],
                           np.uint32).reshape(-1)
            for a in (ipv4, plen, asn):
                a.flags.writeable = False
            got = self._node_memo["arrays"] = NodeArrays(ipv4, plen, asn, tuple(n.rr_cluster_id for n in self.nodes))
        return got._replace(rr_cluster_id=list(got.rr_cluster_id))

    def node_addresses(self, version=4):
        """``(ips, subnets)``: each node's address of one IP version and its connected
        subnet (``ipaddress`` objects, None where the node has none), as two tuples;
        made once per cluster."""
        got = self._node_memo.get(version)
        if got is None:
            ifaces = [node.ipv4 if version == 4 else node.ipv6 for node in self.nodes]
            got = self._node_memo[version] = (tuple(i.ip if i is not None else None for i in ifaces),
                                              tuple(i.network if i is not None else None for i in ifaces))
        return got

    def block_arrays(self, version=4):
        """Blocks of one IP version as arrays, in block List order.

        Returns
        -------
        BlockArrays
            ``net`` (ndarray of uint32 for IPv4, of Python ints (object) for IPv6),
            ``plen`` (uint8) and ``node_idx`` (int32, -1 for a block without affinity).
        """
        blocks = [b for b in self.blocks if b.version == version]
        index = self._node_index
        net = np.array([b.net for b in blocks], dtype=np.uint32 if version == 4 else object).reshape(-1)
        plen = np.fromiter((b.prefixlen for b in blocks), np.uint8, len(blocks))
        node_idx = np.fromiter((index.get(b.affinity, -1) for b in blocks), np.int32, len(blocks))
        return BlockArrays(net, plen, node_idx)

    def pod_arrays(self):
        """Pods as arrays: ``node_idx`` (int32), ``ipv4`` (uint32) and ``has_ipv4`` (bool)."""
        has = self.pods.ipv4 >= 0
        return PodArrays(self.pods.node_idx, np.where(has, self.pods.ipv4, 0).astype(np.uint32), has)

    def allocation_node(self, owner):
        """Node index an allocation belongs to (its ``node`` attribute); -1 if unknown."""
        if owner >= 0:
            return int(self.pods.node_idx[owner])
        _, attrs = self.extra_owners[-2 - owner]
        return self._node_index.get(attrs.get("node"), -1)

    def borrowed(self, version=4):
        """Allocations whose node differs from their block's affinity (Calico's borrowed IPs).

        Returns
        -------
        list of (address int, node_idx, block index in :attr:`blocks`)
        """
        blocks = [(bi, b) for bi, b in enumerate(self.blocks) if b.version == version]
        heads = [b.allocated_head() for _, b in blocks]     # ordinals past a head are free
        lengths = np.fromiter(map(len, heads), np.int64, len(blocks))
        total = int(lengths.sum())
        if not total:
            return []
        owners = np.fromiter(itertools.chain.from_iterable(heads), np.int64, total)
        block_of = np.repeat(np.arange(len(blocks)), lengths)
        ordinal = np.arange(total) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        owner_node = np.array([self._node_index.get(b.affinity, -1) if b.affinity else -1 for _, b in blocks],
                              np.int64)
        node = np.full(total, -1, np.int64)
        pod = owners >= 0
        node[pod] = np.asarray(self.pods.node_idx, np.int64)[owners[pod]]
        for k in np.flatnonzero(owners < -1).tolist():      # tunnel addresses, unknown handles
            node[k] = self.allocation_node(int(owners[k]))
        hit = np.flatnonzero((owners != -1) & (node != owner_node[block_of])).tolist()
        return [(blocks[block_of[k]][1].net + int(ordinal[k]), int(node[k]), blocks[block_of[k]][0]) for k in hit]

    @property
    def is_allocated(self):
        """True when every pod has an address of every IP version that has an enabled pool."""
        versions = {p.version for p in self.pools if not p.disabled}
        if 4 in versions and (self.pods.ipv4 < 0).any():
            return False
        if 6 in versions and any(v is None for v in self.pods.ipv6):
            return False
        return True

    # ------------------------------------------------------------------ building
    @classmethod
    def from_resources(cls, res, interface_prefix="cali"):
        """Assemble a cluster from :class:`resources.Resources`; checks cross-references.

        Raises
        ------
        ResourceError, UnknownNodeError
        """
        nodes = _merge_nodes(res.nodes)
        node_names = tuple(n.name for n in nodes)
        index = {n: i for i, n in enumerate(node_names)}

        def need_node(name, src, fieldpath):
            if name not in index:
                known = ", ".join(repr(n) for n in node_names[:10]) or "no nodes"
                raise UnknownNodeError(f"{src.where(fieldpath)}: unknown node {name!r}: the cluster has {known}")
            return index[name]

        # Pods: WorkloadEndpoints and Pods for the same namespace/name merge.
        merged = {}
        order = []
        for p in res.pods:
            key = (p.namespace, p.name)
            if key in merged:
                prev = merged[key]
                if prev.node != p.node:
                    raise ResourceError(
                        f"{p.source.where()}: pod {p.namespace}/{p.name} is on node {p.node!r} here "
                        f"but on {prev.node!r} at {prev.source.where()}"
                    )
                merged[key] = PodRecord(
                    p.namespace, p.name, p.node, prev.ips or p.ips, prev.interface_name or p.interface_name,
                    prev.labels or p.labels, prev.source,
                )
            else:
                merged[key] = p
                order.append(key)
        recs = [merged[k] for k in order]
        node_idx = [need_node(p.node, p.source, "spec.nodeName" if p.source.kind == "Pod" else "spec.node") for p in recs]
        ipv4 = np.full(len(recs), -1, dtype=np.int64)
        ipv6 = [None] * len(recs)
        for i, p in enumerate(recs):
            for ip in p.ips:
                if ip.version == 4:
                    ipv4[i] = int(ip)
                else:
                    ipv6[i] = int(ip)
        pods = Pods(
            [p.namespace for p in recs], [p.name for p in recs], node_idx, node_names, ipv4, ipv6,
            [p.interface_name for p in recs], interface_prefix,
        )
        pod_of = {k: i for i, k in enumerate(order)}

        # Blocks: link allocation attributes back to pods; everything else is an extra owner.
        extra = []
        extra_index = {}
        blocks = []
        for br in res.blocks:
            aff = br.affinity[len("host:"):] if br.affinity else None
            if aff is not None:
                need_node(aff, br.source, "spec.affinity")
            attr_owner = []
            for a in br.attributes:
                sec = a["secondary"]
                key = (sec.get("namespace"), sec.get("pod"))
                if key in pod_of and sec.get("pod"):
                    attr_owner.append(pod_of[key])
                else:
                    ek = (a["handle_id"], tuple(sorted(sec.items())))
                    if ek not in extra_index:
                        extra_index[ek] = -2 - len(extra)
                        extra.append((a["handle_id"], dict(sec)))
                    attr_owner.append(extra_index[ek])
            owner = [-1 if a is None else attr_owner[a] for a in br.allocations]
            used_attrs = sorted({a for a in br.allocations if a is not None})
            blocks.append(Block(br.cidr, aff, owner, list(br.unallocated), [attr_owner[a] for a in used_attrs]))
        records = list(res.blocks)
        blocks += _affinity_blocks(res.affinities, {b.cidr for b in blocks}, need_node, records)
        _check_disjoint(blocks, records)
        return cls(
            nodes, res.pools, res.bgp_configurations, res.bgp_peers, res.ipam_config, blocks, pods, extra,
            interface_prefix, res.reservations, res.not_modelled, {k: merged[k].source for k in order},
            bgp_filters=res.bgp_filters, secrets=res.secrets, services=res.services, endpoints=res.endpoints,
            routers=getattr(res, "routers", ()),
            pod_labels={k: merged[k].labels for k in order if merged[k].labels},
        )

    @classmethod
    def load(cls, path: str | os.PathLike[str], interface_prefix: str = "cali") -> Cluster:
        """Read a cluster from a YAML file or folder (see :mod:`fastroute.model.resources`)."""
        with paused_gc():
            return cls.from_resources(_load_resources(path), interface_prefix)

    def replace(self, **changes: Any) -> Cluster:
        """A copy with some constructor arguments replaced."""
        args = dict(
            nodes=self.nodes, pools=self.pools, bgp_configurations=self.bgp_configurations,
            bgp_peers=self.bgp_peers, ipam_config=self.ipam_config, blocks=self.blocks, pods=self.pods,
            extra_owners=self.extra_owners, interface_prefix=self.interface_prefix,
            reservations=self.reservations, not_modelled=self.not_modelled, pod_sources=self.pod_sources,
            bgp_filters=self.bgp_filters, secrets=self.secrets, services=self.services, endpoints=self.endpoints,
            routers=self.routers, pod_labels=self.pod_labels,
        )
        args.update(changes)
        return Cluster(**args)

    def allocate(self, method: str = "auto", failures: list[str] | None = None) -> Cluster:
        """Run IPAM: a new cluster where every pod and tunnel has its addresses.

        See :func:`fastroute.model.ipam.allocate` (``failures``: collect failed pod
        allocations there instead of raising).
        """
        return ipam.allocate(self, method=method, failures=failures)

    # ------------------------------------------------------------------ output
    def owner_attributes(self, owner, block_cidr=None):
        """``(handle_id, secondary attributes)`` Calico stores for an allocation owner."""
        if owner < 0:
            handle, attrs = self.extra_owners[-2 - owner]
            return handle, dict(attrs)
        i = owner
        ns, name = self.pods.namespace[i], self.pods.name[i]
        node = self.node_names[int(self.pods.node_idx[i])]
        return _names.pod_handle(ns, name), {"namespace": ns, "node": node, "pod": name}

    def workload_labels(self, i: int) -> dict[str, str]:
        """The labels of pod ``i``'s WorkloadEndpoint (what Felix matches selectors against).

        A WorkloadEndpoint's labels as read; a Kubernetes Pod's labels with the two Calico adds
        (projectcalico/calico ``libcalico-go/lib/backend/k8s/conversion/workload_endpoint_default.go``:
        ``projectcalico.org/namespace``, ``projectcalico.org/orchestrator``).  Labels inherited from
        profiles (``pcns.*``, ``pcsa.*``) are not modelled.
        """
        key = (self.pods.namespace[i], self.pods.name[i])
        labels = dict(self.pod_labels.get(key, ()))
        src = self.pod_sources.get(key)
        if src is not None and src.kind == "Pod":
            labels.update({"projectcalico.org/namespace": key[0], "projectcalico.org/orchestrator": "k8s"})
        return labels

    def to_documents(self) -> list[dict[str, Any]]:
        """The cluster as Calico resources (list of mappings), in a fixed order:
        IPPools, IPAMConfiguration (if not default), IPReservations, Nodes, BGPConfigurations,
        BGPPeers, Routers, BGPFilters, Secrets, Services, Endpoints/EndpointSlices, IPAMBlocks,
        BlockAffinities, WorkloadEndpoints."""
        docs = [p.to_doc() for p in self.pools]
        if not self.ipam_config.is_default():
            docs.append(self.ipam_config.to_doc())
        docs += [r.to_doc() for r in self.reservations]
        docs += [n.to_doc() for n in self.nodes]
        docs += [c.to_doc() for c in self.bgp_configurations]
        docs += [p.to_doc() for p in self.bgp_peers]
        docs += [r.to_doc() for r in self.routers]
        docs += routing_input_docs(self)
        for b in self.blocks:
            docs.append(self._block_doc(b))
        for b in self.blocks:
            if b.affinity:
                docs.append(
                    {
                        "apiVersion": "crd.projectcalico.org/v1",
                        "kind": "BlockAffinity",
                        "metadata": {"name": _names.affinity_name(b.affinity, b.cidr)},
                        "spec": {"cidr": str(b.cidr), "deleted": "false", "node": b.affinity, "state": "confirmed"},
                    }
                )
        for i in range(self.n_pods):
            docs.append(self._wep_doc(i))
        return docs

    def _block_doc(self, b):
        attr_index = {o: k for k, o in enumerate(b.attr_owners)}
        attrs = []
        for o in b.attr_owners:
            handle, sec = self.owner_attributes(o)
            entry = {}
            if handle is not None:
                entry["handle_id"] = handle
            entry["secondary"] = sec
            attrs.append(entry)
        return {
            "apiVersion": "crd.projectcalico.org/v1",
            "kind": "IPAMBlock",
            "metadata": {"name": b.kname},
            "spec": {
                "affinity": f"host:{b.affinity}" if b.affinity else None,
                "allocations": [None if o == -1 else attr_index[o] for o in b.owner],
                "attributes": attrs,
                "cidr": str(b.cidr),
                "deleted": False,
                "sequenceNumber": 0,
                "strictAffinity": False,
                "unallocated": list(b.unallocated),
            },
        }

    def _wep_doc(self, i):
        p = self.pods
        ns, name = p.namespace[i], p.name[i]
        node = self.node_names[int(p.node_idx[i])]
        nets = []
        if p.ipv4[i] >= 0:
            nets.append(f"{ipaddress.IPv4Address(int(p.ipv4[i]))}/32")
        if p.ipv6[i] is not None:
            nets.append(f"{ipaddress.IPv6Address(p.ipv6[i])}/128")
        meta = {"name": _names.wep_name(node, name), "namespace": ns}
        labels = self.workload_labels(i)
        if labels:
            meta["labels"] = labels
        return {
            "apiVersion": "projectcalico.org/v3",
            "kind": "WorkloadEndpoint",
            "metadata": meta,
            "spec": {
                "containerID": _names.container_id(ns, name),
                "endpoint": "eth0",
                "interfaceName": p.interface_name(i),
                "ipNetworks": nets,
                "node": node,
                "orchestrator": "k8s",
                "pod": name,
                "profiles": [f"kns.{ns}"],
            },
        }

    def dump(self, stream: IO[str] | str | os.PathLike[str] | None = None, format: str | None = None) -> str | None:
        """Write :meth:`to_documents` as multi-document YAML (or a JSON ``List`` with ``format="json"``).

        ``stream``: None (return the text), a file object, or a path (``str``/``os.PathLike``) written
        whole or not at all; a path ending in ``.json`` writes JSON unless ``format`` says otherwise.
        """
        import os

        from ..outfiles import write_atomically
        from .resources import dump_json

        path = os.fspath(stream) if isinstance(stream, (str, os.PathLike)) else None
        fmt = format or ("json" if path and path.endswith(".json") else "yaml")
        choice(fmt, ("yaml", "json"), "dump format")
        docs = self.to_documents()
        if path is not None:
            write_atomically(path, dump_json(docs) if fmt == "json" else dump_documents(docs))
            return None
        if fmt == "json":
            text = dump_json(docs)
            if stream is None:
                return text
            stream.write(text)
            return None
        return dump_documents(docs, stream)

    def __repr__(self):
        return (
            f"Cluster(n_nodes={self.n_nodes}, n_pools={len(self.pools)}, n_blocks={self.n_blocks}, "
            f"n_pods={self.n_pods})"
        )


def _merge_nodes(nodes):
    """Merge a Calico Node and a Kubernetes Node of the same name (Calico's fields win)."""
    out = {}
    apis = {}
    for n in nodes:
        api = n.source.api
        if n.name not in out:
            out[n.name] = n
            apis[n.name] = {api}
            continue
        prev = out[n.name]
        if api in apis[n.name]:
            raise ResourceError(
                f"{n.source.where('metadata.name')}: node {n.name!r} is defined twice (first at {prev.source.where()})"
            )
        calico, k8s = (n, prev) if api == "projectcalico.org/v3" else (prev, n)
        out[n.name] = replace(
            calico,
            ipv4=calico.ipv4 or k8s.ipv4,
            ipv6=calico.ipv6 or k8s.ipv6,
            asn=calico.asn if calico.asn is not None else k8s.asn,
            rr_cluster_id=calico.rr_cluster_id or k8s.rr_cluster_id,
            labels={**k8s.labels, **calico.labels},
            uplink=calico.uplink if calico.uplink != "eth0" else k8s.uplink,
            ipv4_ipip_tunnel_addr=calico.ipv4_ipip_tunnel_addr or k8s.ipv4_ipip_tunnel_addr,
            ipv4_vxlan_tunnel_addr=calico.ipv4_vxlan_tunnel_addr or k8s.ipv4_vxlan_tunnel_addr,
            ipv6_vxlan_tunnel_addr=calico.ipv6_vxlan_tunnel_addr or k8s.ipv6_vxlan_tunnel_addr,
            host_routes=calico.host_routes or k8s.host_routes,
        )
        apis[n.name].add(api)
    return list(out.values())


def _affinity_blocks(affinities, known, need_node, records):
    """Blocks that BlockAffinities claim but no IPAMBlock document gives: empty blocks affine to
    their node, so that bird-config, ipam and export see the same blocks.

    A ``pending`` affinity does not count: confd ignores it until it is confirmed
    (projectcalico/calico ``confd/pkg/backends/calico/client.go`` updateCache, "Block
    affinity is pending, skip"); ``confirmed`` and ``pendingDeletion`` ones do.
    """
    out = []
    for ar in affinities:
        need_node(ar.node, ar.source, "spec.node")
        if ar.state == "pending" or ar.cidr in known:
            continue
        known.add(ar.cidr)
        out.append(Block(ar.cidr, ar.node))
        records.append(ar)
    return out


def _check_disjoint(blocks, records):
    spans = sorted(
        ((b.version, b.net, b.net + b.size - 1, i) for i, b in enumerate(blocks)), key=lambda t: (t[0], t[1])
    )
    for (v1, _, e1, i1), (v2, s2, _, i2) in zip(spans, spans[1:]):
        if v1 == v2 and s2 <= e1:
            r1, r2 = records[i1], records[i2]
            raise ResourceError(
                f"{r2.source.where('spec.cidr')}: block {str(r2.cidr)!r} overlaps block {str(r1.cidr)!r} "
                f"at {r1.source.where()}"
            )


def load(path: str | os.PathLike[str], interface_prefix: str = "cali") -> Cluster:
    """Read a :class:`Cluster` from a YAML file or folder."""
    return Cluster.load(path, interface_prefix)


def from_records(nodes: Iterable[Node], pools: Iterable[IPPool], pods: Iterable[PodRecord] = (), **kwargs: Any
                ) -> Cluster:
    """Build a cluster directly from resource records (for code, not YAML)."""
    res = Resources(pools=list(pools), nodes=list(nodes), pods=list(pods))
    for key in ("bgp_configurations", "bgp_peers"):
        if key in kwargs:
            setattr(res, key, list(kwargs.pop(key)))
    res.ipam_config = kwargs.pop("ipam_config", None)
    return Cluster.from_resources(res, **kwargs)

