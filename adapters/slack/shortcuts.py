"""The "Ask modelwire" message shortcut and the share button as Questions. Pure functions, no I/O."""

from __future__ import annotations

from adapters.slack.convert import question_from_command, question_from_event
from bot.values import Question

ASK_SHORTCUT = "modelwire_ask_message"
"""The callback id of the message shortcut (declared in manifest.yaml)."""


def _ids(body: dict) -> tuple[str | None, str | None, str | None]:
    """(team, channel, user) of an interaction payload (shortcut, button press)."""
    team = (body.get("team") or {}).get("id") or (body.get("user") or {}).get("team_id")
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id")
    return team, channel, (body.get("user") or {}).get("id")


def question_from_shortcut(body: dict) -> Question:
    """A message shortcut on a message: its text asked in that message's thread (the thread it is in, else
    the one it starts), in that thread's conversation, as if the person had mentioned the bot there."""
    team, channel, user = _ids(body)
    message = body.get("message") or {}
    event = {"text": message.get("text") or "", "ts": message.get("ts") or body.get("message_ts"),
             "thread_ts": message.get("thread_ts"), "channel": channel, "user": user}
    return question_from_event(event, team)


def question_from_share(body: dict) -> Question:
    """A "Share in channel" press: the ``/modelwire`` text it carries, asked again in the person's
    conversation in that channel (the one the private answer came from)."""
    team, channel, user = _ids(body)
    value = ((body.get("actions") or [{}])[0]).get("value") or ""
    return question_from_command({"text": value, "team_id": team, "channel_id": channel, "user_id": user})
