"""Synthetic clusters for what-if planning.

:func:`cluster` builds a *plan*: nodes (named by a pattern, spread over racks,
each rack its own subnet so CrossSubnet encapsulation has something to decide),
pools, optional route reflectors, and pods without addresses.  Allocate it with
:meth:`fastroute.Cluster.allocate`; a 5,000-node x 110-pod plan allocates in
well under the 5 s budget through the fast IPAM path, with exactly the result
the request-by-request reference path gives.

Examples
--------
>>> from fastroute import synth
>>> plan = synth.cluster(4, pods_per_node=3, pools=["10.244.0.0/16"], seed=1)
>>> c = plan.allocate()
>>> c.n_pods, len(c.blocks)
(12, 4)
"""

from __future__ import annotations

import dataclasses
import ipaddress
import string
from collections.abc import Sequence
from typing import Any, Union

import numpy as np

from .calico import DEFAULT_AS
from .cluster import Cluster, Pods
from ..errors import InvalidValueError, choice
from .resources import BGPConfiguration, BGPPeer, IPAMConfig, Node, Source, encapsulation_modes, validate_pools
from .routers import Router, RouterPeer

__all__ = ["cluster", "fabric", "pod_counts"]

#: What ``pods_per_node`` takes (:func:`pod_counts`): one count, a count per node, or a distribution tuple.
PodsPerNode = Union[int, Sequence[int], tuple]


def pod_counts(n_nodes: int, pods_per_node: PodsPerNode, rng: np.random.Generator) -> np.ndarray:
    """Pods on each node: ndarray of int64, shape (n_nodes,).

    ``pods_per_node`` is an int (every node the same), a sequence of ``n_nodes``
    ints, ``("poisson", mean)``, ``("uniform", low, high)`` (inclusive) or
    ``("choice", [values], [weights])``.
    """
    if isinstance(pods_per_node, (int, np.integer)) and not isinstance(pods_per_node, bool):
        if pods_per_node < 0:
            raise InvalidValueError(f"invalid pods_per_node {pods_per_node!r}: must be >= 0")
        return np.full(n_nodes, int(pods_per_node), dtype=np.int64)
    if isinstance(pods_per_node, tuple) and pods_per_node and isinstance(pods_per_node[0], str):
        kind = choice(pods_per_node[0], ("poisson", "uniform", "choice"), "pods_per_node distribution")
        if kind == "poisson":
            return rng.poisson(float(pods_per_node[1]), n_nodes).astype(np.int64)
        if kind == "uniform":
            lo, hi = int(pods_per_node[1]), int(pods_per_node[2])
            if lo < 0 or hi < lo:
                raise InvalidValueError(f"invalid pods_per_node {pods_per_node!r}: need 0 <= low <= high")
            return rng.integers(lo, hi + 1, n_nodes).astype(np.int64)
        values = np.asarray(pods_per_node[1], dtype=np.int64)
        weights = np.asarray(pods_per_node[2], dtype=float) if len(pods_per_node) > 2 else None
        if weights is not None:
            weights = weights / weights.sum()
        return rng.choice(values, n_nodes, p=weights).astype(np.int64)
    counts = np.asarray(pods_per_node, dtype=np.int64)
    if counts.shape != (n_nodes,) or (counts < 0).any():
        raise InvalidValueError(
            f"invalid pods_per_node: expected an int, a distribution tuple or {n_nodes} non-negative counts, "
            f"got shape {counts.shape}"
        )
    return counts


#: The largest cluster :func:`cluster` makes (and :mod:`fastroute.planning` sizes): 200 times Kubernetes'
#: tested limit of 5,000 nodes; past it every figure would be an extrapolation of nothing real.
MAX_NODES = 1_000_000


