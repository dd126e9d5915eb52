"""Subscriptions with the finder's filters (min context, max price, reasoning, tool calling, licence).

Words and slash-command options are parsed and checked; the filters are stored, listed, and turned
into a finder query; digests then carry only the releases and updates that match, end to end through
the real scheduler and the fake Slack and Discord, on SQLite and PostgreSQL. Expected digests are
computed from the data each test writes, not by the code under test.
"""

from __future__ import annotations

import datetime as dt
import json

import pytest
import yaml
from sqlalchemy import select
from sqlalchemy.orm import Session

from adapters.discord.publish import DiscordPublisher
from adapters.slack.publish import SlackPublisher
from bot.digests import builder as digests
from bot.digests.arguments import Usage, check, parse_words, request_from
from bot.digests.builder import query_of
from bot.digests.outbox import plan
from bot.digests.scheduler import DigestScheduler
from knowledge.finder import ModelQuery
from knowledge.packs import import_file
from knowledge.schema import Delivery, Subscription
from knowledge.sync import apply_catalogue
from tests.digest_support import Clock, ask, slack_origin, subscribe
from tests.fakes.discord import CHANNEL_ID, GUILD_ID, USER_ID
from tests.test_discord_gateway import answered, start_bot, stop_bot

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 3, 6, 12, 0, tzinfo=UTC)
CATALOGUE_URL = "https://example.invalid/models.json"
OLD = "2025-01-10"
"""A release date long before the syncs here: such a model gets no release record."""


# -- parsing ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("words, expected", [
    ("instant open-weights min-context 128k", {"open_weights": True, "min_context": 128_000}),
    ("min-context 1M", {"min_context": 1_000_000}),
    ("min-context 200000", {"min_context": 200_000}),
    ("min context 1,000,000 tokens", {"min_context": 1_000_000}),
    ("min-context 1.5M", {"min_context": 1_500_000}),
    ("min_context 128K", {"min_context": 128_000}),
    ("max-price 1", {"max_price": 1.0}),
    ("max-price $0.50", {"max_price": 0.5}),
    ("max price 2 dollars", {"max_price": 2.0}),
    ("reasoning tool-calling", {"reasoning": True, "tool_calling": True}),
    ("tool calling", {"tool_calling": True}),
    ("licence MIT", {"licence": "mit"}),
    ("license apache", {"licence": "apache"}),
    ("daily 08:00 org Meta reasoning min-context 128k updates",
     {"org_names": ("Meta",), "reasoning": True, "min_context": 128_000, "updates": True}),
    ("org Meta open weights max-price 0.5", {"org_names": ("Meta",), "open_weights": True, "max_price": 0.5}),
])
def test_finder_filters_in_words(seeded_kb, words, expected):
    spec = check(parse_words(words), seeded_kb.index())
    defaults = {"org_names": (), "open_weights": False, "modality": None, "updates": False, "min_context": None,
                "max_price": None, "reasoning": False, "tool_calling": False, "licence": None}
    assert {k: getattr(spec, k) for k in defaults} == defaults | expected


@pytest.mark.parametrize("words, problem", [
    ("min-context big", "'big' is not a context size: use tokens, e.g. 128k, 1M or 200000."),
    ("min-context 128", "'128' tokens is too small for a context window. Did you mean 128k?"),
    ("instant min-context", "min-context needs a size, e.g. min-context 128k."),
    ("min-context open-weights", "min-context needs a size"),
    ("max-price cheap", "'cheap' is not a price: give US dollars per million input tokens"),
    ("max-price -1", "'-1' is not a price"),
    ("max-price", "max-price needs US dollars per million input tokens, e.g. max-price 1."),
    ("instant min-contxt 128k", "I don't understand 'min-contxt'. Did you mean min-context?"),
    ("instant reasonin", "I don't understand 'reasonin'. Did you mean reasoning?"),
    ("tool-caling", "I don't understand 'tool-caling'. Did you mean tool-calling?"),
    ("max-prise 1", "Did you mean max-price?"),
    ("lisence mit", "Did you mean licence?"),
    ("licence", "licence needs a word of the licence, e.g. licence apache."),
    ("licence apahce", "I don't know the licence 'apahce'. Did you mean apache?"),
])
def test_bad_finder_filters_say_what_is_wrong(seeded_kb, words, problem):
    with pytest.raises(Usage) as err:
        check(parse_words(words), seeded_kb.index())
    assert problem in str(err.value)
    assert "\n" not in str(err.value)


