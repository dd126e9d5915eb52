"""Finder benchmark: 100 mixed finder questions over a synthetic 10,000-model knowledge base.

Usage (from the repository root, with the project's venv):

    python bench/bench_finder.py                  # build bench/out/finder.db (10k models), then time
    python bench/bench_finder.py --reuse          # time again on the database built before
    python bench/bench_finder.py --models 1000 --db-dir /tmp/bench-finder      # quick
    python bench/bench_finder.py --db postgresql+psycopg://postgres@127.0.0.1:5432/test   # a schema of its own

The pack is generated deterministically (random.Random(seed)) with every field the finder filters and sorts
on: organizations (some units of another), release dates (a fifth of them month-only, "2026-06"), status,
open weights, licences, input and output modalities, context window, output limit, knowledge cutoff,
reasoning, tool calling and prices, each missing for some models, plus benchmarks with scores (a few lower
is better). The 100 questions are phrasings of the finder's families (superlatives, sizes, prices,
modalities, counts, periods, top N, benchmark rankings with a filter), each asked through
``bot.engine.answer`` after one warm-up question; then ``knowledge.finder.find_models`` is timed alone on
the queries those answers ran. Everything written goes under --db-dir (default bench/out/, git-ignored):
finder.db, the pack, the questions and finder-results.json.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import json
import math
import os
import platform
import random
import statistics
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

TODAY = dt.date(2026, 11, 30)
TARGETS = {"median_ms": 5.0, "p99_ms": 20.0}

# ---------------------------------------------------------------------------------------------
# Word pools (fictional names)
# ---------------------------------------------------------------------------------------------

ORG_STEMS = ["Helix", "Northwind", "Bluefin", "Silverline", "Redwood", "Ironclad", "Brightpath", "Deepcurrent",
             "Starling", "Coldspring", "Greystone", "Highmark", "Lodestar", "Moonrise", "Oakhaven", "Pinecrest",
             "Quicksilver", "Riverbend", "Skyforge", "Stonebridge", "Sunward", "Thornfield", "Tidewater", "Westgate",
             "Amberly", "Blackthorn", "Clearwater", "Driftwood", "Evergreen", "Firelight", "Goldcrest", "Hollowbrook",
             "Ivorygate", "Kingsbridge", "Larkspur", "Maplewood", "Nightingale", "Pathfinder", "Ravensworth",
             "Saltmarsh"]
ORG_SUFFIXES = ["Labs", "AI", "Research", "Systems", "Intelligence", "Technologies"]
FAMILY_WORDS = ["Nova", "Orion", "Zephyr", "Kestrel", "Aurora", "Lumen", "Cobalt", "Atlas", "Vega", "Sirius", "Halcyon",
                "Ember", "Quill", "Sable", "Tempest", "Helios", "Nimbus", "Onyx", "Pulsar", "Quasar", "Raven", "Solace",
                "Umbra", "Vertex", "Willow", "Xenon", "Yarrow", "Zenith", "Argent", "Boreal", "Cinder", "Fable",
                "Granite", "Harbor", "Juniper", "Koda", "Lyra", "Meridian", "Nexus", "Opal", "Prism", "Quartz", "Rune",
                "Tundra", "Vireo", "Wren", "Aster", "Beacon", "Cipher", "Dynamo", "Ferro", "Hydra", "Jasper", "Kairo",
                "Lattice", "Nebula", "Obsidian", "Photon", "Rhea", "Saber", "Tessera", "Ursa", "Volta", "Warden",
                "Xylo", "Zircon", "Alder", "Bramble", "Corvid", "Equinox", "Fjord", "Gossamer", "Heron", "Indigo",
                "Lark", "Magma", "Nocturne", "Osprey", "Quokka", "Sprocket", "Thistle", "Umber", "Vortex", "Wisp",
                "Zinnia", "Cascade", "Falcon", "Glacier", "Ignis", "Marble", "Sequoia"]
VARIANTS = ["", "", "", "Mini", "Pro", "Flash", "Lite", "Max", "Ultra", "Nano", "Turbo", "Air"]
SIZES = ["", "", "", "1B", "3B", "7B", "8B", "12B", "14B", "27B", "32B", "70B", "120B", "405B"]
TUNES = ["", "", "", "Instruct", "Chat", "Coder", "Vision", "Reasoner", "Omni"]
OPEN_LICENCES = ["Apache-2.0", "MIT", "Modified-MIT", "CC-BY-NC-4.0", "Llama community licence", "OpenRAIL-M"]
CLOSED_LICENCES = ["Proprietary", "Proprietary", "Research Only"]
INPUTS = [["text"], ["text"], ["text", "image"], ["text", "image"], ["text", "image", "audio"],
          ["text", "image", "video"], ["text", "audio"], ["text", "image", "pdf"],
          ["text", "image", "audio", "video", "pdf"], ["audio"]]
OUTPUTS = [["text"]] * 14 + [["text", "image"], ["image"], ["text", "audio"], ["audio", "text"]]
CONTEXT = [4096, 8192, 16384, 32000, 32768, 64000, 128000, 131072, 200000, 256000, 400000, 1000000, 1048576,
           2000000]
OUTPUT = [1024, 2048, 4096, 8192, 16384, 32000, 32768, 64000, 65536, 128000, 131072]
PRICES = [0.02, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3, 0.4, 0.5, 0.6, 0.8, 1.0, 1.25, 2.0, 2.5, 3.0, 5.0, 10.0, 15.0]
BENCH_DOMAINS = ["Math", "Code", "Logic", "Law", "Med", "Agent", "Tool", "Chart", "Doc", "Puzzle", "Trivia", "Table",
                 "Retrieval", "Spatial", "Planning"]
BENCH_SUFFIXES = ["Bench", "Eval", "Arena", "Suite", "Trials"]
MONTHS = list(calendar.month_name)[1:]


def _clean(words: list[str]) -> list[str]:
    """Drop pool words that are, or are one edit from, a question word (they would confuse parsing)."""
    from bot import vocabulary as V

    banned = set(V.QUESTION_WORDS.words) | set(V.FUNCTION_WORDS)
    return [w for w in dict.fromkeys(words)
            if w.lower() not in banned and not V.QUESTION_WORDS.near(w.lower(), min_length=4)]


# ---------------------------------------------------------------------------------------------
# Pack and questions
# ---------------------------------------------------------------------------------------------


def _day(rng: random.Random, start=dt.date(2023, 1, 1), end=TODAY) -> dt.date:
    return start + dt.timedelta(days=rng.randrange((end - start).days + 1))


def _date_text(rng: random.Random, day: dt.date, month_only: float) -> str:
    return day.strftime("%Y-%m") if rng.random() < month_only else day.isoformat()


def generate_pack(n_models: int, n_benchmarks: int, scores_per_benchmark: int, seed: int) -> dict:
    from knowledge.matching import normalize

    rng = random.Random(seed)
    seen: dict[str, set[str]] = defaultdict(set)

    def take(kind: str, name: str) -> bool:
        key = normalize(name)
        if not key or key in seen[kind]:
            return False
        seen[kind].add(key)
        return True

    _reserve_bundled(take)
    sources = [{"id": f"src-{i:02d}", "title": f"Model catalogue snapshot {i + 1}",
                "url": f"https://example.org/catalogue/{i}", "published": _day(rng).isoformat()} for i in range(12)]
    orgs = []
    for stem in _clean(ORG_STEMS):
        name = f"{stem} {rng.choice(ORG_SUFFIXES)}"
        if take("org", name):
            orgs.append({"name": name, "aliases": [stem] if take("org", stem) else [],
                         "source": rng.choice(sources)["id"]})
    for rec in orgs[-6:]:
        rec["parent"] = rng.choice(orgs[:10])["name"]
    families = _clean(FAMILY_WORDS)
    fam_org = {fam: orgs[i % len(orgs)]["name"] for i, fam in enumerate(rng.sample(families, len(families)))}

    models = []
    while len(models) < n_models:
        fam = rng.choice(families)
        version = f"{rng.randint(1, 6)}.{rng.choice([0, 1, 2, 5, 7])}".removesuffix(".0")
        parts = [fam, version, rng.choice(SIZES), rng.choice(VARIANTS), rng.choice(TUNES)]
        name = " ".join(p for p in parts if p)
        if not take("model", name):
            continue
        rec: dict = {"name": name, "org": fam_org[fam], "family": fam,
                     "status": rng.choices(["released", "preview", "deprecated"], [85, 6, 9])[0]}
        day = _day(rng)
        if rng.random() < 0.88:
            rec["released"] = _date_text(rng, day, 0.2)
        if rng.random() < 0.9:
            rec["open_weights"] = rng.random() < 0.45
            if rng.random() < 0.85:
                rec["license"] = rng.choice(OPEN_LICENCES if rec["open_weights"] else CLOSED_LICENCES)
        if rng.random() < 0.85:
            rec["input_modalities"] = rng.choice(INPUTS)
            rec["output_modalities"] = rng.choice(OUTPUTS)
        if rng.random() < 0.85:
            rec["context_window"] = rng.choice(CONTEXT)
        if rng.random() < 0.65:
            rec["max_output_tokens"] = rng.choice(OUTPUT)
        if rng.random() < 0.6:
            rec["knowledge_cutoff"] = _date_text(rng, day - dt.timedelta(days=rng.randrange(60, 400)), 0.7)
        if rng.random() < 0.75:
            rec["reasoning"] = rng.random() < 0.4
        if rng.random() < 0.75:
            rec["tool_calling"] = rng.random() < 0.6
        if rng.random() < 0.7:
            price = rng.choice(PRICES)
            rec["pricing"] = {"input_per_mtok": price}
            if rng.random() < 0.95:
                rec["pricing"]["output_per_mtok"] = round(price * rng.choice([1, 2, 3, 4, 5, 8]), 4)
        if rng.random() < 0.8:
            rec["source"] = rng.choice(sources)["id"]
        models.append(rec)

    benchmarks, scores = [], []
    combos = [f"{d}{s}" for d in BENCH_DOMAINS for s in BENCH_SUFFIXES]
    for name in rng.sample(combos, n_benchmarks):
        if not take("benchmark", name):
            continue
        lower = rng.random() < 0.15
        benchmarks.append({"name": name, "unit": "%", "higher_is_better": not lower, "category": "general",
                           "source": rng.choice(sources)["id"]})
        for m in rng.sample(models, min(scores_per_benchmark, len(models))):
            scores.append({"model": m["name"], "benchmark": name, "value": round(rng.uniform(5, 95), 1),
                           "source": rng.choice(sources)["id"]})
    return {"pack": "bench-finder", "title": f"Synthetic finder benchmark pack (seed {seed})", "sources": sources,
            "organizations": orgs, "models": models, "benchmarks": benchmarks, "scores": scores}


def _reserve_bundled(take) -> None:
    """The bundled packs' names are taken first (every database loads them)."""
    import yaml

    from knowledge.db import bundled_packs

    for path in bundled_packs():
        doc = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        for section, kind in (("organizations", "org"), ("models", "model"), ("benchmarks", "benchmark")):
            for rec in doc.get(section) or []:
                for name in [rec["name"], *(rec.get("aliases") or [])]:
                    take(kind, str(name))


