"""Reading a finder question ("cheapest model with at least 1M context", "Google models that take audio")
into a ``knowledge.finder.ModelQuery``.

Sizes are read as people write them ("1M", "200k", "128K tokens", "a million", "1,000,000"), prices as
dollars per million tokens ("under $1", "below 0.5 dollars per million output tokens"). Modalities and
licences are the knowledge base's own values, matched by their words ("audio", "apache"); synonyms
people use for a modality ("pictures", "vision", "voice") map onto them.
"""

from __future__ import annotations

import re
from dataclasses import replace

from bot import vocabulary as V
from bot.intents import Parsed
from knowledge.finder import ModelQuery
from knowledge.store import KnowledgeBase
from knowledge.words import is_common

_NUMBER = r"(\d+(?:[.,]\d+)*)"
_SIZE = re.compile(rf"(?:\b(a|one|half a)\s+(million|thousand)\b|{_NUMBER}\s*(k|m|million|thousand)?\b)"
                   r"(?:\s*(?:tokens?|tok|ctx|context))?", re.IGNORECASE)
_PRICE = re.compile(rf"\$\s*{_NUMBER}|{_NUMBER}\s*(?:dollars?|usd|\$)|{_NUMBER}\s*(cents?|¢)", re.IGNORECASE)
_STRICT_BELOW = ("under", "below", "less than", "cheaper than", "lower than", "<")
_STRICT_ABOVE = ("over", "above", "more than", "greater than", ">")
_AT_MOST = ("at most", "max", "maximum", "under", "less than", "below", "up to", "smaller than", "cheaper than",
            "<=", "<", "or less", "within")
MODALITY_WORDS = {
    "images": "image", "pictures": "image", "picture": "image", "photos": "image", "photo": "image",
    "vision": "image", "visual": "image", "voice": "audio", "speech": "audio", "sound": "audio",
    "videos": "video", "documents": "pdf", "pdfs": "pdf", "files": "pdf",
}
_OUTPUT_VERBS = frozenset("generate generates generating output outputs produce produces create creates make makes "
                          "draw draws render renders".split())
_SORTS = {
    "context": (("context", "window", "ctx", "tokens"), ("largest", "biggest", "longest", "most", "highest", "max",
                                                        "maximum", "top", "smallest", "shortest", "least", "lowest")),
    "output": (("output",), ("largest", "biggest", "longest", "most", "highest", "max", "smallest", "least")),
}
_FIELD_WORDS = frozenset(w for phrases in V.FIELD_KEYWORDS.values() for p in phrases for w in p.split()) | \
    frozenset("recent recently release releases".split())
_SMALL_WORDS = frozenset("smallest shortest least lowest fewest".split())
_NEWEST = frozenset("newest latest recent recently youngest".split())
_OLDEST = frozenset("oldest earliest".split())
_CHEAP = frozenset("cheapest cheap cheaper affordable inexpensive".split())
_DEAR = frozenset("priciest expensive dearest".split())


def read(kb: KnowledgeBase, text: str, parsed: Parsed) -> ModelQuery | None:
    """The finder query a question asks, or None when it is not a question about models' fields."""
    if parsed.models or parsed.families or parsed.problems:
        return None
    lowered = f" {text.lower()} "
    words = set(parsed.words)
    query = ModelQuery(orgs=tuple(i for o in parsed.orgs for i in kb.org_family(o.id)))
    query = _flags(query, lowered, words)
    query = _modalities(kb, query, lowered, parsed.words)
    query = _sizes(query, lowered)
    query = _prices(query, lowered)
    query = _licence(kb, query, lowered)
    query = _sort(query, lowered, words, parsed)
    if (parsed.since or parsed.until) and "knowledge_cutoff" in parsed.fields:
        query = replace(query, cutoff_since=parsed.since, cutoff_until=parsed.until)
    elif parsed.since or parsed.until:
        query = replace(query, released_since=parsed.since, released_until=parsed.until)
    if _counts(lowered):
        query = replace(query, count_only=True)
    elif count := parsed.count or _leading_count(parsed.words):
        query = replace(query, limit=min(count, 50))
    if not _asks_models(query, words, parsed):
        return None
    return query


