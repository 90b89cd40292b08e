"""fastroute.sweep: grid expansion and errors, a 2-worker local Dask cluster, failing points,
determinism, the three kinds of run against the library calls they wrap, the CLI."""

import csv
import json
import subprocess
import sys
from pathlib import Path

import time

import pytest

import fastroute
from fastroute.planning import plan, sweeps
from fastroute.cli import main
from fastroute.errors import GridError, InvalidValueError, MissingDependencyError, SweepError

distributed = pytest.importorskip("distributed")

POOL = "10.244.0.0/16"


@pytest.fixture(scope="module")
def cluster():
    # worker processes, as `fastroute sweep` starts them; one per CI core
    with sweeps.local_cluster(2) as lc:
        yield lc


@pytest.fixture(scope="module")
def client(cluster):
    with distributed.Client(cluster) as c:
        yield c


def small_plan_grid(**params):
    return {"run": "plan", "params": dict(dict(nodes=[3, 6], topology=["mesh", "rr"], reflectors=[1, 2],
                                               pods_per_node=4, pool=POOL, simulate=False), **params)}


# ---------------------------------------------------------------------------- expansion


def test_expand_order_normalises_and_dedupes():
    run, pts = sweeps.expand(small_plan_grid())
    assert run == "plan"
    # product in grid order (nodes slowest); mesh x {1, 2} reflectors collapse to one mesh point
    assert [(p["nodes"], p["topology"], p["reflectors"]) for p in pts] == [
        (3, "mesh", 0), (3, "rr", 1), (3, "rr", 2), (6, "mesh", 0), (6, "rr", 1), (6, "rr", 2)]
    assert list(pts[0]) == ["nodes", "topology", "reflectors", "pods_per_node", "pool", "simulate"]


def test_expand_reflectors_alone_choose_the_topology_and_filters():
    grid = {"params": {"nodes": [10, 100, 1000], "reflectors": [0, 2, 3], "pods_per_node": 110},
            "exclude": [{"topology": "rr", "nodes": 10}, {"reflectors": 3, "nodes": [100, 1000]}],
            "where": "nodes * pods_per_node <= 50000"}
    _, pts = sweeps.expand(grid)
    assert [(p["nodes"], p["topology"], p["reflectors"]) for p in pts] == [
        (10, "mesh", 0), (100, "mesh", 0), (100, "rr", 2)]


@pytest.mark.parametrize("grid, match", [
    ({"params": {"nodes": 3}, "runs": "plan"}, r"unknown key 'runs': expected 'run', 'params'"),
    ({"run": "simulate", "params": {"nodes": 3}}, r"invalid run 'simulate': expected one of 'plan', 'converge'"),
    ({"params": [3, 4]}, r"params: expected a mapping"),
    ({"params": {"nodes": [3, "many"]}}, r"invalid value 'many' at params\.nodes\[1\]: expected an integer"),
    ({"params": {"nodes": [3, 0]}}, r"invalid value 0 at params\.nodes\[1\]: must be >= 1"),
    ({"params": {"nodes": 3, "block_size": 33}}, r"invalid value 33 at params\.block_size: must be 20\.\.32"),
    ({"params": {"nodes": 3, "topology": "star"}}, r"invalid value 'star' at params\.topology: expected one of "
                                                   r"'mesh', 'rr'"),
    ({"params": {"nodes": 3, "nodez": 4}}, r"unknown parameter params\.nodez: run 'plan' takes .*block_size"),
    ({"params": {"nodes": 3, "scenario": "node_crash"}}, r"params\.scenario: applies to run 'converge', not 'plan'"),
    ({"run": "converge", "params": {"nodes": 3, "scenario": ["cold_start", "meteor"]}},
     r"invalid value 'meteor' at params\.scenario\[1\]: expected one of 'cold_start'"),
    ({"run": "converge", "params": {"nodes": 3, "hold_time": [90, "long"]}},
     r"invalid value 'long' at params\.hold_time\[1\]: expected a number"),
    ({"run": "failure", "params": {"nodes": 3, "failure": "rack"}},
     r"invalid value 'rack' at params\.failure: expected one of 'none', 'node', 'reflector', 'reflectors'"),
    ({"params": {"nodes": []}}, r"params\.nodes: empty list"),
    ({"params": {"pods_per_node": 3}}, r"params\.nodes is required"),
    ({"params": {"nodes": 3}, "exclude": [{"racks": 2}]}, r"exclude\[0\]\.racks: not a parameter of the grid"),
    ({"params": {"nodes": 3}, "exclude": {"nodes": 3}}, r"exclude: expected a list of mappings"),
    ({"params": {"nodes": 3}, "where": "nodes >"}, r"invalid expression 'nodes >' at where\[0\]"),
    ({"params": {"nodes": 3}, "where": "__import__('os')"}, r"Call not allowed"),
    ({"params": {"nodes": 3}, "where": "pods < 5"}, r"unknown name 'pods'"),
])
def test_grid_errors_say_where_and_what_is_allowed(grid, match):
    with pytest.raises(GridError, match=match):
        sweeps.expand(grid)


