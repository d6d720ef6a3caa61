"""The audit trail of administrative changes: who changed which account, unit, form, calendar
day, diagram version or token, when, and the values before and after. Append-only.

`record` is called inside the use case's own transaction, so a change and its entry land
together or not at all. Secrets never reach the log: a password or token is stored as "changed".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from workflows.db import Database
from workflows.errors import NotFound, PermissionDenied, RoleRequired
from workflows.messages import N_
from workflows.tables import AuditEntry, User

AUDIT_COMMAND_LINE = "command line"
AUDIT_CHANGED = "changed"
AUDIT_SECRET_FIELDS = frozenset({"password", "password_hash", "token", "token_sha256", "secret"})
AUDIT_ACTIONS = (
    "user_created",
    "user_changed",
    "user_deactivated",
    "user_reactivated",
    "password_reset",
    "sessions_ended",
    "unit_created",
    "unit_renamed",
    "unit_moved",
    "unit_leader_changed",
    "unit_drafting_changed",
    "unit_aliases_changed",
    "unit_deactivated",
    "unit_reactivated",
    "form_saved",
    "form_deleted",
    "calendar_day_declared",
    "calendar_day_removed",
    "model_saved",
    "model_published",
    "token_created",
    "tokens_revoked",
)
MAX_PER_PAGE = 200


@dataclass(frozen=True)
class Change:
    """One field of an audit entry, before and after (None where it had no value)."""

    field: str
    before: Any
    after: Any


@dataclass(frozen=True)
class AuditRow:
    """An audit entry as the admin page shows it."""

    id: int
    at: datetime
    actor_label: str
    actor_name: str | None
    action: str
    target_kind: str
    target_key: str
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class AuditPage:
    """One page of audit entries, newest first."""

    rows: tuple[AuditRow, ...]
    total: int
    page: int
    per_page: int

    @property
    def pages(self) -> int:
        """How many pages the entries fill (at least one)."""
        return max(1, -(-self.total // self.per_page))


def record(
    session: Session,
    *,
    actor: User | None,
    action: str,
    target_kind: str,
    target_key: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    at: datetime,
) -> None:
    """Append an entry to the audit log in the caller's transaction (actor None: command line)."""
    session.add(
        AuditEntry(
            at=at,
            actor_id=actor.id if actor is not None else None,
            actor_label=(actor.username if actor is not None else AUDIT_COMMAND_LINE)[:100],
            action=action[:40],
            target_kind=target_kind[:20],
            target_key=target_key[:100],
            before=_scrub(before),
            after=_scrub(after),
        )
    )


def changes(before: dict[str, Any], after: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Keep only the fields whose value differs between before and after."""
    fields = [key for key in {**before, **after} if before.get(key) != after.get(key)]
    return {k: before.get(k) for k in fields}, {k: after.get(k) for k in fields}


def _scrub(values: dict[str, Any] | None) -> dict[str, Any] | None:
    if values is None:
        return None
    return {
        key: AUDIT_CHANGED if key in AUDIT_SECRET_FIELDS else _plain(v) for key, v in values.items()
    }


def _plain(value: Any) -> Any:
    """A value JSON can hold: dates as ISO text, sets and tuples as sorted or plain lists."""
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, set | frozenset):
        return sorted(_plain(v) for v in value)
    if isinstance(value, tuple | list):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return _scrub(value)
    return value


def audit_entries(
    db: Database,
    actor_id: int,
    *,
    page: int = 1,
    per_page: int = 50,
    action: str | None = None,
    target: str | None = None,
) -> AuditPage:
    """One page of the audit log, newest first (admin only), by action and target if given."""
    per_page = min(max(per_page, 1), MAX_PER_PAGE)
    page = max(page, 1)
    with db.reading() as session:
        _require_admin(session, actor_id)
        actor = aliased(User)
        query = select(AuditEntry, actor.full_name).join(
            actor, actor.id == AuditEntry.actor_id, isouter=True
        )
        if action:
            query = query.where(AuditEntry.action == action)
        if target and target.strip():
            query = query.where(
                func.lower(AuditEntry.target_key).contains(target.strip().lower(), autoescape=True)
            )
        total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
        rows = session.execute(
            query.order_by(AuditEntry.at.desc(), AuditEntry.id.desc())
            .limit(per_page)
            .offset((page - 1) * per_page)
        ).all()
        return AuditPage(tuple(_row(entry, name) for entry, name in rows), total, page, per_page)


def _row(entry: AuditEntry, actor_name: str | None) -> AuditRow:
    before, after = entry.before or {}, entry.after or {}
    return AuditRow(
        entry.id,
        entry.at,
        entry.actor_label,
        actor_name,
        entry.action,
        entry.target_kind,
        entry.target_key,
        tuple(Change(key, before.get(key), after.get(key)) for key in {**before, **after}),
    )


def _require_admin(session: Session, actor_id: int) -> None:
    # workflows.org records audit entries itself, so this module cannot import it.
    actor = session.get(User, actor_id)
    if actor is None:
        raise NotFound(N_("no user %(id)s", id=actor_id))
    if not actor.active:
        raise PermissionDenied(N_("this account is deactivated"))
    if "admin" not in actor.roles:
        raise RoleRequired("admin")
