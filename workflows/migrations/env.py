"""Alembic environment: the metadata of every table, SQLite altered in batch mode."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Connection, create_engine

import workflows.models  # noqa: F401 - registers the domain tables on the shared metadata
from engine import Base

target_metadata = Base.metadata


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations() -> None:
    """Run migrations on the connection handed over by schema.upgrade, or on the URL."""
    connection = context.config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = create_engine(context.config.get_main_option("sqlalchemy.url") or "")
    with engine.connect() as fresh:
        _run(fresh)
    engine.dispose()


run_migrations()
