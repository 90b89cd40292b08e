"""Tests for fastroute.calicoctl.ipam (`calicoctl ipam show`) and for `fastroute ipam`
and `fastroute export` through cli.main()."""

import ipaddress

from fastroute import cli
from fastroute.calicoctl import ipam as ipam_show
from fastroute.model import examples, ipam
from fastroute.model.cluster import Cluster, from_records
from fastroute.model.resources import IPPool, Node, PodRecord


def _cluster(node_names, pools, pods=()):
    nodes = [Node(name=n, ipv4=ipaddress.ip_interface(f"192.168.0.{i + 1}/24")) for i, n in enumerate(node_names)]
    return from_records(nodes, pools, [PodRecord(*p, ()) for p in pods])


def _pool(cidr, name):
    return IPPool(name, ipaddress.ip_network(cidr), 26)

SEED_SHOW = (
    "+----------+---------------+-----------+------------+--------------+\n"
    "| GROUPING |     CIDR      | IPS TOTAL | IPS IN USE |   IPS FREE   |\n"
    "+----------+---------------+-----------+------------+--------------+\n"
    "| IP Pool  | 10.244.0.0/16 |     65536 | 6 (0%)     | 65530 (100%) |\n"
    "+----------+---------------+-----------+------------+--------------+\n"
)


def test_ipam_default_cluster_is_the_seed(capsys):
    assert cli.main(["ipam"]) == 0
    assert capsys.readouterr().out == SEED_SHOW


