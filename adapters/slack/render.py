"""Answers -> Slack Block Kit message payloads. Pure functions within Block Kit's limits.

Everything that came from a person or from the knowledge base is escaped (&, <, >), so a question
containing <!channel> or <@U123> can never ping anyone.
"""

from __future__ import annotations

from adapters.convert import suggested_asks
from adapters.pictures import FILENAME
from bot.charts import alt_text
from bot.plaintext import render as plain_text
from bot.plaintext import table_text
from bot.values import Answer

MAX_BLOCKS = 50
MAX_SECTION = 3000
MAX_HEADER = 150
MAX_FALLBACK = 3000
MAX_TABLE_ROWS = 100
MAX_TABLE_COLUMNS = 20
MAX_BUTTONS = 5
MAX_FILE_TITLE = 250
MAX_ALT_TEXT = 1000
ASK_ACTION = "modelwire_ask"


def escape(text: str) -> str:
    """Slack's three control characters, escaped."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


_ENTITIES = ("&amp;", "&lt;", "&gt;")


def _safe_end(text: str, end: int) -> int:
    """``end``, moved back to the start of an escape sequence (``&amp;``...) that it would cut in two."""
    start = text.rfind("&", max(0, end - 4), end)
    if start >= 0 and any(text.startswith(e, start) and start + len(e) > end for e in _ENTITIES):
        return start
    return end


def _cut(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending in "…" when shortened; never ends inside an escape sequence."""
    return text if len(text) <= limit else text[: _safe_end(text, limit - 1)] + "…"


def _chunks(text: str, limit: int) -> list[str]:
    """Split text at line breaks (or hard, for very long lines) into pieces of at most ``limit``.

    A hard split never falls inside an escape sequence, so no piece shows a stray "&am" or "p;".
    """
    pieces, current = [], ""
    for line in text.split("\n"):
        while len(line) > limit:
            if current:
                pieces.append(current)
                current = ""
            end = _safe_end(line, limit)
            pieces.append(line[:end])
            line = line[end:]
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            pieces.append(current)
            current = line
        else:
            current = candidate
    if current:
        pieces.append(current)
    return pieces


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}}


def _table_block(answer: Answer) -> dict | None:
    """A table block, or None when there is no table or it exceeds the block's limits."""
    table = answer.table
    if not table or not table.rows or len(table.columns) > MAX_TABLE_COLUMNS or len(table.rows) >= MAX_TABLE_ROWS:
        return None
    cells = [[{"type": "raw_text", "text": _cut(str(c), 500) or " "} for c in row]
             for row in [table.columns, *table.rows]]
    block: dict = {"type": "table", "rows": cells}
    if table.numeric:  # one setting per column at most: Slack rejects more settings than it allows
        block["column_settings"] = [{"align": "right" if n else "left"}
                                    for n in table.numeric[: len(table.columns)]]
    return block


def _context(answer: Answer) -> dict | None:
    """The numbered sources, linked, with dates (escaped like every other knowledge-base text).

    Sources are listed whole while they fit in one text element; cutting the joined text could
    leave a link half open (``<https://...|Tit…``), so a source that does not fit is left out.
    """
    if not answer.sources:
        return None
    parts: list[str] = []
    for i, src in enumerate(answer.sources, 1):
        title = escape(_cut(src.title, 500))
        label = f"<{escape(src.url)}|{title}>" if src.url else title
        part = f"[{i}] {label}" + (f" ({escape(src.date)})" if src.date else "")
        if len(" · ".join([*parts, part])) > MAX_SECTION:
            break
        parts.append(part)
    if not parts:
        return None
    return {"type": "context", "elements": [{"type": "mrkdwn", "text": " · ".join(parts)}]}


def _buttons(answer: Answer) -> dict | None:
    """"Did you mean" buttons: labelled with the name, carrying the question to ask again."""
    if not answer.suggestions:
        return None
    elements = [{"type": "button", "action_id": f"{ASK_ACTION}_{i}", "value": _cut(ask, 2000),
                 "text": {"type": "plain_text", "text": _cut(s, 75)}}
                for i, (s, ask) in enumerate(suggested_asks(answer, MAX_BUTTONS))]
    return {"type": "actions", "block_id": "modelwire_suggestions", "elements": elements}


def message(answer: Answer) -> dict:
    """A chat.postMessage / response_url payload: ``text`` (fallback, always set) and ``blocks``.

    Tables become a table block; one too large for it is sent as monospace text instead. The plain
    fallback ``text`` carries the monospace table too, for clients without table support.
    """
    table = _table_block(answer)
    fixed = [b for b in (table, _context(answer), _buttons(answer)) if b]
    head = {"type": "header", "text": {"type": "plain_text", "text": _cut(answer.title or "modelwire", MAX_HEADER)}}
    body = [_section(chunk) for chunk in _chunks(escape(answer.text), MAX_SECTION)] if answer.text else []
    if answer.fields:
        lines = "\n".join(f"*{escape(name)}:* {escape(value)}" for name, value in answer.fields)
        body += [_section(chunk) for chunk in _chunks(lines, MAX_SECTION)]
    if table is None and answer.table and answer.table.rows:
        body += [_section(f"```{chunk}```") for chunk in _chunks(escape(table_text(answer.table)), MAX_SECTION - 6)]
    room = MAX_BLOCKS - 1 - len(fixed)
    if len(body) > room:
        body = body[: room - 1] + [_section("_The answer is longer than one message; the rest is cut._")]
    return {"text": _cut(escape(plain_text(answer)), MAX_FALLBACK), "blocks": [head, *body, *fixed]}


def apology(text: str) -> dict:
    """A short reply when no answer could be worked out: the same payload shape as ``message``."""
    return {"text": escape(text), "blocks": [_section(escape(text))]}


def chart_file(answer: Answer) -> dict:
    """files_upload_v2 arguments for the answer's chart: file name, a title naming the question, alt text.

    Titles and alt text are plain text (never parsed as mrkdwn), so they are not escaped.
    """
    chart = answer.chart
    title = answer.title or (chart.title if chart else "") or "modelwire chart"
    return {"filename": FILENAME, "title": _cut(title, MAX_FILE_TITLE),
            "alt_txt": alt_text(chart, MAX_ALT_TEXT) if chart else None}
