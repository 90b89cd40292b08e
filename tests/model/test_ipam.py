"""Tests for fastroute.model.ipam: Calico's IPAM, request by request and on the fast path."""

import ipaddress

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastroute.model import blockwalk, examples, gorand, ipam
from fastroute.model.cluster import Cluster, from_records
from fastroute.errors import IPAMError
from fastroute.model.resources import IPAMConfig, IPPool, Node, PodRecord

net = ipaddress.ip_network
ip = ipaddress.ip_address


def pool(cidr, block_size=None, name=None, **kw):
    n = net(cidr)
    bs = block_size or (26 if n.version == 4 else 122)
    return IPPool(name or f"p-{cidr}".replace("/", "-").replace(":", "."), n, bs, **kw)


def make(node_names, pools, pods=(), labels=None, **cfg):
    nodes = [Node(name=n, ipv4=ipaddress.ip_interface(f"192.168.0.{i + 1}/24"), labels=(labels or {}).get(n, {}))
             for i, n in enumerate(node_names)]
    recs = [PodRecord(p[0], p[1], p[2], tuple(ip(a) for a in p[3:])) for p in pods]
    return from_records(nodes, pools, recs, ipam_config=IPAMConfig(**cfg) if cfg else None)


def pods_on(node, n, ns="default", start=0):
    return [(ns, f"{node}-{k}", node) for k in range(start, start + n)]


def block_strs(c):
    return [(str(b.cidr), b.affinity) for b in c.blocks]


@pytest.mark.parametrize("method", ["reference", "fast"])
def test_seed_cluster_matches_the_capture(method):
    c = ipam.allocate(examples.seed_plan(), method)
    assert block_strs(c) == [("10.244.166.128/26", "node1"), ("10.244.219.64/26", "master")]
    got = {(p.namespace, p.name): (str(p.ipv4), p.interface_name) for p in c.pods}
    assert got[("default", "echo-deployment-598f49cc44-td2lf")] == ("10.244.219.66", "calic88c1a5fc6d")
    assert got[("default", "echo-deployment-598f49cc44-7r7kv")][0] == "10.244.166.129"
    assert got[("default", "echo-deployment-598f49cc44-wsw2d")][0] == "10.244.166.130"
    assert got[("kube-system", "coredns-74ff55c5b-7vkbm")] == ("10.244.219.64", "cali83494b49003")
    assert got[("kube-system", "coredns-74ff55c5b-v7bjv")] == ("10.244.219.65", "calia43cac5d3d1")
    assert all(n.ipv4_ipip_tunnel_addr is None for n in c.nodes)  # encapsulation None: no tunnel


@pytest.mark.parametrize(
    "host, first",
    [("node-1", "192.168.84.128/26"), ("node-2", "192.168.247.0/26"), ("node-3", "192.168.139.64/26"),
     ("worker-1", "192.168.226.64/26"), ("master", "192.168.219.64/26"), ("kind-control-plane", "192.168.82.0/26"),
     ("kind-worker", "192.168.162.128/26"), ("kind-worker2", "192.168.110.128/26"), ("kind-worker3", "192.168.195.192/26"),
     ("kind-worker4", "192.168.218.192/26")],
)
def test_first_block_of_published_vectors(host, first):
    c = ipam.allocate(make([host], [pool("192.168.0.0/16")], pods_on(host, 1)), "reference")
    assert block_strs(c) == [(first, host)]
    assert str(c.pods[0].ipv4) == first.split("/")[0]


def test_later_blocks_continue_from_the_start_index():
    c = ipam.allocate(make(["node-1"], [pool("192.168.0.0/16")], pods_on("node-1", 129)), "reference")
    assert [s for s, _ in block_strs(c)] == ["192.168.84.128/26", "192.168.84.192/26", "192.168.85.0/26"]
    assert str(c.pods[128].ipv4) == "192.168.85.0"


def _hosts_with_start(n_blocks, want, count, prefix="h"):
    out, i = [], 0
    while len(out) < count:
        name = f"{prefix}{i}"
        if gorand.start_index(name, n_blocks) == want:
            out.append(name)
        i += 1
    return out


