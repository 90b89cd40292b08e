"""Differential: BGPPeer ``localASNumber`` and ``nextHopMode`` against real BIRD 1.6.

The nodes run the ``bird.cfg`` confd renders for the cluster's release (``local as N``
inside the protocol from v3.31, ``next hop self``/``keep`` from v3.30), the Routers the
BIRD their resource describes; every node's and router's ``ip route`` must be what
:func:`fastroute.dataplane.routes.compute` predicts.  Cases: a ToR peering with one node
in the ToR's own AS (``localASNumber`` = the ToR's: iBGP, so the node passes its mesh
routes on unchanged, next hops kept) and with another under a third AS (eBGP, that AS
prepended); an external router that only listens, peered under a third AS (it must
be configured with that AS for the session to come up); a route reflector whose peering with its clients has ``nextHopMode: Self``
(every reflected route then points at the reflector).
"""

import os
import subprocess

import pytest

from fastroute.bgp.birdcfg import NodeInfo, PeerData, Pool, node_view, render_files
from fastroute.dataplane import routes
from fastroute.model import resources
from fastroute.model.cluster import Cluster
from fastroute.testing.emulate import cluster_emulation, diff_texts, normalize_routes, stock_bird_files

pytestmark = pytest.mark.interop


def nodes_and_pods(names, release, mesh=True, labels=None):
    labels = labels or {}
    out = [f"""
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {{name: pool}}
spec: {{cidr: 10.244.0.0/16, blockSize: 26, ipipMode: Never, vxlanMode: Never}}
---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata: {{name: default, annotations: {{fastroute.io/calico-version: "{release}"}}}}
spec: {{nodeToNodeMeshEnabled: {str(mesh).lower()}}}
"""]
    for k, name in enumerate(names):
        extra = labels.get(name, "")
        out.append(f"""
apiVersion: projectcalico.org/v3
kind: Node
metadata: {{name: {name}, labels: {{kubernetes.io/hostname: {name}{extra and ', ' + extra}}}}}
spec: {{bgp: {{ipv4Address: 192.168.31.{21 + k}/24{', routeReflectorClusterID: 244.0.0.1' if extra else ''}}}}}
---
apiVersion: v1
kind: Pod
metadata: {{name: p{k}, namespace: default}}
spec: {{nodeName: {name}}}
""")
    return "---".join(out)


LOCAL_AS = """
---
apiVersion: fastroute.io/v1
kind: Router
metadata: {name: tor}
spec: {asNumber: 65001, address: 192.168.31.1/24, announce: [172.20.0.0/16]}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: tor-ibgp}
spec: {node: n1, peerIP: 192.168.31.1, asNumber: 65001, localASNumber: 65001}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: tor-ebgp}
spec: {node: n2, peerIP: 192.168.31.1, asNumber: 65001, localASNumber: 65002}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: sink}
spec: {node: n3, peerIP: 192.168.31.9, asNumber: 65009, localASNumber: 65003}
"""

NEXT_HOP_SELF = """
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: to-reflector}
spec: {nodeSelector: "!has(rr)", peerSelector: "has(rr)", nextHopMode: Self}
"""


def _bird_lines(text):
    # the emulation recreates no host routes: compare what BIRD and Felix program
    return "".join(ln + "\n" for ln in normalize_routes(text).splitlines() if "proto kernel" not in ln)


def run(text, speakers):
    c = Cluster.from_resources(resources.loads(text)).allocate()
    emu, topo = cluster_emulation(c)
    with emu:
        emu.wait(timeout=60)
        tables = routes.compute(c)
        want = {n: tables.text(n) for n in speakers}
        got = {n: _bird_lines(emu.ip_route(n)) for n in speakers}
    assert got == want, diff_texts(want, got, "fastroute", "bird")
    return c, tables


def block_of(c, tables, node):
    return next(r.dst for r in tables.routes(node) if r.type == "blackhole")


