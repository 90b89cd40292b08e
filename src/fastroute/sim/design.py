"""What the convergence simulator runs on: a :class:`Design`, the session
graph :mod:`fastroute.bgp.network` builds (speakers, sessions, which end
connects, which rows are the mesh's) plus the route classes and pods.

:func:`design` takes the sessions confd and BIRD set up for a cluster, or one
of the designs a cluster may move to (the full mesh, every node peering with
the route reflectors, or both at once during a migration).
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from ..addr import format_prefixes
from ..bgp import network as _network
from ..bgp import propagate as routing
from ..bgp import topology as _topology
from ..errors import InvalidValueError, choice

if TYPE_CHECKING:
    from ..model.cluster import Cluster

__all__ = ["Design", "design", "from_graph", "group_pods", "prefix_bytes"]


@dataclass
class Design:
    """What the simulator runs on: speakers, the union of every session that
    exists at some point of the scenario, and the route classes.

    ``pair_of[s]`` is the session (pair) of row ``s``; ``rev[s]`` its reverse row;
    ``active[s]`` whether the row's BIRD opens the TCP connection (the template's
    ``passive on`` is the opposite); ``kind[s]`` 0 = node-to-node mesh, 1 = other.
    """

    speakers: routing.Speakers
    graph: routing.SessionGraph
    rev: np.ndarray
    active: np.ndarray
    kind: np.ndarray
    names: list
    classes: np.ndarray          # origin speaker per class
    n_prefix: np.ndarray         # prefixes per class
    nlri_bytes: np.ndarray       # NLRI bytes of all the class's prefixes (with ADD-PATH ids)
    class_pods: np.ndarray       # pods reached through the class
    node_pods: np.ndarray        # pods on each speaker
    reflectors: np.ndarray       # speaker indices that are route reflectors
    cluster: object = None
    prefixes: list = None        # per class: its prefixes as strings
    origins: dict = None         # class key -> origin speakers, for a class several Routers announce
    universe_cache: tuple = field(default=None, repr=False, compare=False)   # ((method, max_paths), Universe)

    @property
    def n_speakers(self):
        return self.speakers.n

    def class_origins(self):
        """The origin speakers of each class (one, or the Routers announcing the same prefixes)."""
        return routing.class_origins(self.classes, self.origins)

    def class_name(self, c):
        """What class ``c`` is called in results: its origin's name, or the Routers' names joined by ``+``."""
        return "+".join(self.names[o] for o in self.class_origins()[c])


def prefix_bytes(plen: int, add_paths: bool = True) -> int:
    """NLRI bytes of one prefix of length ``plen`` (with its ADD-PATH id)."""
    return (4 if add_paths else 0) + 1 + (int(plen) + 7) // 8


def _classes(cluster, n_speakers, version=4, externals=(), origins=None):
    """The route classes: every node's exports and every Router's announcements
    (:func:`fastroute.bgp.propagate.with_router_announcements`), keyed as
    :func:`fastroute.dataplane.routes.compute` keys them (the origin speaker, or a
    key past the speakers for a prefix several Routers announce)."""
    if origins is None:
        origins = routing.originations(cluster, version)
    orig = routing.with_router_announcements(origins, externals)
    exported = orig.origin >= 0
    keys = np.asarray(orig.origin, np.int64)[exported]
    size = max(n_speakers, int(keys.max(initial=-1)) + 1)
    n_prefix = np.bincount(keys, minlength=size).astype(np.int64)
    nlri_of_plen = np.array([prefix_bytes(p) for p in range(129)], np.int64)
    nlri = np.bincount(keys, weights=nlri_of_plen[np.asarray(orig.plen, np.int64)[exported]],
                       minlength=size).astype(np.int64)
    node_pods = np.zeros(n_speakers, np.int64)
    class_pods = np.zeros(size, np.int64)
    pods = cluster.pods
    if pods is not None and len(pods):
        addr = np.asarray(pods.ipv4 if version == 4 else [(-1 if a is None else 1) for a in pods.ipv6])
        idx = np.asarray(pods.node_idx, np.int64)
        ok = addr >= 0
        np.add.at(node_pods, idx[ok], 1)
        # the pods reached through a node's class are its own (a Router's prefixes hold no pod)
        nodes = np.unique(keys[keys < cluster.n_nodes])
        class_pods[nodes] = node_pods[nodes]
    classes = np.flatnonzero(n_prefix > 0).astype(np.int32)
    return orig, classes, n_prefix[classes], nlri[classes], class_pods[classes], node_pods


def _class_prefixes(orig, classes):
    pos = np.full(max(int(classes.max()) + 1 if len(classes) else 0, int(np.max(orig.origin, initial=-1)) + 1), -1,
                  np.int64)
    pos[classes] = np.arange(len(classes))
    origin = np.asarray(orig.origin, np.int64)
    sel = np.flatnonzero(origin >= 0)
    sel = sel[pos[origin[sel]] >= 0]
    if orig.version == 4:
        texts = format_prefixes(np.array(orig.net, np.uint32)[sel], np.asarray(orig.plen, np.uint8)[sel])
    else:
        texts = [str(orig.prefix(i)) for i in sel.tolist()]
    out = [[] for _ in classes]
    for k, t in zip(pos[origin[sel]].tolist(), texts):
        out[k].append(t)
    return out


def design(cluster: Cluster, topology: str = "auto", version: int = 4, network: _network.Network | None = None,
           origins: routing.Originations | None = None) -> Design:
    """The speakers, sessions and route classes of ``cluster``.

    Parameters
    ----------
    cluster : Cluster
        Allocated (``cluster.allocate()``); a plan is allocated here.
    topology : {"auto", "mesh", "reflectors", "both"}
        ``auto``: the sessions confd sets up for the cluster as configured
        (:func:`fastroute.bgp.topology.compute`: mesh, BGPPeers, reflectors,
        external routers; established sessions only).  ``mesh``: the
        node-to-node mesh of every node.  ``reflectors``: every node peers with
        every reflector.  ``both``: the mesh plus the configured (non-mesh)
        sessions, what a mesh -> reflector migration passes through.
    version : 4
        IPv4 only for now.
    network : Network, optional
        The cluster's IPv4 :class:`fastroute.bgp.network.Network` (nothing down)
        if it is already built: its topology is used instead of computing it again.
    origins : Originations, optional
        ``fastroute.bgp.propagate.originations(cluster, version)`` if already computed (of the
        allocated cluster given).

    Returns
    -------
    Design
    """
    choice(topology, ("auto", "mesh", "reflectors", "both"), "topology")
    if version != 4:
        raise InvalidValueError(f"invalid version {version!r}: the convergence model handles IPv4 only")
    if network is not None and (network.cluster is not cluster or network.down or network.version != version):
        raise InvalidValueError("invalid network: not the IPv4 network of this cluster with every node up")
    if origins is not None and origins.version != version:
        raise InvalidValueError(f"invalid origins: IPv{origins.version}, not IPv{version}")
    if not cluster.is_allocated:
        cluster, origins = cluster.allocate(), None
    n = cluster.n_nodes
    ips = cluster.node_addresses(4)[0]
    arr = cluster.node_arrays()
    rid = _network.node_router_ids(cluster)
    cids = [int(ipaddress.ip_address(c)) if c else None for c in arr.rr_cluster_id]
    reflectors = [i for i in range(n) if cids[i] is not None and ips[i] is not None]
    reflector_set = set(reflectors)
    with_ip = [i for i in range(n) if ips[i] is not None]
    clients = [i for i in with_ip if i not in reflector_set]
    asn = np.asarray(arr.asn, np.uint32)
    externals = ()
    parts = []
    if topology == "auto" and _plain_mesh(cluster, asn, reflectors):
        # what topology.compute gives for a plain mesh, without its per-row work
        # (test_plain_mesh_shortcut checks the two agree)
        topology = "mesh"
    if topology in ("auto", "both"):
        topo = network.full_topology if network is not None else _topology.compute(cluster)
        sess = topo.sessions(version)
        keep = sess.established & (sess.peer_row >= 0)
        if topology == "both":
            keep &= sess.kind != _topology.SessionKind.MESH
            if not (keep & (sess.local < n) & np.isin(sess.local, reflectors)).any():
                raise InvalidValueError("topology 'both' needs route reflectors: no node has routeReflectorClusterID "
                                        "with established peerings")
        parts.append(_network.configured_rows(sess, keep))
        externals = tuple(sorted((e for e in topo.externals if e.version == version), key=lambda e: e.index))
        rid = np.asarray(sess.router_id, np.uint32)[: n + len(externals)]
    if topology in ("mesh", "both"):
        parts.append(_network.mesh_rows(with_ip, ips, rid))
    if topology == "reflectors":
        if not reflectors:
            raise InvalidValueError("topology 'reflectors' needs route reflectors: no node has routeReflectorClusterID")
        parts.append(_network.reflector_rows(rid, cids, reflectors, clients))
    n_sp = n + len(externals)
    rows = _network.concat_rows(parts)
    rev = rows.rev
    if rev is None:
        rev = _network.reverse_rows(rows.graph.local, rows.graph.remote, rows.kind, n_sp)
    speakers = _network.speakers(cluster, version, externals, rid[:n_sp])
    orig, classes, n_prefix, nlri, class_pods, node_pods = _classes(cluster, n_sp, version, externals, origins)
    names = list(cluster.node_names) + [e.name for e in externals]
    return Design(
        speakers=speakers, graph=rows.graph, rev=rev, active=rows.active, kind=rows.kind,
        names=names, classes=classes, n_prefix=n_prefix, nlri_bytes=nlri,
        class_pods=class_pods, node_pods=node_pods, reflectors=np.array(reflectors, np.int32), cluster=cluster,
        prefixes=_class_prefixes(orig, classes) if orig.n <= 200_000 else None, origins=orig.route_origins,
    )


def _plain_mesh(cluster, asn, reflectors):
    """The cluster is a plain node-to-node mesh: no BGPPeer, mesh on, no
    reflector, one AS, no per-node BGP settings that change sessions."""
    if cluster.bgp_peers or reflectors or not cluster.bgp_config.mesh_enabled or len(set(asn.tolist())) > 1:
        return False
    return all(c.name == "default" for c in cluster.bgp_configurations)




def from_graph(speakers: routing.Speakers, graph: routing.SessionGraph, classes: npt.ArrayLike,
               n_prefix: npt.ArrayLike | None = None, rev: npt.ArrayLike | None = None,
               active: npt.ArrayLike | None = None, names: list[str] | None = None) -> Design:
    """A :class:`Design` from a bare (Speakers, SessionGraph) and route classes
    (one prefix of 2 /26-size NLRI per class unless given)."""
    classes = np.asarray(classes, np.int32)
    k = len(classes)
    n_prefix = np.ones(k, np.int64) if n_prefix is None else np.asarray(n_prefix, np.int64)
    rev = graph.reverse().astype(np.int32) if rev is None else np.asarray(rev, np.int32)
    if active is None:
        active = np.array([int(graph.local[s]) < int(graph.remote[s]) for s in range(graph.n)], bool)
        # rows between external routers and nodes: both ends active
        active |= speakers.external[graph.local.astype(np.int64)]
    return Design(
        speakers=speakers, graph=graph, rev=rev, active=np.asarray(active, bool),
        kind=np.zeros(graph.n, np.uint8), names=names or [f"speaker-{i}" for i in range(speakers.n)],
        classes=classes, n_prefix=n_prefix, nlri_bytes=n_prefix * prefix_bytes(26),
        class_pods=np.ones(k, np.int64), node_pods=np.ones(speakers.n, np.int64),
        reflectors=np.zeros(0, np.int32),
    )


def group_pods(d: Design, holder: np.ndarray, cls: np.ndarray, acc: np.ndarray | None = None,
               bundle: np.ndarray | None = None) -> np.ndarray:
    """Pods each (holder, class) group reaches, for weighing its outages.

    A node's class: the node's pods.  A Router's class (a default route sent
    down, docs/fabric.md): the pods of every node class it stands for, that is
    whose prefixes it covers, most specifically among the Routers' classes,
    less those the holder hears a route of their own for (a holder that loses
    the default route loses what it stood for).  ``holder``/``cls``: one entry
    per group, no (holder, class) twice.  Aggregate mode (fastroute.sim.cohorts):
    ``bundle`` the real classes per class, ``acc`` per group the classes one node
    of its holder has through it (a node class's pods are per real class; a
    Router's stand for the whole bundles).
    """
    holder = np.asarray(holder, np.int64)
    cls = np.asarray(cls, np.int64)
    pods = np.asarray(d.class_pods, np.float64)[cls]
    stands_for = _stands_for(d)
    if stands_for is None:
        return np.ascontiguousarray(pods)
    k = len(d.classes)
    class_pods = np.asarray(d.class_pods, np.float64)
    bundled = class_pods if bundle is None else class_pods * np.asarray(bundle, np.float64)
    total = np.bincount(stands_for[stands_for >= 0], weights=bundled[stands_for >= 0], minlength=k)
    # the pods each holder hears a route of their own for, per Router class standing for them
    direct = stands_for[cls] >= 0
    heard_key, inv = np.unique(holder[direct] * k + stands_for[cls[direct]], return_inverse=True)
    got = class_pods[cls[direct]] * (1.0 if acc is None else np.asarray(acc, np.float64)[direct])
    heard = np.bincount(inv.ravel(), weights=got, minlength=len(heard_key))
    router = np.flatnonzero(_router_classes(d)[cls])
    key = holder[router] * k + cls[router]
    at = np.searchsorted(heard_key, key)
    at[np.r_[heard_key, -1][at] != key] = len(heard_key)      # a holder that hears none of them
    pods[router] = total[cls[router]] - np.r_[heard, 0.0][at]
    return np.ascontiguousarray(pods)


def _router_classes(d):
    """Which classes are Routers' announcements (their origin is past the nodes)."""
    return np.asarray(d.classes, np.int64) >= int((~np.asarray(d.speakers.external, bool)).sum())


def _stands_for(d):
    """Per class: the Router class whose prefixes cover every prefix of this node
    class with pods most specifically (-1: none); None without Router classes."""
    routers = np.flatnonzero(_router_classes(d))
    if not len(routers) or d.prefixes is None:
        return None
    # every IPv4 prefix of a class with pods as (class, network, length); the design is IPv4 only
    with_pods = np.flatnonzero((np.asarray(d.class_pods) > 0) & ~_router_classes(d)).tolist()
    owned = [(c, n) for c in with_pods for n in map(ipaddress.ip_network, d.prefixes[c]) if n.version == 4]
    k = len(d.classes)
    out = np.full(k, -1, np.int64)
    if not owned:
        return out
    of = np.array([c for c, _ in owned], np.int64)
    net = np.array([int(n.network_address) for _, n in owned], np.int64)
    plen = np.array([n.prefixlen for _, n in owned], np.int64)
    best_len = np.full(k, -1, np.int64)
    for rc in routers.tolist():
        covered = np.full(len(owned), -1, np.int64)      # per owned prefix: the longest of rc's covering it
        for x in d.prefixes[rc]:
            r = ipaddress.ip_network(x)
            if r.version != 4:
                continue
            shift = 32 - r.prefixlen
            hit = (plen >= r.prefixlen) & ((net >> shift) == (int(r.network_address) >> shift))
            covered[hit] = np.maximum(covered[hit], r.prefixlen)
        length = np.full(k, np.iinfo(np.int64).max, np.int64)
        np.minimum.at(length, of, covered)               # a class is covered when all its prefixes are
        length[length == np.iinfo(np.int64).max] = -1
        better = length > best_len
        out[better] = rc
        best_len[better] = length[better]
    return out
