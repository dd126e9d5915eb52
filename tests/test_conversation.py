"""Conversations: their keys, the stored context of their last answer, and follow-up questions.

Storage tests run on SQLite and PostgreSQL (the ``engine`` and ``kb`` fixtures); times are passed in.
"""

from __future__ import annotations

import datetime as dt
import json
import threading

import pytest
from sqlalchemy import insert, select, text

from adapters.discord import convert as discord_convert
from adapters.slack import convert as slack_convert
from bot import conversation
from bot.conversation import TTL, answer_in_conversation, key_for, load, prune, save
from bot.values import Origin, Question
from knowledge.schema import Conversation, Model

T0 = dt.datetime(2026, 11, 30, 12, 0, 0)
SCORE_Q = "What did Muse Spark score on GPQA Diamond?"
FOLLOW_UP = "and GPT-5.4?"


def stored(engine, key: str) -> str | None:
    """The raw JSON text stored for a key, or None."""
    with engine.connect() as conn:
        return conn.execute(select(Conversation.context).where(Conversation.key == key)).scalar()


def muse_spark_id(kb) -> int:
    with kb.engine.connect() as conn:
        return conn.execute(select(Model.id).where(Model.name == "Muse Spark")).scalar_one()


# -- keys -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("origin, key", [
    (Origin("slack", "T1", "C1", "1700000000.0001", "U1"), "slack:T1:C1:thread:1700000000.0001"),
    (Origin("slack", "T1", "C1", None, "U1"), "slack:T1:C1:user:U1"),
    (Origin("slack", "T1", "D1", None, "U1"), "slack:T1:D1:user:U1"),
    (Origin("discord", "G1", "C1", None, "U9"), "discord:G1:C1:user:U9"),
    (Origin("discord", None, "D1", None, "U9"), "discord:-:D1:user:U9"),
    (Origin("console"), "console:-:-:user:-"),
])
def test_key_is_the_thread_when_there_is_one_else_the_person(origin, key):
    assert key_for(origin) == key


def test_slack_mention_and_a_mention_in_its_thread_share_one_conversation():
    top = slack_convert.question_from_event({"type": "app_mention", "channel": "C1", "user": "U1",
                                             "ts": "1700000000.000100", "text": "<@U0BOT> hi"}, "T1")
    reply = slack_convert.question_from_event({"type": "app_mention", "channel": "C1", "user": "U2",
                                               "ts": "1700000050.000200", "thread_ts": "1700000000.000100",
                                               "text": "<@U0BOT> and GPT-5.4?"}, "T1")
    other = slack_convert.question_from_event({"type": "app_mention", "channel": "C1", "user": "U1",
                                               "ts": "1700000100.000300", "text": "<@U0BOT> and GPT-5.4?"}, "T1")
    assert top.conversation == reply.conversation == "slack:T1:C1:thread:1700000000.000100"
    assert other.conversation == "slack:T1:C1:thread:1700000100.000300"


def test_slack_direct_messages_use_the_thread_rule_and_commands_the_person():
    dm = slack_convert.question_from_event({"type": "message", "channel_type": "im", "channel": "D1", "user": "U1",
                                            "ts": "1700000000.000100", "text": "hi"}, "T1")
    assert dm.conversation == "slack:T1:D1:thread:1700000000.000100"
    for words in ("and GPT-5.4?", "compare Muse Spark, GPT-5.4", "top GPQA Diamond 3", "model Muse Spark"):
        command = slack_convert.question_from_command({"team_id": "T1", "channel_id": "C1", "user_id": "U1",
                                                       "text": words})
        assert command.conversation == "slack:T1:C1:user:U1", words


def test_slack_button_continues_the_thread_of_its_message():
    body = {"team": {"id": "T1"}, "user": {"id": "U1"}, "channel": {"id": "C1"},
            "message": {"ts": "1700000001.000200", "thread_ts": "1700000000.000100"},
            "actions": [{"value": "Muse Spark"}]}
    assert slack_convert.question_from_action(body).conversation == "slack:T1:C1:thread:1700000000.000100"


