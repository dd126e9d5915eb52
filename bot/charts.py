"""Charts as PNG pictures: a comparison as grouped bars, a leaderboard as a ranking.

Drawing uses matplotlib's object API only (a ``Figure`` on an Agg canvas, never pyplot and never
``rcParams``), so charts can be drawn in several threads at once. Every text sets its own font and
size, and the PNG carries no software or date metadata: the same chart gives the same bytes.
The layout is computed here, in pixels, rather than by a layout engine: it is several times faster.
Identical charts are drawn once: ``render_png`` keeps the last pictures by a hash of their data.
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import math
import re
import textwrap
import threading
from collections import OrderedDict
from concurrent.futures import Executor
from dataclasses import asdict, dataclass, field
from functools import lru_cache

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg, RendererAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Rectangle
from matplotlib.ticker import MaxNLocator
from matplotlib.transforms import offset_copy
from PIL import Image

from bot import format as fmt
from bot.values import Chart

DPI = 150
WIDTH = 1200
HEIGHT = 675
FONT = "DejaVu Sans"
PALETTE = ["#0072B2", "#E69F00", "#009E73", "#D55E00", "#CC79A7", "#56B4E9", "#F0E442", "#000000"]
"""Okabe–Ito, the colour-blind-safe palette; yellow and black last (weak contrast, heavy look)."""
HATCHES = ["", "//", ".."]
"""Tell apart more series than there are colours."""
INK, MUTED, FAINT = "#222222", "#555555", "#BBBBBB"
TITLE_PT, LABEL_PT, VALUE_PT, NOTE_PT, CAPTION_PT = 17, 12.5, 12, 10.5, 10
LINE = 1.25
"""Line height, in ems."""
MARGIN = 14
TICK_PAD = 6
RANK_ROW_GAP = 16
RANK_LABEL_CHARS = 34
CACHE_SIZE = 64
PNG_COMPRESSION = 3
"""zlib level: 3 is about twice as fast as the default 6, for files a few percent larger."""
MIN_PT = 7.5
"""The smallest font size labels shrink to before they are cut."""
VALUE_SIZES = (12.0, 11.0, 10.0, 9.0, 8.0)
VALUE_OFFSET_PT = 3
GRID = "#EEEEEE"
SWATCH = 16
LEGEND_GAP = 24
PANEL_GAP = 28
MIN_PANEL_PX = 110
TICK_LINES = 4
MIN_SHARED_PX = 220
"""The least height of a panel's plot area (small multiples) and of a shared axis, in pixels."""
SOURCES = "Sources: "
SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")
_SETTING = re.compile(r"(?P<name>.*\S)\s+\((?P<setting>[^()]+)\)")
"""A label with its setting in brackets at the end: "ARC-AGI-2 (Contemplating mode)"."""
_MEASURING = threading.local()


def _px(points: float) -> float:
    return points * DPI / 72


def _line_px(points: float) -> float:
    return _px(points) * LINE


def _lines(text: str) -> int:
    return text.count("\n") + 1 if text else 0


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False)) or text


def _font(points: float, weight: str = "normal") -> FontProperties:
    return FontProperties(family=FONT, size=points, weight=weight)


def _unit_label(unit: str, higher_is_better: bool) -> str:
    label = f"Score ({unit})" if unit else "Score"
    return label if higher_is_better else f"{label}, lower is better"


def _value_label(value: float | None, unit: str) -> str:
    if value is None:
        return "n/a"
    return fmt.score(value, "%") if unit == "%" else fmt.number(value)


