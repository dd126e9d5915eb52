"""Charts in Slack: the real Bolt app uploads a comparison's or leaderboard's PNG through the fake Slack.

The upload is slack_sdk's files_upload_v2 against the fake's files.getUploadURLExternal, upload URL
and files.completeUploadExternal; every assertion is on what the fake received.
"""

from __future__ import annotations

import asyncio
import logging
import threading

import pytest

from adapters.pictures import THREAD_PREFIX
from adapters.slack import share
from adapters.slack.app import SlackBot
from bot import charts
from bot.engine import answer
from bot.values import Question
from tests.fakes.slack import FakeSlack
from tests.slack_support import RunningApp, settings_for

pytestmark = pytest.mark.asyncio

QUIET = 0.3
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
UPLOAD_METHODS = ("files.getUploadURLExternal", "upload", "files.completeUploadExternal")


@pytest.fixture
async def app(kb, fake):
    async with RunningApp(SlackBot(kb, settings_for(fake))) as running:
        yield running


def mention(text: str, ts: str = "1700000000.000100") -> dict:
    return {"type": "app_mention", "user": "U0001", "channel": "C0001", "ts": ts, "text": f"<@U0BOT> {text}"}


def direct_message(text: str, ts: str = "1700000000.000200") -> dict:
    return {"type": "message", "channel_type": "im", "user": "U0001", "channel": "D0001", "ts": ts, "text": text}


def png_size(data: bytes) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk, after checking the signature."""
    assert data[:8] == PNG_SIGNATURE
    assert data[12:16] == b"IHDR"
    return int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")


def expected_png(kb, text: str) -> bytes:
    chart = answer(Question(text=text), kb).chart
    assert chart is not None
    return charts.render_png(chart)


async def shared_file(fake: FakeSlack) -> dict:
    """The one file the app uploaded and shared, after checking the three steps' parameters."""
    (complete,) = await fake.wait_for("files.completeUploadExternal")
    (url_request,) = fake.calls_to("files.getUploadURLExternal")
    (upload,) = fake.calls_to("upload")
    (file,) = fake.uploaded()
    assert url_request["filename"] == "chart.png" and int(url_request["length"]) == len(file["data"])
    assert upload == {"file_id": file["id"], "length": len(file["data"])}
    assert complete["files"] == [{"id": file["id"], "title": file["title"]}]
    return file


def slack_logs(caplog, level: int) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "modelwire.slack" and r.levelno == level]


# -- uploads ---------------------------------------------------------------------------------------


@pytest.mark.parametrize("event, channel, thread, question", [
    (mention("Muse Spark vs GPT-5.4"), "C0001", "1700000000.000100", "Muse Spark vs GPT-5.4"),
    (direct_message("top 3 on GPQA Diamond"), "D0001", "1700000000.000200", "top 3 on GPQA Diamond"),
])
async def test_chart_is_uploaded_into_the_answers_thread_after_the_text(app, fake, kb, event, channel, thread,
                                                                         question):
    await app.event(event)
    file = await shared_file(fake)
    (post,) = fake.calls_to("chat.postMessage")
    assert post["channel"] == channel and post["thread_ts"] == thread
    assert file["channel"] == channel and file["thread_ts"] == thread
    methods = [c.method for c in fake.calls if c.method in ("chat.postMessage", *UPLOAD_METHODS)]
    assert methods == ["chat.postMessage", *UPLOAD_METHODS]  # the text is never held back by the picture
    assert png_size(file["data"])[0] == 1200
    assert file["data"] == expected_png(kb, question)
    assert file["title"] == post["blocks"][0]["text"]["text"]
    assert file["alt_txt"].split(": ")[0] in ("Bar chart", "Ranking bar chart")
    assert file["title"] in file["alt_txt"]


async def test_comparison_chart_has_a_title_and_alt_text_with_every_value(app, fake):
    await app.event(mention("compare Muse Spark, GPT-5.4 on GPQA Diamond"))
    file = await shared_file(fake)
    assert file["name"] == "chart.png"
    assert file["title"] == "Muse Spark vs GPT-5.4 on GPQA Diamond"
    assert file["alt_txt"] == "Bar chart: Muse Spark vs GPT-5.4 on GPQA Diamond. Muse Spark 89.5%; GPT-5.4 92.8%."
    assert png_size(file["data"]) == (1200, 675)


async def test_slash_command_chart_goes_with_the_shared_answer_to_the_channel(app, fake, kb):
    text = "compare Muse Spark, GPT-5.4 on GPQA Diamond"
    await app.command(text, fake.response_url())
    (reply,) = await fake.wait_for("respond:cmd")
    await asyncio.sleep(QUIET)
    assert fake.uploaded() == []  # the private answer cannot carry a file; sharing it posts the chart
    await app.interactive(fake.press(share.SHARE_ACTION, text, ephemeral=True))
    file = await shared_file(fake)
    assert file["channel"] == "C0001" and file["thread_ts"] is None
    assert file["title"] == reply["blocks"][0]["text"]["text"] == "Muse Spark vs GPT-5.4 on GPQA Diamond"
    assert png_size(file["data"])[0] == 1200
    assert file["data"] == expected_png(kb, text)
    (post,) = fake.calls_to("chat.postMessage")
    assert post["blocks"][0] == reply["blocks"][0]


