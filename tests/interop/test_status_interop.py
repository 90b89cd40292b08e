"""``fastroute status`` against real BIRD 1.6: the configuration comes from
``fastroute.bgp.topology`` (what ``fastroute bird-config`` prints), BIRD runs it in network
namespaces, and what ``birdc show protocols`` reports on each node -- reduced the way
calicoctl reduces it (name -> peer address and type, state, info words re-joined with
single spaces) -- must be what :func:`fastroute.calicoctl.status.peer_statuses` predicts.  SINCE is a
wall-clock time and is not compared.

What these runs showed (BIRD 1.6.8, Debian), and ``fastroute.calicoctl.status`` now prints:

* after convergence every session is ``up`` / ``Established``;
* when calico-node stops cleanly on a node (SIGTERM to its BIRD), a peer that is the
  *passive* end (``Mesh_`` toward a greater address) shows ``start`` / ``Passive
  Received: Administrative shutdown`` and keeps showing it; the *active* end shows
  ``start`` / ``Active Socket: Connection refused`` -- for the first second it still
  says ``Received: Administrative shutdown``, and once per retry cycle it shows ``Idle``
  for a moment;
* a protocol toward a node that runs no BGP protocol at all (one-sided BGPPeer):
  ``start`` / ``Active Socket: Connection refused`` (``Idle`` for a moment per retry);
* an AS mismatch: the rejecting end shows ``BGP Error: Bad peer AS``, mostly ``Idle``
  (error wait), sometimes ``Active``, for a moment ``stop`` / ``Close``; the rejected end mostly ``Idle Received: Bad peer
  AS``, but in one run it cycled through ``Received: Cease`` and socket errors for a while.
  fastroute prints ``Idle`` with the AS error on both ends.
"""

import time

import pytest

from fastroute.model import examples
from fastroute.model.cluster import Cluster
from fastroute.testing.emulate import EmuNode, Emulation, emu_node, normalize_protocols, parse_protocols
from fastroute.model.resources import loads
from fastroute.calicoctl.status import peer_statuses, show_protocols
from fastroute.bgp.topology import compute

pytestmark = pytest.mark.interop

_TYPES = {"Mesh": "node-to-node mesh", "Node": "node specific", "Global": "global"}


def calicoctl_rows(text, version=4):
    """``birdc show protocols`` text reduced as calicoctl's ``unmarshalBIRD`` does."""
    sep = "." if version == 4 else ":"
    out = []
    for r in parse_protocols(text):
        kind, _, rest = r.name.partition("_")
        if r.proto != "BGP" or kind not in _TYPES or not rest:
            continue
        words = r.info.split()
        if not words:  # fewer than 6 columns: calicoctl drops the row
            continue
        out.append((rest.replace("_", sep), _TYPES[kind], r.state, " ".join(words)))
    return out


def same_table(emu, topo, node, down=(), version=4, timeout=0.0):
    """``birdc show protocols`` on ``node`` equals fastroute's, timestamps aside (polling up to
    ``timeout`` seconds for BIRD to get there)."""
    want = normalize_protocols(show_protocols(topo, node, version, down=down))
    deadline = time.monotonic() + timeout
    while True:
        got = normalize_protocols(emu.show_protocols(node, version))
        if got == want or time.monotonic() >= deadline:
            return got, want
        time.sleep(0.25)


def predicted(topo, node, down=(), version=4):
    return [(p.peer_address, p.peer_type, p.state, p.info) for p in peer_statuses(topo, node, version, down=down)]


def emulation(topo, extra=(), ipv6=False):
    c = topo.cluster
    emus = []
    for i, n in enumerate(c.nodes):
        pods = [(str(p.ipv4), p.interface_name) for p in c.pods if p.node == n.name and p.ipv4 is not None]
        emus.append(emu_node(topo.views[i], uplink=n.uplink, pods=pods))
    return Emulation(emus + list(extra), ipv6=ipv6)


def samples(emu, node, seconds, every=1.0):
    out = []
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        out.append(calicoctl_rows(emu.show_protocols(node)))
        time.sleep(every)
    return out


def poll_until(emu, node, expected, timeout=20.0):
    deadline = time.monotonic() + timeout
    seen = None
    while time.monotonic() < deadline:
        seen = calicoctl_rows(emu.show_protocols(node))
        if seen == expected:
            return seen
        time.sleep(0.25)
    return seen


