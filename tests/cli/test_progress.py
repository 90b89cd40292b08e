"""Progress: every command that can work for seconds says what it is doing, on stderr, on a terminal
only; a command that writes a file says so."""

import os
import subprocess
import sys

import pytest

from fastroute.cli import _common, main

GRID = """\
name: tiny
run: plan
params:
  nodes: [5, 6]
  pods_per_node: 2
  simulate: false
"""


@pytest.fixture
def steps(monkeypatch):
    """The steps a command reports, recorded in place of the bar on screen."""
    seen = []
    monkeypatch.setattr(_common, "_active_bar", (seen.append, lambda: seen.append("+1")))
    return seen


STEPS = [
    (["export", "-o", "json"], ["loading the bundled seed cluster", "writing 3 nodes and 6 pods as JSON"]),
    (["plan", "--nodes", "5", "--pods-per-node", "2"], ["computing 5 routing tables", "simulating cold start"]),
    (["compare", "--nodes", "5", "--pods-per-node", "2", "--no-simulate"],
     ["5 nodes, full mesh: computing 5 routing tables", "+1"]),
    (["converge", "-s", "node_crash"], ["loading the bundled seed cluster", "simulating node crash"]),
    (["traffic", "flows.csv"], ["reading flows.csv", "mapping 1 flows"]),
    (["sweep", "grid.yaml", "--workers", "0"], ["1 of 2 points", "2 of 2 points"]),
    (["verify"], ["loading the bundled seed cluster", "checking 3 nodes: routing tables, every pod pair, the design"]),
    (["routes", "--node", "master"], ["computing 3 nodes' routing tables"]),
    (["why", "--node", "master", "10.244.166.128/26"], ["computing 3 nodes' routing tables"]),
    (["trace", "10.244.219.66", "10.244.166.129"], ["computing 3 nodes' routing tables"]),
    (["status", "--node", "master"], ["computing the BGP sessions of 3 nodes"]),
]


@pytest.mark.parametrize("argv, expected", STEPS, ids=[argv[0] for argv, _ in STEPS])
def test_each_long_command_reports_its_steps(argv, expected, steps, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "flows.csv").write_text("src,dst,bytes\n10.244.219.66,10.244.166.129,1000\n")
    (tmp_path / "grid.yaml").write_text(GRID)
    assert main(argv) == 0, capsys.readouterr().err
    assert set(expected) <= set(steps), steps


def _run(argv, cwd, **env):
    clean = {k: v for k, v in os.environ.items() if k not in ("FORCE_COLOR", "NO_COLOR", "TTY_COMPATIBLE",
                                                              "TTY_INTERACTIVE", "TERM")}
    clean.update(PYTHONPATH=os.pathsep.join(sys.path), COLUMNS="100", **env)
    code = "import sys; from fastroute.cli import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", code, *argv], cwd=cwd, env=clean, capture_output=True, text=True,
                          timeout=300)


def test_progress_is_drawn_on_a_terminal_and_only_on_stderr(tmp_path):
    argv = ["plan", "--nodes", "5", "--pods-per-node", "2"]
    plain = _run(argv, tmp_path)
    assert plain.returncode == 0 and plain.stderr == ""            # not a terminal: no bar, nothing on stderr
    shown = _run(argv, tmp_path, FORCE_COLOR="1")                    # what rich takes for a terminal
    assert shown.returncode == 0
    # the bar is redrawn a few times a second: which steps it caught depends on the machine's speed
    assert "0:00:0" in shown.stderr and any(s in shown.stderr for s in ("planning", "computing", "simulating"))
    assert "0:00:0" not in shown.stdout
    assert "5 nodes" in plain.stdout and "5 nodes" in shown.stdout


@pytest.mark.parametrize("argv, said", [
    (["export", "--out", "c.yaml"], "wrote 15 resources (3 nodes, 6 pods) to c.yaml as YAML"),
    (["synth", "4", "--pods-per-node", "2", "--out", "s.yaml"], "to s.yaml as YAML"),
    (["bird-config", "--node", "node1", "--out", "cfg"], "cfg"),
    (["sweep", "grid.yaml", "--workers", "0", "--out", "t.csv"], "table written to t.csv"),
])
def test_a_command_that_writes_a_file_says_so(argv, said, tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "grid.yaml").write_text(GRID)
    assert main(argv) == 0
    out, err = capsys.readouterr()
    target = argv[argv.index("--out") + 1]
    assert (tmp_path / target).exists()
    assert said in out + err and target in out + err
