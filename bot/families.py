"""Families: a short form several models or benchmarks share ("Gemini", "SWE-bench") stands for the
members that hold what was asked; asked for nothing in particular, it lists them and asks which one.
"""

from __future__ import annotations

from bot import format as fmt
from bot.answers.cards import ASKED_FIELDS, model_fields
from bot.intents import Parsed
from bot.values import Answer, Table
from knowledge.matching import Mention, Ref
from knowledge.store import KnowledgeBase

MAX_MEMBERS = 8
"""At most this many members stand in for a family in one answer (those with the newest figures first)."""


def resolve(kb: KnowledgeBase, question: str, parsed: Parsed) -> Answer | None:
    """Put each family's members that hold the asked figure into ``parsed``; an answer when none does,
    or when nothing in particular was asked of a family."""
    for family in sorted(parsed.families, key=lambda f: (f.refs[0].kind != "benchmark" or len(f.refs) > 1)):
        kind = family.refs[0].kind
        named = parsed.models if kind == "model" else parsed.benchmarks
        if set(named) & set(family.refs):  # "the GPT-4o snapshot, GPT-4o (2024-11-20)": the one named
            continue
        explicit = bool(named)
        members = _members_with_scores(kb, family, parsed) if kind == "model" else _benchmarks(kb, family, parsed)
        if members is None and len(family.refs) == 1:
            members = list(family.refs)
        if members is None:
            return _which_one(kb, question, family)
        if not members:
            if explicit:  # "is Muse Spark open, unlike Llama?": the named model is what is asked about
                continue
            return _none_holds(kb, question, family, parsed)
        target = parsed.models if kind == "model" else parsed.benchmarks
        for ref in members[:MAX_MEMBERS]:
            if ref not in target:
                target.append(ref)
        parsed.notes.append(_note(kb, family, members, parsed))
    return None


def _members_with_scores(kb: KnowledgeBase, family: Mention, parsed: Parsed) -> list[Ref] | None:
    """Members holding what is asked: a score on an asked benchmark, an asked field; None if nothing is asked."""
    members = _newest_first(kb, family.refs)
    if parsed.benchmarks:
        wanted = {b.id for b in parsed.benchmarks}
        scored = {s.model_id for s in kb.scores([m.id for m in members], wanted)}
        return [m for m in members if m.id in scored]
    if parsed.fields:
        fields = [f for asked in parsed.fields for f in ASKED_FIELDS[asked]]
        return [m for m in members if any(model_fields(kb, m.id)[f] for f in fields)]
    if parsed.models:
        others = {b for m in parsed.models for b in kb.benchmark_ids_scored(m.id)}
        return [m for m in members if others & set(kb.benchmark_ids_scored(m.id))]
    return None


def _benchmarks(kb: KnowledgeBase, family: Mention, parsed: Parsed) -> list[Ref] | None:
    """Benchmarks of the family the asked models have scores on; with no model asked, the one member."""
    if not parsed.models:
        return list(family.refs) if len(family.refs) == 1 else None
    scored = {s.benchmark_id for s in kb.scores([m.id for m in parsed.models], [r.id for r in family.refs])}
    return [r for r in family.refs if r.id in scored]


def _newest_first(kb: KnowledgeBase, refs: list[Ref]) -> list[Ref]:
    models = {r: kb.model(r.id) for r in refs if r.kind == "model"}
    return sorted(models, key=lambda r: (models[r].released or "", models[r].name), reverse=True)


def _note(kb: KnowledgeBase, family: Mention, members: list[Ref], parsed: Parsed) -> str:
    index = kb.index()
    names = [index.name(m) for m in members[:MAX_MEMBERS]]
    what = _what_is_asked(kb, parsed, family.refs[0].kind)
    if len(members) == 1 and len(family.refs) == 1:
        return f"Taking “{family.text}” as {names[0]}, the only name it fits."
    if len(members) == 1:
        return f"The only {family.text} with {what} in the knowledge base is {names[0]}."
    more = f" (the newest {MAX_MEMBERS} of {len(members)})" if len(members) > MAX_MEMBERS else ""
    return f"“{family.text}” is a family here: {len(members)} have {what}{more}: {fmt.join_names(names)}."


def _what_is_asked(kb: KnowledgeBase, parsed: Parsed, kind: str) -> str:
    index = kb.index()
    if kind == "model" and parsed.benchmarks:
        return fmt.a_an(f"{fmt.join_names([index.name(b) for b in parsed.benchmarks])} score")
    if kind == "model" and parsed.fields:
        return "that figure"
    if parsed.models:
        return "a score for " + fmt.join_names([index.name(m) for m in parsed.models])
    return "scores"


def _none_holds(kb: KnowledgeBase, question: str, family: Mention, parsed: Parsed) -> Answer:
    what = _what_is_asked(kb, parsed, family.refs[0].kind)
    names = [kb.index().name(r) for r in family.refs]
    text = (f"No {family.text} in the knowledge base has {what}. It holds {fmt.count(len(names), 'such name')}: "
            f"{fmt.join_names(names[:10])}{'…' if len(names) > 10 else ''}.")
    return Answer(question=question, intent="unknown", found=False, title=f"{family.text}: not known", text=text,
                  suggestions=names[:3], followups=[question.replace(family.text, n, 1) for n in names[:3]])


def _which_one(kb: KnowledgeBase, question: str, family: Mention) -> Answer:
    """A family asked about as a whole: its members, and "which one?"."""
    if family.refs[0].kind == "model":
        rows = []
        for ref in _newest_first(kb, family.refs):
            model = kb.model(ref.id)
            rows.append([model.name, kb.org(model.org_id).name, model.released or "—"])
        table, what, order = Table(["Model", "Made by", "Released"], rows), "models", " Newest first:"
    else:
        rows = [[kb.benchmark(r.id).name, kb.benchmark(r.id).category or "—"] for r in family.refs]
        table, what, order = Table(["Benchmark", "Category"], rows), "benchmarks", ""
    names = [r[0] for r in rows]
    text = (f"“{family.text}” could be any of {len(names)} {what} in the knowledge base. Which one?{order} "
            f"{fmt.join_names(names[:5])}{', …' if len(names) > 5 else ''}.")
    return Answer(question=question, intent="unknown", found=False, title=f"Which {family.text}?", text=text,
                  table=table, suggestions=names[:3],
                  followups=[question.replace(family.text, n, 1) if family.text in question else n
                             for n in names[:3]])
