"""Chat-native Slack: private /modelwire answers with "Share in channel", buttons that update their message,
the App Home tab, the subscribe modal (external selects, inline errors) and the "Ask modelwire" shortcut.

The real Bolt app in HTTP mode receives signed requests shaped as Slack sends them (``FakeSlack.submission``,
``suggestion``, ``press``, ``message_shortcut``); every assertion is on what the fake Slack received or on
the app's HTTP answer to the request (ack bodies: options, ``response_action: errors``).
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.slack import home, modals, share
from adapters.slack.app import SlackBot
from adapters.slack.shortcuts import ASK_SHORTCUT
from bot.digests.subscriptions import describe
from bot.values import Origin
from knowledge.schema import Meta, Subscription
from tests.digest_support import slack_origin, subscribe
from tests.slack_support import RunningApp, settings_for

pytestmark = pytest.mark.asyncio
QUIET = 0.3
ADMIN = {"id": "U0001", "name": "ada", "is_admin": True, "tz": "Europe/Berlin"}
MEMBER = {"id": "U0001", "name": "bob", "is_admin": False, "tz": "America/New_York"}
SCORE_Q = "what did Muse Spark score on GPQA?"
NOW = dt.datetime(2026, 5, 1, 12, 0, tzinfo=dt.timezone.utc)


@pytest.fixture
async def app(kb, fake):
    async with RunningApp(SlackBot(kb, settings_for(fake))) as running:
        yield running


def subscriptions(kb) -> list[Subscription]:
    with Session(kb.engine) as session:
        return list(session.execute(select(Subscription).order_by(Subscription.id)).scalars())


def texts(view_or_message: dict) -> str:
    """Every text of a view's or message's blocks, joined (sections, headers, context, button labels)."""
    out = []
    for block in view_or_message["blocks"]:
        if "text" in block:
            out.append(block["text"]["text"])
        for element in block.get("elements", []):
            out.append(element["text"]["text"] if isinstance(element.get("text"), dict) else element.get("text", ""))
    return "\n".join(out)


def actions_of(view: dict) -> list[tuple[str, str]]:
    """(action_id, value) of every button in a view."""
    return [(e["action_id"], e.get("value", "")) for b in view["blocks"] if b["type"] == "actions"
            for e in b["elements"]]


async def settle(fake, method: str, count: int) -> list[dict]:
    await asyncio.sleep(QUIET)
    calls = fake.calls_to(method)
    assert len(calls) == count, calls
    return calls


# -- /modelwire answers are private; sharing posts them ------------------------------------------------


async def test_a_command_answer_is_private_with_a_share_button(app, fake):
    await app.command(SCORE_Q, fake.response_url())
    (reply,) = await fake.wait_for("respond:cmd")
    assert reply["response_type"] == "ephemeral"
    assert reply["blocks"][0]["text"]["text"] == "Muse Spark on GPQA Diamond"
    assert reply["blocks"][-1] == {"type": "actions", "block_id": share.SHARE_BLOCK, "elements": [
        {"type": "button", "action_id": share.SHARE_ACTION, "value": SCORE_Q, "style": "primary",
         "text": {"type": "plain_text", "text": "Share in channel"}}]}
    await asyncio.sleep(QUIET)
    assert fake.calls_to("chat.postMessage") == [] and fake.uploaded() == []


@pytest.mark.parametrize("text, title", [
    ("help", "What modelwire answers"),
    ("What did GPT-5.9 score on GPQA?", "Not in the knowledge base"),
    ("subscribe daily 25:00", "Can't subscribe like that"),
    ("unsubscribe", "Not allowed"),
])
async def test_help_errors_refusals_and_did_you_mean_are_private_without_share(app, fake, text, title):
    fake.users["U0001"] = {**ADMIN, "is_admin": text != "unsubscribe"}
    await app.command(text, fake.response_url())
    (reply,) = await fake.wait_for("respond:cmd")
    assert reply["response_type"] == "ephemeral" and reply["blocks"][0]["text"]["text"] == title
    assert share.SHARE_ACTION not in json.dumps(reply)


async def test_share_posts_the_same_answer_to_the_channel_and_deletes_the_private_one(app, fake, kb):
    text = "compare Muse Spark, GPT-5.4 on GPQA Diamond"
    await app.command(text, fake.response_url())
    (private,) = await fake.wait_for("respond:cmd")
    status, _ = await app.interactive(fake.press(share.SHARE_ACTION, text, ephemeral=True))
    assert status == 200
    (post,) = await fake.wait_for("chat.postMessage")
    assert post["channel"] == "C0001" and "thread_ts" not in post
    assert post["blocks"][:-1] == private["blocks"][:-1]  # the same answer, without the share button
    assert post["blocks"][-1] == {"type": "context", "elements": [{"type": "mrkdwn", "text": "Shared by <@U0001>"}]}
    assert post["text"] == private["text"]
    (gone,) = await fake.wait_for("respond:button")
    assert gone["delete_original"] is True and not gone.get("blocks")
    file = (await fake.wait_for("files.completeUploadExternal"))[0]
    assert file["channel_id"] == "C0001"  # the comparison's chart goes with the shared answer


async def test_share_where_the_bot_is_not_a_member_goes_through_response_url(app, fake):
    fake.fail_next("chat.postMessage", error="not_in_channel")
    await app.interactive(fake.press(share.SHARE_ACTION, "model Muse Spark", ephemeral=True))
    public, gone = await fake.wait_for("respond:button", 2)
    assert public["response_type"] == "in_channel" and public["replace_original"] is False
    assert public["blocks"][-1]["elements"][0]["text"] == "Shared by <@U0001>"
    assert gone["delete_original"] is True and not gone.get("blocks")


async def test_a_did_you_mean_button_in_a_private_answer_replaces_it(app, fake):
    await app.interactive(fake.press("modelwire_ask_0", "What did GPT-5.4 score on GPQA?", ephemeral=True,
                                     label="GPT-5.4"))
    (reply,) = await fake.wait_for("respond:button")
    assert reply["replace_original"] is True and reply["response_type"] == "ephemeral"
    assert "92.8%" in reply["text"]
    assert reply["blocks"][-1]["elements"][0]["action_id"] == share.SHARE_ACTION  # the new answer may be shared
    await settle(fake, "chat.postMessage", 0)


async def test_a_did_you_mean_button_in_a_thread_answers_there_and_leaves_no_live_buttons(app, fake):
    await app.event({"type": "app_mention", "user": "U0002", "channel": "C0001", "ts": "1700000000.000100",
                     "text": "<@U0BOT> What did GPT-5.9 score on GPQA?"})
    (question,) = await fake.wait_for("chat.postMessage")
    message = {"ts": "1700000000.000200", "thread_ts": "1700000000.000100", "text": question["text"],
               "blocks": question["blocks"]}
    await app.interactive(fake.press("modelwire_ask_0", "What did GPT-5.4 score on GPQA?", message=message,
                                     label="GPT-5.4"))
    _, answer = await fake.wait_for("chat.postMessage", 2)
    assert answer["thread_ts"] == "1700000000.000100" and "92.8%" in answer["text"]
    (update,) = await fake.wait_for("respond:button")
    assert update["replace_original"] is True
    assert [b["type"] for b in update["blocks"]] == ["header", "section", "context"]
    assert update["blocks"][-1]["elements"][0]["text"] == "<@U0001> picked GPT-5.4"


# -- the App Home tab ---------------------------------------------------------------------------------


async def home_opened(app, user: str = "U0001", event_id: str = "EvHome") -> None:
    status, _ = await app.event({"type": "app_home_opened", "user": user, "channel": "D0001", "tab": "home",
                                 "event_ts": "1700000000.000300"}, event_id=event_id)
    assert status == 200


async def test_home_shows_examples_the_knowledge_base_and_the_workspaces_digests(app, fake, kb):
    fake.users["U0001"] = ADMIN
    subscribe(kb, "daily 08:00 org Meta", slack_origin("C0042"), NOW)
    subscribe(kb, "instant", slack_origin("C0043"), NOW)
    subscribe(kb, "instant", Origin(platform="slack", workspace="T0OTHER", channel="C7", can_manage=True), NOW)
    await home_opened(app)
    (publish,) = await fake.wait_for("views.publish")
    assert publish["user_id"] == "U0001" and publish["view"]["type"] == "home"
    shown = texts(fake.home["U0001"])
    counts = kb.counts()
    assert "What did Muse Spark score on GPQA Diamond?" in shown
    assert f"{counts['models']:,} models" in shown and f"{counts['scores']:,} scores" in shown
    assert "has not been synced from models.dev" in shown
    assert "<#C0042>" in shown and "from Meta" in shown and "<#C0043>" in shown and "C7" not in shown
    ids = [s.id for s in subscriptions(kb)[:2]]
    assert actions_of(fake.home["U0001"]) == [
        (home.EDIT_ACTION, str(ids[0])), (home.REMOVE_ACTION, str(ids[0])),
        (home.EDIT_ACTION, str(ids[1])), (home.REMOVE_ACTION, str(ids[1])), (home.SUBSCRIBE_ACTION, "")]


async def test_home_for_a_member_has_no_buttons_and_shows_the_last_sync(app, fake, kb):
    fake.users["U0001"] = MEMBER
    subscribe(kb, "instant", slack_origin("C0042"), NOW)
    with Session(kb.engine) as session:
        session.add(Meta(key="sync.models.dev.synced_at", value="2026-05-01T06:00:00+00:00"))
        session.commit()
    await home_opened(app)
    await fake.wait_for("views.publish")
    shown = texts(fake.home["U0001"])
    assert "last synced from models.dev: 2026-05-01T06:00:00+00:00" in shown
    assert actions_of(fake.home["U0001"]) == []
    assert home.WHO_MAY in shown


async def test_the_messages_tab_publishes_nothing(app, fake):
    await app.event({"type": "app_home_opened", "user": "U0001", "channel": "D0001", "tab": "messages"})
    await settle(fake, "views.publish", 0)


async def test_remove_on_home_deletes_the_subscription_and_republishes(app, fake, kb):
    fake.users["U0001"] = ADMIN
    subscribe(kb, "instant", slack_origin("C0042"), NOW)
    [sub] = subscriptions(kb)
    await home_opened(app)
    await fake.wait_for("views.publish")
    status, _ = await app.interactive(fake.press(home.REMOVE_ACTION, str(sub.id), view=fake.home["U0001"]))
    assert status == 200
    await fake.wait_for("views.publish", 2)
    assert subscriptions(kb) == []
    assert "No channel in this workspace gets release digests yet." in texts(fake.home["U0001"])


async def test_a_member_cannot_remove_even_with_a_forged_press(app, fake, kb):
    fake.users["U0001"] = MEMBER
    subscribe(kb, "instant", slack_origin("C0042"), NOW)
    [sub] = subscriptions(kb)
    await app.interactive(fake.press(home.REMOVE_ACTION, str(sub.id), view={"id": "V1"}))
    await fake.wait_for("views.publish")
    assert len(subscriptions(kb)) == 1


# -- the subscribe modal ------------------------------------------------------------------------------


async def open_modal(app, fake) -> dict:
    status, _ = await app.command("subscribe", fake.response_url())
    assert status == 200
    (opened,) = await fake.wait_for("views.open")
    assert opened["trigger_id"] == "1.2.3"
    return fake.opened()[-1]


async def submit(app, fake, view: dict, values: dict) -> tuple[int, dict]:
    status, text = await app.interactive(fake.submission(view, values))
    return status, json.loads(text) if text else {}


async def test_subscribe_without_arguments_opens_the_modal(app, fake):
    fake.users["U0001"] = ADMIN
    view = await open_modal(app, fake)
    assert view["callback_id"] == modals.CALLBACK
    assert json.loads(view["private_metadata"]) == {"channel": "C0001", "edit": None, "origin": "command"}
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["tz"]["element"]["initial_option"]["value"] == "Europe/Berlin"  # the person's own zone
    assert blocks["tz"]["element"]["type"] == "external_select"
    assert blocks["orgs"]["element"]["type"] == "multi_external_select"
    assert set(blocks) >= {"cadence", "day", "time", "flags", "input", "min_context", "max_price", "licence"}
    assert fake.calls_to("respond:cmd") == []


async def test_a_member_gets_the_refusal_instead_of_the_modal(app, fake):
    fake.users["U0001"] = MEMBER
    await app.command("subscribe", fake.response_url())
    (reply,) = await fake.wait_for("respond:cmd")
    assert reply["response_type"] == "ephemeral" and reply["blocks"][0]["text"]["text"] == "Not allowed"
    assert fake.calls_to("views.open") == []


async def test_time_zone_options_come_from_the_zone_matcher(app, fake):
    fake.users["U0001"] = ADMIN
    view = await open_modal(app, fake)
    status, text = await app.interactive(fake.suggestion(view, "tz", "berl"))
    assert status == 200
    values = [o["value"] for o in json.loads(text)["options"]]
    assert values[0] == "Europe/Berlin"


async def test_organization_options_come_from_the_knowledge_base(app, fake):
    fake.users["U0001"] = ADMIN
    view = await open_modal(app, fake)
    status, text = await app.interactive(fake.suggestion(view, "orgs", "met"))
    assert status == 200
    options = json.loads(text)["options"]
    assert {"text": {"type": "plain_text", "text": "Meta"}, "value": "Meta"} in options


@pytest.mark.parametrize("values, block, problem", [
    ({"cadence": "daily", "day": "friday"}, "day", "A day is for weekly digests"),
    ({"min_context": "lots"}, "min_context", "lots"),
    ({"max_price": "cheap"}, "max_price", "cheap"),
    ({"orgs": ["Antropic Labs"]}, "orgs", "I don't know the organization 'Antropic Labs'"),
    ({"tz": "Europe/Berln"}, "tz", "Did you mean Europe/Berlin?"),
])
async def test_bad_choices_are_shown_under_their_input(app, fake, kb, values, block, problem):
    fake.users["U0001"] = ADMIN
    view = await open_modal(app, fake)
    status, body = await submit(app, fake, view, {"cadence": "daily", **values})
    assert status == 200
    assert body["response_action"] == "errors" and list(body["errors"]) == [block], body
    assert problem in body["errors"][block]
    assert subscriptions(kb) == []


async def test_the_modal_subscribes_like_the_typed_command(app, fake, kb):
    fake.users["U0001"] = ADMIN
    view = await open_modal(app, fake)
    status, body = await submit(app, fake, view, {
        "cadence": "weekly", "day": "friday", "time": "17:30", "tz": "Asia/Tokyo", "orgs": ["Meta", "OpenAI"],
        "flags": ["open-weights", "updates"], "input": "image", "min_context": "128k", "max_price": "2"})
    assert status == 200 and body == {}  # the modal closes
    (confirm,) = await fake.wait_for("chat.postEphemeral")
    assert confirm["channel"] == "C0001" and confirm["user"] == "U0001"
    assert confirm["blocks"][0]["text"]["text"] == "Subscribed to release digests"
    [made] = subscriptions(kb)
    typed = "weekly friday 17:30 tz Asia/Tokyo org Meta, OpenAI open-weights updates input image " \
            "min-context 128k max-price 2"
    subscribe(kb, typed, slack_origin("C0002"), NOW)
    _, same = subscriptions(kb)
    assert describe(made, kb) == describe(same, kb)
    assert (made.channel, made.created_by, made.min_context, made.max_input_price) == ("C0001", "U0001", 128000, 2)


async def test_subscribe_from_home_picks_a_channel_and_confirms_by_dm(app, fake, kb):
    fake.users["U0001"] = ADMIN
    await home_opened(app)
    await fake.wait_for("views.publish")
    await app.interactive(fake.press(home.SUBSCRIBE_ACTION, view=fake.home["U0001"]))
    await fake.wait_for("views.open")
    view = fake.opened()[-1]
    status, body = await submit(app, fake, view, {"cadence": "instant"})
    assert body == {"response_action": "errors", "errors": {"channel": "Pick a channel."}}
    status, body = await submit(app, fake, view, {"channel": "C0042", "cadence": "instant"})
    assert body == {}
    (dm,) = await fake.wait_for("chat.postMessage")
    assert dm["channel"] == "U0001" and dm["blocks"][0]["text"]["text"] == "Subscribed to release digests"
    await fake.wait_for("views.publish", 2)
    assert "<#C0042>" in texts(fake.home["U0001"])
    assert [s.channel for s in subscriptions(kb)] == ["C0042"]


async def test_edit_on_home_fills_in_the_modal_and_replaces_the_subscription(app, fake, kb):
    fake.users["U0001"] = ADMIN
    subscribe(kb, "weekly monday 08:00 tz Europe/Paris org Meta min-context 128k", slack_origin("C0042"), NOW)
    [old] = subscriptions(kb)
    await app.interactive(fake.press(home.EDIT_ACTION, str(old.id), view={"id": "V0"}))
    await fake.wait_for("views.open")
    view = fake.opened()[-1]
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks["cadence"]["element"]["initial_option"]["value"] == "weekly"
    assert blocks["day"]["element"]["initial_option"]["value"] == "monday"
    assert blocks["time"]["element"]["initial_time"] == "08:00"
    assert blocks["tz"]["element"]["initial_option"]["value"] == "Europe/Paris"
    assert [o["value"] for o in blocks["orgs"]["element"]["initial_options"]] == ["Meta"]
    assert blocks["min_context"]["element"]["initial_value"] == "128000"
    assert json.loads(view["private_metadata"])["edit"] == old.id
    _, body = await submit(app, fake, view, {"cadence": "daily", "time": "07:15", "tz": "Europe/Paris"})
    assert body == {}
    await fake.wait_for("chat.postMessage")
    [new] = subscriptions(kb)
    assert (new.channel, new.cadence, new.at_time, new.timezone, new.org_ids, new.min_context) == (
        "C0042", "daily", "07:15", "Europe/Paris", None, None)


async def test_a_member_cannot_submit_the_modal(app, fake, kb):
    fake.users["U0001"] = ADMIN
    view = await open_modal(app, fake)
    fake.users["U0001"] = MEMBER  # no longer an admin by the time of submitting
    _, body = await submit(app, fake, view, {"cadence": "instant"})
    assert body == {"response_action": "errors", "errors": {"cadence": home.WHO_MAY}}
    assert subscriptions(kb) == []


# -- the "Ask modelwire" message shortcut ---------------------------------------------------------------


async def test_the_shortcut_answers_a_message_in_its_thread(app, fake):
    message = {"type": "message", "user": "U0002", "ts": "1700000000.000500", "text": SCORE_Q}
    status, _ = await app.interactive(fake.message_shortcut(ASK_SHORTCUT, message))
    assert status == 200
    (post,) = await fake.wait_for("chat.postMessage")
    assert post["channel"] == "C0001" and post["thread_ts"] == "1700000000.000500" and "89.5%" in post["text"]


async def test_the_shortcut_on_a_reply_answers_in_the_same_thread(app, fake):
    message = {"type": "message", "user": "U0002", "ts": "1700000000.000600", "thread_ts": "1700000000.000500",
               "text": "Muse Spark vs GPT-5.4"}
    await app.interactive(fake.message_shortcut(ASK_SHORTCUT, message))
    (post,) = await fake.wait_for("chat.postMessage")
    assert post["thread_ts"] == "1700000000.000500"


async def test_the_shortcut_on_a_message_without_text_says_so_privately(app, fake):
    await app.interactive(fake.message_shortcut(ASK_SHORTCUT, {"type": "message", "ts": "1700000000.000700",
                                                               "text": ""}))
    (reply,) = await fake.wait_for("respond:shortcut")
    assert reply["response_type"] == "ephemeral" and "no text" in reply["text"]
    await settle(fake, "chat.postMessage", 0)
