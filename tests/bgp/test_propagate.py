"""Route propagation: the Cython kernel against the pure-Python reference, and
BGP behaviours checked on hand-made topologies."""

import ipaddress

import numpy as np
import pytest
from hypothesis import given, reject, settings, strategies as st

from fastroute.bgp import propagate as propagate_module
from fastroute.model import synth
from fastroute.bgp.propagate import (
    IGP_METRIC_UNKNOWN, Reason, Role, SessionGraph, Speakers, originations, propagate,
)


def speakers(n_nodes, n_ext=0, asn=None, subnets=None, rids=None):
    n = n_nodes + n_ext
    ips = [ipaddress.IPv4Address(f"192.168.{i // 200}.{i % 200 + 1}") for i in range(n)]
    nets = subnets or [ipaddress.IPv4Network("192.168.0.0/16")] * n
    asn = np.array(asn if asn is not None else [64512] * n, np.uint32)
    rid = np.array(rids if rids is not None else [int(a) for a in ips], np.uint32)
    ext = np.array([False] * n_nodes + [True] * n_ext)
    return Speakers(ips, asn, rid, nets, ext)


def both(rows, a, b, **kw):
    rows.append(dict(local=a, remote=b, **{k: v[0] if isinstance(v, tuple) else v for k, v in kw.items()}))
    rows.append(dict(local=b, remote=a, **{k: v[1] if isinstance(v, tuple) else v for k, v in kw.items()}))


def same(a, b):
    assert np.array_equal(a.best_next_hop, b.best_next_hop)
    assert np.array_equal(a.n_paths, b.n_paths)
    assert np.array_equal(a.reason, b.reason)
    assert np.array_equal(a.ecmp_count, b.ecmp_count)
    assert np.array_equal(a.best_session, b.best_session)


@st.composite
def graphs(draw):
    n_nodes = draw(st.integers(2, 9))
    n_ext = draw(st.integers(0, 2))
    n = n_nodes + n_ext
    asn = [draw(st.sampled_from([64512, 64512, 64512, 65001])) for _ in range(n_nodes)]
    asn += [draw(st.sampled_from([65100, 65200, 64512])) for _ in range(n_ext)]
    subnets = [ipaddress.IPv4Network(draw(st.sampled_from(["192.168.0.0/16", "192.168.0.0/24", "10.0.0.0/8"])))
               for _ in range(n)]
    rids = [draw(st.integers(1, 6)) for _ in range(n)] if draw(st.booleans()) else None
    sp = speakers(n_nodes, n_ext, asn, subnets, rids)
    routers = n_ext and draw(st.booleans())
    if routers:
        # external routers that pass routes on (modelled Routers), some sending nodes only their own
        role = np.array([Role.ROLE_NODE] * n_nodes
                        + [draw(st.sampled_from([Role.ROLE_ROUTER, Role.ROLE_ROUTER_OWN])) for _ in range(n_ext)],
                        np.uint8)
        sp = Speakers(sp.ip, sp.asn, sp.router_id, sp.subnet, sp.external, np.ones(n, bool), role)
    rows = []
    pairs = [(a, b) for a in range(n) for b in range(a + 1, n)]
    chosen = draw(st.lists(st.sampled_from(pairs), unique=True, max_size=len(pairs))) if pairs else []
    cids = [draw(st.sampled_from([0, 1, 2])) for _ in range(n)]
    for a, b in chosen:
        # a node's own `local as` toward an external speaker (BGPPeer localASNumber): none,
        # another AS, or the router's (iBGP).  Not between nodes: iBGP protocols of different
        # local ASes pass routes on unchanged (no reflection), and a cycle of them never settles
        # (pairs are a < b: speakers after the nodes are the external ones)
        own = (draw(st.sampled_from([0, 0, 65300, int(asn[b])])) if sp.external[b] and not sp.external[a] else 0, 0)
        e = bool((own[0] or asn[a]) != (own[1] or asn[b]))
        rr_a = (not e) and cids[a] > 0 and cids[a] != cids[b]
        rr_b = (not e) and cids[b] > 0 and cids[b] != cids[a]
        if draw(st.booleans()):
            rr_a, rr_b = draw(st.booleans()) and not e, draw(st.booleans()) and not e
        cid = lambda x, rr: (1000 + cids[x]) if rr else int(sp.router_id[x])
        both(rows, a, b, rr_client=(rr_a, rr_b), cluster_id=(cid(a, rr_a), cid(b, rr_b)), ebgp=e,
             keep_next_hop=(draw(st.booleans()), False), allow_local_as=(draw(st.sampled_from([0, 0, 1])), 0),
             add_paths=not (sp.external[a] or sp.external[b]), local_as=own,
             next_hop_self=(draw(st.booleans()), draw(st.booleans())))
    classes = sorted(draw(st.sets(st.integers(0, (n if routers else n_nodes) - 1), min_size=1)))
    origins = None
    if routers and n_ext > 1 and draw(st.booleans()):
        # one prefix every router announces: a class with several origins
        origins = {n: tuple(range(n_nodes, n))}
        classes.append(n)
    return sp, SessionGraph.build(rows), classes, origins


