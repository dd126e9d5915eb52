"""Pure conversions for Discord's chat-native pieces: which answers only the asker sees, /compare's
model options, the "Ask modelwire" message menu, and the organization select of /subscribe.

No discord.py here: ``menus`` wires these to the client.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, quote, urlencode

from adapters.convert import split_names
from bot.values import Answer

EPHEMERAL = 64
"""The message flag of a reply only the person who used the command sees."""
QUIET_INTENTS = ("help", "usage", "refused")
"""Answers meant for the asker alone: help, a command used wrongly, a command not allowed."""
COMPARE_SLOTS = ("model1", "model2", "model3", "model4")
"""/compare's model options; the first two are required."""
ASK_MENU = "Ask modelwire"
"""The message context menu's name (Discord shows it under Apps)."""
NO_TEXT = "That message has no text to ask about."
MAX_CUSTOM_ID = 100
MAX_OPTION = 100
"""Discord's longest select option label and value."""
SUBSCRIBE_PREFIX = "modelwire:sub:"
SUBSCRIBE_CUSTOM_ID = re.compile(rf"^{re.escape(SUBSCRIBE_PREFIX)}(?P<options>.*)$", re.S)
ALL_ORGS = "*"
"""The select value meaning every organization (no filter)."""
ALL_ORGS_LABEL = "All organizations"
_KEYS = {"cadence": "c", "time": "t", "day": "d", "tz": "z", "open_weights": "w", "input": "i", "updates": "u",
         "min_context": "m", "max_price": "p", "reasoning": "r", "tool_calling": "k", "licence": "l"}
"""/subscribe's options (all but ``orgs``) and their one-letter keys in a select's custom_id."""
_FLAGS = ("open_weights", "updates", "reasoning", "tool_calling")
_NAMES = {short: name for name, short in _KEYS.items()}


def is_quiet(answer: Answer) -> bool:
    """Whether only the asker should see ``answer``: help, a usage error, a refusal, or a "did you mean"
    (nothing found, names to pick from)."""
    return answer.intent in QUIET_INTENTS or (not answer.found and bool(answer.suggestions))


def compare_models(options: dict) -> list[str]:
    """The models of /compare, in order: ``model1``…``model4`` (each may also hold several names separated
    by commas, as the single ``models`` option of earlier versions did, which is still read)."""
    names: list[str] = []
    for slot in ("models", *COMPARE_SLOTS):
        names += [n for n in split_names(str(options.get(slot) or "")) if n not in names]
    return names


def compare_command(options: dict) -> dict:
    """/compare's options as the core command's: ``models`` (names separated by commas) and ``benchmark``."""
    return {"models": ", ".join(compare_models(options)), "benchmark": options.get("benchmark")}


def message_question(content: str) -> str | None:
    """The text to ask about a message picked with "Ask modelwire"; None when it has no text."""
    text = (content or "").strip()
    return text or None


def about_message(jump_url: str) -> str:
    """The line above an "Ask modelwire" answer, linking the message it answers."""
    return f"Answering {jump_url}"


def subscribe_custom_id(options: dict) -> str | None:
    """An organization select's custom_id: the prefix and the other /subscribe options it keeps, so a pick
    subscribes with them however long after; None when they do not fit Discord's 100 characters."""
    pairs = []
    for name, short in _KEYS.items():
        value = options.get(name)
        if value in (None, "", False):
            continue
        pairs.append((short, "1" if name in _FLAGS else str(value)))
    custom_id = SUBSCRIBE_PREFIX + urlencode(pairs, quote_via=quote, safe="/:")
    return custom_id if len(custom_id) <= MAX_CUSTOM_ID else None


def subscribe_options(custom_id: str) -> dict | None:
    """The /subscribe options an organization select's custom_id keeps; None for any other component."""
    match = SUBSCRIBE_CUSTOM_ID.match(custom_id or "")
    if not match:
        return None
    options: dict = {name: (False if name in _FLAGS else None) for name in _KEYS}
    for short, value in parse_qsl(match.group("options"), keep_blank_values=True):
        name = _NAMES.get(short)
        if name is None:
            continue
        options[name] = True if name in _FLAGS else _number(value) if name == "max_price" else value
    return options


def _number(value: str) -> float | None:
    try:
        return float(value)
    except ValueError:
        return None


def picked_orgs(values: list[str]) -> str | None:
    """The ``orgs`` option from the organizations picked: None (every organization) when "All" was."""
    if not values or ALL_ORGS in values:
        return None
    return ", ".join(values)


def org_options(names: list[str], with_all: bool, limit: int = 25) -> list[tuple[str, str]]:
    """A select's (label, value) options: "All organizations" first when offered, then the names."""
    out = [(ALL_ORGS_LABEL, ALL_ORGS)] if with_all else []
    out += [(n, n) for n in names if n and n != ALL_ORGS and len(n) <= MAX_OPTION]
    return out[:limit]
