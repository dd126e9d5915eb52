"""Importers turn public data into knowledge-pack documents; the pack importer writes them.

- ``modelsdev``: the models.dev catalogue (models.json) to a pack document.
- ``fetch``: a polite HTTP GET (conditional, retried, size-checked) for the data they read.
- ``labs`` and ``benchmarks``: naming rules the importers share.
"""

from __future__ import annotations

import json
from pathlib import Path


def write_pack(document: dict, path: Path) -> Path:
    """Write a pack document as a JSON pack file (what ``knowledge.packs.import_file`` reads); returns the path."""
    path = Path(path)
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path
