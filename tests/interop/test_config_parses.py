"""Every configuration birdcfg renders must be accepted by real BIRD 1.6 (``bird -p``).

Needs the Debian ``bird`` package (bird and bird6), not network namespaces.  The
configurations are first passed through ``stock_bird_files`` (stock BIRD has no
``krt_tunnel``); IPIP pools, which that refuses, are left out.
"""

import os
import subprocess

import pytest

from fastroute.bgp.birdcfg import AffineBlock, BgpGlobals, NodeInfo, PeerData, Pool, node_view, render_files
from fastroute.testing.emulate import stock_bird_files

pytestmark = pytest.mark.interop

NODES = [
    NodeInfo("master", "192.168.31.201/24", "fd00:31::201/64"),
    NodeInfo("node1", "192.168.31.202/24", "fd00:31::202/64", as_number=65010, listen_port=1790),
    NodeInfo("rr", "192.168.31.210/24", "fd00:31::210/64", rr_cluster_id="244.0.0.1"),
    NodeInfo("v4only", "192.168.31.203/24"),
]
POOLS = [Pool("10.244.0.0/16"), Pool("10.250.0.0/16", vxlan_mode="CrossSubnet"),
         Pool("10.251.0.0/16", disable_bgp_export=True), Pool("fd00:10::/64"), Pool("fd00:20::/64", vxlan_mode="Always")]
BLOCKS = [AffineBlock("10.244.219.64/26"), AffineBlock("10.244.1.7/32"), AffineBlock("10.244.9.0/26", "pending"),
          AffineBlock("fd00:10::/122"), AffineBlock("fd00:10::40/122", "")]
PEERS = [PeerData("192.168.31.254", 65001, ttl_security=1, password="pw", keep_next_hop=True, restart_time=300,
                  num_allow_local_as=2),
         PeerData("192.168.31.210", 64512, rr_cluster_id="244.0.0.1", calico_node=True),
         PeerData("10.1.2.3", 64512, port=1790, source_address="None", reachable_by="192.168.31.1"),
         PeerData("fd00:31::254", 65001)]
GLOBALS = [BgpGlobals(), BgpGlobals(mesh_enabled=False, log_level="debug"),
           BgpGlobals(as_number=65000, listen_port=1790, bind_mode="NodeIP", mesh_password="s3cret",
                      mesh_restart_time=300, log_level="none", ignored_interfaces=("eth9", "wg*"),
                      prefix_advertisements=(("10.244.0.0/16", ("65000:100", "65000:1:2")),
                                             ("fd00:10::/64", ("65000:6",))))]

CASES = [(version, node, g) for version in ("3.28", "3.20") for node in NODES for g in range(len(GLOBALS))]


@pytest.mark.parametrize("version, node, g", CASES, ids=[f"{v}-{n.name}-g{g}" for v, n, g in CASES])
def test_bird_accepts_rendered_config(tmp_path, version, node, g):
    # v3.20 has no mesh password/restart time, bind mode or ignored interfaces: they render nothing.
    globals_ = GLOBALS[g]
    view = node_view(node, NODES, globals_, pools=POOLS, blocks=BLOCKS, global_peers=PEERS[:2],
                     node_peers=PEERS[2:], static_routes=["10.96.0.0/12", "fd00:96::/108"],
                     reject_cidrs=["10.96.0.0/12"], calico_version=version)
    files = stock_bird_files(render_files(view))
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    for exe, cfg in (("bird", "bird.cfg"), ("bird6", "bird6.cfg")):
        r = subprocess.run([exe, "-p", "-c", os.path.join(tmp_path, cfg)], cwd=tmp_path,
                           capture_output=True, text=True)
        assert r.returncode == 0, f"{exe} rejects {cfg}: {r.stderr}\n{files[cfg]}"
