"""Answers to finder questions: the filter in words, then the models in a table, each with its source."""

from __future__ import annotations

from dataclasses import replace

from bot import format as fmt
from bot.answers import provenance
from bot.values import Answer, Chart, Table
from knowledge.finder import Found, FoundModel, ModelQuery, find_models
from knowledge.store import KnowledgeBase

SHOWN = 15
"""At most this many rows; the answer says how many more there are and how to narrow them."""

_SORT_WORDS: dict[tuple[str | None, bool], str] = {
    ("released", True): "newest first", ("released", False): "oldest first",
    ("context", True): "largest context window first", ("context", False): "smallest context window first",
    ("output", True): "largest output limit first", ("output", False): "smallest output limit first",
    ("input_price", False): "cheapest input first", ("input_price", True): "priciest input first",
    ("output_price", False): "cheapest output first", ("output_price", True): "priciest output first",
    ("score", True): "best score first", ("score", False): "best score first",
    ("cutoff", True): "latest knowledge cutoff first", ("cutoff", False): "earliest knowledge cutoff first",
}
FILTERABLE = ("organization, open weights, licence, input and output modality, reasoning, tool calling, "
              "context window, output limit, input and output price, release date, knowledge cutoff and status; "
              "sorted by release date, context window, output limit, price or a benchmark score")


def finder_answer(kb: KnowledgeBase, question: str, query: ModelQuery, benchmark_name: str | None = None,
                  unit: str | None = None) -> Answer:
    """Run a finder query and say what it found: the filter in words first, then the rows."""
    found = find_models(kb.engine, replace(query, limit=min(query.limit or SHOWN, SHOWN)) if not query.count_only
                        else query)
    what = describe(kb, query, benchmark_name)
    if query.count_only:
        return _count_answer(question, what, found)
    if not found.models:
        if what == "Models" and found.lacking:
            needed = fmt.join_names(_needed(query)).replace(" and ", " or ")
            text = (f"No model in the knowledge base has {needed} yet: "
                    f"{fmt.count(found.lacking, 'model')} without it {'is' if found.lacking == 1 else 'are'} left out.")
        else:
            text = f"The knowledge base has no {what[0].lower() + what[1:]}.{_lacking(found, query)}"
        return Answer(question=question, intent="find", found=False, title=what, text=text)
    return _list_answer(kb, question, query, what, found, benchmark_name, unit)


def describe(kb: KnowledgeBase, q: ModelQuery, benchmark_name: str | None = None) -> str:
    """The query in words: "Open-weights reasoning models by Meta released since 2026-03-01"."""
    adjectives = [w for w, on in (("open-weights", q.open_weights is True), ("closed", q.open_weights is False),
                                  ("reasoning", q.reasoning is True), ("non-reasoning", q.reasoning is False),
                                  ("deprecated", q.status == "deprecated")) if on]
    parts = [" ".join(adjectives + ["models"]).capitalize()]
    if q.orgs:
        parts.append("by " + fmt.join_names(_org_names(kb, q.orgs)))
    parts += _conditions(q)
    if q.sort == "score" and benchmark_name:
        parts.append(f"ranked on {benchmark_name}")
    return " ".join(parts)


def _org_names(kb: KnowledgeBase, org_ids: tuple[int, ...]) -> list[str]:
    """The organizations asked for: the top of each family (units are included in the query)."""
    ids = set(org_ids)
    return [kb.org(i).name for i in org_ids if kb.org(i).parent_id not in ids]


