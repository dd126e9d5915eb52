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
from collections.abc import Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import cached_property, lru_cache
from typing import NamedTuple

from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from knowledge.shortforms import ShortForms
from knowledge.words import is_common, is_inflected, is_latin, is_tier_word, languages_of


class Ref(NamedTuple):
    """An entity: its kind ("org", "model" or "benchmark") and its id. Still a tuple, so it equals and
    hashes like ``("model", 3)``."""

    kind: str
    id: int


_LATIN_LETTERS = "a-zA-Z\u00c0-\u024f\u1e00-\u1eff"
_TOKEN = re.compile(rf"[{_LATIN_LETTERS}]+|\d+|\+|[^\W\d_{_LATIN_LETTERS}]+")
_BOUNDARY = re.compile(r"[,;:?!\[\]{}\"“”/|—–，。？！、；：\n]|\.\s")
_JOINERS = re.compile(r"[-._]*")
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
    """A word or number of running text, with its place and how it touches the token before it.

    ``boundary_before``: punctuation such as a comma separates it from the token before.
    ``joined``: nothing but "-", "." or "_" separates them ("GPT-5.4", "v9", "70b", "R+").
    ``upper``: written in capitals ("HLE"), a hint that a short word is an acronym; ``cap``: begins with one.
    """

    norm: str
    start: int
    end: int
    boundary_before: bool
    joined: bool = False
    upper: bool = False
    cap: bool = False
    raw: str = ""
    """The word as written, lower-cased but with its accents ("coûte"), for word-frequency look-ups."""

    @property
    def latin(self) -> bool:
        """Whether the token is in the scripts names are written in (Latin letters, digits)."""
        return is_latin(self.norm)


