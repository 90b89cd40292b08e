"""The CLI on a cluster with a Router: its table, the hot-spot warning, export."""

import os

from fastroute import examples
from fastroute.cli import main

DATA = os.path.join(os.path.dirname(__file__), "..", "data", "fabric")


def seed_with_tor(tmp_path):
    f = tmp_path / "cluster.yaml"
    f.write_text(open(examples.seed_path()).read() + "\n---\n" + open(os.path.join(DATA, "tor.yaml")).read())
    return str(f)


def test_routes_of_a_router_verify_and_export(tmp_path, capsys):
    path = seed_with_tor(tmp_path)
    assert main(["routes", path, "--node", "tor", "--all"]) == 0
    out = capsys.readouterr().out
    assert out.splitlines()[0] == "blackhole default proto bird"
    assert "192.168.31.0/24 dev eth0 proto kernel scope link src 192.168.31.1" in out
    assert main(["routes", path, "--node", "node2"]) == 0
    assert "default via 192.168.31.1 dev ens33 proto bird" in capsys.readouterr().out
    assert main(["verify", path]) == 1
    assert "warning: inbound-hot-spot: router tor" in capsys.readouterr().out
    assert main(["export", path, "-o", "yaml"]) == 0
    assert "kind: Router" in capsys.readouterr().out
    assert main(["routes", path, "--node", "nosuch"]) == 2
    assert "unknown node 'nosuch'" in capsys.readouterr().err
