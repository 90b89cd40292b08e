"""BGPPeer ``localASNumber`` and ``nextHopMode`` in the route computation: the session
table carries what ``bird.cfg`` renders for the release, the propagation applies BIRD 1.6's
rules for them (``proto/bgp/attrs.c``), and a field the release does not render changes no
route.  (tests/interop/test_peer_options.py holds the same clusters to real BIRD.)"""

import ipaddress

import numpy as np
import pytest

from fastroute.bgp import topology
from fastroute.bgp.propagate import SessionGraph, Speakers, propagate
from fastroute.dataplane import routes
from fastroute.model import resources
from fastroute.model.cluster import Cluster
from fastroute.model.kinds import BGPPeer


def fabric(asn, routers=1):
    """Nodes 0..len(asn)-1 then ``routers`` Routers (AS 65001), every one announcing."""
    n = len(asn) + routers
    ips = [ipaddress.IPv4Address(f"192.168.0.{i + 1}") for i in range(n)]
    return Speakers(ips, np.array(list(asn) + [65001] * routers, np.uint32), np.array([int(a) for a in ips], np.uint32),
                    [ipaddress.IPv4Network("192.168.0.0/24")] * n, np.array([False] * len(asn) + [True] * routers),
                    np.ones(n, bool))


def both(rows, a, b, **kw):
    rows.append(dict(local=a, remote=b, **{k: v[0] if isinstance(v, tuple) else v for k, v in kw.items()}))
    rows.append(dict(local=b, remote=a, **{k: v[1] if isinstance(v, tuple) else v for k, v in kw.items()}))


def run(sp, rows, classes):
    """The reference's result (with its paths), held equal to the kernel's."""
    g = SessionGraph.build(rows)
    ref = propagate(sp, g, classes, method="reference")
    fast = propagate(sp, g, classes)
    for name in ("best_next_hop", "best_session", "reason", "n_paths", "ecmp_count"):
        assert np.array_equal(getattr(ref, name), getattr(fast, name)), name
    return ref


def mesh_and_router(own_as):
    """Nodes 0 and 1 (AS 64512) in a mesh; node 0 peers with Router 2 (AS 65001) under ``own_as``."""
    sp = fabric([64512, 64512])
    rows = []
    both(rows, 0, 1)
    both(rows, 0, 2, ebgp=own_as != 65001, local_as=(own_as, 0), add_paths=False)
    return sp, rows


def test_local_as_of_the_router_makes_the_peering_ibgp_and_passes_mesh_routes_unchanged():
    sp, rows = mesh_and_router(65001)
    res = run(sp, rows, [1])
    # node 0 passes node 1's routes from its 64512 mesh to its 65001 iBGP protocol: no
    # reflection (two local ASes), no prepend, next hop kept
    path = res.paths[(2, 0)][0]
    assert path.as_path == () and path.next_hop == 1 and path.originator is None and path.cluster_list == ()
    # under the node's AS the same peering is eBGP: 64512 prepended, node 0 the next hop
    sp, rows = mesh_and_router(0)
    path = run(sp, rows, [1]).paths[(2, 0)][0]
    assert path.as_path == (64512,) and path.next_hop == 0


def test_local_as_is_prepended_on_ebgp():
    sp, rows = mesh_and_router(65002)
    path = run(sp, rows, [0, 1]).paths[(2, 1)][0]
    assert path.as_path == (65002,) and path.next_hop == 0


def test_the_as_path_loop_check_uses_the_local_as_of_the_session():
    """Nodes 0 and 1 (AS 64512 and 64513, no session between them) both peer with Router 2
    under local AS 65002: what the router passes from one to the other carries 65002, and
    the receiving protocol (local AS 65002) drops it, unless it allows its AS once."""
    sp = fabric([64512, 64513])
    for allow, learns in ((0, False), (1, True)):
        rows = []
        both(rows, 0, 2, ebgp=True, local_as=(65002, 0), add_paths=False)
        both(rows, 1, 2, ebgp=True, local_as=(65002, 0), add_paths=False, allow_local_as=(allow, 0))
        res = run(sp, rows, [0])
        assert (res.best_next_hop[1, 0] == 2) == learns
    # under the nodes' own ASes the path (65001, 64512) passes node 1's check
    rows = []
    both(rows, 0, 2, ebgp=True, add_paths=False)
    both(rows, 1, 2, ebgp=True, add_paths=False)
    assert run(sp, rows, [0]).paths[(1, 0)][0].as_path == (65001, 64512)


def test_ibgp_protocols_sharing_a_local_as_do_not_pass_routes_to_each_other():
    """Node 0 peers with Routers 1 and 2 (AS 65001), both under local AS 65001: iBGP to iBGP
    within one local AS is reflection or nothing; node 0 passes neither router's routes on."""
    sp = fabric([64512], routers=2)
    rows = []
    both(rows, 0, 1, local_as=(65001, 0), add_paths=False)
    both(rows, 0, 2, local_as=(65001, 0), add_paths=False)
    res = run(sp, rows, [1])
    assert res.best_next_hop[0, 0] == 1 and res.best_next_hop[2, 0] == -2


