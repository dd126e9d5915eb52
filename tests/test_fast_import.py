"""The streaming pack reader (libyaml events, JSON one record at a time) reads and refuses exactly what
the whole-document reader (PyYAML's pure-Python ``_Loader``, ``json.loads``) does."""

from __future__ import annotations

import json
import re

import pytest
import yaml

from knowledge.packformat import (
    FactIn,
    FactRecord,
    PackError,
    ScoreIn,
    ScoreRecord,
    pack_from,
    parse_pack,
    read_document,
)
from knowledge.packs import import_file

GOOD = """\
pack: fast
title: Fast import
sources:
  - {id: src, title: A source, published: "2025-01-02"}
organizations:
  - name: Acme Labs
    aliases: [Acme]
models:
  - &base
    name: Roadrunner 1
    org: Acme
    context_window: 128000
    released: 2025-06
    pricing: {input_per_mtok: 1.5e1, output_per_mtok: 2}
    reasoning: true
  - <<: *base
    name: Roadrunner 2
    released: "2025-07-01"
  - {name: "  Coyote\u202e 3 ", org: Acme Labs, open_weights: False}
benchmarks:
  - {name: Speed Test, unit: "%", aliases: [ST]}
scores:
  - {model: Roadrunner 1, benchmark: ST, value: 81, date: 2025-01-02, source: src}
  - {model: Roadrunner 2, benchmark: Speed Test, value: 82.5, setting: 5-shot}
facts:
  - {subject: Acme, text: Acme makes fast models., topic: business, source: "https://example.org/a"}
releases:
  - {model: Roadrunner 2, date: 2025-07-01, title: Roadrunner 2 released}
"""

BAD_YAML = {
    "duplicate key": GOOD + "    reasoning: false\n",
    "duplicate top key": GOOD + "title: again\n",
    "duplicate anchor": GOOD.replace("- {name: Speed", "- &base {name: Speed"),
    "undefined alias": GOOD.replace("<<: *base", "<<: *nothing"),
    "merge of a scalar": GOOD.replace("<<: *base", "<<: 3"),
    "sexagesimal": GOOD.replace("128000", "1:30"),
    "hex": GOOD.replace("128000", "0x10"),
    "octal": GOOD.replace("128000", "012"),
    "underscores": GOOD.replace("128000", "1_000"),
    "yes": GOOD.replace("reasoning: true", "reasoning: yes"),
    "on": GOOD.replace("reasoning: true", "reasoning: on"),
    "timestamp tag": GOOD.replace('published: "2025-01-02"', "published: !!timestamp 2025-01-02"),
    "python tag": GOOD.replace("128000", "!!python/name:os.system ''"),
    "python object": GOOD.replace("{input_per_mtok", "!!python/object:os.Foo {input_per_mtok"),
    "int tag on hex": GOOD.replace("128000", "!!int 0x10"),
    "nan": GOOD.replace("value: 81", "value: .nan"),
    "inf": GOOD.replace("value: 81", "value: -.inf"),
    "null section": GOOD.replace("facts:\n  - {subject", "facts: null\nx:\n  - {subject"),
    "section as mapping": GOOD.replace("benchmarks:\n  - {name", "benchmarks:\n  x: {name"),
    "unknown top key": GOOD + "extra: 1\n",
    "missing pack": GOOD.replace("pack: fast\n", ""),
    "bad records everywhere": GOOD.replace("value: 81", "value: high").replace("org: Acme\n", "org: ''\n")
    + "  - just text\n",
    "deep": "pack: x\ntitle: " + "[" * 40 + "]" * 40 + "\n",
    "deep record": GOOD.replace("aliases: [Acme]", "aliases: " + "[" * 31 + "]" * 31),
    "two documents": GOOD + "---\npack: other\n",
    "a list": "- 1\n- 2\n",
    "a scalar": "just text\n",
    "only a comment": "# nothing\n",
    "broken": "pack: test-pack\nmodels: [{name: Muse Spark, org: Meta\n",
    "tab": "pack: test-pack\nmodels:\n\t- name: Muse Spark\n",
    "huge int": GOOD.replace("128000", "9" * 5000),
    "anchored root": "&root\npack: x\n",
    "tagged set": GOOD.replace("aliases: [Acme]", "aliases: !!set {Acme}"),
}


