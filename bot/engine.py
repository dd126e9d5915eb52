"""The one entry point every adapter calls: a Question goes in, an Answer comes out."""

from __future__ import annotations

import datetime as dt
import functools
from dataclasses import replace

from bot import families, find_command, finder, focus, followup, parts
from bot import format as fmt
from bot import vocabulary as V
from bot.answers.cards import benchmark_card, model_card, model_fact_answer, org_card
from bot.answers.facts import fact_answer, not_held, specific_words
from bot.answers.fields import fields_answer
from bot.answers.finder import FILTERABLE, finder_answer
from bot.answers.help import cannot_answer, help_answer, not_known, unknown_names
from bot.answers.releases import releases_answer
from bot.answers.scores import compare_answer, leaderboard_answer, score_answer, setting_words
from bot.digests import subscriptions
from bot.intents import Parsed, parse
from bot.values import Answer, Question
from knowledge.matching import Ref
from knowledge.store import KnowledgeBase

MAX_QUESTION = 2000
STRONG_FACT = 4
"""A fact this well matched (two shared words, or a word and a name) beats the other readings."""


def answer(question: Question, kb: KnowledgeBase, today: dt.date | None = None,
           context: dict | None = None) -> Answer:
    """Answer a platform-neutral question from the knowledge base.

    ``context`` is the previous answer's ``Answer.context`` in the same conversation: a question that
    names less than it needs continues it ("and GPT-5.4?").
    """
    text = "\n".join(" ".join(line.split()) for line in question.text.splitlines() if line.strip())[:MAX_QUESTION]
    kb.refresh()
    if question.command in subscriptions.COMMANDS:
        return subscriptions.handle(question, kb)
    if question.command and question.command != "ask":
        result, about = _command(question, kb, text)
        result.context = followup.context_of(about, result, context)
        return result
    if not text:
        return help_answer(kb, text)
    return _conversational(kb, text, today or dt.date.today(), context)


def _conversational(kb: KnowledgeBase, text: str, today: dt.date, context: dict | None) -> Answer:
    """Free text as people type it: the question in a long message, a follow-up, several parts."""
    reader = functools.partial(_parse, kb=kb, today=today)
    part, others = focus.question_in(text, reader, kb.index())
    parsed = followup.continue_from(part, context, kb.index())
    pieces = parts.clauses(parsed.text, reader) if parts.may_have_parts(parsed) else []
    if pieces:
        result = parts.combine(text, [_free_text(kb, clause, p) for clause, p in pieces])
    else:
        result = _free_text(kb, text, parsed)
    if others and result.found:
        result.text += "\n" + focus.also_asked(others)
    result.context = followup.context_of(parsed, result, context)
    return result


def _parse(text: str, kb: KnowledgeBase, today: dt.date) -> Parsed:
    return parse(text, kb.index(), today)


def _command(question: Question, kb: KnowledgeBase, text: str) -> tuple[Answer, Parsed]:
    """A structured command's answer, and what it was about (for a follow-up question)."""
    about = Parsed(text, [])
    return _run_command(question, kb, text, about), about


def _run_command(question: Question, kb: KnowledgeBase, text: str, about: Parsed) -> Answer:
    """Structured commands (slash commands): each argument is resolved as one name."""
    args, index = question.args, kb.index()
    if question.command == "help":
        return help_answer(kb, text)
    if question.command == "find":
        return find_command.answer(kb, text, args)
    if question.command == "compare":
        names = [n for n in args.get("models", []) if n.strip()]
        most, named = 10, len({" ".join(n.lower().split()) for n in names})  # the cap, and distinct names
        if named > most:  # checked before resolving: 300 names are neither looked up nor charted
            return cannot_answer(text, f"Compare at most {most} models at a time (you named {named}). "
                                       "Pick the ones you care most about, or ask for a leaderboard with top.")
        bench = args.get("benchmark")
        resolved = [index.resolve(n, ["model"]) for n in names]
        bench_res = index.resolve(bench, ["benchmark"]) if bench else None
        missing = [(n, r) for n, r in zip(names, resolved) if not r.found]
        if bench_res is not None and not bench_res.found:
            missing.append((bench, bench_res))
        if missing:
            return _unresolved(text, missing)
        models = list(dict.fromkeys(r.ref for r in resolved if r.ref is not None))  # every one is found here
        if len(models) < 2:
            return cannot_answer(text, "Name at least two different models to compare, separated by commas.")
        about.models = models
        about.benchmarks = [bench_res.ref] if bench_res is not None and bench_res.ref is not None else []
        return compare_answer(kb, text, models, about.benchmarks)
    if question.command in ("top", "benchmark"):
        name = args.get("benchmark") or ""
        res = index.resolve(name, ["benchmark"])
        if res.ref is None:  # not found
            return _unresolved(text, [(name, res)])
        about.benchmarks, about.count = [res.ref], args.get("n")
        if question.command == "benchmark":
            return benchmark_card(kb, text, res.ref)
        return leaderboard_answer(kb, text, res.ref, args.get("n"))
    if question.command == "model":
        name = args.get("name") or ""
        res = index.resolve(name, ["model"])
        if res.ref is None:  # not found
            return _unresolved(text, [(name, res)])
        about.models = [res.ref]
        return model_card(kb, text, res.ref)
    return cannot_answer(text, f"Unknown command '{question.command}'. Try help.")


