"""The Discord app: discord.py 2.x wired to the bot core.

Application commands (/ask, /compare, /top, /model, /find, /help) and the "Ask modelwire" message menu
defer at once (Discord wants a response within 3 seconds) and send the answer as a follow-up, ephemeral
when it is for the asker alone, and commands declare where they may be installed and used (see
``menus``); mentions of the bot and direct messages are
answered with a reply. ``convert`` turns Discord input into Questions, ``render`` turns Answers into
embeds within Discord's limits. Answers are computed off the event loop in a bounded pool of answer
workers (MODELWIRE_ANSWER_WORKERS), so one slow answer never holds up the others; autocomplete
(which Discord wants within 3 seconds) is served from the in-memory alias index in a thread of its
own, never queued behind answers.
A comparison's or leaderboard's chart is rendered in a thread pool and attached to the answer's
message as chart.png, shown as the embed's image.

Gateway intents: ``guilds``, ``guild_messages`` and ``dm_messages`` only. The privileged
``message_content`` intent is not requested: Discord delivers the content of messages that mention
the app and of direct messages to it without that intent, and those are the only messages answered.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import re
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import aiohttp
import click
import discord
import yarl
from discord import app_commands

from adapters import pictures
from adapters.answering import TOO_SLOW, AnswerPool, TooSlow
from adapters.background import start_background, stop_background
from adapters.discord import convert, menus, render
from adapters.discord.settings import DiscordSettings, load_settings
from adapters.health import connection, serve_health, with_digests
from adapters.service import run_service
from adapters.settings import AnswerSettings, DigestSettings, ServiceSettings, SyncSettings, load
from bot.conversation import answer_in_conversation
from bot.digests.arguments import MODALITIES, complete_zone
from bot.digests.cadence import DAYS
from bot.find_command import MAX_LIMIT
from bot.values import Answer, Origin, Question
from knowledge.store import KnowledgeBase

log = logging.getLogger("modelwire.discord")
FIND_SORTS = ("newest", "oldest", "context", "output", "cheapest", "priciest")
"""The sort choices of /find (the core reads more names in words)."""
NONE = discord.AllowedMentions.none()
AUTOCOMPLETE_BUDGET = 2.0
"""Seconds an autocomplete may take before it is answered with no choices (Discord allows 3)."""
GATEWAY_DOWN = "the Discord gateway is not connected"


def use_urls(api_url: str, gateway_url: str) -> tuple[str, yarl.URL]:
    """Point discord.py at a REST base and gateway (process-wide in discord.py); return the old pair."""
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

    old = (Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY)
    Route.BASE = api_url.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
    return old


def intents() -> discord.Intents:
    """The gateway intents the bot needs, and no more (see the module docstring)."""
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.guild_messages = True
    wanted.dm_messages = True
    return wanted


class AskButton(discord.ui.DynamicItem[discord.ui.Button], template=convert.ASK_CUSTOM_ID):
    """A "did you mean" button: its custom_id carries the follow-up question it asks, so the buttons of
    any message, however old, are answered (see ``convert.ask_custom_id``)."""

    def __init__(self, label: str, custom_id: str):
        super().__init__(discord.ui.Button(label=label, custom_id=custom_id, style=discord.ButtonStyle.secondary))

    @classmethod
    async def from_custom_id(cls, interaction: discord.Interaction, item: discord.ui.Item[Any],
                             match: re.Match[str], /) -> AskButton:
        """The button pressed, as discord.py dispatches a custom_id that matches the template."""
        return cls(getattr(item, "label", None) or "?", match.string)

    async def callback(self, interaction: discord.Interaction) -> None:
        """Answer the follow-up question, like a command."""
        question = convert.question_from_custom_id(self.custom_id, origin_of(interaction))
        if question is not None and isinstance(interaction.client, DiscordBot):
            await interaction.client.respond(interaction, question)


def to_view(answer_: Answer) -> discord.ui.View | None:
    """The "did you mean" buttons as a view."""
    pairs = render.buttons(answer_)
    if not pairs:
        return None
    view = discord.ui.View(timeout=None)
    for label, custom_id in pairs:
        view.add_item(AskButton(label, custom_id))
    return view


def _message(reply: Answer, chart: discord.File | None) -> dict:
    """send() arguments for an answer: its embed, and the chart attached and shown as the embed's image."""
    data = render.embed(reply, image=chart.filename if chart else None)
    kwargs = {"embed": discord.Embed.from_dict(data), "allowed_mentions": NONE}
    if chart is not None:
        kwargs["files"] = [chart]
    return kwargs


