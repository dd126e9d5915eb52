"""Names to entities: normalise, exact alias index, token-level typo correction, clear winner.

Pure functions and an in-memory index, no I/O. The index is built once per knowledge-base version.

How a name is resolved, cheapest first:
1. Normalise: case, accents, punctuation and letter/digit boundaries are ignored, so "GPT-5.4",
   "gpt5.4" and "gpt 5 4" are one key, and so are "claude-opus-4-6" and "Claude Opus 4.6".
2. Exact: the key is a known name or alias. Models and benchmarks also answer to their name
   without its first word ("Opus 4.6"), unless that shorter key is taken or shared.
3. Spelling: each word that is not a known name word is corrected to known name words one edit
   away (a symmetric-deletion index, so no scorer runs over every alias). Numbers are never
   corrected: "GPT-5.9" is not "GPT-5.4". The corrected key must then be an exact key, and the
   entities reached at the lowest cost must be exactly one (the clear-winner rule).
4. Otherwise the name is unknown, and ``suggest`` offers the closest names as "did you mean".

In running text, mentions are found leftmost-longest, and a mention followed by more name-like
words ("GPT-5.4 mini" when only GPT-5.4 is known) is not taken for the shorter name.
"""

from __future__ import annotations

import bisect
import itertools
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import Iterable

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

Ref = tuple[str, int]
"""An entity: its kind ("org", "model" or "benchmark") and its id."""

_TOKEN = re.compile(r"[^\W\d_]+|\d+")
_BOUNDARY = re.compile(r"[,;:?!()\[\]{}\"“”/|—–]|\.\s")
_APOSTROPHES = ("'", "’")
_MAX_COMBOS = 64
_MAX_POSTINGS = 400


def _fold(word: str) -> str:
    if word.isascii():
        return word.lower()
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@dataclass(frozen=True)
class Token:
    """A word or number of running text, with its place and whether punctuation precedes it."""

    norm: str
    start: int
    end: int
    boundary_before: bool


def tokenize(text: str) -> list[Token]:
    """Split text into normalised words and numbers, remembering clause boundaries such as commas.

    Letters and digits are separate tokens ("gpt5" is "gpt", "5"); a possessive "'s" is dropped.
    """
    tokens: list[Token] = []
    last_end = 0
    for match in _TOKEN.finditer(text):
        word = match.group()
        if word in ("s", "S") and tokens and match.start() == last_end + 1 \
                and text[last_end] in _APOSTROPHES:
            continue
        boundary = bool(tokens) and bool(_BOUNDARY.search(text[last_end : match.start()]))
        tokens.append(Token(_fold(word), match.start(), match.end(), boundary))
        last_end = match.end()
    return tokens


@lru_cache(maxsize=65536)
def normalize(text: str) -> str:
    """The matching key of a name: lower-case words and numbers joined by single spaces."""
    return " ".join(t.norm for t in tokenize(text))


def compact(key: str) -> str:
    """A key with the spaces between two words removed ("health bench" -> "healthbench")."""
    parts = key.split()
    out = parts[:1]
    for tok in parts[1:]:
        if tok.isalpha() and out[-1].isalpha():
            out[-1] += tok
        else:
            out.append(tok)
    return " ".join(out)


class Lexicon:
    """A set of words with a lazily built symmetric-deletion index for one-edit corrections."""

    def __init__(self, words: Iterable[str], min_length: int = 4):
        self.words = frozenset(words)
        self.min_length = min_length
        self._deletes: dict[str, list[str]] | None = None

    def __contains__(self, word: str) -> bool:
        return word in self.words

    def _index(self) -> dict[str, list[str]]:
        if self._deletes is None:
            deletes: dict[str, list[str]] = defaultdict(list)
            for word in self.words:
                if len(word) >= self.min_length - 1 and word.isalpha():
                    for variant in _variants(word):
                        deletes[variant].append(word)
            self._deletes = dict(deletes)
        return self._deletes

    def near(self, word: str, min_length: int | None = None) -> list[str]:
        """Known words one edit (OSA distance) from ``word``; a 3-letter word only by transposition."""
        min_length = self.min_length if min_length is None else min_length
        if word in self.words or not word.isalpha() or len(word) < 3:
            return []
        index = self._index()
        found = {cand for v in _variants(word) for cand in index.get(v, ())}
        if len(word) < min_length:
            return sorted(c for c in found if sorted(c) == sorted(word) and c != word)
        return sorted(c for c in found if OSA.distance(word, c) == 1)


