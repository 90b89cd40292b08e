"""kubectl's habits: ``-o`` is the format, files go to ``--out``; status explains its SINCE placeholder."""

import json

import pytest

from fastroute.cli import main
from fastroute.model.cluster import Cluster


def test_export_o_json_and_o_yaml_are_formats_on_stdout(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["export", "-o", "json"]) == 0
    out = capsys.readouterr().out
    assert json.loads(out)["kind"] == "List"
    assert main(["export", "--output", "yaml"]) == 0
    assert capsys.readouterr().out.startswith("---\napiVersion: projectcalico.org/v3\n")
    assert list(tmp_path.iterdir()) == []               # no file named json or yaml


def test_export_out_writes_the_file_and_says_so(tmp_path, capsys):
    f = tmp_path / "c"
    assert main(["export", "-o", "json", "--out", str(f)]) == 0
    out, err = capsys.readouterr()
    assert out == "" and err == f"wrote 15 resources (3 nodes, 6 pods) to {f} as JSON\n"
    assert json.loads(f.read_text())["kind"] == "List"
    assert main(["export", "--out", str(tmp_path / "c.yaml")]) == 0
    assert Cluster.load(str(tmp_path / "c.yaml")).n_pods == 6
    assert main(["export", "--out", str(tmp_path / "c.json")]) == 0       # the name still picks JSON
    assert json.loads((tmp_path / "c.json").read_text())["kind"] == "List"


def test_export_o_file_keeps_its_earlier_meaning(tmp_path, capsys):
    f = tmp_path / "seed.yaml"
    assert main(["export", "-o", str(f)]) == 0
    assert capsys.readouterr().out == "" and Cluster.load(str(f)).n_nodes == 3


def test_export_o_with_out_takes_only_a_format(tmp_path, capsys):
    assert main(["export", "-o", "xml", "--out", str(tmp_path / "c")]) == 2
    assert capsys.readouterr().err == "fastroute: error: -o takes a format (yaml or json), got 'xml'\n"


@pytest.mark.parametrize("argv", [[], ["--json"]])
def test_status_without_since_explains_the_placeholder(argv, capsys):
    assert main(["status", "--node", "master"] + argv) == 0
    out, err = capsys.readouterr()
    assert "00:00:00" in out
    assert err.startswith("note: SINCE 00:00:00 is a placeholder") and "--since" in err
    assert main(["status", "--node", "master", "--since", "09:32:50"] + argv) == 0
    out, err = capsys.readouterr()
    assert "09:32:50" in out and "00:00:00" not in out and err == ""