def test_local_as_toward_a_router_every_node_and_the_router(netns):
    c, t = run(nodes_and_pods(["n1", "n2", "n3"], "3.31") + LOCAL_AS, ["n1", "n2", "n3", "tor"])
    n3_block = block_of(c, t, "n3")
    # n1 speaks iBGP to the ToR (local as 65001): it passes n3's block on with n3's next hop
    via = {r.dst: r.via for r in t.routes("tor")}
    assert via[n3_block] == "192.168.31.23"
    # under the node's AS the same peering is eBGP and n1 (or n2) is the next hop
    before = routes.compute(c, calico_version="3.30")
    assert {r.dst: r.via for r in before.routes("tor")}[n3_block] in ("192.168.31.21", "192.168.31.22")


def test_next_hop_self_on_reflected_routes(netns):
    text = nodes_and_pods(["rr", "w1", "w2"], "3.30", mesh=False, labels={"rr": "rr: 'yes'"}) + NEXT_HOP_SELF
    c, t = run(text, ["rr", "w1", "w2"])
    w2_block = block_of(c, t, "w2")
    assert {r.dst: r.via for r in t.routes("w1")}[w2_block] == "192.168.31.21"
    # v3.28 renders no nextHopMode: the reflected route keeps w2 as its next hop
    before = routes.compute(c, calico_version="3.28")
    assert {r.dst: r.via for r in before.routes("w1")}[w2_block] == "192.168.31.23"


@pytest.mark.parametrize("release", ["3.30", "3.31", "3.32"])
def test_bird_accepts_the_rendered_options(tmp_path, release):
    """``local as N``, ``next hop self`` and ``next hop keep`` (with and without
    keepOriginalNextHop before it), in bird.cfg and bird6.cfg, pass ``bird -p``."""
    node = NodeInfo("n1", "192.168.31.21/24", "fd00:31::21/64")
    peers = [PeerData("192.168.31.1", 65001, local_as_number=65001, next_hop_mode="Self"),
             PeerData("192.168.31.2", 65002, local_as_number=65010, keep_next_hop=True, next_hop_mode="Self"),
             PeerData("192.168.31.3", 64512, next_hop_mode="Keep"),
             PeerData("fd00:31::1", 65001, local_as_number=65001, next_hop_mode="Keep")]
    view = node_view(node, [node], pools=[Pool("10.244.0.0/16"), Pool("fd00:10::/64")], global_peers=peers,
                     calico_version=release)
    files = stock_bird_files(render_files(view))
    assert ("local as 65001;" in files["bird.cfg"]) == (release != "3.30")
    assert "next hop self;" in files["bird.cfg"] and "next hop keep;" in files["bird6.cfg"]
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    for exe, cfg in (("bird", "bird.cfg"), ("bird6", "bird6.cfg")):
        r = subprocess.run([exe, "-p", "-c", os.path.join(tmp_path, cfg)], cwd=tmp_path, capture_output=True,
                           text=True)
        assert r.returncode == 0, f"{exe} rejects {cfg}: {r.stderr}\n{files[cfg]}"


def _metrics(tables, nodes):
    """(dst, metric) of the nodes' BIRD and Felix routes."""
    return {(n, r.dst): r.metric for n in nodes for r in tables.routes(n) if r.type != "blackhole"}


def test_v332_route_priority_in_the_kernel_metrics(netns):
    """v3.32: Felix's workload routes and BIRD's routes from other nodes carry the normal route
    priority, a Router's routes BIRD's default LOCAL_PREF (2147483647 - 100), over iBGP (local as
    = the ToR's) as over eBGP; real BIRD installs what fastroute prints."""
    nodes = ["n1", "n2", "n3"]
    c, t = run(nodes_and_pods(nodes, "3.32") + LOCAL_AS, nodes + ["tor"])
    m = _metrics(t, nodes)
    assert m[("n1", "172.20.0.0/16")] == m[("n2", "172.20.0.0/16")] == 2147483547
    assert {v for (n, dst), v in m.items() if dst != "172.20.0.0/16"} == {1024}
    assert set(_metrics(routes.compute(c, calico_version="3.31"), nodes).values()) == {None}


def test_v332_a_normal_route_priority_set_in_bgp_configuration(netns):
    text = nodes_and_pods(["n1", "n2"], "3.32").replace(
        "spec: {nodeToNodeMeshEnabled: true}", "spec: {nodeToNodeMeshEnabled: true, ipv4NormalRoutePriority: 2000}")
    c, t = run(text, ["n1", "n2"])
    assert set(_metrics(t, ["n1", "n2"]).values()) == {2000}
