"""Chat-native Discord, through the real discord.py client and the fake Discord: ephemeral answers
(``private``, help, usage errors, refusals, "did you mean"), /compare's model options, the "Ask
modelwire" message menu, user installs (where commands may be used) and /subscribe's organization
select. Every assertion is on what Discord itself would receive."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.discord import menus, options
from bot.digests.choices import org_choices, unknown_orgs
from bot.values import Answer
from knowledge.schema import Subscription
from tests.digest_support import add_releases
from tests.fakes.discord import APP_ID, CHANNEL_ID, EPHEMERAL, GROUP_DM_ID, GUILD_ID, PERSON, FakeDiscord
from tests.test_discord_gateway import NO_PINGS, answered, assert_embed_within_limits, start_bot, stop_bot

QUIET = 0.3
GUILD_INSTALL, USER_INSTALL = 0, 1
IN_GUILD, IN_BOT_DM, IN_PRIVATE_CHANNEL = 0, 1, 2


@pytest.fixture
async def bot(kb, fake_discord, urls):
    running, task = await start_bot(kb, fake_discord)
    yield running
    await stop_bot(running, task)


def flags(body: dict) -> int:
    """The flags of a callback (in its data) or of a follow-up message."""
    return (body.get("data") or body).get("flags") or 0


def deleted_original(fake: FakeDiscord, interaction: dict) -> bool:
    return bool(fake.calls_to("DELETE", f"/webhooks/{APP_ID}/{interaction['token']}/messages/@original"))


def stored(kb) -> list[Subscription]:
    with Session(kb.engine) as session:
        return list(session.execute(select(Subscription).order_by(Subscription.id)).scalars())


async def first_callback(fake: FakeDiscord, interaction: dict) -> dict:
    await fake.dispatch("INTERACTION_CREATE", interaction)
    (callback,) = await fake.wait_for("POST", f"/interactions/{interaction['id']}/{interaction['token']}/callback")
    return callback.json


# -- what is synced -----------------------------------------------------------------------------------------


async def test_sync_declares_options_the_message_menu_installs_and_contexts(bot, fake_discord):
    commands = fake_discord.synced()
    assert set(commands) == {"ask", "compare", "top", "model", "find", "help", "subscribe", "unsubscribe",
                             "subscriptions", "digest", "Ask modelwire"}
    menu = commands["Ask modelwire"]
    assert menu["type"] == 3 and "options" not in menu or not menu.get("options")  # a message context menu
    for name in ("ask", "find"):
        (private,) = [o for o in commands[name]["options"] if o["name"] == "private"]
        assert (private["type"], private["required"]) == (5, False)  # boolean, optional
    assert [(o["name"], o["required"], o.get("autocomplete", False)) for o in commands["compare"]["options"]] == [
        ("model1", True, True), ("model2", True, True), ("model3", False, True), ("model4", False, True),
        ("benchmark", False, True)]
    for name in ("ask", "find", "compare", "top", "model", "help", "Ask modelwire"):
        assert commands[name]["integration_types"] == [GUILD_INSTALL, USER_INSTALL], name
        assert commands[name]["contexts"] == [IN_GUILD, IN_BOT_DM, IN_PRIVATE_CHANNEL], name
    for name in ("subscribe", "unsubscribe", "subscriptions", "digest"):
        assert commands[name]["integration_types"] == [GUILD_INSTALL], name
        assert commands[name]["contexts"] == [IN_GUILD, IN_BOT_DM], name


# -- who sees an answer ---------------------------------------------------------------------------------------


async def test_a_private_ask_is_deferred_and_answered_ephemerally(bot, fake_discord):
    callback, followup = await answered(fake_discord, fake_discord.command(
        "ask", question="what did Muse Spark score on GPQA?", private=True))
    assert callback == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert flags(followup) == EPHEMERAL
    assert followup["embeds"][0]["title"] == "Muse Spark on GPQA Diamond"
    assert followup["allowed_mentions"] == NO_PINGS


async def test_an_ask_without_private_is_for_everyone(bot, fake_discord):
    interaction = fake_discord.command("ask", question="what did Muse Spark score on GPQA?", private=False)
    callback, followup = await answered(fake_discord, interaction)
    assert callback == {"type": 5}
    assert not flags(followup) & EPHEMERAL
    assert not deleted_original(fake_discord, interaction)


async def test_a_private_find_is_ephemeral(bot, fake_discord):
    callback, followup = await answered(fake_discord, fake_discord.command("find", org="OpenAI", private=True))
    assert callback == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert flags(followup) == EPHEMERAL and followup["embeds"][0]["title"]


async def test_help_is_always_ephemeral(bot, fake_discord):
    for guild in (True, False):
        callback, followup = await answered(fake_discord, fake_discord.command("help", guild=guild))
        assert callback == {"type": 5, "data": {"flags": EPHEMERAL}}
        assert flags(followup) == EPHEMERAL and followup["embeds"][0]["title"]


async def test_did_you_mean_is_ephemeral_and_its_buttons_answer_ephemerally(bot, fake_discord):
    interaction = fake_discord.command("ask", question="what did GTP-5 score on GPQA?")
    callback, followup = await answered(fake_discord, interaction)
    assert callback == {"type": 5}  # deferred before the answer was known ...
    assert deleted_original(fake_discord, interaction)  # ... so the public "thinking" message goes
    assert flags(followup) == EPHEMERAL
    (row,) = followup["components"]
    custom_id = row["components"][1]["custom_id"]
    callback, answer = await answered(fake_discord, fake_discord.button(custom_id, ephemeral=True))
    assert callback == {"type": 5, "data": {"flags": EPHEMERAL}}
    assert answer["embeds"][0]["title"] == "GPT-5.4 on GPQA Diamond" and flags(answer) == EPHEMERAL


async def test_usage_errors_and_refusals_are_ephemeral(bot, fake_discord):
    for interaction, title in [
            (fake_discord.command("subscribe", cadence="daily", time="25:00"), "Can't subscribe like that"),
            (fake_discord.command("subscribe", permissions="0", cadence="instant"), "Not allowed"),
            (fake_discord.command("unsubscribe", permissions="0"), "Not allowed")]:
        callback, followup = await answered(fake_discord, interaction)
        assert callback == {"type": 5}
        assert deleted_original(fake_discord, interaction)
        assert flags(followup) == EPHEMERAL and followup["embeds"][0]["title"] == title


async def test_a_subscription_confirmation_is_for_everyone(kb, bot, fake_discord):
    interaction = fake_discord.command("subscribe", cadence="instant")
    _, followup = await answered(fake_discord, interaction)
    assert followup["embeds"][0]["title"] == "Subscribed to release digests"
    assert not flags(followup) & EPHEMERAL and not deleted_original(fake_discord, interaction)


# -- /compare ------------------------------------------------------------------------------------------------


async def test_compare_takes_one_option_per_model(bot, fake_discord):
    callback, followup = await answered(fake_discord, fake_discord.command(
        "compare", model1="Muse Spark", model2="GPT-5.4", benchmark="GPQA Diamond"))
    assert callback == {"type": 5}
    (embed,) = followup["embeds"]
    assert embed["title"] == "Muse Spark vs GPT-5.4 on GPQA Diamond"
    assert "89.5%" in embed["description"] and "92.8%" in embed["description"]
    assert_embed_within_limits(embed)
    _, followup = await answered(fake_discord, fake_discord.command(
        "compare", model1="Muse Spark", model2="GPT-5.4", model3="Gemini 3.1 Pro", benchmark="GPQA Diamond"))
    assert followup["embeds"][0]["title"] == "Muse Spark vs GPT-5.4 vs Gemini 3.1 Pro on GPQA Diamond"


async def test_each_model_option_autocompletes_from_the_core_matcher(bot, fake_discord):
    for slot in ("model1", "model2", "model3", "model4"):
        interaction = fake_discord.autocomplete("compare", slot, **{"model1": "Muse Spark", slot: "G"})
        body = await first_callback(fake_discord, interaction)
        assert body == {"type": 8, "data": {"choices": [{"name": n, "value": n} for n in
                                                        ["Gemini 3.1 Pro", "Gemini Deep Think", "GPT-5.4",
                                                         "GPT-5.4 Pro"]]}}, slot


def test_compare_models_reads_every_slot_and_the_old_single_option():
    assert options.compare_models({"model1": "A", "model2": "B", "model3": None, "model4": "C"}) == ["A", "B", "C"]
    assert options.compare_models({"models": "Muse Spark, GPT-5.4"}) == ["Muse Spark", "GPT-5.4"]
    assert options.compare_models({"model1": "A, B", "model2": "B"}) == ["A", "B"]
    assert options.compare_command({"model1": "A", "model2": "B", "benchmark": "X"}) == \
        {"models": "A, B", "benchmark": "X"}


# -- "Ask modelwire" on a message -------------------------------------------------------------------------------


async def test_ask_modelwire_answers_a_message_for_everyone_linking_it(bot, fake_discord):
    target = fake_discord.message(CHANNEL_ID, {"content": "what did Muse Spark score on GPQA? @everyone"},
                                  guild=True)
    callback, followup = await answered(fake_discord, fake_discord.message_command("Ask modelwire", target))
    assert callback == {"type": 5}
    assert followup["content"] == f"Answering https://discord.com/channels/{GUILD_ID}/{CHANNEL_ID}/{target['id']}"
    assert followup["embeds"][0]["title"] == "Muse Spark on GPQA Diamond"
    assert followup["allowed_mentions"] == NO_PINGS
    assert not flags(followup) & EPHEMERAL


async def test_ask_modelwire_on_a_message_without_text_is_an_ephemeral_notice(bot, fake_discord):
    target = fake_discord.message(CHANNEL_ID, {"content": "", "attachments": []}, guild=True)
    body = await first_callback(fake_discord, fake_discord.message_command("Ask modelwire", target))
    assert body["type"] == 4 and body["data"]["flags"] == EPHEMERAL
    assert body["data"]["content"] == options.NO_TEXT
    await asyncio.sleep(QUIET)
    assert not fake_discord.calls_to("POST", f"/webhooks/{APP_ID}/")


async def test_a_user_install_answers_in_a_group_dm_through_the_interaction_only(bot, fake_discord):
    callback, followup = await answered(fake_discord, fake_discord.command(
        "compare", group_dm=True, model1="Muse Spark", model2="GPT-5.4"))
    assert callback == {"type": 5}
    assert followup["embeds"][0]["title"].startswith("Muse Spark vs GPT-5.4")
    target = fake_discord.message(GROUP_DM_ID, {"content": "Muse Spark vs GPT-5.4"}, author=PERSON)
    _, followup = await answered(fake_discord, fake_discord.message_command("Ask modelwire", target, group_dm=True))
    assert followup["content"].endswith(f"/@me/{GROUP_DM_ID}/{target['id']}")
    assert not fake_discord.calls_to("POST", "/channels/")  # the bot is not in the group DM: no channel posts


# -- /subscribe's organization select -------------------------------------------------------------------------


def many_orgs(kb, tmp_path, n: int = 30) -> list[str]:
    """Add ``n`` organizations, organization i with i + 1 models; return their names, most models first."""
    labs = [f"Lab {i:02d}" for i in range(n)]
    models = [{"name": f"{lab} Model {j}", "org": lab} for i, lab in enumerate(labs) for j in range(i + 1)]
    add_releases(kb, tmp_path, *models)
    return labs[::-1]


def select_of(body: dict) -> dict:
    (row,) = body["components"]
    (component,) = row["components"]
    assert component["type"] == 3  # a string select
    return component


async def test_subscribe_without_orgs_offers_the_organizations_with_most_models(kb, bot, fake_discord, tmp_path):
    labs = many_orgs(kb, tmp_path)
    interaction = fake_discord.command("subscribe", cadence="daily", time="08:30", tz="Europe/Berlin",
                                       open_weights=True)
    body = await first_callback(fake_discord, interaction)
    assert body["type"] == 4 and body["data"]["flags"] == EPHEMERAL
    assert body["data"]["content"] == menus.PICK_PROMPT
    component = select_of(body["data"])
    assert component["custom_id"] == "modelwire:sub:c=daily&t=08:30&z=Europe/Berlin&w=1"
    picks = [(o["label"], o["value"]) for o in component["options"]]
    assert len(picks) == 25 and picks[0] == ("All organizations", "*")
    assert [value for _, value in picks[1:]] == labs[:24]
    assert (component["min_values"], component["max_values"]) == (1, 25)
    assert stored(kb) == []  # nothing until the pick

    callback, followup = await answered(fake_discord, fake_discord.select(component, [labs[0], labs[3]]))
    assert callback == {"type": 5}  # the confirmation is for everyone
    assert followup["embeds"][0]["title"] == "Subscribed to release digests"
    assert f"from {labs[0]} and {labs[3]}, open weights only" in followup["embeds"][0]["description"]
    (sub,) = stored(kb)
    assert (sub.cadence, sub.at_time, sub.timezone, sub.open_weights_only) == ("daily", "08:30", "Europe/Berlin",
                                                                                True)
    assert len(sub.org_ids) == 2

    _, followup = await answered(fake_discord, fake_discord.select(component, ["*"]))
    assert followup["embeds"][0]["title"] == "Subscribed to release digests"
    assert [s.org_ids for s in stored(kb)][1] is None  # every organization


async def test_the_select_is_not_offered_to_someone_who_may_not_subscribe(kb, bot, fake_discord, tmp_path):
    many_orgs(kb, tmp_path)
    callback, followup = await answered(fake_discord, fake_discord.command("subscribe", permissions="0"))
    assert callback == {"type": 5}
    assert followup["embeds"][0]["title"] == "Not allowed" and flags(followup) == EPHEMERAL


async def test_an_unknown_organization_gets_a_select_of_the_closest(kb, bot, fake_discord):
    interaction = fake_discord.command("subscribe", cadence="instant", orgs="Meta, OpenAI Labs")
    callback, followup = await answered(fake_discord, interaction)
    assert callback == {"type": 5}
    assert flags(followup) == EPHEMERAL and followup["embeds"][0]["title"] == "Can't subscribe like that"
    component = select_of(followup)
    values = [o["value"] for o in component["options"]]
    assert values[0] == "Meta" and "OpenAI" in values and "*" not in values
    _, confirmed = await answered(fake_discord, fake_discord.select(component, ["Meta", "OpenAI"]))
    assert "from Meta and OpenAI" in confirmed["embeds"][0]["description"]
    assert len(stored(kb)) == 1


async def test_a_usage_error_about_another_option_has_no_select(kb, bot, fake_discord):
    _, followup = await answered(fake_discord, fake_discord.command("subscribe", time="25:00", orgs="Meta"))
    assert followup["embeds"][0]["title"] == "Can't subscribe like that"
    assert not followup.get("components")


# -- pure parts ------------------------------------------------------------------------------------------------


def test_subscribe_custom_id_round_trips_and_refuses_what_does_not_fit():
    given = {"cadence": "weekly", "time": "17:00", "day": "friday", "tz": "America/New_York",
             "orgs": "ignored", "open_weights": False, "input": "image", "updates": True, "min_context": "128k",
             "max_price": 2.5, "reasoning": True, "tool_calling": False, "licence": "mit"}
    custom_id = options.subscribe_custom_id(given)
    assert custom_id is not None and len(custom_id) <= 100
    back = options.subscribe_options(custom_id)
    assert back == {k: v for k, v in given.items() if k != "orgs"}
    assert options.subscribe_custom_id({**given, "licence": "x" * 60}) is None
    assert options.subscribe_options("modelwire:ask:0:hello") is None
    assert options.picked_orgs(["A", "*"]) is None and options.picked_orgs(["A", "B"]) == "A, B"


def test_which_answers_are_quiet():
    def answer(intent, found=True, suggestions=()):
        return Answer(question="q", intent=intent, found=found, title="t", text="x", suggestions=list(suggestions))

    assert all(options.is_quiet(answer(i)) for i in ("help", "usage", "refused"))
    assert options.is_quiet(answer("unknown", found=False, suggestions=["GPT-5.4"]))
    assert not options.is_quiet(answer("unknown", found=False))  # "I don't know" is an answer for everyone
    assert not options.is_quiet(answer("score"))


def test_org_choices_come_from_the_knowledge_base(kb):
    top = org_choices(kb)
    assert top[:2] == ["Google", "OpenAI"]  # two models each, then by name
    assert org_choices(kb, ["Meta", "OpenAI Labs"])[:2] == ["Meta", "OpenAI"]
    assert unknown_orgs(kb, ["Meta", "OpenAI Labs"]) == ["OpenAI Labs"]
