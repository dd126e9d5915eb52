"""The shrink guard: a sync or import that would remove more than 20% (MODELWIRE_SYNC_MAX_SHRINK) of a
pack's records is refused, having written nothing, unless allowed; and records that come back after
being removed are not announced again as new. On SQLite and PostgreSQL."""

from __future__ import annotations

import asyncio
import copy
import datetime as dt
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from knowledge.schema import Fact, ModelUpdate, PackMember, Release, Score
from knowledge.sync import (
    ShrinkError,
    apply_catalogue,
    import_pack_file,
    read_state,
    sync_models_dev,
)
from tests.fakes.httpfile import HttpFile

FIXTURE = Path(__file__).parent / "data" / "models.dev.json"
MODELWIRE = Path(sys.executable).parent / "modelwire"
TODAY = dt.date(2026, 3, 5)
URL = "https://example.invalid/models.json"


def catalogue() -> dict:
    return json.loads(FIXTURE.read_text(encoding="utf-8"))


def raw(data: dict) -> bytes:
    return json.dumps(data).encode()


def only_first(data: dict) -> dict:
    """The catalogue as a half-published upstream file might be: one model left of 34."""
    first = next(iter(data))
    return {first: data[first]}


def without(data: dict, key: str) -> dict:
    data = copy.deepcopy(data)
    del data[key]
    return data


def count(engine, table, *where) -> int:
    with engine.connect() as conn:
        query = select(func.count()).select_from(table)
        return conn.execute(query.where(*where) if where else query).scalar_one()


def score_updates(engine) -> int:
    return count(engine, ModelUpdate, ModelUpdate.kind == "score")


def held(engine) -> int:
    return count(engine, PackMember, PackMember.pack_id == "models-dev")


def test_a_catalogue_that_lost_most_of_its_models_is_refused(kb):
    apply_catalogue(kb.engine, raw(catalogue()), source_url=URL, today=TODAY)
    before = (count(kb.engine, Score), count(kb.engine, Fact), held(kb.engine), count(kb.engine, ModelUpdate))
    with pytest.raises(ShrinkError) as caught:
        apply_catalogue(kb.engine, raw(only_first(catalogue())), source_url=URL, today=TODAY)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"models.dev catalogue from {URL}: refused, nothing written: it would remove ")
    assert "of pack 'models-dev' (" in message and "more than the 20% allowed, MODELWIRE_SYNC_MAX_SHRINK); " \
        "if that is intended, run it again with --allow-shrink" in message
    assert (count(kb.engine, Score), count(kb.engine, Fact), held(kb.engine),
            count(kb.engine, ModelUpdate)) == before


def test_a_small_shrink_is_applied(kb):
    apply_catalogue(kb.engine, raw(catalogue()), source_url=URL, today=TODAY)
    scores = count(kb.engine, Score)
    apply_catalogue(kb.engine, raw(without(catalogue(), "anthropic/fx-opus-5")), source_url=URL, today=TODAY)
    assert count(kb.engine, Score) < scores


def test_allowed_then_the_full_catalogue_returns_and_nothing_is_announced_again(kb):
    first = apply_catalogue(kb.engine, raw(catalogue()), source_url=URL, today=TODAY)
    assert first.releases  # the recent models, once
    releases, updates, scores = count(kb.engine, Release), count(kb.engine, ModelUpdate), count(kb.engine, Score)
    shrunk = apply_catalogue(kb.engine, raw(only_first(catalogue())), source_url=URL, today=TODAY, allow_shrink=True)
    assert shrunk.models == 1 and count(kb.engine, Score) < scores / 2
    back = apply_catalogue(kb.engine, raw(catalogue()), source_url=URL, today=TODAY)
    assert back.releases == [] and back.updates == {}
    assert (count(kb.engine, Release), count(kb.engine, ModelUpdate), count(kb.engine, Score)) == \
        (releases, updates, scores)


def test_scores_that_return_after_a_small_shrink_are_not_new_but_real_new_scores_are(kb):
    data = catalogue()
    apply_catalogue(kb.engine, raw(data), source_url=URL, today=TODAY)
    lost = copy.deepcopy(data)
    removed = lost["openai/fx-alpha-5"]["benchmarks"].pop()
    apply_catalogue(kb.engine, raw(lost), source_url=URL, today=TODAY)  # one score gone: well within 20%
    again = copy.deepcopy(data)
    again["openai/fx-alpha-5"]["benchmarks"].append({"name": "HealthBench Hard", "score": 41.5, "metric": "accuracy",
                                                     "source": "https://example.org/fixture/health",
                                                     "date": "2026-03-06"})
    result = apply_catalogue(kb.engine, raw(again), source_url=URL, today=TODAY)
    assert result.updates == {"score": 1}  # HealthBench Hard, not the returning one
    with kb.engine.connect() as conn:
        details = conn.execute(select(ModelUpdate.detail).where(ModelUpdate.kind == "score")).scalars().all()
    assert details == ["new score: HealthBench Hard 41.5%"], removed
    # Removed again and back again: still not news.
    apply_catalogue(kb.engine, raw(lost), source_url=URL, today=TODAY)
    assert apply_catalogue(kb.engine, raw(again), source_url=URL, today=TODAY).updates == {}


