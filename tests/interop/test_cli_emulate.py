"""``fastroute emulate`` on the bundled seed cluster (IPAM by fastroute, routing by real BIRD)."""

import pytest

from fastroute.cli import main
from fastroute.emulate import parse_ip_route

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
