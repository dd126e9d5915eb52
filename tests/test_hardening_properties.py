"""Property tests (issue 13, fuzzing): the pack reader and the models.dev reader never let an exception escape.

Every input, random nested JSON/YAML-ish values in the places a pack or a catalogue has values, is imported
or rejected with one line (PackError / ModelsDevError). Examples are bounded so each test runs in seconds.
"""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from pathlib import Path

import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from knowledge import sync
from knowledge.importers.modelsdev import ModelsDevError, convert
from knowledge.packformat import PackError, pack_from, parse_pack
from knowledge.packs import import_pack
from knowledge.sync import apply_catalogue

REFUSALS = (ModelsDevError, PackError, *[getattr(sync, name) for name in ("ShrinkError",) if hasattr(sync, name)])
"""What a catalogue import may raise: a bad catalogue, a bad pack, or (where there is one) the shrink guard."""

URL = "https://models.dev/models.json"
TODAY = dt.date(2026, 4, 10)
FAST = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
DB = settings(max_examples=40, deadline=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

nasty_text = (st.text(st.characters() | st.sampled_from(["\x00", "\x1b", "\u202e", "\u2066", "\x9b", "\ud800", "\n"]),
                      max_size=12)
              | st.sampled_from(["\x1b[2J", "1:30", "0x1F", "0000-01", "9999-12-31", "2026-02-30", "yes", "a/b",
                                 "Model A", "Org A", "Bench"]))
numbers = (st.integers(min_value=-(10**25), max_value=10**25) | st.sampled_from([2**31 - 1, 2**31, 3_000_000_000,
           10**23, 2**63, -1, 0]) | st.floats(allow_nan=True, allow_infinity=True))
scalars = st.none() | st.booleans() | numbers | nasty_text
values = st.recursive(scalars, lambda inner: st.lists(inner, max_size=3)
                      | st.dictionaries(nasty_text, inner, max_size=3), max_leaves=12)


def one_line(exc: Exception) -> None:
    text = exc.paragraph() if isinstance(exc, PackError) else str(exc)
    assert text and "\n" not in text and "\r" not in text and "\x1b" not in text and "\x00" not in text, text
    assert len(text) < 20_000


dates = st.sampled_from(["0000-01", "0000-01-01", "2026-01-05", "2026-02", "9999-12-31", "2026-13", "10000-01"])
texts = st.sampled_from(["Model \x00", "\x1b[2J", "R\u202eR", "ok"]) | nasty_text
MODEL_FIELDS = ["name", "org", "aliases", "family", "released", "status", "open_weights", "license",
                "input_modalities", "context_window", "max_output_tokens", "knowledge_cutoff", "reasoning",
                "pricing", "description"]


@st.composite
def packs(draw):
    """A pack-shaped document whose fields hold random values (and sometimes random fields)."""
    model = {"name": draw(st.just("Model A") | nasty_text), "org": "Org A"}
    for name in draw(st.lists(st.sampled_from(MODEL_FIELDS), max_size=4, unique=True)):
        model[name] = draw((dates if name in ("released", "knowledge_cutoff") else numbers) | texts | values)
    doc = {"pack": draw(st.just("fuzz") | nasty_text), "organizations": [{"name": "Org A"}], "models": [model]}
    if draw(st.booleans()):
        doc["scores"] = [{"model": "Model A", "benchmark": "Bench", "value": draw(values)}]
        doc["benchmarks"] = [{"name": "Bench"}]
    if draw(st.booleans()):
        doc["releases"] = [{"model": "Model A", "date": draw(values), "title": draw(nasty_text)}]
    if draw(st.booleans()):
        doc[draw(nasty_text)] = draw(values)
    return doc


@FAST
@given(st.one_of(values, packs()))
def test_the_pack_reader_reads_or_refuses_in_one_line(doc):
    try:
        pack_from(doc, "fuzz.yaml")
    except PackError as exc:
        one_line(exc)


@FAST
@given(st.one_of(values, packs()), st.sampled_from(["json", "yaml", "raw"]), nasty_text)
def test_pack_files_are_read_or_refused_in_one_line(doc, form, noise):
    if form == "json":
        text, suffix = json.dumps(doc, ensure_ascii=False), ".json"
    elif form == "yaml":
        text, suffix = yaml.safe_dump(doc, allow_unicode=True), ".yaml"
    else:
        text, suffix = noise + json.dumps(doc, ensure_ascii=False)[: len(noise) * 3], ".yaml"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"pack{suffix}"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            parse_pack(path)
        except PackError as exc:
            one_line(exc)


ENTRY_FIELDS = ["name", "family", "release_date", "knowledge", "last_updated", "open_weights", "tool_call",
                "reasoning", "license", "status", "limit", "modalities", "cost", "links", "weights", "benchmarks"]


DATE_FIELDS = {"release_date", "knowledge", "last_updated"}


@st.composite
def catalogues(draw):
    """A models.dev catalogue whose entries hold random values in its fields."""
    out = {}
    for index in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from([f"lab{index}/model-{index}", "openai/gpt-x"]) | nasty_text)
        entry = {}
        for name in draw(st.lists(st.sampled_from(ENTRY_FIELDS), max_size=5, unique=True)):
            if name in DATE_FIELDS:
                entry[name] = draw(dates | values)
            elif name in ("name", "family", "license"):
                entry[name] = draw(texts | values)
            elif name == "limit":
                entry[name] = {"context": draw(numbers | values), "output": draw(numbers), "input": draw(values)}
            elif name == "benchmarks":
                entry[name] = [{"name": draw(nasty_text), "score": draw(values), "date": draw(values)}]
            else:
                entry[name] = draw(values)
        out[key] = entry if draw(st.integers(0, 9)) else draw(values)
    out["good/model-ok"] = {"name": "Good", "release_date": draw(dates), "limit": {"context": draw(numbers)}}
    return out


