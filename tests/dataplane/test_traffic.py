"""fastroute.dataplane.traffic: batch flow mapping checked flow by flow against fastroute.dataplane.trace."""

import json

import numpy as np
import pytest

from fastroute.model import examples, synth
from fastroute.dataplane import routes, trace, traffic
from fastroute.addr import format_addresses, parse_addresses
from fastroute.cli import main
from fastroute.errors import InvalidAddressError, InvalidArrayError, InvalidValueError


def _clusters():
    yield "seed", examples.seed()
    yield "ipip-cross", synth.cluster(6, 3, pools=["10.244.0.0/16"], encapsulation="IPIPCrossSubnet", racks=2).allocate()
    yield "vxlan-cross", synth.cluster(6, 3, pools=["10.244.0.0/16"], encapsulation="VXLANCrossSubnet", racks=2).allocate()
    yield "rr", synth.cluster(6, 2, pools=["10.244.0.0/16"], reflectors=2, encapsulation="IPIP").allocate()
    # a /24 of /26 blocks holds 4 blocks: 6 nodes x 40 pods borrow
    yield "borrow", synth.cluster(6, 40, pools=["10.244.0.0/24"], seed=2).allocate()


def _flows(cluster, rng, n=150):
    pods = cluster.pods.ipv4[cluster.pods.ipv4 >= 0].astype(np.uint32)
    hosts = np.array([int(nd.ipv4.ip) for nd in cluster.nodes], np.uint32)
    pool = cluster.pools[0].cidr
    in_pool = (int(pool.network_address) + rng.integers(0, pool.num_addresses, 3)).astype(np.uint32)
    # addresses inside claimed blocks: mostly pods, some free (blackholed at the block's owner)
    in_blocks = np.array([b.net + int(rng.integers(0, b.size)) for b in cluster.blocks for _ in range(4)], np.uint32)
    outside = parse_addresses(["8.8.8.8", "172.31.255.1"])
    srcs = np.concatenate([pods, pods, hosts, in_pool[:1]])
    dsts = np.concatenate([pods, hosts, in_pool, in_blocks, outside])
    s = rng.choice(srcs, n)
    d = rng.choice(dsts, n)
    b = rng.integers(1, 10**6, n)
    return s, d, b


_OUT = {"delivered": "delivered", "blackholed": "blackholed", "left cluster": "unrouted", "no route": "unrouted",
        "loop": "loop"}


def _oracle(tables, s, d, b):
    """Per flow through trace.trace: outcome, delivering node, node-to-node legs with their encapsulation."""
    n = tables.cluster.n_nodes
    names = tables.cluster.node_names
    res = dict(outcome=[], dst=[], pair={}, out=np.zeros(n, np.int64), inn=np.zeros(n, np.int64),
               enc={"none": 0, "ipip": 0, "vxlan": 0})
    for sa, da, by in zip(format_addresses(s), format_addresses(d), b.tolist()):
        try:
            t = trace.trace(tables, sa, da)
        except InvalidValueError:
            res["outcome"].append("unknown source")
            res["dst"].append(-1)
            continue
        res["outcome"].append(_OUT[t.outcome])
        for h in t.hops:
            if h.action in ("forward", "encapsulate"):
                a, z = names.index(h.node), names.index(h.next_node)
                res["out"][a] += by
                res["inn"][z] += by
                res["enc"][h.encap or "none"] += by
        if t.outcome == "delivered":
            last = names.index(t.hops[-1].node)
            res["dst"].append(last)
            key = (names.index(t.src.node), last)
            res["pair"][key] = res["pair"].get(key, 0) + by
        else:
            res["dst"].append(-1)
    return res


