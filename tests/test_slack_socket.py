"""The real Bolt app in Socket Mode: ``SlackBot.run()`` connects to the fake Slack's websocket.

The app opens the socket through apps.connections.open, the fake pushes envelopes, and the tests
check the acknowledgements and the answers (Web API posts or response_url).
"""

from __future__ import annotations

import asyncio
import time

import pytest

from adapters.slack.app import SlackBot
from tests.slack_support import settings_for

pytestmark = pytest.mark.asyncio


@pytest.fixture
async def handlers(monkeypatch):
    """Every Socket Mode handler ``run()`` creates, so the test can close it.

    ``SlackBot.run()`` only sleeps in ``start_async()``; cancelling it leaves the socket client's
    tasks and its aiohttp session open. Closing the handler ends them.
    """
    import slack_bolt.adapter.socket_mode.async_handler as module

    created = []

    class Recorded(module.AsyncSocketModeHandler):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            created.append(self)

    monkeypatch.setattr(module, "AsyncSocketModeHandler", Recorded)
    yield created
    for handler in created:
        await handler.close_async()


@pytest.fixture
async def socket_bot(kb, fake, handlers):
    """The bot running in Socket Mode against the fake, connected (hello received) before the test."""
    bot = SlackBot(kb, settings_for(fake, mode="socket"))
    task = asyncio.create_task(bot.run())
    await fake.wait_for("apps.connections.open", timeout=5)  # send_envelope then waits for the socket
    yield bot
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    for handler in handlers:  # before the fake stops, so the client does not try to reconnect
        await handler.close_async()
    bot._executor.shutdown(wait=True)


def mention_envelope(envelope_id: str, event_id: str, ts: str, text: str, retry: int = 0) -> dict:
    envelope = {
        "envelope_id": envelope_id, "type": "events_api", "accepts_response_payload": False,
        "payload": {"token": "x", "team_id": "T0001", "api_app_id": "A0001", "type": "event_callback",
                    "event_id": event_id, "event_time": int(time.time()),
                    "event": {"type": "app_mention", "user": "U0001", "channel": "C0001", "ts": ts,
                              "event_ts": ts, "text": text}},
    }
    if retry:
        envelope.update(retry_attempt=retry, retry_reason="timeout")
    return envelope


async def test_socket_mode_connects_with_the_app_token(socket_bot, fake):
    (call,) = [c for c in fake.calls if c.method == "apps.connections.open"]
    assert call.headers.get("Authorization") == "Bearer xapp-test-token"


