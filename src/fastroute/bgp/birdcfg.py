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

Behaviour follows Calico v3.28 (``calico_version="3.28"``, the default).
``calico_version="3.20"`` renders the layout of the v3.20 templates, which
differs in these ways (read from ``projectcalico/confd`` at release-v3.20):

* route reflectors are *not* excluded from the node-to-node mesh, and a node
  with a cluster id still renders its mesh section;
* ``multihop``, ``import all`` and ``export filter calico_export_to_bgp_peers``
  live in ``bgp_template``; peers carry no filter blocks, no ``ttl security``,
  no ``passive on`` for Global peers, no ``graceful restart time`` and no
  ``allow local as``;
* ``calico_export_to_bgp_peers`` is a filter ending in ``reject`` (there is no
  ``reject_disabled_pools`` and no ``reject_tunnel_routes``), and an identical,
  unused ``calico_export_to_bgp_mesh`` filter follows it;
* the direct protocol also ignores ``tap*``, ``qvo*`` and ``qvb*``;
* ``listen bgp`` knows only a port (no bind address), there are no ignored
  interfaces and no ``reachableBy`` static routes.

Sources and fidelity
--------------------
The v3.20 layout follows ``projectcalico/confd`` ``etc/calico/confd/templates``; the
v3.28 layout follows the stored ``projectcalico/calico``
``confd/etc/calico/confd/templates`` version that carries the v3.27-v3.28 feature set
(``calico_export_to_bgp_peers(bool)``, per-peer ``ttl security``/``multihop``, bind
mode, ignored interfaces, ``reachableBy`` statics), cross-checked with confd's own
template tests (``confd/tests/compiled_templates`` in projectcalico/calico).  Directives, their values and their order are the
templates'; comments and blank lines are not (confd's own template tests ignore
them too).  Not rendered: BGPFilter functions (an empty filter section is), LoadBalancer
allow-lists on reflectors, and the per-node log level override.  Every variant is
accepted by real ``bird -p``/``bird6 -p`` (tests/interop/test_config_parses.py).

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

import hashlib
import ipaddress

from .birdview import (
    AffineBlock,
    BgpGlobals,
    BirdNodeView,
    BirdPeer,
    NodeInfo,
    PeerData,
    Pool,
    parse_address,
    protocol_name,
)
from ..model.calico import CALICO_VERSIONS, DEFAULT_AS, reflectors_leave_mesh
from ..errors import InvalidValueError, choice

__all__ = [
    # Calico facts and the node description, re-exported
    "CALICO_VERSIONS", "DEFAULT_AS", "NodeInfo", "BgpGlobals", "PeerData", "Pool", "AffineBlock", "BirdPeer",
    "BirdNodeView", "protocol_name",
    # confd's per-node decisions and the rendering
    "hash_router_id", "mesh_peers", "explicit_peer", "node_view",
    "render_files", "render_bird_cfg", "render_aggr_cfg", "render_ipam_cfg", "render_inline",
]


def mesh_peers(local, nodes, globals=None, family=4, calico_version="3.28"):
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
        v328 = calico_version == "3.28"
        out.append(
            BirdPeer(
                kind="Mesh",
                ip=ip,
                as_number=other.as_number if other.as_number is not None else globals.as_number,
                port=port,
                source_address=local_ip,
                passive=ip > local_ip,
                internal=True,
                restart_time=globals.mesh_restart_time if v328 else None,
                password=globals.mesh_password if v328 else None,
            )
        )
    return tuple(out)