def test_grid_file_errors_name_the_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("params: {nodes: [3, 4\n")
    with pytest.raises(GridError, match=r"bad\.yaml: not valid YAML"):
        sweeps.load_grid(bad)
    lst = tmp_path / "list.yaml"
    lst.write_text("- nodes: 3\n")
    with pytest.raises(GridError, match=r"list\.yaml: expected a mapping"):
        sweeps.load_grid(lst)
    val = tmp_path / "val.yaml"
    val.write_text("params:\n  nodes: [3, -1]\n")
    with pytest.raises(GridError, match=r"val\.yaml: invalid value -1 at params\.nodes\[1\]"):
        sweeps.sweep(str(val), workers=0)


# ---------------------------------------------------------------------------- on Dask


def test_small_grid_on_two_workers_equals_plan(client):
    t = fastroute.sweep(small_plan_grid(), client=client)
    assert len(t) == 6 and t.n_failed == 0
    assert t.meta["workers"] == 2
    assert t["point"] == list(range(6))
    assert t.columns[:7] == ["point", "nodes", "topology", "reflectors", "pods_per_node", "pool", "simulate"]
    assert t.columns[-1] == "error" and set(sweeps.FIGURES["plan"]) <= set(t.columns)
    for row in t:
        p = plan.plan(row["nodes"], 4, pool=POOL, topology=row["topology"], reflectors=row["reflectors"],
                      simulate=False)
        for k in ("sessions_total", "sessions_per_node", "prefixes", "routes_per_node", "memory_per_node_bytes",
                  "memory_per_reflector_bytes", "typha_replicas"):
            assert row[k] == p[k], (row["point"], k)
    assert t.to_dict()["sessions_total"] == [3, 2, 3, 15, 5, 9]       # n(n-1)/2 and k(n-k) + k(k-1)/2
    json.loads(t.to_json())                                            # JSON-serialisable throughout


def test_failing_point_has_its_error_and_the_others_finish(client):
    # 2 nodes cannot have 2 reflectors; the 6-node points run
    t = fastroute.sweep(small_plan_grid(nodes=[2, 6], topology="rr", reflectors=2), client=client)
    assert t["nodes"] == [2, 6]
    bad, good = t.rows
    assert bad["error"].startswith("InvalidValueError: invalid reflectors 2: topology 'rr' needs 1 <= reflectors "
                                   "< nodes (2)")
    assert all(bad[k] is None for k in sweeps.FIGURES["plan"])
    assert good["error"] is None and good["sessions_total"] == 9
    assert t.n_failed == 1 and t.meta["n_failed"] == 1


def test_deterministic_across_runs_and_with_the_serial_run(client):
    grid = {"run": "converge", "params": {"nodes": [5, 8], "reflectors": [0, 2], "pods_per_node": 3,
                                         "pool": POOL, "scenario": ["cold_start", "node_crash"], "seed": [0, 1]}}
    a = fastroute.sweep(grid, client=client)
    b = fastroute.sweep(grid, client=client)
    c = fastroute.sweep(grid, workers=0)
    assert len(a) == 16 and a.n_failed == 0
    assert a.rows == b.rows == c.rows
    # the seed is the simulator's: start times and hold-timer jitter move with it
    crash = [r for r in a if r["scenario"] == "node_crash" and r["nodes"] == 8 and r["reflectors"] == 0]
    assert [r["seed"] for r in crash] == [0, 1]
    assert crash[0]["time_to_converge_s"] != crash[1]["time_to_converge_s"]
    assert all(100 <= r["time_to_converge_s"] <= 245 for r in crash)   # the hold timer decides (180-240 s)


