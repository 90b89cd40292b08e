"""Issue 5 scenarios on real BIRD 1.6, beyond the seed.

Each scenario is an explicit input (nodes, blocks, pods, peers) rendered by
fastroute.bgp.birdcfg and run by fastroute.testing.emulate.  Until fastroute's own route
computation exists (issue 4), the expected tables are written out by hand from
Calico's templates (projectcalico/calico ``confd/etc/calico/confd/templates``) and
BIRD 1.6's documented behaviour (graceful restart, RFC 4456 reflection), never from fastroute's output; once
``fastroute routes``/``status`` exist, these become differential checks against
them.

IPIP cannot be checked this way: stock Debian BIRD lacks Calico's ``krt_tunnel``
patch (``dev tunl0 onlink`` routes), so :func:`fastroute.testing.emulate.stock_bird_files`
refuses IPIP pools (``test_ipip_pool_is_refused_on_stock_bird``).  All scenarios use
pools without encapsulation; VXLAN routes are Felix's, not BIRD's.
"""

import pytest

from fastroute.bgp.birdcfg import AffineBlock, BgpGlobals, NodeInfo, PeerData, Pool, node_view
from fastroute.testing.emulate import EmuNode, Emulation, diff_texts, emu_node, normalize_routes, parse_protocols
from fastroute.errors import EmulationError

pytestmark = pytest.mark.interop

POOLS = [Pool("10.244.0.0/16")]
CID = "244.0.0.1"


def table(*lines):
    return "".join(line + "\n" for line in lines)


def rows(emu, node):
    return {r.name: r for r in parse_protocols(emu.show_protocols(node)) if r.proto == "BGP"}


def assert_tables(emu, expected):
    got = {n: normalize_routes(emu.ip_route(n)) for n in expected}
    assert got == expected, diff_texts(expected, got, "expected", "bird")


def assert_all_established(emu, nodes):
    for n in nodes:
        r = rows(emu, n)
        assert r and all(x.established for x in r.values()), (n, emu.show_protocols(n))


# --------------------------------------------------------------------------- mesh


MESH = [NodeInfo("master", "192.168.31.201/24"), NodeInfo("node1", "192.168.31.202/24"),
        NodeInfo("node2", "192.168.31.203/24")]


def test_borrowed_ip_is_advertised_as_a_slash_32(netns):
    """node2 has no block of its own and runs a pod whose IP, 10.244.219.70, was borrowed
    from master's block.  The /32 is outside node2's (non-existent) blocks, so node2's export
    filter accepts it through the pool rule (§4.5); everyone else routes it to node2, and
    on master the /32 beats master's own blackhole by longest-prefix match (§2.6, §3.3)."""
    blocks = {"master": [AffineBlock("10.244.219.64/26")], "node1": [AffineBlock("10.244.166.128/26")], "node2": []}
    pods = {"master": [("10.244.219.65", "calia0000000001")], "node1": [("10.244.166.129", "calib0000000001")],
            "node2": [("10.244.219.70", "calic0000000001")]}
    emus = [emu_node(node_view(n, MESH, pools=POOLS, blocks=blocks[n.name]), pods=pods[n.name]) for n in MESH]
    with Emulation(emus) as emu:
        emu.wait()
        assert_all_established(emu, ["master", "node1", "node2"])
        assert_tables(emu, {
            "master": table("10.244.166.128/26 via 192.168.31.202 dev eth0 proto bird",
                            "blackhole 10.244.219.64/26 proto bird",
                            "10.244.219.65 dev calia0000000001 scope link",
                            "10.244.219.70 via 192.168.31.203 dev eth0 proto bird",
                            "192.168.31.0/24 dev eth0 proto kernel scope link src 192.168.31.201"),
            "node1": table("blackhole 10.244.166.128/26 proto bird",
                           "10.244.166.129 dev calib0000000001 scope link",
                           "10.244.219.64/26 via 192.168.31.201 dev eth0 proto bird",
                           "10.244.219.70 via 192.168.31.203 dev eth0 proto bird",
                           "192.168.31.0/24 dev eth0 proto kernel scope link src 192.168.31.202"),
            "node2": table("10.244.166.128/26 via 192.168.31.202 dev eth0 proto bird",
                           "10.244.219.64/26 via 192.168.31.201 dev eth0 proto bird",
                           "10.244.219.70 dev calic0000000001 scope link",
                           "192.168.31.0/24 dev eth0 proto kernel scope link src 192.168.31.203"),
        })


