"""Reports and contributions: an officer drafts them (with files), the head signs them off.

A report written by the head (or by the head's deputy under a delegation) goes straight on;
an officer's goes to the head's sign-off step when the diagram has one after the report (the
code follows the process: it looks at the step the engine made ready). The head sends the
draft on, as written or edited, with its files and any added, or back to the officer with a
reason. Redoing a returned report starts from the previous text, and the files chosen to keep
are carried on to the new round.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import select, update

from workflows import notifications, oversight_notices
from workflows.attachments import Upload, reread, store_uploads
from workflows.db import Database
from workflows.errors import InvalidInput, NotFound
from workflows.messages import N_
from workflows.steps.base import MAX_TEXT_LENGTH, Step, required_text, run_step
from workflows.tables import Attachment, Report, ReportDraft

SIGN_OFF = "sign_off"
KEYS = {
    "report": ("report_text", "report_signed"),
    "contribution": ("contribution_text", "contribution_signed"),
}


def submit_report(
    db: Database,
    actor_id: int,
    work_item_id: str,
    text: str,
    now: datetime | None = None,
    uploads: Sequence[Upload] = (),
    keep: Sequence[int] = (),
) -> None:
    """Submit the lead unit's report (with evidence files); an officer's goes to the head first.

    `keep` names files of the previous round to carry on to this one.
    """
    body = required_text("text", text, N_("the report needs its result text"))
    run_step(
        db,
        actor_id,
        work_item_id,
        "report",
        now,
        lambda step: _submit(step, "report", body, uploads, keep),
    )


def submit_contribution(
    db: Database,
    actor_id: int,
    work_item_id: str,
    text: str,
    now: datetime | None = None,
    uploads: Sequence[Upload] = (),
    keep: Sequence[int] = (),
) -> None:
    """Submit a coordinating unit's contribution; an officer's goes to the head first."""
    body = required_text("text", text, N_("the contribution needs its text"))
    run_step(
        db,
        actor_id,
        work_item_id,
        "contribute",
        now,
        lambda step: _submit(step, "contribution", body, uploads, keep),
    )


def _submit(
    step: Step, kind: str, text: str, uploads: Sequence[Upload], keep: Sequence[int]
) -> None:
    before = step.assignment.state
    files = [*_kept(step, keep), *uploads]
    text_key, signed_key = KEYS[kind]
    result = step.run({text_key: text, signed_key: step.as_head})
    ref = str(step.assignment.id)
    if any(task.ref == ref and task.form == SIGN_OFF for task in result.ready):
        draft = ReportDraft(
            assignment_id=step.assignment.id,
            kind=kind,
            attempt=step.assignment.attempt,
            cycle=step.assignment.cycle,
            text=text,
            written_by_id=step.actor.id,
            written_at=step.at,
            state="submitted",
        )
        step.session.add(draft)
        step.session.flush()
        _store(step, files, draft_id=draft.id)
        step.assignment.state = "drafted"
        step.record(f"{kind}_drafted", before, text)
        _tell_heads(step, "draft_submitted", f"{draft.id}", {"by": step.actor.full_name})
    else:
        report = _report(step, kind, text, drafted_by=None)
        _store(step, files, report_id=report.id)
        step.record(f"{kind}_submitted", before, text)
    step.apply(result)


def _report(step: Step, kind: str, text: str, drafted_by: int | None) -> Report:
    report = Report(
        assignment_id=step.assignment.id,
        kind=kind,
        attempt=step.assignment.attempt,
        cycle=step.assignment.cycle,
        text=text,
        submitted_by_id=step.actor.id,
        submitted_at=step.at,
        drafted_by_id=drafted_by,
    )
    step.session.add(report)
    step.session.flush()
    step.assignment.state, step.assignment.reported_at = "reported", step.at
    if kind == "report":
        oversight_notices.report_arrived(step.session, step.db, step.assignment, report.id, step.at)
    return report


def _store(
    step: Step,
    files: Sequence[Upload],
    report_id: int | None = None,
    draft_id: int | None = None,
) -> None:
    if files:
        step.written += store_uploads(
            step.session,
            step.db,
            files,
            directive_id=step.directive.id,
            report_id=report_id,
            draft_id=draft_id,
            actor=step.actor,
            at=step.at,
        )


def _kept(step: Step, keep: Sequence[int]) -> list[Upload]:
    """The files of this assignment's earlier rounds the writer chose to carry on."""
    if not keep:
        return []
    reports = select(Report.id).where(Report.assignment_id == step.assignment.id)
    drafts = select(ReportDraft.id).where(ReportDraft.assignment_id == step.assignment.id)
    mine = set(
        step.session.scalars(
            select(Attachment.id).where(
                Attachment.id.in_(list(keep)),
                Attachment.report_id.in_(reports) | Attachment.draft_id.in_(drafts),
            )
        )
    )
    if mine != set(keep):
        raise InvalidInput({"attachments": N_("only files of this task's earlier rounds")})
    return reread(step.session, step.db, sorted(mine))


