"""What the adapter follow-up tests share: the two questions, and a look at the stored conversation."""

from __future__ import annotations

import json

from sqlalchemy import select

from bot.engine import answer
from bot.values import Question
from knowledge.schema import Conversation
from tests.test_conversation import muse_spark_id

SCORE_Q = "What did Muse Spark score on GPQA Diamond?"
FOLLOW_UP = "and GPT-5.4?"


def stored(kb, key: str) -> str | None:
    """The raw context stored under a conversation key, or None."""
    with kb.engine.connect() as conn:
        return conn.execute(select(Conversation.context).where(Conversation.key == key)).scalar()


def assert_context_kept(kb, key: str) -> None:
    """The conversation's row holds the first answer's context (when the engine sets one)."""
    expected = answer(Question(text=SCORE_Q), kb).context
    raw = stored(kb, key)
    assert (raw is None) == (expected is None), raw
    if raw is not None:
        assert json.loads(raw) == expected and expected["models"] == [muse_spark_id(kb)]
