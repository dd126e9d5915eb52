"""Shared helpers for the digest tests: a controlled clock, subscribing, and adding release records."""

from __future__ import annotations

import datetime as dt
import itertools

from bot.digests.subscriptions import handle
from bot.engine import answer
from bot.values import Origin, Question
from knowledge.packs import import_file

_packs = itertools.count(1)


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, start: dt.datetime):
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def advance(self, **delta) -> dt.datetime:
        self.now += dt.timedelta(**delta)
        return self.now


def slack_origin(channel: str = "C0001", can_manage: bool = True, user: str = "U0001") -> Origin:
    return Origin(platform="slack", workspace="T0001", channel=channel, user=user, can_manage=can_manage)


def subscribe(kb, words: str, origin: Origin, now: dt.datetime):
    """Subscribe ``origin``'s channel as a person would, through the core command."""
    reply = handle(Question(text=f"subscribe {words}", command="subscribe", args={"text": words}, origin=origin),
                   kb, now)
    assert reply.intent == "subscribe" and reply.found, reply.text
    return reply


def ask(kb, command: str, origin: Origin, words: str = ""):
    return answer(Question(text=f"{command} {words}".strip(), command=command, args={"text": words},
                           origin=origin), kb)


def add_releases(kb, tmp_path, *models: dict) -> None:
    """Import a pack with one release record per model: dicts with name, org, and optional
    open_weights, input (modalities), date, summary, score (a GPQA Diamond value)."""
    import yaml

    n = next(_packs)
    pack = {"pack": f"digest-test-{n}", "title": "Synthetic digest test data",
            "sources": [{"id": f"src-{n}", "title": f"Synthetic launch post {n}", "publisher": "Test Fixture",
                         "url": f"https://example.invalid/launch/{n}"}],
            "organizations": [{"name": m["org"]} for m in models if m["org"] not in ("Meta", "OpenAI")],
            "models": [], "releases": [], "scores": []}
    for m in models:
        model = {"name": m["name"], "org": m["org"], "released": m.get("date", "2026-11-20"), "source": f"src-{n}"}
        if "open_weights" in m:
            model["open_weights"] = m["open_weights"]
        if "input" in m:
            model["input_modalities"] = m["input"]
        pack["models"].append(model)
        pack["releases"].append({"model": m["name"], "date": m.get("date", "2026-11-20"),
                                 "title": f"{m['name']} is out", "summary": m.get("summary", "A synthetic release."),
                                 "source": f"src-{n}"})
        if "score" in m:
            pack["scores"].append({"model": m["name"], "benchmark": "GPQA Diamond", "value": m["score"],
                                   "source": f"src-{n}"})
    pack["organizations"] = [dict(t) for t in {tuple(o.items()) for o in pack["organizations"]}]
    path = tmp_path / f"digest-{n}.yaml"
    path.write_text(yaml.safe_dump(pack, sort_keys=False), encoding="utf-8")
    import_file(kb.engine, path)
    kb.refresh()
