"""Core benchmark of modelwire: pack import, warm answers, first answer from process start, peak memory.

Usage (from the repository root, with the project's venv):

    python bench/bench_core.py                       # 10k models, 200 benchmarks, 100k scores
    python bench/bench_core.py --models 1000 --scores 10000 --questions 300   # quick run
    python bench/bench_core.py --profile             # also cProfile each phase

Everything it writes goes to --db-dir (default bench/out/, which git ignores): the generated pack, the
SQLite file, the question list, results.json and, with --profile, one .prof file per phase.

The script generates a knowledge pack deterministically (random.Random(seed)), imports it into a fresh
SQLite file in a subprocess, then runs the measured phases in their own subprocesses so that each
peak RSS is that of one process (read with os.wait4, i.e. the per-child RUSAGE_CHILDREN figure).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULT_MARK = "@@BENCH-RESULT@@ "

TARGETS = {
    "import_s": 60.0,
    "warm_median_ms": 2.0,
    "warm_p99_ms": 10.0,
    "first_answer_s": 1.5,
    "peak_rss_mb": 400.0,
}

# ---------------------------------------------------------------------------------------------
# Word pools for realistic, fictional names
# ---------------------------------------------------------------------------------------------

FAMILY_WORDS = """
Nova Orion Zephyr Kestrel Aurora Lumen Cobalt Atlas Vega Sirius Halcyon Ember Quill Sable Tempest
Helios Nimbus Onyx Pulsar Quasar Raven Solace Titan Umbra Vertex Willow Xenon Yarrow Zenith Argent
Boreal Cinder Drift Fable Granite Harbor Juniper Koda Lyra Meridian Nexus Opal Prism Quartz Rune
Tundra Vireo Wren Aster Beacon Cipher Dynamo Ferro Glimmer Hydra Ion Jasper Kairo Lattice Mistral
Nebula Obsidian Photon Rhea Saber Tessera Ursa Volta Warden Xylo Yonder Zircon Alder Bramble Corvid
Dusk Equinox Fjord Gossamer Heron Indigo Jolt Kinetic Lark Magma Nocturne Osprey Piston Quokka Ridge
Sprocket Thistle Umber Vortex Wisp Zinnia Cascade Falcon Glacier Horizon Ignis Marble Sequoia
""".split()

ORG_STEMS = """
Helix Northwind Bluefin Silverline Redwood Ironclad Brightpath Deepcurrent Starling Coldspring
Greystone Highmark Lodestar Moonrise Oakhaven Pinecrest Quicksilver Riverbend Skyforge Stonebridge
Sunward Thornfield Tidewater Truenorth Westgate Amberly Blackthorn Clearwater Driftwood Evergreen
Firelight Goldcrest Hollowbrook Ivorygate Kingsbridge Larkspur Maplewood Nightingale Oceanic
Pathfinder Ravensworth Saltmarsh Tallgrass Underhill Valewood Whitecliff Yellowstone Zephyrine
Ashgrove Bellwether
""".split()

ORG_SUFFIXES = ["Labs", "AI", "Research", "Systems", "Intelligence", "Technologies", "Compute", "Foundry"]

CODENAME_ADJ = """Blue Red Silent Golden Hidden Crimson Amber Iron Silver Velvet Wild Frozen Hollow Lucky
Swift Quiet Bright Dark Copper Jade Scarlet Misty Rapid Gentle""".split()
CODENAME_NOUN = """Heronry Badger Otter Lynx Marten Ibis Pelican Walrus Bison Gecko Mantis Puffin Condor
Jackal Narwhal Ocelot Panther Stoat Tapir Vulture Weasel Yak Lemur Moth Cricket Beetle Salmon Trout
Ferret Hornet""".split()
CODENAME_SINGLE = """Tamarack Avalanche Chrysalis Driftglass Everglow Firebrand Gumdrop Hailstone Icicle
Jubilee Kaleidoscope Lantern Moonstone Nightjar Oriole Paperclip Quicksand Rainmaker Snowdrift
Tinderbox Underdog Vagabond Whirligig Yardstick Zeppelin""".split()

VARIANTS = ["Mini", "Pro", "Flash", "Lite", "Max", "Ultra", "Nano", "Turbo", "Plus", "Air"]
TUNES = ["Instruct", "Chat", "Coder", "Vision", "Reasoner", "Base", "Omni", "Math"]
SIZES = ["0.5B", "1B", "1.5B", "3B", "4B", "7B", "8B", "9B", "12B", "13B", "14B", "22B", "27B", "32B", "34B",
         "70B", "72B", "120B", "180B", "236B", "405B", "8x7B", "8x22B"]
LICENSES = ["Apache 2.0", "MIT", "proprietary", "community licence", "research only", "OpenRAIL-M"]
MODALITIES = [["text"], ["text", "image"], ["text", "image", "audio"], ["text", "image", "video"],
              ["text", "audio"]]
CONTEXT = [8192, 16384, 32768, 65536, 128000, 131072, 200000, 262144, 1000000, 2000000]
MODES = [["Fast", "Thinking"], ["Standard", "Deep"], ["Instant", "Reasoning"], ["Low", "Medium", "High"]]

BENCH_DOMAINS = """Math Code Logic Law Med Bio Chem Phys Fin Agent Tool Web Chart Doc Story Poly Lingua Sci
Geo Hist Puzzle Proof Trivia Dialog Safety Audio Video Table Retrieval Spatial Humor Ethics Planning
Robo Shell Sheet""".split()
BENCH_SUFFIXES = ["Bench", "Eval", "Arena", "QA", "Suite", "Gauntlet", "Trials"]
BENCH_VARIANTS = ["", "", "", " Hard", " Verified", " Lite", " Pro", " Multilingual", " Long", " v2", " 2.0",
                  " Extended", " Diamond", " Zero"]
BENCH_CATEGORIES = {"Math": "math", "Code": "coding", "Logic": "reasoning", "Law": "law", "Med": "medicine",
                    "Bio": "science", "Chem": "science", "Phys": "science", "Fin": "finance", "Agent": "agents",
                    "Tool": "agents", "Web": "agents", "Chart": "vision", "Doc": "vision", "Video": "vision",
                    "Audio": "audio", "Shell": "coding", "Sheet": "agents"}

UNKNOWN_NAMES = ["Zorblax", "Quindarion", "Blorptron", "Vexalith", "Snorkelon", "Grimbleton", "Plorvex"]

FACT_TEMPLATES = [
    ("training", "{s} was trained on {n} trillion tokens of licensed, synthetic and public web data."),
    ("training", "Reinforcement learning from human feedback was applied to {s} in {k} rounds."),
    ("compute", "{s} was trained on a cluster of {g},000 GPUs over {k} months."),
    ("availability", "{s} is available through the API and in the consumer app in {k}0 countries."),
    ("licensing", "The weights of {s} can be downloaded for research use after accepting the licence."),
    ("history", "{s} was delayed by {k} months after an internal safety review."),
    ("business", "The company behind {s} raised {k}.{n} billion dollars in its latest funding round."),
    ("capabilities", "{s} is strong at long-horizon planning and tool use according to its model card."),
]

# ---------------------------------------------------------------------------------------------
# Pack generation
# ---------------------------------------------------------------------------------------------


def _banned_words() -> tuple[set[str], object]:
    from bot import vocabulary as V

    return set(V.QUESTION_WORDS.words) | set(V.FUNCTION_WORDS), V.QUESTION_WORDS


def _clean_words(words: list[str]) -> list[str]:
    """Drop pool words that are, or are one edit from, a question word (they would confuse parsing)."""
    banned, lexicon = _banned_words()
    out = []
    for w in dict.fromkeys(words):
        low = w.lower()
        if low in banned or lexicon.near(low, min_length=4):
            continue
        out.append(w)
    return out


class _Unique:
    """Names and aliases by normalised key, per kind; a colliding one is dropped."""

    def __init__(self, normalize):
        self.normalize = normalize
        self.seen: dict[str, set[str]] = defaultdict(set)
        self.dropped = 0

    def take(self, kind: str, name: str) -> bool:
        key = self.normalize(name)
        if not key or key in self.seen[kind]:
            self.dropped += 1
            return False
        self.seen[kind].add(key)
        return True


def _bundled_keys(unique: _Unique) -> None:
    """Reserve the names of the bundled packs, which every database loads first."""
    import yaml

    from knowledge.db import bundled_packs

    for path in bundled_packs():
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for section, kind in (("organizations", "org"), ("models", "model"), ("benchmarks", "benchmark")):
            for rec in doc.get(section) or []:
                for name in [rec["name"], *(rec.get("aliases") or [])]:
                    unique.take(kind, str(name))


def _version(rng: random.Random) -> str:
    major = rng.randint(1, 6)
    minor = rng.choice([0, 0, 1, 2, 3, 5, 5, 7, 9])
    return str(major) if minor == 0 and rng.random() < 0.5 else f"{major}.{minor}"


def _model_name(rng: random.Random, fam: str) -> str:
    v = _version(rng)
    t = rng.random()
    if t < 0.18:
        return f"{fam} {v}"
    if t < 0.40:
        return f"{fam} {v} {rng.choice(VARIANTS)}"
    if t < 0.62:
        return f"{fam}-{rng.choice(SIZES)} {rng.choice(TUNES)} v{v}"
    if t < 0.72:
        return f"{fam}-{rng.choice(SIZES)}-{rng.choice(TUNES)}"
    if t < 0.84:
        return f"{fam} {rng.choice(VARIANTS)} {v}"
    if t < 0.92:
        return f"{fam}{v.split('.')[0]} {rng.choice(SIZES)} {rng.choice(TUNES)}"
    return f"{fam} {v} {rng.choice(VARIANTS)} {rng.choice(TUNES)}"


def _api_id(name: str, rng: random.Random, normalize) -> str:
    api = re.sub(r"[^a-z0-9]+", "-", re.sub(r"\bv(\d)", r"\1", name.lower())).strip("-")
    if normalize(api) == normalize(name):
        day = dt.date(2024, 1, 1) + dt.timedelta(days=rng.randrange(800))
        api += "-" + (day.strftime("%Y%m%d") if rng.random() < 0.6 else day.isoformat())
    return api


def _day(rng: random.Random, start: dt.date = dt.date(2023, 1, 1), days: int = 1200) -> dt.date:
    return start + dt.timedelta(days=rng.randrange(days))


def generate_pack(n_models: int, n_benchmarks: int, n_scores: int, seed: int) -> tuple[dict, dict]:
    """The pack document, and side data the question generator needs."""
    from knowledge.matching import normalize

    rng = random.Random(seed)
    unique = _Unique(normalize)
    _bundled_keys(unique)
    families = _clean_words(FAMILY_WORDS)
    org_stems = _clean_words(ORG_STEMS)
    code_adj, code_noun = _clean_words(CODENAME_ADJ), _clean_words(CODENAME_NOUN)
    code_single = _clean_words(CODENAME_SINGLE)

    sources = []
    for i in range(30):
        published = _day(rng)
        if i < 12:
            sources.append({"id": f"leaderboard-{i:02d}", "title": f"Open evaluation leaderboard snapshot {i + 1}",
                            "publisher": rng.choice(["EvalHub", "Benchwatch", "Scoreboard Weekly"]),
                            "url": f"https://example.org/leaderboard/{i}", "published": published.isoformat()})
        else:
            sources.append({"id": f"article-{i:02d}", "title": f"Model launch coverage, part {i - 11}",
                            "publisher": rng.choice(["The Wire", "AI Dispatch", "Model Notes"]),
                            "url": f"https://example.org/news/{i}", "published": published.isoformat()})
    source_ids = [s["id"] for s in sources]

    # organizations: ~50, a few of them units of another
    orgs = []
    for stem in org_stems:
        name = f"{stem} {rng.choice(ORG_SUFFIXES)}"
        if not unique.take("org", name):
            continue
        rec = {"name": name, "aliases": []}
        if unique.take("org", stem):
            rec["aliases"].append(stem)
        if rng.random() < 0.3 and unique.take("org", f"{name} Inc."):
            rec["aliases"].append(f"{name} Inc.")
        rec["description"] = f"{name} builds foundation models."
        rec["source"] = rng.choice(source_ids)
        orgs.append(rec)
    for rec in orgs[-6:]:
        rec["parent"] = rng.choice(orgs[:10])["name"]
    org_names = [o["name"] for o in orgs]
    org_stem = {o["name"]: o["name"].split()[0] for o in orgs}

    # families belong to organizations
    fam_org = {fam: org_names[i % len(org_names)] for i, fam in enumerate(rng.sample(families, len(families)))}
    fam_list = sorted(fam_org)

    models = []
    model_aliases: dict[str, dict[str, str]] = {}
    attempts = 0
    while len(models) < n_models:
        attempts += 1
        if attempts > n_models * 50:
            raise SystemExit(f"could only make {len(models)} unique model names")
        fam = rng.choice(fam_list)
        name = _model_name(rng, fam)
        if not unique.take("model", name):
            continue
        aliases: list[str] = []
        kinds: dict[str, str] = {}
        api = _api_id(name, rng, normalize)
        if rng.random() < 0.9 and unique.take("model", api):
            aliases.append(api)
            kinds["api"] = api
        if rng.random() < 0.4:  # a second API id: a dated snapshot, or a preview tag when the first is dated
            dated = re.search(r"-(\d{4}-?\d{2}-?\d{2})$", api)
            pinned = f"{api[:dated.start()]}-preview" if dated else \
                f"{api}-{_day(rng, dt.date(2024, 1, 1), 800).strftime('%Y%m%d')}"
            if unique.take("model", pinned):
                aliases.append(pinned)
        r = rng.random()
        if r < 0.20:
            code = f"{rng.choice(code_adj)} {rng.choice(code_noun)}"
        elif r < 0.30:
            code = rng.choice(code_single) + (f" {rng.randint(2, 9)}" if rng.random() < 0.5 else "")
        else:
            code = None
        if code and unique.take("model", code):
            aliases.append(code)
            kinds["codename"] = code
        org = fam_org[fam]
        if rng.random() < 0.25:
            prefixed = f"{org_stem[org]} {name}"
            if unique.take("model", prefixed):
                aliases.append(prefixed)
        released = _day(rng)
        rec: dict = {"name": name, "org": org, "aliases": aliases, "family": fam}
        if rng.random() < 0.9:
            rec["released"] = released.isoformat() if rng.random() < 0.8 else released.strftime("%Y-%m")
        rec["status"] = rng.choices(["released", "preview", "announced", "deprecated"], [80, 8, 4, 8])[0]
        if rng.random() < 0.85:
            rec["open_weights"] = rng.random() < 0.45
            rec["license"] = rng.choice(LICENSES)
        if rng.random() < 0.8:
            mods = rng.choice(MODALITIES)
            rec["input_modalities"] = mods
            rec["output_modalities"] = ["text"] if rng.random() < 0.85 else ["text", "image"]
        if rng.random() < 0.85:
            rec["context_window"] = rng.choice(CONTEXT)
        if rng.random() < 0.6:
            rec["max_output_tokens"] = rng.choice([4096, 8192, 16384, 32768, 65536, 128000])
        if rng.random() < 0.6:
            rec["knowledge_cutoff"] = (released - dt.timedelta(days=rng.randrange(60, 400))).strftime("%Y-%m")
        if rng.random() < 0.7:
            rec["reasoning"] = rng.random() < 0.5
            if rec["reasoning"] and rng.random() < 0.6:
                rec["modes"] = rng.choice(MODES)
        if rng.random() < 0.7:
            inp = round(rng.choice([0.05, 0.1, 0.15, 0.25, 0.4, 0.5, 1, 1.25, 2, 2.5, 3, 5, 10, 15]), 2)
            rec["pricing"] = {"input_per_mtok": float(inp),
                              "output_per_mtok": float(round(inp * rng.choice([2, 3, 4, 5, 8]), 2))}
        if rng.random() < 0.5:
            kind = rng.choice(["general", "coding", "multimodal", "small", "frontier"])
            rec["description"] = f"A {kind} model in the {fam} family by {org}."
        if rng.random() < 0.6:
            rec["source"] = rng.choice(source_ids)
        models.append(rec)
        model_aliases[name] = kinds

    # benchmarks
    benchmarks = []
    bench_combos = [(d, s) for d in BENCH_DOMAINS for s in BENCH_SUFFIXES]
    attempts = 0
    while len(benchmarks) < n_benchmarks:
        attempts += 1
        if attempts > n_benchmarks * 200:
            raise SystemExit(f"could only make {len(benchmarks)} unique benchmark names")
        d, s = rng.choice(bench_combos)
        name = f"{d}{s}{rng.choice(BENCH_VARIANTS)}"
        if not unique.take("benchmark", name):
            continue
        aliases = []
        spaced = f"{d} {s}{name[len(d) + len(s):]}"
        if rng.random() < 0.5 and unique.take("benchmark", spaced):
            aliases.append(spaced)
        acronym = d[0] + s[0] + "".join(w[0] for w in name[len(d) + len(s):].split())
        acronym = (f"{d[:3].upper()}-{s}{name[len(d) + len(s):].replace(' ', '-')}" if len(acronym) < 4
                   else acronym.upper() + "-" + d[:2].upper())
        if rng.random() < 0.4 and unique.take("benchmark", acronym):
            aliases.append(acronym)
        kind = rng.random()
        rec = {"name": name, "aliases": aliases, "category": BENCH_CATEGORIES.get(d, "general")}
        if kind < 0.84:
            rec.update(unit="%", higher_is_better=True)
        elif kind < 0.91:
            rec.update(unit="Elo", higher_is_better=True)
        elif kind < 0.96:
            rec.update(unit="points", higher_is_better=True)
        else:
            rec.update(unit="%", higher_is_better=False,
                       description=f"Error rate on {d.lower()} tasks; lower is better.")
        rec.setdefault("description", f"Measures {d.lower()} ability with {s.lower()}-style tasks.")
        rec["url"] = f"https://example.org/benchmarks/{re.sub(r'[^a-z0-9]+', '-', name.lower())}"
        rec["source"] = rng.choice(source_ids)
        benchmarks.append(rec)

    # scores: popular models and benchmarks get more, a few pairs have several settings
    quality = [rng.betavariate(2, 2) for _ in models]
    difficulty = [rng.betavariate(2, 3) for _ in benchmarks]
    model_weights = [1.0 / (1 + i / 400) for i in range(len(models))]
    bench_weights = [1.0 / (1 + i / 20) for i in range(len(benchmarks))]
    cum_m = list(_cumulative(model_weights))
    cum_b = list(_cumulative(bench_weights))
    settings = ["", "", "", "", "", "", "pass@1", "5-shot", "0-shot CoT", "with tools", "Thinking mode"]
    keys: set[tuple] = set()
    scores = []
    by_pair: dict[tuple[int, int], int] = defaultdict(int)
    while len(scores) < n_scores:
        mi = _pick(rng, cum_m)
        bi = _pick(rng, cum_b)
        setting = rng.choice(settings)
        src = rng.choice(source_ids[:12]) if rng.random() < 0.9 else None
        key = (mi, bi, setting, src)
        if key in keys:
            continue
        keys.add(key)
        by_pair[(mi, bi)] += 1
        bench = benchmarks[bi]
        base = quality[mi] * (1 - difficulty[bi]) + rng.gauss(0, 0.05)
        if bench["unit"] == "Elo":
            value = round(900 + 700 * base, 0)
        elif bench["unit"] == "points":
            value = round(min(10, max(0, 10 * base + 1)), 2)
        elif bench["higher_is_better"]:
            value = round(min(100, max(0, 100 * base + 10)), 1)
        else:
            value = round(min(100, max(0, 100 * (1 - base) - 5)), 1)
        rec = {"model": models[mi]["name"], "benchmark": bench["name"], "value": float(value)}
        if setting:
            rec["setting"] = setting
        if rng.random() < 0.7:
            rec["date"] = _day(rng, dt.date(2024, 1, 1), 800).isoformat()
        if src:
            rec["source"] = src
        scores.append(rec)

    # facts and releases
    facts = []
    for _ in range(max(20, n_models // 5)):
        r = rng.random()
        subject = (rng.choice(models)["name"] if r < 0.85 else rng.choice(orgs)["name"] if r < 0.95
                   else rng.choice(benchmarks)["name"])
        topic, template = rng.choice(FACT_TEMPLATES)
        facts.append({"subject": subject, "text": template.format(s=subject, n=rng.randint(2, 30),
                                                                  k=rng.randint(2, 9), g=rng.randint(4, 100)),
                      "topic": topic, "source": rng.choice(source_ids[12:])})
    releases = []
    for m in rng.sample(models, min(len(models), max(10, n_models // 10))):
        day = _day(rng, dt.date(2024, 1, 1), 850)
        rel = {"model": m["name"], "org": m["org"], "date": day.isoformat(),
               "title": f"{m['org']} launches {m['name']}", "source": rng.choice(source_ids[12:])}
        if rng.random() < 0.5:
            rel["summary"] = f"{m['name']} is now available in the API."
        releases.append(rel)
    seen_rel = set()
    releases = [r for r in releases
                if (r["model"], r["date"]) not in seen_rel and not seen_rel.add((r["model"], r["date"]))]

    pack = {"pack": "bench-synthetic", "title": f"Synthetic benchmark pack (seed {seed})", "sources": sources,
            "organizations": orgs, "models": models, "benchmarks": benchmarks, "scores": scores,
            "facts": facts, "releases": releases}
    pairs_by_bench: dict[int, list[int]] = defaultdict(list)
    for (mi, bi) in by_pair:
        pairs_by_bench[bi].append(mi)
    side = {"model_aliases": model_aliases, "pairs": sorted(by_pair), "pairs_by_bench": pairs_by_bench,
            "dropped_collisions": unique.dropped}
    return pack, side


def _cumulative(weights):
    total = 0.0
    for w in weights:
        total += w
        yield total


def _pick(rng: random.Random, cum: list[float]) -> int:
    import bisect

    return min(len(cum) - 1, bisect.bisect_left(cum, rng.random() * cum[-1]))


# ---------------------------------------------------------------------------------------------
# Questions
# ---------------------------------------------------------------------------------------------

QUESTION_MIX = [  # kind, share, intent(s) a correct answer has
    ("score", 0.26, {"score"}),
    ("compare2", 0.10, {"compare"}),
    ("compare3", 0.08, {"compare"}),
    ("leaderboard", 0.10, {"leaderboard"}),
    ("card", 0.10, {"model"}),
    ("model_fact", 0.10, {"model_fact"}),
    ("typo", 0.10, {"score"}),
    ("unknown", 0.08, {"unknown"}),
    ("releases", 0.08, {"releases"}),
]


def _swap_letters(rng: random.Random, name: str) -> str | None:
    """One pair of adjacent letters swapped inside the name's longest word (the family word)."""
    words = re.findall(r"[A-Za-z]{5,}", name)
    if not words:
        return None
    word = max(words, key=len)
    for _ in range(10):
        i = rng.randrange(1, len(word) - 1)
        swapped = word[:i] + word[i + 1] + word[i] + word[i + 2:]
        if swapped.lower() != word.lower():
            return name.replace(word, swapped, 1)
    return None


