"""Complete any step: the one use case the step page and the JSON API both call.

The step a work item is decides what its submission means: the assignment of the directive,
execute, report, the head's sign-off of an officer's draft, accept or return, contribute,
acknowledge or send back, or a generic step with a JSON Schema form. Who may act is checked
first, by the one rule of `workflows.access.permissions`, then again inside the step's own
transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime

from workflows.attachments import Upload
from workflows.db import Database
from workflows.directives import assign_directive
from workflows.entry import TaskInput
from workflows.errors import InvalidInput, WrongStep
from workflows.messages import N_
from workflows.read.work_item import step_for_actor
from workflows.steps.form_step import complete_form_step
from workflows.steps.unit_work import (
    accept_report,
    acknowledge_contribution,
    return_report,
    sign_off,
    start_work,
    submit_contribution,
    submit_report,
)

DECISIONS = ("accept", "return")


@dataclass(frozen=True)
class Submission:
    """What a person submits on a step; which fields count depends on the step."""

    step: str | None = None  # the step the caller thinks it is: refused when it is another
    note: str = ""  # execute: a progress note
    text: str = ""  # report, contribute: the result; sign_off: the edited text ("" keeps it)
    decision: str | None = None  # accept, acknowledge, sign_off: "accept" or "return"
    comment: str = ""  # accept, acknowledge, sign_off: the comment, or the reason for returning
    tasks: tuple[TaskInput, ...] | None = None  # assign: the tasks as edited (None: as entered)
    values: Mapping[str, str | list[str]] = field(default_factory=dict)  # a form step's fields
    uploads: tuple[Upload, ...] = ()  # report, contribute, sign_off: evidence files
    keep: tuple[int, ...] = ()  # report, contribute: files of the previous round to carry on
    instruction: str = ""  # assign: the leader's instruction (ý kiến chỉ đạo) to every unit


@dataclass(frozen=True)
class CompletedStep:
    """Which step was completed, of which directive."""

    work_item_id: str
    step: str
    directive_id: int


Action = Callable[[Database, int, str, Submission, datetime | None], None]


def complete_step(
    db: Database,
    actor_id: int,
    work_item_id: str,
    submission: Submission,
    now: datetime | None = None,
) -> CompletedStep:
    """Complete a ready step the actor may do, with what they submitted."""
    access = step_for_actor(db, actor_id, work_item_id)
    wanted = submission.step
    if wanted is not None and wanted != access.step:
        raise WrongStep(
            N_("this is the %(actual)s step, not %(wanted)s", actual=access.step, wanted=wanted)
        )
    ACTIONS.get(access.step, _form)(db, actor_id, work_item_id, submission, now)
    return CompletedStep(work_item_id, access.step, access.directive_id)


def _assign(db: Database, me: int, item: str, sent: Submission, now: datetime | None) -> None:
    assign_directive(db, me, item, sent.tasks, now, sent.instruction)


def _execute(db: Database, me: int, item: str, sent: Submission, now: datetime | None) -> None:
    start_work(db, me, item, sent.note, now)


def _report(db: Database, me: int, item: str, sent: Submission, now: datetime | None) -> None:
    submit_report(db, me, item, sent.text, now, sent.uploads, sent.keep)


def _contribute(db: Database, me: int, item: str, sent: Submission, now: datetime | None) -> None:
    submit_contribution(db, me, item, sent.text, now, sent.uploads, sent.keep)


def _accept(db: Database, me: int, item: str, sent: Submission, now: datetime | None) -> None:
    if _accepted(sent):
        accept_report(db, me, item, sent.comment, now)
    else:
        return_report(db, me, item, sent.comment, now)


def _acknowledge(db: Database, me: int, item: str, sent: Submission, now: datetime | None) -> None:
    acknowledge_contribution(db, me, item, _accepted(sent), sent.comment, now)


def _sign_off(db: Database, me: int, item: str, sent: Submission, now: datetime | None) -> None:
    sign_off(db, me, item, _accepted(sent), sent.text, sent.comment, now, sent.uploads)


def _form(db: Database, me: int, item: str, sent: Submission, now: datetime | None) -> None:
    complete_form_step(db, me, item, sent.values, now)


def _accepted(sent: Submission) -> bool:
    if sent.decision not in DECISIONS:
        raise InvalidInput({"decision": N_("choose to accept or to return")})
    return sent.decision == "accept"


ACTIONS: dict[str, Action] = {
    "assign": _assign,
    "execute": _execute,
    "report": _report,
    "sign_off": _sign_off,
    "contribute": _contribute,
    "accept": _accept,
    "acknowledge": _acknowledge,
}
