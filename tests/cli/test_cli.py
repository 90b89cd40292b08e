"""The CLI through main([...]): exit codes, error format, and the lookup/demo commands."""

import json
import subprocess
import sys

import pytest

from fastroute import __version__
from fastroute.cli import main

SEED_ROUTES = """\
default via 192.168.31.1 dev ens33 proto static metric 100
10.244.166.128/26 via 192.168.31.202 dev ens33 proto bird
10.244.219.64 dev cali83494b49003 scope link
blackhole 10.244.219.64/26 proto bird
10.244.219.66 dev calic88c1a5fc6d scope link
192.168.31.0/24 dev ens33 proto kernel scope link src 192.168.31.201 metric 100
"""


def test_version_and_help(capsys):
    with pytest.raises(SystemExit) as e:
        main(["--version"])
    assert e.value.code == 0
    assert capsys.readouterr().out.strip() == f"fastroute {__version__}"
    assert main([]) == 0
    assert "lookup" in capsys.readouterr().out


def test_console_script_entry_point():
    out = subprocess.run([sys.executable, "-m", "fastroute", "--help"], capture_output=True, text=True)
    assert out.returncode == 0 and "usage: fastroute" in out.stdout


def test_lookup_picks_the_longest_prefix(tmp_path, capsys):
    f = tmp_path / "routes"
    f.write_text(SEED_ROUTES)
    assert main(["lookup", str(f), "10.244.166.130", "10.244.219.66", "10.244.219.70", "1.1.1.1"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split(None, 1)[1] == "10.244.166.128/26 via 192.168.31.202 dev ens33 proto bird"
    assert lines[1].split(None, 1)[1] == "10.244.219.66 dev calic88c1a5fc6d scope link"
    assert lines[2].split(None, 1)[1] == "blackhole 10.244.219.64/26 proto bird"
    assert lines[3].split(None, 1)[1].startswith("default via 192.168.31.1")
    assert main(["lookup", str(f), "--json", "192.168.31.203"]) == 0
    assert json.loads(capsys.readouterr().out)[0]["dst"] == "192.168.31.0/24"


def test_lookup_errors_are_one_line_and_nonzero(tmp_path, capsys):
    f = tmp_path / "routes"
    f.write_text(SEED_ROUTES)
    assert main(["lookup", str(f), "10.244.1.1", "10.244.300.1"]) == 2
    cap = capsys.readouterr()
    assert cap.out == ""          # nothing half-printed
    assert cap.err == "fastroute: error: invalid IPv4 address '10.244.300.1'\n"
    assert main(["lookup", str(tmp_path / "missing"), "1.2.3.4"]) == 2
    assert "fastroute: error: cannot read" in capsys.readouterr().err
    f.write_text("10.244.0.0/33 dev eth0\n")
    assert main(["lookup", str(f), "1.2.3.4"]) == 2
    assert "'10.244.0.0/33'" in capsys.readouterr().err
    assert main(["nosuchcommand"]) == 2
    assert capsys.readouterr().err.startswith("fastroute: error: ")


def test_demo_runs(capsys):
    assert main(["demo"]) == 0
    out = capsys.readouterr().out
    assert "-> 10.244.166.128/26 via 192.168.31.202 dev ens33 proto bird" in out


def test_converge_command(tmp_path, capsys):
    assert main(["converge", "--scenario", "node_crash", "--node", "node2", "--set", "hold_time=90"]) == 0
    out = capsys.readouterr().out
    assert "node crash: 3 nodes" in out and "converged after the event" in out and "per-path model" in out
    assert main(["converge", "--json", "--set", "graceful_restart=false", "--set", "seed=7"]) == 0
    r = json.loads(capsys.readouterr().out)
    assert r["scenario"] == "cold_start" and r["sessions"]["total"] == 3 and r["converged"]
    assert r["params"]["graceful_restart"] is False and r["params"]["seed"] == 7
    png = tmp_path / "c.png"
    assert main(["converge", "-s", "calico_node_restart", "--plot", str(png)]) == 0
    assert png.read_bytes()[:4] == b"\x89PNG"


@pytest.mark.parametrize("argv,message", [
    (["converge", "--set", "hold_time=soon"], "invalid --set 'hold_time=soon': hold_time takes a float"),
    (["converge", "--set", "warp=9"], "unknown parameter 'warp'"),
    (["converge", "--set", "hold_time"], "expected NAME=VALUE"),
    (["converge", "-s", "node_crash", "--node", "node9"], "unknown node 'node9'"),
    (["converge", "--set", "aggregate=on"], "aggregate mode is not possible here"),
])
def test_converge_command_errors(argv, message, capsys):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("fastroute: error: ") and message in err