def test_the_limit_is_a_setting(kb, monkeypatch):
    apply_catalogue(kb.engine, raw(catalogue()), source_url=URL, today=TODAY)
    monkeypatch.setenv("MODELWIRE_SYNC_MAX_SHRINK", "0")
    with pytest.raises(ShrinkError, match=r"more than the 0% allowed"):
        apply_catalogue(kb.engine, raw(without(catalogue(), "anthropic/fx-opus-5")), source_url=URL, today=TODAY)
    monkeypatch.setenv("MODELWIRE_SYNC_MAX_SHRINK", "100")
    assert apply_catalogue(kb.engine, raw(only_first(catalogue())), source_url=URL, today=TODAY).models == 1
    monkeypatch.setenv("MODELWIRE_SYNC_MAX_SHRINK", "lots")
    with pytest.raises(ShrinkError, match=r"^MODELWIRE_SYNC_MAX_SHRINK must be a percentage from 0 to 100, "
                                          r"not 'lots'$"):
        apply_catalogue(kb.engine, raw(catalogue()), source_url=URL, today=TODAY)


@pytest.mark.asyncio
async def test_a_refused_sync_keeps_the_validators_and_the_scheduled_sync_logs_it(kb, caplog):
    from bot.sync_job import ScheduledSync

    server = await HttpFile(raw(catalogue())).start()
    try:
        await asyncio.to_thread(sync_models_dev, kb.engine, server.url, today=TODAY)
        state = read_state(kb.engine)
        server.publish(raw(only_first(catalogue())), etag='"v2"',
                       last_modified=dt.datetime(2026, 4, 2, tzinfo=dt.timezone.utc))
        with pytest.raises(ShrinkError):
            await asyncio.to_thread(sync_models_dev, kb.engine, server.url, today=TODAY)
        assert read_state(kb.engine) == state  # so the next sync downloads and checks it again
        job = ScheduledSync(kb, server.url, minutes=60)
        with caplog.at_level("ERROR", logger="modelwire.sync"):
            assert await job.run_once() is None
        job.stop()
        assert any(r.getMessage().startswith(f"scheduled sync from {server.url} refused: ") for r in caplog.records)
        result = await asyncio.to_thread(sync_models_dev, kb.engine, server.url, today=TODAY, allow_shrink=True)
        assert result.status == "synced" and result.models == 1
    finally:
        await server.stop()


def pack(facts: int) -> dict:
    return {"pack": "shrink-test", "title": "Shrink test",
            "sources": [{"id": "shrink-src", "title": "Source", "publisher": "Test",
                         "url": "https://example.invalid/s"}],
            "organizations": [{"name": "Shrink Labs"}],
            "models": [{"name": "Shrink One", "org": "Shrink Labs", "source": "shrink-src"}],
            "facts": [{"subject": "Shrink One", "text": f"Fact number {i}.", "source": "shrink-src"}
                      for i in range(facts)]}


def test_a_pack_re_import_that_drops_most_records_is_refused(kb, write_pack):
    import_pack_file(kb.engine, write_pack(pack(20), "full.json"))
    facts = count(kb.engine, Fact)
    with pytest.raises(ShrinkError, match=r"it would remove 18 of the 2\d records of pack 'shrink-test'"):
        import_pack_file(kb.engine, write_pack(pack(2), "small.json"))
    assert count(kb.engine, Fact) == facts
    import_pack_file(kb.engine, write_pack(pack(18), "most.json"))  # 2 of 24: fine
    assert count(kb.engine, Fact) == facts - 2
    import_pack_file(kb.engine, write_pack(pack(2), "small.json"), allow_shrink=True)
    assert count(kb.engine, Fact) == facts - 18


def _cli(db_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MODELWIRE_")}
    return subprocess.run([str(MODELWIRE), "--db", db_url, *args], capture_output=True, text=True, env=env, check=False,
                          timeout=120)


def test_the_cli_refuses_a_shrink_in_one_line_and_allows_it_when_asked(db_url, tmp_path, write_pack):
    small = tmp_path / "small.json"
    small.write_bytes(raw(only_first(catalogue())))
    assert _cli(db_url, "kb", "import", "--format", "models.dev", str(FIXTURE)).returncode == 0
    refused = _cli(db_url, "kb", "import", "--format", "models.dev", str(small))
    assert refused.returncode == 1 and "Traceback" not in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    assert refused.stderr.startswith(f"{small}: models.dev catalogue from {small.resolve().as_uri()}: refused, "
                                     "nothing written: it would remove ")
    allowed = _cli(db_url, "kb", "import", "--format", "models.dev", "--allow-shrink", str(small))
    assert allowed.returncode == 0 and "imported 1 models" in allowed.stdout
    full, few = write_pack(pack(20), "full.json"), write_pack(pack(2), "few.json")
    assert _cli(db_url, "kb", "import", str(full)).returncode == 0
    refused = _cli(db_url, "kb", "import", str(full), str(few))
    assert refused.returncode == 1 and "imported pack 'shrink-test'" in refused.stdout
    assert refused.stderr.strip().startswith(f"{few}: refused, nothing written: it would remove 18 of the")
    assert _cli(db_url, "kb", "import", "--allow-shrink", str(few)).returncode == 0
    assert "--allow-shrink" in _cli(db_url, "kb", "sync", "--help").stdout
