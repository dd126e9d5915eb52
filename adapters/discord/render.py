"""Answers -> Discord message payloads (embed, buttons). Pure functions within Discord's limits.

Limits (https://discord.com/developers/docs/resources/message#embed-object-embed-limits): title 256,
description 4,096, 25 fields (name 256, value 1,024), footer 2,048, 6,000 characters in all the
embeds of a message; message content 2,000; 5 buttons per row, label 80, custom_id 100. A longer
answer is shortened with a note, never sent over a limit. Every payload carries
``allowed_mentions: {"parse": []}``, and @everyone/@here and user/role mentions are also broken
with a zero-width space, so nothing a person or a knowledge pack wrote can ping anyone. Masked-link
syntax (``[text](url)``) in such text is escaped where Discord renders it (description, fields, message
content), so a pack cannot show one address and link to another; the bot's own source links are kept.
"""

from __future__ import annotations

import re

from adapters.convert import suggested_asks
from adapters.discord.convert import ask_custom_id
from bot.charts import alt_text
from bot.plaintext import table_text
from bot.values import Answer

MAX_TITLE = 256
MAX_DESCRIPTION = 4096
MAX_FIELDS = 25
MAX_FIELD_NAME = 256
MAX_FIELD_VALUE = 1024
MAX_FOOTER = 2048
MAX_EMBED_TOTAL = 6000
MAX_CONTENT = 2000
MAX_BUTTONS = 5
MAX_LABEL = 80
MAX_ATTACHMENT_DESCRIPTION = 1024
COLOR = 0x5865F2
CUT_NOTE = "\n*The answer is longer than one message; the rest is cut.*"
ALLOWED_MENTIONS: dict[str, list[str]] = {"parse": []}
_PING = re.compile(r"@(everyone|here)|<@([!&]?\d+)>")
_MASKED = re.compile(r"\](\s*)\(")
"""Where a masked link's text ends and its address starts: ``](``, spaces allowed between."""


def defuse(text: str) -> str:
    """@everyone, @here, <@id>, <@!id> and <@&id> with a zero-width space, so they never render as pings."""
    return _PING.sub(lambda m: f"@\u200b{m.group(1)}" if m.group(1) else f"<@\u200b{m.group(2)}>", text or "")


def unmask(text: str) -> str:
    """Text with masked-link syntax broken: ``[x](https://a)`` shows as typed, never as a link named x.

    The "(" after "]" is escaped with a backslash (Discord's markdown escape, not shown), so the
    address is shown in full and stays a plain (visible) URL.
    """
    return _MASKED.sub(lambda m: "]" + m.group(1) + "\\(", text or "")


def safe(text: str) -> str:
    """Text from a person or the knowledge base, for places Discord renders markdown: no pings, no
    masked links."""
    return unmask(defuse(text))


def cut(text: str, limit: int) -> str:
    """At most ``limit`` characters, ending in "…" when shortened."""
    return text if len(text) <= limit else text[: max(0, limit - 1)] + "…"


def _fenced_table(answer: Answer, room: int) -> str:
    """The table as a ``` block of at most ``room`` characters (whole lines; "…" for cut rows); '' if none fits."""
    if not answer.table or not answer.table.rows:
        return ""
    lines = defuse(table_text(answer.table)).replace("```", "'''").split("\n")
    kept: list[str] = []
    for i, line in enumerate(lines):
        more = i < len(lines) - 1
        candidate = "```\n" + "\n".join([*kept, line] + (["…"] if more else [])) + "\n```"
        if len(candidate) > room:
            break
        kept.append(line)
    if len(kept) < 3:  # header, rule and at least one row, or nothing
        return ""
    return "```\n" + "\n".join(kept + (["…"] if len(kept) < len(lines) else [])) + "\n```"


