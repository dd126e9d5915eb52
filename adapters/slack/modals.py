"""The "Subscribe to release digests" modal: its view, and its submission read back as ``subscribe`` words.

Pure functions, no I/O. The modal's inputs are the parts of ``subscribe`` (``bot.digests.arguments``):
cadence, day, time, time zone (an external select fed by ``complete_zone``), organizations (a multi
external select fed by the knowledge base's alias index), and the finder filters. A submission is
turned into the same words a person would type, and checked by the same parser; a problem is shown
under the input it belongs to (``response_action: errors``, keyed by block id).
"""

from __future__ import annotations

import json
from collections.abc import Callable

from bot.digests.arguments import MODALITIES, Usage, complete_zone
from bot.digests.cadence import DAYS
from knowledge.matching import AliasIndex

CALLBACK = "modelwire_subscribe"
TZ_ACTION = "modelwire_tz"
ORGS_ACTION = "modelwire_orgs"
FLAGS = (("open-weights", "Open weights only"), ("reasoning", "Reasoning models only"),
         ("tool-calling", "With tool calling"), ("updates", "Also changes to known models"))
"""The checkbox filters: (the word ``subscribe`` takes, its label)."""
ORDER = ("cadence", "time", "day", "tz", "orgs", "flags", "input", "min_context", "max_price", "licence")
"""The inputs in the order their words are checked: each problem is shown under the first input that causes it."""
MAX_OPTIONS = 100
"""Slack's limit on the options of one select."""
MAX_ERROR = 300


def _text(text: str) -> dict:
    return {"type": "plain_text", "text": text[:75]}


def _option(label: str, value: str) -> dict:
    return {"text": _text(label), "value": value[:150]}


def _input(block_id: str, label: str, element: dict, optional: bool = True, hint: str | None = None) -> dict:
    block = {"type": "input", "block_id": block_id, "label": _text(label), "optional": optional,
             "element": {"action_id": block_id, **element}}
    if hint:
        block["hint"] = {"type": "plain_text", "text": hint}
    return block


def _initial(element: dict, value, option: dict | None) -> dict:
    return {**element, "initial_option": option} if value else element


def view(channel: str | None, settings: dict | None = None, edit: int | None = None,
         origin: str = "command") -> dict:
    """The modal for subscribing ``channel`` (None: a channel select asks which), filled in from
    ``settings`` (``bot.digests.manage.settings_of``; a new subscription's ``tz`` is the person's zone).
    ``edit`` is the id of the subscription it replaces; ``origin`` ("command" or "home") says where the
    confirmation goes. These travel in ``private_metadata``."""
    s = settings or {}
    blocks: list[dict] = []
    if channel:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": f"Release digests for <#{channel}>"}})
    else:
        blocks.append(_input("channel", "Channel", {"type": "conversations_select", "filter": {
            "include": ["public", "private"]}}, optional=False))
    cadence = s.get("cadence") or "daily"
    cadences = [_option(c.capitalize(), c) for c in ("instant", "daily", "weekly")]
    blocks.append(_input("cadence", "How often", {"type": "static_select", "options": cadences,
                                                  "initial_option": next(o for o in cadences
                                                                         if o["value"] == cadence)},
                         optional=False))
    days = [_option(d.capitalize(), d) for d in DAYS]
    blocks.append(_input("day", "Day (weekly)", _initial({"type": "static_select", "options": days}, s.get("day"),
                                                          next((o for o in days if o["value"] == s.get("day")),
                                                               None))))
    blocks.append(_input("time", "Time", {"type": "timepicker", "initial_time": s.get("time") or "09:00"},
                         hint="Daily and weekly digests come at this time in the time zone below."))
    zone = s.get("tz")
    element = {"type": "external_select", "min_query_length": 1, "action_id": TZ_ACTION}
    blocks.append(_input("tz", "Time zone", _initial(element, zone, _option(zone, zone) if zone else None)))
    orgs = [_option(name, name) for name in s.get("orgs") or []]
    element = {"type": "multi_external_select", "min_query_length": 1, "action_id": ORGS_ACTION}
    blocks.append(_input("orgs", "Organizations", {**element, "initial_options": orgs} if orgs else element,
                         hint="Only their releases; none: every organization."))
    flags = [_option(label, word) for word, label in FLAGS]
    chosen = [o for o, (word, _) in zip(flags, FLAGS) if s.get(word.replace("-", "_"))]
    checkboxes = {"type": "checkboxes", "options": flags}
    blocks.append(_input("flags", "Filters", {**checkboxes, "initial_options": chosen} if chosen else checkboxes))
    modalities = [_option(m, m) for m in MODALITIES]
    blocks.append(_input("input", "Takes input", _initial({"type": "static_select", "options": modalities},
                                                          s.get("input"), next((o for o in modalities
                                                                                if o["value"] == s.get("input")),
                                                                               None))))
    for block_id, label, placeholder, key in (("min_context", "Context window, at least", "128k", "min_context"),
                                              ("max_price", "Input price, at most (US$ per million tokens)",
                                               "1.50", "max_price"),
                                              ("licence", "Licence contains", "apache", "licence")):
        element = {"type": "plain_text_input", "placeholder": _text(placeholder)}
        if s.get(key) not in (None, ""):
            element["initial_value"] = f"{s[key]:g}" if isinstance(s[key], float) else str(s[key])
        blocks.append(_input(block_id, label, element))
    metadata = json.dumps({"channel": channel, "edit": edit, "origin": origin})
    return {"type": "modal", "callback_id": CALLBACK, "private_metadata": metadata,
            "title": _text("Release digests"), "submit": _text("Save" if edit else "Subscribe"),
            "close": _text("Cancel"), "blocks": blocks}


