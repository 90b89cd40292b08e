"""Differential: every node's kernel table on real BIRD 1.6 equals ``fastroute routes``.

Each cluster below is emulated as ``fastroute emulate`` does it (one network
namespace per node, the bird.cfg confd renders, Felix's workload routes), and
every node's ``ip route`` is compared byte for byte (trailing blanks aside) with
what :func:`fastroute.dataplane.routes.compute` predicts, including after a node's BIRD is
stopped.  A few emulations each cover several features, to keep the suite short.

IPIP cannot be checked here (stock BIRD lacks Calico's ``krt_tunnel`` patch)
and VXLAN routes are Felix's, not BIRD's: both pool modes are covered against
Calico's templates in ``tests/dataplane/test_routes.py`` only.
"""

import pytest

from fastroute.dataplane import routes
from fastroute.model.cluster import Cluster
from fastroute.testing.emulate import cluster_emulation
from fastroute.testing.emulate import diff_texts, normalize_routes

pytestmark = pytest.mark.interop


def node(name, ip, labels=None, rr=None, ip6=None):
    lab = "".join(f", {k}: '{v}'" for k, v in (labels or {}).items())
    bgp = f"ipv4Address: {ip}/24" + (f", routeReflectorClusterID: {rr}" if rr else "")
    bgp += f", ipv6Address: '{ip6}/64'" if ip6 else ""
    return f"""
---
apiVersion: projectcalico.org/v3
kind: Node
metadata: {{name: {name}, labels: {{kubernetes.io/hostname: {name}{lab}}}}}
spec: {{bgp: {{{bgp}}}}}
"""


def pods(node_name, n):
    return "".join(f"""
---
apiVersion: v1
kind: Pod
metadata: {{name: p-{node_name}-{k}, namespace: default}}
spec: {{nodeName: {node_name}}}
""" for k in range(n))


def pool(cidr, name="pool", block=26):
    return f"""
---
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {{name: {name}}}
spec: {{cidr: '{cidr}', blockSize: {block}, ipipMode: Never, vxlanMode: Never}}
"""


def peer(name, **spec):
    body = ", ".join(f"{k}: {v!r}" if isinstance(v, str) else f"{k}: {v}" for k, v in spec.items())
    return f"""
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {{name: {name}}}
spec: {{{body}}}
"""


MESH_OFF = """
---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata: {name: default}
spec: {nodeToNodeMeshEnabled: false}
"""


def load(tmp_path, text):
    f = tmp_path / "cluster.yaml"
    f.write_text(text)
    c = Cluster.load(str(f))
    return c if c.is_allocated else c.allocate()


def compare(emu, cluster, down=(), version=4):
    tables = routes.compute(cluster, version, down=down)
    want = {n: tables.text(n, include_host=True) for n in cluster.node_names}
    got = {n: normalize_routes(emu.ip_route(n, version)) for n in cluster.node_names}
    if version == 6:
        # every interface has its fe80::/64; fastroute leaves link-local routes out
        got = {n: "".join(ln + "\n" for ln in t.splitlines() if not ln.startswith("fe80::/64"))
               for n, t in got.items()}
    assert got == want, diff_texts(want, got, "fastroute", "bird")


def run(cluster, stop=()):
    emu, topo = cluster_emulation(cluster)
    with emu:
        emu.wait(timeout=120)
        compare(emu, cluster)
        for name in stop:
            emu.stop_bird(name)
            gone = {topo.view(name).node.ip4}
            expected = {(v.node.name, 4): [p.name for p in v.peers_v4 if p.ip not in gone]
                        for v in topo.views if v.node.name not in stop}
            emu.wait(established=expected, timeout=120)
            compare(emu, cluster, down=stop)


def test_reflectors_sharing_a_cluster_id_borrowed_ips_a_tor_and_a_stopped_node(netns, tmp_path):
    """Two reflectors with one cluster id serve five clients; the /25 pool holds two blocks,
    so most pods borrow and travel as /32s through the reflectors; an eBGP top-of-rack
    router peers with everyone and announces nothing; then a client's BIRD stops."""
    text = pool("10.244.0.0/25") + MESH_OFF
    names = ["rr-a", "rr-b", "w1", "w2", "w3", "w4", "w5"]
    for i, n in enumerate(names):
        text += node(n, f"192.168.31.{11 + i}", {"rr": "yes"} if n.startswith("rr") else None,
                     rr="244.0.0.1" if n.startswith("rr") else None)
    for n in names:
        text += pods(n, 2 if n.startswith("w") else 0)
    text += peer("to-rr", nodeSelector="all()", peerSelector="has(rr)")
    text += peer("tor", peerIP="192.168.31.254", asNumber=65001)
    c = load(tmp_path, text)
    assert c.borrowed(), "the scenario must borrow"
    run(c, stop=["w2"])


def test_clients_split_across_reflectors_sharing_a_cluster_id(netns, tmp_path):
    """w1 peers only with rr-a, w2 only with rr-b; both reflectors carry cluster id
    244.0.0.1, so each drops what the other reflects: w1 and w2 never learn each
    other's blocks.  With distinct ids (second half) everything flows."""
    def cluster(cid_b):
        text = pool("10.244.0.0/16") + MESH_OFF
        text += node("rr-a", "192.168.31.11", {"rr": "a"}, rr="244.0.0.1")
        text += node("rr-b", "192.168.31.12", {"rr": "b"}, rr=cid_b)
        text += node("w1", "192.168.31.21", {"side": "a"}) + node("w2", "192.168.31.22", {"side": "b"})
        text += pods("w1", 1) + pods("w2", 1)
        text += peer("a", nodeSelector="side == 'a'", peerSelector="rr == 'a'")
        text += peer("b", nodeSelector="side == 'b'", peerSelector="rr == 'b'")
        text += peer("rrs", nodeSelector="has(rr)", peerSelector="has(rr)")
        return text

    shared = load(tmp_path, cluster("244.0.0.1"))
    t = routes.compute(shared)
    assert not any(r.via for r in t.routes("w1") if r.dst.startswith("10.244."))
    run(shared)
    (tmp_path / "b").mkdir()
    distinct = load(tmp_path / "b", cluster("244.0.0.2"))
    assert any(r.via for r in routes.compute(distinct).routes("w1") if r.dst.startswith("10.244."))
    run(distinct)


def test_dual_stack_mesh(netns, tmp_path):
    """bird6 next to bird: /122 blocks, pods' /128s and the IPv6 kernel's own way of
    printing routes (metric 1024, pref medium, blackholes on dev lo)."""
    text = pool("10.244.0.0/16") + pool("fd00:10::/64", "pool6", 122)
    for i, n in enumerate(["a", "b", "c"]):
        text += node(n, f"192.168.31.{21 + i}", ip6=f"fd00:31::{21 + i}") + pods(n, 2 if n != "c" else 0)
    c = load(tmp_path, text)
    emu, topo = cluster_emulation(c, ipv6=True)
    with emu:
        emu.wait(timeout=120)
        compare(emu, c, version=4)
        compare(emu, c, version=6)
