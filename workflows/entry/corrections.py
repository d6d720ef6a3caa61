"""Correcting a directive after it was entered (sửa văn bản): its header, text and tasks.

The clerk or a leader sends the directive as it should be; every difference is applied and
written to the history with the value before and after and who changed it:

- number, kind, issuer, issue date, subject and text: `directive_corrected`;
- a task's text: `task_corrected`; its deadline: `deadline_corrected`, and the timers of its
  open assignments are armed again for the new deadline, as an extension does;
- a unit added to a task: `unit_added`, and once the tasks are assigned its work starts at
  once (a new instance of the per-unit work, `engine.ProcessEngine.add_item`);
- a unit removed: `unit_removed` with the reason, its open steps and timers cancelled
  (`withdraw_item`); a unit that has already completed its part cannot be removed;
- a task added: `task_added`; a task removed: `task_removed`, its units withdrawn.

Before the tasks are assigned, nothing runs yet, so tasks and units change as rows only.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import utcnow
from workflows import history, tallies
from workflows.db import Database
from workflows.directives import refresh_search_text
from workflows.entry.inputs import EARLIEST_ISSUE, MAX_TERM, TaskInput
from workflows.entry.task_changes import TaskChanges
from workflows.errors import DirectiveNotActive, InvalidInput, NotFound
from workflows.messages import N_, Message
from workflows.organisation import people
from workflows.rules.text import clean, clean_number
from workflows.tables import DIRECTIVE_KINDS, Directive, User

HEADER_FIELDS = ("number", "kind", "issuer", "issued_on", "title", "body")
MAX_EVENT_TEXT = 20_000
MAX_REASON = 2_000


@dataclass(frozen=True)
class TaskCorrection:
    """A task as it should be: an existing one (its id) or a new one (no id)."""

    task_id: int | None
    task: TaskInput


@dataclass(frozen=True)
class Correction:
    """The directive as it should be; tasks left out are removed."""

    number: str
    kind: str
    issuer: str
    issued_on: date
    title: str
    body: str
    tasks: tuple[TaskCorrection, ...]
    reason: str = ""


def correct_directive(
    db: Database,
    actor_id: int,
    directive_id: int,
    correction: Correction,
    now: datetime | None = None,
) -> int:
    """Apply a correction (clerks and leaders); return how many changes were recorded."""
    at = now or utcnow()
    reason = correction.reason.strip()
    if len(reason) > MAX_REASON:
        raise InvalidInput({"reason": N_("at most %(count)s characters", count=MAX_REASON)})

    def run(session: Session) -> int:
        actor = people.load_actor(session, actor_id)
        people.require_role(actor, "clerk", "supervisor")
        directive = session.get(Directive, directive_id)
        if directive is None:
            raise NotFound(N_("no directive %(id)s", id=directive_id))
        if directive.status == "cancelled":
            raise DirectiveNotActive(N_("a cancelled directive cannot be corrected"))
        changed = _correct_header(session, directive, correction, actor, at)
        changes = TaskChanges(session, db, directive, actor, at, reason)
        changed += changes.apply(correction.tasks)
        if not changed:
            raise InvalidInput({"form": N_("nothing was changed")})
        refresh_search_text(session, directive)
        tallies.refresh_directive(session, directive.id)
        return changed

    return db.command(run)


def _correct_header(
    session: Session, directive: Directive, correction: Correction, actor: User, at: datetime
) -> int:
    wanted = _header_values(correction)
    _check_header(session, directive, wanted)
    before = {f: _stored(getattr(directive, f)) for f in HEADER_FIELDS}
    after = {f: _stored(wanted[f]) for f in HEADER_FIELDS}
    changed = [f for f in HEADER_FIELDS if before[f] != after[f]]
    if not changed:
        return 0
    for field in changed:
        setattr(directive, field, wanted[field])
    directive.issued_year = directive.issued_on.year
    history.record(
        session,
        "directive_corrected",
        at=at,
        actor=actor,
        directive_id=directive.id,
        before={f: _shown(before[f]) for f in changed},
        after={f: _shown(after[f]) for f in changed},
    )
    return len(changed)


def _header_values(correction: Correction) -> dict[str, Any]:
    return {
        "number": clean_number(correction.number),
        "kind": correction.kind,
        "issuer": clean(correction.issuer),
        "issued_on": correction.issued_on,
        "title": clean(correction.title),
        "body": clean(correction.body),
    }


def _check_header(session: Session, directive: Directive, wanted: dict[str, Any]) -> None:
    problems: dict[str, Message] = {}
    for field in ("number", "issuer", "title"):
        if not wanted[field]:
            problems[field] = N_("required")
    if wanted["kind"] not in DIRECTIVE_KINDS:
        problems["kind"] = N_("unknown document type")
    issued_on: date = wanted["issued_on"]
    if not EARLIEST_ISSUE <= issued_on <= date.today() + MAX_TERM:
        problems["issued_on"] = N_("the issue date is not plausible")
    duplicate = session.scalar(
        select(Directive.id).where(
            Directive.number == wanted["number"],
            Directive.issued_year == issued_on.year,
            Directive.issuer == wanted["issuer"],
            Directive.id != directive.id,
        )
    )
    if duplicate is not None:
        problems["number"] = N_(
            "%(number)s of %(year)s is already entered",
            number=wanted["number"],
            year=issued_on.year,
        )
    if problems:
        raise InvalidInput(problems)


def _stored(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value


def _shown(value: Any) -> Any:
    if isinstance(value, str) and len(value) > MAX_EVENT_TEXT:
        return value[:MAX_EVENT_TEXT] + "…"
    return value
