"""Digest commands in the terminal: subscribe, unsubscribe, subscriptions, digest preview/status.

The terminal's own channel is ``console``; ``--channel`` manages any channel's subscriptions
(an operator at the terminal may change every channel's digests), e.g. ``slack:T0123/C0456`` or
``discord:GUILD_ID/CHANNEL_ID``.
"""

from __future__ import annotations

import click

from adapters.console.render import render
from bot.cli import echo_json, open_kb
from bot.engine import answer
from bot.values import Origin, Question

CHANNEL_HELP = "The channel: PLATFORM:WORKSPACE/CHANNEL (e.g. slack:T0123/C0456); default: this terminal."


def origin_for(channel: str | None) -> Origin:
    """The Origin of a terminal command about ``channel`` (the terminal itself when None)."""
    if not channel:
        return Origin(platform="console", can_manage=True)
    platform, sep, rest = channel.partition(":")
    workspace, _, name = rest.rpartition("/")
    if not sep or not name or platform not in ("slack", "discord", "console"):
        raise click.BadParameter("use PLATFORM:WORKSPACE/CHANNEL, e.g. slack:T0123/C0456", param_hint="--channel")
    return Origin(platform=platform, workspace=workspace or None, channel=name, can_manage=True)


def _run(ctx: click.Context, command: str, words: tuple[str, ...], channel: str | None) -> None:
    text = " ".join(words)
    reply = answer(Question(text=f"{command} {text}".strip(), command=command, args={"text": text},
                            origin=origin_for(channel)), open_kb(ctx))
    click.echo(render(reply))
    if reply.intent in ("usage", "refused"):
        ctx.exit(2)


channel_option = click.option("--channel", metavar="PLATFORM:WORKSPACE/CHANNEL", help=CHANNEL_HELP)


@click.command(context_settings={"ignore_unknown_options": True})
@channel_option
@click.argument("words", nargs=-1)
@click.pass_context
def subscribe(ctx: click.Context, channel: str | None, words: tuple[str, ...]) -> None:
    """Subscribe a channel to release digests:
    [instant | daily HH:MM | weekly DAY HH:MM] [tz ZONE] [org NAME ...] [open-weights] [input MODALITY]."""
    _run(ctx, "subscribe", words, channel)


@click.command()
@channel_option
@click.argument("number", required=False)
@click.pass_context
def unsubscribe(ctx: click.Context, channel: str | None, number: str | None) -> None:
    """Remove a channel's digest subscriptions (all, or NUMBER as listed by `subscriptions`)."""
    _run(ctx, "unsubscribe", (number,) if number else (), channel)


@click.command()
@channel_option
@click.option("--json", "as_json", is_flag=True, help="One JSON object: {channel, subscriptions: [{number, "
              "digest, cadence, timezone, active, next, next_due_at, since, by}]}.")
@click.pass_context
def subscriptions(ctx: click.Context, channel: str | None, as_json: bool) -> None:
    """List a channel's digest subscriptions."""
    if not as_json:
        _run(ctx, "subscriptions", (), channel)
        return
    from bot.digests.subscriptions import channel_of, listing

    origin = origin_for(channel)
    platform, workspace, name = channel_of(origin)
    echo_json({"channel": f"{platform}:{workspace}/{name}", "subscriptions": listing(origin, open_kb(ctx))})


@click.group()
def digest() -> None:
    """Release digests: preview the next one, see how deliveries went."""


@digest.command("preview")
@channel_option
@click.pass_context
def digest_preview(ctx: click.Context, channel: str | None) -> None:
    """Show what a channel's next digest would say."""
    _run(ctx, "digest", ("preview",), channel)


@digest.command("status")
@click.option("--failed", "show_failed", is_flag=True, help="List the deliveries that were given up.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object: {counts: {status: n}, failed: "
              "[{platform, workspace, channel, period, error}] with --failed, else null}.")
@click.pass_context
def digest_status(ctx: click.Context, show_failed: bool, as_json: bool) -> None:
    """Count deliveries by status; with --failed, list those given up and why."""
    from bot.digests.outbox import failed_deliveries, status_counts

    kb = open_kb(ctx)
    counts = status_counts(kb.engine)
    failed = failed_deliveries(kb.engine) if show_failed else None
    if as_json:
        echo_json({"counts": counts, "failed": None if failed is None else [
            {"platform": r.platform, "workspace": r.workspace, "channel": r.channel, "period": r.period,
             "error": r.error} for r in failed]})
        return
    for status, count in counts.items():
        click.echo(f"{status:<10}{count:>8}")
    for row in failed or []:
        click.echo(f"{row.platform}:{row.workspace}/{row.channel} {row.period}: {row.error}")
