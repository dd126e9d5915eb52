"""The models.dev importer: the catalogue as a knowledge pack, and fetching it politely.

``tests/data/models.dev.json`` is fixture data in the models.dev format (invented models of real and
made-up labs) with the mess the real catalogue has: spelling variants of benchmarks, one model under
two lab ids, repeated scores, nulls, missing fields. Broken variants are made from it per test.
Imports run against the real database fixtures (SQLite and PostgreSQL); fetches against a file
served on loopback.
"""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
import logging
import re
import time
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.db import BUNDLED_DIR
from knowledge.importers import write_pack
from knowledge.importers.fetch import DEFAULT_URL, FetchError, FetchResult, fetch
from knowledge.importers.modelsdev import PACK_ID, SOURCE_ID, ModelsDevError, convert, parse
from knowledge.matching import normalize
from knowledge.packformat import PackIn
from knowledge.packs import import_file, validate_file
from knowledge.schema import Alias, Benchmark, Fact, Model, Organization, Score, Source
from tests.fakes.httpfile import HttpFile

DATA = Path(__file__).parent / "data" / "models.dev.json"
URL = "https://models.dev/models.json"
FETCHED = dt.date(2026, 4, 10)


def _raw() -> bytes:
    return DATA.read_bytes()


def _entries() -> dict:
    return json.loads(_raw())


@pytest.fixture(scope="module")
def pack() -> dict:
    return parse(_raw(), source_url=URL, fetched=FETCHED)


def _model(pack: dict, name: str) -> dict:
    return next(m for m in pack["models"] if m["name"] == name)


def _scores(pack: dict, benchmark: str) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for score in pack["scores"]:
        if score["benchmark"] == benchmark:
            out.setdefault(score["model"], []).append(score)
    return out


# -- mapping -----------------------------------------------------------------------------------


def test_the_fixture_is_a_few_dozen_models_across_labs():
    entries = _entries()
    assert 30 <= len(entries) <= 40
    assert len({key.split("/")[0] for key in entries}) >= 10


def test_labs_become_organizations_with_display_names(pack):
    orgs = {o["name"]: o for o in pack["organizations"]}
    for name in ("OpenAI", "xAI", "Zhipu AI", "Anthropic", "Google", "Meta", "Mistral AI", "DeepSeek",
                 "Alibaba (Qwen)", "Moonshot AI", "NVIDIA", "Acme Labs"):
        assert name in orgs, name
    assert {"zhipuai", "zai"} <= set(orgs["Zhipu AI"]["aliases"])
    assert {"alibaba", "qwen"} <= {normalize(a) for a in orgs["Alibaba (Qwen)"]["aliases"]}
    assert len(orgs) == len(pack["organizations"])
    assert _model(pack, "FX Qwen 4 Max")["org"] == _model(pack, "FX Qwen 4 Coder")["org"] == "Alibaba (Qwen)"


def test_model_fields_and_ids_as_aliases(pack):
    model = _model(pack, "FX Alpha 5")
    assert model["org"] == "OpenAI"
    assert model["aliases"] == ["fx-alpha-5", "openai/fx-alpha-5"]
    assert model["family"] == "fx-alpha"
    assert model["released"] == "2026-02-10"
    assert model["knowledge_cutoff"] == "2025-09"
    assert model["open_weights"] is False
    assert model["license"] == "proprietary"
    assert model["input_modalities"] == ["text", "image"]
    assert model["output_modalities"] == ["text"]
    assert model["context_window"] == 400000
    assert model["max_output_tokens"] == 128000
    assert model["reasoning"] is True
    assert model["pricing"] == {"input_per_mtok": 1.25, "output_per_mtok": 10.0}
    assert model["source"] == SOURCE_ID
    assert "status" not in model


def test_status_deprecated_and_beta(pack):
    assert _model(pack, "FX Legacy 4")["status"] == "deprecated"
    assert _model(pack, "FX Ministral 8B")["status"] == "deprecated"
    assert _model(pack, "FX Acme 1 Preview")["status"] == "preview"


