"""Figures for the landing page: counts only, nothing a stranger should not see."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select

from engine import ModelNotFound, WorkItem
from workflows.db import Database
from workflows.directives import MODEL_KEY
from workflows.tables import Directive, Unit, User


@dataclass(frozen=True)
class Overview:
    """How much the tracker holds."""

    directives_by_status: dict[str, int]
    open_work_items: int
    units: int
    users: int
    process_version: int | None


def overview(db: Database) -> Overview:
    """Count directives by status, open work items, units and users."""
    with db.reading() as session:
        rows = session.execute(select(Directive.status, func.count()).group_by(Directive.status))
        by_status = {status: count for status, count in rows}
        try:
            version: int | None = db.processes.published_model(session, MODEL_KEY).number
        except ModelNotFound:
            version = None
        return Overview(
            directives_by_status=by_status,
            open_work_items=session.scalar(select(func.count()).select_from(WorkItem)) or 0,
            units=session.scalar(select(func.count()).select_from(Unit)) or 0,
            users=session.scalar(select(func.count()).select_from(User)) or 0,
            process_version=version,
        )