def cluster(
    n_nodes: int,
    pods_per_node: PodsPerNode = 110,
    *,
    pools: Sequence[str] = ("10.0.0.0/8",),
    block_size: int | None = None,
    encapsulation: str = "None",
    node_name: str = "node-{i}",
    racks: int = 1,
    node_subnet: str = "172.16.0.0/12",
    rack_prefix_len: int | None = None,
    reflectors: int = 0,
    reflector_placement: str = "global",
    rr_cluster_id: str = "244.0.0.1",
    asn: int = DEFAULT_AS,
    uplink: str = "eth0",
    namespace: str = "default",
    pod_name: str = "pod-{node}-{k}",
    pod_order: str = "round-robin",
    strict_affinity: bool = False,
    seed: int = 0,
) -> Cluster:
    """Build a synthetic cluster plan.

    Parameters
    ----------
    n_nodes : int
    pods_per_node : int, sequence or distribution tuple
        See :func:`pod_counts`.
    pools : sequence of str
        Pool CIDRs, named ``pool-0``, ``pool-1``, ... (Calico orders pools by name).
    block_size : int, optional
        Block prefix length; Calico's default (26 for IPv4, 122 for IPv6) when None.
    encapsulation : {"None", "IPIP", "IPIPCrossSubnet", "VXLAN", "VXLANCrossSubnet"}
        Operator encapsulation, mapped onto ipipMode/vxlanMode (IPv4 pools only).
    node_name : str
        Pattern with ``{i}`` (node number) and optionally ``{rack}``.
    racks : int
        Nodes are spread over racks in blocks of ``ceil(n_nodes / racks)``; rack
        ``r`` gets the ``r``-th ``/rack_prefix_len`` of ``node_subnet`` and label ``rack=rack-<r>``.
        ``rack_prefix_len`` defaults to /24, or the longest prefix that holds a rack.
    reflectors : int
        Route reflectors: 0 keeps the node-to-node mesh; otherwise the first
        ``reflectors`` nodes (``"global"``) or of each rack (``"per-rack"``) get
        ``routeReflectorClusterID`` and label ``route-reflector=true``, a BGPPeer
        peers every node with them and the mesh is disabled.  Per-rack
        reflectors get one cluster id per rack (``rr_cluster_id`` plus the rack
        number): reflectors of different racks sharing one id would each drop what
        the other reflects, and clients of different racks would not meet.
    asn : int
        The cluster AS (BGPConfiguration ``asNumber``); Calico's default
        (:data:`fastroute.model.calico.DEFAULT_AS`) unless given.
    pod_order : {"round-robin", "by-node"}
        The order pods are created in: the k-th pod of every node, then the
        (k+1)-th (a rollout across nodes), or all pods of node 0 first.
    seed : int
        Seed of the numpy generator used for pod-count distributions.

    Returns
    -------
    Cluster
        A plan (no blocks, no addresses).
    """
    if isinstance(n_nodes, bool) or not isinstance(n_nodes, (int, np.integer)) or not 1 <= n_nodes <= MAX_NODES:
        raise InvalidValueError(f"invalid n_nodes {n_nodes!r}: must be an integer 1..{MAX_NODES:,}")
    choice(reflector_placement, ("global", "per-rack"), "reflector_placement")
    try:
        base_id = int(ipaddress.IPv4Address(rr_cluster_id))
    except ValueError:
        raise InvalidValueError(f"invalid rr_cluster_id {rr_cluster_id!r}: expected an IPv4-formatted id") from None
    rack_cluster_ids = [str(ipaddress.IPv4Address((base_id + r) % 2**32)) for r in range(max(racks, 1))]
    choice(pod_order, ("round-robin", "by-node"), "pod_order")
    ipip, vxlan = encapsulation_modes(encapsulation, "synth.cluster encapsulation")
    rng = np.random.default_rng(seed)
    if racks < 1 or racks > n_nodes:
        raise InvalidValueError(f"invalid racks {racks!r}: must be 1..n_nodes")
    subnet = ipaddress.ip_network(node_subnet)
    per_rack = -(-n_nodes // racks)
    if rack_prefix_len is None:
        rack_prefix_len = min(24, 32 - int(per_rack + 1).bit_length())
    rack_nets = subnet.subnets(new_prefix=rack_prefix_len)
    if per_rack > (1 << (32 - rack_prefix_len)) - 2:
        raise InvalidValueError(f"{per_rack} nodes per rack do not fit a /{rack_prefix_len}")

    pool_objs = _pools(pools, block_size, ipip, vxlan)
    nodes = _nodes(
        n_nodes, per_rack, rack_nets, rack_prefix_len, node_name, uplink, reflectors, reflector_placement == "per-rack",
        rack_cluster_ids if reflector_placement == "per-rack" else [rr_cluster_id] * len(rack_cluster_ids),
        f"{racks} racks of /{rack_prefix_len} do not fit {node_subnet}",
    )
    bgp_configs = [BGPConfiguration(name="default", as_number=asn, node_to_node_mesh=False if reflectors else None)]
    peers = _reflector_peers(reflector_placement, racks) if reflectors else []
    node_idx, k_idx = _pod_order(pod_counts(n_nodes, pods_per_node, rng), pod_order)
    names = [n.name for n in nodes]
    ni_list = node_idx.tolist()
    pod_names = _pod_names(pod_name, names, ni_list, k_idx.tolist())
    c = Cluster(
        nodes,
        pool_objs,
        bgp_configs,
        peers,
        IPAMConfig(strict_affinity=strict_affinity),
        interface_prefix="cali",
    )
    c.pods = Pods([namespace] * len(pod_names), pod_names, node_idx.astype(np.int32), c.node_names)
    return c



def _pod_names(pattern, names, node_of, k_of):
    """``pattern.format(node=..., k=..., i=...)`` for every pod.  A pattern of the form
    ``<text>{node}<text>{k}<text>`` (the default) is joined from per-node and per-number
    pieces made once each, not formatted per pod."""
    parts = list(string.Formatter().parse(pattern))
    shape = [(f, spec, conv) for _, f, spec, conv in parts]
    if shape not in ([("node", "", None), ("k", "", None)], [("node", "", None), ("k", "", None), (None, None, None)]):
        return [pattern.format(node=names[a], k=b, i=j) for j, (a, b) in enumerate(zip(node_of, k_of))]
    lead, mid = parts[0][0], parts[1][0]
    tail = parts[2][0] if len(parts) > 2 else ""
    head = [f"{lead}{name}{mid}" for name in names]
    ks = [f"{k}{tail}" for k in range(max(k_of, default=-1) + 1)]
    return [head[a] + ks[b] for a, b in zip(node_of, k_of)]


def _pools(pools, block_size, ipip, vxlan):
    """The pools ``pool-0``, ``pool-1``, ... as Calico defaults and validates them."""
    raw = []
    for k, text in enumerate(pools):
        net = ipaddress.ip_network(text, strict=False)
        spec = {"cidr": text, "natOutgoing": net.version == 4}
        if block_size is not None:
            spec["blockSize"] = block_size
        if net.version == 4:
            spec["ipipMode"], spec["vxlanMode"] = ipip, vxlan
        raw.append(("IPPool", Source("<synth>", k + 1, "IPPool", f"pool-{k}"), spec))
    return validate_pools(raw)


def _nodes(n_nodes, per_rack, rack_nets, rack_prefix_len, node_name, uplink, reflectors, per_rack_reflectors,
           cluster_ids, no_room):
    """Nodes rack by rack, each rack numbering its hosts from 1 in its own subnet.

    The first ``reflectors`` nodes (of each rack with ``per_rack_reflectors``) reflect, with
    routeReflectorClusterID ``cluster_ids[rack]``; ``no_room`` is the message when
    ``rack_nets`` runs out.
    """
    nodes = []
    net_iter = iter(rack_nets)
    rack_net = None
    for i in range(n_nodes):
        rack = i // per_rack
        pos = i % per_rack
        if pos == 0:
            try:
                rack_net = next(net_iter)
            except StopIteration:
                raise InvalidValueError(no_room) from None
        name = node_name.format(i=i, rack=rack)
        labels = {"kubernetes.io/hostname": name, "rack": f"rack-{rack}"}
        is_rr = reflectors > 0 and (pos < reflectors if per_rack_reflectors else i < reflectors)
        if is_rr:
            labels["route-reflector"] = "true"
        addr = ipaddress.ip_interface((int(rack_net.network_address) + pos + 1, rack_prefix_len))
        nodes.append(
            Node(
                name=name,
                ipv4=addr,
                uplink=uplink,
                rr_cluster_id=cluster_ids[rack] if is_rr else None,
                labels=labels,
                source=Source("<synth>", 0, "Node", name, api="projectcalico.org/v3"),
            )
        )
    return nodes


def _reflector_peers(placement, racks):
    """BGPPeers of a reflector design: every node with every reflector (``"global"``), or each
    rack with its own reflectors and the reflectors with each other (``"per-rack"``)."""
    if placement == "global":
        return [BGPPeer("peer-with-route-reflectors", node_selector="all()", peer_selector="route-reflector == 'true'")]
    peers = [
        BGPPeer(
            f"rack-{r}-to-reflectors",
            node_selector=f"rack == 'rack-{r}'",
            peer_selector=f"route-reflector == 'true' && rack == 'rack-{r}'",
        )
        for r in range(racks)
    ]
    peers.append(
        BGPPeer("reflector-mesh", node_selector="route-reflector == 'true'", peer_selector="route-reflector == 'true'")
    )
    return peers


def _pod_order(counts, pod_order):
    """(node index, k) of every pod in creation order: the k-th pod of every node, then the
    (k+1)-th (``"round-robin"``), or node by node (``"by-node"``)."""
    node_idx = np.repeat(np.arange(counts.shape[0], dtype=np.int64), counts)
    k_idx = np.arange(node_idx.shape[0]) - np.repeat(np.cumsum(counts) - counts, counts)
    if pod_order == "round-robin":
        order = np.lexsort((node_idx, k_idx))
        node_idx, k_idx = node_idx[order], k_idx[order]
    return node_idx, k_idx


FABRIC_DESIGNS = ("as-per-rack", "as-per-node", "downward-default")


def fabric(n_nodes: int, pods_per_node: PodsPerNode = 110, *, racks: int = 1, spines: int = 1,
           design: str = "as-per-rack", rack_as: int = 65101, spine_as: int = 65000, node_as: int = 4200000000,
           spine_subnet: str = "192.0.2.0/24", **kwargs: Any) -> Cluster:
    """A synthetic cluster on an L3 fabric (Calico's "Calico over IP fabrics"
    designs; docs/fabric.md): the node-to-node mesh off, one top-of-rack Router
    per rack (the last address of the rack's subnet) and ``spines`` spine Routers
    in ``spine_subnet``; every ToR peers with every spine over eBGP.

    ``design``:

    * ``"as-per-rack"``: a rack's nodes and its ToR share AS ``rack_as + rack``; the
      ToR reflects between its nodes (iBGP, ``routeReflector``);
    * ``"as-per-node"``: node ``i`` has AS ``node_as + i``, eBGP with its ToR;
    * ``"downward-default"``: AS per node, and each ToR sends its nodes only a
      default route it originates (``export: default``).

    Other keyword arguments go to :func:`cluster` (``reflectors`` excepted).

    Raises
    ------
    InvalidValueError
        An unknown design, ``spines < 1``, or ``reflectors`` given.
    """
    choice(design, FABRIC_DESIGNS, "fabric design")
    if spines < 1 or spines > 250:
        raise InvalidValueError(f"invalid spines {spines!r}: must be 1..250")
    if kwargs.get("reflectors"):
        raise InvalidValueError("a fabric has no route reflector nodes: its ToRs reflect")
    if not 1 <= racks <= n_nodes:
        raise InvalidValueError(f"invalid racks {racks!r}: must be 1..n_nodes")
    per_rack = -(-n_nodes // racks)
    # room in each rack's subnet for its nodes and its ToR
    kwargs.setdefault("rack_prefix_len", min(24, 32 - int(per_rack + 2).bit_length()))
    plan = cluster(n_nodes, pods_per_node, racks=racks, **kwargs)
    rack_of = [int(n.labels["rack"].split("-")[1]) for n in plan.nodes]
    per_node = design != "as-per-rack"
    nodes = [dataclasses.replace(n, asn=node_as + i if per_node else rack_as + rack_of[i])
             for i, n in enumerate(plan.nodes)]
    spine_ips = [str(ip) for ip, _ in zip(ipaddress.ip_network(spine_subnet).hosts(), range(spines))]
    if len(spine_ips) < spines:
        raise InvalidValueError(f"{spines} spines do not fit {spine_subnet}")
    tors, peers = [], []
    for r in sorted(set(rack_of)):          # racks of ceil(n / racks) nodes: the last ones may stay empty
        members = [n for n, k in zip(plan.nodes, rack_of) if k == r]
        net = members[0].ipv4.network
        ip = str(net.broadcast_address - 1)
        asn = rack_as + r
        tors.append(Router(f"tor-{r}", asn, f"{ip}/{net.prefixlen}", "eth0",
                           ("0.0.0.0/0",) if design == "downward-default" else (),
                           "default" if design == "downward-default" else "all",
                           tuple(RouterPeer(s, spine_as) for s in spine_ips), not per_node, None,
                           Source("<synth>", 0, "Router", f"tor-{r}", api="fastroute.io/v1")))
        peers.append(BGPPeer(name=f"rack-{r}", node_selector=f"rack == 'rack-{r}'", peer_ip=ip, as_number=asn,
                             source=Source("<synth>", 0, "BGPPeer", f"rack-{r}", api="projectcalico.org/v3")))
    plen = ipaddress.ip_network(spine_subnet).prefixlen
    spine_routers = [Router(f"spine-{s}", spine_as, f"{ip}/{plen}", "eth0", (), "all",
                            tuple(RouterPeer(t.ip, t.as_number) for t in tors), False, None,
                            Source("<synth>", 0, "Router", f"spine-{s}", api="fastroute.io/v1"))
                     for s, ip in enumerate(spine_ips)]
    cfg = [BGPConfiguration(name="default", as_number=kwargs.get("asn", DEFAULT_AS), node_to_node_mesh=False)]
    c = plan.replace(nodes=nodes, bgp_configurations=cfg, bgp_peers=peers, routers=tuple(tors + spine_routers))
    c.pods = Pods(plan.pods.namespace, plan.pods.name, plan.pods.node_idx, c.node_names)
    return c
