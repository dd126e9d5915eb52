"""Two ``modelwire scheduler`` processes on one PostgreSQL deliver 500 digests: none doubled, none lost."""

from __future__ import annotations

import asyncio
import datetime as dt
import os
import signal
import sys
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from knowledge.db import ensure_ready, make_engine
from knowledge.schema import Delivery, Subscription
from knowledge.store import KnowledgeBase
from tests.digest_support import add_releases, slack_origin, subscribe

pytestmark = pytest.mark.asyncio
MODELWIRE = Path(sys.executable).parent / "modelwire"
DIGESTS = 500


async def start_scheduler(db_url: str, fake) -> asyncio.subprocess.Process:
    """A long-running ``modelwire scheduler`` ticking every second, posting to the fake Slack."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "DISCORD_", "MODELWIRE_"))}
    env |= {"SLACK_BOT_TOKEN": "xoxb-test", "SLACK_API_URL": fake.base_url, "MODELWIRE_DIGEST_TICK_SECONDS": "1"}
    return await asyncio.create_subprocess_exec(str(MODELWIRE), "--db", db_url, "scheduler", env=env,
                                                stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT)


async def stop(process: asyncio.subprocess.Process) -> str:
    if process.returncode is None:
        process.send_signal(signal.SIGINT)
    output, _ = await asyncio.wait_for(process.communicate(), 30)
    return output.decode()


async def test_two_schedulers_on_postgresql_deliver_each_digest_once(db_url, fake, tmp_path):
    if not db_url.startswith("postgresql"):
        pytest.skip("SQLite supports one scheduler process (no row locks); this test is for PostgreSQL")
    engine = make_engine(db_url)
    ensure_ready(engine)
    kb = KnowledgeBase(engine)
    now = dt.datetime.now(dt.timezone.utc)
    for i in range(DIGESTS):
        subscribe(kb, "instant", slack_origin(f"C{i:04d}"), now)
    add_releases(kb, tmp_path, {"name": "Zeta Two", "org": "Zeta Labs"})
    fake.post_delay = 0.2  # slow enough that both processes are sending at the same time
    processes = [await start_scheduler(db_url, fake) for _ in range(2)]
    try:
        await fake.wait_for("chat.postMessage", count=DIGESTS, timeout=120)
        await asyncio.sleep(3)  # three more ticks each: nothing may be sent again
    finally:
        outputs = [await stop(p) for p in processes]
    assert all("Traceback" not in out for out in outputs), outputs
    per_channel = Counter(call["channel"] for call in fake.calls_to("chat.postMessage"))
    assert len(per_channel) == DIGESTS and set(per_channel.values()) == {1}
    with Session(engine) as session:
        rows = session.execute(select(Delivery.status, Delivery.message_id, Delivery.claimed_by)).all()
        assert len(rows) == DIGESTS
        assert {status for status, _, _ in rows} == {"sent"}
        assert len({message for _, message, _ in rows}) == DIGESTS
        workers = Counter(worker for _, _, worker in rows)
        assert session.execute(select(Subscription.last_release_id).distinct()).scalars().all() == \
            [kb.latest_release_id()]
    assert len(workers) == 2, workers  # both processes delivered a share
    engine.dispose()
