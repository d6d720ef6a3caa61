"""Directives being entered (drafts) and kept to start recurring ones from (templates)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from engine import Base


class DirectiveDraft(Base):
    """A directive being entered, saved to be finished later: the entry form as it was.

    `token` names the folder holding the files uploaded to it; no process runs for a draft.
    """

    __tablename__ = "directive_draft"

    id: Mapped[int] = mapped_column(primary_key=True)
    token: Mapped[str] = mapped_column(String(32), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"), index=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
    number: Mapped[str] = mapped_column(String(64), default="")
    title: Mapped[str] = mapped_column(String(500), default="")
    form: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)


class DirectiveTemplate(Base):
    """A directive kept to start recurring ones from (the monthly giao ban, the Tết plan)."""

    __tablename__ = "directive_template"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(255), unique=True)
    created_by_id: Mapped[int] = mapped_column(ForeignKey("app_user.id"))
    created_at: Mapped[datetime]
    source_directive_id: Mapped[int | None] = mapped_column(ForeignKey("directive.id"))
    issued_on: Mapped[date] = mapped_column(Date)  # the dates below are counted from it
    content: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