@pytest.mark.parametrize("version", ["3.20", "3.28"])
def test_seed_status_and_a_clean_stop(netns, version):
    """The seed cluster (full mesh) on real BIRD; then calico-node on node1 stops cleanly."""
    topo = compute(examples.seed(), version)
    with emulation(topo) as emu:
        emu.wait()
        for n in ("master", "node1", "node2"):
            assert calicoctl_rows(emu.show_protocols(n)) == predicted(topo, n)
            got, want = same_table(emu, topo, n)
            assert got == want
        if version == "3.20":
            return  # BIRD behaves the same under both layouts; stop a node once
        emu.stop_bird("node1")
        down = ["node1"]
        want = {n: predicted(topo, n, down) for n in ("master", "node2")}
        assert want["master"][0] == ("192.168.31.202", "node-to-node mesh", "start",
                                     "Passive Received: Administrative shutdown")
        assert want["node2"][1] == ("192.168.31.202", "node-to-node mesh", "start", "Active Socket: Connection refused")
        for n in ("master", "node2"):
            assert poll_until(emu, n, want[n]) == want[n], n
            got, table = same_table(emu, topo, n, down, timeout=10)
            assert got == table
        # and they stay so: the passive end always, the active end nearly always
        # (BIRD passes through Idle for a moment on each retry)
        master = samples(emu, "master", 4)
        node2 = samples(emu, "node2", 6)
        assert all(s == want["master"] for s in master), master
        assert sum(s == want["node2"] for s in node2) >= len(node2) - 2, node2
        for s in node2:
            assert s[0] == want["node2"][0]
            assert s[1][2] == "start" and s[1][3].split()[0] in ("Active", "Idle", "Connect")


MISCONFIGURED = """
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
metadata: {name: master}
spec: {bgp: {ipv4Address: 192.168.31.201/24}}
---
kind: Node
apiVersion: projectcalico.org/v3
metadata: {name: node1}
spec: {bgp: {ipv4Address: 192.168.31.202/24}}
---
kind: Node
apiVersion: projectcalico.org/v3
metadata: {name: node2}
spec: {bgp: {ipv4Address: 192.168.31.203/24}}
---
# node1 is in AS 64512: no reverse peering, and node1 runs no BGP protocol at all
kind: BGPPeer
apiVersion: projectcalico.org/v3
metadata: {name: a-one-sided}
spec: {node: master, peerIP: 192.168.31.202, asNumber: 65001}
---
# master expects node2 in AS 65001, node2 (64512) expects master in 64512
kind: BGPPeer
apiVersion: projectcalico.org/v3
metadata: {name: b-wrong-as}
spec: {node: master, peerIP: 192.168.31.203, asNumber: 65001}
---
kind: BGPPeer
apiVersion: projectcalico.org/v3
metadata: {name: c-back}
spec: {node: node2, peerIP: 192.168.31.201, asNumber: 64512}
"""


def test_sessions_that_never_come_up(netns):
    topo = compute(Cluster.from_resources(loads(MISCONFIGURED)))
    master = predicted(topo, "master")
    node2 = predicted(topo, "node2")
    assert master == [("192.168.31.202", "node specific", "start", "Active Socket: Connection refused"),
                      ("192.168.31.203", "node specific", "start", "Idle BGP Error: Bad peer AS")]
    assert node2 == [("192.168.31.201", "node specific", "start", "Idle Received: Bad peer AS")]
    assert predicted(topo, "node1") == []
    got = {"master": [], "node2": []}
    with emulation(topo) as emu:
        start = time.monotonic()
        while time.monotonic() - start < 22:
            t = time.monotonic() - start
            for n in got:
                got[n].append((t, calicoctl_rows(emu.show_protocols(n))))
            time.sleep(0.5)
    # past the connect delay (2 s) and the first attempt
    late_master = [rows for t, rows in got["master"] if t > 4]
    # the one-sided protocol: refused throughout, Active nearly always (Idle on each retry)
    assert all(rows[0][2] == "start" and rows[0][3].endswith("Socket: Connection refused") for rows in late_master)
    assert sum(rows[0] == master[0] for rows in late_master) >= 0.9 * len(late_master), late_master
    # the AS mismatch: start throughout; on the rejecting end fastroute's row is the most
    # frequent one; on the rejected end it is one that BIRD shows
    # (each attempt also passes through OpenSent, and once in a while ``stop`` / ``Close``)
    assert sum(rows[1][2] == "start" for rows in late_master) >= 0.9 * len(late_master), late_master
    assert sum(rows[1][3].endswith("BGP Error: Bad peer AS") for rows in late_master) > 0.7 * len(late_master)
    assert sum(rows[1] == master[1] for rows in late_master) > 0.5 * len(late_master), late_master
    assert node2[0] in [rows[0] for t, rows in got["node2"]], got["node2"]
    assert sum(rows[0][2] == "start" for t, rows in got["node2"]) >= 0.9 * len(got["node2"])


