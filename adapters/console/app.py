"""The terminal adapter: ``modelwire ask`` and ``modelwire chat``.

Like every adapter it only converts: a line of text becomes a Question, an Answer becomes text
(``render``) or a JSON line (``Answer.to_dict``).
"""

from __future__ import annotations

import json
import sys

import click

from adapters.console.render import render
from bot.cli import open_kb
from bot.engine import answer
from bot.question import Origin, Question

ORIGIN = Origin(platform="console")


def _ask(kb, text: str):
    return answer(Question(text=text, origin=ORIGIN), kb)


def _emit_json(kb, text: str) -> None:
    sys.stdout.write(json.dumps(_ask(kb, text).to_dict() | {"question": text}, ensure_ascii=False) + "\n")
    sys.stdout.flush()


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (one per line with -).")
@click.argument("question", nargs=-1, required=True)
@click.pass_context
def ask(ctx: click.Context, as_json: bool, question: tuple[str, ...]) -> None:
    """Answer QUESTION; with "-" read one question per line from standard input."""
    kb = open_kb(ctx)
    text = " ".join(question)
    if text == "-":
        for line in sys.stdin:
            line = line.rstrip("\n")
            if as_json:
                _emit_json(kb, line)
            else:
                click.echo(render(_ask(kb, line)) + "\n")
        return
    if as_json:
        _emit_json(kb, text)
    else:
        click.echo(render(_ask(kb, text)))


@click.command()
@click.pass_context
def chat(ctx: click.Context) -> None:
    """An interactive prompt: ask question after question; 'quit', 'exit' or Ctrl-D ends it."""
    try:
        import readline  # noqa: F401 - line editing and history for input()
    except ImportError:
        pass
    kb = open_kb(ctx)
    click.echo("modelwire — ask about AI models, benchmarks and releases. 'help' for examples, 'quit' to leave.")
    while True:
        try:
            line = input("modelwire> ").strip()
        except (EOFError, KeyboardInterrupt):
            click.echo()
            return
        if line.lower() in ("quit", "exit", "q"):
            return
        if line:
            click.echo(render(_ask(kb, line)) + "\n")
