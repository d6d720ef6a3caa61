"""What was assigned a moment ago is counted at once, not from the next minute on."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from tests.helpers import item_of
from tests.workflows.conftest import small_directive
from workflows import directives
from workflows.db import Database
from workflows.read.dashboard import dashboard
from workflows.read.statistics import StatsQuery, statistics
from workflows.rules import periods


def test_a_directive_assigned_this_minute_is_counted_in_that_minute(
    db: Database, users: dict[str, int], today: date
) -> None:
    moment = datetime.combine(today, datetime.min.time(), UTC) + timedelta(hours=3, seconds=30)
    query = StatsQuery(periods.Period("custom", today, today + timedelta(days=40)), by="unit")
    leader = users["giamdoc"]
    assert statistics(db, leader, query, now=moment).total.open_in_term == 0  # an answer kept
    directives.create_directive(db, users["vanthu"], small_directive(today), now=moment)
    assign = item_of(db, leader, "assign")
    directives.assign_directive(db, leader, assign.work_item_id, now=moment + timedelta(seconds=5))
    later = moment + timedelta(seconds=20)  # the same minute as the assignment
    counted = statistics(db, leader, query, now=later)
    assert counted.total.open_in_term == 3  # KHTC, TTR, CCTDC lead with deadlines; VP has none
    assert counted.total.no_deadline == 1
    board = dashboard(db, leader, query, now=later)
    assert board.tasks.open_in_term + board.tasks.no_deadline == 3  # three tasks
    assert {row.key for row in board.units.rows} == {"KHTC", "TTR", "CCTDC", "VP"}