QUESTION_KINDS = {
    "superlative": ["which model has the largest context window", "cheapest model with at least {size} context",
                    "newest model from {org}", "oldest model from {org}", "which model has the smallest context window",
                    "most expensive {org} model"],
    "size": ["models with at least {size} context", "open-weights models with at least {size} context",
             "models with a context window of at least {size}", "models with {size} context or less"],
    "price": ["models under ${price} per million input tokens", "models with output price below ${price}",
              "reasoning models under ${price} per million input tokens", "cheapest open-weights model"],
    "modality": ["{org} models that take {modality}", "models that can generate images",
                 "open-weights models that take {modality}", "models that output audio"],
    "count": ["how many open-weights models does {org} have", "how many reasoning models does {org} have",
              "how many models have at least {size} context"],
    "period": ["models released between {month1} and {month2} {year}", "open-weights models released in {month} {year}",
               "models released in {year}", "{org} models released since {month} {year}"],
    "top": ["top {n} models by context window", "longest output limit among open-weights models",
            "top {n} cheapest models with tool calling"],
    "benchmark": ["which open-weights model is best on {bench}", "best {org} model on {bench}",
                  "which closed model is best on {bench}"],
    "licence": ["apache licensed models with at least {size} context", "MIT licensed reasoning models"],
}
SIZES_SAID = ["1M", "200k", "128K tokens", "a million tokens", "1,000,000 tokens", "64k", "400k", "32K"]
MODALITIES_SAID = ["audio", "images", "video", "PDFs"]