def _style(index: int) -> dict:
    return {"facecolor": PALETTE[index % len(PALETTE)], "hatch": HATCHES[index // len(PALETTE) % len(HATCHES)] or None,
            "edgecolor": "white", "linewidth": 0.8}


def _title(chart: Chart) -> str:
    return "\n".join(_wrap_px(chart.title, TITLE_PT, WIDTH - 2 * MARGIN, "bold"))


def _caption(chart: Chart) -> str:
    return "\n".join(_caption_lines(chart.caption)) if chart.caption else ""


def _caption_lines(caption: str) -> list[str]:
    """The caption in lines that fit the width; "Sources: a · b" breaks only between sources, so each
    source takes at most one line (cut with "…" when it alone is too long for one)."""
    width = WIDTH - 2 * MARGIN
    if not caption.startswith(SOURCES):
        return _wrap_px(caption, CAPTION_PT, width)
    lines, line = [], SOURCES.rstrip()
    for item in caption.removeprefix(SOURCES).split(" · "):
        joined = f"{line} {item}" if line == SOURCES.rstrip() else f"{line} · {item}"
        if _text_px(joined, CAPTION_PT) <= width or line == SOURCES.rstrip():
            line = _ellipsize(joined, CAPTION_PT, width)
            continue
        lines.append(line)
        line = _ellipsize(item, CAPTION_PT, width)
    return [*lines, line]


def _top_px(chart: Chart) -> float:
    return MARGIN + _lines(_title(chart)) * _line_px(TITLE_PT) + 2 * MARGIN


def _caption_px(chart: Chart) -> float:
    caption = _caption(chart)
    return MARGIN + _lines(caption) * _line_px(CAPTION_PT) + (MARGIN if caption else 0)


def _ranking_label(chart: Chart, name: str) -> str:
    note = (chart.notes.get(name) or [None])[0]
    return _wrap(f"{name} ({note})" if note else name, RANK_LABEL_CHARS)


def _ranking_bottom_px(chart: Chart) -> float:
    return _caption_px(chart) + _line_px(LABEL_PT) + 2 * TICK_PAD


def _ranking_pitch_px(chart: Chart) -> float:
    lines = max((_lines(_ranking_label(chart, name)) for name in chart.series), default=1)
    return lines * _line_px(LABEL_PT) + RANK_ROW_GAP


def figure_size(chart: Chart) -> tuple[int, int]:
    """The picture's size in pixels: 1200x675, taller when a ranking has too many rows to fit."""
    if chart.kind == "grouped":
        return WIDTH, _grouped_layout(chart).height
    if chart.kind != "ranking":
        return WIDTH, HEIGHT
    rows = len(chart.series) * _ranking_pitch_px(chart)
    return WIDTH, max(HEIGHT, math.ceil(_top_px(chart) + _ranking_bottom_px(chart) + rows))


def build_figure(chart: Chart) -> Figure:
    """The chart drawn on a new Figure with an Agg canvas (ready to render or to inspect)."""
    width, height = figure_size(chart)
    fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI, facecolor="white")
    FigureCanvasAgg(fig)
    fig.text(0.5, 1 - MARGIN / height, _title(chart), ha="center", va="top", color=INK,
             fontproperties=_font(TITLE_PT, "bold"), parse_math=False, linespacing=LINE)
    if chart.caption:
        fig.text(MARGIN / width, MARGIN / height, _caption(chart), ha="left", va="bottom", color=MUTED,
                 fontproperties=_font(CAPTION_PT), parse_math=False, linespacing=LINE)
    if chart.kind == "ranking":
        _draw_ranking(fig, chart)
    elif chart.kind == "grouped":
        _draw_grouped(fig, chart)
    else:
        raise ValueError(f"unknown chart kind {chart.kind!r}")
    return fig


def _axes(fig: Figure, left: float, right: float, top: float, bottom: float) -> Axes:
    """Axes placed by margins in pixels, with a quiet frame: no value ticks, each bar is labelled."""
    ax = fig.add_axes((0, 0, 1, 1))
    _place(ax, left, right, top, bottom)
    for spine in ax.spines.values():
        spine.set_color(FAINT)
    ax.tick_params(length=0, colors=INK, pad=TICK_PAD)
    return ax


def _place(ax: Axes, left: float, right: float, top: float, bottom: float) -> None:
    width, height = ax.figure.canvas.get_width_height(physical=True)
    ax.set_position((left / width, bottom / height, 1 - (left + right) / width, 1 - (top + bottom) / height))


def _widest(fig: Figure, texts: list) -> float:
    """The widest of these texts as drawn, in pixels (measuring them now spares the draw from doing it)."""
    return max(text.get_window_extent(_agg(fig).get_renderer()).width for text in texts)


def _agg(fig: Figure) -> FigureCanvasAgg:
    """The figure's Agg canvas (every figure here gets one in ``build_figure``)."""
    canvas = fig.canvas
    assert isinstance(canvas, FigureCanvasAgg)
    return canvas


def _limits(values: list[float | None], headroom: float) -> tuple[float, float]:
    """Bars start at zero; ``headroom`` (a share of the span) is left past the longest bar for its label."""
    present = [v for v in values if v is not None] or [0.0]
    low, high = min(0.0, *present), max(0.0, *present)
    span = (high - low) or 1.0
    return low - (headroom * span if low < 0 else 0), high + headroom * span


