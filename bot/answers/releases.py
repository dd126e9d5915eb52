"""Release records: the latest ones, by organization and by date."""

from __future__ import annotations

import datetime as dt

from bot import format as fmt
from bot.question import Answer, Table
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
    """The newest release records matching the organizations (with their units) and the period."""
    index = kb.index()
    org_ids = sorted({i for o in orgs for i in kb.org_family(o[1])}) if orgs else None
    releases = kb.releases(org_ids, since, until, limit=min(count or 10, 50))
    who = f" by {fmt.join_names([index.name(o) for o in orgs])}" if orgs else ""
    title = f"Releases{who}{_period(since, until)}"
    if not releases:
        return Answer(question, "releases", False, title,
                      f"The knowledge base has no release records{who}{_period(since, until)}.")
    cites = fmt.Citations()
    rows = []
    for r in releases:
        model = index.name(("model", r.model_id)) if r.model_id else "—"
        org = index.name(("org", r.org_id)) if r.org_id else "—"
        rows.append([r.date.isoformat(), model, org, r.title, cites.cite(r.source, r.date)])
    lines = [f"{fmt.count(len(releases), 'release record')}, newest first."]
    latest = releases[0]
    if latest.summary:
        lines.append(f"Latest: {latest.title} ({latest.date.isoformat()}). {latest.summary}")
    table = Table(["Date", "Model", "Organization", "Title", "Source"], rows)
    return Answer(question, "releases", True, title, " ".join(lines), table, sources=cites.refs)