def generate_questions(pack: dict, n: int, seed: int) -> list[dict]:
    rng = random.Random(seed + 1)
    orgs = [o["aliases"][0] if o.get("aliases") else o["name"] for o in pack["organizations"]]
    benches = [b["name"] for b in pack["benchmarks"]]
    kinds = list(QUESTION_KINDS)
    out = []
    for i in range(n):
        kind = kinds[i % len(kinds)]
        template = rng.choice(QUESTION_KINDS[kind])
        m1 = rng.randrange(0, 11)
        text = template.format(size=rng.choice(SIZES_SAID), org=rng.choice(orgs),
                               price=rng.choice(["0.5", "1", "2", "5"]), modality=rng.choice(MODALITIES_SAID),
                               month1=MONTHS[m1],
                               month2=MONTHS[rng.randrange(m1 + 1, 12)], month=rng.choice(MONTHS),
                               year=rng.choice([2024, 2025, 2026]), n=rng.choice([3, 5, 10]), bench=rng.choice(benches))
        out.append({"kind": kind, "text": text})
    rng.shuffle(out)
    return out


# ---------------------------------------------------------------------------------------------
# Database
# ---------------------------------------------------------------------------------------------


def database_url(args, out: Path) -> str:
    if not args.db:
        return f"sqlite:///{out / 'finder.db'}"
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    schema = f"bench_finder_{args.models}_{args.seed}"
    engine = create_engine(args.db)
    with engine.begin() as conn:
        if not args.reuse:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA IF NOT EXISTS "{schema}"'))
    engine.dispose()
    return make_url(args.db).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)


