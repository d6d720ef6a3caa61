"""Tables around the core: tokens, notifications, the scheduler's lease, extensions, calendar
days, step forms, sessions, sign-in failures, the audit log, incidents."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from engine import Base, utcnow


class ApiToken(Base):
    """A bearer token for the JSON API; only its SHA-256 is stored."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    token_sha256: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(100), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]


class Notification(Base):
    """Something a person should know: stored for the bell, mailed when SMTP is configured.

    `key` is the idempotency key: one row per event and person, whatever retries or restarts.
    """

    __tablename__ = "notification"
    __table_args__ = (Index("ix_notification_user_read", "user_id", "read_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    kind: Mapped[str] = mapped_column(String(40))
    directive_id: Mapped[int | None] = mapped_column(ForeignKey("directive.id"))
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignment.id"))
    params: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]
    read_at: Mapped[datetime | None]
    mail_state: Mapped[str] = mapped_column(String(10), default="none", index=True)
    mail_attempts: Mapped[int] = mapped_column(Integer, default=0)
    mail_error: Mapped[str] = mapped_column(Text, default="")
    mail_next_at: Mapped[datetime | None] = mapped_column(index=True)
    mailed_at: Mapped[datetime | None]


class SchedulerLease(Base):
    """Which scheduler process is the active one, until when."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(100))
    expires_at: Mapped[datetime]


class ExtensionRequest(Base):
    """A unit's request for more time (đề nghị gia hạn) and the leader's decision on it."""

    __tablename__ = "extension_request"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id"), index=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directive.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    requested_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(Text)
    current_due_at: Mapped[datetime]
    proposed_due_on: Mapped[date] = mapped_column(Date)
    state: Mapped[str] = mapped_column(String(10), default="pending", index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None]
    granted_due_on: Mapped[date | None] = mapped_column(Date)
    decision_reason: Mapped[str] = mapped_column(Text, default="")


class CalendarDay(Base):
    """A day an administrator declared off (nghỉ bù) or working (làm bù) against the default."""

    __tablename__ = "calendar_day"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    working: Mapped[bool]
    note: Mapped[str] = mapped_column(String(255), default="")


class StepForm(Base):
    """A JSON Schema form that a generic process step shows (bpmn/forms/*.json or the editor)."""

    __tablename__ = "step_form"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    title: Mapped[str] = mapped_column(String(255))
    schema_json: Mapped[str] = mapped_column(Text)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class UserSession(Base):
    """A signed-in browser session; the cookie holds a secret whose SHA-256 is the id.

    Signing out deletes the row, so a cookie copied earlier no longer opens anything.
    """

    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    address: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(255), default="")


class SignInFailure(Base):
    """A failed sign-in, counted per account and per client address to slow guessing down."""

    __tablename__ = "sign_in_failure"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), index=True)
    address: Mapped[str] = mapped_column(String(64), index=True)
    at: Mapped[datetime] = mapped_column(index=True)


class AuditEntry(Base):
    """An administrative change (users, roles, units, forms, calendar, tokens): append-only."""

    __tablename__ = "audit_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    actor_label: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(40), index=True)
    target_kind: Mapped[str] = mapped_column(String(20))
    target_key: Mapped[str] = mapped_column(String(100))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)


class Incident(Base):
    """A process instance whose timers failed to fire: kept apart and retried with back-off.

    One open row per instance; it is resolved when a later firing succeeds.
    """

    __tablename__ = "incident"

    id: Mapped[int] = mapped_column(primary_key=True)
    instance_id: Mapped[int] = mapped_column(Integer, index=True)
    directive_id: Mapped[int | None] = mapped_column(ForeignKey("directive.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="timer")
    error: Mapped[str] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=1)
    first_at: Mapped[datetime]
    last_at: Mapped[datetime]
    next_try_at: Mapped[datetime] = mapped_column(index=True)
    resolved_at: Mapped[datetime | None] = mapped_column(index=True)
