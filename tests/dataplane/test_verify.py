"""fastroute.dataplane.verify and ``fastroute verify``: the vectorised checks against the
hop-by-hop walk of fastroute.testing, each finding on a hand-made cluster, the CLI."""

import copy
import dataclasses
import json
import math

import pytest
from hypothesis import given, settings

from fastroute.model import examples, synth
from fastroute.dataplane import routes, verify
from fastroute.testing import strategies as fs
from fastroute import testing
from fastroute.cli import main
from fastroute.errors import ConvergenceError
from fastroute.model.resources import BGPPeer
from fastroute.dataplane.routes import RouteTables


def kinds(report):
    return sorted({f.kind for f in report.findings})


@settings(max_examples=60)
@given(fs.scenarios(max_down=1, faults=fs.FAULTS + (None,)))
def test_vectorised_pairs_equal_the_hop_by_hop_walk(s):
    t = routes.compute(s.cluster, down=s.down)
    c = s.cluster
    index = {f"{c.pods.namespace[i]}/{c.pods.name[i]}": i for i in range(c.n_pods)}
    walked = {(index[a], index[b]) for a, b in testing.reachability(t)}
    assert set(verify.unreachable_pairs(t)) == walked
    report = verify.verify(c, down=s.down, tables=t)
    assert report.n_unreachable_pairs == len(walked)
    assert ("unreachable" in kinds(report)) == bool(walked)


def test_seed_is_clean_and_node_down_is_grouped_by_block(capsys):
    r = verify.verify(examples.seed())
    assert r.ok and r.n_pod_pairs == 30 and r.n_unreachable_pairs == 0
    r = verify.verify(examples.seed(), down=["node1"])
    (f,) = r.findings
    assert f.kind == "unreachable" and f.details["n_pod_pairs"] == 9
    assert f.message == ("9 pod pairs unreachable (no route) toward 10.244.166.128/26: "
                         "node1 is down: its routes were withdrawn")
    assert f.details["groups"][0]["example_source_node"] == "master"


def test_down_peers_are_not_a_design_problem():
    c = synth.cluster(2, 1, pools=("10.10.0.0/16",)).allocate()
    r = verify.verify(c, down=["node-1"])
    assert kinds(r) == ["unreachable"] and r.n_unreachable_pairs == 1


def test_clean_synthetic_designs():
    for kw in ({}, {"reflectors": 2}, {"encapsulation": "VXLAN"}, {"encapsulation": "IPIPCrossSubnet", "racks": 2}):
        c = synth.cluster(6, 3, pools=("10.10.0.0/16",), **kw).allocate()
        assert verify.verify(c).ok, (kw, verify.verify(c).text())


def test_per_rack_reflectors_need_a_cluster_id_per_rack():
    # synth gives each rack's reflectors their own cluster id: clean
    c = synth.cluster(6, 3, pools=("10.10.0.0/16",), reflectors=1, racks=2, reflector_placement="per-rack").allocate()
    assert sorted(n.rr_cluster_id for n in c.nodes if n.rr_cluster_id) == ["244.0.0.1", "244.0.0.2"]
    assert verify.verify(c).ok
    # one id shared by the racks' reflectors is the split-clients misconfiguration
    nodes = [dataclasses.replace(n, rr_cluster_id="244.0.0.1") if n.rr_cluster_id else n for n in c.nodes]
    shared = c.replace(nodes=nodes)
    r = verify.verify(shared)
    assert kinds(r) == ["shared-cluster-id", "unreachable"]
    # clients of rack 0 (6 pods) and of rack 1 (6 pods) miss each other; the reflectors reach everyone
    assert r.n_unreachable_pairs == 2 * 6 * 6 == len(testing.reachability(shared)) and r.n_pod_pairs == 18 * 17


def test_shared_cluster_id_with_split_clients():
    from hypothesis import find
    c = find(fs.clusters(min_nodes=4, encapsulations=("None",), faults=("split-reflectors",)),
             lambda c: len(set(c.pods.node_idx.tolist()) - {0, 1}) >= 2)
    r = verify.verify(c)
    shared = [f for f in r.findings if f.kind == "shared-cluster-id"]
    assert shared and shared[0].details["reflectors"] == ["node-0", "node-1"]
    assert "share cluster id 244.0.0.1 but do not serve the same clients" in shared[0].message
    unreachable = [f for f in r.findings if f.kind == "unreachable"]
    assert unreachable and all("see shared-cluster-id" in f.message for f in unreachable)


