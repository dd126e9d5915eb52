"""Reading models.dev data with its types checked: every wrong value is a one-line error naming the entry.

A missing field and ``null`` both mean "not given"; a value of the wrong type, an impossible date or a
negative count is an error naming the entry, the field and the problem. The converter leaves that entry
out and keeps the rest of the catalogue.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import re
from dataclasses import dataclass
from typing import Any

from knowledge.packformat import INT32_MAX, MAX_DEPTH, depth_of, printable, strip_bidi, unsafe_char

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


class ModelsDevError(Exception):
    """models.dev data that cannot be converted; ``str()`` is one line naming the entry and field.

    ``key`` is the catalogue entry at fault, when one is: that entry is left out and the rest kept.
    """

    def __init__(self, message: str, key: str | None = None):
        super().__init__(message)
        self.key = key


class BadValue(ModelsDevError):
    """A value of the right type that the knowledge base cannot hold (a count beyond its 32-bit columns, the
    year 0, a control character, nesting too deep).

    Its entry is left out like one with a value of the wrong type (a plain ModelsDevError), but it still
    reads as catalogue data: a catalogue whose entries all fail with plain errors is not a catalogue at all.
    """


def is_url(text: str) -> bool:
    """Whether a reference is a web address rather than a title."""
    return text.startswith(("http://", "https://"))


def load_object(raw: bytes | str | dict) -> dict:
    """The top-level JSON object of the data, or ModelsDevError if it is not one."""
    if isinstance(raw, dict):
        return raw
    if isinstance(raw, (bytes, bytearray)):
        try:
            raw = bytes(raw).decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise ModelsDevError(f"models.dev data is not UTF-8 text (bad byte at offset {exc.start})") from None
    if not isinstance(raw, str):
        raise ModelsDevError(f"models.dev data must be bytes, text or a dict, not {type(raw).__name__}")
    if not raw.strip():
        raise ModelsDevError("models.dev data is empty")
    try:
        data = json.loads(raw)
    except RecursionError:
        raise ModelsDevError("models.dev data nests too deeply to be read") from None
    except json.JSONDecodeError as exc:
        where = f"{exc.msg} at line {exc.lineno}, column {exc.colno}"
        if exc.pos >= len(raw.rstrip()) or exc.msg.startswith("Unterminated string"):
            raise ModelsDevError(f"models.dev data ends early, the JSON is truncated ({where})") from None
        raise ModelsDevError(f"models.dev data is not valid JSON ({where})") from None
    except ValueError:  # an integer literal of more than 4300 digits
        raise ModelsDevError("models.dev data holds a number of more than 4300 digits") from None
    if not isinstance(data, dict):
        raise ModelsDevError("models.dev data must be a JSON object keyed by 'lab/model-id', "
                             f"found {_kind(data)}")
    return data


@dataclass
class Entry:
    """One catalogue entry (or one item inside it, such as a benchmark result) with typed field access."""

    key: str
    data: dict
    prefix: str = ""

    @classmethod
    def of(cls, key: Any, value: Any) -> Entry:
        """The entry stored under ``key``; its key must read ``lab/model-id`` and its value be an object."""
        if not isinstance(key, str) or not re.fullmatch(r"[^/\s]+/\S+", key):
            raise ModelsDevError(f"models.dev entry {_short(key)}: the key must read 'lab/model-id'", key_of(key))
        if unsafe_char(key) or strip_bidi(key) != key:
            raise BadValue(f"models.dev entry {_short(key)}: the key contains a control or "
                                 "bidirectional character", key)
        if len(key) > 300:
            raise BadValue(f"models.dev entry {_short(key)}: the key is longer than 300 characters", key)
        if not isinstance(value, dict):
            raise ModelsDevError(f"models.dev entry '{printable(key, 80)}': must be an object, found {_kind(value)}",
                                 key)
        if depth_of(value) > MAX_DEPTH - 2:
            raise BadValue(f"models.dev entry '{printable(key, 80)}': it nests deeper than "
                                 f"{MAX_DEPTH - 2} levels", key)
        return cls(key, value)

    @property
    def lab(self) -> str:
        return self.key.split("/", 1)[0]

    @property
    def model_id(self) -> str:
        return self.key.split("/", 1)[1]

    def fail(self, path: str, problem: str, skip: bool = False) -> ModelsDevError:
        """The error for a bad value at ``path`` (relative to this entry or item); a BadValue when ``skip``
        (the value has the right type but the knowledge base cannot hold it)."""
        return (BadValue if skip else ModelsDevError)(f"models.dev entry '{printable(self.key, 80)}', field "
                              f"'{printable(self.prefix + path, 80)}': {printable(problem, 300)}", self.key)

    def _get(self, path: str, value: Any = ...) -> Any:
        return self.data.get(path) if value is ... else value

    def text(self, path: str, value: Any = ...) -> str | None:
        """A string field, stripped; None when missing, null or blank."""
        value = self._get(path, value)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.fail(path, f"expected text, found {_kind(value)}")
        bad = unsafe_char(value)
        if bad:
            raise self.fail(path, f"the text contains the control character {bad}", skip=True)
        return " ".join(strip_bidi(value).split()) or None

    def flag(self, path: str, value: Any = ...) -> bool | None:
        """A true/false field."""
        value = self._get(path, value)
        if value is None or isinstance(value, bool):
            return value
        raise self.fail(path, f"expected true or false, found {_kind(value)}")

    def number(self, path: str, value: Any = ...) -> float | None:
        """A finite number."""
        value = self._get(path, value)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(path, f"expected a number, found {_kind(value)}")
        if isinstance(value, int) and abs(value) >= 2**63:
            raise self.fail(path, f"the number {_short(value)} is out of range", skip=True)
        if not math.isfinite(value):
            raise self.fail(path, f"expected a finite number, found {value}")
        return value

    def count(self, path: str, value: Any = ...) -> int | None:
        """A whole number of tokens; 0 (used for "unknown") reads as None."""
        value = self.number(path, value)
        if value is None:
            return None
        if value < 0 or value != int(value):
            raise self.fail(path, f"expected a whole number of tokens, found {value}")
        if value > INT32_MAX:
            raise self.fail(path, f"{int(value)} tokens is more than the largest count kept, {INT32_MAX}", skip=True)
        return int(value) or None

    def words(self, path: str, value: Any = ...) -> list[str] | None:
        """A list of short words, lower-cased (modalities)."""
        value = self._get(path, value)
        if value is None:
            return None
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list of words, found {_kind(value)}")
        words = [self.text(f"{path}[{i}]", v) for i, v in enumerate(value)]
        return list(dict.fromkeys(w.lower() for w in words if w)) or None

    def date(self, path: str, *, month_ok: bool, value: Any = ...) -> str | None:
        """A YYYY-MM-DD date (or YYYY-MM when ``month_ok``) that exists in the calendar."""
        text = self.text(path, value)
        if text is None:
            return None
        if (_MONTH.match(text) or _DAY.match(text)) and not 1 <= int(text[:4]) <= 9999:
            raise self.fail(path, f"'{text}' has the year {text[:4]}; years run from 0001 to 9999", skip=True)
        if month_ok and _MONTH.match(text):
            if not 1 <= int(text[5:]) <= 12:
                raise self.fail(path, f"'{text}' is an impossible month")
            return text
        match = _DAY.match(text)
        if not match:
            form = "YYYY-MM-DD or YYYY-MM" if month_ok else "YYYY-MM-DD"
            raise self.fail(path, f"'{_clip(text)}' is not a date of the form {form}")
        try:
            dt.date(*map(int, match.groups()))
        except ValueError:
            raise self.fail(path, f"'{text}' is an impossible date") from None
        return text

    def object(self, path: str) -> dict:
        """An object field; {} when missing or null."""
        value = self.data.get(path)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(path, f"expected an object, found {_kind(value)}")
        return value

    def items(self, path: str) -> list[Entry]:
        """A list of objects (such as benchmark results), each as an Entry that names its place."""
        value = self.data.get(path)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.fail(path, f"expected a list, found {_kind(value)}")
        out = []
        for i, item in enumerate(value):
            if not isinstance(item, dict):
                raise self.fail(f"{path}[{i}]", f"expected an object, found {_kind(item)}")
            out.append(Entry(self.key, item, f"{self.prefix}{path}[{i}]."))
        return out

    def prices(self, path: str, cost: dict, depth: int = 0) -> list[tuple[str, float]]:
        """Prices in USD per million tokens as (label, price); a nested object's labels are joined."""
        if depth > 3:
            raise self.fail(path, "prices nest deeper than 3 levels", skip=True)
        out = []
        for label, value in cost.items():
            label = self.text(f"{path} (a label)", label) or "?"
            if isinstance(value, dict):
                out += [(f"{label} {sub}", price) for sub, price in self.prices(f"{path}.{label}", value, depth + 1)]
                continue
            price = self.number(f"{path}.{label}", value)
            if price is not None and price < 0:
                raise self.fail(f"{path}.{label}", f"a price cannot be negative, found {price}")
            if price is not None:
                out.append((label, price))
        return out

    def links(self, path: str) -> list[tuple[str | None, str]]:
        """Links as (label or None, text): from a string, a list of strings or {name, url}, or a label: text map."""
        value = self.data.get(path)
        if value is None:
            return []
        if isinstance(value, str):
            return [(None, text)] if (text := self.text(path)) else []
        if isinstance(value, dict):
            pairs = [(self.text(f"{path} (a label)", label), self._link_text(f"{path}.{label}", v))
                     for label, v in value.items()]
        elif isinstance(value, list):
            pairs = [self._link_item(f"{path}[{i}]", v) for i, v in enumerate(value)]
        else:
            raise self.fail(path, f"expected a link, a list or an object, found {_kind(value)}")
        return [(label, text) for label, text in pairs if text]

    def _link_item(self, path: str, value: Any) -> tuple[str | None, str | None]:
        if isinstance(value, dict):
            label = next((self.text(f"{path}.{k}", value[k]) for k in ("name", "title", "label") if k in value), None)
            return label, self.text(f"{path}.url", value.get("url"))
        return None, self.text(path, value)

    def _link_text(self, path: str, value: Any) -> str | None:
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return f"{value:g}"
        return self.text(path, value)


def _kind(value: Any) -> str:
    """How a wrong value is described: its JSON type and, for a scalar, the value itself."""
    names = {dict: "an object", list: "a list", str: "the text", bool: "", int: "the number", float: "the number"}
    if value is None:
        return "null"
    if isinstance(value, (dict, list)):
        return names[type(value)]
    if isinstance(value, bool):
        return "true" if value else "false"
    word = names.get(type(value), type(value).__name__)
    return f"{word} {_short(value)}"


def _short(value: Any) -> str:
    if isinstance(value, int) and abs(value) > 10**40:
        return "(a number of more than 40 digits)"
    text = json.dumps(value, ensure_ascii=False) if isinstance(value, (str, int, float)) else repr(value)
    return _clip(text)


def _clip(text: str, limit: int = 60) -> str:
    return printable(text if len(text) <= limit else text[: limit - 3] + "...", limit)


def key_of(key: Any) -> str:
    """How a catalogue key is named in a notice: itself when it is text, else its JSON."""
    return key if isinstance(key, str) else _short(key)
