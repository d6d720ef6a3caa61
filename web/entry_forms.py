"""Forms of the entry page, the correction page and their task rows, and their values.

The entry form's fields check only what a browser could get wrong (lengths, dates); whether
a field is required is the domain's rule, so a proposal or a draft can be made of a form
that is not complete yet. A form's values travel as a MultiDict: posted, kept in a draft,
or built from a proposal.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from flask_babel import lazy_gettext as _l
from werkzeug.datastructures import MultiDict
from wtforms import (
    DateField,
    FieldList,
    FormField,
    HiddenField,
    SelectField,
    StringField,
    TextAreaField,
    TimeField,
)
from wtforms.validators import Length, Optional

from web.forms import KIND_CHOICES, FlaskForm, TaskForm, options
from workflows import Proposal, TaskInput

MAX_TASKS = 200
EXCLUDED_KEYS = ("csrf_token", "action", "drop_file")


class EntryTaskForm(TaskForm):
    """A task row of the entry and correction pages: the deadline as written, its source."""

    content = TextAreaField(_l("Task"), validators=[Optional(), Length(max=5000)])
    reporting = SelectField(
        _l("Reporting"),
        choices=options(
            [("once", _l("once")), ("monthly", _l("monthly")), ("quarterly", _l("quarterly"))]
        ),
        default="once",
        validate_choice=False,
    )
    due_time = TimeField(_l("Time"), validators=[Optional()])
    due_text = StringField(_l("As the directive words it"), validators=[Length(max=500)])
    source = HiddenField(validators=[Length(max=20_000)])
    new_units = HiddenField(validators=[Length(max=2_000)])
    task_id = HiddenField(validators=[Length(max=12)])


class EntryForm(FlaskForm):
    """The entry page: the directive, its tasks, its files, and what to read a proposal from."""

    number = StringField(_l("Number and code"), validators=[Length(max=64)])
    kind = SelectField(
        _l("Document type"), choices=options(KIND_CHOICES), validate_choice=False
    )  # the domain checks it, once the form is to be saved
    issuer = StringField(_l("Issuing body"), validators=[Length(max=255)])
    issued_on = DateField(_l("Issue date"), validators=[Optional()])
    title = StringField(_l("Subject"), validators=[Length(max=500)])
    body = TextAreaField(_l("Text"), validators=[Optional(), Length(max=100_000)])
    tasks = FieldList(FormField(EntryTaskForm), min_entries=1, max_entries=MAX_TASKS)
    source_text = TextAreaField(_l("Paste the directive"), validators=[Length(max=400_000)])
    draft_token = HiddenField(validators=[Length(max=32)])
    draft_id = HiddenField(validators=[Length(max=12)])
    reason = TextAreaField(_l("Reason"), validators=[Optional(), Length(max=2_000)])


def values_of(form: MultiDict[str, str]) -> dict[str, list[str]]:
    """The posted values worth keeping in a draft (no token, no button)."""
    return {
        key: [value for value in form.getlist(key)][:MAX_TASKS]
        for key in form
        if key not in EXCLUDED_KEYS and not key.startswith("source_")
    }


def as_formdata(values: dict[str, Any]) -> MultiDict[str, str]:
    """A MultiDict from kept values (a draft's, a proposal's)."""
    pairs = []
    for key, found in values.items():
        for value in found if isinstance(found, list) else [found]:
            pairs.append((str(key), "" if value is None else str(value)))
    return MultiDict(pairs)


def entry_tasks(entries: Iterable[Any], tz: ZoneInfo) -> list[tuple[int | None, TaskInput]]:
    """The task rows as (task id or None, task input), blank rows skipped."""
    tasks = []
    for entry in entries:
        content = (entry.content.data or "").strip()
        leads = tuple(entry.lead_units.data or ())
        if not content and not leads:
            continue
        reporting = entry.reporting.data or "once"
        due_on, due_time = entry.due_on.data, entry.due_time.data
        due_at = datetime.combine(due_on, due_time, tz) if due_on and due_time else None
        task_id = entry.task_id.data or ""
        tasks.append(
            (
                int(task_id) if task_id.isdigit() else None,
                TaskInput(
                    content,
                    leads,
                    tuple(entry.coordinating_units.data or ()),
                    due_on,
                    reporting,
                    due_at,
                    entry.reporting_until.data if reporting != "once" else None,
                    due_text=(entry.due_text.data or "").strip(),
                ),
            )
        )
    return tasks


def proposal_values(proposal: Proposal, text: str) -> dict[str, Any]:
    """The entry form's values for a proposal (and the text it was read from, as the body)."""
    values: dict[str, Any] = {
        "number": proposal.number or "",
        "kind": proposal.kind or "",
        "issuer": proposal.issuer or "",
        "issued_on": proposal.issued_on.isoformat() if proposal.issued_on else "",
        "title": proposal.title or "",
        "body": (text or proposal.text)[:100_000],
    }
    for index, task in enumerate(proposal.tasks):
        prefix = f"tasks-{index}-"
        values[prefix + "content"] = task.text
        values[prefix + "lead_units"] = [ref.code for ref in task.lead if ref.code]
        values[prefix + "coordinating_units"] = [ref.code for ref in task.coordinating if ref.code]
        values[prefix + "due_on"] = _iso(task.due_on)
        values[prefix + "due_time"] = task.due_time.strftime("%H:%M") if task.due_time else ""
        values[prefix + "due_text"] = task.due_text or ""
        values[prefix + "reporting"] = task.reporting
        values[prefix + "reporting_until"] = _iso(task.reporting_until)
        values[prefix + "source"] = task.source
        unknown = [ref.name for ref in (*task.lead, *task.coordinating) if not ref.code]
        values[prefix + "new_units"] = "; ".join(unknown)
    return values


def _iso(day: date | None) -> str:
    return day.isoformat() if day else ""
