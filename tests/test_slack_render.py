"""Slack conversion and rendering as pure functions: payloads -> Questions, Answers -> Block Kit.

No network. Answers are built by hand to hit Block Kit's limits and the escaping rules, and a few
real answers come from the engine over the bundled knowledge base.
"""

from __future__ import annotations

import re

import pytest

from adapters.slack import convert, render
from bot.answers.help import EXAMPLES
from bot.engine import answer as engine_answer
from bot.values import Answer, Question, SourceRef, Table

PINGS = ["<!channel>", "<!here>", "<!everyone>", "<@U123>", "<!subteam^S1>", "<#C123>"]
NASTY = "R&D " + " ".join(PINGS) + " a<b>c"


def make(**kw) -> Answer:
    base = dict(question="q", intent="test", found=True, title="Title", text="Body")
    return Answer(**{**base, **kw})


def mrkdwn_texts(msg: dict) -> list[str]:
    """Every string of a message that Slack parses as mrkdwn (mentions and links are live there)."""
    out = [msg["text"]]  # the top-level fallback text is mrkdwn too
    for block in msg["blocks"]:
        if block["type"] == "section":
            out.append(block["text"]["text"])
            out += [f["text"] for f in block.get("fields", [])]
        elif block["type"] == "context":
            out += [e["text"] for e in block["elements"] if e["type"] == "mrkdwn"]
    return out


def blocks_of(msg: dict, kind: str) -> list[dict]:
    return [b for b in msg["blocks"] if b["type"] == kind]


def assert_within_limits(msg: dict) -> None:
    blocks = msg["blocks"]
    assert 1 <= len(blocks) <= render.MAX_BLOCKS
    assert msg["text"] and len(msg["text"]) <= render.MAX_FALLBACK
    assert blocks[0]["type"] == "header" and blocks[0]["text"]["type"] == "plain_text"
    assert 1 <= len(blocks[0]["text"]["text"]) <= render.MAX_HEADER
    for block in blocks_of(msg, "section"):
        assert 1 <= len(block["text"]["text"]) <= render.MAX_SECTION
    for block in blocks_of(msg, "context"):
        assert all(len(e["text"]) <= render.MAX_SECTION for e in block["elements"])
    for block in blocks_of(msg, "table"):
        assert len(block["rows"]) <= render.MAX_TABLE_ROWS
        assert all(len(row) <= render.MAX_TABLE_COLUMNS for row in block["rows"])
        assert len(block.get("column_settings", [])) <= min(render.MAX_TABLE_COLUMNS, len(block["rows"][0]))
    assert len(blocks_of(msg, "table")) <= 1  # Slack allows one table per message


def assert_no_live_pings(msg: dict) -> None:
    """No mention, channel link or broadcast survives in a mrkdwn string, and no escape is cut in two."""
    for text in mrkdwn_texts(msg):
        for ping in ("<!", "<@", "<#"):
            assert ping not in text, text
        # an '&' is always the start of one of the three escapes
        assert not re.search(r"&(?!amp;|lt;|gt;)", text), text


# -- convert --------------------------------------------------------------------------------


@pytest.mark.parametrize("raw, cleaned", [
    ("<@U0BOT> what did Muse Spark score on GPQA?", "what did Muse Spark score on GPQA?"),
    ("<@U0BOT|modelwire>   what   is  GPT-5.4", "what is GPT-5.4"),
    ("<@W0BOT> hi", "hi"),
    ("compare A &amp; B &lt;3 &gt; 2", "compare A & B <3 > 2"),
    ("&amp;lt;", "&lt;"),  # unescaped once: the person typed "&lt;"
    ("", ""),
    ("<@U0BOT>", ""),
])
def test_clean_text(raw, cleaned):
    assert convert.clean_text(raw) == cleaned


