"""Release digests: which release records a subscription wants, and the digest message itself.

``build_digest`` is pure: digest items in, a platform-neutral Answer out (one field per
organization, each release with its date, a one-line summary, key scores and a cited source).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass

from bot import format as fmt
from bot.question import Answer
from knowledge.store import KnowledgeBase, ReleaseInfo, SourceInfo, UpdateInfo

KEY_SCORES = 3
MAX_FIELD = 1000
"""Characters per organization field; more releases continue in a second field of the same name."""


@dataclass(frozen=True)
class Filters:
    """What a subscription lets through: organizations (with their units), open weights, an input modality."""

    org_ids: frozenset[int] | None = None
    open_weights: bool = False
    modality: str | None = None


@dataclass(frozen=True)
class DigestItem:
    """One release as a digest shows it."""

    org: str
    name: str
    date: dt.date
    summary: str | None
    scores: tuple[str, ...]
    source: SourceInfo | None


def filters_for(kb: KnowledgeBase, org_ids: list[int] | None, open_weights: bool, modality: str | None) -> Filters:
    """A subscription's stored filters, organizations widened to their units (Meta -> its labs)."""
    family = frozenset(i for o in org_ids for i in kb.memo(("org_family", o), lambda o=o: kb.org_family(o))) \
        if org_ids else None
    return Filters(family, open_weights, modality)


def wanted(kb: KnowledgeBase, release: ReleaseInfo, filters: Filters) -> bool:
    """Whether a release passes a subscription's filters; unknown values never pass a filter."""
    return _passes(kb, release.org_id, release.model_id, filters)


def wanted_update(kb: KnowledgeBase, change: UpdateInfo, filters: Filters) -> bool:
    """Whether a model update passes a subscription's filters."""
    return _passes(kb, kb.model(change.model_id).org_id, change.model_id, filters)


def _passes(kb: KnowledgeBase, org_id: int | None, model_id: int | None, filters: Filters) -> bool:
    if filters.org_ids is not None and org_id not in filters.org_ids:
        return False
    if not (filters.open_weights or filters.modality):
        return True
    if model_id is None:
        return False
    model = kb.model(model_id)
    if filters.open_weights and model.open_weights is not True:
        return False
    return not filters.modality or filters.modality in (model.input_modalities or [])


def key_scores(kb: KnowledgeBase, model_id: int) -> tuple[str, ...]:
    """The model's best score on the benchmarks most models here are scored on (at most three)."""
    best: dict[int, object] = {}
    for s in kb.scores([model_id]):
        bench = kb.benchmark(s.benchmark_id)
        if s.benchmark_id not in best or (s.value > best[s.benchmark_id].value) == bench.higher_is_better:
            best[s.benchmark_id] = s
    ranked = sorted(best.values(), key=lambda s: (-kb.rank(s.benchmark_id, s.value, True)[1],
                                                   kb.benchmark(s.benchmark_id).name))
    out = []
    for s in ranked[:KEY_SCORES]:
        bench = kb.benchmark(s.benchmark_id)
        setting = f" ({s.setting})" if s.setting else ""
        out.append(f"{bench.name} {fmt.score(s.value, bench.unit)}{setting}")
    return tuple(out)


def items(kb: KnowledgeBase, releases: list[ReleaseInfo]) -> list[DigestItem]:
    """Digest items for release records, in date order."""
    index = kb.index()
    out = []
    for r in sorted(releases, key=lambda r: (r.date, r.id)):
        org = index.name(("org", r.org_id)) if r.org_id else "Other"
        name = index.name(("model", r.model_id)) if r.model_id else r.title
        scores = key_scores(kb, r.model_id) if r.model_id else ()
        out.append(DigestItem(org, name, r.date, r.summary or (r.title if r.title != name else None), scores,
                              r.source))
    return out


@dataclass(frozen=True)
class UpdateItem:
    """A change to a known model as a digest shows it."""

    org: str
    name: str
    detail: str
    source: SourceInfo | None


def update_items(kb: KnowledgeBase, changes: list[UpdateInfo]) -> list[UpdateItem]:
    """Digest lines for model update records, in the order they were recorded."""
    index = kb.index()
    out = []
    for u in changes:
        model = kb.model(u.model_id)
        out.append(UpdateItem(index.name(("org", model.org_id)), index.name(("model", u.model_id)), u.detail,
                              u.source))
    return out


def _line(item: DigestItem, mark: str) -> str:
    head = f"• {item.name} — {item.date.isoformat()}" + (f" {mark}" if mark else "")
    parts = [head]
    if item.summary:
        parts.append(f"  {' '.join(item.summary.split())}")
    if item.scores:
        parts.append("  Key scores: " + " · ".join(item.scores))
    return "\n".join(parts)


def _grouped(lines_by_org: dict[str, list[str]], prefix: str = "") -> list[tuple[str, str]]:
    """One field per organization (continued in another of the same name past MAX_FIELD characters)."""
    fields = []
    for org in sorted(lines_by_org):
        chunk: list[str] = []
        for line in lines_by_org[org]:
            if chunk and len("\n".join([*chunk, line])) > MAX_FIELD:
                fields.append((prefix + org, "\n".join(chunk)))
                chunk = []
            chunk.append(line)
        fields.append((prefix + org, "\n".join(chunk)))
    return fields


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


def build_digest(digest_items: list[DigestItem], heading: str, updates: list[UpdateItem] | None = None) -> Answer:
    """The digest message: releases grouped by organization, each with its date, summary, scores and
    source; then, for subscriptions that want them, updates to known models, grouped the same way."""
    updates = updates or []
    cites = fmt.Citations()  # numbered in the order the reader meets them: by organization, then date
    releases: dict[str, list[str]] = defaultdict(list)
    for item in sorted(digest_items, key=lambda i: i.org):
        releases[item.org].append(_line(item, cites.cite(item.source, item.date)))
    changes: dict[str, list[str]] = defaultdict(list)
    for u in sorted(updates, key=lambda u: u.org):
        mark = cites.cite(u.source)
        changes[u.org].append(f"• {u.name}: {u.detail}" + (f" {mark}" if mark else ""))
    fields = _grouped(releases) + _grouped(changes, "Updates · ")
    parts = [_count(len(digest_items), "new release")] if digest_items or not updates else []
    parts += [_count(len(updates), "update")] if updates else []
    found = bool(digest_items or updates)
    title = f"{heading}: {', '.join(parts)}" if found else f"{heading}: nothing new"
    orgs = fmt.join_names(sorted(set(releases) | set(changes)))
    text = f"New in the knowledge base, from {orgs}." if found else "Nothing new since the last digest."
    return Answer(heading, "digest", found, title, text, fields=fields, sources=cites.refs)
