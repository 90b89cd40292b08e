"""Output files are written whole or not at all, and checked before long work."""

import os

import pytest

from fastroute.cli import main
from fastroute.errors import InvalidValueError
from fastroute.outfiles import check_writable, replace_atomically, write_atomically


def test_write_replaces_whole_file(tmp_path):
    f = tmp_path / "out.csv"
    write_atomically(f, "a,b\n")
    write_atomically(f, b"c,d\n")
    assert f.read_bytes() == b"c,d\n" and os.listdir(tmp_path) == ["out.csv"]


def test_failure_half_way_leaves_the_old_file_and_no_debris(tmp_path):
    f = tmp_path / "table.json"
    f.write_text("old")
    with pytest.raises(KeyboardInterrupt):
        with replace_atomically(f) as tmp:
            with open(tmp, "w") as g:
                g.write("half of the new")
            raise KeyboardInterrupt
    assert f.read_text() == "old" and os.listdir(tmp_path) == ["table.json"]


def test_mode_follows_umask(tmp_path):
    old = os.umask(0o022)
    try:
        write_atomically(tmp_path / "x", "1")
    finally:
        os.umask(old)
    assert (tmp_path / "x").stat().st_mode & 0o777 == 0o644


def test_check_writable(tmp_path):
    assert check_writable(tmp_path / "new.png") == str(tmp_path / "new.png")
    with pytest.raises(InvalidValueError, match=r"no directory"):
        check_writable(tmp_path / "missing" / "x.png")
    with pytest.raises(InvalidValueError, match=r"is a directory"):
        check_writable(tmp_path)


def test_cli_checks_plot_file_before_the_work(tmp_path, capsys, monkeypatch):
    pytest.importorskip("matplotlib")
    from fastroute.planning import plan

    def no_work(*a, **k):
        raise AssertionError("planned before the plot file was checked")

    monkeypatch.setattr(plan, "plan", no_work)
    assert main(["plan", "--nodes", "3", "--plot", str(tmp_path / "x.xyz")]) == 2
    err = capsys.readouterr().err
    assert "invalid plot file" in err and ".png" in err and ".svg" in err
    assert main(["plan", "--nodes", "3", "--plot", str(tmp_path / "no" / "x.png")]) == 2
    assert "no directory" in capsys.readouterr().err
    assert os.listdir(tmp_path) == []


def test_plot_in_the_format_its_suffix_names(tmp_path, capsys):
    pytest.importorskip("matplotlib")
    svg = tmp_path / "plan.svg"
    assert main(["plan", "--nodes", "3", "--no-simulate", "--plot", str(svg)]) == 0
    assert svg.read_text().lstrip().startswith("<?xml") and os.listdir(tmp_path) == ["plan.svg"]


def test_write_errors_say_write_and_name_the_file(tmp_path):
    from fastroute.errors import OutputFileError

    with pytest.raises(OutputFileError, match=r"cannot write '.*missing/x\.csv': No such file or directory"):
        write_atomically(tmp_path / "missing" / "x.csv", "a")
    f = tmp_path / "full.csv"
    f.write_text("old")
    with pytest.raises(OutputFileError, match=r"cannot write '.*full\.csv': No space left on device"):
        with replace_atomically(f):
            raise OSError(28, "No space left on device")
    assert f.read_text() == "old" and os.listdir(tmp_path) == ["full.csv"]
