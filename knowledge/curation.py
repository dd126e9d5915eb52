"""Curator tools: what an import merged, renamed or dropped, the pack JSON Schema, and telling a
models.dev catalogue from a pack.

Nothing here writes to the knowledge base. What an import merged, renamed or left out is what the pack
writer decided (``ImportResult.notes``, ``SyncResult.import_notes``), listed with the models.dev
converter's own notices.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from knowledge.packformat import PackIn, printable

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
_LAB_KEY = re.compile(r"[^/\s]+/\S+")


@dataclass(frozen=True)
class Note:
    """One thing an import merged, renamed or left out: its kind, the record it concerns, and why."""

    kind: str
    record: str
    message: str

    def __str__(self) -> str:
        return f"{self.kind} {printable(self.record)}: {printable(self.message, 400)}"


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