def _both(path):
    """(old reader's result or error, new reader's result or error), comparable."""
    out = []
    for read in (lambda: pack_from(read_document(path), str(path)), lambda: parse_pack(path)):
        try:
            out.append(_dump(dict(read())))
        except PackError as exc:
            out.append(str(exc))
    return out


def _dump(pack):
    return {k: [r.model_dump() for r in v] if isinstance(v, list) else v for k, v in pack.items()}


def test_a_good_yaml_pack_reads_the_same(tmp_path):
    path = tmp_path / "good.yaml"
    path.write_text(GOOD, encoding="utf-8")
    assert _dump(dict(parse_pack(path))) == _dump(dict(pack_from(read_document(path), str(path))))


@pytest.mark.parametrize("case", sorted(BAD_YAML))
def test_yaml_refused_or_read_the_same_as_before(tmp_path, case):
    path = tmp_path / "p.yaml"
    path.write_text(BAD_YAML[case], encoding="utf-8")
    old, new = _both(path)
    if isinstance(old, str) and "not valid YAML" in old:  # libyaml words some syntax errors differently
        assert "not valid YAML" in new and _where(new) == _where(old)
    elif case in ("tagged set", "undefined alias"):  # refused before and now, in other words
        assert isinstance(old, str) and isinstance(new, str)
    else:
        assert new == old


def _where(message: str) -> str | None:
    found = re.search(r"line \d+, column \d+", message)
    return found and found.group()


@pytest.mark.parametrize("case", ["duplicate key", "sexagesimal", "yes", "python tag", "deep", "two documents"])
def test_the_c_loader_refuses_with_a_line_number(tmp_path, case):
    path = tmp_path / "p.yaml"
    path.write_text(BAD_YAML[case], encoding="utf-8")
    assert yaml.__with_libyaml__
    with pytest.raises(PackError) as caught:
        parse_pack(path)
    assert "line" in str(caught.value) or "'" in str(caught.value)


JSON_DOCS = {
    "good": json.dumps(yaml.safe_load(GOOD), default=str),
    "duplicate top": '{"pack": "x", "title": "a", "title": "b"}',
    "duplicate section": '{"pack": "x", "models": [], "models": []}',
    "duplicate inside": '{"pack": "x", "models": [{"name": "a", "name": "b", "org": "o"}]}',
    "trailing comma": '{"pack": "x", "models": [],}',
    "trailing comma in a section": '{"pack": "x", "models": [{"name": "a", "org": "o"},]}',
    "garbage after": '{"pack": "x"} {}',
    "bom": '\ufeff{"pack": "x"}',
    "a list": "[1, 2]",
    "null section": '{"pack": "x", "models": null}',
    "empty object": "{}",
    "empty sections": ' { "pack" : "x" , "models" : [ ] , "scores":[]}  ',
    "deep record": '{"pack": "x", "models": [{"name": "a", "org": "o", "modes": ' + "[" * 40 + "]" * 40 + "}]}",
    "very deep": '{"pack": "x", "models": [' + "[" * 100_000 + "]" * 100_000 + "]}",
    "bad records": '{"scores": [{"model": "a"}, 3, {"model": "m", "benchmark": "b", "value": "1"}], "pack": "x!"}',
    "huge int": '{"pack": "x", "scores": [{"model": "m", "benchmark": "b", "value": ' + "9" * 5000 + "}]}",
    "unterminated": '{"pack": "x", "models": [{"name": "a"',
}


@pytest.mark.parametrize("case", sorted(JSON_DOCS))
def test_json_refused_or_read_the_same_as_before(tmp_path, case):
    path = tmp_path / "p.json"
    path.write_text(JSON_DOCS[case], encoding="utf-8")
    old, new = _both(path)
    assert new == old


def test_a_streamed_pack_imports(engine, tmp_path):
    path = tmp_path / "good.yaml"
    path.write_text(GOOD, encoding="utf-8")
    result = import_file(engine, path)
    assert result.counts["scores"] == 2 and result.counts["models"] == 3


def test_slim_records_have_their_models_fields_in_order():
    assert ScoreRecord._fields == tuple(ScoreIn.model_fields)
    assert FactRecord._fields == tuple(FactIn.model_fields)