def explicit_peer(local, data, kind, globals=None, family=4, calico_version="3.28"):
    """The ``Global_``/``Node_`` protocol confd renders on ``local`` for one peer entry.

    Returns None when the peer is ``local`` itself (confd skips it).

    Rules (``bird.cfg.template``, global and node-specific peer sections):

    * ``source address`` = our address when ``source_address == "UseNodeIP"``;
    * ``passive on`` only for Global peers that are Calico nodes and whose address is
      greater than ours as a string (v3.23+, so v3.28 here);
    * ``rr client; rr cluster id <ours>`` when the peer AS equals ours, we have a cluster
      id, and the peer's cluster id differs from ours;
    * ``next hop keep`` only toward a different AS with ``keep_next_hop``;
    * the export function's argument is "peer AS equals ours".
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
    v328 = calico_version == "3.28"
    cid = local.rr_cluster_id
    rr = cid if (data.as_number == local_as and cid and data.rr_cluster_id != cid) else None
    return BirdPeer(
        kind=kind,
        ip=ip,
        as_number=data.as_number,
        port=data.port,
        name_port=data.port,
        source_address=local_ip if data.source_address == "UseNodeIP" else None,
        passive=v328 and kind == "Global" and data.calico_node and ip > local_ip,
        rr_cluster_id=rr,
        internal=data.as_number == local_as,
        ttl_security=data.ttl_security if v328 else 0,
        restart_time=data.restart_time if v328 else None,
        password=data.password,
        next_hop_keep=data.keep_next_hop and data.as_number != local_as,
        allow_local_as=data.num_allow_local_as if v328 else 0,
        reachable_by=data.reachable_by if v328 else None,
    )


def hash_router_id(node_name):
    """confd's ``hashToIPv4``: the first 4 bytes of sha256(node name) as an IPv4 address.

    A first octet above 223 (multicast and reserved space, which BGP router ids may not
    use) is lowered by 32, as the confd versions read for this module do; an older variant
    without that adjustment also exists in the wild.

    >>> hash_router_id("kube-master")  # confd's compiled test template mesh/hash
    '25.79.212.8'
    """
    b = hashlib.sha256(node_name.encode()).digest()[:4]
    first = b[0] - 32 if b[0] > 223 else b[0]
    return f"{first}.{b[1]}.{b[2]}.{b[3]}"


def node_view(
    local,
    nodes,
    globals=None,
    pools=(),
    blocks=(),
    global_peers=(),
    node_peers=(),
    static_routes=(),
    reject_cidrs=(),
    router_id=None,
    calico_version="3.28",
):
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
    calico_version : {"3.28", "3.20"}
    """
    globals = globals or BgpGlobals()
    choice(calico_version, CALICO_VERSIONS, "calico_version")
    if router_id == "hash":
        router_id = hash_router_id(local.name)

    def key(d):
        return f"{d.ip}-{d.port}" if d.port else d.ip

    peers = {4: list(mesh_peers(local, nodes, globals, 4, calico_version)),
             6: list(mesh_peers(local, nodes, globals, 6, calico_version))}
    for kind, group in (("Global", global_peers), ("Node", node_peers)):
        for data in sorted(group, key=key):
            fam = ipaddress.ip_address(data.ip).version
            p = explicit_peer(local, data, kind, globals, fam, calico_version)
            if p is not None:
                peers[fam].append(p)
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
    )


# --------------------------------------------------------------------------- rendering


def _fam_files(family):
    return ("bird.cfg", "bird_aggr.cfg", "bird_ipam.cfg") if family == 4 else (
        "bird6.cfg", "bird6_aggr.cfg", "bird6_ipam.cfg")


def _debug_line(view):
    level = view.globals.log_level
    if level == "debug":
        return ["  debug all;"]
    if level == "none":
        return []
    return ["  debug { states };"]


def _sorted_by_key(items):
    return sorted(items, key=lambda x: x.key)


def _pools(view, family):
    return _sorted_by_key(p for p in view.pools if p.version == family)


def _blocks(view, family):
    return _sorted_by_key(b for b in view.blocks if b.version == family)


def _statics(cidrs, family):
    # confd keys are the CIDR with '/' -> '-', listed in key order.
    nets = [c for c in cidrs if ipaddress.ip_network(c).version == family]
    return sorted(nets, key=lambda c: c.replace("/", "-"))