def test_ipam_show_blocks(capsys):
    assert cli.main(["ipam", examples.seed_path(), "--show-blocks"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[4] == "| Block    | 10.244.166.128/26 |        64 | 3 (5%)     | 61 (95%)     |"
    assert lines[5] == "| Block    | 10.244.219.64/26  |        64 | 3 (5%)     | 61 (95%)     |"


def test_export_to_file_and_back(tmp_path, capsys):
    out = tmp_path / "seed.yaml"
    assert cli.main(["export", "-o", str(out)]) == 0
    assert capsys.readouterr().out == ""
    back = Cluster.load(out)
    seed = examples.seed()
    assert back.blocks == seed.blocks and list(back.pods) == list(seed.pods)
    assert cli.main(["ipam", str(out)]) == 0
    assert capsys.readouterr().out == SEED_SHOW


def test_export_to_stdout(capsys):
    assert cli.main(["export"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("---\napiVersion: projectcalico.org/v3\nkind: IPPool\n")
    assert "interfaceName: calic88c1a5fc6d" in text and "cidr: 10.244.219.64/26" in text


def test_errors_exit_2_with_the_location(tmp_path, capsys):
    bad = tmp_path / "bad.yaml"
    bad.write_text("apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p}\nspec: {cidr: 10.0.0.0/16, blockSize: 19}\n")
    assert cli.main(["ipam", str(bad)]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"fastroute: error: {bad}: document 1 (IPPool 'p'): Failed to create 'IPPool' resource: ")
    assert "IPPool.Spec.BlockSize = '19' (IPv4 block size must be between 20 and 32)" in err


def test_exhausted_pool_exits_2(tmp_path, capsys):
    f = tmp_path / "small.yaml"
    f.write_text(
        "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p}\nspec: {cidr: 10.0.0.0/30, blockSize: 30}\n---\n"
        "apiVersion: v1\nkind: Node\nmetadata: {name: a}\n---\n"
        + "".join(f"---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{i}}}\nspec: {{nodeName: a}}\n" for i in range(5))
    )
    assert cli.main(["export", str(f)]) == 2
    err = capsys.readouterr().err
    assert "pod default/p4 on node 'a'" in err and "No IPs available in pools: [10.0.0.0/30]" in err


def test_missing_file_exits_2(tmp_path, capsys):
    assert cli.main(["ipam", str(tmp_path / "nope.yaml")]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_show_configuration(capsys):
    assert cli.main(["ipam", "--show-configuration"]) == 0
    assert capsys.readouterr().out == (
        "+--------------------+-------+\n"
        "|      PROPERTY      | VALUE |\n"
        "+--------------------+-------+\n"
        "| StrictAffinity     | false |\n"
        "| AutoAllocateBlocks | true  |\n"
        "| MaxBlocksPerHost   |     0 |\n"
        "+--------------------+-------+\n"
    )


def test_show_borrowed(tmp_path, capsys):
    f = tmp_path / "tiny.yaml"
    f.write_text(
        "apiVersion: projectcalico.org/v3\nkind: IPPool\nmetadata: {name: p}\nspec: {cidr: 10.0.0.0/26, blockSize: 27}\n"
        + "".join(f"---\napiVersion: v1\nkind: Node\nmetadata: {{name: {n}}}\n" for n in "abc")
        + "".join(f"---\napiVersion: v1\nkind: Pod\nmetadata: {{name: p{n}}}\nspec: {{nodeName: {n}}}\n" for n in "abc")
    )
    assert cli.main(["ipam", str(f), "--show-borrowed"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == "|    IP     | BORROWING-NODE |    BLOCK     | BLOCK OWNER | TYPE | ALLOCATED-TO |"
    assert len(lines) == 5
    ip, node, block, owner, typ, to = [c.strip() for c in lines[3].strip("|").split("|")]
    assert (node, typ, to) == ("c", "pod", "default/pc") and owner in ("a", "b") and ip.startswith("10.0.0.")
    assert cli.main(["ipam", "--show-borrowed"]) == 0
    assert len(capsys.readouterr().out.splitlines()) == 4  # the seed borrows nothing


def test_ipam_json_lists_pools_blocks_and_borrowed(tmp_path, capsys):
    import json
    from fastroute.model import synth
    assert cli.main(["ipam", "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    pool = doc["pools"][0]
    assert pool["cidr"] == "10.244.0.0/16" and pool["in_use"] == 6
    assert {b["cidr"]: b["affinity"] for b in pool["blocks"]} == {
        "10.244.166.128/26": "node1", "10.244.219.64/26": "master"}
    assert doc["borrowed"] == []
    # a /26 pool holds one block: the second node borrows
    c = synth.cluster(2, 3, pools=("10.10.0.0/26",))
    f = tmp_path / "c.yaml"
    c.dump(open(f, "w"))
    assert cli.main(["ipam", str(f), "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert len(doc["borrowed"]) == 3 and all(b["node"] != b["block_owner"] for b in doc["borrowed"])


def test_export_json_reads_back_as_the_same_cluster(tmp_path, capsys):
    import json
    out = tmp_path / "seed.json"
    assert cli.main(["export", "-o", str(out)]) == 0
    doc = json.loads(out.read_text())
    assert doc["kind"] == "List" and {d["kind"] for d in doc["items"]} >= {"IPPool", "Node", "IPAMBlock"}
    again = Cluster.load(str(out))
    seed = examples.seed()
    assert [str(b.cidr) for b in again.blocks] == [str(b.cidr) for b in seed.blocks]
    assert again.to_documents() == seed.to_documents()
    # YAML in flow style that is not JSON still goes to the YAML reader
    y = tmp_path / "flow.yaml"
    y.write_text("{apiVersion: projectcalico.org/v3, kind: IPPool, metadata: {name: p}, spec: {cidr: 10.9.0.0/16}}\n")
    assert str(Cluster.load(str(y)).pools[0].cidr) == "10.9.0.0/16"
    assert cli.main(["export", "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["items"]


def test_ipam_show_formats():
    text = ipam_show.format_show(examples.seed(), show_blocks=True)
    assert text == (
        "+----------+-------------------+-----------+------------+--------------+\n"
        "| GROUPING |       CIDR        | IPS TOTAL | IPS IN USE |   IPS FREE   |\n"
        "+----------+-------------------+-----------+------------+--------------+\n"
        "| IP Pool  | 10.244.0.0/16     |     65536 | 6 (0%)     | 65530 (100%) |\n"
        "| Block    | 10.244.166.128/26 |        64 | 3 (5%)     | 61 (95%)     |\n"
        "| Block    | 10.244.219.64/26  |        64 | 3 (5%)     | 61 (95%)     |\n"
        "+----------+-------------------+-----------+------------+--------------+\n"
    )


def test_ipam_show_large_pool_and_orphans():
    c = ipam.allocate(_cluster(["a"], [_pool("10.0.0.0/12", "big"), _pool("10.32.0.0/16", "small")],
                               [("default", "a-0", "a")]))
    text = ipam_show.format_show(c)
    assert "| IP Pool  | 10.0.0.0/12  | 1.0486e+06 | 1 (0%)     | 1.0486e+06 (100%) |" in text
    # A block outside every pool is listed under a hidden pseudo-pool, after the pools.
    c2 = c.replace(pools=[p for p in c.pools if p.name == "small"])
    shown = ipam_show.format_show(c2, show_blocks=True).splitlines()
    assert shown[3].startswith("| IP Pool  | 10.32.0.0/16")
    assert shown[4].startswith("| Block    | 10.") and "1 (2%)" in shown[4]
