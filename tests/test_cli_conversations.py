"""Follow-up questions in the terminal: ``modelwire chat`` is one conversation, ``modelwire ask`` is
stateless unless ``--conversation ID`` names one. The installed console script, in a subprocess."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from knowledge.db import make_engine
from knowledge.schema import Conversation
from tests.test_cli import assert_clean_failure, run, sqlite_url

SCORE_Q = "What did Muse Spark score on GPQA Diamond?"
FOLLOW_UP = "and GPT-5.4?"


@pytest.fixture
def sqlite_db(tmp_path) -> str:
    return sqlite_url(tmp_path / "kb" / "modelwire.db")


def keys(db_url: str) -> list[str]:
    engine = make_engine(db_url)
    try:
        with engine.connect() as conn:
            return list(conn.execute(select(Conversation.key).order_by(Conversation.key)).scalars())
    finally:
        engine.dispose()


def answers(stdout: str) -> list[dict]:
    return [json.loads(line) for line in stdout.splitlines()]


def test_chat_answers_a_follow_up_in_the_same_session(tmp_path, db_url):
    result = run(tmp_path, "chat", db=db_url, stdin=f"{SCORE_Q}\n{FOLLOW_UP}\n")
    assert result.returncode == 0, result.stderr
    first, second = result.stdout.split("modelwire> ")[1:3]
    assert "89.5%" in first
    assert second.lstrip().startswith("GPT-5.4 on GPQA Diamond")
    assert "92.8%" in second and "89.5%" not in second


def test_each_chat_session_is_its_own_conversation(tmp_path, sqlite_db):
    run(tmp_path, "chat", db=sqlite_db, stdin=f"{SCORE_Q}\n")
    result = run(tmp_path, "chat", db=sqlite_db, stdin=f"{FOLLOW_UP}\n")
    assert result.returncode == 0, result.stderr
    assert result.stdout.split("modelwire> ")[1].lstrip().startswith("GPT-5.4\n")
    assert all(k.startswith("console:chat:") for k in keys(sqlite_db))


def test_chat_help_mentions_follow_ups(tmp_path, sqlite_db):
    result = run(tmp_path, "chat", "--help", db=sqlite_db)
    assert "follow-up" in result.stdout


def test_ask_json_lines_continue_with_a_conversation(tmp_path, db_url):
    result = run(tmp_path, "ask", "--json", "--conversation", "X", "-", db=db_url, stdin=f"{SCORE_Q}\n{FOLLOW_UP}\n")
    assert result.returncode == 0, result.stderr
    first, second = answers(result.stdout)
    assert first["question"] == SCORE_Q and "89.5%" in first["text"]
    assert second["question"] == FOLLOW_UP
    assert second["title"] == "GPT-5.4 on GPQA Diamond" and "92.8%" in second["text"]
    assert "context" not in second


def test_ask_json_lines_without_a_conversation_are_answered_on_their_own(tmp_path, db_url):
    result = run(tmp_path, "ask", "--json", "-", db=db_url, stdin=f"{SCORE_Q}\n{FOLLOW_UP}\n")
    assert result.returncode == 0, result.stderr
    first, second = answers(result.stdout)
    assert "89.5%" in first["text"]
    assert second["title"] == "GPT-5.4" and second["intent"] == "model"
    assert keys(db_url) == []


def test_ask_conversation_lasts_across_runs_and_is_kept_apart_by_id(tmp_path, sqlite_db):
    run(tmp_path, "ask", "--conversation", "work", SCORE_Q, db=sqlite_db)
    other = run(tmp_path, "ask", "--json", "--conversation", "home", FOLLOW_UP, db=sqlite_db)
    assert json.loads(other.stdout)["title"] == "GPT-5.4"
    same = run(tmp_path, "ask", "--json", "--conversation", "work", FOLLOW_UP, db=sqlite_db)
    assert json.loads(same.stdout)["title"] == "GPT-5.4 on GPQA Diamond"


def test_a_blank_conversation_id_is_a_usage_error(tmp_path, sqlite_db):
    result = run(tmp_path, "ask", "--conversation", " ", SCORE_Q, db=sqlite_db)
    assert_clean_failure(result)
    assert "--conversation" in result.stderr
