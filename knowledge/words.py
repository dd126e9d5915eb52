"""Ordinary words versus name words, judged from word frequencies (wordfreq), not from a list.

Model and benchmark names are made of numbers, version and size tokens, coined words ("Gemini",
"CharXiv") and a few ordinary words that names of that kind use ("mini", "pro", "hard"). A word that
is frequent in everyday writing and that no name uses is an ordinary word: it ends a name.
"""

from __future__ import annotations

import re
from functools import lru_cache

COMMON_ZIPF = 4.0
"""Zipf frequency (log10 of uses per billion words) from which a word counts as ordinary: 10 per million."""

LANGUAGES = ("en", "es", "fr", "de", "pt", "it", "nl")
"""Latin-script languages whose ordinary words end names; loaded one by one, only when needed."""

_LATIN = re.compile(r"^[a-z\u00c0-\u024f\u1e00-\u1eff]+$")
_SIZE_UNITS = frozenset("bmkt")


@lru_cache(maxsize=65536)
def zipf(word: str) -> float:
    """The highest Zipf frequency of ``word`` in the languages above (0 for a word none of them uses)."""
    import wordfreq

    best = 0.0
    for lang in LANGUAGES:
        best = max(best, wordfreq.zipf_frequency(word, lang, wordlist="best"))
        if best >= COMMON_ZIPF:
            break
    return best


def is_common(word: str) -> bool:
    """Whether ``word`` is an ordinary word of a Latin-script language (digits and single letters are not)."""
    return len(word) > 1 and not word.isdigit() and zipf(word) >= COMMON_ZIPF


@lru_cache(maxsize=65536)
def is_common_english(word: str) -> bool:
    """Whether ``word`` is an ordinary English word: what a typed part of a name must not be made of only.

    English alone, because many names are ordinary words elsewhere ("Claude" in French, "Llama" in Spanish).
    """
    import wordfreq

    return len(word) > 1 and not word.isdigit() and wordfreq.zipf_frequency(word, "en") >= COMMON_ZIPF


def is_latin(word: str) -> bool:
    """Whether a normalised token is written in Latin letters or digits (the scripts of names)."""
    return word.isdigit() or bool(_LATIN.match(word))


def is_size(tokens: list[str], i: int) -> bool:
    """Whether ``tokens[i]`` starts a size token: a number followed by a size unit ("70 b", "8 x 7 b")."""
    return tokens[i].isdigit() and i + 1 < len(tokens) and tokens[i + 1] in _SIZE_UNITS | {"x"}