def test_plan_header_names_the_pool_it_was_sized_with(capsys):
    # a pool too small for the design: the figures are for a larger pool, and the header says which
    assert main(["plan", "--nodes", "800", "--pool", "10.0.0.0/20", "--no-simulate"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "pool 10.0.0.0/20 (/26 blocks; too small, sized as 10.0.0.0/15)" in out
    assert "1,600 (pool has 64)" in out
    assert main(["plan", "--nodes", "3", "--pool", "10.244.0.0/16", "--no-simulate"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert "pool 10.244.0.0/16 (/26 blocks)" in out and "too small" not in out


def test_every_command_with_json_takes_o_json_and_o_wide(capsys):
    from fastroute.cli.main import build_parser

    parser = build_parser()
    with_json = [n for n, p in parser.commands.items() if any("--json" in a.option_strings for a in p._actions)]
    assert {"plan", "routes", "verify", "trace", "status", "sweep", "converge"} <= set(with_json)
    for name in with_json:
        p = parser.commands[name]
        o = next(a for a in p._actions if "-o" in a.option_strings)
        assert "json" in (o.choices or o.metavar), name
    assert main(["plan", "--nodes", "5", "--no-simulate", "--json"]) == 0
    by_flag = json.loads(capsys.readouterr().out)
    assert main(["plan", "--nodes", "5", "--no-simulate", "-o", "json"]) == 0
    by_o = json.loads(capsys.readouterr().out)
    by_o.pop("sources"), by_flag.pop("sources")         # they name the seconds each stage took
    assert by_o == by_flag
    assert main(["plan", "--nodes", "5", "--no-simulate", "-o", "yaml"]) == 2
    assert "invalid choice: 'yaml'" in capsys.readouterr().err


def test_o_wide_lays_tables_out_unsplit():
    from fastroute.cli._common import WIDE, console, wide_tables

    with wide_tables():
        assert console().width == WIDE
    assert console().width < WIDE


def test_plan_and_compare_say_what_their_figures_are_and_their_band(capsys):
    for argv in (["plan", "--nodes", "5", "--no-simulate"], ["compare", "--nodes", "5", "--no-simulate"],
                 ["plan", "--nodes", "40", "--topology", "fabric", "--racks", "2"]):
        assert main(argv) == 0
        out = " ".join(capsys.readouterr().out.split())
        assert "figures: sessions, prefixes, routes and pool use computed from the design (exact)" in out
        assert "about +-2x (docs/planning.md)" in out and "BGP processing only" in out


# ---------------------------------------------------------------------------- bird-config: -o is the format too

SIX = ["bird.cfg", "bird6.cfg", "bird6_aggr.cfg", "bird6_ipam.cfg", "bird_aggr.cfg", "bird_ipam.cfg"]


def test_bird_config_o_json_prints_the_six_files(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["bird-config", "--node", "node1"]) == 0
    main_file = capsys.readouterr().out
    assert main(["bird-config", "--node", "node1", "-o", "json"]) == 0
    files = json.loads(capsys.readouterr().out)
    assert sorted(files) == SIX and files["bird.cfg"] == main_file
    assert main(["bird-config", "--node", "node1", "--output", "text"]) == 0
    assert capsys.readouterr().out == main_file
    assert list(tmp_path.iterdir()) == []               # no directory named json or text


@pytest.mark.parametrize("flag", ["--out", "--output-dir"])
def test_bird_config_out_writes_the_six_files_and_says_so(flag, tmp_path, capsys):
    d = tmp_path / "cfg"
    assert main(["bird-config", "--node", "node1", flag, str(d)]) == 0
    out, err = capsys.readouterr()
    assert out == "" and sorted(p.name for p in d.iterdir()) == SIX
    assert err.startswith("wrote 6 files (") and err.endswith(f") for node node1 to {d}\n")
    assert sorted(err[len("wrote 6 files ("):err.index(")")].split(", ")) == SIX
    assert main(["bird-config", "--node", "node1", "-o", "json"]) == 0
    assert json.loads(capsys.readouterr().out) == {p.name: p.read_text() for p in d.iterdir()}


def test_bird_config_o_dir_still_writes_with_a_deprecation_note(tmp_path, capsys):
    d = tmp_path / "old"
    assert main(["bird-config", "--node", "node1", "-o", str(d)]) == 0
    out, err = capsys.readouterr()
    assert out == "" and sorted(p.name for p in d.iterdir()) == SIX
    assert f"`-o {d}` as a directory is deprecated" in err and f"--out {d}" in err


@pytest.mark.parametrize("argv, message", [
    (["-o", "xml", "--out", "DIR"], "-o takes a format (text or json), got 'xml'"),
    (["-o", "json", "--out", "DIR"], "invalid options -o json with --out"),
    (["-o", "json", "--inline"], "invalid options for -o json: --file and --inline"),
    (["--out", "DIR", "--file", "aggr"], "invalid options for --out: --file and --inline"),
    (["--out", "FILE"], "it is a file; --out names the directory"),
])
def test_bird_config_conflicting_outputs_are_bad_input(argv, message, tmp_path, capsys):
    (tmp_path / "FILE").write_text("")
    argv = [str(tmp_path / a) if a in ("DIR", "FILE") else a for a in argv]
    assert main(["bird-config", "--node", "node1"] + argv) == 2
    assert message in capsys.readouterr().err
    assert [p.name for p in tmp_path.iterdir()] == ["FILE"] and (tmp_path / "FILE").read_text() == ""


@pytest.mark.parametrize("run, line", [
    ("plan", "about +-2x (docs/planning.md); times simulated: BGP processing only"),
    ("converge", "times: BGP processing only"),
])
def test_converge_and_sweep_tables_say_what_their_estimates_are(run, line, tmp_path, capsys):
    assert main(["converge", "-s", "node_crash"]) == 0
    assert "times: BGP processing only" in " ".join(capsys.readouterr().out.split())
    grid = tmp_path / "g.yaml"
    scenario = "  scenario: node_crash\n" if run == "converge" else ""
    grid.write_text(f"name: g\nrun: {run}\nparams:\n  nodes: 5\n  pods_per_node: 2\n{scenario}")
    assert main(["sweep", str(grid), "--workers", "0"]) == 0
    out = " ".join(capsys.readouterr().out.split())
    assert line in out and "about +-2x" in out
