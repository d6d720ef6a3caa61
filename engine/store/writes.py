"""Writing an instance's parts and top row under their versions (the optimistic lock)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import update
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from engine.errors import ConcurrentUpdate
from engine.tables import ProcessPart


def write_part(
    session: Session, instance_id: int, key: str, version: int | None, values: dict[str, Any]
) -> int:
    """Insert a part, or update it under its version; return its new version."""
    if version is None:
        session.add(ProcessPart(instance_id=instance_id, key=key, version_id=1, **values))
        session.flush()
        return 1
    written = session.execute(
        update(ProcessPart)
        .where(
            ProcessPart.instance_id == instance_id,
            ProcessPart.key == key,
            ProcessPart.version_id == version,
        )
        .values(version_id=version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    if written.rowcount != 1:  # type: ignore[attr-defined]
        raise ConcurrentUpdate(f"part {key} of process instance {instance_id} changed meanwhile")
    return version + 1


def flush(session: Session, instance_id: int) -> None:
    """Flush, saying which instance another writer changed meanwhile."""
    try:
        session.flush()
    except StaleDataError as exc:
        raise ConcurrentUpdate(f"process instance {instance_id} was changed meanwhile") from exc