async def test_mention_is_acked_and_answered_in_its_thread(socket_bot, fake):
    await fake.send_envelope(mention_envelope("env-1", "Ev1", "1700000000.000100",
                                              "<@U0BOT> what did Muse Spark score on GPQA?"))
    ack = await fake.wait_for_ack("env-1", timeout=5)
    assert ack == {"envelope_id": "env-1"}
    (post,) = await fake.wait_for("chat.postMessage", timeout=5)
    assert post["channel"] == "C0001" and post["thread_ts"] == "1700000000.000100"
    assert "89.5%" in post["text"]
    assert post["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "Muse Spark on GPQA Diamond"}}
    (call,) = [c for c in fake.calls if c.method == "chat.postMessage"]
    assert call.headers.get("Authorization") == "Bearer xoxb-test-token"


async def test_redelivered_event_is_answered_once(socket_bot, fake):
    text = "<@U0BOT> what did Muse Spark score on GPQA?"
    await fake.send_envelope(mention_envelope("env-a", "EvDup", "1700000000.000200", text))
    await fake.wait_for_ack("env-a", timeout=5)
    await fake.wait_for("chat.postMessage", timeout=5)
    await fake.send_envelope(mention_envelope("env-b", "EvDup", "1700000000.000200", text, retry=1))
    await fake.wait_for_ack("env-b", timeout=5)  # a retry is acknowledged too, or Slack keeps sending it
    # a later, different event is answered after the retry was handled (one answer worker, in order)
    await fake.send_envelope(mention_envelope("env-c", "EvOther", "1700000000.000300",
                                              "<@U0BOT> what did Muse Spark score on GPQA Diamond?"))
    await fake.wait_for_ack("env-c", timeout=5)
    await fake.wait_for("chat.postMessage", count=2, timeout=5)
    await asyncio.sleep(0.2)  # room for a (wrong) late second answer to the retry
    posts = fake.calls_to("chat.postMessage")
    assert [p["thread_ts"] for p in posts] == ["1700000000.000200", "1700000000.000300"]


async def test_slash_command_is_acked_and_answered_through_response_url(socket_bot, fake):
    await fake.send_envelope({
        "envelope_id": "env-cmd", "type": "slash_commands", "accepts_response_payload": True,
        "payload": {"token": "x", "team_id": "T0001", "team_domain": "fake", "channel_id": "C0001",
                    "channel_name": "general", "user_id": "U0001", "user_name": "someone", "command": "/modelwire",
                    "text": "compare Muse Spark, GPT-5.4 on GPQA Diamond", "api_app_id": "A0001",
                    "response_url": fake.response_url("cmd"), "trigger_id": "1.2.3"},
    })
    ack = await fake.wait_for_ack("env-cmd", timeout=5)
    assert ack == {"envelope_id": "env-cmd"}  # an empty ack; the answer follows through response_url
    (reply,) = await fake.wait_for("respond:cmd", timeout=5)
    assert reply["response_type"] == "ephemeral"
    assert "92.8%" in reply["text"] and "89.5%" in reply["text"]
    assert any(b["type"] == "table" for b in reply["blocks"])
    assert not fake.calls_to("chat.postMessage")


async def test_button_press_is_acked_and_answered_in_the_thread(socket_bot, fake):
    payload = {"type": "block_actions", "team": {"id": "T0001"}, "user": {"id": "U0001"}, "api_app_id": "A0001",
               "token": "x", "trigger_id": "1.2.3", "response_url": fake.response_url("act"),
               "container": {"type": "message", "channel_id": "C0001", "message_ts": "1700000000.000500"},
               "channel": {"id": "C0001"},
               "message": {"ts": "1700000000.000500", "thread_ts": "1700000000.000400", "text": "x"},
               "actions": [{"type": "button", "action_id": "modelwire_ask_0", "block_id": "modelwire_suggestions",
                            "value": "Muse Spark", "action_ts": "1700000001.0"}]}
    await fake.send_envelope({"envelope_id": "env-act", "type": "interactive", "accepts_response_payload": False,
                              "payload": payload})
    ack = await fake.wait_for_ack("env-act", timeout=5)
    assert ack == {"envelope_id": "env-act"}
    (post,) = await fake.wait_for("chat.postMessage", timeout=5)
    assert post["channel"] == "C0001" and post["thread_ts"] == "1700000000.000400"
    assert post["blocks"][0]["text"]["text"] == "Muse Spark"


async def test_modal_errors_and_options_travel_in_the_envelope_acks(socket_bot, fake):
    """Socket Mode: a block_suggestion's options and a view_submission's inline errors are the ack's payload."""
    from adapters.slack import modals

    view = {**modals.view("C0001", {"tz": "UTC"}), "id": "V0001"}
    await fake.send_envelope({"envelope_id": "env-opt", "type": "interactive", "accepts_response_payload": True,
                              "payload": fake.suggestion(view, "tz", "tokyo")})
    ack = await fake.wait_for_ack("env-opt", timeout=5)
    assert ack["payload"]["options"][0]["value"] == "Asia/Tokyo"
    fake.users["U0001"] = {"id": "U0001", "is_admin": True, "tz": "UTC"}
    submission = fake.submission(view, {"cadence": "weekly", "min_context": "plenty"})
    await fake.send_envelope({"envelope_id": "env-sub", "type": "interactive", "accepts_response_payload": True,
                              "payload": submission})
    ack = await fake.wait_for_ack("env-sub", timeout=5)
    assert ack["payload"]["response_action"] == "errors" and list(ack["payload"]["errors"]) == ["min_context"]
