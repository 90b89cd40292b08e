"""birdcfg: confd's session rules and the directives its templates render.

Expected values come from the confd templates (projectcalico/calico
confd/etc/calico/confd/templates/*.template for v3.2x, projectcalico/confd
etc/calico/confd/templates for v3.20).
"""

import re

import pytest

from fastroute.bgp.birdcfg import (
    AffineBlock,
    BgpGlobals,
    BirdPeer,
    NodeInfo,
    PeerData,
    Pool,
    explicit_peer,
    mesh_peers,
    node_view,
    protocol_name,
    render_aggr_cfg,
    render_bird_cfg,
    render_files,
    render_inline,
    render_ipam_cfg,
)
from fastroute.errors import InvalidAddressError, InvalidPrefixError, InvalidValueError

SEED = [
    NodeInfo("master", "192.168.31.201/24"),
    NodeInfo("node1", "192.168.31.202/24"),
    NodeInfo("node2", "192.168.31.203/24"),
]


def lines(text):
    """The lines of ``text``, stripped, without the comment confd's templates put after a directive."""
    return [re.sub(r";\s+#.*$", ";", ln).strip() for ln in text.splitlines()]


# --------------------------------------------------------------------------- names


@pytest.mark.parametrize(
    "kind, ip, port, name",
    [
        ("Mesh", "192.168.31.202", None, "Mesh_192_168_31_202"),
        ("Global", "10.0.0.1", 1790, "Global_10_0_0_1_port_1790"),
        ("Node", "fd00::2", None, "Node_fd00__2"),
        ("Mesh", "10.0.0.1", 1790, "Mesh_10_0_0_1"),  # mesh names never carry the port
    ],
)
def test_protocol_name(kind, ip, port, name):
    assert protocol_name(kind, ip, port) == name


# --------------------------------------------------------------------------- mesh rules


def test_seed_mesh_peers_and_passive_ends():
    by_node = {n.name: mesh_peers(n, SEED) for n in SEED}
    assert [(p.ip, p.passive) for p in by_node["master"]] == [("192.168.31.202", True), ("192.168.31.203", True)]
    assert [(p.ip, p.passive) for p in by_node["node1"]] == [("192.168.31.201", False), ("192.168.31.203", True)]
    assert [(p.ip, p.passive) for p in by_node["node2"]] == [("192.168.31.201", False), ("192.168.31.202", False)]
    assert all(p.source_address == n.ip4 and p.as_number == 64512 for n in SEED for p in by_node[n.name])


def test_passive_compares_addresses_as_strings():
    # "10.0.0.9" > "10.0.0.10" as strings although 9 < 10 as numbers.
    a, b = NodeInfo("a", "10.0.0.9/24"), NodeInfo("b", "10.0.0.10/24")
    (pa,), (pb,) = mesh_peers(a, [a, b]), mesh_peers(b, [a, b])
    assert (pa.ip, pa.passive) == ("10.0.0.10", False)
    assert (pb.ip, pb.passive) == ("10.0.0.9", True)


def test_mesh_walks_nodes_in_name_order_and_skips_same_ip_and_no_ip():
    nodes = [NodeInfo("zeta", "10.0.0.1/24"), NodeInfo("alpha", "10.0.0.3/24"), NodeInfo("self", "10.0.0.2/24"),
             NodeInfo("clone", "10.0.0.2/24"), NodeInfo("v6only", None, "fd00::5/64")]
    peers = mesh_peers(nodes[2], nodes)
    assert [p.ip for p in peers] == ["10.0.0.3", "10.0.0.1"]


def test_mesh_peer_as_and_port_come_from_the_peer_node():
    nodes = [NodeInfo("a", "10.0.0.1/24"), NodeInfo("b", "10.0.0.2/24", as_number=65010, listen_port=1790)]
    (p,) = mesh_peers(nodes[0], nodes, BgpGlobals(as_number=64600, listen_port=179))
    assert (p.as_number, p.port) == (65010, 1790)
    (q,) = mesh_peers(nodes[1], nodes, BgpGlobals(as_number=64600, listen_port=179))
    assert (q.as_number, q.port) == (64600, 179)