def reflector(next_hop_self):
    """Reflector 0 with clients 1 and 2 (one AS), ``next hop self`` on the reflector's side."""
    sp = fabric([64512, 64512, 64512], routers=0)
    rows = []
    for c in (1, 2):
        both(rows, 0, c, rr_client=(True, False), cluster_id=(0xF4000001, int(sp.router_id[c])),
             next_hop_self=(next_hop_self, False))
    return sp, rows


def test_next_hop_self_on_ibgp_reflection():
    sp, rows = reflector(False)
    assert run(sp, rows, [2]).best_next_hop[1, 0] == 2
    sp, rows = reflector(True)
    res = run(sp, rows, [2])
    assert res.best_next_hop[1, 0] == 0
    # the reflection's attributes stay: ORIGINATOR_ID and CLUSTER_LIST
    path = res.paths[(1, 0)][0]
    assert path.originator == int(sp.router_id[2]) and path.cluster_list == (0xF4000001,)


def test_next_hop_self_wins_over_keep_on_ebgp():
    sp, rows = mesh_and_router(65002)
    keep = [dict(r, keep_next_hop=True) if r["local"] == 0 and r["remote"] == 2 else r for r in rows]
    assert run(sp, keep, [1]).paths[(2, 0)][0].next_hop == 1
    both_set = [dict(r, next_hop_self=True) if r["local"] == 0 and r["remote"] == 2 else r for r in keep]
    assert run(sp, both_set, [1]).paths[(2, 0)][0].next_hop == 0


# ---------------------------------------------------------------------------- clusters, per release


def cluster(release, **peer):
    """Three nodes in a mesh (AS 64512) with a pod each, and a ToR Router (AS 65001)
    peering with n1 under the BGPPeer options ``peer`` (YAML field: value)."""
    options = "".join(f", {k}: {v}" for k, v in peer.items())
    text = f"""
apiVersion: projectcalico.org/v3
kind: IPPool
metadata: {{name: pool}}
spec: {{cidr: 10.244.0.0/16, blockSize: 26, ipipMode: Never, vxlanMode: Never}}
---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata: {{name: default, annotations: {{fastroute.io/calico-version: "{release}"}}}}
spec: {{}}
---
apiVersion: fastroute.io/v1
kind: Router
metadata: {{name: tor}}
spec: {{asNumber: 65001, address: 192.168.31.1/24, announce: [172.20.0.0/16]}}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {{name: tor}}
spec: {{node: n1, peerIP: 192.168.31.1, asNumber: 65001{options}}}
"""
    for k in (1, 2, 3):
        text += f"""---
apiVersion: projectcalico.org/v3
kind: Node
metadata: {{name: n{k}, labels: {{kubernetes.io/hostname: n{k}}}}}
spec: {{bgp: {{ipv4Address: 192.168.31.{20 + k}/24}}}}
---
apiVersion: v1
kind: Pod
metadata: {{name: p{k}, namespace: default}}
spec: {{nodeName: n{k}}}
"""
    return Cluster.from_resources(resources.loads(text)).allocate()


def tables(c):
    return {n: routes.compute(c).text(n) for n in ("n1", "n2", "n3", "tor")}


@pytest.mark.parametrize("release, renders", [("3.20", False), ("3.28", False), ("3.30", False), ("3.31", True),
                                              ("3.32", True)])
def test_local_as_changes_routes_only_where_the_release_renders_it(release, renders):
    plain = cluster(release)
    local = cluster(release, localASNumber=65001)
    rows = topology.compute(local).sessions(4)
    n1_tor = int(np.flatnonzero((rows.local == 0) & (rows.remote == 3))[0])
    assert int(rows.local_as[n1_tor]) == (65001 if renders else 64512)
    assert bool(rows.ebgp[n1_tor]) == (not renders)
    assert (tables(local) == tables(plain)) == (not renders)


@pytest.mark.parametrize("release, renders", [("3.28", False), ("3.28.1", False), ("3.30", True), ("3.32", True)])
def test_next_hop_mode_changes_routes_only_where_the_release_renders_it(release, renders):
    # Keep toward the eBGP ToR: the ToR reaches n2 and n3 directly instead of through n1
    plain, keep = cluster(release), cluster(release, nextHopMode="Keep")
    assert (tables(keep) == tables(plain)) == (not renders)
    if renders:
        assert "via 192.168.31.23" in tables(keep)["tor"]
    # keepOriginalNextHop (which Calico refuses next to nextHopMode) is the same rule in every release
    kept = tables(cluster(release, keepOriginalNextHop="true"))
    assert "via 192.168.31.23" in kept["tor"] and kept != tables(plain)


def test_an_invalid_next_hop_mode_is_refused():
    from fastroute.errors import InvalidValueError

    c = cluster("3.31").replace(bgp_peers=[BGPPeer(name="x", peer_ip="192.168.31.1", as_number=65001,
                                                   next_hop_mode="self")])
    with pytest.raises(InvalidValueError, match="nextHopMode 'self'"):
        topology.compute(c).sessions(4)