def test_missing_and_null_fields_are_left_out(pack):
    model = _model(pack, "FX Acme 1")
    assert model == {"name": "FX Acme 1", "org": "Acme Labs", "aliases": ["fx-acme-1", "acme-labs/fx-acme-1"],
                     "released": "2026-03", "source": SOURCE_ID}
    grok = _model(pack, "FX Grok 5")
    assert "max_output_tokens" not in grok and "license" not in grok and "knowledge_cutoff" not in grok


def test_a_name_two_entries_share_is_told_apart_by_the_id(pack):
    snapshot = _model(pack, "FX Alpha 5 (fx-alpha-5-2026-01-15)")
    assert snapshot["aliases"] == ["fx-alpha-5-2026-01-15", "openai/fx-alpha-5-2026-01-15"]
    assert snapshot["status"] == "deprecated"


def test_one_model_under_two_lab_ids_is_one_model(pack):
    glm = [m for m in pack["models"] if m["name"].startswith("GLM-FX 5") and m["name"] != "GLM-FX 5V"]
    assert len(glm) == 1
    assert glm[0]["aliases"] == ["glm-fx-5", "zhipuai/glm-fx-5", "zai/glm-fx-5"]
    assert list(_scores(pack, "BrowseComp")) == ["GLM-FX 5", "FX Kimi K3"]
    assert [s["value"] for s in _scores(pack, "SWE-Bench Pro")["GLM-FX 5"]] == [40.2]


def test_benchmark_spellings_become_one_benchmark(pack):
    names = [b["name"] for b in pack["benchmarks"]]
    assert len(names) == len({normalize(n).replace(" ", "") for n in names})
    assert "SWE-Bench Pro" in names and "SWE Bench Pro" not in names
    assert set(_scores(pack, "SWE-Bench Pro")) == {"FX Alpha 5", "FX Alpha 5 mini", "FX Sonnet 5", "FX Opus 5",
                                                   "FX Grok 5", "GLM-FX 5", "FX DeepSeek V4"}


def test_version_is_part_of_the_benchmark(pack):
    names = {b["name"] for b in pack["benchmarks"]}
    assert {"Terminal-Bench 2.1", "AIME 2025", "LiveCodeBench v6"} <= names
    terminal = _scores(pack, "Terminal-Bench 2.1")
    assert set(terminal) == {"FX Alpha 5", "FX Alpha 5 mini", "FX Sonnet 5", "FX Gem 3 Pro", "FX DeepSeek V4"}
    assert set(_scores(pack, "AIME 2025")) == {"FX Alpha 5", "FX Nemotron 4 Super"}
    assert set(_scores(pack, "LiveCodeBench v6")) == {"FX DeepSeek V4", "FX DeepSeek R2"}


def test_metric_gives_the_unit(pack):
    units = {b["name"]: b.get("unit") for b in pack["benchmarks"]}
    assert units["SWE-Bench Pro"] == "%"
    assert units["LiveCodeBench v6"] == "%"
    assert units["LMArena Text"] == "Elo"


def test_harness_dataset_variant_become_the_setting(pack):
    assert _scores(pack, "Terminal-Bench 2.1")["FX DeepSeek V4"][0]["setting"] == "harness: Claude Code"
    assert _scores(pack, "GPQA Diamond")["FX Open 120B"][0]["setting"] == "high reasoning, dataset: diamond-198"
    assert _scores(pack, "AIME 2025")["FX Alpha 5"][0]["setting"] == "no tools, pass@1"
    hle = {s["setting"]: s["value"] for s in _scores(pack, "Humanity's Last Exam")["FX Opus 5"]}
    assert hle == {"with tools": 31.2, "no tools": 21.0}
    assert "setting" not in _scores(pack, "OSWorld-Verified")["FX Sonnet 5"][0]


