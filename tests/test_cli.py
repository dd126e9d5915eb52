"""End-to-end tests of the ``modelwire`` command: the installed console script, run in a subprocess.

Every run gets ``--db`` (or a deliberately chosen environment), an environment without
MODELWIRE_DATABASE_URL and with its own data directory, and a timeout. Only the tests where the
backend matters (first use, streaming stdin, pack import) take the two-backend ``db_url`` fixture;
the rest use an SQLite file in ``tmp_path``.
"""

from __future__ import annotations

import json
import os
import queue
import re
import subprocess
import sys
import threading
from pathlib import Path

import pytest
import yaml
from sqlalchemy import text

from knowledge.db import BUNDLED_DIR, HEAD_REVISION, current_revision, make_engine, normalize_url

MODELWIRE = Path(sys.executable).parent / "modelwire"
TIMEOUT = 60
BUNDLED = yaml.safe_load((BUNDLED_DIR / "muse-spark-launch.yaml").read_text(encoding="utf-8"))

SCORE_Q = "What did Muse Spark score on GPQA Diamond?"
UNKNOWN_Q = "What did GPT-5.9 score on GPQA?"

GOOD_PACK = """\
pack: test-extra
title: "Test extra"
sources:
  - id: ex
    title: "Example source"
    url: https://example.com/x
models:
  - name: Testmodel 1
    org: OpenAI
    source: ex
scores:
  - {model: Testmodel 1, benchmark: GPQA Diamond, value: 50.5, source: ex}
"""
BAD_PACK = GOOD_PACK.replace("test-extra", "test-bad").replace("benchmark: GPQA Diamond", "benchmark: GPQA Diamon")


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The caller's environment without MODELWIRE_DATABASE_URL, with a private data directory.

    PYTHONUNBUFFERED is dropped too: a user's shell rarely sets it, and it would hide a missing flush.
    """
    env = {k: v for k, v in os.environ.items() if k not in ("MODELWIRE_DATABASE_URL", "PYTHONUNBUFFERED")}
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg-data")
    env["PYTHONIOENCODING"] = "utf-8"
    env.update(extra)
    return env


def run(tmp_path: Path, *args: str, db: str | None = None, stdin: str | None = None,
        env: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run ``modelwire [--db DB] ARGS`` to completion and return its result (text, UTF-8)."""
    argv = [str(MODELWIRE), *(["--db", db] if db is not None else []), *args]
    return subprocess.run(argv, input=stdin, capture_output=True, text=True, encoding="utf-8",
                          env=env if env is not None else _env(tmp_path), timeout=TIMEOUT, cwd=tmp_path)


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


@pytest.fixture
def sqlite_db(tmp_path) -> str:
    """A URL of a new SQLite file (not yet created)."""
    return sqlite_url(tmp_path / "kb" / "modelwire.db")


def assert_clean_failure(result: subprocess.CompletedProcess) -> None:
    """Non-zero exit, no traceback."""
    assert result.returncode != 0, result
    assert "Traceback" not in result.stderr, result.stderr
    assert "Traceback" not in result.stdout, result.stdout


def stats(result: subprocess.CompletedProcess) -> dict[str, int]:
    """The ``name  count`` lines of ``kb stats``."""
    assert result.returncode == 0, result.stderr
    counts = {}
    for line in result.stdout.splitlines():
        match = re.fullmatch(r"(\w+)\s+(\d+)", line.strip())
        if match:
            counts[match[1]] = int(match[2])
    return counts


def write(tmp_path: Path, name: str, content: str) -> Path:
    path = tmp_path / name
    path.write_text(content, encoding="utf-8")
    return path


# -- ask ----------------------------------------------------------------------------------------


def test_ask_on_new_database_creates_migrates_and_loads_bundled(tmp_path, db_url):
    result = run(tmp_path, "ask", SCORE_Q, db=db_url)

    assert result.returncode == 0, result.stderr
    assert "89.5%" in result.stdout
    assert "TNW" in result.stdout
    assert "Traceback" not in result.stderr
    engine = make_engine(normalize_url(db_url))
    try:
        assert current_revision(engine) == HEAD_REVISION
        with engine.connect() as conn:
            packs = conn.execute(text("SELECT id, bundled FROM packs")).all()
            scores = conn.execute(text("SELECT count(*) FROM scores")).scalar_one()
    finally:
        engine.dispose()
    assert [(p, bool(b)) for p, b in packs] == [("muse-spark-launch", True)]
    assert scores == len(BUNDLED["scores"])


