"""``knowledge.finder.find_models``, table-driven, on SQLite and PostgreSQL.

A small synthetic pack (``PACK``, written below as Python data and imported as YAML) holds 26 models of four
organizations, one of them a unit of another, with ties, missing fields, month-only dates and dates on month
and year boundaries. Every case states a query; its expected rows, ``total`` and ``lacking`` are computed
here by ``reference``, a few lines of plain Python that apply the documented rules to the same data (the
code under test is never asked). The knowledge base is the ``kb`` fixture, so the bundled packs are there
too: the reference reads their models from the bundled YAML files, which are part of the same data.

The rules the reference applies (``knowledge/finder.py``):
- a filter on a field a model lacks neither keeps nor drops it: it is left out, and counted in ``lacking``
  when it passes every filter whose field it has (and so is a model without the sorted-on field);
- a month-only date ("2026-06") is inside a period only when its whole month is;
- a licence filter is the licence's first word, in any case ("mit" is "MIT" and "MIT License", not
  "Modified-MIT"; "apache" is "Apache-2.0"); modality filters need every modality asked;
- an organization includes its units; ties are broken by name; with no sort, newest release first and
  models without a release date last; dates compare as ISO text, so a month-only date sorts before the
  days of its month;
- a benchmark sort ranks each model by its best score (the highest, or the lowest when lower is better)
  and only models with a score are ranked; a scored model that lacks a filtered field is counted in
  ``lacking`` like any other.
"""

from __future__ import annotations

import calendar
import datetime as dt
from pathlib import Path

import pytest
import yaml
from sqlalchemy import select

from knowledge.db import bundled_packs
from knowledge.finder import ModelQuery, find_models
from knowledge.packs import import_file
from knowledge.schema import Benchmark, Model, Organization

# ---------------------------------------------------------------------------------------------
# The pack
# ---------------------------------------------------------------------------------------------

ORGS = [
    {"name": "Orinoco AI", "aliases": ["Orinoco"], "source": "orinoco-news"},
    {"name": "Tapir Lab", "parent": "Orinoco AI", "source": "orinoco-news"},
    {"name": "Zanthos", "source": "zanthos-blog"},
    {"name": "Quorra Systems", "aliases": ["Quorra"], "source": "quorra-docs"},
]
FAMILY = {"Orinoco AI": {"Orinoco AI", "Tapir Lab"}, "Tapir Lab": {"Tapir Lab"}, "Zanthos": {"Zanthos"},
          "Quorra Systems": {"Quorra Systems"}}
"""Each organization and its units, as written in ORGS."""


def _m(name, org, released=None, *, ow=None, lic=None, ins=None, outs=None, ctx=None, out=None, cutoff=None,
       reasoning=None, tools=None, price=None, status="released"):
    """A model record of the pack; None is "not given" (the key is left out)."""
    rec = {"name": name, "org": org, "released": released, "status": status, "open_weights": ow, "license": lic,
           "input_modalities": ins, "output_modalities": outs, "context_window": ctx, "max_output_tokens": out,
           "knowledge_cutoff": cutoff, "reasoning": reasoning, "tool_calling": tools}
    if price is not None:
        rec["pricing"] = {k: v for k, v in zip(("input_per_mtok", "output_per_mtok"), price) if v is not None}
    rec["source"] = next(o["source"] for o in ORGS if o["name"] == org)
    return {k: v for k, v in rec.items() if v is not None}


