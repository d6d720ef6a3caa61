"""`dondoc check`: clean on directives at every step; each corruption found by name, exit 1."""

from __future__ import annotations

import hashlib
import json
import secrets
import shutil
import sqlite3
import uuid
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner, Result
from sqlalchemy import select

from tests.helpers import items_for
from tests.workflows.conftest import small_directive
from web.cli import main
from workflows import directives
from workflows.attachments import Upload
from workflows.db import Database
from workflows.entry import DirectiveInput, TaskInput
from workflows.settings import Settings
from workflows.steps import unit_work as steps
from workflows.tables import User

PDF = b"%PDF-1.4\n" + b"0" * 2000 + b"\n%%EOF\n"


@dataclass(frozen=True)
class Scenario:
    """A database file and upload folder with directives at every step, and what is where."""

    db_path: Path
    upload_dir: Path
    ids: dict[str, Any]


def _one_task(today: date, number: str, unit: str) -> DirectiveInput:
    task = TaskInput(f"Nhiệm vụ của {unit}", (unit,), (), today + timedelta(days=15))
    return DirectiveInput(number, "cong_van", "Sở KH&CN", today, f"Công văn {number}", (task,))


def _step(db: Database, user: int, step: str, directive_id: int, task_no: int = 1) -> str:
    found = [
        i.work_item_id
        for i in items_for(db, user, step)
        if i.directive_id == directive_id and i.task_no in (None, task_no)
    ]
    assert len(found) == 1, (step, directive_id, task_no, found)
    return found[0]


def _entered_and_assigned(db: Database, u: dict[str, int], data: DirectiveInput) -> int:
    directive_id = directives.create_directive(db, u["vanthu"], data)
    directives.assign_directive(db, u["giamdoc"], _step(db, u["giamdoc"], "assign", directive_id))
    return directive_id


def _report_and_decide(db: Database, u: dict[str, int], d: int, unit: str, accept: bool) -> None:
    task = 3 if unit == "vp" else 1 if unit in ("khtc", "qlkh", "qlcn", "ttud") else 2
    steps.start_work(db, u[f"cv.{unit}"], _step(db, u[f"cv.{unit}"], "execute", d, task))
    head = u[f"truong.{unit}"]
    steps.submit_report(db, head, _step(db, head, "report", d, task), f"Báo cáo của {unit}")
    accept_item = _step(db, u["giamdoc"], "accept", d, task)
    if accept:
        steps.accept_report(db, u["giamdoc"], accept_item)
    else:
        steps.return_report(db, u["giamdoc"], accept_item, "Thiếu số liệu")


def _small_at_every_step(db: Database, u: dict[str, int], today: date) -> int:
    """KHTC reported (with a file), VP's contribution acknowledged, TTR returned, CCTDC not
    started, VP's own task accepted."""
    d = _entered_and_assigned(db, u, small_directive(today))
    steps.start_work(db, u["cv.khtc"], _step(db, u["cv.khtc"], "execute", d, 1))
    report = _step(db, u["truong.khtc"], "report", d, 1)
    steps.submit_report(
        db, u["truong.khtc"], report, "Đã rà soát", uploads=[Upload("bien-ban.pdf", PDF)]
    )
    steps.start_work(db, u["cv.vp"], _step(db, u["cv.vp"], "execute", d, 1))
    steps.submit_contribution(
        db, u["truong.vp"], _step(db, u["truong.vp"], "contribute", d, 1), "Ý kiến"
    )
    ack = _step(db, u["truong.khtc"], "acknowledge", d, 1)
    steps.acknowledge_contribution(db, u["truong.khtc"], ack)
    _report_and_decide(db, u, d, "ttr", accept=False)
    _report_and_decide(db, u, d, "vp", accept=True)
    return d