def test_a_licence_no_model_has_yet_is_taken_but_a_typo_of_a_known_one_is_not(seeded_kb):
    assert check(parse_words("licence brandnew"), seeded_kb.index()).licence == "brandnew"
    with pytest.raises(Usage, match="Did you mean zeta-community"):
        check(parse_words("licence zeta-comunity"), seeded_kb.index(), licences=["Zeta-Community 1.0"])


def test_slash_command_options_are_checked_the_same_way(seeded_kb):
    options = {"cadence": "instant", "min_context": "128k", "max_price": 0.5, "reasoning": True,
               "tool_calling": True, "licence": "Apache"}
    spec = check(request_from(options), seeded_kb.index())
    assert (spec.min_context, spec.max_price, spec.reasoning, spec.tool_calling, spec.licence) == \
        (128_000, 0.5, True, True, "apache")
    for bad, problem in (({"min_context": "lots"}, "'lots' is not a context size"),
                         ({"max_price": -2.0}, "'-2' is not a price")):
        with pytest.raises(Usage, match=problem):
            check(request_from({"cadence": "instant"} | bad), seeded_kb.index())


# -- stored, listed, and a finder query ----------------------------------------------------------------------


async def test_filters_are_stored_listed_and_compared(kb):
    origin = slack_origin()
    words = "instant open-weights min-context 128k max-price 0.5 reasoning tool-calling licence apache"
    reply = subscribe(kb, words, origin, NOW)
    shown = ("instant, open weights only, at least 128k tokens of context, input at most $0.5 per million "
             "tokens, reasoning models, with tool calling, licence apache")
    assert shown in reply.text
    with Session(kb.engine) as session:
        sub = session.execute(select(Subscription)).scalar_one()
        assert (sub.min_context, sub.max_input_price, sub.reasoning, sub.tool_calling, sub.license) == \
            (128_000, 0.5, True, True, "apache")
    assert subscribe(kb, words, origin, NOW).title == "Already subscribed"
    subscribe(kb, "instant open-weights min-context 1M", origin, NOW)
    subscribe(kb, "instant", origin, NOW)
    rows = ask(kb, "subscriptions", origin).table.rows
    assert [r[1] for r in rows] == [shown, "instant, open weights only, at least 1M tokens of context", "instant"]
    with Session(kb.engine) as session:
        plain = session.execute(select(Subscription).where(Subscription.min_context.is_(None))).scalar_one()
        assert (plain.max_input_price, plain.reasoning, plain.tool_calling, plain.license) == (None,) * 4


async def test_a_subscription_as_a_finder_query(kb):
    subscribe(kb, "daily 09:00 org Meta open-weights input image min-context 200k max-price 2 tool-calling "
                  "licence llama", slack_origin(), NOW)
    with Session(kb.engine) as session:
        sub = session.execute(select(Subscription)).scalar_one()
    index = kb.index()
    meta, msl = (index.resolve(n, ["org"]).ref[1] for n in ("Meta", "Meta Superintelligence Labs"))
    query = query_of(kb, sub)
    assert set(query.orgs) >= {meta, msl}  # an organization includes its units
    assert query == ModelQuery(orgs=query.orgs, open_weights=True, input_modalities=("image",), min_context=200_000,
                               max_input_price=2.0, tool_calling=True, license="llama", limit=None)


# -- digests end to end ------------------------------------------------------------------------------------