@FAST
@given(st.one_of(catalogues(), values))
def test_the_models_dev_reader_converts_or_refuses_in_one_line(data):
    try:
        raw = json.dumps(data, ensure_ascii=False).encode("utf-8", errors="surrogatepass")
    except ValueError:
        return
    try:
        conversion = convert(raw, source_url=URL, fetched=TODAY)
    except ModelsDevError as exc:
        one_line(exc)
        return
    for notice in conversion.notices:
        assert "\n" not in str(notice) and "\x1b" not in str(notice)
    try:
        pack_from(conversion.pack, "models.dev")
    except PackError as exc:  # a converted catalogue is always a valid pack
        raise AssertionError(exc.paragraph()) from None


@DB
@given(catalogues())
def test_catalogues_import_or_are_refused_on_the_database(engine, data):
    raw = json.dumps(data, ensure_ascii=False).encode("utf-8", errors="surrogatepass")
    try:
        apply_catalogue(engine, raw, source_url=URL, today=TODAY)
    except REFUSALS as exc:
        one_line(exc)


@DB
@given(packs())
def test_packs_import_or_are_refused_on_the_database(engine, doc):
    from sqlalchemy.orm import Session

    try:
        pack = pack_from(doc, "fuzz.yaml")
        with Session(engine) as session, session.begin():
            import_pack(session, pack, "0" * 64, "fuzz.yaml")
    except PackError as exc:
        one_line(exc)


# -- one bad entry never blocks the others -------------------------------------------------------------

anything = st.recursive(st.none() | st.booleans() | st.integers(-10**6, 10**6) | st.floats(allow_nan=False)
                        | st.text(max_size=8), lambda inner: st.lists(inner, max_size=3)
                        | st.dictionaries(st.text(max_size=5), inner, max_size=3), max_leaves=6)
