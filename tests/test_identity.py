"""One model, several sources: merging records across packs and catalogues, and what each field cites."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.engine import answer as engine_answer
from bot.values import Question
from knowledge.identity import Known, core, extends, is_size, merge_target, name_tokens
from knowledge.packs import import_file
from knowledge.schema import Model, ModelClaim
from knowledge.store import KnowledgeBase
from knowledge.sync import apply_catalogue

URL = "https://example.invalid/models.json"


def catalogue(**entries) -> bytes:
    """A models.dev catalogue of the given ``lab/model-id`` entries."""
    return json.dumps({key.replace("__", "/"): value for key, value in entries.items()}).encode()


def answer(kb, text: str):
    return engine_answer(Question(text), kb)


def models_named(engine, *names: str) -> list[int]:
    with engine.connect() as conn:
        return list(conn.execute(select(Model.id).where(Model.name.in_(names)).order_by(Model.id)).scalars())


def model_count(engine) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(Model)).scalar_one()


# -- the rule, as pure functions -----------------------------------------------------------------


def test_sizes_and_tunings_are_qualifiers_other_words_are_not():
    assert name_tokens("Llama-4-Maverick-17B-128E-Instruct") == ("llama", "4", "maverick", "17b", "128e", "instruct")
    assert all(is_size(t) for t in ["17b", "8x7b", "1.5b", "270m", "a22b", "e4b", "128e"])
    assert not any(is_size(t) for t in ["4", "4o", "v3", "pro", "b", "gpt", "2025"])
    assert core("Gemma 4 31B IT") == core("Gemma 4 E4B") == ("gemma", "4")


def test_one_name_extends_another_only_by_qualifiers():
    assert extends("Llama 4 Maverick 17B Instruct", "Llama 4 Maverick")
    assert extends("gemma-4-31b-it", "Gemma 4 31B")
    assert not extends("Gemma 4 E4B", "Gemma 4 31B")
    assert not extends("Llama 4 Maverick Pro", "Llama 4 Maverick")
    assert not extends("Llama 4 Maverick", "Llama 4 Maverick")
    assert not extends("Llama 4", "Llama 4 Maverick")


def test_exactly_one_known_model_with_the_core_name_is_certain():
    maverick = Known(1, "Llama 4 Maverick", 10)
    assert merge_target("Llama 4 Maverick 17B Instruct", 10, [maverick]) == (1, [])
    assert merge_target("Llama 4 Maverick 17B Instruct", 11, [maverick])[0] is None  # another organization
    two = [Known(2, "Gemma 4 31B", 10), Known(3, "Gemma 4 E4B", 10)]
    target, near = merge_target("Gemma 4", 10, two)
    assert target is None and {k.id for k in near} == {2, 3}
    assert merge_target("Gemma 4 E4B", 10, [Known(2, "Gemma 4 31B", 10)])[0] is None


_WORD = st.text("abcdefghklmnoprstuvwyz", min_size=2, max_size=8).filter(lambda w: w not in {"it", "chat"})


@given(st.lists(_WORD, min_size=1, max_size=4), st.sampled_from(["7B", "17B Instruct", "8x7B", "IT", "A3B Chat"]))
def test_a_name_plus_qualifiers_extends_it_and_never_the_reverse(words, extra):
    name = " ".join(words)
    assert extends(f"{name} {extra}", name) and not extends(name, f"{name} {extra}")
    assert core(f"{name} {extra}") == core(name)


# -- merging in the knowledge base --------------------------------------------------------------


def test_the_catalogue_maverick_merges_into_the_launch_article_one(kb):
    """The Maverick case: the seed's "Llama 4 Maverick" and the catalogue's "Llama 4 Maverick 17B Instruct"
    are one record, which shows the catalogue's context window and answers to both names."""
    before = models_named(kb.engine, "Llama 4 Maverick")
    raw = catalogue(**{"meta-llama__llama-4-maverick-17b-128e-instruct": {
        "name": "Llama 4 Maverick 17B Instruct", "open_weights": True, "release_date": "2025-04-05",
        "limit": {"context": 1048576, "output": 8192}}})
    apply_catalogue(kb.engine, raw, source_url=URL, today=dt.date(2026, 7, 1))
    assert models_named(kb.engine, "Llama 4 Maverick", "Llama 4 Maverick 17B Instruct") == before
    kb = KnowledgeBase(kb.engine)
    card = answer(kb, "Llama 4 Maverick 17B Instruct")
    assert card.intent == "model" and card.title == "Llama 4 Maverick"
    fields = dict(card.fields)
    assert fields["Context window"].startswith("1,048,576 tokens") and fields["Open weights"].startswith("yes")
    by_meta = answer(kb, "models by Meta")
    assert [row[0] for row in by_meta.table.rows].count("Llama 4 Maverick") == 1
    assert not any("Maverick 17B" in row[0] for row in by_meta.table.rows)


