"""Knowledge packs against the real database: importer errors, idempotent and merging re-import, export.

Every test that takes ``engine`` runs on SQLite and on PostgreSQL. Packs are small YAML (or JSON)
files written to a temporary folder; ``GOOD`` is a pack that follows the contract, and each error case
is that pack with one line changed the way a curator would mistype it.
"""

from __future__ import annotations

import datetime as dt
import json
import textwrap
from pathlib import Path

import pytest
import yaml
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session

from knowledge.db import BUNDLED_DIR, ensure_ready, make_engine
from knowledge.export import export_pack
from knowledge.packformat import PackError
from knowledge.packs import import_file, kb_stats, validate_file
from knowledge.schema import Alias, Benchmark, Fact, Model, Organization, Pack, Release, Score

BUNDLED = BUNDLED_DIR / "muse-spark-launch.yaml"

GOOD = """\
pack: test-pack
title: Test pack
sources:
  - id: tnw
    title: Meta's Muse Spark is here
    publisher: TNW
    url: https://example.org/muse-spark
    published: 2026-04-08
organizations:
  - name: Meta
    aliases: [Meta Platforms]
  - name: Meta Superintelligence Labs
    aliases: [MSL]
    parent: Meta
models:
  - name: Muse Spark
    org: Meta Superintelligence Labs
    aliases: [Avocado]
    family: Muse
    released: 2026-04-08
    status: released
    open_weights: false
    input_modalities: [text, image, voice]
    output_modalities: [text]
    context_window: 1000000
    knowledge_cutoff: 2025-08
    reasoning: true
    modes: [Fast, Contemplating]
    pricing: {input_per_mtok: 2.5, output_per_mtok: 15.0}
    description: The first model from Meta Superintelligence Labs.
    source: tnw
benchmarks:
  - name: GPQA Diamond
    aliases: [GPQA]
    category: science
    unit: "%"
  - name: ARC-AGI-2
    category: reasoning
scores:
  - model: Muse Spark
    benchmark: GPQA Diamond
    value: 89.5
    date: 2026-04-09
    source: tnw
  - {model: Avocado, benchmark: ARC-AGI-2, value: 42.5, setting: Contemplating mode, source: tnw}
facts:
  - subject: Muse Spark
    text: Trained with thought compression.
    topic: training
    source: tnw
releases:
  - model: Muse Spark
    org: MSL
    date: 2026-04-08
    title: Meta launches Muse Spark
    source: tnw
"""


def edit(text: str, *changes: tuple[str, str]) -> str:
    """``text`` with each (old, new) replaced; every ``old`` must occur exactly once."""
    for old, new in changes:
        assert text.count(old) == 1, f"{old!r} occurs {text.count(old)} times"
        text = text.replace(old, new)
    return text


def as_json(yaml_text: str) -> dict:
    """The same pack as a JSON-ready dict (dates as ISO strings, the way a JSON pack writes them)."""

    def plain(value):
        if isinstance(value, dict):
            return {k: plain(v) for k, v in value.items()}
        if isinstance(value, list):
            return [plain(v) for v in value]
        if isinstance(value, dt.date):
            return value.isoformat()
        return value

    return plain(yaml.safe_load(yaml_text))


@pytest.fixture
def second_engine(tmp_path):
    """Another fresh, migrated knowledge base: an SQLite file of its own."""
    eng = make_engine(f"sqlite:///{tmp_path / 'second.db'}")
    ensure_ready(eng, load_bundled=False)
    yield eng
    eng.dispose()


def rows(engine, *columns, where=None) -> list[tuple]:
    """The rows of ``columns`` (ordered by the first), as plain tuples."""
    query = select(*columns).order_by(columns[0])
    if where is not None:
        query = query.where(where)
    with Session(engine) as session:
        return [tuple(r) for r in session.execute(query)]


def aliases_of(engine, kind: str, name: str) -> set[str]:
    """Every name and alias of the entity of ``kind`` whose display name is ``name``."""
    table = {"org": Organization, "model": Model, "benchmark": Benchmark}[kind]
    with Session(engine) as session:
        entity_id = session.execute(select(table.id).where(table.name == name)).scalar_one()
        return set(session.execute(select(Alias.alias).where(Alias.kind == kind, Alias.entity_id == entity_id))
                   .scalars())


