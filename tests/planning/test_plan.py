"""fastroute.planning.plan: sessions, Typha, pool use, routes (counted vs computed), convergence, compare, CLI."""

import json
import sys

import pytest

from fastroute.sim import converge
from fastroute.planning import plan
from fastroute.dataplane import routes
from fastroute.model import synth
from fastroute.bgp import topology
from fastroute.cli import main
from fastroute.errors import InvalidPrefixError, InvalidValueError, MissingDependencyError


@pytest.mark.parametrize("n, mesh, rr2, rr3", [      # worked numbers (docs/planning.md)
    (100, 4950, 197, 294), (1000, 499_500, 1997, 2994), (5000, 12_497_500, 9997, 14_994)])
def test_sessions_closed_form(n, mesh, rr2, rr3):
    assert plan.sessions(n) == (mesh, n - 1, None)
    assert plan.sessions(n, 2) == (rr2, 2, n - 1)
    assert plan.sessions(n, 3) == (rr3, 3, n - 1)


@pytest.mark.parametrize("k", [0, 2, 3])
def test_sessions_equal_the_topology(k):
    c = synth.cluster(12, 1, pools=["10.244.0.0/16"], reflectors=k).allocate()
    s = topology.compute(c).sessions(4)
    established = int(sum(bool(x) for x in s.established))
    p = plan.plan(12, 1, pool="10.244.0.0/16", topology="rr" if k else "mesh", reflectors=k or None,
                  simulate=False)
    assert p["sessions_total"] * 2 == established          # one row per direction


def test_typha_operator_formula():
    # GetExpectedTyphaScale: 1 for <= 2 nodes, 2 for <= 4, else max(3, n // 200 + 2)
    assert [plan.typha_replicas(n) for n in (1, 2, 3, 4, 5, 200, 399, 400, 1000, 5000)] == \
        [1, 1, 2, 2, 3, 3, 3, 4, 7, 27]


@pytest.mark.parametrize("kw", [
    dict(nodes=8, pods_per_node=5),
    dict(nodes=8, pods_per_node=5, topology="rr", reflectors=2),
    dict(nodes=6, pods_per_node=40, pool="10.244.0.0/24"),           # 4 blocks for 6 nodes: borrowing
    dict(nodes=6, pods_per_node=3, encapsulation="IPIP", block_size=30),
])
def test_routes_counted_equal_computed_equal_kernel_tables(kw):
    kw = dict(dict(pool="10.244.0.0/16", simulate=False), **kw)
    computed = plan.plan(**kw)
    counted = plan.plan(**kw, compute_limit=0)
    assert computed["routes_method"] == "computed" and counted["routes_method"] == "counted"
    assert computed["routes_per_node"] == counted["routes_per_node"]
    assert computed["routes_per_node_mean"] == counted["routes_per_node_mean"]
    # independently: every node's kernel table from fastroute.dataplane.routes
    c = synth.cluster(kw["nodes"], kw["pods_per_node"], pools=[kw["pool"]], block_size=kw.get("block_size", 26),
                      reflectors=kw.get("reflectors") or 0, encapsulation=kw.get("encapsulation", "None")).allocate()
    t = routes.compute(c)
    sizes = [len(t.routes(v)) for v in range(c.n_nodes)]
    assert computed["routes_per_node"] == max(sizes)
    assert computed["routes_per_node_mean"] == pytest.approx(sum(sizes) / len(sizes))
    assert computed["prefixes"] == len(c.blocks) + len(c.borrowed(4))


def test_seed_sized_plan_by_hand():
    p = plan.plan(3, 3, pool="10.244.0.0/16", simulate=False)
    # 3 blocks; each node: 3 pods' /32s + 1 blackhole + the other 2 nodes' blocks
    assert (p["sessions_total"], p["sessions_per_node"], p["prefixes"], p["routes_per_node"]) == (3, 2, 3, 6)
    assert p["typha_replicas"] == 2 and p["pool"]["borrowed_ips"] == 0
    json.dumps(p)