def _unresolved(text: str, missing) -> Answer:
    return not_known(text, [(name, res.status, res.suggestions) for name, res in missing])


def _free_text(kb: KnowledgeBase, text: str, p: Parsed) -> Answer:
    licences = finder.licence_mentions(kb, p)
    p.problems = [m for m in p.problems if m not in licences]
    if p.problems:
        return unknown_names(text, p.problems)
    settled = families.resolve(kb, text, p)
    if settled:
        return settled
    return _with_notes(_route(kb, text, p), p)


def _with_notes(result: Answer, p: Parsed) -> Answer:
    if p.notes and result.found:
        result.text = " ".join(p.notes) + "\n" + result.text
    return result


def _route(kb: KnowledgeBase, text: str, p: Parsed) -> Answer:
    named = p.models or p.benchmarks or p.orgs
    if p.has(V.HELP_WORDS) and not named:
        return help_answer(kb, text)
    found = _find(kb, text, p)
    if found:
        return found
    if len(p.models) >= 2:
        if p.fields and not p.benchmarks:
            return fields_answer(kb, text, p.models, p.fields)
        compared = compare_answer(kb, text, p.models, p.benchmarks, asked_which=p.has(V.COMPARE_WORDS))
        if not compared.found and not p.benchmarks:
            return fact_answer(kb, text, p, p.models, minimum=STRONG_FACT) or compared
        return compared
    if p.models:
        return _about_model(kb, text, p)
    if p.benchmarks and p.orgs and not p.has(V.LEADERBOARD_WORDS):
        return _org_on_benchmarks(kb, text, p)
    if p.benchmarks:
        return _about_benchmark(kb, text, p)
    if p.orgs:
        return _about_orgs(kb, text, p)
    found = fact_answer(kb, text, p, None, minimum=STRONG_FACT)
    if found:
        return found
    if p.unknown_words and not _asks_releases(p):
        return unknown_names(text, p.unknown_words)
    if _asks_releases(p) and p.impossible_date:
        return cannot_answer(text, f"“{p.impossible_date}” is not a date on the calendar (years 1 to 9999, "
                                   "months 1 to 12). Ask again with a real one.")
    if _asks_releases(p):
        return releases_answer(kb, text, [], p.since, p.until, p.count)
    if p.has(V.LEADERBOARD_WORDS):
        names = kb.index().suggest(" ".join(p.content_words), ["benchmark"])
        return cannot_answer(text, "On which benchmark? Name one, for example: top 5 on GPQA Diamond.", names)
    return cannot_answer(
        text, "I don't know how to answer that from the knowledge base. Ask for help to see what I can answer.")


