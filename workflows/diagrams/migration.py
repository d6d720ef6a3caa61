"""Moving running directives to another version of the process diagram (administrators only).

A dry run lists the directives whose process runs on another version and whether each can
move; the move itself takes each directive in its own transaction, so one refused or failed
directive leaves the others moved. The engine decides what can move (`engine.migration`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

import engine
from engine import MigrationCheck, ModelVersion, utcnow
from workflows import history
from workflows.db import Database
from workflows.directives import MODEL_KEY
from workflows.errors import DomainError, InvalidInput, NotFound, PermissionDenied
from workflows.messages import N_, Message, as_message
from workflows.organisation import people
from workflows.pipeline import apply_step_result, engine_errors
from workflows.tables import Directive, User

FINISHED_STATUSES = ("completed", "cancelled")


@dataclass(frozen=True)
class DirectiveMigrationCheck:
    """Whether a directive's process can move to the version asked for, and if not, why."""

    directive_id: int
    number: str
    title: str
    status: str
    steps: tuple[str, ...]  # the diagram ids of its open steps
    from_version: int
    to_version: int
    can_move: bool
    reasons: tuple[Message, ...]


@dataclass(frozen=True)
class MigrationOutcome:
    """Which directives moved, and why the others did not."""

    moved: tuple[int, ...]
    refused: Mapping[int, tuple[Message, ...]]


def migration_plan(
    db: Database,
    actor_id: int,
    target_version_id: int,
    directive_ids: Sequence[int] | None = None,
) -> list[DirectiveMigrationCheck]:
    """Tell which directives can move to a version (a dry run that changes nothing).

    Without `directive_ids`, list every directive not completed nor cancelled whose process
    runs on another version of the diagram.
    """
    with db.reading() as session:
        _require_admin(session, actor_id)
        target = _target(session, db, target_version_id)
        chosen = _chosen(session, db, target, directive_ids)
        checks = db.processes.plan_migration(session, list(chosen), target.id)
        return [_as_check(session, db, d, c) for d, c in zip(chosen.values(), checks, strict=True)]


def migrate_directives(
    db: Database,
    actor_id: int,
    target_version_id: int,
    directive_ids: Sequence[int],
    now: datetime | None = None,
) -> MigrationOutcome:
    """Move directives to a version, each in its own transaction; say which could not move."""
    at = now or utcnow()
    if not directive_ids:
        raise InvalidInput({"directive_ids": N_("choose at least one directive to move")})
    with db.reading() as session:
        _require_admin(session, actor_id)
        target = _target(session, db, target_version_id)
    moved: list[int] = []
    refused: dict[int, tuple[Message, ...]] = {}
    for directive_id in dict.fromkeys(directive_ids):
        try:
            _move(db, actor_id, directive_id, target, at)
        except engine.MigrationRefused as exc:
            refused[directive_id] = tuple(as_message(reason) for reason in exc.reasons)
        except PermissionDenied:
            raise
        except DomainError as exc:  # e.g. no such directive: it stays where it is
            refused[directive_id] = (exc.message,)
        else:
            moved.append(directive_id)
    return MigrationOutcome(tuple(moved), refused)


def _move(
    db: Database, actor_id: int, directive_id: int, target: ModelVersion, at: datetime
) -> None:
    """Move one directive's process and record it, in one transaction."""

    def run(session: Session) -> None:
        actor = _require_admin(session, actor_id)
        directive = session.get(Directive, directive_id)
        if directive is None or directive.process_instance_id is None:
            raise NotFound(N_("no directive %(id)s", id=directive_id))
        with engine_errors():
            before = db.processes.instance_version(session, directive.process_instance_id)
            result = db.processes.migrate(session, directive.process_instance_id, target.id)
        apply_step_result(session, db, directive, result, at)
        history.record(
            session,
            "process_migrated",
            at=at,
            actor=actor,
            directive_id=directive.id,
            before={"version": before.number},
            after={"version": target.number},
        )

    db.command(run)


def _require_admin(session: Session, actor_id: int) -> User:
    actor = people.load_actor(session, actor_id)
    people.require_role(actor, "admin")
    return actor


def _target(session: Session, db: Database, version_id: int) -> ModelVersion:
    try:
        version = db.processes.model_version(session, version_id)
    except engine.ModelNotFound as exc:
        raise NotFound(N_("no process version %(id)s", id=version_id)) from exc
    if version.model_key != MODEL_KEY:
        raise NotFound(N_("no process version %(id)s", id=version_id))
    return version


def _chosen(
    session: Session, db: Database, target: ModelVersion, directive_ids: Sequence[int] | None
) -> dict[int, Directive]:
    """Map process instance ids to the directives asked for (default: those elsewhere)."""
    if directive_ids is None:
        return _elsewhere(session, db, target)
    chosen: dict[int, Directive] = {}
    for directive_id in dict.fromkeys(directive_ids):
        directive = session.get(Directive, directive_id)
        if directive is None or directive.process_instance_id is None:
            raise NotFound(N_("no directive %(id)s", id=directive_id))
        chosen[directive.process_instance_id] = directive
    return chosen


def _elsewhere(session: Session, db: Database, target: ModelVersion) -> dict[int, Directive]:
    """Map the unfinished directives on another version of the diagram, oldest first."""
    instances = db.processes.instances_to_migrate(session, target.id)
    directives = session.scalars(
        select(Directive)
        .where(
            Directive.process_instance_id.in_(instances),
            Directive.status.not_in(FINISHED_STATUSES),
        )
        .order_by(Directive.id)
    )
    return {d.process_instance_id: d for d in directives if d.process_instance_id is not None}


def _as_check(
    session: Session, db: Database, directive: Directive, check: MigrationCheck
) -> DirectiveMigrationCheck:
    ready = db.processes.ready_tasks(session, check.instance_id)
    return DirectiveMigrationCheck(
        directive_id=directive.id,
        number=directive.number,
        title=directive.title,
        status=directive.status,
        steps=tuple(dict.fromkeys(task.task_name for task in ready)),
        from_version=check.from_version,
        to_version=check.to_version,
        can_move=check.can_move,
        reasons=tuple(as_message(reason) for reason in check.reasons),
    )
