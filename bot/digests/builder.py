"""Release digests: which release and update records a subscription wants, and the digest message itself.

``build_digest`` is pure: digest items in, a platform-neutral Answer out (one field per
organization, each release with its date, a one-line summary, key scores and a cited source).
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, replace

from bot import format as fmt
from bot.values import Answer
from knowledge.finder import ModelQuery, find_models
from knowledge.matching import Ref
from knowledge.store import KnowledgeBase, ReleaseInfo, ScoreInfo, SourceInfo, UpdateInfo

KEY_SCORES = 3
MAX_FIELD = 1000
"""Characters per organization field; more releases continue in a second field of the same name."""
MATCH_CHUNK = 500
"""Model ids per finder query when a batch of digests is filtered (bound parameters stay few)."""


@dataclass(frozen=True)
class DigestItem:
    """One release as a digest shows it."""

    org: str
    name: str
    date: dt.date
    summary: str | None
    scores: tuple[str, ...]
    source: SourceInfo | None


class Matcher:
    """Which release and update records pass subscriptions' filters.

    Organization filters are checked on the release record's organization (an update's: its model's
    organization). The other filters are the subscription's finder query, run for all the models of the
    records at once and once per distinct query, so planning a batch of digests costs a query per kind
    of subscription, not one per release. A record without a model passes organization filters only.
    """

    def __init__(self, kb: KnowledgeBase, releases: list[ReleaseInfo], changes: list[UpdateInfo]):
        self.kb = kb
        ids = {r.model_id for r in releases if r.model_id is not None} | {u.model_id for u in changes}
        self.model_ids = tuple(sorted(ids))
        self._found: dict[ModelQuery, frozenset[int]] = {}
        self._tests: dict[ModelQuery, Callable[[int | None], bool]] = {}

    def releases(self, query: ModelQuery, releases: list[ReleaseInfo]) -> list[ReleaseInfo]:
        """The releases a subscription's query lets through, in their order."""
        if not releases:
            return []
        passes = self._model_test(query)
        return [r for r in releases if _org_ok(query, r.org_id) and passes(r.model_id)]

    def updates(self, query: ModelQuery, changes: list[UpdateInfo]) -> list[UpdateInfo]:
        """The model updates a subscription's query lets through, judged on the model as it is now (a price
        cut that brings a model under a price cap is news for that subscriber)."""
        if not changes:
            return []
        passes = self._model_test(query)
        return [u for u in changes if _org_ok(query, self.kb.model(u.model_id).org_id) and passes(u.model_id)]

    def _model_test(self, query: ModelQuery):
        """Whether a model id passes the query's filters other than organization (None: a record without a
        model, which passes only when there are no such filters); made once per distinct query."""
        test = self._tests.get(query)
        if test is None:
            model_filters = replace(query, orgs=(), model_ids=(), limit=None)
            if model_filters.is_empty():
                test = self._tests[query] = lambda model_id: True
            else:
                matching = self._matching(model_filters)
                test = self._tests[query] = lambda model_id: model_id is not None and model_id in matching
        return test

    def _matching(self, query: ModelQuery) -> frozenset[int]:
        """The ids of this batch's models that pass ``query`` (unknown values never pass a filter)."""
        if query not in self._found:
            found: set[int] = set()
            for start in range(0, len(self.model_ids), MATCH_CHUNK):
                chunk = self.model_ids[start:start + MATCH_CHUNK]
                found.update(m.id for m in find_models(self.kb.engine, replace(query, model_ids=chunk)).models)
            self._found[query] = frozenset(found)
        return self._found[query]


def _org_ok(query: ModelQuery, org_id: int | None) -> bool:
    return not query.orgs or org_id in query.orgs


def query_of(kb: KnowledgeBase, sub) -> ModelQuery:
    """A subscription's filters (a Subscription or a row of its table) as a finder query: organizations
    widened to their units (Meta -> its labs), open weights, input modality and the finder filters.
    Subscriptions with the same filters share one query (kept until the knowledge changes)."""
    key = (tuple(sub.org_ids or ()), bool(sub.open_weights_only), sub.modality, sub.reasoning, sub.tool_calling,
           sub.min_context, sub.max_input_price, sub.license)
    return kb.memo(("subscription-query", key), lambda: _query(kb, *key))


def _query(kb: KnowledgeBase, org_ids, open_weights, modality, reasoning, tool_calling, min_context, max_price,
           licence) -> ModelQuery:
    orgs = tuple(dict.fromkeys(i for o in org_ids for i in kb.org_family(o)))
    return ModelQuery(orgs=orgs, open_weights=True if open_weights else None,
                      input_modalities=(modality,) if modality else (), reasoning=reasoning,
                      tool_calling=tool_calling, min_context=min_context, max_input_price=max_price,
                      license=licence, limit=None)


def key_scores(kb: KnowledgeBase, model_id: int) -> tuple[str, ...]:
    """The model's best score on the benchmarks most models here are scored on (at most three)."""
    best: dict[int, ScoreInfo] = {}
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
        org = index.name(Ref("org", r.org_id)) if r.org_id else "Other"
        name = index.name(Ref("model", r.model_id)) if r.model_id else r.title
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
        out.append(UpdateItem(index.name(Ref("org", model.org_id)), index.name(Ref("model", u.model_id)), u.detail,
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
    return Answer(question=heading, intent="digest", found=found, title=title, text=text, fields=fields,
                  sources=cites.refs)
