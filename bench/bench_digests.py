"""Digest delivery benchmark: N subscriptions all due in the same minute, posted to a fake Slack.

The fake Slack (bench/fake_slack_server.py, a separate process) refuses a second message to a
channel within one second with a 429, as Slack does; the scheduler must keep that pace. Reports
the time to plan, the time to drain the outbox, throughput, 429s, duplicates and losses.

    python bench/bench_digests.py                        # 10,000 subscriptions in 2,000 channels, SQLite
    python bench/bench_digests.py --channels 10000       # one subscription per channel
    python bench/bench_digests.py --db postgresql+psycopg://postgres@127.0.0.1:5432/test
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import func, insert, select, text

from adapters.slack.publish import SlackPublisher
from bot.digests.outbox import plan
from bot.digests.scheduler import DigestScheduler
from knowledge.db import ensure_ready, make_engine
from knowledge.packs import import_file
from knowledge.schema import Delivery, Subscription
from knowledge.store import KnowledgeBase

ROOT = Path(__file__).resolve().parent.parent

DUE = dt.datetime(2026, 11, 30, 9, 0, tzinfo=dt.timezone.utc)
PACK = """pack: bench-digest-releases
title: Synthetic benchmark releases
sources: [{id: bench, title: Synthetic launch post, publisher: Bench, url: "https://example.invalid/bench"}]
organizations: [{name: Bench Labs}]
models:
  - {name: Bench One, org: Bench Labs, released: 2026-11-29, open_weights: true, source: bench}
  - {name: Bench Two, org: Bench Labs, released: 2026-11-29, source: bench}
releases:
  - {model: Bench One, date: 2026-11-29, title: Bench One is out, summary: A synthetic release., source: bench}
  - {model: Bench Two, date: 2026-11-29, title: Bench Two is out, summary: Another synthetic release., source: bench}
"""


def fresh_postgres(url: str) -> str:
    """A new schema in the given PostgreSQL database, so runs never collide."""
    from sqlalchemy import create_engine
    from sqlalchemy.engine import make_url

    schema = f"bench_{os.getpid()}"
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return make_url(url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)


def seed(kb: KnowledgeBase, subscriptions: int, channels: int, workdir: Path) -> None:
    """Subscriptions all due at DUE (daily 09:00 UTC), then the release records they are waiting for."""
    latest = kb.latest_release_id()
    rows = [dict(platform="slack", workspace="TBENCH", channel=f"C{i % channels:06d}", cadence="daily",
                 at_time="09:00", timezone="UTC", open_weights_only=bool(i // channels % 2), created_by="bench",
                 created_at=(DUE - dt.timedelta(days=1)).replace(tzinfo=None), active=True,
                 last_release_id=latest, next_due_at=DUE.replace(tzinfo=None), next_period=DUE.date().isoformat(),
                 org_ids=None, modality=None, weekday=None)
             for i in range(subscriptions)]
    with kb.engine.begin() as conn:
        for start in range(0, len(rows), 1000):
            conn.execute(insert(Subscription), rows[start:start + 1000])
    pack = workdir / "bench-releases.yaml"
    pack.write_text(PACK, encoding="utf-8")
    import_file(kb.engine, pack)
    kb.refresh()


def start_fake() -> tuple[subprocess.Popen, int]:
    fake = subprocess.Popen([sys.executable, str(ROOT / "bench" / "fake_slack_server.py"), "1.0"],
                            stdout=subprocess.PIPE, text=True)
    line = fake.stdout.readline().split()
    return fake, int(line[1])


async def deliver(kb: KnowledgeBase, port: int) -> dict:
    def clock() -> dt.datetime:
        return DUE + dt.timedelta(seconds=30)  # every subscription is due now

    scheduler = DigestScheduler(kb, {"slack": SlackPublisher("xoxb-bench", f"http://127.0.0.1:{port}/api/")},
                                clock=clock, worker="bench")
    began = time.perf_counter()
    planned = plan(kb, clock())
    planning = time.perf_counter() - began
    stats = await scheduler.courier.drain()
    drained = time.perf_counter() - began - planning
    scheduler.stop()
    return {"planned": planned, "plan_s": planning, "drain_s": drained, "sent": stats.sent,
            "retried": stats.retried, "failed": stats.failed}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--channels", type=int, default=2_000)
    parser.add_argument("--db", help="database URL (default: a new SQLite file); PostgreSQL gets a new schema")
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="modelwire-bench-"))
    url = fresh_postgres(args.db) if args.db else f"sqlite:///{workdir / 'bench.db'}"
    engine = make_engine(url)
    ensure_ready(engine)
    kb = KnowledgeBase(engine)
    seed(kb, args.subscriptions, args.channels, workdir)
    fake, port = start_fake()
    try:
        result = asyncio.run(deliver(kb, port))
    finally:
        fake.terminate()
        received = json.loads(fake.stdout.readline())
        fake.wait()
    with engine.connect() as conn:
        statuses = dict(conn.execute(select(Delivery.status, func.count()).group_by(Delivery.status)).all())
        attempts = conn.execute(select(func.max(Delivery.attempts))).scalar()
    per_channel = args.subscriptions / args.channels
    report = {"backend": engine.dialect.name, "subscriptions": args.subscriptions, "channels": args.channels,
              **result, "throughput_per_s": result["sent"] / result["drain_s"],
              "lower_bound_s": (per_channel - 1) * 1.1, "deliveries": statuses, "max_attempts": attempts,
              "fake_slack": received}
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main()
