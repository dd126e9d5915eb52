"""Charts for comparisons and leaderboards: what the answers carry, and the PNG pictures drawn from it.

The golden picture (tests/data/chart-golden.png) is compared within a tolerance, so font rendering
that differs a little between FreeType builds passes while a wrong bar does not. After an
intended change of the look, regenerate it and look at it before committing:

    MODELWIRE_REGENERATE_GOLDEN=1 python -m pytest tests/test_charts.py -k golden
"""

from __future__ import annotations

import asyncio
import copy
import io
import json
import os
import statistics
import struct
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from PIL import Image

from bot import charts
from bot import format as fmt
from bot.cli import cli
from bot.engine import answer
from bot.values import Chart, Question

GOLDEN = Path(__file__).parent / "data" / "chart-golden.png"
GOLDEN_TOLERANCE = 1.0
"""Largest mean absolute difference per channel (0-255) between a drawing and the golden picture."""
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

COMPARE_Q = "compare Muse Spark and GPT-5.4 on GPQA Diamond"
TOP_Q = "top 5 on GPQA Diamond"


def ask(kb, text: str):
    return answer(Question(text=text), kb)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from the PNG's IHDR chunk, which must come first."""
    assert data[:8] == PNG_SIGNATURE
    length, kind = struct.unpack(">I4s", data[8:16])
    assert kind == b"IHDR" and length == 13
    return struct.unpack(">II", data[16:24])


def pixels(data: bytes) -> np.ndarray:
    return np.asarray(Image.open(io.BytesIO(data)).convert("RGB"), dtype=np.int16)


def figure_texts(fig) -> list[str]:
    """Every text drawn on a figure: titles, captions, labels, tick labels, values, legend."""
    return [t.get_text() for t in fig.findobj(lambda a: hasattr(a, "get_text") and hasattr(a, "get_window_extent"))]


def golden_chart() -> Chart:
    """A fixed comparison (mixed units, a setting shared by a category, one differing by bar, a gap)."""
    return Chart(
        kind="grouped", title="Muse Spark vs GPT-5.4 vs Claude Opus 4.6",
        categories=["ARC-AGI-2", "Artificial Analysis Intelligence Index (v4.0)", "GPQA Diamond"],
        units=["", "points", "%"],
        series={"Muse Spark": [42.5, 52.0, 89.5], "GPT-5.4": [76.1, 57.0, 92.8],
                "Claude Opus 4.6": [None, 53.0, 92.7]},
        higher_is_better=[True, True, True],
        caption="Sources: TNW (2026-04-08)",
        notes={"Muse Spark": ["Contemplating mode", None, None]},
    )


def ranking_chart(count: int) -> Chart:
    """A leaderboard of ``count`` models with long and short names, one with a setting."""
    names = [f"Model {i} with a rather long name" if i % 3 == 0 else f"M-{i}" for i in range(count)]
    return Chart(kind="ranking", title=f"Top {count} on Some Benchmark", categories=["Some Benchmark"],
                 units=["%"], series={n: [round(95 - i * 1.9, 1)] for i, n in enumerate(names)},
                 higher_is_better=[True], caption="Sources: Example (2026-01-01)",
                 notes={names[1]: ["Contemplating mode"]})


def boxes_overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


# --- what the answers carry ---------------------------------------------------------------------


def test_a_comparison_carries_a_grouped_chart_of_its_numbers(seeded_kb):
    result = ask(seeded_kb, COMPARE_Q)
    chart = result.chart
    assert result.intent == "compare" and chart is not None
    assert chart.kind == "grouped"
    assert chart.categories == ["GPQA Diamond"] and chart.units == ["%"] and chart.higher_is_better == [True]
    assert chart.series == {"Muse Spark": [89.5], "GPT-5.4": [92.8]}
    for name, (value,) in chart.series.items():
        row = next(r for r in result.table.rows if r[0] == name)
        assert row[1] == fmt.score(value, "%")
    assert chart.caption == "Sources: TNW (2026-04-08)"