def _build(db: Database, today: date) -> dict[str, Any]:
    with db.reading() as session:
        u = {user.username: user.id for user in session.scalars(select(User))}
    completed = _entered_and_assigned(db, u, _one_task(today, "31/CV-SKHCN", "QLKH"))
    _report_and_decide(db, u, completed, "qlkh", accept=True)
    cancelled = _entered_and_assigned(db, u, _one_task(today, "32/CV-SKHCN", "QLCN"))
    directives.cancel_directive(db, u["giamdoc"], cancelled, "Thay thế bằng văn bản khác")
    suspended = _entered_and_assigned(db, u, _one_task(today, "33/CV-SKHCN", "TTUD"))
    directives.suspend_directive(db, u["giamdoc"], suspended, "Chờ ý kiến UBND tỉnh")
    busy = _small_at_every_step(db, u, today)
    waiting = directives.create_directive(db, u["vanthu"], _one_task(today, "34/CV-SKHCN", "KHTC"))
    return {"completed": completed, "busy": busy, "waiting": waiting, "users": u}


@pytest.fixture(scope="module")
def scenario(
    tmp_path_factory: pytest.TempPathFactory, seeded_template: tuple[Path, dict[str, str]]
) -> Scenario:
    folder = tmp_path_factory.mktemp("check")
    db_path, upload_dir = folder / "dondoc.db", folder / "uploads"
    shutil.copyfile(seeded_template[0], db_path)
    db = Database(f"sqlite:///{db_path}", Settings(upload_dir=upload_dir))
    try:
        ids = _build(db, datetime.now(ZoneInfo("Asia/Ho_Chi_Minh")).date())
    finally:
        db.dispose()
    return Scenario(db_path, upload_dir, ids)


@pytest.fixture
def copy(scenario: Scenario, tmp_path: Path) -> Scenario:
    """This test's own copy of the scenario, free to corrupt."""
    db_path, upload_dir = tmp_path / "dondoc.db", tmp_path / "uploads"
    shutil.copyfile(scenario.db_path, db_path)
    shutil.copytree(scenario.upload_dir, upload_dir)
    return Scenario(db_path, upload_dir, scenario.ids)


def _check(where: Scenario, *args: str) -> Result:
    env = {
        "DONDOC_INSTANCE_DIR": str(where.db_path.parent),
        "DONDOC_DATABASE_URL": f"sqlite:///{where.db_path}",
        "DONDOC_UPLOAD_DIR": str(where.upload_dir),
        "DONDOC_SECRET_KEY": "test",
    }
    return CliRunner().invoke(main, ["check", *args], env=env)


def _sql(where: Scenario, statement: str, *params: Any) -> Any:
    with sqlite3.connect(where.db_path) as connection:
        return connection.execute(statement, params).fetchall()


def _instance(where: Scenario, key: str) -> int:
    rows = _sql(where, "SELECT process_instance_id FROM directive WHERE id = ?", where.ids[key])
    return int(rows[0][0])


def _assignment(where: Scenario, unit: str, key: str = "busy") -> int:
    rows = _sql(
        where,
        "SELECT id FROM assignment WHERE directive_id = ? AND unit_code = ? AND role = 'lead'",
        where.ids[key],
        unit,
    )
    return int(rows[0][0])


def test_directives_at_every_step_are_clean_and_the_check_writes_nothing(copy: Scenario) -> None:
    digest = hashlib.sha256(copy.db_path.read_bytes()).hexdigest()
    result = _check(copy)
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[:7] == [
        "work_items: ok",
        "assignment_states: ok",
        "directive_status: ok",
        "history: ok",
        "attachments: ok",
        "state_size: ok",
        "due_items: ok",
    ]
    assert lines[7].startswith("0 finding(s) in 7 checks (5 directives")
    report = json.loads(_check(copy, "--json").output)
    assert report["clean"] is True
    assert report["examined"]["instances_deserialized"] == 3  # busy, waiting, suspended
    assert hashlib.sha256(copy.db_path.read_bytes()).hexdigest() == digest


def _delete_a_work_item(where: Scenario) -> str:
    cctdc = _assignment(where, "CCTDC")
    (item,) = _sql(where, "SELECT id FROM work_item WHERE ref = ?", str(cctdc))[0]
    _sql(where, "DELETE FROM work_item WHERE id = ?", item)
    return item


