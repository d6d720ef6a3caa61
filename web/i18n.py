"""Language: Vietnamese first, English second; the user's choice is remembered."""

from __future__ import annotations

from flask import Blueprint, redirect, session, url_for
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response

from web import context
from web.forms import LanguageForm
from web.safety import safe_next
from workflows import set_language

LANGUAGES = ("vi", "en")
bp = Blueprint("i18n", __name__)

STEP_LABELS = {
    "assign": _l("To assign"),
    "execute": _l("To execute"),
    "report": _l("To report"),
    "sign_off": _l("To sign off"),
    "accept": _l("To accept"),
    "contribute": _l("To contribute"),
    "acknowledge": _l("Contributions to acknowledge"),
}
STATE_LABELS = {
    "draft": _l("Draft"),
    "assigned": _l("Not started"),
    "in_progress": _l("In progress"),
    "drafted": _l("Awaiting the head's sign-off"),
    "reported": _l("Awaiting approval"),
    "returned": _l("Returned"),
    "accepted": _l("Completed"),
    "cancelled": _l("Withdrawn"),
}
TIMELINESS_LABELS = {
    "on_time": _l("Completed on time"),
    "late": _l("Completed late"),
    "overdue": _l("Overdue"),
    "due_soon": _l("Due soon"),
    "in_term": _l("Within deadline"),
    "no_deadline": _l("Ongoing task"),
    "draft": _l("Not assigned yet"),
    "cancelled": _l("Withdrawn"),
}
STATUS_LABELS = {
    "assigning": _l("Awaiting assignment"),
    "in_progress": _l("In progress"),
    "suspended": _l("Suspended"),
    "completed": _l("Completed"),
    "cancelled": _l("Cancelled"),
}
REPORTING_LABELS = {"once": _l("once"), "monthly": _l("monthly"), "quarterly": _l("quarterly")}
ROLE_LABELS = {"lead": _l("Lead"), "coordinating": _l("Coordinating")}
EVENT_LABELS = {
    "delegation_created": _l("Delegation given"),
    "delegation_ended": _l("Delegation ended early"),
    "directive_created": _l("Directive entered"),
    "directive_assigned": _l("Tasks assigned"),
    "directive_completed": _l("Directive completed"),
    "directive_cancelled": _l("Directive cancelled"),
    "directive_suspended": _l("Directive suspended"),
    "directive_resumed": _l("Directive resumed"),
    "process_migrated": _l("Moved to a newer process version"),
    "work_started": _l("Work started"),
    "report_submitted": _l("Report submitted"),
    "report_accepted": _l("Report accepted"),
    "report_returned": _l("Report returned"),
    "contribution_submitted": _l("Contribution submitted"),
    "contribution_accepted": _l("Contribution acknowledged"),
    "contribution_returned": _l("Contribution sent back"),
    "report_drafted": _l("Report drafted for the head's sign-off"),
    "report_draft_returned": _l("Draft report sent back to the officer"),
    "report_signed": _l("Report signed off and sent"),
    "contribution_drafted": _l("Contribution drafted for the head's sign-off"),
    "contribution_draft_returned": _l("Draft contribution sent back to the officer"),
    "contribution_signed": _l("Contribution signed off and sent"),
    "deadline_changed": _l("Deadline changed at assignment"),
    "assignment_handed_over": _l("Handed over"),
    "timer_reminder": _l("Reminder"),
    "timer_overdue": _l("Overdue"),
    "extension_requested": _l("Extension requested"),
    "extension_granted": _l("Extension granted"),
    "extension_refused": _l("Extension refused"),
    "form_submitted": _l("Form submitted"),
    "incident_opened": _l("The timers failed: an administrator is told"),
    "incident_resolved": _l("The timers fire again"),
    "assignment_nudged": _l("Nudged (đôn đốc)"),
    "directive_corrected": _l("Directive corrected"),
    "task_corrected": _l("Task text corrected"),
    "deadline_corrected": _l("Deadline corrected"),
    "unit_added": _l("Unit added to a task"),
    "unit_removed": _l("Unit removed from a task"),
    "task_added": _l("Task added"),
    "task_removed": _l("Task removed"),
    "template_saved": _l("Saved as a template"),
}
NOTICE_LABELS = {
    "sign_in_held": _l("Sign-in held"),
    "digest": _l("Daily digest"),
    "assigned": _l("New task"),
    "reminder": _l("Reminder"),
    "overdue": _l("Overdue"),
    "returned": _l("Report returned"),
    "extension_requested": _l("Extension requested"),
    "extension_granted": _l("Extension granted"),
    "extension_refused": _l("Extension refused"),
    "nudged": _l("Reminder from the leadership (đôn đốc)"),
    "report_submitted": _l("Report submitted"),
    "directive_assigned": _l("Directive assigned"),
    "directive_completed": _l("Directive completed"),
    "draft_submitted": _l("A draft waits for your sign-off"),
    "draft_returned": _l("Your draft was sent back"),
    "assignment_withdrawn": _l("Task withdrawn"),
    "deadline_corrected": _l("Deadline corrected"),
}
ROLE_NAMES = {  # the roles a person holds, as people say them
    "unit_staff": _l("Officer"),
    "deputy_head": _l("Deputy head of unit"),
    "unit_head": _l("Head of unit"),
    "clerk": _l("Records clerk"),
    "supervisor": _l("Leader"),
    "director": _l("Director (acts on every unit)"),
    "admin": _l("Administrator"),
}
LANE_NAMES = {  # the lanes of a diagram, as the process pages show them
    "supervisor": _l("Leaders of the department"),
    "unit": _l("Unit doing the task"),
    "unit_head": _l("Head of the unit (sign-off)"),
    "lead_unit": _l("Lead unit"),
    "clerk": _l("Records clerk"),
    "admin": _l("Administrator"),
}