T, TI, TIA = ["text"], ["text", "image"], ["text", "image", "audio"]
MODELS = [
    # Orinoco AI
    _m("Orinoco Titan 3", "Orinoco AI", "2026-06-15", ow=False, lic="Proprietary", ins=TIA, outs=T, ctx=1_000_000,
       out=65_536, cutoff="2026-01", reasoning=True, tools=True, price=(2.0, 8.0)),
    _m("Orinoco Mini 3", "Orinoco AI", "2026-06", ow=False, lic="Proprietary", ins=TI, outs=T, ctx=200_000,
       out=32_768, cutoff="2025-12-31", reasoning=False, tools=True, price=(0.4, 1.6)),
    _m("Orinoco Nano 3", "Orinoco AI", "2026-06-30", ow=True, lic="Apache-2.0", ins=T, outs=T, ctx=128_000,
       out=16_384, cutoff="2025-12", tools=True, price=(0.1, 0.4)),
    _m("Orinoco Titan 2", "Orinoco AI", "2025-12-31", ow=False, lic="Proprietary", ins=TI, outs=T, ctx=1_000_000,
       out=65_536, cutoff="2025-06", reasoning=True, tools=True, price=(2.5, 10.0)),
    _m("Orinoco Echo 1", "Orinoco AI", "2026-01-01", ow=False, lic="Proprietary", ins=["text", "audio"],
       outs=["text", "audio"], ctx=32_000, out=4_096, reasoning=False, tools=False, price=(1.0, 4.0)),
    _m("Orinoco Relic 1", "Orinoco AI", "2024-11-20", ow=False, lic="Proprietary", ins=T, outs=T, ctx=8_192,
       out=2_048, cutoff="2024-03", reasoning=False, price=(3.0, 12.0), status="deprecated"),
    # Tapir Lab, a unit of Orinoco AI
    _m("Tapir 70B", "Tapir Lab", "2026-03-01", ow=True, lic="MIT", ins=T, outs=T, ctx=131_072, out=8_192,
       cutoff="2025-09", reasoning=False, tools=True),
    _m("Tapir 8B", "Tapir Lab", "2026-03", ow=True, lic="MIT", ins=T, outs=T, ctx=131_072, out=8_192,
       reasoning=False),
    _m("Tapir 3B", "Tapir Lab", "2026-06", ow=True, lic="MIT", ins=T, outs=T, ctx=32_768, out=4_096,
       reasoning=False, tools=False),
    _m("Tapir Sight 12B", "Tapir Lab", "2026-05-31", ow=True, lic="Apache-2.0", ins=["text", "image", "video"],
       outs=T, ctx=64_000, cutoff="2026-02", tools=False, price=(0.2, None)),
    _m("Tapir Ponder 32B", "Tapir Lab", "2025-05", ow=True, lic="Modified-MIT", ins=T, outs=T, out=32_768,
       reasoning=True, tools=True, price=(0.5, 2.0)),
    # Zanthos
    _m("Zanthos Z2", "Zanthos", "2026-02-14", ow=True, lic="Apache-2.0", ins=TI, outs=T, ctx=256_000, out=64_000,
       cutoff="2025-10", reasoning=True, tools=True, price=(0.3, 1.2)),
    _m("Zanthos Z2 Flash", "Zanthos", "2026-02-14", ow=True, lic="Apache-2.0", ins=TIA, outs=T, ctx=256_000,
       out=16_000, cutoff="2025-10", reasoning=False, tools=True, price=(0.05, 0.2)),
    _m("Zanthos Z1", "Zanthos", "2025-01-01", ow=True, lic="MIT", ins=T, outs=T, ctx=32_768, out=8_192,
       cutoff="2024-06", reasoning=False, tools=False, price=(0.2, 0.8)),
    _m("Zanthos Imagen 2", "Zanthos", "2026-04-10", ow=False, lic="Proprietary", ins=TI, outs=["image"],
       price=(5.0, 40.0)),
    _m("Zanthos Z3 Preview", "Zanthos", "2026-11", ins=["text", "image", "pdf"], outs=T, ctx=2_000_000,
       out=128_000, cutoff="2026-06", reasoning=True, tools=True, price=(1.25, 5.0), status="preview"),
    _m("Zanthos Coder 1", "Zanthos", "2025-07-15", ow=True, lic="CC-BY-NC-4.0", ins=T, outs=T, ctx=128_000,
       out=32_000, cutoff="2025-03", tools=True),
    _m("Zanthos Z1 Mini", "Zanthos", ow=True, lic="MIT", ins=T, outs=T, ctx=16_384, out=4_096, reasoning=False,
       tools=False, price=(0.05, 0.1)),
    # Quorra Systems
    _m("Quorra Apex", "Quorra Systems", "2026-10-05", ow=False, lic="Proprietary",
       ins=["text", "image", "audio", "video", "pdf"], outs=["text", "image", "audio"], ctx=1_000_000, out=128_000,
       cutoff="2026-05-31", reasoning=True, tools=True, price=(5.0, 25.0)),
    _m("Quorra Lite", "Quorra Systems", "2026-10-05", ow=False, lic="Proprietary", ins=TI, outs=T, ctx=400_000,
       out=32_000, cutoff="2026-05", reasoning=False, tools=True, price=(0.25, 1.0)),
    _m("Quorra Libre 20B", "Quorra Systems", "2025-12", ow=True, lic="Apache-2.0", ins=T, outs=T, ctx=131_072,
       out=131_072, cutoff="2025-06", reasoning=True, tools=True, price=(0.05, 0.25)),
    _m("Quorra Libre 120B", "Quorra Systems", "2025-12-01", ow=True, lic="Apache-2.0", ins=T, outs=T, ctx=131_072,
       out=131_072, cutoff="2025-06", reasoning=True, tools=True, price=(0.15, 0.6)),
    _m("Quorra Parla", "Quorra Systems", "2026-07-01", ow=False, lic="Proprietary", ins=["audio"],
       outs=["audio", "text"], out=8_192, tools=False, price=(2.5, 10.0)),
    _m("Quorra Canvas", "Quorra Systems", "2026-01", ow=False, lic="Proprietary", ins=TI, outs=["image"],
       ctx=32_000),
    _m("Quorra Relic", "Quorra Systems", "2023-03-14", ow=False, lic="Research Only", ctx=4_096, out=1_024,
       price=(10.0, 30.0), status="deprecated"),
    _m("Quorra Draft 1", "Quorra Systems", "2026-05"),
]