def test_walk_skips_claimed_blocks_and_wraps_around():
    hosts = _hosts_with_start(4, 3, 3)  # all three start at the last block of a 4-block pool
    c = ipam.allocate(make(hosts, [pool("10.0.0.0/24")], [p for h in hosts for p in pods_on(h, 1)]), "reference")
    got = {aff: s for s, aff in block_strs(c)}
    assert got == {hosts[0]: "10.0.0.192/26", hosts[1]: "10.0.0.0/26", hosts[2]: "10.0.0.64/26"}


def test_ipip_tunnel_takes_ordinal_zero():
    c = ipam.allocate(make(["master"], [pool("192.168.0.0/16", ipip_mode="Always")], pods_on("master", 2)), "reference")
    assert str(c.nodes[0].ipv4_ipip_tunnel_addr) == "192.168.219.64"
    assert [str(p.ipv4) for p in c.pods] == ["192.168.219.65", "192.168.219.66"]
    b = c.blocks[0]
    handle, attrs = c.owner_attributes(b.owner[0])
    assert handle == "ipip-tunnel-addr-master" and attrs == {"node": "master", "type": "ipipTunnelAddress"}
    assert b.attr_owners == [b.owner[0], 0, 1]


def test_vxlan_v4_and_v6_tunnels_and_dual_stack_pods():
    pools = [pool("10.244.0.0/16", vxlan_mode="Always", name="a"), pool("fd00:10:244::/64", vxlan_mode="Always", name="b")]
    c = ipam.allocate(make(["node-1"], pools, pods_on("node-1", 1)), "reference")
    n = c.nodes[0]
    assert str(n.ipv4_vxlan_tunnel_addr) == "10.244.84.128"
    assert str(n.ipv6_vxlan_tunnel_addr) == "fd00:10:244:0:94fa:7820:5b81:7500"
    p = c.pods[0]
    assert str(p.ipv4) == "10.244.84.129" and str(p.ipv6) == "fd00:10:244:0:94fa:7820:5b81:7501"
    f = ipam.allocate(make(["node-1"], pools, pods_on("node-1", 1)), "fast")
    assert f.blocks == c.blocks and f.nodes == c.nodes and f.pods.ipv6 == c.pods.ipv6


def test_cross_subnet_modes_also_get_tunnels():
    c = ipam.allocate(make(["master"], [pool("192.168.0.0/16", ipip_mode="CrossSubnet")]), "reference")
    assert str(c.nodes[0].ipv4_ipip_tunnel_addr) == "192.168.219.64"


def test_free_list_is_fifo_after_fresh_ordinals():
    c = ipam.allocate(make(["master"], [pool("192.168.0.0/16", ipip_mode="Always")], pods_on("master", 3)), "reference")
    state = ipam.IPAMState(c)
    assert state.release(4, int(ip("192.168.219.66")))
    assert not state.release(4, int(ip("192.168.219.66")))  # already free
    nxt = state.auto_assign(0, 4, state.extra_owner("h", {"node": "master"}))
    assert str(ip(nxt)) == "192.168.219.68"  # .66 waits at the tail of the free list
    block = state.blocks[(4, int(ip("192.168.219.64")))]
    assert list(block.unallocated)[-1] == 2


def test_release_empty_affine_block_keeps_affinity_but_affinityless_block_goes():
    c = ipam.allocate(make(["master"], [pool("192.168.0.0/16")], pods_on("master", 1)), "reference")
    state = ipam.IPAMState(c)
    state.release(4, int(c.pods.ipv4[0]))
    assert len(state.blocks) == 1 and next(iter(state.blocks.values())).affinity == "master"
    b = next(iter(state.blocks.values()))
    b.affinity = None
    state.assign_ip(0, 4, b.net + 5, 0)
    state.release(4, b.net + 5)
    assert state.blocks == {}


def _borrow_setup():
    # A 2-block pool and three nodes: the third node must borrow.
    hosts = ["a", "b", "c"]
    return make(hosts, [pool("10.0.0.0/26", 27)], [p for h in hosts for p in pods_on(h, 1)])


def test_borrowing_when_no_block_is_left():
    c = ipam.allocate(_borrow_setup(), "reference")
    assert len(c.blocks) == 2
    borrowed = c.borrowed()
    assert len(borrowed) == 1
    addr, node_idx, bi = borrowed[0]
    assert c.node_names[node_idx] == "c"
    # c walks from its own hashed start: the first existing block with room.
    start = gorand.start_index("c", 2)
    expected_block = ipaddress.ip_network((int(ip("10.0.0.0")) + 32 * start, 27))
    assert c.blocks[bi].cidr == expected_block
    assert addr == int(expected_block.network_address) + 1  # ordinal 0 is the owner's pod
    assert ipam.allocate(_borrow_setup(), "auto").blocks == c.blocks  # fast path falls back