def origin_of(obj: discord.Interaction | discord.Message) -> Origin:
    """Where an interaction or a message came from (guild, channel, user ids)."""
    if isinstance(obj, discord.Interaction):
        return convert.origin_of(obj.guild_id, obj.channel_id, None, obj.user.id if obj.user else None,
                                 manage_channels=obj.permissions.manage_channels)
    guild = getattr(obj.guild, "id", None) or getattr(obj.channel, "guild_id", None)
    return convert.origin_of(guild, obj.channel.id, None, obj.author.id)


class DiscordBot(discord.Client):
    """One knowledge base answering Discord questions."""

    def __init__(self, kb: KnowledgeBase, settings: DiscordSettings, digests: DigestSettings | None = None,
                 sync: SyncSettings | None = None, answers: AnswerSettings | None = None, **options):
        """``digests`` and ``sync`` run the digest scheduler and the scheduled sync in this process (when
        their settings ask for them); ``answers`` sizes the pool of answer workers and sets each answer's
        time budget; ``options`` go to discord.Client."""
        if settings.shard_count is not None:
            options.setdefault("shard_id", settings.shard_id)
            options.setdefault("shard_count", settings.shard_count)
        super().__init__(intents=intents(), allowed_mentions=NONE, **options)
        self.kb = kb
        self.settings = settings
        self.digests, self.sync = digests, sync
        self.background: list = []
        self._executor = AnswerPool(answers)
        self._completer = ThreadPoolExecutor(max_workers=2, thread_name_prefix="modelwire-complete")
        self._charts = pictures.executor()
        self.tree = app_commands.CommandTree(self)
        self.tree.error(self._on_tree_error)
        self.add_dynamic_items(AskButton, menus.OrgSelect)
        self._register()
        menus.add_compare(self)
        menus.add_ask_menu(self)
        menus.declare_installs(self.tree)

    async def close(self) -> None:
        jobs, self.background = self.background, []
        await stop_background(jobs)
        await super().close()
        self._executor.shutdown(wait=False, cancel_futures=True)
        self._completer.shutdown(wait=False, cancel_futures=True)
        self._charts.shutdown(wait=False, cancel_futures=True)

    def health(self) -> dict:
        """/healthz: ok while the gateway session is ready and its websocket open, and the inline digest
        scheduler, when this process runs one, is healthy (under ``digests``)."""
        up = self.is_ready() and not self.is_closed() and self.ws is not None and self.ws.open
        return with_digests(connection(up, GATEWAY_DOWN), self.background)

    async def ask(self, question: Question) -> Answer:
        """Answer off the event loop (database and matching are blocking work), in the question's
        conversation (see ``convert`` for which messages share one); TooSlow past the time budget."""
        return await self._executor.answer(answer_in_conversation, question, self.kb)

    async def complete(self, current: str, kind: str, multi: bool = False) -> list[app_commands.Choice[str]]:
        """At most 25 autocomplete choices from the core's matcher.

        They come from the in-memory alias index, in the autocomplete threads rather than the answer
        pool, so they never wait behind answers; past ``AUTOCOMPLETE_BUDGET`` (the index still being
        loaded, say) there are no choices rather than a late reply Discord would refuse.
        """
        prefix = convert.last_segment(current, multi)

        def names() -> list[str]:
            return self.kb.index().complete(prefix, [kind], limit=25)

        work = asyncio.get_running_loop().run_in_executor(self._completer, names)
        try:
            found = await asyncio.wait_for(work, AUTOCOMPLETE_BUDGET)
        except asyncio.TimeoutError:
            log.warning("autocomplete of %r took over %s s: no choices", current, AUTOCOMPLETE_BUDGET)
            return []
        return [app_commands.Choice(name=n, value=v) for n, v in convert.complete_choices(found, current, multi)]

    async def setup_hook(self) -> None:
        """Sync the commands (to the development guild when one is set, instantly; else globally) and
        start the digest scheduler when this process runs it."""
        if self.settings.guild_id:
            guild = discord.Object(id=self.settings.guild_id)
            self.tree.copy_global_to(guild=guild)
            await self.tree.sync(guild=guild)
        else:
            await self.tree.sync()
        self._completer.submit(self.kb.index)  # warm the alias index for autocomplete (errors surface on use)
        from adapters.discord.publish import DiscordPublisher

        self.background = start_background(self.kb, {"discord": DiscordPublisher(self)}, self.digests, self.sync)

    async def complete_zone(self, current: str) -> list[app_commands.Choice[str]]:
        """Time zone choices for /subscribe."""
        return [app_commands.Choice(name=z, value=z) for z in complete_zone(current)]

    async def respond(self, interaction: discord.Interaction, question: Question, private: bool | None = None,
                      **extra) -> None:
        """Defer, answer, then send the answer as a follow-up; ephemeral when ``private`` and for answers
        meant for the asker alone (see ``menus.respond``)."""
        await menus.respond(self, interaction, question, private, **extra)

    async def chart_file(self, reply: Answer) -> discord.File | None:
        """The answer's chart as an attachment, rendered off the event loop; None without a chart.

        A picture that cannot be drawn is logged and left out: the answer goes out without it.
        """
        png = await pictures.draw(reply, self._charts, log)
        if png is None:
            return None
        return discord.File(io.BytesIO(png), pictures.FILENAME, description=render.chart_description(reply))

    async def _send(self, send, reply: Answer, **extra) -> None:
        """Send the answer as an embed with its buttons, and its chart attached as the embed's image.

        When Discord refuses the message with the picture (no Attach Files permission, too large),
        the answer is sent again without it: a chart never costs the text answer.
        """
        view = to_view(reply)
        if view is not None:
            extra["view"] = view
        chart = await self.chart_file(reply)
        try:
            await send(**_message(reply, chart), **extra)
        except discord.HTTPException as exc:
            if chart is None:
                raise
            log.warning("Discord refused the answer %r with its chart (%s, code %s): sending it without",
                        reply.title, exc.status, exc.code)
            await send(**_message(reply, None), **extra)

    async def _on_tree_error(self, interaction: discord.Interaction, error: app_commands.AppCommandError) -> None:
        if isinstance(error, app_commands.CommandNotFound):
            text = "I don't know that command (it may have been removed). Try /help."
        else:
            log.error("error in Discord command %s: %r", interaction.command and interaction.command.name, error,
                      exc_info=error)
            text = "Sorry, something went wrong answering that."
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True, allowed_mentions=NONE)
        else:
            await interaction.response.send_message(text, ephemeral=True, allowed_mentions=NONE)

    async def on_message(self, message: discord.Message) -> None:
        """Answer a direct message, or a message that mentions the bot (not @everyone), with a reply."""
        me = self.user
        if me is None or message.author.bot or message.author.id == me.id:
            return
        # A direct message, or a message naming the bot itself: @everyone and role mentions do not count.
        if not isinstance(message.channel, discord.DMChannel) and me.id not in message.raw_mentions:
            return
        question = convert.question_from_message(message.content, me.id, origin_of(message))
        try:
            await self._reply(message, question)
        except Exception as exc:
            log.error("could not answer Discord message %s in channel %s: %r", message.id, message.channel.id, exc,
                      exc_info=exc)

    async def _reply(self, message: discord.Message, question: Question) -> None:
        """Reply to ``message`` with the answer, or with TOO_SLOW when it was not ready in time."""
        reference = message.to_reference(fail_if_not_exists=False)
        try:
            reply = await self.ask(question)
        except TooSlow:  # logged with the time taken where it was given up
            await message.channel.send(render.notice(TOO_SLOW)["content"], reference=reference, mention_author=False,
                                       allowed_mentions=NONE)
            return
        await self._send(message.channel.send, reply, reference=reference, mention_author=False)

    def _register(self) -> None:
        tree, bot = self.tree, self

        async def model(_i: discord.Interaction, current: str):
            return await bot.complete(current, "model")

        async def benchmark(_i: discord.Interaction, current: str):
            return await bot.complete(current, "benchmark")

        def run(name: str):
            async def go(interaction: discord.Interaction, **options) -> None:
                await bot.respond(interaction, convert.question_from_command(name, options, origin_of(interaction)))
            return go

        @tree.command(name="ask", description="Ask anything about AI models, benchmarks and releases")
        @app_commands.describe(question="Your question, e.g. What did GPT-5.4 score on GPQA Diamond?",
                               private="True: only you see the answer")
        async def ask(interaction: discord.Interaction, question: str, private: bool = False) -> None:
            await bot.respond(interaction, convert.question_from_command("ask", {"question": question},
                                                                         origin_of(interaction)), private)

        @tree.command(name="top", description="The leaderboard of a benchmark")
        @app_commands.describe(benchmark="A benchmark", n="How many models (default 10)")
        @app_commands.autocomplete(benchmark=benchmark)
        async def top(interaction: discord.Interaction, benchmark: str,
                      n: app_commands.Range[int, 1, 50] | None = None) -> None:
            await run("top")(interaction, benchmark=benchmark, n=n)

        @tree.command(name="model", description="A model's card: maker, release, scores")
        @app_commands.describe(name="A model")
        @app_commands.autocomplete(name=model)
        async def model_(interaction: discord.Interaction, name: str) -> None:
            await run("model")(interaction, name=name)

        self._register_find()
        self._register_digests()

        @tree.command(name="help", description="What modelwire can answer")
        async def help_(interaction: discord.Interaction) -> None:
            await run("help")(interaction)


    def _register_find(self) -> None:
        """/find: models by what they are, with typed options; the core builds the same query as from words."""
        tree, bot = self.tree, self
        inputs = [app_commands.Choice(name=m, value=m) for m in MODALITIES]
        sorts = [app_commands.Choice(name=s, value=s) for s in FIND_SORTS]

        async def orgs(_i: discord.Interaction, current: str):
            return await bot.complete(current, "org", multi=True)

        @tree.command(name="find", description="Find models by organization, open weights, context, price, date")
        @app_commands.describe(org="Organizations, separated by commas (their units included)",
                               open_weights="True: only open-weights models; False: only closed ones",
                               input="Only models taking this input",
                               min_context="At least this context, e.g. 128k or 1M",
                               max_price="At most this many dollars per million input tokens",
                               since="Released since YYYY-MM or YYYY-MM-DD",
                               until="Released until YYYY-MM or YYYY-MM-DD",
                               sort="The order (default newest first)", limit="How many models (default 15)",
                               reasoning="True: only reasoning models; False: only others",
                               tool_calling="True: only models with tool calling; False: only others",
                               private="True: only you see the answer")
        @app_commands.choices(input=inputs, sort=sorts)
        @app_commands.autocomplete(org=orgs)
        async def find(interaction: discord.Interaction, org: str | None = None, open_weights: bool | None = None,
                       input: str | None = None, min_context: str | None = None,
                       max_price: app_commands.Range[float, 0] | None = None, since: str | None = None,
                       until: str | None = None, sort: str | None = None,
                       limit: app_commands.Range[int, 1, MAX_LIMIT] | None = None, reasoning: bool | None = None,
                       tool_calling: bool | None = None, private: bool = False) -> None:
            options = {"org": org, "open_weights": open_weights, "input": input, "min_context": min_context,
                       "max_price": max_price, "since": since, "until": until, "sort": sort, "limit": limit,
                       "reasoning": reasoning, "tool_calling": tool_calling}
            await bot.respond(interaction, convert.question_from_command("find", options, origin_of(interaction)),
                              private)

    def _register_digests(self) -> None:
        """/subscribe, /unsubscribe, /subscriptions and /digest preview. The first two are shown only to
        members with Manage Channels (a server may change that, so the core checks it again)."""
        tree, bot = self.tree, self
        manage = discord.Permissions(manage_channels=True)
        cadences = [app_commands.Choice(name=c, value=c) for c in ("instant", "daily", "weekly")]
        days = [app_commands.Choice(name=d.capitalize(), value=d) for d in DAYS]
        inputs = [app_commands.Choice(name=m, value=m) for m in MODALITIES]

        async def run(interaction: discord.Interaction, name: str, **options) -> None:
            await bot.respond(interaction, convert.question_from_command(name, options, origin_of(interaction)))

        async def zones(_i: discord.Interaction, current: str):
            return await bot.complete_zone(current)

        async def orgs(_i: discord.Interaction, current: str):
            return await bot.complete(current, "org", multi=True)

        @tree.command(name="subscribe", description="Post release digests in this channel")
        @app_commands.describe(cadence="instant, daily or weekly (default daily)",
                               time="HH:MM, 24-hour (default 09:00)", day="For weekly digests (default Monday)",
                               tz="IANA time zone (default UTC)",
                               orgs="Only these organizations, separated by commas",
                               open_weights="Only open-weights models", input="Only models taking this input",
                               updates="Also new scores, context and price changes, deprecations of known models",
                               min_context="Only models with at least this context window, e.g. 128k or 1M",
                               max_price="Only models costing at most this many US dollars per million input tokens",
                               reasoning="Only reasoning models", tool_calling="Only models that can call tools",
                               licence="Only models whose licence contains this word, e.g. apache or mit")
        @app_commands.choices(cadence=cadences, day=days, input=inputs)
        @app_commands.autocomplete(tz=zones, orgs=orgs)
        @app_commands.default_permissions(manage)
        async def subscribe(interaction: discord.Interaction, cadence: str | None = None, time: str | None = None,
                            day: str | None = None, tz: str | None = None, orgs: str | None = None,
                            open_weights: bool = False, input: str | None = None, updates: bool = False,
                            min_context: str | None = None,
                            max_price: app_commands.Range[float, 0] | None = None,
                            reasoning: bool = False, tool_calling: bool = False,
                            licence: str | None = None) -> None:
            await menus.subscribe(bot, interaction, dict(
                cadence=cadence, time=time, day=day, tz=tz, orgs=orgs, open_weights=open_weights, input=input,
                updates=updates, min_context=min_context, max_price=max_price, reasoning=reasoning,
                tool_calling=tool_calling, licence=licence))

        @tree.command(name="unsubscribe", description="Stop release digests in this channel")
        @app_commands.describe(number="Only this one (see /subscriptions); default: all")
        @app_commands.default_permissions(manage)
        async def unsubscribe(interaction: discord.Interaction,
                              number: app_commands.Range[int, 1, 100] | None = None) -> None:
            await run(interaction, "unsubscribe", number=number)

        @tree.command(name="subscriptions", description="This channel's release digest subscriptions")
        async def subscriptions(interaction: discord.Interaction) -> None:
            await run(interaction, "subscriptions")

        digest = app_commands.Group(name="digest", description="Release digests")

        @digest.command(name="preview", description="What this channel's next digest would say")
        async def preview(interaction: discord.Interaction) -> None:
            await run(interaction, "digest preview")

        tree.add_command(digest)