BENCHMARKS = [
    {"name": "Glimmer Bench", "unit": "%", "higher_is_better": True, "category": "reasoning"},
    {"name": "Driftloss", "unit": "%", "higher_is_better": False, "category": "factuality",
     "description": "Share of answers with a made-up fact; lower is better."},
]
SCORES = [
    ("Orinoco Titan 3", "Glimmer Bench", 81.0, None), ("Orinoco Titan 3", "Glimmer Bench", 84.5, "high effort"),
    ("Zanthos Z2", "Glimmer Bench", 84.5, None), ("Zanthos Z2 Flash", "Glimmer Bench", 70.0, None),
    ("Quorra Apex", "Glimmer Bench", 88.0, None), ("Quorra Libre 120B", "Glimmer Bench", 77.0, None),
    ("Quorra Libre 20B", "Glimmer Bench", 70.0, None), ("Tapir 70B", "Glimmer Bench", 60.0, None),
    ("Zanthos Z3 Preview", "Glimmer Bench", 90.0, None), ("Tapir Ponder 32B", "Glimmer Bench", 75.0, None),
    ("Orinoco Nano 3", "Glimmer Bench", 55.5, None), ("Quorra Draft 1", "Glimmer Bench", 66.0, None),
    ("Quorra Apex", "Driftloss", 4.0, None), ("Quorra Apex", "Driftloss", 6.0, "no search"),
    ("Zanthos Z2", "Driftloss", 5.5, None), ("Tapir 70B", "Driftloss", 9.0, None),
    ("Quorra Libre 120B", "Driftloss", 5.5, None), ("Orinoco Mini 3", "Driftloss", 7.25, None),
    ("Zanthos Z1", "Driftloss", 12.0, None), ("Orinoco Titan 2", "Driftloss", 3.5, None),
    ("Zanthos Z3 Preview", "Driftloss", 2.0, None), ("Tapir Ponder 32B", "Driftloss", 12.0, None),
]

PACK = {
    "pack": "finder-tests",
    "title": "Synthetic models for the finder tests",
    "sources": [{"id": "orinoco-news", "title": "Orinoco AI newsroom", "url": "https://orinoco.example/news"},
                {"id": "zanthos-blog", "title": "Zanthos blog", "url": "https://zanthos.example/blog"},
                {"id": "quorra-docs", "title": "Quorra Systems model docs", "url": "https://quorra.example/docs"}],
    "organizations": ORGS,
    "models": MODELS,
    "benchmarks": BENCHMARKS,
    "scores": [{"model": m, "benchmark": b, "value": v, **({"setting": s} if s else {})} for m, b, v, s in SCORES],
}
PACK_YAML = yaml.safe_dump(PACK, sort_keys=False, allow_unicode=True)


def bundled_models() -> list[dict]:
    """The bundled packs' models, read from their YAML (the ``kb`` fixture loads them too)."""
    out = []
    for path in bundled_packs():
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        for rec in doc.get("models") or []:
            rec = {k: v.isoformat() if isinstance(v, dt.date) else v for k, v in rec.items()}
            rec.setdefault("status", "released")
            out.append(rec)
    return out


ALL_MODELS = MODELS + bundled_models()
ORG_OF = {m["name"]: m["org"] for m in ALL_MODELS}


