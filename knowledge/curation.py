"""Curator tools: what an import merged, renamed or dropped, the pack JSON Schema, and telling a
models.dev catalogue from a pack.

Nothing here writes to the knowledge base. What a pack import did to names is read from the outcome:
the names the knowledge base held before the import are compared with those it holds after, so the
listing stays true however the importer decides where a record goes.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from knowledge.matching import normalize
from knowledge.packformat import PackIn, printable, record_label
from knowledge.schema import Alias, Benchmark, Model, Organization

SECTIONS = {"organizations": ("org", Organization, "organization"), "models": ("model", Model, "model"),
            "benchmarks": ("benchmark", Benchmark, "benchmark")}
SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_LAB_KEY = re.compile(r"[^/\s]+/\S+")

Names = dict[tuple[str, str], int]
"""The knowledge base's names and aliases: (kind, normalized name) -> entity id."""


@dataclass(frozen=True)
class Note:
    """One thing an import merged, renamed or left out: its kind, the record it concerns, and why."""

    kind: str
    record: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind} {printable(self.record)}: {printable(self.message, 400)}"


def known_names(engine: Engine) -> Names:
    """Every name and alias the knowledge base holds now, normalized, with the entity it names."""
    with engine.connect() as conn:
        rows = conn.execute(select(Alias.kind, Alias.norm, Alias.entity_id)).all()
    return {(kind, norm): entity_id for kind, norm, entity_id in rows}


def pack_notes(engine: Engine, pack: PackIn, before: Names) -> list[Note]:
    """What importing ``pack`` did to its names, given the names known ``before`` the import.

    A record whose name was new but that went into a record already known is ``merged`` (with the
    names it shares with it); a name or alias of a record that names another record is ``alias-dropped``.
    """
    after = known_names(engine)
    shown = _display_names(engine)
    notes: list[Note] = []
    for section, (kind, _, word) in SECTIONS.items():
        existed = {e for (k, _), e in before.items() if k == kind}
        for i, record in enumerate(getattr(pack, section)):
            label = record_label(section, i, record.model_dump())
            target = _target(kind, record, after)
            if target is None:
                continue
            notes.extend(_record_notes(kind, word, label, record, target, target in existed, before, after, shown))
    return notes


def _target(kind: str, record, after: Names) -> int | None:
    """The entity a record went into: the one its ``same_as`` names, else the one its name names."""
    same_as = getattr(record, "same_as", None)
    if same_as and (kind, normalize(same_as)) in after:
        return after[(kind, normalize(same_as))]
    return after.get((kind, normalize(record.name)))


def _record_notes(kind: str, word: str, label: str, record, target: int, existed: bool,
                  before: Names, after: Names, shown: dict) -> list[Note]:
    notes = []
    name_key = (kind, normalize(record.name))
    if existed and before.get(name_key) != target:
        shared = [n for n in record.aliases if before.get((kind, normalize(n))) == target]
        why = f" (it shares {_names(shared)})" if shared else \
            (" (same_as)" if getattr(record, "same_as", None) else "")
        notes.append(Note("merged", label, f"merged into the known {word} '{shown[kind].get(target, target)}'"
                          f"{why}; '{record.name}' is now one of its names"))
    for name in [record.name, *record.aliases]:
        owner = after.get((kind, normalize(name)))
        if owner is not None and owner != target:
            notes.append(Note("alias-dropped", label, f"'{name}' already names the {word} "
                              f"'{shown[kind].get(owner, owner)}'; left out"))
    return notes


def _names(names: list[str]) -> str:
    return f"the name{'s' if len(names) > 1 else ''} " + ", ".join(f"'{n}'" for n in names)


def _display_names(engine: Engine) -> dict[str, dict[int, str]]:
    with engine.connect() as conn:
        return {kind: dict(conn.execute(select(table.id, table.name)).all())
                for kind, table, _ in SECTIONS.values()}


def catalogue_notes(notices) -> list[Note]:
    """The converter's notices of a models.dev catalogue as notes, by kind (renames first, then dropped
    aliases, then the rest), each kind in catalogue order."""
    order = {"renamed": 0, "alias-dropped": 1}
    notes = [Note(n.kind, n.key, n.message) if hasattr(n, "kind") else Note("note", "", str(n)) for n in notices]
    return sorted(notes, key=lambda n: order.get(n.kind, 2))


def looks_like_catalogue(data: Any) -> bool:
    """Whether a document is shaped like a models.dev catalogue rather than a pack.

    Either form counts: providers, each an object with a ``models`` object (models.dev's ``api.json``),
    or one object keyed by ``lab/model-id`` whose values are objects (``models.json``). A document with
    a ``pack`` key is a pack, however broken.
    """
    if not isinstance(data, dict) or not data or "pack" in data:
        return False
    values = list(data.values())
    if all(isinstance(v, dict) and isinstance(v.get("models"), dict) for v in values):
        return True
    return all(isinstance(k, str) and _LAB_KEY.fullmatch(k) for k in data) and all(isinstance(v, dict)
                                                                                   for v in values)


def pack_schema() -> dict:
    """The JSON Schema of a knowledge pack, generated from the pack format's pydantic models."""
    return {"$schema": SCHEMA_DIALECT, **PackIn.model_json_schema()}


def schema_text() -> str:
    """``pack_schema()`` as pretty JSON, its keys in a stable order, ending with a newline."""
    return json.dumps(pack_schema(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def catalogue_import_notes(engine: Engine, raw: bytes, source_url: str, before: Names,
                           notices=None) -> list[Note]:
    """What importing a models.dev catalogue left out, renamed or merged: the converter's notices
    (``notices`` when the import returned them, else those of converting ``raw`` again), then what the
    converted pack's import did to names known ``before`` it."""
    import datetime as dt

    from knowledge.importers.modelsdev import convert
    from knowledge.packformat import pack_from

    conversion = convert(raw, source_url=source_url, fetched=dt.date.today())
    pack = pack_from(conversion.pack, f"models.dev catalogue from {source_url}")
    converted = catalogue_notes(conversion.notices if notices is None else notices)
    return converted + pack_notes(engine, pack, before)
