"""How well modelwire understands questions typed the way people type in chat, per class of question.

Runs every case of ``tests/data/understanding.yaml`` (see the comment at its top) against two fresh
SQLite knowledge bases in a temporary directory: the bundled packs alone ("seed"), and the bundled packs
plus the synthetic models.dev catalogue ``tests/data/chat-catalog.json`` ("catalog"). Prints passed/total
per class and overall.

Usage (from the repository root, in the project's venv):

    python bench/eval_understanding.py                       # this checkout
    python bench/eval_understanding.py --failures            # also list what failed, with the answer's first line
    python bench/eval_understanding.py --json results.json   # every turn, its answer and its problems
    python bench/eval_understanding.py --class near_misses --failures
    python bench/eval_understanding.py --repo /tmp/mw-baseline   # the same cases against another checkout

``--repo`` puts that checkout first on ``sys.path``, so ``bot`` and ``knowledge`` (and the bundled packs
and migrations) come from it, while the cases and the catalogue come from this script's checkout (an
older commit may not have them). The script changes no project files. The module is also imported by
``tests/test_understanding.py`` for loading and checking the cases; nothing here imports ``bot`` or
``knowledge`` at import time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import inspect
import json
import subprocess
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
CASES = ROOT / "tests" / "data" / "understanding.yaml"
CATALOG = ROOT / "tests" / "data" / "chat-catalog.json"
TODAY = dt.date(2026, 11, 30)
"""The day the questions are asked: catalogue models released in the 30 days before it are release records."""
CATALOG_URL = "https://models.dev/models.json"
"""The source URL the catalogue is imported under (so answers cite the same source in every run)."""
KB_KINDS = ("seed", "catalog")
INTENTS = {"score", "compare", "leaderboard", "model", "model_fact", "benchmark", "fact", "org", "releases", "find",
           "fields",
           "help", "unknown"}
_TURN_KEYS = {"q", "found", "intent", "has", "not", "max_len"}
_CASE_KEYS = {"class", "kb", "turns"} | _TURN_KEYS


@dataclass
class Case:
    """One question, or one conversation (several turns, each asked with the previous answer's context)."""

    id: str
    cls: str
    kb: str
    turns: list[dict] = field(default_factory=list)


def load_cases(path: Path = CASES) -> list[Case]:
    """The cases of the YAML file, each with an id "<class>-<nn>" (numbered within its class, from 1).

    Raises ValueError naming the case when one is malformed.
    """
    import yaml

    data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    raw = data["cases"] if isinstance(data, dict) else data
    numbers: Counter = Counter()
    cases = []
    for position, item in enumerate(raw, 1):
        where = f"{path}: case {position}"
        if not isinstance(item, dict) or "class" not in item:
            raise ValueError(f"{where}: needs a mapping with a class")
        numbers[item["class"]] += 1
        case_id = f"{item['class']}-{numbers[item['class']]:02d}"
        where = f"{path}: case {case_id}"
        unknown = set(item) - _CASE_KEYS
        if unknown:
            raise ValueError(f"{where}: unknown keys {sorted(unknown)}")
        if item.get("kb") not in KB_KINDS:
            raise ValueError(f"{where}: kb must be one of {KB_KINDS}")
        turns = item["turns"] if "turns" in item else [{k: v for k, v in item.items() if k in _TURN_KEYS}]
        if not turns:
            raise ValueError(f"{where}: no turns")
        for turn in turns:
            _check_turn_spec(turn, where)
        cases.append(Case(case_id, item["class"], item["kb"], turns))
    return cases


def _check_turn_spec(turn: dict, where: str) -> None:
    unknown = set(turn) - _TURN_KEYS
    if unknown:
        raise ValueError(f"{where}: unknown turn keys {sorted(unknown)}")
    if not isinstance(turn.get("q"), str) or not turn["q"].strip():
        raise ValueError(f"{where}: every turn needs a question (q)")
    if not isinstance(turn.get("found"), bool):
        raise ValueError(f"{where}: every turn needs found: true or false")
    if "intent" in turn and turn["intent"] not in INTENTS:
        raise ValueError(f"{where}: unknown intent {turn['intent']!r}")
    for key in ("has", "not"):
        values = turn.get(key, [])
        if not isinstance(values, list) or not all(isinstance(v, str) and v for v in values):
            raise ValueError(f"{where}: {key} must be a list of non-empty strings")


def phrasings(cases: list[Case]) -> int:
    """How many questions the cases ask (each turn of a conversation counts)."""
    return sum(len(case.turns) for case in cases)


def check(expect: dict, found: bool, intent: str, text: str) -> list[str]:
    """What is wrong with an answer (its found, intent and full plain text) against one turn's expectations."""
    problems = []
    if found != expect["found"]:
        problems.append(f"found is {found}, expected {expect['found']}")
    if "intent" in expect and intent != expect["intent"]:
        problems.append(f"intent is {intent!r}, expected {expect['intent']!r}")
    lowered = text.lower()
    missing = [s for s in expect.get("has", []) if s.lower() not in lowered]
    if missing:
        problems.append(f"missing {missing}")
    present = [s for s in expect.get("not", []) if s.lower() in lowered]
    if present:
        problems.append(f"must not contain {present}")
    if "max_len" in expect and len(text) > expect["max_len"]:
        problems.append(f"answer is {len(text)} characters, expected at most {expect['max_len']}")
    return problems


def ask_case(case: Case, kb, ask) -> list[dict]:
    """Ask each turn of a case in order with ``ask(text, kb, context) -> Answer``; one result per turn."""
    context = None
    results = []
    for turn in case.turns:
        try:
            result = ask(turn["q"], kb, context)
        except Exception as exc:  # a crash is a failed turn, reported with what it raised
            results.append({"q": turn["q"], "passed": False, "found": None, "intent": None, "text": "",
                            "problems": [f"raised {type(exc).__name__}: {exc}"]})
            context = None
            continue
        text = result.to_dict()["text"]
        problems = check(turn, result.found, result.intent, text)
        results.append({"q": turn["q"], "passed": not problems, "found": result.found, "intent": result.intent,
                        "text": text, "body": result.text, "problems": problems})
        context = getattr(result, "context", None)
    return results


# -- running against a checkout --------------------------------------------------------------------


def _use_repo(repo: Path) -> None:
    """Import ``bot`` and ``knowledge`` from ``repo``: first on sys.path, nothing of them imported yet."""
    stale = [name for name in sys.modules if name.split(".")[0] in ("bot", "knowledge", "adapters")]
    for name in stale:
        del sys.modules[name]
    sys.path.insert(0, str(repo))


def _build_kbs(directory: Path, catalog: Path) -> dict:
    from knowledge.db import ensure_ready, make_engine
    from knowledge.store import KnowledgeBase
    from knowledge.sync import apply_catalogue

    kbs = {}
    for kind in KB_KINDS:
        engine = make_engine(f"sqlite:///{directory / f'{kind}.db'}")
        ensure_ready(engine)
        if kind == "catalog":
            apply_catalogue(engine, catalog.read_bytes(), source_url=CATALOG_URL, today=TODAY)
        kbs[kind] = KnowledgeBase(engine)
    return kbs


def _asker():
    """``ask(text, kb, context)`` for the imported engine; older engines without follow-ups get no context."""
    from bot.engine import answer
    from bot.values import Question

    takes_context = "context" in inspect.signature(answer).parameters

    def ask(text: str, kb, context):
        if takes_context:
            return answer(Question(text=text), kb, today=TODAY, context=context)
        return answer(Question(text=text), kb, today=TODAY)

    return ask


def _commit(repo: Path) -> str | None:
    try:
        out = subprocess.run(["git", "-C", str(repo), "rev-parse", "--short", "HEAD"], capture_output=True,
                             text=True, timeout=10)
    except (OSError, subprocess.SubprocessError):
        return None
    if out.returncode != 0:
        return None
    dirty = subprocess.run(["git", "-C", str(repo), "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, timeout=10).stdout.strip()
    return out.stdout.strip() + ("+changes" if dirty else "")


def _table(rows: list[tuple]) -> str:
    header = ("class", "cases", "passed", "ratio", "questions", "passed")
    lines = [header] + [tuple(str(c) for c in row) for row in rows]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    out = []
    for n, line in enumerate(lines):
        cells = [cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(line, widths))]
        out.append("  ".join(cells))
        if n == 0:
            out.append("  ".join("-" * w for w in widths))
    return "\n".join(out)


def summarize(results: list[dict]) -> list[tuple]:
    """Rows (class, cases, cases passed, ratio, questions, questions passed), in file order, then overall."""
    per: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for result in results:
        row = per[result["class"]]
        row[0] += 1
        row[1] += result["passed"]
        row[2] += len(result["turns"])
        row[3] += sum(t["passed"] for t in result["turns"])
    total = [sum(r[i] for r in per.values()) for i in range(4)]
    rows = [(cls, r[0], r[1], f"{r[1] / r[0]:.0%}", r[2], r[3]) for cls, r in per.items()]
    rows.append(("overall", total[0], total[1], f"{total[1] / max(total[0], 1):.0%}", total[2], total[3]))
    return rows


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repo", type=Path, default=ROOT,
                        help="the checkout whose bot and knowledge answer (default: this script's repository)")
    parser.add_argument("--cases", type=Path, default=CASES, help="the question set (default: %(default)s)")
    parser.add_argument("--catalog", type=Path, default=CATALOG, help="the models.dev catalogue (default: %(default)s)")
    parser.add_argument("--class", dest="only", action="append", default=[],
                        help="run only this class (repeatable)")
    parser.add_argument("--failures", action="store_true", help="list failing questions with the answer's first line")
    parser.add_argument("--json", type=Path, help="write every result to this file")
    args = parser.parse_args(argv)

    repo = args.repo.resolve()
    if not (repo / "bot" / "engine.py").is_file():
        parser.error(f"{repo} is not a modelwire checkout (no bot/engine.py)")
    cases = load_cases(args.cases)
    if args.only:
        cases = [c for c in cases if c.cls in args.only]
        if not cases:
            parser.error(f"no cases of class {args.only}")
    _use_repo(repo)
    import bot

    imported_from = Path(bot.__file__).resolve().parent.parent
    if imported_from != repo:
        print(f"bot was imported from {imported_from}, not {repo}", file=sys.stderr)
        return 2

    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="mw-understanding-") as tmp:
        kbs = _build_kbs(Path(tmp), args.catalog.resolve())
        ask = _asker()
        results = []
        for case in cases:
            turns = ask_case(case, kbs[case.kb], ask)
            results.append({"id": case.id, "class": case.cls, "kb": case.kb,
                            "passed": all(t["passed"] for t in turns), "turns": turns})
        for kb in kbs.values():
            kb.engine.dispose()
    elapsed = time.perf_counter() - started

    commit = _commit(repo)
    rows = summarize(results)
    print(f"Understanding: {args.cases.name} ({len(cases)} cases, {phrasings(cases)} questions) "
          f"against {repo}" + (f" (commit {commit})" if commit else "") + f", {elapsed:.1f} s")
    print()
    print(_table(rows))
    if args.failures:
        print()
        for result in results:
            if result["passed"]:
                continue
            for n, turn in enumerate(result["turns"], 1):
                if turn["passed"]:
                    continue
                where = result["id"] + (f" turn {n}" if len(result["turns"]) > 1 else "")
                question = " ".join(turn["q"].split())
                question = question if len(question) <= 100 else question[:97] + "..."
                first = (turn.get("body") or turn["text"]).strip().splitlines()
                print(f"[{where}] ({result['kb']}) {question}")
                print(f"    answer: {first[0] if first else '(empty)'}")
                print(f"    {'; '.join(turn['problems'])}")
    if args.json:
        summary = [dict(zip(("class", "cases", "passed", "ratio", "questions", "questions_passed"), row))
                   for row in rows]
        args.json.write_text(json.dumps({"repo": str(repo), "commit": commit, "today": TODAY.isoformat(),
                                         "cases_file": str(args.cases), "summary": summary, "results": results},
                                        ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
