"""An Answer as plain text: title, text, fields, an aligned table and numbered sources.

Used by the terminal and by ``--json``; also the monospace fallback other adapters can embed.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from tabulate import tabulate

if TYPE_CHECKING:  # Answer.to_dict renders with this module, so values imports it at run time
    from bot.values import Answer, Table


def table_text(table: Table) -> str:
    """A table as aligned monospace text."""
    align = ["right" if n else "left" for n in table.numeric] or None
    if align and len(align) != len(table.columns):
        align = None
    return tabulate(table.rows, headers=table.columns, tablefmt="simple", colalign=align,
                    disable_numparse=True)


def sources_text(answer: Answer) -> str:
    """The numbered source list, one per line."""
    lines = []
    for i, src in enumerate(answer.sources, 1):
        extra = ", ".join(p for p in (src.date, src.url) if p)
        lines.append(f"[{i}] {src.title}" + (f" ({extra})" if extra else ""))
    return "\n".join(lines)


def render(answer: Answer) -> str:
    """The complete answer as plain text."""
    parts = [answer.title, answer.text]
    if answer.fields:
        width = max(len(name) for name, _ in answer.fields)
        indent = "\n" + " " * (width + 2)
        parts.append("\n".join(f"{name.ljust(width)}  {indent.join(value.split(chr(10)))}"
                                for name, value in answer.fields))
    if answer.table and answer.table.rows:
        parts.append(table_text(answer.table))
    if answer.sources:
        parts.append("Sources:\n" + sources_text(answer))
    if answer.suggestions and not answer.found:
        parts.append("Did you mean: " + ", ".join(answer.suggestions))
    return "\n\n".join(p for p in parts if p)
