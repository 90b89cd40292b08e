"""fastroute.calicoctl.status and the ``status``/``bird-config`` commands.

The seed's table is the one the article's capture prints on master (package data
seed-master-node-status.txt, and compared with the original capture when it is present).  Rows for stopped peers
are what BIRD 1.6.8 showed in tests/interop/test_status_interop.py.
"""

from importlib import resources
import json
import os
import re

import pytest

from fastroute.model import examples
from fastroute.bgp.birdcfg import render_bird_cfg
from fastroute.cli import main
from fastroute.model.cluster import Cluster
from fastroute.errors import InvalidValueError, NodeDownError, UnknownNodeError
from fastroute.model.resources import loads
from fastroute.calicoctl.status import node_status, peer_statuses, show_protocols, status_dict
from fastroute.calicoctl.table import render_table, wrap_words
from fastroute.bgp.topology import compute

SEED_SINCE = {"192.168.31.202": "09:32:50", "192.168.31.203": "09:32:49"}
# The article's `calicoctl node status` on master, verbatim.
SEED_STATUS = resources.files("fastroute").joinpath("data/seed-master-node-status.txt").read_text()


def test_seed_master_status_is_the_seeds():
    # calicoctl ends with an empty line, which the seed's copy does not show.
    assert node_status(examples.seed(), "master", since=SEED_SINCE) == SEED_STATUS + "\n"


@pytest.mark.parametrize("version", ["3.20", "3.28"])
def test_seed_status_both_versions(version):
    assert node_status(examples.seed(), "master", since=SEED_SINCE, calico_version=version) == SEED_STATUS + "\n"


def test_since_forms():
    c = examples.seed()
    rows = peer_statuses(c, "node1")
    assert [(p.peer_address, p.since) for p in rows] == [("192.168.31.201", "00:00:00"), ("192.168.31.203", "00:00:00")]
    rows = peer_statuses(c, "node1", since="10:00:00")
    assert {p.since for p in rows} == {"10:00:00"}
    rows = peer_statuses(c, "node1", since={"Mesh_192_168_31_201": "01:02:03", "*": "2024-01-31"})
    assert [p.since for p in rows] == ["01:02:03", "2024-01-31"]
    with pytest.raises(InvalidValueError, match=r"invalid SINCE value '10 00': expected one word"):
        peer_statuses(c, "node1", since="10 00")


def test_peer_down_passive_and_active_ends():
    """node1 stopped cleanly: master (.201) is the passive end toward .202, node2 (.203) the
    active one.  INFO longer than 30 columns wraps; the column is then 30 wide."""
    c = examples.seed()
    assert node_status(c, "master", down=["node1"], since="10:47:35") == """\
Calico process is running.

IPv4 BGP status
+----------------+-------------------+-------+----------+--------------------------------+
|  PEER ADDRESS  |     PEER TYPE     | STATE |  SINCE   |              INFO              |
+----------------+-------------------+-------+----------+--------------------------------+
| 192.168.31.202 | node-to-node mesh | start | 10:47:35 | Passive Received:              |
|                |                   |       |          | Administrative shutdown        |
| 192.168.31.203 | node-to-node mesh | up    | 10:47:35 | Established                    |
+----------------+-------------------+-------+----------+--------------------------------+

IPv6 BGP status
No IPv6 peers found.

"""
    rows = peer_statuses(c, "node2", down=["node1"])
    assert [(p.state, p.info) for p in rows] == [("up", "Established"), ("start", "Active Socket: Connection refused")]
    assert "| 192.168.31.202 | node-to-node mesh | start | 00:00:00 | Active Socket: Connection      |\n" \
           "|                |                   |       |          | refused                        |\n" \
           in node_status(c, "node2", down="node1")


def test_status_of_a_down_node():
    with pytest.raises(NodeDownError, match=r"^Calico process is not running\.$"):
        node_status(examples.seed(), "node1", down=["node1"])
    with pytest.raises(UnknownNodeError, match="unknown node 'nodeX'"):
        node_status(examples.seed(), "nodeX")


def test_topology_can_be_passed_in():
    topo = compute(examples.seed(), down=["node2"])
    assert peer_statuses(topo, "master")[1].state == "start"
    assert peer_statuses(topo, "master", down=["node1"])[0].state == "start"


def cluster_of(text):
    return Cluster.from_resources(loads(text))


