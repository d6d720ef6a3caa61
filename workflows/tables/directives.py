"""The core tables: organisation, directives, tasks, assignments, reports, the event log."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from engine import Base, utcnow

ROLES = ("unit_staff", "deputy_head", "unit_head", "clerk", "supervisor", "director", "admin")
DIRECTIVE_KINDS = ("chi_thi", "ke_hoach", "cong_van", "thong_bao_ket_luan", "quyet_dinh", "khac")
DIRECTIVE_STATUSES = ("assigning", "in_progress", "suspended", "completed", "cancelled")
ASSIGNMENT_STATES = (
    *("draft", "assigned", "in_progress"),
    "drafted",  # an officer's draft waits for the head's sign-off (ký duyệt)
    *("reported", "returned", "accepted"),
    "cancelled",  # withdrawn by a correction of the directive; its history stays
)
ASSIGNMENT_ROLES = ("lead", "coordinating")


class Unit(Base):
    """A node of the organisation tree: the Sở, its office, inspectorate, divisions, centres."""

    __tablename__ = "unit"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(255))
    name_en: Mapped[str] = mapped_column(String(255), default="")
    kind: Mapped[str] = mapped_column(String(32), default="division")
    head_title: Mapped[str] = mapped_column(String(100), default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("unit.id"))
    active: Mapped[bool] = mapped_column(default=True)
    leader_id: Mapped[int | None] = mapped_column(
        ForeignKey("app_user.id", use_alter=True, name="fk_unit_leader_id_app_user")
    )  # the leader in charge (lãnh đạo phụ trách) of the unit
    any_officer_drafts: Mapped[bool] = mapped_column(
        default=False, server_default=text("false")
    )  # every officer may draft the unit's reports, not only the one the work was handed to
    aliases: Mapped[list[str]] = mapped_column(
        JSON, default=list, server_default=text("'[]'")
    )  # other names directives give it ("Phòng KH-TC"), for reading them


class User(Base):
    """A person who signs in; belongs to one unit and holds one or more roles."""

    __tablename__ = "app_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(255))
    title: Mapped[str] = mapped_column(String(100), default="")
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"), index=True)
    roles_text: Mapped[str] = mapped_column("roles", String(255))
    password_hash: Mapped[str] = mapped_column(String(255))
    language: Mapped[str] = mapped_column(String(8), default="vi")
    email: Mapped[str] = mapped_column(String(255), default="")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    unit: Mapped[Unit] = relationship(lazy="joined", foreign_keys=[unit_id])

    @property
    def roles(self) -> frozenset[str]:
        """The set of roles this user holds."""
        return frozenset(role for role in self.roles_text.split(",") if role)


class Directive(Base):
    """A văn bản chỉ đạo: its number, issuer, text and the process instance that runs it."""

    __tablename__ = "directive"
    __table_args__ = (UniqueConstraint("number", "issued_year", "issuer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(64))
    issued_year: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(32))
    issuer: Mapped[str] = mapped_column(String(255))
    issued_on: Mapped[date] = mapped_column(Date)
    title: Mapped[str] = mapped_column(String(500))
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(20), index=True)
    process_instance_id: Mapped[int | None] = mapped_column(
        ForeignKey("process_instance.id"), unique=True
    )
    created_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    assigned_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    search_text: Mapped[str] = mapped_column(Text, default="", server_default="")
    instruction: Mapped[str] = mapped_column(Text, default="", server_default="")  # ý kiến chỉ đạo


class Task(Base):
    """A numbered nhiệm vụ of a directive."""

    __tablename__ = "task"
    __table_args__ = (UniqueConstraint("directive_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directive.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    content: Mapped[str] = mapped_column(Text)
    due_on: Mapped[date | None] = mapped_column(Date)
    due_at: Mapped[datetime | None]
    reporting: Mapped[str] = mapped_column(String(16), default="once")
    reporting_until: Mapped[date | None] = mapped_column(Date)
    report_cutoff_day: Mapped[int] = mapped_column(Integer, default=14, server_default="14")
    report_lag_days: Mapped[int] = mapped_column(Integer, default=1, server_default="1")
    instruction: Mapped[str] = mapped_column(Text, default="", server_default="")  # ý kiến chỉ đạo
    due_text: Mapped[str] = mapped_column(Text, default="", server_default="")  # as written
    withdrawn_at: Mapped[datetime | None]  # removed by a correction after assignment


class Assignment(Base):
    """One task given to one unit, as lead (chủ trì) or coordinating (phối hợp) unit."""

    __tablename__ = "assignment"
    # No unique (task, unit): a unit withdrawn from a task keeps its row when it is added again.
    __table_args__ = (Index("ix_assignment_unit_state", "unit_id", "state"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(ForeignKey("task.id"), index=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directive.id"), index=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("unit.id"))
    unit_code: Mapped[str] = mapped_column(String(32))
    unit_name: Mapped[str] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(16))
    lead_unit_code: Mapped[str] = mapped_column(String(32))
    state: Mapped[str] = mapped_column(String(16), default="draft")
    due_at: Mapped[datetime | None] = mapped_column(index=True)
    original_due_at: Mapped[datetime | None]
    attempt: Mapped[int] = mapped_column(Integer, default=0)
    cycle: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    cycles: Mapped[list[str]] = mapped_column(JSON, default=list, server_default=text("'[]'"))
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    started_at: Mapped[datetime | None]
    reported_at: Mapped[datetime | None]
    completed_at: Mapped[datetime | None]
    accepted_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]


class Report(Base):
    """A result report (lead unit) or a contribution (coordinating unit), and its decision."""

    __tablename__ = "report"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    attempt: Mapped[int] = mapped_column(Integer)
    cycle: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    text: Mapped[str] = mapped_column(Text)
    submitted_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    submitted_at: Mapped[datetime]
    decision: Mapped[str | None] = mapped_column(String(16))
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None]
    comment: Mapped[str] = mapped_column(Text, default="")
    drafted_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class ReportDraft(Base):
    """An officer's draft of a report or contribution, waiting for the head's sign-off.

    The head sends it on (it becomes a Report, its files with it) or sends it back with a reason.
    """

    __tablename__ = "report_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    assignment_id: Mapped[int] = mapped_column(ForeignKey("assignment.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    attempt: Mapped[int] = mapped_column(Integer)
    cycle: Mapped[int] = mapped_column(Integer, default=0)
    text: Mapped[str] = mapped_column(Text)
    written_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    written_at: Mapped[datetime]
    state: Mapped[str] = mapped_column(String(16), default="submitted")  # signed, sent_back
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    decided_at: Mapped[datetime | None]
    comment: Mapped[str] = mapped_column(Text, default="")
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id"))


class Delegation(Base):
    """A head or a leader lets a named deputy act in their name for a range of days (ủy quyền)."""

    __tablename__ = "delegation"

    id: Mapped[int] = mapped_column(primary_key=True)
    delegator_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    deputy_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime]
    revoked_at: Mapped[datetime | None]


class Event(Base):
    """One line of the append-only history: who did what, when, before and after."""

    __tablename__ = "event"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))
    directive_id: Mapped[int | None] = mapped_column(ForeignKey("directive.id"), index=True)
    assignment_id: Mapped[int | None] = mapped_column(ForeignKey("assignment.id"), index=True)
    work_item_id: Mapped[str | None] = mapped_column(String(36), index=True)
    kind: Mapped[str] = mapped_column(String(40))
    before: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    after: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    detail: Mapped[str] = mapped_column(Text, default="")
    on_behalf_of_id: Mapped[int | None] = mapped_column(ForeignKey("app_user.id"))


class Attachment(Base):
    """A file attached to a directive or a report (minh chứng), kept in the upload folder."""

    __tablename__ = "attachment"

    id: Mapped[int] = mapped_column(primary_key=True)
    directive_id: Mapped[int] = mapped_column(ForeignKey("directive.id"), index=True)
    report_id: Mapped[int | None] = mapped_column(ForeignKey("report.id"), index=True)
    draft_id: Mapped[int | None] = mapped_column(ForeignKey("report_draft.id"), index=True)
    filename: Mapped[str] = mapped_column(String(255))
    stored_name: Mapped[str] = mapped_column(String(64), unique=True)
    content_type: Mapped[str] = mapped_column(String(100))
    size_bytes: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    uploaded_at: Mapped[datetime]
