"""The harness always cleans up: BIRDs killed, namespaces and work directory gone."""

import os
import subprocess

import pytest

from fastroute.bgp.birdcfg import NodeInfo, node_view
from fastroute.testing.emulate import EmuNode, Emulation, emu_node
from fastroute.errors import EmulationError

pytestmark = pytest.mark.interop

NODES = [NodeInfo("a", "10.0.0.1/24"), NodeInfo("b", "10.0.0.2/24")]


def namespaces():
    return subprocess.run(["ip", "netns", "list"], capture_output=True, text=True, check=True).stdout


def alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is gone once reaped, which close() does via wait().
    with open(f"/proc/{pid}/stat") as f:
        return f.read().split()[2] != "Z"


def test_teardown_when_a_check_fails(netns, tmp_path):
    emu = Emulation([emu_node(node_view(n, NODES)) for n in NODES], workdir=str(tmp_path))
    with pytest.raises(AssertionError, match="deliberate"):
        with emu:
            pids = [lv.procs[4].pid for lv in emu._live.values()]
            assert all(alive(p) for p in pids)
            assert f"{emu.prefix}-0" in namespaces() and f"{emu.prefix}-fab" in namespaces()
            raise AssertionError("deliberate")
    assert not any(alive(p) for p in pids)
    assert emu.prefix not in namespaces()
    assert list(tmp_path.iterdir()) == []


def test_teardown_when_bird_rejects_a_config(netns, tmp_path):
    good = emu_node(node_view(NODES[0], NODES))
    bad = EmuNode("b", "10.0.0.2/24", {"bird.cfg": "protocol nonsense {}\n"})
    emu = Emulation([good, bad], workdir=str(tmp_path))
    with pytest.raises(EmulationError, match=r"bird rejects the configuration of node 'b'"):
        with emu:
            pass  # pragma: no cover - start() fails
    assert emu.prefix not in namespaces()
    assert list(tmp_path.iterdir()) == []


def test_wait_times_out_naming_the_missing_sessions(netns):
    # b's BIRD is stopped at once, so a's Mesh_10_0_0_2 cannot come up.
    emus = [emu_node(node_view(n, NODES)) for n in NODES]
    with Emulation(emus) as emu:
        emu.stop_bird("b")
        with pytest.raises(EmulationError, match=r"sessions not Established after 3(\.0)? s: .*a/v4.*Mesh_10_0_0_2"):
            emu.wait(established={"a": ["Mesh_10_0_0_2"]}, timeout=3)
