"""Applying corrected tasks to a directive: rows, history, notifications and the process.

See `workflows.entry.corrections` for what a correction may change. The process's per-unit
work is the multi-instance element `unit_work` (bpmn/README.md); its items are keyed by the
assignment id.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine import StepResult
from workflows import deadlines, history, notifications
from workflows.db import Database
from workflows.directive_tasks import assignment_payload
from workflows.entry.inputs import TaskInput, cleaned_tasks, task_problem
from workflows.entry.phrases import with_deadlines
from workflows.entry.task_values import (
    deadline_of,
    iso,
    ordered_units,
    periods,
    set_deadline,
    shown_deadline,
    stale_phrase_dropped,
    units_of,
)
from workflows.errors import DirectiveNotActive, InvalidInput
from workflows.messages import N_, Message
from workflows.pipeline import apply_step_result, engine_errors
from workflows.tables import Assignment, Directive, Task, Unit, User

if TYPE_CHECKING:
    from workflows.entry.corrections import TaskCorrection

ELEMENT = "unit_work"
OPEN = ("assigned", "in_progress", "reported", "returned")
DEADLINE_FIELDS = ("due_on", "due_at", "due_text", "reporting", "reporting_until")


@dataclass(frozen=True)
class _Wanted:
    number: int  # the row's place in the form, for messages
    task_id: int | None
    task: TaskInput


class TaskChanges:
    """One correction's changes to the tasks of one directive, inside its transaction."""

    def __init__(
        self,
        session: Session,
        db: Database,
        directive: Directive,
        actor: User,
        at: datetime,
        reason: str,
    ) -> None:
        self.session, self.db, self.directive = session, db, directive
        self.actor, self.at, self.reason = actor, at, reason
        self.running = directive.status == "in_progress"
        self.units = {unit.code: unit for unit in session.scalars(select(Unit))}
        self.count = 0

    # -- the whole list ---------------------------------------------------------------------

    def apply(self, corrections: Sequence[TaskCorrection]) -> int:
        """Apply the tasks as they should be; return how many changes were recorded."""
        current = self._current_tasks()
        wanted = self._wanted(corrections, current)
        kept = {w.task_id for w in wanted}
        # Additions before withdrawals: withdrawing the last open unit first would end the
        # process before the new work could join it.
        changed = [(current[w.task_id], w) for w in wanted if w.task_id is not None]
        for task, item in changed:
            self._change_task(task, item)
        for task, item in changed:
            self._add_units(task, item.task)
        for item in wanted:
            if item.task_id is None:
                self._add_task(item)
        for task, item in changed:
            self._follow_lead(task, item.task.lead_units)
            self._withdraw_units(task, item.task)
        for task in current.values():
            if task.id not in kept:
                self._remove_task(task)
        return self.count

    def _current_tasks(self) -> dict[int, Task]:
        tasks = self.session.scalars(
            select(Task)
            .where(Task.directive_id == self.directive.id, Task.withdrawn_at.is_(None))
            .order_by(Task.number)
        )
        return {task.id: task for task in tasks}

    def _wanted(
        self, corrections: Sequence[TaskCorrection], current: dict[int, Task]
    ) -> list[_Wanted]:
        """The tasks as they should be, checked against the directive's current ones."""
        if not corrections:
            raise InvalidInput({"tasks": N_("a directive needs at least one task")})
        tasks = cleaned_tasks([c.task for c in corrections])
        tasks = tuple(
            stale_phrase_dropped(current, c, t) for c, t in zip(corrections, tasks, strict=True)
        )
        calendar = deadlines.work_calendar(self.session)
        tasks = with_deadlines(tasks, self.directive.issued_on, calendar, self.db.settings.tz)
        wanted = [
            _Wanted(n, c.task_id, task)
            for n, (c, task) in enumerate(zip(corrections, tasks, strict=True), start=1)
        ]
        unknown = [w for w in wanted if w.task_id is not None and w.task_id not in current]
        if unknown:
            raise InvalidInput({f"tasks[{unknown[0].number}]": N_("no such task here")})
        if self._touches_tasks(current, wanted):
            self._require_active()
        return wanted

    def _touches_tasks(self, current: dict[int, Task], wanted: list[_Wanted]) -> bool:
        if {w.task_id for w in wanted} != set(current):
            return True
        return any(
            self._differs(current[w.task_id], w.task) for w in wanted if w.task_id is not None
        )

    def _differs(self, task: Task, wanted: TaskInput) -> bool:
        units = {(a.unit_code, a.role) for a in self._assignments(task)}
        return (
            task.content != wanted.content
            or deadline_of(task) != deadline_of(wanted)
            or units != units_of(wanted)
        )

    def _require_active(self) -> None:
        if self.directive.status not in ("assigning", "in_progress"):
            raise DirectiveNotActive(
                N_("the tasks of a directive that is not running cannot be corrected")
            )

    # -- one task ---------------------------------------------------------------------------

    def _check(self, wanted: _Wanted, changed_deadline: bool) -> None:
        today = self.at.astimezone(self.db.settings.tz).date()
        known = {code for code, unit in self.units.items() if unit.active}
        task = wanted.task
        if not changed_deadline:  # an unchanged deadline may have passed meanwhile
            task = TaskInput(task.content, task.lead_units, task.coordinating_units)
        problem: Message | None = task_problem(task, known, self.directive.issued_on, today)
        if problem is not None:
            raise InvalidInput({f"tasks[{wanted.number}]": problem})

    def _add_task(self, item: _Wanted) -> None:
        self._check(item, changed_deadline=True)
        wanted = item.task
        last = self.session.scalar(
            select(func.max(Task.number)).where(Task.directive_id == self.directive.id)
        )
        task = Task(directive_id=self.directive.id, number=(last or 0) + 1, content=wanted.content)
        set_deadline(task, wanted)
        self.session.add(task)
        self.session.flush()
        self._record("task_added", None, after={"number": task.number, "content": task.content})
        for code, role in ordered_units(wanted):
            self._add_unit(task, code, role, wanted.lead_units[0], record=False)

    def _change_task(self, task: Task, wanted: _Wanted) -> None:
        new = wanted.task
        changed_deadline = deadline_of(task) != deadline_of(new)
        if task.content != new.content or changed_deadline or self._differs(task, new):
            self._check(wanted, changed_deadline)
        if task.content != new.content:
            before, task.content = task.content, new.content
            self._record("task_corrected", None, {"content": before}, {"content": new.content})
        if changed_deadline:
            self._change_deadline(task, new)

    def _remove_task(self, task: Task) -> None:
        self._require_reason()
        for assignment in self._assignments(task):
            self._withdraw(assignment, record=False)
        if self.running:
            task.withdrawn_at = self.at
        else:
            self.session.delete(task)
        self._record("task_removed", None, before={"number": task.number, "content": task.content})

    # -- deadlines --------------------------------------------------------------------------

    def _change_deadline(self, task: Task, new: TaskInput) -> None:
        before = shown_deadline(task)
        periodic = task.reporting != "once" or new.reporting != "once"
        if self.running and periodic and periods(task) != periods(new):
            raise InvalidInput(
                {
                    "tasks": N_(
                        "the reporting period of task %(no)s cannot change once assigned: remove "
                        "the task and add it again",
                        no=task.number,
                    )
                }
            )
        set_deadline(task, new)
        after = shown_deadline(task)
        changed = [key for key in after if after[key] != before[key]]
        self._record(
            "deadline_corrected",
            None,
            {key: before[key] for key in changed},
            {key: after[key] for key in changed},
            task=task,
        )
        if not self.running:
            return
        calendar = deadlines.work_calendar(self.session)
        tz, days = self.db.settings.tz, self.db.settings.reminder_days
        due_at, remind_at = deadlines.deadline_and_reminder(
            calendar, task.due_on, task.due_at, tz, days
        )
        for assignment in self._assignments(task):
            if assignment.state in OPEN and not assignment.cycles:
                self._retime(assignment, {"due_at": iso(due_at), "remind_at": iso(remind_at)})
                assignment.due_at = assignment.original_due_at = due_at
                notifications.notify_assignment(
                    self.session,
                    self.db,
                    "deadline_corrected",
                    assignment,
                    f"{assignment.id}:{iso(due_at)}",
                    self.at,
                )

    # -- units ------------------------------------------------------------------------------

    def _add_units(self, task: Task, new: TaskInput) -> None:
        current = {(a.unit_code, a.role) for a in self._assignments(task)}
        for code, role in ordered_units(new):
            if (code, role) not in current:
                self._add_unit(task, code, role, new.lead_units[0], record=True)

    def _withdraw_units(self, task: Task, new: TaskInput) -> None:
        wanted = units_of(new)
        for assignment in self._assignments(task):
            if (assignment.unit_code, assignment.role) not in wanted:
                self._withdraw(assignment, record=True)

    def _add_unit(self, task: Task, code: str, role: str, lead: str, *, record: bool) -> None:
        unit = self.units[code]
        assignment = Assignment(
            task_id=task.id,
            directive_id=self.directive.id,
            unit_id=unit.id,
            unit_code=unit.code,
            unit_name=unit.name,
            role=role,
            lead_unit_code=code if role == "lead" else lead,
            state="draft",
        )
        self.session.add(assignment)
        self.session.flush()
        if record:
            self._record("unit_added", assignment, after={"unit": code, "role": role}, task=task)
        if not self.running:
            return
        calendar = deadlines.work_calendar(self.session)
        payload = assignment_payload(self.db, calendar, assignment, task, self.at)
        with engine_errors():
            result = self.db.processes.add_item(
                self.session, self.directive.process_instance_id or 0, ELEMENT, payload
            )
        self._after(result)
        notifications.notify_assignment(
            self.session, self.db, "assigned", assignment, str(assignment.id), self.at
        )

    def _withdraw(self, assignment: Assignment, *, record: bool) -> None:
        if assignment.state == "accepted":
            raise InvalidInput(
                {
                    "tasks": N_(
                        "%(unit)s has already completed its part of task %(no)s: it cannot be "
                        "removed",
                        unit=assignment.unit_name,
                        no=self._number_of(assignment),
                    )
                }
            )
        self._require_reason()
        task = self.session.get(Task, assignment.task_id)
        draft = assignment.state == "draft"
        if record:
            before = {"unit": assignment.unit_code, "role": assignment.role}
            self._record("unit_removed", None if draft else assignment, before=before, task=task)
        if draft:
            self.session.delete(assignment)
            return
        output = {
            "assignment_id": assignment.id,
            "unit": assignment.unit_code,
            "role": assignment.role,
            "outcome": "withdrawn",
        }
        with engine_errors():
            result = self.db.processes.withdraw_item(
                self.session,
                self.directive.process_instance_id or 0,
                ELEMENT,
                str(assignment.id),
                output,
            )
        assignment.state, assignment.cancelled_at = "cancelled", self.at
        notifications.notify_assignment(
            self.session,
            self.db,
            "assignment_withdrawn",
            assignment,
            str(assignment.id),
            self.at,
            params={"reason": self.reason},
        )
        self._after(result)

    def _follow_lead(self, task: Task, leads: Sequence[str]) -> None:
        """Coordinating units send their contributions to a lead unit the task still has."""
        for assignment in self._assignments(task):
            if assignment.role != "coordinating" or assignment.lead_unit_code in leads:
                continue
            assignment.lead_unit_code = leads[0]
            if self.running and assignment.state in OPEN:
                self._retime(assignment, {"lead_unit": leads[0]})

    # -- helpers ----------------------------------------------------------------------------

    def _assignments(self, task: Task) -> list[Assignment]:
        self.session.flush()
        return list(
            self.session.scalars(
                select(Assignment)
                .where(Assignment.task_id == task.id, Assignment.state != "cancelled")
                .order_by(Assignment.role.desc(), Assignment.id)
            )
        )

    def _retime(self, assignment: Assignment, changes: dict[str, Any]) -> None:
        with engine_errors():
            result = self.db.processes.retime(
                self.session,
                self.directive.process_instance_id or 0,
                str(assignment.id),
                changes,
            )
        self._after(result)

    def _after(self, result: StepResult) -> None:
        apply_step_result(self.session, self.db, self.directive, result, self.at)

    def _require_reason(self) -> None:
        if not self.reason:
            raise InvalidInput({"reason": N_("say why a unit or a task is removed")})

    def _number_of(self, assignment: Assignment) -> int:
        task = self.session.get(Task, assignment.task_id)
        return task.number if task else 0

    def _record(
        self,
        kind: str,
        assignment: Assignment | None,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
        task: Task | None = None,
    ) -> None:
        if task is not None:
            before = {"task": task.number, **(before or {})} if before is not None else None
            after = {"task": task.number, **(after or {})} if after is not None else None
        history.record(
            self.session,
            kind,
            at=self.at,
            actor=self.actor,
            directive_id=self.directive.id,
            assignment_id=assignment.id if assignment else None,
            before=before,
            after=after,
            detail=self.reason if kind in ("unit_removed", "task_removed") else "",
        )
        self.count += 1
