"""Discord's chat-native pieces, wired to discord.py: ephemeral answers, /compare with one option per
model, the "Ask modelwire" message menu, where commands may be installed and used, and the
organization select of /subscribe. The pure parts are in ``options``.

Who sees an answer: a command used with ``private: True``, /help, usage errors, refusals and "did you
mean" answers are ephemeral (flags 64), seen only by the person who asked; a button or select pressed
on an ephemeral message answers ephemerally too. Other answers are posted for everyone. A command is
deferred before it is answered (Discord wants a response within 3 seconds, before the answer is known),
so when an answer turns out to be for the asker alone, the public "thinking" message is deleted and
the answer sent as an ephemeral follow-up.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import re
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from adapters.answering import TOO_SLOW, TooSlow
from adapters.convert import split_names
from adapters.discord import convert, options, render
from bot.digests.choices import PICK_LIMIT, org_choices, org_count, unknown_orgs
from bot.values import Answer, Origin, Question

if TYPE_CHECKING:
    from collections.abc import Awaitable, Callable

    from adapters.discord.app import DiscordBot

log = logging.getLogger("modelwire.discord")
NONE = discord.AllowedMentions.none()
PICK_BUDGET = 2.0
"""Seconds the organizations to pick from may take; past it /subscribe goes on without the select."""
EVERYWHERE = app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=True)
"""Servers, the bot's direct messages, and other DMs and group DMs (for people who installed the app)."""
GUILD_AND_USER = app_commands.AppInstallationType(guild=True, user=True)
SERVER_AND_BOT_DM = app_commands.AppCommandContext(guild=True, dm_channel=True, private_channel=False)
"""Where digests can be posted: a server channel, or the bot's own DM with the person."""
GUILD_INSTALL = app_commands.AppInstallationType(guild=True, user=False)
ANYWHERE_COMMANDS = ("ask", "find", "compare", "top", "model", "help", options.ASK_MENU)
"""Commands anyone who installed the app may use anywhere (they only answer, through the interaction)."""
SERVER_COMMANDS = ("subscribe", "unsubscribe", "subscriptions", "digest")
"""Subscription commands: installed with the bot in a server, never by a person alone."""
PICK_PROMPT = ("Which organizations should this channel's digests cover? Pick up to 25 (the ones with the most "
               "models are listed; type `orgs` in /subscribe for any other), or All organizations.")
PICK_TYPED = "Pick the organizations you meant:"


def _origin(interaction: discord.Interaction) -> Origin:
    from adapters.discord.app import origin_of

    return origin_of(interaction)


def from_ephemeral(interaction: discord.Interaction) -> bool:
    """Whether the interaction is a press on a component of an ephemeral message."""
    message = interaction.message
    return message is not None and message.flags.ephemeral


async def respond(bot: DiscordBot, interaction: discord.Interaction, question: Question,
                  private: bool | None = None,
                  more: Callable[[Answer], Awaitable[discord.ui.View | None]] | None = None, **extra: Any) -> None:
    """Defer (ephemeral when ``private``, for /help, and by default for a press on an ephemeral message),
    answer, then send the answer as a follow-up, ephemeral for the asker alone when ``options.is_quiet``.

    ``more`` may add a view (e.g. a select) to the answer; ``extra`` goes to the follow-up (``content``).
    """
    if private is None:
        private = from_ephemeral(interaction)
    private = private or question.command == "help"
    if not interaction.response.is_done():
        await interaction.response.defer(thinking=True, ephemeral=private)
    try:
        reply = await bot.ask(question)
    except TooSlow:  # logged with the time taken where it was given up
        await interaction.followup.send(render.notice(TOO_SLOW)["content"], ephemeral=private, allowed_mentions=NONE)
        return
    except Exception as exc:
        log.error("could not answer Discord interaction %s: %r", interaction.id, exc, exc_info=exc)
        await interaction.followup.send(render.notice("Sorry, something went wrong answering that.")["content"],
                                        ephemeral=private, allowed_mentions=NONE)
        return
    if options.is_quiet(reply) and not private:
        with contextlib.suppress(discord.HTTPException):  # gone already: the follow-up is a new message anyway
            await interaction.delete_original_response()
        private = True
    if more is not None:
        view = await more(reply)
        if view is not None:
            extra["view"] = view  # an answer with "did you mean" buttons replaces it with them (see _send)
    await bot._send(functools.partial(interaction.followup.send, ephemeral=private), reply, **extra)


# -- where commands are installed and used ---------------------------------------------------------------


def declare_installs(tree: app_commands.CommandTree) -> None:
    """Set each command's installation types and interaction contexts (sent with the commands on sync):
    the answering commands and the message menu for servers and for people who install the app, usable
    in servers, the bot's DMs and other DMs; subscription commands for servers only, usable in server
    channels and the bot's DMs (where digests can be posted)."""
    for command in tree.get_commands():
        if command.name in SERVER_COMMANDS:
            command.allowed_installs, command.allowed_contexts = GUILD_INSTALL, SERVER_AND_BOT_DM
        elif command.name in ANYWHERE_COMMANDS:
            command.allowed_installs, command.allowed_contexts = GUILD_AND_USER, EVERYWHERE


# -- /compare ---------------------------------------------------------------------------------------------


