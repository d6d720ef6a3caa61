"""Every figure of the oversight counts, checked against a hand count, on SQLite and PostgreSQL.

The data set is tests/workflows/oversight_data.py (its docstring tells the story); each expected
grid below is counted by hand from it: (on time, late, in term, overdue, no deadline).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime
from fractions import Fraction

import pytest
from sqlalchemy import select

from tests.conftest import seed
from tests.workflows import oversight_data
from tests.workflows.oversight_data import World, at
from workflows import tallies
from workflows.db import Database
from workflows.read import counting_sql
from workflows.read.statistics import StatsQuery, statistics, window_of
from workflows.rules import counting, periods
from workflows.rules.counting import Grid
from workflows.settings import Settings
from workflows.tables import DueChange, DueItem, User

Q1 = periods.period_of("quarter", date(2025, 2, 1))
Q2 = periods.period_of("quarter", date(2025, 5, 1))
NOW = at("12-01")


def g(on_time: int = 0, late: int = 0, in_term: int = 0, overdue: int = 0, none: int = 0) -> Grid:
    return Grid(on_time, late, in_term, overdue, none)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def world(request: pytest.FixtureRequest, tmp_path) -> Iterator[World]:
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'o.db'}"
    else:
        url = request.getfixturevalue("pg_url")
    seed(url)
    db = Database(url, Settings(upload_dir=tmp_path / "uploads"))
    with db.reading() as session:
        users = {u.username: u.id for u in session.scalars(select(User))}
    yield oversight_data.build(db, users)
    db.dispose()


def count(w: World, by: str, period: periods.Period, as_of: str, **more: object):
    query = StatsQuery(period, by=by, as_of=oversight_data.d(as_of), **more)  # type: ignore[arg-type]
    return statistics(w.db, w.users["giamdoc"], query, now=NOW)


def rows(result) -> dict[str, Grid]:
    return {row.key: row.grid for row in result.rows}


def test_units_in_the_first_quarter_by_due_date(world: World) -> None:
    result = count(world, "unit", Q1, "03-25")
    assert rows(result) == {
        "KHTC": g(on_time=1),
        "TTR": g(on_time=1, in_term=1),
        "CCTDC": g(late=1),
        "VP": g(on_time=1, none=1),
        "QLKH": g(in_term=1, overdue=1),
        "TTUD": g(late=1, overdue=1),
        "QLCN": g(on_time=1, none=1),
    }
    assert result.total == g(4, 2, 2, 2, 2)
    assert result.total.completion_rate == Fraction(3, 4)
    assert result.total.on_time_rate == Fraction(1, 2)
    assert counting.percent(result.total.completion_rate) == counting.Decimal("75.0")
    coordinating = {row.key: row.coordinating for row in result.rows if row.coordinating.total}
    assert coordinating == {"VP": g(on_time=1), "QLKH": g(on_time=1)}
    assert (result.suspended, result.cancelled) == (1, 1)
    names = [row.name for row in result.rows]
    assert names == sorted(names, key=counting_key())  # Vietnamese order: Chi cục, Phòng, ...


def counting_key():
    from workflows.rules.collation import sort_key

    return sort_key


def test_tasks_directives_issuers_and_leaders(world: World) -> None:
    tasks = count(world, "task", Q1, "03-25")
    assert tasks.total == g(3, 2, 2, 2, 2)
    assert tasks.total.completion_rate == Fraction(5, 7)
    assert tasks.total.on_time_rate == Fraction(3, 7)
    assert len(tasks.rows) == 11  # one row per task (and per reporting period)
    by_directive = count(world, "directive", Q1, "03-25")
    assert {row.name.split(" ")[0]: row.grid for row in by_directive.rows} == {
        "01/KH-UBND": g(on_time=2, late=2, in_term=1, none=1),
        "15/CT-UBND": g(overdue=1),
        "20/TB-SKHCN": g(on_time=1, in_term=1, none=1),
        "40/KH-UBND": g(overdue=1),
    }
    assert rows(count(world, "issuer", Q1, "03-25")) == {
        oversight_data.SO: g(on_time=1, in_term=1, none=1),
        oversight_data.UBND: g(on_time=2, late=2, in_term=1, overdue=2, none=1),
    }
    leaders = count(world, "leader", Q1, "03-25")
    assert rows(leaders) == {
        str(world.users["giamdoc"]): g(on_time=2, late=1, in_term=1),
        str(world.users["phogiamdoc"]): g(late=1, in_term=1, overdue=2),
        "none": g(on_time=2, none=2),
    }
    assert leaders.total == count(world, "unit", Q1, "03-25").total


def test_extensions_count_against_the_deadline_of_the_day(world: World) -> None:
    extended = count(world, "unit", Q1, "03-25")
    original = count(world, "unit", Q1, "03-25", original=True)
    assert rows(original)["QLCN"] == g(on_time=1, overdue=1, none=1)  # B1 was due 20/03
    assert original.total == g(4, 2, 2, 3, 2)
    assert rows(extended)["QLCN"] == g(on_time=1, none=1)  # B1 now due 15/04, out of Q1
    before_grant = count(world, "unit", Q1, "03-15")  # asked 15/03, granted 16/03
    assert rows(before_grant)["QLCN"] == g(on_time=1, in_term=1, none=1)


def test_issue_date_basis_and_a_task_crossing_quarters(world: World) -> None:
    issued = count(world, "unit", Q1, "03-31", basis="issued")
    assert issued.total == g(5, 2, 4, 4, 2)  # B3 (issued Feb, due Apr) is here, on time
    tasks = count(world, "task", Q1, "03-31", basis="issued")
    assert tasks.total == g(4, 2, 4, 4, 2)
    second = count(world, "unit", Q2, "06-30")
    assert second.total == g(on_time=2, late=1, overdue=2)  # B3 by its due date is here
    assert second.total.completion_rate == Fraction(3, 5)
    assert (second.suspended, second.cancelled) == (0, 0)
    later = count(world, "unit", Q2, "07-05")  # C2's report of 30/06 accepted on 01/07
    assert later.total == g(on_time=3, late=1, overdue=1)


def test_a_head_sees_only_their_unit(world: World) -> None:
    query = StatsQuery(Q1, by="unit", as_of=oversight_data.d("03-25"))
    mine = statistics(world.db, world.head("QLKH"), query, now=NOW)
    assert rows(mine) == {"QLKH": g(in_term=1, overdue=1)}
    assert mine.own_unit == "QLKH"


def test_sql_agrees_with_the_python_rules_on_every_item_and_task(world: World) -> None:
    items, leads = _python_items(world.db)
    for day in ("02-01", "03-15", "03-25", "03-31", "04-20", "07-05", "12-01"):
        for original in (False, True):
            query = StatsQuery(Q1, as_of=oversight_data.d(day), original=original)
            window = window_of(world.db, query, NOW)
            with world.db.reading() as session:
                stmt = counting_sql.items(window, period=False)
                sql_items = {r.item_id: r.category for r in session.execute(stmt)}
                tasks = counting_sql.tasks(stmt.where(DueItem.role == "lead").subquery())
                sql_tasks = {(r.task_id, r.cycle): r.category for r in session.execute(tasks)}
            expected = {
                i: counting.classify(item, window.as_of, original)
                for i, item in items.items()
                if sql_items.get(i) is not None or _counted(world, i, window.as_of)
            }
            assert sql_items == expected, day
            assert sql_tasks == {
                key: counting.classify_task(
                    [items[i] for i in ids if items[i].assigned_at <= window.as_of],
                    window.as_of,
                    original,
                )
                for key, ids in leads.items()
                if key in sql_tasks
            }


def _counted(world: World, item_id: int, as_of: datetime) -> bool:
    with world.db.reading() as session:
        query = counting_sql.items(
            counting_sql.Window(as_of, as_of, as_of, date.min, date.max), period=False
        ).where(DueItem.id == item_id)
        return session.execute(query).first() is not None


def _python_items(db: Database):
    with db.reading() as session:
        changes: dict[int, list[tuple[datetime, datetime]]] = {}
        for item_id, when, due in session.execute(
            select(DueChange.item_id, DueChange.at, DueChange.due_at).order_by(DueChange.id)
        ):
            changes.setdefault(item_id, []).append((when, due))
        items, leads = {}, {}
        for row in session.scalars(select(DueItem)):
            items[row.id] = counting.Item(
                row.assigned_at,
                row.original_due_at,
                tuple(changes.get(row.id, [])),
                row.completed_at,
                row.accepted_at,
            )
            if row.role == "lead":
                leads.setdefault((row.task_id, row.cycle), []).append(row.id)
        return items, leads


def test_the_summary_table_agrees_with_a_full_recount(world: World) -> None:
    with world.db.reading() as session:
        assert tallies.disagreements(session) == []
        assert session.query(DueItem).count() == 21  # 19 lead (C4: 3 periods), 2 coordinating
        assert session.query(DueChange).count() == 1


def test_search_finds_task_texts_and_unit_names(world: World) -> None:
    from workflows.read.listing import DirectiveFilter, list_directives

    def found(words: str) -> set[str]:
        page = list_directives(world.db, world.users["giamdoc"], DirectiveFilter(query=words))
        return {row.number for row in page.rows}

    assert found("nghiệm thu") == {"01/KH-UBND"}  # only a task says it
    assert found("đo lường") == {"01/KH-UBND", "15/CT-UBND", "20/TB-SKHCN"}  # tasks, units
    assert found("kiem dinh phuong tien do") == {"20/TB-SKHCN"}
    assert found("Chi cục Tiêu chuẩn") == {"01/KH-UBND", "20/TB-SKHCN"}  # a lead unit's name