@settings(max_examples=150)
@given(graphs())
def test_fast_equals_reference_on_random_graphs(g):
    sp, graph, classes, origins = g
    ref = propagate(sp, graph, classes, method="reference", origins=origins)
    fast = propagate(sp, graph, classes, method="fast", origins=origins)
    same(ref, fast)


def test_full_mesh_learns_every_block_directly():
    sp = speakers(5)
    rows = []
    for a in range(5):
        for b in range(a + 1, 5):
            both(rows, a, b, cluster_id=(int(sp.router_id[a]), int(sp.router_id[b])))
    res = propagate(sp, SessionGraph.build(rows), [0, 3])
    assert res.best_next_hop[:, 0].tolist() == [-1, 0, 0, 0, 0]
    assert res.best_next_hop[:, 1].tolist() == [3, 3, 3, -1, 3]
    assert (res.n_paths == 1).all()


def rr_design(n_clients, rrs, cluster_ids):
    """Clients 0..n_clients-1, reflectors after them; RR-RR sessions between all RRs."""
    n = n_clients + len(rrs)
    sp = speakers(n)
    rows = []
    cid = dict(zip(rrs, cluster_ids))
    for r in rrs:
        for c in range(n_clients):
            both(rows, r, c, rr_client=(True, False), cluster_id=(cid[r], int(sp.router_id[c])))
    for i, r in enumerate(rrs):
        for q in rrs[i + 1:]:
            client = cid[r] != cid[q]
            both(rows, r, q, rr_client=(client, client),
                 cluster_id=(cid[r] if client else int(sp.router_id[r]), cid[q] if client else int(sp.router_id[q])))
    return sp, SessionGraph.build(rows)


def test_two_reflectors_same_cluster_id_each_client_hears_two_copies():
    sp, g = rr_design(4, [4, 5], [0xF4000001, 0xF4000001])
    for method in ("reference", "fast"):
        res = propagate(sp, g, [0], method=method)
        # clients hear the route once per reflector, next hop unchanged
        assert res.best_next_hop[1:4, 0].tolist() == [0, 0, 0]
        assert res.n_paths[1:4, 0].tolist() == [2, 2, 2]
        # same originator and cluster list: the lower peer address (the first RR) wins
        assert all(Reason(r) == Reason.PEER_ADDRESS for r in res.reason[1:4, 0])
        # each reflector stores its twin's reflection (a non-client session does
        # no CLUSTER_LIST check on receipt) but prefers the direct path, and
        # never passes the twin's copy to clients (own cluster id in CLUSTER_LIST)
        assert res.n_paths[4, 0] == 2 and res.n_paths[5, 0] == 2
        assert Reason(res.reason[4, 0]) == Reason.CLUSTER_LIST and res.best_next_hop[4, 0] == 0


