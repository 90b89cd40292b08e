"""``Local_Workload_`` peers (BGPPeer ``localWorkloadSelector``), as fastroute renders them for
each release that has them, are accepted by real BIRD 1.6 (``bird -p`` / ``bird6 -p``): global
and node-specific ones, with BGPFilter calls and ``local as``, next to a ``Global_`` peer.
"""

import subprocess

import pytest

from fastroute.bgp import birdcfg, topology
from fastroute.model import reader
from fastroute.model.cluster import Cluster

pytestmark = pytest.mark.interop

CLUSTER = """
apiVersion: projectcalico.org/v3
kind: Node
metadata: {name: n1, labels: {rack: a}}
spec: {bgp: {ipv4Address: 10.0.0.1/24, ipv6Address: "2001::1/64"}}
---
apiVersion: projectcalico.org/v3
kind: BGPConfiguration
metadata: {name: default}
spec: {nodeToNodeMeshEnabled: false, asNumber: 64512}
---
apiVersion: projectcalico.org/v3
kind: BGPFilter
metadata: {name: only-44}
spec:
  importV4: [{action: Accept, matchOperator: In, cidr: 44.0.0.0/16}]
  importV6: [{action: Accept, matchOperator: In, cidr: "5000::/64"}]
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: everywhere}
spec: {localWorkloadSelector: "app == 'bird'", asNumber: 65100, localASNumber: 65002, filters: [only-44]}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: rack-a}
spec: {localWorkloadSelector: "app == 'gobgp'", nodeSelector: "rack == 'a'", asNumber: 65200}
---
apiVersion: projectcalico.org/v3
kind: BGPPeer
metadata: {name: tor}
spec: {peerIP: 10.0.0.254, asNumber: 65000}
---
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: {name: n1-k8s-bird-eth0, namespace: default, labels: {app: bird}}
spec: {node: n1, orchestrator: k8s, pod: bird, endpoint: eth0, interfaceName: cali0123456789a,
       ipNetworks: [192.168.1.5/32, "fd00::5/128"]}
---
apiVersion: projectcalico.org/v3
kind: WorkloadEndpoint
metadata: {name: n1-k8s-gobgp-eth0, namespace: default, labels: {app: gobgp}}
spec: {node: n1, orchestrator: k8s, pod: gobgp, endpoint: eth0, interfaceName: cali0123456789b,
       ipNetworks: [192.168.1.6/32, "fd00::6/128"]}
"""


@pytest.mark.parametrize("version", ["3.30.1", "3.30", "3.31", "3.32"])
def test_bird_accepts_local_workload_peers(tmp_path, version):
    cluster = Cluster.from_resources(reader.loads(CLUSTER, "cluster.yaml"))
    files = birdcfg.render_files(topology.compute(cluster, version).view("n1"))
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    for exe, cfg, peers in (("bird", "bird.cfg", ("192_168_1_5", "192_168_1_6")),
                            ("bird6", "bird6.cfg", ("fd00__5", "fd00__6"))):
        assert all(f"protocol bgp Local_Workload_{p} from bgp_template" in files[cfg] for p in peers)
        r = subprocess.run([exe, "-p", "-c", str(tmp_path / cfg)], cwd=tmp_path, capture_output=True, text=True)
        assert r.returncode == 0, f"{exe} rejects {cfg} ({version}): {r.stderr}\n{files[cfg]}"
