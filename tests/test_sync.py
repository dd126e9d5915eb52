"""models.dev sync end to end: served from a loopback HTTP server, applied to a real database, and
driving a digest to the fake Slack. Bad or truncated data writes nothing."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
import os
import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from adapters.slack.publish import SlackPublisher
from bot.digests.scheduler import DigestScheduler
from knowledge.importers.fetch import FetchError
from knowledge.importers.modelsdev import ModelsDevError
from knowledge.schema import Model, ModelUpdate, Release, Score
from knowledge.sync import read_state, sync_models_dev
from tests.digest_support import Clock, slack_origin, subscribe
from tests.fakes.httpfile import HttpFile
from tests.polling import eventually, free_port, healthz

pytestmark = pytest.mark.asyncio
FIXTURE = Path(__file__).parent / "data" / "models.dev.json"
MODELWIRE = Path(sys.executable).parent / "modelwire"
TODAY = dt.date(2026, 3, 5)
LATER = dt.datetime(2026, 4, 2, 12, 0, tzinfo=dt.timezone.utc)


def catalogue() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def encoded(data: dict) -> bytes:
    return json.dumps(data).encode()


def changed(data: dict, released: str = "2026-03-06") -> dict:
    """The next day's catalogue: a new model, a new score, a longer context, a new price, a deprecation."""
    data = copy.deepcopy(data)
    fx = data["openai/fx-alpha-5"]
    fx["benchmarks"].append({"name": "HealthBench Hard", "score": 41.5, "metric": "accuracy",
                             "source": "https://example.org/fixture/health", "date": "2026-03-06"})
    fx["limit"]["context"] = 1_000_000
    fx["cost"]["input"] = 1.0
    data["openai/fx-alpha-5-mini"]["status"] = "deprecated"
    data["openai/fx-alpha-6"] = {"name": "FX Alpha 6", "family": "fx-alpha", "release_date": released,
                                 "open_weights": False, "modalities": {"input": ["text", "image"], "output": ["text"]},
                                 "limit": {"context": 2_000_000, "output": 128000}}
    return data


async def to_thread(fn, *args, **kwargs):
    return await asyncio.get_running_loop().run_in_executor(None, lambda: fn(*args, **kwargs))


@pytest.fixture
async def server():
    fake = await HttpFile(encoded(catalogue())).start()
    yield fake
    await fake.stop()