def _asks_models(query: ModelQuery, words: set[str], parsed: Parsed) -> bool:
    """A finder question filters or ranks on a model field, or asks for an organization's or a period's models."""
    own = replace(query, orgs=(), released_since=None, released_until=None, limit=15, count_only=False)
    if not own.is_empty():
        return True
    about_models = bool(words & {"model", "models", "llm", "llms"})
    return about_models and bool(query.orgs or parsed.since or parsed.until or query.count_only)


def _flags(query: ModelQuery, lowered: str, words: set[str]) -> ModelQuery:
    if re.search(r"\bopen[- ]?(weights?|source|sourced|models?)\b", lowered):
        query = replace(query, open_weights=True)
    elif re.search(r"\b(closed|proprietary)\b", lowered):
        query = replace(query, open_weights=False)
    if re.search(r"\b(non[- ]?|without\s+|no\s+)reasoning\b", lowered):
        query = replace(query, reasoning=False)
    elif words & {"reasoning", "thinking"}:
        query = replace(query, reasoning=True)
    if re.search(r"\b(without|no|not|non[- ]?|lacking)\s*(any\s+)?(tool|function)", lowered):
        query = replace(query, tool_calling=False)
    elif any(p in lowered for p in (" tool call", " tool use", " function call", " tools")):
        query = replace(query, tool_calling=True)
    if "deprecated" in words or "retired" in words:
        query = replace(query, status="deprecated")
    return query


def _modalities(kb: KnowledgeBase, query: ModelQuery, lowered: str, words: list[str]) -> ModelQuery:
    known = known_modalities(kb)
    ins: list[str] = []
    outs: list[str] = []
    for i, word in enumerate(words):
        modality = word if word in known else MODALITY_WORDS.get(word)
        if modality is None or modality not in known or modality == "text":
            continue
        output = any(w in _OUTPUT_VERBS for w in words[max(0, i - 3): i])
        (outs if output else ins).append(modality)
    return replace(query, input_modalities=tuple(dict.fromkeys(ins)), output_modalities=tuple(dict.fromkeys(outs)))


def known_modalities(kb: KnowledgeBase) -> frozenset[str]:
    """Every input and output modality a model in the knowledge base has (kept until the knowledge changes)."""
    return kb.memo("finder-modalities", lambda: _modalities_held(kb))


def _modalities_held(kb: KnowledgeBase) -> frozenset[str]:
    """Read from the distinct modality lists (a handful), not from every model."""
    import json

    from sqlalchemy import String, cast, select, union

    from knowledge.schema import Model

    lists = union(select(cast(Model.input_modalities, String)), select(cast(Model.output_modalities, String)))
    seen: set[str] = set()
    with kb.engine.connect() as conn:
        for (raw,) in conn.execute(lists):
            try:
                values = json.loads(raw) if raw else None
            except ValueError:
                continue
            if isinstance(values, list):
                seen.update(m.lower() for m in values if isinstance(m, str))
    return frozenset(seen)


def _sizes(query: ModelQuery, lowered: str) -> ModelQuery:
    """Token counts with a bound before or after them: "at least 1M context", "128k+", "under 200k"."""
    for match in _SIZE.finditer(lowered):
        tokens = _tokens(match)
        said = match.group(0).lower()
        if tokens is None or tokens < 1000 or not (match.group(1) or match.group(4) or
                                                     re.search(r"tok|ctx|context", said)):
            continue
        before, after = lowered[max(0, match.start() - 14): match.start()], lowered[match.end(): match.end() + 9]
        window = lowered[max(0, match.start() - 40): match.end() + 25]
        is_output = "output" in window and "context" not in window
        strict = any(before.rstrip().endswith(b) for b in _STRICT_BELOW + _STRICT_ABOVE)
        if any(before.rstrip().endswith(b) for b in _AT_MOST) or after.lstrip().startswith(("or less", "max")):
            query = replace(query, max_context=tokens - strict) if not is_output else query
        else:
            tokens += strict
            query = replace(query, min_output=tokens) if is_output else replace(query, min_context=tokens)
    return query


