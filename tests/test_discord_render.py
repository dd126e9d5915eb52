"""Discord conversion, rendering and settings as pure functions: no network, no client.

Answers are built by hand to hit every embed limit (table-driven), and real answers come from the
engine over the bundled knowledge base.
"""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from adapters.discord import convert, render
from adapters.discord.settings import ConfigError, load_settings
from bot.answers.help import EXAMPLES
from bot.cli import cli
from bot.engine import answer as engine_answer
from bot.plaintext import table_text
from bot.values import Answer, Origin, Question, SourceRef, Table
from tests.fakes.discord import embed_size

LIVE_PING = re.compile(r"@everyone|@here|<@!?\d+>|<@&\d+>")
PINGS = "@everyone @here <@123> <@!123> <@&456>"


def make(**kw) -> Answer:
    base = dict(question="q", intent="test", found=True, title="Title", text="Body")
    return Answer(**{**base, **kw})


def strings(embed: dict, buttons: list[tuple[str, str]]) -> list[str]:
    """Every string of an answer's embed and buttons that Discord shows."""
    out = [embed["title"], embed.get("description", ""), (embed.get("footer") or {}).get("text", "")]
    for f in embed.get("fields", []):
        out += [f["name"], f["value"]]
    return out + [label for label, _ in buttons]


def assert_within_limits(answer: Answer) -> None:
    embed, buttons = render.embed(answer), render.buttons(answer)
    assert 1 <= len(embed["title"]) <= render.MAX_TITLE
    assert len(embed.get("description", "")) <= render.MAX_DESCRIPTION
    assert embed.get("description", "").count("```") % 2 == 0  # never a code block left open
    assert len(embed.get("fields", [])) <= render.MAX_FIELDS
    for f in embed.get("fields", []):
        assert 1 <= len(f["name"]) <= render.MAX_FIELD_NAME and 1 <= len(f["value"]) <= render.MAX_FIELD_VALUE
    assert len((embed.get("footer") or {}).get("text", "")) <= render.MAX_FOOTER
    assert embed_size(embed) <= render.MAX_EMBED_TOTAL
    assert len(buttons) <= render.MAX_BUTTONS
    for label, custom_id in buttons:
        assert 1 <= len(label) <= render.MAX_LABEL and len(custom_id) <= 100
    for text in strings(embed, buttons):
        assert not LIVE_PING.search(text), text


BIG_TABLE = Table(["#", "Model", "Score"], [[str(i), f"Model {i} " + "x" * 40, f"{i}.0%"] for i in range(1, 501)],
                  [True, False, True])
CASES = {
    "plain": make(),
    "empty text": make(text="", title=""),
    "30,000-character answer": make(text=("A sentence about models. " * 1200)[:30000]),
    "one 30,000-character line": make(text="x" * 30000),
    "100 fields": make(fields=[(f"Field {i}", f"value {i}") for i in range(100)]),
    "100 long fields": make(fields=[("n" * 300, "v" * 2000) for _ in range(100)]),
    "long title": make(title="T" * 1000),
    "500-row table": make(table=BIG_TABLE),
    "table and 30,000 characters": make(text="y" * 30000, table=BIG_TABLE),
    "200 sources": make(sources=[SourceRef("S" * 400, f"https://example.com/{i}", "2026-01-01") for i in range(200)]),
    "everything at once": make(title="T" * 1000, text="z" * 30000, table=BIG_TABLE,
                               fields=[("n" * 300, "v" * 2000) for _ in range(100)],
                               sources=[SourceRef("S" * 400, f"https://e.com/{i}", "2026-01-01") for i in range(200)],
                               suggestions=[f"Suggestion {i} " + "s" * 100 for i in range(8)],
                               followups=[f"question {i} " + "q" * 200 for i in range(8)]),
    "pings everywhere": make(title=f"Title {PINGS}", text=f"Hello {PINGS}", fields=[(f"Who {PINGS}", f"Is {PINGS}")],
                             sources=[SourceRef(f"Source {PINGS}", None, "2026-01-01")],
                             table=Table(["A", "B"], [[PINGS, "1"]], [False, True])),
}