def _model_count(url: str) -> int:
    from sqlalchemy import func, select

    from knowledge.db import make_engine
    from knowledge.schema import Model

    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return conn.execute(select(func.count()).select_from(Model)).scalar() or 0
    except Exception:  # no schema or table yet: nothing to reuse
        return 0
    finally:
        engine.dispose()


def build(url: str, pack_path: Path) -> dict:
    from knowledge.db import ensure_ready, make_engine
    from knowledge.packs import import_file

    if url.startswith("sqlite:///"):
        db = Path(url.removeprefix("sqlite:///"))
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
    engine = make_engine(url)
    t0 = time.perf_counter()
    ensure_ready(engine)
    t1 = time.perf_counter()
    result = import_file(engine, pack_path)
    t2 = time.perf_counter()
    engine.dispose()
    return {"migrate_and_bundled_s": t1 - t0, "import_s": t2 - t1, "counts": result.counts}


# ---------------------------------------------------------------------------------------------
# Measuring
# ---------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered), max(1, math.ceil(q * len(ordered)))) - 1]


def stats(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    if not ms:
        return {"n": 0}
    return {"n": len(ms), "median_ms": statistics.median(ms), "p90_ms": percentile(ms, 0.90),
            "p99_ms": percentile(ms, 0.99), "max_ms": max(ms), "mean_ms": statistics.fmean(ms)}


def measure(url: str, warmup: dict, questions: list[dict], passes: int = 2) -> dict:
    """Answer the warm-up, then time every question (``passes`` times over); then time find_models alone on the
    queries the first pass ran. The first pass is the measurement; a later one shows the steady state, once
    every statement shape has been compiled and cached (SQLAlchemy) and every first-use cache built."""
    import bot.answers.finder as finder_answers
    from bot.engine import answer
    from bot.values import Question
    from knowledge.finder import find_models
    from knowledge.store import KnowledgeBase

    kb = KnowledgeBase.open(url)
    ran: list[tuple[object, float]] = []

    def recording(engine, query):
        t = time.perf_counter()
        found = find_models(engine, query)
        ran.append((query, time.perf_counter() - t))
        return found

    finder_answers.find_models = recording
    try:
        t = time.perf_counter()
        first = answer(Question(text=warmup["text"]), kb, today=TODAY)
        warmup_s = time.perf_counter() - t
        rows = []
        for q in questions * passes:
            ran.clear()
            t = time.perf_counter()
            a = answer(Question(text=q["text"]), kb, today=TODAY)
            seconds = time.perf_counter() - t
            rows.append({**q, "ms": seconds * 1000, "intent": a.intent, "found": a.found,
                         "queries": [query for query, _ in ran], "find_ms": sum(s for _, s in ran) * 1000,
                         "first_line": a.text.splitlines()[0][:160] if a.text else ""})
    finally:
        finder_answers.find_models = find_models
    for r in rows[: len(questions)]:  # the first pass's queries again, find_models alone
        t = time.perf_counter()
        for query in r["queries"]:
            find_models(kb.engine, query)
        r["alone_ms"] = (time.perf_counter() - t) * 1000 if r["queries"] else None
        r["queries"] = [repr(query) for query in r["queries"]]
    kb.engine.dispose()
    later = rows[len(questions):]
    rows = rows[: len(questions)]
    finder_rows = [r for r in rows if r["queries"]]
    per_kind: dict[str, dict] = {}
    for kind in sorted({r["kind"] for r in rows}):
        mine = [r for r in rows if r["kind"] == kind]
        per_kind[kind] = {"answer": stats([r["ms"] / 1000 for r in mine]),
                          "find_models_alone": stats([r["alone_ms"] / 1000 for r in mine if r["alone_ms"] is not None])}
    return {"warmup": {"question": warmup["text"], "ms": warmup_s * 1000, "intent": first.intent},
            "answer": stats([r["ms"] / 1000 for r in rows]),
            "answer_later_passes": stats([r["ms"] / 1000 for r in later]),
            "find_models_in_answers": stats([r["find_ms"] / 1000 for r in finder_rows]),
            "find_models_alone": stats([r["alone_ms"] / 1000 for r in finder_rows]),
            "per_kind": per_kind, "intents": dict(Counter(r["intent"] for r in rows)),
            "found": sum(r["found"] for r in rows), "answered_by_finder": len(finder_rows),
            "slowest": sorted(rows, key=lambda r: -r["ms"])[:10], "questions": rows}


def _git_state() -> dict:
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.split("\n")
        return {"commit": head, "modified_files": [line[3:] for line in dirty if line.strip()]}
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None}


