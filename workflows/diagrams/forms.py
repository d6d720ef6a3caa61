"""The JSON Schema forms of generic process steps: stored, edited by admins, known to diagrams."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, aliased

from engine import ModelRules, parse_xml_safely, utcnow
from workflows import audit
from workflows.db import MODEL_RULES, Database
from workflows.diagrams.form_schema import (
    BUILTIN_FORMS,
    FORM_KEY,
    RESERVED_KEYS,
    FormField,
    form_fields,
    parse_schema,
)
from workflows.errors import InvalidInput, NotFound
from workflows.messages import N_, Message
from workflows.organisation import people
from workflows.tables import StepForm, User

BUNDLED_FORMS = Path(__file__).resolve().parents[2] / "bpmn" / "forms"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
MAX_TITLE_LENGTH = 255
BUILTIN_TITLES = {  # as bpmn/directive.bpmn names the tasks that use them
    "assign": "Giao nhiệm vụ / Assign",
    "execute": "Thực hiện / Execute",
    "report": "Báo cáo kết quả / Report",
    "sign_off": "Ký duyệt báo cáo / Sign off the report",
    "accept": "Duyệt báo cáo / Accept",
    "contribute": "Gửi ý kiến phối hợp / Contribute",
    "acknowledge": "Tiếp nhận ý kiến phối hợp / Acknowledge",
}


@dataclass(frozen=True)
class FormRow:
    """A stored form as the admin list shows it."""

    key: str
    title: str
    fields: int
    updated_at: datetime
    updated_by: str | None
    broken: bool = False  # fails today's form checks: its steps wait until an admin fixes it


@dataclass(frozen=True)
class FormView:
    """A stored form with its schema text and the fields it renders."""

    key: str
    title: str
    schema_text: str
    schema: dict[str, Any]
    fields: tuple[FormField, ...]
    updated_at: datetime
    problem: Message | None = None  # why a stored form fails today's checks (then no fields)

    def title_of(self, name: str) -> str:
        """The title of a field, or its name when the form has no such field."""
        return next((f.title for f in self.fields if f.name == name), name)


def known_roles() -> frozenset[str]:
    """The roles a diagram's lanes may name."""
    return MODEL_RULES.roles


def form_titles(db: Database, actor_id: int) -> dict[str, str]:
    """Every form a user task may name with its title: the built-in ones first, then by key."""
    with db.reading() as session:
        people.load_actor(session, actor_id)
        stored = session.execute(select(StepForm.key, StepForm.title).order_by(StepForm.key))
        return {**BUILTIN_TITLES, **{key: title for key, title in stored}}


def known_form_keys(session: Session) -> frozenset[str]:
    """Every form a user task may name: the built-in pages and the stored JSON Schema forms."""
    return BUILTIN_FORMS | frozenset(session.scalars(select(StepForm.key)))


def model_rules(session: Session) -> ModelRules:
    """The conventions a diagram saved now must follow (roles of lanes, known forms)."""
    return ModelRules(roles=MODEL_RULES.roles, forms=known_form_keys(session))


def check_form(key: str, title: str, schema_text: str) -> tuple[str, dict[str, Any]]:
    """Check a form's key, title and schema without storing it; return the title and schema."""
    problems: dict[str, Message] = {}
    if not FORM_KEY.match(key) or key in RESERVED_KEYS:
        problems["key"] = N_(
            "the key is 2 to 63 lower-case letters, digits or _, starting with a letter"
        )
    elif key in BUILTIN_FORMS:
        problems["key"] = N_("%(key)s is a built-in form with its own page", key=key)
    clean_title = " ".join(title.split())
    if not clean_title:
        problems["title"] = N_("the form needs a title")
    elif len(clean_title) > MAX_TITLE_LENGTH:
        problems["title"] = N_("at most %(count)s characters", count=MAX_TITLE_LENGTH)
    try:
        schema = parse_schema(schema_text)
    except InvalidInput as exc:
        problems.update(exc.field_messages)
        schema = {}
    if problems:
        raise InvalidInput(problems)
    return clean_title, schema


def preview_fields(key: str, title: str, schema_text: str) -> tuple[FormField, ...]:
    """Check a form as save_form would and return the fields it renders, storing nothing."""
    _, schema = check_form(key, title, schema_text)
    return form_fields(schema)


def save_form(
    db: Database, actor_id: int, key: str, title: str, schema_text: str, *, new: bool = False
) -> str:
    """Create or update a JSON Schema form (admin only); return its key.

    With `new`, refuse a key that is already taken instead of replacing that form.
    """
    clean_title, _ = check_form(key, title, schema_text)

    def run(session: Session) -> str:
        actor = people.load_actor(session, actor_id)
        people.require_role(actor, "admin")
        if new and session.scalar(select(StepForm.id).where(StepForm.key == key)) is not None:
            raise InvalidInput({"key": N_("a form with the key %(key)s exists", key=key)})
        before = _audited(session.scalar(select(StepForm).where(StepForm.key == key)))
        row = _store(session, key, clean_title, schema_text, actor.id)
        _audit(session, actor, "form_saved", key, before, _audited(row))
        return key

    return db.command(run)