def test_an_automatic_merge_needs_the_same_organization(engine, write_pack):
    import_file(engine, write_pack("""\
pack: article
organizations: [{name: Orca Labs}, {name: Orca Labs Research, parent: Orca Labs}, {name: Other Co}]
models:
  - {name: Orca 3 Scout, org: Orca Labs Research, released: 2026-01-10}
"""))
    import_file(engine, write_pack("""\
pack: catalogue
organizations: [{name: Orca Labs}, {name: Other Co}]
models:
  - {name: Orca 3 Scout 17B Instruct, org: Orca Labs, context_window: 131072}
  - {name: Orca 3 Scout, org: Other Co, context_window: 8192}
""", "catalogue.yaml"))
    first = models_named(engine, "Orca 3 Scout")
    assert len(first) == 1 and model_count(engine) == 2
    with engine.connect() as conn:
        row = conn.execute(select(Model.context_window, Model.released).where(Model.id == first[0])).one()
        other = conn.execute(select(Model.name, Model.context_window).where(Model.id != first[0])).one()
    assert tuple(row) == (131072, "2026-01-10")
    assert tuple(other) == ("Orca 3 Scout (Other Co)", 8192)  # same name, another organization: not merged


def test_size_variants_are_never_merged(engine, write_pack):
    """Gemma 4 31B and Gemma 4 E4B are two models; a bare "Gemma 4" next to both is left alone too."""
    import_file(engine, write_pack("""\
pack: a
organizations: [{name: Google}]
models: [{name: Gemma 4 31B, org: Google, context_window: 131072}]
"""))
    import_file(engine, write_pack("""\
pack: b
organizations: [{name: Google}]
models:
  - {name: Gemma 4 E4B, org: Google, context_window: 32768}
  - {name: gemma-4-31b-it, org: Google, open_weights: true}
""", "b.yaml"))
    assert model_count(engine) == 2
    import_file(engine, write_pack("""\
pack: c
organizations: [{name: Google}]
models: [{name: Gemma 4, org: Google}]
""", "c.yaml"))
    assert model_count(engine) == 3
    with engine.connect() as conn:
        big = conn.execute(select(Model.context_window, Model.open_weights).where(Model.name == "Gemma 4 31B")).one()
    assert tuple(big) == (131072, True)


def test_two_records_of_one_pack_never_merge_into_one_model(engine, write_pack):
    import_file(engine, write_pack("pack: a\norganizations: [{name: Moon}]\nmodels: [{name: Kimi K3, org: Moon}]\n"))
    import_file(engine, write_pack("""\
pack: b
organizations: [{name: Moon}]
models:
  - {name: Kimi K3 Instruct, org: Moon, context_window: 200000}
  - {name: Kimi K3 Chat, org: Moon, context_window: 100000}
""", "b.yaml"))
    assert model_count(engine) == 3


def test_same_as_merges_what_the_rule_would_not(engine, write_pack):
    import_file(engine, write_pack("pack: a\norganizations: [{name: Acme}]\nmodels: [{name: Roadrunner, org: Acme}]\n"))
    result = import_file(engine, write_pack("""\
pack: b
organizations: [{name: Acme}]
models:
  - {name: Wile RR2, org: Acme, same_as: Roadrunner, context_window: 64000}
scores: []
""", "b.yaml"))
    assert model_count(engine) == 1
    assert [(n.kind, n.record, n.message) for n in result.notes] == [
        ("merged", "models[0] (Wile RR2)",
         "merged into the model 'Roadrunner' (same_as); 'Wile RR2' is now one of its names")]
    kb = KnowledgeBase(engine)
    assert answer(kb, "context window of Wile RR2").text.startswith("Roadrunner — Context window: 64,000 tokens")


