"""Imports point one way (ARCHITECTURE.md): adapters → bot → knowledge, never back.

Every ``.py`` file is parsed with ``ast``, so imports inside functions and under ``TYPE_CHECKING`` count
too. ``bot.cli`` names adapter commands as strings for ``importlib``; that is not an import.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FORBIDDEN = {"bot": {"adapters"}, "knowledge": {"adapters", "bot"}}
"""For each package, the packages it must not import."""


def imported_packages(source: str, package: str) -> list[tuple[int, str]]:
    """``(line, module)`` of every absolute import in ``source``; relative imports resolve within ``package``."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            found.append((node.lineno, package if node.level else node.module or ""))
    return found


def violations(root: Path) -> list[str]:
    """``path:line imports module`` for every import under ``root`` that goes the wrong way."""
    problems = []
    for package, forbidden in FORBIDDEN.items():
        for path in sorted((root / package).rglob("*.py")):
            for line, module in imported_packages(path.read_text(encoding="utf-8"), package):
                if module.split(".")[0] in forbidden:
                    problems.append(f"{path.relative_to(root)}:{line} imports {module}")
    return problems


def test_no_package_imports_a_layer_above_it():
    assert violations(ROOT) == []


@pytest.mark.parametrize("package, source", [
    ("knowledge", "import bot.values\n"),
    ("knowledge", "from adapters.slack import render\n"),
    ("bot", "def later():\n    from adapters.console.app import ask\n"),
    ("bot", "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import adapters.settings\n"),
])
def test_a_wrong_way_import_is_caught(tmp_path, package, source):
    (tmp_path / package / "sub").mkdir(parents=True)
    (tmp_path / package / "sub" / "bad.py").write_text(source, encoding="utf-8")
    (tmp_path / package / "good.py").write_text("import json\nfrom . import sub\n", encoding="utf-8")
    found = violations(tmp_path)
    assert len(found) == 1 and found[0].startswith(f"{package}/sub/bad.py:")


def test_allowed_directions_pass(tmp_path):
    (tmp_path / "bot").mkdir()
    (tmp_path / "knowledge").mkdir()
    (tmp_path / "bot" / "ok.py").write_text("from knowledge.store import KnowledgeBase\nimport botany\n")
    (tmp_path / "knowledge" / "ok.py").write_text("import knowledge.schema\nfrom bottle import x\n")
    assert violations(tmp_path) == []