def _machine() -> dict:
    load = os.getloadavg() if hasattr(os, "getloadavg") else None
    return {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform(),
            "processor": platform.processor() or platform.machine(), "loadavg_at_start": load}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", type=int, default=10000)
    ap.add_argument("--benchmarks", type=int, default=30)
    ap.add_argument("--scores-per-benchmark", type=int, default=1000)
    ap.add_argument("--questions", type=int, default=100)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--passes", type=int, default=2, help="times the questions are asked; the first is the measurement")
    ap.add_argument("--db-dir", type=Path, default=HERE / "out", help="where the pack, DB and results go")
    ap.add_argument("--db", help="a PostgreSQL URL: the knowledge base goes into a schema of its own there")
    ap.add_argument("--reuse", action="store_true", help="keep the database built before (no generation, no import)")
    args = ap.parse_args()

    out = args.db_dir.resolve()
    out.mkdir(parents=True, exist_ok=True)
    code = _git_state()
    results: dict = {"machine": _machine(), "code": code, "targets": TARGETS, "today": TODAY.isoformat(),
                     "params": {k: getattr(args, k) for k in ("models", "benchmarks", "scores_per_benchmark",
                                                                "questions", "seed")}}
    print(f"modelwire finder benchmark  ({results['machine']['cpus']} CPUs, Python {results['machine']['python']}, "
          f"load {results['machine']['loadavg_at_start']}, commit {code.get('commit')}"
          f"{' + local changes' if code.get('modified_files') else ''})")

    t = time.perf_counter()
    pack = generate_pack(args.models, args.benchmarks, args.scores_per_benchmark, args.seed)
    questions = generate_questions(pack, args.questions + 1, args.seed)
    warmup, questions = questions[0], questions[1:]
    pack_path = out / f"finder-pack-{args.models}m-seed{args.seed}.json"
    (out / "finder-questions.json").write_text(json.dumps([warmup, *questions], indent=0), encoding="utf-8")
    url = database_url(args, out)
    reused = args.reuse and _model_count(url) >= args.models
    if reused:
        print("database: reusing the one built before")
        results["build"] = {"reused": True}
    else:
        pack_path.write_text(json.dumps(pack, ensure_ascii=False), encoding="utf-8")
        counts = {k: len(pack[k]) for k in ("organizations", "models", "benchmarks", "scores")}
        print(f"pack: {counts}, month-only release dates "
              f"{sum(len(m.get('released', '')) == 7 for m in pack['models'])}, generated in "
              f"{time.perf_counter() - t:.1f}s -> {pack_path.name}")
        results["build"] = build(url, pack_path)
        print(f"import: {results['build']['import_s']:.1f}s (migrate + bundled "
              f"{results['build']['migrate_and_bundled_s']:.2f}s)")
    results["database"] = (url.split("?")[0] if not args.db
                           else f"{args.db} (schema bench_finder_{args.models}_{args.seed})")

    m = measure(url, warmup, questions, args.passes)
    results.update(m)
    a, f_in, f_alone = m["answer"], m["find_models_in_answers"], m["find_models_alone"]
    print(f"warm-up: {m['warmup']['ms']:.0f} ms ({m['warmup']['question']!r}, intent {m['warmup']['intent']})")
    print(f"intents: {m['intents']}; found {m['found']} of {a['n']}; {m['answered_by_finder']} ran find_models")
    print("\n| measured | n | median | p90 | p99 | max |\n|---|---:|---:|---:|---:|---:|")
    lines = [("answer (bot.engine.answer)", a), ("find_models inside those answers", f_in),
             ("find_models alone, same queries", f_alone)]
    if m["answer_later_passes"]["n"]:
        lines.append((f"answer, the same questions again ({args.passes - 1}x)", m["answer_later_passes"]))
    for label, s in lines:
        print(f"| {label} | {s['n']} | {s['median_ms']:.2f} | {s['p90_ms']:.2f} | {s['p99_ms']:.2f} | "
              f"{s['max_ms']:.2f} |")
    print("\n| kind | n | answer median | answer max | find_models alone median | alone max |"
          "\n|---|---:|---:|---:|---:|---:|")
    for kind, v in m["per_kind"].items():
        ans, alone = v["answer"], v["find_models_alone"]
        cells = (f"{alone['median_ms']:.2f} | {alone['max_ms']:.2f}" if alone["n"] else "— | —")
        print(f"| {kind} | {ans['n']} | {ans['median_ms']:.2f} | {ans['max_ms']:.2f} | {cells} |")
    print("slowest: " + "; ".join(f"{r['ms']:.1f} ms {r['text']!r}" for r in m["slowest"][:5]))
    verdicts = {"median": "PASS" if a["median_ms"] <= TARGETS["median_ms"] else "MISS",
                "p99": "PASS" if a["p99_ms"] <= TARGETS["p99_ms"] else "MISS"}
    results["verdicts"] = verdicts
    print(f"\ntargets: median {a['median_ms']:.2f} ms <= {TARGETS['median_ms']} ms {verdicts['median']}; "
          f"p99 {a['p99_ms']:.2f} ms <= {TARGETS['p99_ms']} ms {verdicts['p99']}")
    end = _git_state()
    if end != code:
        results["code_at_end"] = end
        print(f"WARNING: the code changed during the run ({code} -> {end}); run again")
    path = out / ("finder-results.json" if not args.db else "finder-results-postgresql.json")
    path.write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
