"""The figures a planner puts in a report: the disruption over time with the event marked, titles and
units on every panel."""

import pytest

from fastroute.cli import main

pytest.importorskip("matplotlib")


@pytest.fixture
def figures(monkeypatch):
    """The matplotlib figures the commands save, kept for inspection."""
    from fastroute.planning import plots

    kept, save = [], plots._save

    def keep(plt, fig, path, **kw):
        kept.append(fig)
        return save(plt, fig, path, **kw)

    monkeypatch.setattr(plots, "_save", keep)
    return kept


def _labelled(ax):
    return bool(ax.get_title()) or bool(ax.get_ylabel())


def test_converge_plot_of_a_crash_shows_the_disruption_and_marks_the_event(figures, tmp_path):
    assert main(["converge", "-s", "node_crash", "--node", "node1", "--plot", str(tmp_path / "c.png")]) == 0
    (fig,) = figures
    routes = fig.axes[0].lines[0].get_ydata()
    assert min(routes) < max(routes)                            # not a flat line: the crash shows
    marks = [ln for ln in fig.axes[0].lines[1:] if ln.get_label() == "node crash"]
    assert marks and len(set(marks[0].get_xdata())) == 1        # a vertical line at the event
    assert all(_labelled(ax) for ax in fig.axes)
    assert fig.axes[-1].get_xlabel() == "seconds"


def test_plan_and_compare_plots_have_titles_and_units(figures, tmp_path):
    assert main(["plan", "--nodes", "5", "--pods-per-node", "2", "--no-simulate", "--plot", str(tmp_path / "p.png")]) == 0
    assert main(["compare", "--nodes", "5,6", "--pods-per-node", "2", "--no-simulate",
                 "--plot", str(tmp_path / "c.png")]) == 0
    plan_fig, compare_fig = figures
    assert plan_fig._suptitle is not None and all(ax.get_title() for ax in plan_fig.axes)
    assert any("MiB" in ax.get_title() for ax in plan_fig.axes)
    assert compare_fig._suptitle is not None
    assert all(ax.get_title() and ax.get_xlabel() == "nodes" for ax in compare_fig.axes)