def render_bird_cfg(view, family=4):
    """Render ``bird.cfg`` (family 4) or ``bird6.cfg`` (family 6) for ``view``."""
    choice(family, (4, 6), "family")
    v328 = view.calico_version == "3.28"
    node = view.node
    local_ip = node.ip(family)
    aggr, ipam = _fam_files(family)[1:]
    dbg = _debug_line(view)
    g = view.globals
    out = ["function apply_communities ()", "{"]
    for cidr, communities in g.prefix_advertisements:
        if ipaddress.ip_network(cidr).version != family:
            continue
        out.append(f"      if ( net ~ {cidr} ) then {{")
        for c in communities:
            parts = c.split(":")
            attr = "bgp_community" if len(parts) == 2 else "bgp_large_community"
            out.append(f"          {attr}.add(({', '.join(parts)}));")
        out.append("      }")
    out += ["}", "", "# Generated by confd",
           f'include "{aggr}";', f'include "{ipam}";', "", f"router id {view.effective_router_id};"]
    listen = ""
    if v328 and g.bind_mode == "NodeIP" and local_ip:
        listen += f" address {local_ip}"
    port = node.listen_port if node.listen_port is not None else g.listen_port
    if port is not None:
        listen += f" port {port}"
    if listen:
        out.append(f"listen bgp{listen};")
    out += [
        "",
        "# Keep the kernel's routing table and BIRD's in step.",
        "protocol kernel {",
        "  learn;",
        "  persist;",
        "  scan time 2;",
        "  import all;",
        "  export filter calico_kernel_programming;",
        "  graceful restart;",
        "  merge paths on;",
        "}",
        "",
        "# Follow interfaces going up and down.",
        "protocol device {",
        *dbg,
        "  scan time 2;",
        "}",
        "",
        "protocol direct {",
        *dbg,
    ]
    if v328:
        ignored = "".join(f'-"{i}", ' for i in g.ignored_interfaces)
        out.append(f'  interface {ignored}-"cali*", -"kube-ipvs*", "*";')
    else:
        out.append('  interface -"cali*", -"kube-ipvs*", -"tap*", -"qvo*", -"qvb*", "*";')
    out += ["}", ""]
    if not local_ip:
        out.append(f"# IPv{family} disabled on this node.")
        return "\n".join(out) + "\n"

    out += ["# Template for all BGP peers", "template bgp bgp_template {", *dbg,
            '  description "Connection to BGP peer";', f"  local as {view.as_number};"]
    if not v328:
        out.append("  multihop;")
    out.append("  gateway recursive;")
    if not v328:
        out += ["  import all;", "  export filter calico_export_to_bgp_peers;"]
    out += ["  add paths on;", "  graceful restart;", "  connect delay time 2;", "  connect retry time 5;",
            "  error wait time 5,30;", "}", ""]
    if v328:
        out += ["# -------------- BGP Filters ------------------", f"# No v{family} BGPFilters configured", ""]

    peers = view.peers_v4 if family == 4 else view.peers_v6
    out.append("# ------------- Node-to-node mesh -------------")
    if v328 and node.rr_cluster_id:
        out.append(f"# This node ({node.name}) is configured as a route reflector with cluster ID "
                   f"{node.rr_cluster_id};")
        out.append("# ignore node-to-node mesh setting.")
    elif not g.mesh_enabled:
        out.append("# Node-to-node mesh disabled")
    else:
        for p in peers:
            if p.kind == "Mesh":
                out += _render_peer(p, view, family)
    out += ["", "", "# ------------- Global peers -------------"]
    globals_ = [p for p in peers if p.kind == "Global"]
    out += [ln for p in globals_ for ln in _render_peer(p, view, family)] or ["# No global peers configured."]
    out += ["", "", "# ------------- Node-specific peers -------------"]
    nodes_ = [p for p in peers if p.kind == "Node"]
    out += [ln for p in nodes_ for ln in _render_peer(p, view, family)] or ["# No node-specific peers configured."]
    return "\n".join(out) + "\n"


def _render_peer(p, view, family):
    v328 = view.calico_version == "3.28"
    port = f"port {p.port} " if p.port else ""
    out = [f"protocol bgp {p.name} from bgp_template {{"]
    if v328 and p.kind != "Mesh":
        if p.ttl_security:
            out += ["  ttl security on;", f"  multihop {p.ttl_security};"]
        else:
            out += ["  ttl security off;", "  multihop;"]
    out.append(f"  neighbor {p.ip} {port}as {p.as_number};")
    if p.source_address:
        out.append(f"  source address {p.source_address};")
    if v328:
        if p.kind == "Mesh":
            out.append("  import all;")
        else:
            out += ["  import filter {", "    accept;", "  };"]
        out += ["  export filter {", f"    calico_export_to_bgp_peers({'true' if p.internal else 'false'});",
                "    reject;", "  };"]
    if p.passive:
        out.append("  passive on;")
    if p.restart_time is not None:
        out.append(f"  graceful restart time {p.restart_time};")
    if p.kind == "Mesh":
        if p.password:
            out.append(f'  password "{p.password}";')
        out.append("}")
        return out
    if p.rr_cluster_id:
        out += ["  rr client;", f"  rr cluster id {p.rr_cluster_id};"]
    if p.password:
        out.append(f'  password "{p.password}";')
    if p.next_hop_keep:
        out.append("  next hop keep;")
    if p.allow_local_as:
        out.append(f"  allow local as {p.allow_local_as};")
    out.append("}")
    return out


def render_aggr_cfg(view, family=4):
    """Render ``bird_aggr.cfg``/``bird6_aggr.cfg``: block blackholes and ``calico_aggr()``."""
    choice(family, (4, 6), "family")
    v328 = view.calico_version == "3.28"
    full = 32 if family == 4 else 128
    blocks = _blocks(view, family)
    statics = _statics(view.static_routes, family)
    peers = view.peers_v4 if family == 4 else view.peers_v6
    reach_g = [p for p in peers if v328 and p.kind == "Global" and p.reachable_by]
    reach_n = [p for p in peers if v328 and p.kind == "Node" and p.reachable_by]
    out = ["# Generated by confd", ""]
    if blocks or statics or reach_g or reach_n:
        out.append("protocol static {")
        if blocks:
            out.append("   # IP blocks for this host.")
            for b in blocks:
                # A block as small as one address needs no blackhole.
                if ipaddress.ip_network(b.cidr).prefixlen != full:
                    out.append(f"   route {b.cidr} blackhole;")
        if statics:
            out.append("   # Static routes.")
            out += [f"   route {c} blackhole;" for c in statics]
        for title, group in (("global", reach_g), ("node specific", reach_n)):
            if group:
                out.append(f"   # Static routes needed for {title} BGP peers")
                out += [f"   route {p.ip}/{full} via {p.reachable_by};" for p in group]
        out.append("}")
    else:
        out.append("# No IP blocks or static routes for this host.")
    out += ["", "# Export each block as one aggregate and nothing inside it.", "function calico_aggr ()", "{"]
    for b in blocks:
        if b.state:
            out.append(f"      # Block {b.cidr} is {b.state}")
        else:
            out.append(f"      # Block {b.cidr} is implicitly confirmed.")
        if b.state in ("confirmed", ""):
            out.append(f"      if ( net = {b.cidr} ) then {{ accept; }}")
            out.append(f"      if ( net ~ {b.cidr} ) then {{ reject; }}")
    out.append("}")
    return "\n".join(out) + "\n"