def test_own_local_cluster_and_its_worker_environment(client):
    import os

    t = fastroute.sweep(small_plan_grid(nodes=[3, 4]), workers=2)       # starts and closes its own cluster
    assert t.meta["workers"] == 2 and t.rows == fastroute.sweep(small_plan_grid(nodes=[3, 4]), workers=0).rows
    env = client.run(lambda: (os.environ.get("MALLOC_TRIM_THRESHOLD_"), os.environ.get("OMP_NUM_THREADS")))
    assert set(env.values()) == {(None, "1")}      # glibc's own mmap threshold; one OpenMP thread per worker


def test_converge_point_equals_simulate():
    from fastroute.sim import converge
    from fastroute.model import synth

    t = fastroute.sweep({"run": "converge", "params": {"nodes": 6, "reflectors": 2, "pods_per_node": 3,
                                                       "pool": POOL, "scenario": "reflector_crash", "seed": 3,
                                                       "hold_time": 90}}, workers=0)
    c = synth.cluster(6, 3, pools=[POOL], reflectors=2, seed=3).allocate()
    r = converge.simulate(c, "reflector_crash", seed=3, hold_time=90)
    row = t.rows[0]
    assert row["hold_time"] == 90 and row["error"] is None
    assert row["time_to_converge_s"] == r.time_to_converge and row["events"] == r.cost["events"]
    assert row["updates"] == r.updates["messages"] and row["max_outage_s"] == r.unreachable["max_outage_seconds"]


def test_failure_what_if_by_hand():
    t = fastroute.sweep({"run": "failure", "params": {"nodes": 6, "reflectors": [0, 1, 2], "pods_per_node": 3,
                                                      "pool": POOL, "failure": ["none", "node", "reflector"]}},
                        workers=0)
    got = {(r["reflectors"], r["failure"]): (r["down"], r["missing_routes"], r["nodes_missing_routes"], r["error"])
           for r in t}
    assert got[(0, "none")] == ("", 0, 0, None)
    # node-5 stops: each of the 5 others loses its one block
    assert got[(0, "node")] == ("node-5", 5, 5, None)
    assert got[(0, "reflector")][3].startswith("InvalidValueError: invalid failure 'reflector' with topology 'mesh'")
    # the only reflector stops: each of the 5 clients keeps only its own block (5 x 5 missing)
    assert got[(1, "reflector")] == ("node-0", 25, 5, None)
    # one of two reflectors: only the stopped reflector's own block is missing
    assert got[(2, "reflector")] == ("node-0", 5, 5, None)


# ---------------------------------------------------------------------------- table, CLI


def test_table_writes_csv_and_json(tmp_path):
    t = fastroute.sweep(small_plan_grid(nodes=3), workers=0)
    t.write(tmp_path / "t.csv")
    with open(tmp_path / "t.csv") as f:
        rows = list(csv.DictReader(f))
    assert [r["reflectors"] for r in rows] == ["0", "1", "2"] and rows[1]["sessions_per_reflector"] == "2"
    assert rows[0]["sessions_per_reflector"] == ""                     # None
    t.write(tmp_path / "t.json")
    d = json.loads((tmp_path / "t.json").read_text())
    assert d["columns"] == t.columns and d["rows"] == t.rows
    with pytest.raises(InvalidValueError, match=r"t\.xlsx': expected a name ending in \.csv, \.json or \.parquet"):
        t.write(tmp_path / "t.xlsx")


def test_parquet_without_pyarrow_says_so(tmp_path):
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        t = fastroute.sweep(small_plan_grid(nodes=3), workers=0)
        with pytest.raises(MissingDependencyError, match=r"parquet needs pyarrow .*or write \.csv or \.json"):
            t.write(tmp_path / "t.parquet")
    else:
        import pyarrow.parquet as pq
        t = fastroute.sweep(small_plan_grid(nodes=3), workers=0)
        t.write(tmp_path / "t.parquet")
        assert pq.read_table(tmp_path / "t.parquet").to_pylist() == t.rows


@pytest.fixture
def grid_file(tmp_path):
    path = tmp_path / "grid.yaml"
    path.write_text(f"""
name: tiny
run: plan
params:
  nodes: [3, 4]
  reflectors: [0, 2, 3]
  pods_per_node: 3
  pool: {POOL}
  simulate: false
""")
    return path


