"""One rule for who may act: listed in the inbox ⇔ the step page offers the form ⇔ it completes.

Every demo user (and a second officer of one unit) against every kind of ready step of the
reference diagram, including work the head handed to one officer (issue 10), an officer's
draft waiting for the head's sign-off, a head's steps delegated to the deputy head, and a
report going to its unit's leader in charge (issue 13).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from engine import WorkItem
from tests.helpers import item_of, items_for
from tests.workflows.conftest import small_directive
from workflows import Submission, complete_step, directives
from workflows.db import Database
from workflows.errors import PermissionDenied
from workflows.organisation import delegations, people
from workflows.settings import Settings
from workflows.steps import unit_work as steps
from workflows.tables import Assignment, User

SUBMISSIONS = {
    "assign": Submission(),
    "execute": Submission(note="bắt đầu"),
    "report": Submission(text="đã xong"),
    "sign_off": Submission(decision="accept"),
    "contribute": Submission(text="ý kiến"),
    "accept": Submission(decision="accept"),
    "acknowledge": Submission(decision="accept"),
}
REFUSED = "Bạn chỉ được xem, không được xử lý bước này"


@dataclass(frozen=True)
class Verdict:
    """What each of the three places says about one person and one step."""

    listed: bool
    offered: bool
    completed: bool


def _stage(db: Database, users: dict[str, int], today: date) -> None:
    """Ready steps of every kind at once, one of them handed to a second officer."""
    directives.create_directive(db, users["vanthu"], small_directive(today, "1/TB"))
    directives.assign_directive(
        db, users["giamdoc"], item_of(db, users["giamdoc"], "assign").work_item_id
    )
    steps.start_work(db, users["cv.khtc"], _item(db, users["cv.khtc"], "execute", "1/TB", 1))
    steps.start_work(db, users["cv.vp"], _item(db, users["cv.vp"], "execute", "1/TB", 1))
    steps.start_work(db, users["cv.ttr"], _item(db, users["cv.ttr"], "execute", "1/TB", 2))
    steps.submit_report(
        db, users["truong.ttr"], _item(db, users["truong.ttr"], "report", "1/TB", 2), "xong"
    )
    steps.hand_over(db, users["truong.cctdc"], _assignment(db, "1/TB", "CCTDC"), users["cv2.cctdc"])
    # a second directive whose coordinating unit has contributed: the lead acknowledges
    directives.create_directive(db, users["vanthu"], small_directive(today, "2/TB"))
    directives.assign_directive(
        db, users["giamdoc"], item_of(db, users["giamdoc"], "assign").work_item_id
    )
    steps.start_work(db, users["cv.vp"], _item(db, users["cv.vp"], "execute", "2/TB", 1))
    steps.submit_contribution(
        db, users["truong.vp"], _item(db, users["truong.vp"], "contribute", "2/TB", 1), "góp ý"
    )
    # a third directive waiting to be assigned
    directives.create_directive(db, users["vanthu"], small_directive(today, "3/TB"))
    # a fourth: KHTC's officer drafted the report (the head signs it off); VP has reported
    # (its leader in charge, the director, decides); KHTC's head delegated to the deputy
    fourth = directives.create_directive(db, users["vanthu"], small_directive(today, "4/TB"))
    (assign,) = [i for i in items_for(db, users["giamdoc"], "assign") if i.directive_id == fourth]
    directives.assign_directive(db, users["giamdoc"], assign.work_item_id)
    steps.hand_over(db, users["truong.khtc"], _assignment(db, "4/TB", "KHTC"), users["cv.khtc"])
    steps.start_work(db, users["cv.khtc"], _item(db, users["cv.khtc"], "execute", "4/TB", 1))
    steps.submit_report(
        db, users["cv.khtc"], _item(db, users["cv.khtc"], "report", "4/TB", 1), "dự thảo"
    )
    steps.start_work(db, users["cv.vp"], _item(db, users["cv.vp"], "execute", "4/TB", 3))
    steps.submit_report(
        db, users["truong.vp"], _item(db, users["truong.vp"], "report", "4/TB", 3), "xong"
    )
    delegations.delegate(
        db, users["truong.khtc"], users["pho.khtc"], today, today + timedelta(days=2)
    )


def _item(db: Database, user_id: int, step: str, number: str, task_no: int) -> str:
    found = [
        i
        for i in items_for(db, user_id, step)
        if i.directive_number == number and i.task_no == task_no
    ]
    assert len(found) == 1, (step, number, task_no, found)
    return found[0].work_item_id


def _assignment(db: Database, number: str, unit: str) -> int:
    from workflows.tables import Directive

    with db.reading() as session:
        found = session.scalar(
            select(Assignment.id)
            .join(Directive, Directive.id == Assignment.directive_id)
            .where(Directive.number == number, Assignment.unit_code == unit)
        )
        assert found is not None
        return found


@pytest.fixture
def staged(db: Database, users: dict[str, int], today: date) -> dict[str, int]:
    """The staged database; the user ids (with the second officer of CCTDC)."""
    db.command(
        lambda s: people.create_user(
            s, "cv2.cctdc", "Lê Văn B", "CCTDC", ["unit_staff"], "mat-khau-du-dai-1"
        )
    )
    with db.reading() as session:
        everyone = {u.username: u.id for u in session.scalars(select(User))}
    _stage(db, everyone, today)
    return everyone


def _copy(source_url: str, target: Path) -> str:
    with (
        sqlite3.connect(source_url.removeprefix("sqlite:///")) as src,
        sqlite3.connect(target) as dst,
    ):
        src.backup(dst)
    return f"sqlite:///{target}"


def _completes(db_url: str, tmp_path: Path, user_id: int, item: str, form: str, n: int) -> bool:
    copy = Database(_copy(db_url, tmp_path / f"copy-{n}.db"), Settings(upload_dir=tmp_path))
    try:
        complete_step(copy, user_id, item, SUBMISSIONS[form])
    except PermissionDenied:
        return False
    finally:
        copy.dispose()
    return True


def _ready(db: Database) -> list[tuple[str, str]]:
    with db.reading() as session:
        return [(item, form) for item, form in session.execute(select(WorkItem.id, WorkItem.form))]


def test_listed_offered_and_completed_agree_for_everyone_and_every_step(
    db: Database,
    db_url: str,
    staged: dict[str, int],
    client_for: Callable[[str], FlaskClient],
    tmp_path: Path,
    passwords: dict[str, str],
) -> None:
    ready = list(_ready(db))
    assert {form for _, form in ready} == set(SUBMISSIONS)  # every kind of step is there
    verdicts: dict[tuple[str, str], Verdict] = {}
    n = 0
    for username, user_id in sorted(staged.items()):
        if username == "cv2.cctdc":
            continue  # signed in below: not among the demo passwords
        listed = {i.work_item_id for i in items_for(db, user_id)}
        client = client_for(username)
        for item, form in ready:
            n += 1
            page = client.get(f"/work/{item}")
            offered = page.status_code == 200 and REFUSED not in page.get_data(as_text=True)
            completed = _completes(db_url, tmp_path, user_id, item, form, n)
            verdicts[(username, f"{form}:{item[:8]}")] = Verdict(item in listed, offered, completed)
    disagree = {k: v for k, v in verdicts.items() if not v.listed == v.offered == v.completed}
    assert disagree == {}
    yes = {k for k, v in verdicts.items() if v.completed}
    assert len(yes) >= 10  # the rule lets the right people act: not a vacuous agreement
    by_user = {user for user, _ in yes}
    assert {"giamdoc", "truong.khtc", "cv.khtc", "truong.vp", "pho.khtc"} <= by_user
    signing = {user for user, step in yes if step.startswith("sign_off")}
    assert signing == {"truong.khtc", "pho.khtc"}  # the head, and the deputy by delegation
    vp_accept = _item(db, staged["giamdoc"], "accept", "4/TB", 3)[:8]
    deciding = {user for user, step in yes if step == f"accept:{vp_accept}"}
    assert deciding == {"giamdoc"}  # VP's leader in charge (and director); not phogiamdoc


def test_an_officer_sees_only_what_the_officer_may_do(db: Database, staged: dict[str, int]) -> None:
    officer = {i.step for i in items_for(db, staged["cv.khtc"])}
    head = {i.step for i in items_for(db, staged["truong.khtc"])}
    assert "report" in head
    assert "acknowledge" in head
    assert not officer & {"report", "contribute", "acknowledge"}
    assert "execute" in officer


def test_work_handed_to_one_officer_leaves_the_other_officers_inbox(
    db: Database, db_url: str, staged: dict[str, int], tmp_path: Path
) -> None:
    handed = _item(db, staged["cv2.cctdc"], "execute", "1/TB", 2)
    assert handed not in {i.work_item_id for i in items_for(db, staged["cv.cctdc"])}
    assert handed in {i.work_item_id for i in items_for(db, staged["truong.cctdc"])}
    assert not _completes(db_url, tmp_path, staged["cv.cctdc"], handed, "execute", 1)
    assert _completes(db_url, tmp_path, staged["cv2.cctdc"], handed, "execute", 2)
    assert _completes(db_url, tmp_path, staged["truong.cctdc"], handed, "execute", 3)
