"""requirements.lock (what the image installs, with --no-deps) pins every runtime dependency exactly."""

from __future__ import annotations

from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

try:
    import tomllib
except ImportError:  # Python 3.10
    tomllib = pytest.importorskip("tomli")

ROOT = Path(__file__).resolve().parent.parent
IMAGE_ENVIRONMENT = {"python_version": "3.11", "python_full_version": "3.11.0", "sys_platform": "linux",
                     "platform_system": "Linux", "os_name": "posix", "implementation_name": "cpython"}
"""The marker environment of the image (python:3.11-slim), where the lock is installed."""


def runtime_requirements() -> list[Requirement]:
    """[project].dependencies and the `all` extra, which the image installs."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = [*project["dependencies"], *project["optional-dependencies"]["all"]]
    return [Requirement(line) for line in lines]


def parse_lock(text: str) -> dict[str, Requirement]:
    """The lock's requirements by normalised name; a name pinned twice is an error."""
    pins: dict[str, Requirement] = {}
    for line in text.splitlines():
        line = line.split("#", 1)[0].strip()
        if not line:
            continue
        req = Requirement(line)
        name = canonicalize_name(req.name)
        assert name not in pins, f"{req.name} is pinned twice in requirements.lock"
        pins[name] = req
    return pins


def lock_problems(requirements: list[Requirement], lock_text: str) -> list[str]:
    """Why the lock does not pin these requirements exactly (an empty list when it does)."""
    pins = parse_lock(lock_text)
    problems = []
    for pin in pins.values():
        specs = list(pin.specifier)
        if len(specs) != 1 or specs[0].operator not in ("==", "===") or "*" in specs[0].version:
            problems.append(f"{pin.name} is not pinned to one exact version ({pin.specifier or 'no version'})")
    for req in requirements:
        if req.marker is not None and not req.marker.evaluate(IMAGE_ENVIRONMENT):
            continue
        pin = pins.get(canonicalize_name(req.name))
        if pin is None:
            problems.append(f"{req.name} is a dependency but has no pin in requirements.lock")
            continue
        version = next(iter(pin.specifier)).version
        if not req.specifier.contains(version, prereleases=True):
            problems.append(f"{req.name}=={version} does not satisfy pyproject's {req.specifier}")
    return problems


def test_every_runtime_dependency_is_pinned_exactly():
    lock = (ROOT / "requirements.lock").read_text(encoding="utf-8")
    assert lock_problems(runtime_requirements(), lock) == []


def test_the_lock_does_not_pin_modelwire_itself():
    assert "modelwire" not in parse_lock((ROOT / "requirements.lock").read_text(encoding="utf-8"))


def test_the_postgres_driver_binary_is_pinned():
    pins = parse_lock((ROOT / "requirements.lock").read_text(encoding="utf-8"))
    assert "psycopg-binary" in pins  # psycopg[binary]: the extra's package, which a name check misses


@pytest.mark.parametrize("lock, problem", [
    ("SQLAlchemy==2.1.0\n", "click is a dependency but has no pin"),
    ("sqlalchemy==2.1.0\nclick>=8.1\n", "click is not pinned to one exact version"),
    ("sqlalchemy==2.1.0\nclick==7.0\n", "click==7.0 does not satisfy"),
])
def test_drift_is_caught(lock, problem):
    requirements = [Requirement("SQLAlchemy>=2.0,<2.2"), Requirement("click>=8.1,<9")]
    problems = lock_problems(requirements, lock)
    assert len(problems) == 1 and problems[0].startswith(problem)


def test_names_are_compared_normalised():
    requirements = [Requirement("discord.py>=2.4"), Requirement("slack-bolt>=1.21"), Requirement("PyYAML>=6")]
    assert lock_problems(requirements, "Discord.py==2.7.1\nslack_bolt==1.30.0\npyyaml==6.0.4\n") == []