def _footer(answer: Answer) -> str:
    """Numbered sources with their dates, whole ones only, within the footer limit."""
    parts: list[str] = []
    for i, src in enumerate(answer.sources, 1):
        part = f"[{i}] {cut(defuse(src.title), 300)}" + (f" ({src.date})" if src.date else "")
        if len(" · ".join([*parts, part])) > MAX_FOOTER:
            break
        parts.append(part)
    return " · ".join(parts)


def _fields(answer: Answer, room: int) -> list[dict]:
    """At most 25 fields within ``room`` characters; the last says how many were left out."""
    fields: list[dict] = [{"name": cut(safe(n), MAX_FIELD_NAME) or "\u200b",
                           "value": cut(safe(v), MAX_FIELD_VALUE) or "—", "inline": len(n) + len(v) < 40}
                          for n, v in answer.fields]
    out: list[dict] = []
    used = 0
    for i, f in enumerate(fields):
        size = len(f["name"]) + len(f["value"])
        rest = len(fields) - i
        if rest > 1 and (len(out) == MAX_FIELDS - 1 or used + size + 40 > room):
            out.append({"name": "…", "value": f"{rest} more not shown", "inline": False})
            break
        if used + size > room:
            out.append({"name": "…", "value": "1 more not shown", "inline": False})
            break
        out.append(f)
        used += size
    return out


def _sources_links(answer: Answer) -> str:
    """Linked sources for the description, when there is room: [1](url)."""
    links = [f"[[{i}]]({s.url})" for i, s in enumerate(answer.sources, 1) if s.url and " " not in s.url
             and ")" not in s.url]
    return ("Sources: " + " ".join(links)) if links else ""


def embed(answer: Answer, image: str | None = None) -> dict:
    """The answer as one embed dict (Discord's JSON), within every embed limit.

    ``image`` names a file attached to the same message (e.g. "chart.png"), shown as the embed's image.
    """
    title = cut(defuse(answer.title or "modelwire"), MAX_TITLE)
    footer = _footer(answer)
    total = MAX_EMBED_TOTAL - len(title) - len(footer)
    fields = _fields(answer, min(total - 1000, MAX_FIELDS * (MAX_FIELD_NAME + MAX_FIELD_VALUE)))
    total -= sum(len(f["name"]) + len(f["value"]) for f in fields)
    room = min(MAX_DESCRIPTION, total)
    text = safe(answer.text or "")
    table = _fenced_table(answer, room - min(len(text), 400) - 2) if answer.table else ""
    links = _sources_links(answer)
    parts_len = len(table) + (len(links) + 2 if links else 0)
    if len(text) + 2 + parts_len > room:
        links = ""
        parts_len = len(table)
    if len(text) + (2 if table else 0) + parts_len > room:
        keep = max(0, room - parts_len - 2 - len(CUT_NOTE) - 1)
        text = text[:keep].rstrip() + "…" + CUT_NOTE
    description = "\n\n".join(p for p in (text, table, links) if p)
    if len(description) > room:  # defensive: never over a limit
        description = cut(description, room)
    data: dict = {"type": "rich", "title": title, "color": COLOR}
    if description:
        data["description"] = description
    if fields:
        data["fields"] = fields
    if footer:
        data["footer"] = {"text": footer}
    if image:
        data["image"] = {"url": f"attachment://{image}"}
    return data


def chart_description(answer: Answer) -> str:
    """The chart attachment's description (alt text), within Discord's 1,024 characters; '' without a chart."""
    return alt_text(answer.chart, MAX_ATTACHMENT_DESCRIPTION) if answer.chart else ""


def buttons(answer: Answer) -> list[tuple[str, str]]:
    """"Did you mean" buttons as (label, custom_id); the custom_id carries the followup question."""
    return [(cut(s, MAX_LABEL) or "?", ask_custom_id(i, ask, fallback=s))
            for i, (s, ask) in enumerate(suggested_asks(answer, MAX_BUTTONS))]


def notice(text: str) -> dict:
    """A short plain message (errors, unknown commands), within the content limit."""
    return {"content": cut(safe(text), MAX_CONTENT), "allowed_mentions": dict(ALLOWED_MENTIONS)}