# --------------------------------------------------------------------------- session predictions


def _yaml_nodes(*specs):
    out = ""
    for name, ip, extra in specs:
        out += f"""
---
kind: Node
apiVersion: projectcalico.org/v3
metadata: {{name: {name}, labels: {extra.get('labels', {})}}}
spec: {{bgp: {dict({'ipv4Address': ip}, **extra.get('bgp', {}))}}}
"""
    return out


_BASE = """
kind: IPPool
apiVersion: projectcalico.org/v3
metadata: {name: p}
spec: {cidr: 10.244.0.0/16}
---
kind: BGPConfiguration
apiVersion: projectcalico.org/v3
metadata: {name: default}
spec: {nodeToNodeMeshEnabled: false}
"""

_RR_PEER = """
---
kind: BGPPeer
apiVersion: projectcalico.org/v3
metadata: {name: peer-with-route-reflectors}
spec: {nodeSelector: all(), peerSelector: "route-reflector == 'true'"}
"""

SCENARIOS = {
    # §5.4: two reflectors sharing a cluster id, two clients
    "rr-same-id": _BASE + _yaml_nodes(
        ("rr1", "10.0.0.11/24", {"labels": {"route-reflector": "true"}, "bgp": {"routeReflectorClusterID": "244.0.0.1"}}),
        ("rr2", "10.0.0.12/24", {"labels": {"route-reflector": "true"}, "bgp": {"routeReflectorClusterID": "244.0.0.1"}}),
        ("c1", "10.0.0.21/24", {}), ("c2", "10.0.0.22/24", {})) + _RR_PEER,
    # a global peerIP that is a Calico node: Global_ protocols, passive toward the greater
    # address (v3.28), Node_ protocols back from the reverse pass
    "global-calico-node": _BASE + _yaml_nodes(
        ("n1", "10.0.0.1/24", {}), ("n2", "10.0.0.2/24", {}), ("n3", "10.0.0.3/24", {})) + """
---
kind: BGPPeer
apiVersion: projectcalico.org/v3
metadata: {name: to-n3}
spec: {peerIP: 10.0.0.3, asNumber: 64512}
""",
    # mesh on, plus a global selector BGPPeer toward every node: each node has Mesh_x and
    # Global_x toward the same address and port; BIRD's neighbour lock keeps Global_x Idle
    "mesh-and-global-to-the-same-peer": _BASE.replace("nodeToNodeMeshEnabled: false", "nodeToNodeMeshEnabled: true")
    + _yaml_nodes(("n1", "10.0.0.1/24", {"labels": {"zone": "b"}}), ("n2", "10.0.0.101/24", {"labels": {"zone": "b"}}),
                  ("n3", "10.0.0.5/24", {})) + """
---
kind: BGPPeer
apiVersion: projectcalico.org/v3
metadata: {name: zone-b}
spec: {peerSelector: "zone == 'b'"}
""",
    # n2 listens on 1790; n1 has two protocols toward it (port 179 from its own BGPPeer,
    # port 1790 from the reverse pass of n2's): only the second one can come up
    "two-protocols-one-neighbour": _BASE + _yaml_nodes(("n1", "10.0.0.1/24", {}), ("n2", "10.0.0.2/24", {})) + """
---
kind: BGPConfiguration
apiVersion: projectcalico.org/v3
metadata: {name: node.n2}
spec: {listenPort: 1790}
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
""",
}


# v3.20 during the docs' migration (reflectors configured, mesh still on): reflectors stay
# in the mesh, so every client has Mesh_<rr> and Node_<rr> toward the same address
SCENARIOS["v3.20-rr-with-mesh"] = SCENARIOS["rr-same-id"].replace(
    "nodeToNodeMeshEnabled: false", "nodeToNodeMeshEnabled: true")
VERSIONS = {"v3.20-rr-with-mesh": "3.20"}