MESH_BLOCKS = {"master": [AffineBlock("10.244.219.64/26")], "node1": [AffineBlock("10.244.166.128/26")],
               "node2": [AffineBlock("10.244.104.0/26")]}


def _mesh_emulation(**kw):
    return Emulation([emu_node(node_view(n, MESH, pools=POOLS, blocks=MESH_BLOCKS[n.name], **kw)) for n in MESH])


NODE1_TABLE = table("10.244.104.0/26 via 192.168.31.203 dev eth0 proto bird",
                    "blackhole 10.244.166.128/26 proto bird",
                    "10.244.219.64/26 via 192.168.31.201 dev eth0 proto bird",
                    "192.168.31.0/24 dev eth0 proto kernel scope link src 192.168.31.202")


def test_node_stopped_cleanly_after_convergence(netns):
    """calico-node on node1 stops (SIGTERM to BIRD).  BIRD sends a Cease notification, so the
    peers do not treat it as a graceful restart: they withdraw node1's block at once
    (BIRD 1.6 ``proto/bgp``: a Cease is no graceful restart).  node1's own kernel keeps every BIRD route (``persist``).  On master,
    the passive end toward node1 (.202 > .201), the session shows ``start`` with
    ``Passive`` and the received error; node2, the active end, goes on trying."""
    with _mesh_emulation() as emu:
        emu.wait()
        assert normalize_routes(emu.ip_route("node1")) == NODE1_TABLE
        emu.stop_bird("node1")
        emu.wait(established={"master": ["Mesh_192_168_31_203"], "node2": ["Mesh_192_168_31_201"]})
        assert_tables(emu, {
            "master": table("10.244.104.0/26 via 192.168.31.203 dev eth0 proto bird",
                            "blackhole 10.244.219.64/26 proto bird",
                            "192.168.31.0/24 dev eth0 proto kernel scope link src 192.168.31.201"),
            "node1": NODE1_TABLE,
            "node2": table("blackhole 10.244.104.0/26 proto bird",
                           "10.244.219.64/26 via 192.168.31.201 dev eth0 proto bird",
                           "192.168.31.0/24 dev eth0 proto kernel scope link src 192.168.31.203"),
        })
        down = rows(emu, "master")["Mesh_192_168_31_202"]
        assert down.state == "start"
        assert down.info.split() == ["Passive", "Received:", "Administrative", "shutdown"]
        active = rows(emu, "node2")["Mesh_192_168_31_202"]
        assert active.state == "start" and not active.established
        # Differential: fastroute status on the seed cluster (same node addresses and
        # protocols) with node1 down.  The active end's error text changes with BIRD's
        # retry timer, so only its first info word is compared.
        from fastroute.model.examples import resolve
        from fastroute.calicoctl.status import peer_statuses

        for node in ("master", "node2"):
            got = [(r.name, r.state, " ".join(r.info.split())) for r in rows(emu, node).values()]
            want = [(p.protocol, p.state, p.info) for p in peer_statuses(resolve(None), node, down=("node1",))]
            cut = [[(n, s, i if s == "up" or i.startswith("Passive") else i.split()[0]) for n, s, i in x]
                   for x in (got, want)]
            assert cut[0] == cut[1], (node, got, want)


def test_node_crash_keeps_stale_routes_under_graceful_restart(netns):
    """BIRD on node1 is killed (SIGKILL): its kernel closes the TCP sessions without a BGP
    notification, the peers enter graceful restart and keep node1's routes as stale for the
    restart time (120 s, BIRD 1.6's default ``graceful restart time``), so nothing changes in their kernels."""
    with _mesh_emulation() as emu:
        emu.wait()
        before = {n: normalize_routes(emu.ip_route(n)) for n in ("master", "node2")}
        emu.stop_bird("node1", crash=True)
        emu.wait(established={"master": ["Mesh_192_168_31_203"], "node2": ["Mesh_192_168_31_201"]})
        assert {n: normalize_routes(emu.ip_route(n)) for n in ("master", "node2")} == before
        assert "10.244.166.128/26 via 192.168.31.202 dev eth0 proto bird" in before["master"]
        assert not rows(emu, "master")["Mesh_192_168_31_202"].established


# --------------------------------------------------------------------------- route reflectors