RR = """
kind: IPPool
apiVersion: projectcalico.org/v3
metadata: {name: p}
spec: {cidr: 10.244.0.0/16}
---
kind: BGPConfiguration
apiVersion: projectcalico.org/v3
metadata: {name: default}
spec: {nodeToNodeMeshEnabled: false}
---
kind: Node
apiVersion: projectcalico.org/v3
metadata: {name: rr1, labels: {route-reflector: "true"}}
spec: {bgp: {ipv4Address: 10.0.0.11/24, ipv6Address: "fd00::11/64", routeReflectorClusterID: 244.0.0.1}}
---
kind: Node
apiVersion: projectcalico.org/v3
metadata: {name: c1}
spec: {bgp: {ipv4Address: 10.0.0.21/24, ipv6Address: "fd00::21/64"}}
---
kind: BGPPeer
apiVersion: projectcalico.org/v3
metadata: {name: rrs}
spec: {nodeSelector: all(), peerSelector: "route-reflector == 'true'"}
---
kind: BGPPeer
apiVersion: projectcalico.org/v3
metadata: {name: tor}
spec: {peerIP: "10.0.0.254:1790", asNumber: 65001}
"""


def test_peer_types_ipv6_and_ports():
    # the external ToR (port 1790) is assumed to listen where it is told
    assert node_status(cluster_of(RR), "c1", since="12:00:00") == """\
Calico process is running.

IPv4 BGP status
+----------------------+---------------+-------+----------+-------------+
|     PEER ADDRESS     |   PEER TYPE   | STATE |  SINCE   |    INFO     |
+----------------------+---------------+-------+----------+-------------+
| 10.0.0.254.port.1790 | global        | up    | 12:00:00 | Established |
| 10.0.0.11            | node specific | up    | 12:00:00 | Established |
+----------------------+---------------+-------+----------+-------------+

IPv6 BGP status
+--------------+---------------+-------+----------+-------------+
| PEER ADDRESS |   PEER TYPE   | STATE |  SINCE   |    INFO     |
+--------------+---------------+-------+----------+-------------+
| fd00::11     | node specific | up    | 12:00:00 | Established |
+--------------+---------------+-------+----------+-------------+

"""


def test_sessions_that_never_come_up():
    c = cluster_of(RR.replace("spec: {nodeSelector: all(), peerSelector: \"route-reflector == 'true'\"}",
                              "spec: {node: c1, peerIP: 10.0.0.11, asNumber: 65009}"))
    # c1 expects AS 65009 from rr1 (which is 64512) and rr1 has no protocol for c1
    rows = {p.protocol: p for p in peer_statuses(c, "c1")}
    assert (rows["Node_10_0_0_11"].state, rows["Node_10_0_0_11"].info) == ("start", "Active Socket: Connection closed")
    rr_rows = peer_statuses(c, "rr1")
    assert [p.protocol for p in rr_rows] == ["Global_10_0_0_254_port_1790"]


def test_as_mismatch_rows():
    c = cluster_of(RR.replace("spec: {nodeSelector: all(), peerSelector: \"route-reflector == 'true'\"}",
                              "spec: {node: c1, peerIP: 10.0.0.11, asNumber: 65009}")
                   + """
---
kind: BGPPeer
apiVersion: projectcalico.org/v3
metadata: {name: back}
spec: {node: rr1, peerIP: 10.0.0.21, asNumber: 64512}
""")
    c1 = {p.protocol: p for p in peer_statuses(c, "c1")}["Node_10_0_0_11"]
    rr1 = {p.protocol: p for p in peer_statuses(c, "rr1")}["Node_10_0_0_21"]
    assert (c1.state, c1.info) == ("start", "Idle BGP Error: Bad peer AS")
    assert (rr1.state, rr1.info) == ("start", "Idle Received: Bad peer AS")


def test_status_dict():
    d = status_dict(examples.seed(), "master", since=SEED_SINCE)
    assert d["node"] == "master" and d["ipv6"] == []
    assert d["ipv4"][0] == {"peer_address": "192.168.31.202", "peer_type": "node-to-node mesh", "state": "up",
                            "since": "09:32:50", "info": "Established", "protocol": "Mesh_192_168_31_202",
                            "version": 4}


# --------------------------------------------------------------------------- tablewriter


