"""Short forms of names: a part of one known name ("CharXiv", "Llama 4 Scout"), an acronym ("HLE",
"AA index"), or a part several names share ("Gemini", "Qwen3.6"), which names a family.

A typed part fits a known name when its words appear in the name in order, the name's words skipped
between them are words (numbers only when no version number was typed), and what the name adds after
them does not change what was typed: a typed number is never continued by another ("GPT-5" is not
"GPT-5.4", "GPT-4" not "GPT-4o").
A part fits *cleanly* when the name adds nothing after it, a size ("17B Instruct"), or words that are
not variant words of the knowledge base (words that tell two otherwise equal names apart, such as
"mini" when both "GPT-5" and "GPT-5 mini" exist). A version followed by a word picks a sibling
("Llama 4" of "Llama 4 Maverick"), and one word from the middle of a name ("Spark" of "Muse Spark")
may mean something else: those fit as members only. A part that fits exactly one name cleanly is
that name; otherwise every name it fits is a member of its family.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping

from knowledge.words import is_common_english, is_size

_MAX_KEYS = 4000
_ACRONYM_WORDS = range(2, 6)

Fit = str
"""How a typed part fits a key: "clean" or "member"."""


class ShortForms:
    """Looks up the names a typed part of a name fits, from the exact keys of an alias index."""

    def __init__(self, exact: Mapping[str, frozenset]):
        self.exact = exact
        self.postings: dict[str, list[str]] = defaultdict(list)
        self.initials: dict[str, list[str]] = defaultdict(list)
        for key, refs in exact.items():
            toks = key.split()
            for tok in set(toks):
                self.postings[tok].append(key)
            if any(kind != "model" for kind, _ in refs):
                self._add_initials(key, toks)
        self.variant_words = _variant_words(exact)

    def _add_initials(self, key: str, toks: list[str]) -> None:
        """Benchmark and organization names answer to the initials of their first words ("HLE")."""
        for n in _ACRONYM_WORDS:
            if n <= len(toks) and all(t.isalpha() for t in toks[:n]):
                self.initials["".join(t[0] for t in toks[:n])].append(key)

    def find(self, typed: list[str], acronym_hint: bool = False) -> tuple[set, bool]:
        """The entities a typed part fits, and whether it is one name, fitted cleanly.

        A part made only of ordinary words ("terminal bench") fits only as the beginning of a name.
        """
        if not typed:
            return set(), False
        anchored = _anchored(typed)
        fits: dict[str, Fit] = {}
        if anchored or len(typed) > 1:
            for key in self._keys_with_all(typed):
                fit = self._fit(typed, key.split(), anchored)
                if fit:
                    fits[key] = fit
        first = typed[0]
        if first.isalpha() and 2 <= len(first) <= 5 and (acronym_hint or not is_common_english(first)):
            for key in self.initials.get(first, ()):
                toks = key.split()
                fit = self._fit(toks[: len(first)] + typed[1:], toks)
                if fit and key not in fits:
                    fits[key] = fit
        refs = {ref for key in fits for ref in self.exact[key]}
        clean = len(refs) == 1 and all(f == "clean" for f in fits.values())
        return refs, clean

    def _keys_with_all(self, typed: list[str]) -> list[str]:
        lists: list[list[str]] = []
        for t in typed:
            keys = self.postings.get(t)
            if not keys:
                return []
            lists.append(keys)
        lists.sort(key=len)
        if len(lists[0]) > _MAX_KEYS:
            return []
        rest = [set(other) for other in lists[1:]]
        return [k for k in lists[0] if all(k in other for other in rest)]

    def _fit(self, typed: list[str], toks: list[str], anchored: bool = True) -> Fit | None:
        if not anchored:
            return self._tail(typed, toks[len(typed):]) if toks[: len(typed)] == typed else None
        for start in (i for i, t in enumerate(toks) if t == typed[0]):
            end = _match_from(typed, toks, start)
            if end is not None:
                fit = self._tail(typed, toks[end:])
                return "member" if fit and start > 0 and len(typed) == 1 else fit
        return None

    def _tail(self, typed: list[str], rest: list[str]) -> Fit | None:
        """Whether what a name adds after the typed part keeps its meaning: "clean", "member" or None."""
        if not rest:
            return "clean"
        if is_size(rest, 0):
            return "clean"
        if typed[-1].isdigit() and (rest[0].isdigit() or len(rest[0]) == 1):
            return "member" if rest[0].isdigit() and len(rest[0]) >= 4 else None
        if typed[-1].isdigit() or rest[0].isdigit() or any(word in self.variant_words for word in rest):
            return "member"
        return "clean"


def _match_from(typed: list[str], toks: list[str], start: int) -> int | None:
    """Where the typed words end in ``toks`` when matched in order from ``start``.

    Skipped name words may be numbers only when nothing typed is a number but sizes ("Gemma 27B" is
    "Gemma 3 27B IT", "Qwen Max" is "Qwen3.6 Max"; "GPT 5" is never "GPT-4.5").
    """
    versions_typed = any(t.isdigit() and not is_size(typed, i) for i, t in enumerate(typed))
    pos = start + 1
    for word in typed[1:]:
        while pos < len(toks) and toks[pos] != word:
            if not toks[pos].isalpha() and versions_typed:
                return None
            pos += 1
        if pos == len(toks):
            return None
        pos += 1
    return pos


def _anchored(typed: list[str]) -> bool:
    """A part names something only with a word that is no ordinary word, or a number beside a word."""
    has_digit = any(t.isdigit() for t in typed)
    return any(t.isalpha() and len(t) > 1 and (not is_common_english(t) or has_digit) for t in typed)


def _variant_words(exact: Mapping[str, frozenset]) -> frozenset[str]:
    """Last words that tell two names apart: both "X" and "X w" are names of one kind."""
    found = set()
    for key, refs in exact.items():
        head, _, last = key.rpartition(" ")
        if head and last.isalpha() and head in exact:
            kinds = {kind for kind, _ in refs}
            if kinds & {kind for kind, _ in exact[head]}:
                found.add(last)
    return frozenset(found)
