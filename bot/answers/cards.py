"""Cards: what the knowledge base holds about one model, benchmark or organization."""

from __future__ import annotations

import functools

from bot import format as fmt
from bot.answers import provenance
from bot.answers.facts import best_facts, fact_lines
from bot.answers.scores import leaderboard_answer
from bot.intents import Parsed
from bot.values import Answer, Table
from knowledge.matching import Ref
from knowledge.store import KnowledgeBase

FIELD_LABELS = {
    "org": "Made by", "released": "Released", "status": "Status", "open_weights": "Open weights",
    "license": "Licence", "input": "Input", "output": "Output", "context_window": "Context window",
    "max_output_tokens": "Max output", "knowledge_cutoff": "Knowledge cutoff", "reasoning": "Reasoning",
    "tool_calling": "Tool calling", "modes": "Modes", "pricing": "Pricing", "family": "Family",
    "aliases": "Also known as",
}

CARD_FACTS = 4
"""A model card shows its shortest facts (tool calling, weights, links: what importers store), up to this many."""

FIELD_NOUNS = {
    "org": "maker", "released": "release date", "status": "status", "open_weights": "open-weights status",
    "license": "licence", "input": "input modalities", "output": "output modalities",
    "context_window": "context window", "max_output_tokens": "output limit", "knowledge_cutoff": "knowledge cutoff",
    "reasoning": "reasoning support", "tool_calling": "tool-calling support", "modes": "modes", "pricing": "price",
    "family": "family", "aliases": "aliases",
}
"""How a sentence names each field: "does not hold the release date of …"."""

ASKED_FIELDS = {
    "org": ["org"], "released": ["released"], "open_weights": ["open_weights", "license"],
    "modalities": ["input", "output"], "context_window": ["context_window"],
    "max_output_tokens": ["max_output_tokens"], "knowledge_cutoff": ["knowledge_cutoff"],
    "pricing": ["pricing"], "modes": ["modes"], "aliases": ["aliases"], "reasoning": ["reasoning", "modes"],
    "tool_calling": ["tool_calling"],
    "status": ["status"],
}
"""Which card fields answer each asked-for field."""


def _pricing(pricing: dict | None) -> str | None:
    if not pricing:
        return None
    parts = []
    if "input_per_mtok" in pricing:
        parts.append(f"${fmt.number(pricing['input_per_mtok'])} input")
    if "output_per_mtok" in pricing:
        parts.append(f"${fmt.number(pricing['output_per_mtok'])} output")
    return " / ".join(parts) + " per million tokens" if parts else None


def show_field(field: str, value) -> str | None:
    """A model field's value as card text, None when it is unknown (``field`` as in FIELD_LABELS)."""
    if value is None or value == [] or value == {}:
        return None
    if field in ("open_weights", "reasoning", "tool_calling"):
        return fmt.yes_no(value)
    if field in ("input", "output", "modes", "input_modalities", "output_modalities"):
        return ", ".join(value)
    if field in ("context_window", "max_output_tokens"):
        return fmt.tokens(value)
    if field == "pricing":
        return _pricing(value)
    return str(value)


_COLUMNS = {"input": "input_modalities", "output": "output_modalities"}


def model_fields(kb: KnowledgeBase, model_id: int) -> dict[str, str | None]:
    """Every card field of a model as text, None where the knowledge base does not know it."""
    m = kb.model(model_id)
    org = kb.org(m.org_id)
    maker = org.name + (f" ({kb.org(org.parent_id).name})" if org.parent_id else "")
    values = {field: show_field(field, getattr(m, _COLUMNS.get(field, field)))
              for field in FIELD_LABELS if field not in ("org", "aliases")}
    return {"org": maker, **values, "aliases": ", ".join(kb.aliases(Ref("model", model_id))) or None}


def cited_fields(kb: KnowledgeBase, model_id: int, fields: list[str],
                 cites: fmt.Citations) -> dict[str, tuple[str, str, str]]:
    """The known fields among ``fields``: each as (value, marker of the source that states it, the
    other values sources give with theirs, e.g. "512K tokens per The Verge [2]", or "")."""
    m = kb.model(model_id)
    values = model_fields(kb, model_id)
    out = {}
    for field in fields:
        value = values[field]
        if not value:
            continue
        if field == "aliases":
            out[field] = (value, "", "")
            continue
        marker = provenance.markers(kb, cites, m, ["org_id" if field == "org" else field])
        others = provenance.other_values(kb, cites, model_id, _COLUMNS.get(field, field),
                                         functools.partial(show_field, field))
        out[field] = (value, marker, "; ".join(others))
    return out


def _card_value(value: str, marker: str, others: str) -> str:
    """"1M tokens [2]; 512K tokens per The Verge [1]"."""
    return f"{value} {marker}".rstrip() + (f"; {others}" if others else "")


