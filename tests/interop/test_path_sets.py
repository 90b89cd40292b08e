"""Differential: the BGP paths each real BIRD holds are the paths fastroute enumerates.

Kernel tables (test_differential_routes.py) show only the best next hop; the
convergence model also counts every path a speaker holds (ADD-PATH copies,
reflections), since each costs an UPDATE and memory.  Here four racks each have
a reflector: two share a cluster id (each drops what the other reflects), two
have their own (every reflector treats the others as clients, so a route also
travels chains of reflectors, its CLUSTER_LIST growing at each one).  For every
node and every other node's block, the number of paths in ``birdc show route
all`` and their CLUSTER_LIST lengths must equal the path universe's.
"""

import re
import time

import pytest

from fastroute.sim import converge
from fastroute.testing.emulate import cluster_emulation

from .test_differential_routes import MESH_OFF, load, node, peer, pods, pool

pytestmark = pytest.mark.interop

CLUSTER_IDS = ["244.0.0.1", "244.0.0.1", "244.0.0.3", "244.0.0.4"]


def cluster_text():
    text = pool("10.244.0.0/16") + MESH_OFF
    for r, cid in enumerate(CLUSTER_IDS):
        text += node(f"rr{r}", f"10.0.0.{10 + r}", {"rack": f"r{r}", "route-reflector": "true"}, rr=cid)
        text += node(f"c{r}", f"10.0.0.{100 + r}", {"rack": f"r{r}"})
        text += pods(f"c{r}", 2)
        text += peer(f"rack{r}", nodeSelector=f"rack == 'r{r}'",
                     peerSelector=f"rack == 'r{r}' && route-reflector == 'true'")
    return text + peer("rr-mesh", nodeSelector="route-reflector == 'true'", peerSelector="route-reflector == 'true'")


def model_paths(cluster):
    """{(node, prefix): sorted CLUSTER_LIST lengths of the paths it holds}."""
    d = converge.design(cluster)
    u = converge.universe(d)
    names = list(cluster.node_names)
    out = {}
    for q in range(u.n):
        if u.row[q] < 0:
            continue                            # the origin's own route
        # attribute bytes: 21 received, + 10 + 4 per CLUSTER_LIST entry when reflected
        a = int(u.attr_bytes[q])
        cl = 0 if a == 21 else (a - 31) // 4
        for prefix in d.prefixes[int(u.cls[q])]:
            out.setdefault((names[int(u.holder[q])], prefix), []).append(cl)
    return {k: sorted(v) for k, v in out.items()}


def bird_paths(emu, name, prefix):
    text = emu.birdc(name, f"show route all for {prefix}")
    lengths = []
    for block in re.split(r"\n(?=\S|\s+via )", text):
        if "BGP.origin:" not in block:
            continue
        m = re.search(r"BGP\.cluster_list:\s*(.*)", block)
        lengths.append(len(m.group(1).split()) if m else 0)
    return sorted(lengths)


def test_every_node_holds_the_enumerated_paths(netns, tmp_path):
    cluster = load(tmp_path, cluster_text())
    want = model_paths(cluster)
    # the design exercises what it should: chains through three reflectors, and
    # nodes holding several copies of one prefix
    assert max(max(v) for v in want.values()) == 3
    assert max(len(v) for v in want.values()) >= 4
    emu, _ = cluster_emulation(cluster)
    with emu:
        emu.wait(timeout=120)
        # sessions are up; the last reflections may still be on their way
        deadline = time.monotonic() + 30
        while True:
            got = {k: bird_paths(emu, *k) for k in want}
            if got == want or time.monotonic() > deadline:
                break
            time.sleep(1)
    diff = {k: (want[k], got[k]) for k in want if want[k] != got[k]}
    assert not diff, f"(node, prefix): (fastroute, bird) CLUSTER_LIST lengths differ: {diff}"