def tokenize(text: str) -> list[Token]:
    """Split text into normalised words and numbers, remembering clause boundaries such as commas.

    Letters and digits are separate tokens ("gpt5" is "gpt", "5"), and so are Latin and other scripts
    ("Spark的" is "spark", "的"); a possessive "'s" is dropped; a "+" written onto a name is the word
    "plus" ("Command R+" is "command r plus"), anywhere else it is ignored.
    """
    tokens: list[Token] = []
    last_end = 0
    for match in _TOKEN.finditer(text):
        word = match.group()
        gap = text[last_end : match.start()]
        if word in ("s", "S") and tokens and len(gap) == 1 and gap in _APOSTROPHES:
            continue
        if word == "+":
            if not tokens or gap or not tokens[-1].latin:
                continue
            word = "plus"
        boundary = bool(tokens) and bool(_BOUNDARY.search(gap))
        norm = _fold(word)
        joined = bool(tokens) and _JOINERS.fullmatch(gap) is not None and tokens[-1].latin and is_latin(norm)
        tokens.append(Token(norm, match.start(), match.end(), boundary, joined, len(word) > 1 and word.isupper(),
                            word[0].isupper(), word.lower()))
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

    def near(self, word: str, min_length: int | None = None, loose: bool = False) -> list[str]:
        """Known words one edit (OSA distance) from ``word``; a 3-letter word only by transposition, a
        4-letter one by transposition, a missing or an extra letter (short names differ by one letter),
        unless ``loose`` (for suggestions, which are offered, never taken)."""
        min_length = self.min_length if min_length is None else min_length
        if word in self.words or not word.isalpha() or len(word) < 3:
            return []
        index = self._index()
        found = {cand for v in _variants(word) for cand in index.get(v, ())}
        if len(word) < min_length:
            return sorted(c for c in found if sorted(c) == sorted(word) and c != word)
        close = [c for c in found if OSA.distance(word, c) == 1]
        if len(word) <= 4 and not loose:  # "gqpa" is "gpqa", "lama" is "llama", but "mmlu" is not "mmmu"
            close = [c for c in close if len(c) != len(word) or sorted(c) == sorted(word)]
        return sorted(close)


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

    ``status`` is "exact", "fuzzy" or "short" (a part of one name; ``refs`` holds the entities
    reached: one per kind, normally), "family" (a part several names of one kind share: ``refs`` are
    the members), "ambiguous" (several entities share the name), "extended" (a known name followed
    by more name-like words, so the longer name is unknown) or "unknown" (name-like words that match
    nothing).
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
        """Whether the mention names one entity per kind: exactly, through a corrected typo, or a short form."""
        return self.status in ("exact", "fuzzy", "short")

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
            ref = Ref(kind, entity_id)
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
        return self._resolve_short(text, toks, allowed)

    def _resolve_short(self, text: str, toks: list[str], allowed: set[str] | None) -> Resolution:
        """A part of one name resolves to it ("Llama 4 Scout"); a part several share is ambiguous."""
        found, clean = self.short_forms.find(toks, text.strip().isupper())
        found = {r for r in found if allowed is None or r[0] in allowed}
        if len(found) == 1 and clean:
            ref = next(iter(found))
            return Resolution("exact", ref, [ref])
        if found:
            ordered = sorted(found, key=lambda r: self.names[r])
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
            words.update(self.vocab.near(tok, loose=True))
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

    @cached_property
    def short_forms(self) -> ShortForms:
        """Parts of names, acronyms and families (see ``knowledge.shortforms``)."""
        return ShortForms(self.exact)

    def find_mentions(self, text: str, words: Lexicon, phrases: frozenset[tuple[str, ...]] = frozenset()
                      ) -> list[Mention]:
        """Names in running text, leftmost-longest.

        ``words`` are the question's own words and ``phrases`` its multi-word phrases ("max output"):
        neither is ever part of a name. A name ends at the first word that does not look like part
        of a name of its kind (see ``_continues``).
        """
        toks = tokenize(text)
        langs = languages_of([t.raw for t in toks if t.latin and t.norm not in self.vocab and t.norm not in words])
        scan = _Scan(text, toks, [self._readings(t.norm, words) for t in toks], words, phrases, langs)
        mentions: list[Mention] = []
        leftover: list[int] = []
        i = 0
        while i < len(toks):
            found = self._mention_at(scan, i) if toks[i].latin else None
            if found is None:
                leftover.append(i)
                i += 1
                continue
            mention, i = found
            mentions.append(mention)
        leftover = self._elliptical(scan, mentions, leftover)
        mentions.extend(self._unknown_runs(scan, leftover))
        return sorted(mentions, key=lambda m: m.start)

    def _elliptical(self, scan: _Scan, mentions: list[Mention], leftover: list[int]) -> list[int]:
        """Names said in short after another ("Gemini 2.5 Pro vs Flash", "GPT-5.5 or the mini"): the
        words after a connector extend, or replace the end of, the name before it when that makes a
        known name."""
        ends = {m.end: m for m in mentions if m.resolved}
        taken: set[int] = set()
        for i in leftover:
            if i in taken or i < 2 or scan.toks[i - 1].norm not in _CONNECTORS:
                continue
            k = i - 2
            while k > 0 and i - k <= 3 and scan.toks[k].end not in ends and scan.toks[k].norm in scan.words:
                k -= 1  # "GPT-5.5 better than mini"
            before = ends.get(scan.toks[k].end)
            if before is None:
                continue
            j = i
            while j < len(scan.toks) and j in leftover and scan.toks[j].norm in self.vocab and j - i < 3:
                j += 1
            found = self._replace_end(before, [t.norm for t in scan.toks[i:j]])
            if found is not None:
                span, start, stop = scan.span(i, j)
                mentions.append(Mention(span, start, stop, "short", [found]))
                taken.update(range(i, j))
        return [i for i in leftover if i not in taken]

    def _replace_end(self, before: Mention, words: list[str]) -> Ref | None:
        if not words or len(before.refs) != 1:
            return None
        head = normalize(self.names[before.refs[0]]).split()
        for keep in range(len(head), 0, -1):
            refs = self.exact.get(" ".join(head[:keep] + words), frozenset())
            same_kind = [r for r in refs if r[0] == before.refs[0][0]]
            if len(same_kind) == 1 and same_kind[0] != before.refs[0]:
                return same_kind[0]
        return None

    def _mention_at(self, scan: _Scan, i: int) -> tuple[Mention, int] | None:
        """The name starting at token ``i`` and the token after it, or None."""
        hit = self._longest(scan.toks, scan.readings, i)
        if hit is None and not self._starts_name(scan, i):
            return None
        length, refs, cost = hit or (0, set(), 0)
        kinds = {kind for kind, _ in refs} or _KINDS
        end = self._name_end(scan, i + length, kinds) if hit else self._before_next_name(scan, i)
        if end > i + length and scan.predicate(i, end - 1):
            end -= 1
        if hit and end == i + length:
            return self._mention(scan, i, end, refs, cost), end
        for j in range(end, i + length, -1):
            typed = [self._spelt(t) for t in scan.toks[i:j]]
            found, clean = self.short_forms.find(typed, scan.toks[i].upper)
            if found:
                tail = self._name_end(scan, j, {kind for kind, _ in found})
                if tail > j:
                    return self._extended(scan, i, tail, found), tail
                return self._short(scan, i, j, found, clean), j
        if hit:
            return self._extended(scan, i, end, refs), end
        span_toks = scan.toks[i:end]
        if end - i > 1 and any(t.norm.isdigit() or t.norm == "plus" for t in span_toks) \
                and any(t.norm.isalpha() and len(t.norm) > 1 and t.norm != "plus" for t in span_toks):
            span, start, stop = scan.span(i, end)
            return Mention(span, start, stop, "unknown", [], self.suggest(span)), end
        return None

    def _before_next_name(self, scan: _Scan, i: int) -> int:
        """Where a name nothing matched at ``i`` ends: at the first word that does not continue it, or
        where a known name begins ("kostet Claude Opus 4.1")."""
        end = self._name_end(scan, i + 1, _KINDS)
        for k in range(i + 1, end):
            if self._longest(scan.toks, scan.readings, k):
                return k
        return end

    def _longest(self, toks, readings, i) -> tuple[int, set[Ref], int] | None:
        limit = min(self.max_tokens, len(toks) - i)
        for j in range(i + 1, i + limit):
            if toks[j].boundary_before or not toks[j].latin:
                limit = j - i
                break
        for length in range(limit, 0, -1):
            refs, cost = self._match(readings[i : i + length])
            if refs:
                return length, refs, cost
        return None

    def _spelt(self, tok: Token) -> str:
        """A token as names spell it: a word no name uses, one edit from exactly one that names do ("lama")."""
        if tok.norm in self.vocab or tok.norm.isdigit() or tok.upper:
            return tok.norm
        near = self.vocab.near(tok.norm)
        return near[0] if len(near) == 1 else tok.norm

    def _starts_name(self, scan: _Scan, i: int) -> bool:
        """Whether a token nothing matched may begin a name: a word that is no question word, or a
        name word that the next token continues ("Command A+", where "command" is also a question word)."""
        norm = scan.toks[i].norm
        if norm.isdigit() and not (i + 1 < len(scan.toks) and scan.toks[i + 1].joined
                                   and scan.toks[i + 1].norm.isalpha()):
            return False  # names do not begin with a bare number ("2024 GPT-4o"), only with one like "4o"
        if norm in scan.words or scan.starts_phrase(i):
            return norm in self.vocab and i + 1 < len(scan.toks) and (
                (scan.toks[i + 1].joined and scan.toks[i + 1].norm.isdigit()) or scan.version_letter(i + 1))
        if norm not in self.vocab and is_common(scan.toks[i].raw, scan.langs):
            return False
        return not scan.words.near(norm, min_length=5)

    def _name_end(self, scan: _Scan, j: int, kinds: AbstractSet[str]) -> int:
        """The first token from ``j`` on that does not continue a name of one of ``kinds``."""
        while j < len(scan.toks) and self._continues(scan, j, kinds):
            j += 1
        return j

    def _continues(self, scan: _Scan, j: int, kinds: AbstractSet[str]) -> bool:
        """Whether token ``j`` belongs to the name before it, judged by what names look like.

        Numbers, tokens written onto the name ("-mini", "4o", "R+") and version tokens ("v2") do; a
        question word or phrase does not; a word other names use continues a name of the kinds
        that use it (model names often begin with their maker's name); a word that names something
        of another kind does not ("HLE" after a model), nor a short lower-case word ("ngl"). A word
        the industry names siblings with ("mini", "heavy") does, even when no name here uses it: an
        unknown sibling is never read as the name before it. Any other word continues a capitalised name
        when it is capitalised too ("Fugu Mega"), and in a message in another language never when it
        is not ("Mistral Medium 3 veröffentlicht"); otherwise it continues the name unless it is an
        ordinary word of English or of the language the message is written in.
        """
        tok = scan.toks[j]
        if tok.boundary_before or not tok.latin:
            return False
        if tok.norm.isdigit() or tok.joined or scan.version_letter(j):
            return True
        if tok.norm in scan.words or scan.starts_phrase(j):
            return False
        if tok.norm in self.vocab:
            name_kinds = kinds | {"model"} if "org" in kinds else kinds
            if not self.word_kinds.get(tok.norm, set()) & name_kinds:
                return False
            other = self._longest(scan.toks, scan.readings, j)
            return other is None or bool({kind for kind, _ in other[1]} & name_kinds)
        if is_tier_word(tok.norm):
            return not scan.next_is(j, _MODE_WORDS)
        if (len(tok.norm) <= 3 and not tok.upper) or scan.words.near(tok.norm, min_length=5) \
                or self._names_another(scan, j, kinds):
            return False
        if scan.cased_name(j):
            if tok.cap:
                return True
            if scan.langs:
                return False
        return not is_common(tok.raw, scan.langs) and not is_inflected(tok.raw)

    def _names_another(self, scan: _Scan, j: int, kinds: AbstractSet[str]) -> bool:
        """Whether a word is, or is a misspelling or short form of, a name of another kind ("HLE", "gqpa")."""
        norm = scan.toks[j].norm
        near = {k for w in self.vocab.near(norm) for k in self.word_kinds.get(w, ())}
        if near and not near & kinds:
            return True
        found, _ = self.short_forms.find([norm], scan.toks[j].upper)
        return bool(found) and not {kind for kind, _ in found} & kinds

    def _mention(self, scan: _Scan, i: int, end: int, refs: set[Ref], cost: int) -> Mention:
        span, start, stop = scan.span(i, end)
        kinds = [r[0] for r in refs]
        if len(set(kinds)) < len(kinds):
            names = sorted(self.names[r] for r in refs)
            return Mention(span, start, stop, "ambiguous", sorted(refs), names)
        return Mention(span, start, stop, "exact" if cost == 0 else "fuzzy", sorted(refs))

    def _short(self, scan: _Scan, i: int, end: int, refs: set[Ref], clean: bool) -> Mention:
        span, start, stop = scan.span(i, end)
        if clean:
            return Mention(span, start, stop, "short", sorted(refs))
        kinds = {kind for kind, _ in refs}
        ordered = sorted(refs, key=lambda r: self.names[r])
        status = "family" if len(kinds) == 1 else "ambiguous"
        return Mention(span, start, stop, status, ordered, [self.names[r] for r in ordered])

    def _extended(self, scan: _Scan, i: int, end: int, refs: set[Ref]) -> Mention:
        span, start, stop = scan.span(i, end)
        out = sorted(self.names[r] for r in refs)[:3]
        for name in self.suggest(span, limit=3):
            if name not in out:
                out.append(name)
        return Mention(span, start, stop, "extended", sorted(refs), out[:3])

    def _unknown_runs(self, scan: _Scan, leftover: list[int]) -> list[Mention]:
        """Runs of leftover tokens that look like names; ``namey`` when one has a digit or is a misspelt name word."""
        runs: list[list[int]] = []
        for i in leftover:
            if not self._maybe_name(scan, i):
                continue
            tok = scan.toks[i]
            if runs and runs[-1][-1] == i - 1 and not tok.boundary_before:
                runs[-1].append(i)
            else:
                runs.append([i])
        mentions = []
        for run in runs:
            norms = [scan.toks[i].norm for i in run]
            raws = [scan.toks[i].raw for i in run]
            words = [(n, r) for n, r in zip(norms, raws) if not n.isdigit() and n not in _SIZE_LETTERS and n != "plus"]
            if all(n not in self.vocab and (len(n) == 1 or is_common(r, scan.langs)) for n, r in words):
                continue  # numbers and ordinary words: "200k+", "the 3 oldest"
            span, start, stop = scan.span(run[0], run[-1] + 1)
            namey = any(n.isdigit() or (n not in self.vocab and self.vocab.near(n)) for n in norms) \
                or any(scan.toks[i].upper and len(scan.toks[i].norm) >= 4 for i in run)
            mentions.append(Mention(span, start, stop, "unknown", [], self.suggest(span), namey))
        return mentions

    def _maybe_name(self, scan: _Scan, i: int) -> bool:
        tok = scan.toks[i]
        if scan.version_letter(i):
            return True
        if not tok.latin or tok.norm in scan.words:
            return False
        return tok.norm.isdigit() or not scan.words.near(tok.norm, min_length=5)


