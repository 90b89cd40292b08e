"""confd's BIRD templates, rendered for one node's :class:`~fastroute.bgp.birdview.BirdNodeView`.

Each function writes one file the way confd's Go template writes it, comments
included, for the release the view names (:data:`fastroute.model.calico.TEMPLATE_RELEASES`
says where each release's templates come from and which template differences it
has):

* :func:`render_bird_cfg` -- ``bird.cfg.template`` / ``bird6.cfg.template``;
* :func:`render_aggr_cfg` -- ``bird_aggr.cfg.template`` / ``bird6_aggr.cfg.template``;
* :func:`render_ipam_cfg` -- ``bird_ipam.cfg.template`` / ``bird6_ipam.cfg.template``

(projectcalico/calico ``confd/etc/calico/confd/templates``; projectcalico/confd
``etc/calico/confd/templates`` on release-v3.20).  The v3.32 layout, which confd
computes in Go, is :mod:`fastroute.bgp.templates_v332`; each function here hands over to
it for the releases with the ``bgp_processor`` feature, passing the pieces both share.  Lines are the templates' own;
blank lines follow them where it is cheap, since confd's template tests compare
with ``diff --ignore-blank-lines`` (tests/bgp/test_confd_suite.py replays them).
"""

from __future__ import annotations

import dataclasses
import ipaddress
from collections import namedtuple
from typing import TYPE_CHECKING

from . import templates_v332
from ..errors import InvalidValueError, choice
from ..model.calico import template_release

if TYPE_CHECKING:
    from .birdview import BirdNodeView

__all__ = ["render_bird_cfg", "render_aggr_cfg", "render_ipam_cfg", "family_files", "peer_key"]


def family_files(family: int) -> tuple[str, str, str]:
    """``(main, aggr, ipam)`` file names of IP family ``family``."""
    return ("bird.cfg", "bird_aggr.cfg", "bird_ipam.cfg") if family == 4 else (
        "bird6.cfg", "bird6_aggr.cfg", "bird6_ipam.cfg")


def peer_key(ip: str, port: int | str | None) -> str:
    """The last part of a peer's confd key: the address, then ``-<port>`` when one is set."""
    return f"{ip}-{port}" if port else ip


def _debug_line(view):
    level = view.globals.log_level
    if level == "debug":
        return ["  debug all;"]
    if level == "none":
        return []
    return ["  debug { states };"]


def _of_family(items, family):
    return sorted((x for x in items if x.version == family), key=lambda x: x.key)


def _statics(cidrs, family):
    # confd keys are the CIDR with '/' -> '-', listed in key order.
    nets = [c for c in cidrs if ipaddress.ip_network(c).version == family]
    return sorted(nets, key=lambda c: c.replace("/", "-"))


def _password(p):
    # BIRD 1.6 reads a string as "[^"\n]*" (conf/cf-lex.l) with no escapes: a password
    # holding a quote or a newline cannot be written into bird.cfg at all.
    if '"' in p.password or "\n" in p.password:
        raise InvalidValueError(f"invalid BGP password for peer {p.ip}: BIRD cannot read a password "
                                "containing a double quote or a newline")
    return f'  password "{p.password}";'


# --------------------------------------------------------------------------- bird.cfg


_KERNEL = [
    "# Configure synchronization between routing tables and kernel.",
    "protocol kernel {",
    "  learn;             # Learn all alien routes from the kernel",
    "  persist;           # Don't remove routes on bird shutdown",
    "  scan time 2;       # Scan kernel routing table every 2 seconds",
    "  import all;",
    "  export filter calico_kernel_programming; # Default is export none",
    "  graceful restart;  # Turn on graceful restart to reduce potential flaps in",
    "                     # routes when reloading BIRD configuration.  With a full",
    "                     # automatic mesh, there is no way to prevent BGP from",
    "                     # flapping since multiple nodes update their BGP",
    "                     # configuration at the same time, GR is not guaranteed to",
    "                     # work correctly in this scenario.",
    "  merge paths on;    # Allow export multipath routes (ECMP)",
    "}",
    "",
]

