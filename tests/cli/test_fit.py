"""Tables fit the terminal: narrower than the table, it splits into tables that fit; no cell is cut."""

import io

import pytest
from rich.console import Console

from fastroute.cli import _common, compare
from fastroute.planning import plan


@pytest.fixture(scope="module")
def compared():
    return plan.compare([100, 500], [2, 3], 110, pool="10.0.0.0/14", simulate=False)


def _print_at(width, monkeypatch, compared):
    buf = io.StringIO()
    monkeypatch.setattr(compare, "console", lambda *a, **k: Console(file=buf, width=width, highlight=False))
    compare._print(compared)
    return buf.getvalue()


def test_compare_fits_80_columns_without_cutting_numbers(monkeypatch, compared):
    text = _print_at(80, monkeypatch, compared)
    table = text[:text.index("crossover:")]
    assert "…" not in table
    assert max(len(line) for line in table.splitlines()) <= 80
    assert "(1/2)" in table and "(2/2)" in table
    for want in ("124,750", "4,950", "mem/node", "RR crash"):
        assert want in table
    # every part repeats the row keys
    assert table.count("  nodes   design") == 2


def test_compare_is_one_table_where_it_fits(monkeypatch, compared):
    text = _print_at(200, monkeypatch, compared)
    assert "(1/2)" not in text and "…" not in text
    assert "nodes   design" in text and "RR crash" in text


def test_a_column_wider_than_the_terminal_gets_a_table_of_its_own():
    buf = io.StringIO()
    out = Console(file=buf, width=30, highlight=False)
    _common.print_fitted(out, "t", [("k", "left"), ("a", "right"), ("b", "right")],
                         [["x", "1" * 40, "2"], None, ["y", "3", "4"]])
    text = buf.getvalue()
    assert "1" * 40 in text and "(1/2)" in text and "(2/2)" in text


#: Prose lines the terminal wraps (printed whole, so that a pipe keeps each on one line).
PROSE = ("figures:", "warning:", "times:", "note:")

GRID = "name: g\nrun: plan\nparams:\n  nodes: [5, 6]\n  reflectors: [0, 2]\n  pods_per_node: 2\n"


@pytest.mark.parametrize("argv", [
    ["plan", "--nodes", "5", "--reflectors", "2", "--pods-per-node", "2"],
    ["plan", "--nodes", "40", "--topology", "fabric", "--racks", "2"],
    ["converge", "-s", "node_crash", "--seeds", "2"],
    ["sweep", "grid.yaml", "--workers", "0"],
    ["traffic", "flows.csv"],
    ["status", "--node", "master"],
    ["ipam"],
], ids=lambda a: a[0] + (" fabric" if "fabric" in a else ""))
def test_every_table_fits_80_columns(argv, monkeypatch, tmp_path):
    """Each command's tables in an 80-column terminal: nothing cut, no table line past the edge."""
    import contextlib
    import importlib

    from fastroute.cli import main

    monkeypatch.chdir(tmp_path)
    (tmp_path / "grid.yaml").write_text(GRID)
    (tmp_path / "flows.csv").write_text("src,dst,bytes\n10.244.219.66,10.244.166.129,1000\n")
    buf = io.StringIO()
    for name in ("_common", "plan", "converge", "sweep", "traffic", "status", "ipam"):
        mod = importlib.import_module(f"fastroute.cli.{name}")
        if hasattr(mod, "console"):
            monkeypatch.setattr(mod, "console", lambda *a, **k: Console(file=buf, width=80, highlight=False))
    with contextlib.redirect_stdout(buf):
        assert main(argv) == 0
    text = buf.getvalue()
    assert text.strip() and "…" not in text
    assert [ln for ln in text.splitlines() if len(ln) > 80 and not ln.startswith(PROSE)] == []
