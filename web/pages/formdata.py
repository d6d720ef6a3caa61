"""Turning posted form data into the domain's input values."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from werkzeug.datastructures import FileStorage
from wtforms import SelectChoice

from workflows import Database, TaskInput, Upload, list_units


def unit_choices(db: Database, user_id: int) -> list[SelectChoice]:
    """Active units a directive can address (not the department itself, not its leadership)."""
    return [
        SelectChoice(unit.code, f"{unit.code} — {unit.name}")
        for unit in list_units(db, user_id)
        if unit.active and unit.parent_code is not None and unit.kind != "leadership"
    ]


def task_inputs(entries: Iterable[Any]) -> list[TaskInput]:
    """The tasks of a FieldList of TaskForm, blank rows skipped."""
    tasks = []
    for entry in entries:
        content = (entry.content.data or "").strip()
        leads = tuple(entry.lead_units.data or ())
        if not content and not leads:
            continue
        coordinating = tuple(entry.coordinating_units.data or ())
        reporting = entry.reporting.data or "once"
        tasks.append(
            TaskInput(
                content,
                leads,
                coordinating,
                entry.due_on.data,
                reporting,
                reporting_until=entry.reporting_until.data if reporting != "once" else None,
                instruction=(entry.instruction.data or "").strip(),
            )
        )
    return tasks


def uploads_from(files: Iterable[FileStorage]) -> list[Upload]:
    """Read the uploaded files a form carried (empty file inputs are skipped)."""
    return [Upload(f.filename or "", f.read()) for f in files if f and f.filename]