def test_mesh_disabled_gives_no_peers_and_a_comment():
    assert mesh_peers(SEED[0], SEED, BgpGlobals(mesh_enabled=False)) == ()
    view = node_view(SEED[0], SEED, BgpGlobals(mesh_enabled=False))
    assert "# Node-to-node mesh disabled" in render_bird_cfg(view)
    assert "protocol bgp" not in render_bird_cfg(view)


RR_NODES = [NodeInfo("a", "10.0.0.1/24"), NodeInfo("rr", "10.0.0.2/24", rr_cluster_id="244.0.0.1"),
            NodeInfo("c", "10.0.0.3/24")]


def test_route_reflectors_leave_the_mesh_from_v3_22():
    assert [p.ip for p in mesh_peers(RR_NODES[0], RR_NODES, calico_version="3.28")] == ["10.0.0.3"]
    assert mesh_peers(RR_NODES[1], RR_NODES, calico_version="3.28") == ()
    text = render_bird_cfg(node_view(RR_NODES[1], RR_NODES))
    assert "# This node (rr) is configured as a route reflector with cluster ID 244.0.0.1;" in text


def test_route_reflectors_stay_in_the_v3_20_mesh():
    # Name order: "c" (10.0.0.3) before "rr" (10.0.0.2).
    assert [p.ip for p in mesh_peers(RR_NODES[0], RR_NODES, calico_version="3.20")] == ["10.0.0.3", "10.0.0.2"]
    assert [p.ip for p in mesh_peers(RR_NODES[1], RR_NODES, calico_version="3.20")] == ["10.0.0.1", "10.0.0.3"]


def test_mesh_password_and_restart_time_render_on_v3_28_only():
    g = BgpGlobals(mesh_password="s3cret", mesh_restart_time=300)
    text = render_bird_cfg(node_view(SEED[0], SEED, g))
    assert lines(text).count('password "s3cret";') == 2
    assert lines(text).count("graceful restart time 300;") == 2
    text20 = render_bird_cfg(node_view(SEED[0], SEED, g, calico_version="3.20"))
    assert "password" not in text20 and "graceful restart time" not in text20


# --------------------------------------------------------------------------- explicit peers


RR = NodeInfo("rr1", "10.0.0.2/24", rr_cluster_id="244.0.0.1")


@pytest.mark.parametrize(
    "peer, rr_client",
    [
        (PeerData("10.0.0.5", 64512), True),  # a client: no cluster id
        (PeerData("10.0.0.3", 64512, rr_cluster_id="244.0.0.1"), False),  # reflector, same cluster
        (PeerData("10.0.0.4", 64512, rr_cluster_id="244.0.0.9"), True),  # reflector, other cluster
        (PeerData("10.0.0.6", 65001), False),  # eBGP peer
    ],
)
def test_rr_client_rule(peer, rr_client):
    p = explicit_peer(RR, peer, "Node")
    assert (p.rr_cluster_id == "244.0.0.1") is rr_client
    assert (p.rr_cluster_id is None) is (not rr_client)


def test_non_reflector_never_marks_rr_client():
    p = explicit_peer(SEED[0], PeerData("10.0.0.2", 64512, rr_cluster_id="244.0.0.1"), "Node")
    assert p.rr_cluster_id is None


def test_explicit_peer_to_self_is_skipped():
    assert explicit_peer(SEED[0], PeerData("192.168.31.201", 64512), "Global") is None