@pytest.mark.parametrize("name, cluster", list(_clusters()), ids=lambda x: x if isinstance(x, str) else "")
def test_batch_equals_trace_flow_by_flow(name, cluster):
    rng = np.random.default_rng(7)
    s, d, b = _flows(cluster, rng)
    tables = routes.compute(cluster)
    t = traffic.matrix(tables, s, d, b)
    want = _oracle(tables, s, d, b)
    got = [traffic.OUTCOMES[k] for k in t.flow["outcome"]]
    assert got == want["outcome"]
    assert t.flow["dst_idx"].tolist() == want["dst"]
    pairs = {(int(a), int(z)): int(v) for a, z, v in zip(t.pairs["src_idx"], t.pairs["dst_idx"], t.pairs["bytes"])}
    assert pairs == want["pair"]
    assert t.node_out.tolist() == want["out"].tolist() and t.node_in.tolist() == want["inn"].tolist()
    assert t.encap_bytes == want["enc"]
    assert sum(t.outcome_bytes.values()) == int(b.sum())
    assert t.dense().sum() == t.outcome_bytes["delivered"]
    assert t.outcome_flows["delivered"] > 40 and t.outcome_flows["unrouted"] > 0   # the cases are not vacuous
    if name != "borrow":                                  # (a full /24 has no free address to blackhole)
        assert t.outcome_flows["blackholed"] > 0
    if name in ("ipip-cross", "vxlan-cross"):
        assert t.encap_bytes["none"] > 0 and t.encap_bytes["ipip" if "ipip" in name else "vxlan"] > 0


def test_seed_by_hand():
    c = examples.seed()
    s = parse_addresses(["10.244.219.66", "10.244.219.66", "10.244.166.129", "10.244.219.66", "10.244.219.66",
                         "8.8.8.8"])
    d = parse_addresses(["10.244.166.129", "10.244.219.65", "10.244.219.66", "10.244.219.100", "8.8.8.8",
                         "10.244.219.66"])
    t = traffic.matrix(c, s, d, np.array([1000, 10, 300, 7, 5, 2]))
    assert t.flow["outcome"].tolist() == [0, 0, 0, 1, 2, 4]
    assert t.pair_bytes("master", "node1") == 1000 and t.pair_bytes("node1", "master") == 300
    assert t.node_local.tolist() == [10, 0, 0]
    assert t.node_out.tolist() == [1000, 300, 0] and t.node_in.tolist() == [300, 1000, 0]
    assert t.encap_bytes == {"none": 1300, "ipip": 0, "vxlan": 0}
    assert t.outcome_bytes == {"delivered": 1310, "blackholed": 7, "unrouted": 5, "loop": 0, "unknown source": 2}
    j = t.to_dict()
    json.dumps(j)
    assert j["pairs"][0] == {"src": "master", "dst": "node1", "bytes": 1000, "flows": 1}
    tf = traffic.matrix(c, s, d, np.array([1.5, 0, 0, 0, 0, 0]))
    assert tf.pair_bytes("master", "node1") == 1.5


def test_errors():
    c = examples.seed()
    with pytest.raises(InvalidArrayError, match="equal length"):
        traffic.matrix(c, ["10.244.219.66"], ["10.244.166.129", "1.1.1.1"], np.array([1, 2]))
    with pytest.raises(InvalidValueError, match="nodes down"):
        traffic.matrix(routes.compute(c, down=["node1"]), ["10.244.219.66"], ["1.1.1.1"], np.array([1]))


def test_byte_counts_never_wrap_nor_pass_nan():
    c = examples.seed()
    s, d = ["10.244.219.66"] * 2, ["10.244.166.129"] * 2
    big = np.array([2**63 - 1, 1], np.int64)
    with pytest.raises(InvalidValueError, match=r"add up to 9\.223e\+18, more than a traffic matrix holds"):
        traffic.matrix(c, s, d, big)
    for bad, shown in ((np.nan, "nan"), (np.inf, "inf"), (-1.0, "-1.0")):
        with pytest.raises(InvalidValueError, match=rf"invalid byte count {shown} at index 1"):
            traffic.matrix(c, s, d, np.array([1.0, bad]))
    with pytest.raises(InvalidValueError, match=r"more than a traffic matrix holds"):
        traffic.matrix(c, s, d, np.array([2**64 - 1, 0], np.uint64))
    # integer counts above 2**53 are added exactly (a float64 sum would lose the +1)
    t = traffic.matrix(c, s, d, np.array([2**60, 1], np.int64))
    assert t.pair_bytes("master", "node1") == 2**60 + 1
    assert t.outcome_bytes["delivered"] == 2**60 + 1


def test_read_flows_refuses_counts_that_overflow(tmp_path):
    f = tmp_path / "flows.csv"
    f.write_text("src,dst,bytes\n10.244.219.66,10.244.166.129,9223372036854775807\n"
                 "10.244.219.66,10.244.166.129,1\n")
    with pytest.raises(InvalidValueError, match=r"flows\.csv.*more than a traffic matrix holds"):
        traffic.read_flows(f)
    f.write_text("src,dst,bytes\n10.244.219.66,10.244.166.129,5\n10.244.219.66,10.244.166.129,nan\n")
    with pytest.raises(InvalidValueError, match=r"invalid byte count nan at data row 1"):
        traffic.read_flows(f)


