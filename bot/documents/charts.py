"""The figures as PNG charts (matplotlib, Agg backend: no display needed).

Labels arrive translated. matplotlib 3.11+ shapes Arabic and orders it (libraqm); before
that, Arabic is shaped (arabic-reshaper) and put in visual order (python-bidi) here. An
Arabic chart also reads right to left:
bars grow from the right, category labels and titles stand on the right. The typeface is IBM
Plex Sans Arabic (see bot.documents.poster), which has Arabic and Latin glyphs.

Rendering is synchronous and CPU-bound: callers run `render_all` in a worker thread."""

from __future__ import annotations

import io
import textwrap
import threading
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache

import arabic_reshaper
from bidi import get_display

from bot.documents.poster import font_path

COLOURS = ("#1b6ca8", "#f4a259", "#5b8e7d", "#bc4b51", "#8e7dbe", "#8d99ae")
# pyplot's global state is not used (Figure objects directly); the font cache is shared.
_LOCK = threading.Lock()


@lru_cache(maxsize=1)
def _matplotlib():  # type: ignore[no-untyped-def]
    """matplotlib, imported on first drawing (a second's import the CLI tools need not pay)."""
    import matplotlib

    matplotlib.use("Agg")  # no display
    return matplotlib


@lru_cache(maxsize=2)
def _font(bold: bool):  # type: ignore[no-untyped-def]
    from matplotlib import font_manager

    _matplotlib()
    path = font_path(bold)
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path))


def _has_rtl(text: str) -> bool:
    return any(unicodedata.bidirectional(c) in ("R", "AL") for c in text)


@lru_cache(maxsize=1)
def _matplotlib_shapes() -> bool:
    """matplotlib 3.11 lays text out with libraqm: it shapes Arabic and orders it itself."""
    major, minor = (int(part) for part in _matplotlib().__version__.split(".")[:2])
    return (major, minor) >= (3, 11)


def visual(text: str) -> str:
    """Text as matplotlib must be given it: as is where matplotlib shapes (3.11+), else
    Arabic shaped by arabic-reshaper and put in visual order by python-bidi."""
    if not _has_rtl(text) or _matplotlib_shapes():
        return text
    return get_display(arabic_reshaper.reshape(text))


@dataclass(frozen=True, slots=True)
class Bars:
    """A horizontal bar chart: one bar per category, series stacked."""

    title: str
    categories: list[str]
    series: list[tuple[str, list[int]]]  # (legend label, one value per category)
    limits: list[int] | None = None  # e.g. capacities: a mark per category


@dataclass(frozen=True, slots=True)
class Timeline:
    """Counts per day, with the running total."""

    title: str
    days: list[str]  # labels of the days, already formatted
    counts: list[int]
    total_label: str
    day_label: str


@dataclass(frozen=True, slots=True)
class Chart:
    """One image: panels one above the other."""

    name: str  # file name stem
    caption: str
    panels: list[Bars | Timeline] = field(default_factory=list)


def _bars(ax, panel: Bars, rtl: bool) -> None:  # type: ignore[no-untyped-def]
    regular = _font(False)
    n = len(panel.categories)
    positions = list(range(n))
    left = [0] * n
    for index, (label, values) in enumerate(panel.series):
        ax.barh(
            positions,
            values,
            left=left,
            color=COLOURS[index % len(COLOURS)],
            label=visual(label),
            height=0.6,
        )
        left = [a + b for a, b in zip(left, values, strict=True)]
    if panel.limits:
        ax.scatter(panel.limits, positions, marker="|", s=400, color="#222222", zorder=3)
    for y, total in zip(positions, left, strict=True):
        ax.annotate(
            str(total),
            (total, y),
            xytext=(-4 if rtl else 4, 0),
            textcoords="offset points",
            va="center",
            ha="right" if rtl else "left",
            fontproperties=regular,
            fontsize=11,
        )
    ax.set_yticks(positions, [visual(_wrap(c)) for c in panel.categories], fontproperties=regular)
    ax.invert_yaxis()  # first category on top
    top = max([*left, *(panel.limits or []), 1])
    ax.set_xlim(0, top * 1.15)
    if rtl:
        ax.invert_xaxis()
        ax.yaxis.tick_right()
    from matplotlib.ticker import MaxNLocator

    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    if len(panel.series) > 1:
        _legend(ax, ax.get_legend_handles_labels(), len(panel.series), rtl)


