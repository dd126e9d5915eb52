"""The repository keeps its promises to a new user: README commands and CI run the same tests."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _readme_block(marker: str) -> str:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(rf"<!-- {marker} -->\s*```(?:sh|bash)?\n(.*?)```", readme, re.S)
    assert match, f"README.md has no block marked {marker}"
    return match.group(1).strip()


def test_ci_runs_the_readme_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for line in _readme_block("test-command").splitlines():
        assert line.strip() in ci, line


def test_readme_run_command_asks_a_question():
    assert "modelwire ask" in _readme_block("run-command")


def test_env_example_names_the_database_setting():
    assert "MODELWIRE_DATABASE_URL" in (ROOT / ".env.example").read_text(encoding="utf-8")
