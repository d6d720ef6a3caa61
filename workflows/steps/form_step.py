"""Generic steps: a user task whose form is a stored JSON Schema form, completed with its values."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from engine import utcnow
from workflows import history
from workflows.db import Database
from workflows.diagrams.form_schema import BUILTIN_FORMS, values_from
from workflows.diagrams.forms import FormView, form_view
from workflows.errors import BrokenForm, InvalidInput, NotFound, WrongStep
from workflows.messages import N_
from workflows.organisation import people
from workflows.pipeline import complete_work_item, directive_of_work_item, ready_work_item
from workflows.tables import Assignment


def complete_form_step(
    db: Database,
    actor_id: int,
    work_item_id: str,
    raw_values: Mapping[str, str | list[str]],
    now: datetime | None = None,
) -> dict[str, Any]:
    """Complete a generic step with the posted values of its form; return the typed values.

    The values go into the task data under the form's key (never over `accepted` and the like).
    They are checked against the form before the write transaction opens, so a slow check
    holds no lock; inside it, the form is read again and the values checked anew only if an
    admin changed it meanwhile.
    """
    at = now or utcnow()
    checked = _check_before(db, work_item_id, raw_values)

    def run(session: Session) -> dict[str, Any]:
        actor = people.load_actor(session, actor_id)
        key = ready_work_item(session, db, work_item_id).form
        if key in BUILTIN_FORMS:
            raise WrongStep(N_("the %(step)s step has its own page", step=key))
        item, directive, on_behalf = directive_of_work_item(
            session, db, actor, work_item_id, key, at
        )
        assignment = _assignment(session, item.ref)
        form = form_view(session, key)
        values = _values(form, raw_values, checked)
        history.record(
            session,
            "form_submitted",
            at=at,
            actor=actor,
            directive_id=directive.id,
            assignment_id=assignment.id if assignment else None,
            work_item_id=item.id,
            after={
                "form": key,
                "title": item.title,
                "values": values,
                "labels": {name: form.title_of(name) for name in values},
            },
            on_behalf_of=on_behalf,
        )
        complete_work_item(session, db, directive, item, {key: values}, actor, at)
        return values

    return db.command(run)


@dataclass(frozen=True)
class _Checked:
    """The values of a submission checked against a form's text, or why they were refused."""

    schema_text: str
    values: dict[str, Any]
    refused: InvalidInput | None


def _check_before(
    db: Database, work_item_id: str, raw_values: Mapping[str, str | list[str]]
) -> _Checked | None:
    """Check the values against the step's form in a read-only session; None if none applies."""
    with db.reading() as session:
        item = db.processes.work_item(session, work_item_id)
        if item is None or item.form in BUILTIN_FORMS:
            return None  # the command says why
        try:
            form = form_view(session, item.form)
        except NotFound:
            return None
    if form.problem is not None:
        return None
    try:
        return _Checked(form.schema_text, values_from(form.schema, raw_values), None)
    except InvalidInput as exc:
        return _Checked(form.schema_text, {}, exc)


def _values(
    form: FormView, raw_values: Mapping[str, str | list[str]], checked: _Checked | None
) -> dict[str, Any]:
    """The checked values, raising what the check found; checked again if the form changed."""
    if form.problem is not None:
        raise BrokenForm(form.key)
    if checked is None or checked.schema_text != form.schema_text:
        return values_from(form.schema, raw_values)
    if checked.refused is not None:
        raise checked.refused
    return checked.values


def _assignment(session: Session, ref: str | None) -> Assignment | None:
    return session.get(Assignment, int(ref)) if ref and ref.isdigit() else None
