"""The finder as commands: `/modelwire find <words>` (the real Bolt app against the fake Slack), `/find` with
typed options (the real discord.py client against the fake Discord), and the core's reading of both, on
SQLite and PostgreSQL.

The knowledge base is the bundled packs plus the synthetic models.dev catalogue tests/data/chat-catalog.json.
Every expected row is computed here from the catalogue JSON itself, never by calling the finder; ties are
broken by name, as the finder documents. (The bundled packs' models lack the fields these tests filter or
sort on, or fail the filter, so they are never expected.)
"""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

from adapters.discord import convert as discord_convert
from adapters.slack import convert as slack_convert
from adapters.slack import share
from adapters.slack.app import SlackBot
from bot.engine import answer
from bot.values import Question
from knowledge.schema import Organization
from knowledge.store import KnowledgeBase
from tests.fakes.discord import APP_ID, FakeDiscord
from tests.slack_support import RunningApp, settings_for
from tests.test_discord_gateway import answered, autocompleted, start_bot, stop_bot

CATALOG = Path(__file__).parent / "data" / "chat-catalog.json"
CATALOG_URL = "https://models.dev/models.json"
TODAY = dt.date(2026, 11, 30)
SHOWN = 15
"""An answer's table shows at most this many rows."""
ORGS = {"google": "Google", "openai": "OpenAI", "mistral": "Mistral AI", "meta": "Meta"}
"""The organizations of the catalogue's providers that the tests name."""


# -- the knowledge base and the expected rows, from the catalogue JSON ------------------------------------


def catalogue() -> list[dict]:
    """Each catalogue model with the fields the tests filter and sort on."""
    out = []
    for key, m in json.loads(CATALOG.read_text(encoding="utf-8")).items():
        out.append({"name": m["name"], "provider": key.split("/")[0], "open_weights": m.get("open_weights"),
                    "context": (m.get("limit") or {}).get("context"), "output": (m.get("limit") or {}).get("output"),
                    "price": (m.get("cost") or {}).get("input"), "released": m.get("release_date"),
                    "reasoning": m.get("reasoning"), "tool_call": m.get("tool_call"),
                    "input": (m.get("modalities") or {}).get("input") or []})
    return out


def expected(keep, field: str, descending: bool, limit: int = SHOWN) -> list[str]:
    """The names of the models ``keep`` accepts that have ``field``, ordered on it (ties by name), first ``limit``."""
    models = sorted((m for m in catalogue() if keep(m) and m[field] is not None), key=lambda m: m["name"])
    models = sorted(models, key=lambda m: m[field], reverse=descending)  # stable: ties stay by name
    return [m["name"] for m in models[: min(limit, SHOWN)]]


def find(kb: KnowledgeBase, **args):
    return answer(Question(text="find", command="find", args=args), kb)


def names(result) -> list[str]:
    return [row[0] for row in result.table.rows] if result.table else []


# -- the core: options and words -> the same query ---------------------------------------------------------


def in_months(first: str, last: str):
    return lambda m: m["released"] is not None and f"{first}-01" <= m["released"] <= f"{last}-31"


CASES = [
    ("open weights, 1M context, cheapest", {"open_weights": True, "min_context": "1M", "sort": "cheapest"},
     expected(lambda m: m["open_weights"] and (m["context"] or 0) >= 1_000_000, "price", False)),
    ("reasoning under 10 cents", {"max_price": 0.1, "reasoning": True, "sort": "cheapest"},
     expected(lambda m: m["reasoning"] and m["price"] is not None and m["price"] <= 0.1, "price", False)),
    ("open weights released July-August 2025, oldest first",
     {"since": "2025-07", "until": "2025-08", "open_weights": True, "sort": "oldest"},
     expected(lambda m: m["open_weights"] and in_months("2025-07", "2025-08")(m), "released", False)),
    ("the option wins over the words", {"text": "open weights", "open_weights": False, "sort": "context", "limit": 5},
     expected(lambda m: m["open_weights"] is False, "context", True, 5)),
    ("an organization's models taking audio", {"org": "Google", "input": "audio", "sort": "context"},
     expected(lambda m: m["provider"] == "google" and "audio" in m["input"], "context", True)),
    ("organizations by comma, 200,000 tokens",
     {"org": "OpenAI, Mistral AI", "min_context": "200,000", "sort": "priciest", "limit": 4},
     expected(lambda m: m["provider"] in ("openai", "mistral") and (m["context"] or 0) >= 200_000, "price", True, 4)),
    ("no tool calling, newest first", {"tool_calling": False, "sort": "newest"},
     expected(lambda m: m["tool_call"] is False, "released", True)),
    ("words: open weights, context >= 128k, sort, limit", {"text": "open weights context >= 128k sort context limit 3"},
     expected(lambda m: m["open_weights"] and (m["context"] or 0) >= 128_000, "context", True, 3)),
    ("words: an organization, sort output ascending", {"text": "Mistral models sort output asc"},
     expected(lambda m: m["provider"] == "mistral", "output", False)),
    ("words and options: vision models, integer context option",
     {"text": "vision models sort by context window limit 6", "min_context": 400_000},
     expected(lambda m: "image" in m["input"] and (m["context"] or 0) >= 400_000, "context", True, 6)),
]


