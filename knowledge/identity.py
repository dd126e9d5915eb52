"""When two model records from different sources are the same model.

A catalogue names a model "Llama 4 Maverick 17B Instruct" where a launch article says "Llama 4
Maverick": the same model, told apart only by a size and a tuning token. Two records are merged
automatically only when that is certain — same organization (or a unit of it), one name equal to
the other plus nothing but size and tuning tokens, and exactly one such model known. Anything less
certain is left for a curator: ``likely_duplicates`` lists it with the reason.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

_SEPARATORS = re.compile(r"[\s_/]+|(?<=[a-z0-9])-(?=[a-z0-9])", re.IGNORECASE)
_SIZE = re.compile(r"^(?:\d+x)?\d+(?:\.\d+)?[bmkt]$|^[ae]\d+(?:\.\d+)?b$|^\d+e$", re.IGNORECASE)
"""Parameter counts as model names write them: 17B, 8x7B, 1.5B, 270M, active A22B, effective E4B, 128E experts."""

TUNING_TOKENS = frozenset({"instruct", "it", "chat"})
"""Tokens that name how a released model was tuned for dialogue, not which model it is."""


def name_tokens(name: str) -> tuple[str, ...]:
    """A model name's words in lower case, split at spaces, underscores, slashes and hyphens between words."""
    return tuple(t for t in _SEPARATORS.split(name.lower().strip("()[] ")) if t)


def is_size(token: str) -> bool:
    """Whether a name token is a parameter count (``17b``, ``8x7b``, ``a22b``, ``e4b``, ``128e``)."""
    return bool(_SIZE.match(token))


def is_qualifier(token: str) -> bool:
    """A token that may be added to a model's name without naming another model: a size or a tuning."""
    return is_size(token) or token in TUNING_TOKENS


def core(name: str) -> tuple[str, ...]:
    """The name without its size and tuning tokens: what two names of one model share."""
    return tuple(t for t in name_tokens(name) if not is_qualifier(t))


def extends(longer: str, shorter: str) -> bool:
    """Whether ``longer`` is ``shorter`` with only size and tuning tokens added (in any place)."""
    long_tokens, short_tokens = name_tokens(longer), name_tokens(shorter)
    if len(long_tokens) <= len(short_tokens):
        return False
    rest = iter(long_tokens)
    for token in short_tokens:
        for candidate in rest:
            if candidate == token:
                break
            if not is_qualifier(candidate):
                return False
        else:
            return False
    return all(is_qualifier(t) for t in rest)


def one_model(a: str, b: str) -> bool:
    """Whether either name is the other plus only size and tuning tokens."""
    return extends(a, b) or extends(b, a)


@dataclass(frozen=True)
class Known:
    """A model already in the knowledge base, as entity resolution sees it."""

    id: int
    name: str
    root_org: int


def merge_target(name: str, root_org: int, known: Iterable[Known]) -> tuple[int | None, list[Known]]:
    """The known model a new record named ``name`` is certainly the same as, or None; and the near
    misses (same organization, same core name) a curator should look at.

    Certain means: exactly one known model of the same organization family shares the record's
    core name, and one of the two names is the other plus only size and tuning tokens. Two known
    models with that core ("Gemma 4 31B" and "Gemma 4 E4B") make a bare "Gemma 4" uncertain.
    """
    wanted = core(name)
    if not wanted:
        return None, []
    same_core = [k for k in known if k.root_org == root_org and core(k.name) == wanted]
    if len(same_core) == 1 and one_model(name, same_core[0].name):
        return same_core[0].id, []
    return None, same_core
