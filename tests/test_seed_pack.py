"""The bundled launch pack: complete, and every figure traceable to the article or its supplement."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from knowledge.packformat import parse_pack

PACK = Path(__file__).resolve().parent.parent / "knowledge" / "packs" / "muse-spark-launch.yaml"
SEED = Path(__file__).resolve().parent.parent.parent / "shared" / "seed"


@pytest.fixture(scope="module")
def pack():
    return parse_pack(PACK)


@pytest.fixture(scope="module")
def sources():
    if not SEED.is_dir():
        pytest.skip(f"seed material not found at {SEED}")
    article = (SEED / "000_77cc5f43487664e4.txt").read_text(encoding="utf-8")
    supplement = (SEED / "README.md").read_text(encoding="utf-8")
    return {"tnw-muse-spark": article, "meta-announcement": supplement}


def _numbers(text: str) -> set[str]:
    return set(re.findall(r"\d+(?:[.,]\d+)*", text))


def test_every_score_is_printed_in_the_article(pack, sources):
    article = sources["tnw-muse-spark"]
    for score in pack.scores:
        assert score.source == "tnw-muse-spark"
        assert f"{score.value:g}" in _numbers(article), score


def test_the_article_figures_are_all_there(pack):
    expected = {
        ("Muse Spark", "GPQA Diamond"): 89.5, ("Gemini 3.1 Pro", "GPQA Diamond"): 94.3,
        ("GPT-5.4", "GPQA Diamond"): 92.8, ("Claude Opus 4.6", "GPQA Diamond"): 92.7,
        ("Muse Spark", "ARC-AGI-2"): 42.5, ("Gemini 3.1 Pro", "ARC-AGI-2"): 76.5, ("GPT-5.4", "ARC-AGI-2"): 76.1,
        ("Muse Spark", "SWE-bench Verified"): 77.4,
        ("Muse Spark", "CharXiv Reasoning"): 86.4, ("Gemini 3.1 Pro", "CharXiv Reasoning"): 80.2,
        ("GPT-5.4", "CharXiv Reasoning"): 82.8,
        ("Muse Spark", "HealthBench Hard"): 42.8, ("Claude Opus 4.6", "HealthBench Hard"): 14.8,
        ("GPT-5.4", "HealthBench Hard"): 40.1,
        ("Muse Spark", "Artificial Analysis Intelligence Index"): 52,
        ("Gemini 3.1 Pro", "Artificial Analysis Intelligence Index"): 57,
        ("GPT-5.4", "Artificial Analysis Intelligence Index"): 57,
        ("Claude Opus 4.6", "Artificial Analysis Intelligence Index"): 53,
    }
    got = {(s.model, s.benchmark): s.value for s in pack.scores}
    assert got == expected
    modes = {(s.model, s.benchmark): s.setting for s in pack.scores if s.setting and s.setting != "v4.0"}
    assert modes == {("Muse Spark", "ARC-AGI-2"): "Contemplating mode",
                     ("Muse Spark", "CharXiv Reasoning"): "Contemplating mode"}


def test_numbers_in_facts_come_from_their_source(pack, sources):
    for fact in pack.facts:
        for number in _numbers(fact.text) - {"4", "5", "3", "1"}:
            assert number in sources[fact.source], (number, fact.text)


def test_every_record_cites_a_source(pack):
    cited = [*pack.organizations, *pack.models, *pack.benchmarks, *pack.scores, *pack.facts, *pack.releases]
    assert all(record.source in {"tnw-muse-spark", "meta-announcement"} for record in cited)


def test_models_organizations_and_release(pack):
    assert {m.name for m in pack.models} >= {"Muse Spark", "Gemini 3.1 Pro", "GPT-5.4", "Claude Opus 4.6",
                                            "Gemini Deep Think", "GPT-5.4 Pro", "Llama 4 Maverick"}
    assert {o.name for o in pack.organizations} >= {"Meta", "Meta Superintelligence Labs", "Scale AI", "OpenAI",
                                                   "Anthropic", "Google", "Moltbook"}
    muse = next(m for m in pack.models if m.name == "Muse Spark")
    assert (muse.input_modalities, muse.output_modalities, muse.modes) == (
        ["text", "image", "voice"], ["text"], ["Fast", "Contemplating"])
    assert muse.open_weights is False and "Avocado" in muse.aliases
    assert [(r.model, r.date) for r in pack.releases] == [("Muse Spark", "2026-04-08")]
    assert {f.topic for f in pack.facts} >= {"compute", "training", "availability", "business", "modes"}
    assert all(b.description for b in pack.benchmarks)


def test_no_urls_are_invented(pack):
    raw = yaml.safe_load(PACK.read_text(encoding="utf-8"))
    assert "http" not in yaml.safe_dump(raw)