def assert_rejected(engine, path: Path, fragments: list[str]) -> str:
    """Importing ``path`` raises PackError: one paragraph naming the file and ``fragments``; nothing written."""
    before = kb_stats(engine)
    exported = {p: export_pack(engine, p) for p in _pack_ids(engine)}
    with pytest.raises(PackError) as caught:
        import_file(engine, path)
    message = str(caught.value)
    assert "\n" not in message and "\r" not in message, message
    assert str(path) in message, message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert kb_stats(engine) == before
    assert {p: export_pack(engine, p) for p in _pack_ids(engine)} == exported
    return message


def _pack_ids(engine) -> list[str]:
    return [r[0] for r in rows(engine, Pack.id)]


# -- 1. importer errors ------------------------------------------------------------------------

SCORE0 = "scores[0] (Muse Spark / GPQA Diamond)"
MODEL0 = "models[0] (Muse Spark)"
RELEASE0 = "releases[0] (Meta launches Muse Spark)"

RECORD_ERRORS = [
    ("unknown top-level field", [("title: Test pack\n", "title: Test pack\ncolour: blue\n")],
     ["the pack, field 'colour'", "unknown field"]),
    ("unknown field in a record", [("    family: Muse\n", "    family: Muse\n    homepage: https://x.org\n")],
     [f"{MODEL0}, field 'homepage'", "unknown field"]),
    ("aliases as a string", [("aliases: [Avocado]", "aliases: Avocado")],
     [f"{MODEL0}, field 'aliases'", "list"]),
    ("context_window as 1M", [("context_window: 1000000", 'context_window: "1M"')],
     [f"{MODEL0}, field 'context_window'", "integer", "'1M'"]),
    ("open_weights as words", [("open_weights: false", "open_weights: no way")],
     [f"{MODEL0}, field 'open_weights'", "boolean", "'no way'"]),
    ("unknown model of a score", [("  - model: Muse Spark\n    benchmark", "  - model: Muse Sprak\n    benchmark")],
     ["scores[0] (Muse Sprak / GPQA Diamond), field 'model'", "unknown model 'Muse Sprak'",
      "did you mean 'Muse Spark'"]),
    ("unknown benchmark of a score", [("benchmark: GPQA Diamond\n    value", "benchmark: GPQA Diamon\n    value")],
     ["scores[0] (Muse Spark / GPQA Diamon), field 'benchmark'", "unknown benchmark 'GPQA Diamon'",
      "'GPQA Diamond'"]),
    ("value with a percent sign", [("value: 89.5", "value: 89.5%")],
     [f"{SCORE0}, field 'value'", "number", "'89.5%'"]),
    ("value as a quoted number", [("value: 89.5", 'value: "89.5"')],
     [f"{SCORE0}, field 'value'", "number", "'89.5'"]),
    ("impossible score date", [("date: 2026-04-09", "date: 2026-02-30")],
     [f"{SCORE0}, field 'date'", "'2026-02-30' is an impossible date"]),
    ("impossible release date", [("    date: 2026-04-08", "    date: 2026-02-30")],
     [f"{RELEASE0}, field 'date'", "'2026-02-30' is an impossible date"]),
    ("impossible knowledge_cutoff month", [("knowledge_cutoff: 2025-08", "knowledge_cutoff: 2025-13")],
     [f"{MODEL0}, field 'knowledge_cutoff'", "'2025-13' is an impossible month"]),
    ("impossible released date", [("released: 2026-04-08", "released: 2026-04-31")],
     [f"{MODEL0}, field 'released'", "impossible date"]),
    ("score without value", [("    value: 89.5\n", "")],
     [f"{SCORE0}, field 'value'", "required field is missing"]),
    ("pack without id", [("pack: test-pack\n", "")],
     ["the pack, field 'pack'", "required field is missing"]),
    ("bad pack id", [("pack: test-pack", "pack: Muse Spark!")],
     ["the pack, field 'pack'", "'Muse Spark!'"]),
    ("unknown source id", [("setting: Contemplating mode, source: tnw}", "setting: Contemplating mode, source: tnv}")],
     ["scores[1] (Avocado / ARC-AGI-2), field 'source'", "unknown source id 'tnv'"]),
    ("release with neither model nor org",
     [("  - model: Muse Spark\n    org: MSL\n    date: 2026-04-08", "  - date: 2026-04-08")],
     [RELEASE0, "a release needs a 'model' or an 'org'"]),
    ("same model declared twice", [("benchmarks:\n", "  - name: muse spark\n    org: Meta\nbenchmarks:\n")],
     ["models[1] (muse spark), field 'name'", "'muse spark' is already declared by models[0]"]),
    ("fact with an unknown subject", [("  - subject: Muse Spark", "  - subject: Muse Sprak")],
     ["facts[0] (Muse Sprak), field 'subject'", "unknown model or organization or benchmark 'Muse Sprak'",
      "'Muse Spark'"]),
    ("model of an unknown org",
     [("org: Meta Superintelligence Labs\n    aliases: [Avocado]", "org: Meta Superintelligense Labs\n"
       "    aliases: [Avocado]")],
     [f"{MODEL0}, field 'org'", "unknown organization 'Meta Superintelligense Labs'",
      "'Meta Superintelligence Labs'"]),
    ("unknown parent org", [("parent: Meta\n", "parent: Metta\n")],
     ["organizations[1] (Meta Superintelligence Labs), field 'parent'", "unknown organization 'Metta'"]),
    ("bad date in a release whose title is a folded block",
     [("    date: 2026-04-08", "    date: 2026-02-30"),
      ("    title: Meta launches Muse Spark\n", "    title: >\n      Meta launches\n      Muse Spark\n")],
     [f"{RELEASE0}, field 'date'", "impossible date"]),
    ("name longer than the database keeps", [("  - name: ARC-AGI-2\n", f"  - name: ARC-AGI-{'2' * 250}\n")],
     ["benchmarks[1] (ARC-AGI-2", "field 'name'", "at most"]),
]