_DIRECT_DEFAULT = [
    '  interface -"cali*", -"kube-ipvs*", "*"; # Exclude cali* and kube-ipvs* but',
    "                                          # include everything else.  In",
    "                                          # IPVS-mode, kube-proxy creates a",
    "                                          # kube-ipvs0 interface. We exclude",
    "                                          # kube-ipvs0 because this interface",
    "                                          # gets an address for every in use",
    "                                          # cluster IP. We use static routes",
    "                                          # for when we legitimately want to",
    "                                          # export cluster IPs.",
]


def _communities(view, family):
    out = ["function apply_communities ()", "{"]
    for cidr, communities in view.globals.prefix_advertisements:
        if ipaddress.ip_network(cidr).version != family:
            continue
        out.append(f"      if ( net ~ {cidr} ) then {{")
        for c in communities:
            parts = c.split(":")
            attr = "bgp_community" if len(parts) == 2 else "bgp_large_community"
            out.append(f"          {attr}.add(({', '.join(parts)}));")
        out.append("      }")
    return out + ["}", ""]


def _router_id(view, family):
    rid = view.effective_router_id
    if family == 4:
        return f"router id {rid};"
    if view.router_id == "hash":
        return f"router id {rid};  # Use IP address generated by nodename's hash"
    return f"router id {rid};  # Use IPv4 address since router id is 4 octets, even in MP-BGP"


def _listen(view, family, rel):
    node, g = view.node, view.globals
    local_ip = node.ip(family)
    address = f" address {local_ip}" if rel.has("bind_mode") and g.bind_mode == "NodeIP" and local_ip else ""
    if node.listen_port is not None:
        comment, port = "# Set node listen_port", node.listen_port
    elif g.listen_port is not None:
        comment, port = "# Set global listen_port", g.listen_port
    else:
        comment, port = None, None
    out = [comment] if comment else []
    if address or port is not None:
        out.append(f"listen bgp{address}{'' if port is None else f' port {port}'};")
    return out


def _template(view, rel, dbg):
    out = ["# Template for all BGP clients", "template bgp bgp_template {", *dbg,
           '  description "Connection to BGP peer";', f"  local as {view.as_number};"]
    if not rel.has("peer_filter_blocks"):
        out.append("  multihop;")
    out.append("  gateway recursive; # This should be the default, but just in case.")
    if not rel.has("peer_filter_blocks"):
        out += ["  import all;        # Import all routes, since we don't know what the upstream",
                "                     # topology is and therefore have to trust the ToR/RR.",
                "  export filter calico_export_to_bgp_peers;  # Only want to export routes for workloads."]
    return out + ["  add paths on;",
                  "  graceful restart;  # See comment in kernel section about graceful restart.",
                  "  connect delay time 2;", "  connect retry time 5;", "  error wait time 5,30;", "}", ""]


def _mesh_peer(p, rel, family):
    port = f"port {p.port} " if p.port else ""
    out = [f"protocol bgp {p.name} from bgp_template {{", f"  neighbor {p.ip} {port}as {p.as_number};",
           f"  source address {p.source_address};  # The local address we use for the TCP connection"]
    if rel.has("peer_filter_blocks"):
        pad = "  " if family == 6 else ""
        out += ["  import all;        # Import all routes, since we don't know what the upstream",
                f"                   {pad}  # topology is and therefore have to trust the ToR/RR.",
                "  export filter {", "    calico_export_to_bgp_peers(true);", "    reject;",
                "  };  # Only want to export routes for workloads."]
    if p.passive:
        out.append("  passive on; # Mesh is unidirectional, peer will connect to us.")
    if p.restart_time is not None:
        out.append(f"  graceful restart time {p.restart_time};")
    if p.password:
        out.append(_password(p))
    return out + ["}"]