def _store(
    session: Session, key: str, title: str, schema_text: str, actor_id: int | None
) -> StepForm:
    row = session.scalar(select(StepForm).where(StepForm.key == key))
    if row is None:
        row = StepForm(key=key)
        session.add(row)
    row.title, row.schema_json = title, schema_text
    row.updated_at, row.updated_by_id = utcnow(), actor_id
    return row


def list_forms(db: Database) -> list[FormRow]:
    """List the stored JSON Schema forms by key."""
    editor = aliased(User)
    with db.reading() as session:
        rows = session.execute(
            select(StepForm, editor.full_name)
            .join(editor, editor.id == StepForm.updated_by_id, isouter=True)
            .order_by(StepForm.key)
        ).all()
        checked = [(form, name, *_checked(form.schema_json)) for form, name in rows]
        return [
            FormRow(
                form.key,
                form.title,
                len(schema.get("properties", {})),
                form.updated_at,
                name,
                broken=problem is not None,
            )
            for form, name, schema, problem in checked
        ]


def get_form(db: Database, key: str) -> FormView:
    """Return a stored form with the fields it renders, or raise NotFound."""
    with db.reading() as session:
        return form_view(session, key)


def form_view(session: Session, key: str) -> FormView:
    """Return a stored form inside a caller's session, or raise NotFound.

    A form that fails today's checks (stored before them) comes back with its `problem` and no
    fields: it is never validated against, and an admin can still open and correct it.
    """
    row = session.scalar(select(StepForm).where(StepForm.key == key))
    if row is None:
        raise NotFound(N_("no form %(key)s", key=key))
    schema, problem = _checked(row.schema_json)
    fields = form_fields(schema) if problem is None else ()
    return FormView(row.key, row.title, row.schema_json, schema, fields, row.updated_at, problem)


def _checked(schema_text: str) -> tuple[dict[str, Any], Message | None]:
    """The schema of a stored form, or {} and what makes it fail the form checks."""
    try:
        return parse_schema(schema_text), None
    except InvalidInput as exc:
        return {}, next(iter(exc.field_messages.values()))


def delete_form(db: Database, actor_id: int, key: str) -> None:
    """Delete a form (admin only) that no saved version of any process diagram names."""

    def run(session: Session) -> None:
        actor = people.load_actor(session, actor_id)
        people.require_role(actor, "admin")
        row = session.scalar(select(StepForm).where(StepForm.key == key))
        if row is None:
            raise NotFound(N_("no form %(key)s", key=key))
        if key in forms_named_by_diagrams(db, session, key):
            raise InvalidInput(
                {"key": N_("a saved process diagram uses this form; it cannot be deleted")}
            )
        _audit(session, actor, "form_deleted", key, _audited(row), None)
        session.delete(row)

    db.command(run)


def _audited(row: StepForm | None) -> dict[str, Any] | None:
    """What the audit log keeps of a form: its title and schema text."""
    return None if row is None else {"title": row.title, "schema": row.schema_json}


def _audit(
    session: Session,
    actor: User,
    action: str,
    key: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
) -> None:
    if before is not None and after is not None:
        before, after = audit.changes(before, after)
        if not after:
            return
    audit.record(
        session,
        actor=actor,
        action=action,
        target_kind="form",
        target_key=key,
        before=before,
        after=after,
        at=utcnow(),
    )


def forms_named_by_diagrams(db: Database, session: Session, containing: str = "") -> frozenset[str]:
    """The form keys saved versions of process diagrams give their tasks.

    `containing` narrows the search to versions whose text contains it (a cheap SQL filter).
    """
    found: set[str] = set()
    for xml in db.processes.model_texts(session, containing):
        tree = parse_xml_safely(xml)
        for prop in tree.getroot().iter(f"{SPIFF}property"):
            if prop.get("name") == "form" and prop.get("value"):
                found.add(str(prop.get("value")))
    return frozenset(found)


def install_bundled_forms(db: Database, folder: Path = BUNDLED_FORMS) -> list[str]:
    """Store every bpmn/forms/*.json whose key is not stored yet; return the keys added."""
    files = sorted(folder.glob("*.json")) if folder.is_dir() else []

    def run(session: Session) -> list[str]:
        known = known_form_keys(session)
        added = []
        for path in files:
            if path.stem in known:
                continue
            text = path.read_text(encoding="utf-8")
            try:
                schema = json.loads(text)
            except (json.JSONDecodeError, RecursionError):  # check_form says what is wrong
                schema = {}
            title = schema.get("title") if isinstance(schema, dict) else None
            clean_title, _ = check_form(path.stem, str(title or path.stem), text)
            _store(session, path.stem, clean_title, text, None)
            added.append(path.stem)
        return added

    return db.command(run)
