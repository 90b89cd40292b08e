"""Parsers and normalisers of fastroute.testing.emulate, on output captured from real tools.

No namespaces needed.  The ``ip route`` text is the seed's (with the trailing blank
iproute2 prints after ``scope link``); the ``show protocols`` text was printed by BIRD
1.6.8 in this harness.
"""

import pytest

from fastroute.bgp.birdcfg import NodeInfo, Pool, node_view
from fastroute.testing.emulate import (
    EmuNode,
    Emulation,
    Pod,
    normalize_protocols,
    normalize_routes,
    parse_protocols,
    stock_bird_files,
)
from fastroute.errors import EmulationError, InvalidValueError, RouteTextError
from fastroute.iproute import parse_ip_route

IP_ROUTE = (
    "default via 192.168.31.1 dev ens33 proto static metric 100 \n"
    "10.244.166.128/26 via 192.168.31.202 dev ens33 proto bird \n"
    "10.244.219.64 dev cali83494b49003 scope link \n"
    "blackhole 10.244.219.64/26 proto bird \n"
    "172.17.0.0/16 dev docker0 proto kernel scope link src 172.17.0.1 \n"
    "10.244.1.0/26 via 10.0.0.21 dev tunl0 proto bird onlink \n"
)

PROTOCOLS = """BIRD 1.6.8 ready.
name     proto    table    state  since       info
static1  Static   master   up     10:30:50    
kernel1  Kernel   master   up     10:30:50    
Mesh_192_168_31_202 BGP      master   up     10:30:52    Established   
Mesh_192_168_31_203 BGP      master   start  10:31:07    Passive       Received: Administrative shutdown
"""


def test_parse_ip_route():
    routes = parse_ip_route(IP_ROUTE)
    assert [r.dst for r in routes] == ["default", "10.244.166.128/26", "10.244.219.64", "10.244.219.64/26",
                                       "172.17.0.0/16", "10.244.1.0/26"]
    d, bird, pod, bh, docker, ipip = routes
    assert (d.via, d.dev, d.proto, d.metric) == ("192.168.31.1", "ens33", "static", 100)
    assert (bird.via, bird.dev, bird.proto, bird.scope) == ("192.168.31.202", "ens33", "bird", None)
    assert (pod.dev, pod.scope, pod.proto) == ("cali83494b49003", "link", None)
    assert (bh.type, bh.proto, bh.dev) == ("blackhole", "bird", None)
    assert docker.src == "172.17.0.1"
    assert ipip.onlink and not bird.onlink
    assert pod.raw == "10.244.219.64 dev cali83494b49003 scope link"


def test_parse_ip_route_rejects_multipath():
    with pytest.raises(RouteTextError, match=r"multipath route line '\\tnexthop"):
        parse_ip_route("10.0.0.0/24 proto bird \n\tnexthop via 1.1.1.1 dev eth0 weight 1\n")


def test_normalize_routes_strips_trailing_blanks():
    assert normalize_routes(IP_ROUTE).splitlines()[2] == "10.244.219.64 dev cali83494b49003 scope link"
    assert normalize_routes("a \n\n") == "a\n"


def test_parse_protocols():
    rows = parse_protocols(PROTOCOLS)
    assert [r.name for r in rows] == ["static1", "kernel1", "Mesh_192_168_31_202", "Mesh_192_168_31_203"]
    up, down = rows[2], rows[3]
    assert (up.proto, up.table, up.state, up.since, up.info) == ("BGP", "master", "up", "10:30:52", "Established")
    assert up.established and not down.established
    assert (down.state, down.info) == ("start", "Passive       Received: Administrative shutdown")
    assert rows[0].info == ""


def test_normalize_protocols_drops_banner_times_and_trailing_blanks():
    a = normalize_protocols(PROTOCOLS)
    b = normalize_protocols(PROTOCOLS.replace("10:30:52", "23:59:59").replace("10:31:07", "2026-11-26"))
    assert a == b
    assert "BIRD 1.6.8 ready." not in a
    assert all(line == line.rstrip() for line in a.splitlines())
    assert "Mesh_192_168_31_202 BGP      master   up     *           Established" in a.splitlines()


def test_stock_bird_files_drops_empty_krt_tunnel_only():
    view = node_view(NodeInfo("a", "10.0.0.1/24"), [NodeInfo("a", "10.0.0.1/24")], pools=[Pool("10.244.0.0/16")])
    from fastroute.bgp.birdcfg import render_files
    files = render_files(view)
    assert 'krt_tunnel = "";' in files["bird_ipam.cfg"]
    out = stock_bird_files(files)
    assert "krt_tunnel" not in out["bird_ipam.cfg"]
    assert out["bird.cfg"] == files["bird.cfg"]
    cross = render_files(node_view(NodeInfo("a", "10.0.0.1/24"), [], pools=[Pool("10.244.0.0/16", ipip_mode="CrossSubnet")]))
    with pytest.raises(EmulationError, match="krt_tunnel"):
        stock_bird_files(cross)


def test_input_validation():
    with pytest.raises(InvalidValueError, match=r"interface name 'cali0123456789abcdef'"):
        Pod("10.244.0.1", "cali0123456789abcdef")
    with pytest.raises(InvalidValueError, match=r"missing 'bird.cfg' in files of node 'x'"):
        EmuNode("x", "10.0.0.1/24", {"bird6.cfg": ""})
    with pytest.raises(InvalidValueError, match=r"invalid prefix 'Fr-1'"):
        Emulation([], prefix="Fr-1")


def test_diff_texts():
    from fastroute.testing.emulate import diff_texts
    assert diff_texts({"a": "x\n"}, {"a": "x\n"}) == ""
    d = diff_texts({"a": "x\ny\n", "b": "z\n"}, {"a": "x\nw\n"})
    assert "-y" in d and "+w" in d and "--- expected/a" in d and "# b: only in expected" in d