def test_source_and_date_become_provenance(pack):
    swe = _scores(pack, "SWE-Bench Pro")["FX Alpha 5"][0]
    assert swe["source"] == "https://example.org/fixture/openai/fx-alpha-5"
    assert swe["date"] == "2026-02-10"
    card = _scores(pack, "GPQA Diamond")["FX Alpha 5"][0]
    source = next(s for s in pack["sources"] if s["id"] == card["source"])
    assert source["title"] == "FX Alpha 5 system card"
    unsourced = _scores(pack, "GPQA Diamond")["FX Grok 5"][0]
    assert unsourced["source"] == SOURCE_ID and "date" not in unsourced
    assert pack["sources"][0] == {"id": SOURCE_ID, "title": "models.dev, an open database of AI model specifications",
                                  "publisher": "models.dev", "url": URL, "published": FETCHED.isoformat()}


def test_what_has_no_field_becomes_facts(pack):
    facts = {(f["subject"], f["topic"]): f for f in pack["facts"]}
    assert facts[("FX Alpha 5", "capabilities")]["text"] == "Supports tool calling."
    assert facts[("FX Gemmette 4 27B", "capabilities")]["text"] == "Does not support tool calling."
    assert facts[("FX Alpha 5", "limits")]["text"] == "Accepts up to 272,000 input tokens."
    assert facts[("FX Alpha 5", "updates")]["text"] == "Its models.dev entry was last updated on 2026-03-01."
    sonnet = facts[("FX Sonnet 5", "pricing")]["text"]
    assert sonnet == ("Other prices, USD per million tokens: cache read 0.3, cache write 3.75, "
                      "context over 200k input 6, context over 200k output 22.5.")
    weights = facts[("FX Gemmette 4 27B", "weights")]
    assert weights["text"] == "Weights (Hugging Face): https://huggingface.example/google/fx-gemmette-4-27b"
    assert weights["source"] == "https://huggingface.example/google/fx-gemmette-4-27b"
    links = [f["text"] for f in pack["facts"] if f["subject"] == "FX Alpha 5" and f["topic"] == "links"]
    assert links == ["Link (announcement): https://example.org/fixture/openai/fx-alpha-5",
                     "Link (docs): https://example.org/fixture/docs/fx-alpha-5"]


def test_what_was_left_out_is_counted():
    result = convert(_raw(), source_url=URL, fetched=FETCHED)
    assert result.counts() == {"score-without-value": 2, "duplicate-score": 3, "renamed": 1, "merged": 1,
                               "score-date-month": 1}
    assert "openai/fx-alpha-5-mini: benchmark 'MMMU' has no score; left out" in [str(n) for n in result.notices]


def test_parse_logs_one_warning_with_the_counts(caplog):
    with caplog.at_level(logging.WARNING, logger="knowledge.importers.modelsdev"):
        parse(_raw(), source_url=URL, fetched=FETCHED)
    assert [r.getMessage() for r in caplog.records] == [
        "models.dev: 8 records left out or changed (duplicate-score: 3, merged: 1, renamed: 1, "
        "score-date-month: 1, score-without-value: 2)"]


def test_bytes_text_and_dict_give_the_same_pack(pack):
    assert parse(_raw().decode(), source_url=URL, fetched=FETCHED) == pack
    assert parse(_entries(), source_url=URL, fetched=FETCHED) == pack


def test_the_pack_has_a_stable_id_and_says_when_it_was_fetched(pack):
    assert pack["pack"] == PACK_ID == "models-dev"
    assert pack["title"] == "models.dev catalogue, fetched 2026-04-10"


def test_the_pack_passes_the_pack_format(pack):
    checked = PackIn.model_validate(pack)
    assert len(checked.models) == len(_entries()) - 1
    assert len(checked.scores) == len(pack["scores"]) > 25


# -- import into the database ------------------------------------------------------------------


def _import(engine, pack: dict, tmp_path: Path):
    return import_file(engine, write_pack(pack, tmp_path / "models-dev.json"))