def _find(kb: KnowledgeBase, text: str, p: Parsed) -> Answer | None:
    """A question about models by their fields ("open-weights models with at least 128k context")."""
    query = finder.read(kb, text, p)
    if query is None:
        unknown = finder.unknown_ranking(p)
        if unknown:
            return cannot_answer(text, f"The knowledge base cannot rank models by “{unknown}”. It can filter models "
                                       f"by {FILTERABLE}.")
        return None
    if p.benchmarks:
        ranked = p.has(V.LEADERBOARD_WORDS) or query.sort in (None, "score")
        if len(p.benchmarks) > 1 or not ranked:
            return None
        bench = kb.benchmark(p.benchmarks[0].id)
        query = replace(query, sort="score", benchmark=bench.id, higher_is_better=bench.higher_is_better,
                        descending=bench.higher_is_better, limit=query.limit if p.count else 10)
        return finder_answer(kb, text, query, bench.name, bench.unit)
    own = replace(query, orgs=(), released_since=None, released_until=None, limit=15,
                  sort=None if query.sort == "released" else query.sort, descending=True)
    if _asks_releases(p) and own.is_empty() and not query.count_only and not _models_by_date(p, query):
        return releases_answer(kb, text, p.orgs, p.since, p.until, finder.asked_count(p))
    return finder_answer(kb, text, query)


def _models_by_date(p: Parsed, query) -> bool:
    """ "newest model from OpenAI", "models released in 2025": models by their release dates (the finder),
    not the release timeline ("latest releases", "new models since June", "what came out in April")."""
    if not {"model", "models"} & set(p.words) or p.has(frozenset({"release", "releases", "new", "came", "come"})):
        return False
    return bool(query.released_since or query.released_until or p.has(frozenset({"newest", "latest", "oldest",
                                                                                   "earliest"})))


def _asks_releases(p: Parsed) -> bool:
    return p.releases or p.has(V.RELEASE_WORDS) or p.since is not None or p.until is not None


def _about_model(kb: KnowledgeBase, text: str, p: Parsed) -> Answer:
    model = p.models[0]
    if p.benchmarks:
        cites = fmt.Citations()
        scored = score_answer(kb, text, model, p.benchmarks, setting_words(kb, model, p.words), cites)
        if p.fields and scored.found:
            asked = model_fact_answer(kb, text, model, p, cites)
            scored.text += "\n" + asked.text
            scored.fields, scored.sources = asked.fields, cites.refs
        return scored
    if p.fields:
        return model_fact_answer(kb, text, model, p)
    if p.unknown_words and p.has(V.SCORE_WORDS):
        return unknown_names(text, p.unknown_words)
    found = fact_answer(kb, text, p, [model]) if p.content_words else None
    if not found and p.content_words and not specific_words(p):
        found = fact_answer(kb, text, p, [model], minimum=1)
    if found:
        return found
    if specific_words(p):
        return not_held(kb, text, model, specific_words(p))
    return model_card(kb, text, model)


def _org_on_benchmarks(kb: KnowledgeBase, text: str, p: Parsed) -> Answer:
    """An organization's models on a benchmark ("mistral gpqa"): those with a score, side by side."""
    family = [i for o in p.orgs for i in kb.org_family(o.id)]
    models = [m.id for m in kb.models_of(family)]
    scored = list(dict.fromkeys(s.model_id for s in kb.scores(models, [b.id for b in p.benchmarks])))
    if not scored:
        return _about_benchmark(kb, text, p)
    p.models = [Ref("model", i) for i in scored[: families.MAX_MEMBERS]]
    names = fmt.join_names([kb.index().name(o) for o in p.orgs])
    p.notes.append(f"{names}: {fmt.count(len(scored), 'model')} with a score here.")
    if len(p.models) == 1:
        return _about_model(kb, text, p)
    return compare_answer(kb, text, p.models, p.benchmarks)


def _about_benchmark(kb: KnowledgeBase, text: str, p: Parsed) -> Answer:
    bench = p.benchmarks[0]
    worst = p.has(V.WORSE_WORDS)
    if p.has(V.LEADERBOARD_WORDS) or p.count or p.leaderboard:
        return leaderboard_answer(kb, text, bench, p.count, worst)
    if p.unknown_words and p.has(V.SCORE_WORDS):
        return unknown_names(text, p.unknown_words)
    return benchmark_card(kb, text, bench)


def _about_orgs(kb: KnowledgeBase, text: str, p: Parsed) -> Answer:
    if _asks_releases(p):
        found = fact_answer(kb, text, p, p.orgs, minimum=STRONG_FACT)
        return found or releases_answer(kb, text, p.orgs, p.since, p.until, p.count)
    found = fact_answer(kb, text, p, p.orgs) if p.content_words else None
    if found:
        return found
    if specific_words(p):
        return not_held(kb, text, p.orgs[0], specific_words(p))
    return org_card(kb, text, p.orgs[0])
