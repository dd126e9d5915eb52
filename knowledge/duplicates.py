"""Records that may be one model but were not merged: what ``modelwire kb duplicates`` lists.

Imports merge only what is certain (see ``knowledge.identity``). What is left for a curator: two
models of one organization whose names differ only by size or tuning tokens while a third shares
their core name, and one name used by models of two organizations.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from itertools import combinations

from sqlalchemy import select
from sqlalchemy.engine import Engine

from knowledge.identity import core, one_model
from knowledge.matching import normalize
from knowledge.schema import Model, Organization, PackMember

_RENAMED = re.compile(r"^(?P<name>.+) \((?P<org>[^()]+)\)$")
"""A model an import named with its organization because another organization's model had the name."""


@dataclass(frozen=True)
class Candidate:
    """One model as listed: its name, organization and the packs that describe it."""

    id: int
    name: str
    org: str
    packs: tuple[str, ...]


@dataclass(frozen=True)
class Pair:
    """Two models that may be one, why, and the line a pack would need to merge them."""

    first: Candidate
    second: Candidate
    reason: str

    @property
    def suggestion(self) -> str:
        """Where to say they are one model, if they are."""
        pack = self.second.packs[0] if self.second.packs else "its pack"
        return f"if they are one model, add `same_as: {self.first.name}` to '{self.second.name}' in pack {pack}"


def likely_duplicates(engine: Engine) -> list[Pair]:
    """Every pair of models that may be one model, grouped as described in the module docstring."""
    candidates, roots = _candidates(engine)
    pairs = []
    by_core: dict[tuple[int, tuple], list[Candidate]] = {}
    by_name: dict[str, list[Candidate]] = {}
    for c in candidates:
        by_core.setdefault((roots[c.id], core(c.name)), []).append(c)
        match = _RENAMED.match(c.name)
        by_name.setdefault(normalize(match["name"] if match else c.name), []).append(c)
    for group in by_core.values():
        for a, b in combinations(group, 2):
            if len(group) > 2 and one_model(a.name, b.name):
                others = len(group) - 2
                share = "s share" if others > 1 else " shares"
                pairs.append(Pair(a, b, f"same organization and the names differ only by size or tuning, "
                                        f"but {others} other model{share} the core name"))
    for group in by_name.values():
        for a, b in combinations(group, 2):
            if roots[a.id] != roots[b.id]:
                pairs.append(Pair(a, b, f"the same name, from two organizations ({a.org}, {b.org})"))
    return pairs


def _candidates(engine: Engine) -> tuple[list[Candidate], dict[int, int]]:
    with engine.connect() as conn:
        parents = dict(conn.execute(select(Organization.id, Organization.parent_id)).all())
        org_names = dict(conn.execute(select(Organization.id, Organization.name)).all())
        packs: dict[int, list[str]] = {}
        for pack_id, model_id in conn.execute(select(PackMember.pack_id, PackMember.entity_id)
                                              .where(PackMember.kind == "model").order_by(PackMember.pack_id)):
            packs.setdefault(model_id, []).append(pack_id)
        rows = conn.execute(select(Model.id, Model.name, Model.org_id).order_by(Model.id)).all()
    roots = {model_id: _root(parents, org_id) for model_id, _, org_id in rows}
    return [Candidate(i, name, org_names[org], tuple(packs.get(i, ()))) for i, name, org in rows], roots


def _root(parents: dict[int, int | None], org_id: int) -> int:
    seen: set[int] = set()
    while (parent := parents.get(org_id)) is not None and org_id not in seen:
        seen.add(org_id)
        org_id = parent
    return org_id
