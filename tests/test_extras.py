"""The install options: each optional feature has an extra, and the error for a missing package names it."""

import re
import tomllib
from pathlib import Path

import pytest

from fastroute.errors import MissingDependencyError

PYPROJECT = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())
EXTRAS = PYPROJECT["project"]["optional-dependencies"]


def _names(requirements):
    return {re.match(r"[A-Za-z0-9_.-]+", r).group(0).lower() for r in requirements}


@pytest.mark.parametrize("extra, packages", [
    ("plot", {"matplotlib"}),            # --plot, plot_*()
    ("sweep", {"dask"}),                 # fastroute sweep (dask[distributed])
    ("pandas", {"pandas", "pyarrow"}),   # to_pandas(), parquet output of sweeps
])
def test_each_optional_feature_has_its_extra(extra, packages):
    assert packages <= _names(EXTRAS[extra])


def test_sweeps_get_dask_distributed():
    assert any(r.startswith("dask[distributed]") for r in EXTRAS["sweep"])


def test_the_demo_needs_no_extra():
    """`bash ci/demo.sh` installs fastroute alone: its own dependencies are the core three."""
    assert _names(PYPROJECT["project"]["dependencies"]) == {"numpy", "pyyaml", "rich"}


def test_to_pandas_without_pandas_names_the_extra(monkeypatch):
    import sys

    from fastroute import jsonout

    monkeypatch.setitem(sys.modules, "pandas", None)          # import pandas raises ImportError
    with pytest.raises(MissingDependencyError, match=r"pip install 'fastroute\[pandas\]'"):
        jsonout.pandas()


def test_plot_without_matplotlib_names_the_extra(monkeypatch):
    import sys

    from fastroute.planning import plots

    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.setitem(sys.modules, "matplotlib.pyplot", None)
    with pytest.raises(MissingDependencyError, match=r"pip install 'fastroute\[plot\]'"):
        plots._pyplot()