@pytest.mark.parametrize("args, rows", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_options_and_words_find_the_expected_rows(catalog_kb, args, rows):
    result = find(catalog_kb, **args)
    assert result.intent == "find" and result.found, result.text
    assert rows, "a case must expect rows"
    assert names(result) == rows


def test_an_organization_option_counts_like_the_question(catalog_kb):
    result = find(catalog_kb, text="how many open-weights models", org="Mistral")
    count = sum(1 for m in catalogue() if m["provider"] == "mistral" and m["open_weights"])
    assert result.found and f": {count} in the knowledge base." in result.text


@pytest.mark.parametrize("args, problem", [
    ({"text": "sort contxt"}, "I can't sort by 'contxt'. Did you mean context?"),
    ({"text": "open weights sort chepest"}, "I can't sort by 'chepest'. Did you mean cheapest?"),
    ({"text": "limit 80"}, "limit is 1 to 50, not 80."),
    ({"text": "models by Gooogel"}, "I don't know the organization 'Gooogel'. Did you mean Google?"),
    ({"text": "Gemini models with 1M context"}, ("'Gemini' names models; find filters models by organization and "
                                                 "by their fields. Did you mean Google models?")),
    ({"org": "Anthropix Labs"}, "I don't know the organization 'Anthropix Labs'. Did you mean "),
    ({"org": "Zzyzx"}, "I don't know the organization 'Zzyzx'."),
    ({"input": "audo"}, "'audo' is not an input modality. Did you mean audio?"),
    ({"sort": "contxt"}, "I can't sort by 'contxt'. Did you mean context?"),
    ({"min_context": "lots"}, "'lots' is not a size"),
    ({"min_context": "-5k"}, "'-5k' is not a size"),
    ({"max_price": "cheap"}, "'cheap' is not a price"),
    ({"since": "2025-13"}, "'2025-13' is not a date: use YYYY-MM or YYYY-MM-DD"),
    ({"until": "2025-02-30"}, "'2025-02-30' is not a date"),
    ({"limit": 0}, "limit is 1 to 50, not 0."),
    ({}, "Say what to find"),
])
def test_a_bad_word_or_option_gets_the_usage_line_and_did_you_mean(catalog_kb, args, problem):
    result = find(catalog_kb, **args)
    assert (result.intent, result.found, result.table) == ("unknown", False, None)
    first, usage = result.text.split("\n")
    assert first.startswith(problem), first
    assert usage.startswith("Usage: /find [org]" if set(args) - {"text"} else "Usage: find <words>")


def test_month_and_year_dates_cover_the_whole_period(catalog_kb):
    result = find(catalog_kb, since="2025", until="2025-06", open_weights=True, sort="oldest", limit=50)
    assert names(result) == expected(lambda m: m["open_weights"] and in_months("2025-01", "2025-06")(m),
                                     "released", False, 50)
    assert "released from 2025-01-01 to 2025-06-30" in result.text


# -- Slack: /modelwire find <words> ---------------------------------------------------------------------------


@pytest.mark.parametrize("text, args", [
    ("find open weights context >= 128k sort context", {"text": "open weights context >= 128k sort context"}),
    ("FIND Google models", {"text": "Google models"}),
    ("find", {"text": ""}),
])
def test_slack_find_words_become_the_find_command(text, args):
    assert slack_convert.parse_command(text) == ("find", args)
    question = slack_convert.question_from_command({"text": text, "channel_id": "C0001", "user_id": "U0001"})
    assert (question.command, question.args) == ("find", args)


@pytest.fixture
async def slack(catalog_kb, fake):
    async with RunningApp(SlackBot(catalog_kb, settings_for(fake))) as running:
        yield running


def table_names(reply: dict) -> list[str]:
    (table,) = [b for b in reply["blocks"] if b["type"] == "table"]
    return [row[0]["text"] for row in table["rows"][1:]]


@pytest.mark.asyncio
async def test_slack_find_answers_with_the_three_largest_open_weights_context_windows(slack, fake):
    # Slack escapes "<", ">" and "&" in a slash command's text.
    status, _ = await slack.command("find open weights context &gt;= 128k sort context limit 3", fake.response_url())
    assert status == 200
    (reply,) = await fake.wait_for("respond:cmd")
    top3 = expected(lambda m: m["open_weights"] and (m["context"] or 0) >= 128_000, "context", True, 3)
    assert table_names(reply) == top3
    (table,) = [b for b in reply["blocks"] if b["type"] == "table"]
    assert [c["text"] for c in table["rows"][0]] == ["Model", "Organization", "Context window", "Released", "Source"]
    assert reply["blocks"][0]["text"]["text"].startswith("Open-weights models with at least 128,000 tokens")
    assert reply["response_type"] == "ephemeral" and fake.uploaded() == []  # private until shared
    (button,) = [e for b in reply["blocks"] if b["type"] == "actions" for e in b["elements"]
                 if e["action_id"] == share.SHARE_ACTION]
    await slack.interactive(fake.press(share.SHARE_ACTION, button["value"], ephemeral=True))
    (shared,) = await fake.wait_for("files.completeUploadExternal")  # the ranking's chart, in the channel
    assert shared["channel_id"] == "C0001"


@pytest.mark.asyncio
async def test_slack_find_with_a_misspelt_sort_says_did_you_mean(slack, fake):
    await slack.command("find sort contxt", fake.response_url())
    (reply,) = await fake.wait_for("respond:cmd")
    assert "Did you mean context?" in reply["text"]
    assert "Usage: find &lt;words&gt;" in reply["text"]  # mrkdwn: Slack's escaping
    assert not [b for b in reply["blocks"] if b["type"] == "table"]


@pytest.mark.asyncio
async def test_slack_find_alone_says_how_to_use_it(slack, fake):
    await slack.command("find", fake.response_url())
    (reply,) = await fake.wait_for("respond:cmd")
    assert reply["blocks"][0]["text"]["text"] == "Can't find models like that"
    assert "Usage: find &lt;words&gt;" in reply["text"]


# -- Discord: /find with typed options --------------------------------------------------------------------------


def test_discord_find_options_given_are_the_args_and_false_is_given():
    options = {"org": "Google", "open_weights": False, "input": None, "min_context": "1M", "max_price": 0.5,
               "since": None, "until": "", "sort": "cheapest", "limit": 3, "reasoning": None, "tool_calling": True}
    question = discord_convert.question_from_command("find", options, discord_convert.origin_of(1, 2, None, 3))
    assert question.command == "find"
    assert question.args == {"org": "Google", "open_weights": False, "min_context": "1M", "max_price": 0.5,
                             "sort": "cheapest", "limit": 3, "tool_calling": True}
    assert question.text == "/find org:Google open_weights:False min_context:1M max_price:0.5 sort:cheapest limit:3 " \
                            "tool_calling:True"


@pytest.fixture
async def discord_bot(catalog_kb, fake_discord, urls):
    running, task = await start_bot(catalog_kb, fake_discord)
    yield running
    await stop_bot(running, task)


def embed_names(embed: dict) -> list[str]:
    """The first column of the embed's monospace table (columns are two or more spaces apart)."""
    block = re.search(r"```\n(.*?)\n```", embed["description"], re.DOTALL).group(1).split("\n")
    return [re.split(r"\s{2,}", line.strip())[0] for line in block[2:]]


def find_command(fake: FakeDiscord, **options) -> dict:
    """A /find interaction; a float option is sent as Discord sends a number option (type 10)."""
    interaction = fake.command("find", **options)
    for option in interaction["data"]["options"]:
        if isinstance(option["value"], float):
            option["type"] = 10
    return interaction


@pytest.mark.asyncio
async def test_find_is_registered_with_typed_options(discord_bot, fake_discord):
    (sync,) = fake_discord.calls_to("PUT", f"/applications/{APP_ID}/guilds/")
    (command,) = [c for c in sync.json if c["name"] == "find"]
    options = {o["name"]: o for o in command["options"]}
    assert [(o["name"], o["type"]) for o in command["options"]] == [
        ("org", 3), ("open_weights", 5), ("input", 3), ("min_context", 3), ("max_price", 10), ("since", 3),
        ("until", 3), ("sort", 3), ("limit", 4), ("reasoning", 5), ("tool_calling", 5), ("private", 5)]
    assert not any(o["required"] for o in command["options"])
    assert options["org"]["autocomplete"] is True
    assert [c["value"] for c in options["input"]["choices"]] == ["text", "image", "audio", "video", "pdf"]
    assert [c["value"] for c in options["sort"]["choices"]] == ["newest", "oldest", "context", "output", "cheapest",
                                                                "priciest"]
    assert (options["limit"]["min_value"], options["limit"]["max_value"]) == (1, 50)
    assert options["max_price"]["min_value"] == 0


@pytest.mark.asyncio
async def test_discord_find_open_weights_1m_context_cheapest(discord_bot, fake_discord):
    callback, followup = await answered(fake_discord, find_command(fake_discord, open_weights=True, min_context="1M",
                                                                   sort="cheapest"))
    assert callback == {"type": 5}
    (embed,) = followup["embeds"]
    rows = expected(lambda m: m["open_weights"] and (m["context"] or 0) >= 1_000_000, "price", False)
    assert embed_names(embed) == rows
    assert embed["title"] == "Open-weights models with at least 1,000,000 tokens of context"
    assert embed["image"] == {"url": "attachment://chart.png"}  # a ranking on price: its chart


@pytest.mark.asyncio
async def test_discord_find_with_a_number_and_a_limit(discord_bot, fake_discord):
    _, followup = await answered(fake_discord, find_command(fake_discord, max_price=0.1, reasoning=True,
                                                            sort="cheapest", limit=2))
    rows = expected(lambda m: m["reasoning"] and m["price"] is not None and m["price"] <= 0.1, "price", False, 2)
    assert embed_names(followup["embeds"][0]) == rows


@pytest.mark.asyncio
async def test_discord_find_with_an_unknown_org_says_did_you_mean(discord_bot, fake_discord):
    _, followup = await answered(fake_discord, find_command(fake_discord, org="Gooogel", open_weights=True))
    (embed,) = followup["embeds"]
    assert embed["title"] == "Can't find models like that"
    assert embed["description"].startswith("I don't know the organization 'Gooogel'. Did you mean Google?")
    assert "Usage: /find [org]" in embed["description"] and "```" not in embed["description"]


@pytest.mark.asyncio
async def test_discord_find_with_a_bad_date_says_how_to_write_one(discord_bot, fake_discord):
    _, followup = await answered(fake_discord, find_command(fake_discord, since="March 2026"))
    assert followup["embeds"][0]["description"].startswith("'March 2026' is not a date: use YYYY-MM or YYYY-MM-DD")


@pytest.mark.asyncio
async def test_discord_org_autocomplete_returns_organization_names(discord_bot, fake_discord, catalog_kb):
    with catalog_kb.engine.connect() as conn:
        organizations = set(conn.execute(Organization.__table__.select().with_only_columns(Organization.name))
                            .scalars())
    body = await autocompleted(fake_discord, fake_discord.autocomplete("find", "org", org="Goo"))
    choices = [c["value"] for c in body["data"]["choices"]]
    assert body["type"] == 8 and choices[0] == "Google"
    assert set(choices) <= organizations
    body = await autocompleted(fake_discord, fake_discord.autocomplete("find", "org", org="OpenAI, Mist"))
    assert body["data"]["choices"][0] == {"name": "OpenAI, Mistral AI", "value": "OpenAI, Mistral AI"}
    body = await autocompleted(fake_discord, fake_discord.autocomplete("find", "org", org=""))
    assert 1 <= len(body["data"]["choices"]) <= 25
    assert {c["value"] for c in body["data"]["choices"]} <= organizations
