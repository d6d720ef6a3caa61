"""Moving running directives to another version of the diagram: the dry run and the move."""

from __future__ import annotations

from datetime import date
from typing import Any

import pytest
from sqlalchemy import select

from engine.tables import ProcessInstance, WorkItem
from tests.conftest import seed
from tests.engine import variants
from tests.helpers import item_of, items_for, snapshot
from tests.workflows.conftest import small_directive
from workflows import directives
from workflows.db import Database
from workflows.diagrams import migration as diagrams
from workflows.errors import InvalidInput, NotFound, RoleRequired
from workflows.steps import unit_work as steps
from workflows.tables import Directive, Event, User


def save_version(db: Database, xml: bytes) -> int:
    """Store a variant of the diagram as the next version, as the modeler would."""
    return db.command(lambda s: db.processes.save_model(s, "directive", xml, author="admin").id)


def second_directive(db: Database, users: dict[str, int], today: date) -> int:
    directive_id = directives.create_directive(
        db, users["vanthu"], small_directive(today, "13/TB-SKHCN")
    )
    assign = item_of(db, users["giamdoc"], "assign")
    directives.assign_directive(db, users["giamdoc"], assign.work_item_id)
    return directive_id


def item_in(db: Database, user_id: int, step: str, directive_id: int, role: str = "lead") -> Any:
    """The one ready item of a step of one directive in a user's inbox."""
    (found,) = [
        item
        for item in items_for(db, user_id, step)
        if item.directive_id == directive_id and item.role in (role, None)
    ]
    return found


def migrated_events(db: Database) -> list[tuple[Any, ...]]:
    with db.reading() as session:
        rows = session.execute(
            select(Event.directive_id, Event.before, Event.after)
            .where(Event.kind == "process_migrated")
            .order_by(Event.id)
        )
        return [tuple(row) for row in rows]


def stored(db: Database, directive_id: int) -> tuple[int, int, tuple[str, ...]]:
    """The model version, row version and open work items of a directive's process."""
    with db.reading() as session:
        directive = session.get(Directive, directive_id)
        assert directive is not None
        row = session.get(ProcessInstance, directive.process_instance_id)
        assert row is not None
        items = session.scalars(
            select(WorkItem.id).where(WorkItem.instance_id == row.id).order_by(WorkItem.id)
        )
        return row.model_version_id, row.version_id, tuple(items)


def version_of(db: Database, directive_id: int) -> int:
    return stored(db, directive_id)[0]


def test_only_an_admin_plans_or_moves(db: Database, users, assigned_small) -> None:
    target = save_version(db, variants.with_legal_review())
    with pytest.raises(RoleRequired):
        diagrams.migration_plan(db, users["giamdoc"], target)
    with pytest.raises(RoleRequired):
        diagrams.migrate_directives(db, users["giamdoc"], target, [assigned_small])
    assert migrated_events(db) == []


def test_unknown_versions_and_directives_are_not_found(db: Database, users, assigned_small) -> None:
    with pytest.raises(NotFound):
        diagrams.migration_plan(db, users["admin"], 999)
    target = save_version(db, variants.with_legal_review())
    with pytest.raises(NotFound):
        diagrams.migration_plan(db, users["admin"], target, [assigned_small, 999])
    with pytest.raises(InvalidInput):
        diagrams.migrate_directives(db, users["admin"], target, [])


def test_the_plan_lists_unfinished_directives_on_other_versions(
    db: Database, users, assigned_small, today
) -> None:
    other = second_directive(db, users, today)
    cancelled = directives.create_directive(
        db, users["vanthu"], small_directive(today, "14/TB-SKHCN")
    )
    directives.cancel_directive(db, users["giamdoc"], cancelled, "nhập nhầm")
    target = save_version(db, variants.with_legal_review())
    before = snapshot(db)

    plan = diagrams.migration_plan(db, users["admin"], target)

    assert snapshot(db) == before
    assert [c.directive_id for c in plan] == [assigned_small, other]
    first = plan[0]
    assert (first.number, first.from_version, first.to_version, first.can_move) == (
        "12/TB-SKHCN",
        1,
        2,
        True,
    )
    assert set(first.steps) == {"execute", "coord_execute"}
    assert first.reasons == ()