def test_global_passive_only_for_calico_nodes_with_greater_ip_on_v3_28():
    d = PeerData("192.168.31.202", 64512, calico_node=True)
    assert explicit_peer(SEED[0], d, "Global").passive is True
    assert explicit_peer(SEED[0], d, "Node").passive is False
    assert explicit_peer(SEED[0], d, "Global", calico_version="3.20").passive is False
    assert explicit_peer(SEED[2], d, "Global").passive is False
    assert explicit_peer(SEED[0], PeerData("192.168.31.250", 64512), "Global").passive is False


def test_next_hop_keep_only_toward_another_as():
    assert explicit_peer(SEED[0], PeerData("10.1.1.1", 65001, keep_next_hop=True), "Global").next_hop_keep
    assert not explicit_peer(SEED[0], PeerData("10.1.1.1", 64512, keep_next_hop=True), "Global").next_hop_keep


def test_source_address_none_renders_no_source_address():
    view = node_view(SEED[0], SEED, BgpGlobals(mesh_enabled=False),
                     global_peers=[PeerData("10.1.1.1", 65001, source_address="None")])
    text = render_bird_cfg(view)
    assert "protocol bgp Global_10_1_1_1 from bgp_template {" in text
    assert "source address" not in text


def test_global_peer_directives_v3_28():
    view = node_view(RR, [RR], BgpGlobals(mesh_enabled=False),
                     global_peers=[PeerData("10.1.1.1", 65001, ttl_security=2, password="pw", restart_time=90,
                                            keep_next_hop=True, num_allow_local_as=1),
                                   PeerData("10.0.0.9", 64512)])
    text = lines(render_bird_cfg(view))
    i = text.index("protocol bgp Global_10_1_1_1 from bgp_template {")
    block = text[i:text.index("}", text.index("reject;", i) + 2) + 1]
    for directive in ["ttl security on;", "multihop 2;", "neighbor 10.1.1.1 as 65001;", "source address 10.0.0.2;",
                      "calico_export_to_bgp_peers(false);", 'password "pw";', "graceful restart time 90;",
                      "next hop keep;", "allow local as 1;"]:
        assert directive in block, directive
    assert "rr client;" not in block
    j = text.index("protocol bgp Global_10_0_0_9 from bgp_template {")
    block = text[j:]
    for directive in ["ttl security off;", "multihop;", "calico_export_to_bgp_peers(true);", "rr client;",
                      "rr cluster id 244.0.0.1;"]:
        assert directive in block, directive


def test_explicit_peers_render_sorted_by_key():
    view = node_view(SEED[0], SEED, BgpGlobals(mesh_enabled=False),
                     node_peers=[PeerData("10.9.0.1", 65001), PeerData("10.10.0.1", 65001)])
    names = [p.name for p in view.peers_v4]
    assert names == ["Node_10_10_0_1", "Node_10_9_0_1"]


# --------------------------------------------------------------------------- files


def test_bird_cfg_header_and_kernel_protocol():
    text = lines(render_bird_cfg(node_view(SEED[0], SEED)))
    assert text[text.index('include "bird_aggr.cfg";') + 1] == 'include "bird_ipam.cfg";'
    assert "router id 192.168.31.201;" in text
    for directive in ["learn;", "persist;", "scan time 2;", "import all;",
                      "export filter calico_kernel_programming;", "graceful restart;", "merge paths on;"]:
        assert directive in text
    assert 'interface -"cali*", -"kube-ipvs*", "*";' in text
    for directive in ["local as 64512;", "gateway recursive;", "add paths on;", "connect delay time 2;",
                      "connect retry time 5;", "error wait time 5,30;"]:
        assert directive in text


def test_router_id_listen_and_log_level():
    view = node_view(SEED[0], SEED, BgpGlobals(listen_port=1790, bind_mode="NodeIP", log_level="debug"),
                     router_id="10.255.0.1")
    text = lines(render_bird_cfg(view))
    assert "router id 10.255.0.1;" in text
    assert "listen bgp address 192.168.31.201 port 1790;" in text
    assert "debug all;" in text and "debug { states };" not in text
    quiet = lines(render_bird_cfg(node_view(SEED[0], SEED, BgpGlobals(log_level="none"))))
    assert not any(ln.startswith("debug") for ln in quiet)


