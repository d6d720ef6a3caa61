"""Proposing a directive from a pasted text or a file: the use case behind the entry page's
"Đề xuất" button, `POST /api/v1/directives/proposal` and `dondoc import`.

Nothing is written: the proposal goes back to the form, where the clerk corrects and saves it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import utcnow
from workflows import deadlines
from workflows.attachments import Upload
from workflows.db import Database
from workflows.entry.documents import SourceDocument, read_document
from workflows.entry.sheet import task_sheet_template
from workflows.organisation import people
from workflows.rules.calendar import WorkCalendar
from workflows.rules.importing.proposal import Proposal, propose_document
from workflows.rules.importing.tables import Row, task_rows
from workflows.rules.importing.units import Registry, UnitEntry
from workflows.tables import Unit


@dataclass(frozen=True)
class ProposalSource:
    """What a proposal is read from: a pasted text, or a file (its name and bytes)."""

    text: str = ""
    upload: Upload | None = None


def unit_registry(session: Session) -> Registry:
    """The department's units as the import rules know them: names, codes, kinds, aliases."""
    units = []
    for unit in session.scalars(select(Unit).where(Unit.active.is_(True)).order_by(Unit.id)):
        addressable = unit.parent_id is not None and unit.kind != "leadership"
        aliases = tuple(str(a) for a in unit.aliases or ())
        units.append(UnitEntry(unit.code, unit.name, unit.kind, aliases, addressable))
    return Registry(tuple(units))


def propose_directive(
    db: Database, actor_id: int, source: ProposalSource, now: datetime | None = None
) -> Proposal:
    """Propose the header, tasks, units and deadlines of a directive (clerks and leaders)."""
    with db.reading() as session:
        actor = people.load_actor(session, actor_id)
        people.require_role(actor, "clerk", "supervisor")
        registry = unit_registry(session)
        calendar = deadlines.work_calendar(session)
    today = (now or utcnow()).astimezone(db.settings.tz).date()
    return propose_from(source, registry, today, calendar)


def propose_from_database(
    db: Database, source: ProposalSource, now: datetime | None = None
) -> Proposal:
    """Propose a directive against the database's units, for the command line (no actor)."""
    with db.reading() as session:
        registry = unit_registry(session)
        calendar = deadlines.work_calendar(session)
    today = (now or utcnow()).astimezone(db.settings.tz).date()
    return propose_from(source, registry, today, calendar)


def task_sheet(db: Database, actor_id: int) -> bytes:
    """The spreadsheet template for entering tasks as rows, listing the units to name."""
    with db.reading() as session:
        actor = people.load_actor(session, actor_id)
        people.require_role(actor, "clerk", "supervisor")
        units = [(u.code, u.name) for u in unit_registry(session).units if u.addressable]
    return task_sheet_template(units)


def propose_from(
    source: ProposalSource, registry: Registry, today: date, calendar: WorkCalendar | None = None
) -> Proposal:
    """Propose a directive from a text or a file against a given registry (no database)."""
    if source.upload is None:
        return propose_document(source.text, (), registry, today, calendar)
    document = read_document(source.upload)
    return propose_document(document.text, rows_of(document), registry, today, calendar)


def rows_of(document: SourceDocument) -> list[Row]:
    """The task rows of a document's tables that have a task header (a template, a plan)."""
    found: list[Row] = []
    for table in document.tables:
        rows = task_rows([list(row) for row in table])
        if rows:
            found += rows
    return found


def proposal_json(proposal: Proposal) -> dict[str, Any]:
    """The proposal in the shape `dondoc import --json` prints and the API answers."""
    return {
        "number": proposal.number,
        "kind": proposal.kind,
        "issuer": proposal.issuer,
        "issued_on": proposal.issued_on.isoformat() if proposal.issued_on else None,
        "title": proposal.title,
        "tasks": [
            {
                "no": task.no,
                "text": task.text,
                "lead": [{"code": ref.code, "name": ref.name} for ref in task.lead],
                "coordinating": [{"code": ref.code, "name": ref.name} for ref in task.coordinating],
                "due_on": task.due_on.isoformat() if task.due_on else None,
                "due_text": task.due_text,
            }
            for task in proposal.tasks
        ],
        "new_units": list(proposal.new_units),
    }