def test_cli_json_on_a_running_scheduler(cluster, grid_file, capsys):
    # one point of the grid fails: the answer is "broken", exit 1 (as verify with findings)
    assert main(["sweep", str(grid_file), "--scheduler", cluster.scheduler_address, "--json"]) == 1
    d = json.loads(capsys.readouterr().out)
    assert d["meta"]["name"] == "tiny" and d["meta"]["workers"] == 2
    assert [(r["nodes"], r["reflectors"]) for r in d["rows"]] == [(3, 0), (3, 2), (3, 3), (4, 0), (4, 2), (4, 3)]
    assert [r["error"] is not None for r in d["rows"]] == [False, False, True, False, False, False]


def test_cli_out_csv_serial_and_table(grid_file, tmp_path, capsys):
    out = tmp_path / "r.csv"
    assert main(["sweep", str(grid_file), "--workers", "0", "--out", str(out)]) == 1
    text = capsys.readouterr()
    assert "sweep tiny (plan): 6 points, 1 failed" in text.out and f"table written to {out}" in text.out
    assert "1 of 6 points failed" in text.err
    with open(out) as f:
        rows = list(csv.DictReader(f))
    assert [r["sessions_total"] for r in rows] == ["3", "3", "", "6", "5", "6"]


def test_cli_plot_and_out_say_where_they_went(grid_file, tmp_path, capsys):
    out, png = tmp_path / "r.json", tmp_path / "s.png"
    assert main(["sweep", str(grid_file), "--workers", "0", "--out", str(out), "--plot", str(png)]) == 1
    lines = capsys.readouterr().out.splitlines()
    assert lines[-2:] == [f"table written to {out}", f"plot written to {png}"]
    assert png.read_bytes()[:4] == b"\x89PNG" and json.loads(out.read_text())["meta"]["name"] == "tiny"


def test_table_parameters_are_the_columns_before_the_figures():
    t = fastroute.sweep(small_plan_grid(nodes=3), workers=0)
    assert t.parameters == t.columns[1:t.columns.index("sessions_total")]
    assert "nodes" in t.parameters and "sessions_total" not in t.parameters
    assert t.varies("reflectors") and not t.varies("nodes")


@pytest.mark.parametrize("argv, match", [
    (["--out", "r.xlsx"], "invalid --out 'r.xlsx'"),
    (["--workers", "-1"], "invalid --workers -1"),
])
def test_cli_errors(grid_file, capsys, argv, match):
    assert main(["sweep", str(grid_file), *argv]) == 2
    assert f"fastroute: error: {match}" in capsys.readouterr().err


def test_cli_bad_grid_exits_2_naming_file_and_key(tmp_path, capsys):
    g = tmp_path / "g.yaml"
    g.write_text("params:\n  nodes: 3\n  topology: [mesh, ring]\n")
    assert main(["sweep", str(g), "--workers", "0"]) == 2
    err = capsys.readouterr().err
    assert err.startswith(f"fastroute: error: {g}: invalid value 'ring' at params.topology[1]")


def test_example_grid_expands():
    run, pts = sweeps.expand(sweeps.load_grid(Path(__file__).parents[2] / "examples" / "sweep_grid.yaml"))
    assert run == "plan" and len(pts) == 20


def test_import_fastroute_does_not_import_dask():
    code = "import sys, fastroute; fastroute.sweep; print('distributed' in sys.modules, 'dask' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False"]


@pytest.mark.slow
def test_unreachable_scheduler():
    with pytest.raises(SweepError, match=r"cannot reach the Dask scheduler 'tcp://127\.0\.0\.1:1'"):
        fastroute.sweep(small_plan_grid(nodes=3), scheduler="tcp://127.0.0.1:1")


# ---------------------------------------------------------------------------- hostile grids


@pytest.mark.parametrize("where, match", [
    ("9**9**9 > 1", r"9 \*\* 387420489 is too large"),
    ("nodes ** 1000000 > 0", r"3 \*\* 1000000 is too large"),
    ("'x' * 10**9 == ''", r"arithmetic needs numbers, got 'x' and 10"),
    ("2 ** 100 * 2 ** 100 * 2 ** 100 > 0", r"a number is too large"),
    ("(" * 400 + "nodes" + ")" * 400 + " > 1", r"invalid expression"),
    ("nodes > 1 or " * 200 + "nodes > 1", r"longer than 1000 characters"),
    (repr(10 ** 100) + " > nodes", r"a number is too large"),
    ("nodes.__class__", r"Attribute not allowed"),
    ("[x for x in (1,)]", r"ListComp not allowed"),
])
def test_where_cannot_hang_or_fill_memory(where, match):
    t0 = time.perf_counter()
    with pytest.raises(GridError, match=match):
        sweeps.expand({"params": {"nodes": [3, 5]}, "where": where})
    assert time.perf_counter() - t0 < 5          # a bound on a hang, not a performance target