def count(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar_one()


async def test_first_sync_imports_and_records_recent_releases(kb, server):
    result = await to_thread(sync_models_dev, kb.engine, server.url, today=TODAY)
    assert result.status == "synced" and result.models >= 30
    # Released within 30 days of 2026-03-05 and new to the base: release records (older ones are not).
    assert "FX Alpha 5 released" in result.releases  # 2026-02-10: 23 days before
    assert "FX Open 120B released" not in result.releases  # 2025-08-05
    with kb.engine.connect() as conn:
        days = conn.execute(select(Release.date).where(Release.title.like("% released"))).scalars().all()
    assert days and all(TODAY - dt.timedelta(days=30) <= d <= TODAY for d in days)
    assert len(days) == len(result.releases)
    assert result.updates == {}  # nothing was known before
    state = read_state(kb.engine)
    assert state["url"] == server.url and state["etag"] == '"v1"' and state["last_modified"]


async def test_an_unchanged_catalogue_is_not_downloaded_or_applied_again(kb, server):
    await to_thread(sync_models_dev, kb.engine, server.url, today=TODAY)
    version = kb.version()
    result = await to_thread(sync_models_dev, kb.engine, server.url, today=TODAY)
    assert result.status == "not_modified"
    assert server.requests[-1].get("If-None-Match") == '"v1"'
    assert kb.version() == version


async def test_changes_become_update_records_and_a_new_model_a_release(kb, server):
    await to_thread(sync_models_dev, kb.engine, server.url, today=TODAY)
    releases_before = count(kb.engine, Release)
    server.publish(encoded(changed(catalogue())), etag='"v2"', last_modified=LATER)
    result = await to_thread(sync_models_dev, kb.engine, server.url, today=TODAY + dt.timedelta(days=1))
    assert result.releases == ["FX Alpha 6 released"]
    assert count(kb.engine, Release) == releases_before + 1
    assert result.updates == {"context": 1, "deprecated": 1, "price": 1, "score": 1}
    with kb.engine.connect() as conn:
        details = dict(conn.execute(select(ModelUpdate.kind, ModelUpdate.detail)).all())
        fx = conn.execute(select(Model).where(Model.name == "FX Alpha 5")).one()
    assert details["context"] == "context window 400,000 → 1,000,000 tokens"
    assert details["price"] == "price per million tokens input $1.25 → $1.0"
    assert details["score"] == "new score: HealthBench Hard 41.5%"
    assert details["deprecated"] == "marked deprecated"
    assert fx.context_window == 1_000_000  # the changed field updated the model
    # A re-sync of the same catalogue records nothing twice.
    server.publish(encoded(changed(catalogue())), etag='"v3"', last_modified=LATER)
    again = await to_thread(sync_models_dev, kb.engine, server.url, today=TODAY + dt.timedelta(days=1))
    assert (again.releases, again.updates) == ([], {})


@pytest.mark.parametrize("breakage", ["truncated", "not json", "no catalogue"])
async def test_bad_or_truncated_data_writes_nothing(kb, server, breakage):
    await to_thread(sync_models_dev, kb.engine, server.url, today=TODAY)
    before = (kb.version(), count(kb.engine, Score), count(kb.engine, Model), read_state(kb.engine))
    data = changed(catalogue())
    if breakage == "truncated":
        server.publish(encoded(data), etag='"v2"', last_modified=LATER)
        server.truncate_next(times=10)
        error = FetchError
    elif breakage == "not json":
        server.publish(encoded(data)[:-40], etag='"v2"', last_modified=LATER)
        error = ModelsDevError
    else:
        server.publish(json.dumps(list(data.values())).encode(), etag='"v2"', last_modified=LATER)
        error = ModelsDevError
    with pytest.raises(error):
        await to_thread(sync_models_dev, kb.engine, server.url, today=TODAY, retries=1)
    after = (kb.version(), count(kb.engine, Score), count(kb.engine, Model), read_state(kb.engine))
    assert after == before
    assert count(kb.engine, ModelUpdate) == 0


async def test_a_wrong_typed_entry_is_left_out_and_the_rest_synced(kb, server):
    """Once a wrong type anywhere stopped the whole sync; now only that entry is left out, with a notice."""
    await to_thread(sync_models_dev, kb.engine, server.url, today=TODAY)
    models = count(kb.engine, Model)
    data = changed(catalogue())
    data["openai/fx-alpha-6"]["limit"]["context"] = "two million"
    server.publish(encoded(data), etag='"v2"', last_modified=LATER)
    result = await to_thread(sync_models_dev, kb.engine, server.url, today=TODAY + dt.timedelta(days=1))
    assert result.status == "synced" and result.left_out["entry-skipped"] == 1
    [notice] = [n for n in result.notices if n.kind == "entry-skipped"]
    assert notice.key == "openai/fx-alpha-6" and "field 'limit.context': expected a number" in notice.message
    assert count(kb.engine, Model) == models and result.releases == []
    assert result.updates == {"context": 1, "deprecated": 1, "price": 1, "score": 1}
    assert read_state(kb.engine)["etag"] == '"v2"'


async def test_a_sync_drives_a_digest_to_slack(kb, server, fake):
    await to_thread(sync_models_dev, kb.engine, server.url, today=TODAY)
    clock = Clock(dt.datetime(2026, 3, 6, 12, 0, tzinfo=dt.timezone.utc))
    subscribe(kb, "instant org OpenAI updates", slack_origin("C_UPDATES"), clock())
    subscribe(kb, "instant org OpenAI", slack_origin("C_RELEASES"), clock())
    server.publish(encoded(changed(catalogue())), etag='"v2"', last_modified=LATER)
    await to_thread(sync_models_dev, kb.engine, server.url, today=TODAY + dt.timedelta(days=1))
    scheduler = DigestScheduler(kb, {"slack": SlackPublisher("xoxb-test", fake.base_url)}, clock=clock,
                                per_channel_interval=0.0)
    assert (await scheduler.tick()).sent == 2
    scheduler.stop()
    [with_updates] = fake.messages["C_UPDATES"]
    [releases_only] = fake.messages["C_RELEASES"]
    assert "1 new release, 4 updates" in with_updates["text"]
    assert "FX Alpha 6 — 2026-03-06" in with_updates["text"] and "2,000,000-token context" in with_updates["text"]
    assert "Updates · OpenAI" in with_updates["text"]
    assert "FX Alpha 5: context window 400,000 → 1,000,000 tokens" in with_updates["text"]
    assert "marked deprecated" in with_updates["text"]
    assert "FX Alpha 6" in releases_only["text"] and "Updates" not in releases_only["text"]


async def test_the_cli_syncs_and_imports(db_url, server, tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELWIRE_")}

    async def run(*args) -> tuple[int, str, str]:
        process = await asyncio.create_subprocess_exec(str(MODELWIRE), "--db", db_url, *args, env=env,
                                                       stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
        out, err = await asyncio.wait_for(process.communicate(), 120)
        return process.returncode, out.decode(), err.decode()

    code, out, err = await run("kb", "sync", "models.dev", "--url", server.url)
    assert code == 0, err
    assert out.startswith("models.dev: imported 33 models from models.dev;")
    code, out, err = await run("kb", "sync", "models.dev", "--url", server.url)
    assert (code, out.strip()) == (0, "models.dev: not modified since the last sync; nothing to do.")
    server.publish(b'{"openai/x": {"name": 5}}', etag='"bad"', last_modified=LATER)
    code, out, err = await run("kb", "sync", "models.dev", "--url", server.url)
    assert code == 1 and err.startswith("Error: sync from models.dev failed, nothing written:")
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err
    bad = tmp_path / "bad.json"
    bad.write_text("{", encoding="utf-8")
    code, out, err = await run("kb", "import", "--format", "models.dev", str(FIXTURE), str(bad))
    assert code == 1
    assert "imported 33 models" in out and f"{bad}: nothing imported:" in err


async def test_the_scheduled_sync_runs_at_start_and_logs_failures(kb, server, caplog):
    from bot.sync_job import ScheduledSync

    job = ScheduledSync(kb, server.url, minutes=60)
    job.start()
    try:
        await eventually(lambda: job.last_result)
    finally:
        job.stop()
    assert job.last_result.status == "synced" and count(kb.engine, Model) > 30
    broken = ScheduledSync(kb, "http://127.0.0.1:9/models.json", minutes=60)
    with caplog.at_level("ERROR", logger="modelwire.sync"):
        assert await broken.run_once() is None
    broken.stop()
    assert any("scheduled sync from http://127.0.0.1:9/models.json failed, nothing written" in r.getMessage()
               for r in caplog.records)


async def test_the_scheduler_process_syncs_and_posts_the_digest(db_url, server, fake):
    """``modelwire scheduler`` with MODELWIRE_SYNC_INTERVAL_MINUTES: the sync's new release and updates
    reach a subscribed Slack channel."""
    from knowledge.db import ensure_ready, make_engine
    from knowledge.store import KnowledgeBase

    engine = make_engine(db_url)
    ensure_ready(engine)
    base = KnowledgeBase(engine)
    await to_thread(sync_models_dev, engine, server.url, today=TODAY)
    subscribe(base, "instant org OpenAI updates", slack_origin("C_SYNC"), dt.datetime.now(dt.timezone.utc))
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    server.publish(encoded(changed(catalogue(), released=yesterday)), etag='"v2"', last_modified=LATER)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "MODELWIRE_"))}
    env |= {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake.base_url, "MODELWIRE_DIGEST_TICK_SECONDS": "1",
            "MODELWIRE_SYNC_INTERVAL_MINUTES": "60", "MODELWIRE_SYNC_URL": server.url}
    process = await asyncio.create_subprocess_exec(str(MODELWIRE), "--db", db_url, "scheduler", env=env,
                                                   stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)
    try:
        [message] = await fake.wait_for("chat.postMessage", timeout=60)
    finally:
        process.send_signal(signal.SIGINT)
        output, _ = await asyncio.wait_for(process.communicate(), 30)
    engine.dispose()
    assert message["channel"] == "C_SYNC", output.decode()
    assert "FX Alpha 6" in message["text"] and "marked deprecated" in message["text"]


async def test_the_scheduler_serves_healthz(tmp_path):
    """``modelwire scheduler`` with MODELWIRE_HEALTH_PORT answers GET /healthz with its last tick."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "MODELWIRE_"))}
    env |= {"MODELWIRE_HEALTH_PORT": str(port), "MODELWIRE_DIGEST_TICK_SECONDS": "1"}
    process = await asyncio.create_subprocess_exec(str(MODELWIRE), "--db", f"sqlite:///{tmp_path / 'kb.db'}",
                                                   "scheduler", env=env, stdout=asyncio.subprocess.PIPE,
                                                   stderr=asyncio.subprocess.STDOUT)

    async def ticked():
        answer = await healthz(port)
        return answer if answer and answer[1].get("last_tick") else None

    try:
        answer = await eventually(ticked, timeout=15)
    finally:
        process.send_signal(signal.SIGINT)
        await asyncio.wait_for(process.communicate(), 30)
    assert answer is not None
    status, body = answer
    assert status == 200 and body["ok"] is True and body["last_tick"]
