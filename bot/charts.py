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
import textwrap
import threading
from collections import OrderedDict
from concurrent.futures import Executor
from dataclasses import asdict

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Patch
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
EM = 0.62
"""Average DejaVu Sans character width, in ems, with a little to spare (for wrapping by characters)."""
LINE = 1.25
"""Line height, in ems."""
MARGIN = 14
TICK_PAD = 6
RANK_ROW_GAP = 16
RANK_LABEL_CHARS = 34
CACHE_SIZE = 64
PNG_COMPRESSION = 3
"""zlib level: 3 is about twice as fast as the default 6, for files a few percent larger."""


def _px(points: float) -> float:
    return points * DPI / 72


def _line_px(points: float) -> float:
    return _px(points) * LINE


def _chars(width_px: float, points: float) -> int:
    """How many characters of a font size fit in a width."""
    return max(6, int(width_px / (_px(points) * EM)))


def _lines(text: str) -> int:
    return text.count("\n") + 1 if text else 0


def _fit(points: float, text: str, width_px: float) -> float:
    """The font size, at most ``points``, at which the longest line of ``text`` fits in a width."""
    longest = max(len(line) for line in text.split("\n")) or 1
    return min(points, max(7.0, width_px / (longest * EM * DPI / 72)))


def _wrap(text: str, width: int) -> str:
    return "\n".join(textwrap.wrap(text, width, break_on_hyphens=False, break_long_words=False)) or text


def _font(points: float, weight: str = "normal") -> FontProperties:
    return FontProperties(family=FONT, size=points, weight=weight)


def _unit_label(unit: str, higher_is_better: bool) -> str:
    label = f"Score ({unit})" if unit else "Score"
    return label if higher_is_better else f"{label}, lower is better"


def _value_label(value: float | None, unit: str) -> str:
    if value is None:
        return "no score"
    return fmt.score(value, "%") if unit == "%" else fmt.number(value)


