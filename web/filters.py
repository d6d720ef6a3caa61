"""Template filters: dates as dd/mm/yyyy in the department's zone, labels, badges."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from flask import Flask
from flask_babel import format_datetime, get_locale, gettext, ngettext
from markupsafe import Markup, escape

from web import i18n
from web.messages import translate
from workflows import marked_spans

BADGE = {
    "overdue": "danger",
    "due_soon": "warning",
    "late": "danger",
    "on_time": "success",
    "in_term": "secondary",
    "no_deadline": "light",
    "draft": "light",
    "cancelled": "light",
}


def day(value: date | datetime | None) -> str:
    """dd/mm/yyyy (a due instant shows the last day it covers)."""
    if value is None:
        return "—"
    if isinstance(value, datetime):
        # str(): flask-babel is untyped, and these answers are already str
        return str(format_datetime(value - timedelta(microseconds=1), "dd/MM/yyyy"))
    return value.strftime("%d/%m/%Y")


def iso_day(value: str | None) -> str:
    """dd/mm/yyyy of an ISO instant kept in stored data."""
    if not value:
        return "—"
    return (
        day(date.fromisoformat(value)) if "T" not in value else day(datetime.fromisoformat(value))
    )


def moment(value: datetime | None) -> str:
    """dd/mm/yyyy HH:MM in the department's zone."""
    return "—" if value is None else str(format_datetime(value, "dd/MM/yyyy HH:mm"))


def days_text(days: int | None, timeliness: str) -> str:
    """Say how long is left, in words, so colour is never the only signal."""
    if days is None:
        return str(gettext("No deadline"))
    if days < 0:
        return str(ngettext("%(num)d day overdue", "%(num)d days overdue", -days))
    if days == 0:
        return str(gettext("Due today"))
    return str(ngettext("%(num)d day left", "%(num)d days left", days))


def waited(since: datetime | None, now: datetime | None = None) -> str:
    """How long a step has waited, in words (days, else hours, else minutes)."""
    if since is None:
        return "—"
    seconds = max(0, int(((now or datetime.now(UTC)) - since).total_seconds()))
    if seconds >= 86_400:
        return str(ngettext("waiting %(num)d day", "waiting %(num)d days", seconds // 86_400))
    if seconds >= 3_600:
        return str(ngettext("waiting %(num)d hour", "waiting %(num)d hours", seconds // 3_600))
    return str(ngettext("waiting %(num)d minute", "waiting %(num)d minutes", max(1, seconds // 60)))


def lane_names(names: dict[str, object]) -> dict[str, str]:
    """Lazy labels as plain text in the reader's language (for a page's JSON data)."""
    return {key: str(value) for key, value in names.items()}


def marked(text: str, query: str) -> Markup:
    """The text escaped, the words the search matched in <mark>."""
    return Markup("").join(
        Markup("<mark>%s</mark>") % piece if hit else escape(piece)
        for piece, hit in marked_spans(text, query or "")
    )


def register(app: Flask) -> None:
    """Attach the filters and label tables to Jinja."""
    app.jinja_env.filters.update(
        day=day,
        moment=moment,
        days_text=days_text,
        tr=translate,
        iso_day=iso_day,
        waited=waited,
        lane_names=lane_names,
        marked=marked,
    )
    app.jinja_env.globals.update(
        STEP_LABELS=i18n.STEP_LABELS,
        STATE_LABELS=i18n.STATE_LABELS,
        TIMELINESS_LABELS=i18n.TIMELINESS_LABELS,
        STATUS_LABELS=i18n.STATUS_LABELS,
        ROLE_LABELS=i18n.ROLE_LABELS,
        EVENT_LABELS=i18n.EVENT_LABELS,
        BADGE=BADGE,
        get_locale=get_locale,
        FIELD_LABELS=i18n.FIELD_LABELS,
        NOTICE_LABELS=i18n.NOTICE_LABELS,
        REPORTING_LABELS=i18n.REPORTING_LABELS,
        ROLE_NAMES=i18n.ROLE_NAMES,
        LANE_NAMES=i18n.LANE_NAMES,
    )
