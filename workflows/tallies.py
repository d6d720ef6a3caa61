"""The due items that oversight counts, kept in step with the assignments they come from.

Every item is derived from its assignment (deadlines, reporting periods), the reports accepted
for it and the extensions granted to it (the `extension_granted` events keep each new
deadline and when it was given). Use cases that change any of these call `refresh` in their
own transaction, so the table never disagrees with a full recount; `disagreements` is that
recount, run by `dondoc check`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from workflows.tables import Assignment, Directive, DueChange, DueItem, Event, Report

CHUNK = 500
FIELDS = (
    "directive_id",
    "task_id",
    "unit_id",
    "role",
    "assigned_at",
    "original_due_at",
    "due_at",
    "due_changed_at",
    "completed_at",
    "accepted_at",
    "issued_on",
    "issuer",
    "held",
    "cancelled_at",
)


@dataclass
class Derived:
    """A due item as its sources say it should be."""

    assignment_id: int
    cycle: int
    directive_id: int
    task_id: int
    unit_id: int
    role: str
    assigned_at: datetime
    original_due_at: datetime | None
    due_at: datetime | None = None
    due_changed_at: datetime | None = None
    completed_at: datetime | None = None
    accepted_at: datetime | None = None
    issued_on: date = date.min
    issuer: str = ""
    held: bool = False
    cancelled_at: datetime | None = None
    changes: list[tuple[datetime, datetime]] = field(default_factory=list)


def _instant(value: Any) -> datetime | None:
    return datetime.fromisoformat(value) if isinstance(value, str) and value else None


def _bases(assignment: Assignment) -> list[datetime | None]:
    periods = [_instant(due) for due in assignment.cycles or []]
    return periods or [assignment.original_due_at or assignment.due_at]


def derive(session: Session, assignment_ids: Sequence[int] | None = None) -> list[Derived]:
    """Derive the due items of some assignments (all assigned ones when None) from the sources."""
    query = (
        select(Assignment, Directive)
        .join(Directive, Directive.id == Assignment.directive_id)
        .where(Assignment.state != "draft", Directive.assigned_at.is_not(None))
        .order_by(Assignment.id)
    )
    found: list[Derived] = []
    for chunk in _chunks(assignment_ids):
        narrowed = query if chunk is None else query.where(Assignment.id.in_(chunk))
        rows = session.execute(narrowed).all()
        ids = [assignment.id for assignment, _ in rows]
        accepted = _accepted_reports(session, ids)
        grants = _grants(session, ids)
        for assignment, directive in rows:
            found += _items_of(assignment, directive, accepted, grants.get(assignment.id, []))
    return found


def _chunks(ids: Sequence[int] | None) -> Iterator[list[int] | None]:
    if ids is None:
        yield None
        return
    for start in range(0, len(ids), CHUNK):
        yield list(ids[start : start + CHUNK])


Accepted = dict[int, dict[int, tuple[datetime, datetime]]]


def _accepted_reports(session: Session, ids: list[int] | None) -> Accepted:
    query = (
        select(Report.assignment_id, Report.cycle, Report.submitted_at, Report.decided_at)
        .where(Report.decision == "accepted", Report.decided_at.is_not(None))
        .order_by(Report.id)
    )
    if ids is not None:
        query = query.where(Report.assignment_id.in_(ids))
    found: Accepted = {}
    for assignment_id, cycle, submitted, decided in session.execute(query):
        if decided is not None:
            found.setdefault(assignment_id, {})[cycle] = (submitted, decided)
    return found


Grant = tuple[datetime, datetime | None, datetime]  # granted at, deadline before, deadline after


def _grants(session: Session, ids: list[int] | None) -> dict[int, list[Grant]]:
    query = (
        select(Event.assignment_id, Event.at, Event.before, Event.after)
        .where(Event.kind == "extension_granted", Event.assignment_id.is_not(None))
        .order_by(Event.at, Event.id)
    )
    if ids is not None:
        query = query.where(Event.assignment_id.in_(ids))
    found: dict[int, list[tuple[datetime, datetime | None, datetime]]] = {}
    for assignment_id, at, before, after in session.execute(query):
        new_due = _instant((after or {}).get("due_at"))
        if new_due is not None:
            found.setdefault(assignment_id, []).append(
                (at, _instant((before or {}).get("due_at")), new_due)
            )
    return found


def _items_of(
    assignment: Assignment,
    directive: Directive,
    accepted: Accepted,
    grants: list[tuple[datetime, datetime | None, datetime]],
) -> list[Derived]:
    bases, reports = _bases(assignment), accepted.get(assignment.id, {})
    cycles = max([len(bases) - 1, *reports]) + 1
    items = [
        Derived(
            assignment.id,
            cycle,
            assignment.directive_id,
            assignment.task_id,
            assignment.unit_id,
            assignment.role,
            directive.assigned_at or directive.created_at,
            bases[cycle] if cycle < len(bases) else assignment.due_at,
            issued_on=directive.issued_on,
            issuer=directive.issuer,
            held=directive.status == "suspended",
            cancelled_at=_cancelled_at(assignment, directive),
        )
        for cycle in range(cycles)
    ]
    for item in items:
        item.due_at = item.original_due_at
        done = reports.get(item.cycle)
        item.completed_at, item.accepted_at = done if done else (None, None)
    for at, before, new_due in grants:
        item = _extended_item(items, before, assignment.cycle)
        item.changes.append((at, new_due))
        item.due_at, item.due_changed_at = new_due, at
    return items


def _cancelled_at(assignment: Assignment, directive: Directive) -> datetime | None:
    """When the item stopped counting: its directive cancelled, or its unit withdrawn."""
    ends = [
        directive.cancelled_at if directive.status == "cancelled" else None,
        assignment.cancelled_at if assignment.state == "cancelled" else None,
    ]
    return min((end for end in ends if end is not None), default=None)


def _extended_item(items: list[Derived], before: datetime | None, current: int) -> Derived:
    """The item an extension moved: the one whose deadline was the one moved."""
    for item in items:
        if before is not None and item.due_at == before:
            return item
    return items[min(max(current, 0), len(items) - 1)]


def refresh(session: Session, assignment_ids: Iterable[int]) -> None:
    """Rebuild the due items of these assignments from their sources (in the caller's
    transaction)."""
    ids = sorted(set(assignment_ids))
    if not ids:
        return
    session.flush()
    derived = derive(session, ids)
    for chunk in _chunks(ids):
        assert chunk is not None
        old = select(DueItem.id).where(DueItem.assignment_id.in_(chunk))
        session.execute(delete(DueChange).where(DueChange.item_id.in_(old)))
        session.execute(delete(DueItem).where(DueItem.assignment_id.in_(chunk)))
    rows = {(d.assignment_id, d.cycle): _row(d) for d in derived}
    session.add_all(rows.values())
    session.flush()
    for d in derived:
        for at, due in d.changes:
            session.add(DueChange(item_id=rows[d.assignment_id, d.cycle].id, at=at, due_at=due))
    session.flush()


def refresh_directive(session: Session, directive_id: int) -> None:
    """Rebuild the due items of every assignment of a directive."""
    ids = session.scalars(select(Assignment.id).where(Assignment.directive_id == directive_id))
    refresh(session, list(ids))


def _row(d: Derived) -> DueItem:
    return DueItem(
        assignment_id=d.assignment_id, cycle=d.cycle, **{f: getattr(d, f) for f in FIELDS}
    )


@dataclass(frozen=True)
class Disagreement:
    """A due item whose stored figures differ from a recount (or that is missing or extra)."""

    assignment_id: int
    cycle: int
    problem: str


def disagreements(session: Session) -> list[Disagreement]:
    """Recount every due item from its sources and list where the table differs."""
    derived = {(d.assignment_id, d.cycle): d for d in derive(session)}
    changes: dict[int, list[tuple[datetime, datetime]]] = {}
    for item_id, at, due in session.execute(
        select(DueChange.item_id, DueChange.at, DueChange.due_at).order_by(
            DueChange.at, DueChange.id
        )
    ):
        changes.setdefault(item_id, []).append((at, due))
    found: list[Disagreement] = []
    stored_keys: set[tuple[int, int]] = set()
    for item in session.scalars(select(DueItem).order_by(DueItem.id)):
        key = (item.assignment_id, item.cycle)
        stored_keys.add(key)
        expected = derived.get(key)
        if expected is None:
            found.append(Disagreement(*key, "the item has no assignment period behind it"))
            continue
        wrong = [f for f in FIELDS if getattr(item, f) != getattr(expected, f)]
        if changes.get(item.id, []) != expected.changes:
            wrong.append("extensions")
        if wrong:
            found.append(Disagreement(*key, f"differs from a recount in {', '.join(wrong)}"))
    for key in sorted(derived.keys() - stored_keys):
        found.append(Disagreement(*key, "the assignment period has no due item"))
    return found
