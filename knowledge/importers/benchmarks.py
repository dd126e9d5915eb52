"""Benchmark identity across spellings, and what a metric says about units.

Catalogues spell one benchmark several ways: "SWE Bench Pro" and "SWE-Bench Pro", or "Terminal Bench 2.1"
and "Terminal-Bench" with version "2.1". A benchmark is identified by its base name with case, spaces
and punctuation ignored, plus its version; the display name is the most common spelling of the base,
followed by the version.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from knowledge.matching import normalize

_TRAILING_VERSION = re.compile(r"^(?P<base>.*?\S)[\s_-]+(?P<version>[vV]?\d+(?:\.\d+)*)$")

_PERCENT_METRICS = {"accuracy", "acc", "percent", "percentage", "%", "pass rate", "success rate", "resolved",
                    "resolve rate", "resolved rate", "win rate", "exact match", "em", "f1"}
_PASS_AT = re.compile(r"^pass@\d+$")
_LOWER_IS_BETTER = ("error", "wer", "latency", "cost", "perplexity")


def split_version(name: str, version: str | None) -> tuple[str, str | None]:
    """A benchmark name and optional version as (base name, version).

    With a version, a name that already ends in it loses that ending ("Terminal Bench 2.1", "2.1").
    Without one, a trailing number is the version ("Terminal Bench 2.1" -> "Terminal Bench", "2.1").
    """
    name = " ".join(name.split())
    match = _TRAILING_VERSION.match(name)
    if version:
        version = version.strip()
        if match and _version_key(match["version"]) == _version_key(version):
            return match["base"], version
        return name, version
    if match:
        return match["base"], match["version"]
    return name, None


def _version_key(version: str) -> str:
    return version.lower().removeprefix("v")


def benchmark_key(base: str, version: str | None) -> tuple[str, str]:
    """The identity of a benchmark: its base name without case, spacing or punctuation, and its version."""
    return "".join(normalize(base).split()), _version_key(version or "")


def unit_of(metric: str | None) -> str | None:
    """The pack unit a metric is measured in ("%" for accuracy or pass@k, "Elo" for Elo), or None if unknown."""
    if not metric:
        return None
    word = " ".join(metric.lower().replace("_", " ").split())
    if word in _PERCENT_METRICS or _PASS_AT.match(word):
        return "%"
    if word == "elo":
        return "Elo"
    if word in ("points", "score"):
        return "points"
    return None


def lower_is_better(metric: str | None) -> bool:
    """Whether a smaller number is the better result for this metric (error rates, latency, cost)."""
    if not metric:
        return False
    return any(word in metric.lower() for word in _LOWER_IS_BETTER)


@dataclass
class BenchmarkGroup:
    """Every spelling of one benchmark seen in the data, and the metrics its scores came with."""

    key: tuple[str, str]
    spellings: Counter = field(default_factory=Counter)
    versions: Counter = field(default_factory=Counter)
    metrics: Counter = field(default_factory=Counter)

    def add(self, base: str, version: str | None, metric: str | None) -> None:
        """Count one occurrence of the benchmark, as it was spelled."""
        self.spellings[base] += 1
        if version:
            self.versions[version] += 1
        if metric:
            self.metrics[metric] += 1

    @property
    def name(self) -> str:
        """The display name: the most common spelling of the base (ties: the first in sort order), plus the version."""
        base = _most_common(self.spellings)
        return f"{base} {_most_common(self.versions)}" if self.versions else base

    @property
    def aliases(self) -> list[str]:
        """Other spellings that the name's own normalised form does not already cover."""
        known = {normalize(self.name)}
        out = []
        for base in sorted(self.spellings):
            for version in sorted(self.versions) or [None]:
                spelled = f"{base} {version}" if version else base
                if normalize(spelled) not in known:
                    known.add(normalize(spelled))
                    out.append(spelled)
        return out

    @property
    def metric(self) -> str | None:
        """The most common metric of its scores."""
        return _most_common(self.metrics) if self.metrics else None


def _most_common(counter: Counter) -> str:
    return min(counter, key=lambda s: (-counter[s], s))