def _mesh(view, family, rel, peers):
    node = view.node
    out = ["# ------------- Node-to-node mesh -------------"]
    reflector_out = rel.has("reflectors_leave_mesh") or family == 6
    if node.rr_cluster_id and reflector_out:
        who = f" ({node.name})" if rel.has("reflectors_leave_mesh") else ""
        return out + [f"# This node{who} is configured as a route reflector with cluster ID {node.rr_cluster_id};",
                      "# ignore node-to-node mesh setting."]
    if not view.globals.mesh_enabled:
        return out + ["", "# Node-to-node mesh disabled", "", "", ""]
    mesh = {p.ip: p for p in peers if p.kind == "Mesh"}
    if not view.mesh_nodes:
        # a view filled by hand: its mesh peers, without the per-host comments
        return out + [ln for p in mesh.values() for ln in _mesh_peer(p, rel, family)]
    local_ip = node.ip(family)
    key = "ip_addr_v4" if family == 4 else "ip_addr_v6"
    out.append("")
    for other in sorted(view.mesh_nodes, key=lambda n: n.name):
        out += ["", ""]
        if not (other.ip4 or other.ip6):
            continue                    # no BGP addresses: confd has no keys for the node
        ip = other.ip(family)
        out += ["", f"# For peer {rel.key_prefix}/host/{other.name}/{key}"]
        if ip == local_ip:
            out.append(f"# Skipping ourselves ({local_ip})")
        elif other.rr_cluster_id and rel.has("reflectors_leave_mesh"):
            out.append(f"# Skipping {ip} ({other.name}) as it is a route reflector with cluster ID "
                       f"{other.rr_cluster_id}")
        elif not ip:
            if family == 6:
                out.append("# No IPv6 address configured for this node")
        elif ip in mesh:
            out += _mesh_peer(mesh[ip], rel, family)
    return out + ["", "", ""]


def _explicit_peer(p, view, family, rel):
    out = [f"protocol bgp {p.name} from bgp_template {{"]
    if rel.has("ttl_security"):
        if p.ttl_security:
            out += ["  ttl security on;", f"  multihop {p.ttl_security};"]
        else:
            out += ["  ttl security off;", "  multihop;"]
    if p.local_as is not None:
        out.append(f"  local as {p.local_as};")
    port = f"port {p.port} " if p.port else ""
    out.append(f"  neighbor {p.ip} {port}as {p.as_number};")
    if p.source_address:
        out.append(f"  source address {p.source_address};  # The local address we use for the TCP connection")
    if rel.has("peer_filter_blocks"):
        out += ["  import filter {",
                *(f"    {f};" for f in p.import_filters),
                '    accept; # Prior to introduction of BGP Filters we used "import all" so use default '
                "accept behaviour on import",
                "  };",
                "  export filter {",
                *(f"    {f};" for f in p.export_filters),
                f"    calico_export_to_bgp_peers({'true' if p.internal else 'false'});",
                "    reject;",
                "  };  # Only want to export routes for workloads."]
    passive = "  passive on; # Peering is unidirectional, peer will connect to us."
    if p.local_workload:
        # confd's passive_mode: its own `passive on`, after every other option
        options = templates_v332.peer_options(dataclasses.replace(p, passive=False), passive, _password)
        return out + options + ["  passive on;", "}"]
    return out + templates_v332.peer_options(p, passive, _password) + ["}"]


#: each section of explicit peers: its title, and the title of the local workload peers that
#: follow it in their own section (v3.30+)
_SECTIONS = {"Global": ("Global peers", "Global local bgp peers"),
             "Node": ("Node-specific peers", "Node-specific local BGP peers")}