def _add_a_stray_work_item(where: Scenario) -> str:
    item = str(uuid.uuid4())
    _sql(
        where,
        "INSERT INTO work_item (id, instance_id, task_name, title, form, lane, unit, ref,"
        " assignee, due_at, created_at) VALUES (?, ?, 'report', 'Báo cáo', 'report', 'unit',"
        " 'KHTC', NULL, NULL, NULL, '2025-01-01 00:00:00')",
        item,
        _instance(where, "busy"),
    )
    return item


def _set_an_assignment_state_wrong(where: Scenario) -> str:
    ttr = _assignment(where, "TTR")
    _sql(where, "UPDATE assignment SET state = 'accepted' WHERE id = ?", ttr)
    return f"assignment #{ttr} (TTR"


def _set_a_directive_status_wrong(where: Scenario) -> str:
    _sql(where, "UPDATE directive SET status = 'in_progress' WHERE id = ?", where.ids["completed"])
    return "directive 31/CV-SKHCN"


def _delete_an_acceptance_event(where: Scenario) -> str:
    vp = _assignment(where, "VP")
    _sql(where, "DELETE FROM event WHERE assignment_id = ? AND kind = 'report_accepted'", vp)
    return f"assignment #{vp} (VP), report #"


def _delete_an_attachment_file(where: Scenario) -> str:
    ((stored,),) = _sql(where, "SELECT stored_name FROM attachment")
    (where.upload_dir / stored).unlink()
    return "'bien-ban.pdf'"


def _bloat_a_state(where: Scenario) -> str:
    """A valid state grown past the 5 MB limit (random text: compression cannot hide it)."""
    instance = _instance(where, "busy")
    (blob,) = _sql(where, "SELECT state FROM process_instance WHERE id = ?", instance)[0]
    top = json.loads(zlib.decompress(blob))
    top["data"]["padding"] = secrets.token_hex(6 * 1024 * 1024)
    bloated = zlib.compress(json.dumps(top).encode(), 6)
    _sql(where, "UPDATE process_instance SET state = ? WHERE id = ?", bloated, instance)
    return "directive 12/TB-SKHCN"


def _move_a_due_date(where: Scenario) -> str:
    ttr = _assignment(where, "TTR")
    _sql(where, "UPDATE due_item SET due_at = '2031-01-01 00:00:00' WHERE assignment_id = ?", ttr)
    return f"assignment #{ttr}, period 1"


CORRUPTIONS: dict[str, tuple[str, Callable[[Scenario], str]]] = {
    "deleted work item": ("work_items", _delete_a_work_item),
    "stray work item": ("work_items", _add_a_stray_work_item),
    "wrong assignment state": ("assignment_states", _set_an_assignment_state_wrong),
    "wrong directive status": ("directive_status", _set_a_directive_status_wrong),
    "deleted acceptance event": ("history", _delete_an_acceptance_event),
    "deleted attachment file": ("attachments", _delete_an_attachment_file),
    "bloated state": ("state_size", _bloat_a_state),
    "due item out of step": ("due_items", _move_a_due_date),
}


@pytest.mark.parametrize("corruption", list(CORRUPTIONS))
def test_each_corruption_is_found_by_name_with_exit_status_1(
    copy: Scenario, corruption: str
) -> None:
    check, corrupt = CORRUPTIONS[corruption]
    named = corrupt(copy)
    result = _check(copy, "--json")
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["clean"] is False
    (finding,) = report["findings"]
    assert finding["check"] == check
    assert named in finding["subject"]
    assert finding["problem"]
    text = _check(copy)
    assert text.exit_code == 1
    assert f"{check}: 1 finding(s)" in text.output
    assert named in text.output


def test_a_check_that_cannot_run_exits_2(tmp_path: Path, copy: Scenario) -> None:
    missing = Scenario(tmp_path / "nowhere" / "dondoc.db", tmp_path / "uploads", {})
    result = _check(missing)
    assert result.exit_code == 2
    assert "there is no database at" in result.output
    assert not missing.db_path.exists()
    _sql(copy, "UPDATE alembic_version SET version_num = '0001'")
    behind = _check(copy)
    assert behind.exit_code == 2
    assert "at revision 0001" in behind.output
