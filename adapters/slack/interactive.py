"""The chat-native Slack flows: App Home, the subscribe modal, the share button, "did you mean" buttons
that update their message, and the "Ask modelwire" message shortcut.

Listeners only convert (``modals``, ``home``, ``share``, ``shortcuts``) and call Slack; the knowledge
base is read and written off the event loop, in the bot's pool of workers. Who may change digests is
the subscribe command's rule (``convert.may_manage``: users.info, the allow-list, the person's own IM).
"""

from __future__ import annotations

import functools
import logging
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError

from adapters.answering import TOO_SLOW, TooSlow
from adapters.slack import convert, home, modals, render, share, shortcuts
from bot.digests import manage, subscriptions
from bot.digests.arguments import spec_from
from bot.values import Answer, Origin, Question
from knowledge.sync import read_state

if TYPE_CHECKING:
    from adapters.slack.app import SlackBot

log = logging.getLogger("modelwire.slack")
NO_TEXT = "That message has no text to ask about."


def _ids(body: dict) -> tuple[str, str | None, str | None]:
    """(team, channel, user) of any interaction payload."""
    team = (body.get("team") or {}).get("id") or body.get("team_id") or (body.get("user") or {}).get("team_id")
    channel = (body.get("channel") or {}).get("id") or (body.get("container") or {}).get("channel_id") \
        or body.get("channel_id")
    user = (body.get("user") or {}).get("id") or body.get("user_id")
    return team or "", channel, user


def _value_id(body: dict) -> int | None:
    value = str(((body.get("actions") or [{}])[0]).get("value") or "")
    return int(value) if value.isascii() and value.isdigit() and len(value) < 12 else None


