"""Process model versions: immutable BPMN texts, numbered per model key, one of them published."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine.errors import ConcurrentUpdate, ModelNotFound
from engine.specs import ParsedModel, SpecCache, sha256_of
from engine.tables import ProcessInstance, ProcessModelVersion
from engine.types import ModelVersion


def as_model_version(row: ProcessModelVersion) -> ModelVersion:
    """Copy a row into a frozen value."""
    return ModelVersion(
        id=row.id,
        model_key=row.model_key,
        number=row.number,
        sha256=row.sha256,
        author=row.author,
        comment=row.comment,
        created_at=row.created_at,
        published=row.published,
    )


def save_model(
    session: Session,
    specs: SpecCache,
    model_key: str,
    xml: bytes,
    *,
    author: str,
    comment: str = "",
    publish: bool = False,
) -> ModelVersion:
    """Validate BPMN text and store it as the next version of a model."""
    specs.get(xml)
    latest = session.scalar(
        select(func.max(ProcessModelVersion.number)).where(
            ProcessModelVersion.model_key == model_key
        )
    )
    row = ProcessModelVersion(
        model_key=model_key,
        number=(latest or 0) + 1,
        bpmn_xml=xml.decode("utf-8"),
        sha256=sha256_of(xml),
        author=author,
        comment=comment,
        published=False,
    )
    session.add(row)
    try:
        session.flush()
    except IntegrityError as exc:  # another writer took this number first: the caller retries
        raise ConcurrentUpdate(
            f"version {row.number} of {model_key!r} was saved meanwhile"
        ) from exc
    if publish:
        return publish_model(session, row.id)
    return as_model_version(row)


def publish_model(session: Session, version_id: int) -> ModelVersion:
    """Make one version the one new instances of its model start on."""
    row = session.get(ProcessModelVersion, version_id)
    if row is None:
        raise ModelNotFound(f"no process model version {version_id}")
    session.execute(
        update(ProcessModelVersion)
        .where(ProcessModelVersion.model_key == row.model_key, ProcessModelVersion.id != row.id)
        .values(published=False)
    )
    row.published = True
    session.flush()
    return as_model_version(row)


def published_model(session: Session, model_key: str) -> ModelVersion:
    """Return the published version of a model."""
    row = session.scalar(
        select(ProcessModelVersion).where(
            ProcessModelVersion.model_key == model_key, ProcessModelVersion.published.is_(True)
        )
    )
    if row is None:
        raise ModelNotFound(f"process model {model_key!r} has no published version")
    return as_model_version(row)


def model_versions(session: Session, model_key: str) -> list[ModelVersion]:
    """List every version of a model, newest first."""
    rows = session.scalars(
        select(ProcessModelVersion)
        .where(ProcessModelVersion.model_key == model_key)
        .order_by(ProcessModelVersion.number.desc())
    )
    return [as_model_version(row) for row in rows]


def model_xml(session: Session, version_id: int) -> bytes:
    """Return the BPMN text of a version."""
    row = session.get(ProcessModelVersion, version_id)
    if row is None:
        raise ModelNotFound(f"no process model version {version_id}")
    return row.bpmn_xml.encode("utf-8")


def parsed_version(session: Session, specs: SpecCache, version_id: int) -> ParsedModel:
    """Return the parsed specs of a stored version, parsing at most once per process."""
    row = session.get(ProcessModelVersion, version_id)
    if row is None:
        raise ModelNotFound(f"no process model version {version_id}")
    cached = specs.get_by_hash(row.sha256)
    return cached if cached is not None else specs.get(row.bpmn_xml.encode("utf-8"), row.sha256)


def model_version(session: Session, version_id: int) -> ModelVersion:
    """Return one version by id."""
    row = session.get(ProcessModelVersion, version_id)
    if row is None:
        raise ModelNotFound(f"no process model version {version_id}")
    return as_model_version(row)


def instances_elsewhere(session: Session, version_id: int) -> list[int]:
    """Return the unfinished instances of a version's model that run on another version."""
    target = model_version(session, version_id)
    rows = session.scalars(
        select(ProcessInstance.id)
        .join(ProcessModelVersion, ProcessModelVersion.id == ProcessInstance.model_version_id)
        .where(
            ProcessInstance.status.in_(("running", "suspended")),
            ProcessModelVersion.model_key == target.model_key,
            ProcessInstance.model_version_id != target.id,
        )
        .order_by(ProcessInstance.id)
    )
    return list(rows)


def latest_model(session: Session, model_key: str) -> ModelVersion | None:
    """Return the newest saved version of a model, published or not."""
    row = session.scalar(
        select(ProcessModelVersion)
        .where(ProcessModelVersion.model_key == model_key)
        .order_by(ProcessModelVersion.number.desc())
        .limit(1)
    )
    return None if row is None else as_model_version(row)


def model_texts(session: Session, containing: str = "") -> list[bytes]:
    """Return the BPMN text of every saved version (those containing `containing`, if given)."""
    query = select(ProcessModelVersion.bpmn_xml)
    if containing:
        query = query.where(ProcessModelVersion.bpmn_xml.contains(containing, autoescape=True))
    return [xml.encode("utf-8") for xml in session.scalars(query)]