def _draw_ranking(fig: Figure, chart: Chart) -> None:
    """One horizontal bar per model, first model on top, its value at the end of the bar.

    Row names are plain texts (gid "row-label") rather than tick labels: thirty ticks cost more to
    build than the rest of the chart.
    """
    names = list(chart.series)
    values = [chart.series[name][0] for name in names]
    unit, better = chart.units[0], chart.higher_is_better[0]
    ax = _axes(fig, 0, 0, _top_px(chart), _ranking_bottom_px(chart))
    rows = range(len(names))
    _bar_collection(ax, [(0, y - 0.34, v or 0, 0.68) for y, v in zip(rows, values)], 0)
    name_at = offset_copy(ax.get_yaxis_transform(), fig, x=-TICK_PAD, units="dots")
    value_at = offset_copy(ax.transData, fig, x=TICK_PAD, units="dots")
    label_font, value_font = _font(LABEL_PT), _font(VALUE_PT)
    labels = [ax.text(0, y, _ranking_label(chart, name), transform=name_at, ha="right", va="center", color=INK,
                      gid="row-label", fontproperties=label_font, parse_math=False, linespacing=LINE)
              for y, name in zip(rows, names)]
    texts = [ax.text(v or 0, y, _value_label(v, unit), transform=value_at, ha="left", va="center", color=INK,
                     fontproperties=value_font, parse_math=False) for y, v in zip(rows, values)]
    left = MARGIN + _widest(fig, labels) + 2 * TICK_PAD
    _place(ax, left, MARGIN + _widest(fig, texts) + 2 * TICK_PAD, _top_px(chart), _ranking_bottom_px(chart))
    room = max(0.0, 5 - len(names)) * 0.25
    ax.set_ylim(len(names) - 0.5 + room, -0.5 - room)
    ax.set_xlim(*_limits(values, 0.0))
    ax.set_xticks([])
    ax.set_yticks([])
    ax.set_xlabel(f"{chart.categories[0]} · {_unit_label(unit, better)}", fontproperties=_font(LABEL_PT),
                  color=MUTED, parse_math=False, labelpad=TICK_PAD)
    for side in ("top", "right", "bottom"):
        ax.spines[side].set_visible(False)


def _bar_collection(ax: Axes, boxes: list[tuple[float, float, float, float]], k: int) -> None:
    """Bars as one artist (boxes are x, y, width, height): much cheaper than a patch per bar."""
    verts = [[(x, y), (x + w, y), (x + w, y + h), (x, y + h)] for x, y, w, h in boxes]
    ax.add_collection(PolyCollection(verts, **_style(k)), autolim=False)


def _text_px(text: str, points: float, weight: str = "normal") -> float:
    """A one-line text's width as drawn, in pixels (measured, cached)."""
    return _measured(text, round(points, 2), weight)


@lru_cache(maxsize=16384)
def _measured(text: str, points: float, weight: str) -> float:
    width, _, _ = _renderer().get_text_width_height_descent(text, _font(points, weight), ismath=False)
    return width


def _renderer() -> RendererAgg:
    """A one-pixel renderer per thread, for measuring texts before there is a figure."""
    renderer = getattr(_MEASURING, "renderer", None)
    if renderer is None:
        renderer = _MEASURING.renderer = RendererAgg(1, 1, DPI)
    return renderer


def _longest_fit(text: str, points: float, width: float, weight: str = "normal", suffix: str = "") -> int:
    """How many leading characters of ``text`` (followed by ``suffix``) fit in a width; at least one."""
    low, high = 1, len(text)
    while low < high:
        mid = (low + high + 1) // 2
        if _text_px(text[:mid].rstrip() + suffix, points, weight) <= width:
            low = mid
        else:
            high = mid - 1
    return low


def _ellipsize(text: str, points: float, width: float, weight: str = "normal") -> str:
    """The text, cut with "…" when it is wider than ``width`` pixels."""
    if _text_px(text, points, weight) <= width:
        return text
    return text[:_longest_fit(text, points, width, weight, "…")].rstrip() + "…"


def _wrap_px(text: str, points: float, width: float, weight: str = "normal") -> list[str]:
    """Lines no wider than ``width`` pixels, broken between words (and inside a word too long for a line)."""
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if _text_px(candidate, points, weight) <= width:
                line = candidate
                continue
            if line:
                lines.append(line)
            line = word
            while len(line) > 1 and _text_px(line, points, weight) > width:
                cut = _longest_fit(line, points, width, weight)
                lines.append(line[:cut])
                line = line[cut:]
        lines.append(line)
    return lines


