"""fastroute.cli._common: the arguments every command declares the same way."""

import argparse

import pytest

from fastroute.cli import _common
from fastroute.errors import InvalidValueError, UnknownNodeError
from fastroute.model import examples
from fastroute.model.cluster import Cluster


def _parse(build, argv):
    p = argparse.ArgumentParser()
    build(p)
    return p.parse_args(argv)


def test_cluster_in_front_of_the_commands_positionals():
    args = _parse(lambda p: _common.add_cluster_then(p, "SRC DST"), ["a", "b"])
    assert _common.split_cluster(args, "SRC DST") == (None, ["a", "b"])
    args = _parse(lambda p: _common.add_cluster_then(p, "SRC DST"), ["c.yaml", "a", "b"])
    assert _common.split_cluster(args, "SRC DST") == ("c.yaml", ["a", "b"])
    args = _parse(lambda p: _common.add_cluster_then(p, "FLOWS.csv"), ["x", "y", "z"])
    with pytest.raises(InvalidValueError, match=r"^expected \[CLUSTER\] FLOWS.csv, got 3 arguments: \['x', 'y', 'z'\]$"):
        _common.split_cluster(args, "FLOWS.csv")


def test_down_is_repeatable_and_comma_separated_and_checked():
    args = _parse(_common.add_down, ["--down", "node1,node2", "--down", "master", "--down", ""])
    assert _common.down_nodes(args) == ["node1", "node2", "master"]
    args = _parse(_common.add_down, ["--down", "ghost"])
    assert _common.down_nodes(args) == ["ghost"]
    with pytest.raises(UnknownNodeError, match="ghost"):
        _common.down_nodes(args, examples.seed())


def test_load_cluster_allocates_the_seed_and_keeps_an_allocated_cluster(tmp_path, monkeypatch):
    seed = _common.load_cluster(None)
    assert seed.is_allocated and seed.blocks == examples.seed().blocks
    assert _common.load_cluster(examples.seed_path(), allocate="if_needed").blocks == seed.blocks
    exported = tmp_path / "seed.yaml"
    exported.write_text(seed.dump())
    calls = []
    monkeypatch.setattr(Cluster, "allocate", lambda self, method="auto": calls.append(self) or self)
    kept = _common.load_cluster(str(exported), allocate="if_needed")
    assert calls == [] and kept.blocks == seed.blocks
    _common.load_cluster(str(exported))
    assert len(calls) == 1                      # "always" runs IPAM again


def test_fmt_units():
    assert [_common.fmt(None), _common.fmt(1234), _common.fmt(2.25), _common.fmt(3 * 2**20, "bytes"),
            _common.fmt(1.04, "s")] == ["-", "1,234", "2.2", "3.0 MiB", "1.0 s"]


def test_progress_bar_inside_another_reports_to_the_outer_one():
    """load_cluster's bar inside a command's (traffic): one bar on screen, the inner steps shown on it."""
    seen = []
    with _common.progress_bar() as outer:
        with _common.progress_bar() as inner:
            assert inner is outer
        _common._active_bar = (seen.append, lambda: None)      # the outer bar's step, recorded
        _common.load_cluster(None)
    assert seen == ["loading the bundled seed cluster", "allocating 3 nodes x 6 pods (Calico's IPAM)"]
    assert _common._active_bar is None