def test_pool_borrowing_and_exhaustion_warnings():
    # a /16 of /26 blocks: 1,024 blocks; 700 nodes x 80 pods need 2 blocks each
    p = plan.plan(700, 80, pool="10.244.0.0/16", simulate=False, compute_limit=0)
    pool = p["pool"]
    assert pool["blocks_total"] == 1024 and pool["blocks_needed"] == 1400 and pool["nodes_before_borrowing"] == 512
    assert pool["blocks_used"] == 1024
    # every address beyond the blocks' capacity is borrowed... at least 700*80 - 1024*64 would not fit at all,
    # so borrowing fills partly used blocks: the borrowed IPs are exactly the /32s beyond the blocks
    assert pool["borrowed_ips"] > 0 and p["prefixes"] == 1024 + pool["borrowed_ips"]
    w = " ".join(p["warnings"])
    assert "holds only 1,024 /26 blocks" in w and "/32 route" in w and "512 nodes" in w and "/15 pool" in w
    q = plan.plan(600, 110, pool="10.244.0.0/16", simulate=False, compute_limit=0)
    w = " ".join(q["warnings"])
    assert q["pool"]["fits"] is False and "66,000" in w and "do not fit" in w
    # the rest is sized with a pool that holds 1,200 blocks: a /15, and says so
    assert q["pool"]["sized_with"] == "10.0.0.0/15" and "in this plan are for a 10.0.0.0/15 pool" in w
    assert q["prefixes"] == 1200 and q["pool"]["borrowed_ips"] == 0 and q["routes_per_node"] == 110 + 2 + 1198
    assert q["sessions_total"] == 600 * 599 // 2


def test_memory_matches_the_simulators_rib_counts():
    for k in (0, 2, 3):
        c = synth.cluster(30, 10, pools=["10.244.0.0/16"], reflectors=k).allocate()
        r = converge.simulate(c, "cold_start")
        p = plan.plan(30, 10, pool="10.244.0.0/16", topology="rr" if k else "mesh", reflectors=k or None)
        assert p["memory_per_node_bytes"] == int(r.memory["per_node_bytes"]["max"])
        assert p["convergence_s"] == pytest.approx(r.time_to_converge, abs=1e-6)
        if k:
            assert p["memory_per_reflector_bytes"] == int(max(r.memory["per_reflector_bytes"]))
            assert p["blackhole_reflector_crash_s"] is not None
        assert p["blackhole_node_crash_s"] > 0


def test_not_simulated_says_why():
    p = plan.plan(20, 2, pool="10.244.0.0/16", simulate_limit=10)
    assert p["convergence_s"] is None
    assert any("not simulated: a 20-node mesh is above simulate_limit=10" in w for w in p["warnings"])


def test_large_reflector_designs_are_simulated_in_aggregate_mode():
    # a reflector design is simulated at any size: past ~2,000 nodes its clients
    # merge into cohorts (fastroute.sim.cohorts)
    p = plan.plan(3000, 2, pool="10.0.0.0/12", topology="rr", reflectors=2, simulate_limit=10)
    assert p["convergence_s"] > 0 and p["blackhole_node_crash_s"] > 0
    assert "aggregate mode" in p["sources"]["cold_start"]


def test_compare():
    r = plan.compare([20, 150], [2, 3], 2, pool="10.244.0.0/16", simulate=False, compute_limit=0)
    designs = [(p["nodes"], p["topology"], p["reflectors"]) for p in r["plans"]]
    assert designs == [(20, "mesh", 0), (20, "rr", 2), (20, "rr", 3), (150, "mesh", 0), (150, "rr", 2),
                       (150, "rr", 3)]
    assert r["crossover"] == 150 and len(r["recommendation"]) == 2
    assert r["recommendation"][0].startswith("20 nodes: full mesh")
    assert r["recommendation"][1].startswith("150 nodes: 2 route reflectors (11,175 -> 297 sessions")
    json.dumps(r)
    assert r["warnings"][-1].endswith("Typha: replicas by the operator's formula: 150 nodes -> 3")
    assert plan.compare([20], [2], 2, pool="10.244.0.0/16", simulate=False)["crossover"] is None


