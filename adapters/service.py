"""Running a long-lived adapter process (``modelwire slack``, ``discord``, ``scheduler``) from its click command."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import click

from adapters.settings import ConfigError
from knowledge.store import KnowledgeBase

S = TypeVar("S")


def run_service(ctx: click.Context, load_settings: Callable[[], S],
                main: Callable[[KnowledgeBase, S], Coroutine[Any, Any, None]]) -> None:
    """Read the settings, start logging, open the knowledge base, then run ``main(kb, settings)`` until it
    returns or the process is stopped (Ctrl-C, SIGTERM). A bad setting, before or after start-up, is a
    one-line error."""
    from bot.cli import open_kb, start_logging

    try:
        settings = load_settings()
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
    start_logging()
    kb = open_kb(ctx)
    try:
        with contextlib.suppress(KeyboardInterrupt):
            asyncio.run(main(kb, settings))
    except ConfigError as exc:
        raise click.ClickException(str(exc)) from None