def _conditions(q: ModelQuery) -> list[str]:
    out = []
    if q.input_modalities:
        out.append("that take " + fmt.join_names(list(q.input_modalities)))
    if q.output_modalities:
        out.append("that output " + fmt.join_names(list(q.output_modalities)))
    if q.tool_calling is not None:
        out.append("with tool calling" if q.tool_calling else "without tool calling")
    if q.license:
        out.append(f"licensed {q.license}")
    for low, high, noun in ((q.min_context, q.max_context, "context"), (q.min_output, None, "output limit")):
        if low is not None:
            out.append(f"with at least {fmt.tokens(low)} of {noun}")
        if high is not None:
            out.append(f"with at most {fmt.tokens(high)} of {noun}")
    for low_price, high_price, side in ((q.min_input_price, q.max_input_price, "input"),
                                        (q.min_output_price, q.max_output_price, "output")):
        if high_price is not None:
            out.append(f"at most ${fmt.number(high_price)} per million {side} tokens")
        if low_price is not None:
            out.append(f"at least ${fmt.number(low_price)} per million {side} tokens")
    out += _period_words("released", q.released_since, q.released_until)
    out += _period_words("with a knowledge cutoff", q.cutoff_since, q.cutoff_until)
    return out


def _period_words(verb: str, since, until) -> list[str]:
    if since and until:
        return [f"{verb} from {since.isoformat()} to {until.isoformat()}"]
    if since:
        return [f"{verb} since {since.isoformat()}"]
    if until:
        return [f"{verb} until {until.isoformat()}"]
    return []


def _count_answer(question: str, what: str, found: Found) -> Answer:
    text = f"{what}: {found.total} in the knowledge base.{_lacking(found, None)}"
    return Answer(question=question, intent="find", found=True, title=what, text=text)


def _lacking(found: Found, query: ModelQuery | None) -> str:
    if not found.lacking or query is None:
        return ""
    fields = fmt.join_names(_needed(query)).replace(" and ", " or ")
    return f" {fmt.count(found.lacking, 'model')} without {fields} {'is' if found.lacking == 1 else 'are'} left out."


def _needed(q: ModelQuery) -> list[str]:
    """The fields a model must have to be judged by the query, in words."""
    needed = [noun for noun, on in (
        ("open-weights status", q.open_weights is not None), ("a licence", bool(q.license)),
        ("modalities", bool(q.input_modalities or q.output_modalities)), ("reasoning status", q.reasoning is not None),
        ("tool-calling status", q.tool_calling is not None),
        ("a context window", q.min_context is not None or q.max_context is not None or q.sort == "context"),
        ("an output limit", q.min_output is not None or q.sort == "output"),
        ("an input price", q.min_input_price is not None or q.max_input_price is not None or q.sort == "input_price"),
        ("an output price", q.min_output_price is not None or q.max_output_price is not None
         or q.sort == "output_price"),
        ("a release date", bool(q.released_since or q.released_until) or q.sort == "released"),
        ("a knowledge cutoff", bool(q.cutoff_since or q.cutoff_until) or q.sort == "cutoff")) if on]
    return needed or ["the fields asked about"]


def _list_answer(kb: KnowledgeBase, question: str, q: ModelQuery, what: str, found: Found,
                 benchmark_name: str | None, unit: str | None) -> Answer:
    cites = fmt.Citations()
    columns, numeric = _columns(q, benchmark_name)
    shown = [c for c in columns if c != "score"] + ["released"]
    rows = [[m.name, kb.org(m.org_id).name, *[_cell(m, c, unit) for c in columns], m.released or "—",
             provenance.markers(kb, cites, m, ["org_id", *shown])] for m in found.models]
    order = _SORT_WORDS.get((q.sort, q.descending), "newest first")
    lines = [f"{what}, {order}: {found.total}."]
    lines.append(f"First: {found.models[0].name}{_lead_value(found.models[0], q, columns, unit)}.")
    if found.total > len(found.models):
        lines.append(f"Showing {len(found.models)}; {found.total - len(found.models)} more — narrow it with an "
                     "organization, a date, a size or a price.")
    lacking = _lacking(found, q).strip()
    if lacking:
        lines.append(lacking)
    header = ["Model", "Organization", *[_COLUMN_TITLES[c] for c in columns], "Released", "Source"]
    table = Table(header, rows, [False, False, *numeric, False, False])
    return Answer(question=question, intent="find", found=True, title=what, text=" ".join(lines), table=table,
                  sources=cites.refs, chart=_chart(q, what, found, benchmark_name))