def _fit_lines(text: str, points: float, width: float, most: int, weight: str = "normal") -> tuple[list[str], float]:
    """The text in at most ``most`` lines of ``width`` pixels, at the largest size from ``points`` down to
    ``MIN_PT`` that allows it; at ``MIN_PT`` the lines past the last are cut off with "…"."""
    size = points
    lines = _wrap_px(text, size, width, weight)
    while len(lines) > most and size > MIN_PT:
        size = max(MIN_PT, size - 1)
        lines = _wrap_px(text, size, width, weight)
    if len(lines) > most:
        lines = lines[:most - 1] + [_ellipsize(" ".join(lines[most - 1:]) + " …", size, width, weight)]
    return lines, size


class _Footnotes:
    """Numbered notes under the chart, for settings too long to stay in the labels."""

    def __init__(self) -> None:
        self.notes: list[str] = []

    def mark(self, note: str) -> str:
        """The marker ("¹") of a new note."""
        self.notes.append(note)
        return _superscript(len(self.notes))

    def lines(self, width: float) -> list[str]:
        """The notes, numbered, wrapped to a width."""
        return [line for i, note in enumerate(self.notes, 1)
                for line in _wrap_px(f"{_superscript(i)} {note}", NOTE_PT, width)]


def _superscript(n: int) -> str:
    return str(n).translate(SUPERSCRIPTS)


def _category_label(chart: Chart, i: int, notes: _Footnotes, fits, bars: bool = True) -> str:
    """A benchmark's label: its name, with its setting when ``fits`` says the whole fits; a setting that
    does not fit and (with ``bars``) the settings of single bars go to a footnote, marked after the name."""
    full = chart.categories[i]
    match = _SETTING.fullmatch(full)
    name, setting = (match["name"], match["setting"]) if match else (full, "")
    inline = not setting or fits(full)
    moved = ([] if inline else [setting])
    moved += [f"{model}: {chart.notes[model][i]}" for model in chart.series
              if bars and chart.notes.get(model) and chart.notes[model][i]]
    label = full if inline else name
    return f"{label}{notes.mark(f'{label} — ' + '; '.join(moved))}" if moved else label


def _model_label(chart: Chart, name: str, notes: _Footnotes, fits) -> str:
    """A model's name under its bar, with its setting when that fits, else a footnote marker."""
    setting = (chart.notes.get(name) or [None])[0]
    if not setting:
        return name
    full = f"{name} ({setting})"
    return full if fits(full) else f"{name}{notes.mark(f'{name}: {setting}')}"


@dataclass
class _Panel:
    """One axes of a grouped chart, placed in pixels from the figure's top left corner."""

    columns: list[int]
    left: float
    top: float
    width: float
    height: float
    heading: list[str] = field(default_factory=list)
    """Benchmark name lines over the panel (small multiples only; the unit line comes after)."""
    unit: str = ""
    ticks: list[str] = field(default_factory=list)
    """Labels under the bars (one panel only): benchmarks, or models when there is one benchmark."""
    xlabel: str = ""
    """The benchmark's name under the models' names, when there is one benchmark."""
    cell_left: float = MARGIN
    """Where the panel's headings start: left of its value ticks."""


@dataclass
class _Grouped:
    """Where everything of a grouped chart goes."""

    height: int
    panels: list[_Panel]
    heading_pt: float
    tick_pt: float
    legend: list[str]
    legend_columns: int
    legend_top: float
    notes: list[str]


def _shared_axis(chart: Chart) -> bool:
    """One axis for all benchmarks when they share a unit; bare numbers share nothing unless there is one."""
    return len(chart.categories) == 1 or (len(set(chart.units)) == 1 and chart.units[0] != "")


def _grid(count: int) -> tuple[int, int]:
    """Columns and rows of small multiples: one row up to five panels, then rows of up to four."""
    columns = count if count <= 5 else math.ceil(count / math.ceil(count / 4))
    return columns, math.ceil(count / columns)


def _panel_unit(chart: Chart, columns: list[int]) -> str:
    """The unit line over a panel: "Score (%)", with "lower is better" when all its benchmarks say so."""
    better = any(chart.higher_is_better[i] for i in columns)
    return _unit_label(chart.units[columns[0]], better)