def entry(name: str, *, released: str, open_weights: bool = True, context: int = 128_000,
          price: float | None = None) -> dict:
    """A models.dev catalogue entry."""
    out = {"name": name, "release_date": released, "open_weights": open_weights,
           "modalities": {"input": ["text"], "output": ["text"]}, "limit": {"context": context, "output": 8192}}
    if price is not None:
        out["cost"] = {"input": price, "output": price * 4}
    return out


def sync(kb, catalogue: dict, today: dt.date) -> None:
    apply_catalogue(kb.engine, json.dumps(catalogue).encode(), source_url=CATALOGUE_URL, today=today)
    kb.refresh()


def slack_scheduler(kb, fake, clock) -> DigestScheduler:
    return DigestScheduler(kb, {"slack": SlackPublisher("xoxb-test", fake.base_url)}, clock=clock,
                           per_channel_interval=0.0)


def text_of(fake, channel: str) -> str:
    """The one digest posted to a channel."""
    [message] = fake.messages.get(channel, [])
    return message["text"]


NEW_MODELS = [
    {"key": "acme/open-long", "name": "Acme Open Long", "open_weights": True, "context": 200_000},
    {"key": "acme/open-short", "name": "Acme Open Short", "open_weights": True, "context": 32_000},
    {"key": "acme/closed-huge", "name": "Acme Closed Huge", "open_weights": False, "context": 1_000_000},
]


async def test_a_catalogue_sync_reaches_only_the_subscribers_whose_filters_match(kb, fake):
    sync(kb, {"acme/base": entry("Acme Base", released=OLD)}, NOW.date())
    clock = Clock(NOW)
    subscribe(kb, "instant open-weights min-context 128k", slack_origin("C_FILTERED"), clock())
    subscribe(kb, "instant", slack_origin("C_ALL"), clock())
    catalogue = {"acme/base": entry("Acme Base", released=OLD)}
    for m in NEW_MODELS:
        catalogue[m["key"]] = entry(m["name"], released="2026-03-05", open_weights=m["open_weights"],
                                    context=m["context"])
    sync(kb, catalogue, NOW.date())
    wanted = [m["name"] for m in NEW_MODELS if m["open_weights"] and m["context"] >= 128_000]
    assert wanted == ["Acme Open Long"]
    sched = slack_scheduler(kb, fake, clock)
    assert (await sched.tick()).sent == 2
    sched.stop()
    filtered, everything = text_of(fake, "C_FILTERED"), text_of(fake, "C_ALL")
    assert [m["name"] for m in NEW_MODELS if m["name"] in filtered] == wanted
    assert "1 new release" in filtered
    assert all(m["name"] in everything for m in NEW_MODELS)


PRICES = {"acme/cheaper": ("Acme Cheaper", 3.0, 0.5), "acme/pricey": ("Acme Pricey", 5.0, 4.0),
          "acme/steady": ("Acme Steady", 0.25, 0.25)}
"""Input price per million tokens before and after the second sync."""


async def test_a_price_cut_under_the_cap_is_an_update_for_that_subscriber(kb, fake):
    before = {key: entry(name, released=OLD, price=old) for key, (name, old, _) in PRICES.items()}
    after = {key: entry(name, released=OLD, price=new) for key, (name, _, new) in PRICES.items()}
    sync(kb, before, NOW.date())
    clock = Clock(NOW)
    subscribe(kb, "instant updates max-price 1", slack_origin("C_CAP"), clock())
    subscribe(kb, "instant updates", slack_origin("C_ALL"), clock())
    sync(kb, after, NOW.date())
    changed = [name for name, old, new in PRICES.values() if old != new]
    under_cap = [name for name, old, new in PRICES.values() if old != new and new <= 1]
    assert (changed, under_cap) == (["Acme Cheaper", "Acme Pricey"], ["Acme Cheaper"])
    preview = ask(kb, "digest", slack_origin("C_CAP"), "preview")
    assert [n for n in changed if n in str(preview.fields)] == under_cap
    sched = slack_scheduler(kb, fake, clock)
    assert (await sched.tick()).sent == 2
    sched.stop()
    capped, everything = text_of(fake, "C_CAP"), text_of(fake, "C_ALL")
    assert [n for n in changed if n in capped] == under_cap
    assert "Acme Cheaper: price per million tokens input $3.0 → $0.5" in capped
    assert "1 update" in capped and "2 updates" in everything
    assert all(n in everything for n in changed)