def test_same_as_must_name_a_known_model(engine, write_pack):
    from knowledge.packformat import PackError

    with pytest.raises(PackError) as err:
        import_file(engine, write_pack("pack: b\norganizations: [{name: Acme}]\n"
                                       "models: [{name: X 1, org: Acme, same_as: Nothing Like It}]\n"))
    assert "same_as" in str(err.value.problems[0]) and "unknown model 'Nothing Like It'" in str(err.value.problems[0])


def test_reimporting_merged_packs_changes_nothing(engine, write_pack):
    article = write_pack("pack: a\norganizations: [{name: Orca}]\nmodels: [{name: Orca 3, org: Orca}]\n")
    cat = write_pack("pack: c\norganizations: [{name: Orca}]\nmodels: [{name: Orca 3 8B, org: Orca, "
                     "context_window: 4096}]\n", "c.yaml")
    for path in (article, cat, article, cat):
        import_file(engine, path)
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(ModelClaim)).scalar_one() == 2
    assert model_count(engine) == 1


# -- provenance per field -----------------------------------------------------------------------


def test_each_field_cites_the_source_that_states_it(seeded_kb):
    """Muse Spark's release date and family come from Meta's announcement, the rest from TNW."""
    card = answer(seeded_kb, "tell me about Muse Spark")
    sources = {i + 1: ref.title for i, ref in enumerate(card.sources)}
    fields = dict(card.fields)

    def cited(label: str) -> str:
        return sources[int(fields[label].rsplit("[", 1)[1].rstrip("]"))]

    assert "Meta announcement" in cited("Released") and "Meta announcement" in cited("Family")
    assert "TNW" in cited("Licence") and "TNW" in cited("Input")
    asked = answer(seeded_kb, "when was muse spark released?")
    assert "2026-04-08" in asked.text and "Meta announcement" in asked.sources[-1].title


def test_a_catalogue_list_cites_the_catalogue_per_row(kb):
    raw = catalogue(**{"anthropic__fx-sonnet-9": {"name": "FX Sonnet 9", "release_date": "2026-05-01",
                                                  "open_weights": False}})
    apply_catalogue(kb.engine, raw, source_url=URL, today=dt.date(2026, 7, 1))
    reply = answer(KnowledgeBase(kb.engine), "models by Anthropic")
    rows = {row[0]: row[-1] for row in reply.table.rows}
    titles = [ref.title for ref in reply.sources]
    assert rows["FX Sonnet 9"] and "models.dev" in titles[int(rows["FX Sonnet 9"].strip("[]")) - 1]
    assert "TNW" in titles[int(rows["Claude Opus 4.6"].strip("[]").split("][")[0]) - 1]  # for its maker


DATED = """\
pack: {pack}
sources: [{{id: {pack}-src, title: {title}, published: {day}}}]
organizations: [{{name: Acme}}]
models: [{{name: Acme One, org: Acme, context_window: {context}, source: {pack}-src}}]
"""


def test_the_newer_dated_source_wins_and_the_card_shows_both(engine, write_pack):
    import_file(engine, write_pack(DATED.format(pack="catalog", title="Catalog", day="2026-07-01",
                                                context=1000000), "a.yaml"))
    import_file(engine, write_pack(DATED.format(pack="article", title="Launch article", day="2026-04-08",
                                                context=512000), "b.yaml"))
    kb = KnowledgeBase(engine)
    card = answer(kb, "Acme One")
    context = dict(card.fields)["Context window"]
    assert context.startswith("1,000,000 tokens [")
    assert "; 512,000 tokens per Launch article [" in context
    asked = answer(kb, "what's the context window of acme one")
    assert "1,000,000 tokens (512,000 tokens per Launch article [" in asked.text
    import_file(engine, write_pack(DATED.format(pack="article", title="Launch article", day="2026-09-01",
                                                context=512000), "b.yaml"))
    assert dict(answer(KnowledgeBase(engine), "Acme One").fields)["Context window"].startswith("512,000 tokens [")


