"""The finder as a command: `/modelwire find <words>` (Slack) and `/find` with typed options (Discord).

Both build the same ``ModelQuery`` as a finder question does. The words are read like a question
("open weights context >= 128k since 2026-03"), with "sort <field> [asc|desc]" and "limit <n>"
besides. Typed options (``OPTIONS``) are applied on top of the words: an option wins over the words.
Anything that cannot be used (an unknown organization or modality, a sort, date or size that is not
one) raises ``Usage`` with one line and the closest valid values; ``answer`` shows it with the usage
line, never a traceback.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from dataclasses import replace
from typing import Any

from rapidfuzz import fuzz, process

from bot import finder
from bot.answers.finder import finder_answer
from bot.digests.arguments import MODALITIES, Usage
from bot.intents import Parsed, parse
from bot.values import Answer
from knowledge.finder import SORTS, ModelQuery
from knowledge.store import KnowledgeBase

USAGE = ("find <words> [sort newest|oldest|context|output|cheapest|priciest [asc|desc]] [limit 1-50], "
         "e.g. find open weights context >= 128k since 2026-03 sort context")
OPTIONS_USAGE = ("/find [org] [open_weights] [input] [min_context, e.g. 128k or 1M] [max_price, $ per million "
                 "input tokens] [since] [until, YYYY-MM or YYYY-MM-DD] [sort] [limit 1-50] [reasoning] [tool_calling]")
OPTIONS = ("org", "open_weights", "input", "output", "min_context", "max_price", "since", "until", "sort", "limit",
           "reasoning", "tool_calling")
"""The typed options a find command may carry in ``Question.args`` besides ``text`` (the words)."""
MAX_LIMIT = 50
_PRICES = ("input_price", "output_price")
SORT_NAMES: dict[str, tuple[str, bool]] = {
    **{s: (s, s not in _PRICES) for s in SORTS if s != "score"},
    "newest": ("released", True), "latest": ("released", True), "oldest": ("released", False),
    "release": ("released", True), "release_date": ("released", True), "date": ("released", True),
    "context_window": ("context", True), "output_limit": ("output", True), "max_output": ("output", True),
    "knowledge_cutoff": ("cutoff", True), "price": ("input_price", False), "cheapest": ("input_price", False),
    "priciest": ("input_price", True), "expensive": ("input_price", True),
}
"""Each sort name people may use -> (the ``ModelQuery`` sort, descending)."""
SORTS_SHOWN = ("newest", "oldest", "context", "output", "cheapest", "priciest", "output_price", "cutoff")
"""The sort names a usage line offers."""

_SORT = re.compile(r"\bsort(?:ed)?(?:\s+by)?\s+([a-z][a-z_-]*(?:\s+price)?)(?:\s+(asc|desc)\w*)?", re.IGNORECASE)
_LIMIT = re.compile(r"\blimit\s+(-?\d+)\b", re.IGNORECASE)
_SIZE = re.compile(r"(\d+(?:[.,]\d+)?)\s*(k|m|thousand|million)?(?:\s*tokens?)?", re.IGNORECASE)
_DATE = re.compile(r"(\d{4})(?:-(\d{1,2})(?:-(\d{1,2}))?)?")


def answer(kb: KnowledgeBase, text: str, args: dict[str, Any], today: dt.date | None = None) -> Answer:
    """The finder's answer to a command: ``args["text"]`` (words) and typed options, options winning.

    A bad word or option is answered with what is wrong, the closest valid values and the usage line.
    """
    words = str(args.get("text") or "")
    question = text or f"find {words}".strip()
    if not words.strip() and not typed(args):
        return usage_answer(question, "Say what to find: filters, a sort or both.", USAGE)
    try:
        query = apply_options(kb, query_from_words(kb, words, today), args)
    except Usage as problem:
        return usage_answer(question, str(problem), OPTIONS_USAGE if typed(args) else USAGE)
    return finder_answer(kb, question, query)


def typed(args: dict[str, Any]) -> bool:
    """Whether any typed option was given (so the usage line to show is the options' one)."""
    return any(args.get(name) not in (None, "") for name in OPTIONS)


def usage_answer(question: str, problem: str, usage: str = USAGE) -> Answer:
    """A find that cannot run: the problem (with "Did you mean ...") and the usage line; nothing found."""
    return Answer(question=question, intent="unknown", found=False, title="Can't find models like that",
                  text=f"{problem}\nUsage: {usage}")


def query_from_words(kb: KnowledgeBase, words: str, today: dt.date | None = None) -> ModelQuery:
    """A query from the words after "find": read like a question, plus "sort <field> [asc|desc]" and "limit <n>".

    Raises ``Usage`` for a sort name that is none, a limit outside 1-50, or a name that is no filter.
    """
    sort = _SORT.search(words)
    limit = _LIMIT.search(words)
    rest = _LIMIT.sub(" ", _SORT.sub(" ", words))
    parsed = parse(rest, kb.index(), today or dt.date.today())
    check_names(kb, rest, parsed)
    query = finder.read(kb, f"{rest} models", parsed) or ModelQuery()
    if sort:
        query = with_sort(query, sort.group(1), sort.group(2))
    if limit:
        query = replace(query, limit=check_limit(limit.group(1)))
    return query


def check_names(kb: KnowledgeBase, words: str, parsed: Parsed) -> None:
    """Names in the words must be organizations: a model, a family of models, a name that could be several
    things, or an unknown name after "by"/"from" would otherwise be left out and every model listed."""
    named = [(m.text, m.refs) for m in parsed.families] + [(kb.model(r.id).name, [r]) for r in parsed.models]
    if named:
        text, refs = named[0]
        makers = sorted({kb.org(kb.model(r.id).org_id).name for r in refs if r.kind == "model"})
        hint = f" Did you mean {' or '.join(makers[:3])} models?" if makers else ""
        what = "a model" if len(refs) == 1 else "models"
        raise Usage(f"'{text}' names {what}; find filters models by organization and by their fields.{hint}")
    for mention in parsed.problems:
        problem = f"'{mention.text}' could be several things" if mention.status == "ambiguous" \
            else f"I don't know '{mention.text}'"
        raise Usage(f"{problem}.{_did_you_mean(mention.suggestions)}")
    for mention in parsed.unknown_words:
        if re.search(r"\b(?:by|from|org)\s*$", words[: mention.start], re.IGNORECASE):
            raise Usage(f"I don't know the organization '{mention.text}'.{_did_you_mean(close_orgs(kb, mention.text))}")


def with_sort(query: ModelQuery, name: str, order: str | None = None) -> ModelQuery:
    """The query sorted by ``name`` (a ``SORT_NAMES`` key), in its own order unless "asc"/"desc" is given."""
    key = re.sub(r"[\s-]+", "_", name.strip().lower())
    if key not in SORT_NAMES:
        close = process.extractOne(key, list(SORT_NAMES), scorer=fuzz.ratio, score_cutoff=60)
        hint = f"Did you mean {close[0]}?" if close else f"Sort by one of {', '.join(SORTS_SHOWN)}."
        raise Usage(f"I can't sort by '{name}'. {hint}")
    sort, descending = SORT_NAMES[key]
    if order:
        descending = order.lower().startswith("desc")
    return replace(query, sort=sort, descending=descending)


def check_limit(value: Any) -> int:
    """A number of rows, 1 to 50."""
    try:
        limit = int(value)
    except (TypeError, ValueError):
        raise Usage(f"'{value}' is not a number of models: use 1 to {MAX_LIMIT}.") from None
    if not 1 <= limit <= MAX_LIMIT:
        raise Usage(f"limit is 1 to {MAX_LIMIT}, not {limit}.")
    return limit


def apply_options(kb: KnowledgeBase, query: ModelQuery, args: dict[str, Any]) -> ModelQuery:
    """The query with each typed option given in ``args`` put in place of what the words said."""
    given = {name: args[name] for name in OPTIONS if args.get(name) not in (None, "")}
    changes: dict[str, Any] = {}
    if "org" in given:
        changes["orgs"] = org_ids(kb, given["org"])
    for name in ("open_weights", "reasoning", "tool_calling"):
        if name in given:
            changes[name] = _flag(name, given[name])
    for name, field in (("input", "input_modalities"), ("output", "output_modalities")):
        if name in given:
            changes[field] = (modality(kb, given[name], name),)
    if "min_context" in given:
        changes["min_context"] = tokens(given["min_context"])
    if "max_price" in given:
        changes["max_input_price"] = price(given["max_price"])
    if "since" in given:
        changes["released_since"] = day(given["since"], last=False)
    if "until" in given:
        changes["released_until"] = day(given["until"], last=True)
    if "limit" in given:
        changes["limit"] = check_limit(given["limit"])
    query = replace(query, **changes)
    return with_sort(query, str(given["sort"])) if "sort" in given else query


def org_ids(kb: KnowledgeBase, names: str | list[str]) -> tuple[int, ...]:
    """Organizations by name (several separated by commas), each with its units; Usage for one not known."""
    listed = names if isinstance(names, (list, tuple)) else str(names).split(",")
    ids: list[int] = []
    for name in (n.strip() for n in listed if str(n).strip()):
        ids += [i for i in kb.org_family(_org(kb, name)) if i not in ids]
    return tuple(ids)


def _org(kb: KnowledgeBase, name: str) -> int:
    """One organization's id (a one-letter typo is read, as in questions; the answer names the organization)."""
    index = kb.index()
    res = index.resolve(name, ["org"])
    if res.ref is not None:  # found
        return res.ref.id
    if res.status == "ambiguous":
        raise Usage(f"'{name}' could be several organizations. Did you mean {', '.join(res.suggestions[:3])}?")
    raise Usage(f"I don't know the organization '{name}'.{_did_you_mean(res.suggestions or close_orgs(kb, name))}")


def close_orgs(kb: KnowledgeBase, name: str) -> list[str]:
    """The organizations closest to a name: the matcher's suggestions, else the most alike names (typos)."""
    index = kb.index()
    found = index.suggest(name, ["org"])
    if found:
        return found
    names = sorted({n for ref, n in index.names.items() if ref.kind == "org"})
    return [n for n, _score, _ in process.extract(name, names, scorer=fuzz.WRatio, limit=3, score_cutoff=75)]


def _did_you_mean(names: list[str]) -> str:
    return f" Did you mean {', '.join(names[:3])}?" if names else ""


def modality(kb: KnowledgeBase, value: Any, side: str = "input") -> str:
    """A modality among the knowledge base's values (and the usual five); "vision", "pictures" are image."""
    word = str(value).strip().lower()
    word = finder.MODALITY_WORDS.get(word, word)
    known = sorted(finder.known_modalities(kb) | set(MODALITIES))
    if word in known:
        return word
    close = process.extractOne(word, known, scorer=fuzz.ratio, score_cutoff=50)
    hint = f"Did you mean {close[0]}?" if close else f"Use one of {', '.join(known)}."
    raise Usage(f"'{value}' is not an {side} modality. {hint}")


def tokens(value: Any) -> int:
    """A context size: a number of tokens, or text such as "128k", "1M", "200,000", "1.5 million tokens"."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return value
    text = str(value).strip()
    if re.fullmatch(r"\d{1,3}(,\d{3})+", text):  # 1,000,000
        text = text.replace(",", "")
    match = _SIZE.fullmatch(text)
    scale = {"k": 1000, "thousand": 1000, "m": 1_000_000, "million": 1_000_000}
    count = int(float(match.group(1).replace(",", ".")) * scale.get((match.group(2) or "").lower(), 1)) if match else 0
    if count <= 0:
        raise Usage(f"'{value}' is not a size: give a number of tokens, e.g. 128k, 200000 or 1M.")
    return count


def price(value: Any) -> float:
    """Dollars per million input tokens: a number, or text such as "$1.5"."""
    try:
        amount = float(str(value).strip().lstrip("$").strip())
    except ValueError:
        raise Usage(f"'{value}' is not a price: give dollars per million input tokens, e.g. 1 or 0.5.") from None
    if amount < 0:
        raise Usage(f"A price is not negative ({value}): give dollars per million input tokens, e.g. 1 or 0.5.")
    return amount


def day(value: Any, last: bool) -> dt.date:
    """A date from YYYY-MM-DD, YYYY-MM or YYYY: a month or year's first day, or its ``last`` day."""
    match = _DATE.fullmatch(str(value).strip())
    if match:
        year_digits, month_digits, day_digits = match.groups()
        year = int(year_digits)  # four digits, always there
        month = (int(month_digits) if month_digits else None) or (12 if last else 1)
        mday = int(day_digits) if day_digits else None
        try:
            return dt.date(year, month, mday or (calendar.monthrange(year, month)[1] if last else 1))
        except ValueError:  # month 13, day 31 of a 30-day month
            pass
    raise Usage(f"'{value}' is not a date: use YYYY-MM or YYYY-MM-DD, e.g. 2026-03 or 2026-03-15.")


def _flag(name: str, value: Any) -> bool:
    """A yes/no option: a bool, or yes/no/true/false as text."""
    if isinstance(value, bool):
        return value
    word = str(value).strip().lower()
    if word in ("yes", "true", "1", "on"):
        return True
    if word in ("no", "false", "0", "off"):
        return False
    raise Usage(f"{name} is yes or no, not '{value}'.")