def model_card(kb: KnowledgeBase, question: str, model: Ref) -> Answer:
    """Everything known about a model: its fields, its scores and their sources."""
    m = kb.model(model.id)
    values = model_fields(kb, model.id)
    cites = fmt.Citations()
    cites.cite(kb.source(m.source_id))
    fields = [(FIELD_LABELS[k], _card_value(*v)) for k, v in cited_fields(kb, model.id, list(FIELD_LABELS),
                                                                          cites).items()]
    rows = []
    for s in kb.scores([model.id]):
        bench = kb.benchmark(s.benchmark_id)
        rows.append([bench.name, fmt.score(s.value, bench.unit), s.setting or "—", fmt.day(s.date),
                     cites.cite(s.source, s.date)])
    text = (f"{m.description} {provenance.markers(kb, cites, m, ['description'])}".rstrip() if m.description
            else f"{m.name} is a model by {values['org']}.")
    facts = sorted(kb.facts_about(model), key=lambda f: len(f.text))[:CARD_FACTS]
    if facts:
        text += "\n" + "\n".join(fact_lines(facts, cites))
    table = Table(["Benchmark", "Score", "Setting", "Date", "Source"], rows,
                  [False, True, False, False, False]) if rows else None
    return Answer(question=question, intent="model", found=True, title=m.name, text=text, table=table, fields=fields,
                  sources=cites.refs)


def model_fact_answer(kb: KnowledgeBase, question: str, model: Ref, parsed: Parsed,
                      cites: fmt.Citations | None = None) -> Answer:
    """The asked-for fields of a model (saying plainly which are unknown), with facts that bear on them.

    ``cites`` lets a caller number these sources together with its own.
    """
    m = kb.model(model.id)
    values = model_fields(kb, model.id)
    wanted = [f for asked in parsed.fields for f in ASKED_FIELDS[asked]]
    wanted = list(dict.fromkeys(wanted))
    cites = cites or fmt.Citations()
    cited = cited_fields(kb, model.id, wanted, cites)
    known = [(FIELD_LABELS[f], value) for f in wanted if (value := values[f])]
    unknown = [FIELD_NOUNS[f] for f in wanted if not values[f]]
    lines = [_fact_line(m.name, FIELD_LABELS[f], *cited[f]) for f in wanted if f in cited]
    if unknown:
        missing = f"The knowledge base does not hold the {fmt.join_names(unknown)} of {m.name}."
        lines = lines + [missing] if known else [missing]
    facts = best_facts(kb, parsed, [model], minimum=3)
    if facts and not known:
        lines.append("Related: " + " ".join(fact_lines(facts, cites)))
    else:
        lines += fact_lines(facts, cites)
    return Answer(question=question, intent="model_fact", found=bool(known), title=m.name, text="\n".join(lines),
                  fields=known, sources=cites.refs)


def _fact_line(name: str, label: str, value: str, marker: str, others: str) -> str:
    """"Muse Spark — Released: 2026-04-08. [2]", with other sources' values in brackets."""
    tail = f" ({others})" if others else ""
    return f"{name} — {label}: {value}{tail}. {marker}".rstrip()


def benchmark_card(kb: KnowledgeBase, question: str, benchmark: Ref) -> Answer:
    """What a benchmark measures, and its current leaders."""
    b = kb.benchmark(benchmark.id)
    cites = fmt.Citations()
    marker = cites.cite(kb.source(b.source_id))
    board = leaderboard_answer(kb, question, benchmark, 5, cites=cites)
    what = f"{b.name}: {b.description} {marker}".rstrip() if b.description else \
        f"The knowledge base has no description of {b.name}."
    aliases = ", ".join(kb.aliases(benchmark)) or None
    fields = [(label, value) for label, value in (
        ("Category", b.category), ("Unit", b.unit), ("Better", "higher" if b.higher_is_better else "lower"),
        ("Also known as", aliases)) if value]
    text = what + (f"\n{board.text}" if board.found else "")
    return Answer(question=question, intent="benchmark", found=bool(b.description) or board.found, title=b.name,
                  text=text, table=board.table, fields=fields, sources=cites.refs)


def org_card(kb: KnowledgeBase, question: str, org: Ref) -> Answer:
    """An organization: its parent and units, its models and its latest releases."""
    o = kb.org(org.id)
    family = kb.org_family(org.id)
    models = kb.models_of(family)
    cites = fmt.Citations()
    cites.cite(kb.source(o.source_id))
    fields = []
    if o.parent_id:
        fields.append(("Part of", kb.org(o.parent_id).name))
    units = [kb.org(i).name for i in family if i != org.id]
    if units:
        fields.append(("Units", ", ".join(units)))
    rows = [[m.name, m.released or "—", m.status, fmt.yes_no(m.open_weights),
             provenance.markers(kb, cites, m, ["org_id", "released", "status", "open_weights"])] for m in models]
    lines = [o.description or (f"{o.name} has {len(models)} model{'s' if len(models) != 1 else ''} "
                               f"in the knowledge base." if models else
                               f"The knowledge base has no models by {o.name}.")]
    lines += fact_lines(kb.facts_about(org)[:3], cites)
    text = "\n".join(lines)
    table = Table(["Model", "Released", "Status", "Open weights", "Source"], rows) if rows else None
    return Answer(question=question, intent="org", found=True, title=o.name, text=text, table=table, fields=fields,
                  sources=cites.refs)
