"""Figures: what they show, not how they look."""

import pytest

from fastroute.planning import plots, sweeps

pytest.importorskip("matplotlib")


def _table(n_series):
    rows = [{"point": i, "nodes": n, "block_size": 20 + b, "sessions_total": n * (n - 1),
             "sessions_per_node": n - 1 + b, "memory_per_node_bytes": 1e6 * n, "convergence_s": 0.1 * n,
             "error": None} for i, (b, n) in enumerate((b, n) for b in range(n_series) for n in (10, 20, 40))]
    columns = ["point", "nodes", "block_size", "sessions_total", "sessions_per_node", "memory_per_node_bytes",
               "convergence_s", "error"]
    return sweeps.Table(columns, rows, {"run": "plan", "name": "legend"})


@pytest.mark.parametrize("n_series", [3, 12, 40])
def test_sweep_legend_never_covers_a_panel(n_series):
    import matplotlib.pyplot as plt

    fig = plots.sweep_figure(_table(n_series))
    fig.canvas.draw()
    legends = [a.get_legend() for a in fig.axes if a.get_legend()] + list(fig.legends)
    assert len(legends) == 1
    labels = [t.get_text() for t in legends[0].get_texts()]
    assert len(labels) == n_series and labels[0] == "block_size=20"
    styles = {(line.get_color(), line.get_linestyle()) for line in fig.axes[0].get_lines()}
    assert len(styles) == n_series                                # no two lines look alike
    if n_series > plots.LEGEND_INSIDE:
        box = legends[0].get_window_extent()
        assert not any(box.overlaps(ax.get_window_extent()) for ax in fig.axes)
    plt.close(fig)


def test_sweep_plot_file_holds_the_side_legend(tmp_path):
    from matplotlib.image import imread

    small, big = tmp_path / "small.png", tmp_path / "big.png"
    plots.plot_sweep(_table(3), small)
    plots.plot_sweep(_table(40), big)
    assert imread(big).shape[1] > imread(small).shape[1]         # the legend beside the panels is in the file
