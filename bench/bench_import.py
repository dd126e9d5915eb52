"""Import benchmark: time and peak memory of ``knowledge.packs.import_file`` on large packs, and the
first fact question after importing 900,000 facts.

Packs come from ``bench_core.generate_pack`` (deterministic for a seed) and are written once under
``--db-dir`` (default ``bench/out/``, git-ignored) as JSON and as block-style YAML. Every import runs
in a child process on a fresh SQLite file; its peak RSS is the child's ``ru_maxrss`` from ``os.wait4``.

    python bench/bench_import.py                        # every case
    python bench/bench_import.py --cases core-json core-yaml
    python bench/bench_import.py --repo /tmp/mw-base    # another checkout's code, same packs
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
RESULT_MARK = "@@BENCH-RESULT@@ "

CASES = {
    # name: (models, benchmarks, scores, facts, format)
    "core-json": (10_000, 200, 100_000, None, "json"),
    "core-yaml": (10_000, 200, 100_000, None, "yaml"),
    "big-yaml": (30_000, 600, 620_000, None, "yaml"),
    "facts-900k": (10_000, 200, 100_000, 900_000, "json"),
}
FACT_QUESTIONS = [
    "How many GPUs was {model} trained on?",
    "Which model was delayed after an internal safety review?",
    "How much money did the company behind {model} raise?",
]


def pack_path(out: Path, case: str, seed: int) -> Path:
    """The pack file of a case, generated (once per case and seed) if it is not there yet."""
    models, benchmarks, scores, facts, fmt = CASES[case]
    path = out / f"import-{models}m-{scores}s-{facts or 0}f-seed{seed}.{fmt}"
    if not path.exists():
        pack = _pack(models, benchmarks, scores, facts, seed)
        tmp = path.with_suffix(".tmp")
        with tmp.open("w", encoding="utf-8") as fh:
            if fmt == "json":
                json.dump(pack, fh, ensure_ascii=False)
            else:
                import yaml

                yaml.dump(pack, fh, Dumper=yaml.CSafeDumper, sort_keys=False, allow_unicode=True, width=200)
        tmp.rename(path)
    return path


def _pack(models: int, benchmarks: int, scores: int, facts: int | None, seed: int) -> dict:
    from bench_core import FACT_TEMPLATES, generate_pack

    pack, _ = generate_pack(models, benchmarks, scores, seed)
    if facts:
        rng = random.Random(seed + 1)
        subjects = [m["name"] for m in pack["models"]]
        sources = [s["id"] for s in pack["sources"]]
        pack["facts"] = []
        for _ in range(facts):
            subject = rng.choice(subjects)
            topic, template = rng.choice(FACT_TEMPLATES)
            text = template.format(s=subject, n=rng.randint(2, 30), k=rng.randint(2, 9), g=rng.randint(4, 100))
            pack["facts"].append({"subject": subject, "text": text, "topic": topic, "source": rng.choice(sources)})
    return pack


def run_child(cmd: list[str], env: dict) -> dict:
    """Run a child; wall time from Popen to exit, its peak RSS (os.wait4) and its result line."""
    with tempfile.TemporaryFile() as err:
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=err, env=env)
        out = proc.stdout.read()
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.stdout.close()
        err.seek(0)
        stderr = err.read().decode(errors="replace")
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"child failed: {' '.join(cmd[:6])} ...\n{stderr[-3000:]}")
    result = next((json.loads(line[len(RESULT_MARK):]) for line in out.decode().splitlines()
                   if line.startswith(RESULT_MARK)), None)
    return {"wall_s": wall, "peak_rss_mb": usage.ru_maxrss / 1024, "result": result}


def worker_import(db_url: str, pack: str) -> None:
    """Child: migrate, load the bundled packs, then import ``pack`` (timed on its own)."""
    from knowledge.db import ensure_ready, make_engine
    from knowledge.packs import import_file

    engine = make_engine(db_url)
    t0 = time.perf_counter()
    ensure_ready(engine)
    t1 = time.perf_counter()
    result = import_file(engine, Path(pack))
    t2 = time.perf_counter()
    print(RESULT_MARK + json.dumps({"migrate_s": t1 - t0, "import_s": t2 - t1, "counts": result.counts}))


def worker_ask(db_url: str, question: str, started: float) -> None:
    """Child: a fresh process's first answer, split into imports, open and answer."""
    a0 = time.time()
    from bot.engine import answer
    from bot.question import Question
    from knowledge.store import KnowledgeBase

    a1 = time.time()
    kb = KnowledgeBase.open(db_url)
    a2 = time.time()
    ans = answer(Question(text=question), kb)
    a3 = time.time()
    print(RESULT_MARK + json.dumps({"imports_s": a1 - a0, "open_s": a2 - a1, "answer_s": a3 - a2,
                                    "since_start_s": a3 - started, "intent": ans.intent, "found": ans.found,
                                    "text": ans.text[:300]}))