def test_ask_json_prints_one_complete_object(tmp_path, sqlite_db):
    result = run(tmp_path, "ask", "--json", SCORE_Q, db=sqlite_db)

    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1
    data = json.loads(lines[0])
    assert isinstance(data, dict)
    assert data["question"] == SCORE_Q
    assert data["found"] is True
    assert isinstance(data["intent"], str) and data["intent"]
    assert isinstance(data["text"], str)
    assert any("GPQA Diamond" in line and "89.5%" in line and "[1]" in line for line in data["text"].splitlines())
    assert "Sources" in data["text"]
    assert isinstance(data["sources"], list) and data["sources"]
    for source in data["sources"]:
        assert {"title", "url"} <= set(source)
    assert any("TNW" in s["title"] for s in data["sources"])
    assert isinstance(data["suggestions"], list)
    assert all(isinstance(s, str) for s in data["suggestions"])


def test_ask_json_stdin_answers_line_by_line_and_flushes(tmp_path, db_url):
    questions = [SCORE_Q, "", UNKNOWN_Q, "Top 3 on GPQA Diamond"]
    argv = [str(MODELWIRE), "--db", db_url, "ask", "--json", "-"]
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, encoding="utf-8", env=_env(tmp_path), cwd=tmp_path)
    lines: queue.Queue[str] = queue.Queue()

    def read_lines() -> None:
        for line in proc.stdout:
            lines.put(line)

    reader = threading.Thread(target=read_lines, daemon=True)
    reader.start()
    answers = []
    try:
        for question in questions:
            proc.stdin.write(question + "\n")
            proc.stdin.flush()
            try:  # the answer must arrive while stdin is still open
                answers.append(json.loads(lines.get(timeout=TIMEOUT)))
            except queue.Empty:
                pytest.fail(f"no answer to {question!r} before end of input (not flushed?)")
        proc.stdin.close()
        assert proc.wait(timeout=TIMEOUT) == 0, proc.stderr.read()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    reader.join(timeout=TIMEOUT)
    assert lines.empty()
    assert "Traceback" not in proc.stderr.read()

    assert [a["question"] for a in answers] == questions
    assert answers[0]["found"] is True and "89.5%" in answers[0]["text"]
    assert answers[2]["found"] is False
    assert "GPT-5.4" in answers[2]["suggestions"]
    assert answers[3]["found"] is True and "94.3%" in answers[3]["text"]


def test_unknown_model_is_not_found_and_invents_no_number(tmp_path, sqlite_db):
    data = json.loads(run(tmp_path, "ask", "--json", UNKNOWN_Q, db=sqlite_db).stdout)
    plain = run(tmp_path, "ask", UNKNOWN_Q, db=sqlite_db)

    assert data["found"] is False
    assert data["suggestions"] and "GPT-5.4" in data["suggestions"]
    assert not re.search(r"\d\s*%", data["text"])
    assert plain.returncode == 0, plain.stderr
    assert "GPT-5.4" in plain.stdout
    assert not re.search(r"\d\s*%", plain.stdout)


def _tables(output: str) -> list[list[str]]:
    """Each table in a rendered answer: its separator line and the rows below it."""
    lines, tables = output.splitlines(), []
    for i, line in enumerate(lines):
        if re.fullmatch(r"-{3,}(\s+-+)*", line.strip()):
            rows = []
            for row in lines[i + 1:]:
                if not row.strip():
                    break
                rows.append(row)
            tables.append([line, *rows])
    return tables