@pytest.mark.parametrize("event, thread", [
    ({"ts": "1.000100"}, "1.000100"),
    ({"ts": "1.000200", "thread_ts": "1.000100"}, "1.000100"),
])
def test_question_from_event_answers_in_the_thread(event, thread):
    event = {"type": "app_mention", "user": "U1", "channel": "C1", "text": "<@U0BOT> what is  GPQA?", **event}
    q = convert.question_from_event(event, "T1")
    assert q.text == "what is GPQA?" and q.command is None
    assert (q.origin.platform, q.origin.workspace, q.origin.channel, q.origin.thread, q.origin.user) == \
        ("slack", "T1", "C1", thread, "U1")


@pytest.mark.parametrize("text, command, args", [
    ("ask what did Muse Spark score?", "ask", {"text": "what did Muse Spark score?"}),
    ("ASK   it", "ask", {"text": "it"}),
    ("what did Muse Spark score on GPQA?", "ask", {"text": "what did Muse Spark score on GPQA?"}),
    ("Muse Spark vs GPT-5.4", "ask", {"text": "Muse Spark vs GPT-5.4"}),
    ("compare a, b and c on GPQA Diamond", "compare", {"models": ["a", "b", "c"], "benchmark": "GPQA Diamond"}),
    ("compare a vs b", "compare", {"models": ["a", "b"], "benchmark": None}),
    ("compare a vs. b versus c", "compare", {"models": ["a", "b", "c"], "benchmark": None}),
    ("Compare a,b ON HLE", "compare", {"models": ["a", "b"], "benchmark": "HLE"}),
    ("top GPQA Diamond 5", "top", {"benchmark": "GPQA Diamond", "n": 5}),
    ("top GPQA Diamond", "top", {"benchmark": "GPQA Diamond", "n": None}),
    ("top 5 on GPQA Diamond", "top", {"benchmark": "GPQA Diamond", "n": 5}),
    ("Top 3 GPQA Diamond", "top", {"benchmark": "GPQA Diamond", "n": 3}),
    ("top AIME 2025", "top", {"benchmark": "AIME 2025", "n": None}),
    ("model Muse Spark", "model", {"name": "Muse Spark"}),
    ("help", "help", {}),
    ("HELP", "help", {}),
    ("help me", "help", {}),
    ("", "help", {}),
    ("top", "help", {}),
    ("model", "help", {}),
    ("compare", "help", {}),
    ("ask", "help", {}),
])
def test_parse_command(text, command, args):
    assert convert.parse_command(text) == (command, args)


def test_question_from_command():
    body = {"team_id": "T1", "channel_id": "C1", "user_id": "U1", "command": "/modelwire",
            "text": "compare Muse Spark &amp; GPT-5.4 vs Claude on GPQA Diamond"}
    q = convert.question_from_command(body)
    assert q.command == "compare" and q.args["models"] == ["Muse Spark & GPT-5.4", "Claude"]
    assert q.origin == convert.origin_of("T1", "C1", None, "U1")
    free = convert.question_from_command({**body, "text": "what is GPQA?"})
    assert (free.command, free.text) == (None, "what is GPQA?")


@pytest.mark.parametrize("extra, channel, thread", [
    ({"channel": {"id": "C1"}, "container": {"type": "message", "channel_id": "C1", "message_ts": "1.2"},
      "message": {"ts": "1.2"}}, "C1", "1.2"),
    ({"channel": {"id": "C2"}, "message": {"ts": "1.5", "thread_ts": "1.1"}}, "C2", "1.1"),
    ({"container": {"type": "message", "channel_id": "C3", "message_ts": "1.2"}, "message": {"ts": "1.2"}},
     "C3", "1.2"),
])
def test_question_from_action(extra, channel, thread):
    body = {"type": "block_actions", "team": {"id": "T1"}, "user": {"id": "U1"},
            "actions": [{"action_id": "modelwire_ask_1", "value": "GPT-5.4 Pro", "type": "button"}], **extra}
    q = convert.question_from_action(body)
    assert q.text == "GPT-5.4 Pro" and q.command is None
    assert (q.origin.workspace, q.origin.channel, q.origin.thread, q.origin.user) == ("T1", channel, thread, "U1")