def _tokens(match: re.Match) -> int | None:
    word, unit_word, number, unit = match.groups()
    if word:
        scale = 1_000_000 if unit_word == "million" else 1000
        return int(scale * (0.5 if word == "half a" else 1))
    if number is None:
        return None
    value = float(number.replace(",", "")) if "," in number and "." not in number else float(number.replace(",", "."))
    scale = {"k": 1000, "thousand": 1000, "m": 1_000_000, "million": 1_000_000}.get((unit or "").lower(), 1)
    if scale == 1 and value < 1000:
        return None
    return int(value * scale)


def _prices(query: ModelQuery, lowered: str) -> ModelQuery:
    """Dollar bounds per million tokens: "under $1" is strictly below, "at most $1" and "$1 or less" up to it."""
    for match in _PRICE.finditer(lowered):
        number = match.group(1) or match.group(2) or match.group(3)
        value = float(number.replace(",", ".")) / (100 if match.group(4) else 1)
        before = lowered[max(0, match.start() - 16): match.start()].rstrip()
        after = lowered[match.end(): match.end() + 12].lstrip()
        window = lowered[max(0, match.start() - 20): match.end() + 40]
        output = "output" in window and "input" not in window
        above = any(before.endswith(b) for b in ("at least", "min", "minimum") + _STRICT_ABOVE) \
            or after.startswith(("or more", "and up", "+"))
        strict = any(before.endswith(b) for b in (_STRICT_ABOVE if above else _STRICT_BELOW))
        bound = value + (_EPSILON if above else -_EPSILON) if strict else value
        if above:
            query = replace(query, min_output_price=bound) if output else replace(query, min_input_price=bound)
        else:
            query = replace(query, max_output_price=bound) if output else replace(query, max_input_price=bound)
    return query


_EPSILON = 1e-9
"""How far inside a strict bound ("under $0.20") an inclusive one is set."""


def _licence(kb: KnowledgeBase, query: ModelQuery, lowered: str) -> ModelQuery:
    """A licence the knowledge base holds, named by its first word ("apache 2.0 models", "MIT licensed")."""
    licences = kb.memo("finder-licences", lambda: _known_licence_words(kb))
    words = re.findall(r"[a-z]+", lowered)
    near = {"licence", "license", "licensed", "licenses", "licences", "under"}
    for i, word in enumerate(words):
        said = word in licences and (word not in kb.index().vocab or set(words[max(0, i - 1): i + 2]) & near)
        if said and word not in V.QUESTION_WORDS and word not in V.FUNCTION_WORDS:
            return replace(query, license=word)
    return query


def _known_licence_words(kb: KnowledgeBase) -> frozenset[str]:
    from sqlalchemy import select

    from knowledge.schema import Model

    with kb.engine.connect() as conn:
        values = conn.execute(select(Model.license).distinct()).scalars()
        return frozenset(re.findall(r"[a-z]+", v.lower())[0] for v in values if v and re.search(r"[a-z]", v.lower()))