def _style(index: int) -> dict:
    return {"facecolor": PALETTE[index % len(PALETTE)], "hatch": HATCHES[index // len(PALETTE) % len(HATCHES)] or None,
            "edgecolor": "white", "linewidth": 0.8}


def _title(chart: Chart) -> str:
    return _wrap(chart.title, _chars(WIDTH - 2 * MARGIN, TITLE_PT))


def _caption(chart: Chart) -> str:
    return _wrap(chart.caption, _chars(WIDTH - 2 * MARGIN, CAPTION_PT)) if chart.caption else ""


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
    renderer = fig.canvas.get_renderer()
    return max(text.get_window_extent(renderer).width for text in texts)


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


def _group_label(chart: Chart, i: int, names: list[str], shared_unit: bool) -> str:
    """A benchmark's label under its bars: name (with setting), unit when units differ, per-bar settings."""
    parts = [chart.categories[i]]
    if not shared_unit:
        unit = f"in {chart.units[i]}" if chart.units[i] else ""
        parts.append(", ".join(p for p in (unit, "" if chart.higher_is_better[i] else "lower is better") if p))
    parts += [f"{name}: {chart.notes[name][i]}" for name in names if chart.notes.get(name) and chart.notes[name][i]]
    return "\n".join(p for p in parts if p)


def _draw_grouped(fig: Figure, chart: Chart) -> None:
    """Bars grouped by benchmark, one colour per model; a single benchmark names the models under the bars.

    Benchmarks in one unit share the scale; in different units each group is drawn to its own
    scale (its best bar full height), and the unit is named under the group.
    """
    names, count = list(chart.series), len(chart.categories)
    shared_unit = len(set(zip(chart.units, chart.higher_is_better))) == 1
    single = count == 1
    tick_pt = LABEL_PT if count <= 3 else NOTE_PT + 0.5
    left = MARGIN + _line_px(NOTE_PT) + TICK_PAD
    slot_px = (WIDTH - left - MARGIN) / (len(names) if single else count)
    ticks = _single_ticks(chart, names, slot_px) if single else \
        [_wrap_lines(_group_label(chart, i, names, shared_unit), _chars(slot_px * 0.92, tick_pt)) for i in range(count)]
    ax = _axes(fig, left, MARGIN, _top_px(chart), _grouped_bottom_px(chart, ticks, tick_pt, len(names), single))
    width = 0.8 / (1 if single else len(names))
    bar_px = slot_px * (0.8 if single else width) * 0.95
    for k, name in enumerate(names):
        xs = [k] if single else [i + (k - (len(names) - 1) / 2) * width for i in range(count)]
        _bars(ax, xs, _heights(chart, name, shared_unit), chart.series[name], chart.units, width, bar_px, k)
    ax.set_xticks(range(len(ticks)), ticks, fontproperties=_font(tick_pt), parse_math=False)
    room = _single_room(names, single)
    ax.set_xlim(-0.5 - room, len(ticks) - 0.5 + room)
    ax.set_ylim(*_limits([h for name in names for h in _heights(chart, name, shared_unit)], 0.16))
    ax.set_yticks([])
    ylabel = _unit_label(chart.units[0], chart.higher_is_better[0]) if shared_unit else "Scaled per benchmark"
    ax.set_ylabel(ylabel, fontproperties=_font(NOTE_PT), color=MUTED, parse_math=False, labelpad=TICK_PAD)
    for side in ("top", "right", "left"):
        ax.spines[side].set_visible(False)
    if single:
        ax.set_xlabel(chart.categories[0], fontproperties=_font(LABEL_PT, "bold"), color=INK, parse_math=False,
                      labelpad=TICK_PAD)
    else:
        _legend(fig, names, _caption_px(chart) / fig.canvas.get_width_height(physical=True)[1])


def _grouped_bottom_px(chart: Chart, ticks: list[str], tick_pt: float, models: int, single: bool) -> float:
    """Room under the bars: tick labels, then the benchmark name (one benchmark) or the legend, then the caption."""
    legend = _line_px(LABEL_PT) + TICK_PAD if single else math.ceil(models / 4) * _line_px(LABEL_PT) * 1.4 + MARGIN
    return _caption_px(chart) + legend + max(_lines(t) for t in ticks) * _line_px(tick_pt) + 3 * TICK_PAD


def _wrap_lines(text: str, width: int) -> str:
    return "\n".join(_wrap(line, width) for line in text.split("\n"))


def _single_ticks(chart: Chart, names: list[str], slot_px: float) -> list[str]:
    notes = {name: chart.notes[name][0] for name in names if chart.notes.get(name) and chart.notes[name][0]}
    return [_wrap(f"{name} ({notes[name]})" if name in notes else name, _chars(slot_px * 0.9, LABEL_PT))
            for name in names]


def _single_room(names: list[str], single: bool) -> float:
    """Extra space beside a lone benchmark's bars, so two or three bars are not drawn a third of the width each."""
    return max(0.0, (4 - len(names)) / 2) if single else 0.0


def _scaled(chart: Chart, i: int, value: float | None, shared_unit: bool) -> float:
    """A bar's height: the value itself on a shared scale, else its share of the group's largest value."""
    if value is None:
        return 0.0
    if shared_unit:
        return value
    largest = max((abs(v) for v in (s[i] for s in chart.series.values()) if v is not None), default=0.0)
    return value / largest if largest else 0.0


def _heights(chart: Chart, name: str, shared_unit: bool) -> list[float]:
    return [_scaled(chart, i, v, shared_unit) for i, v in enumerate(chart.series[name])]


def _bars(ax: Axes, xs, heights, values, units, width, bar_px, k) -> None:
    """One model's bars, each labelled with its value (or "no score") just past its end."""
    _bar_collection(ax, [(x - width * 0.46, 0, width * 0.92, h) for x, h in zip(xs, heights)], k)
    for x, height, value, unit in zip(xs, heights, values, units):
        text = _value_label(value, unit)
        size = _fit(VALUE_PT if value is not None else NOTE_PT, text, bar_px)
        below = height < 0
        ax.annotate(text, (x, height), xytext=(0, -4 if below else 4), textcoords="offset points",
                    ha="center", va="top" if below else "bottom", color=INK if value is not None else MUTED,
                    fontproperties=_font(size), parse_math=False)


def _legend(fig: Figure, names: list[str], bottom: float) -> None:
    handles = [Patch(label=name, **_style(k)) for k, name in enumerate(names)]
    legend = fig.legend(handles=handles, loc="lower center", bbox_to_anchor=(0.5, bottom), ncols=min(len(names), 4),
                        frameon=False, prop=_font(LABEL_PT), borderaxespad=0)
    for text in legend.get_texts():
        text.set_parse_math(False)


def _draw_png(chart: Chart) -> bytes:
    """Draw and encode: opaque RGB (the background is white) and fast zlib, with no metadata at all."""
    canvas = build_figure(chart).canvas
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