def test_discord_questions_are_per_person_and_channel():
    origin = discord_convert.origin_of(1, 2, None, 9)
    assert discord_convert.question_from_message("<@5> hi", 5, origin).conversation == "discord:1:2:user:9"
    assert discord_convert.question_from_command("ask", {"question": "hi"}, origin).conversation == \
        "discord:1:2:user:9"
    assert discord_convert.question_from_command("top", {"benchmark": "GPQA"}, origin).conversation == \
        "discord:1:2:user:9"
    assert discord_convert.question_from_custom_id("modelwire:ask:0:Muse Spark", origin).conversation == \
        "discord:1:2:user:9"
    dm = discord_convert.origin_of(None, 3, None, 9)
    assert discord_convert.question_from_message("hi", 5, dm).conversation == "discord:-:3:user:9"


# -- storage ----------------------------------------------------------------------------------------


def test_save_then_load_round_trips(engine):
    context = {"models": ["Muse Spark"], "benchmarks": ["GPQA Diamond"], "note": "ünïcode", "n": 3}
    save(engine, "slack:T1:C1:user:U1", context, T0)
    assert load(engine, "slack:T1:C1:user:U1", T0) == context
    save(engine, "slack:T1:C1:user:U1", {"models": ["GPT-5.4"]}, T0 + dt.timedelta(minutes=1))
    assert load(engine, "slack:T1:C1:user:U1", T0 + dt.timedelta(minutes=1)) == {"models": ["GPT-5.4"]}
    with engine.connect() as conn:
        assert conn.execute(select(Conversation.updated_at)).scalar_one() == T0 + dt.timedelta(minutes=1)


def test_a_context_expires_thirty_minutes_after_it_was_saved(engine):
    save(engine, "k", {"models": ["Muse Spark"]}, T0)
    assert load(engine, "k", T0 + TTL) == {"models": ["Muse Spark"]}
    assert load(engine, "k", T0 + TTL + dt.timedelta(seconds=1)) is None
    save(engine, "k", {"models": ["GPT-5.4"]}, T0 + TTL + dt.timedelta(seconds=2))
    assert load(engine, "k", T0 + 2 * TTL) == {"models": ["GPT-5.4"]}


def test_aware_times_are_read_as_utc(engine):
    berlin = dt.timezone(dt.timedelta(hours=1))
    save(engine, "k", {"a": 1}, T0.replace(tzinfo=dt.timezone.utc).astimezone(berlin))
    assert load(engine, "k", T0 + dt.timedelta(minutes=29)) == {"a": 1}
    assert load(engine, "k", T0 + dt.timedelta(minutes=31)) is None


def test_two_keys_never_see_each_others_context(engine):
    save(engine, "slack:T1:C1:user:U1", {"who": "U1"}, T0)
    save(engine, "slack:T1:C1:user:U2", {"who": "U2"}, T0)
    assert load(engine, "slack:T1:C1:user:U1", T0) == {"who": "U1"}
    assert load(engine, "slack:T1:C1:user:U2", T0) == {"who": "U2"}
    assert load(engine, "slack:T1:C2:user:U1", T0) is None


def test_a_key_longer_than_the_column_is_stored_under_a_digest(engine):
    long_a, long_b = "console:ask:" + "a" * 300, "console:ask:" + "a" * 299 + "b"
    save(engine, long_a, {"which": "a"}, T0)
    save(engine, long_b, {"which": "b"}, T0)
    assert (load(engine, long_a, T0), load(engine, long_b, T0)) == ({"which": "a"}, {"which": "b"})
    with engine.connect() as conn:
        assert all(len(k) <= 255 for k in conn.execute(select(Conversation.key)).scalars())


@pytest.mark.parametrize("raw", ["{not json", "[1, 2]", "null", ""])
def test_a_corrupt_row_reads_as_no_context(engine, raw):
    with engine.begin() as conn:
        conn.execute(insert(Conversation).values(key="k", context=raw, updated_at=T0))
    assert load(engine, "k", T0) is None


