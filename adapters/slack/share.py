"""Private answers to ``/modelwire`` and their "Share in channel" button. Pure functions, no I/O.

A ``/modelwire`` reply is ephemeral: only the person who typed it sees it. An answer worth showing
others (not help, a usage line, a refusal or a "did you mean") carries a "Share in channel" button
whose value is the command's text; pressing it answers that text again, in the same conversation, and
posts it to the channel "shared by" the person (``shared``), replacing the private copy.
Buttons that were used are taken out of their message (``resolved``), so no stale button stays live.
"""

from __future__ import annotations

from adapters.slack.render import MAX_BLOCKS, escape
from bot.values import Answer

SHARE_ACTION = "modelwire_share"
SHARE_BLOCK = "modelwire_share"
MAX_VALUE = 2000
"""Slack's limit on a button's value: a longer command is answered without a share button."""
PRIVATE_INTENTS = ("help", "usage", "refused", "unknown", "subscribe", "unsubscribe", "subscriptions", "digest")
"""Answers never offered for sharing: help and errors are for the asker, and digest commands would run
again (subscribe, unsubscribe) if they were answered once more."""


def shareable(answer: Answer | None, text: str) -> bool:
    """Whether a ``/modelwire`` answer gets a share button: a found answer that is not help, an error,
    a refusal, a "did you mean" or a digest command, to a command short enough to carry."""
    return (answer is not None and answer.found and answer.intent not in PRIVATE_INTENTS
            and not answer.suggestions and 0 < len(text) <= MAX_VALUE)


def ephemeral(reply: dict, share_text: str | None = None) -> dict:
    """A response_url payload only the asker sees; with ``share_text``, a "Share in channel" button
    that asks it again for everyone."""
    blocks = list(reply["blocks"])
    if share_text:
        button = {"type": "button", "action_id": SHARE_ACTION, "value": share_text, "style": "primary",
                  "text": {"type": "plain_text", "text": "Share in channel"}}
        blocks = blocks[: MAX_BLOCKS - 1] + [{"type": "actions", "block_id": SHARE_BLOCK, "elements": [button]}]
    return {"response_type": "ephemeral", "text": reply["text"], "blocks": blocks}


def _byline(user: str | None, verb: str) -> dict:
    who = f"<@{user}>" if user and user.isalnum() else "someone"
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{verb} {who}"}]}


def shared(reply: dict, user: str | None) -> dict:
    """A chat.postMessage payload of an answer someone shared: the answer, then "shared by <@user>"."""
    blocks = list(reply["blocks"])[: MAX_BLOCKS - 1] + [_byline(user, "Shared by")]
    return {"text": reply["text"], "blocks": blocks}


def resolved(message: dict, user: str | None, choice: str) -> dict | None:
    """A message whose "did you mean" buttons were used, without them: its other blocks, then who chose
    what. None when the message's blocks are unknown (an ephemeral message is not sent back by Slack)."""
    blocks = message.get("blocks")
    if not isinstance(blocks, list) or not blocks:
        return None
    kept = [b for b in blocks if not (isinstance(b, dict) and b.get("type") == "actions")]
    who = f"<@{user}> picked" if user and user.isalnum() else "Picked"
    note = {"type": "context", "elements": [{"type": "mrkdwn", "text": f"{who} {escape(choice)}"}]}
    return {"replace_original": True, "text": message.get("text") or escape(choice),
            "blocks": kept[: MAX_BLOCKS - 1] + [note]}
