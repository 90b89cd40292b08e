"""Differential: ``fastroute status`` (fastroute.status) against real BIRD's ``show protocols``.

The cluster goes through fastroute's IPAM and topology, BIRD gets the configuration
fastroute renders for it, and the BGP rows BIRD shows -- name, state, info with
blanks collapsed as calicoctl does -- must be the rows fastroute predicts, in the
same order.  A session toward a stopped node is compared on state and on the first
info word only when this end is the active one: its error text changes with BIRD's
retry timer ("Received: Administrative shutdown", then "Socket: Connection refused").
"""

import pytest

from fastroute.cmd_emulate import cluster_emulation
from fastroute.emulate import parse_protocols
from fastroute.examples import resolve, seed_path
from fastroute.status import peer_statuses

pytestmark = pytest.mark.interop

TOR_PEER = """\
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata:
  name: tor
spec:
  peerIP: 192.168.31.254
  asNumber: 65001
"""


def bird_rows(text):
    return [(r.name, r.state, " ".join(r.info.split())) for r in parse_protocols(text) if r.proto == "BGP"]


def fastroute_rows(cluster, node, down=()):
    return [(p.protocol, p.state, p.info) for p in peer_statuses(cluster, node, down=down)]


def comparable(rows):
    # Active ends toward a stopped peer: keep the state and the first info word.
    return [(n, s, i if s == "up" or i.startswith("Passive") else i.split()[0]) for n, s, i in rows]


def run_and_compare(cluster, down=()):
    emu, topo = cluster_emulation(cluster)
    with emu:
        emu.wait()
        if down:
            for name in down:
                emu.stop_bird(name)
            down_ips = {topo.view(name).node.ip4 for name in down}
            emu.wait(established={n: [p.name for p in v.peers_v4 if p.ip not in down_ips]
                                  for n, v in zip(topo.node_names, topo.views) if n not in down})
        for node in cluster.node_names:
            if node in down:
                continue
            got = bird_rows(emu.show_protocols(node))
            want = fastroute_rows(cluster, node, down)
            assert comparable(got) == comparable(want), (node, got, want)


def test_seed_status_matches_bird(netns):
    run_and_compare(resolve(None))


def test_seed_with_node1_down_status_matches_bird(netns):
    run_and_compare(resolve(None), down=("node1",))


def test_external_router_status_matches_bird(netns, tmp_path):
    (tmp_path / "cluster.yaml").write_text(open(seed_path()).read())
    (tmp_path / "peer.yaml").write_text(TOR_PEER)
    run_and_compare(resolve(str(tmp_path)))
