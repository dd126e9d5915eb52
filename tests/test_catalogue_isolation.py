"""One bad catalogue entry never blocks the others (hardening issue, catalogue isolation).

A models.dev entry with a value of the wrong type (a ``limit`` that is text, a ``cost`` that is a list, a
``name`` that is a number, an entry that is not an object, a key that names no lab) is left out with one
``entry-skipped`` notice naming its key, the field and the problem; every other entry is imported. Only
data that is not a catalogue at all (not an object, or no entry in it reads as one) fails as a whole.
Database tests run on SQLite and PostgreSQL (``engine``).
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.importers.modelsdev import ModelsDevError, convert
from knowledge.schema import Model
from knowledge.sync import apply_catalogue

URL = "https://models.dev/models.json"
TODAY = dt.date(2026, 4, 10)


def entry(name: str, **fields) -> dict:
    return {"name": name, "release_date": "2026-01-05", "limit": {"context": 128000, "output": 8000},
            "cost": {"input": 1.0, "output": 4.0}, "modalities": {"input": ["text"], "output": ["text"]},
            "tool_call": True, "benchmarks": [{"name": "GPQA Diamond", "score": 80.0}], **fields}


# key -> (value, the field the notice names, a fragment of the problem)
WRONG = {
    "acme/limit-text": (entry("Limit Text", limit="128k"), "'limit'", "expected an object, found the text"),
    "acme/cost-list": (entry("Cost List", cost=[1, 2]), "'cost'", "expected an object, found a list"),
    "acme/name-number": (entry(42), "'name'", "expected text, found the number 42"),
    "acme/not-an-object": (["x"], None, "must be an object, found a list"),
    "acme/null": (None, None, "must be an object, found null"),
    "nolab": (entry("No Lab"), None, "the key must read 'lab/model-id'"),
    "lonely/limit-list": (entry("Lonely", limit=[128000]), "'limit'", "expected an object, found a list"),
    "zeta/context-text": (entry("Context Text", limit={"context": "two million"}), "'limit.context'",
                          "expected a number"),
    "zeta/modalities-text": (entry("Modalities Text", modalities={"input": "text"}), "'modalities.input'",
                             "expected a list of words"),
    "zeta/benchmarks-object": (entry("Benchmarks Object", benchmarks={"a": 1}), "'benchmarks'",
                               "expected a list"),
    "zeta/benchmark-text": (entry("Benchmark Text", benchmarks=["GPQA"]), "'benchmarks[0]'",
                            "expected an object"),
    "zeta/score-text": (entry("Score Text", benchmarks=[{"name": "GPQA", "score": "80"}]),
                        "'benchmarks[0].score'", "expected a number"),
    "zeta/date-number": (entry("Date Number", release_date=20260105), "'release_date'", "expected text"),
    "zeta/flag-text": (entry("Flag Text", open_weights="yes"), "'open_weights'", "expected true or false"),
    "zeta/links-number": (entry("Links Number", links=7), "'links'", "expected a link"),
    "zeta/price-list": (entry("Price List", cost={"input": [1]}), "'cost.input'", "expected a number"),
    "zeta/impossible-date": (entry("Impossible Date", release_date="2026-02-30"), "'release_date'",
                             "impossible date"),
    "zeta/nameless-benchmark": (entry("Nameless", benchmarks=[{"score": 1}]), "'benchmarks[0].name'",
                                "a benchmark needs a name"),
    "zeta/name-too-long": (entry("X" * 201), "'name'", "models record does not fit a knowledge pack"),
}


def catalogue() -> dict:
    data = {"acme/good": entry("Good One")}
    data.update({key: value for key, (value, _, _) in WRONG.items()})
    data["zeta/good-two"] = entry("Good Two")
    return data


def model_names(engine) -> list[str]:
    with Session(engine) as session:
        return sorted(session.execute(select(Model.name)).scalars())


def test_the_good_entries_are_converted_and_each_bad_one_is_one_notice():
    conversion = convert(json.dumps(catalogue()).encode(), source_url=URL, fetched=TODAY)
    assert sorted(m["name"] for m in conversion.pack["models"]) == ["Good One", "Good Two"]
    skipped = {n.key: n.message for n in conversion.notices if n.kind == "entry-skipped"}
    assert sorted(skipped) == sorted(WRONG)
    for key, (_, fld, problem) in WRONG.items():
        message = skipped[key]
        assert key in message and problem in message, message
        assert fld is None or f"field {fld}" in message or f"field {fld[:-1]}" in message, message
        assert "\n" not in message and len(message) < 1000


def test_the_skipped_entries_leave_no_records_behind():
    pack = convert(json.dumps(catalogue()).encode(), source_url=URL, fetched=TODAY).pack
    subjects = {f["subject"] for f in pack["facts"]} | {s["model"] for s in pack["scores"]}
    assert subjects <= {"Good One", "Good Two"}
    labs = {alias.lower() for org in pack["organizations"] for alias in [org["name"], *org["aliases"]]}
    assert "lonely" not in labs and {"acme", "zeta"} <= labs


def test_a_huge_wrong_value_is_clipped_in_its_notice():
    data = {"acme/good": entry("Good One"), "acme/huge": entry("Huge", limit="x" * 2_000_000),
            "acme/huge-name": entry(["y" * 2_000_000])}
    notices = convert(json.dumps(data).encode(), source_url=URL, fetched=TODAY).notices
    assert [n.kind for n in notices] == ["entry-skipped"] * 2
    assert all(len(str(n)) < 1000 for n in notices)


def test_names_clashing_across_entries_skip_only_the_later_entry():
    """Each entry reads alone, but together the last one has no free name: it alone is left out."""
    data = {"p/q": entry("Zed"), "r/s": entry("Zed (s)"), "v/w": entry("Zed (u/s)"), "u/s": entry("Zed"),
            "acme/good": entry("Good One")}
    conversion = convert(json.dumps(data).encode(), source_url=URL, fetched=TODAY)
    assert sorted(m["name"] for m in conversion.pack["models"]) == ["Good One", "Zed", "Zed (s)", "Zed (u/s)"]
    [skipped] = [n for n in conversion.notices if n.kind == "entry-skipped"]
    assert skipped.key == "u/s" and "already used by entry 'p/q'" in skipped.message


@pytest.mark.parametrize("raw, expected", [
    (b"[{}]", "models.dev data must be a JSON object"),
    (b"{}", "models.dev data holds no entries"),
    (json.dumps({"acme/a": {"limit": "x"}, "acme/b": [1], "nolab": {}}).encode(),
     "models.dev data holds no entry that reads as a catalogue entry (3 left out; the first: "),
])
def test_data_that_is_no_catalogue_at_all_still_fails_as_a_whole(raw, expected):
    with pytest.raises(ModelsDevError) as caught:
        convert(raw, source_url=URL, fetched=TODAY)
    assert str(caught.value).startswith(expected) and "\n" not in str(caught.value)
    assert len(str(caught.value)) < 1000


def test_the_catalogue_imports_the_good_entries_and_reports_the_rest(engine):
    raw = json.dumps(catalogue()).encode()
    result = apply_catalogue(engine, raw, source_url=URL, today=TODAY)
    assert model_names(engine) == ["Good One", "Good Two"]
    assert result.models == 2
    assert result.left_out == {"entry-skipped": len(WRONG)}
    assert sorted(n.key for n in result.notices) == sorted(WRONG)
    # the next scheduled sync of the same data runs too
    again = apply_catalogue(engine, raw, source_url=URL, today=TODAY)
    assert model_names(engine) == ["Good One", "Good Two"] and again.left_out == {"entry-skipped": len(WRONG)}
