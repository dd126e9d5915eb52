"""Where the knowledge base lives, and getting it ready: connect, migrate, load bundled packs."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from sqlalchemy import create_engine, event, inspect, text
from sqlalchemy.engine import Engine, make_url

HEAD_REVISION = "0011"
"""The newest Alembic revision; checked without importing Alembic (a test keeps it true)."""

ENV_URL = "MODELWIRE_DATABASE_URL"
BUNDLED_DIR = Path(__file__).parent / "packs"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"


def default_url() -> str:
    """The embedded default: an SQLite file in the user's data directory."""
    from platformdirs import user_data_dir

    return f"sqlite:///{Path(user_data_dir('modelwire', appauthor=False)) / 'modelwire.db'}"


def database_url(explicit: str | None = None) -> str:
    """The URL to use: ``explicit`` (``--db``), else $MODELWIRE_DATABASE_URL, else the default."""
    return normalize_url(explicit or os.environ.get(ENV_URL) or default_url())


def normalize_url(url: str) -> str:
    """Accept plain ``postgres://`` and ``postgresql://`` URLs by choosing the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite files get their folder created and foreign keys enforced."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def current_revision(engine: Engine) -> str | None:
    """The Alembic revision the database is at, or None when it has never been migrated."""
    with engine.connect() as conn:
        if not inspect(conn).has_table("alembic_version"):
            return None
        return conn.execute(text("SELECT version_num FROM alembic_version")).scalar()


def _alembic_config(connection):
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.attributes["connection"] = connection
    return config


def migrate(engine: Engine, revision: str = "head") -> None:
    """Upgrade the schema to ``revision`` with Alembic."""
    from alembic import command

    with engine.begin() as conn:
        command.upgrade(_alembic_config(conn), revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    """Downgrade the schema to ``revision`` with Alembic."""
    from alembic import command

    with engine.begin() as conn:
        command.downgrade(_alembic_config(conn), revision)


def bundled_packs() -> list[Path]:
    """The packs shipped with modelwire."""
    return sorted(p for p in BUNDLED_DIR.iterdir() if p.suffix in (".yaml", ".yml", ".json"))


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, which tells whether a pack changed since its import."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def ensure_ready(engine: Engine, load_bundled: bool = True) -> None:
    """Create and migrate the database if needed, then (re)load bundled packs that changed."""
    if current_revision(engine) != HEAD_REVISION:
        migrate(engine)
    if load_bundled:
        _load_changed_bundled(engine)


def _load_changed_bundled(engine: Engine) -> None:
    with engine.connect() as conn:
        known: dict[str, str] = dict(conn.execute(text("SELECT sha256, id FROM packs")).all())
    stale = [p for p in bundled_packs() if file_sha256(p) not in known]
    if stale:
        from knowledge.packs import import_files

        import_files(engine, stale, bundled=True)
