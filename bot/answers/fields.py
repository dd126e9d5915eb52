"""Model-card fields side by side: "context window of the Gemini models", "which is cheaper?"."""

from __future__ import annotations

from bot import format as fmt
from bot.answers import provenance
from bot.answers.cards import ASKED_FIELDS, FIELD_LABELS, FIELD_NOUNS, model_fields
from bot.values import Answer, Table
from knowledge.matching import Ref
from knowledge.store import KnowledgeBase

_LARGER_IS_NOTED = {"context_window": "the largest context window", "max_output_tokens": "the largest output limit"}
_NOUNS = {"context_window": "context window", "max_output_tokens": "output limit"}


def fields_answer(kb: KnowledgeBase, question: str, models: list[Ref], asked: list[str]) -> Answer:
    """The asked fields of several models in one table, with who leads on sizes and prices."""
    wanted = list(dict.fromkeys(f for a in asked for f in ASKED_FIELDS[a]))
    cites = fmt.Citations()
    names = [kb.index().name(m) for m in models]
    values = {m: model_fields(kb, m.id) for m in models}
    rows = []
    for ref, name in zip(models, names):
        held = [f for f in wanted if values[ref][f]]
        marker = provenance.markers(kb, cites, kb.model(ref.id), held)
        rows.append([name, *[values[ref][f] or "—" for f in wanted], marker])
    known = [m for m in models if any(values[m][f] for f in wanted)]
    labels = [FIELD_LABELS[f] for f in wanted]
    what = fmt.join_names([FIELD_NOUNS[f] for f in wanted])
    title = f"{what[0].upper() + what[1:]}: {' vs '.join(names)}"
    if not known:
        return Answer(question=question, intent="fields", found=False, title=title,
                      text=f"The knowledge base does not hold the {what} of {fmt.join_names(names)}.")
    lines = [line for f in wanted if (line := _leader(kb, models, f))]
    missing = [kb.index().name(m) for m in models if m not in known]
    if missing:
        lines.append(f"It does not hold the {what} of {fmt.join_names(missing)}.")
    if not lines:
        lines.append(f"The {what} of {fmt.join_names([kb.index().name(m) for m in known])}, side by side.")
    table = Table(["Model", *labels, "Source"], rows, [False] + [f in _LARGER_IS_NOTED for f in wanted] + [False])
    return Answer(question=question, intent="fields", found=True, title=title, text=" ".join(lines), table=table,
                  sources=cites.refs)


def _leader(kb: KnowledgeBase, models: list[Ref], field: str) -> str | None:
    """Who is largest (sizes) or cheapest (prices) among the models that have the figure."""
    index = kb.index()
    if field in _LARGER_IS_NOTED:
        sized = [(getattr(kb.model(m.id), field), index.name(m)) for m in models]
        sized = sorted(((v, n) for v, n in sized if v), reverse=True)
        if len(sized) < 2:
            return None
        (value, name), (other, other_name) = sized[0], sized[1]
        if len(sized) == 2:
            if value == other:
                return f"{name} and {other_name} have the same {_NOUNS[field]}: {fmt.tokens(value)}."
            return (f"{name} has the bigger {_NOUNS[field]}: {fmt.tokens(value)}, against {other_name}'s "
                    f"{fmt.tokens(other)}.")
        return f"{name} has {_LARGER_IS_NOTED[field]}: {fmt.tokens(value)}."
    if field == "pricing":
        return _cheapest(kb, models)
    if field == "released":
        return _first_released(kb, models)
    return None


def _first_released(kb: KnowledgeBase, models: list[Ref]) -> str | None:
    """Which came out first, with every date: a day or a month, as the sources give it."""
    dated = sorted((released, kb.index().name(m)) for m in models if (released := kb.model(m.id).released))
    if len(dated) < 2:
        return None
    (first, name), rest = dated[0], dated[1:]
    if first[:7] == rest[0][0][:7] and (len(first) == 7 or len(rest[0][0]) == 7):
        return f"{name} ({first}) and {rest[0][1]} ({rest[0][0]}) came out in the same month."
    later = ", ".join(f"{n} on {d}" for d, n in rest)
    return f"{name} was released first, on {first}; {later}."


def _cheapest(kb: KnowledgeBase, models: list[Ref]) -> str | None:
    index = kb.index()
    parts = []
    for key, label in (("input_per_mtok", "input"), ("output_per_mtok", "output")):
        prices = [(kb.model(m.id).pricing or {}).get(key) for m in models]
        priced = [(p, index.name(m)) for p, m in zip(prices, models) if p is not None]
        if len(priced) >= 2:
            price, name = min(priced)
            parts.append((name, label, price))
    if not parts:
        return None
    if len(parts) == 2 and parts[0][0] == parts[1][0]:
        return (f"{parts[0][0]} is the cheapest: ${fmt.number(parts[0][2])} input and "
                f"${fmt.number(parts[1][2])} output per million tokens.")
    return " ".join(f"{name} is the cheapest for {label} tokens: ${fmt.number(price)} per million."
                    for name, label, price in parts)
