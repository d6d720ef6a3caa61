"""Entry in the domain: proposals against the database's units, kept files, drafts, templates,
the deadline phrase on a task, and the wording kept through the assign step."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from tests.helpers import item_of
from workflows import directives
from workflows.attachments import Upload
from workflows.db import Database
from workflows.entry import DirectiveInput, TaskInput
from workflows.entry.drafts import delete_draft, list_drafts, open_draft, save_draft
from workflows.entry.proposals import ProposalSource, propose_directive
from workflows.entry.stash import drop_stashed, stash_files, stashed, unstash
from workflows.entry.templates import save_template, start_from_template
from workflows.errors import InvalidInput, NotFound, RoleRequired
from workflows.organisation.units import update_unit
from workflows.rules.importing.deadlines import lunar_new_year
from workflows.tables import Task, Unit

PDF = b"%PDF-1.4\n%%EOF\n"


def test_an_alias_given_on_the_unit_page_is_recognised(db: Database, users) -> None:
    text = "1. Tổ Tiêu chuẩn hóa rà soát tiêu chuẩn cơ sở, trước ngày 20/12."
    proposal = propose_directive(db, users["vanthu"], ProposalSource(text=text))
    assert [r.code for r in proposal.tasks[0].lead] == [None]
    assert proposal.new_units == ("Tổ Tiêu chuẩn hóa",)
    with db.reading() as session:
        unit_id = session.scalar(select(Unit.id).where(Unit.code == "CCTDC"))
    update_unit(
        db,
        users["admin"],
        unit_id or 0,
        name="Chi cục Tiêu chuẩn Đo lường Chất lượng",
        active=True,
        aliases=["Tổ Tiêu chuẩn hóa", " tổ tiêu chuẩn hoá "],
    )
    proposal = propose_directive(db, users["vanthu"], ProposalSource(text=text))
    assert [r.code for r in proposal.tasks[0].lead] == ["CCTDC"]
    with db.reading() as session:
        unit = session.get(Unit, unit_id)
        assert unit is not None
        assert unit.aliases == ["Tổ Tiêu chuẩn hóa"]  # one of each, folded


def test_only_clerks_and_leaders_get_proposals(db: Database, users) -> None:
    with pytest.raises(RoleRequired):
        propose_directive(db, users["cv.khtc"], ProposalSource(text="1. Phòng KH-TC rà soát."))


def test_stashed_files_are_the_uploaders_own(db: Database, users) -> None:
    token = stash_files(db, users["vanthu"], "", [Upload("a.pdf", PDF), Upload("b.pdf", PDF)])
    files = stashed(db, users["vanthu"], token)
    assert [f.filename for f in files] == ["a.pdf", "b.pdf"]
    with pytest.raises(NotFound):
        stashed(db, users["giamdoc"], token)
    drop_stashed(db, users["vanthu"], token, [files[0].key])
    assert [u.filename for u in unstash(db, users["vanthu"], token)] == ["b.pdf"]
    with pytest.raises(InvalidInput):
        stash_files(db, users["vanthu"], token, [Upload("x.exe", b"MZ")])


def test_drafts_are_saved_listed_reopened_and_deleted(db: Database, users) -> None:
    form = {"number": ["7/KH-SKHCN"], "title": ["Dở dang"], "tasks-0-content": ["Việc A"]}
    draft_id = save_draft(db, users["vanthu"], form, "")
    again = save_draft(db, users["vanthu"], {**form, "title": ["Sửa lại"]}, "", draft_id)
    assert again == draft_id
    (row,) = list_drafts(db, users["vanthu"])
    assert (row.number, row.title) == ("7/KH-SKHCN", "Sửa lại")
    assert list_drafts(db, users["giamdoc"]) == []
    assert open_draft(db, users["vanthu"], draft_id).form["title"] == ["Sửa lại"]
    with pytest.raises(NotFound):
        open_draft(db, users["giamdoc"], draft_id)
    delete_draft(db, users["vanthu"], draft_id)
    assert list_drafts(db, users["vanthu"]) == []


def test_a_phrase_alone_is_read_and_kept_through_assignment(db: Database, users, today) -> None:
    data = DirectiveInput(
        "31/TB-SKHCN",
        "thong_bao_ket_luan",
        "Sở KH&CN",
        today,
        "Kết luận",
        (
            TaskInput("Rà soát", ("KHTC",), due_text="trong quý IV"),
            TaskInput("Theo dõi", ("VP",), due_text="thường xuyên"),
            TaskInput("Báo cáo", ("TTR",), due_text="định kỳ hằng quý"),
        ),
    )
    directives.create_directive(db, users["vanthu"], data)
    assign = item_of(db, users["giamdoc"], "assign")
    page_tasks = (  # the assign form sends back dates, not phrases
        TaskInput("Rà soát", ("KHTC",), due_on=date(today.year, 12, 31)),
        TaskInput("Theo dõi", ("VP",)),
        TaskInput("Báo cáo", ("TTR",), reporting="quarterly", reporting_until=_end(today)),
    )
    directives.assign_directive(db, users["giamdoc"], assign.work_item_id, page_tasks)
    with db.reading() as session:
        tasks = session.scalars(select(Task).order_by(Task.number)).all()
        assert [(t.due_on, t.due_text, t.reporting) for t in tasks] == [
            (date(today.year, 12, 31), "trong quý IV", "once"),
            (None, "thường xuyên", "once"),
            (None, "định kỳ hằng quý", "quarterly"),
        ]
    bad = DirectiveInput(
        "32/TB-SKHCN", "khac", "Sở", today, "X", (TaskInput("Y", ("VP",), due_text="sớm"),)
    )
    with pytest.raises(InvalidInput):
        directives.create_directive(db, users["vanthu"], bad)


def _end(today: date) -> date:
    return date(today.year + (1 if today.month >= 11 else 0), 12, 31)


def test_a_template_moves_its_dates_along_the_calendar(db: Database, users) -> None:
    issued = date(2030, 1, 7)
    data = DirectiveInput(
        "01/KH-SKHCN",
        "ke_hoach",
        "Sở KH&CN",
        issued,
        "Kế hoạch Tết 2030",
        (
            TaskInput("Trực Tết", ("VP",), due_text="trước Tết Nguyên đán"),
            TaskInput("Kiểm tra", ("TTR",), due_on=issued + timedelta(days=14)),
            TaskInput("Tổng hợp", ("KHTC",)),
        ),
    )
    directive_id = directives.create_directive(db, users["vanthu"], data)
    template_id = save_template(db, users["vanthu"], directive_id, "Kế hoạch Tết")
    with pytest.raises(InvalidInput):
        save_template(db, users["vanthu"], directive_id, "Kế hoạch Tết")
    start = start_from_template(db, users["giamdoc"], template_id, date(2031, 1, 6))
    assert start.title == "Kế hoạch Tết 2031"
    assert start.number == ""
    tet = lunar_new_year(2031)
    assert tet is not None
    first, second, third = start.tasks
    assert first.due_on is not None
    assert first.due_on < tet
    assert first.due_text == "trước Tết Nguyên đán"
    assert second.due_on is not None
    assert second.due_on > date(2031, 1, 6)
    assert (second.lead_units, third.due_on) == (("TTR",), None)