def _tick_width(values: list[float | None], plot_px: float) -> float:
    """The widest value tick label for these values, allowing for the room left for value labels."""
    present = [v for v in values if v is not None] or [0.0]
    low, high = min(0.0, *present) * 2, max(0.0, *present) * 2 or 1.0
    return max(_text_px(text, NOTE_PT) for text in _ticks(low, high, plot_px)[1])


def _grouped_layout(chart: Chart) -> _Grouped:
    """Panels, labels, legend and notes of a grouped chart, measured and placed before drawing."""
    if _shared_axis(chart):
        return _shared_layout(chart)
    return _multiples_layout(chart)


def _footer_px(notes: list[str], chart: Chart) -> float:
    return len(notes) * _line_px(NOTE_PT) + (TICK_PAD if notes else 0) + _caption_px(chart)


def _legend_rows(names: list[str]) -> tuple[list[str], int, float]:
    """Legend entries (names cut to the width), how many columns, and the legend's height."""
    if not names:
        return [], 1, float(MARGIN)
    room = WIDTH - 2 * MARGIN
    points = _legend_pt(names)
    entries = [_ellipsize(name, points, room - SWATCH - TICK_PAD) for name in names]
    column = SWATCH + TICK_PAD + max(_text_px(e, points) for e in entries) + LEGEND_GAP
    columns = max(1, min(len(entries), int((room + LEGEND_GAP) // column)))
    rows = math.ceil(len(entries) / columns)
    return entries, math.ceil(len(entries) / rows), rows * _line_px(points) * 1.15 + MARGIN


def _legend_pt(names: list[str]) -> float:
    return LABEL_PT if len(names) <= 4 else NOTE_PT + 0.5


def _shared_layout(chart: Chart) -> _Grouped:
    """One panel: groups of bars per benchmark on one axis (or one bar per model for a single benchmark)."""
    names, count = list(chart.series), len(chart.categories)
    single = count == 1
    notes = _Footnotes()
    values = [v for s in chart.series.values() for v in s]
    left = MARGIN + _tick_width(values, MIN_SHARED_PX) + TICK_PAD
    plot_w = WIDTH - left - MARGIN
    slots = len(names) + 2 * _single_room(names, single) if single else count
    slot = plot_w / slots * 0.96
    tick_pt = LABEL_PT if single or count <= 3 else NOTE_PT + 0.5

    def fits(text: str) -> bool:
        return len(_wrap_px(text, tick_pt, slot)) <= 2

    raw = [_model_label(chart, n, notes, fits) for n in names] if single else \
        [_category_label(chart, i, notes, fits) for i in range(count)]
    xlabel = _category_label(chart, 0, notes, lambda t: _text_px(t, LABEL_PT, "bold") <= plot_w, bars=False) \
        if single else ""
    tick_pt = min(_fit_lines(text, tick_pt, slot, TICK_LINES)[1] for text in raw)
    ticks = ["\n".join(_fit_lines(text, tick_pt, slot, TICK_LINES)[0]) for text in raw]
    legend, legend_columns, legend_px = _legend_rows([] if single else names)
    note_lines = notes.lines(WIDTH - 2 * MARGIN)
    under = 2 * TICK_PAD + max(_lines(t) for t in ticks) * _line_px(tick_pt)
    under += _line_px(LABEL_PT) + TICK_PAD if single else 0
    top = _top_px(chart) + _line_px(NOTE_PT) + _line_px(NOTE_PT) / 2 + TICK_PAD
    fixed = top + under + legend_px + _footer_px(note_lines, chart)
    height = max(HEIGHT, math.ceil(fixed + MIN_SHARED_PX))
    panel = _Panel(list(range(count)), left, top, plot_w, height - fixed, [], _panel_unit(chart, list(range(count))),
                   ticks, _ellipsize(xlabel, LABEL_PT, plot_w, "bold"))
    return _Grouped(height, [panel], LABEL_PT, tick_pt, legend, legend_columns, height - fixed + top + under,
                    note_lines)


def _multiples_layout(chart: Chart) -> _Grouped:
    """Small multiples: a panel per benchmark, each with its own axis, named over it with its unit."""
    names, count = list(chart.series), len(chart.categories)
    columns, rows = _grid(count)
    cell = (WIDTH - 2 * MARGIN - (columns - 1) * PANEL_GAP) / columns
    notes = _Footnotes()
    heading_pt = LABEL_PT if columns <= 2 else NOTE_PT + 1

    def fits(text: str) -> bool:
        return len(_wrap_px(text, heading_pt, cell, "bold")) <= 2

    labels = [_category_label(chart, i, notes, fits) for i in range(count)]
    heading_pt = min(_fit_lines(label, heading_pt, cell, 2, "bold")[1] for label in labels)
    headings = [_fit_lines(label, heading_pt, cell, 2, "bold")[0] for label in labels]
    legend, legend_columns, legend_px = _legend_rows(names)
    note_lines = notes.lines(WIDTH - 2 * MARGIN)
    over = max(len(h) for h in headings) * _line_px(heading_pt) + _line_px(NOTE_PT) * 1.5 + TICK_PAD
    under = _line_px(NOTE_PT) / 2 + PANEL_GAP
    top = _top_px(chart)
    fixed = top + rows * (over + under) + legend_px + _footer_px(note_lines, chart)
    height = max(HEIGHT, math.ceil(fixed + rows * MIN_PANEL_PX))
    plot_h = (height - fixed) / rows
    panels = []
    for i in range(count):
        row, column = divmod(i, columns)
        x = MARGIN + column * (cell + PANEL_GAP)
        tick_w = _tick_width([s[i] for s in chart.series.values()], plot_h) + TICK_PAD
        panels.append(_Panel([i], x + tick_w, top + row * (over + under + plot_h) + over, cell - tick_w, plot_h,
                             headings[i], _ellipsize(_panel_unit(chart, [i]), NOTE_PT, cell), cell_left=x))
    return _Grouped(height, panels, heading_pt, NOTE_PT, legend, legend_columns,
                    top + rows * (over + under + plot_h), note_lines)


def _single_room(names: list[str], single: bool) -> float:
    """Extra space beside a lone benchmark's bars, so two or three bars are not drawn a third of the width each."""
    return max(0.0, (4 - len(names)) / 2) if single else 0.0


def _ticks(low: float, high: float, plot_px: float) -> tuple[list[float], list[str]]:
    """Value ticks between the limits, fewer on a short axis, and their labels with as few decimals as they need."""
    bins = max(2, min(6, int(plot_px // (2.2 * _line_px(NOTE_PT)))))
    locator = MaxNLocator(nbins=bins, steps=[1, 2, 2.5, 5, 10])
    values = [float(v) for v in locator.tick_values(low, high) if low - 1e-9 <= v <= high + 1e-9]
    decimals = next(d for d in range(4) if all(abs(round(v, d) - v) < 1e-9 for v in values) or d == 3)
    return values, [f"{v:,.{decimals}f}".replace("-", "−") if round(v, decimals) else "0" for v in values]


def _value_style(texts: list[str], pitch_px: float, plot_px: float) -> tuple[float, int, float] | None:
    """Font size, rotation and the room they need (pixels) of value labels that fit over bars ``pitch_px`` apart:
    across the bar when narrow enough, else along it; None when neither fits."""
    for points in VALUE_SIZES:
        if max(_text_px(t, points) for t in texts) <= pitch_px - 2:
            return points, 0, _line_px(points) + _px(VALUE_OFFSET_PT) + 2
    for points in VALUE_SIZES:
        room = max(_text_px(t, points) for t in texts) + _px(VALUE_OFFSET_PT) + 4
        if _line_px(points) <= pitch_px - 2 and room <= plot_px * 0.45:
            return points, 90, room
    return None


def _padded_limits(values: list[float | None], room_px: float, plot_px: float) -> tuple[float, float]:
    """Limits from zero past the longest bars, leaving ``room_px`` beyond them for their labels."""
    present = [v for v in values if v is not None] or [0.0]
    low, high = min(0.0, *present), max(0.0, *present)
    share = min(0.45, room_px / plot_px)
    if low < 0:
        span = (high - low) / (1 - 2 * share)
        return low - share * span, high + share * span
    return 0.0, (high or 1.0) / (1 - share)


def _draw_grouped(fig: Figure, chart: Chart) -> None:
    """Bars grouped by benchmark, one colour per model: on one axis when the benchmarks share a unit, else
    as small multiples (a panel per benchmark, each with its own axis); a single benchmark names the
    models under their bars. Every bar starts at zero, so bar heights are proportional to values."""
    layout = _grouped_layout(chart)
    for panel in layout.panels:
        _draw_panel(fig, chart, layout, panel)
    _draw_legend(fig, layout)
    _draw_notes(fig, chart, layout.notes)


def _bar_positions(count: int, models: int, single: bool) -> tuple[list[list[float]], float]:
    """Each model's bar centres (per group) and the bars' pitch, in data units (a group is one unit wide)."""
    if single:
        return [[k] for k in range(models)], 0.8
    pitch = 0.8 / max(models, 2)
    return [[i + (k - (models - 1) / 2) * pitch for i in range(count)] for k in range(models)], pitch


def _draw_panel(fig: Figure, chart: Chart, layout: _Grouped, panel: _Panel) -> None:
    """One axes: the bars of its benchmarks, value labels where they fit, value ticks and the unit over it."""
    names, single = list(chart.series), len(chart.categories) == 1
    xs, pitch = _bar_positions(len(panel.columns), len(names), single)
    room = _single_room(names, single)
    low_x, high_x = -0.5 - room, (len(names) if single else len(panel.columns)) - 0.5 + room
    values = [[chart.series[name][i] for i in panel.columns] for name in names]
    texts = [_value_label(v, chart.units[i]) for row in values for v, i in zip(row, panel.columns)]
    for _ in range(3):  # the value ticks can come out wider than the room the layout estimated for them
        style = _value_style(texts, pitch * panel.width / (high_x - low_x), panel.height)
        low, high = _padded_limits([v for row in values for v in row], style[2] if style else 0, panel.height)
        ticks, labels = _ticks(low, high, panel.height)
        wider = max(_text_px(label, NOTE_PT) for label in labels) + TICK_PAD - (panel.left - panel.cell_left)
        if wider <= 0:
            break
        panel.left, panel.width = panel.left + wider, panel.width - wider
    ax = _panel_axes(fig, panel)
    for k, (row, centres) in enumerate(zip(values, xs)):
        _bar_collection(ax, [(x - pitch * 0.45, 0, pitch * 0.9, v or 0) for x, v in zip(centres, row)], k)
        if style:
            _value_labels(ax, centres, row, [chart.units[i] for i in panel.columns], style)
    ax.set_xlim(low_x, high_x)
    ax.set_ylim(low, high)
    ax.set_yticks(ticks, labels, fontproperties=_font(NOTE_PT), color=MUTED)
    ax.set_xticks(range(len(panel.ticks)), panel.ticks, fontproperties=_font(layout.tick_pt), parse_math=False,
                  linespacing=LINE)
    if panel.xlabel:
        ax.set_xlabel(panel.xlabel, fontproperties=_font(LABEL_PT, "bold"), color=INK, parse_math=False,
                      labelpad=TICK_PAD)
    _panel_heading(fig, layout, panel)


def _panel_axes(fig: Figure, panel: _Panel) -> Axes:
    """Axes at a panel's place, with light grid lines at the value ticks and only the zero line drawn."""
    width, height = fig.canvas.get_width_height(physical=True)
    ax = fig.add_axes((panel.left / width, 1 - (panel.top + panel.height) / height, panel.width / width,
                       panel.height / height))
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    ax.spines["bottom"].set_color(FAINT)
    ax.tick_params(length=0, colors=INK, pad=TICK_PAD)
    ax.yaxis.grid(True, color=GRID, linewidth=0.8)
    ax.set_axisbelow(True)
    return ax


def _value_labels(ax: Axes, xs: list[float], values: list[float | None], units: list[str],
                  style: tuple[float, int, float]) -> None:
    """Each bar's value (or "n/a") just past its end, across or along the bar."""
    points, rotation, _ = style
    font = _font(points)
    for x, value, unit in zip(xs, values, units):
        below = value is not None and value < 0
        offset = -VALUE_OFFSET_PT if below else VALUE_OFFSET_PT
        ax.annotate(_value_label(value, unit), (x, value or 0), xytext=(0, offset), textcoords="offset points",
                    ha="center", va="top" if below else "bottom", rotation=rotation, gid="value",
                    color=INK if value is not None else MUTED, fontproperties=font, parse_math=False)


def _panel_heading(fig: Figure, layout: _Grouped, panel: _Panel) -> None:
    """The benchmark's name (small multiples) and the unit line over a panel, left-aligned with its area."""
    width, height = fig.canvas.get_width_height(physical=True)
    x = panel.cell_left / width
    y = panel.top - _line_px(NOTE_PT) * 1.5 - TICK_PAD - len(panel.heading) * _line_px(layout.heading_pt)
    if panel.heading:
        fig.text(x, 1 - y / height, "\n".join(panel.heading), ha="left", va="top", color=INK, linespacing=LINE,
                 fontproperties=_font(layout.heading_pt, "bold"), parse_math=False)
    fig.text(x, 1 - (panel.top - _line_px(NOTE_PT) * 1.5 - TICK_PAD) / height, panel.unit, ha="left", va="top",
             color=MUTED, fontproperties=_font(NOTE_PT), parse_math=False)


def _draw_legend(fig: Figure, layout: _Grouped) -> None:
    """Colour swatches with the models' names, in rows of equal columns, centred under the panels."""
    if not layout.legend:
        return
    width, height = fig.canvas.get_width_height(physical=True)
    points = _legend_pt(layout.legend)
    column = SWATCH + TICK_PAD + max(_text_px(e, points) for e in layout.legend) + LEGEND_GAP
    left = (width - layout.legend_columns * column + LEGEND_GAP) / 2
    pitch = _line_px(points) * 1.15
    font = _font(points)
    for k, name in enumerate(layout.legend):
        row, col = divmod(k, layout.legend_columns)
        x, y = left + col * column, layout.legend_top + MARGIN + (row + 0.5) * pitch
        fig.add_artist(Rectangle(((x) / width, 1 - (y + SWATCH / 2) / height), SWATCH / width, SWATCH / height,
                                 transform=fig.transFigure, **_style(k)))
        fig.text((x + SWATCH + TICK_PAD) / width, 1 - y / height, name, ha="left", va="center", color=INK,
                 fontproperties=font, parse_math=False)


def _draw_notes(fig: Figure, chart: Chart, notes: list[str]) -> None:
    """The numbered footnotes, over the caption."""
    if notes:
        height = fig.canvas.get_width_height(physical=True)[1]
        fig.text(MARGIN / WIDTH, (_caption_px(chart) + TICK_PAD) / height, "\n".join(notes), ha="left", va="bottom",
                 color=MUTED, fontproperties=_font(NOTE_PT), parse_math=False, linespacing=LINE)


def _draw_png(chart: Chart) -> bytes:
    """Draw and encode: opaque RGB (the background is white) and fast zlib, with no metadata at all."""
    canvas = _agg(build_figure(chart))
    canvas.draw()
    image = Image.frombuffer("RGBA", canvas.get_width_height(physical=True), canvas.buffer_rgba(), "raw", "RGBA", 0, 1)
    buffer = io.BytesIO()
    image.convert("RGB").save(buffer, format="png", compress_level=PNG_COMPRESSION)
    return buffer.getvalue()


def chart_key(chart: Chart) -> str:
    """A stable hash of everything the chart shows: equal charts, equal keys."""
    data = json.dumps(asdict(chart), sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(data.encode("utf-8")).hexdigest()


class _PngCache:
    """The last ``size`` pictures by chart key; counts how many were actually drawn."""

    def __init__(self, size: int) -> None:
        self.size = size
        self.drawn = 0
        self._items: OrderedDict[str, bytes] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: str) -> bytes | None:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
            return self._items.get(key)

    def put(self, key: str, png: bytes) -> None:
        with self._lock:
            self.drawn += 1
            self._items[key] = png
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()
            self.drawn = 0


CACHE = _PngCache(CACHE_SIZE)


def render_png(chart: Chart) -> bytes:
    """The chart as PNG bytes; an identical chart drawn recently comes from the cache."""
    key = chart_key(chart)
    png = CACHE.get(key)
    if png is None:
        png = _draw_png(chart)
        CACHE.put(key, png)
    return png


async def render_async(chart: Chart, executor: Executor | None = None) -> bytes:
    """``render_png`` in a worker thread (``executor``, or the loop's default), never blocking the loop."""
    return await asyncio.get_running_loop().run_in_executor(executor, render_png, chart)


def _alt_value(value: float | None, unit: str) -> str:
    return "no score" if value is None else fmt.score(value, unit)


def _series_text(chart: Chart, name: str) -> str:
    values = chart.series[name]
    if len(chart.categories) == 1:
        return f"{name} {_alt_value(values[0], chart.units[0])}"
    pairs = ", ".join(f"{c} {_alt_value(v, u)}" for c, v, u in zip(chart.categories, values, chart.units))
    return f"{name}: {pairs}"


def alt_text(chart: Chart, limit: int) -> str:
    """A plain description of the picture for screen readers: the title and every bar's value.

    At most ``limit`` characters; when the values do not all fit, the text ends with "…".
    """
    kind = "Ranking bar chart" if chart.kind == "ranking" else "Bar chart"
    text = f"{kind}: {chart.title}. " + "; ".join(_series_text(chart, name) for name in chart.series) + "."
    return text if len(text) <= limit else text[: limit - 1] + "…"
