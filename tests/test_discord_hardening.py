"""Issue 13 on Discord, through the real discord.py client and the fake Discord on loopback.

Answering never stalls (a pool of answer workers; autocomplete never waits behind answers), a
structured /compare is capped, and a knowledge pack's text cannot render as a masked link.
"""

from __future__ import annotations

import asyncio
import threading
import time

import pytest

from adapters.discord import app as discord_app
from adapters.discord import render
from knowledge.packs import import_file
from tests.fakes.discord import APP_ID, BOT_USER, CHANNEL_ID
from tests.test_discord_gateway import answered, assert_embed_within_limits, autocompleted, start_bot, stop_bot

EVIL = "https://evil.example.invalid/login"


@pytest.fixture
async def bot(kb, fake_discord, urls):
    running, task = await start_bot(kb, fake_discord)
    yield running
    await stop_bot(running, task)


@pytest.fixture
def held_answers(monkeypatch):
    """Hold every answer in its worker until the test releases it: (started count, release)."""
    started, release, lock = [], threading.Event(), threading.Lock()
    real = discord_app.answer_in_conversation

    def held(question, kb):
        with lock:
            started.append(question)
        if "SLOW" in question.text:
            release.wait(20)
        return real(question, kb)

    monkeypatch.setattr(discord_app, "answer_in_conversation", held)
    yield started, release
    release.set()


async def until(condition, timeout: float = 5.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.01)


# -- #13: a slow answer holds up neither other questions nor autocomplete --------------------------------


async def test_autocomplete_does_not_wait_behind_a_slow_answer(bot, fake_discord, held_answers):
    started, release = held_answers
    slow = fake_discord.command("ask", question="SLOW what did Muse Spark score on GPQA?")
    await fake_discord.dispatch("INTERACTION_CREATE", slow)
    await until(lambda: started)
    began = time.monotonic()
    body = await autocompleted(fake_discord, fake_discord.autocomplete("model", "name", name="G"))
    assert time.monotonic() - began < 1.5  # Discord allows 3 s
    assert body["data"]["choices"][0] == {"name": "Gemini 3.1 Pro", "value": "Gemini 3.1 Pro"}
    assert not fake_discord.calls_to("POST", f"/webhooks/{APP_ID}/{slow['token']}")  # still working on it
    release.set()
    (followup,) = await fake_discord.wait_for("POST", f"/webhooks/{APP_ID}/{slow['token']}")
    assert "89.5%" in followup.json["embeds"][0]["description"]


async def test_a_slow_answer_does_not_hold_up_other_questions(bot, fake_discord, held_answers):
    started, release = held_answers
    slow = fake_discord.command("ask", question="SLOW what did Muse Spark score on GPQA?")
    await fake_discord.dispatch("INTERACTION_CREATE", slow)
    await until(lambda: started)
    began = time.monotonic()
    _, followup = await answered(fake_discord, fake_discord.command("top", benchmark="GPQA Diamond", n=3))
    assert time.monotonic() - began < 3
    assert followup["embeds"][0]["title"] == "Top 3 on GPQA Diamond"
    message = fake_discord.message(CHANNEL_ID, {"content": f"<@{BOT_USER['id']}> top 3 on GPQA Diamond"},
                                   guild=True, mentions=[BOT_USER])
    await fake_discord.dispatch("MESSAGE_CREATE", message)
    (reply,) = await fake_discord.wait_for("POST", f"/channels/{CHANNEL_ID}/messages", timeout=3)
    assert reply.json["embeds"][0]["title"] == "Top 3 on GPQA Diamond"
    release.set()
    await fake_discord.wait_for("POST", f"/webhooks/{APP_ID}/{slow['token']}")


