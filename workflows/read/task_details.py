"""What a line of a task list shows besides its figures: texts, units, reports, nudges."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from workflows.notifications import excerpt
from workflows.tables import Assignment, Directive, DueItem, Event, Report, Task

NUDGE_EVENT = "assignment_nudged"
REPORT_EXCERPT = 300


@dataclass(frozen=True)
class Details:
    """One task (per reporting period): its directive, text, units, last report, nudges."""

    directive_id: int
    directive_number: str
    issued_on: date
    issuer: str
    task_number: int
    content: str
    lead_units: tuple[str, ...]
    coordinating_units: tuple[str, ...]
    original_due_at: datetime | None
    completed_at: datetime | None
    latest_report: str
    nudges: int
    open_assignments: tuple[tuple[int, str], ...]
    unit_codes: dict[int, str]


def details_of(session: Session, keys: Sequence[tuple[int, int]]) -> dict[tuple[int, int], Details]:
    """Details of these (task id, reporting period) pairs."""
    task_ids = sorted({task_id for task_id, _ in keys})
    if not task_ids:
        return {}
    tasks = {
        task.id: (task, directive)
        for task, directive in session.execute(
            select(Task, Directive)
            .join(Directive, Directive.id == Task.directive_id)
            .where(Task.id.in_(task_ids))
        )
    }
    assignments = session.execute(
        select(
            Assignment.id,
            Assignment.task_id,
            Assignment.role,
            Assignment.unit_code,
            Assignment.unit_name,
            Assignment.state,
        )
        .where(Assignment.task_id.in_(task_ids))
        .order_by(Assignment.id)
    ).all()
    by_task: dict[int, list[Any]] = {}
    for row in assignments:
        by_task.setdefault(row.task_id, []).append(row)
    items = {
        (i.assignment_id, i.cycle): i
        for i in session.execute(
            select(
                DueItem.assignment_id,
                DueItem.cycle,
                DueItem.original_due_at,
                DueItem.accepted_at,
                DueItem.assigned_at,
                DueItem.completed_at,
            ).where(DueItem.task_id.in_(task_ids))
        )
    }
    reports = _latest_reports(session, [a.id for a in assignments])
    nudges = _nudges(session, [a.id for a in assignments])
    found = {}
    for task_id, cycle in keys:
        task, directive = tasks[task_id]
        found[task_id, cycle] = _details(
            task, directive, by_task.get(task_id, []), cycle, items, reports, nudges
        )
    return found


def _details(
    task: Task,
    directive: Directive,
    mine: list[Any],
    cycle: int,
    items: dict[tuple[int, int], Any],
    reports: dict[int, str],
    nudges: dict[int, int],
) -> Details:
    leads = [a for a in mine if a.role == "lead"]
    lead_items = [items[a.id, cycle] for a in leads if (a.id, cycle) in items]
    originals = [i.original_due_at for i in lead_items if i.original_due_at is not None]
    done = [i for i in lead_items if i.accepted_at is not None]
    last = max(done, key=lambda i: i.accepted_at or i.assigned_at) if done else None
    return Details(
        directive.id,
        directive.number,
        directive.issued_on,
        directive.issuer,
        task.number,
        task.content,
        tuple(a.unit_name for a in leads),
        tuple(a.unit_name for a in mine if a.role != "lead"),
        max(originals) if originals else None,
        last.completed_at if last is not None and len(done) == len(lead_items) else None,
        next((reports[a.id] for a in reversed(leads) if a.id in reports), ""),
        sum(nudges.get(a.id, 0) for a in mine),
        tuple(
            (a.id, a.unit_code)
            for a in mine
            if a.state not in ("accepted", "draft") and directive.status == "in_progress"
        ),
        {a.id: a.unit_code for a in mine},
    )


def _latest_reports(session: Session, assignment_ids: list[int]) -> dict[int, str]:
    found: dict[int, str] = {}
    for assignment_id, text in session.execute(
        select(Report.assignment_id, Report.text)
        .where(Report.assignment_id.in_(assignment_ids), Report.kind == "report")
        .order_by(Report.submitted_at, Report.id)
    ):
        found[assignment_id] = excerpt(text, REPORT_EXCERPT)
    return found


def _nudges(session: Session, assignment_ids: list[int]) -> dict[int, int]:
    rows = session.execute(
        select(Event.assignment_id, func.count())
        .where(Event.assignment_id.in_(assignment_ids), Event.kind == NUDGE_EVENT)
        .group_by(Event.assignment_id)
    )
    return {int(assignment_id or 0): int(count) for assignment_id, count in rows}
