"""Drafts (bản nháp): a directive being entered, saved to be finished later.

A draft keeps the entry form as it was (every field, every task row, the proposal's source
sentences) and the token of the files chosen for it. It runs no process: the directive is
entered, and its process started, only when the draft is saved as a directive. Each person
sees and opens only their own drafts.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import utcnow
from workflows.db import Database
from workflows.entry.stash import TOKEN, StashedFile, discard, stashed
from workflows.errors import InvalidInput, NotFound
from workflows.messages import N_
from workflows.organisation import people
from workflows.rules.text import clean
from workflows.tables import DirectiveDraft

MAX_FORM_BYTES = 1_000_000
MAX_DRAFTS = 200


@dataclass(frozen=True)
class DraftRow:
    """A draft as the list shows it."""

    id: int
    number: str
    title: str
    tasks: int
    updated_at: datetime


@dataclass(frozen=True)
class DraftView:
    """A draft to open in the entry form: the form's values and the files kept for it."""

    id: int
    token: str
    form: dict[str, Any]
    files: tuple[StashedFile, ...]


def save_draft(
    db: Database,
    actor_id: int,
    form: Mapping[str, Any],
    token: str,
    draft_id: int | None = None,
    now: datetime | None = None,
) -> int:
    """Save the entry form as a draft (a new one, or over one of the actor's); return its id."""
    at = now or utcnow()
    content = json.loads(json.dumps(dict(form), default=str))
    if len(json.dumps(content)) > MAX_FORM_BYTES:
        raise InvalidInput({"form": N_("the draft is too large to keep")})

    def run(session: Session) -> int:
        actor = people.load_actor(session, actor_id)
        people.require_role(actor, "clerk", "supervisor")
        draft = _own(session, actor.id, draft_id) if draft_id else None
        if draft is None:
            if _count(session, actor.id) >= MAX_DRAFTS:
                raise InvalidInput({"form": N_("at most %(count)s drafts", count=MAX_DRAFTS)})
            draft = DirectiveDraft(created_by_id=actor.id, created_at=at, form={})
            draft.token = token if TOKEN.match(token or "") else uuid.uuid4().hex
            session.add(draft)
        draft.updated_at, draft.form = at, content
        draft.number = clean(_first(content.get("number")))[:64]
        draft.title = clean(_first(content.get("title")))[:500]
        session.flush()
        return draft.id

    return db.command(run)


def list_drafts(db: Database, actor_id: int) -> list[DraftRow]:
    """The actor's drafts, the most recently saved first."""
    with db.reading() as session:
        actor = people.load_actor(session, actor_id)
        rows = session.scalars(
            select(DirectiveDraft)
            .where(DirectiveDraft.created_by_id == actor.id)
            .order_by(DirectiveDraft.updated_at.desc(), DirectiveDraft.id.desc())
        )
        return [DraftRow(d.id, d.number, d.title, _tasks_in(d.form), d.updated_at) for d in rows]


def open_draft(db: Database, actor_id: int, draft_id: int) -> DraftView:
    """One of the actor's drafts, with the files kept for it."""
    with db.reading() as session:
        actor = people.load_actor(session, actor_id)
        draft = _own(session, actor.id, draft_id)
        token, form = draft.token, dict(draft.form)
    return DraftView(draft_id, token, form, tuple(stashed(db, actor_id, token)))


def delete_draft(db: Database, actor_id: int, draft_id: int) -> None:
    """Delete one of the actor's drafts and the files kept for it."""

    def run(session: Session) -> str:
        actor = people.load_actor(session, actor_id)
        draft = _own(session, actor.id, draft_id)
        session.delete(draft)
        return draft.token

    discard(db, db.command(run))


def consume_draft(session: Session, actor_id: int, draft_id: int) -> str:
    """Remove a draft that became a directive (inside the entering transaction); its token."""
    draft = _own(session, actor_id, draft_id)
    session.delete(draft)
    return draft.token


def _first(value: Any) -> str:
    """A form value kept as it was posted: a list of strings, or one."""
    if isinstance(value, list):
        return str(value[0]) if value else ""
    return "" if value is None else str(value)


def _tasks_in(form: dict[str, Any]) -> int:
    """How many task rows of a kept form have a text."""
    return sum(
        1
        for key, value in form.items()
        if re.fullmatch(r"tasks-\d+-content", key) and _first(value).strip()
    )


def _own(session: Session, actor_id: int, draft_id: int | None) -> DirectiveDraft:
    draft = session.get(DirectiveDraft, draft_id) if draft_id else None
    if draft is None or draft.created_by_id != actor_id:
        raise NotFound(N_("no draft %(id)s", id=draft_id))
    return draft


def _count(session: Session, actor_id: int) -> int:
    return len(
        session.scalars(
            select(DirectiveDraft.id).where(DirectiveDraft.created_by_id == actor_id)
        ).all()
    )
