"""Hostile packs and catalogues (issue 13, rows 6, 7, 8, 11, 15, 16): refused or skipped in one line, never a traceback.

Database tests run on SQLite and PostgreSQL (``engine`` / ``db_url``); the concurrency test is SQLite's.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from knowledge.db import ensure_ready, make_engine
from knowledge.importers.modelsdev import ModelsDevError, convert
from knowledge.packformat import PackError, parse_pack
from knowledge.packs import import_file, kb_stats
from knowledge.schema import Alias, Fact, Model
from knowledge.sync import apply_catalogue

MODELWIRE = Path(sys.executable).parent / "modelwire"
URL = "https://models.dev/models.json"
TODAY = dt.date(2026, 4, 10)

PACK = """\
pack: hostile
organizations:
  - name: Acme Labs
models:
  - name: Roadrunner 1
    org: Acme Labs
    context_window: 1000000
    description: A fast model.
"""


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def rejected(engine, path: Path, *fragments: str) -> str:
    """Importing ``path`` is a PackError in one line naming ``fragments``; nothing is written."""
    before = kb_stats(engine)
    with pytest.raises(PackError) as caught:
        import_file(engine, path)
    message = str(caught.value)
    assert "\n" not in message and "\x1b" not in message and "\x00" not in message, message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert kb_stats(engine) == before
    return message


def model_names(engine) -> list[str]:
    with Session(engine) as session:
        return sorted(session.execute(select(Model.name)).scalars())


# -- row 7: numbers, dates and text beyond what the database and Python hold ---------------------------


@pytest.mark.parametrize("line, fragments", [
    ("    context_window: 99999999999999999999999", ["models[0] (Roadrunner 1)", "'context_window'", "2147483647"]),
    ("    context_window: 3000000000", ["models[0] (Roadrunner 1)", "'context_window'", "2147483647"]),
    ("    max_output_tokens: 2147483648", ["models[0] (Roadrunner 1)", "'max_output_tokens'"]),
    ('    description: "nul \\0 byte"', ["models[0] (Roadrunner 1)", "'description'", "U+0000"]),
    ("    released: 0000-01", ["models[0] (Roadrunner 1)", "'released'", "year 0000"]),
    ("    knowledge_cutoff: 0000-12-31", ["models[0] (Roadrunner 1)", "'knowledge_cutoff'"]),
    ("    pricing: {input_per_mtok: 1" + "0" * 400 + "}", ["models[0] (Roadrunner 1)", "'pricing.input_per_mtok'"]),
])
def test_out_of_range_values_in_a_pack_are_one_line_errors(engine, tmp_path, line, fragments):
    text = PACK.replace("    context_window: 1000000\n", "").replace("    description: A fast model.\n", "")
    text += line + "\n"
    rejected(engine, write(tmp_path, "p.yaml", text), *fragments)


def test_the_largest_counts_fit_the_columns(engine, tmp_path):
    text = PACK.replace("1000000", "2147483647") + "    max_output_tokens: 2147483647\n    released: 9999-12\n"
    import_file(engine, write(tmp_path, "p.yaml", text))
    with Session(engine) as session:
        assert session.execute(select(Model.context_window, Model.max_output_tokens)).one() == (2**31 - 1,) * 2


def entry(name: str, **fields) -> dict:
    return {"name": name, "release_date": "2026-01-05", "limit": {"context": 128000, "output": 8000},
            "tool_call": True, **fields}


BAD_ENTRIES = {
    "huge context": entry("Bad", limit={"context": 99999999999999999999999}),
    "context beyond 32 bits": entry("Bad", limit={"context": 3_000_000_000}),
    "nul in the name": entry("Bad\u0000Model"),
    "nul in the family": entry("Bad", family="fam\u0000ily"),
    "year 0": entry("Bad", release_date="0000-01"),
    "year 0 knowledge": entry("Bad", knowledge="0000-01"),
    "esc in a link": entry("Bad", links={"docs": "https://example.org/\u001b[2J"}),
    "esc in a price label": entry("Bad", cost={"input": 1, "cache\u001b[31m": 2}),
    "huge score": entry("Bad", benchmarks=[{"name": "GPQA", "score": 10**30}]),
    "lone surrogate": entry("Bad\ud800"),
    "deeply nested": entry("Bad", cost={"input": 1, "x": json.loads("[" * 40 + "1" + "]" * 40)}),
}


@pytest.mark.parametrize("case", sorted(BAD_ENTRIES))
def test_a_bad_catalogue_entry_is_skipped_and_the_rest_imported(engine, case):
    catalogue = {"acme/good-1": entry("Good One"), "acme/bad-1": BAD_ENTRIES[case], "zeta/good-2": entry("Good Two")}
    raw = json.dumps(catalogue).encode()
    conversion = convert(raw, source_url=URL, fetched=TODAY)
    skipped = [n for n in conversion.notices if n.kind == "entry-skipped"]
    assert [n.key for n in skipped] == ["acme/bad-1"]
    assert "\n" not in str(skipped[0]) and "\x1b" not in str(skipped[0]) and "\x00" not in str(skipped[0])
    result = apply_catalogue(engine, raw, source_url=URL, today=TODAY)
    assert result.left_out.get("entry-skipped") == 1
    assert model_names(engine) == ["Good One", "Good Two"]
    # and the next sync of the same data runs too (a scheduled sync no longer fails every run)
    apply_catalogue(engine, raw, source_url=URL, today=TODAY)
    assert model_names(engine) == ["Good One", "Good Two"]


# -- row 8: deep nesting -----------------------------------------------------------------------------


@pytest.mark.parametrize("name, text", [
    ("deep.json", "[" * 1000 + "]" * 1000),
    ("deep.yaml", "[" * 1000 + "]" * 1000),
    ("deep-map.yaml", "pack: x\ntitle: " + "{a: " * 1000 + "1" + "}" * 1000 + "\n"),
    ("deeper.json", "[" * 100_000 + "]" * 100_000),
    ("deep-pack.json", '{"pack": "x", "title": ' + "[" * 200 + "]" * 200 + "}"),
])
def test_a_deeply_nested_pack_is_refused(tmp_path, name, text):
    with pytest.raises(PackError) as caught:
        parse_pack(write(tmp_path, name, text))
    assert "nests deeper than" in str(caught.value) and "\n" not in str(caught.value)


def test_a_deeply_nested_catalogue_is_one_line_error():
    with pytest.raises(ModelsDevError) as caught:
        convert(b'{"a/b": ' + b"[" * 100_000 + b"]" * 100_000 + b"}", source_url=URL, fetched=TODAY)
    assert "\n" not in str(caught.value)


def _env(tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "MODELWIRE_DATABASE_URL"}
    env["XDG_DATA_HOME"] = str(tmp_path / "xdg-data")
    env["PYTHONIOENCODING"] = "utf-8"
    return env


def kb_import(tmp_path: Path, db: str, *files: Path) -> subprocess.CompletedProcess:
    return subprocess.run([str(MODELWIRE), "--db", db, "kb", "import", *map(str, files)], check=False,
                          capture_output=True,
                          text=True, encoding="utf-8", env=_env(tmp_path), timeout=120, cwd=tmp_path)


def test_kb_import_goes_on_after_a_deeply_nested_pack(db_url, tmp_path):
    engine = make_engine(db_url)
    ensure_ready(engine, load_bundled=False)
    a = write(tmp_path, "a.yaml", PACK)
    b = write(tmp_path, "b.json", "[" * 1000 + "]" * 1000)
    c = write(tmp_path, "c.yaml", PACK.replace("hostile", "other").replace("Roadrunner 1", "Coyote 2"))
    result = kb_import(tmp_path, db_url, a, b, c)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "b.json" in result.stderr
    assert {"Coyote 2", "Roadrunner 1"} <= set(model_names(engine))
    engine.dispose()


# -- row 11: control and bidi characters -------------------------------------------------------------


@pytest.mark.parametrize("text, fragment", [
    (PACK.replace("Roadrunner 1", '"Roadrunner\\e[2J 1"'), "U+001B"),
    (PACK.replace("A fast model.", '"A fast\\e]0;pwned\\a model."'), "U+001B"),
    (PACK.replace("Acme Labs\n", "Acme Labs\n    aliases: [\"\\x9b31m\"]\n"), "U+009B"),
])
def test_control_characters_in_a_pack_are_refused(engine, tmp_path, text, fragment):
    message = rejected(engine, write(tmp_path, "p.yaml", text), fragment)
    assert "\\x1b" in message or "\\x9b" in message


def test_bidi_overrides_in_a_pack_are_stripped(engine, tmp_path):
    text = PACK.replace("Roadrunner 1", "\"Roadrunner \u202e1 \u2066\"").replace("A fast", "A \u200ffast")
    import_file(engine, write(tmp_path, "p.yaml", text))
    with Session(engine) as session:
        name, description = session.execute(select(Model.name, Model.description)).one()
        aliases = list(session.execute(select(Alias.alias)).scalars())
    assert (name, description) == ("Roadrunner 1", "A fast model.")
    assert not any("\u202e" in a or "\u2066" in a for a in aliases)


def test_bidi_overrides_in_a_catalogue_are_stripped(engine):
    catalogue = {"acme/rr-1": entry("Roadrunner \u202e1", family="R\u2067R"),
                 "acme/rr-2": entry("Other", links={"docs": "https://example.org/\u202edocs"})}
    apply_catalogue(engine, json.dumps(catalogue).encode(), source_url=URL, today=TODAY)
    with Session(engine) as session:
        texts = [*session.execute(select(Model.name)).scalars(), *session.execute(select(Model.family)).scalars(),
                 *session.execute(select(Fact.text)).scalars(), *session.execute(select(Alias.alias)).scalars()]
    assert "Roadrunner 1" in texts
    assert not any(ch in (t or "") for t in texts for ch in "\u202e\u2067")


# -- row 15: duplicate keys and YAML 1.1 surprises ---------------------------------------------------


@pytest.mark.parametrize("name, text, fragment", [
    ("dup.yaml", PACK + "    context_window: 2000000\n", "'context_window' appears twice"),
    ("dup-top.yaml", PACK + "pack: again\n", "'pack' appears twice"),
    ("dup.json", '{"pack": "hostile", "title": "a", "title": "b"}', "'title' appears twice"),
    ("sexagesimal.yaml", PACK.replace("1000000", "1:30"), "'1:30'"),
    ("hex.yaml", PACK.replace("1000000", "0x10"), "'0x10'"),
    ("octal.yaml", PACK.replace("1000000", "0o17"), "'0o17'"),
    ("leading-zero.yaml", PACK.replace("1000000", "012"), "'012'"),
    ("underscores.yaml", PACK.replace("1000000", "1_000_000"), "'1_000_000'"),
    ("sexagesimal-float.yaml", PACK + "    pricing: {input_per_mtok: 1:30.5}\n", "'1:30.5'"),
    ("yes.yaml", PACK + "    reasoning: yes\n", "'yes'"),
])
def test_duplicate_keys_and_yaml_1_1_numbers_are_refused(engine, tmp_path, name, text, fragment):
    rejected(engine, write(tmp_path, name, text), fragment)


def test_plain_yaml_numbers_still_read(engine, tmp_path):
    text = PACK + ("    pricing: {input_per_mtok: 1.5e1, output_per_mtok: 2}\n"
                   "    reasoning: true\n    open_weights: False\n")
    import_file(engine, write(tmp_path, "p.yaml", text))
    with Session(engine) as session:
        assert session.execute(select(Model.context_window, Model.input_price, Model.output_price, Model.reasoning,
                                      Model.open_weights)).one() == (1000000, 15.0, 2.0, True, False)


# -- row 16: clipped errors --------------------------------------------------------------------------


def test_errors_about_huge_strings_are_clipped(engine, tmp_path):
    huge = "x" * 5_000_000
    text = textwrap.dedent(f"""\
        pack: hostile
        organizations: [{{name: {huge}, url: {huge}, bogus_{huge}: 1}}]
        models: [{{name: {huge}, org: {huge}, family: {huge}, description: "{huge}\\e"}}]
        facts: [{{subject: {huge}, text: t}}]
        """)
    message = rejected(engine, write(tmp_path, "p.yaml", text))
    assert len(message) < 12_000, len(message)


def test_catalogue_errors_about_huge_values_are_clipped():
    with pytest.raises(ModelsDevError) as caught:
        convert(json.dumps({"a/b": entry("n", open_weights="y" * 5_000_000)}).encode(), source_url=URL, fetched=TODAY)
    assert len(str(caught.value)) < 1000
    huge_key = {"a/" + "x" * 5_000_000: entry("n"), "a/c": entry("c", family="\u0000" + "f" * 5_000_000)}
    notices = convert(json.dumps(huge_key).encode(), source_url=URL, fetched=TODAY).notices
    assert [n.kind for n in notices] == ["entry-skipped"] * 2
    assert all(len(str(n)) < 1000 for n in notices)


# -- row 6: two imports at once on SQLite ------------------------------------------------------------


def _pack_of(index: int) -> str:
    orgs = "\n".join(f"  - name: Shared Org {i}\n    aliases: [Shared {i}]" for i in range(300))
    models = "\n".join(f"  - name: Shared Model {i}\n    org: Shared Org {i % 300}\n    aliases: [sm-{i}]"
                       for i in range(600))
    return f"pack: racer-{index}\norganizations:\n{orgs}\nmodels:\n{models}\n"


def test_two_imports_at_once_on_sqlite_both_succeed(tmp_path):
    for attempt in range(3):
        db = f"sqlite:///{tmp_path / f'race{attempt}.db'}"
        engine = make_engine(db)
        ensure_ready(engine, load_bundled=False)
        packs = [write(tmp_path, f"racer-{attempt}-{i}.yaml", _pack_of(i)) for i in range(3)]
        procs = [subprocess.Popen([str(MODELWIRE), "--db", db, "kb", "import", str(p)], stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE, text=True, env=_env(tmp_path), cwd=tmp_path)
                 for p in packs]
        outs = [p.communicate(timeout=180) for p in procs]
        for proc, (_out, err) in zip(procs, outs):
            assert proc.returncode == 0 and "Traceback" not in err, err[-2000:]
        with Session(engine) as session:
            assert session.execute(select(func.count()).select_from(Model)
                                   .where(Model.name.like("Shared Model %"))).scalar() == 600
        engine.dispose()