def test_strict_affinity_forbids_borrowing():
    with pytest.raises(IPAMError, match=r"pod default/c-0 on node 'c': failed to request IPv4 addresses: Assigned 0 out of 1 requested IPv4 addresses; No more free affine blocks and strict affinity enabled"):
        ipam.allocate(make(["a", "b", "c"], [pool("10.0.0.0/26", 27)], [p for h in "abc" for p in pods_on(h, 1)], strict_affinity=True))


def test_exhausted_pool_message():
    with pytest.raises(IPAMError, match=r"No IPs available in pools: \[10\.0\.0\.0/30\]"):
        ipam.allocate(make(["a"], [pool("10.0.0.0/30", 30)], pods_on("a", 5)))


def test_block_limit_is_an_error_not_borrowing():
    c = make(["a"], [pool("10.0.0.0/24", 28)], pods_on("a", 33), strict_affinity=True, max_blocks_per_host=2)
    with pytest.raises(IPAMError, match=r"cannot allocate new block due to per host block limit .*limit of 2 blocks reached"):
        ipam.allocate(c)


def test_default_limit_is_20_blocks():
    c = make(["a"], [pool("10.0.0.0/16", 30)], pods_on("a", 81))
    with pytest.raises(IPAMError, match="limit of 20 blocks"):
        ipam.allocate(c, "reference")
    with pytest.raises(IPAMError, match="limit of 20 blocks"):
        ipam.allocate(c, "auto")
    assert len(ipam.allocate(make(["a"], [pool("10.0.0.0/16", 30)], pods_on("a", 80))).blocks) == 20


def test_node_selector_and_no_pool_message():
    pools = [pool("10.1.0.0/16", name="a", node_selector="zone == 'east'"), pool("10.2.0.0/16", name="b", node_selector="zone == 'west'")]
    c = ipam.allocate(make(["e", "w"], pools, pods_on("e", 1) + pods_on("w", 1), labels={"e": {"zone": "east"}, "w": {"zone": "west"}}))
    assert c.pods[0].ipv4 in net("10.1.0.0/16") and c.pods[1].ipv4 in net("10.2.0.0/16")
    with pytest.raises(IPAMError, match="no configured Calico pools for node x"):
        ipam.allocate(make(["x"], pools, pods_on("x", 1)))


def test_pool_order_is_name_order_and_disabled_pools_are_skipped():
    pools = [pool("10.2.0.0/16", name="b"), pool("10.1.0.0/16", name="a", disabled=True), pool("10.3.0.0/16", name="c")]
    c = ipam.allocate(make(["n"], pools, pods_on("n", 1)))
    assert c.pods[0].ipv4 in net("10.2.0.0/16")
    assert [p.name for p in c.pools] == ["a", "b", "c"]


def test_allowed_uses_split_tunnel_and_workload_pools():
    pools = [pool("10.1.0.0/16", name="a-tunnels", ipip_mode="Always", allowed_uses=("Tunnel",)),
             pool("10.2.0.0/16", name="b-pods", allowed_uses=("Workload",))]
    c = ipam.allocate(make(["n"], pools, pods_on("n", 2)), "reference")
    assert c.nodes[0].ipv4_ipip_tunnel_addr in net("10.1.0.0/16")
    assert all(p.ipv4 in net("10.2.0.0/16") for p in c.pods)
    assert ipam.allocate(make(["n"], pools, pods_on("n", 2)), "fast").blocks == c.blocks
    with pytest.raises(IPAMError, match=r"no pools match the required use \(Workload\)"):
        ipam.allocate(make(["n"], pools[:1], pods_on("n", 1)))


def test_specific_addresses_claim_their_block_for_the_node():
    c = ipam.allocate(make(["a"], [pool("10.0.0.0/16")], [("default", "x", "a", "10.0.7.9")] + pods_on("a", 1)))
    assert block_strs(c) == [("10.0.7.0/26", "a")]
    assert [str(p.ipv4) for p in c.pods] == ["10.0.7.9", "10.0.7.0"]


