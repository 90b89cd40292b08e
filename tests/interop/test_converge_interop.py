"""Calibration of the convergence model against real BIRD 1.6 (issue 6).

A small full-mesh cluster runs in network namespaces (fastroute.testing.emulate); every
node's `ip route` is polled from the first BIRD start until it holds a BIRD route
to every other node's prefixes.  The model, fed the same BIRD start times and its
default parameters, must predict that cold-start time within a factor of 2.
"""

import time

import pytest

from fastroute.sim import converge
from fastroute.model import synth
from fastroute.testing.emulate import cluster_emulation
from fastroute.iproute import parse_ip_route

pytestmark = pytest.mark.interop


def bird_routes(text):
    return sum(1 for r in parse_ip_route(text) if r.proto == "bird" and r.type != "blackhole")


@pytest.mark.parametrize("n", [3, 5])
def test_cold_start_time_within_2x(netns, n):
    c = synth.cluster(n, pods_per_node=2, pools=["10.244.0.0/16"], seed=3).allocate()
    d = converge.design(c)
    # every node ends with one BIRD route per prefix of every other node's class
    want = {name: int(d.n_prefix[d.classes != i].sum()) for i, name in enumerate(d.names)}
    emu, _ = cluster_emulation(c)
    starts = {}
    start_bird = emu.start_bird

    def record(name, family=4):
        starts[name] = time.monotonic()
        return start_bird(name, family)

    emu.start_bird = record
    done = {}
    with emu:
        deadline = time.monotonic() + 60
        while len(done) < n and time.monotonic() < deadline:
            for name in d.names:
                if name not in done and bird_routes(emu.ip_route(name)) >= want[name]:
                    done[name] = time.monotonic()
            time.sleep(0.05)
    assert len(done) == n, f"not converged in 60 s: {sorted(set(d.names) - set(done))}"
    t0 = min(starts.values())
    real = max(done.values()) - t0
    model = converge.simulate(d, "cold_start", start_times=[starts[name] - t0 for name in d.names])
    predicted = model.time_to_converge
    print(f"n={n}: real BIRD {real:.2f} s, model {predicted:.2f} s")
    assert predicted / 2 <= real <= predicted * 2


def test_restart_and_stop_match_the_model(netns):
    """calico-node killed (the kernel closes the TCP sessions): peers keep the node's
    routes (graceful restart), as the model's calico_node_restart predicts; BIRD
    stopped with SIGTERM (Cease): peers drop them within a second, as node_drain."""
    n = 3
    c = synth.cluster(n, pods_per_node=2, pools=["10.244.0.0/16"], seed=4).allocate()
    d = converge.design(c)
    victim = d.names[-1]
    victim_prefixes = set(d.prefixes[list(d.classes).index(n - 1)])
    others = d.names[:-1]

    def learned(emu, name):
        return {r.dst for r in parse_ip_route(emu.ip_route(name)) if r.proto == "bird" and r.type != "blackhole"}

    emu, _ = cluster_emulation(c)
    with emu:
        emu.wait()
        assert all(victim_prefixes <= learned(emu, o) for o in others)
        emu.stop_bird(victim, crash=True)
        time.sleep(5.0)
        kept = all(victim_prefixes <= learned(emu, o) for o in others)
        emu.start_bird(victim)
        emu.wait()
        t0 = time.monotonic()
        emu.stop_bird(victim)
        gone = None
        while time.monotonic() - t0 < 10:
            if all(not (victim_prefixes & learned(emu, o)) for o in others):
                gone = time.monotonic() - t0
                break
            time.sleep(0.05)
    model_restart = converge.simulate(d, "calico_node_restart", node=victim)
    model_drain = converge.simulate(d, "node_drain", node=victim)
    assert kept and model_restart.unreachable["n_outages"] == 0
    assert gone is not None and gone < 1.0 and model_drain.time_to_converge < 1.0
