"""Convergence simulator: a rolling restart of calico-node across a 1,000-node mesh.

Run: .venv/bin/python -m pytest bench/test_rolling_restart.py --benchmark-only

A DaemonSet upgrade with maxUnavailable 1: every node's calico-node is killed
and restarted (BIRD -R, 10 s down), one node every 30 s, as one timeline
(fastroute.sim.timeline.rolling_restart): 1,000 restarts over ~8.3 hours of
simulated time.  Target (2-core machine): <= 60 s for the simulation; the
report's total disruption, worst pod pair and time to the last route moved are
recorded in ``extra_info``.
"""

import time

from fastroute.model import synth
from fastroute.sim import converge, timeline


def test_rolling_restart_1000_mesh(benchmark):
    c = synth.cluster(1000, 110, pools=["10.0.0.0/8"], seed=0).allocate()
    tl = [timeline.rolling_restart(batch=1, pause=30.0)]

    def run():
        t0 = time.perf_counter()
        r = converge.simulate(c, "timeline", timeline=tl)
        return r, time.perf_counter() - t0

    r, wall = benchmark.pedantic(run, rounds=1, iterations=1)
    u = r.unreachable
    benchmark.extra_info.update(
        wall_seconds=wall, events=r.cost["events"], pod_pair_seconds=u["pod_pair_seconds"],
        worst_pair=u["worst_pair"], last_route_moved_s=max(r.time_to_converge, r.time_to_rib_converge),
        updates=r.updates["messages"])
    assert r.converged and r.n_nodes == 1000
    # the last restart is 999 pauses in; its node's routes move once its sessions are back
    assert 999 * 30.0 < r.time_to_rib_converge < 999 * 30.0 + 60.0
    assert wall <= 60.0
