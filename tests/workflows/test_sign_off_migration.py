"""Directives running on the diagram before the sign-off step move to the reference diagram.

The diagram as released before issue 13 (tests/fixtures/diagrams/directive-before-sign-off.bpmn)
runs a directive at every step; the reference diagram is then saved as a new version and the
dry run says, directive by directive, which can move. A moved directive goes on through the
new steps: an officer's draft now waits for the head's sign-off.
"""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

from tests.helpers import items_for
from workflows import directives
from workflows.db import Database
from workflows.diagrams import migration as diagrams
from workflows.entry import DirectiveInput, TaskInput
from workflows.setup.demo import DEFAULT_BPMN
from workflows.steps import unit_work as steps

BEFORE = (
    Path(__file__).resolve().parents[1] / "fixtures" / "diagrams" / "directive-before-sign-off.bpmn"
)


def _version(db: Database, xml: bytes, publish: bool) -> int:
    return db.command(
        lambda s: db.processes.save_model(s, "directive", xml, author="admin", publish=publish).id
    )


def _directive(db: Database, users: dict[str, int], today: date, number: str) -> int:
    data = DirectiveInput(
        number,
        "thong_bao_ket_luan",
        "Sở KH&CN",
        today,
        "Kết luận giao ban",
        (TaskInput("Rà soát", ("KHTC",), ("VP",), today + timedelta(days=9)),),
    )
    directive_id = directives.create_directive(db, users["vanthu"], data)
    return directive_id


def _assign(db: Database, users: dict[str, int], directive_id: int) -> None:
    (item,) = [
        i for i in items_for(db, users["giamdoc"], "assign") if i.directive_id == directive_id
    ]
    directives.assign_directive(db, users["giamdoc"], item.work_item_id)


def _mine(db: Database, user: int, step: str, directive_id: int, unit: str = "KHTC") -> str:
    (item,) = [
        i
        for i in items_for(db, user, step)
        if i.directive_id == directive_id and i.unit_code == unit
    ]
    return item.work_item_id


def test_the_dry_run_says_which_running_directives_can_move_to_the_sign_off(
    db: Database, users: dict[str, int], today: date
) -> None:
    _version(db, BEFORE.read_bytes(), publish=True)
    at = {}
    at["assign"] = _directive(db, users, today, "1/TB")
    for name, number in (
        ("execute", "2/TB"),
        ("report", "3/TB"),
        ("accept", "4/TB"),
        ("redo", "5/TB"),
    ):
        at[name] = _directive(db, users, today, number)
        _assign(db, users, at[name])
    for name in ("report", "accept", "redo"):
        steps.start_work(db, users["cv.khtc"], _mine(db, users["cv.khtc"], "execute", at[name]))
    for name in ("accept", "redo"):
        steps.submit_report(
            db, users["truong.khtc"], _mine(db, users["truong.khtc"], "report", at[name]), "xong"
        )
    steps.return_report(
        db, users["giamdoc"], _mine(db, users["giamdoc"], "accept", at["redo"]), "thiếu"
    )

    target = _version(db, DEFAULT_BPMN.read_bytes(), publish=True)
    plan = {
        check.directive_id: check for check in diagrams.migration_plan(db, users["admin"], target)
    }

    assert set(plan) == set(at.values())
    verdicts = {name: (plan[d].can_move, tuple(sorted(plan[d].steps))) for name, d in at.items()}
    assert verdicts == {
        "assign": (True, ("assign",)),
        "execute": (True, ("coord_execute", "execute")),
        "report": (True, ("coord_execute", "report")),
        "accept": (True, ("accept", "coord_execute")),
        "redo": (True, ("coord_execute", "execute")),
    }
    outcome = diagrams.migrate_directives(db, users["admin"], target, list(at.values()))
    assert sorted(outcome.moved) == sorted(at.values())

    # On the new version an officer's report waits for the head's sign-off.
    (report,) = [
        i for i in items_for(db, users["truong.khtc"], "report") if i.directive_id == at["report"]
    ]
    steps.hand_over(db, users["truong.khtc"], report.assignment_id or 0, users["cv.khtc"])
    steps.submit_report(
        db, users["cv.khtc"], _mine(db, users["cv.khtc"], "report", at["report"]), "dự thảo"
    )
    sign = _mine(db, users["truong.khtc"], "sign_off", at["report"])
    steps.sign_off(db, users["truong.khtc"], sign, True)
    assert _mine(db, users["phogiamdoc"], "accept", at["report"])
    # The directive returned under the old loop still starts its redo at `execute`.
    steps.start_work(db, users["cv.khtc"], _mine(db, users["cv.khtc"], "execute", at["redo"]))
    steps.submit_report(
        db, users["truong.khtc"], _mine(db, users["truong.khtc"], "report", at["redo"]), "đủ"
    )
    steps.accept_report(db, users["giamdoc"], _mine(db, users["giamdoc"], "accept", at["redo"]))