_IS = {"text": lambda v: isinstance(v, str), "flag": lambda v: isinstance(v, bool),
       "number": lambda v: isinstance(v, (int, float)) and not isinstance(v, bool),
       "object": lambda v: isinstance(v, dict), "list": lambda v: isinstance(v, list),
       "price": lambda v: isinstance(v, (int, float, dict)) and not isinstance(v, bool),
       "link": lambda v: isinstance(v, (str, list, dict)), "link item": lambda v: isinstance(v, (str, dict))}
WRONG_PLACES = {  # where a value goes in an entry, and the type the catalogue has there
    (): "object", ("name",): "text", ("family",): "text", ("release_date",): "text", ("knowledge",): "text",
    ("open_weights",): "flag", ("tool_call",): "flag", ("reasoning",): "flag", ("limit",): "object",
    ("limit", "context"): "number", ("limit", "output"): "number", ("cost",): "object", ("cost", "input"): "price",
    ("modalities",): "object", ("modalities", "input"): "list", ("modalities", "input", 0): "text",
    ("benchmarks",): "list", ("benchmarks", 0): "object", ("benchmarks", 0, "name"): "text",
    ("benchmarks", 0, "score"): "number", ("links",): "link", ("links", 0): "link item",
}


def good_entry(index: int) -> dict:
    return {"name": f"Model {index}", "family": "fam", "release_date": "2026-01-05", "knowledge": "2025-06",
            "open_weights": False, "tool_call": True, "reasoning": False,
            "limit": {"context": 128000 + index, "output": 8000}, "cost": {"input": 1.0, "output": 2.0},
            "modalities": {"input": ["text"], "output": ["text"]},
            "benchmarks": [{"name": "GPQA Diamond", "score": 50.0 + index}], "links": ["https://example.org/m"]}


@st.composite
def one_wrong_entry(draw):
    """A valid catalogue of 2 to 5 models, one of which has a value of the wrong type somewhere."""
    keys = [f"lab{i % 2}/model-{i}" for i in range(draw(st.integers(2, 5)))]
    data = {key: good_entry(i) for i, key in enumerate(keys)}
    victim = draw(st.sampled_from(keys))
    place = draw(st.sampled_from(sorted(WRONG_PLACES, key=repr)))
    wrong = draw(anything.filter(lambda v: v is not None and not _IS[WRONG_PLACES[place]](v)))
    if not place:
        data[victim] = wrong
    else:
        *parents, last = place
        holder = data[victim]
        for step in parents:
            holder = holder[step]
        holder[last] = wrong
    return data, victim


def _converts_all_but(data: dict, victim: str):
    conversion = convert(json.dumps(data).encode(), source_url=URL, fetched=TODAY)
    names = sorted(m["name"] for m in conversion.pack["models"])
    assert names == sorted(f"Model {i}" for i, key in enumerate(data) if key != victim), names
    [skipped] = [n for n in conversion.notices if n.kind == "entry-skipped"]
    assert skipped.key == victim and victim in skipped.message and "\n" not in skipped.message
    return conversion


@FAST
@given(one_wrong_entry())
def test_a_wrong_typed_value_in_one_entry_never_blocks_the_others(case):
    data, victim = case
    _converts_all_but(data, victim)


@DB
@given(one_wrong_entry())
def test_a_wrong_typed_value_in_one_entry_never_blocks_the_others_on_the_database(engine, case):
    from sqlalchemy import select
    from sqlalchemy.orm import Session

    from knowledge.schema import Model, PackMember

    data, victim = case
    result = apply_catalogue(engine, json.dumps(data).encode(), source_url=URL, today=TODAY, allow_shrink=True)
    assert result.left_out.get("entry-skipped") == 1
    claimed = select(PackMember.entity_id).where(PackMember.pack_id == "models-dev", PackMember.kind == "model")
    with Session(engine) as session:  # the engine is shared by all examples: models of earlier ones stay
        names = sorted(session.execute(select(Model.name).where(Model.id.in_(claimed))).scalars())
    assert names == sorted(f"Model {i}" for i, key in enumerate(data) if key != victim)