@pytest.mark.parametrize("changes, fragments", [c[1:] for c in RECORD_ERRORS], ids=[c[0] for c in RECORD_ERRORS])
def test_bad_record_is_rejected_naming_file_record_and_field(engine, write_pack, changes, fragments):
    import_file(engine, write_pack(GOOD, "good.yaml"))
    message = assert_rejected(engine, write_pack(edit(GOOD, *changes), "bad.yaml"), fragments)
    assert "1 problem," in message


FILE_ERRORS = [
    ("broken YAML", "bad.yaml", b"pack: test-pack\nmodels: [{name: Muse Spark, org: Meta\n", ["not valid YAML"]),
    ("YAML with a tab indent", "bad.yaml", b"pack: test-pack\nmodels:\n\t- name: Muse Spark\n", ["not valid YAML"]),
    ("binary bytes", "bad.yaml", bytes(range(128, 256)) * 4, ["not a UTF-8 text file"]),
    ("control characters", "bad.yaml", b"pack: x\x00\x01\x02\x03", ["not valid YAML"]),
    ("empty file", "bad.yaml", b"", ["empty"]),
    ("whitespace only", "bad.yaml", b"  \n\t\n   \n", ["empty"]),
    ("top level is a list", "bad.yaml", b"- pack: test-pack\n- title: Test pack\n",
     ["not a knowledge pack", "found a list"]),
    ("top level is a plain string", "bad.yaml", b"Muse Spark scores 89.5 on GPQA Diamond\n",
     ["not a knowledge pack", "found a str"]),
    ("comments only", "bad.yaml", b"# nothing here yet\n", ["not a knowledge pack"]),
    ("broken JSON", "bad.json", b'{"pack": "test-pack",}', ["not valid JSON", "line 1"]),
    ("JSON list", "bad.json", b'[{"pack": "test-pack"}]', ["not a knowledge pack", "found a list"]),
]


@pytest.mark.parametrize("name, content, fragments", [c[1:] for c in FILE_ERRORS], ids=[c[0] for c in FILE_ERRORS])
def test_unreadable_file_is_rejected_naming_the_file(engine, write_pack, tmp_path, name, content, fragments):
    import_file(engine, write_pack(GOOD, "good.yaml"))
    path = tmp_path / name
    path.write_bytes(content)
    assert_rejected(engine, path, fragments)


def test_error_names_the_path_exactly_as_given(engine, write_pack, tmp_path):
    (tmp_path / "sub").mkdir()
    write_pack(edit(GOOD, ("value: 89.5", "value: 89.5%")), "bad.yaml")
    path = Path(f"{tmp_path}/sub/../bad.yaml")
    message = assert_rejected(engine, path, [SCORE0])
    assert message.startswith(f"{path}: 1 problem,")