def load(kb, write_pack):
    """Import the pack into the test's knowledge base."""
    import_file(kb.engine, write_pack(PACK_YAML, "finder.yaml"))
    return kb


# ---------------------------------------------------------------------------------------------
# The reference: the documented rules over the data above
# ---------------------------------------------------------------------------------------------


def _days(value: str) -> tuple[dt.date, dt.date]:
    """The first and last day a "YYYY-MM-DD" or "YYYY-MM" date covers."""
    parts = [int(p) for p in value.split("-")]
    if len(parts) == 3:
        day = dt.date(*parts)
        return day, day
    year, month = parts
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def _within(value: str, since: dt.date | None, until: dt.date | None) -> bool:
    first, last = _days(value)
    return (since is None or first >= since) and (until is None or last <= until)


def _price(m: dict, side: str):
    return (m.get("pricing") or {}).get(f"{side}_per_mtok")


FIELD = {"released": lambda m: m.get("released"), "context": lambda m: m.get("context_window"),
         "output": lambda m: m.get("max_output_tokens"), "input_price": lambda m: _price(m, "input"),
         "output_price": lambda m: _price(m, "output"), "cutoff": lambda m: m.get("knowledge_cutoff")}


def _checks(spec: dict) -> list[tuple]:
    """(how to read the field, whether a present value passes) for each filter of a spec."""
    checks = []
    for key in ("open_weights", "reasoning", "tool_calling"):
        if spec.get(key) is not None:
            checks.append((lambda m, k=key: m.get(k), lambda v, want=spec[key]: v is want))
    if spec.get("license"):
        word = spec["license"].lower()
        checks.append((lambda m: m.get("license"),
                       lambda v: v.lower() == word or v.lower().startswith((f"{word}-", f"{word} "))))
    for key in ("input_modalities", "output_modalities"):
        if spec.get(key):
            checks.append((lambda m, k=key: m.get(k),
                           lambda v, want=spec[key]: all(w.lower() in [x.lower() for x in v] for w in want)))
    for name, low, high in (("context", "min_context", "max_context"), ("output", "min_output", None),
                            ("input_price", "min_input_price", "max_input_price"),
                            ("output_price", "min_output_price", "max_output_price")):
        lo, hi = spec.get(low), spec.get(high) if high else None
        if lo is not None or hi is not None:
            checks.append((FIELD[name], lambda v, lo=lo, hi=hi: (lo is None or v >= lo) and (hi is None or v <= hi)))
    for name, since, until in (("released", "released_since", "released_until"),
                               ("cutoff", "cutoff_since", "cutoff_until")):
        s, u = spec.get(since), spec.get(until)
        if s is not None or u is not None:
            checks.append((FIELD[name], lambda v, s=s, u=u: _within(v, s, u)))
    return checks


def _best_scores(benchmark: str) -> dict[str, float]:
    lower = next(not b["higher_is_better"] for b in BENCHMARKS if b["name"] == benchmark)
    best: dict[str, float] = {}
    for model, bench, value, _ in SCORES:
        if bench == benchmark:
            best[model] = min(best.get(model, value), value) if lower else max(best.get(model, value), value)
    return best


def _score_of(scores: dict[str, float]):
    """A reader of a model's best score out of ``scores`` (model name to score)."""
    return lambda m: scores[m["name"]]


def reference(spec: dict) -> tuple[list[str], int, int]:
    """The names of the models a query finds (in order, limited), how many match, how many lack a field.

    ``spec`` holds ModelQuery's fields, with ``orgs`` as organization names and ``benchmark`` as a name.
    """
    models = ALL_MODELS
    if spec.get("orgs"):
        wanted = set().union(*(FAMILY[o] for o in spec["orgs"]))
        models = [m for m in models if m["org"] in wanted]
    if spec.get("model_names"):
        models = [m for m in models if m["name"] in spec["model_names"]]
    if spec.get("status"):
        models = [m for m in models if m["status"] == spec["status"]]
    sort = spec.get("sort")
    read = FIELD.get(sort)
    if sort == "score":
        scores = _best_scores(spec["benchmark"])
        models = [m for m in models if m["name"] in scores]
        read = _score_of(scores)
    checks = _checks(spec)
    needed = [r for r, _ in checks] + ([read] if read is not None else [])
    matching, lacking = [], 0
    for m in models:
        if any(r(m) is not None and not ok(r(m)) for r, ok in checks):
            continue
        if any(r(m) is None for r in needed):
            lacking += 1
        else:
            matching.append(m)
    matching.sort(key=lambda m: m["name"])
    if read is None:  # newest release first, models without a release date last
        dated = sorted((m for m in matching if m.get("released")), key=lambda m: m["released"], reverse=True)
        matching = dated + [m for m in matching if not m.get("released")]
    else:
        matching.sort(key=read, reverse=spec.get("descending", True))
    names = [m["name"] for m in matching]
    if spec.get("count_only"):
        return [], len(names), lacking
    limit = spec.get("limit", 15)
    return (names if limit is None else names[:limit]), len(names), lacking


