"""The BIRD configuration confd renders for one Calico node.

calico-node runs confd, which watches the datastore and renders ``bird.cfg``
(plus the two files it includes, ``bird_aggr.cfg`` and ``bird_ipam.cfg``) and
the IPv6 trio ``bird6*.cfg``.  This module reproduces that rendering from a
neutral, explicit description of what confd sees for one node:

* :class:`NodeInfo` -- a Calico node as confd's ``/bgp/v1/host/<node>`` keys
  describe it (name, addresses with prefix length, AS, route-reflector cluster
  id, listen port);
* :class:`BgpGlobals` -- the ``/bgp/v1/global`` keys (default AS, mesh on/off,
  mesh password and restart time, log level, ...);
* :class:`PeerData` -- one ``peer_v4``/``peer_v6`` entry, as confd computes it
  from the BGPPeer resources (the topology engineer produces these);
* :class:`Pool`, :class:`AffineBlock` -- the IP pools and this node's affine
  blocks;
* :class:`BirdPeer` -- one fully decided ``protocol bgp`` section;
* :class:`BirdNodeView` -- all of it for one node, ready to render.

(these live in :mod:`fastroute.bgp.birdview` and are importable from here).

:func:`mesh_peers` and :func:`explicit_peer` apply the rules confd's templates
apply (who is in the mesh, which end is passive, when a peer is an ``rr
client``, ...); :func:`node_view` puts a view together and
:func:`render_files` renders it.

The rendering itself is :mod:`fastroute.bgp.templates`, one function per confd
template, for the release named by ``calico_version`` (one of
:data:`fastroute.model.calico.CALICO_VERSIONS`; the template differences between
releases are the table :data:`fastroute.model.calico.TEMPLATE_RELEASES`, not
conditions spread here).  Calico's own confd template test suite passes for every
supported release (tests/bgp/test_confd_suite.py, docs/confd.md), and every variant
is accepted by real ``bird -p``/``bird6 -p`` (tests/interop).

Examples
--------
The seed cluster: 3 nodes, pool 10.244.0.0/16 with /26 blocks, full mesh.

>>> nodes = [NodeInfo("master", "192.168.31.201/24"),
...          NodeInfo("node1", "192.168.31.202/24"),
...          NodeInfo("node2", "192.168.31.203/24")]
>>> view = node_view(nodes[0], nodes, pools=[Pool("10.244.0.0/16")],
...                  blocks=[AffineBlock("10.244.219.64/26")])
>>> [p.name for p in view.peers_v4]
['Mesh_192_168_31_202', 'Mesh_192_168_31_203']
>>> [p.passive for p in view.peers_v4]
[True, True]
>>> sorted(render_files(view))
['bird.cfg', 'bird6.cfg', 'bird6_aggr.cfg', 'bird6_ipam.cfg', 'bird_aggr.cfg', 'bird_ipam.cfg']
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections.abc import Iterable, Sequence

from .birdview import (
    AffineBlock,
    BgpGlobals,
    BirdNodeView,
    BirdPeer,
    NodeInfo,
    PeerData,
    Pool,
    hash_router_id,
    parse_address,
    protocol_name,
)
from .templates import family_files, render_aggr_cfg, render_bird_cfg, render_ipam_cfg
from ..model.calico import CALICO_VERSIONS, DEFAULT_AS, reflectors_leave_mesh, template_release
from ..model.filters import BGPFilter, filter_call, filter_functions
from ..errors import InvalidValueError, choice

__all__ = [
    # Calico facts and the node description, re-exported
    "CALICO_VERSIONS", "DEFAULT_AS", "NodeInfo", "BgpGlobals", "PeerData", "Pool", "AffineBlock", "BirdPeer",
    "BirdNodeView", "protocol_name",
    # confd's per-node decisions and the rendering
    "hash_router_id", "mesh_peers", "explicit_peer", "node_view",
    "render_files", "render_bird_cfg", "render_aggr_cfg", "render_ipam_cfg", "render_inline",
]


def mesh_peers(local: NodeInfo, nodes: Sequence[NodeInfo], globals: BgpGlobals | None = None, family: int = 4,
               calico_version: str = "3.28") -> tuple[BirdPeer, ...]:
    """The ``Mesh_`` peers confd renders on ``local`` for the node-to-node mesh.

    Rules (``bird.cfg.template``, node-to-node mesh section):

    * nothing when the mesh is disabled, or -- from v3.22 -- when ``local`` is a
      route reflector (has a cluster id);
    * otherwise every node with an address of this family, in the sorted order of
      node names, except the node whose address equals ours and -- from v3.22 --
      nodes with a cluster id;
    * ``passive on`` when the peer's address is greater than ours as a *string*;
    * the peer AS is the peer node's own AS, else the global AS; the neighbour
      port is the peer node's listen port, else the global one;
    * ``graceful restart time`` and ``password`` from the mesh settings (v3.28).

    Parameters
    ----------
    local : NodeInfo
    nodes : sequence of NodeInfo
        All nodes of the cluster (``local`` may be among them).
    globals : BgpGlobals, optional
    family : {4, 6}
    calico_version : str

    Returns
    -------
    tuple of BirdPeer
    """
    globals = globals or BgpGlobals()
    choice(family, (4, 6), "family")
    choice(calico_version, CALICO_VERSIONS, "calico_version")
    rr_leave_mesh = reflectors_leave_mesh(calico_version)
    mesh_extras = template_release(calico_version).has("mesh_restart_password")
    if not globals.mesh_enabled:
        return ()
    if rr_leave_mesh and local.rr_cluster_id:
        return ()
    local_ip = local.ip(family)
    if not local_ip:
        return ()
    names = [n.name for n in nodes]
    dup = {n for n in names if names.count(n) > 1}
    if dup:
        raise InvalidValueError(f"duplicate node name {sorted(dup)[0]!r} in nodes: names must be unique")
    out = []
    for other in sorted(nodes, key=lambda n: n.name):
        ip = other.ip(family)
        if not ip or ip == local_ip:
            continue
        if rr_leave_mesh and other.rr_cluster_id:
            continue
        port = other.listen_port if other.listen_port is not None else globals.listen_port
        out.append(
            BirdPeer(
                kind="Mesh",
                ip=ip,
                as_number=other.as_number if other.as_number is not None else globals.as_number,
                port=port,
                source_address=local_ip,
                passive=ip > local_ip,
                internal=True,
                restart_time=globals.mesh_restart_time if mesh_extras else None,
                password=globals.mesh_password if mesh_extras else None,
            )
        )
    return tuple(out)


def explicit_peer(local: NodeInfo, data: PeerData, kind: str, globals: BgpGlobals | None = None, family: int = 4,
                  calico_version: str = "3.28") -> BirdPeer | None:
    """The ``Global_``/``Node_`` protocol confd renders on ``local`` for one peer entry.

    Returns None when the peer is ``local`` itself (confd skips it).

    Rules (``bird.cfg.template``, global and node-specific peer sections):

    * ``source address`` = our address when ``source_address == "UseNodeIP"``;
    * ``passive on`` only for Global peers that are Calico nodes and whose address is
      greater than ours as a string (v3.23+, so v3.28 here);
    * ``rr client; rr cluster id <ours>`` when the peer AS equals ours, we have a cluster
      id, and the peer's cluster id differs from ours;
    * ``next hop keep`` only toward a different AS with ``keep_next_hop``, or with
      ``nextHopMode: Keep``; ``next hop self`` with ``nextHopMode: Self`` (v3.30+);
    * a ``localASNumber`` (v3.30+) renders ``local as N`` and is "ours" in every rule here;
    * the export function's argument is "peer AS equals ours";
    * a local workload entry (``data.local_workload``, v3.30+) is named ``Local_Workload_<ip>``
      and is passive (confd's ``passive_mode``); a release without them refuses it
      (InvalidValueError).
    """
    globals = globals or BgpGlobals()
    choice(kind, ("Global", "Node"), "peer kind")
    choice(family, (4, 6), "family")
    choice(calico_version, CALICO_VERSIONS, "calico_version")
    local_ip = local.ip(family)
    ip = str(parse_address(data.ip, f"peer {data.ip!r}", family))
    if ip == local_ip:
        return None
    local_as = local.as_number if local.as_number is not None else globals.as_number
    rel = template_release(calico_version)
    if data.local_workload and not rel.has("local_workload_peers"):
        raise InvalidValueError(f"invalid peer {ip!r}: Calico {calico_version} has no local workload peers "
                                "(BGPPeer localWorkloadSelector, v3.30+)")
    own_as = None
    if rel.has("peer_local_as") and data.local_as_number is not None:
        # bgp_processor.go buildPeerFromData: the peer's localASNumber stands for the node's AS
        # in every rule below (iBGP or eBGP, route-reflector client, next hop keep)
        local_as = own_as = data.local_as_number
    mode = data.next_hop_mode if rel.has("next_hop_mode") else None
    cid = local.rr_cluster_id
    rr = cid if (data.as_number == local_as and cid and data.rr_cluster_id != cid) else None
    return BirdPeer(
        kind=kind,
        ip=ip,
        as_number=data.as_number,
        port=data.port,
        name_port=data.port,
        source_address=local_ip if data.source_address == "UseNodeIP" else None,
        passive=data.local_workload or (rel.has("global_passive") and kind == "Global" and data.calico_node
                                        and ip > local_ip),
        rr_cluster_id=rr,
        internal=data.as_number == local_as,
        ttl_security=data.ttl_security if rel.has("ttl_security") else 0,
        restart_time=data.restart_time,
        password=data.password,
        next_hop_keep=mode == "Keep" or data.keep_next_hop and data.as_number != local_as,
        next_hop_self=mode == "Self",
        local_as=own_as,
        keepalive_time=data.keepalive_time if rel.has("peer_keepalive") else None,
        allow_local_as=data.num_allow_local_as if rel.has("allow_local_as") else 0,
        reachable_by=data.reachable_by if rel.has("reachable_by") else None,
        local_workload=data.local_workload,
    )


def node_view(
    local: NodeInfo,
    nodes: Sequence[NodeInfo],
    globals: BgpGlobals | None = None,
    pools: Iterable[Pool] = (),
    blocks: Iterable[AffineBlock] = (),
    global_peers: Iterable[PeerData] = (),
    node_peers: Iterable[PeerData] = (),
    static_routes: Iterable[str] = (),
    reject_cidrs: Iterable[str] = (),
    router_id: str | None = None,
    calico_version: str = "3.28",
    bgp_filters: Sequence[BGPFilter] = (),
) -> BirdNodeView:
    """Assemble the :class:`BirdNodeView` for ``local`` the way confd does.

    Parameters
    ----------
    local : NodeInfo
    nodes : sequence of NodeInfo
        Every node of the cluster, for the mesh.
    globals : BgpGlobals, optional
    pools : sequence of Pool
    blocks : sequence of AffineBlock
        ``local``'s affine blocks, IPv4 and IPv6.
    global_peers, node_peers : sequence of PeerData
        The ``/global/peer_v*`` entries and this node's ``/host/<node>/peer_v*`` entries;
        each family is picked by the peer's address.  confd renders them sorted by key
        (the IP, then ``-port``), which this function reproduces.
    static_routes, reject_cidrs : sequence of str
        Service advertisement CIDRs (``/staticroutes``, ``/rejectcidrs``).
    router_id : str, optional
        ``CALICO_ROUTER_ID``: an IPv4 address, or ``"hash"`` for :func:`hash_router_id`;
        default is the node's IPv4 address.
    calico_version : str
        One of :data:`~fastroute.model.calico.CALICO_VERSIONS`.
    bgp_filters : sequence of fastroute.model.filters.BGPFilter
        The cluster's BGPFilters: their functions, and the calls of those a peer names (v3.28).
    """
    globals = globals or BgpGlobals()
    choice(calico_version, CALICO_VERSIONS, "calico_version")

    def key(d):
        return f"{d.ip}-{d.port}" if d.port else d.ip

    peers = {4: list(mesh_peers(local, nodes, globals, 4, calico_version)),
             6: list(mesh_peers(local, nodes, globals, 6, calico_version))}
    self_peers = []
    by_name = {f.name: f for f in bgp_filters}
    rel = template_release(calico_version)
    v332_rules, prefix_length = rel.has("bgp_filter_v332_rules"), rel.has("bgp_filter_prefix_length")
    for kind, group in (("Global", global_peers), ("Node", node_peers)):
        for data in sorted(group, key=key):
            fam = ipaddress.ip_address(data.ip).version
            p = explicit_peer(local, data, kind, globals, fam, calico_version)
            if p is not None:
                peers[fam].append(_with_filters(p, data.filters, by_name, fam, calico_version))
            else:
                self_peers.append((kind, data.ip, data.port))
    return BirdNodeView(
        node=local,
        globals=globals,
        peers_v4=tuple(peers[4]),
        peers_v6=tuple(peers[6]),
        pools=tuple(pools),
        blocks=tuple(blocks),
        static_routes=tuple(static_routes),
        reject_cidrs=tuple(reject_cidrs),
        router_id=router_id,
        calico_version=calico_version,
        mesh_nodes=tuple(nodes),
        self_peers=tuple(self_peers),
        filter_functions_v4=filter_functions(bgp_filters, 4, v332_rules, prefix_length),
        filter_functions_v6=filter_functions(bgp_filters, 6, v332_rules, prefix_length),
    )


def _with_filters(peer, names, by_name, family, calico_version):
    """``peer`` calling the functions of the BGPFilters ``names`` it has, as call expressions (v3.28's
    ``import filter { ... }`` / ``export filter { ... }``; an unknown name is skipped)."""
    if not names or not template_release(calico_version).has("bgp_filters"):
        return peer
    calls = {d: tuple(filter_call(by_name[n], d, family, peer.internal) for n in names
                      if n in by_name and by_name[n].rules_of(d, family))
             for d in ("import", "export")}
    return dataclasses.replace(peer, import_filters=calls["import"], export_filters=calls["export"])


# --------------------------------------------------------------------------- rendering


def render_files(view: BirdNodeView) -> dict[str, str]:
    """Render every file confd writes for ``view``.

    Returns
    -------
    dict of str to str
        ``bird.cfg``, ``bird_aggr.cfg``, ``bird_ipam.cfg``, ``bird6.cfg``,
        ``bird6_aggr.cfg``, ``bird6_ipam.cfg`` -> file text.  ``bird.cfg`` includes the
        other two v4 files by relative name, as on a node, so they belong in one directory.
    """
    files = {}
    for family in (4, 6):
        main, aggr, ipam = family_files(family)
        files[main] = render_bird_cfg(view, family)
        files[aggr] = render_aggr_cfg(view, family)
        files[ipam] = render_ipam_cfg(view, family)
    return files


def render_inline(view: BirdNodeView, family: int = 4) -> str:
    """``bird.cfg`` (or ``bird6.cfg``) with its two includes pasted in place, as one text."""
    choice(family, (4, 6), "family")
    main, aggr, ipam = family_files(family)
    text = render_bird_cfg(view, family)
    text = text.replace(f'include "{aggr}";\n', render_aggr_cfg(view, family))
    text = text.replace(f'include "{ipam}";\n', render_ipam_cfg(view, family))
    return text