async def test_one_finder_query_per_kind_of_subscription_not_per_release(kb, monkeypatch):
    sync(kb, {"acme/base": entry("Acme Base", released=OLD)}, NOW.date())
    for channel, words in (("C1", "instant open-weights min-context 128k"),
                           ("C2", "instant open-weights min-context 128k"),
                           ("C3", "instant max-price 1"), ("C4", "instant org Meta")):
        subscribe(kb, words, slack_origin(channel), NOW)
    catalogue = {"acme/base": entry("Acme Base", released=OLD)}
    for m in NEW_MODELS:
        catalogue[m["key"]] = entry(m["name"], released="2026-03-05", open_weights=m["open_weights"],
                                    context=m["context"])
    sync(kb, catalogue, NOW.date())
    calls = []
    real = digests.find_models
    monkeypatch.setattr(digests, "find_models", lambda engine, query: calls.append(query) or real(engine, query))
    assert plan(kb, NOW) == 2  # C3: no model has a price; C4: none is Meta's
    assert len(calls) == 2 and all(len(q.model_ids) == len(NEW_MODELS) for q in calls)
    with Session(kb.engine) as session:
        planned = dict(session.execute(select(Subscription.channel, Delivery.release_ids)
                                       .join(Delivery, Delivery.subscription_id == Subscription.id)).all())
    assert set(planned) == {"C1", "C2"} and planned["C1"] == planned["C2"] and len(planned["C1"]) == 1


def write_pack(tmp_path, models: list[dict]):
    """A pack with one release record per model: name, open_weights, context."""
    pack = {"pack": "filter-test", "title": "Synthetic filter test data",
            "sources": [{"id": "src", "title": "Synthetic launch post", "publisher": "Test Fixture",
                         "url": "https://example.invalid/launch"}],
            "organizations": [{"name": "Filter Labs"}], "models": [], "releases": []}
    for m in models:
        pack["models"].append({"name": m["name"], "org": "Filter Labs", "released": "2026-03-05", "source": "src",
                               "open_weights": m["open_weights"], "context_window": m["context"]})
        pack["releases"].append({"model": m["name"], "date": "2026-03-05", "title": f"{m['name']} is out",
                                 "source": "src"})
    path = tmp_path / "filter-test.yaml"
    path.write_text(yaml.safe_dump(pack, sort_keys=False), encoding="utf-8")
    return path


