"""The package as installed: its extras, markers, licence and version, and commands that name a missing extra.

The missing-library cases run the CLI in a child process whose import system refuses the hidden modules
(a meta-path finder inserted first), so nothing is uninstalled.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from bot.cli import EXTRAS, cli, extra_for
from knowledge import __version__
from knowledge.importers.fetch import USER_AGENT

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
OPTIONAL = PYPROJECT["project"]["optional-dependencies"]
DISTRIBUTION = {"slack_bolt": "slack-bolt", "slack_sdk": "slack-sdk", "aiohttp": "aiohttp", "discord": "discord-py",
                "matplotlib": "matplotlib", "psycopg": "psycopg"}
"""The distribution that installs each module of ``bot.cli.EXTRAS`` (normalised names)."""
OPTIONAL_MODULES = ",".join(DISTRIBUTION)
HIDE = textwrap.dedent("""
    import importlib.abc, sys

    hidden = set(sys.argv[1].split(","))

    class Hide(importlib.abc.MetaPathFinder):
        def find_spec(self, name, path, target=None):
            if name.split(".")[0] in hidden:
                raise ModuleNotFoundError(f"No module named {name!r}", name=name)
            return None

    sys.meta_path.insert(0, Hide())
    from bot.cli import main

    sys.argv = ["modelwire", *sys.argv[2:]]
    main()
""")


def names(extra: str) -> set[str]:
    """The normalised distribution names an extra (or ``dependencies``) asks for."""
    lines = PYPROJECT["project"]["dependencies"] if extra == "dependencies" else OPTIONAL[extra]
    return {canonicalize_name(Requirement(line).name) for line in lines}


def modelwire(hidden: str, *args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """Run ``modelwire ARGS`` on an SQLite file with the modules in ``hidden`` (comma-separated) missing."""
    db = f"sqlite:///{tmp_path / 'kb.db'}"
    return subprocess.run([sys.executable, "-c", HIDE, hidden, "--db", db, *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=120)


def test_all_is_every_runtime_extra_and_test_has_all_of_it():
    runtime = [extra for extra in OPTIONAL if extra not in ("all", "test")]
    assert sorted(runtime) == ["charts", "discord", "postgres", "slack"]
    assert set(OPTIONAL["all"]) == {line for extra in runtime for line in OPTIONAL[extra]}
    assert set(OPTIONAL["all"]) <= set(OPTIONAL["test"])
    assert {"pytest", "ruff", "mypy"} <= names("test")


def test_the_base_dependencies_leave_the_optional_libraries_out():
    assert names("dependencies").isdisjoint(DISTRIBUTION.values())


def test_the_cli_knows_what_each_extra_installs():
    for extra, modules in EXTRAS.items():
        assert {DISTRIBUTION[m] for m in modules} == names(extra), extra


def test_a_command_is_told_its_own_extra_first():
    assert extra_for("discord", "aiohttp") == "discord"
    assert extra_for("slack", "matplotlib.figure") == "slack"
    assert extra_for("ask", "matplotlib.figure") == "charts"
    assert extra_for("scheduler", "aiohttp") == "slack"
    assert extra_for("ask", "numpy") is None


def test_every_package_ships_a_py_typed_marker():
    data = PYPROJECT["tool"]["setuptools"]["package-data"]
    for package in ("bot", "knowledge", "adapters"):
        assert (ROOT / package / "py.typed").is_file()
        assert "py.typed" in data[package]


def test_the_licence_is_mit_everywhere_it_is_named():
    text = (ROOT / "LICENSE").read_text(encoding="utf-8")
    assert text.startswith("MIT License") and "Copyright (c) 2026 the modelwire authors" in text
    assert PYPROJECT["project"]["license"] == {"text": "MIT"}
    assert "License :: OSI Approved :: MIT License" in PYPROJECT["project"]["classifiers"]


def test_the_version_is_written_once():
    assert PYPROJECT["project"]["dynamic"] == ["version"] and "version" not in PYPROJECT["project"]
    assert PYPROJECT["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "knowledge.__version__"}
    result = CliRunner().invoke(cli, ["--version"])
    assert result.exit_code == 0 and result.output == f"modelwire {__version__}\n"
    assert USER_AGENT.startswith(f"modelwire/{__version__} ")


def test_h_is_help():
    short = CliRunner().invoke(cli, ["-h"], prog_name="modelwire")
    long = CliRunner().invoke(cli, ["--help"], prog_name="modelwire")
    assert short.exit_code == 0 and short.output == long.output and "Usage: modelwire" in short.output
    sub = CliRunner().invoke(cli, ["kb", "-h"], prog_name="modelwire")
    assert sub.exit_code == 0 and "Usage: modelwire kb" in sub.output


@pytest.mark.parametrize("command, hidden, extra", [
    ("slack", "slack_bolt,slack_sdk", "slack"),
    ("slack", "matplotlib", "slack"),
    ("discord", "discord", "discord"),
    ("scheduler", "aiohttp", "slack"),
])
def test_a_chat_command_without_its_libraries_names_its_extra(tmp_path, command, hidden, extra):
    result = modelwire(hidden, command, tmp_path=tmp_path)
    assert result.returncode == 1
    assert result.stderr == f"Error: modelwire {command} needs the {extra} extra: pip install 'modelwire[{extra}]'\n"


def test_the_cli_works_without_any_extra(tmp_path):
    listed = modelwire(OPTIONAL_MODULES, "-h", tmp_path=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert "slack          (needs the slack extra)" in listed.stdout
    asked = modelwire(OPTIONAL_MODULES, "ask", "What did Muse Spark score on GPQA Diamond?", tmp_path=tmp_path)
    assert asked.returncode == 0, asked.stderr
    assert "Muse Spark" in asked.stdout and "GPQA Diamond" in asked.stdout


def test_ask_chart_without_matplotlib_names_the_charts_extra(tmp_path):
    result = modelwire("matplotlib", "ask", "--chart", str(tmp_path / "top.png"), "top 5 on GPQA Diamond",
                       tmp_path=tmp_path)
    assert result.returncode == 1 and not (tmp_path / "top.png").exists()
    assert "GPQA Diamond" in result.stdout
    assert result.stderr.endswith("Error: modelwire ask needs the charts extra: pip install 'modelwire[charts]'\n")


def test_a_postgres_url_without_psycopg_names_the_postgres_extra(tmp_path):
    db = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
    result = subprocess.run([sys.executable, "-c", HIDE, "psycopg", "--db", db, "kb", "stats"], cwd=ROOT,
                            capture_output=True, text=True, timeout=120)
    assert result.returncode == 1
    assert result.stderr.endswith("(the postgres extra installs it: pip install 'modelwire[postgres]')\n")