def test_a_leaderboard_carries_a_ranking_in_the_tables_order(seeded_kb):
    result = ask(seeded_kb, TOP_Q)
    chart = result.chart
    assert result.intent == "leaderboard" and chart.kind == "ranking"
    assert list(chart.series) == [row[1] for row in result.table.rows]
    assert [fmt.score(v[0], "%") for v in chart.series.values()] == [row[2] for row in result.table.rows]
    assert chart.categories == ["GPQA Diamond"]
    assert "TNW" in chart.caption and "2026-04-08" in chart.caption


def test_settings_go_into_the_labels(seeded_kb):
    many = ask(seeded_kb, "Muse Spark vs GPT-5.4").chart
    arc = many.categories.index("ARC-AGI-2")
    assert many.notes["Muse Spark"][arc] == "Contemplating mode"
    assert "GPT-5.4" not in many.notes  # GPT-5.4's ARC-AGI-2 score has no setting: not labelled as one
    assert "Artificial Analysis Intelligence Index (v4.0)" in many.categories  # every bar shares v4.0
    texts = " ".join(" ".join(figure_texts(charts.build_figure(many))).split())  # labels are wrapped
    assert "Muse Spark: Contemplating mode" in texts
    board = ask(seeded_kb, "best model on ARC-AGI-2").chart
    assert "Muse Spark (Contemplating mode)" in figure_texts(charts.build_figure(board))


def test_answers_without_numbers_to_compare_have_no_chart_and_charts_serialise(seeded_kb):
    assert ask(seeded_kb, "What did Muse Spark score on GPQA Diamond?").chart is None
    assert ask(seeded_kb, "Muse Spark").chart is None
    data = json.loads(json.dumps(ask(seeded_kb, TOP_Q).to_dict()))
    assert data["chart"]["kind"] == "ranking" and data["chart"]["series"]["Muse Spark"] == [89.5]


# --- the pictures -------------------------------------------------------------------------------


def test_pngs_are_valid_and_of_the_announced_size(seeded_kb):
    for question in (COMPARE_Q, TOP_Q, "Muse Spark vs GPT-5.4"):
        chart = ask(seeded_kb, question).chart
        data = charts.render_png(chart)
        assert png_size(data) == charts.figure_size(chart) == (1200, 675)
        assert Image.open(io.BytesIO(data)).size == (1200, 675)


def test_the_caption_with_sources_is_drawn(seeded_kb):
    fig = charts.build_figure(ask(seeded_kb, COMPARE_Q).chart)
    assert "Sources: TNW (2026-04-08)" in figure_texts(fig)


def test_drawing_matches_the_golden_picture():
    data = charts._draw_png(golden_chart())
    if os.environ.get("MODELWIRE_REGENERATE_GOLDEN") == "1":
        GOLDEN.write_bytes(data)
        pytest.skip(f"regenerated {GOLDEN}")
    expected, actual = pixels(GOLDEN.read_bytes()), pixels(data)
    assert actual.shape == expected.shape
    assert np.abs(actual - expected).mean() < GOLDEN_TOLERANCE


def test_the_golden_tolerance_catches_a_wrong_bar():
    wrong = golden_chart()
    wrong.series["Muse Spark"][2] = 45.0  # one bar at half height: about 2.5 of mean difference
    difference = np.abs(pixels(charts._draw_png(wrong)) - pixels(GOLDEN.read_bytes())).mean()
    assert difference > GOLDEN_TOLERANCE


