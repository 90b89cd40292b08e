"""Outages that never end: a single reflector's crash is permanent loss in plan,
compare, sweep and converge (never "0.0 s"), and the design is a single point
of failure."""

import json

import fastroute
from fastroute.cli.main import main
from fastroute.planning import plan

POOL = "10.244.0.0/16"


def test_plan_counts_a_single_reflector_crash_as_permanent():
    p = plan.plan(12, 4, pool=POOL, topology="rr", reflectors=1)
    assert p["reflector_crash_permanent"] is True and p["single_point_of_failure"] is True
    assert p["blackhole_reflector_crash_s"] is None             # not a duration
    assert p["reflector_crash_pod_pairs_lost"] == 11 * 10 * 4 * 4
    assert any("single point of failure" in w and "1,760 pod pairs" in w for w in p["warnings"])
    q = plan.plan(12, 4, pool=POOL, topology="rr", reflectors=2)
    assert q["reflector_crash_permanent"] is False and q["single_point_of_failure"] is False
    assert q["blackhole_reflector_crash_s"] == 0.0 and q["reflector_crash_pod_pairs_lost"] == 0.0


def test_plan_warns_of_the_graceful_restart_trap():
    p = plan.plan(12, 4, pool=POOL, simulate=False)
    assert plan.GR_TRAP_WARNING in p["warnings"]
    assert "240 s" in plan.GR_TRAP_WARNING and "-R" in plan.GR_TRAP_WARNING


def test_plan_and_compare_text_say_permanent(capsys):
    assert main(["plan", "--nodes", "12", "--pods-per-node", "4", "--pool", POOL, "--topology", "rr",
                 "--reflectors", "1"]) == 0
    out = capsys.readouterr().out
    line = next(x for x in out.splitlines() if "outage after a reflector crash" in x)
    assert "permanent: 1,760 pod pairs cut (single point of failure)" in line and "0.0 s" not in line
    assert main(["compare", "--nodes", "12", "--reflectors", "1,2", "--pods-per-node", "4", "--pool", POOL]) == 0
    out = capsys.readouterr().out
    one = next(x for x in out.splitlines() if "1 RR" in x)
    assert "(SPOF)" in one and one.rstrip().endswith("permanent")
    two = next(x for x in out.splitlines() if "2 RR" in x)
    assert "SPOF" not in two and "permanent" not in two


def test_converge_text_and_json_say_permanent(tmp_path, capsys):
    f = tmp_path / "c.yaml"
    with open(f, "w") as out:
        fastroute.synth.cluster(12, 4, pools=[POOL], reflectors=1, seed=1).allocate().dump(out)
    assert main(["converge", str(f), "-s", "reflector_crash"]) == 0
    out = capsys.readouterr().out
    assert next(x for x in out.splitlines() if "longest outage" in x).rstrip().endswith("permanent")
    assert "pod pairs still unreachable (permanent)" in out
    assert main(["converge", str(f), "-s", "reflector_crash", "--json"]) == 0
    u = json.loads(capsys.readouterr().out)["unreachable"]
    assert u["permanent"] is True and u["pod_pairs_unreachable_at_end"] == 1760


def test_sweep_counts_permanent_outages(capsys):
    t = fastroute.sweep({"run": "converge", "params": {"nodes": 12, "reflectors": [1, 2], "pods_per_node": 4,
                                                       "pool": POOL, "scenario": "reflector_crash", "seed": 1}},
                        workers=0)
    assert t["permanent_outage"] == [True, False]
    assert t["pod_pairs_unreachable_at_end"][0] > 0
    t = fastroute.sweep({"run": "plan", "params": {"nodes": 12, "reflectors": [1, 2], "pods_per_node": 4,
                                                   "pool": POOL}}, workers=0)
    assert t["reflector_crash_permanent"] == [True, False] and t["single_point_of_failure"] == [True, False]
    assert t["blackhole_reflector_crash_s"][0] is None


def test_sweep_text_says_permanent(tmp_path, capsys):
    grid = tmp_path / "grid.yaml"
    grid.write_text(f"run: converge\nparams:\n  nodes: 12\n  reflectors: [1, 2]\n  pods_per_node: 4\n"
                    f"  pool: {POOL}\n  scenario: reflector_crash\n")
    assert main(["sweep", str(grid), "--workers", "0"]) == 0
    out = capsys.readouterr().out
    rows = [x for x in out.splitlines() if x.strip().startswith(("0 ", "1 "))]
    assert len(rows) == 2 and "permanent" in rows[0] and "permanent" not in rows[1]


def test_crash_plots_show_the_disruption(tmp_path):
    import matplotlib

    matplotlib.use("Agg")
    from fastroute.planning import plots
    from fastroute.sim import converge

    captured = {}
    real_save = plots._save

    def keep(plt, fig, path):
        captured["fig"] = fig
        return real_save(plt, fig, path)

    c = fastroute.synth.cluster(12, 4, pools=[POOL], reflectors=1, seed=1).allocate()
    plots._save, saved = keep, plots._save
    try:
        plots.plot_convergence(converge.simulate(c, "reflector_crash"), str(tmp_path / "rc.png"))
    finally:
        plots._save = saved
    fig = captured["fig"]
    assert (tmp_path / "rc.png").stat().st_size > 0 and len(fig.axes) == 2
    line = fig.axes[1].lines[0]
    # the cut pairs rise to every client pair and stay there: 11 clients x 10 other clients
    assert max(line.get_ydata()) == 110 and line.get_ydata()[-1] == 110
    assert any(t.get_text() == "permanent" for t in fig.axes[1].texts)