def test_comparison_and_leaderboard_tables_are_right_aligned(tmp_path, sqlite_db):
    questions = "Compare Muse Spark, GPT-5.4 and Claude Opus 4.6 on GPQA Diamond\nTop 4 on GPQA Diamond\n"
    result = run(tmp_path, "ask", "-", db=sqlite_db, stdin=questions)

    assert result.returncode == 0, result.stderr
    tables = _tables(result.stdout)
    assert len(tables) == 2, result.stdout
    for separator, *rows in tables:
        assert len(rows) >= 3
        column_ends = {m.end() for m in re.finditer(r"-+", separator)}
        percent_at = {row.index("%") for row in rows}
        assert len(percent_at) == 1, rows  # every score ends in the same column ...
        assert percent_at.pop() + 1 in column_ends, (separator, rows)  # ... at the right edge of its column


# -- kb -----------------------------------------------------------------------------------------


def test_kb_import_good_pack_and_reject_bad_pack_without_traceback(tmp_path, db_url):
    good, bad = write(tmp_path, "good.yaml", GOOD_PACK), write(tmp_path, "bad.yaml", BAD_PACK)
    before = stats(run(tmp_path, "kb", "stats", db=db_url))

    rejected = run(tmp_path, "kb", "import", str(bad), db=db_url)
    after_bad = stats(run(tmp_path, "kb", "stats", db=db_url))
    imported = run(tmp_path, "kb", "import", str(good), db=db_url)

    assert_clean_failure(rejected)
    error = rejected.stderr.strip()
    assert "\n\n" not in error  # one paragraph
    assert "bad.yaml" in error
    assert "scores[0]" in error and "benchmark" in error
    assert "did you mean 'GPQA Diamond'" in error
    assert after_bad == before
    assert imported.returncode == 0, imported.stderr
    assert "good.yaml" in imported.stdout and "test-extra" in imported.stdout
    assert "scores: 1" in imported.stdout


def test_kb_validate_checks_packs_and_writes_nothing(tmp_path, sqlite_db):
    good, bad = write(tmp_path, "good.yaml", GOOD_PACK), write(tmp_path, "bad.yaml", BAD_PACK)
    before = run(tmp_path, "kb", "stats", db=sqlite_db)

    valid = run(tmp_path, "kb", "validate", str(good), db=sqlite_db)
    mixed = run(tmp_path, "kb", "validate", str(good), str(bad), db=sqlite_db)
    after = run(tmp_path, "kb", "stats", db=sqlite_db)

    assert valid.returncode == 0, valid.stderr
    assert "good.yaml" in valid.stdout and "valid" in valid.stdout
    assert_clean_failure(mixed)
    assert "good.yaml" in mixed.stdout
    assert "bad.yaml" in mixed.stderr and "did you mean 'GPQA Diamond'" in mixed.stderr
    assert stats(after) == stats(before)
    assert "test-extra" not in after.stdout and "test-bad" not in after.stdout


def test_kb_export_imports_back_and_exports_single_packs(tmp_path):
    first, second = sqlite_url(tmp_path / "a.db"), sqlite_url(tmp_path / "b.db")
    out, again = tmp_path / "out.yaml", tmp_path / "again.yaml"

    exported = run(tmp_path, "kb", "export", "-o", str(out), db=first)
    one_pack = run(tmp_path, "kb", "export", "--pack", "muse-spark-launch", db=first)
    missing = run(tmp_path, "kb", "export", "--pack", "nope", db=first)
    imported = run(tmp_path, "kb", "import", str(out), db=second)
    reexported = run(tmp_path, "kb", "export", "-o", str(again), db=second)

    for result in (exported, one_pack, imported, reexported):
        assert result.returncode == 0, result.stderr
    original = yaml.safe_load(out.read_text(encoding="utf-8"))
    roundtrip = yaml.safe_load(again.read_text(encoding="utf-8"))
    assert len(original["scores"]) == len(BUNDLED["scores"])
    assert roundtrip == original

    document = yaml.safe_load(one_pack.stdout)
    assert document["pack"] == "muse-spark-launch"
    assert len(document["scores"]) == len(BUNDLED["scores"])
    third = sqlite_url(tmp_path / "c.db")  # one pack imports back to the same records
    pack_file = write(tmp_path, "pack.yaml", one_pack.stdout)
    assert run(tmp_path, "kb", "import", str(pack_file), db=third).returncode == 0
    reimported = run(tmp_path, "kb", "export", "--pack", "muse-spark-launch", db=third)
    assert yaml.safe_load(reimported.stdout) == document

    assert_clean_failure(missing)
    assert len(missing.stderr.strip().splitlines()) == 1
    assert "nope" in missing.stderr