@pytest.mark.parametrize("changes, fragments", [
    pytest.param([("context_window: 1000000", 'context_window: "1M"'), ("open_weights: false", "open_weights: no way"),
                  ("title: Test pack\n", "title: Test pack\ncolour: blue\n")],
                 ["field 'context_window'", "field 'open_weights'", "field 'colour'"], id="shape"),
    pytest.param([("  - model: Muse Spark\n    benchmark", "  - model: Muse Sprak\n    benchmark"),
                  ("{model: Avocado, benchmark: ARC-AGI-2", "{model: Avocado, benchmark: ARC-AGI-3"),
                  ("  - subject: Muse Spark", "  - subject: Musk Spark")],
                 ["scores[0] (Muse Sprak / GPQA Diamond), field 'model'",
                  "scores[1] (Avocado / ARC-AGI-3), field 'benchmark'", "facts[0] (Musk Spark), field 'subject'"],
                 id="references"),
])
def test_every_problem_is_reported_in_one_paragraph(engine, write_pack, changes, fragments):
    message = assert_rejected(engine, write_pack(edit(GOOD, *changes)), ["3 problems,", *fragments])
    assert "(1) " in message and "(2) " in message and "(3) " in message and "(4) " not in message


def test_a_bad_last_record_writes_nothing(engine, write_pack):
    import_file(engine, write_pack(GOOD, "good.yaml"))
    later = """\
    pack: later
    sources: [{id: lmarena, title: LMArena leaderboard}]
    organizations: [{name: Mistral AI}]
    models: [{name: Mistral Large 3, org: Mistral AI}]
    benchmarks: [{name: LMArena Text, unit: Elo}]
    scores:
      - {model: Mistral Large 3, benchmark: LMArena Text, value: 1410, source: lmarena}
      - {model: Muse Spark, benchmark: LMArena Text, value: 1440, source: lmarena}
      - {model: Mistral Large 3, benchmark: GPQA Diamond, value: 71.2}
      - {model: Mistral Large 3, benchmark: LMArena Txt, value: 1411, setting: style control}
    """
    assert_rejected(engine, write_pack(textwrap.dedent(later), "later.yaml"),
                    ["1 problem,", "scores[3] (Mistral Large 3 / LMArena Txt), field 'benchmark'",
                     "'LMArena Text'"])
    assert _pack_ids(engine) == ["test-pack"]


# -- 2. YAML and JSON --------------------------------------------------------------------------

@pytest.mark.parametrize("first", ["yaml", "json"])
def test_yaml_and_json_packs_import_the_same(engine, second_engine, write_pack, first):
    yaml_path, json_path = write_pack(GOOD, "pack.yaml"), write_pack(as_json(GOOD), "pack.json")
    here, there = (yaml_path, json_path) if first == "yaml" else (json_path, yaml_path)
    import_file(engine, here)
    import_file(second_engine, there)
    assert kb_stats(engine) == kb_stats(second_engine) == {
        "packs": 1, "sources": 1, "organizations": 2, "models": 1, "benchmarks": 2,
        "aliases": 9, "scores": 2, "facts": 1, "releases": 1}
    assert export_pack(engine, "test-pack") == export_pack(second_engine, "test-pack")


# -- 3. idempotent re-import -------------------------------------------------------------------

def test_reimporting_the_same_file_changes_nothing(engine, write_pack):
    path = write_pack(GOOD)
    import_file(engine, path)
    stats = kb_stats(engine)
    models = rows(engine, Model.id, Model.name, Model.org_id)
    scores = rows(engine, Score.id, Score.model_id, Score.benchmark_id, Score.setting, Score.value)
    releases = rows(engine, Release.id, Release.title, Release.created_at)
    aliases = rows(engine, Alias.id, Alias.kind, Alias.alias, Alias.entity_id)
    document = export_pack(engine, "test-pack")

    import_file(engine, path)
    import_file(engine, path)

    assert kb_stats(engine) == stats
    assert rows(engine, Model.id, Model.name, Model.org_id) == models
    assert rows(engine, Score.id, Score.model_id, Score.benchmark_id, Score.setting, Score.value) == scores
    assert rows(engine, Release.id, Release.title, Release.created_at) == releases
    assert rows(engine, Alias.id, Alias.kind, Alias.alias, Alias.entity_id) == aliases
    assert export_pack(engine, "test-pack") == document


