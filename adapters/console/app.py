"""The terminal adapter: ``modelwire ask`` and ``modelwire chat``.

Like every adapter it only converts: a line of text becomes a Question, an Answer becomes text
(``render``) or a JSON line (``Answer.to_dict``).
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from adapters.console.render import render
from bot.cli import open_kb
from bot.engine import answer
from bot.question import Origin, Question

ORIGIN = Origin(platform="console")


def _ask(kb, text: str):
    return answer(Question(text=text, origin=ORIGIN), kb)


def _emit_json(kb, text: str, result=None) -> None:
    result = result or _ask(kb, text)
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


@click.command()
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object (one per line with -).")
@click.option("--chart", "chart_path", metavar="FILE", type=click.Path(dir_okay=False, path_type=Path),
              help="Also write the answer's chart (comparisons, leaderboards) to FILE as a PNG.")
@click.argument("question", nargs=-1, required=True)
@click.pass_context
def ask(ctx: click.Context, as_json: bool, chart_path: Path | None, question: tuple[str, ...]) -> None:
    """Answer QUESTION; with "-" read one question per line from standard input."""
    text = " ".join(question)
    if text == "-" and chart_path is not None:
        raise click.UsageError("--chart writes the chart of one question; it cannot be used with '-'.")
    kb = open_kb(ctx)
    if text == "-":
        for line in sys.stdin:
            line = line.rstrip("\n")
            if as_json:
                _emit_json(kb, line)
            else:
                click.echo(render(_ask(kb, line)) + "\n")
        return
    result = _ask(kb, text)
    if as_json:
        _emit_json(kb, text, result)
    else:
        click.echo(render(result))
    if chart_path is not None:
        _write_chart(result, chart_path)


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