RRS = [NodeInfo("rr1", "10.0.0.11/24", rr_cluster_id=CID), NodeInfo("rr2", "10.0.0.12/24", rr_cluster_id=CID)]
CLIENTS = [NodeInfo(f"c{i}", f"10.0.0.{20 + i}/24") for i in range(1, 5)]
CLIENT_BLOCK = {f"c{i}": f"10.244.{i}.0/26" for i in range(1, 5)}
NO_MESH = BgpGlobals(mesh_enabled=False)


def _rr_emulation(rrs, peers_of):
    """Reflectors and the four clients; ``peers_of(node)`` gives the node's PeerData list
    (as confd would compute it from BGPPeers).  Each client runs one pod, .1 of its block."""
    nodes = list(rrs) + CLIENTS
    emus = []
    for n in nodes:
        blocks = [AffineBlock(CLIENT_BLOCK[n.name])] if n.name in CLIENT_BLOCK else []
        pods = [(CLIENT_BLOCK[n.name].replace(".0/26", ".1"), f"cali{n.name}pod00")] if blocks else []
        view = node_view(n, nodes, NO_MESH, pools=POOLS, blocks=blocks, node_peers=peers_of(n))
        emus.append(emu_node(view, pods=pods))
    # Reflector sessions are Node_ peers, active at both ends: shorten BIRD's retry timers
    # (harness option, documented in Emulation) so collided openings recover in seconds.
    return Emulation(emus, fast_retry=True)


def _peer(node):
    return PeerData(node.ip4, 64512, rr_cluster_id=node.rr_cluster_id)


def _client_table(me, learned):
    """A client's table: its own blackhole and pod, ``learned`` clients' blocks via them."""
    out = []
    for c in CLIENTS:
        block = CLIENT_BLOCK[c.name]
        if c.name == me:
            out += [f"blackhole {block} proto bird", f"{block.replace('.0/26', '.1')} dev cali{me}pod00 scope link"]
        elif c.name in learned:
            out.append(f"{block} via {c.ip4} dev eth0 proto bird")
    out.insert(0, f"10.0.0.0/24 dev eth0 proto kernel scope link src {next(c.ip4 for c in CLIENTS if c.name == me)}")
    return table(*out)


def _rr_table(me_ip, learned):
    return table(f"10.0.0.0/24 dev eth0 proto kernel scope link src {me_ip}",
                 *[f"{CLIENT_BLOCK[c.name]} via {c.ip4} dev eth0 proto bird" for c in CLIENTS if c.name in learned])


ALL = {c.name for c in CLIENTS}


def test_two_reflectors_same_cluster_id_four_clients(netns):
    """The docs' setup (§5.4): mesh off, one BGPPeer {nodeSelector: all(), peerSelector:
    route-reflector == 'true'}.  Clients get Node_ sessions to both reflectors; reflectors get
    Node_ sessions to every node.  Every client learns every other client's block with the
    next hop unchanged (the originating client), once per reflector (ADD-PATH)."""
    def peers_of(n):
        return [_peer(m) for m in (RRS + CLIENTS if n.rr_cluster_id else RRS) if m is not n]

    with _rr_emulation(RRS, peers_of) as emu:
        emu.wait()
        assert_all_established(emu, [n.name for n in RRS + CLIENTS])
        assert sorted(rows(emu, "c1")) == ["Node_10_0_0_11", "Node_10_0_0_12"]
        assert len(rows(emu, "rr1")) == 5
        expected = {c.name: _client_table(c.name, ALL) for c in CLIENTS}
        expected.update({r.name: _rr_table(r.ip4, ALL) for r in RRS})
        assert_tables(emu, expected)
        # One path per reflector, both carrying the originator and the shared cluster id.
        paths = emu.birdc("c1", "show route 10.244.2.0/26 all")
        assert paths.count("via 10.0.0.22 on eth0") == 2
        assert paths.count("BGP.originator_id: 10.0.0.22") == 2
        assert paths.count(f"BGP.cluster_list: {CID}") == 2


SPLIT = {"rr1": {"c1", "c2"}, "rr2": {"c3", "c4"}}


def _split_peers(rrs):
    def peers_of(n):
        if n.rr_cluster_id:
            other = [m for m in rrs if m is not n]
            return [_peer(m) for m in other] + [_peer(c) for c in CLIENTS if c.name in SPLIT[n.name]]
        return [_peer(r) for r in rrs if n.name in SPLIT[r.name]]
    return peers_of