@pytest.mark.parametrize("text, limit, lines", [
    ("Established", 30, ["Established"]),
    ("Passive Received: Administrative shutdown", 30, ["Passive Received:", "Administrative shutdown"]),
    ("Active Socket: Connection refused", 30, ["Active Socket: Connection", "refused"]),
    ("aaaa bbbb cccc", 9, ["aaaa bbbb", "cccc"]),  # the last line costs nothing
    ("a-very-long-single-word-indeed", 10, ["a-very-long-single-word-indeed"]),
    ("x averyveryverylongword y", 5, ["x", "averyveryverylongword", "y"]),
])
def test_wrap_words(text, limit, lines):
    assert wrap_words(text, limit) == lines


def test_render_table_alignment_and_centering():
    out = render_table(["a_b", "Number"], [["x", "42"], ["longer cell", "1,234.5"]])
    assert out == """\
+-------------+---------+
|     A B     | NUMBER  |
+-------------+---------+
| x           |      42 |
| longer cell | 1,234.5 |
+-------------+---------+
"""


# --------------------------------------------------------------------------- CLI


def test_cli_status_seed(capsys):
    assert main(["status", "--node", "master", "--since", "192.168.31.202=09:32:50",
                 "--since", "192.168.31.203=09:32:49"]) == 0
    assert capsys.readouterr().out == SEED_STATUS + "\n"