def render_ipam_cfg(view, family=4):
    """Render ``bird_ipam.cfg``/``bird6_ipam.cfg``: export function and kernel filter."""
    choice(family, (4, 6), "family")
    v328 = view.calico_version == "3.28"
    pools = _pools(view, family)
    statics = _statics(view.static_routes, family)
    rejects = _statics(view.reject_cidrs, family)
    out = ["# Generated by confd"]

    def static_accepts():
        lines = []
        if statics:
            lines += ["", "  # Export static routes."]
            lines += [f"  if ( net ~ {c} ) then {{ accept; }}" for c in statics]
        return lines

    if v328:
        out += ["function reject_disabled_pools ()", "{"]
        out += [f"  if ( net ~ {p.cidr} ) then {{ reject; }}" for p in pools if p.disable_bgp_export]
        out += ["}", "",
                "function reject_tunnel_routes () {",
                "  # Felix programs the VXLAN and WireGuard routes; never pass them on.",
                "  if (defined(ifname)) then {",
                '     if ((ifname ~ "*.cali") || (ifname ~ "*.calico")) then {',
                "        reject;",
                "     }",
                "  }",
                "}",
                "",
                "function calico_export_to_bgp_peers(bool internal_peer) {",
                "  reject_disabled_pools();",
                "  if (internal_peer) then {",
                "    reject_tunnel_routes();",
                "  }",
                "  apply_communities();",
                "  calico_aggr();"]
        out += static_accepts()
        for p in pools:
            if p.disable_bgp_export:
                out.append(f"  # Skip {p.cidr} as BGP export is disabled for it")
            else:
                out += [f"  if ( net ~ {p.cidr} ) then {{", "    accept;", "  }"]
        out += ["}", ""]
    else:
        for name in ("calico_export_to_bgp_peers", "calico_export_to_bgp_mesh"):
            out += [f"filter {name} {{", "  calico_aggr();"]
            out += static_accepts()
            for p in pools:
                out += [f"  if ( net ~ {p.cidr} ) then {{", "    accept;", "  }"]
            out += ["  reject;", "}", ""]

    network = view.node.network4 if family == 4 else view.node.network6
    out.append("filter calico_kernel_programming {")
    if rejects:
        out += ["", "  # Service CIDRs stay out of the kernel."]
        out += [f"  if ( net ~ {c} ) then {{ reject; }}" for c in rejects]
    if network:
        for p in pools:
            out.append(f"  if ( net ~ {p.cidr} ) then {{")
            if p.vxlan_mode != "Never":
                out += ["    # Felix programs VXLAN routes.", "    reject;", "  }"]
            elif family == 6:
                out += ["    accept;", "  }"]
            elif p.ipip_mode == "CrossSubnet":
                out += [f"    if defined(bgp_next_hop) && ( bgp_next_hop ~ {network} ) then",
                        '      krt_tunnel = "";',
                        "    else",
                        '      krt_tunnel = "tunl0";',
                        "    accept;", "  }"]
            else:
                tunnel = "tunl0" if p.ipip_mode == "Always" else ""
                out += [f'    krt_tunnel = "{tunnel}";', "    accept;", "  }"]
    out += ["  accept;", "}"]
    return "\n".join(out) + "\n"


def render_files(view):
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
        main, aggr, ipam = _fam_files(family)
        files[main] = render_bird_cfg(view, family)
        files[aggr] = render_aggr_cfg(view, family)
        files[ipam] = render_ipam_cfg(view, family)
    return files


def render_inline(view, family=4):
    """``bird.cfg`` (or ``bird6.cfg``) with its two includes pasted in place, as one text."""
    choice(family, (4, 6), "family")
    main, aggr, ipam = _fam_files(family)
    text = render_bird_cfg(view, family)
    text = text.replace(f'include "{aggr}";\n', render_aggr_cfg(view, family))
    text = text.replace(f'include "{ipam}";\n', render_ipam_cfg(view, family))
    return text
