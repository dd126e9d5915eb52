"""The terminal adapter: ``modelwire ask`` and ``modelwire chat``.

Like every adapter it only converts: a line of text becomes a Question, an Answer becomes text
(``render``) or a JSON line (``Answer.to_dict``).

Follow-up questions: each ``modelwire chat`` session is one conversation ("console:chat:<uuid>"), so
"and GPT-5.4?" continues the question before it. ``modelwire ask`` answers each question on its own
unless ``--conversation ID`` names a conversation ("console:ask:<ID>"), which then lasts across
invocations and, with ``-``, across input lines (for ``bot.conversation.TTL`` after its last answer).
"""

from __future__ import annotations

import contextlib
import json
import sys
import uuid
from pathlib import Path

import click

from adapters.console.render import render
from bot.cli import open_kb
from bot.conversation import answer_in_conversation
from bot.values import Origin, Question

ORIGIN = Origin(platform="console")
MAX_CONVERSATION = 200


def _ask(kb, text: str, conversation: str | None = None):
    return answer_in_conversation(Question(text=text, origin=ORIGIN, conversation=conversation), kb)


def _emit_json(text: str, result) -> None:
    sys.stdout.write(json.dumps(result.to_dict() | {"question": text}, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def _write_chart(result, path: Path) -> None:
    """Write the answer's chart as a PNG, and say on stderr where (or that this answer has none)."""
    if result.chart is None:
        click.echo("No chart for this answer: charts come with comparisons and leaderboards.", err=True)
        return
    from bot.charts import render_png

    try:
        path.write_bytes(render_png(result.chart))
    except OSError as exc:
        raise click.ClickException(f"cannot write the chart to {path}: {exc.strerror or exc}") from None
    click.echo(f"Chart written to {path}", err=True)


def ask_key(conversation: str | None) -> str | None:
    """The conversation key of ``ask --conversation ID`` (None without it); a blank or very long ID is
    a usage error."""
    if conversation is None:
        return None
    if not conversation.strip() or len(conversation) > MAX_CONVERSATION:
        raise click.UsageError(f"--conversation needs an ID of 1 to {MAX_CONVERSATION} characters.")
    return f"console:ask:{conversation}"


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (one per line with -).")
@click.option("--chart", "chart_path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the answer's chart (comparisons, leaderboards) to FILE as a PNG.")
@click.option("--conversation", metavar="ID", help="Continue the conversation ID: a follow-up question "
              "(\"and GPT-5.4?\") builds on ID's last answer (across runs, and across lines with -).")
@click.option("--strict", is_flag=True, help="Exit with status 1 when the answer is not known (with -: when "
              "any answer is not, after answering all).")
@click.argument("question", nargs=-1, required=True)
@click.pass_context
def ask(ctx: click.Context, as_json: bool, chart_path: Path | None, conversation: str | None, strict: bool,
        question: tuple[str, ...]) -> None:
    """Answer QUESTION; with "-" read one question per line from standard input."""
    text = " ".join(question)
    if text == "-" and chart_path is not None:
        raise click.UsageError("--chart writes the chart of one question; it cannot be used with '-'.")
    key = ask_key(conversation)
    kb = open_kb(ctx)
    if text == "-":
        found = _ask_lines(kb, key, as_json)
    else:
        result = _ask(kb, text, key)
        if as_json:
            _emit_json(text, result)
        else:
            click.echo(render(result))
        if chart_path is not None:
            _write_chart(result, chart_path)
        found = result.found
    if strict and not found:
        ctx.exit(1)


def _ask_lines(kb, key: str | None, as_json: bool) -> bool:
    """Answer each line of standard input; whether every answer was found."""
    found = True
    for line in sys.stdin:
        line = line.rstrip("\n")
        result = _ask(kb, line, key)
        found = found and result.found
        if as_json:
            _emit_json(line, result)
        else:
            click.echo(render(result) + "\n")
    return found


@click.command()
@click.pass_context
def chat(ctx: click.Context) -> None:
    """An interactive prompt: ask question after question, follow-ups included ("and GPT-5.4?");
    'quit', 'exit' or Ctrl-D ends it."""
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401 - line editing and history for input()
    kb = open_kb(ctx)
    key = f"console:chat:{uuid.uuid4()}"
    click.echo("modelwire — ask about AI models, benchmarks and releases; follow up on an answer "
               "(\"and GPT-5.4?\"). 'help' for examples, 'quit' to leave.")
    while True:
        try:
            line = input("modelwire> ").strip()
        except (EOFError, KeyboardInterrupt):
            click.echo()
            return
        if line.lower() in ("quit", "exit", "q"):
            return
        if line:
            click.echo(render(_ask(kb, line, key)) + "\n")
