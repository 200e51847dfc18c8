"""The report's chart: flagged listings per month, as a PNG drawn with matplotlib's Agg backend.

``Figure`` + ``FigureCanvasAgg`` rather than ``pyplot``: no global state and no display needed,
so it works on a headless server and from several threads.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

__all__ = ["flagged_chart"]


def flagged_chart(months: Sequence[str], flagged: Sequence[int], path: Path, title: str) -> Path:
    """A bar chart of ``flagged`` counts per month label, written as PNG to ``path``."""
    figure = Figure(figsize=(8, 4), dpi=100)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    bars = axes.bar(list(months), list(flagged), color="#c0392b")
    axes.bar_label(bars, padding=2)
    axes.set_title(title)
    axes.set_xlabel("Tháng")
    axes.set_ylabel("Tin vi phạm")
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_ylim(0, max([*flagged, 1]) * 1.15)
    if len(months) > 6:
        axes.tick_params(axis="x", labelrotation=45)
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, format="png")
    return path