async def serve(bot: DiscordBot, health_port: int | None = None) -> None:
    """Log in, connect and serve until cancelled (with GET /healthz on ``health_port``: see
    ``DiscordBot.health``); always close the client."""
    async with contextlib.AsyncExitStack() as stack:
        if health_port:
            await serve_health(health_port, bot.health, stack)
        try:
            await bot.start(bot.settings.token)
        finally:
            if not bot.is_closed():
                await bot.close()


@click.command("discord")
@click.pass_context
def discord_command(ctx: click.Context) -> None:
    """Run the Discord bot (settings in .env.example)."""

    def settings() -> tuple[DiscordSettings, ServiceSettings, DigestSettings, SyncSettings, AnswerSettings]:
        return load_settings(), load(ServiceSettings), load(DigestSettings), load(SyncSettings), load(AnswerSettings)

    run_service(ctx, settings, _run)


async def _run(kb: KnowledgeBase, loaded: tuple) -> None:
    """``modelwire discord``: serve until stopped; what Discord refuses at start-up is a one-line error."""
    settings, service, digests, sync, answers = loaded
    use_urls(settings.api_url, settings.gateway_url)
    try:
        await serve(DiscordBot(kb, settings, digests, sync, answers), service.health_port)
    except discord.LoginFailure:
        raise click.ClickException("DISCORD_TOKEN was refused by Discord (check the bot token)") from None
    except discord.PrivilegedIntentsRequired as exc:
        raise click.ClickException(str(exc).splitlines()[0]) from None
    except discord.HTTPException as exc:  # e.g. syncing commands to a guild the bot is not in (403)
        detail = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise click.ClickException(f"Discord refused a start-up request: {detail}") from None
    except (aiohttp.ClientError, OSError) as exc:
        raise click.ClickException(f"cannot reach Discord at {settings.api_url}: {exc}") from None