def _variants(word: str) -> set[str]:
    return {word} | {word[:i] + word[i + 1 :] for i in range(len(word))}


@dataclass
class Resolution:
    """The outcome of resolving one name: a single entity or suggestions."""

    status: str  # "exact", "fuzzy", "ambiguous" or "unknown"
    ref: Ref | None = None
    candidates: list[Ref] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)

    @property
    def found(self) -> bool:
        return self.ref is not None


@dataclass
class Mention:
    """A name found in running text.

    ``status`` is "exact" or "fuzzy" (``refs`` holds the entities reached: one per kind, normally),
    "ambiguous" (several entities share the name), "extended" (a known name followed by more
    name-like words, so the longer name is unknown) or "unknown" (name-like words that match nothing).
    """

    text: str
    start: int
    end: int
    status: str
    refs: list[Ref] = field(default_factory=list)
    suggestions: list[str] = field(default_factory=list)
    namey: bool = True

    @property
    def resolved(self) -> bool:
        return self.status in ("exact", "fuzzy")

    def ref_of(self, kind: str) -> Ref | None:
        """The entity of that kind this mention resolved to, if exactly one."""
        refs = [r for r in self.refs if r[0] == kind]
        return refs[0] if self.resolved and len(refs) == 1 else None


class AliasIndex:
    """Every name and alias of the knowledge base, indexed for exact, corrected and fuzzy lookup."""

    def __init__(self, rows: Iterable[tuple]):
        """Build from (kind, entity id, name or alias, is the display name[, normalised key]) rows."""
        self.names: dict[Ref, str] = {}
        exact: dict[str, set[Ref]] = defaultdict(set)
        derived: dict[str, set[Ref]] = defaultdict(set)
        for kind, entity_id, alias, is_name, *stored in rows:
            ref = (kind, entity_id)
            key = stored[0] if stored else normalize(alias)
            if not key:
                continue
            if is_name or ref not in self.names:
                self.names[ref] = alias
            exact[key].add(ref)
            short = _without_first_word(key)
            if kind != "org" and short:
                derived[short].add(ref)
        self.exact = {k: frozenset(v) for k, v in exact.items()}
        self.derived = {k: frozenset(v) for k, v in derived.items() if k not in self.exact}
        self.word_kinds: dict[str, set[str]] = defaultdict(set)
        for key, refs in self.exact.items():
            for tok in key.split():
                self.word_kinds[tok].update(kind for kind, _ in refs)
        self.max_tokens = max((len(k.split()) for k in self.exact), default=1)
        self.vocab = Lexicon(t for t in self.word_kinds if t.isalpha())

    # Built on first use: only misspelled names, suggestions and autocomplete need them.

    @cached_property
    def compacted(self) -> dict[str, frozenset[Ref]]:
        """Keys with the spaces between words removed, for "health bench" vs "HealthBench"."""
        compacted: dict[str, set[Ref]] = defaultdict(set)
        for key, refs in self.exact.items():
            compacted[compact(key)].update(refs)
        return {k: frozenset(v) for k, v in compacted.items()}

    @cached_property
    def postings(self) -> dict[str, list[str]]:
        """Word -> the keys that contain it."""
        postings: dict[str, list[str]] = defaultdict(list)
        for key in itertools.chain(self.exact, self.derived):
            for tok in set(key.split()):
                postings[tok].append(key)
        return dict(postings)

    @cached_property
    def _sorted_keys(self) -> list[str]:
        return sorted(self.exact)

    def __len__(self) -> int:
        return len(self.names)

    def name(self, ref: Ref) -> str:
        """The display name of an entity."""
        return self.names[ref]

    def refs_of_key(self, key: str) -> frozenset[Ref]:
        """Entities whose name or alias has exactly this normalised key (derived aliases included)."""
        return self.exact.get(key) or self.derived.get(key) or frozenset()

    def _readings(self, tok: str, words: Lexicon | None) -> list[tuple[str, int]]:
        if tok.isdigit() or tok in self.vocab or (words is not None and tok in words):
            return [(tok, 0)]
        return [(tok, 0)] + [(c, 1) for c in self.vocab.near(tok)[:3]]

    def _match(self, readings: list[list[tuple[str, int]]]) -> tuple[set[Ref], int]:
        """Entities reachable from a span's readings at the lowest cost, and that cost."""
        best: set[Ref] = set()
        best_cost = 99
        for combo in itertools.islice(itertools.product(*readings), _MAX_COMBOS):
            cost = sum(c for _, c in combo)
            if cost > best_cost:
                continue
            refs = self.refs_of_key(" ".join(t for t, _ in combo))
            if refs:
                if cost < best_cost:
                    best, best_cost = set(refs), cost
                else:
                    best |= refs
        if not best:
            squeezed = self.compacted.get(compact(" ".join(r[0][0] for r in readings)))
            if squeezed:
                return set(squeezed), 1
        return best, best_cost

    def resolve(self, text: str, kinds: Iterable[str] | None = None) -> Resolution:
        """Resolve a whole string to one entity of the given kinds, or explain why not."""
        allowed = set(kinds) if kinds else None
        toks = normalize(text).split()
        if not toks:
            return Resolution("unknown")
        refs, cost = self._match([self._readings(t, None) for t in toks])
        if allowed is not None:
            refs = {r for r in refs if r[0] in allowed}
        if len(refs) == 1:
            ref = next(iter(refs))
            return Resolution("exact" if cost == 0 else "fuzzy", ref, [ref])
        if refs:
            ordered = sorted(refs, key=lambda r: self.names[r])
            return Resolution("ambiguous", None, ordered, [self.names[r] for r in ordered])
        return Resolution("unknown", suggestions=self.suggest(text, allowed))

    def suggest(self, text: str, kinds: Iterable[str] | None = None, limit: int = 3) -> list[str]:
        """The closest known names to ``text``, best first: the "did you mean" list."""
        allowed = set(kinds) if kinds else None
        key = normalize(text)
        if not key:
            return []
        words = {t for t in key.split() if not t.isdigit()}
        for tok in list(words):
            words.update(self.vocab.near(tok))
        tokens = words if words else set(key.split())
        lists = sorted((self.postings.get(t, ()) for t in tokens), key=len)
        pool: set[str] = set()
        for keys in lists:
            if pool and len(pool) + len(keys) > _MAX_POSTINGS:
                break
            pool.update(keys[:_MAX_POSTINGS])
        if not pool:
            return []
        ranked = process.extract(key, list(pool), scorer=fuzz.WRatio, limit=limit * 4, score_cutoff=55)
        out: list[str] = []
        for cand, _score, _ in ranked:
            for ref in sorted(self.refs_of_key(cand)):
                name = self.names[ref]
                if (allowed is None or ref[0] in allowed) and name not in out:
                    out.append(name)
        return out[:limit]

    def complete(self, prefix: str, kinds: Iterable[str] | None = None, limit: int = 25) -> list[str]:
        """Names for autocomplete: those starting with ``prefix`` first, then close matches."""
        allowed = set(kinds) if kinds else None
        key = normalize(prefix)
        out: list[str] = []

        def add(refs: Iterable[Ref]) -> None:
            for ref in sorted(refs):
                name = self.names[ref]
                if (allowed is None or ref[0] in allowed) and name not in out:
                    out.append(name)

        start = bisect.bisect_left(self._sorted_keys, key)
        for k in self._sorted_keys[start:]:
            if not k.startswith(key) or len(out) >= limit:
                break
            add(self.exact[k])
        if len(out) < limit and key:
            for name in self.suggest(prefix, allowed, limit):
                if name not in out:
                    out.append(name)
        return out[:limit]

    def find_mentions(self, text: str, words: Lexicon) -> list[Mention]:
        """Names in running text, leftmost-longest; ``words`` are the question's own words."""
        toks = tokenize(text)
        readings = [self._readings(t.norm, words) for t in toks]
        mentions: list[Mention] = []
        leftover: list[int] = []
        i = 0
        while i < len(toks):
            hit = self._longest(toks, readings, i)
            if hit is None:
                leftover.append(i)
                i += 1
                continue
            length, refs, cost = hit
            end = i + length
            kinds = {kind for kind, _ in refs}
            while end < len(toks) and self._continues_name(toks[end], words, kinds) \
                    and self._longest(toks, readings, end) is None:
                end += 1
            mentions.append(self._mention(text, toks, i, i + length, end, refs, cost))
            i = end
        mentions.extend(self._unknown_runs(text, toks, leftover, words))
        return sorted(mentions, key=lambda m: m.start)

    def _longest(self, toks, readings, i) -> tuple[int, set[Ref], int] | None:
        limit = min(self.max_tokens, len(toks) - i)
        for j in range(i + 1, i + limit):
            if toks[j].boundary_before:
                limit = j - i
                break
        for length in range(limit, 0, -1):
            refs, cost = self._match(readings[i : i + length])
            if refs:
                return length, refs, cost
        return None

    def _continues_name(self, tok: Token, words: Lexicon, kinds: set[str]) -> bool:
        """Whether a word after a found name may belong to a longer, unknown name of the same kind.

        Numbers and unknown words may; a word of other names only if names of this kind use it.
        """
        if tok.boundary_before or tok.norm in words:
            return False
        if tok.norm.isdigit():
            return True
        if tok.norm in self.vocab:
            return bool(self.word_kinds.get(tok.norm, set()) & kinds)
        return not words.near(tok.norm, min_length=5)

    def _mention(self, text, toks, i, matched_end, end, refs, cost) -> Mention:
        span = text[toks[i].start : toks[end - 1].end]
        names = sorted(self.names[r] for r in refs)
        if end > matched_end:
            return Mention(span, toks[i].start, toks[end - 1].end, "extended", sorted(refs),
                           self._extended_suggestions(span, names))
        kinds = [r[0] for r in refs]
        if len(set(kinds)) < len(kinds):
            return Mention(span, toks[i].start, toks[end - 1].end, "ambiguous", sorted(refs), names)
        status = "exact" if cost == 0 else "fuzzy"
        return Mention(span, toks[i].start, toks[end - 1].end, status, sorted(refs))

    def _extended_suggestions(self, span: str, names: list[str]) -> list[str]:
        out = list(names)
        for name in self.suggest(span, limit=3):
            if name not in out:
                out.append(name)
        return out[:3]

    def _unknown_runs(self, text, toks, leftover, words: Lexicon) -> list[Mention]:
        runs: list[list[int]] = []
        for i in leftover:
            tok = toks[i]
            if tok.norm in words or (not tok.norm.isdigit() and words.near(tok.norm, min_length=5)):
                continue
            if runs and runs[-1][-1] == i - 1 and not tok.boundary_before:
                runs[-1].append(i)
            else:
                runs.append([i])
        mentions = []
        for run in runs:
            norms = [toks[i].norm for i in run]
            if all(n.isdigit() for n in norms):
                continue
            span = text[toks[run[0]].start : toks[run[-1]].end]
            namey = any(n.isdigit() or n in self.vocab or self.vocab.near(n) for n in norms)
            mentions.append(Mention(span, toks[run[0]].start, toks[run[-1]].end, "unknown", [],
                                    self.suggest(span), namey))
        return mentions


def _without_first_word(key: str) -> str | None:
    parts = key.split()
    if len(parts) >= 3 and parts[0].isalpha() and parts[1].isalpha():
        return " ".join(parts[1:])
    return None