def test_specific_address_conflicts_and_strays():
    with pytest.raises(IPAMError, match=r"pod default/y on node 'a': 10.0.7.9: Address already assigned in block"):
        ipam.allocate(make(["a"], [pool("10.0.0.0/16")], [("default", "x", "a", "10.0.7.9"), ("default", "y", "a", "10.0.7.9")]))
    with pytest.raises(IPAMError, match=r"10.9.0.1: The provided IP address is not in a configured pool"):
        ipam.allocate(make(["a"], [pool("10.0.0.0/16")], [("default", "x", "a", "10.9.0.1")]))


def test_snapshot_round_trip_then_growth():
    from fastroute.model import resources

    c = examples.seed()
    again = Cluster.from_resources(resources.loads(c.dump()))
    assert again.blocks == c.blocks and list(again.pods) == list(c.pods)
    assert again.allocate().blocks == c.blocks
    # A new pod on master gets the next fresh ordinal of master's block.
    grown = again.replace()
    from fastroute.model.cluster import Pods

    p = again.pods
    grown.pods = Pods(p.namespace + ["default"], p.name + ["new"], list(p.node_idx) + [0], again.node_names,
                      list(p.ipv4) + [-1], p.ipv6 + [None], p.iface + [None])
    out = grown.allocate()
    assert str(out.pods[6].ipv4) == "10.244.219.67"


def test_fast_method_refuses_what_it_cannot_do():
    with pytest.raises(ValueError, match="fast IPAM path does not apply"):
        ipam.allocate(_borrow_setup(), "fast")
    with pytest.raises(ValueError, match="invalid IPAM method 'quick'"):
        ipam.allocate(_borrow_setup(), "quick")


# ---------------------------------------------------------------------------------------
# Properties


@st.composite
def plans(draw):
    n_nodes = draw(st.integers(1, 6))
    names = draw(st.lists(st.text("abcdefgh-0123", min_size=1, max_size=8), min_size=n_nodes, max_size=n_nodes, unique=True))
    bs = draw(st.integers(27, 30))
    pool_len = draw(st.integers(24, bs))
    pools = [pool(f"10.0.0.0/{pool_len}", bs, name="a", ipip_mode=draw(st.sampled_from(["Never", "Always"])))]
    if draw(st.booleans()):
        pools.append(pool(f"10.1.0.0/{pool_len}", bs, name="b", node_selector=draw(st.sampled_from(["all()", "zone == 'x'"]))))
    labels = {n: ({"zone": "x"} if draw(st.booleans()) else {}) for n in names}
    counts = draw(st.lists(st.integers(0, 12), min_size=n_nodes, max_size=n_nodes))
    pods = [p for n, k in zip(names, counts) for p in pods_on(n, k)]
    order = draw(st.permutations(list(range(len(pods)))))
    pods = [pods[i] for i in order]
    strict = draw(st.booleans())
    return make(names, pools, pods, labels=labels, strict_affinity=strict)


def _check_invariants(c):
    seen = set()
    spans = []
    for b in c.blocks:
        pools = [p for p in c.pools if p.cidr.version == b.version and b.cidr.subnet_of(p.cidr)]
        assert pools and b.cidr.prefixlen == pools[0].block_size  # inside a pool, right size
        spans.append((b.net, b.net + b.size))
        assert b.affinity in c.node_names  # affinity names a node
        assert sorted(list(b.unallocated) + [o for o, w in enumerate(b.owner) if w != -1]) == list(range(b.size))
        for o, w in enumerate(b.owner):
            if w != -1:
                assert (b.net + o) not in seen  # never handed out twice
                seen.add(b.net + o)
                assert w in b.attr_owners
    spans.sort()
    assert all(e1 <= s2 for (_, e1), (s2, _) in zip(spans, spans[1:]))  # blocks disjoint
    for i, p in enumerate(c.pods):
        assert p.ipv4 is not None and int(p.ipv4) in seen
        blk = next(b for b in c.blocks if p.ipv4 in b.cidr)
        assert blk.owner[int(p.ipv4) - blk.net] == i
    for n in c.nodes:
        if n.ipv4_ipip_tunnel_addr is not None:
            assert int(n.ipv4_ipip_tunnel_addr) in seen
    borrowed = c.borrowed()
    if borrowed:
        assert not c.ipam_config.strict_affinity
        for addr, node_idx, bi in borrowed:
            # Borrowing only when no candidate pool of the request had an unclaimed block.
            owner = c.blocks[bi].owner[addr - c.blocks[bi].net]
            tunnel = owner < 0 and c.owner_attributes(owner)[1].get("type") == "ipipTunnelAddress"
            labels = c.nodes[node_idx].labels
            for p in c.pools:
                if p.selector.matches(labels) and (not tunnel or p.ipip_mode != "Never"):
                    claimed = sum(1 for b in c.blocks if b.cidr.subnet_of(p.cidr))
                    assert claimed == p.n_blocks


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_allocation_invariants_and_fast_path_agreement(plan):
    try:
        ref = ipam.allocate(plan, "reference")
    except IPAMError:
        ref = None
    try:
        fast = ipam.allocate(plan, "fast")
    except ValueError:
        fast = None  # not a case the fast path takes
    except IPAMError:
        fast = "error"
    if ref is None:
        assert fast in (None, "error")
        return
    _check_invariants(ref)
    if fast is not None:
        assert fast != "error"
        assert fast.blocks == ref.blocks
        assert np.array_equal(fast.pods.ipv4, ref.pods.ipv4)
        assert fast.nodes == ref.nodes and fast.extra_owners == ref.extra_owners


