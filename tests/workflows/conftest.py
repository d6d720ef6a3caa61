"""Fixtures for domain tests: directives already entered and assigned."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.helpers import item_of
from workflows import directives
from workflows.db import Database
from workflows.entry import DirectiveInput, TaskInput
from workflows.setup import demo


def small_directive(issued_on: date, number: str = "12/TB-SKHCN") -> DirectiveInput:
    """Three tasks over four units: a lead with a coordinating unit, two leads, a lone lead."""
    return DirectiveInput(
        number=number,
        kind="thong_bao_ket_luan",
        issuer="Sở Khoa học và Công nghệ tỉnh Lạng Sơn",
        issued_on=issued_on,
        title="Kết luận giao ban tháng 11",
        tasks=(
            TaskInput("Rà soát dự toán", ("KHTC",), ("VP",), issued_on + timedelta(days=10)),
            TaskInput("Kiểm tra đo lường", ("TTR", "CCTDC"), (), issued_on + timedelta(days=20)),
            TaskInput("Báo cáo thường xuyên", ("VP",), (), None),
        ),
    )


@pytest.fixture
def assigned_small(db: Database, users: dict[str, int], today: date) -> int:
    """The small directive, entered by the clerk and assigned by the director."""
    directive_id = directives.create_directive(db, users["vanthu"], small_directive(today))
    assign = item_of(db, users["giamdoc"], "assign")
    directives.assign_directive(db, users["giamdoc"], assign.work_item_id)
    return directive_id


@pytest.fixture
def assigned_tet(db: Database, users: dict[str, int], today: date) -> int:
    """The Tết directive (29 assignments), entered and assigned."""
    directive_id = directives.create_directive(db, users["vanthu"], demo.tet_directive(today))
    assign = item_of(db, users["giamdoc"], "assign")
    directives.assign_directive(db, users["giamdoc"], assign.work_item_id)
    return directive_id
