"""The App Home tab: what to ask, what the knowledge base holds, this workspace's digests. Pure, no I/O.

``view`` builds the ``views.publish`` view from plain data (counts, the last models.dev sync, the
workspace's subscriptions from ``bot.digests.manage``); Edit, Remove and "Subscribe…" buttons are
there only for people who may change digests.
"""

from __future__ import annotations

from adapters.slack.render import escape
from bot.answers.help import EXAMPLES

SUBSCRIBE_ACTION = "modelwire_home_subscribe"
EDIT_ACTION = "modelwire_home_edit"
REMOVE_ACTION = "modelwire_home_remove"
MAX_LISTED = 40
"""Subscriptions listed at most (two blocks each; a Home tab holds at most 100 blocks)."""
WHO_MAY = "Workspace admins and owners and the people on modelwire's allow-list can change digests."


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text[:3000]}}


def _button(text: str, action: str, value: str = "", style: str | None = None) -> dict:
    button: dict = {"type": "button", "action_id": action, "text": {"type": "plain_text", "text": text}}
    if value:
        button["value"] = value
    if style:
        button["style"] = style
    return button


def _remove_button(sub: dict) -> dict:
    button = _button("Remove", REMOVE_ACTION, str(sub["id"]), "danger")
    button["confirm"] = {"title": {"type": "plain_text", "text": "Remove this digest?"},
                         "text": {"type": "mrkdwn", "text": f"<#{sub['channel']}>: {escape(sub['digest'])}"[:300]},
                         "confirm": {"type": "plain_text", "text": "Remove"},
                         "deny": {"type": "plain_text", "text": "Keep it"}}
    return button


def _knowledge(counts: dict[str, int], synced_at: str | None) -> list[dict]:
    text = (f"*What the knowledge base holds:* {counts.get('models', 0):,} models, "
            f"{counts.get('benchmarks', 0):,} benchmarks, {counts.get('scores', 0):,} scores and "
            f"{counts.get('releases', 0):,} release records, every number with its source.")
    synced = f"Catalogue last synced from models.dev: {escape(synced_at)}" if synced_at else \
        "The catalogue has not been synced from models.dev here."
    return [_section(text), {"type": "context", "elements": [{"type": "mrkdwn", "text": synced}]}]


def _subscriptions(subs: list[dict], can_manage: bool) -> list[dict]:
    blocks: list[dict] = [{"type": "header", "text": {"type": "plain_text", "text": "Release digests"}}]
    if not subs:
        blocks.append(_section("No channel in this workspace gets release digests yet."))
    for sub in subs[:MAX_LISTED]:
        state = "" if sub.get("active", True) else " _(off)_"
        blocks.append(_section(f"<#{sub['channel']}>{state}: {escape(sub['digest'])}\nNext: {escape(sub['next'])}"))
        if can_manage:
            blocks.append({"type": "actions", "block_id": f"modelwire_sub_{sub['id']}", "elements": [
                _button("Edit", EDIT_ACTION, str(sub["id"])), _remove_button(sub)]})
    if len(subs) > MAX_LISTED:
        blocks.append(_section(f"…and {len(subs) - MAX_LISTED} more: `/modelwire subscriptions` in a channel "
                               "lists its own."))
    if can_manage:
        blocks.append({"type": "actions", "block_id": "modelwire_home_subscribe", "elements": [
            _button("Subscribe…", SUBSCRIBE_ACTION, style="primary")]})
    else:
        blocks.append({"type": "context", "elements": [{"type": "mrkdwn", "text": WHO_MAY}]})
    return blocks


def view(counts: dict[str, int], synced_at: str | None, subs: list[dict], can_manage: bool) -> dict:
    """The Home tab for one person: examples, the knowledge base's size and last sync, and the workspace's
    digest subscriptions (``bot.digests.manage.workspace_subscriptions``), editable when ``can_manage``."""
    examples = "\n".join(f"• {escape(e)}" for e in EXAMPLES)
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "modelwire"}},
        _section("Answers about AI models, benchmarks and releases, with sources. Mention me in a channel, "
                 "send me a direct message, use `/modelwire`, or pick *Ask modelwire* on any message."),
        _section(f"*Try asking:*\n{examples}"),
        *_knowledge(counts, synced_at),
        {"type": "divider"},
        *_subscriptions(subs, can_manage),
    ]
    return {"type": "home", "blocks": blocks}