def _legend(ax, handles_labels, columns: int, rtl: bool) -> None:  # type: ignore[no-untyped-def]
    """A legend above the plot, outside it (never over a bar), read in the text's direction."""
    handles, labels = handles_labels
    if rtl:
        handles, labels = handles[::-1], labels[::-1]
    ax.legend(
        handles,
        labels,
        prop=_font(False),
        # On the side opposite the title (which stands where reading starts).
        loc="lower left" if rtl else "lower right",
        bbox_to_anchor=(0, 1.0) if rtl else (1, 1.0),
        ncol=columns,
        frameon=False,
        markerfirst=not rtl,
    )


def _timeline(ax, panel: Timeline, rtl: bool) -> None:  # type: ignore[no-untyped-def]
    regular = _font(False)
    positions = list(range(len(panel.days)))
    ax.bar(positions, panel.counts, color=COLOURS[0], label=visual(panel.day_label))
    running, total = [], 0
    for count in panel.counts:
        total += count
        running.append(total)
    twin = ax.twinx()
    twin.plot(positions, running, color=COLOURS[1], marker="o", label=visual(panel.total_label))
    step = max(1, len(positions) // 10)
    ax.set_xticks(
        positions[::step],
        [visual(d) for d in panel.days[::step]],
        fontproperties=regular,
        rotation=30,
        ha="left" if rtl else "right",
    )
    if rtl:
        ax.invert_xaxis()
    for axis in (ax, twin):
        for tick in axis.get_yticklabels():
            tick.set_fontproperties(regular)
    ax.set_ylim(0, max([*panel.counts, 1]) * 1.2)
    twin.set_ylim(0, max(total, 1) * 1.2)
    from matplotlib.ticker import MaxNLocator

    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    twin.yaxis.set_major_locator(MaxNLocator(integer=True))
    handles = ax.get_legend_handles_labels()
    more = twin.get_legend_handles_labels()
    _legend(ax, (handles[0] + more[0], handles[1] + more[1]), 2, rtl)


def _wrap(label: str, width: int = 38, lines: int = 2) -> str:
    """A long category (a workshop's title) on at most two lines, cut with an ellipsis."""
    wrapped = textwrap.wrap(label, width) or [""]
    if len(wrapped) > lines:
        wrapped = [*wrapped[: lines - 1], wrapped[lines - 1][: width - 1] + "…"]
    return "\n".join(wrapped)


def _has_legend(panel: Bars | Timeline) -> bool:
    return isinstance(panel, Timeline) or len(panel.series) > 1


def render(chart: Chart, rtl: bool) -> bytes:
    """One chart as PNG bytes."""
    heights = [
        1.6 + 0.55 * max(1, len(p.categories)) if isinstance(p, Bars) else 3.6 for p in chart.panels
    ]
    _matplotlib()
    from matplotlib.figure import Figure

    with _LOCK:  # font registration and matplotlib's text caches are process-wide
        figure = Figure(figsize=(9, sum(heights) + 0.3), dpi=110)
        axes = figure.subplots(len(chart.panels), 1, squeeze=False, height_ratios=heights)
        bold = _font(True)
        for ax, panel in zip((row[0] for row in axes), chart.panels, strict=True):
            if isinstance(panel, Bars):
                _bars(ax, panel, rtl)
            else:
                _timeline(ax, panel, rtl)
            ax.set_title(
                visual(panel.title),
                pad=24 if _has_legend(panel) else 8,
                fontproperties=bold,
                fontsize=14,
                loc="right" if rtl else "left",
            )
            ax.spines[["top", "left" if rtl else "right"]].set_visible(False)
            for tick in ax.get_xticklabels():
                tick.set_fontproperties(_font(False))
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return buffer.getvalue()


def render_all(charts: Sequence[Chart], rtl: bool) -> list[tuple[Chart, bytes]]:
    """Every chart as PNG (to be called in a worker thread)."""
    return [(chart, render(chart, rtl)) for chart in charts if chart.panels]


def day_labels(days: Sequence[date], fmt: object) -> list[str]:
    """Days formatted by `fmt` (a callable taking a date)."""
    return [fmt(day) for day in days]  # type: ignore[operator]