def test_kb_export_full_roundtrip_into_new_database_is_identical(tmp_path):
    first, second = sqlite_url(tmp_path / "a.db"), sqlite_url(tmp_path / "b.db")
    out, again = tmp_path / "out.yaml", tmp_path / "again.yaml"

    assert run(tmp_path, "kb", "export", "-o", str(out), db=first).returncode == 0
    assert run(tmp_path, "kb", "import", str(out), db=second).returncode == 0
    assert run(tmp_path, "kb", "export", "-o", str(again), db=second).returncode == 0

    assert yaml.safe_load(again.read_text(encoding="utf-8")) == yaml.safe_load(out.read_text(encoding="utf-8"))


def test_kb_stats_lists_counts_and_bundled_pack(tmp_path, sqlite_db):
    result = run(tmp_path, "kb", "stats", db=sqlite_db)

    counts = stats(result)
    for name in ("packs", "sources", "organizations", "models", "benchmarks", "aliases", "scores", "facts",
                 "releases"):
        assert name in counts, result.stdout
    assert counts["packs"] == 1
    assert counts["scores"] == len(BUNDLED["scores"])
    assert counts["models"] == len(BUNDLED["models"])
    assert re.search(r"^pack muse-spark-launch \(bundled .*\): Muse Spark launch", result.stdout, re.M)


# -- choosing the database ------------------------------------------------------------------------


def test_env_var_is_used_without_db_and_db_option_wins(tmp_path):
    from_env, from_option = tmp_path / "env" / "kb.db", tmp_path / "opt" / "kb.db"
    env = _env(tmp_path, MODELWIRE_DATABASE_URL=sqlite_url(from_env))

    overridden = run(tmp_path, "db", "upgrade", db=sqlite_url(from_option), env=env)
    assert overridden.returncode == 0, overridden.stderr
    assert from_option.exists() and not from_env.exists()

    honoured = run(tmp_path, "ask", SCORE_Q, env=env)
    assert honoured.returncode == 0, honoured.stderr
    assert "89.5%" in honoured.stdout
    assert from_env.exists()
    assert not (tmp_path / "xdg-data").exists()


@pytest.mark.parametrize("url", [
    "postgresql://nobody@127.0.0.1:1/x",  # nothing listens there
    "not a database url",
    "mysql://nobody@127.0.0.1:1/x",  # a dialect whose driver is not installed (or a refused connection)
    "sqlite:///{tmp}/a-file/kb.db",  # the folder cannot be created: a file is in the way
])
def test_unusable_database_exits_with_one_line(tmp_path, url):
    (tmp_path / "a-file").write_text("", encoding="utf-8")
    result = run(tmp_path, "ask", SCORE_Q, db=url.format(tmp=tmp_path))

    assert_clean_failure(result)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("Error: cannot open the knowledge base")
    assert result.stdout == ""


def test_default_database_is_created_in_user_data_dir(tmp_path):
    home, data = tmp_path / "home", tmp_path / "data"
    env = _env(tmp_path, HOME=str(home), XDG_DATA_HOME=str(data))

    result = run(tmp_path, "kb", "stats", env=env)

    assert result.returncode == 0, result.stderr
    created = [p.relative_to(tmp_path) for p in tmp_path.rglob("modelwire.db")]
    assert len(created) == 1, created
    assert created[0].parts[0] in ("data", "home")  # XDG_DATA_HOME on Linux, under HOME elsewhere


# -- chat -----------------------------------------------------------------------------------------


def test_chat_answers_each_line_until_quit(tmp_path, sqlite_db):
    result = run(tmp_path, "chat", db=sqlite_db, stdin=f"help\n{SCORE_Q}\nquit\n")

    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    assert "What modelwire answers" in result.stdout  # the help answer
    assert "Muse Spark scored 89.5% on GPQA Diamond" in result.stdout
    assert result.stdout.index("What modelwire answers") < result.stdout.index("89.5%")
