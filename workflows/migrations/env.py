"""Alembic environment: the metadata of every table, SQLite altered in batch mode."""

from __future__ import annotations

from typing import Any

from alembic import context
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, create_engine

import workflows.tables  # noqa: F401 - registers the domain tables on the shared metadata
from engine import Base

target_metadata = Base.metadata


def _record_applied(ctx: MigrationContext, step: Any, heads: Any, run_args: Any) -> None:
    """Note each revision as it completes, so a failed upgrade can name the one that failed."""
    applied = context.config.attributes.get("applied")
    if applied is not None and step.up_revision_id is not None:
        applied.append(step.up_revision_id)


def _run(connection: Connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        compare_type=True,
        on_version_apply=_record_applied,
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