def test_clients_split_across_reflectors_sharing_a_cluster_id_lose_routes():
    """Client 0 peers only with RR 4, client 1 only with RR 5; both RRs have
    cluster id X: RR 5 drops what RR 4 reflects, so client 1 never learns client 0's block."""
    sp = speakers(6)
    rows = []
    X = 0xF4000001
    both(rows, 4, 0, rr_client=(True, False), cluster_id=(X, int(sp.router_id[0])))
    both(rows, 5, 1, rr_client=(True, False), cluster_id=(X, int(sp.router_id[1])))
    both(rows, 4, 5, cluster_id=(int(sp.router_id[4]), int(sp.router_id[5])))
    g = SessionGraph.build(rows)
    for method in ("reference", "fast"):
        res = propagate(sp, g, [0, 1], method=method)
        assert res.best_next_hop[1, 0] == -2 and res.best_next_hop[0, 1] == -2
        # RR 5 holds the route (no CLUSTER_LIST check on a non-client session)
        # but may not reflect it to its client: its own cluster id is in the list
        assert res.best_next_hop[5, 0] == 0 and res.n_paths[5, 0] == 1
    # with distinct cluster ids the routes flow
    rows = []
    both(rows, 4, 0, rr_client=(True, False), cluster_id=(X, int(sp.router_id[0])))
    both(rows, 5, 1, rr_client=(True, False), cluster_id=(X + 1, int(sp.router_id[1])))
    both(rows, 4, 5, rr_client=(True, True), cluster_id=(X, X + 1))
    res = propagate(sp, SessionGraph.build(rows), [0, 1])
    assert res.best_next_hop[1, 0] == 0 and res.best_next_hop[0, 1] == 1


def test_external_router_announces_nothing_by_default():
    sp = speakers(2, 1, asn=[65001, 65002, 65100])
    rows = []
    both(rows, 0, 2, ebgp=True, add_paths=False)
    both(rows, 1, 2, ebgp=True, add_paths=False)
    for method in ("reference", "fast"):
        res = propagate(sp, SessionGraph.build(rows), [0], method=method)
        assert res.best_next_hop[2, 0] == 0          # the router learns node 0's routes
        assert res.best_next_hop[1, 0] == -2         # and passes nothing on


def test_ebgp_tor_prepends_as_and_sets_next_hop_self():
    # nodes 0,1 in AS 65001 and 65002 peer with external ToR 2 (AS 65100), which announces
    sp = speakers(2, 1, asn=[65001, 65002, 65100])
    sp = Speakers(sp.ip, sp.asn, sp.router_id, sp.subnet, sp.external, np.ones(3, bool))
    rows = []
    both(rows, 0, 2, ebgp=True, add_paths=False, cluster_id=(int(sp.router_id[0]), int(sp.router_id[2])))
    both(rows, 1, 2, ebgp=True, add_paths=False, cluster_id=(int(sp.router_id[1]), int(sp.router_id[2])))
    res = propagate(sp, SessionGraph.build(rows), [0], method="reference")
    assert res.best_next_hop[1, 0] == 2                # via the ToR
    assert res.paths[(1, 0)][0].as_path == (65100, 65001)
    same(res, propagate(sp, SessionGraph.build(rows), [0]))
    # the same AS on both nodes: node 1 drops the path (its own AS in AS_PATH) ...
    sp2 = speakers(2, 1, asn=[64512, 64512, 65100])
    sp2 = Speakers(sp2.ip, sp2.asn, sp2.router_id, sp2.subnet, sp2.external, np.ones(3, bool))
    res = propagate(sp2, SessionGraph.build(rows), [0])
    assert res.best_next_hop[1, 0] == -2
    # ... unless allow local as
    rows2 = [dict(r, allow_local_as=1) if r["local"] == 1 else r for r in rows]
    res = propagate(sp2, SessionGraph.build(rows2), [0])
    assert res.best_next_hop[1, 0] == 2


def test_on_subnet_next_hop_beats_off_subnet():
    nets = [ipaddress.IPv4Network("192.168.0.0/24")] * 4
    sp = speakers(4, subnets=nets)
    # node 3 at 192.168.0.4 is on subnet; give node 0 an address elsewhere
    sp.ip[0] = ipaddress.IPv4Address("10.1.0.1")
    assert sp.ip[0] not in nets[3]
    rows = []
    both(rows, 0, 3, cluster_id=(1, 4))
    res = propagate(sp, SessionGraph.build(rows), [0])
    assert res.best_next_hop[3, 0] == 0
    from fastroute.bgp.propagate import igp_metric
    assert igp_metric(sp, 3, 0) == IGP_METRIC_UNKNOWN and igp_metric(sp, 3, 1) == 0