def test_reflector_without_clients_and_lonely_node():
    c = synth.cluster(3, 2, pools=("10.10.0.0/16",), reflectors=1).allocate()
    # the BGPPeer is gone: the reflector has no client, nobody has a session
    c = c.replace(bgp_peers=[])
    r = verify.verify(c)
    assert {"rr-without-clients", "mesh-disabled-without-peers", "no-sessions", "unreachable"} <= set(kinds(r))
    lonely = next(f for f in r.findings if f.kind == "no-sessions")
    assert lonely.details["nodes"] == ["node-0", "node-1", "node-2"]
    assert "the mesh is disabled" in lonely.message


def test_client_without_reflector():
    # node-2 peers only with an external router: it has a session, but no reflector serves it
    c = synth.cluster(3, 2, pools=("10.10.0.0/16",), reflectors=1).allocate()
    peers = [BGPPeer("to-rr", node_selector="rack == 'rack-0' && kubernetes.io/hostname != 'node-2'",
                     peer_selector="route-reflector == 'true'"),
             BGPPeer("tor", node="node-2", peer_ip="172.16.0.254", as_number=65001)]
    r = verify.verify(c.replace(bgp_peers=peers))
    (f,) = [f for f in r.findings if f.kind == "client-without-reflector"]
    assert f.details["nodes"] == ["node-2"]
    assert "no-sessions" not in kinds(r) and r.n_unreachable_pairs == 2 * 2 * 4


def test_disable_bgp_export_is_named_as_the_cause():
    c = synth.cluster(3, 2, pools=("10.10.0.0/16",)).allocate()
    c = c.replace(pools=[dataclasses.replace(p, disable_bgp_export=True) for p in c.pools])
    r = verify.verify(c)
    assert r.n_unreachable_pairs == 6 * 4
    assert all("pool pool-0 has disableBGPExport" in f.message for f in r.findings if f.kind == "unreachable")


def test_pool_exhaustion():
    # a /24 pool of /26 blocks has 4 blocks for 6 nodes
    c = synth.cluster(6, 1, pools=("10.10.0.0/24",)).allocate()
    r = verify.verify(c)
    (f,) = [f for f in r.findings if f.kind == "pool-exhaustion"]
    assert f.severity == "warning" and f.details == {"pool": "pool-0", "free_blocks": 0, "nodes_without_block": 2}
    assert r.n_unreachable_pairs == 0          # borrowed /32s are routed


def test_only_disabled_pools_is_an_error_not_ok(tmp_path, capsys):
    # two nodes and a disabled pool: nothing is checked, and no new pod can get an address
    c = synth.cluster(2, 0, pools=("10.10.0.0/16",))
    c = c.replace(pools=[dataclasses.replace(p, disabled=True) for p in c.pools]).allocate()
    (f,) = [f for f in verify.verify(c).findings if f.severity == "error"]
    assert f.kind == "no-enabled-pool" and "pool-0 (10.10.0.0/16)" in f.message
    f = tmp_path / "c.yaml"
    c.dump(f)
    assert main(["verify", str(f)]) == 1
    out = capsys.readouterr().out
    assert "ok:" not in out and "every IP pool is disabled" in out


def test_host_route_blackholing_a_pool():
    c = examples.seed()
    nodes = [dataclasses.replace(n, host_routes="blackhole 10.244.0.0/16\n") if n.name == "node2" else n
             for n in c.nodes]
    r = verify.verify(c.replace(nodes=nodes))
    (f,) = r.findings
    assert f.kind == "blackhole" and f.message == ("node node2: host route `blackhole 10.244.0.0/16` drops "
                                                    "traffic to pool 10.244.0.0/16")


