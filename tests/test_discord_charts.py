"""Charts on Discord: the real discord.py client attaches a comparison's or leaderboard's PNG to its answer.

The answer is a multipart/form-data request (payload_json and files[0]) to the fake Discord, whose
embed shows the attachment as its image; every assertion is on what the fake received.
"""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from adapters.discord import convert
from adapters.pictures import THREAD_PREFIX
from bot import charts
from bot.engine import answer
from bot.values import Origin
from tests.fakes.discord import APP_ID, BOT_ID, BOT_USER, CHANNEL_ID, DM_CHANNEL_ID, Call, FakeDiscord
from tests.test_discord_gateway import NO_PINGS, NO_PINGS_REPLY, QUIET, assert_embed_within_limits, start_bot, stop_bot

pytestmark = pytest.mark.asyncio

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
CHART_IMAGE = {"url": "attachment://chart.png"}
COMPARE = {"models": "Muse Spark, GPT-5.4", "benchmark": "GPQA Diamond"}
COMPARE_OPTIONS = {"model1": "Muse Spark", "model2": "GPT-5.4", "benchmark": "GPQA Diamond"}
"""/compare's options for the same question (one option per model)."""


@pytest.fixture
async def bot(kb, fake_discord, urls):
    running, task = await start_bot(kb, fake_discord)
    yield running
    await stop_bot(running, task)


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, after checking the signature."""
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def expected_png(kb, command: str, **options) -> bytes:
    """What bot.charts draws for the same question, asked of the same knowledge base."""
    chart = answer(convert.question_from_command(command, options, Origin(platform="discord")), kb).chart
    assert chart is not None
    return charts.render_png(chart)


async def follow_up(fake: FakeDiscord, interaction: dict) -> Call:
    """Dispatch a command interaction; return its follow-up request."""
    await fake.dispatch("INTERACTION_CREATE", interaction)
    (call,) = await fake.wait_for("POST", f"/webhooks/{APP_ID}/{interaction['token']}", timeout=10)
    return call


def chart_attachment(call: Call) -> bytes:
    """Check a request carries the chart the Discord way; return its bytes."""
    assert call.multipart
    (embed,) = call.json["embeds"]
    assert embed["image"] == CHART_IMAGE
    assert_embed_within_limits(embed)
    (attachment,) = call.json["attachments"]
    assert attachment["id"] == 0 and attachment["filename"] == "chart.png"
    assert attachment["description"].startswith(("Bar chart: ", "Ranking bar chart: "))
    (upload,) = call.files
    assert upload.field == "files[0]" and upload.filename == "chart.png"
    return upload.data


# -- slash commands ------------------------------------------------------------------------------------


async def test_compare_follow_up_attaches_the_chart_as_the_embeds_image(bot, fake_discord, kb):
    call = await follow_up(fake_discord, fake_discord.command("compare", **COMPARE_OPTIONS))
    data = chart_attachment(call)
    assert png_size(data) == (1200, 675)
    assert data == expected_png(kb, "compare", **COMPARE)
    assert call.json["embeds"][0]["title"] == "Muse Spark vs GPT-5.4 on GPQA Diamond"
    assert call.json["allowed_mentions"] == NO_PINGS
    assert call.json["attachments"][0]["description"] == \
        "Bar chart: Muse Spark vs GPT-5.4 on GPQA Diamond. Muse Spark 89.5%; GPT-5.4 92.8%."


async def test_top_follow_up_attaches_the_ranking(bot, fake_discord, kb):
    call = await follow_up(fake_discord, fake_discord.command("top", benchmark="GPQA Diamond", n=3))
    data = chart_attachment(call)
    assert png_size(data)[0] == 1200
    assert data == expected_png(kb, "top", benchmark="GPQA Diamond", n=3)


async def test_an_answer_without_a_chart_is_plain_json_without_an_image(bot, fake_discord):
    call = await follow_up(fake_discord, fake_discord.command("model", name="Muse Spark"))
    assert not call.multipart and call.files == []
    assert "image" not in call.json["embeds"][0] and "attachments" not in call.json


# -- mentions and direct messages -------------------------------------------------------------------------


async def test_a_mention_is_answered_with_the_chart_attached(bot, fake_discord, kb):
    message = fake_discord.message(CHANNEL_ID, {"content": f"<@{BOT_ID}> Muse Spark vs GPT-5.4"}, guild=True,
                                   mentions=[BOT_USER])
    await fake_discord.dispatch("MESSAGE_CREATE", message)
    (post,) = await fake_discord.wait_for("POST", f"/channels/{CHANNEL_ID}/messages", timeout=10)
    data = chart_attachment(post)
    assert int(post.json["message_reference"]["message_id"]) == int(message["id"])
    assert post.json["allowed_mentions"] == NO_PINGS_REPLY
    assert png_size(data)[0] == 1200
    assert data == expected_png(kb, "compare", models="Muse Spark, GPT-5.4")
    (created,) = fake_discord.created[CHANNEL_ID]
    assert created["attachments"][0]["filename"] == "chart.png" and created["attachments"][0]["size"] == len(data)


async def test_a_direct_message_leaderboard_has_its_chart(bot, fake_discord):
    message = fake_discord.message(DM_CHANNEL_ID, {"content": "top 3 on GPQA Diamond"})
    await fake_discord.dispatch("MESSAGE_CREATE", message)
    (post,) = await fake_discord.wait_for("POST", f"/channels/{DM_CHANNEL_ID}/messages", timeout=10)
    assert png_size(chart_attachment(post))[0] == 1200


# -- failures ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("status, message", [(403, "Missing Permissions"), (413, "Request entity too large")])
async def test_a_refused_attachment_is_sent_again_without_the_chart(bot, fake_discord, caplog, status, message):
    fake_discord.fail_next("POST", f"/channels/{CHANNEL_ID}/messages", status=status, message=message)
    await fake_discord.dispatch("MESSAGE_CREATE", fake_discord.message(
        CHANNEL_ID, {"content": f"<@{BOT_ID}> Muse Spark vs GPT-5.4"}, guild=True, mentions=[BOT_USER]))
    refused, sent = await fake_discord.wait_for("POST", f"/channels/{CHANNEL_ID}/messages", count=2, timeout=10)
    assert refused.multipart
    assert not sent.multipart and sent.files == []
    (embed,) = sent.json["embeds"]
    assert embed["title"] == "Muse Spark vs GPT-5.4" and "image" not in embed
    assert embed["description"] == refused.json["embeds"][0]["description"]
    warnings = [r.getMessage() for r in caplog.records
                if r.name == "modelwire.discord" and r.levelno == logging.WARNING]
    assert any(str(status) in w and "without" in w for w in warnings), warnings
    await asyncio.sleep(QUIET)
    assert len(fake_discord.calls_to("POST", "/channels/")) == 2


async def test_a_refused_follow_up_attachment_is_sent_again_without_the_chart(bot, fake_discord):
    fake_discord.fail_next("POST", f"/webhooks/{APP_ID}/", status=413, message="Request entity too large")
    interaction = fake_discord.command("compare", **COMPARE_OPTIONS)
    await fake_discord.dispatch("INTERACTION_CREATE", interaction)
    refused, sent = await fake_discord.wait_for("POST", f"/webhooks/{APP_ID}/{interaction['token']}", count=2,
                                                timeout=10)
    assert refused.multipart and not sent.multipart
    assert sent.json["embeds"][0]["title"] == "Muse Spark vs GPT-5.4 on GPQA Diamond"


async def test_a_chart_that_cannot_be_drawn_leaves_the_answer_without_it(bot, fake_discord, caplog, monkeypatch):
    def broken(_chart):
        raise RuntimeError("no fonts")

    monkeypatch.setattr(charts, "render_png", broken)
    call = await follow_up(fake_discord, fake_discord.command("compare", **COMPARE_OPTIONS))
    assert not call.multipart and "image" not in call.json["embeds"][0]
    assert call.json["embeds"][0]["title"] == "Muse Spark vs GPT-5.4 on GPQA Diamond"
    assert "no fonts" in caplog.text


# -- off the event loop ---------------------------------------------------------------------------------------


async def test_rendering_runs_in_a_worker_thread_while_other_commands_are_answered(bot, fake_discord, held_render):
    started, release, threads = held_render
    compare = fake_discord.command("compare", **COMPARE_OPTIONS)
    await fake_discord.dispatch("INTERACTION_CREATE", compare)
    try:
        assert await asyncio.to_thread(started.wait, 10)
        helped = await follow_up(fake_discord, fake_discord.command("help"))
        assert helped.json["embeds"][0]["title"] and not helped.multipart
        assert not fake_discord.calls_to("POST", f"/webhooks/{APP_ID}/{compare['token']}")  # still drawing
    finally:
        release.set()
    (call,) = await fake_discord.wait_for("POST", f"/webhooks/{APP_ID}/{compare['token']}", timeout=10)
    assert png_size(chart_attachment(call))[0] == 1200
    (thread,) = threads
    assert thread is not threading.main_thread() and thread.name.startswith(THREAD_PREFIX)


# -- the pure conversion ----------------------------------------------------------------------------------------


async def test_embed_names_an_attached_image_only_when_asked(kb):
    from adapters.discord import render

    result = answer(convert.question_from_command("compare", COMPARE, Origin(platform="discord")), kb)
    assert render.embed(result, image="chart.png")["image"] == CHART_IMAGE
    assert "image" not in render.embed(result)
    assert {k: v for k, v in render.embed(result, image="chart.png").items() if k != "image"} == render.embed(result)
    assert len(render.chart_description(result)) <= render.MAX_ATTACHMENT_DESCRIPTION
