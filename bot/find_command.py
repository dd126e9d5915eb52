"""The finder as a command: `/modelwire find <words>` (Slack) and `/find` with typed options (Discord).

Both build the same ``ModelQuery`` as a finder question does. The words are read like a question
("open weights context >= 128k since 2026-03"), with "sort <field>" and "limit <n>" besides.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import replace
from typing import Any

from bot import finder
from bot.answers.finder import finder_answer
from bot.intents import parse
from bot.question import Answer
from knowledge.finder import SORTS, ModelQuery
from knowledge.store import KnowledgeBase

_SORT = re.compile(r"\bsort(?:ed)?(?:\s+by)?\s+([a-z_]+)(?:\s+(asc|desc))?", re.IGNORECASE)
_LIMIT = re.compile(r"\blimit\s+(\d+)\b", re.IGNORECASE)


def answer(kb: KnowledgeBase, text: str, args: dict[str, Any], today: dt.date | None = None) -> Answer:
    """The finder's answer to a command: ``args["text"]`` (words) and typed options, options winning."""
    words = str(args.get("text") or "")
    query = query_from_words(kb, words, today)
    return finder_answer(kb, text or f"find {words}".strip(), query)


def query_from_words(kb: KnowledgeBase, words: str, today: dt.date | None = None) -> ModelQuery:
    """A query from the words after "find": read like a question, plus "sort <field> [asc|desc]" and "limit <n>"."""
    sort = _SORT.search(words)
    limit = _LIMIT.search(words)
    rest = _LIMIT.sub(" ", _SORT.sub(" ", words))
    parsed = parse(rest, kb.index(), today or dt.date.today())
    query = finder.read(kb, f"{rest} models", parsed) or ModelQuery()
    if sort and sort.group(1).lower() in SORTS:
        query = replace(query, sort=sort.group(1).lower(), descending=(sort.group(2) or "desc").lower() == "desc")
    if limit:
        query = replace(query, limit=max(1, min(int(limit.group(1)), 50)))
    return query