@settings(max_examples=60, deadline=None)
@given(plans(), st.data())
def test_release_then_reallocate_keeps_invariants(plan, data):
    try:
        c = ipam.allocate(plan, "reference")
    except IPAMError:
        return
    if c.n_pods == 0:
        return
    state = ipam.IPAMState(c)
    victims = data.draw(st.lists(st.integers(0, c.n_pods - 1), unique=True, max_size=c.n_pods))
    for v in victims:
        assert state.release(4, int(c.pods.ipv4[v]))
        state.pods.ipv4[v] = -1
    for v in victims:
        try:
            state.pods.ipv4[v] = state.auto_assign(int(state.pods.node_idx[v]), 4, v)
        except IPAMError:
            return
    _check_invariants(state.to_cluster())


def test_release_pods_then_new_pod_waits_for_fresh_ordinals():
    c = ipam.allocate(make(["master"], [pool("192.168.0.0/16")], pods_on("master", 3)))
    after = ipam.release_pods(c, [("default", "master-1")])
    assert after.n_pods == 2 and [p.name for p in after.pods] == ["master-0", "master-2"]
    b = after.blocks[0]
    assert b.owner[:3] == [0, -1, 1] and list(b.unallocated)[-1] == 1 and b.attr_owners == [0, 1]
    with pytest.raises(KeyError):
        ipam.release_pods(c, [("default", "nope")])


def test_release_all_pods_keeps_the_affine_block():
    c = ipam.allocate(make(["master"], [pool("192.168.0.0/16")], pods_on("master", 2)))
    empty = ipam.release_pods(c, [("default", "master-0"), ("default", "master-1")])
    assert block_strs(empty) == [("192.168.219.64/26", "master")] and empty.blocks[0].is_empty()


def test_gc_empty_blocks_rules_by_version():
    c = ipam.allocate(make(["a"], [pool("10.0.0.0/24", 30)], pods_on("a", 6)), "reference")
    assert len(c.blocks) == 2  # 4 + 2 addresses used
    # Empty the first block; the second has 2 free addresses.
    first = [p.name for p in c.pods][:4]
    c2 = ipam.release_pods(c, [("default", n) for n in first])
    st = ipam.IPAMState(c2)
    assert st.gc_empty_blocks("3.27") == []  # needs >= 3 free addresses elsewhere
    st = ipam.IPAMState(c2)
    released = st.gc_empty_blocks("3.28")
    assert released == [str(c.blocks[[b.n_used for b in c.blocks].index(4)].cidr)]
    # The node's last block is never collected, even when empty.
    c3 = ipam.release_pods(c2, [("default", "a-4"), ("default", "a-5")])
    st = ipam.IPAMState(c3)
    assert len(st.gc_empty_blocks("3.28")) == 1 and len(st.blocks) == 1