@pytest.mark.parametrize("name", sorted(SCENARIOS))
def test_predicted_sessions_on_real_bird(netns, name):
    """Every session fastroute predicts Established comes up on real BIRD, the others do not,
    and every node's calicoctl rows match (a session that cannot come up because it connects
    to a port nothing listens on shows ``Active Socket: Connection refused``; one that waits
    for BIRD's neighbour lock shows ``Idle``)."""
    topo = compute(Cluster.from_resources(loads(SCENARIOS[name])), VERSIONS.get(name, "3.28"))
    s = topo.sessions(4)
    if name == "v3.20-rr-with-mesh":
        assert s.locked_out.sum() > 0 and not s.established[s.locked_out].any()
    up = {}
    for r in range(s.n_sessions):
        if s.local[r] < s.n_nodes and s.established[r]:
            up.setdefault(topo.node_names[s.local[r]], []).append(s.names[r])
    with emulation(topo) as emu:
        emu.wait(established=up, timeout=90)
        time.sleep(3)
        for i, n in enumerate(topo.node_names):
            rows = {r.name: r for r in parse_protocols(emu.show_protocols(n)) if r.proto == "BGP"}
            mine = [s.names[r] for r in s.rows_of(i)]
            assert list(rows) == mine, n
            for r in s.rows_of(i):
                assert rows[s.names[r]].established == bool(s.established[r]), (n, s.names[r], rows[s.names[r]])
            assert calicoctl_rows(emu.show_protocols(n)) == predicted(topo, n)
            got, want = same_table(emu, topo, n, timeout=5)
            assert got == want


TOR_CLUSTER = _BASE.replace("nodeToNodeMeshEnabled: false", "nodeToNodeMeshEnabled: true") + _yaml_nodes(
    ("n1", "10.0.0.1/24", {}), ("n2", "10.0.0.2/24", {}), ("n3", "10.0.0.3/24", {})) + """
---
kind: BGPPeer
apiVersion: projectcalico.org/v3
metadata: {name: tor}
spec: {peerIP: 10.0.0.254, asNumber: 65001}
"""

# The external router as fastroute assumes it: AS 65001, a session back to every node
# configured toward it, plain BGP.
TOR_BIRD = """\
router id 10.0.0.254;
protocol device { scan time 2; }
template bgp node { local as 65001; import all; export none; }
protocol bgp n1 from node { neighbor 10.0.0.1 as 64512; }
protocol bgp n2 from node { neighbor 10.0.0.2 as 64512; }
protocol bgp n3 from node { neighbor 10.0.0.3 as 64512; }
"""


def test_external_tor_sessions(netns):
    topo = compute(Cluster.from_resources(loads(TOR_CLUSTER)))
    s = topo.sessions(4)
    assert [e.ip for e in topo.externals] == ["10.0.0.254"] and s.established.all()
    tor = EmuNode("tor", "10.0.0.254/24", {"bird.cfg": TOR_BIRD})
    with emulation(topo, [tor]) as emu:
        emu.wait(established={n: [s.names[r] for r in s.rows_of(i)] for i, n in enumerate(topo.node_names)})
        for n in topo.node_names:
            rows = calicoctl_rows(emu.show_protocols(n))
            assert rows == predicted(topo, n)
            assert rows[-1] == ("10.0.0.254", "global", "up", "Established")
            got, want = same_table(emu, topo, n)
            assert got == want
        # the router's side: one established session per node, as its rows in the arrays say
        tor_rows = {r.name: r for r in parse_protocols(emu.show_protocols("tor")) if r.proto == "BGP"}
        assert all(r.established for r in tor_rows.values()) and len(tor_rows) == len(s.rows_of(3))


DUAL = _BASE.replace("nodeToNodeMeshEnabled: false", "nodeToNodeMeshEnabled: true") + _yaml_nodes(
    ("n1", "10.0.0.1/24", {"bgp": {"ipv6Address": "fd00:31::1/64"}}),
    ("n2", "10.0.0.2/24", {"bgp": {"ipv6Address": "fd00:31::2/64"}}),
    ("n3", "10.0.0.3/24", {}))


def test_dual_stack_status(netns):
    """bird6 next to bird: the IPv6 section lists the Mesh_ sessions of the IPv6 nodes only;
    n3 (no IPv6 address) shows no IPv6 peers."""
    topo = compute(Cluster.from_resources(loads(DUAL)))
    assert predicted(topo, "n3", version=6) == []
    assert predicted(topo, "n1", version=6) == [("fd00:31::2", "node-to-node mesh", "up", "Established")]
    with emulation(topo, ipv6=True) as emu:
        emu.wait()
        for n in topo.node_names:
            assert calicoctl_rows(emu.show_protocols(n)) == predicted(topo, n)
            assert calicoctl_rows(emu.show_protocols(n, 6), 6) == predicted(topo, n, version=6)
            for version in (4, 6):
                got, want = same_table(emu, topo, n, version=version)
                assert got == want
