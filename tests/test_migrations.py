"""Alembic migrations run on SQLite and PostgreSQL and match the SQLAlchemy models."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect

from knowledge.db import HEAD_REVISION, MIGRATIONS_DIR, current_revision, downgrade, make_engine, migrate
from knowledge.schema import Base


def test_head_constant_matches_alembic():
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    assert ScriptDirectory.from_config(config).get_current_head() == HEAD_REVISION


def test_upgrade_matches_models_then_downgrade(db_url):
    engine = make_engine(db_url)
    assert current_revision(engine) is None
    migrate(engine)
    assert current_revision(engine) == HEAD_REVISION
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert compare_metadata(context, Base.metadata) == []
        assert set(Base.metadata.tables) <= set(inspect(conn).get_table_names())
    downgrade(engine, "base")
    with engine.connect() as conn:
        assert set(inspect(conn).get_table_names()) <= {"alembic_version"}
    engine.dispose()


def test_subscriptions_made_before_updates_existed_survive_the_upgrade(db_url):
    from sqlalchemy import text

    engine = make_engine(db_url)
    migrate(engine, "0003")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO subscriptions (platform, workspace, channel, cadence, timezone, "
                          "open_weights_only, created_at, active, last_release_id) VALUES ('slack', 'T1', 'C1', "
                          "'instant', 'UTC', false, '2026-11-01 00:00:00', true, 7)"))
    migrate(engine)
    with engine.connect() as conn:
        row = conn.execute(text("SELECT include_updates, last_update_id, last_release_id FROM subscriptions")).one()
    assert (bool(row[0]), row[1], row[2]) == (False, 0, 7)
    engine.dispose()


def test_conversations_table_comes_with_0005_and_goes_with_its_downgrade(db_url):
    engine = make_engine(db_url)
    migrate(engine)
    with engine.connect() as conn:
        found = inspect(conn)
        assert {c["name"] for c in found.get_columns("conversations")} == {"key", "context", "updated_at"}
        assert found.get_pk_constraint("conversations")["constrained_columns"] == ["key"]
        assert [i["column_names"] for i in found.get_indexes("conversations")] == [["updated_at"]]
    downgrade(engine, "0004")
    with engine.connect() as conn:
        assert "conversations" not in inspect(conn).get_table_names()
        assert "seen_events" in inspect(conn).get_table_names()
    engine.dispose()


def test_alias_keys_are_recomputed_so_plus_stays_in_the_name(db_url):
    """A database written when "Command R+" had the key "command r" reads it as "command r plus" after 0006."""
    from sqlalchemy import text

    engine = make_engine(db_url)
    migrate(engine, "0005")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO kb_meta (key, value) VALUES ('version', '7')"))
        conn.execute(text("INSERT INTO organizations (id, name) VALUES (1, 'Cohere')"))
        conn.execute(text("INSERT INTO models (id, name, org_id, status) VALUES (1, 'Command R+', 1, 'released')"))
        conn.execute(text("INSERT INTO aliases (kind, entity_id, alias, is_name, norm) "
                          "VALUES ('model', 1, 'Command R+', true, 'command r')"))
    migrate(engine)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT norm FROM aliases")).scalar() == "command r plus"
        assert conn.execute(text("SELECT value FROM kb_meta WHERE key = 'version'")).scalar() == "8"
    engine.dispose()


def test_subscriptions_get_the_finder_filters_with_0008_unset_and_lose_them_with_its_downgrade(db_url):
    from sqlalchemy import text

    engine = make_engine(db_url)
    migrate(engine, "0007")
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO subscriptions (platform, workspace, channel, cadence, timezone, "
                          "open_weights_only, created_at, active, last_release_id) VALUES ('slack', 'T1', 'C1', "
                          "'instant', 'UTC', true, '2026-11-01 00:00:00', true, 7)"))
    migrate(engine)
    filters = ["min_context", "max_input_price", "reasoning", "tool_calling", "license"]
    with engine.connect() as conn:
        row = conn.execute(text(f"SELECT {', '.join(filters)}, open_weights_only FROM subscriptions")).one()
    assert tuple(row[:5]) == (None,) * 5 and bool(row[5]) is True
    downgrade(engine, "0007")
    with engine.connect() as conn:
        columns = {c["name"] for c in inspect(conn).get_columns("subscriptions")}
        assert not columns & set(filters) and "open_weights_only" in columns
        assert conn.execute(text("SELECT last_release_id FROM subscriptions")).scalar() == 7
    engine.dispose()