def _env(repo: Path | None) -> dict:
    env = dict(os.environ)
    if repo:
        env["PYTHONPATH"] = f"{repo}{os.pathsep}{env.get('PYTHONPATH', '')}"
    return env


def _fresh_db(out: Path, case: str) -> str:
    db = out / f"import-{case}.db"
    for suffix in ("", "-wal", "-shm", "-journal"):
        Path(f"{db}{suffix}").unlink(missing_ok=True)
    return f"sqlite:///{db}"


def bench_import(out: Path, case: str, seed: int, env: dict) -> dict:
    """Import one case's pack into a fresh database in a child process."""
    t = time.perf_counter()
    path = pack_path(out, case, seed)
    generated = time.perf_counter() - t
    db_url = _fresh_db(out, case)
    run = run_child([sys.executable, __file__, "--worker", "import", db_url, str(path)], env)
    row = {"case": case, "pack": path.name, "pack_mb": path.stat().st_size / 1e6, "generate_s": generated,
           "import_s": run["result"]["import_s"], "migrate_s": run["result"]["migrate_s"],
           "process_s": run["wall_s"], "peak_rss_mb": run["peak_rss_mb"], "counts": run["result"]["counts"],
           "db_url": db_url}
    print(f"{case}: {row['pack_mb']:.1f} MB pack, import {row['import_s']:.2f} s (process {row['process_s']:.2f} s), "
          f"peak RSS {row['peak_rss_mb']:.0f} MB", flush=True)
    return row


def bench_first_questions(out: Path, db_url: str, seed: int, runs: int, env: dict) -> list[dict]:
    """Each fact question as the first of a fresh process, ``runs`` times; medians reported."""
    from bench_core import generate_pack

    pack, _ = generate_pack(*CASES["facts-900k"][:3], seed)
    model = pack["models"][0]["name"]
    rows = []
    for template in FACT_QUESTIONS:
        question = template.format(model=model)
        results = []
        for _ in range(runs):
            started = time.time()
            results.append(run_child([sys.executable, __file__, "--worker", "ask", db_url, question,
                                      str(started)], env))
        first = results[0]["result"]
        row = {"question": question, "intent": first["intent"], "found": first["found"], "text": first["text"],
               "since_start_s": statistics.median(r["result"]["since_start_s"] for r in results),
               "answer_s": statistics.median(r["result"]["answer_s"] for r in results),
               "open_s": statistics.median(r["result"]["open_s"] for r in results),
               "peak_rss_mb": statistics.median(r["peak_rss_mb"] for r in results),
               "runs_since_start_s": [round(r["result"]["since_start_s"], 3) for r in results]}
        print(f"first question: {question!r}: {row['since_start_s']:.2f} s from process start "
              f"(answer {row['answer_s']:.2f} s, runs {row['runs_since_start_s']}), intent {row['intent']}, "
              f"peak RSS {row['peak_rss_mb']:.0f} MB", flush=True)
        rows.append(row)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--cases", nargs="+", choices=list(CASES), default=list(CASES))
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--runs", type=int, default=3, help="fresh processes per first question")
    ap.add_argument("--db-dir", type=Path, default=HERE / "out")
    ap.add_argument("--repo", type=Path, help="put this checkout first on the children's path")
    ap.add_argument("--worker", nargs="+", help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.worker:
        mode, *rest = args.worker
        worker_import(*rest) if mode == "import" else worker_ask(rest[0], rest[1], float(rest[2]))
        return
    out = args.db_dir.resolve()
    out.mkdir(parents=True, exist_ok=True)
    env = _env(args.repo)
    results = {"repo": str(args.repo or HERE.parent), "cases": []}
    for case in args.cases:
        row = bench_import(out, case, args.seed, env)
        if case == "facts-900k":
            row["first_questions"] = bench_first_questions(out, row["db_url"], args.seed, args.runs, env)
        results["cases"].append(row)
    (out / "import-results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