def test_cli_status_down_and_json(capsys):
    assert main(["status", "--node", "node2", "--down", "node1", "--json"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert [r["info"] for r in d["ipv4"]] == ["Established", "Active Socket: Connection refused"]
    assert main(["status", "--node", "node1", "--down", "master,node1"]) == 1
    err = capsys.readouterr().err
    assert err == "Calico process is not running.\n"


def test_cli_status_errors(capsys):
    assert main(["status", "--node", "x"]) == 2
    assert capsys.readouterr().err.startswith("fastroute: error: unknown node 'x': the cluster has 'master'")
    assert main(["status", "--node", "master", "--down", "nodeZ"]) == 2
    assert "unknown node 'nodeZ'" in capsys.readouterr().err
    assert main(["status", "--node", "master", "--since", "9:32"]) == 2
    assert "invalid --since '9:32': expected HH:MM:SS" in capsys.readouterr().err


def test_cli_bird_config(capsys, tmp_path):
    assert main(["bird-config", "--node", "master"]) == 0
    out = capsys.readouterr().out
    topo = compute(examples.seed())
    assert out == render_bird_cfg(topo.view("master"))
    assert "protocol bgp Mesh_192_168_31_202 from bgp_template {" in out
    assert main(["bird-config", "--node", "master", "--calico-version", "3.20"]) == 0
    assert "\n  export filter calico_export_to_bgp_peers;  # Only" in capsys.readouterr().out
    assert main(["bird-config", "--node", "master", "--ipv6"]) == 0
    assert "# IPv6 disabled on this node." in capsys.readouterr().out
    assert main(["bird-config", "--node", "master", "--file", "aggr"]) == 0
    assert "route 10.244.219.64/26 blackhole;" in capsys.readouterr().out
    assert main(["bird-config", "--node", "master", "--inline"]) == 0
    out = capsys.readouterr().out
    assert 'include "' not in out and "function calico_aggr ()" in out
    assert main(["bird-config", "--node", "node1", "-o", str(tmp_path / "cfg")]) == 0
    assert sorted(os.listdir(tmp_path / "cfg")) == ["bird.cfg", "bird6.cfg", "bird6_aggr.cfg", "bird6_ipam.cfg",
                                                    "bird_aggr.cfg", "bird_ipam.cfg"]


def test_cli_bird_config_errors(capsys, tmp_path):
    assert main(["bird-config", "--node", "nope"]) == 2
    assert capsys.readouterr().err.startswith("fastroute: error: unknown node 'nope': the cluster has")
    assert main(["bird-config", "--node", "master", "--inline", "--file", "ipam"]) == 2
    assert "invalid option --inline with --file ipam" in capsys.readouterr().err


def test_cli_bird_config_from_a_file(capsys, tmp_path):
    f = tmp_path / "c.yaml"
    f.write_text(RR)
    assert main(["bird-config", str(f), "--node", "rr1"]) == 0
    out = capsys.readouterr().out
    assert "protocol bgp Node_10_0_0_21 from bgp_template {" in out and "rr cluster id 244.0.0.1;" in out
    assert main(["bird-config", str(f), "--node", "rr1", "--ipv6"]) == 0
    assert "protocol bgp Node_fd00__21 from bgp_template {" in capsys.readouterr().out


def test_wrong_port_is_refused():
    """n1 has a protocol toward n2 on port 179 (its own BGPPeer) and one on 1790 (the reverse
    peering), n2 listens on 1790: the first is refused, as real BIRD showed."""
    text = RR.split("---\nkind: Node")[0] + """
---
kind: BGPConfiguration
apiVersion: projectcalico.org/v3
metadata: {name: node.n2}
spec: {listenPort: 1790}
---
kind: Node
apiVersion: projectcalico.org/v3
metadata: {name: n1}
spec: {bgp: {ipv4Address: 10.0.0.1/24}}
---
kind: Node
apiVersion: projectcalico.org/v3
metadata: {name: n2}
spec: {bgp: {ipv4Address: 10.0.0.2/24}}
---
kind: BGPPeer
apiVersion: projectcalico.org/v3
metadata: {name: a}
spec: {node: n1, peerIP: "10.0.0.2:179", asNumber: 64512}
---
kind: BGPPeer
apiVersion: projectcalico.org/v3
metadata: {name: b}
spec: {node: n2, peerIP: 10.0.0.1, asNumber: 64512}
"""
    rows = peer_statuses(cluster_of(text), "n1")
    assert [(p.peer_address, p.state, p.info) for p in rows] == [
        ("10.0.0.2.port.179", "start", "Active Socket: Connection refused"),
        ("10.0.0.2.port.1790", "up", "Established")]


def test_second_protocol_toward_the_same_neighbour_stays_idle():
    """Mesh on and a global selector peer toward the same nodes: Global_x waits for the
    neighbour lock Mesh_x holds (observed on BIRD 1.6.8)."""
    text = RR.split("---\nkind: Node")[0].replace("nodeToNodeMeshEnabled: false", "nodeToNodeMeshEnabled: true") + """
---
kind: Node
apiVersion: projectcalico.org/v3
metadata: {name: n1, labels: {zone: b}}
spec: {bgp: {ipv4Address: 10.0.0.1/24}}
---
kind: Node
apiVersion: projectcalico.org/v3
metadata: {name: n2, labels: {zone: b}}
spec: {bgp: {ipv4Address: 10.0.0.101/24}}
---
kind: BGPPeer
apiVersion: projectcalico.org/v3
metadata: {name: zone-b}
spec: {peerSelector: "zone == 'b'"}
"""
    topo = compute(cluster_of(text))
    assert [(p.protocol, p.state, p.info) for p in peer_statuses(topo, "n1")] == [
        ("Mesh_10_0_0_101", "up", "Established"), ("Global_10_0_0_101", "start", "Idle")]
    s = topo.sessions(4)
    assert s.locked_out.tolist() == [False, True, False, True]
    assert s.established.tolist() == [True, False, True, False]


def test_show_protocols_text():
    """BIRD 1.6's ``show protocols`` table (format observed on real BIRD, see the interop
    tests, which compare it row for row)."""
    assert show_protocols(examples.seed(), "master", since="10:47:30") == (
        "name     proto    table    state  since       info\n"
        "static1  Static   master   up     10:47:30    \n"
        "kernel1  Kernel   master   up     10:47:30    \n"
        "device1  Device   master   up     10:47:30    \n"
        "direct1  Direct   master   up     10:47:30    \n"
        "Mesh_192_168_31_202 BGP      master   up     10:47:30    Established   \n"
        "Mesh_192_168_31_203 BGP      master   up     10:47:30    Established   \n")
    # node2 has no block: no static protocol
    text = show_protocols(examples.seed(), "node2", down=["node1"])
    assert text.splitlines()[1].startswith("kernel1 ")
    assert text.splitlines()[-1] == ("Mesh_192_168_31_202 BGP      master   start  00:00:00    Active        "
                                     "Socket: Connection refused")
    with pytest.raises(NodeDownError):
        show_protocols(examples.seed(), "node1", down=["node1"])


def test_cli_status_birdc(capsys):
    assert main(["status", "--node", "master", "--birdc", "--since", "10:47:30"]) == 0
    assert capsys.readouterr().out == show_protocols(examples.seed(), "master", since="10:47:30")
    assert main(["status", "--node", "master", "--birdc", "--ipv6"]) == 0
    assert capsys.readouterr().out.splitlines()[-1].startswith("direct1 ")
    assert main(["status", "--node", "master", "--ipv6"]) == 2
    assert "invalid option --ipv6 without --birdc" in capsys.readouterr().err
