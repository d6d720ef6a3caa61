"""The directive list (filters, diacritic-blind search) and handing work to a person."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import pytest

from tests.helpers import item_of, items_for
from tests.workflows.conftest import small_directive
from workflows import directives
from workflows.db import Database
from workflows.errors import InvalidInput, NotAssignedToUnit, RoleRequired
from workflows.read.listing import DirectiveFilter, list_directives
from workflows.rules.folding import fold
from workflows.setup import demo
from workflows.steps import unit_work as steps


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Tết Nguyên đán", "tet nguyen dan"),
        ("Chi cục TĐC", "chi cuc tdc"),
        ("Ủy ban", "uy ban"),
        ("Uỷ ban", "uy ban"),
        ("  Đôn   đốc ", "don doc"),
    ],
)
def test_folding(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.fixture
def three(db: Database, users, today: date) -> dict[str, int]:
    tet = directives.create_directive(db, users["vanthu"], demo.tet_directive(today))
    item = item_of(db, users["giamdoc"], "assign")
    directives.assign_directive(db, users["giamdoc"], item.work_item_id)
    small = directives.create_directive(db, users["vanthu"], small_directive(today))
    old = directives.create_directive(
        db,
        users["vanthu"],
        replace(
            small_directive(today - timedelta(days=400), "3/CT-UBND"),
            issuer="Ủy ban nhân dân tỉnh Lạng Sơn",
            title="Chỉ thị về công tác phòng cháy",
            tasks=small_directive(today).tasks,
        ),
    )
    return {"tet": tet, "small": small, "old": old}


def _numbers(db: Database, user_id: int, **flt: object) -> list[str]:
    page = list_directives(db, user_id, DirectiveFilter(**flt))  # type: ignore[arg-type]
    return [row.number for row in page.rows]


def test_search_ignores_diacritics_and_case(db: Database, users, three) -> None:
    boss = users["giamdoc"]
    assert _numbers(db, boss, query="tet nguyen dan") == ["01/KH-SKHCN"]
    assert _numbers(db, boss, query="TẾT") == ["01/KH-SKHCN"]
    assert _numbers(db, boss, query="uy ban phong chay") == ["3/CT-UBND"]
    assert _numbers(db, boss, query="Uỷ ban") == ["3/CT-UBND"]
    assert _numbers(db, boss, query="100%_") == []


def test_filters_by_status_issuer_unit_and_period(db: Database, users, three, today) -> None:
    boss = users["giamdoc"]
    assert _numbers(db, boss, status="in_progress") == ["01/KH-SKHCN"]
    assert sorted(_numbers(db, boss, status="assigning")) == ["12/TB-SKHCN", "3/CT-UBND"]
    assert _numbers(db, boss, issuer="Ủy ban nhân dân tỉnh Lạng Sơn") == ["3/CT-UBND"]
    assert _numbers(db, boss, unit_code="TTUD", status="in_progress") == ["01/KH-SKHCN"]
    assert _numbers(db, boss, issued_to=today - timedelta(days=30)) == ["3/CT-UBND"]
    page = list_directives(db, boss, DirectiveFilter(status="in_progress"))
    assert (page.rows[0].assignments, page.rows[0].accepted, page.rows[0].overdue) == (29, 0, 0)


def test_overdue_filter_uses_the_clock(db: Database, users, three, today) -> None:
    later = today + timedelta(days=60)
    from datetime import UTC, datetime

    moment = datetime(later.year, later.month, later.day, tzinfo=UTC)
    page = list_directives(db, users["giamdoc"], DirectiveFilter(overdue_only=True), now=moment)
    assert [r.number for r in page.rows] == ["01/KH-SKHCN"]
    assert page.rows[0].overdue == 27  # all but the two ongoing tasks
    assert list_directives(db, users["giamdoc"], DirectiveFilter(overdue_only=True)).rows == ()


def test_units_list_only_what_was_assigned_to_them(db: Database, users, three) -> None:
    assert _numbers(db, users["cv.qlkh"]) == ["01/KH-SKHCN"]  # drafts are not shown to units
    assert _numbers(db, users["truong.ttud"], query="ủy ban nhân dân") == []


def test_pagination_counts_everything(db: Database, users, three) -> None:
    first = list_directives(db, users["giamdoc"], page=1, per_page=2)
    second = list_directives(db, users["giamdoc"], page=2, per_page=2)
    assert first.total == second.total == 3
    assert len(first.rows) == 2
    assert len(second.rows) == 1
    assert {r.id for r in first.rows}.isdisjoint({r.id for r in second.rows})


def test_the_head_hands_work_to_a_person_and_only_they_see_it(
    db: Database, users, assigned_small
) -> None:
    item = item_of(db, users["truong.khtc"], "execute", task_no=1)
    with pytest.raises(RoleRequired):
        steps.hand_over(db, users["cv.khtc"], item.assignment_id, users["cv.khtc"])
    with pytest.raises(NotAssignedToUnit):
        steps.hand_over(db, users["truong.vp"], item.assignment_id, users["cv.vp"])
    with pytest.raises(InvalidInput):
        steps.hand_over(db, users["truong.khtc"], item.assignment_id, users["cv.vp"])
    steps.hand_over(db, users["truong.khtc"], item.assignment_id, users["truong.khtc"])
    assert items_for(db, users["cv.khtc"], "execute") == []
    with pytest.raises(NotAssignedToUnit):
        steps.start_work(db, users["cv.khtc"], item.work_item_id)
    steps.hand_over(db, users["truong.khtc"], item.assignment_id, users["cv.khtc"])
    (mine,) = items_for(db, users["cv.khtc"], "execute")
    assert mine.assignee == "Chuyên viên (KHTC)"
    steps.start_work(db, users["cv.khtc"], item.work_item_id)