def test_reference_knows_every_model_of_the_pack():
    """The reference's data are the pack's: every name once, every organization known."""
    names = [m["name"] for m in MODELS]
    assert len(names) == len(set(names)) == 26
    assert {m["org"] for m in MODELS} <= set(FAMILY)
    assert {m for m, *_ in SCORES} <= set(names)


# ---------------------------------------------------------------------------------------------
# The cases
# ---------------------------------------------------------------------------------------------

D = dt.date
CASES = {
    # each filter alone
    "open-weights": {"open_weights": True},
    "closed": {"open_weights": False},
    "reasoning": {"reasoning": True},
    "non-reasoning": {"reasoning": False},
    "tool-calling": {"tool_calling": True},
    "no-tool-calling": {"tool_calling": False},
    "licence-first-word-mit": {"license": "mit"},
    "licence-first-word-apache": {"license": "apache"},
    "licence-first-word-cc": {"license": "cc"},
    "licence-any-case": {"license": "PROPRIETARY"},
    "licence-two-words": {"license": "research"},
    "licence-not-a-first-word": {"license": "only"},
    "input-audio": {"input_modalities": ("audio",)},
    "input-image-and-audio": {"input_modalities": ("image", "audio")},
    "input-video": {"input_modalities": ("video",)},
    "input-any-case": {"input_modalities": ("PDF",)},
    "output-image": {"output_modalities": ("image",)},
    "output-audio": {"output_modalities": ("audio",)},
    "min-context-128k": {"min_context": 128_000},
    "min-context-1m-tie": {"min_context": 1_000_000},
    "max-context-131072-boundary": {"max_context": 131_072},
    "context-range": {"min_context": 100_000, "max_context": 400_000},
    "min-output-64k": {"min_output": 64_000},
    "max-input-price-1": {"max_input_price": 1.0},
    "max-input-price-boundary": {"max_input_price": 0.05},
    "min-input-price-2.5": {"min_input_price": 2.5},
    "max-output-price-1": {"max_output_price": 1.0},
    "min-output-price-10": {"min_output_price": 10.0},
    "input-price-band": {"min_input_price": 0.2, "max_input_price": 2.0},
    "released-since-month-start": {"released_since": D(2026, 6, 1)},
    "released-since-mid-month": {"released_since": D(2026, 6, 2)},
    "released-since-new-year": {"released_since": D(2026, 1, 1)},
    "released-until-year-end": {"released_until": D(2025, 12, 31)},
    "released-until-day-before-year-end": {"released_until": D(2025, 12, 30)},
    "released-in-june-2026": {"released_since": D(2026, 6, 1), "released_until": D(2026, 6, 30)},
    "released-in-may-2026": {"released_since": D(2026, 5, 1), "released_until": D(2026, 5, 31)},
    "released-in-december-2025": {"released_since": D(2025, 12, 1), "released_until": D(2025, 12, 31)},
    "released-in-2025": {"released_since": D(2025, 1, 1), "released_until": D(2025, 12, 31)},
    "released-in-2026": {"released_since": D(2026, 1, 1), "released_until": D(2026, 12, 31)},
    "released-march-to-may-2026": {"released_since": D(2026, 3, 1), "released_until": D(2026, 5, 31)},
    "released-within-a-month-not-whole": {"released_since": D(2026, 6, 10), "released_until": D(2026, 6, 20)},
    "cutoff-since-2026": {"cutoff_since": D(2026, 1, 1)},
    "cutoff-until-2025": {"cutoff_until": D(2025, 12, 31)},
    "cutoff-in-december-2025": {"cutoff_since": D(2025, 12, 1), "cutoff_until": D(2025, 12, 31)},
    "cutoff-until-mid-may-2026": {"cutoff_until": D(2026, 5, 30)},
    "status-deprecated": {"status": "deprecated"},
    "status-preview": {"status": "preview"},
    "org-with-its-unit": {"orgs": ("Orinoco AI",)},
    "org-unit-alone": {"orgs": ("Tapir Lab",)},
    "two-orgs": {"orgs": ("Zanthos", "Quorra Systems")},
    "model-ids": {"model_names": ("Tapir 70B", "Quorra Apex", "Zanthos Z1 Mini"), "open_weights": True},
    # combinations
    "open-weights-min-context-128k": {"open_weights": True, "min_context": 128_000},
    "open-weights-min-context-sorted": {"open_weights": True, "min_context": 128_000, "sort": "context"},
    "cheapest-with-1m-context": {"min_context": 1_000_000, "sort": "input_price", "descending": False},
    "newest-of-org-with-unit": {"orgs": ("Orinoco AI",), "sort": "released"},
    "oldest-of-org": {"orgs": ("Quorra Systems",), "sort": "released", "descending": False},
    "open-weights-in-june-2026": {"open_weights": True, "released_since": D(2026, 6, 1),
                                  "released_until": D(2026, 6, 30)},
    "org-input-audio": {"orgs": ("Orinoco AI",), "input_modalities": ("audio",)},
    "reasoning-under-1-dollar": {"reasoning": True, "max_input_price": 1.0},
    "tools-licence-context": {"tool_calling": True, "license": "apache", "min_context": 130_000},
    "closed-image-output-since-2026": {"open_weights": False, "output_modalities": ("image",),
                                       "released_since": D(2026, 1, 1)},
    "output-price-and-cutoff": {"max_output_price": 2.0, "cutoff_since": D(2025, 10, 1)},
    "nothing-that-big": {"min_context": 10_000_000},
    "deprecated-with-price": {"status": "deprecated", "min_output_price": 20.0},
    # sorts, both directions, ties broken by name, models without the field left out
    "sort-released-desc": {"sort": "released"},
    "sort-released-asc": {"sort": "released", "descending": False},
    "sort-context-desc": {"sort": "context"},
    "sort-context-asc": {"sort": "context", "descending": False},
    "sort-output-desc": {"sort": "output"},
    "sort-output-asc": {"sort": "output", "descending": False},
    "sort-input-price-desc": {"sort": "input_price"},
    "sort-input-price-asc": {"sort": "input_price", "descending": False},
    "sort-output-price-desc": {"sort": "output_price"},
    "sort-output-price-asc": {"sort": "output_price", "descending": False},
    "sort-cutoff-desc": {"sort": "cutoff"},
    "sort-cutoff-asc": {"sort": "cutoff", "descending": False},
    "sort-output-of-open-weights": {"open_weights": True, "sort": "output"},
    "sort-released-of-org": {"orgs": ("Zanthos",), "sort": "released"},
    "no-sort-newest-first-undated-last": {"open_weights": True, "license": "mit"},
    # a benchmark score
    "score-higher-is-better": {"sort": "score", "benchmark": "Glimmer Bench"},
    "score-higher-is-better-worst-first": {"sort": "score", "benchmark": "Glimmer Bench", "descending": False},
    "score-lower-is-better-best-first": {"sort": "score", "benchmark": "Driftloss", "descending": False},
    "score-lower-is-better-descending": {"sort": "score", "benchmark": "Driftloss"},
    "score-of-org": {"sort": "score", "benchmark": "Glimmer Bench", "orgs": ("Orinoco AI",)},
    "score-with-filter-lacking": {"sort": "score", "benchmark": "Glimmer Bench", "open_weights": True},
    "score-lower-with-filter-lacking": {"sort": "score", "benchmark": "Driftloss", "descending": False,
                                        "open_weights": True},
    "score-with-limit": {"sort": "score", "benchmark": "Glimmer Bench", "limit": 3},
    # limit and count
    "limit-5": {"sort": "context", "limit": 5},
    "limit-1": {"sort": "input_price", "descending": False, "limit": 1},
    "limit-15": {"sort": "released", "limit": 15},
    "no-limit": {"sort": "released", "limit": None},
    "count-only": {"open_weights": True, "count_only": True},
    "count-only-org-sorted": {"orgs": ("Quorra Systems",), "sort": "context", "count_only": True},
    "count-only-nothing": {"min_context": 10_000_000, "count_only": True},
}

