"""How the audit log of administrative changes reads: actions, fields and values in words."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext
from flask_babel import lazy_gettext as _l

from web.forms import ROLE_CHOICES
from workflows import AUDIT_CHANGED, AUDIT_COMMAND_LINE, AUDIT_SECRET_FIELDS

ACTION_LABELS = {
    "user_created": _l("Account created"),
    "user_changed": _l("Account changed"),
    "user_deactivated": _l("Account deactivated"),
    "user_reactivated": _l("Account reactivated"),
    "password_reset": _l("Password reset"),
    "sessions_ended": _l("Signed out everywhere"),
    "unit_created": _l("Unit created"),
    "unit_renamed": _l("Unit renamed"),
    "unit_moved": _l("Unit moved"),
    "unit_leader_changed": _l("Leader in charge changed"),
    "unit_drafting_changed": _l("Who drafts reports changed"),
    "unit_aliases_changed": _l("Other names of the unit changed"),
    "unit_deactivated": _l("Unit deactivated"),
    "unit_reactivated": _l("Unit reactivated"),
    "form_saved": _l("Step form saved"),
    "form_deleted": _l("Step form deleted"),
    "calendar_day_declared": _l("Calendar day declared"),
    "calendar_day_removed": _l("Calendar declaration removed"),
    "model_saved": _l("Process version saved"),
    "model_published": _l("Process version published"),
    "token_created": _l("API token created"),
    "tokens_revoked": _l("API tokens revoked"),
}
TARGET_LABELS = {
    "user": _l("Account"),
    "unit": _l("Unit"),
    "form": _l("Step form"),
    "calendar_day": _l("Day"),
    "process": _l("Process"),
}
FIELD_LABELS = {
    "username": _l("Username"),
    "full_name": _l("Full name"),
    "title": _l("Title"),
    "job_title": _l("Job title"),
    "unit": _l("Unit"),
    "roles": _l("Roles"),
    "email": _l("E-mail"),
    "language": _l("Language"),
    "active": _l("Active"),
    "password": _l("Password"),
    "sessions": _l("Sessions ended"),
    "tokens": _l("API tokens revoked"),
    "live_tokens": _l("Live API tokens"),
    "code": _l("Code"),
    "name": _l("Name"),
    "kind": _l("Kind"),
    "parent": _l("Parent unit"),
    "leader": _l("Leader in charge"),
    "any_officer_drafts": _l("Any officer may draft reports"),
    "schema": _l("JSON Schema"),
    "working": _l("Declared as"),
    "note": _l("Note"),
    "version": _l("Version"),
    "published": _l("Published version"),
    "sha256": _l("SHA-256"),
    "comment": _l("What changed"),
}
LANGUAGE_NAMES = {"vi": "Tiếng Việt", "en": "English"}  # each in its own language
ROLE_NAMES = dict(ROLE_CHOICES)


def actor_text(label: str, full_name: str | None) -> str:
    """Who made a change: the administrator's name and username, or the command line."""
    if label == AUDIT_COMMAND_LINE:
        return str(gettext("the command line"))
    return f"{full_name} ({label})" if full_name else label


def value_text(field: str, value: Any) -> str:
    """A stored value in words: yes/no, role and language names, never a secret."""
    if field in AUDIT_SECRET_FIELDS:
        return str(gettext("changed (not shown)")) if value == AUDIT_CHANGED else "—"
    if value is None or value == "" or value == []:
        return "—"
    if field == "working":
        return str(gettext("make-up working day") if value else gettext("day off"))
    if isinstance(value, bool):
        return str(gettext("yes") if value else gettext("no"))
    if field == "roles" and isinstance(value, list):
        return ", ".join(str(ROLE_NAMES.get(role, role)) for role in value)
    if field == "language":
        return LANGUAGE_NAMES.get(str(value), str(value))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def template_context() -> dict[str, Any]:
    """What the audit page's template needs besides the entries."""
    return {
        "ACTION_LABELS": ACTION_LABELS,
        "TARGET_LABELS": TARGET_LABELS,
        "AUDIT_FIELDS": FIELD_LABELS,
        "actor_text": actor_text,
        "value_text": value_text,
    }