async def test_autocomplete_past_its_budget_offers_no_choices_rather_than_a_late_reply(bot, fake_discord,
                                                                                      monkeypatch):
    gate = threading.Event()
    real = bot.kb.index

    def slow_index():
        gate.wait(10)
        return real()

    monkeypatch.setattr(bot.kb, "index", slow_index)
    monkeypatch.setattr(discord_app, "AUTOCOMPLETE_BUDGET", 0.3)
    began = time.monotonic()
    body = await autocompleted(fake_discord, fake_discord.autocomplete("model", "name", name="G"))
    assert time.monotonic() - began < 2
    assert body == {"type": 8, "data": {"choices": []}}
    gate.set()


# -- #14: /compare capped at 10 models -------------------------------------------------------------------


async def test_compare_with_300_models_is_refused_quickly_with_the_cap(bot, fake_discord):
    names = ", ".join(f"Model {i}" for i in range(299))  # pasted as a list into one model option
    began = time.monotonic()
    _, followup = await answered(fake_discord, fake_discord.command("compare", model1=names, model2="Model 299"))
    assert time.monotonic() - began < 3
    (embed,) = followup["embeds"]
    assert "Compare at most 10 models at a time (you named 300)" in embed["description"]
    assert "attachments" not in followup or not followup["attachments"]  # no chart drawn
    assert_embed_within_limits(embed)


async def test_compare_of_exactly_ten_names_is_not_refused_for_its_size(bot, fake_discord):
    names = ", ".join(["Muse Spark"] + [f"Model {i}" for i in range(8)])
    _, followup = await answered(fake_discord, fake_discord.command("compare", model1=names, model2="GPT-5.4"))
    assert "Compare at most" not in followup["embeds"][0].get("description", "")


# -- #20: no masked links from the knowledge base --------------------------------------------------------


def spoofing_pack(write_pack):
    return write_pack({
        "pack": "masked-link-test",
        "sources": [{"id": "spoof-src", "title": "A [source](https://evil.example.invalid/src)",
                     "url": "https://example.invalid/real", "published": "2026-05-01"}],
        "organizations": [{"name": "Spoof Labs"}],
        "models": [{"name": "Spoof One", "org": "Spoof Labs", "source": "spoof-src",
                    "description": f"Read the [official model card](<{EVIL}>) and [docs] ({EVIL}) now."}],
    }, name="spoof.json")


async def test_pack_text_never_renders_as_a_masked_link(bot, fake_discord, kb, write_pack):
    import_file(kb.engine, spoofing_pack(write_pack))
    _, followup = await answered(fake_discord, fake_discord.command("model", name="Spoof One"))
    (embed,) = followup["embeds"]
    description = embed["description"]
    assert "[official model card]\\(<https://evil" in description and "[docs] \\(https://evil" in description
    assert "](" not in description.replace("[[1]](https://example.invalid/real)", "")
    assert "[[1]](https://example.invalid/real)" in description  # the bot's own source link is kept
    for field in embed.get("fields", []):
        assert "](" not in field["name"] + field["value"]
    assert_embed_within_limits(embed)


async def test_a_mention_answer_from_the_pack_has_no_masked_link_either(bot, fake_discord, kb, write_pack):
    import_file(kb.engine, spoofing_pack(write_pack))
    message = fake_discord.message(CHANNEL_ID, {"content": f"<@{BOT_USER['id']}> tell me about Spoof One"},
                                   guild=True, mentions=[BOT_USER])
    await fake_discord.dispatch("MESSAGE_CREATE", message)
    (reply,) = await fake_discord.wait_for("POST", f"/channels/{CHANNEL_ID}/messages")
    embed = reply.json["embeds"][0]
    assert EVIL in embed["description"]
    assert f"]({EVIL}" not in embed["description"] and f"](<{EVIL}" not in embed["description"]


def test_unmask_keeps_the_text_and_breaks_the_link():
    assert render.unmask(f"[x]({EVIL})") == f"[x]\\({EVIL})"
    assert render.unmask("[x]  (y)") == "[x]  \\(y)"
    assert render.unmask("cited [1] and [2].") == "cited [1] and [2]."
    assert render.notice(f"[x]({EVIL})")["content"] == f"[x]\\({EVIL})"