def test_seed_originations():
    from fastroute.model import examples
    c = examples.seed()
    o = originations(c)
    got = {str(o.prefix(i)): int(o.origin[i]) for i in range(o.n)}
    assert got["10.244.219.64/26"] == 0 and got["10.244.166.128/26"] == 1
    # pod host routes inside their node's own block are not exported
    assert got["10.244.219.66/32"] == -1 and got["10.244.166.129/32"] == -1


def _originations_by_hand(cluster, version):
    """One pod at a time, straight from the definitions."""
    out = {}
    pools = [p for p in cluster.pools if p.version == version]

    def pool_of(a):
        for p in pools:
            if a in p.cidr:
                return p
        return None
    own = {}
    for b in cluster.blocks:
        if b.version != version:
            continue
        node = cluster.node_index(b.affinity) if b.affinity in cluster.node_names else -1
        own.setdefault(node, []).append(b.cidr)
        p = pool_of(b.cidr.network_address)
        out[str(b.cidr)] = node if (node >= 0 and p is not None and not p.disable_bgp_export) else -1
    for pod in cluster.pods:
        a = pod.ipv4 if version == 4 else pod.ipv6
        if a is None:
            continue
        node = cluster.node_index(pod.node)
        p = pool_of(a)
        inside = any(a in b for b in own.get(node, ()))
        out[f"{a}/{a.max_prefixlen}"] = node if (not inside and p is not None and not p.disable_bgp_export) else -1
    return out


@settings(max_examples=25, deadline=None)
@given(n=st.integers(1, 8), pods=st.integers(0, 40), seed=st.integers(0, 5),
       pool=st.sampled_from(["10.10.0.0/26", "10.10.0.0/25", "10.10.0.0/16"]))
def test_originations_match_the_definition(n, pods, seed, pool):
    from fastroute.model import synth
    from fastroute.errors import IPAMError
    try:
        c = synth.cluster(n, pods, pools=(pool, "fd00:10::/120"), seed=seed).allocate()
    except IPAMError:
        reject()    # the pool ran out

    for version in (4, 6):
        o = originations(c, version)
        got = {str(o.prefix(i)): int(o.origin[i]) for i in range(o.n)}
        assert got == _originations_by_hand(c, version)


def _reflector_loop(n_clients=3):
    """Two reflectors with different cluster ids, each the other's client, and
    clients of both: every route keeps circulating until a limit stops it."""
    rows = []
    for c in range(2, 2 + n_clients):
        for r in (0, 1):
            both(rows, r, c, rr_client=(True, False), cluster_id=(r + 1, c + 100))
    both(rows, 0, 1, rr_client=(True, True), cluster_id=(1, 2))
    return speakers(2 + n_clients), SessionGraph.build(rows)


@pytest.mark.parametrize("method", ["fast", "reference"])
def test_non_convergence_raises_convergence_error_on_both_paths(method):
    from fastroute.bgp.propagate import propagate_fast, propagate_reference
    from fastroute.errors import ConvergenceError

    sp, g = _reflector_loop()
    run = propagate_fast if method == "fast" else propagate_reference
    with pytest.raises(ConvergenceError, match="routes of node 2 did not converge within 3 updates") as e:
        run(sp, g, np.array([2], np.int32), max_events=3)
    assert e.value.n_events == 3


def test_missing_reverse_session_is_one_error_everywhere():
    from fastroute.bgp.network import reverse_rows
    from fastroute.bgp.propagate import propagate_fast, propagate_reference
    from fastroute.errors import InvalidValueError

    sp = speakers(3)
    g = SessionGraph.build([dict(local=0, remote=1), dict(local=1, remote=0), dict(local=1, remote=2)])
    message = "session 1->2 has no reverse direction"
    for call in (g.reverse, lambda: propagate_fast(sp, g, [0]), lambda: propagate_reference(sp, g, [0]),
                 lambda: reverse_rows(g.local, g.remote, np.zeros(g.n, np.uint8), sp.n)):
        with pytest.raises(InvalidValueError, match=message):
            call()


def test_kernel_status_codes_become_exceptions_in_one_place():
    from fastroute.bgp import _propagate
    from fastroute.bgp.propagate import _raise_for
    from fastroute.errors import ConvergenceError

    assert [s.name for s in _propagate.Status] == ["OK", "NO_MEMORY", "PATH_TOO_LONG", "EVENT_LIMIT"]
    assert _raise_for(_propagate.Status.OK, 0, 10) is None
    with pytest.raises(ConvergenceError, match=f"longer than {_propagate.MAX_PATH_LEN} AS numbers"):
        _raise_for(_propagate.Status.PATH_TOO_LONG, 4, 10)
    with pytest.raises(MemoryError):
        _raise_for(_propagate.Status.NO_MEMORY, 4, 10)