def sign_off(
    db: Database,
    actor_id: int,
    work_item_id: str,
    send: bool,
    text: str = "",
    comment: str = "",
    now: datetime | None = None,
    uploads: Sequence[Upload] = (),
) -> None:
    """The head sends an officer's draft on (edited if `text` is given) or back with a reason."""
    edited = text.strip()
    if len(edited) > MAX_TEXT_LENGTH:
        raise InvalidInput({"text": N_("at most %(count)s characters", count=MAX_TEXT_LENGTH)})
    reason = (
        comment.strip()[:MAX_TEXT_LENGTH]
        if send
        else required_text("comment", comment, N_("say why the draft goes back to the officer"))
    )
    run_step(
        db,
        actor_id,
        work_item_id,
        SIGN_OFF,
        now,
        lambda step: _sign(step, send, edited, reason, uploads),
    )


def _sign(step: Step, send: bool, edited: str, reason: str, uploads: Sequence[Upload]) -> None:
    draft = _pending_draft(step)
    before = step.assignment.state
    draft.decided_by_id, draft.decided_at, draft.comment = step.actor.id, step.at, reason
    if not send:
        draft.state = "sent_back"
        result = step.run({"signed": False})
        step.assignment.state = "in_progress"
        step.record(f"{draft.kind}_draft_returned", before, reason)
        notifications.notify_people(
            step.session,
            step.db,
            "draft_returned",
            step.assignment,
            [draft.written_by_id],
            f"{draft.id}",
            step.at,
            {"reason": reason},
        )
        step.apply(result)
        return
    final = edited or draft.text
    text_key, _ = KEYS[draft.kind]
    result = step.run({"signed": True, text_key: final})
    report = _report(step, draft.kind, final, drafted_by=draft.written_by_id)
    draft.state, draft.report_id = "signed", report.id
    step.session.execute(
        update(Attachment).where(Attachment.draft_id == draft.id).values(report_id=report.id)
    )
    _store(step, uploads, report_id=report.id)
    step.record(
        f"{draft.kind}_signed",
        before,
        final,
        {"edited": final != draft.text, "comment": reason},
    )
    step.apply(result)


def _pending_draft(step: Step) -> ReportDraft:
    draft = step.session.scalar(
        select(ReportDraft)
        .where(ReportDraft.assignment_id == step.assignment.id, ReportDraft.state == "submitted")
        .order_by(ReportDraft.id.desc())
    )
    if draft is None:
        raise NotFound(N_("no draft waits for a sign-off"))
    return draft


def _tell_heads(step: Step, kind: str, key: str, params: dict[str, str]) -> None:
    heads = notifications.heads_of(step.session, step.assignment.unit_id)
    notifications.notify_people(
        step.session, step.db, kind, step.assignment, heads, key, step.at, params
    )