def _sort(query: ModelQuery, lowered: str, words: set[str], parsed: Parsed) -> ModelQuery:
    """The superlative asked for; the words of a bound ("at least 1M") are no superlative."""
    bounds = re.findall(r"\b(?:at|no|not)\s+(least|most|less|more)\b", lowered)
    words = words - set(bounds) if bounds else words
    small = bool(words & _SMALL_WORDS)
    priced = bool(words & {"price", "prices", "pricing", "cost", "costs", "priced"})
    side = "output_price" if "output" in words else "input_price"
    if words & _CHEAP or "least expensive" in lowered or (priced and words & {"lowest", "smallest", "least"}):
        return replace(query, sort=side, descending=False)
    if words & _DEAR or (priced and words & {"highest", "biggest", "most", "largest", "max"}):
        return replace(query, sort=side)
    if "output" in words and words & set(_SORTS["output"][1]):
        return replace(query, sort="output", descending=not small)
    if words & {"context", "window", "ctx"} and words & set(_SORTS["context"][1]):
        return replace(query, sort="context", descending=not small)
    by = re.search(r"\bby (?:the )?(context|output|input price|output price|price|cost|release date|date|"
                   r"knowledge cutoff|cutoff)\b", lowered)
    if by:
        field = {"context": "context", "output": "output", "input price": "input_price", "price": "input_price",
                 "cost": "input_price", "output price": "output_price", "release date": "released",
                 "date": "released", "knowledge cutoff": "cutoff", "cutoff": "cutoff"}[by.group(1)]
        cheap_first = field.endswith("price") and not words & _DEAR
        return replace(query, sort=field, descending=not (small or cheap_first))
    if words & _NEWEST:
        return replace(query, sort="released")
    if words & _OLDEST:
        return replace(query, sort="released", descending=False)
    return query


def _counts(lowered: str) -> bool:
    counted = re.search(r"\bhow many\b|\b(number|count) of (\S+ ){0,3}(models|llms)\b|\bcount the\b", lowered)
    return bool(counted) and "tokens" not in lowered


def unknown_ranking(parsed: Parsed) -> str | None:
    """What a question ranks models by when the knowledge base holds no such field ("most parameters",
    "top 5 models by number of layers")."""
    if parsed.models or parsed.benchmarks or parsed.families or not {"model", "models"} & set(parsed.words):
        return None
    words = parsed.words
    by = re.search(r"\bby (?:the )?(?:number of |count of |amount of )?([a-z]+)", " ".join(words))
    if by and by.group(1) not in _FIELD_WORDS and by.group(1) not in V.FUNCTION_WORDS:
        return by.group(1)
    for i, word in enumerate(words):
        if word in ("most", "least", "fewest") and i + 1 < len(words) and words[i + 1] not in _FIELD_WORDS \
                and words[i + 1] not in V.FUNCTION_WORDS:
            return words[i + 1]
        if word.endswith("est") and len(word) > 5 and word not in V.QUESTION_WORDS and _superlative(word):
            return word
    return None


def _superlative(word: str) -> bool:
    """"smartest", "biggest", "largest": an ordinary adjective with "-est"."""
    stem = word[:-3]
    return any(is_common(s) for s in (stem, stem + "e", stem[:-1] if stem[-1:] == stem[-2:-1] else stem))


def asked_count(parsed: Parsed) -> int | None:
    """How many rows a question asks for: "top 5", "the 10 newest"."""
    return parsed.count or _leading_count(parsed.words)


def _leading_count(words: list[str]) -> int | None:
    """ "3 cheapest", "the 10 newest models", "4 biggest context windows": a number before a superlative."""
    for word, after in zip(words, words[1:]):
        if word.isdigit() and 0 < int(word) <= 50 and (after in _NEWEST | _OLDEST | _CHEAP | _DEAR
                                                       or after.endswith("est") or after in ("models", "llms")):
            return int(word)
    return None


def licence_mentions(kb: KnowledgeBase, parsed: Parsed) -> list:
    """Unknown "names" that are licences the knowledge base holds ("apache 2.0"): not unknown models."""
    licences = kb.memo("finder-licences", lambda: _known_licence_words(kb))
    out = []
    for mention in parsed.problems:
        words = [w for w in re.findall(r"[a-z]+", mention.text.lower())]
        named = words and words[0] in kb.index().vocab
        if words and not named and words[0] in licences and all(w in licences or len(w) == 1 for w in words):
            out.append(mention)
    return out
