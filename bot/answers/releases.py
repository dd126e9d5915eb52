"""Release records: the latest ones, by organization and by date."""

from __future__ import annotations

import datetime as dt

from bot import format as fmt
from bot.answers import provenance
from bot.values import Answer, Table
from knowledge.finder import ModelQuery, find_models
from knowledge.matching import Ref
from knowledge.store import KnowledgeBase


def _period(since: dt.date | None, until: dt.date | None) -> str:
    if since and until:
        return f" from {since.isoformat()} to {until.isoformat()}" if since != until else f" on {since.isoformat()}"
    if since:
        return f" since {since.isoformat()}"
    if until:
        return f" until {until.isoformat()}"
    return ""


def releases_answer(kb: KnowledgeBase, question: str, orgs: list[Ref], since: dt.date | None,
                    until: dt.date | None, count: int | None = None) -> Answer:
    """The newest releases of the organizations (with their units) in the period: release records and the
    release dates of models that have none, newest first, each with its source."""
    index = kb.index()
    limit = min(count or 15, 50)
    org_ids = sorted({i for o in orgs for i in kb.org_family(o.id)}) if orgs else None
    records = kb.releases(org_ids, since, until, limit=limit)
    found = find_models(kb.engine, ModelQuery(orgs=tuple(org_ids or ()), released_since=since, released_until=until,
                                              sort="released", limit=limit))
    recorded = {r.model_id for r in records}
    rows = sorted([_record_row(index, r) for r in records] +
                  [_model_row(kb, m) for m in found.models if m.id not in recorded], key=lambda row: row[0],
                  reverse=True)
    more = len(rows) > limit or found.total > len(found.models) or len(records) == limit
    rows = rows[:limit]
    who = f" by {fmt.join_names([index.name(o) for o in orgs])}" if orgs else ""
    title = f"Releases{who}{_period(since, until)}"
    if not rows:
        return Answer(question=question, intent="releases", found=False, title=title,
                      text=f"The knowledge base has no releases{who}{_period(since, until)}: no release records and no "
                      "model with a release date there.")
    cites = fmt.Citations()
    table_rows = [[day, model, org, what, cites.cite(source, None)] for day, model, org, what, source in rows]
    shown = f"The newest {len(rows)} releases" if more else fmt.count(len(rows), "release")
    lines = [f"{shown}, newest first (release records and models' release dates)."]
    if more:
        lines.append("There are more: ask for a shorter period or an organization.")
    latest = records[0] if records and records[0].date.isoformat() == rows[0][0] else None
    if latest and latest.summary:
        lines.append(f"Latest: {latest.title} ({latest.date.isoformat()}). {latest.summary}")
    else:
        lines.append(f"Latest: {rows[0][1]} ({rows[0][0]}).")
    table = Table(["Date", "Model", "Organization", "Title", "Source"], table_rows)
    return Answer(question=question, intent="releases", found=True, title=title, text=" ".join(lines), table=table,
                  sources=cites.refs)


def _record_row(index, r) -> tuple:
    model = index.name(Ref("model", r.model_id)) if r.model_id else "—"
    org = index.name(Ref("org", r.org_id)) if r.org_id else "—"
    return r.date.isoformat(), model, org, r.title, r.source


def _model_row(kb: KnowledgeBase, m) -> tuple:
    return m.released, m.name, kb.org(m.org_id).name, "Release date of the model", \
        kb.source(provenance.source_id(m, "released"))