# -- render: limits -------------------------------------------------------------------------


def test_header_is_cut_to_150_and_left_unescaped():
    msg = render.message(make(title="T" * 400))
    head = msg["blocks"][0]["text"]["text"]
    assert len(head) == render.MAX_HEADER and head.endswith("…")
    # plain_text is never parsed: mentions there are inert, so the title is shown as written
    msg = render.message(make(title="R&D <!channel>"))
    assert msg["blocks"][0] == {"type": "header", "text": {"type": "plain_text", "text": "R&D <!channel>"}}
    assert render.message(make(title=""))["blocks"][0]["text"]["text"] == "modelwire"


@pytest.mark.parametrize("text", [
    "\n".join(f"line {i:05d} " + "x" * 90 for i in range(200)),  # ~20,000 chars of lines
    "y" * 10_000,  # one line, no break
    "word " * 4000,  # 20,000 chars, spaces but no newline
    "&" * 10_000,  # escaping multiplies the length by five
    "a" + "<>" * 5000,
])
def test_long_text_is_split_into_sections_within_limits(text):
    msg = render.message(make(text=text))
    assert_within_limits(msg)
    assert_no_live_pings(msg)
    sections = [b["text"]["text"] for b in blocks_of(msg, "section")]
    joined = "".join(sections).replace("\n", "")
    if len(sections) < render.MAX_BLOCKS - 1:  # nothing cut: the whole text is there, in order
        assert joined == render.escape(text).replace("\n", "")


def test_very_long_answer_is_cut_with_a_notice():
    msg = render.message(make(text="\n\n".join("z" * 2999 for _ in range(80)),
                              sources=[SourceRef("S", "https://s.test/", "2026-01-01")], suggestions=["A"]))
    assert_within_limits(msg)
    assert len(msg["blocks"]) == render.MAX_BLOCKS
    assert [b["type"] for b in msg["blocks"][-3:]] == ["section", "context", "actions"]
    assert "rest is cut" in msg["blocks"][-3]["text"]["text"]


def test_many_fields_stay_within_limits():
    fields = [(f"Field {i}", "value " * 40) for i in range(200)]
    msg = render.message(make(fields=fields))
    assert_within_limits(msg)
    assert "*Field 0:* value" in blocks_of(msg, "section")[1]["text"]["text"]


@pytest.mark.parametrize("rows, columns", [(100, 3), (500, 5), (10, 21), (2000, 30)])
def test_huge_table_falls_back_to_monospace_sections(rows, columns):
    table = Table(columns=[f"C{j}" for j in range(columns)],
                  rows=[[f"r{i}c{j}" for j in range(columns)] for i in range(rows)],
                  numeric=[j % 2 == 1 for j in range(columns)])
    msg = render.message(make(table=table))
    assert_within_limits(msg)
    assert not blocks_of(msg, "table")
    code = [b["text"]["text"] for b in blocks_of(msg, "section") if b["text"]["text"].startswith("```")]
    assert code and all(t.endswith("```") for t in code)
    assert "C0" in code[0] and "r0c0" in code[0]


def test_largest_table_that_fits_is_a_table_block():
    table = Table(columns=[f"C{j}" for j in range(20)], rows=[[str(i)] * 20 for i in range(99)],
                  numeric=[True] * 20)
    msg = render.message(make(table=table))
    assert_within_limits(msg)
    (block,) = blocks_of(msg, "table")
    assert len(block["rows"]) == 100 and len(block["column_settings"]) == 20


# -- render: escaping -----------------------------------------------------------------------