def test_reimport_keeps_records_that_share_a_key(engine, write_pack):
    """Two releases of one organization on one day, or one fact written twice, survive re-import."""
    text = """\
pack: digest
organizations: [{name: OpenAI}]
releases:
  - {org: OpenAI, date: 2026-03-05, title: OpenAI releases GPT-5.4}
  - {org: OpenAI, date: 2026-03-05, title: OpenAI releases GPT-5.4 Pro}
facts:
  - {subject: OpenAI, text: Based in San Francisco.}
  - {subject: OpenAI, text: Based in San Francisco.}
"""
    path = write_pack(text)
    import_file(engine, path)
    stats = kb_stats(engine)
    releases = rows(engine, Release.id, Release.title, Release.created_at)
    facts = rows(engine, Fact.id, Fact.text)
    import_file(engine, path)
    assert kb_stats(engine) == stats
    assert rows(engine, Release.id, Release.title, Release.created_at) == releases
    assert rows(engine, Fact.id, Fact.text) == facts
    assert [r[1] for r in releases] == ["OpenAI releases GPT-5.4", "OpenAI releases GPT-5.4 Pro"]


@pytest.mark.parametrize("text", [
    pytest.param("pack: nothing-yet\ntitle: Placeholder\n", id="only an id"),
    pytest.param("pack: more-scores\nscores:\n  - {model: Avocado, benchmark: GPQA, value: 90.1, setting: pass@1}\n",
                 id="only scores of known records"),
])
def test_packs_declaring_no_records_import(engine, write_pack, text):
    import_file(engine, write_pack(GOOD, "good.yaml"))
    before = kb_stats(engine)
    path = write_pack(text, "small.yaml")
    import_file(engine, path)
    import_file(engine, path)
    after = kb_stats(engine)
    assert after["packs"] == before["packs"] + 1
    assert after["scores"] == before["scores"] + text.count("value:")


# -- 4. re-import of an edited pack ------------------------------------------------------------

def test_reimporting_an_edited_pack_updates_in_place(engine, write_pack):
    path = write_pack(GOOD)
    import_file(engine, path)
    (gpqa_id, _), = rows(engine, Score.id, Score.value, where=Score.value == 89.5)
    model_id = rows(engine, Model.id)[0][0]

    edited = edit(
        GOOD,
        ("value: 89.5", "value: 90.1"),
        ("  - {model: Avocado, benchmark: ARC-AGI-2, value: 42.5, setting: Contemplating mode, source: tnw}\n", ""),
        ("    text: Trained with thought compression.\n", "    text: Natively multimodal.\n"),
        ("aliases: [Avocado]", "aliases: [Muse Spark 1]"),
        ("aliases: [MSL]", "aliases: [MSL, Superintelligence Labs]"),
    )
    edited = edited[: edited.index("releases:")]
    path.write_text(edited, encoding="utf-8")
    import_file(engine, path)

    assert rows(engine, Score.id, Score.value) == [(gpqa_id, 90.1)]
    assert [r[1] for r in rows(engine, Fact.id, Fact.text)] == ["Natively multimodal."]
    assert rows(engine, Release.id) == []
    assert rows(engine, Model.id) == [(model_id,)]
    assert aliases_of(engine, "model", "Muse Spark") == {"Muse Spark", "Muse Spark 1"}
    assert aliases_of(engine, "org", "Meta Superintelligence Labs") == {
        "Meta Superintelligence Labs", "MSL", "Superintelligence Labs"}
    assert kb_stats(engine) == {"packs": 1, "sources": 1, "organizations": 2, "models": 1, "benchmarks": 2,
                                "aliases": 10, "scores": 1, "facts": 1, "releases": 0}

    path.write_text(GOOD, encoding="utf-8")
    import_file(engine, path)
    assert aliases_of(engine, "model", "Muse Spark") == {"Muse Spark", "Avocado"}
    assert rows(engine, Score.id, Score.value, where=Score.id == gpqa_id) == [(gpqa_id, 89.5)]
    assert kb_stats(engine)["scores"] == 2 and kb_stats(engine)["releases"] == 1


# -- 5. merging --------------------------------------------------------------------------------

PACK_B = """\
pack: pack-b
sources: [{id: verge, title: The Verge coverage, publisher: The Verge, published: 2026-05-01}]
organizations:
  - name: meta
    aliases: [Facebook]
models:
  - name: Avocado
    org: MSL
    aliases: [muse-spark-preview]
    context_window: 262144
    license: proprietary
    source: verge
benchmarks:
  - name: gpqa diamond
    aliases: [GPQA-D]
scores:
  - {model: muse-spark-preview, benchmark: GPQA-D, value: 88.0, setting: Fast mode, source: verge}
"""


