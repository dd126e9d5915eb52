"""Readability of grouped charts over many shapes: 1-10 models x 1-8 benchmarks x 0-3 bar settings,
short and long names, one unit or mixed units, negative values and gaps.

Every chart is laid out on the Agg canvas and measured as drawn: no two visible texts overlap (title,
unit lines, panel headings, tick labels, value labels, legend, footnotes, caption), all text lies inside
the figure, every bar is at least ``MIN_BAR_PX`` wide at the charts' 150 DPI, and on a shared axis bar
heights are proportional to the values.
"""

from __future__ import annotations

import itertools

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from matplotlib.collections import PolyCollection
from matplotlib.text import Text

from bot import charts
from bot.values import Chart

MIN_BAR_PX = 6
"""Narrowest bar allowed, in pixels at 150 DPI (a 10-model x 8-benchmark shared axis draws about 10)."""
SHORT_MODELS = ["GPT-5.4", "Muse Spark", "o3", "Grok 4", "Gemini 3.1 Pro", "Claude Opus 4.6", "Qwen3", "R1",
                "Llama 4", "Kimi K2"]
LONG_MODELS = [f"{name} Ultra Preview Experimental 2026-04-08 Edition" for name in SHORT_MODELS]
SHORT_BENCHMARKS = ["GPQA Diamond", "ARC-AGI-2", "HLE", "MMLU-Pro", "SWE-bench Verified", "AIME 2025", "MMMU",
                    "LiveCodeBench"]
LONG_BENCHMARKS = [f"{name} Extended Multilingual Reasoning Track" for name in SHORT_BENCHMARKS]
SETTINGS = ["Contemplating mode", "v4.0", "high reasoning effort with tools and 64k thinking budget"]
MIXED_UNITS = ["%", "points", "", "Elo", "%", "s", "", "%"]


def make_chart(models: int, benchmarks: int, settings_count: int, long: bool, mixed: bool,
               negative: bool = False) -> Chart:
    """A comparison of the given shape: values from 1 to 99 (one below zero when ``negative``), one gap."""
    names = (LONG_MODELS if long else SHORT_MODELS)[:models]
    categories = list((LONG_BENCHMARKS if long else SHORT_BENCHMARKS)[:benchmarks])
    for i in range(min(settings_count, benchmarks)):
        if i % 2:
            categories[i] = f"{categories[i]} ({SETTINGS[i]})"  # a setting every bar shares
    series: dict[str, list[float | None]] = {
        name: [round(1 + (k * 37 + i * 23) % 98 + 0.8, 1) for i in range(benchmarks)] for k, name in enumerate(names)}
    if models > 1:
        series[names[-1]][0] = None
    if negative:
        series[names[0]][-1] = -12.5
    notes: dict[str, list[str | None]] = {}
    for i in range(min(settings_count, benchmarks)):
        if not i % 2:  # a setting of a single bar
            notes.setdefault(names[i % models], [None] * benchmarks)[i] = SETTINGS[i]
    units = (MIXED_UNITS[:benchmarks] if mixed else ["%"] * benchmarks)
    caption = "Sources: TNW (2026-04-08, 2026-04-10) · https://example.org/a/very/long/leaderboard/page · Google"
    return Chart("grouped", f"{models} models on {benchmarks} benchmarks" + (" compared at length" * 3 if long else ""),
                 categories, units, series, [i % 3 != 2 for i in range(benchmarks)], caption, notes)


def drawn(chart: Chart):
    fig = charts.build_figure(chart)
    fig.draw_without_rendering()
    return fig, fig.canvas.get_renderer()


def visible_texts(fig) -> list[Text]:
    def shown(artist) -> bool:
        while artist is not None:
            if not artist.get_visible():
                return False
            artist = getattr(artist, "axes", None) if artist is not getattr(artist, "axes", None) else None
        return True
    texts = [t for t in fig.findobj(Text) if t.get_text().strip() and t.get_visible()]
    return [t for t in texts if shown(t)]


def overlap(a, b) -> bool:
    return a.x0 < b.x1 - 0.5 and b.x0 < a.x1 - 0.5 and a.y0 < b.y1 - 0.5 and b.y0 < a.y1 - 0.5