def test_thirty_models_keep_their_labels_apart():
    chart = ranking_chart(30)
    width, height = charts.figure_size(chart)
    assert width == 1200 and height > 675
    fig = charts.build_figure(chart)
    renderer = fig.canvas.get_renderer()
    ax = fig.axes[0]
    labels = [t for t in ax.texts if t.get_gid() == "row-label"]
    values = [t for t in ax.texts if t.get_gid() != "row-label"]
    assert [t.get_text() for t in labels][:2] == ["Model 0 with a rather long name", "M-1 (Contemplating mode)"]
    for group in (labels, values):
        assert len(group) == 30
        boxes = [t.get_window_extent(renderer) for t in group]
        assert all(not boxes_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])
        assert all(b.x0 >= 0 and b.x1 <= width and b.y0 >= 0 and b.y1 <= height for b in boxes)
    assert png_size(charts.render_png(chart)) == (width, height)


def test_group_labels_of_a_wide_comparison_do_not_overlap():
    chart = golden_chart()  # mixed units: a panel per benchmark, named over it (see test_chart_readability.py)
    chart.categories = [f"Benchmark number {i} with a long name" for i in range(3)]
    fig = charts.build_figure(chart)
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in fig.texts if t.get_text().startswith("Benchmark number")]
    assert len(fig.axes) == 3 and len(boxes) == 3
    assert all(not boxes_overlap(a, b) for i, a in enumerate(boxes) for b in boxes[i + 1:])


def test_identical_charts_are_drawn_once_and_give_identical_bytes():
    charts.CACHE.clear()
    chart = ranking_chart(5)
    first = charts.render_png(chart)
    again = charts.render_png(copy.deepcopy(chart))
    assert again is first and charts.CACHE.drawn == 1
    changed = copy.deepcopy(chart)
    changed.title = "Another title"
    assert charts.render_png(changed) != first and charts.CACHE.drawn == 2
    assert charts._draw_png(chart) == first  # no dates or versions in the file: drawing again is byte-identical


def test_drawing_in_threads_gives_the_same_bytes():
    chart = golden_chart()
    expected = charts._draw_png(chart)
    results: list[bytes] = []
    threads = [threading.Thread(target=lambda: results.append(charts._draw_png(chart))) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert results == [expected] * 4


async def test_render_async_leaves_the_event_loop_free():
    charts.CACHE.clear()
    ticks = 0

    async def tick():
        nonlocal ticks
        while True:
            await asyncio.sleep(0.002)
            ticks += 1

    ticker = asyncio.create_task(tick())
    data = await charts.render_async(ranking_chart(12))
    ticker.cancel()
    assert png_size(data)[0] == 1200
    assert ticks > 0


def test_charts_render_in_under_300_ms(seeded_kb):
    samples = [ask(seeded_kb, q).chart for q in (COMPARE_Q, TOP_Q, "Muse Spark vs GPT-5.4")]
    samples += [golden_chart(), ranking_chart(10)]
    charts._draw_png(samples[0])  # warm-up: font loading and caches
    times = []
    for chart in samples:
        for _ in range(3):
            start = time.perf_counter()
            charts._draw_png(chart)
            times.append(time.perf_counter() - start)
    assert statistics.median(times) < 0.3, f"median {statistics.median(times) * 1000:.0f} ms"


# --- the terminal -------------------------------------------------------------------------------


def test_ask_with_chart_writes_a_png(tmp_path):
    out = tmp_path / "top.png"
    db = f"sqlite:///{tmp_path / 'kb.db'}"
    result = CliRunner().invoke(cli, ["--db", db, "ask", "--chart", str(out), TOP_Q])
    assert result.exit_code == 0, result.output
    assert "Gemini 3.1 Pro leads" in result.stdout
    assert f"Chart written to {out}" in result.stderr
    assert png_size(out.read_bytes()) == (1200, 675)


def test_ask_with_chart_says_when_there_is_none(tmp_path):
    out = tmp_path / "none.png"
    db = f"sqlite:///{tmp_path / 'kb.db'}"
    result = CliRunner().invoke(cli, ["--db", db, "ask", "--json", "--chart", str(out), "Muse Spark"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["intent"] == "model"
    assert result.stderr.strip().count("\n") == 0 and "No chart" in result.stderr
    assert not out.exists()