_KINDS = frozenset({"org", "model", "benchmark"})
_SIZE_LETTERS = frozenset("kmbt")
_CONNECTORS = frozenset({"vs", "versus", "v", "or", "and", "against", "to", "than"})
_MODE_WORDS = frozenset({"mode", "modes", "setting", "settings", "version"})
_COPULAS = frozenset({"is", "are", "was", "were", "isn", "aren", "wasn", "s"})


@dataclass
class _Scan:
    """The tokens of one text being searched for names, with the question's own words."""

    text: str
    toks: list[Token]
    readings: list
    words: Lexicon
    phrases: frozenset[tuple[str, ...]]
    langs: frozenset[str] = frozenset()
    """Languages other than English the text is written in (see ``knowledge.words.languages_of``)."""

    def span(self, i: int, end: int) -> tuple[str, int, int]:
        """The text of tokens ``i`` to ``end`` (a bracket the name opened is closed: "GPT-4o (2024-11-20)")."""
        start, stop = self.toks[i].start, self.toks[end - 1].end
        if self.text.count("(", start, stop) > self.text.count(")", start, stop) and self.text[stop:stop + 1] == ")":
            stop += 1
        return self.text[start:stop], start, stop

    def starts_phrase(self, j: int) -> bool:
        """Whether a multi-word question phrase ("max output") starts at token ``j``."""
        return any(tuple(t.norm for t in self.toks[j : j + len(phrase)]) == phrase for phrase in self.phrases)

    def next_is(self, j: int, words: frozenset[str]) -> bool:
        """Whether the token after ``j`` is one of ``words`` ("fast mode": a mode, not a name)."""
        return j + 1 < len(self.toks) and self.toks[j + 1].norm in words

    def predicate(self, start: int, last: int) -> bool:
        """Whether the last word of a name is said of it instead: "is Muse Spark fast?" (a copula before
        the name, the word ending the clause)."""
        ends_clause = last + 1 == len(self.toks) or self.toks[last + 1].boundary_before
        return ends_clause and start > 0 and self.toks[start - 1].norm in _COPULAS and is_common(self.toks[last].raw)

    def cased_name(self, j: int) -> bool:
        """Whether the writer capitalises names: the name before token ``j`` begins with a capital."""
        i = j - 1
        while i > 0 and not self.toks[i].boundary_before and (self.toks[i].joined or self.toks[i].norm.isdigit()):
            i -= 1
        return self.toks[i].cap and not self.text.isupper()

    def version_letter(self, j: int) -> bool:
        """A single letter with a number or "+" written onto it: "v2", "M9", "K2", "A+"."""
        nxt = j + 1
        return len(self.toks[j].norm) == 1 and nxt < len(self.toks) and self.toks[nxt].joined \
            and (self.toks[nxt].norm.isdigit() or self.toks[nxt].norm == "plus")


def _without_first_word(key: str) -> str | None:
    parts = key.split()
    if len(parts) >= 3 and parts[0].isalpha() and parts[1].isalpha():
        return " ".join(parts[1:])
    return None