def select_locale() -> str:
    """The signed-in user's language, else the session's, else Vietnamese."""
    if current_user.is_authenticated:
        return str(context.me().info.language)
    chosen = session.get("language")
    return chosen if chosen in LANGUAGES else "vi"


def select_timezone() -> str:
    """Every page shows times in the department's zone."""
    return context.config().timezone


@bp.post("/language")
def switch_language() -> Response:
    form = LanguageForm()
    language = form.language.data if form.validate_on_submit() else "vi"
    language = language if language in LANGUAGES else "vi"
    session["language"] = language
    if current_user.is_authenticated:
        set_language(context.db(), context.my_id(), language)
    return redirect(safe_next(form.back.data) or url_for("inbox.index"))


FIELD_LABELS = {
    "number": _l("Number and code"),
    "kind": _l("Document type"),
    "issuer": _l("Issuing body"),
    "issued_on": _l("Issue date"),
    "title": _l("Subject"),
    "tasks": _l("Tasks"),
    "attachments": _l("Attachments"),
    "text": _l("Result"),
    "reason": _l("Reason"),
    "comment": _l("Comment / reason"),
    "note": _l("Progress note"),
    "username": _l("Username"),
    "full_name": _l("Full name"),
    "roles": _l("Roles"),
    "password": _l("Password"),
    "code": _l("Code"),
    "name": _l("Name"),
    "unit": _l("Unit"),
    "assignee": _l("Hand to"),
    "assignment": _l("Assignment"),
    "language": _l("Language"),
    "email": _l("E-mail"),
    "parent": _l("Parent unit"),
    "proposed_due_on": _l("Proposed deadline"),
    "due_on": _l("Granted deadline"),
    "decision": _l("Decision"),
    "instruction": _l("Leader's instruction"),
    "leader": _l("Leader in charge"),
    "deputy": _l("Deputy"),
    "starts_on": _l("From"),
    "ends_on": _l("Until"),
    "confirm": _l("Confirmation"),
    "keep": _l("Files of the previous round"),
    "data": _l("Data"),
    "form": _l("The form as a whole"),
    "values": _l("Values"),
    "key": _l("Key"),
    "schema": _l("JSON Schema"),
    "day": _l("Day"),
    "csrf_token": _l("Security token"),
}
