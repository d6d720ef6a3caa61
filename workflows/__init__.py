"""The domain of Đôn đốc: directives, their tasks, the units that do them, and following up.

This is the one door into the domain: the web pages, the JSON API, the command line and the
scheduler use the names listed in `__all__` and nothing else (import-linter holds them to it).
Each use case is one function and one transaction; read queries return frozen dataclasses;
errors are the classes of `workflows.errors`. Inside, the rooms are:

- the use cases at the top: directives, steps, extensions, timers, digest, notifications,
  attachments; `pipeline` is the path every step takes into the process engine;
- access/ (sessions, sign-in, tokens, who may act), organisation/ (people, accounts, units,
  calendar days), read/ (inbox, lists, detail, work item, trail, notifications),
  diagrams/ (versions, migration, step forms), rules/ (pure functions), setup/ (schema, demo),
  operations/ (backup, check, health, the scheduler lease);
- tables.py (the domain's tables), db.py (the database and one transaction per use case),
  history.py (the event log), audit.py (the administrative log).
"""

from workflows.access.sessions import (
    end_session,
    session_user,
    sign_out_everywhere,
    start_session,
)
from workflows.access.signin import Attempt, SignInThrottled, sign_in
from workflows.access.tokens import create_token, revoke_tokens, user_for_token
from workflows.attachments import PREVIEWABLE, Upload, open_attachment
from workflows.audit import (
    AUDIT_ACTIONS,
    AUDIT_CHANGED,
    AUDIT_COMMAND_LINE,
    AUDIT_SECRET_FIELDS,
    AuditPage,
    AuditRow,
    audit_entries,
)
from workflows.db import Database
from workflows.diagrams.form_schema import FORM_KEY, FormField
from workflows.diagrams.forms import (
    FormRow,
    FormView,
    delete_form,
    form_titles,
    get_form,
    install_bundled_forms,
    known_roles,
    list_forms,
    preview_fields,
    save_form,
)
from workflows.diagrams.migration import migrate_directives, migration_plan
from workflows.diagrams.versions import (
    ModelRejected,
    NewerVersionSaved,
    get_version,
    latest_version_number,
    list_versions,
    publish_version,
    save_version,
    version_xml,
)
from workflows.digest import create_digests
from workflows.directives import (
    assign_directive,
    cancel_directive,
    create_directive,
    resume_directive,
    suspend_directive,
)
from workflows.entry import REPORTING_KINDS, DirectiveInput, TaskInput
from workflows.entry.corrections import Correction, TaskCorrection, correct_directive
from workflows.entry.drafts import (
    DraftRow,
    DraftView,
    delete_draft,
    list_drafts,
    open_draft,
    save_draft,
)
from workflows.entry.proposals import (
    ProposalSource,
    proposal_json,
    propose_directive,
    propose_from,
    propose_from_database,
    task_sheet,
)
from workflows.entry.stash import StashedFile, drop_stashed, stash_files, stashed, unstash
from workflows.entry.stash import discard as discard_stash
from workflows.entry.templates import (
    TemplateRow,
    delete_template,
    list_templates,
    save_template,
    start_from_template,
)
from workflows.errors import (
    BackupRefused,
    BrokenForm,
    ConcurrencyConflict,
    DirectiveNotActive,
    DomainError,
    InvalidInput,
    NotAssignedToUnit,
    NotFound,
    PermissionDenied,
    ProcessFailed,
    RoleRequired,
    SchemaNotCurrent,
    StorageUnavailable,
    TaskNoLongerReady,
    UpgradeFailed,
    WrongStep,
)
from workflows.exports.excel import workbook as report_workbook
from workflows.exports.lists import (
    DIRECTIVE_HEAD,
    TASK_HEAD,
    csv_text,
    directive_values,
    sheet,
    task_values,
)
from workflows.exports.report import CATEGORY_WORDS, ReportData, report_data
from workflows.exports.word import document as report_document
from workflows.extensions import decide_extension, extension_requests, request_extension
from workflows.incidents import IncidentRow, list_incidents, retry_incident_now
from workflows.messages import Message
from workflows.notifications import (
    MailJob,
    deliver_mail,
    give_up_stale_sends,
    mark_notifications_read,
)
from workflows.nudges import nudge_assignment
from workflows.operations.backup import InstanceFiles, create_backup, restore_backup
from workflows.operations.consistency import CannotCheck, check_database
from workflows.operations.health import check_health
from workflows.operations.leases import hold_lease, release_lease
from workflows.organisation.accounts import (
    LANGUAGES,
    UserRow,
    add_user,
    list_users,
    reset_password,
    set_email,
    set_language,
    unit_members,
    update_user,
)
from workflows.organisation.calendar_days import (
    CalendarDayRow,
    calendar_days,
    set_calendar_day,
)
from workflows.organisation.delegations import (
    DelegationRow,
    Deputy,
    delegate,
    delegations,
    deputies,
    end_delegation,
)
from workflows.organisation.people import UserInfo, authenticate, list_usernames_of
from workflows.organisation.units import UnitRow, add_unit, list_units, update_unit
from workflows.read.dashboard import Dashboard, TrendPoint, dashboard
from workflows.read.detail import DirectiveDetail, directive_detail, history_of
from workflows.read.inbox import InboxPage, inbox
from workflows.read.listing import DirectiveFilter, DirectivePage, list_directives
from workflows.read.notice_target import NoticeTarget, notice_target
from workflows.read.notifications import (
    NotificationView,
    list_notifications,
    unread_notifications,
)
from workflows.read.statistics import (
    BASES,
    GROUPINGS,
    NO_LEADER,
    Statistics,
    StatRow,
    StatsQuery,
    period_between,
    statistics,
)
from workflows.read.task_list import MAX_EXPORT_ROWS, TaskFilter, TaskLine, TaskPage, task_list
from workflows.read.trail import directive_trail
from workflows.read.work_item import WorkItemPage, work_item_page
from workflows.rules.collation import sort_key
from workflows.rules.counting import CATEGORIES, Grid, percent
from workflows.rules.folding import marked_spans
from workflows.rules.importing.proposal import Proposal, TaskProposal, UnitRef
from workflows.rules.importing.units import registry_from_org
from workflows.rules.periods import KINDS as PERIOD_KINDS
from workflows.rules.periods import Period, custom, period_of
from workflows.settings import Settings
from workflows.setup.demo import install_demo, install_process_model, tet_directive
from workflows.setup.schema import check_schema, schema_revision, upgrade_schema
from workflows.steps.complete import CompletedStep, Submission, complete_step
from workflows.steps.unit_work import hand_over
from workflows.tables import DIRECTIVE_KINDS, DIRECTIVE_STATUSES
from workflows.timers import fire_due_timers, next_timer_at

