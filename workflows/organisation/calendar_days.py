"""The department's calendar: days off (nghỉ bù) and make-up working days (làm bù) declared."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import utcnow
from workflows import audit
from workflows.db import Database
from workflows.organisation import people
from workflows.tables import CalendarDay


@dataclass(frozen=True)
class CalendarDayRow:
    """A day an administrator declared off or working."""

    day: date
    working: bool
    note: str


def calendar_days(db: Database) -> list[CalendarDayRow]:
    """The declared days, in date order."""
    with db.reading() as session:
        return [
            CalendarDayRow(r.day, r.working, r.note)
            for r in session.scalars(select(CalendarDay).order_by(CalendarDay.day))
        ]


def set_calendar_day(
    db: Database,
    actor_id: int,
    day: date,
    working: bool | None,
    note: str = "",
    now: datetime | None = None,
) -> None:
    """Declare a day off or a make-up working day (admin); None removes the declaration.

    Deadlines computed from now on follow it; deadlines already given keep their instant.
    """
    at = now or utcnow()

    def run(session: Session) -> None:
        actor = people.require_admin(session, actor_id)
        row = session.get(CalendarDay, day)
        before = None if row is None else {"working": row.working, "note": row.note}
        after = None if working is None else {"working": working, "note": note.strip()[:255]}
        if before == after:
            return
        if row is not None:
            session.delete(row)
            session.flush()
        if working is not None:
            session.add(CalendarDay(day=day, working=working, note=note.strip()[:255]))
        audit.record(
            session,
            actor=actor,
            action="calendar_day_removed" if after is None else "calendar_day_declared",
            target_kind="calendar_day",
            target_key=day.isoformat(),
            before=before,
            after=after,
            at=at,
        )

    db.command(run)