def test_a_second_pack_merges_into_known_records(engine, write_pack):
    import_file(engine, write_pack(GOOD, "a.yaml"))
    ids = {"models": rows(engine, Model.id, Model.name), "orgs": rows(engine, Organization.id, Organization.name),
           "benchmarks": rows(engine, Benchmark.id, Benchmark.name)}
    import_file(engine, write_pack(PACK_B, "b.yaml"))

    assert rows(engine, Model.id, Model.name) == ids["models"]
    assert rows(engine, Organization.id, Organization.name) == ids["orgs"]
    assert rows(engine, Benchmark.id, Benchmark.name) == ids["benchmarks"]
    model = export_pack(engine, "pack-b")["models"][0]
    assert model["name"] == "Muse Spark"
    assert model["context_window"] == 262144 and model["license"] == "proprietary"
    assert model["family"] == "Muse" and model["modes"] == ["Fast", "Contemplating"]
    assert aliases_of(engine, "model", "Muse Spark") == {"Muse Spark", "Avocado", "muse-spark-preview"}
    assert aliases_of(engine, "org", "Meta") == {"Meta", "Meta Platforms", "Facebook"}
    assert aliases_of(engine, "benchmark", "GPQA Diamond") == {"GPQA Diamond", "GPQA", "GPQA-D"}
    assert kb_stats(engine)["scores"] == 3

    import_file(engine, write_pack(GOOD, "a.yaml"))
    import_file(engine, write_pack(PACK_B, "b.yaml"))
    assert kb_stats(engine) == {"packs": 2, "sources": 2, "organizations": 2, "models": 1, "benchmarks": 2,
                                "aliases": 12, "scores": 3, "facts": 1, "releases": 1}


def test_merging_keeps_fields_the_second_pack_leaves_out(engine, write_pack):
    """Defaults of the format (status, higher_is_better) do not overwrite what another pack said."""
    first = """\
pack: first
organizations: [{name: Meta}]
models: [{name: Muse Spark, org: Meta, aliases: [Avocado], status: announced}]
benchmarks: [{name: Time to first token, unit: s, higher_is_better: false}]
"""
    second = """\
pack: second
models: [{name: Avocado, org: meta, description: Codename of Muse Spark.}]
benchmarks: [{name: time to first token, aliases: [TTFT]}]
"""
    import_file(engine, write_pack(first, "first.yaml"))
    import_file(engine, write_pack(second, "second.yaml"))
    assert rows(engine, Model.name, Model.status, Model.description) == [
        ("Muse Spark", "announced", "Codename of Muse Spark.")]
    assert rows(engine, Benchmark.name, Benchmark.unit, Benchmark.higher_is_better) == [
        ("Time to first token", "s", False)]
    assert export_pack(engine, "second")["benchmarks"][0]["higher_is_better"] is False


def test_new_model_gets_the_default_status(engine, write_pack):
    import_file(engine, write_pack("pack: p\norganizations: [{name: Meta}]\nmodels: [{name: Muse Spark, org: Meta}]\n"
                                   "benchmarks: [{name: GPQA Diamond}]\n"))
    assert rows(engine, Model.name, Model.status) == [("Muse Spark", "released")]
    assert rows(engine, Benchmark.name, Benchmark.higher_is_better) == [("GPQA Diamond", True)]


def test_a_record_naming_two_known_models_is_an_error(engine, write_pack):
    import_file(engine, write_pack(GOOD, "a.yaml"))
    import_file(engine, write_pack("pack: other\nmodels: [{name: Llama 4 Maverick, org: Meta}]\n", "other.yaml"))
    clash = "pack: clash\nmodels:\n  - name: Avocado\n    org: Meta\n    aliases: [Llama 4 Maverick]\n"
    assert_rejected(engine, write_pack(clash, "clash.yaml"),
                    ["models[0] (Avocado), field 'aliases'",
                     "'Avocado' and 'Llama 4 Maverick' are different known models"])


# -- 6. several scores per model and benchmark -------------------------------------------------