@pytest.mark.parametrize("answer", CASES.values(), ids=CASES.keys())
def test_every_message_stays_within_discord_limits(answer):
    assert_within_limits(answer)


def test_a_30000_character_answer_is_shortened_with_a_note():
    embed = render.embed(CASES["30,000-character answer"])
    assert len(embed["description"]) <= render.MAX_DESCRIPTION
    assert embed["description"].endswith(render.CUT_NOTE)
    assert embed["description"].startswith("A sentence about models.")


def test_100_fields_become_25_with_a_count_of_the_rest():
    fields = render.embed(CASES["100 fields"])["fields"]
    assert len(fields) == 25
    assert fields[:24] == [{"name": f"Field {i}", "value": f"value {i}", "inline": True} for i in range(24)]
    assert fields[24] == {"name": "…", "value": "76 more not shown", "inline": False}


def test_a_table_is_a_whole_code_block_cut_at_a_line():
    description = render.embed(CASES["500-row table"])["description"]
    assert description.startswith("Body\n\n```\n")
    block = description.split("```")[1].strip("\n").split("\n")
    whole = table_text(BIG_TABLE).split("\n")
    assert block[-1] == "…" and block[:-1] == whole[: len(block) - 1]
    assert len(block) > 50


def test_pings_are_shown_but_defused():
    embed = render.embed(CASES["pings everywhere"])
    assert "@\u200beveryone" in embed["description"] and "<@\u200b123>" in embed["description"]
    assert "<@\u200b&456>" in embed["fields"][0]["value"]
    assert "@\u200bhere" in embed["title"]
    assert "@\u200beveryone" in embed["footer"]["text"]


def test_footer_lists_sources_with_dates():
    embed = render.embed(make(sources=[SourceRef("TNW", "https://tnw.example/a", "2026-04-08"),
                                       SourceRef("Blog", None, None)]))
    assert embed["footer"] == {"text": "[1] TNW (2026-04-08) · [2] Blog"}
    assert embed["description"] == "Body\n\nSources: [[1]](https://tnw.example/a)"


def test_suggestions_are_buttons_carrying_the_followup():
    buttons = render.buttons(make(found=False, suggestions=["GPT-5.4 Pro", "GPT-5.4"],
                                  followups=["what did GPT-5.4 Pro score?", "what did GPT-5.4 score?"]))
    assert buttons == [("GPT-5.4 Pro", "modelwire:ask:0:what did GPT-5.4 Pro score?"),
                       ("GPT-5.4", "modelwire:ask:1:what did GPT-5.4 score?")]


def test_notice_fits_message_content_and_pings_nobody():
    notice = render.notice("@everyone " + "x" * 5000)
    assert len(notice["content"]) <= render.MAX_CONTENT and notice["allowed_mentions"] == {"parse": []}
    assert not LIVE_PING.search(notice["content"])


@pytest.mark.parametrize("question", EXAMPLES)
def test_real_answers_render_within_limits(seeded_kb, question):
    assert_within_limits(engine_answer(Question(question), seeded_kb))


# -- conversion -------------------------------------------------------------------------------------------

ORIGIN = Origin(platform="discord", workspace="1", channel="2", user="3")


@pytest.mark.parametrize("content, text", [
    ("<@42> what did Muse Spark score?", "what did Muse Spark score?"),
    ("<@!42>   top 3   on GPQA", "top 3 on GPQA"),
    ("@everyone <@&456> <@7> <#9> @here Muse Spark vs GPT-5.4", "Muse Spark vs GPT-5.4"),
    ("", ""),
])
def test_clean_text(content, text):
    assert convert.clean_text(content, 42) == text


