"""The directive process diagram as administrators manage it: versions, saving, publishing."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

import engine
from engine import ModelVersion, utcnow
from workflows import audit, history
from workflows.db import Database
from workflows.diagrams import forms
from workflows.errors import DomainError, InvalidInput, NotFound
from workflows.messages import N_
from workflows.organisation import people
from workflows.tables import User

MODEL_KEY = "directive"
MAX_COMMENT_LENGTH = 1_000


class ModelRejected(DomainError):
    """The diagram was not saved; `problems` lists (element id or None, message)."""

    code = "invalid_model"

    def __init__(self, problems: list[tuple[str | None, str]]) -> None:
        self.problems = problems
        super().__init__(N_("the diagram is not valid: nothing was saved"))


class NewerVersionSaved(DomainError):
    """Someone saved a version after the one the editor was opened from."""

    code = "newer_version"

    def __init__(self, number: int, author: str, at: datetime) -> None:
        self.number, self.author, self.at = number, author, at
        super().__init__(
            N_(
                "version %(number)s was saved by %(author)s after you opened this diagram; "
                "saving now would leave its changes out of yours",
                number=number,
                author=author,
            )
        )


@dataclass(frozen=True)
class VersionView:
    """One saved version with how many instances run on it and what it changed."""

    version: ModelVersion
    running: int
    diff: engine.ModelDiff | None  # against the version numbered one lower; None for the first


def list_versions(db: Database, actor_id: int) -> list[VersionView]:
    """Every version of the directive diagram, newest first, each diffed against its previous."""
    with db.reading() as session:
        _require_admin(session, actor_id)
        versions = db.processes.model_versions(session, MODEL_KEY)
        running = Counter(db.processes.unfinished_per_version(session))
        texts = {v.id: db.processes.model_xml(session, v.id) for v in versions}
    older = {v.number: v for v in versions}
    return [
        VersionView(
            v,
            running.get(v.id, 0),
            _diff(texts, older.get(v.number - 1), v),
        )
        for v in versions
    ]


def get_version(db: Database, actor_id: int, version_id: int) -> VersionView:
    """One version with its diff against the previous one."""
    for view in list_versions(db, actor_id):
        if view.version.id == version_id:
            return view
    raise NotFound(N_("no process version %(id)s", id=version_id))


def version_xml(
    db: Database, actor_id: int, version_id: int | None = None
) -> tuple[ModelVersion, bytes]:
    """The BPMN text of a version (the published one when no id is given)."""
    with db.reading() as session:
        _require_admin(session, actor_id)
        version = _version(db, session, version_id)
        return version, db.processes.model_xml(session, version.id)


def latest_version_number(db: Database, actor_id: int) -> int:
    """The number of the newest saved version (0 when there is none)."""
    with db.reading() as session:
        _require_admin(session, actor_id)
        latest = db.processes.latest_model(session, MODEL_KEY)
        return latest.number if latest is not None else 0


def save_version(
    db: Database,
    actor_id: int,
    xml: bytes,
    comment: str,
    *,
    publish: bool = False,
    based_on: int | None = None,
    now: datetime | None = None,
) -> ModelVersion:
    """Check a diagram (safe XML, SpiffWorkflow, our conventions) and keep it as a new version.

    `based_on` is the number of the version the editor opened: a newer one saved meanwhile
    raises NewerVersionSaved, so nobody overwrites a colleague's change without knowing.
    """
    at = now or utcnow()
    if len(comment) > MAX_COMMENT_LENGTH:
        raise InvalidInput(
            {"comment": N_("at most %(count)s characters", count=MAX_COMMENT_LENGTH)}
        )

    def run(session: Session) -> ModelVersion:
        actor = _require_admin(session, actor_id)
        was_published = _published_number(db, session)
        latest = db.processes.latest_model(session, MODEL_KEY)
        if latest is not None and based_on is not None and latest.number > based_on:
            raise NewerVersionSaved(latest.number, latest.author, latest.created_at)
        if latest is not None and latest.sha256 == engine.sha256_of(xml):
            raise InvalidInput(
                {"xml": N_("nothing changed since version %(number)s", number=latest.number)}
            )
        try:
            saved = db.processes.save_model(
                session,
                MODEL_KEY,
                xml,
                author=actor.full_name or actor.username,
                comment=comment.strip(),
                publish=publish,
                rules=forms.model_rules(session),
            )
        except engine.ModelInvalid as exc:
            raise ModelRejected(exc.problems) from exc
        _record(session, actor, "model_saved", saved, at)
        if publish:
            _record(session, actor, "model_published", saved, at, was_published)
        return saved

    return db.command(run)


def publish_version(
    db: Database, actor_id: int, version_id: int, now: datetime | None = None
) -> ModelVersion:
    """Make a version the one new directives start on; running ones keep theirs."""
    at = now or utcnow()

    def run(session: Session) -> ModelVersion:
        actor = _require_admin(session, actor_id)
        version = _version(db, session, version_id)
        if version.published:
            raise InvalidInput(
                {"version": N_("version %(number)s is already published", number=version.number)}
            )
        was_published = _published_number(db, session)
        published = db.processes.publish_model(session, version.id)
        _record(session, actor, "model_published", published, at, was_published)
        return published

    return db.command(run)


def _require_admin(session: Session, actor_id: int) -> User:
    actor = people.load_actor(session, actor_id)
    people.require_role(actor, "admin")
    return actor


def _version(db: Database, session: Session, version_id: int | None) -> ModelVersion:
    if version_id is None:
        try:
            return db.processes.published_model(session, MODEL_KEY)
        except engine.ModelNotFound as exc:
            raise NotFound(N_("the process has no published version")) from exc
    try:
        version = db.processes.model_version(session, version_id)
    except engine.ModelNotFound:
        version = None
    if version is None or version.model_key != MODEL_KEY:
        raise NotFound(N_("no process version %(id)s", id=version_id))
    return version


def _diff(
    texts: dict[int, bytes], previous: ModelVersion | None, version: ModelVersion
) -> engine.ModelDiff | None:
    if previous is None:
        return None
    return engine.diff_models(texts[previous.id], texts[version.id])


def _published_number(db: Database, session: Session) -> int | None:
    try:
        return db.processes.published_model(session, MODEL_KEY).number
    except engine.ModelNotFound:
        return None


def _record(
    session: Session,
    actor: User,
    kind: str,
    version: ModelVersion,
    at: datetime,
    was_published: int | None = None,
) -> None:
    """Write the change to the history and to the audit log of administrative changes."""
    history.record(
        session,
        kind,
        at=at,
        actor=actor,
        after={"model": version.model_key, "version": version.number, "sha256": version.sha256},
        detail=version.comment,
    )
    before: dict[str, Any] | None
    after: dict[str, Any]
    if kind == "model_published":
        before, after = {"published": was_published}, {"published": version.number}
    else:
        before = None
        after = {"version": version.number, "sha256": version.sha256, "comment": version.comment}
    audit.record(
        session,
        actor=actor,
        action=kind,
        target_kind="process",
        target_key=f"{version.model_key} v{version.number}",
        before=before,
        after=after,
        at=at,
    )