def test_errors():
    with pytest.raises(InvalidPrefixError, match=r"invalid pool '10\.0\.0\.0/33'"):
        plan.plan(3, 1, pool="10.0.0.0/33")
    with pytest.raises(InvalidValueError, match=r"invalid block_size 19"):
        plan.plan(3, 1, block_size=19)
    with pytest.raises(InvalidValueError, match=r"invalid reflectors 3: topology 'rr' needs"):
        plan.plan(3, 1, topology="rr", reflectors=3)
    with pytest.raises(InvalidValueError, match=r"invalid reflectors 2 with topology 'mesh'"):
        plan.plan(3, 1, reflectors=2)
    with pytest.raises(InvalidValueError, match=r"invalid topology 'star'"):
        plan.plan(3, 1, topology="star")


def test_cli(tmp_path, capsys):
    assert main(["plan", "--nodes", "10", "--pods-per-node", "3", "--pool", "10.244.0.0/16", "--json"]) == 0
    p = json.loads(capsys.readouterr().out)
    for key in ("nodes", "topology", "reflectors", "sessions_total", "sessions_per_node", "prefixes",
                "routes_per_node", "memory_per_node_bytes", "convergence_s", "warnings"):
        assert key in p
    assert p["sessions_total"] == 45
    png = tmp_path / "plan.png"
    assert main(["plan", "--nodes", "10", "--pods-per-node", "3", "--topology", "rr", "--no-simulate",
                 "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "BGP sessions" in out and png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    png2 = tmp_path / "cmp.png"
    assert main(["compare", "--nodes", "10,120", "--pods-per-node", "2", "--no-simulate", "--json",
                 "--plot", str(png2)]) == 0
    r = json.loads(capsys.readouterr().out)
    assert len(r["plans"]) == 6 and r["crossover"] == 120 and png2.read_bytes()[:4] == b"\x89PNG"
    assert main(["compare", "--nodes", "10,x"]) == 2
    assert "invalid --nodes '10,x'" in capsys.readouterr().err
    assert main(["plan", "--nodes", "0"]) == 2
    assert "invalid nodes 0" in capsys.readouterr().err


def test_readme_plan_script_runs(capsys):
    import pathlib
    import runpy

    script = pathlib.Path(__file__).parents[2] / "examples" / "plan_script.py"
    runpy.run_path(str(script), run_name="__main__")
    out = capsys.readouterr().out
    assert "400 nodes, 2 reflectors: 797 BGP sessions (2 per node, 399 per reflector)" in out
    assert "crossover: 200 nodes" in out
    assert "1024 nodes: 1,024 of 1,024 blocks used, 0 borrowed IPs" in out
    tail = out[out.index("1050 nodes:"):]
    assert "1,024 of 1,024 blocks used" in tail and " 0 borrowed" not in tail


def test_plan_memory_prices_are_the_simulators():
    from fastroute.sim.converge import Params

    p = plan.plan(3, 3, pool="10.244.0.0/16", simulate=False)
    d = Params()
    # 3-node mesh: 2 remote prefixes received once, 3 in the Loc-RIB, 2 sessions
    assert p["memory_per_node_bytes"] == int(d.base_bytes + d.route_bytes * (2 + 3) + d.session_bytes * 2)
    assert f"{d.route_bytes:g} B per route entry" in p["sources"]["memory"]


@pytest.mark.parametrize("draw, result", [
    ("plot_plan", lambda: plan.plan(3, 3, pool="10.244.0.0/16", simulate=False)),
    ("plot_compare", lambda: plan.compare([3], [1], 3, pool="10.244.0.0/16", simulate=False)),
])
def test_plots_without_matplotlib_say_how_to_get_it(monkeypatch, tmp_path, draw, result):
    from fastroute.planning import plots

    r = result()
    monkeypatch.setitem(sys.modules, "matplotlib", None)      # import matplotlib raises ImportError
    with pytest.raises(MissingDependencyError, match=r"--plot needs matplotlib: pip install 'fastroute\[plot\]'"):
        getattr(plots, draw)(r, tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()
