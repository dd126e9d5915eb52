"""Slack payloads -> platform-neutral Questions. Pure functions, no I/O.

Conversations (follow-up questions such as "and GPT-5.4?", see ``bot.conversation``): the bot answers
a mention or a direct message in a thread, and a Slack thread is named by the ts of its first message.
So a message's conversation is its thread: ``thread_ts`` when it is in one, else its own ``ts`` -
the thread its answer starts. A top-level mention and a later mention in the thread under it both map
to "slack:TEAM:CHANNEL:thread:<ts of the mention>", and everyone in that thread shares it; another
top-level mention starts a new conversation. Direct messages follow the same rule. A "did you mean"
button continues the thread its message is in. A ``/modelwire`` command has no thread (its answer
cannot be threaded on): its conversation is the person's in that channel, "slack:TEAM:CHANNEL:user:USER".
"""

from __future__ import annotations

import html
import re
from typing import TypeGuard

from adapters.convert import split_names
from bot.conversation import key_for
from bot.digests.subscriptions import COMMANDS as DIGEST_COMMANDS
from bot.values import Origin, Question

_MENTION = re.compile(r"<@[UW][A-Z0-9]+(?:\|[^>]*)?>")
_ON = re.compile(r"\s+on\s+", re.I)
_TOP = re.compile(r"(?:(?P<before>\d{1,3})\s+(?:on\s+)?)?(?P<name>.*?)(?:\s+(?P<after>\d{1,3}))?$", re.I | re.S)
SUBCOMMANDS = ("ask", "compare", "top", "model", "find", "help")
"""Sub-commands read here; the words of the digest ones (``DIGEST_COMMANDS``) are the core's to read."""


def clean_text(text: str) -> str:
    """What the person typed: the bot's mention removed, Slack's &amp;/&lt;/&gt; escaping undone."""
    return " ".join(html.unescape(_MENTION.sub(" ", text or "")).split())


def origin_of(team: str | None, channel: str | None, thread: str | None, user: str | None) -> Origin:
    """Where a Slack question came from; answers go back to that thread."""
    return Origin(platform="slack", workspace=team, channel=channel, thread=thread, user=user)


def question_from_event(event: dict, team: str | None) -> Question:
    """An app_mention or direct-message event as a Question answered in the event's thread."""
    thread = event.get("thread_ts") or event.get("ts")
    origin = origin_of(team, event.get("channel"), thread, event.get("user"))
    return Question(text=clean_text(event.get("text", "")), origin=origin, conversation=key_for(origin))


def parse_command(text: str) -> tuple[str, dict]:
    """``/modelwire`` text -> (sub-command, args). A bare question is ``ask``.

    A sub-command without its argument (``top``, ``model``, ...) is ``help``. ``top`` takes the
    count after the benchmark or before it (``top GPQA Diamond 5``, ``top 5 on GPQA Diamond``).
    ``find`` passes its words on as they are (the core reads them, and says how to use it when empty).
    """
    words = text.split(maxsplit=1)
    head = words[0].lower() if words else "help"
    rest = words[1].strip() if len(words) > 1 else ""
    if head in DIGEST_COMMANDS or head == "find":
        return head, {"text": rest}
    if head not in SUBCOMMANDS:
        return "ask", {"text": text}
    if head == "help" or not rest:
        return "help", {}
    if head == "compare":
        parts = _ON.split(rest, maxsplit=1)
        return "compare", {"models": split_names(parts[0]),
                           "benchmark": parts[1].strip() if len(parts) > 1 else None}
    if head == "top":
        match = _TOP.match(rest)
        assert match is not None, "every part of the pattern is optional"
        count = match.group("before") or match.group("after")
        return "top", {"benchmark": match.group("name").strip(), "n": int(count) if count else None}
    if head == "model":
        return "model", {"name": rest}
    return "ask", {"text": rest}


def is_direct_message(channel: str | None) -> TypeGuard[str]:
    """Whether a channel id may be a direct message (those ids start with D): any DM, not only one with
    the bot, so never a permission on its own (see ``may_manage``)."""
    return channel is not None and channel.startswith("D")


def may_manage(user: dict | None, user_id: str | None, channel: str | None, managers: frozenset[str],
               own_im: bool = False) -> bool:
    """Slack's rule for changing a channel's digests: workspace admins and owners, the configured
    allow-list, and anyone in their own direct message with the bot. ``user`` is users.info's user;
    ``own_im`` says the channel is that person's IM with this bot (an event's channel_type "im", or
    conversations.info) - a channel id starting with D alone is any DM and gives no rights."""
    if (own_im and is_direct_message(channel)) or (user_id and user_id in managers):
        return True
    user = user or {}
    return bool(user.get("is_admin") or user.get("is_owner") or user.get("is_primary_owner"))


def question_from_command(body: dict, user: dict | None = None, managers: frozenset[str] = frozenset(),
                          own_im: bool = False) -> Question:
    """A ``/modelwire ...`` slash command as a Question; ``user`` (users.info) and ``own_im`` (typed in
    the person's own IM with the bot) decide digest permissions; ``user`` also the default time zone
    of a new subscription."""
    text = clean_text(body.get("text", ""))
    command, args = parse_command(text)
    channel, user_id = body.get("channel_id"), body.get("user_id")
    origin = Origin(platform="slack", workspace=body.get("team_id"), channel=channel, user=user_id,
                    can_manage=may_manage(user, user_id, channel, managers, own_im))
    tz = (user or {}).get("tz")
    if command in DIGEST_COMMANDS and tz:
        args["default_tz"] = tz
    if command == "ask":
        return Question(text=args["text"], origin=origin, conversation=key_for(origin))
    return Question(text=text, command=command, args=args, origin=origin, conversation=key_for(origin))


def question_from_action(body: dict) -> Question:
    """A "did you mean" button press: ask again with the suggested name, in the same thread."""
    action = (body.get("actions") or [{}])[0]
    message = body.get("message") or {}
    channel = (body.get("channel") or body.get("container") or {}).get("id") or \
        (body.get("container") or {}).get("channel_id")
    thread = message.get("thread_ts") or message.get("ts")
    team = (body.get("team") or {}).get("id")
    user = (body.get("user") or {}).get("id")
    origin = origin_of(team, channel, thread, user)
    return Question(text=action.get("value", ""), origin=origin, conversation=key_for(origin))