def test_mentions_never_reach_mrkdwn_unescaped():
    table = Table(columns=["Model", "Score"], rows=[[NASTY, "1"]], numeric=[False, True])
    msg = render.message(make(title=NASTY, text=f"Hello {NASTY}", fields=[(NASTY, NASTY)], table=table,
                              sources=[SourceRef(NASTY, "https://x.test/?a=1&b=<!channel>", NASTY)],
                              suggestions=[NASTY], found=False))
    assert_within_limits(msg)
    assert_no_live_pings(msg)
    assert "&lt;!channel&gt;" in blocks_of(msg, "section")[0]["text"]["text"]
    assert "R&amp;D" in msg["text"]
    # raw_text cells and button labels are plain text: shown as written, never parsed
    assert blocks_of(msg, "table")[0]["rows"][1][0] == {"type": "raw_text", "text": NASTY}
    assert blocks_of(msg, "actions")[0]["elements"][0]["value"] == NASTY


def test_mentions_in_a_monospace_table_are_escaped():
    table = Table(columns=[f"<!here> {j}" for j in range(25)], rows=[[NASTY] * 25])
    msg = render.message(make(table=table))
    assert not blocks_of(msg, "table")
    assert_no_live_pings(msg)


@pytest.mark.parametrize("text", ["x" + "&" * 5000, "xx" + "<" * 5000, "xxx" + ">&" * 3000, "xxxx" + "&" * 3000])
def test_cuts_never_split_an_escape(text):
    msg = render.message(make(text=text, title=text))
    assert_within_limits(msg)
    assert_no_live_pings(msg)  # also checks that every '&' starts a whole &amp;/&lt;/&gt;


# -- render: structure ----------------------------------------------------------------------


def test_table_block_structure():
    table = Table(columns=["Model", "GPQA Diamond", "Date"], rows=[["Muse Spark", "89.5%", ""], ["B", "1", "x"]],
                  numeric=[False, True, False])
    (block,) = blocks_of(render.message(make(table=table)), "table")
    assert block["rows"][0] == [{"type": "raw_text", "text": c} for c in ["Model", "GPQA Diamond", "Date"]]
    assert block["rows"][1][:2] == [{"type": "raw_text", "text": "Muse Spark"}, {"type": "raw_text", "text": "89.5%"}]
    assert block["rows"][1][2]["text"].strip() == ""  # an empty cell still carries text: Slack needs some
    assert block["column_settings"] == [{"align": "left"}, {"align": "right"}, {"align": "left"}]
    assert all(c["type"] == "raw_text" for row in block["rows"] for c in row)


def test_table_without_numeric_flags_has_no_column_settings():
    (block,) = blocks_of(render.message(make(table=Table(["A"], [["1"]]))), "table")
    assert "column_settings" not in block


def test_column_settings_never_outnumber_columns():
    (block,) = blocks_of(render.message(make(table=Table(["A", "B"], [["1", "2"]], numeric=[False, True] * 15))),
                         "table")
    assert block["column_settings"] == [{"align": "left"}, {"align": "right"}]


def test_table_without_rows_renders_nothing():
    msg = render.message(make(table=Table(["A", "B"], [])))
    assert [b["type"] for b in msg["blocks"]] == ["header", "section"]


def test_suggestions_become_at_most_five_buttons():
    suggestions = [f"Model {i}" for i in range(8)] + ["M" * 300]
    (actions,) = blocks_of(render.message(make(found=False, suggestions=suggestions)), "actions")
    assert actions["block_id"] == "modelwire_suggestions"
    assert [(e["type"], e["action_id"], e["value"], e["text"]) for e in actions["elements"]] == [
        ("button", f"modelwire_ask_{i}", f"Model {i}", {"type": "plain_text", "text": f"Model {i}"})
        for i in range(render.MAX_BUTTONS)]
    long = blocks_of(render.message(make(suggestions=["M" * 3000])), "actions")[0]["elements"][0]
    assert len(long["text"]["text"]) <= 75 and len(long["value"]) <= 2000
    assert not blocks_of(render.message(make()), "actions")