@pytest.mark.parametrize("where", [
    "nodes * pods_per_node <= 50", "nodes in (3, 7) and not pods_per_node > 5", "nodes % 2 == 1 or false",
    "-nodes < -4", "nodes ** 2 // 3 >= pods_per_node", "3 <= nodes < 8 != pods_per_node",
    "nodes / 2 > 1.5", "topology == 'mesh' and reflectors == 0", "(nodes, 1) != ()",
])
def test_where_computes_what_python_would(where):
    # the reference is Python itself, on trusted expressions written here
    grid = {"params": {"nodes": [3, 5, 7], "pods_per_node": [2, 10]}}
    everything = sweeps.expand(grid)[1]
    kept = sweeps.expand(dict(grid, where=where))[1]
    expected = [p for p in everything if eval(where, {"__builtins__": {}}, dict(p, true=True, false=False))]
    assert kept == expected


def test_grid_size_is_checked_before_expanding():
    grid = {"params": {"nodes": list(range(1, 1001)), "pods_per_node": list(range(1, 1001))}}
    t0 = time.perf_counter()
    with pytest.raises(GridError, match=r"1,000,000 points \(1000 nodes x 1000 pods_per_node\); at most 100,000"):
        sweeps.expand(grid)
    assert time.perf_counter() - t0 < 5


def test_alias_bomb_grid_is_refused_with_a_short_message(tmp_path):
    lines = ["a0: &a0 [1, 1, 1, 1, 1, 1, 1, 1, 1]"]
    lines += [f"a{i}: &a{i} [" + ", ".join([f"*a{i - 1}"] * 9) + "]" for i in range(1, 10)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\nrun: plan\nparams: {nodes: *a9}\n")
    t0 = time.perf_counter()
    with pytest.raises(GridError) as e:
        sweeps.expand(sweeps.load_grid(bomb))
    assert time.perf_counter() - t0 < 5 and len(str(e.value)) < 400


_BOMB = "[" + ", ".join(["&b0 [1, 1, 1, 1, 1, 1, 1, 1, 1]"] + [
    f"&b{i} [" + ", ".join([f"*b{i - 1}"] * 9) + "]" for i in range(1, 10)]) + "]"


@pytest.mark.parametrize("place, text, match", [
    ("params", f"params: {{nodes: {_BOMB}}}", r"params.nodes\[0\]: expected an integer"),
    ("exclude", f"params: {{nodes: [10, 20]}}\nexclude: {_BOMB}", r"exclude: expected a list of mappings"),
    ("where", f"params: {{nodes: [10, 20]}}\nwhere: {_BOMB}", r"where: expected an expression"),
    ("name", f"params: {{nodes: [10, 20]}}\nname: {_BOMB}", r"name: expected a text of at most 200"),
])
def test_alias_bomb_anywhere_in_a_grid_is_refused_short_and_fast(tmp_path, place, text, match):
    # the bomb's 9**10 leaves are never walked: the value is refused by its shape
    f = tmp_path / "g.yaml"
    f.write_text("run: plan\n" + text + "\n")
    t0 = time.perf_counter()
    with pytest.raises(GridError, match=match) as e:
        sweeps.expand(sweeps.load_grid(f))
    assert time.perf_counter() - t0 < 5 and len(str(e.value)) < 400


def test_local_cluster_dashboard_listens_on_loopback_only(cluster):
    assert "127.0.0.1" in cluster.dashboard_link


def test_grid_without_points_and_bad_scheduler_address_are_errors():
    with pytest.raises(GridError, match=r"no points: exclude and where remove all 2 points"):
        sweeps.expand({"params": {"nodes": [3, 4]}, "where": "nodes > 5"})
    with pytest.raises(SweepError, match=r"invalid Dask scheduler address 'garbage://::x'"):
        fastroute.sweep(small_plan_grid(nodes=[3]), scheduler="garbage://::x")