KNOWN_GAPS: dict[str, str] = {}
"""Cases find_models still gets wrong, each with why (strict expected failures)."""


def _param(case_id: str):
    gap = KNOWN_GAPS.get(case_id)
    return pytest.param(case_id, id=case_id, marks=pytest.mark.xfail(reason=gap, strict=True) if gap else ())


def to_query(kb, spec: dict) -> ModelQuery:
    """The ModelQuery a spec describes: organization and benchmark names resolved to ids in the test's base."""
    values = {k: v for k, v in spec.items() if k not in ("orgs", "benchmark", "model_names")}
    values.setdefault("limit", None)
    with kb.engine.connect() as conn:
        if spec.get("orgs"):
            names = set().union(*(FAMILY[o] for o in spec["orgs"]))
            values["orgs"] = tuple(conn.execute(select(Organization.id).where(Organization.name.in_(names)))
                                   .scalars())
        if spec.get("model_names"):
            values["model_ids"] = tuple(conn.execute(select(Model.id).where(Model.name.in_(spec["model_names"])))
                                        .scalars())
        if spec.get("benchmark"):
            values["benchmark"], values["higher_is_better"] = conn.execute(
                select(Benchmark.id, Benchmark.higher_is_better).where(Benchmark.name == spec["benchmark"])).one()
    return ModelQuery(**values)