__all__ = [
    "AUDIT_ACTIONS",
    "AUDIT_CHANGED",
    "AUDIT_COMMAND_LINE",
    "AUDIT_SECRET_FIELDS",
    "BASES",
    "CATEGORIES",
    "CATEGORY_WORDS",
    "DIRECTIVE_HEAD",
    "DIRECTIVE_KINDS",
    "DIRECTIVE_STATUSES",
    "FORM_KEY",
    "GROUPINGS",
    "LANGUAGES",
    "MAX_EXPORT_ROWS",
    "NO_LEADER",
    "PERIOD_KINDS",
    "PREVIEWABLE",
    "REPORTING_KINDS",
    "TASK_HEAD",
    "Attempt",
    "AuditPage",
    "AuditRow",
    "BackupRefused",
    "BrokenForm",
    "CalendarDayRow",
    "CannotCheck",
    "CompletedStep",
    "ConcurrencyConflict",
    "Correction",
    "Dashboard",
    "Database",
    "DelegationRow",
    "Deputy",
    "DirectiveDetail",
    "DirectiveFilter",
    "DirectiveInput",
    "DirectiveNotActive",
    "DirectivePage",
    "DomainError",
    "DraftRow",
    "DraftView",
    "FormField",
    "FormRow",
    "FormView",
    "Grid",
    "InboxPage",
    "IncidentRow",
    "InstanceFiles",
    "InvalidInput",
    "MailJob",
    "Message",
    "ModelRejected",
    "NewerVersionSaved",
    "NotAssignedToUnit",
    "NotFound",
    "NoticeTarget",
    "NotificationView",
    "Period",
    "PermissionDenied",
    "ProcessFailed",
    "Proposal",
    "ProposalSource",
    "ReportData",
    "RoleRequired",
    "SchemaNotCurrent",
    "Settings",
    "SignInThrottled",
    "StashedFile",
    "StatRow",
    "Statistics",
    "StatsQuery",
    "StorageUnavailable",
    "StorageUnavailable",
    "Submission",
    "Submission",
    "TaskCorrection",
    "TaskFilter",
    "TaskInput",
    "TaskLine",
    "TaskNoLongerReady",
    "TaskPage",
    "TaskProposal",
    "TemplateRow",
    "TrendPoint",
    "UnitRef",
    "UnitRow",
    "UpgradeFailed",
    "Upload",
    "UserInfo",
    "UserRow",
    "WorkItemPage",
    "WrongStep",
    "add_unit",
    "add_user",
    "assign_directive",
    "audit_entries",
    "authenticate",
    "calendar_days",
    "cancel_directive",
    "check_database",
    "check_health",
    "check_schema",
    "complete_step",
    "correct_directive",
    "create_backup",
    "create_digests",
    "create_directive",
    "create_token",
    "csv_text",
    "custom",
    "dashboard",
    "decide_extension",
    "delegate",
    "delegations",
    "delete_draft",
    "delete_form",
    "delete_template",
    "deliver_mail",
    "deputies",
    "directive_detail",
    "directive_trail",
    "directive_values",
    "discard_stash",
    "drop_stashed",
    "end_delegation",
    "end_session",
    "extension_requests",
    "fire_due_timers",
    "form_titles",
    "get_form",
    "get_version",
    "give_up_stale_sends",
    "hand_over",
    "history_of",
    "hold_lease",
    "inbox",
    "install_bundled_forms",
    "install_demo",
    "install_process_model",
    "known_roles",
    "latest_version_number",
    "list_directives",
    "list_drafts",
    "list_forms",
    "list_incidents",
    "list_notifications",
    "list_templates",
    "list_units",
    "list_usernames_of",
    "list_users",
    "list_versions",
    "mark_notifications_read",
    "marked_spans",
    "migrate_directives",
    "migration_plan",
    "next_timer_at",
    "notice_target",
    "nudge_assignment",
    "open_attachment",
    "open_draft",
    "percent",
    "period_between",
    "period_of",
    "preview_fields",
    "proposal_json",
    "propose_directive",
    "propose_from",
    "propose_from_database",
    "publish_version",
    "registry_from_org",
    "release_lease",
    "report_data",
    "report_document",
    "report_workbook",
    "request_extension",
    "reset_password",
    "restore_backup",
    "resume_directive",
    "retry_incident_now",
    "revoke_tokens",
    "save_draft",
    "save_form",
    "save_template",
    "save_version",
    "schema_revision",
    "session_user",
    "set_calendar_day",
    "set_email",
    "set_language",
    "sheet",
    "sign_in",
    "sign_out_everywhere",
    "sort_key",
    "start_from_template",
    "start_session",
    "stash_files",
    "stashed",
    "statistics",
    "suspend_directive",
    "task_list",
    "task_sheet",
    "task_values",
    "tet_directive",
    "unit_members",
    "unread_notifications",
    "unstash",
    "update_unit",
    "update_user",
    "upgrade_schema",
    "user_for_token",
    "version_xml",
    "work_item_page",
]
