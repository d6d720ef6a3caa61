"""Words of the entry pages: the history lines of corrections, with their old and new values."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import Flask
from flask_babel import lazy_gettext as _l

from web import filters, i18n
from web.forms import KIND_CHOICES

CHANGE_KINDS = frozenset(
    {
        "directive_corrected",
        "task_corrected",
        "deadline_corrected",
        "unit_added",
        "unit_removed",
        "task_added",
        "task_removed",
    }
)
CHANGE_LABELS = {
    **i18n.FIELD_LABELS,
    "body": _l("Text"),
    "content": _l("Task"),
    "number": _l("Number and code"),
    "due_on": _l("Deadline"),
    "due_at": _l("Precise deadline"),
    "due_text": _l("As the directive words it"),
    "reporting": _l("Reporting"),
    "unit": _l("Unit"),
    "role": _l("Role"),
}
KIND_LABELS = {value: label for value, label in KIND_CHOICES}


def change_value(value: Any, key: str) -> Any:
    """A changed value as people read it: dates dd/mm/yyyy, roles and kinds in words."""
    if value is None or value == "":
        return "—"
    if key in ("due_on", "issued_on"):
        return filters.iso_day(str(value))
    if key == "due_at":
        return filters.moment(datetime.fromisoformat(str(value)))
    labels = {"role": i18n.ROLE_LABELS, "reporting": i18n.REPORTING_LABELS, "kind": KIND_LABELS}
    table: dict[str, Any] = labels.get(key, {})
    return table.get(str(value), value)


def register(app: Flask) -> None:
    """Attach the change labels and the value filter to Jinja."""
    app.jinja_env.filters["change_value"] = change_value
    app.jinja_env.globals.update(CHANGE_KINDS=CHANGE_KINDS, CHANGE_LABELS=CHANGE_LABELS)
