"""Which source states each field of a model, and where sources disagree about it."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from bot import format as fmt
from knowledge.claims import CLAIM_FIELDS
from knowledge.store import KnowledgeBase

COLUMN = {"input": "input_modalities", "output": "output_modalities", "context": "context_window",
          "output_m": "output_modalities", "input_price": "pricing", "output_price": "pricing",
          "open": "open_weights", "cutoff": "knowledge_cutoff"}
"""Answer field names that are not the name of the model column they show."""


def source_id(model, field: str) -> int | None:
    """The id of the source that states ``field`` of a model: its own source when the model keeps field
    sources (None for a field no source gave, such as a format default), else the record's source."""
    column = COLUMN.get(field, field)
    sources = getattr(model, "field_sources", None)
    if sources is None or column not in CLAIM_FIELDS:
        return model.source_id
    return sources.get(column)


def markers(kb: KnowledgeBase, cites: fmt.Citations, model, fields: Iterable[str]) -> str:
    """The citation markers of the sources of these fields of a model, each once ("[1][2]", or "")."""
    seen: list[str] = []
    for field in fields:
        marker = cites.cite(kb.source(source_id(model, field)))
        if marker and marker not in seen:
            seen.append(marker)
    return "".join(seen)


def other_values(kb: KnowledgeBase, cites: fmt.Citations, model_id: int, field: str,
                 show: Callable[[Any], str | None]) -> list[str]:
    """Each other value sources give for a model field, with its source: ["512K tokens per The Verge [2]"]."""
    parts = []
    for value, source in kb.field_claims(model_id).get(COLUMN.get(field, field), [])[1:]:
        text = show(value)
        if text:
            label = f" per {source.label}" if source else ""
            parts.append(f"{text}{label} {cites.cite(source)}".rstrip())
    return parts