def test_loops():
    c = synth.cluster(3, 2, pools=("10.10.0.0/16",)).allocate()
    t = routes.compute(c)
    prop = copy.deepcopy(t.propagation)
    k = prop.class_of(0)
    prop.best_next_hop[1, k], prop.best_next_hop[2, k] = 2, 1
    r = verify.verify(c, tables=RouteTables(t.network, prop))
    loops = [f for f in r.findings if f.kind == "loop"]
    assert loops and r.n_loop_pairs == 2 * 2 * 2
    assert "forwarding loop through node-" in loops[0].message


def test_cli(capsys, tmp_path):
    assert main(["verify"]) == 0
    assert capsys.readouterr().out.endswith("ok: every pod reaches every other pod; no loops, blackholes or "
                                            "design problems found\n")
    assert main(["verify", "--down", "node1", "--json"]) == 1
    out = json.loads(capsys.readouterr().out)
    assert out["ok"] is False and out["n_unreachable_pairs"] == 9 and out["findings"][0]["kind"] == "unreachable"
    assert main(["verify", "--down", "ghost"]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and "fastroute: error: unknown node 'ghost'" in cap.err
    bad = tmp_path / "c.yaml"
    bad.write_text("apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p}\nspec: {cidr: 10.0.0.0/33}\n")
    assert main(["verify", str(bad)]) == 2
    cap = capsys.readouterr()
    assert cap.out == "" and "'10.0.0.0/33'" in cap.err


@settings(max_examples=25)
@given(fs.scenarios(max_down=1, dual_stack=True, faults=("no-export", "split-reflectors", None)))
def test_ipv6_vectorised_pairs_equal_the_hop_by_hop_walk(s):
    t = routes.compute(s.cluster, 6, down=s.down)
    c = s.cluster
    assert all(a is not None for a in c.pods.ipv6)
    index = {f"{c.pods.namespace[i]}/{c.pods.name[i]}": i for i in range(c.n_pods)}
    walked = {(index[a], index[b]) for a, b in testing.reachability(t)}
    assert set(verify.unreachable_pairs(t)) == walked
    assert verify.verify(c, 6, down=s.down, tables=t).n_unreachable_pairs == len(walked)


def test_reflectors_that_are_each_others_clients_copy_routes_along_chains():
    # per-rack reflectors with their own cluster ids, fully meshed: every chain of
    # reflectors carries a copy of each route (checked on real BIRD in
    # tests/interop/test_path_sets.py); 8 racks: 7 + 7*6 + ... + 7! = 13,699 copies
    c = synth.cluster(24, 3, pools=("10.10.0.0/16",), reflectors=1, racks=8, reflector_placement="per-rack").allocate()
    r = verify.verify(c)
    (f,) = [f for f in r.findings if f.kind == "reflector-chains"]
    assert f.severity == "warning" and [g.kind for g in r.findings] == ["reflector-chains"]
    assert f.details["copies_per_route"] == sum(math.perm(7, j) for j in range(1, 8)) == 13_699
    assert len(f.details["reflectors"]) == 8 and "13,699 copies of each route" in f.message
    # the path universe agrees: a class reaches each other reflector along every chain
    from fastroute.sim import converge
    d = converge.design(c)
    u = converge.universe(d)
    rr = {i for i, n in enumerate(c.nodes) if n.rr_cluster_id}
    origin_class = 0
    at_reflectors = sum(1 for h, k, row in zip(u.holder, u.cls, u.row) if k == origin_class and h in rr and row >= 0)
    assert at_reflectors == 13_699
    # six racks stay under the warning threshold (325 copies)
    c6 = synth.cluster(18, 3, pools=("10.10.0.0/16",), reflectors=1, racks=6, reflector_placement="per-rack").allocate()
    assert not [f for f in verify.verify(c6).findings if f.kind == "reflector-chains"]


def test_reflector_chains_too_long_for_the_tables_are_named():
    # 9 racks: routes pass chains of up to 9 reflectors, past what the route
    # computation follows (CLUSTER_LISTs of 8); its error says why
    c = synth.cluster(18, 3, pools=("10.10.0.0/16",), reflectors=1, racks=9, reflector_placement="per-rack").allocate()
    with pytest.raises(ConvergenceError, match="9 route reflectors treat each other as clients.* 109,600 copies"):
        verify.verify(c)
