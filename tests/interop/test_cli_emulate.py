"""``fastroute emulate`` on the bundled seed cluster (IPAM by fastroute, routing by real BIRD)."""

import pytest

from fastroute.cli import main
from fastroute.iproute import parse_ip_route

from .conftest import read_data

pytestmark = pytest.mark.interop


def calico_lines(text):
    return [r.raw for r in parse_ip_route(text) if r.proto == "bird" or (r.scope == "link" and r.proto is None)]


def test_emulate_seed_prints_the_seeds_calico_routes_for_master(netns, capsys):
    assert main(["emulate", "--node", "master", "--calico-version", "3.20"]) == 0
    out = capsys.readouterr().out
    routes = out.split("== master: ip route\n")[1].split("== master: birdc show protocols\n")[0]
    # The seed's host routes (default, docker0, metric 100) are not part of the cluster data.
    assert calico_lines(routes) == calico_lines(read_data("seed_000_master_ip_route.txt"))
    protocols = out.split("== master: birdc show protocols\n")[1]
    assert "Mesh_192_168_31_202 BGP      master   up" in protocols
    assert "Mesh_192_168_31_203 BGP      master   up" in protocols


def test_emulate_unknown_node(netns, capsys):
    assert main(["emulate", "--node", "nope"]) == 2
    assert "unknown node 'nope'" in capsys.readouterr().err


TOR_PEER = """\
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: tor
spec:
  peerIP: 192.168.31.254
  asNumber: 65001
"""


def test_emulate_cluster_with_an_external_router(netns, capsys, tmp_path):
    from fastroute.model.examples import seed_path

    (tmp_path / "cluster.yaml").write_text(open(seed_path()).read())
    (tmp_path / "peer.yaml").write_text(TOR_PEER)
    assert main(["emulate", str(tmp_path), "--node", "node2"]) == 0
    out = capsys.readouterr().out
    assert "Global_192_168_31_254 BGP      master   up" in out
    assert "Mesh_192_168_31_201 BGP      master   up" in out
    assert "10.244.219.64/26 via 192.168.31.201 dev ens33 proto bird" in out
    # Differential: the rows BIRD shows are the ones fastroute status predicts.
    from fastroute.testing.emulate import parse_protocols
    from fastroute.model.examples import resolve
    from fastroute.calicoctl.status import peer_statuses

    shown = out.split("== node2: birdc show protocols\n")[1]
    got = [(r.name, r.state, " ".join(r.info.split())) for r in parse_protocols(shown) if r.proto == "BGP"]
    want = [(p.protocol, p.state, p.info) for p in peer_statuses(resolve(str(tmp_path)), "node2")]
    assert got == want