def test_clients_split_across_reflectors_sharing_a_cluster_id_lose_routes(netns):
    """c1, c2 peer only with rr1; c3, c4 only with rr2; rr1 and rr2 share cluster id 244.0.0.1
    and peer with each other as plain iBGP (same cluster: no ``rr client``).  rr1 reflects
    c1's block to rr2 with CLUSTER_LIST [244.0.0.1]; rr2 keeps it (and installs it) but will
    not pass it to its clients, whose CLUSTER_LIST check fails (RFC 4456 §8).
    So each pair of clients only learns the other member of its own pair."""
    with _rr_emulation(RRS, _split_peers(RRS)) as emu:
        emu.wait()
        assert_all_established(emu, [n.name for n in RRS + CLIENTS])
        expected = {"c1": _client_table("c1", {"c2"}), "c2": _client_table("c2", {"c1"}),
                    "c3": _client_table("c3", {"c4"}), "c4": _client_table("c4", {"c3"}),
                    "rr1": _rr_table("10.0.0.11", ALL), "rr2": _rr_table("10.0.0.12", ALL)}
        assert_tables(emu, expected)


def test_reflectors_with_different_cluster_ids_pass_everything_on(netns):
    """The split above, but rr1 has cluster id 244.0.0.1 and rr2 244.0.0.2.  Each reflector
    then marks the other as ``rr client`` (§5.4), the CLUSTER_LIST check passes, and every
    client learns every other client's block."""
    rrs = [NodeInfo("rr1", "10.0.0.11/24", rr_cluster_id="244.0.0.1"),
           NodeInfo("rr2", "10.0.0.12/24", rr_cluster_id="244.0.0.2")]
    with _rr_emulation(rrs, _split_peers(rrs)) as emu:
        emu.wait()
        assert_all_established(emu, [n.name for n in rrs + CLIENTS])
        expected = {c.name: _client_table(c.name, ALL) for c in CLIENTS}
        expected.update({r.name: _rr_table(r.ip4, ALL) for r in rrs})
        assert_tables(emu, expected)


# --------------------------------------------------------------------------- eBGP


TOR_CONFIG = """\
# A top-of-rack router in AS 65001: learns everything, announces 10.99.0.0/16.
router id 192.168.31.254;
protocol device { scan time 2; }
protocol kernel { scan time 2; import none; export all; }
protocol static { route 10.99.0.0/16 blackhole; }
template bgp node { local as 65001; import all; export where proto = "static1"; }
protocol bgp n201 from node { neighbor 192.168.31.201 as 64512; }
protocol bgp n202 from node { neighbor 192.168.31.202 as 64512; }
protocol bgp n203 from node { neighbor 192.168.31.203 as 64512; }
"""


def test_ebgp_top_of_rack_peer(netns):
    """A global BGPPeer {peerIP: 192.168.31.254, asNumber: 65001} on a meshed cluster.

    * Nodes: Global_192_168_31_254 Established; 10.99.0.0/16 via the ToR.
    * calico_export_to_bgp_peers(false) accepts any route inside the pool, so each node
      announces every block it knows -- its own and the two it learned over the mesh -- and
      the ToR hears each block three times.
    * Calico renders ``multihop`` for the session, and BIRD 1.6 rewrites the next hop to the
      session's source address toward a multihop eBGP peer (BIRD 1.6 ``proto/bgp/attrs.c``, ``bgp_update_attrs``).  The three paths
      then tie up to the router id, the lowest (master's, 192.168.31.201) wins, and the ToR
      sends traffic for every block to master, which forwards it to the owner.
    """
    gp = [PeerData("192.168.31.254", 65001)]
    emus = [emu_node(node_view(n, MESH, pools=POOLS, blocks=MESH_BLOCKS[n.name], global_peers=gp)) for n in MESH]
    emus.append(EmuNode("tor", "192.168.31.254/24", {"bird.cfg": TOR_CONFIG}))
    with Emulation(emus) as emu:
        emu.wait()
        for n in MESH:
            r = rows(emu, n.name)
            assert r["Global_192_168_31_254"].established
            assert len(r) == 3 and all(x.established for x in r.values())
            assert "10.99.0.0/16 via 192.168.31.254 dev eth0 proto bird" in emu.ip_route(n.name)
        assert normalize_routes(emu.ip_route("tor")) == table(
            "blackhole 10.99.0.0/16 proto bird",
            "10.244.104.0/26 via 192.168.31.201 dev eth0 proto bird",
            "10.244.166.128/26 via 192.168.31.201 dev eth0 proto bird",
            "10.244.219.64/26 via 192.168.31.201 dev eth0 proto bird",
            "192.168.31.0/24 dev eth0 proto kernel scope link src 192.168.31.254")
        paths = emu.birdc("tor", "show route 10.244.166.128/26 all")
        for ip in ("192.168.31.201", "192.168.31.202", "192.168.31.203"):
            assert f"BGP.next_hop: {ip}\n" in paths
        assert paths.count("BGP.as_path: 64512\n") == 3
        # Nodes do not pass the ToR's route on over the mesh (it is outside every pool).
        out = emu.birdc("master", "show route 10.99.0.0/16 all")
        assert out.count("via 192.168.31.254") == 1