@pytest.mark.parametrize("name, options, command, args", [
    ("compare", {"models": "Muse Spark, GPT-5.4 ,", "benchmark": "GPQA"}, "compare",
     {"models": ["Muse Spark", "GPT-5.4"], "benchmark": "GPQA"}),
    ("compare", {"models": "Muse Spark vs GPT-5.4", "benchmark": None}, "compare",
     {"models": ["Muse Spark", "GPT-5.4"], "benchmark": None}),
    ("top", {"benchmark": "GPQA Diamond", "n": 5}, "top", {"benchmark": "GPQA Diamond", "n": 5}),
    ("top", {"benchmark": "GPQA Diamond"}, "top", {"benchmark": "GPQA Diamond", "n": None}),
    ("model", {"name": " Muse Spark "}, "model", {"name": "Muse Spark"}),
    ("help", {}, "help", {}),
    ("ask", {"question": "what is GPQA?"}, None, {}),
])
def test_question_from_command(name, options, command, args):
    question = convert.question_from_command(name, options, ORIGIN)
    assert (question.command, question.args, question.origin) == (command, args, ORIGIN)
    assert question.text


def test_button_custom_id_round_trip_and_limit():
    custom_id = convert.ask_custom_id(2, "what did GPT-5.4 score on GPQA?")
    assert convert.question_from_custom_id(custom_id, ORIGIN).text == "what did GPT-5.4 score on GPQA?"
    assert len(convert.ask_custom_id(0, "q" * 500)) == 100
    too_long = "What did GPT-5.4 Pro score on " + "a very long benchmark name " * 4 + "?"
    assert convert.question_from_custom_id(convert.ask_custom_id(0, too_long, fallback="GPT-5.4 Pro"),
                                           ORIGIN).text == "GPT-5.4 Pro"
    assert convert.question_from_custom_id("other:1", ORIGIN) is None


def test_complete_choices():
    names = [f"Model {i}" for i in range(40)]
    assert len(convert.complete_choices(names, "Mod")) == 25
    assert convert.complete_choices(["GPT-5.4"], "Muse Spark, gp", multi=True) == \
        [("Muse Spark, GPT-5.4", "Muse Spark, GPT-5.4")]
    assert convert.complete_choices(["x" * 101], "") == []
    assert convert.last_segment("Muse Spark, gp", multi=True) == "gp"


# -- settings and start-up ---------------------------------------------------------------------------------

TOKEN = "a-bot-token.abcdefghijklmnopqrstuvwxyz"


@pytest.mark.parametrize("env, error", [
    ({}, "DISCORD_TOKEN is not set"),
    ({"DISCORD_TOKEN": "short"}, "DISCORD_TOKEN is invalid"),
    ({"DISCORD_TOKEN": TOKEN, "DISCORD_GUILD_ID": "general"}, "DISCORD_GUILD_ID is invalid"),
    ({"DISCORD_TOKEN": TOKEN, "DISCORD_GUILD_ID": "-5"}, "DISCORD_GUILD_ID is invalid"),
    ({"DISCORD_TOKEN": TOKEN, "DISCORD_API_URL": "discord.com/api"}, "DISCORD_API_URL is invalid"),
    ({"DISCORD_TOKEN": TOKEN, "DISCORD_GATEWAY_URL": "https://gateway"}, "DISCORD_GATEWAY_URL is invalid"),
])
def test_bad_settings_are_one_line(monkeypatch, env, error):
    for name in ("DISCORD_TOKEN", "DISCORD_GUILD_ID", "DISCORD_API_URL", "DISCORD_GATEWAY_URL"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigError) as info:
        load_settings()
    assert str(info.value).startswith(error) and "\n" not in str(info.value)


def test_good_settings(monkeypatch):
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    monkeypatch.setenv("DISCORD_GUILD_ID", "")
    monkeypatch.setenv("DISCORD_API_URL", "http://127.0.0.1:1/api/v10/")
    monkeypatch.delenv("DISCORD_GATEWAY_URL", raising=False)
    settings = load_settings()
    assert (settings.guild_id, settings.api_url, settings.gateway_url) == \
        (None, "http://127.0.0.1:1/api/v10", "wss://gateway.discord.gg/")


def test_modelwire_discord_with_bad_configuration_prints_one_line(monkeypatch):
    monkeypatch.delenv("DISCORD_TOKEN", raising=False)
    result = CliRunner().invoke(cli, ["discord"])
    assert result.exit_code == 1
    assert result.output == "Error: DISCORD_TOKEN is not set\n"