class Interactions:
    """The flows of one SlackBot; ``register`` adds their listeners to its Bolt app."""

    def __init__(self, bot: SlackBot):
        self.bot = bot
        self.client = bot.client
        self.kb = bot.kb

    async def _run(self, work, *args):
        return await self.bot._executor.run(work, *args)

    # -- who may change digests ------------------------------------------------------------------

    async def user(self, user_id: str | None) -> dict | None:
        """users.info's user, or None (a failed lookup is no permission, never an error)."""
        if not user_id:
            return None
        try:
            return (await self.client.users_info(user=user_id)).get("user")
        except SlackApiError as exc:
            log.warning("users.info failed for %s: %s", user_id, exc.response.get("error"))
            return None

    async def own_im(self, channel: str | None, user_id: str | None) -> bool:
        """Whether ``channel`` is the person's own IM with the bot (see ``SlackBot.own_im``)."""
        return await self.bot.own_im(channel, user_id)

    async def may_manage(self, user_id: str | None, channel: str | None) -> tuple[bool, dict | None]:
        """Whether the person may change ``channel``'s digests (any channel's, when None), and their user."""
        user = await self.user(user_id)
        own = await self.own_im(channel, user_id)
        return convert.may_manage(user, user_id, channel, self.bot.settings.managers, own), user

    # -- App Home --------------------------------------------------------------------------------

    def _home_data(self, team: str) -> tuple[dict, str | None, list[dict]]:
        counts = self.kb.counts()
        synced = read_state(self.kb.engine).get("synced_at")
        return counts, synced, manage.workspace_subscriptions(self.kb, "slack", team)

    async def publish_home(self, user_id: str, team: str) -> None:
        """views.publish the person's Home tab; a failure is logged, never raised."""
        try:
            allowed, _ = await self.may_manage(user_id, None)
            counts, synced, subs = await self._run(self._home_data, team)
            await self.client.views_publish(user_id=user_id, view=home.view(counts, synced, subs, allowed))
        except SlackApiError as exc:
            log.error("views.publish failed: %s (team=%s user=%s)", exc.response.get("error"), team, user_id)
        except Exception as exc:
            log.error("could not publish the Home tab (team=%s user=%s): %r", team, user_id, exc, exc_info=exc)

    async def on_home_opened(self, body: dict, event: dict) -> None:
        """app_home_opened on the Home tab: publish it afresh."""
        if event.get("tab", "home") == "home" and event.get("user"):
            await self.publish_home(event["user"], body.get("team_id") or "")

    async def on_remove(self, ack, body: dict) -> None:
        """Remove (Home tab): delete the subscription when the person may, then republish the tab."""
        await ack()
        team, _, user_id = _ids(body)
        sub_id = _value_id(body)
        allowed, _ = await self.may_manage(user_id, None)
        if allowed and sub_id is not None:
            gone = await self._run(manage.remove, self.kb, "slack", team, sub_id)
            log.info("subscription %s removed from the Home tab by %s: %s", sub_id, user_id, gone)
        if user_id:
            await self.publish_home(user_id, team)

    # -- the subscribe modal ---------------------------------------------------------------------

    async def _open(self, trigger_id: str | None, view: dict) -> bool:
        try:
            await self.client.views_open(trigger_id=trigger_id or "", view=view)
        except SlackApiError as exc:
            log.error("views.open failed: %s", exc.response.get("error"))
            return False
        return True

    async def open_subscribe(self, body: dict, respond) -> None:
        """``/modelwire subscribe`` without arguments: the modal for the command's channel, or the
        refusal (ephemeral) for someone who may not change its digests."""
        team, channel, user_id = _ids(body)
        allowed, user = await self.may_manage(user_id, channel)
        if not allowed:
            origin = Origin(platform="slack", workspace=team, channel=channel, user=user_id)
            refusal = subscriptions.handle(Question(text="subscribe", command="subscribe", args={"text": ""},
                                                    origin=origin), self.kb)
            await respond(**share.ephemeral(render.message(refusal)))
            return
        await self._open(body.get("trigger_id"), modals.view(channel, {"tz": (user or {}).get("tz")}))

    async def on_home_subscribe(self, ack, body: dict) -> None:
        """"Subscribe…" (Home tab): the modal, with a channel select."""
        await ack()
        _, _, user_id = _ids(body)
        allowed, user = await self.may_manage(user_id, None)
        if allowed:
            await self._open(body.get("trigger_id"), modals.view(None, {"tz": (user or {}).get("tz")},
                                                                 origin="home"))

    async def on_edit(self, ack, body: dict) -> None:
        """Edit (Home tab): the modal filled in with the subscription's settings."""
        await ack()
        team, _, user_id = _ids(body)
        sub_id = _value_id(body)
        allowed, _ = await self.may_manage(user_id, None)
        settings = await self._run(manage.settings_of, self.kb, "slack", team, sub_id) if sub_id else None
        if allowed and settings:
            await self._open(body.get("trigger_id"), modals.view(settings["channel"], settings, sub_id, "home"))
        elif user_id:
            await self.publish_home(user_id, team)  # it was removed meanwhile: show the list as it is

    def _check(self, parts: dict[str, list[str]], zone: str) -> tuple[str, dict[str, str]]:
        index, licences = self.kb.index(), subscriptions.known_licences(self.kb)
        return modals.check(parts, lambda text: spec_from({"text": text, "default_tz": zone}, index, licences))

    async def on_submit(self, ack, body: dict, view: dict) -> None:
        """The modal submitted: the same words through the same parser; problems under their inputs,
        else the subscription is made and confirmed (ephemeral in the channel, or by DM)."""
        team, _, user_id = _ids(body)
        meta, channel = modals.metadata(view), modals.channel_of(view)
        where = "cadence" if meta.get("channel") else "channel"
        if not channel:
            await ack(response_action="errors", errors={where: "Pick a channel."})
            return
        allowed, user = await self.may_manage(user_id, channel)
        if not allowed:
            await ack(response_action="errors", errors={where: home.WHO_MAY})
            return
        zone = (user or {}).get("tz") or "UTC"
        text, errors = await self._run(self._check, modals.words(view), zone)
        if errors:
            await ack(response_action="errors", errors=errors)
            return
        await ack()
        question = Question(text=f"subscribe {text}", command="subscribe", args={"text": text, "default_tz": zone},
                            origin=Origin(platform="slack", workspace=team, channel=channel, user=user_id,
                                          can_manage=True))
        edit = meta.get("edit")
        work = functools.partial(manage.replace, sub_id=edit) if isinstance(edit, int) else subscriptions.handle
        result = await self._run(work, question, self.kb)
        await self._confirm(result, channel, user_id, meta.get("origin") == "home")
        if user_id and meta.get("origin") == "home":
            await self.publish_home(user_id, team)

    async def _confirm(self, result: Answer, channel: str, user_id: str | None, by_dm: bool) -> None:
        reply = render.message(result)
        try:
            if not by_dm:
                await self.client.chat_postEphemeral(channel=channel, user=user_id or "", **reply)
                return
        except SlackApiError as exc:
            log.warning("chat.postEphemeral failed: %s (channel=%s); confirming by DM", exc.response.get("error"),
                        channel)
        try:
            await self.client.chat_postMessage(channel=user_id or "", **reply)
        except SlackApiError as exc:
            log.error("could not confirm a subscription to %s: %s", user_id, exc.response.get("error"))

    async def zone_options(self, ack, payload: dict) -> None:
        """Time zones for the modal's select, as the subscribe parser matches them."""
        await ack(options=modals.zone_options(payload.get("value") or ""))

    async def org_options(self, ack, payload: dict) -> None:
        """Organizations for the modal's select, from the knowledge base's alias index."""
        index = await self._run(self.kb.index)
        await ack(options=modals.org_options(payload.get("value") or "", index))

    # -- answers: share, "did you mean", the message shortcut --------------------------------------

    async def _answer(self, question: Question, context: str) -> tuple[Answer | None, dict]:
        """The answer and its reply payload, or (None, an apology)."""
        try:
            result = await self.bot.ask(question)
        except TooSlow:
            return None, render.apology(TOO_SLOW)
        except Exception as exc:
            log.error("could not answer Slack %s: %r", context, exc, exc_info=exc)
            from adapters.slack.app import APOLOGY
            return None, render.apology(APOLOGY)
        return result, render.message(result)

    async def on_share(self, body: dict, respond) -> None:
        """"Share in channel": answer the command again and post it to the channel, shared by the person;
        the private copy is deleted. Where the bot may not post, the answer goes out through response_url."""
        question = shortcuts.question_from_share(body)
        origin = question.origin
        result, reply = await self._answer(question, f"share (channel={origin.channel} user={origin.user})")
        if result is None:
            await respond(response_type="ephemeral", replace_original=True, **reply)
            return
        public = share.shared(reply, origin.user)
        try:
            await self.client.chat_postMessage(channel=origin.channel or "", **public)
        except SlackApiError as exc:
            error = exc.response.get("error")
            if error not in ("not_in_channel", "channel_not_found"):
                log.error("chat.postMessage failed: %s (channel=%s user=%s)", error, origin.channel, origin.user)
                return
            await respond(response_type="in_channel", replace_original=False, **public)
        await respond(delete_original=True)
        await self.bot.upload_chart(result, origin.channel)

    async def on_suggestion(self, body: dict, respond) -> None:
        """A "did you mean" button. In a private answer: the private answer is replaced by the new one. In
        a thread: the answer goes to the thread and the buttons are taken out of their message."""
        action = (body.get("actions") or [{}])[0]
        label = ((action.get("text") or {}).get("text")) or action.get("value") or ""
        question = convert.question_from_action(body)
        if (body.get("container") or {}).get("is_ephemeral"):  # no message in the payload: no thread
            result, reply = await self._answer(question, f"suggestion (user={question.origin.user})")
            text = question.text if share.shareable(result, question.text) else None
            await respond(replace_original=True, **share.ephemeral(reply, text))
            return
        await self.bot._post(question, respond, context=f"suggestion (user={question.origin.user})")
        update = share.resolved(body.get("message") or {}, question.origin.user, label)
        if update is not None:
            await respond(**update)

    async def on_shortcut(self, body: dict, respond) -> None:
        """"Ask modelwire" on a message: its text answered in its thread."""
        question = shortcuts.question_from_shortcut(body)
        if not question.text:
            await respond(response_type="ephemeral", text=NO_TEXT)
            return
        await self.bot._post(question, respond, context=f"message shortcut (channel={question.origin.channel})")

    def register(self, app: Any) -> None:
        """Add the flows' listeners to the Bolt app."""

        async def ack_only(ack):
            await ack()

        app.event("app_home_opened")(self.on_home_opened)
        app.action(home.SUBSCRIBE_ACTION)(self.on_home_subscribe)
        app.action(home.EDIT_ACTION)(self.on_edit)
        app.action(home.REMOVE_ACTION)(self.on_remove)
        app.options(modals.TZ_ACTION)(self.zone_options)
        app.options(modals.ORGS_ACTION)(self.org_options)
        app.view(modals.CALLBACK)(self.on_submit)
        app.action(share.SHARE_ACTION)(ack=ack_only, lazy=[self.on_share])
        app.shortcut(shortcuts.ASK_SHORTCUT)(ack=ack_only, lazy=[self.on_shortcut])
