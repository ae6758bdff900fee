"""The PNG of ``Comparison.plot``: bytes per token by script (grouped bars, one bar per tokenizer)
beside encode throughput. matplotlib is optional: ``pip install 'toksmith[plot]'``.

The figure is drawn with matplotlib's object API on an Agg canvas, so it never
touches pyplot's global state or the user's backend. Scripts holding less than
``MIN_SHARE`` of the bytes are left out of the chart (they stay in the tables).
"""

from __future__ import annotations

import os
from typing import Any

from ._report import bucket_order
from .comparison import Comparison
from .errors import TokenizerError, TokenizerIOError

#: Scripts with a smaller share of the text's bytes are not charted.
MIN_SHARE = 0.005
#: At most this many scripts are charted (the largest), after "all".
MAX_SCRIPTS = 10


def require_matplotlib() -> Any:
    """The matplotlib module, or a clear error saying how to install it."""
    try:
        import matplotlib
        from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: F401
        from matplotlib.figure import Figure  # noqa: F401
    except ImportError:
        raise TokenizerError("plotting needs matplotlib: pip install 'toksmith[plot]'") from None
    return matplotlib


def plot_comparison(cmp: Comparison, path: "str | os.PathLike[str]") -> None:
    require_matplotlib()
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    labels = [t.label for t in cmp.tokenizers]
    totals = cmp.result(labels[0]).total
    buckets = [(name, c) for name, c in bucket_order(cmp) if totals.bytes and c.bytes / totals.bytes >= MIN_SHARE]
    buckets = buckets[:MAX_SCRIPTS]
    groups = [("all", totals)] + buckets
    throughput = [cmp.result(label).throughput for label in labels]
    timed = any(t is not None and t.mb_s for t in throughput)

    n = len(labels)
    width_in = max(7.0, 1.1 * len(groups) * max(1.0, n / 3) + (3.5 if timed else 0.0))
    fig = Figure(figsize=(min(width_in, 22.0), 5.2), layout="constrained")
    FigureCanvasAgg(fig)
    if timed:
        grid = fig.add_gridspec(1, 2, width_ratios=[max(3, len(groups)), 2])
        ax, ax_speed = fig.add_subplot(grid[0]), fig.add_subplot(grid[1])
    else:
        ax, ax_speed = fig.add_subplot(1, 1, 1), None

    colors = [f"C{i % 10}" for i in range(n)]
    bar = 0.8 / n
    show_values = len(groups) * n <= 36
    for k, label in enumerate(labels):
        r = cmp.result(label)
        values = [(r.total if name == "all" else r.bucket(name)).bytes_per_token or 0.0 for name, _ in groups]
        xs = [g + (k - (n - 1) / 2) * bar for g in range(len(groups))]
        bars = ax.bar(xs, values, bar, label=label, color=colors[k])
        if show_values:
            ax.bar_label(bars, fmt="%.2f", fontsize=7, padding=1, rotation=90 if n > 3 else 0)
    ax.set_xticks(range(len(groups)))
    ax.set_xticklabels(
        [f"{name}\n{c.bytes / totals.bytes:.0%}" if totals.bytes else name for name, c in groups], fontsize=8
    )
    ax.set_ylabel("UTF-8 bytes per token (higher: fewer tokens)")
    ax.set_title("Bytes per token by script (share of the text's bytes)", fontsize=10)
    ax.margins(y=0.15)
    ax.grid(axis="y", alpha=0.3)
    ax.set_axisbelow(True)

    if ax_speed is not None:
        speeds = [t.mb_s if t is not None and t.mb_s else 0.0 for t in throughput]
        ys = list(range(n))[::-1]
        bars = ax_speed.barh(ys, speeds, height=0.6, color=colors)
        ax_speed.bar_label(bars, fmt="%.1f", fontsize=8, padding=2)
        ax_speed.set_yticks(ys)
        ax_speed.set_yticklabels(labels, fontsize=8)
        ax_speed.set_xlabel("MB/s, one thread")
        ax_speed.set_title("Encode speed", fontsize=10)
        ax_speed.margins(x=0.2)
        ax_speed.grid(axis="x", alpha=0.3)
        ax_speed.set_axisbelow(True)

    fig.legend(*ax.get_legend_handles_labels(), loc="outside lower center", ncols=min(n, 4), fontsize=9,
               frameon=False)
    corpora = ", ".join(c.name for c in cmp.corpora)
    fig.suptitle(f"toksmith compare on {corpora}", fontsize=11)
    try:
        fig.savefig(os.fspath(path), dpi=120)
    except OSError as e:
        raise TokenizerIOError(f"{os.fspath(path)}: cannot write the plot: {e.strerror or e}") from e