@pytest.mark.parametrize("case_id", [_param(c) for c in CASES])
def test_find_models(kb, write_pack, case_id):
    load(kb, write_pack)
    spec = {"limit": None, **CASES[case_id]}
    names, total, lacking = reference(spec)
    found = find_models(kb.engine, to_query(kb, spec))
    got = [m.name for m in found.models]
    assert (got, found.total, found.lacking) == (names, total, lacking), (
        f"\nquery: {spec}\nexpected: {names}\n  total {total}, lacking {lacking}\n"
        f"got:      {got}\n  total {found.total}, lacking {found.lacking}")


def test_every_case_finds_or_leaves_out_something():
    """No case is vacuous: each one finds a model, or counts one it had to leave out."""
    empty = [c for c, spec in CASES.items() if reference({"limit": None, **spec})[1:] == (0, 0)]
    assert empty == []


def test_the_data_has_what_the_cases_are_about():
    """The pack holds the edge cases the cases claim: ties, gaps, month-only dates, boundaries."""
    by_name = {m["name"]: m for m in MODELS}
    assert by_name["Orinoco Titan 3"]["context_window"] == by_name["Quorra Apex"]["context_window"]
    assert by_name["Zanthos Z2"]["released"] == by_name["Zanthos Z2 Flash"]["released"]
    assert {m["released"] for m in MODELS if "released" in m} >= {"2025-12-31", "2026-01-01", "2026-06", "2025-12"}
    assert any("context_window" not in m for m in MODELS) and any("pricing" not in m for m in MODELS)
    assert any("released" not in m for m in MODELS)
    assert {m.get("reasoning") for m in MODELS} == {True, False, None}
    assert {m.get("tool_calling") for m in MODELS} == {True, False, None}
    assert {m.get("open_weights") for m in MODELS} == {True, False, None}


def test_found_models_carry_their_fields(kb, write_pack):
    """Each found model comes with the fields answers show, as the pack gave them."""
    load(kb, write_pack)
    found = find_models(kb.engine, ModelQuery(min_context=1_000_000, sort="context", limit=None))
    by_name = {m["name"]: m for m in MODELS}
    for model in found.models:
        given = by_name[model.name]
        assert model.context_window == given["context_window"]
        assert model.released == given.get("released")
        assert model.open_weights == given.get("open_weights")
        assert model.license == given.get("license")
        assert model.input_modalities == given.get("input_modalities")
        assert model.pricing == given.get("pricing")
        assert model.source_id is not None


def test_score_is_the_best_per_model(kb, write_pack):
    """A model with several scores is ranked on its best one: the highest, or the lowest when lower is better."""
    load(kb, write_pack)
    for bench, model, best in (("Glimmer Bench", "Orinoco Titan 3", 84.5), ("Driftloss", "Quorra Apex", 4.0)):
        spec = {"sort": "score", "benchmark": bench, "limit": None}
        found = find_models(kb.engine, to_query(kb, spec))
        assert {m.name: m.score for m in found.models}[model] == best