def test_prune_deletes_only_expired_contexts(engine):
    save(engine, "old", {"a": 1}, T0)
    save(engine, "fresh", {"a": 2}, T0 + TTL)
    assert prune(engine, T0 + TTL + dt.timedelta(seconds=1)) == 1
    with engine.connect() as conn:
        assert list(conn.execute(select(Conversation.key)).scalars()) == ["fresh"]


def test_saving_prunes_now_and_then(engine, monkeypatch):
    import itertools

    save(engine, "old", {"a": 1}, T0)
    monkeypatch.setattr(conversation, "_saves", itertools.count(conversation.PRUNE_EVERY))
    save(engine, "new", {"a": 2}, T0 + 2 * TTL)
    with engine.connect() as conn:
        assert list(conn.execute(select(Conversation.key)).scalars()) == ["new"]


def test_concurrent_saves_do_not_fail(engine):
    errors: list[BaseException] = []
    start = threading.Barrier(8)

    def work(n: int) -> None:
        try:
            start.wait()
            for i in range(15):
                save(engine, "shared", {"writer": n, "i": i}, T0 + dt.timedelta(seconds=i))
                save(engine, f"own-{n}", {"writer": n, "i": i}, T0 + dt.timedelta(seconds=i))
        except BaseException as exc:  # reported by the assertion below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert errors == []
    assert load(engine, "shared", T0)["writer"] in range(8)
    assert [load(engine, f"own-{n}", T0) for n in range(8)] == [{"writer": n, "i": 14} for n in range(8)]


# -- answering in a conversation ----------------------------------------------------------------------


def ask(kb, words: str, key: str | None, now: dt.datetime = T0):
    return answer_in_conversation(Question(text=words, conversation=key), kb, now=now)


def test_a_follow_up_continues_the_conversation(kb):
    first = ask(kb, SCORE_Q, "slack:T1:C1:thread:1")
    assert first.context is not None, "the engine sets no context for a score answer"
    assert json.loads(stored(kb.engine, "slack:T1:C1:thread:1")) == first.context
    assert first.context["models"] == [muse_spark_id(kb)]
    second = ask(kb, FOLLOW_UP, "slack:T1:C1:thread:1", T0 + dt.timedelta(minutes=5))
    assert second.title == "GPT-5.4 on GPQA Diamond"
    assert "92.8%" in second.text


def test_without_a_conversation_nothing_is_stored_or_continued(kb):
    ask(kb, SCORE_Q, None)
    with kb.engine.connect() as conn:
        assert conn.execute(select(Conversation.key)).first() is None
    assert ask(kb, FOLLOW_UP, None).title == "GPT-5.4"


def test_another_conversation_or_an_expired_one_does_not_continue(kb):
    ask(kb, SCORE_Q, "a")
    assert ask(kb, FOLLOW_UP, "b").title == "GPT-5.4"
    assert ask(kb, FOLLOW_UP, "a", T0 + TTL + dt.timedelta(minutes=1)).title == "GPT-5.4"


def test_an_answer_without_context_keeps_the_conversations_context(kb):
    first = ask(kb, SCORE_Q, "k")
    before = stored(kb.engine, "k")
    assert before is not None and json.loads(before) == first.context
    for words in ("help", "What did GPT-5.9 score on GPQA?"):
        if ask(kb, words, "k").context is None:
            assert stored(kb.engine, "k") == before, words


def test_a_database_error_never_loses_the_answer(kb, caplog):
    with kb.engine.begin() as conn:
        conn.execute(text("DROP TABLE conversations"))
    result = ask(kb, SCORE_Q, "k")
    assert "89.5%" in result.text
    assert "could not load the context of conversation k" in caplog.text
    assert "could not save the context of conversation k" in caplog.text


def test_a_context_that_cannot_be_stored_is_logged_not_raised(engine, caplog):
    conversation._save_safely(engine, "k", {"bad": object()}, T0)
    assert "could not save the context of conversation k" in caplog.text
    assert load(engine, "k", T0) is None


def test_a_saved_context_is_json_text(engine):
    save(engine, "k", {"models": ["Muse Spark"]}, T0)
    assert json.loads(stored(engine, "k")) == {"models": ["Muse Spark"]}