def metadata(view_payload: dict) -> dict:
    """What ``view`` put in ``private_metadata`` (channel, edit, origin); empty when it is unreadable."""
    try:
        data = json.loads(view_payload.get("private_metadata") or "{}")
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _values(view_payload: dict) -> dict[str, dict]:
    """The submitted state: block id -> the element's state (one action per block here)."""
    state = (view_payload.get("state") or {}).get("values") or {}
    return {block: next(iter(actions.values()), {}) for block, actions in state.items() if isinstance(actions, dict)}


def _selected(element: dict) -> str | None:
    option = element.get("selected_option") or {}
    return option.get("value")


def _many(element: dict) -> list[str]:
    return [o.get("value") for o in element.get("selected_options") or [] if o.get("value")]


def channel_of(view_payload: dict) -> str | None:
    """The channel the submission subscribes: the one the modal was opened for, else the one chosen."""
    return metadata(view_payload).get("channel") or _values(view_payload).get("channel", {}).get(
        "selected_conversation")


def words(view_payload: dict) -> dict[str, list[str]]:
    """A submission as ``subscribe`` words, per input (block id -> its words; empty when not filled)."""
    values = _values(view_payload)
    cadence = _selected(values.get("cadence", {})) or "daily"
    out: dict[str, list[str]] = {block: [] for block in ORDER}
    out["cadence"] = [cadence]
    time = values.get("time", {}).get("selected_time")
    if time and cadence != "instant":
        out["time"] = [time]
    day = _selected(values.get("day", {}))
    if day and cadence != "instant":
        out["day"] = [day]
    zone = _selected(values.get("tz", {}))
    if zone:
        out["tz"] = ["tz", zone]
    orgs = _many(values.get("orgs", {}))
    if orgs:
        out["orgs"] = ["org", *" , ".join(orgs).split()]
    out["flags"] = _many(values.get("flags", {}))
    modality = _selected(values.get("input", {}))
    if modality:
        out["input"] = ["input", modality]
    for block, word in (("min_context", "min-context"), ("max_price", "max-price"), ("licence", "licence")):
        typed = (values.get(block, {}).get("value") or "").split()
        if typed:
            out[block] = [word, *typed]
    return out


def check(parts: dict[str, list[str]], parse: Callable[[str], object]) -> tuple[str, dict[str, str]]:
    """The submission's ``subscribe`` text, and its problems by block id (empty when it is fine).

    Inputs are added in ``ORDER``; each is checked by ``parse`` (the core's, raising Usage) together with
    the ones before it that were fine, so a problem is shown under the input that causes it.
    """
    kept: list[str] = []
    errors: dict[str, str] = {}
    for block in ORDER:
        if not parts.get(block):
            continue
        trial = [*kept, *parts[block]]
        try:
            parse(" ".join(trial))
        except Usage as problem:
            errors[block] = str(problem)[:MAX_ERROR]
            continue
        kept = trial
    return " ".join(kept), errors


def zone_options(query: str) -> list[dict]:
    """Options for the time-zone select: the zones the ``subscribe`` parser would take for ``query``."""
    return [_option(zone, zone) for zone in complete_zone(query, MAX_OPTIONS)]


def org_options(query: str, index: AliasIndex) -> list[dict]:
    """Options for the organizations select: the knowledge base's organizations matching ``query``."""
    return [_option(name, name) for name in index.complete(query, ["org"], MAX_OPTIONS)]