def add_compare(bot: DiscordBot) -> None:
    """/compare model1 model2 [model3] [model4] [benchmark], each model autocompleted by the core's matcher."""

    async def model(_i: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await bot.complete(current, "model")

    async def benchmark(_i: discord.Interaction, current: str) -> list[app_commands.Choice[str]]:
        return await bot.complete(current, "benchmark")

    @bot.tree.command(name="compare", description="Compare models, optionally on one benchmark")
    @app_commands.describe(model1="A model", model2="Another model", model3="A third model (optional)",
                           model4="A fourth model (optional)", benchmark="A benchmark (optional)")
    @app_commands.autocomplete(model1=model, model2=model, model3=model, model4=model, benchmark=benchmark)
    async def compare(interaction: discord.Interaction, model1: str, model2: str, model3: str | None = None,
                      model4: str | None = None, benchmark: str | None = None) -> None:
        given = {"model1": model1, "model2": model2, "model3": model3, "model4": model4, "benchmark": benchmark}
        question = convert.question_from_command("compare", options.compare_command(given), _origin(interaction))
        await bot.respond(interaction, question)


# -- "Ask modelwire" on a message ------------------------------------------------------------------------


def add_ask_menu(bot: DiscordBot) -> None:
    """The "Ask modelwire" message menu: answers the message's text, for everyone in the channel, under a
    line linking the message (as a mention of the bot is answered with a reply)."""

    async def ask_about(interaction: discord.Interaction, message: discord.Message) -> None:
        text = options.message_question(message.content)
        if text is None:
            await interaction.response.send_message(options.NO_TEXT, ephemeral=True, allowed_mentions=NONE)
            return
        me = bot.user.id if bot.user else None
        question = convert.question_from_message(text, me, _origin(interaction))
        await bot.respond(interaction, question, content=options.about_message(message.jump_url))

    bot.tree.add_command(app_commands.ContextMenu(name=options.ASK_MENU, callback=ask_about))


# -- /subscribe and its organization select --------------------------------------------------------------


class OrgSelect(discord.ui.DynamicItem[discord.ui.Select], template=options.SUBSCRIBE_CUSTOM_ID):
    """The organizations to subscribe to: its custom_id keeps the other /subscribe options, so a pick on
    any message, however old, subscribes with them (see ``options.subscribe_custom_id``)."""

    def __init__(self, custom_id: str, choices: list[tuple[str, str]] | None = None,
                 placeholder: str = "Organizations"):
        picks = [discord.SelectOption(label=label, value=value) for label, value in choices or []]
        if not picks:  # rebuilt from a pressed message: the options are the message's (see from_custom_id)
            picks = [discord.SelectOption(label=options.ALL_ORGS_LABEL, value=options.ALL_ORGS)]
        super().__init__(discord.ui.Select(custom_id=custom_id, placeholder=placeholder, min_values=1,
                                           max_values=len(picks), options=picks))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> OrgSelect:
        """The select used, as discord.py dispatches a custom_id that matches the template."""
        shown = [(o.label, o.value) for o in getattr(item, "options", [])]
        return cls(match.string, shown)

    async def callback(self, interaction: discord.Interaction) -> None:
        """Subscribe with the options kept and the organizations picked; the confirmation is for everyone."""
        from adapters.discord.app import DiscordBot

        given = options.subscribe_options(self.custom_id)
        if given is None or not isinstance(interaction.client, DiscordBot):
            return
        given["orgs"] = options.picked_orgs(list(self.item.values))
        question = convert.question_from_command("subscribe", given, _origin(interaction))
        await interaction.client.respond(interaction, question, private=False)


def org_view(custom_id: str, names: list[str], with_all: bool) -> discord.ui.View | None:
    """A view with one organization select, or None without names."""
    choices = options.org_options(names, with_all, PICK_LIMIT)
    if not names or not choices:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(OrgSelect(custom_id, choices))
    return view


async def _off_loop(func: Callable[..., Any], *args: Any) -> Any:
    """``func(*args)`` in a thread, within PICK_BUDGET seconds; None past it or when it fails."""
    try:
        return await asyncio.wait_for(asyncio.to_thread(func, *args), PICK_BUDGET)
    except Exception as exc:  # too slow, or the database failed: go on without the select
        log.warning("organizations to pick from: %r", exc)
        return None


async def subscribe(bot: DiscordBot, interaction: discord.Interaction, given: dict) -> None:
    """/subscribe: without ``orgs``, where more organizations are known than one select holds, first ask
    (ephemerally) which ones with a select of those with the most models; with ``orgs`` naming one not
    known, the usage answer comes with a select of the closest names. Else subscribe as the core says."""
    origin = _origin(interaction)
    custom_id = options.subscribe_custom_id(given)
    if not given.get("orgs") and origin.can_manage and custom_id is not None:
        many = await _off_loop(org_count, bot.kb)
        names = await _off_loop(org_choices, bot.kb, None, PICK_LIMIT - 1) if many and many > PICK_LIMIT else None
        view = org_view(custom_id, names or [], with_all=True)
        if view is not None:
            await interaction.response.send_message(PICK_PROMPT, view=view, ephemeral=True, allowed_mentions=NONE)
            return
    question = convert.question_from_command("subscribe", given, origin)
    typed = split_names(str(given.get("orgs") or ""))

    async def picks(reply: Answer) -> discord.ui.View | None:
        if reply.intent != "usage" or not typed or custom_id is None:
            return None
        if not await _off_loop(unknown_orgs, bot.kb, typed):
            return None  # the organizations are fine: the problem is another option
        return org_view(custom_id, await _off_loop(org_choices, bot.kb, typed) or [], with_all=False)

    await respond(bot, interaction, question, more=picks)