def generate_questions(pack: dict, side: dict, n: int, seed: int) -> list[dict]:
    rng = random.Random(seed + 1)
    models, benchmarks = pack["models"], pack["benchmarks"]
    pairs, by_bench = side["pairs"], side["pairs_by_bench"]
    busy_benches = [b for b, ms in by_bench.items() if len(ms) >= 3]

    def model_ref(mi: int) -> str:
        name = models[mi]["name"]
        kinds = side["model_aliases"].get(name, {})
        r = rng.random()
        if r < 0.15 and "api" in kinds:
            return kinds["api"]
        if r < 0.22 and "codename" in kinds:
            return kinds["codename"]
        return name

    def bench_ref(bi: int) -> str:
        b = benchmarks[bi]
        return rng.choice(b["aliases"]) if b["aliases"] and rng.random() < 0.2 else b["name"]

    kinds = [k for k, _, _ in QUESTION_MIX]
    weights = [w for _, w, _ in QUESTION_MIX]
    out = []
    while len(out) < n:
        kind = rng.choices(kinds, weights)[0]
        if kind == "score":
            mi, bi = rng.choice(pairs)
            text = rng.choice(["What did {m} score on {b}?", "{m} {b} score", "How did {m} do on {b}?"]) \
                .format(m=model_ref(mi), b=bench_ref(bi))
        elif kind == "compare2":
            bi = rng.choice(busy_benches)
            m1, m2 = rng.sample(by_bench[bi], 2)
            text = rng.choice(["{a} vs {b}", "Compare {a} and {b}", "Is {a} better than {b}?"]) \
                .format(a=model_ref(m1), b=model_ref(m2))
        elif kind == "compare3":
            bi = rng.choice(busy_benches)
            m1, m2, m3 = rng.sample(by_bench[bi], 3)
            text = f"compare {model_ref(m1)}, {model_ref(m2)} and {model_ref(m3)} on {bench_ref(bi)}"
        elif kind == "leaderboard":
            bi = rng.randrange(len(benchmarks))
            text = rng.choice(["top 5 on {b}", "Top 10 models on {b}", "Who leads {b}?", "best on {b}"]) \
                .format(b=bench_ref(bi))
        elif kind == "card":
            text = model_ref(rng.randrange(len(models)))
        elif kind == "model_fact":
            text = rng.choice(["what is the context window of {m}?", "Is {m} open source?", "How much does {m} cost?",
                               "Who made {m}?", "When was {m} released?", "What is the knowledge cutoff of {m}?"]) \
                .format(m=model_ref(rng.randrange(len(models))))
        elif kind == "typo":
            mi, bi = rng.choice(pairs)
            typo = _swap_letters(rng, models[mi]["name"])
            if typo is None:
                continue
            text = f"What did {typo} score on {bench_ref(bi)}?"
        elif kind == "unknown":
            unknown = f"{rng.choice(UNKNOWN_NAMES)} {rng.randint(2, 99)}"
            text = f"What did {unknown} score on {bench_ref(rng.randrange(len(benchmarks)))}?"
        else:
            text = rng.choice(["latest releases", "What are the newest releases?", "recent launches",
                               "latest 5 releases"])
        out.append({"kind": kind, "text": text})
    return out


