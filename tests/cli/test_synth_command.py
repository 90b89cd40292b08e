"""``fastroute synth``: an N-node cluster the other commands read."""

import json

from fastroute.cli import main
from fastroute.model import synth
from fastroute.model.cluster import Cluster


def test_synth_writes_a_cluster_the_other_commands_read(tmp_path, capsys):
    f = tmp_path / "c.yaml"
    assert main(["synth", "12", "--pods-per-node", "3", "--reflectors", "2", "--racks", "2", "--out", str(f)]) == 0
    assert capsys.readouterr().err == f"wrote 51 resources (12 nodes, 36 pods) to {f} as YAML\n"
    c = Cluster.load(str(f))
    want = synth.cluster(12, 3, pools=("10.0.0.0/8",), reflectors=2, racks=2)
    assert c.to_documents() == want.to_documents()
    assert main(["verify", str(f)]) == 0
    assert "checked 12 nodes, 36 pods" in capsys.readouterr().out
    assert main(["trace", str(f), "node-5", c.pods[0].name]) == 0
    assert "delivered" in capsys.readouterr().out
    assert main(["status", str(f), "--node", "node-5", "--since", "10:00:00"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if "Established" in line]
    assert len(rows) == 2 and all("node specific" in r for r in rows)      # its two reflectors


def test_synth_to_stdout_as_json_and_allocated(capsys):
    assert main(["synth", "3", "--pods-per-node", "2", "-o", "json", "--allocate"]) == 0
    doc = json.loads(capsys.readouterr().out)
    kinds = {d["kind"] for d in doc["items"]}
    assert {"IPPool", "Node", "IPAMBlock", "WorkloadEndpoint"} <= kinds


def test_synth_bad_size_is_bad_input(capsys):
    assert main(["synth", "0"]) == 2
    assert capsys.readouterr().err.startswith("fastroute: error: invalid n_nodes 0")
