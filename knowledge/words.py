"""Ordinary words versus name words, judged from word frequencies (wordfreq), not from a list.

Model and benchmark names are made of numbers, version and size tokens, coined words ("Gemini",
"CharXiv") and a few ordinary words that names of that kind use ("mini", "pro", "hard"). A word that
is frequent in everyday writing and that no name uses is an ordinary word: it ends a name.
"""

from __future__ import annotations

import re
from functools import lru_cache

COMMON_ZIPF = 4.0
"""Zipf frequency (log10 of uses per billion words) from which an English word is ordinary: 10 per million."""

FOREIGN_ZIPF = 3.0
"""The same bar, lower, for the words of a message written in another language."""

OTHER_LANGUAGES = ("es", "fr", "de", "pt", "it", "nl", "tr", "vi", "pl", "id", "sv", "da", "nb", "fi", "cs", "ro", "hu")
"""Latin-script languages a question may be written in around English names."""

_LATIN = re.compile(r"^[a-z\u00c0-\u024f\u1e00-\u1eff]+$")
_SIZE_UNITS = frozenset("bmkt")


@lru_cache(maxsize=65536)
def _zipf(word: str, lang: str) -> float:
    """Zipf frequency from wordfreq's small lists: every word used at least once per million words
    (Zipf 3), all that the bars above need, in a fraction of the full lists' memory and load time."""
    import wordfreq

    return wordfreq.zipf_frequency(word, lang, wordlist="small")


def is_common(word: str, languages: frozenset[str] = frozenset()) -> bool:
    """Whether ``word`` is an ordinary word: of English, or of a language the message is written in.

    Digits and single letters never are.
    """
    if len(word) < 2 or word.isdigit():
        return False
    if _zipf(word, "en") >= COMMON_ZIPF:
        return True
    return any(_zipf(word, lang) >= FOREIGN_ZIPF for lang in languages)


def is_common_english(word: str) -> bool:
    """Whether ``word`` is an ordinary English word: what a typed part of a name must not be made of only.

    English alone, because many names are ordinary words elsewhere ("Claude" in French, "Llama" in Spanish).
    """
    return is_common(word)


def is_foreign(word: str) -> bool:
    """A word English hardly uses and another Latin-script language uses a lot ("kostet", "combien")."""
    return _zipf(word, "en") < 2.0 and any(_zipf(word, lang) >= COMMON_ZIPF for lang in OTHER_LANGUAGES)


def languages_of(words: list[str]) -> frozenset[str]:
    """The languages other than English a message is written in: two of its words are ordinary there
    and far more frequent there than in English ("wie", "bei"; "quel", "sur").

    Other languages' word lists are read only for a message with two words uncommon in English.
    """
    candidates = [w for w in set(words) if len(w) > 1 and w.isalpha() and _zipf(w, "en") < _TRIGGER_ZIPF]
    if len(candidates) < 2:
        return frozenset()
    counts: dict[str, int] = {}
    for word in candidates:
        english = _zipf(word, "en")
        for lang in OTHER_LANGUAGES:
            if _zipf(word, lang) >= COMMON_ZIPF and _zipf(word, lang) - english >= 1.5:
                counts[lang] = counts.get(lang, 0) + 1
    return frozenset(lang for lang, n in counts.items() if n >= 2)


_TRIGGER_ZIPF = 4.2


TIER_WORDS = frozenset("""
mini nano micro tiny small medium large xl pro max ultra lite flash turbo fast instant heavy air omni
preview exp experimental beta alpha mega
""".split())
"""Words model and benchmark names across the industry use to tell siblings apart: tiers, sizes and
speeds ("GPT-4o mini", "Grok 4 Heavy"); words chat also uses otherwise ("plus", "super", "hard")
are left out. They describe names, not questions: after
a known name such a word is taken as part of a longer, unknown name, so "GPT-5.4 mini" is never
answered with GPT-5.4's figures when the knowledge base does not hold a GPT-5.4 mini."""


def is_tier_word(word: str) -> bool:
    """Whether ``word`` is one of the words names use for tiers, sizes and speeds."""
    return word in TIER_WORDS


def is_inflected(word: str) -> bool:
    """A verb or plural made from an ordinary word ("trails", "links"): what ends a name, not what names are."""
    return len(word) > 4 and word.endswith("s") and not word.endswith(("ss", "us")) and is_common(word[:-1])


def is_latin(word: str) -> bool:
    """Whether a normalised token is written in Latin letters or digits (the scripts of names)."""
    return word.isdigit() or bool(_LATIN.match(word))


def is_size(tokens: list[str], i: int) -> bool:
    """Whether ``tokens[i]`` starts a size token: a number followed by a size unit ("70 b", "8 x 7 b")."""
    return tokens[i].isdigit() and i + 1 < len(tokens) and tokens[i + 1] in _SIZE_UNITS | {"x"}