# ---------------------------------------------------------------------------------------------
# Workers (run in subprocesses: python bench/bench_core.py --worker MODE ...)
# ---------------------------------------------------------------------------------------------


def _emit(result: dict) -> None:
    sys.stdout.write(RESULT_MARK + json.dumps(result) + "\n")
    sys.stdout.flush()


def _profiler(path: str | None):
    if not path:
        return None
    import cProfile

    prof = cProfile.Profile()
    prof.enable()
    return prof


def _stop_profiler(prof, path: str | None) -> None:
    if prof is not None:
        prof.disable()
        prof.dump_stats(path)


def worker_import(args) -> None:
    from knowledge.db import ensure_ready, make_engine
    from knowledge.packs import import_file

    engine = make_engine(args.db_url)
    t0 = time.perf_counter()
    ensure_ready(engine)
    t1 = time.perf_counter()
    prof = _profiler(args.profile)
    result = import_file(engine, Path(args.pack))
    _stop_profiler(prof, args.profile)
    t2 = time.perf_counter()
    engine.dispose()
    import resource

    _emit({"migrate_s": t1 - t0, "import_s": t2 - t1, "counts": result.counts,
           "self_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss})


def _open_kb(url: str):
    from knowledge.db import ensure_ready, make_engine
    from knowledge.store import KnowledgeBase

    engine = make_engine(url)
    ensure_ready(engine)
    return KnowledgeBase(engine)


def worker_warm(args) -> None:
    import gc
    import resource

    from bot.engine import answer
    from bot.values import Question

    questions = json.loads(Path(args.questions).read_text())
    t0 = time.perf_counter()
    kb = _open_kb(args.db_url)
    t1 = time.perf_counter()
    first = answer(Question(text=args.warmup), kb)
    t2 = time.perf_counter()
    rss_after_index = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    timings, intents, found = [], [], []
    gc.collect()
    prof = _profiler(args.profile)
    for q in questions:
        s = time.perf_counter()
        a = answer(Question(text=q["text"]), kb)
        timings.append(time.perf_counter() - s)
        intents.append(a.intent)
        found.append(a.found)
    _stop_profiler(prof, args.profile)
    _emit({"open_s": t1 - t0, "warmup_s": t2 - t1, "warmup_intent": first.intent, "timings_s": timings,
           "intents": intents, "found": found, "index_size": len(kb.index()),
           "self_maxrss_after_index_kib": rss_after_index,
           "self_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss})


def worker_memory(args) -> None:
    """Open the KB, build the index and answer one question of every kind: the footprint of a fresh bot."""
    import resource

    from bot.engine import answer
    from bot.values import Question

    questions = json.loads(Path(args.questions).read_text())
    per_kind = {}
    for q in questions:
        per_kind.setdefault(q["kind"], q["text"])
    kb = _open_kb(args.db_url)
    kb.index()
    rss_index = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    answered = {kind: answer(Question(text=text), kb).intent for kind, text in per_kind.items()}
    _emit({"answered": answered, "self_maxrss_after_index_kib": rss_index,
           "self_maxrss_kib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss})


COLD_SNIPPET = r"""
import sys, time, json
t_start = float(sys.argv[1]); question = sys.argv[3]
a0 = time.time()
from bot.engine import answer
from bot.values import Question
from knowledge.store import KnowledgeBase
a1 = time.time()
prof = None
if len(sys.argv) > 4:
    import cProfile; prof = cProfile.Profile(); prof.enable()
kb = KnowledgeBase.open(sys.argv[2])
a2 = time.time()
ans = answer(Question(text=question), kb)
a3 = time.time()
if prof is not None:
    prof.disable(); prof.dump_stats(sys.argv[4])
print("@@BENCH-RESULT@@ " + json.dumps({"interpreter_s": a0 - t_start, "imports_s": a1 - a0, "open_s": a2 - a1,
      "answer_s": a3 - a2, "since_start_s": a3 - t_start, "intent": ans.intent}))
"""


# ---------------------------------------------------------------------------------------------
# Running subprocesses with their own peak RSS
# ---------------------------------------------------------------------------------------------


def run_child(cmd: list[str], env: dict | None = None) -> dict:
    """Run a child; wall time from Popen to exit, its peak RSS (os.wait4), its stdout and result line."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, env=env)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        proc.stdout.close()
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    text = out.decode(errors="replace")
    if proc.returncode != 0:
        raise SystemExit(f"child failed ({proc.returncode}): {' '.join(cmd[:4])} ...\n{stderr[-3000:]}")
    result = None
    for line in text.splitlines():
        if line.startswith(RESULT_MARK):
            result = json.loads(line[len(RESULT_MARK):])
    return {"wall_s": wall, "maxrss_kib": usage.ru_maxrss, "result": result, "stdout": text, "stderr": stderr}


def _worker_cmd(mode: str, args, **extra) -> list[str]:
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", mode, "--db-url", args.db_url]
    for key, value in extra.items():
        if value is not None:
            cmd += [f"--{key.replace('_', '-')}", str(value)]
    return cmd


# ---------------------------------------------------------------------------------------------
# Reporting
# ---------------------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    rank = max(1, math.ceil(q * len(ordered)))
    return ordered[min(len(ordered), rank) - 1]


def latency_stats(seconds: list[float]) -> dict:
    ms = [s * 1000 for s in seconds]
    return {"n": len(ms), "median_ms": statistics.median(ms), "p90_ms": percentile(ms, 0.90),
            "p99_ms": percentile(ms, 0.99), "max_ms": max(ms), "mean_ms": statistics.fmean(ms)}


def top_hotspots(prof_path: Path, limit: int = 15) -> list[dict]:
    """The functions with the most own time, and those with the most cumulative time in project code."""
    import pstats

    stats = pstats.Stats(str(prof_path))
    rows = []
    for (filename, line, func), (_cc, nc, tt, ct, _callers) in stats.stats.items():
        rows.append({"where": f"{_short(filename)}:{line}({func})", "calls": nc, "tottime_s": tt, "cumtime_s": ct,
                     "project": str(ROOT) + "/" in filename and "/bench/" not in filename})
    own = sorted(rows, key=lambda r: -r["tottime_s"])[:limit]
    cum = sorted((r for r in rows if r["project"]), key=lambda r: -r["cumtime_s"])[:limit]
    return [{"by": "tottime", **r} for r in own] + [{"by": "cumtime(project)", **r} for r in cum]


def _short(filename: str) -> str:
    for marker in (str(ROOT) + "/", "site-packages/"):
        if marker in filename:
            return filename.split(marker, 1)[1]
    return filename


def print_hotspots(title: str, rows: list[dict]) -> None:
    print(f"\n  Hotspots: {title}")
    for by in ("tottime", "cumtime(project)"):
        print(f"    by {by}:")
        for r in [r for r in rows if r["by"] == by][:12]:
            print(f"      {r['tottime_s']:8.3f}s own {r['cumtime_s']:8.3f}s cum {r['calls']:>9} calls  {r['where']}")


def verdict(value: float, target: float) -> str:
    return "PASS" if value < target else "MISS"


# ---------------------------------------------------------------------------------------------
# Main
# ---------------------------------------------------------------------------------------------


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--models", type=int, default=10000)
    ap.add_argument("--benchmarks", type=int, default=200)
    ap.add_argument("--scores", type=int, default=100000)
    ap.add_argument("--questions", type=int, default=2000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--db-dir", type=Path, default=HERE / "out", help="where the pack, DB and results go")
    ap.add_argument("--cli-runs", type=int, default=5)
    ap.add_argument("--profile", action="store_true", help="cProfile every phase; .prof files go to --db-dir")
    ap.add_argument("--reuse", action="store_true", help="keep the existing pack file and database (no import)")
    # worker mode (internal)
    ap.add_argument("--worker", choices=["import", "warm", "memory"], help=argparse.SUPPRESS)
    ap.add_argument("--db-url", help=argparse.SUPPRESS)
    ap.add_argument("--pack", help=argparse.SUPPRESS)
    ap.add_argument("--questions-file", dest="questions_path", help=argparse.SUPPRESS)
    ap.add_argument("--warmup", help=argparse.SUPPRESS)
    ap.add_argument("--profile-out", dest="profile_out", help=argparse.SUPPRESS)
    args = ap.parse_args()

    if args.worker:
        args.questions = args.questions_path
        args.profile = args.profile_out
        {"import": worker_import, "warm": worker_warm, "memory": worker_memory}[args.worker](args)
        return

    out = args.db_dir.resolve()
    out.mkdir(parents=True, exist_ok=True)
    db_path = out / "bench.db"
    pack_path = out / f"bench-pack-{args.models}m-{args.scores}s-seed{args.seed}.json"
    questions_path = out / "questions.json"
    args.db_url = f"sqlite:///{db_path}"
    prof = (lambda name: str(out / f"prof-{name}.prof")) if args.profile else (lambda name: None)
    results: dict = {"machine": _machine(), "code": _git_state(), "params": {k: getattr(args, k) for k in
                                                       ("models", "benchmarks", "scores", "questions", "seed")},
                     "targets": TARGETS}
    local = " + local changes" if results["code"].get("modified_files") else ""
    print(f"modelwire core benchmark  ({results['machine']['cpus']} CPUs, Python {results['machine']['python']}, "
          f"commit {results['code'].get('commit')}{local})")

    # 1. pack
    t = time.perf_counter()
    pack, side = generate_pack(args.models, args.benchmarks, args.scores, args.seed)
    questions = generate_questions(pack, side, args.questions + 1, args.seed)
    warmup, questions = questions[0], questions[1:]
    if not (args.reuse and pack_path.exists()):
        pack_path.write_text(json.dumps(pack, ensure_ascii=False), encoding="utf-8")
    questions_path.write_text(json.dumps(questions, ensure_ascii=False, indent=0), encoding="utf-8")
    counts = {k: len(pack[k]) for k in ("organizations", "models", "benchmarks", "scores", "facts", "releases",
                                         "sources")}
    counts["aliases"] = sum(len(r.get("aliases", [])) for k in ("organizations", "models", "benchmarks")
                            for r in pack[k])
    results["pack"] = {"path": str(pack_path), "bytes": pack_path.stat().st_size, "counts": counts,
                       "dropped_name_collisions": side["dropped_collisions"],
                       "generate_s": time.perf_counter() - t}
    print(f"pack: {counts} -> {pack_path.name} ({pack_path.stat().st_size / 1e6:.1f} MB), "
          f"{side['dropped_collisions']} colliding names dropped, {results['pack']['generate_s']:.1f}s")

    # 2. import into a fresh SQLite file
    if args.reuse and db_path.exists():
        previous = out / "results.json"
        if previous.exists():
            results["import"] = {**json.loads(previous.read_text()).get("import", {}), "reused": True}
        print("import: reusing the existing database (import figures, if any, are from the previous run)")
    else:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{db_path}{suffix}").unlink(missing_ok=True)
        run = run_child(_worker_cmd("import", args, pack=pack_path, profile_out=prof("import")))
        r = run["result"]
        results["import"] = {"import_s": r["import_s"], "migrate_and_bundled_s": r["migrate_s"],
                             "process_wall_s": run["wall_s"], "peak_rss_mb": run["maxrss_kib"] / 1024,
                             "counts": r["counts"]}
        print(f"import: {r['import_s']:.2f}s (migrate+bundled {r['migrate_s']:.2f}s, process {run['wall_s']:.2f}s, "
              f"peak RSS {run['maxrss_kib'] / 1024:.0f} MB)")
    size = sum(Path(f"{db_path}{s}").stat().st_size for s in ("", "-wal") if Path(f"{db_path}{s}").exists())
    results.setdefault("import", {})["db_bytes"] = size
    print(f"database: {db_path} {size / 1e6:.1f} MB")

    # 3. warm answers
    run = run_child(_worker_cmd("warm", args, questions_file=questions_path, warmup=warmup["text"],
                                profile_out=prof("warm")))
    r = run["result"]
    overall = latency_stats(r["timings_s"])
    per_kind: dict[str, list[float]] = defaultdict(list)
    ok_kind: dict[str, list[bool]] = defaultdict(list)
    expected = {k: e for k, _, e in QUESTION_MIX}
    samples: dict[str, list[str]] = defaultdict(list)
    for q, secs, intent in zip(questions, r["timings_s"], r["intents"]):
        per_kind[q["kind"]].append(secs)
        ok_kind[q["kind"]].append(intent in expected[q["kind"]])
        if intent not in expected[q["kind"]] and len(samples[q["kind"]]) < 3:
            samples[q["kind"]].append(f"{q['text']!r} -> {intent}")
    slowest = sorted(zip(r["timings_s"], questions), key=lambda p: -p[0])[:10]
    results["warm"] = {"open_s": r["open_s"], "warmup_first_answer_s": r["warmup_s"], "index_size": r["index_size"],
                       "overall": overall,
                       "per_kind": {k: {**latency_stats(v), "expected_intent_rate": sum(ok_kind[k]) / len(ok_kind[k])}
                                    for k, v in sorted(per_kind.items())},
                       "unexpected_intent_samples": dict(samples),
                       "slowest": [{"ms": s * 1000, **q} for s, q in slowest],
                       "process_peak_rss_mb": run["maxrss_kib"] / 1024}
    print(f"warm: open {r['open_s'] * 1000:.0f} ms, warm-up answer (builds index of {r['index_size']} names) "
          f"{r['warmup_s'] * 1000:.0f} ms, {overall['n']} questions timed")

    # 4. first answer from process start
    first_q = next(q["text"] for q in questions if q["kind"] == "score")
    modelwire = shutil.which("modelwire", path=str(Path(sys.executable).parent)) or shutil.which("modelwire")
    cli_runs = [run_child([modelwire, "--db", args.db_url, "ask", first_q]) for _ in range(args.cli_runs)]
    cold_runs = []
    for i in range(args.cli_runs):
        cmd = [sys.executable, "-c", COLD_SNIPPET, repr(time.time()), args.db_url, first_q]
        if args.profile and i == 0:
            cmd.append(prof("cold"))
        cold_runs.append(run_child(cmd))
    cold_runs_used = cold_runs[1:] if args.profile and len(cold_runs) > 1 else cold_runs
    cold = {k: statistics.median(c["result"][k] for c in cold_runs_used)
            for k in ("interpreter_s", "imports_s", "open_s", "answer_s", "since_start_s")}
    results["first_answer"] = {
        "question": first_q, "cli": modelwire,
        "cli_wall_s": [c["wall_s"] for c in cli_runs],
        "cli_median_s": statistics.median(c["wall_s"] for c in cli_runs),
        "cli_peak_rss_mb": max(c["maxrss_kib"] for c in cli_runs) / 1024,
        "cli_output_head": cli_runs[0]["stdout"][:400],
        "in_process_median": cold,
        "in_process_wall_s": statistics.median(c["wall_s"] for c in cold_runs_used),
        "in_process_intent": cold_runs[0]["result"]["intent"],
    }

    # 5. memory
    mem = run_child(_worker_cmd("memory", args, questions_file=questions_path))
    results["memory"] = {"answer_all_kinds_peak_rss_mb": mem["maxrss_kib"] / 1024,
                         "after_index_rss_mb": mem["result"]["self_maxrss_after_index_kib"] / 1024,
                         "answered": mem["result"]["answered"],
                         "import_peak_rss_mb": results["import"].get("peak_rss_mb"),
                         "warm_run_peak_rss_mb": results["warm"]["process_peak_rss_mb"]}

    # 6. table
    imp = results["import"].get("import_s")
    fa = results["first_answer"]
    checks = [
        ("import (import_file)", f"{imp:.2f} s" if imp is not None else "reused", "< 60 s",
         verdict(imp, TARGETS["import_s"]) if imp is not None else "-"),
        ("warm answer median", f"{overall['median_ms']:.2f} ms", "< 2 ms", verdict(overall["median_ms"], 2.0)),
        ("warm answer p99", f"{overall['p99_ms']:.2f} ms", "< 10 ms", verdict(overall["p99_ms"], 10.0)),
        ("first answer, modelwire ask (median)", f"{fa['cli_median_s']:.2f} s", "< 1.5 s",
         verdict(fa["cli_median_s"], 1.5)),
        ("first answer, in-process since start", f"{cold['since_start_s']:.2f} s", "< 1.5 s",
         verdict(cold["since_start_s"], 1.5)),
        ("peak RSS, answering all kinds", f"{results['memory']['answer_all_kinds_peak_rss_mb']:.0f} MB", "< 400 MB",
         verdict(results["memory"]["answer_all_kinds_peak_rss_mb"], 400)),
        ("peak RSS, import", f"{results['import']['peak_rss_mb']:.0f} MB" if "peak_rss_mb" in results["import"]
         else "reused", "< 400 MB",
         verdict(results["import"]["peak_rss_mb"], 400) if "peak_rss_mb" in results["import"] else "-"),
    ]
    results["checks"] = [dict(zip(("metric", "value", "target", "verdict"), c)) for c in checks]
    print("\nResults")
    print(f"  {'metric':<40}{'value':>12}  {'target':<10}verdict")
    for metric, value, target, ver in checks:
        print(f"  {metric:<40}{value:>12}  {target:<10}{ver}")
    print(f"\n  database file {size / 1e6:.1f} MB", end="")
    if "process_wall_s" in results["import"]:
        print(f"; import process wall {results['import']['process_wall_s']:.2f} s, of which migration and "
              f"bundled packs {results['import']['migrate_and_bundled_s']:.2f} s", end="")
    print()
    print(f"  warm-up first answer (index build) {r['warmup_s'] * 1000:.0f} ms; "
          f"peak RSS of the {overall['n']}-question process {results['warm']['process_peak_rss_mb']:.0f} MB")
    print(f"  in-process cold: interpreter {cold['interpreter_s']:.2f}s + imports {cold['imports_s']:.2f}s + "
          f"open {cold['open_s']:.2f}s + first answer {cold['answer_s']:.2f}s; process wall "
          f"{fa['in_process_wall_s']:.2f}s; modelwire ask runs {', '.join(f'{w:.2f}' for w in fa['cli_wall_s'])} s")
    print("\n  Warm latency per kind (ms)")
    print(f"  {'kind':<14}{'n':>6}{'median':>9}{'p90':>9}{'p99':>9}{'max':>9}  expected intent")
    for kind, st in [("ALL", {**overall, "expected_intent_rate": float("nan")}),
                     *results["warm"]["per_kind"].items()]:
        rate = "" if kind == "ALL" else f"{st['expected_intent_rate'] * 100:.0f}%"
        print(f"  {kind:<14}{st['n']:>6}{st['median_ms']:>9.2f}{st['p90_ms']:>9.2f}{st['p99_ms']:>9.2f}"
              f"{st['max_ms']:>9.2f}  {rate}")
    for kind, s in samples.items():
        print(f"    unexpected {kind}: {'; '.join(s)}")
    slowest = results["warm"]["slowest"][:5]
    print("  slowest:", "; ".join(f"{s['ms']:.1f} ms {s['kind']} {s['text']!r}" for s in slowest))

    if args.profile:
        results["hotspots"] = {}
        for name in ("import", "warm", "cold"):
            path = out / f"prof-{name}.prof"
            if path.exists():
                results["hotspots"][name] = top_hotspots(path)
                print_hotspots(f"{name} ({path.name})", results["hotspots"][name])

    end_state = _git_state()
    if end_state != results["code"]:
        results["code_at_end"] = end_state
        print(f"\nWARNING: the code changed during the run ({results['code']} -> {end_state}); "
              "phases may have measured different versions, run again")
    (out / "results.json").write_text(json.dumps(results, indent=2, default=str), encoding="utf-8")
    print(f"\nwrote {out / 'results.json'}")


def _git_state() -> dict:
    """The commit measured, and whether the working tree differed from it (others edit concurrently)."""
    root = HERE.parent
    try:
        head = subprocess.run(["git", "-C", str(root), "rev-parse", "--short", "HEAD"], capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(root), "status", "--porcelain", "--untracked-files=no"],
                               capture_output=True, text=True, check=True).stdout.split("\n")
        return {"commit": head, "modified_files": [line[3:] for line in dirty if line.strip()]}
    except (OSError, subprocess.CalledProcessError):
        return {"commit": None}


def _machine() -> dict:
    import platform

    info = {"cpus": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                info["cpu"] = line.split(":", 1)[1].strip()
                break
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal"):
                info["mem_total_kib"] = int(line.split()[1])
    except OSError:
        pass
    return info


if __name__ == "__main__":
    main()