def test_ignored_interfaces_go_first():
    view = node_view(SEED[0], SEED, BgpGlobals(ignored_interfaces=("eth9", "wg*")))
    assert 'interface -"eth9", -"wg*", -"cali*", -"kube-ipvs*", "*";' in lines(render_bird_cfg(view))


def test_aggr_blackholes_and_calico_aggr():
    blocks = [AffineBlock("10.244.219.64/26"), AffineBlock("10.244.1.7/32"),
              AffineBlock("10.244.9.0/26", state="pending"), AffineBlock("10.244.10.0/26", state="")]
    text = lines(render_aggr_cfg(node_view(SEED[0], SEED, blocks=blocks)))
    assert "route 10.244.219.64/26 blackhole;" in text
    assert "route 10.244.1.7/32 blackhole;" not in text  # /32 blocks get no blackhole
    assert "if ( net = 10.244.219.64/26 ) then { accept; }" in text
    assert "if ( net ~ 10.244.219.64/26 ) then { reject; }" in text
    assert "if ( net = 10.244.1.7/32 ) then { accept; }" in text
    assert "# Block 10.244.10.0/26 is implicitly confirmed." in text
    assert "if ( net = 10.244.10.0/26 ) then { accept; }" in text
    # v3.28's confd drops a pending affinity (client.go: "Ignore pending block affinities")
    assert not [ln for ln in text if "10.244.9.0/26" in ln]
    # confd lists blocks by key ("a.b.c.d-nn") in string order: 10.244.1.7-32 < 10.244.10.0-26 < ...
    order = [ln for ln in text if ln.startswith("# Block")]
    assert order == ["# Block 10.244.1.7/32 is confirmed", "# Block 10.244.10.0/26 is implicitly confirmed.",
                     "# Block 10.244.219.64/26 is confirmed"]
    # v3.20 lists it: a blackhole and a comment, no accept
    text20 = lines(render_aggr_cfg(node_view(SEED[0], SEED, blocks=blocks, calico_version="3.20")))
    assert "route 10.244.9.0/26 blackhole;" in text20
    assert "# Block 10.244.9.0/26 is pending" in text20
    assert "if ( net = 10.244.9.0/26 ) then { accept; }" not in text20


def test_aggr_without_blocks():
    assert "# No IP blocks or static routes for this host." in render_aggr_cfg(node_view(SEED[2], SEED))


def test_ipam_export_function_and_disabled_pools_v3_28():
    pools = [Pool("10.244.0.0/16"), Pool("10.250.0.0/16", disable_bgp_export=True)]
    text = lines(render_ipam_cfg(node_view(SEED[0], SEED, pools=pools)))
    assert "function calico_export_to_bgp_peers(bool internal_peer) {" in text
    assert "if ( net ~ 10.250.0.0/16 ) then { reject; }" in text
    assert "if ( net ~ 10.244.0.0/16 ) then {" in text
    assert "if ( net ~ 10.250.0.0/16 ) then {" in text  # only in the kernel filter
    assert text.count("if ( net ~ 10.250.0.0/16 ) then {") == 1
    assert "# Skip 10.250.0.0/16 as BGP export is disabled for it" in text