def test_read_flows_and_cli(tmp_path, capsys):
    f = tmp_path / "flows.csv"
    f.write_text("dst,bytes,src,proto\n10.244.166.129,1000,10.244.219.66,tcp\n10.244.219.65, 10 ,10.244.219.66,udp\n")
    r = traffic.read_flows(f)
    assert format_addresses(r["src"]) == ["10.244.219.66"] * 2 and r["bytes"].tolist() == [1000, 10]
    g = tmp_path / "noheader.csv"
    g.write_text("10.244.219.66,10.244.166.129,5\n")
    assert traffic.read_flows(g)["bytes"].tolist() == [5]
    assert main(["traffic", str(f), "--json"]) == 0
    j = json.loads(capsys.readouterr().out)
    assert j["outcomes"]["delivered"] == {"bytes": 1010, "flows": 2}
    assert main(["traffic", examples.seed_path(), str(f)]) == 0
    out = capsys.readouterr().out
    assert "master" in out and "node1" in out and "1,000" in out
    bad = tmp_path / "bad.csv"
    bad.write_text("src,dst,bytes\n10.244.219.66,10.244.300.1,5\n")
    with pytest.raises(InvalidAddressError, match=r"'10\.244\.300\.1'"):
        traffic.read_flows(bad)
    assert main(["traffic", str(bad)]) == 2
    assert "10.244.300.1" in capsys.readouterr().err
    bad.write_text("src,dst,bytes\n10.244.219.66,10.244.166.129,lots\n")
    assert main(["traffic", str(bad)]) == 2
    assert "invalid bytes 'lots' at data row 0" in capsys.readouterr().err
    bad.write_text("a,b,c\n")
    assert main(["traffic", str(bad)]) == 2
    assert "must name columns src, dst and bytes" in capsys.readouterr().err


from hypothesis import given, settings  # noqa: E402

from fastroute.testing import strategies  # noqa: E402


@settings(max_examples=25, deadline=None)
@given(strategies.clusters(max_nodes=5, max_pods=4))
def test_batch_equals_trace_on_random_clusters(cluster):
    """Random clusters (tiny pools that borrow, reflectors, ToR, every encapsulation): the batch
    walk equals trace flow by flow."""
    pods = cluster.pods.ipv4[cluster.pods.ipv4 >= 0].astype(np.uint32)
    if len(pods) == 0:
        return
    free = np.array([b.net + b.size - 1 for b in cluster.blocks if b.version == 4], np.uint32)
    hosts = np.array([int(nd.ipv4.ip) for nd in cluster.nodes], np.uint32)
    dsts = np.concatenate([pods, free, hosts, parse_addresses(["8.8.8.8"])])
    s = np.repeat(pods, len(dsts))
    d = np.tile(dsts, len(pods))
    b = np.arange(1, len(s) + 1, dtype=np.int64)
    tables = routes.compute(cluster)
    t = traffic.matrix(tables, s, d, b)
    want = _oracle(tables, s, d, b)
    assert [traffic.OUTCOMES[k] for k in t.flow["outcome"]] == want["outcome"]
    assert t.flow["dst_idx"].tolist() == want["dst"]
    assert t.node_out.tolist() == want["out"].tolist() and t.node_in.tolist() == want["inn"].tolist()
    assert t.encap_bytes == want["enc"]


def test_matrix_takes_pandas_columns_of_address_text():
    pd = pytest.importorskip("pandas")    # the test extra installs it; the import is optional for users
    c = examples.seed()
    flows = pd.DataFrame({"src": ["10.244.219.66", "10.244.166.129"], "dst": ["10.244.166.129", "10.244.219.66"],
                          "bytes": [1000, 300]})
    t = traffic.matrix(c, flows["src"], flows["dst"], flows["bytes"])
    assert t.pair_bytes("master", "node1") == 1000 and t.pair_bytes("node1", "master") == 300
    flows.loc[1, "src"] = "10.244.300.1"
    with pytest.raises(InvalidAddressError, match=r"'10\.244\.300\.1' at index 1"):
        traffic.matrix(c, flows["src"], flows["dst"], flows["bytes"])