def _model_row(session: Session, alias: str) -> Model:
    entity = session.execute(select(Alias.entity_id).where(Alias.kind == "model",
                                                           Alias.norm == normalize(alias))).scalar_one()
    return session.get(Model, entity)


def test_the_pack_imports_into_the_database(engine, pack, tmp_path):
    path = write_pack(pack, tmp_path / "models-dev.json")
    validate_file(engine, path)
    result = import_file(engine, path)
    assert result.pack == PACK_ID
    assert result.counts["models"] == len(pack["models"])
    with Session(engine) as session:
        model = _model_row(session, "openai/fx-alpha-5")
        assert model.name == "FX Alpha 5"
        assert session.get(Organization, model.org_id).name == "OpenAI"
        assert (model.context_window, model.knowledge_cutoff, model.pricing) == (
            400000, "2025-09", {"input_per_mtok": 1.25, "output_per_mtok": 10.0})
        assert _model_row(session, "zai/glm-fx-5").name == "GLM-FX 5"
        assert _model_row(session, "fx-legacy-4").status == "deprecated"
        bench = session.execute(select(Benchmark).where(Benchmark.name == "Terminal-Bench 2.1")).scalar_one()
        rows = session.execute(select(Score, Source).join(Source, Score.source_id == Source.id)
                               .where(Score.benchmark_id == bench.id, Score.model_id == model.id)).all()
        assert [(s.value, s.setting, s.date, src.url) for s, src in rows] == [
            (48.0, "harness: Terminus 2", dt.date(2026, 2, 10), "https://example.org/fixture/openai/fx-alpha-5")]
        facts = session.execute(select(Fact.text).where(Fact.subject_kind == "model",
                                                        Fact.subject_id == model.id)).scalars().all()
        assert "Supports tool calling." in facts


def test_re_importing_changes_nothing(engine, pack, tmp_path):
    _import(engine, pack, tmp_path)
    with Session(engine) as session:
        before = {t.__name__: len(session.execute(select(t.id)).all()) for t in (Model, Score, Fact, Source, Alias)}
    _import(engine, pack, tmp_path)
    with Session(engine) as session:
        after = {t.__name__: len(session.execute(select(t.id)).all()) for t in (Model, Score, Fact, Source, Alias)}
    assert after == before


def test_it_merges_with_the_bundled_knowledge(engine, pack, tmp_path):
    import_file(engine, BUNDLED_DIR / "muse-spark-launch.yaml", bundled=True)
    _import(engine, pack, tmp_path)
    with Session(engine) as session:
        metas = session.execute(select(Organization).where(Organization.name == "Meta")).scalars().all()
        assert len(metas) == 1
        llama = _model_row(session, "meta/fx-llama-5-scout")
        assert llama.org_id == metas[0].id


# -- bad data ----------------------------------------------------------------------------------


def _changed(change) -> bytes:
    entries = copy.deepcopy(_entries())
    change(entries)
    return json.dumps(entries).encode()