def _explicit(view, family, rel, peers, kind):
    title, local_title = _SECTIONS[kind]
    where = "global" if kind == "Global" else f"host/{view.node.name}"
    local_ip = view.node.ip(family)
    entries = [(peer_key(p.ip, p.name_port), p) for p in peers if p.kind == kind]
    entries += [(peer_key(ip, port), None) for k, ip, port in view.self_peers
                if k == kind and ipaddress.ip_address(ip).version == family]
    out = [f"# ------------- {title} -------------"]
    if kind == "Node":
        out.append("")
    if not entries:
        none = "global" if kind == "Global" else "node-specific"
        return out + [f"# No {none} peers configured.", "", ""]
    out.append("")
    entries.sort(key=lambda e: e[0])
    for key, p in entries:
        if p is not None and p.local_workload:
            out += ["", f"# Skipping local bgp peer ({p.ip})", ""]
            continue
        out += ["", f"# For peer {rel.key_prefix}/{where}/peer_v{family}/{key}"]
        out += [f"# Skipping ourselves ({local_ip})"] if p is None else _explicit_peer(p, view, family, rel)
        out.append("")
    local = [(key, p) for key, p in entries if p is not None and p.local_workload]
    if local:
        # the template's `{{$first = false}} {{/* ... */}}` leaves a line holding one blank
        out += [f"# ------------- {local_title} -------------", " "]
        for key, p in local:
            out += [f"# For peer {rel.key_prefix}/{where}/peer_v{family}/{key}", *_explicit_peer(p, view, family, rel),
                    ""]
    return out + ["", ""]


#: what bird.cfg's layouts share: file names, apply_communities(), the kernel protocol, the
#: direct protocol's interfaces, the password line
_BirdParts = namedtuple("_BirdParts", "files communities kernel direct password")


def render_bird_cfg(view: BirdNodeView, family: int = 4) -> str:
    """``bird.cfg`` (family 4) or ``bird6.cfg`` (family 6) of ``view``, as confd renders it."""
    choice(family, (4, 6), "family")
    rel = template_release(view.calico_version)
    g = view.globals
    local_ip = view.node.ip(family)
    _, aggr, ipam = family_files(family)
    dbg = _debug_line(view)
    if rel.has("ignored_interfaces") and g.ignored_interfaces:
        direct = [f'  interface {"".join(f"-{chr(34)}{i}{chr(34)}, " for i in g.ignored_interfaces)}'
                  '-"cali*", -"kube-ipvs*", "*";']
    else:
        direct = _DIRECT_DEFAULT
    if rel.has("bgp_processor"):
        parts = _BirdParts(family_files(family), _communities(view, family), _KERNEL, direct, _password)
        return templates_v332.render_bird_cfg(view, family, parts)
    out = _communities(view, family)
    out += ["# Generated by confd", f'include "{aggr}";', f'include "{ipam}";', "", _router_id(view, family)]
    out += _listen(view, family, rel)
    out += ["", *_KERNEL, "# Watch interface up/down events.", "protocol device {", *dbg,
            "  scan time 2;    # Scan interfaces every 2 seconds", "}", "", "protocol direct {", *dbg, *direct]
    out += ["}", ""]
    if not local_ip:
        return "\n".join(out + [f"# IPv{family} disabled on this node.", ""])
    out += [""] + _template(view, rel, dbg)
    if rel.has("bgp_filters"):
        out += ["# -------------- BGP Filters ------------------"]
        funcs = view.filter_functions_v4 if family == 4 else view.filter_functions_v6
        out += list(funcs) or [f"# No v{family} BGPFilters configured"]
        out.append("")
    peers = view.peers_v4 if family == 4 else view.peers_v6
    out += _mesh(view, family, rel, peers)
    out += _explicit(view, family, rel, peers, "Global")
    out += _explicit(view, family, rel, peers, "Node")
    return "\n".join(out[:-1]) + "\n"


# --------------------------------------------------------------------------- bird_aggr.cfg