@pytest.mark.parametrize(
    "pool, body",
    [
        (Pool("10.244.0.0/16"), ['krt_tunnel = "";', "accept;"]),
        (Pool("10.244.0.0/16", ipip_mode="Always"), ['krt_tunnel = "tunl0";', "accept;"]),
        (Pool("10.244.0.0/16", ipip_mode="CrossSubnet"),
         ["if defined(bgp_next_hop) && ( bgp_next_hop ~ 192.168.31.0/24 ) then", 'krt_tunnel = "";', "else",
          'krt_tunnel = "tunl0";', "accept;"]),
        (Pool("10.244.0.0/16", vxlan_mode="Always"), ["reject;"]),
    ],
)
def test_kernel_programming_filter_by_pool_mode(pool, body):
    text = lines(render_ipam_cfg(node_view(SEED[0], SEED, pools=[pool])))
    i = text.index("filter calico_kernel_programming {")
    j = text.index("if ( net ~ 10.244.0.0/16 ) then {", i)
    got = [ln for ln in text[j + 1:] if ln and not ln.startswith("#")]
    assert got[:len(body)] == body
    assert text[-2:] == ["accept;", "}"]


def test_v3_20_layout():
    view = node_view(SEED[0], SEED, pools=[Pool("10.244.0.0/16", disable_bgp_export=True)],
                     blocks=[AffineBlock("10.244.219.64/26")], calico_version="3.20")
    cfg = lines(render_bird_cfg(view))
    for directive in ["multihop;", "import all;", "export filter calico_export_to_bgp_peers;"]:
        assert directive in cfg
    # confd release-v3.20 as released: neither the tap*/qvo*/qvb* exclusions nor a
    # calico_export_to_bgp_mesh filter (both only in unmerged pull requests)
    assert 'interface -"cali*", -"kube-ipvs*", "*";' in cfg
    assert "calico_export_to_bgp_peers(true);" not in cfg
    ipam = lines(render_ipam_cfg(view))
    assert "filter calico_export_to_bgp_peers {" in ipam and "calico_export_to_bgp_mesh" not in "".join(ipam)
    assert "reject_disabled_pools();" not in ipam
    # v3.20 had no disableBGPExport: the pool is exported.
    assert ipam.count("if ( net ~ 10.244.0.0/16 ) then {") == 2


def test_ipv6_files():
    nodes = [NodeInfo("a", "10.0.0.1/24", "fd00::1/64"), NodeInfo("b", "10.0.0.2/24", "fd00::2/64")]
    view = node_view(nodes[0], nodes, pools=[Pool("fd00:10::/64")], blocks=[AffineBlock("fd00:10::/122"),
                                                                           AffineBlock("fd00:10::1:0/128")])
    files = render_files(view)
    six = lines(files["bird6.cfg"])
    assert 'include "bird6_aggr.cfg";' in six and "router id 10.0.0.1;" in six
    assert "protocol bgp Mesh_fd00__2 from bgp_template {" in six
    assert "neighbor fd00::2 as 64512;" in six and "source address fd00::1;" in six
    aggr6 = lines(files["bird6_aggr.cfg"])
    assert "route fd00:10::/122 blackhole;" in aggr6 and "route fd00:10::1:0/128 blackhole;" not in aggr6
    assert "fd00" not in files["bird_aggr.cfg"] and "fd00" not in files["bird.cfg"]


def test_ipv6_disabled_without_ipv6_address():
    text = render_bird_cfg(node_view(SEED[0], SEED), family=6)
    assert "# IPv6 disabled on this node." in text
    assert "protocol bgp" not in text and "template bgp" not in text
    assert "protocol kernel {" in text


def test_render_inline_pastes_the_includes():
    view = node_view(SEED[0], SEED, pools=[Pool("10.244.0.0/16")], blocks=[AffineBlock("10.244.219.64/26")])
    text = render_inline(view)
    assert 'include "' not in text
    assert "function calico_aggr ()" in text and "filter calico_kernel_programming {" in text


# --------------------------------------------------------------------------- errors