BROKEN = {
    "truncated": (lambda: _raw()[: len(_raw()) // 2], "models.dev data ends early, the JSON is truncated"),
    "not json": (lambda: b"<html>rate limited</html>", "models.dev data is not valid JSON"),
    "not utf-8": (lambda: b"\xff\xfe{}", "models.dev data is not UTF-8 text"),
    "empty": (lambda: b"  \n", "models.dev data is empty"),
    "a list": (lambda: b"[{}]", "models.dev data must be a JSON object keyed by 'lab/model-id', found a list"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_data_that_is_no_catalogue_is_one_line(case):
    make, expected = BROKEN[case]
    with pytest.raises(ModelsDevError) as caught:
        parse(make(), source_url=URL, fetched=FETCHED)
    message = str(caught.value)
    assert message.startswith(expected), message
    assert "\n" not in message


SKIPPED = {
    "entry not an object": (
        lambda: _changed(lambda d: d.__setitem__("openai/fx-broken", ["x"])),
        "models.dev entry 'openai/fx-broken': must be an object, found a list"),
    "key without lab": (
        lambda: _changed(lambda d: d.__setitem__("fx-broken", {})),
        "models.dev entry \"fx-broken\": the key must read 'lab/model-id'"),
    "string score": (
        lambda: _changed(lambda d: d["openai/fx-alpha-5"]["benchmarks"][1].__setitem__("score", "48.0")),
        "models.dev entry 'openai/fx-alpha-5', field 'benchmarks[1].score': expected a number, "
        "found the text \"48.0\""),
    "impossible date": (
        lambda: _changed(lambda d: d["xai/fx-grok-5"].__setitem__("release_date", "2026-02-30")),
        "models.dev entry 'xai/fx-grok-5', field 'release_date': '2026-02-30' is an impossible date"),
    "impossible month": (
        lambda: _changed(lambda d: d["xai/fx-grok-5"].__setitem__("knowledge", "2025-13")),
        "models.dev entry 'xai/fx-grok-5', field 'knowledge': '2025-13' is an impossible month"),
    "modalities as text": (
        lambda: _changed(lambda d: d["google/fx-gem-3-pro"]["modalities"].__setitem__("input", "text")),
        "models.dev entry 'google/fx-gem-3-pro', field 'modalities.input': expected a list of words"),
    "negative context": (
        lambda: _changed(lambda d: d["google/fx-gem-3-pro"]["limit"].__setitem__("context", -1)),
        "models.dev entry 'google/fx-gem-3-pro', field 'limit.context': expected a whole number of tokens"),
    "flag as text": (
        lambda: _changed(lambda d: d["meta/fx-llama-5-scout"].__setitem__("open_weights", "yes")),
        "models.dev entry 'meta/fx-llama-5-scout', field 'open_weights': expected true or false"),
    "benchmark without name": (
        lambda: _changed(lambda d: d["openai/fx-alpha-5"]["benchmarks"][0].pop("name")),
        "models.dev entry 'openai/fx-alpha-5', field 'benchmarks[0].name': a benchmark needs a name"),
    "name too long for the base": (
        lambda: _changed(lambda d: d["cohere/fx-command-b"].__setitem__("name", "X" * 201)),
        "models.dev entry 'cohere/fx-command-b': its models record does not fit a knowledge pack, field 'name'"),
}
"""Entries that once stopped the whole conversion: now each is left out alone, with a notice."""


@pytest.mark.parametrize("case", sorted(SKIPPED))
def test_a_bad_entry_is_left_out_with_one_line_naming_it(pack, case):
    make, expected = SKIPPED[case]
    key = re.match(r"models\.dev entry ['\"]([^'\"]+)", expected).group(1)
    conversion = convert(make(), source_url=URL, fetched=FETCHED)
    [skipped] = [n for n in conversion.notices if n.kind == "entry-skipped"]
    assert skipped.key == key and skipped.message.startswith("left out: " + expected), skipped.message
    assert "\n" not in str(skipped)
    kept = {alias for m in conversion.pack["models"] for alias in m["aliases"]}
    assert {alias for m in pack["models"] if key not in m["aliases"] for alias in m["aliases"]} <= kept
    assert not any(key in m["aliases"] for m in conversion.pack["models"])


# -- fetching ----------------------------------------------------------------------------------


@pytest.fixture
async def server():
    fake = await HttpFile(_raw()).start()
    yield fake
    await fake.stop()


async def _fetch(url: str, **kw) -> FetchResult:
    return await asyncio.to_thread(fetch, url, **kw)


def test_the_default_url_is_the_public_catalogue():
    assert DEFAULT_URL == "https://models.dev/models.json"


async def test_fresh_then_not_modified_by_etag(server):
    first = await _fetch(server.url)
    assert (first.status, first.body, first.etag, first.url) == ("fresh", _raw(), '"v1"', server.url)
    assert first.last_modified == "Wed, 01 Apr 2026 12:00:00 GMT"
    again = await _fetch(server.url, etag=first.etag)
    assert (again.status, again.body, again.etag) == ("not_modified", None, '"v1"')
    assert server.requests[1]["If-None-Match"] == '"v1"'
    assert "modelwire" in server.requests[1]["User-Agent"]


async def test_a_new_etag_is_fresh_again(server):
    first = await _fetch(server.url)
    server.publish(b'{"openai/fx-new": {}}', etag='"v2"',
                   last_modified=dt.datetime(2026, 4, 2, tzinfo=dt.timezone.utc))
    second = await _fetch(server.url, etag=first.etag)
    assert (second.status, second.body, second.etag) == ("fresh", b'{"openai/fx-new": {}}', '"v2"')


async def test_not_modified_by_last_modified(server):
    first = await _fetch(server.url)
    again = await _fetch(server.url, last_modified=first.last_modified)
    assert again.status == "not_modified"
    assert server.requests[1]["If-Modified-Since"] == "Wed, 01 Apr 2026 12:00:00 GMT"
    older = await _fetch(server.url, last_modified="Tue, 31 Mar 2026 12:00:00 GMT")
    assert older.status == "fresh"


async def test_retries_after_503_then_succeeds(server):
    server.fail_next(2, 503)
    result = await _fetch(server.url, backoff=0.01)
    assert result.status == "fresh" and result.body == _raw()
    assert server.count == 3


async def test_429_waits_as_long_as_retry_after_says(server):
    server.fail_next(1, 429, retry_after="1")
    started = time.monotonic()
    result = await _fetch(server.url, backoff=0.01)
    assert result.status == "fresh"
    assert time.monotonic() - started >= 0.9
    assert server.count == 2


async def test_a_retry_after_too_long_is_not_waited_for(server):
    server.fail_next(1, 429, retry_after="3600")
    with pytest.raises(FetchError) as caught:
        await _fetch(server.url, backoff=0.01)
    assert str(caught.value) == (f"GET {server.url} failed: the server asks to retry after 3600 s, "
                                 "longer than the 120 s this fetch waits")


async def test_final_failure_names_the_url_and_status(server):
    server.fail_next(3, 503)
    with pytest.raises(FetchError) as caught:
        await _fetch(server.url, retries=2, backoff=0.01)
    assert str(caught.value) == f"GET {server.url} failed: HTTP 503 Service Unavailable after 3 attempts"
    assert server.count == 3


async def test_a_client_error_is_not_retried(server):
    server.fail_next(1, 404)
    with pytest.raises(FetchError) as caught:
        await _fetch(server.url, backoff=0.01)
    assert str(caught.value) == f"GET {server.url} failed: HTTP 404 Not Found"
    assert server.count == 1


async def test_timeout(server):
    server.stall_next(2, seconds=5)
    with pytest.raises(FetchError) as caught:
        await _fetch(server.url, timeout=0.3, retries=1, backoff=0.01)
    assert str(caught.value) == f"GET {server.url} failed after 2 attempts: timed out (no answer within 0.3 s)"


async def test_a_truncated_body_is_retried_then_rejected(server):
    server.truncate_next(1)
    result = await _fetch(server.url, backoff=0.01)
    assert result.body == _raw() and server.count == 2
    server.truncate_next(3)
    with pytest.raises(FetchError) as caught:
        await _fetch(server.url, retries=2, backoff=0.01)
    half = len(_raw()) // 2
    assert str(caught.value) == (f"GET {server.url} failed after 3 attempts: the body was truncated "
                                 f"({half} bytes read, {len(_raw()) - half} more expected)")


async def test_connection_refused():
    with pytest.raises(FetchError) as caught:
        await _fetch("http://127.0.0.1:9/models.json", retries=1, backoff=0.01)
    message = str(caught.value)
    assert message.startswith("GET http://127.0.0.1:9/models.json failed after 2 attempts: cannot connect (")
    assert "\n" not in message