def test_scores_differing_in_setting_or_source_coexist(engine, write_pack):
    import_file(engine, write_pack(GOOD, "a.yaml"))
    several = """\
pack: several
sources: [{id: lmarena, title: Leaderboard}]
scores:
  - {model: Muse Spark, benchmark: GPQA Diamond, value: 91.0, setting: Contemplating mode, source: tnw}
  - {model: Muse Spark, benchmark: GPQA Diamond, value: 88.0, source: https://example.org/leaderboard}
  - {model: Muse Spark, benchmark: GPQA Diamond, value: 87.0, source: lmarena}
  - {model: Muse Spark, benchmark: GPQA Diamond, value: 86.0}
  - {model: Muse Spark, benchmark: GPQA Diamond, value: 85.0, setting: Fast mode}
"""
    import_file(engine, write_pack(several, "several.yaml"))
    values = sorted(r[1] for r in rows(engine, Score.id, Score.value, where=Score.benchmark_id == _id(
        engine, Benchmark, "GPQA Diamond")))
    assert values == [85.0, 86.0, 87.0, 88.0, 89.5, 91.0]
    exported = export_pack(engine, "several")["scores"]
    assert [(s.get("setting"), s.get("source")) for s in exported] == [
        ("Contemplating mode", "tnw"), (None, "https://example.org/leaderboard"), (None, "lmarena"), (None, None),
        ("Fast mode", None)]


def test_the_same_score_in_two_packs_is_one_row(engine, write_pack):
    import_file(engine, write_pack(GOOD, "a.yaml"))
    (score_id,), = rows(engine, Score.id, where=Score.value == 89.5)
    again = """\
pack: again
scores:
  - {model: avocado, benchmark: GPQA, value: 89.5, date: 2026-04-09, source: tnw}
"""
    import_file(engine, write_pack(again, "again.yaml"))
    assert kb_stats(engine)["scores"] == 2
    assert rows(engine, Score.id, Score.value, where=Score.value == 89.5) == [(score_id, 89.5)]
    import_file(engine, write_pack(GOOD, "a.yaml"))
    assert kb_stats(engine)["scores"] == 2


def test_a_record_two_packs_share_stays_until_neither_lists_it(engine, write_pack):
    import_file(engine, write_pack(GOOD, "a.yaml"))
    before = kb_stats(engine)
    repeat = """\
pack: repeat
models: [{name: Muse Spark, org: Meta, aliases: [Avocado, Spark]}]
scores:
  - {model: avocado, benchmark: GPQA, value: 89.5, date: 2026-04-09, source: tnw}
"""
    import_file(engine, write_pack(repeat, "repeat.yaml"))
    emptied = write_pack("pack: repeat\nmodels: [{name: Muse Spark, org: Meta}]\n", "repeat.yaml")
    import_file(engine, emptied)
    assert aliases_of(engine, "model", "Muse Spark") == {"Muse Spark", "Avocado"}  # "Spark" was only repeat's
    assert kb_stats(engine) == before | {"packs": 2}
    assert rows(engine, Score.value, where=Score.value == 89.5) == [(89.5,)]
    import_file(engine, write_pack(GOOD.replace("value: 89.5", "value: 90.5"), "a.yaml"))
    assert rows(engine, Score.value, where=Score.value == 89.5) == []


def _id(engine, table, name: str) -> int:
    return rows(engine, table.id, where=table.name == name)[0][0]


# -- 7. export round trips ---------------------------------------------------------------------

def _dump(document: dict, fmt: str) -> str:
    if fmt == "json":
        return json.dumps(document, ensure_ascii=False, indent=1)
    return yaml.safe_dump(document, allow_unicode=True, sort_keys=False)


@pytest.mark.parametrize("fmt", ["yaml", "json"])
@pytest.mark.parametrize("pack_id, with_good", [
    pytest.param("muse-spark-launch", False, id="bundled pack"),
    pytest.param(None, False, id="whole base of the bundled pack"),
    pytest.param("muse-spark-launch", True, id="bundled pack merged with another"),
    pytest.param("test-pack", True, id="pack merged into the bundled one"),
    pytest.param(None, True, id="whole base of two packs"),
])
def test_export_round_trips(engine, second_engine, write_pack, fmt, pack_id, with_good):
    import_file(engine, BUNDLED)
    if with_good:
        import_file(engine, write_pack(GOOD, "good.yaml"))
    first = export_pack(engine, pack_id)
    if pack_id == "muse-spark-launch":
        assert len(first["scores"]) == 18 and first["title"] == "Muse Spark launch coverage (TNW)"
    if pack_id is None:
        whole = kb_stats(engine)
        assert first["pack"] == "modelwire-export"
        assert (len(first["models"]), len(first["scores"]), len(first["facts"]), len(first["releases"])) == (
            whole["models"], whole["scores"], whole["facts"], whole["releases"])

    path = write_pack(_dump(first, fmt), f"export.{fmt}")
    import_file(second_engine, path)
    assert export_pack(second_engine, pack_id) == first

    if pack_id is not None:  # the export re-imported over its own pack changes nothing
        before = kb_stats(engine)
        import_file(engine, path)
        assert kb_stats(engine) == before