def _blocks(view, family, rel):
    blocks = _of_family(view.blocks, family)
    if not rel.has("pending_affinities"):
        blocks = [b for b in blocks if b.state != "pending"]
    return blocks


def render_aggr_cfg(view: BirdNodeView, family: int = 4) -> str:
    """``bird_aggr.cfg``/``bird6_aggr.cfg`` of ``view``: block blackholes and ``calico_aggr()``."""
    choice(family, (4, 6), "family")
    rel = template_release(view.calico_version)
    full = 32 if family == 4 else 128
    blocks = _blocks(view, family, rel)
    statics = _statics(view.static_routes, family)
    peers = view.peers_v4 if family == 4 else view.peers_v6
    reach = {kind: [p for p in peers if rel.has("reachable_by") and p.kind == kind and p.reachable_by]
             for kind in ("Global", "Node")}
    body = []
    if blocks:
        body.append("   # IP blocks for this host.")
        # A block as small as one address needs no blackhole.
        body += [f"   route {b.cidr} blackhole;" for b in blocks
                 if ipaddress.ip_network(b.cidr).prefixlen != full]
    if statics:
        body.append("   # Static routes.")
        body += [f"   route {c} blackhole;" for c in statics]
    for kind, title in (("Global", "global"), ("Node", "node specific")):
        if reach[kind]:
            body.append(f"   # Static routes needed for {title} BGP peers.")
            body += [f"   route {p.ip}/{full} via {p.reachable_by};"
                     for p in sorted(reach[kind], key=lambda p: peer_key(p.ip, p.name_port))]
    if rel.has("bgp_processor"):
        return templates_v332.render_aggr_cfg(view, family, blocks, body)
    out = ["# Generated by confd", ""]
    if rel.has("static_always"):
        out += ["protocol static {", *(body or ["   # No IP blocks or static routes for this host."]), "}"]
    elif body:
        out += ["protocol static {", *body, "}"]
    else:
        out.append("# No IP blocks or static routes for this host.")
    out += ["", "", "# Aggregation of routes on this host; export the block, nothing beneath it.",
            "function calico_aggr ()", "{"]
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


# --------------------------------------------------------------------------- bird_ipam.cfg


_REJECT_TUNNEL_ROUTES = [
    "function reject_tunnel_routes () {",
    "  # Don't export tunnel routes to other nodes, Felix programs them.",
    "  # IPIP routes are handled by Bird, and it does not re-advertise them.",
    "  if (defined(ifname)) then {",
    '     if ((ifname ~ "*.cali") || (ifname ~ "*.calico")) then {',
    "        reject;",
    "     }",
    "  }",
    "}",
    "",
]

_REJECT_LOCAL_ROUTES = [
    "function reject_local_routes () {",
    "  # Don't export local routes learned via BPF as they should never leave the node.",
    "  if (defined(ifname)) then {",
    '     if (ifname ~ "bpf*.cali") then {',
    "        reject;",
    "     }",
    "  }",
    "}",
    "",
]


def _static_accepts(statics):
    if not statics:
        return []
    return ["", "  # Export static routes.", *(f"  if ( net ~ {c} ) then {{ accept; }}" for c in statics)]


def _lb_accepts(view, family, rel):
    # a route reflector passes on routes inside the configured load-balancer ranges
    if not (rel.has("reflector_lb_accepts") and view.node.rr_cluster_id and view.globals.load_balancer_ips):
        return []
    return ["", "  # Configured as a RR - accept any routes within configured LB service IP ranges",
            *(f"  if ( net ~ {c} ) then {{ accept; }}" for c in _statics(view.globals.load_balancer_ips, family))]