def test_ipip_pool_is_refused_on_stock_bird():
    """Stock BIRD has no krt_tunnel attribute: IPIP pools cannot be emulated."""
    view = node_view(MESH[0], MESH, pools=[Pool("10.244.0.0/16", ipip_mode="Always")])
    with pytest.raises(EmulationError, match=r'krt_tunnel = "tunl0";.*bird_ipam\.cfg line \d+'):
        emu_node(view)


# --------------------------------------------------------------------------- IPv6


DUAL = [NodeInfo("master", "192.168.31.201/24", "fd00:31::201/64"),
        NodeInfo("node1", "192.168.31.202/24", "fd00:31::202/64"),
        NodeInfo("node2", "192.168.31.203/24", "fd00:31::203/64")]


def test_dual_stack_mesh_with_bird6(netns):
    """bird6 with the rendered bird6*.cfg: Mesh_ sessions named with ':' -> '_', /122 blocks
    blackholed and advertised, the remote block via the peer's IPv6 address.

    How the kernel prints IPv6 routes was observed here, not documented by Calico: blackholes
    carry ``dev lo``, every route has ``metric`` and
    ``pref medium``, ``scope link`` is not shown for IPv6, and a pod's /128 is listed before the
    /122 blackhole that covers it, as IPv4 lists a /32 before its /26 (see the seed)."""
    pools = [Pool("10.244.0.0/16"), Pool("fd00:10::/64")]
    blocks = {"master": [AffineBlock("10.244.219.64/26"), AffineBlock("fd00:10::a000/122")],
              "node1": [AffineBlock("10.244.166.128/26"), AffineBlock("fd00:10::b000/122")], "node2": []}
    pods = {"master": [("10.244.219.65", "calia0000000001"), ("fd00:10::a001", "calia0000000001")],
            "node1": [("10.244.166.129", "calib0000000001"), ("fd00:10::b001", "calib0000000001")], "node2": []}
    emus = [emu_node(node_view(n, DUAL, pools=pools, blocks=blocks[n.name]), pods=pods[n.name]) for n in DUAL]
    with Emulation(emus, ipv6=True) as emu:
        emu.wait()
        for n in DUAL:
            for family, fmt in ((4, lambda ip: ip.replace(".", "_")), (6, lambda ip: ip.replace(":", "_"))):
                r = {x.name: x for x in parse_protocols(emu.show_protocols(n.name, family)) if x.proto == "BGP"}
                others = [m for m in DUAL if m is not n]
                assert sorted(r) == sorted("Mesh_" + fmt(m.ip(family)) for m in others)
                assert all(x.established for x in r.values()), (n.name, family, r)
        six = {n.name: [ln for ln in normalize_routes(emu.ip_route(n.name, 6)).splitlines()
                        if not ln.startswith(("fe80::/64", "fd00:31::/64"))] for n in DUAL}
        assert six == {
            "master": ["fd00:10::a001 dev calia0000000001 metric 1024 pref medium",
                       "blackhole fd00:10::a000/122 dev lo proto bird metric 1024 pref medium",
                       "fd00:10::b000/122 via fd00:31::202 dev eth0 proto bird metric 1024 pref medium"],
            "node1": ["fd00:10::a000/122 via fd00:31::201 dev eth0 proto bird metric 1024 pref medium",
                      "fd00:10::b001 dev calib0000000001 metric 1024 pref medium",
                      "blackhole fd00:10::b000/122 dev lo proto bird metric 1024 pref medium"],
            "node2": ["fd00:10::a000/122 via fd00:31::201 dev eth0 proto bird metric 1024 pref medium",
                      "fd00:10::b000/122 via fd00:31::202 dev eth0 proto bird metric 1024 pref medium"],
        }
        assert "10.244.166.128/26 via 192.168.31.202 dev eth0 proto bird" in emu.ip_route("master")
