"""Kernel routing tables: the seed's real output, pool modes, borrowed IPs,
failures, and the fast pipeline against the reference one."""

import ipaddress
import json
from importlib import resources

import pytest
from hypothesis import given, settings, strategies as st

from fastroute.model import examples, synth
from fastroute.dataplane import routes
from fastroute.cli import main


def seed_master_text():
    return resources.files("fastroute").joinpath("data/seed-master-ip-route.txt").read_text()


def test_seed_master_table_is_the_seed_ip_route_output():
    t = routes.compute(examples.seed())
    assert t.text("master", include_host=True) == seed_master_text()


def test_seed_other_nodes():
    t = routes.compute(examples.seed())
    assert t.text("node2") == (
        "10.244.166.128/26 via 192.168.31.202 dev ens33 proto bird\n"
        "10.244.219.64/26 via 192.168.31.201 dev ens33 proto bird\n")
    node1 = t.text("node1").splitlines()
    assert "blackhole 10.244.166.128/26 proto bird" in node1
    assert "10.244.219.64/26 via 192.168.31.201 dev ens33 proto bird" in node1


def test_cli_routes_all_prints_the_seed(capsys):
    assert main(["routes", "--all", "--node", "master"]) == 0
    assert capsys.readouterr().out == seed_master_text()
    assert main(["routes", "--node", "master", "--json"]) == 0
    rows = json.loads(capsys.readouterr().out)           # `ip -j route`'s keys
    assert rows == [
        {"dst": "10.244.166.128/26", "gateway": "192.168.31.202", "dev": "ens33", "protocol": "bird", "flags": []},
        {"dst": "10.244.219.64", "dev": "cali83494b49003", "scope": "link", "flags": []},
        {"type": "blackhole", "dst": "10.244.219.64/26", "protocol": "bird", "flags": []},
        {"dst": "10.244.219.65", "dev": "calia43cac5d3d1", "scope": "link", "flags": []},
        {"dst": "10.244.219.66", "dev": "calic88c1a5fc6d", "scope": "link", "flags": []},
    ]
    assert main(["routes", "--node", "master", "--all", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)[0] == {
        "dst": "default", "gateway": "192.168.31.1", "dev": "ens33", "protocol": "static", "metric": 100, "flags": []}


def test_cli_routes_json_is_what_ip_j_route_prints_for_the_same_routes():
    """This machine's own table: `ip route` text through fastroute's renderer against `ip -j route`."""
    import shutil
    import subprocess

    from fastroute.cli.routes import ip_json
    from fastroute.iproute import parse_ip_route

    if shutil.which("ip") is None:
        pytest.skip("iproute2's `ip` is not installed")
    text = subprocess.run(["ip", "route"], capture_output=True, text=True, check=True).stdout
    real = json.loads(subprocess.run(["ip", "-j", "route"], capture_output=True, text=True, check=True).stdout)
    ours = [ip_json(routes.KernelRoute(r.dst, r.type, r.via, r.dev, r.proto, r.scope, r.src, r.metric, r.onlink))
            for r in parse_ip_route(text)]
    assert real and ours == real


def test_cli_errors(capsys):
    assert main(["routes", "--node", "nope"]) == 2
    assert "fastroute: error: unknown node 'nope'" in capsys.readouterr().err
    assert main(["routes", "--node", "master", "--down", "ghost"]) == 2
    assert "'ghost'" in capsys.readouterr().err
    assert main(["why", "--node", "master", "10.244.0.0/99"]) == 2
    assert "'10.244.0.0/99'" in capsys.readouterr().err


def test_down_node_routes_are_withdrawn_and_it_keeps_its_own():
    up = routes.compute(examples.seed())
    t = routes.compute(examples.seed(), down=["node1"])
    assert t.text("node2") == "10.244.219.64/26 via 192.168.31.201 dev ens33 proto bird\n"
    assert "10.244.166.128/26" not in t.text("master")
    # BIRD's kernel protocol persists: the stopped node keeps what it had
    assert t.text("node1") == up.text("node1")


def test_why_names_the_deciding_step(capsys):
    assert main(["why", "--node", "node2", "10.244.166.129"]) == 0
    out = capsys.readouterr().out
    assert "prefix 10.244.166.128/26, exported by node1" in out
    assert "best: the only path" in out
    assert "kernel: 10.244.166.128/26 via 192.168.31.202 dev ens33 proto bird" in out


def _routes_of(t, node):
    return {r.dst: r for r in t.routes(node)}


def test_ipip_always_uses_tunl0_onlink():
    c = synth.cluster(4, 3, pools=("10.10.0.0/16",), encapsulation="IPIP").allocate()
    t = routes.compute(c)
    line = next(r for r in t.routes("node-1") if r.via)
    assert line.dev == "tunl0" and line.onlink and line.proto == "bird"
    assert line.text().endswith("dev tunl0 proto bird onlink")


def test_ipip_cross_subnet_encapsulates_only_across_racks():
    c = synth.cluster(4, 3, pools=("10.10.0.0/16",), encapsulation="IPIPCrossSubnet", racks=2).allocate()
    t = routes.compute(c)
    me = c.nodes[0]
    for r in t.routes(0):
        if not r.via:
            continue
        same = ipaddress.ip_address(r.via) in me.ipv4.network
        assert (r.dev, r.onlink) == ((me.uplink, False) if same else ("tunl0", True)), r.text()


def test_vxlan_routes_come_from_felix():
    c = synth.cluster(3, 2, pools=("10.10.0.0/16",), encapsulation="VXLAN").allocate()
    t = routes.compute(c)
    rows = t.routes(0)
    assert all(r.proto != "bird" for r in rows)
    bh = [r for r in rows if r.type == "blackhole"]
    assert bh and all(r.proto == "80" for r in bh)
    remote = [r for r in rows if r.via]
    assert remote and all(r.dev == "vxlan.calico" and r.onlink and r.proto is None for r in remote)
    vteps = {str(n.ipv4_vxlan_tunnel_addr) for n in c.nodes[1:]}
    assert {r.via for r in remote} == vteps


def test_borrowed_ip_travels_as_a_host_route():
    # a /26 pool holds one block: the second node must borrow from the first
    c = synth.cluster(2, 3, pools=("10.10.0.0/26",)).allocate()
    borrowed = c.borrowed()
    assert borrowed, "the scenario must borrow"
    addr, node_idx, _ = borrowed[0]
    ip = str(ipaddress.IPv4Address(addr))
    t = routes.compute(c)
    owner = 1 - node_idx
    owner_routes = _routes_of(t, owner)
    assert owner_routes[ip].via == str(c.nodes[node_idx].ipv4.ip)          # /32 toward the borrower
    assert owner_routes[ip].proto == "bird"
    assert _routes_of(t, node_idx)[ip].dev.startswith("cali")              # local workload route
    assert t.lookup(owner, ip).via == str(c.nodes[node_idx].ipv4.ip)


@st.composite
def small_clusters(draw):
    n = draw(st.integers(2, 9))
    rr = draw(st.sampled_from([0, 0, 1, 2]))
    enc = draw(st.sampled_from(["None", "IPIP", "IPIPCrossSubnet", "VXLAN"]))
    racks = draw(st.integers(1, 3))
    pods = draw(st.integers(0, 5))
    pool = draw(st.sampled_from(["10.10.0.0/16", "10.10.0.0/25", "10.10.0.0/24"]))
    c = synth.cluster(n, pods, pools=(pool,), reflectors=min(rr, n - 1), racks=min(racks, n),
                      encapsulation=enc, seed=draw(st.integers(0, 3)))
    return c.allocate()


@settings(max_examples=40, deadline=None)
@given(small_clusters(), st.data())
def test_fast_pipeline_equals_reference(c, data):
    down = data.draw(st.lists(st.sampled_from(c.node_names), max_size=2, unique=True))
    fast = routes.compute(c, down=down)
    ref = routes.compute(c, down=down, method="reference")
    for node in c.node_names:
        assert fast.text(node, include_host=True) == ref.text(node, include_host=True)


def test_vxlan_borrowed_address_goes_to_the_borrowers_vtep():
    c = synth.cluster(2, 3, pools=("10.10.0.0/26",), encapsulation="VXLAN").allocate()
    borrowed = [(a, n) for a, n, _ in c.borrowed() if c.pods.ipv4.tolist().count(a)]
    assert borrowed, "the scenario must borrow a pod address"
    addr, node_idx = borrowed[0]
    owner = 1 - node_idx
    t = routes.compute(c)
    r = _routes_of(t, owner)[str(ipaddress.IPv4Address(addr))]
    assert (r.via, r.dev, r.onlink) == (str(c.nodes[node_idx].ipv4_vxlan_tunnel_addr), "vxlan.calico", True)
    assert t.lookup(owner, str(ipaddress.IPv4Address(addr))) == r


def test_parsed_ip_route_text_looks_up_as_the_tables_do():
    from fastroute.addr import parse_addresses
    from fastroute.iproute import load_ip_route
    t = routes.compute(examples.seed())
    addrs = ["10.244.166.130", "10.244.219.66", "10.244.219.70", "10.244.104.1", "192.168.31.203", "1.1.1.1"]
    for node in t.cluster.node_names:
        table = load_ip_route(t.text(node, include_host=True))
        for a in addrs:
            want = t.lookup(node, a)
            got = table.lookup(a)
            assert (got.raw if got else None) == (want.text() if want else None), (node, a)
        idx = table.lookup_batch(parse_addresses(addrs))
        assert [table.routes[i].raw if i >= 0 else None for i in idx] == [
            r.text() if r else None for r in (t.lookup(node, a) for a in addrs)]


def test_route_matrix_names_the_prefixes():
    c = examples.seed()
    t = routes.compute(c)
    prefixes, next_hop = m = t.route_matrix()
    assert m.prefixes is prefixes and m.next_hop is next_hop
    assert prefixes.tolist() == ["10.244.166.128/26", "10.244.219.64/26"]
    node2, node1 = c.node_index("node2"), c.node_index("node1")
    # node2 reaches node1's block through node1 (speaker = node index); node1 originates it
    assert next_hop[node2].tolist() == [node1, c.node_index("master")]
    assert next_hop[node1, 0] == -1
    index, nh = t.route_matrix_indices()           # the same matrix, prefixes as origin indices
    assert (nh == next_hop).all()
    assert [str(t.network.origins.prefix(int(i))) for i in index] == prefixes.tolist()


def test_route_matrix_prefixes_are_cidr_text_for_borrowed_addresses_and_ipv6():
    c = synth.cluster(2, 3, pools=("10.10.0.0/26",)).allocate()     # one block: node-1 borrows /32s
    t = routes.compute(c)
    prefixes, next_hop = t.route_matrix()
    assert any(p.endswith("/32") for p in prefixes) and next_hop.shape == (2, len(prefixes))
    for p, i in zip(prefixes, t.route_matrix_indices()[0]):
        assert ipaddress.ip_network(p) == t.network.origins.prefix(int(i))
    v6 = synth.cluster(2, 2, pools=("fd00:10::/112",)).allocate()
    prefixes, _ = routes.compute(v6, 6).route_matrix()
    assert prefixes.tolist() and all(ipaddress.ip_network(p).version == 6 for p in prefixes)


def test_lookup_takes_text_or_an_address_and_none_is_no_route():
    c = synth.cluster(20, 4, pools=("10.0.0.0/12",)).allocate()
    t = routes.compute(c)
    pod = c.pods[len(c.pods) - 1]
    r = t.lookup("node-0", pod.ipv4)
    assert r is not None and r == t.lookup("node-0", str(pod.ipv4))
    assert ipaddress.ip_address(pod.ipv4) in ipaddress.ip_network(r.dst)
    covered = [ipaddress.ip_network(x.dst) for x in t.routes("node-0", include_host=True)]
    outside = next(a for a in ipaddress.ip_network("10.0.0.0/20").hosts() if not any(a in n for n in covered))
    assert t.lookup("node-0", outside) is None          # a synthetic node has no default route


@pytest.mark.parametrize("metric", ["9" * 5000, "4294967296", "１２"])
def test_ip_route_metric_beyond_the_kernels_u32_is_refused_briefly(metric):
    from fastroute.errors import RouteTextError
    from fastroute.iproute import parse_ip_route

    with pytest.raises(RouteTextError, match=r"invalid metric .* at line 1: expected 0\.\.4294967295") as e:
        parse_ip_route(f"10.0.0.0/24 via 192.168.1.1 dev eth0 proto bird metric {metric}")
    assert len(str(e.value)) < 400
    assert parse_ip_route("10.0.0.0/24 dev eth0 metric 4294967295")[0].metric == 4294967295


# ---------------------------------------------------------------- v3.32 route priority

def test_v332_pod_and_bird_routes_carry_the_normal_route_priority():
    want = ["10.244.166.128/26 via 192.168.31.202 dev ens33 proto bird metric 1024",
            "10.244.219.64 dev cali83494b49003 scope link metric 1024",
            "blackhole 10.244.219.64/26 proto bird",
            "10.244.219.65 dev calia43cac5d3d1 scope link metric 1024",
            "10.244.219.66 dev calic88c1a5fc6d scope link metric 1024"]
    assert routes.compute(examples.seed(), calico_version="3.32").text("master").splitlines() == want
    before = routes.compute(examples.seed()).text("master").splitlines()
    assert before == [ln.replace(" metric 1024", "") for ln in want]


@pytest.mark.parametrize("release", ["3.20", "3.28.1", "3.28", "3.30.1", "3.30", "3.31"])
def test_releases_before_v332_print_no_metric(release):
    t = routes.compute(examples.seed(), calico_version=release)
    assert all(r.metric is None for n in ("master", "node1", "node2") for r in t.routes(n))


def test_v332_metrics_of_a_fabric_rack_and_router_routes():
    """AS per rack: a rack's blocks, reflected by its ToR over iBGP (next hop kept: a node),
    keep the normal priority; other racks' came over eBGP (next hop: the ToR), BIRD's default
    LOCAL_PREF (held to real BIRD in tests/interop/test_fabric.py)."""
    c = synth.fabric(12, 3, racks=2, spines=1).allocate()
    t = routes.compute(c, calico_version="3.32")
    node_ips = {str(n.ipv4.ip) for n in c.nodes}
    for node in c.node_names:
        bgp = [r for r in t.routes(node) if r.proto == "bird" and r.type != "blackhole"]
        assert {r.metric for r in bgp if r.via in node_ips} == {1024}
        assert {r.metric for r in bgp if r.via not in node_ips} == {2147483647 - 100}
        pods = [r for r in t.routes(node) if r.dev and r.dev.startswith("cali")]
        assert pods and {r.metric for r in pods} == {1024}


def test_v332_metrics_of_a_mesh_lay_down_no_session_rows():
    c = synth.cluster(160, 3, pools=("10.0.0.0/16",), reflectors=0).allocate()
    t = routes.compute(c, calico_version="3.32")
    bgp = [r for r in t.routes(c.node_names[5]) if r.proto == "bird" and r.type != "blackhole"]
    assert len(bgp) > 100 and {r.metric for r in bgp} == {1024}
    assert "_graph" not in t.network.__dict__           # the implied mesh stays implied