def test_router_announcements_reach_nodes_but_nodes_do_not_pass_them_on():
    """Router 3 (eBGP to node 0 only) originates a class: node 0 learns it, and its
    mesh peers do not (a Calico node's export filter passes only its pools' prefixes)."""
    sp = speakers(3, 1, asn=[64512, 64512, 64512, 65001])
    sp = Speakers(sp.ip, sp.asn, sp.router_id, sp.subnet, sp.external, np.ones(4, bool))
    rows = []
    for a in range(3):
        for b in range(a + 1, 3):
            both(rows, a, b)
    both(rows, 0, 3, ebgp=True, add_paths=False)
    for method in ("reference", "fast"):
        res = propagate(sp, SessionGraph.build(rows), [0, 3], method=method)
        assert res.best_next_hop[0, 1] == 3 and res.best_next_hop[3, 1] == -1
        assert res.best_next_hop[1, 1] == -2 and res.best_next_hop[2, 1] == -2
        assert res.best_next_hop[3, 0] == 0


def test_router_exporting_only_its_own_routes_to_nodes_still_passes_all_to_routers():
    """Router 2 (ROLE_ROUTER_OWN) hears node 0's class; it sends it to router 3 but
    not to node 1, which still gets router 2's own class."""
    sp = speakers(2, 2, asn=[65001, 65002, 65100, 65200])
    role = np.array([Role.ROLE_NODE, Role.ROLE_NODE, Role.ROLE_ROUTER_OWN, Role.ROLE_ROUTER], np.uint8)
    sp = Speakers(sp.ip, sp.asn, sp.router_id, sp.subnet, sp.external, np.ones(4, bool), role)
    rows = []
    both(rows, 0, 2, ebgp=True, add_paths=False)
    both(rows, 1, 2, ebgp=True, add_paths=False)
    both(rows, 2, 3, ebgp=True, add_paths=False)
    for method in ("reference", "fast"):
        res = propagate(sp, SessionGraph.build(rows), [0, 2], method=method)
        assert res.best_next_hop[3, 0] == 2 and res.best_next_hop[1, 0] == -2
        assert res.best_next_hop[1, 1] == 2


@settings(max_examples=100, deadline=None)
@given(st.integers(20, 32), st.sets(st.integers(0, 200), max_size=40), st.lists(st.integers(0, 2**32 - 1), max_size=40),
       st.integers(0, 2**12))
def test_aligned_lookup_finds_the_holding_block(plen, slots, keys, base):
    """The table lookup of originations (uniform blocks) against a scan of the blocks."""
    size = 1 << (32 - plen)
    b_key = np.array([((base + s) * size) % 2**32 for s in sorted(slots)], np.int64)
    b_key = np.unique(b_key)
    rng = np.random.default_rng(len(keys))
    near = [int(b) + int(rng.integers(0, size)) for b in b_key[: len(keys)]]
    key = np.array(keys + near, np.int64)
    got = propagate_module._aligned_lookup(b_key, np.full(len(b_key), plen, np.int64), key)
    if not len(b_key):
        assert got is None
        return
    want = [next((i for i, b in enumerate(b_key.tolist()) if b <= k < b + size), -1) for k in key.tolist()]
    assert got.tolist() == want


def test_originations_same_with_and_without_the_table(monkeypatch):
    c = synth.cluster(20, 9, pools=["10.0.0.0/24"], block_size=28).allocate()
    fast = originations(c, 4)
    monkeypatch.setattr(propagate_module, "_aligned_lookup", lambda *a: None)
    slow = originations(c, 4)
    assert fast.net == slow.net
    for f in ("plen", "origin", "owner", "kind", "pool", "pod", "block_owner"):
        assert np.array_equal(getattr(fast, f), getattr(slow, f)), f
    assert (fast.block_owner >= 0).any() and ((fast.kind == 1) & (fast.origin >= 0)).any()   # borrowed /32s
