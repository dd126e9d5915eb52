"""Discord payloads -> platform-neutral Questions. Pure functions, no I/O.

Conversations (follow-up questions such as "and GPT-5.4?", see ``bot.conversation``) are per person
and channel, "discord:GUILD:CHANNEL:user:USER" ("discord:-:CHANNEL:user:USER" in a direct message):
the bot answers with a reply, not in a thread, so a person's next mention in that channel continues
their conversation, and a reply to one of its answers too (Discord makes a reply a mention of the
replied-to author unless the person turns that off; without the Message Content intent the bot gets
no text of other messages). A Discord thread is a channel of its own, so it has its own
conversations. Slash commands and "did you mean" buttons continue the same conversation.
"""

from __future__ import annotations

import dataclasses
import re

from adapters.convert import split_names
from bot.conversation import key_for
from bot.digests.subscriptions import COMMANDS as DIGEST_COMMANDS
from bot.find_command import OPTIONS as FIND_OPTIONS
from bot.values import Origin, Question

ASK_PREFIX = "modelwire:ask:"
"""custom_id of a "did you mean" button: the prefix, the button's index, ':', the question to ask."""
MAX_CUSTOM_ID = 100
ASK_CUSTOM_ID = re.compile(rf"^{re.escape(ASK_PREFIX)}\d+:(?P<question>.*)$", re.S)


_PINGS = re.compile(r"<@[!&]?\d+>|<#\d+>|@everyone\b|@here\b")


def clean_text(content: str, bot_id: int | None = None) -> str:
    """What the person asked: user, role and channel mentions, @everyone and @here removed.

    They name people or places, never models, so they are no part of the question.
    """
    return " ".join(_PINGS.sub(" ", content or "").split())


def origin_of(guild: int | None, channel: int | None, thread: int | None, user: int | None,
              manage_channels: bool = False) -> Origin:
    """Where a Discord question came from (ids as strings, like the other adapters).

    Discord's rule for changing a channel's digests: the Manage Channels permission there, or a
    direct message with the bot (no guild).
    """
    as_str = lambda v: None if v is None else str(v)  # noqa: E731
    return Origin(platform="discord", workspace=as_str(guild), channel=as_str(channel), thread=as_str(thread),
                  user=as_str(user), can_manage=guild is None or manage_channels)


def question_from_message(content: str, bot_id: int | None, origin: Origin) -> Question:
    """A mention of the bot or a direct message as a free-text Question in the author's conversation."""
    return Question(text=clean_text(content, bot_id), origin=origin, conversation=key_for(origin))


def question_from_command(name: str, options: dict, origin: Origin) -> Question:
    """An application command (/ask, /compare, /top, /model, /find, /help) and its options as a Question
    in the person's conversation in that channel."""
    return dataclasses.replace(_command_question(name, options, origin), conversation=key_for(origin))


def _command_question(name: str, options: dict, origin: Origin) -> Question:
    if name == "ask":
        return Question(text=str(options.get("question") or ""), origin=origin)
    if name == "compare":
        models = split_names(options.get("models") or "")
        bench = (options.get("benchmark") or "").strip() or None
        text = ", ".join(models) + (f" on {bench}" if bench else "")
        return Question(text=f"compare {text}", command="compare", args={"models": models, "benchmark": bench},
                        origin=origin)
    if name == "top":
        bench = (options.get("benchmark") or "").strip()
        n = options.get("n")
        return Question(text=f"top {n or ''} {bench}".replace("  ", " ").strip(), command="top",
                        args={"benchmark": bench, "n": n}, origin=origin)
    if name == "model":
        model = (options.get("name") or "").strip()
        return Question(text=model, command="model", args={"name": model}, origin=origin)
    if name == "find":
        return find_question(options, origin)
    if name.partition(" ")[0] in DIGEST_COMMANDS:
        return _digest_question(name, options, origin)
    return Question(text="help", command="help", origin=origin)


def find_question(options: dict, origin: Origin) -> Question:
    """/find: the typed options given (None is not given; False is) as the find command's args."""
    args = {k: options[k] for k in FIND_OPTIONS if options.get(k) is not None and options.get(k) != ""}
    shown = " ".join(f"{k}:{v}" for k, v in args.items())
    return Question(text=f"/find {shown}".strip(), command="find", args=args, origin=origin)


def _digest_question(name: str, options: dict, origin: Origin) -> Question:
    """/subscribe (typed options), /unsubscribe [number], /subscriptions and /digest preview."""
    shown = " ".join(f"{k}:{v}" for k, v in options.items() if v not in (None, "", False))
    text = f"/{name} {shown}".strip()
    if name == "subscribe":
        args = {"cadence": options.get("cadence"), "time": options.get("time"), "day": options.get("day"),
                "tz": options.get("tz"), "orgs": split_names(options.get("orgs") or ""),
                "open_weights": bool(options.get("open_weights")), "input": options.get("input"),
                "updates": bool(options.get("updates")), "min_context": options.get("min_context"),
                "max_price": options.get("max_price"), "reasoning": bool(options.get("reasoning")),
                "tool_calling": bool(options.get("tool_calling")), "licence": options.get("licence")}
        return Question(text=text, command="subscribe", args=args, origin=origin)
    if name == "unsubscribe":
        number = options.get("number")
        return Question(text=text, command="unsubscribe", args={"text": str(number or "")}, origin=origin)
    if name == "subscriptions":
        return Question(text=text, command="subscriptions", origin=origin)
    return Question(text=text, command="digest", args={"text": "preview"}, origin=origin)


def ask_custom_id(index: int, question: str, fallback: str | None = None) -> str:
    """The custom_id of a button that asks ``question``.

    Discord allows 100 characters; a question that does not fit is never cut (a cut question could
    ask something else): ``fallback`` (the suggested name alone) is asked instead.
    """
    custom_id = f"{ASK_PREFIX}{index}:{question}"
    if len(custom_id) > MAX_CUSTOM_ID and fallback is not None:
        custom_id = f"{ASK_PREFIX}{index}:{fallback}"
    return custom_id[:MAX_CUSTOM_ID]


def question_from_custom_id(custom_id: str, origin: Origin) -> Question | None:
    """A "did you mean" button press as the followup Question; None for any other component."""
    match = ASK_CUSTOM_ID.match(custom_id or "")
    if not match:
        return None
    return Question(text=match.group("question"), origin=origin, conversation=key_for(origin))


def complete_choices(names: list[str], current: str, multi: bool = False, limit: int = 25) -> list[tuple[str, str]]:
    """Autocomplete (name, value) pairs, at most ``limit``; each at most 100 characters.

    For a comma-separated option (``multi``) the completed name replaces the last, partly typed one.
    """
    head = ""
    if multi and "," in current:
        head = current.rsplit(",", 1)[0].strip() + ", "
    out: list[tuple[str, str]] = []
    for name in names:
        value = head + name
        if len(value) <= 100 and (value, value) not in out:
            out.append((value, value))
        if len(out) >= limit:
            break
    return out


def last_segment(current: str, multi: bool) -> str:
    """The part of an option being typed that autocomplete should match."""
    return (current.rsplit(",", 1)[-1] if multi else current or "").strip()