async def test_discord_subscribe_with_filter_options_then_only_the_matching_release_is_posted(
        kb, fake_discord, urls, tmp_path):
    bot, task = await start_bot(kb, fake_discord)
    try:
        _, followup = await answered(fake_discord, fake_discord.command(
            "subscribe", cadence="instant", open_weights=True, min_context="128k"))
        (embed,) = followup["embeds"]
        assert embed["title"] == "Subscribed to release digests"
        assert "instant, open weights only, at least 128k tokens of context" in embed["description"]
        _, refused = await answered(fake_discord, fake_discord.command("subscribe", min_context="huge"))
        first, usage = refused["embeds"][0]["description"].split("\n")
        assert first == "'huge' is not a context size: use tokens, e.g. 128k, 1M or 200000."
        assert usage.startswith("Usage: subscribe [instant")
        models = [{"name": "Filter Open Long", "open_weights": True, "context": 200_000},
                  {"name": "Filter Open Short", "open_weights": True, "context": 32_000},
                  {"name": "Filter Closed Huge", "open_weights": False, "context": 1_000_000}]
        import_file(kb.engine, write_pack(tmp_path, models))
        kb.refresh()
        clock = Clock(dt.datetime.now(UTC))
        sched = DigestScheduler(kb, {"discord": DiscordPublisher(bot)}, clock=clock, per_channel_interval=0.0)
        assert (await sched.tick()).sent == 1
        sched.stop()
    finally:
        await stop_bot(bot, task)
    (message,) = fake_discord.created[CHANNEL_ID]
    posted = json.dumps(message["embeds"])
    wanted = [m["name"] for m in models if m["open_weights"] and m["context"] >= 128_000]
    assert [m["name"] for m in models if m["name"] in posted] == wanted == ["Filter Open Long"]
    with Session(kb.engine) as session:
        sub = session.execute(select(Subscription)).scalar_one()
    assert (sub.platform, sub.workspace, sub.created_by) == ("discord", str(GUILD_ID), str(USER_ID))
    assert (sub.min_context, sub.open_weights_only, sub.max_input_price) == (128_000, True, None)


async def test_discord_subscribe_takes_price_reasoning_tool_calling_and_licence(kb, fake_discord, urls):
    bot, task = await start_bot(kb, fake_discord)
    try:
        _, followup = await answered(fake_discord, fake_discord.command(
            "subscribe", cadence="instant", max_price=1, reasoning=True, tool_calling=True, licence="MIT"))
    finally:
        await stop_bot(bot, task)
    assert "input at most $1 per million tokens, reasoning models, with tool calling, licence mit" in \
        followup["embeds"][0]["description"]
    with Session(kb.engine) as session:
        sub = session.execute(select(Subscription)).scalar_one()
    assert (sub.max_input_price, sub.reasoning, sub.tool_calling, sub.license) == (1.0, True, True, "mit")


async def test_slack_subscribe_words_with_filters(kb, fake):
    from adapters.slack.app import SlackBot
    from tests.slack_support import RunningApp, settings_for

    fake.users["U0001"] = {"id": "U0001", "name": "ada", "is_admin": True, "tz": "Europe/Berlin"}
    async with RunningApp(SlackBot(kb, settings_for(fake))) as app:
        for words in ("subscribe instant open-weights min-context 128k", "subscribe instant min-contxt 128k"):
            status, _ = await app.command(words, fake.response_url())
            assert status == 200
        replies = await fake.wait_for("respond:cmd", count=2)
    # answers come from a pool of workers: match the replies by what they say, not by their order
    ok = next(r for r in replies if r["blocks"][0]["text"]["text"] == "Subscribed to release digests")
    bad = next(r for r in replies if r is not ok)
    assert "instant, open weights only, at least 128k tokens of context" in ok["text"]
    assert bad["blocks"][0]["text"]["text"] == "Can't subscribe like that"
    assert "I don't understand 'min-contxt'. Did you mean min-context?" in bad["text"]
    assert "Usage: subscribe [instant | daily HH:MM | weekly DAY HH:MM]" in bad["text"]
    with Session(kb.engine) as session:
        assert session.execute(select(Subscription.min_context)).scalars().all() == [128_000]


async def test_a_release_without_a_model_passes_organization_filters_only(kb):
    from knowledge.store import ReleaseInfo

    meta = kb.index().resolve("Meta", ["org"]).ref[1]
    bare = ReleaseInfo(1, None, meta, dt.date(2026, 3, 5), "Meta news", None, None, None, dt.datetime(2026, 3, 5))
    matcher = digests.Matcher(kb, [bare], [])
    assert matcher.releases(ModelQuery(orgs=(meta,), limit=None), [bare]) == [bare]
    assert matcher.releases(ModelQuery(orgs=(meta,), min_context=1000, limit=None), [bare]) == []
    assert matcher.releases(ModelQuery(orgs=(meta + 1000,), limit=None), [bare]) == []