def test_invalid_inputs_name_the_value():
    with pytest.raises(InvalidPrefixError, match=r"'10\.244\.0\.1/16' at pool\.cidr"):
        Pool("10.244.0.1/16")
    with pytest.raises(InvalidValueError, match=r"'always'.*'Never', 'Always', 'CrossSubnet'"):
        Pool("10.244.0.0/16", ipip_mode="always")
    with pytest.raises(InvalidAddressError, match=r"'192\.168\.31\.300/24' at node 'x' ipv4_address"):
        NodeInfo("x", "192.168.31.300/24")
    with pytest.raises(InvalidAddressError, match=r"'fd00::1/64' at node 'x' ipv4_address: expected an IPv4"):
        NodeInfo("x", "fd00::1/64")
    with pytest.raises(InvalidValueError,
                       match=r"calico_version '3\.99': expected one of '3\.28', '3\.32', '3\.31', '3\.30', "
                             r"'3\.30\.1', '3\.28\.1', '3\.20'"):
        node_view(SEED[0], SEED, calico_version="3.99")
    with pytest.raises(InvalidValueError, match=r"AS number 0 at peer '10\.0\.0\.1' as_number"):
        PeerData("10.0.0.1", 0)
    with pytest.raises(InvalidValueError, match=r"IPIP is IPv4 only"):
        Pool("fd00::/64", ipip_mode="Always")
    with pytest.raises(InvalidValueError, match=r"duplicate node name 'a'"):
        mesh_peers(NodeInfo("a", "10.0.0.1/24"), [NodeInfo("a", "10.0.0.1/24"), NodeInfo("a", "10.0.0.2/24")])
    with pytest.raises(InvalidValueError, match=r"at peers_v6\[0\]"):
        from fastroute.bgp.birdcfg import BirdNodeView
        BirdNodeView(SEED[0], peers_v6=(BirdPeer("Mesh", "10.0.0.1", 64512),))


def test_apply_communities_from_prefix_advertisements():
    g = BgpGlobals(prefix_advertisements=(("10.244.0.0/16", ("65000:100", "65000:1:2")),
                                          ("fd00:10::/64", ("65000:6",))))
    four = lines(render_bird_cfg(node_view(SEED[0], SEED, g)))
    i = four.index("function apply_communities ()")
    assert four[i:i + 7] == ["function apply_communities ()", "{", "if ( net ~ 10.244.0.0/16 ) then {",
                             "bgp_community.add((65000, 100));", "bgp_large_community.add((65000, 1, 2));", "}",
                             "}"]
    with pytest.raises(InvalidValueError, match=r"community value '65000' at globals\.prefix_advertisements\[0\]"):
        BgpGlobals(prefix_advertisements=(("10.244.0.0/16", ("65000",)),))


def test_hash_router_id():
    from fastroute.bgp.birdcfg import hash_router_id
    # confd's own compiled test template (confd/tests/compiled_templates/mesh/hash) renders
    # "router id 25.79.212.8;" for NODENAME=kube-master and CALICO_ROUTER_ID=hash.
    assert hash_router_id("kube-master") == "25.79.212.8"
    view = node_view(NodeInfo("kube-master", "10.192.0.2/16"), [], router_id="hash")
    assert "router id 25.79.212.8;" in lines(render_bird_cfg(view))
    # Never a router id in 224.0.0.0/3.
    assert all(int(hash_router_id(f"node-{i}").split(".")[0]) <= 223 for i in range(300))


def test_password_bird_cannot_read_is_refused():
    # BIRD 1.6 strings have no escapes (conf/cf-lex.l): a quote would end the string early
    view = node_view(SEED[0], SEED, global_peers=[PeerData("10.9.9.9", 65001, password='a"b')])
    with pytest.raises(InvalidValueError, match=r"password for peer 10\.9\.9\.9"):
        render_bird_cfg(view)


def test_router_id_hash_and_ipv6_comment():
    view = node_view(SEED[0], SEED, router_id="hash")
    assert "router id 220.97.59.77;" in lines(render_bird_cfg(view))   # sha256("master") starts 252.97.59.77
    six = render_bird_cfg(view, 6)
    assert "router id 220.97.59.77;  # Use IP address generated by nodename's hash" in six