_COLUMN_TITLES = {"context": "Context window", "output": "Max output", "input_price": "Input $/Mtok",
                  "output_price": "Output $/Mtok", "open": "Open weights", "input": "Input", "output_m": "Output",
                  "score": "Score", "cutoff": "Knowledge cutoff", "license": "Licence"}


def _columns(q: ModelQuery, benchmark_name: str | None) -> tuple[list[str], list[bool]]:
    """The fields the query filtered or sorted on, shown beside each model."""
    cols = []
    if q.sort == "score":
        cols.append("score")
    if q.sort == "context" or q.min_context or q.max_context:
        cols.append("context")
    if q.sort == "output" or q.min_output:
        cols.append("output")
    if q.sort == "input_price" or q.max_input_price is not None or q.min_input_price is not None:
        cols.append("input_price")
    if q.sort == "output_price" or q.max_output_price is not None or q.min_output_price is not None:
        cols.append("output_price")
    if q.input_modalities:
        cols.append("input")
    if q.output_modalities:
        cols.append("output_m")
    if q.license:
        cols.append("license")
    if q.sort == "cutoff" or q.cutoff_since or q.cutoff_until:
        cols.append("cutoff")
    if q.open_weights is not None and not cols:
        cols.append("open")
    return cols, [c in ("context", "output", "input_price", "output_price", "score") for c in cols]


def _cell(m: FoundModel, column: str, unit: str | None = None) -> str:
    pricing = m.pricing or {}
    value = {
        "context": fmt.tokens(m.context_window) if m.context_window else None,
        "output": fmt.tokens(m.max_output_tokens) if m.max_output_tokens else None,
        "input_price": f"${fmt.number(pricing['input_per_mtok'])}" if "input_per_mtok" in pricing else None,
        "output_price": f"${fmt.number(pricing['output_per_mtok'])}" if "output_per_mtok" in pricing else None,
        "open": fmt.yes_no(m.open_weights), "input": ", ".join(m.input_modalities or []) or None,
        "output_m": ", ".join(m.output_modalities or []) or None,
        "score": fmt.score(m.score, unit) if m.score is not None else None,
        "cutoff": m.knowledge_cutoff, "license": m.license,
    }[column]
    return value or "—"


def _lead_value(m: FoundModel, q: ModelQuery, columns: list[str], unit: str | None) -> str:
    if not columns or columns[0] == "open":
        return f", released {m.released}" if q.sort == "released" and m.released else ""
    value = _cell(m, columns[0], unit)
    if columns[0] in ("input_price", "output_price"):
        return f", {value} per million {'input' if columns[0] == 'input_price' else 'output'} tokens"
    return f", {_COLUMN_TITLES[columns[0]].lower()} {value}"


def _chart(q: ModelQuery, what: str, found: Found, benchmark_name: str | None) -> Chart | None:
    """A ranking chart when the models are ranked on a number."""
    getters = {"context": lambda m: m.context_window, "output": lambda m: m.max_output_tokens,
               "input_price": lambda m: (m.pricing or {}).get("input_per_mtok"),
               "output_price": lambda m: (m.pricing or {}).get("output_per_mtok"), "score": lambda m: m.score}
    if q.sort not in getters or len(found.models) < 2:
        return None
    label = benchmark_name if q.sort == "score" and benchmark_name else _COLUMN_TITLES[q.sort]
    unit = {"context": "tokens", "output": "tokens", "input_price": "$/Mtok", "output_price": "$/Mtok"}.get(q.sort, "")
    series = {m.name: [getters[q.sort](m)] for m in found.models}
    return Chart("ranking", what, [label], [unit], series, [q.descending], "")