def test_a_dropped_claim_leaves_what_the_other_source_says(engine, write_pack):
    import_file(engine, write_pack(DATED.format(pack="catalog", title="Catalog", day="2026-07-01",
                                                context=1000000), "a.yaml"))
    import_file(engine, write_pack(DATED.format(pack="article", title="Launch article", day="2026-04-08",
                                                context=512000), "b.yaml"))
    import_file(engine, write_pack("pack: catalog\nsources: [{id: catalog-src, title: Catalog, published: "
                                   "2026-07-01}]\norganizations: [{name: Acme}]\nmodels: []\n", "a.yaml"))
    with engine.connect() as conn:
        assert conn.execute(select(Model.context_window)).scalar_one() == 512000


# -- what a curator sees ------------------------------------------------------------------------


def test_kb_duplicates_lists_what_was_not_merged_with_the_line_that_would(db_url, write_pack):
    from click.testing import CliRunner

    from bot.cli import cli

    runner = CliRunner()
    packs = [write_pack("""\
pack: a
organizations: [{name: Google}, {name: Orca Labs}, {name: Other Co}]
models:
  - {name: Gemma 4 31B, org: Google}
  - {name: Gemma 4 E4B, org: Google}
  - {name: Orca 3 Scout, org: Orca Labs}
"""), write_pack("""\
pack: b
organizations: [{name: Google}, {name: Other Co}]
models:
  - {name: Gemma 4, org: Google}
  - {name: Orca 3 Scout, org: Other Co}
""", "b.yaml")]
    for path in packs:
        assert runner.invoke(cli, ["--db", db_url, "kb", "import", str(path)]).exit_code == 0
    result = runner.invoke(cli, ["--db", db_url, "kb", "duplicates", "--json"])
    assert result.exit_code == 0, result.output
    pairs = {(p["first"], p["second"]): p for p in map(json.loads, result.output.splitlines())}
    assert set(pairs) == {("Gemma 4 31B", "Gemma 4"), ("Gemma 4 E4B", "Gemma 4"),
                          ("Orca 3 Scout", "Orca 3 Scout (Other Co)")}
    assert "but 1 other model shares the core name" in pairs[("Gemma 4 31B", "Gemma 4")]["reason"]
    assert pairs[("Orca 3 Scout", "Orca 3 Scout (Other Co)")]["suggestion"] == \
        "if they are one model, add `same_as: Orca 3 Scout` to 'Orca 3 Scout (Other Co)' in pack b"
    text = runner.invoke(cli, ["--db", db_url, "kb", "duplicates"]).output
    assert ("Orca 3 Scout (Orca Labs) ~ Orca 3 Scout (Other Co) (Other Co): the same name, from two organizations"
            in text)


def test_reimporting_a_pack_with_a_renamed_model_is_quiet_and_removes_nothing(engine, write_pack):
    """A record named "Name (Org)" because another organization has the name maps back to that model on
    every later import (the shrink guard would refuse an import that lost it)."""
    from knowledge.sync import import_pack_file

    import_file(engine, write_pack("pack: a\norganizations: [{name: Orca Labs}]\n"
                                   "models: [{name: Orca 3 Scout, org: Orca Labs}]\n"))
    b = write_pack("""\
pack: b
organizations: [{name: Orca Labs}, {name: Other Co}]
models:
  - {name: Orca 3 Scout 17B Instruct, org: Orca Labs, context_window: 131072}
  - {name: Orca 3 Scout, org: Other Co, context_window: 8192}
  - {name: Roadie, org: Other Co, same_as: Orca 3 Scout}
""", "b.yaml")
    first = import_pack_file(engine, b)
    assert [n.kind for n in first.notes] == ["renamed", "merged", "merged"]
    again = import_pack_file(engine, b)
    assert again.notes == [] and model_count(engine) == 2
    with engine.connect() as conn:
        rows = dict(conn.execute(select(Model.name, Model.context_window)).all())
    assert rows == {"Orca 3 Scout": 131072, "Orca 3 Scout (Other Co)": 8192}
