"""Answer -> terminal text. Plain text with the title underlined; colour only on a terminal."""

from __future__ import annotations

import sys

import click

from bot.plaintext import render as plain
from bot.values import Answer


def render(answer: Answer, color: bool | None = None) -> str:
    """The answer for a terminal: the plain rendering, with a bold title when colour is on."""
    text = plain(answer)
    if color is None:
        color = sys.stdout.isatty()
    if color and text.startswith(answer.title):
        text = click.style(answer.title, bold=True) + text[len(answer.title):]
    return text
