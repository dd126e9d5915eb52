"""What the chat adapters (Slack, Discord) read and write the same way: names typed in one option, and
"did you mean" suggestions paired with the question each asks. Pure functions, no I/O."""

from __future__ import annotations

import re

from bot.values import Answer

_NAME_SEPARATORS = re.compile(r"\s*,\s*|\s+(?:and|vs\.?|versus)\s+")


def split_names(text: str) -> list[str]:
    """Names typed in one option or argument, separated by commas, "and", "vs" or "versus"."""
    return [name.strip() for name in _NAME_SEPARATORS.split(text or "") if name.strip()]


def suggested_asks(answer: Answer, limit: int) -> list[tuple[str, str]]:
    """At most ``limit`` "did you mean" (suggestion, question to ask) pairs: each suggestion asks its
    follow-up question when the answer has one for every suggestion, else the suggestion itself."""
    asks = answer.followups if len(answer.followups) == len(answer.suggestions) else answer.suggestions
    return list(zip(answer.suggestions[:limit], asks))
