"""Alembic environment: runs on the connection or URL that ``knowledge.db`` hands it."""

from alembic import context
from sqlalchemy import create_engine

from knowledge.schema import Base

config = context.config
target_metadata = Base.metadata


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


connection = config.attributes.get("connection")
if connection is not None:
    _run(connection)
else:
    url = config.get_main_option("sqlalchemy.url")
    if url is None:
        raise RuntimeError("alembic: neither a connection nor sqlalchemy.url is configured")
    engine = create_engine(url)
    with engine.begin() as conn:
        _run(conn)