def _export_function(view, family, rel, pools, statics):
    local = rel.has("reject_local_routes")
    out = ["# Generated by confd", "function reject_disabled_pools ()", "{", ""]
    out += [f"  if ( net ~ {p.cidr} ) then {{ reject; }}" for p in pools if p.disable_bgp_export]
    out += ["}", "", *_REJECT_TUNNEL_ROUTES, *(_REJECT_LOCAL_ROUTES if local else []),
            "function calico_export_to_bgp_peers(bool internal_peer) {",
            "  # filter code terminates when it calls `accept;` or `reject;`,",
            "  # call reject_disabled_pools() first, then reject_tunnel_routes(),",
            "  # then apply_communities() and then calico_aggr()",
            "  reject_disabled_pools();",
            "  if (internal_peer) then {",
            "    reject_tunnel_routes();",
            "  }",
            *(["  reject_local_routes();"] if local else []),
            "  apply_communities();",
            "  calico_aggr();"]
    out += _static_accepts(statics) + _lb_accepts(view, family, rel)
    out.append("")
    for p in pools:
        if p.disable_bgp_export:
            out.append(f"  # Skip {p.cidr} as BGP export is disabled for it")
        else:
            out += [f"  if ( net ~ {p.cidr} ) then {{", "    accept;", "  }"]
    return out + ["}", ""]


def _export_filter(pools, statics):
    out = ["# Generated by confd", "filter calico_export_to_bgp_peers {",
           "  # filter code terminates when it calls `accept;` or `reject;`, call apply_communities() "
           "before calico_aggr()",
           "  apply_communities();", "  calico_aggr();"]
    out += _static_accepts(statics)
    out.append("")
    for p in pools:
        out += [f"  if ( net ~ {p.cidr} ) then {{", "    accept;", "  }"]
    return out + ["  reject;", "}", ""]


def _kernel_pool(p, network):
    out = [f"  if ( net ~ {p.cidr} ) then {{"]
    if p.vxlan_mode != "Never":
        return out + ["    # Don't program VXLAN routes into the kernel - these are handled by Felix.",
                      "    reject;", "  }"]
    tunnel = "tunl0" if p.ipip_mode != "Never" else ""
    if p.ipip_mode == "CrossSubnet":
        out += [f"    if defined(bgp_next_hop) && ( bgp_next_hop ~ {network} ) then",
                '      krt_tunnel = "";', "    else", f'      krt_tunnel = "{tunnel}";']
    else:
        out.append(f'    krt_tunnel = "{tunnel}";')
    return out + ["    accept;", "  }"]


#: what bird_ipam.cfg's layouts share: the reject functions, the static and load-balancer accepts
_IpamParts = namedtuple("_IpamParts", "functions accepts")


def render_ipam_cfg(view: BirdNodeView, family: int = 4) -> str:
    """``bird_ipam.cfg``/``bird6_ipam.cfg`` of ``view``: the export function and the kernel filter."""
    choice(family, (4, 6), "family")
    rel = template_release(view.calico_version)
    pools = _of_family(view.pools, family)
    statics = _statics(view.static_routes, family)
    rejects = _statics(view.reject_cidrs, family)
    if rel.has("bgp_processor"):
        shared = _IpamParts(_REJECT_TUNNEL_ROUTES + _REJECT_LOCAL_ROUTES,
                            _static_accepts(statics) + _lb_accepts(view, family, rel))
        return templates_v332.render_ipam_cfg(view, family, pools, statics, rejects, shared)
    if rel.has("peer_filter_blocks"):
        out = _export_function(view, family, rel, pools, statics)
    else:
        out = _export_filter(pools, statics)
    out.append("filter calico_kernel_programming {")
    if rejects:
        out += ["", "  # Don't program static routes into kernel.",
                *(f"  if ( net ~ {c} ) then {{ reject; }}" for c in rejects)]
    if family == 4:
        network = view.node.network4
        if network:
            out.append("")
            for p in pools:
                out += _kernel_pool(p, network)
    elif rel.has("v6_pool_kernel_rejects"):
        for p in pools:
            if p.vxlan_mode != "Never":
                out += _kernel_pool(p, None)
    out += ["", "  accept;", "}"]
    return "\n".join(out) + "\n"