@pytest.mark.parametrize("method", ["reference", "fast"])
def test_manual_pools_serve_no_automatic_request(method):
    # libcalico-go lib/ipam/ipam.go getPoolsForHost: without requested pools, a pool whose
    # assignmentMode is not Automatic is skipped (it comes first in name order here)
    pools = [pool("10.1.0.0/16", name="a", assignment_mode="Manual"), pool("10.2.0.0/16", name="b")]
    c = ipam.allocate(make(["n"], pools, pods_on("n", 3)), method=method)
    assert all(p.ipv4 in net("10.2.0.0/16") for p in c.pods)
    assert all(not net(b[0]).subnet_of(net("10.1.0.0/16")) for b in block_strs(c))
    with pytest.raises(IPAMError, match="no configured Calico pools for node n"):
        ipam.allocate(make(["n"], pools[:1], pods_on("n", 1)))


def test_a_pool_namespace_selector_is_listed_as_not_modelled():
    from fastroute.model import reader

    text = ("apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p}\nspec:\n  cidr: 10.1.0.0/16\n"
            "  allowedUses: [Workload]\n  namespaceSelector: team == 'a'\n")
    res = reader.loads(text, "pools.yaml")
    assert res.not_modelled == {"IPPool spec.namespaceSelector": 1}
    assert reader.loads(text.replace("  namespaceSelector: team == 'a'\n", ""), "p.yaml").not_modelled == {}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(plans())
def test_block_walk_over_the_array_and_over_the_dict_agree(plan):
    """The kernel's walk (pools of up to ``ARRAY_WALK_MAX`` blocks) and the dict walk (bigger pools)
    claim the same blocks in the same order."""
    try:
        kernel = ipam.allocate(plan, "fast")
    except (ValueError, IPAMError) as e:
        kernel = type(e)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(blockwalk, "ARRAY_WALK_MAX", 0)
        try:
            walked = ipam.allocate(plan, "fast")
        except (ValueError, IPAMError) as e:
            walked = type(e)
    if isinstance(kernel, type):
        assert walked is kernel
        return
    assert walked.blocks == kernel.blocks
    assert np.array_equal(walked.pods.ipv4, kernel.pods.ipv4) and walked.nodes == kernel.nodes


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 40), st.lists(st.integers(0, 10**6), max_size=60))
def test_claim_kernel_matches_the_dict_walk(n_blocks, starts):
    """``_ipam.claim_one`` against ``BlockWalk.find_free``: the first unclaimed block from a start
    index, cyclic, -1/None when the pool is full."""
    from fastroute.model import _ipam

    walk = blockwalk.BlockWalk([], [n_blocks])
    walk.offset[:] = -1     # the dict walk
    parent = np.full(n_blocks, -1, np.int32)
    offset, sizes, count = np.zeros(1, np.int64), np.array([n_blocks], np.int64), np.zeros(1, np.int64)
    claimed = set()
    for s in starts:
        s %= n_blocks
        idx = _ipam.claim_one(parent, offset, sizes, count, 0, s)
        want = None if len(walk.claimed.get(0, ())) >= n_blocks else walk.find_free(0, s)
        if want is None:
            assert idx == -1 and len(claimed) == n_blocks
            continue
        walk.claimed[0][want] = want + 1
        assert idx == want == next(b % n_blocks for b in range(s, s + n_blocks) if b % n_blocks not in claimed)
        claimed.add(idx)
    assert int(count[0]) == len(claimed)


def test_fresh_blocks_answer_without_their_lists_as_with_them():
    """IPAM's new blocks keep their per-ordinal lists unmade until read: counts, the allocated head and
    borrowed() agree before and after they are made."""
    pools = [pool("10.0.0.0/26", 30, name="a", ipip_mode="Always")]
    c = ipam.allocate(make(["a", "b", "c"], pools, pods_on("a", 5) + pods_on("b", 9) + pods_on("c", 2)), "fast")
    before = [(b.n_used, b.n_free, b.is_empty(), list(b.allocated_head())) for b in c.blocks]
    borrowed = c.borrowed()
    copies = [b.copy() for b in c.blocks]
    assert all(b._fresh is not None for b in list(c.blocks) + copies)
    for b in c.blocks:
        b.owner   # makes the lists
    after = [(b.n_used, b.n_free, b.is_empty(), list(b.allocated_head())[: b.n_used]) for b in c.blocks]
    assert before == after and c.borrowed() == borrowed
    assert copies == list(c.blocks)
    assert all(list(b.owner[: b.n_used]) == list(b.attr_owners) for b in c.blocks)