def test_whole_export_imports_to_the_same_counts(engine, second_engine, write_pack):
    import_file(engine, BUNDLED)
    import_file(engine, write_pack(GOOD, "good.yaml"))
    import_file(second_engine, write_pack(_dump(export_pack(engine), "yaml"), "all.yaml"))
    ours, theirs = kb_stats(engine), kb_stats(second_engine)
    assert {k: v for k, v in theirs.items() if k != "packs"} == {k: v for k, v in ours.items() if k != "packs"}


@pytest.fixture
def linguistic_postgres(postgres_database):
    """A migrated PostgreSQL database whose collation is linguistic (ICU en-US), as many servers default to."""
    admin = create_engine(postgres_database, isolation_level="AUTOCOMMIT")
    name = f"{make_url(postgres_database).database}_icu"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}" TEMPLATE template0 LOCALE_PROVIDER icu '
                          f"ICU_LOCALE 'en-US' LOCALE 'C.UTF-8'"))
    eng = make_engine(make_url(postgres_database).set(database=name).render_as_string(hide_password=False))
    ensure_ready(eng, load_bundled=False)
    yield eng
    eng.dispose()
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def test_export_does_not_depend_on_the_database_collation(linguistic_postgres, second_engine, write_pack):
    for eng in (linguistic_postgres, second_engine):
        import_file(eng, BUNDLED)
        import_file(eng, write_pack(GOOD, "good.yaml"))
    for pack_id in ("muse-spark-launch", None):
        document = export_pack(linguistic_postgres, pack_id)
        assert document == export_pack(second_engine, pack_id)
        names = [m["name"] for m in document["models"]]
        assert names == sorted(names)


def test_exporting_an_unknown_pack_raises_lookup_error(engine, write_pack):
    import_file(engine, write_pack(GOOD))
    with pytest.raises(LookupError):
        export_pack(engine, "no-such-pack")


# -- 8. validate_file --------------------------------------------------------------------------

def test_validate_accepts_a_good_pack_without_writing(engine, write_pack):
    before = kb_stats(engine)
    pack = validate_file(engine, write_pack(GOOD))
    assert pack.pack == "test-pack" and len(pack.scores) == 2
    assert kb_stats(engine) == before
    import_file(engine, write_pack(GOOD))
    before = kb_stats(engine)
    validate_file(engine, write_pack(PACK_B, "b.yaml"))
    assert kb_stats(engine) == before


@pytest.mark.parametrize("changes, fragment", [
    ([("value: 89.5", "value: 89.5%")], f"{SCORE0}, field 'value'"),
    ([("benchmark: GPQA Diamond\n    value", "benchmark: GPQA Diamon\n    value")], "'GPQA Diamond'"),
])
def test_validate_rejects_a_bad_pack(engine, write_pack, changes, fragment):
    path = write_pack(edit(GOOD, *changes))
    before = kb_stats(engine)
    with pytest.raises(PackError) as caught:
        validate_file(engine, path)
    assert str(path) in str(caught.value) and fragment in str(caught.value) and "\n" not in str(caught.value)
    assert kb_stats(engine) == before


def test_a_merge_never_moves_a_model_up_to_the_parent_of_its_unit(kb, write_pack):
    """A catalogue that knows only "Meta" keeps Muse Spark with Meta Superintelligence Labs; a pack
    naming another organization for that name describes another model (see test_identity.py)."""
    from knowledge.packs import import_file
    from knowledge.schema import Model, Organization

    def org_of(name: str) -> str:
        with kb.engine.connect() as conn:
            return conn.execute(select(Organization.name).join(Model, Model.org_id == Organization.id)
                                .where(Model.name == name)).scalar_one()

    assert org_of("Muse Spark") == "Meta Superintelligence Labs"
    import_file(kb.engine, write_pack("pack: catalogue\nmodels:\n  - {name: Muse Spark, org: Meta, "
                                      "context_window: 1000000}\n"))
    assert org_of("Muse Spark") == "Meta Superintelligence Labs"
    import_file(kb.engine, write_pack("pack: moved\nmodels:\n  - {name: Muse Spark, org: OpenAI}\n", "moved.yaml"))
    assert org_of("Muse Spark") == "Meta Superintelligence Labs"
    assert org_of("Muse Spark (OpenAI)") == "OpenAI"
