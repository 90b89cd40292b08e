"""Every figure fastroute draws (``--plot`` of plan, compare, converge and sweep).

Needs matplotlib (``pip install 'fastroute[plot]'``), imported only when a figure
is drawn; without it each function raises :class:`~fastroute.errors.MissingDependencyError`.
The figures are drawn with the Agg backend (no display needed) in the format the
file's suffix names (``.png``, ``.svg``, ``.pdf``, ...), written whole or not at all.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from ..errors import InvalidValueError, MissingDependencyError
from ..outfiles import replace_atomically

if TYPE_CHECKING:
    from ..sim.converge import Result

__all__ = ["plot_plan", "plot_compare", "plot_convergence", "plot_sweep", "plot_format"]


def _pyplot():
    try:
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise MissingDependencyError("--plot needs matplotlib: pip install 'fastroute[plot]'") from None
    return plt


def _save(plt, fig, path, dpi=100):
    fig.tight_layout()
    try:
        with replace_atomically(path) as tmp:
            fig.savefig(tmp, dpi=dpi, format=plot_format(path), bbox_inches="tight")
    finally:
        plt.close(fig)
    return path


def plot_format(path: str | os.PathLike[str]) -> str:
    """The image format `path`'s suffix names, if matplotlib writes it; InvalidValueError (listing
    the formats it writes) otherwise.  Checked by the CLI before any work, so a typo costs nothing."""
    plt = _pyplot()
    formats = plt.figure().canvas.get_supported_filetypes()
    plt.close("all")
    ext = os.path.splitext(os.fspath(path))[1].lower().lstrip(".")
    if ext not in formats:
        raise InvalidValueError(f"invalid plot file {os.fspath(path)!r}: expected a name ending in one of "
                                + ", ".join("." + f for f in sorted(formats)))
    return ext


def plot_compare(result: dict[str, Any], path: str | os.PathLike[str]) -> str | os.PathLike[str]:
    """A :func:`fastroute.planning.plan.compare` result: sessions, routes, memory and convergence time against node count, one line per design."""
    plt = _pyplot()
    fig, axes = plt.subplots(2, 2, figsize=(11, 8))
    panels = [("sessions_per_node", "BGP sessions per node", True),
              ("routes_per_node", "routes per node", True),
              ("memory_per_node_bytes", "BIRD memory per node (MiB, estimate)", True),
              ("convergence_s", "cold-start convergence (s, simulated)", False)]
    designs = []
    for p in result["plans"]:
        key = ("mesh", 0) if p["topology"] == "mesh" else ("rr", p["reflectors"])
        if key not in designs:
            designs.append(key)
    for ax, (field, title, logy) in zip(axes.flat, panels):
        for key in designs:
            pts = [(p["nodes"], p[field]) for p in result["plans"]
                   if (p["topology"], p["reflectors"]) == key and p[field] is not None]
            if not pts:
                continue
            x, y = zip(*pts)
            if field == "memory_per_node_bytes":
                y = [v / 2**20 for v in y]
            label = "full mesh" if key[0] == "mesh" else f"{key[1]} reflectors"
            line, = ax.plot(x, y, marker="o", label=label)
            if field == "memory_per_node_bytes" and key[0] == "rr":
                rpts = [(p["nodes"], p["memory_per_reflector_bytes"] / 2**20) for p in result["plans"]
                        if (p["topology"], p["reflectors"]) == key and p["memory_per_reflector_bytes"]]
                if rpts:
                    ax.plot(*zip(*rpts), marker="x", linestyle="--", color=line.get_color(),
                            label=f"{key[1]} reflectors: each reflector")
        ax.set_title(title)
        ax.set_xlabel("nodes")
        ax.set_xscale("log")
        if logy:
            ax.set_yscale("log")
        if not ax.lines:
            ax.text(0.5, 0.5, "not computed at these sizes\n(see warnings)", ha="center", va="center",
                    transform=ax.transAxes)
        else:
            ax.legend()
        ax.grid(True, which="both", alpha=0.3)
    if result.get("crossover"):
        for ax in axes.flat:
            ax.axvline(result["crossover"], color="grey", linestyle="--", linewidth=1)
    fig.suptitle("Calico BGP: full mesh vs route reflectors")
    return _save(plt, fig, path)


def plot_plan(p: dict[str, Any], path: str | os.PathLike[str]) -> str | os.PathLike[str]:
    """A :func:`fastroute.planning.plan.plan` result, one design: sessions, routes and memory per node vs per reflector, and pool use."""
    plt = _pyplot()
    fig, axes = plt.subplots(1, 3, figsize=(12, 4))
    roles = ["node"] + (["reflector"] if p["reflectors"] else [])
    axes[0].bar(roles, [p["sessions_per_node"]] + ([p["sessions_per_reflector"]] if p["reflectors"] else []))
    axes[0].set_title("BGP sessions")
    mem = [p["memory_per_node_bytes"]] + ([p["memory_per_reflector_bytes"]] if p["reflectors"] else [])
    axes[1].bar(roles, [(m or 0) / 2**20 for m in mem])
    axes[1].set_title("BIRD memory (MiB, estimate)")
    pool = p["pool"]
    used = min(pool["blocks_needed"], pool["blocks_total"])
    axes[2].bar(["pool blocks", "needed"], [pool["blocks_total"], pool["blocks_needed"]],
                color=["tab:blue", "tab:red" if pool["blocks_needed"] > pool["blocks_total"] else "tab:green"])
    axes[2].set_title(f"pool {pool['cidr']} (/{pool['block_size']} blocks, {used:,} used)")
    fig.suptitle(f"{p['nodes']:,} nodes x {p['pods_per_node']} pods, "
                 f"{'full mesh' if p['topology'] == 'mesh' else str(p['reflectors']) + ' reflectors'}")
    return _save(plt, fig, path)


def plot_convergence(r: Result, path: str | os.PathLike[str]) -> str | os.PathLike[str]:
    """A :func:`fastroute.sim.converge.simulate` result: BGP routes in the kernels over
    time and, when anything was cut, the unreachable (node, prefix owner) pairs over
    time (outages still open at the end run to the right edge), the event marked."""
    import numpy as np

    plt = _pyplot()
    u = r.unreachable
    cut = bool(u["outages"] or u["unreachable_at_end"])
    fig, axes = plt.subplots(2 if cut else 1, 1, figsize=(8, 6.5 if cut else 4.5), sharex=True, squeeze=False)
    ax = axes[0][0]
    ax.step(r.series["t"], r.series["routes_installed"], where="post")
    ax.set_ylabel("BGP routes in the kernels (all nodes)")
    ax.set_title(f"{r.scenario.replace('_', ' ')}: {r.n_nodes:,} nodes"
                 + (f", down: {', '.join(u['down'])}" if u.get("down") else ""))
    if cut:
        end = max([r.series["t"][-1] if r.series["t"] else 0.0, r.event_time + r.time_to_rib_converge]
                  + [o["end"] for o in u["outages"]]) + 1.0
        edges = sorted([(o["start"], 1) for o in u["outages"]] + [(o["end"], -1) for o in u["outages"]]
                       + [(o["since"], 1) for o in u["unreachable_at_end"]])
        t = np.array([0.0] + [e[0] for e in edges] + [end])
        c = np.cumsum([e[1] for e in edges]) if edges else np.zeros(0)
        n = np.concatenate([[0], c, [c[-1] if len(c) else 0]])       # open at the end: stays up
        bx = axes[1][0]
        bx.step(t, n, where="post", color="tab:red")
        bx.set_ylabel("unreachable (node, prefix owner) pairs")
        if u.get("permanent"):
            bx.annotate("permanent", (end, n[-1]), ha="right", va="bottom", color="tab:red")
    for row in axes:
        a = row[0]
        if r.event_time:
            a.axvline(r.event_time, color="tab:red", linestyle="--", label=r.scenario.replace("_", " "))
        a.grid(alpha=0.3)
    if r.event_time:
        axes[0][0].legend()
    axes[-1][0].set_xlabel("seconds")
    return _save(plt, fig, path)


def plot_sweep(table: "Table", path: str | os.PathLike[str], x: str = "nodes", y: Sequence[str] | None = None
              ) -> str | os.PathLike[str]:
    """A :func:`fastroute.planning.sweeps.sweep` table: figures against ``x``, one line per combination of the other varying
    parameters (mean over seeds; failed points left out).  Up to six lines are named in a legend inside the
    first panel; more go in a legend beside the panels, so none hides a line.  Needs matplotlib."""
    plt = _pyplot()
    return _save(plt, sweep_figure(table, x, y), path, dpi=110)


#: Lines a legend may name inside a panel; more are named beside the figure.
LEGEND_INSIDE = 6

_LINESTYLES = ("-", "--", ":", "-.")


def sweep_figure(table, x="nodes", y=None):
    """The matplotlib figure :func:`plot_sweep` saves."""
    plt = _pyplot()
    run = table.meta.get("run", "plan")
    y = list(y or {"plan": ("sessions_per_node", "memory_per_node_bytes", "convergence_s"),
                   "converge": ("time_to_converge_s", "max_outage_s", "busy_max_s"),
                   "failure": ("missing_routes", "nodes_missing_routes")}[run])
    params = [c for c in table.parameters if c != "seed"]
    if x not in table.columns:
        raise InvalidValueError(f"invalid plot x {x!r}: not a column (columns: {', '.join(table.columns)})")
    vary = [c for c in params if c != x and table.varies(c)]
    fig, axes = plt.subplots(1, len(y), figsize=(5 * len(y), 4), squeeze=False)
    ok = [r for r in table.rows if not r["error"]]
    groups = {}
    for r in ok:
        groups.setdefault(tuple(r[c] for c in vary), []).append(r)
    for ax, fig_name in zip(axes[0], y):
        for i, (key, rows) in enumerate(groups.items()):
            xs = sorted({r[x] for r in rows})
            ys = []
            for xv in xs:
                v = [r[fig_name] for r in rows if r[x] == xv and isinstance(r[fig_name], (int, float))]
                ys.append(sum(v) / len(v) if v else math.nan)
            label = ", ".join(f"{c}={v}" for c, v in zip(vary, key)) or fig_name
            # ten colours, then the same colours dashed, dotted...: every line stays distinguishable
            ax.plot(xs, ys, marker="o", label=label, linestyle=_LINESTYLES[(i // 10) % len(_LINESTYLES)])
        ax.set_xlabel(x)
        ax.set_title(fig_name)
        ax.grid(True, alpha=0.3)
    if groups and vary:
        if len(groups) <= LEGEND_INSIDE:
            axes[0][0].legend(fontsize=7)
        else:
            handles, labels = axes[0][0].get_legend_handles_labels()
            fig.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 0.93), fontsize=7,
                       ncol=math.ceil(len(groups) / 24), title=", ".join(vary), title_fontsize=7)
    fig.suptitle(f"fastroute sweep: {table.meta.get('name') or run}, {len(ok)} of {len(table)} points")
    return fig