def bar_boxes(fig):
    """Every bar's box in pixels, per model (one PolyCollection per model and panel)."""
    for ax in fig.axes:
        for collection in ax.collections:
            if isinstance(collection, PolyCollection):
                for path in collection.get_paths():
                    yield ax, collection, ax.transData.transform(path.vertices)


def check_readable(chart: Chart) -> None:
    fig, renderer = drawn(chart)
    width, height = fig.canvas.get_width_height()
    texts = visible_texts(fig)
    boxes = [(t.get_text(), t.get_window_extent(renderer)) for t in texts]
    for (text, box) in boxes:
        assert box.x0 >= -0.5 and box.y0 >= -0.5 and box.x1 <= width + 0.5 and box.y1 <= height + 0.5, \
            f"{text!r} outside the figure: {box}"
    for (ta, a), (tb, b) in itertools.combinations(boxes, 2):
        assert not overlap(a, b), f"{ta!r} overlaps {tb!r}"
    bars = list(bar_boxes(fig))
    assert len(bars) == len(chart.series) * len(chart.categories)
    for _, _, corners in bars:
        assert corners[:, 0].max() - corners[:, 0].min() >= MIN_BAR_PX


GRID = [(m, b, s) for m in (1, 2, 3, 5, 10) for b in (1, 2, 3, 5, 8) for s in (0, 3)]


@pytest.mark.parametrize(("models", "benchmarks", "settings_count"), GRID)
def test_grid_of_shapes_is_readable(models, benchmarks, settings_count):
    long, mixed = (models + benchmarks) % 2 == 0, (models * benchmarks) % 3 != 0
    check_readable(make_chart(models, benchmarks, settings_count, long, mixed))


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(1, 10), st.integers(1, 8), st.integers(0, 3), st.booleans(), st.booleans(), st.booleans())
def test_any_shape_is_readable(models, benchmarks, settings_count, long, mixed, negative):
    check_readable(make_chart(models, benchmarks, settings_count, long, mixed, negative))


@pytest.mark.parametrize("models", [2, 10])
@pytest.mark.parametrize("benchmarks", [1, 3, 8])
def test_a_shared_axis_draws_heights_proportional_to_values(models, benchmarks):
    chart = make_chart(models, benchmarks, 0, long=False, mixed=False)
    first, second = list(chart.series)[:2]
    chart.series[first][0], chart.series[second][0] = 42.8, 92.8
    fig, _ = drawn(chart)
    assert len(fig.axes) == 1 and fig.axes[0].get_yticks().size >= 2  # one axis, with value ticks
    heights = {}
    for _, collection, corners in bar_boxes(fig):
        heights.setdefault(collection, []).append(corners[:, 1].max() - corners[:, 1].min())
    by_model = list(heights.values())
    low, high = by_model[0][0], by_model[1][0]
    assert low < high
    assert low / high == pytest.approx(42.8 / 92.8, rel=0.01)


def test_mixed_units_are_small_multiples_each_with_its_axis_and_unit():
    chart = make_chart(3, 5, 0, long=False, mixed=True)
    fig, _ = drawn(chart)
    assert len(fig.axes) == 5
    assert all(ax.get_yticks().size >= 2 for ax in fig.axes)
    texts = [t.get_text() for t in visible_texts(fig)]
    assert "Score (%)" in texts and "Score (points)" in texts and "Score (Elo)" in texts


def test_long_settings_go_to_numbered_footnotes_and_short_ones_stay():
    chart = make_chart(3, 3, 3, long=False, mixed=False)
    texts = " ".join(" ".join(t.get_text() for t in visible_texts(drawn(chart)[0])).split())
    assert "¹ GPQA Diamond — GPT-5.4: Contemplating mode" in texts  # a single bar's setting: a footnote
    assert "ARC-AGI-2 (v4.0)" in texts  # short, shared by every bar: stays in the label
    assert "LiveCodeBench" not in texts


def test_the_footer_names_each_source_on_at_most_one_line():
    lines = charts._caption_lines("Sources: TNW (2026-04-08, 2026-04-10) · " + "A" * 300 + " · Google")
    assert lines[0] == "Sources: TNW (2026-04-08, 2026-04-10)"
    assert lines[1].startswith("AAA") and lines[1].endswith("…")
    assert lines[2] == "Google"
