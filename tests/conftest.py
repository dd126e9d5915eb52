"""Real databases for the tests: an SQLite file, and PostgreSQL when a server is reachable.

Every test that takes ``db_url`` (or a fixture built on it) runs once per backend. The PostgreSQL
runs use a database created for this test session and a fresh schema per test. Without a server
they skip with the reason; with MODELWIRE_REQUIRE_POSTGRES=1 (CI) they fail instead.
"""

from __future__ import annotations

import itertools
import os
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

from knowledge.db import bundled_packs, ensure_ready, make_engine
from knowledge.store import KnowledgeBase

ROOT = Path(__file__).resolve().parent.parent
SEED_ARTICLE = ROOT.parent / "shared" / "seed" / "000_77cc5f43487664e4.txt"
PG_ADMIN_URL = os.environ.get("MODELWIRE_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
_schemas = itertools.count()
os.environ["MODELWIRE_ENV_FILE"] = os.devnull  # the CLI under test never reads a developer's ./.env


def _postgres_database():
    """Create a throw-away database for this session; (url, None) or (None, reason)."""
    try:
        admin = create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT", connect_args={"connect_timeout": 3})
        name = f"modelwire_test_{uuid.uuid4().hex[:10]}"
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    except Exception as exc:  # any failure to reach the server means: skip (or fail in CI)
        return None, f"PostgreSQL not reachable at {PG_ADMIN_URL}: {str(exc).splitlines()[0]}", None
    return make_url(PG_ADMIN_URL).set(database=name).render_as_string(hide_password=False), None, (admin, name)


@pytest.fixture(scope="session")
def postgres_database():
    url, reason, handle = _postgres_database()
    if url is None:
        if os.environ.get("MODELWIRE_REQUIRE_POSTGRES") == "1":
            pytest.fail(reason)
        pytest.skip(reason)
    yield url
    admin, name = handle
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _fresh_url(backend: str, request, tmp_path_factory) -> str:
    if backend == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('kb') / 'modelwire.db'}"
    base = request.getfixturevalue("postgres_database")
    schema = f"t{next(_schemas)}"
    engine = create_engine(base)
    with engine.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    return make_url(base).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
        hide_password=False)


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request, tmp_path_factory) -> str:
    """A URL of a new, empty database on each backend."""
    return _fresh_url(request.param, request, tmp_path_factory)


@pytest.fixture
def engine(db_url):
    """A migrated, empty knowledge database."""
    eng = make_engine(db_url)
    ensure_ready(eng, load_bundled=False)
    yield eng
    eng.dispose()


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def seeded_kb(request, tmp_path_factory) -> KnowledgeBase:
    """A knowledge base with the bundled packs, shared by a module's read-only tests."""
    eng = make_engine(_fresh_url(request.param, request, tmp_path_factory))
    ensure_ready(eng)
    yield KnowledgeBase(eng)
    eng.dispose()


@pytest.fixture(scope="module")
def catalog_kb(seeded_kb, request, tmp_path_factory) -> KnowledgeBase:
    """The bundled packs plus the synthetic chat catalogue (tests/data/chat-catalog.json), imported as
    ``modelwire kb import --format models.dev`` does, on the backend of ``seeded_kb``."""
    from bench.eval_understanding import CATALOG, CATALOG_URL, TODAY
    from knowledge.sync import apply_catalogue

    backend = "sqlite" if seeded_kb.engine.dialect.name == "sqlite" else "postgresql"
    eng = make_engine(_fresh_url(backend, request, tmp_path_factory))
    ensure_ready(eng)
    apply_catalogue(eng, CATALOG.read_bytes(), source_url=CATALOG_URL, today=TODAY)
    yield KnowledgeBase(eng)
    eng.dispose()


@pytest.fixture
def kb(db_url) -> KnowledgeBase:
    """A knowledge base with the bundled packs, of the test's own, on each backend."""
    eng = make_engine(db_url)
    ensure_ready(eng)
    yield KnowledgeBase(eng)
    eng.dispose()


@pytest.fixture
async def fake():
    """A fake Slack on loopback (Web API, response_url, Socket Mode)."""
    from tests.fakes.slack import FakeSlack

    slack = await FakeSlack().start()
    yield slack
    await slack.stop()


@pytest.fixture
async def fake_discord():
    """A fake Discord on loopback (REST API and gateway)."""
    from tests.fakes.discord import FakeDiscord

    discord_fake = await FakeDiscord().start()
    yield discord_fake
    await discord_fake.stop()


@pytest.fixture
def urls(fake_discord):
    """discord.py's REST base and gateway are process-wide: point them at the fake, then restore them."""
    from discord.gateway import DiscordWebSocket
    from discord.http import Route

    from adapters.discord.app import use_urls

    old_base, old_gateway = use_urls(fake_discord.api_url, fake_discord.gateway_url)
    yield
    Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = old_base, old_gateway


@pytest.fixture
def held_render(monkeypatch):
    """Hold every chart render in its worker thread until the test releases it: (started, release, threads)."""
    import threading

    from bot import charts

    started, release, threads = threading.Event(), threading.Event(), []
    real = charts.render_png

    def held(chart):
        threads.append(threading.current_thread())
        started.set()
        release.wait(10)
        return real(chart)

    monkeypatch.setattr(charts, "render_png", held)
    yield started, release, threads
    release.set()


@pytest.fixture
def write_pack(tmp_path):
    """Write a pack file (YAML text, or a dict for JSON) and return its path."""

    def write(content, name: str = "pack.yaml") -> Path:
        path = tmp_path / name
        if isinstance(content, (dict, list)):
            import json

            path.write_text(json.dumps(content), encoding="utf-8")
        else:
            path.write_text(content, encoding="utf-8")
        return path

    return write


__all__ = ["ROOT", "SEED_ARTICLE", "bundled_packs"]
