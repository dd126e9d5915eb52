"""Finding models by what they are: filters and a sort over model fields, run as one SQL statement.

A ``ModelQuery`` is platform-neutral data (questions, slash commands and subscriptions all build one).
``find_models`` runs it on SQLite and PostgreSQL alike. A model that lacks a field a filter or the sort
needs is neither in nor out: it is left out, and counted in ``Found.lacking`` so answers can say so.

Release dates and knowledge cutoffs are stored as "YYYY-MM-DD" or "YYYY-MM". A month-only date is in a
period only when its whole month is: "2026-06" is released since 2026-06-01 but not since 2026-06-15.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass, field, fields, replace

from sqlalchemy import ColumnElement, String, and_, case, cast, false, func, or_, select, true
from sqlalchemy.engine import Engine

from knowledge.schema import Model, Score

SORTS = ("released", "context", "output", "input_price", "output_price", "score", "cutoff")
"""What models can be ranked by; "score" needs ``ModelQuery.benchmark``."""


@dataclass(frozen=True)
class ModelQuery:
    """Filters (None or empty: not filtered), a sort, and how many rows to return."""

    orgs: tuple[int, ...] = ()
    """Organization ids, units included (``KnowledgeBase.org_family``)."""
    model_ids: tuple[int, ...] = ()
    """Only these models (a digest asks whether a released model matches a subscription's filters)."""
    open_weights: bool | None = None
    license: str | None = None
    """The licence's first word, any case ("apache" matches "Apache-2.0"; "mit" matches "MIT", not "modified-mit")."""
    input_modalities: tuple[str, ...] = ()
    output_modalities: tuple[str, ...] = ()
    reasoning: bool | None = None
    tool_calling: bool | None = None
    min_context: int | None = None
    max_context: int | None = None
    min_output: int | None = None
    max_input_price: float | None = None
    min_input_price: float | None = None
    max_output_price: float | None = None
    min_output_price: float | None = None
    released_since: dt.date | None = None
    released_until: dt.date | None = None
    cutoff_since: dt.date | None = None
    cutoff_until: dt.date | None = None
    status: str | None = None
    sort: str | None = None
    benchmark: int | None = None
    higher_is_better: bool = True
    """Of the benchmark, when sorting by its score."""
    descending: bool = True
    limit: int | None = 15
    count_only: bool = False

    def is_empty(self) -> bool:
        """Whether nothing is filtered or sorted on."""
        return replace(self, limit=15, count_only=False, descending=True) == ModelQuery()


@dataclass(frozen=True)
class FoundModel:
    """One model a query found, with the fields answers show."""

    id: int
    name: str
    org_id: int
    released: str | None
    open_weights: bool | None
    license: str | None
    input_modalities: list | None
    output_modalities: list | None
    context_window: int | None
    max_output_tokens: int | None
    knowledge_cutoff: str | None
    reasoning: bool | None
    tool_calling: bool | None
    status: str
    pricing: dict | None
    source_id: int | None
    field_sources: dict | None = None
    score: float | None = None


@dataclass
class Found:
    """The models found (the first ``limit``), how many match in all, and how many lacked a needed field."""

    models: list[FoundModel] = field(default_factory=list)
    total: int = 0
    lacking: int = 0


_COLUMNS = [f.name for f in fields(FoundModel) if f.name != "score"]


_INT_MAX = 2**31 - 1
"""Token counts are 32-bit integers in the database: a bound beyond that is the largest there can be."""


def find_models(engine: Engine, query: ModelQuery) -> Found:
    """Run a query: the matching models in order, their number, and the number left out for a missing field."""
    query = _clamped(query)
    score = _best_scores(query) if query.sort == "score" else None
    checks = _field_checks(query)
    conditions = _scope(query) + [c for _, conds in checks for c in conds] + _present(query, score)
    columns = [getattr(Model, c) for c in _COLUMNS] + ([score.c.value] if score is not None else [])
    with engine.connect() as conn:
        rows = [] if query.count_only else conn.execute(_rows(query, score, columns, conditions)).all()
        total, lacking = conn.execute(_counts(query, score, checks, conditions)).one()
    return Found([_model(row, score is not None) for row in rows], int(total or 0), int(lacking or 0))


def _rows(query: ModelQuery, score, columns: list, conditions: list):
    stmt = select(*columns).where(*conditions)
    if score is not None:
        stmt = stmt.join(score, score.c.model_id == Model.id)
    stmt = stmt.order_by(*_order(query, score), Model.name, Model.id)
    return stmt.limit(query.limit) if query.limit is not None else stmt


def _counts(q: ModelQuery, score, checks: list, conditions: list):
    """One pass over the models in scope: how many match, and how many would but lack a needed field."""
    scope = _scope(q)
    matching = and_(*conditions[len(scope):]) if len(conditions) > len(scope) else true()
    stmt = select(func.sum(case((matching, 1), else_=0)), func.sum(case((_lacks(q, checks), 1), else_=0)))
    stmt = stmt.select_from(Model).where(*scope)
    return stmt.join(score, score.c.model_id == Model.id) if score is not None else stmt


def _clamped(q: ModelQuery) -> ModelQuery:
    """Token bounds within what the database can compare (a question may say "9223372036855 M")."""
    bounds = {name: max(0, min(getattr(q, name), _INT_MAX)) for name in ("min_context", "max_context", "min_output")
              if getattr(q, name) is not None}
    return replace(q, **bounds) if bounds else q


def _model(row, scored: bool) -> FoundModel:
    values = dict(zip(_COLUMNS, row[: len(_COLUMNS)]))
    return FoundModel(**values, score=row[len(_COLUMNS)] if scored else None)


def _scope(q: ModelQuery) -> list:
    """Conditions every model has the field for: organization and status."""
    c = [Model.org_id.in_(q.orgs)] if q.orgs else []
    c += [Model.id.in_(q.model_ids)] if q.model_ids else []
    return c + ([Model.status == q.status] if q.status else [])


def _field_checks(q: ModelQuery) -> list[tuple[ColumnElement[bool], list[ColumnElement[bool]]]]:
    """Each filtered field that a model may lack: (how to tell it lacks it, the conditions on it)."""
    checks: list[tuple[ColumnElement[bool], list[ColumnElement[bool]]]] = []
    for column, wanted in ((Model.open_weights, q.open_weights), (Model.reasoning, q.reasoning),
                           (Model.tool_calling, q.tool_calling)):
        if wanted is not None:
            checks.append((column.is_(None), [column.is_(wanted)]))
    if q.license:
        word = q.license.lower()
        licence = func.lower(Model.license)
        checks.append((Model.license.is_(None), [or_(licence == word, licence.startswith(f"{word}-", autoescape=True),
                                                     licence.startswith(f"{word} ", autoescape=True))]))
    for listed, modalities in ((Model.input_modalities, q.input_modalities),
                               (Model.output_modalities, q.output_modalities)):
        if modalities:
            text = func.lower(cast(listed, String))
            checks.append((_json_missing(listed), [text.contains(f'"{m.lower()}"', autoescape=True)
                                                   for m in modalities]))
    for expr, low, high in ((Model.context_window, q.min_context, q.max_context),
                            (Model.max_output_tokens, q.min_output, None),
                            (_price("input_per_mtok"), q.min_input_price, q.max_input_price),
                            (_price("output_per_mtok"), q.min_output_price, q.max_output_price)):
        if low is not None or high is not None:
            checks.append((expr.is_(None), _range(expr, low, high)))
    for dated, since, until in ((Model.released, q.released_since, q.released_until),
                                (Model.knowledge_cutoff, q.cutoff_since, q.cutoff_until)):
        if since is not None or until is not None:
            checks.append((dated.is_(None), _period(dated, since, until)))
    return checks


def _json_missing(column):
    """A JSON field absent: SQL NULL, or the JSON null an import wrote for "not given"."""
    return or_(column.is_(None), cast(column, String) == "null")


def _present(q: ModelQuery, score) -> list:
    """The sorted-on field must be there (a model without a context window is not "the largest")."""
    column = _sort_column(q, score)
    return [] if column is None or score is not None else [column.isnot(None)]


def _lacks(q: ModelQuery, checks: list):
    """A model that would pass every filter but lacks a field a filter or the sort needs."""
    missing = [lacks for lacks, _ in checks]
    sort = _sort_column(q, None)
    if sort is not None:
        missing.append(sort.is_(None))
    if not missing:
        return false()
    return and_(*[or_(lacks, and_(*conds)) for lacks, conds in checks], or_(*missing))


def _price(key: str):
    return Model.input_price if key == "input_per_mtok" else Model.output_price


def _range(column, low, high) -> list:
    out = []
    if low is not None:
        out.append(column >= low)
    if high is not None:
        out.append(column <= high)
    return out


def _period(column, since: dt.date | None, until: dt.date | None) -> list:
    """A day or month date within [since, until]; a month only when the whole month is."""
    out = []
    if since is not None:
        month = _month(since) if since.day == 1 else _month_after(since)
        out.append(or_(and_(func.length(column) == 10, column >= since.isoformat()),
                       and_(func.length(column) == 7, column >= month)))
    if until is not None:
        last_day = calendar.monthrange(until.year, until.month)[1]
        month_ok = column <= _month(until) if until.day == last_day else column < _month(until)
        out.append(or_(and_(func.length(column) == 10, column <= until.isoformat()),
                       and_(func.length(column) == 7, month_ok)))
    return out


def _month(day: dt.date) -> str:
    return f"{day.year:04d}-{day.month:02d}"


def _month_after(day: dt.date) -> str:
    year, month = (day.year, day.month + 1) if day.month < 12 else (day.year + 1, 1)
    return f"{year:04d}-{month:02d}"


def _sort_column(q: ModelQuery, score):
    if q.sort is None:
        return None
    return {"released": Model.released, "context": Model.context_window, "output": Model.max_output_tokens,
            "input_price": _price("input_per_mtok"), "output_price": _price("output_per_mtok"),
            "cutoff": Model.knowledge_cutoff, "score": score.c.value if score is not None else None}.get(q.sort)


def _order(q: ModelQuery, score) -> list:
    """The sort (its column is never null: ``_present``), or newest first with undated models last."""
    column = _sort_column(q, score)
    if column is None:
        return [Model.released.is_(None), Model.released.desc()]
    return [column.desc() if q.descending else column.asc()]


def _best_scores(q: ModelQuery):
    """Each model's best score on the query's benchmark, as a subquery (model_id, value)."""
    best = func.max(Score.value) if q.higher_is_better else func.min(Score.value)
    return (select(Score.model_id, best.label("value")).where(Score.benchmark_id == q.benchmark)
            .group_by(Score.model_id).subquery())
