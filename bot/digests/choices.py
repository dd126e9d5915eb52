"""Organizations to offer when someone subscribes without naming them, or names one not known.

Chat adapters show these as a pick list (Discord's select menu holds 25 options). The most relevant
organizations are those with the most models in the knowledge base; a name typed is answered with
the organization it names, else the closest names and those starting with it.
"""

from __future__ import annotations

from sqlalchemy import func, select

from bot.find_command import close_orgs
from knowledge.schema import Model, Organization
from knowledge.store import KnowledgeBase

PICK_LIMIT = 25
"""The most options one Discord select menu holds."""


def models_per_org(kb: KnowledgeBase) -> list[tuple[str, int]]:
    """Every organization with its number of models, most models first, then by name."""

    def load() -> list[tuple[str, int]]:
        count = func.count(Model.id)
        query = (select(Organization.name, count).outerjoin(Model, Model.org_id == Organization.id)
                 .group_by(Organization.id, Organization.name).order_by(count.desc(), Organization.name))
        with kb.engine.connect() as conn:
            return [(name, int(n)) for name, n in conn.execute(query).all()]

    return kb.memo("subscribe-orgs-by-models", load)


def org_choices(kb: KnowledgeBase, typed: list[str] | None = None, limit: int = PICK_LIMIT) -> list[str]:
    """At most ``limit`` organization names to pick from, each once.

    Nothing typed: the organizations with the most models. Names typed: for each, the organization it
    names exactly, else the matcher's closest names and the names starting with it (what autocomplete
    offers), in that order.
    """
    if not typed:
        return [name for name, _ in models_per_org(kb)[:limit]]
    index = kb.index()
    out: list[str] = []
    for name in (n.strip() for n in typed if n and n.strip()):
        res = index.resolve(name, ["org"])
        guessed = [index.name(res.ref)] if res.ref is not None else []  # a typo read: offered, never assumed
        if res.ref is not None and res.status != "fuzzy":
            found = guessed
        else:
            found = guessed + list(res.suggestions) + close_orgs(kb, name) + index.complete(name, ["org"], limit=limit)
        out += [n for n in found if n not in out]
    return out[:limit]


def org_count(kb: KnowledgeBase) -> int:
    """How many organizations the knowledge base knows."""
    return len(models_per_org(kb))


def unknown_orgs(kb: KnowledgeBase, typed: list[str]) -> list[str]:
    """The names in ``typed`` that do not name one organization exactly (those ``subscribe`` refuses)."""
    index = kb.index()
    out = []
    for name in (n.strip() for n in typed if n and n.strip()):
        res = index.resolve(name, ["org"])
        if res.ref is None or res.status == "fuzzy":
            out.append(name)
    return out