@pytest.mark.parametrize("send, answered_by", [
    (lambda app, fake: app.event(mention("Muse Spark")), "chat.postMessage"),
    (lambda app, fake: app.event(mention("what did Muse Spark score on GPQA?")), "chat.postMessage"),
    (lambda app, fake: app.command("model Muse Spark", fake.response_url()), "respond:cmd"),
])
async def test_an_answer_without_a_chart_uploads_nothing(app, fake, send, answered_by):
    await send(app, fake)
    await fake.wait_for(answered_by)
    await asyncio.sleep(QUIET)
    assert not [c for c in fake.calls if c.method in UPLOAD_METHODS]
    assert fake.files == {}


# -- failures ----------------------------------------------------------------------------------------


async def test_a_shared_answer_whose_chart_cannot_be_shared_still_goes_out_and_logs(app, fake, caplog):
    fake.fail_next("files.completeUploadExternal", error="not_in_channel")
    await app.interactive(fake.press(share.SHARE_ACTION, "top GPQA Diamond 3", ephemeral=True))
    (post,) = await fake.wait_for("chat.postMessage")
    assert "94.3%" in post["text"]
    await fake.wait_for("files.completeUploadExternal")
    await asyncio.sleep(0.1)
    (warning,) = slack_logs(caplog, logging.WARNING)
    assert "not_in_channel" in warning and "C0001" in warning
    assert slack_logs(caplog, logging.ERROR) == []
    assert fake.uploaded() == []


@pytest.mark.parametrize("method, error", [("upload", "internal_error"),
                                           ("files.getUploadURLExternal", "internal_error"),
                                           ("files.completeUploadExternal", "channel_not_found")])
async def test_a_failed_upload_keeps_the_text_answer_and_is_logged(app, fake, caplog, method, error):
    fake.fail_next(method, status=500 if error == "internal_error" else None, error=error)
    await app.event(mention("Muse Spark vs GPT-5.4"), event_id="EvChart")
    (post,) = await fake.wait_for("chat.postMessage")
    assert post["blocks"][0]["text"]["text"] == "Muse Spark vs GPT-5.4"
    await fake.wait_for(method)
    await asyncio.sleep(QUIET)
    logged = slack_logs(caplog, logging.ERROR) + slack_logs(caplog, logging.WARNING)
    assert any("chart upload failed" in line and "C0001" in line for line in logged), logged
    assert fake.uploaded() == []
    # The text answer counts as delivered: a Slack retry of the event is not answered again.
    await app.event(mention("Muse Spark vs GPT-5.4"), event_id="EvChart",
                    headers={"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_error"})
    await asyncio.sleep(QUIET)
    assert len(fake.calls_to("chat.postMessage")) == 1


# -- off the event loop --------------------------------------------------------------------------------


async def test_rendering_runs_in_a_worker_thread_while_the_app_keeps_answering(app, fake, held_render):
    started, release, threads = held_render
    await app.event(mention("Muse Spark vs GPT-5.4"), event_id="EvSlowChart")
    assert await asyncio.to_thread(started.wait, 10)
    try:
        async with app.http.get(app.url + "/healthz") as resp:
            assert resp.status == 200
        await app.event(mention("Muse Spark", ts="1700000000.000500"), event_id="EvCard")
        first, second = await fake.wait_for("chat.postMessage", 2)
        assert second["blocks"][0]["text"]["text"] == "Muse Spark"
        assert fake.calls_to("files.getUploadURLExternal") == []  # the chart is still being drawn
    finally:
        release.set()
    file = await shared_file(fake)
    assert file["thread_ts"] == first["thread_ts"] == "1700000000.000100"
    (thread,) = threads
    assert thread is not threading.main_thread() and thread.name.startswith(THREAD_PREFIX)


# -- the pure conversion ------------------------------------------------------------------------------------


async def test_chart_file_arguments_are_within_slacks_limits(kb):
    from adapters.slack import render

    result = answer(Question(text="Muse Spark vs GPT-5.4"), kb)
    args = render.chart_file(result)
    assert args["filename"] == "chart.png" and args["title"] == "Muse Spark vs GPT-5.4"
    assert args["alt_txt"].startswith("Bar chart: Muse Spark vs GPT-5.4. Muse Spark: ARC-AGI-2 42.5, ")
    assert len(args["alt_txt"]) <= render.MAX_ALT_TEXT and len(args["title"]) <= render.MAX_FILE_TITLE