def test_context_lists_sources_with_dates_and_links():
    sources = [SourceRef("TNW & co", "https://tnw.test/a?b=1&c=2", "2026-04-08"),
               SourceRef("No link", None, "2026-01-01"), SourceRef("Undated", "https://u.test/", None)]
    (ctx,) = blocks_of(render.message(make(sources=sources)), "context")
    assert ctx["elements"] == [{"type": "mrkdwn", "text":
                                "[1] <https://tnw.test/a?b=1&amp;c=2|TNW &amp; co> (2026-04-08) · "
                                "[2] No link (2026-01-01) · [3] <https://u.test/|Undated>"}]
    assert not blocks_of(render.message(make()), "context")


def test_many_sources_keep_every_link_whole():
    sources = [SourceRef(f"Source number {i} " + "t" * 60, f"https://example.test/{i}/" + "p" * 40, "2026-04-08")
               for i in range(60)]
    msg = render.message(make(sources=sources))
    assert_within_limits(msg)
    (ctx,) = blocks_of(msg, "context")
    text = ctx["elements"][0]["text"]
    assert text.startswith("[1] <https://example.test/0/")
    assert text.count("<") == text.count(">") and text.endswith(")")  # no link left half open


# -- render: real answers -------------------------------------------------------------------


def slack_answer(kb, text: str, *, command: bool = False) -> tuple[Answer, dict]:
    q = convert.question_from_command({"text": text}) if command else Question(text=text)
    a = engine_answer(q, kb)
    msg = render.message(a)
    assert_within_limits(msg)
    assert_no_live_pings(msg)
    return a, msg


def test_real_score_answer(seeded_kb):
    a, msg = slack_answer(seeded_kb, "what did Muse Spark score on GPQA?")
    assert msg["blocks"][0]["text"]["text"] == "Muse Spark on GPQA Diamond"
    assert "89.5%" in blocks_of(msg, "section")[0]["text"]["text"] and "89.5%" in msg["text"]
    (ctx,) = blocks_of(msg, "context")
    assert ctx["elements"][0]["text"].startswith("[1] ") and "2026-04-08" in ctx["elements"][0]["text"]


def test_real_comparison_has_a_table_and_sources(seeded_kb):
    a, msg = slack_answer(seeded_kb, "compare Muse Spark, GPT-5.4 and Claude Opus 4.6 on GPQA Diamond",
                          command=True)
    assert a.intent == "compare" and a.found
    (table,) = blocks_of(msg, "table")
    assert [c["text"] for c in table["rows"][0]] == a.table.columns
    assert len(table["rows"]) == len(a.table.rows) + 1
    assert {"Muse Spark", "GPT-5.4", "Claude Opus 4.6"} <= {row[0]["text"] for row in table["rows"][1:]}
    scores = a.table.columns.index("GPQA Diamond")
    assert table["column_settings"][scores] == {"align": "right"}
    assert blocks_of(msg, "context")
    assert [b["type"] for b in msg["blocks"]][-2:] == ["table", "context"]


def test_real_leaderboard_and_unknown_name(seeded_kb):
    _, msg = slack_answer(seeded_kb, "top 3 on GPQA Diamond", command=True)
    (table,) = blocks_of(msg, "table")
    assert len(table["rows"]) == 4 and table["rows"][1][0]["text"] == "1"
    a, msg = slack_answer(seeded_kb, "model Muse Spark 2", command=True)
    assert not a.found
    (actions,) = blocks_of(msg, "actions")
    assert actions["elements"][0]["value"] == "model Muse Spark"  # the command asked again with the name
    short, _ = slack_answer(seeded_kb, "model Muse", command=True)
    assert short.found and short.title == "Muse Spark"  # the one name "Muse" is a part of


@pytest.mark.parametrize("example", EXAMPLES)
def test_every_help_example_works_as_a_slash_command(seeded_kb, example):
    """``/modelwire <example>`` answers like the same question asked in a mention."""
    slash, _ = slack_answer(seeded_kb, example, command=True)
    free, _ = slack_answer(seeded_kb, example)
    assert (slash.intent, slash.found, slash.title) == (free.intent, free.found, free.title)
    assert slash.intent not in ("unknown", "help")