def test_moved_directives_are_recorded_and_go_through_the_new_step(
    db: Database, users, assigned_small, today
) -> None:
    other = second_directive(db, users, today)
    target = save_version(db, variants.with_legal_review())

    outcome = diagrams.migrate_directives(db, users["admin"], target, [assigned_small, other])

    assert (outcome.moved, dict(outcome.refused)) == ((assigned_small, other), {})
    assert migrated_events(db) == [
        (assigned_small, {"version": 1}, {"version": 2}),
        (other, {"version": 1}, {"version": 2}),
    ]
    assert version_of(db, assigned_small) == target
    assert diagrams.migration_plan(db, users["admin"], target) == []
    head, staff = users["truong.khtc"], users["cv.khtc"]
    steps.start_work(db, staff, item_in(db, staff, "execute", assigned_small).work_item_id)
    report = item_in(db, head, "report", assigned_small)
    steps.submit_report(db, head, report.work_item_id, "Đã rà soát xong")
    review = item_in(db, users["giamdoc"], "accept", assigned_small)
    assert (review.title, review.assignment_id) == ("Thẩm định / Review", report.assignment_id)


def test_a_refused_directive_stays_and_the_others_move(
    db: Database, users, assigned_small, today
) -> None:
    other = second_directive(db, users, today)
    vp = users["cv.vp"]
    coordinating = item_in(db, vp, "execute", assigned_small, "coordinating")
    steps.start_work(db, vp, coordinating.work_item_id)  # the VP's part is now at contribute
    target = save_version(db, variants.without_contribute())
    plan = {c.directive_id: c for c in diagrams.migration_plan(db, users["admin"], target)}
    assert (plan[assigned_small].can_move, plan[other].can_move) == (False, True)
    before = stored(db, assigned_small)

    outcome = diagrams.migrate_directives(db, users["admin"], target, [assigned_small, 404, other])

    assert outcome.moved == (other,)
    assert set(outcome.refused) == {assigned_small, 404}
    assert "step 'contribute' (READY) does not exist in version 2" in {
        str(reason) for reason in outcome.refused[assigned_small]
    }
    assert [str(r) for r in outcome.refused[404]] == ["no directive 404"]
    assert [e[0] for e in migrated_events(db)] == [other]
    assert stored(db, assigned_small) == before
    assert version_of(db, other) == target


@pytest.mark.pg
def test_a_directive_moves_on_postgresql(pg_url: str, today) -> None:
    seed(pg_url)
    db = Database(pg_url)
    try:
        with db.reading() as session:
            users = {u.username: u.id for u in session.scalars(select(User))}
        directive_id = directives.create_directive(db, users["vanthu"], small_directive(today))
        target = save_version(db, variants.with_legal_review())

        (check,) = diagrams.migration_plan(db, users["admin"], target)
        outcome = diagrams.migrate_directives(db, users["admin"], target, [directive_id])

        assert (check.directive_id, check.steps, check.can_move) == (
            directive_id,
            ("assign",),
            True,
        )
        assert outcome.moved == (directive_id,)
        assert version_of(db, directive_id) == target
        assign = item_of(db, users["giamdoc"], "assign")
        directives.assign_directive(db, users["giamdoc"], assign.work_item_id)
        assert migrated_events(db) == [(directive_id, {"version": 1}, {"version": 2})]
    finally:
        db.dispose()


@pytest.mark.pg
def test_two_admins_saving_at_once_get_two_versions_on_postgresql(pg_url: str) -> None:
    """Both compute the same next number; the loser's unique-key error is retried, not a 500."""
    from concurrent.futures import ThreadPoolExecutor

    from workflows.diagrams import versions as process_models

    seed(pg_url)
    db = Database(pg_url)
    try:
        with db.reading() as session:
            admin = session.scalar(select(User.id).where(User.username == "admin"))
        assert admin is not None
        texts = [variants.renamed("accept", f"Duyệt lần {n}") for n in range(8)]
        with ThreadPoolExecutor(8) as pool:
            saved = list(
                pool.map(
                    lambda xml: process_models.save_version(db, admin, xml, "song song"), texts
                )
            )
        assert sorted(v.number for v in saved) == list(range(2, 10))
    finally:
        db.dispose()
