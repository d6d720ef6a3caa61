"""The directive list's search box: what it searches, said in both languages; matches marked."""

from __future__ import annotations

from datetime import date

from workflows import directives, set_language
from workflows.db import Database
from workflows.entry import DirectiveInput, TaskInput


def _enter(db: Database, clerk: int, number: str, title: str) -> None:
    task = (TaskInput("Rà soát", ("VP",), (), None),)
    data = DirectiveInput(number, "ke_hoach", "Uỷ ban nhân dân", date(2025, 1, 5), title, task)
    directives.create_directive(db, clerk, data)


def test_matching_words_are_marked_and_the_rest_escaped(client_for, db: Database, users) -> None:
    _enter(db, users["vanthu"], "01/KH-UBND", "Đo lường <b>đồng</b> hồ nước")
    _enter(db, users["vanthu"], "02/KH-UBND", "Kế hoạch đo lường năm")
    html = client_for("giamdoc").get("/directives/?q=đo+ủy").get_data(as_text=True)
    assert "<mark>Đo</mark> lường &lt;b&gt;đồng&lt;/b&gt; hồ nước" in html  # "đồng" not marked
    assert "Kế hoạch <mark>đo</mark> lường năm" in html
    assert "<mark>Uỷ</mark> ban nhân dân" in html
    assert "<b>" not in html.split('id="q"')[1]


def test_the_box_says_what_it_searches(client_for, db: Database, users) -> None:
    vi = client_for("giamdoc").get("/directives/").get_data(as_text=True)
    assert "Tìm trong số hiệu, trích yếu, cơ quan ban hành, nội dung văn bản, nhiệm vụ" in vi
    set_language(db, users["phogiamdoc"], "en")
    en = client_for("phogiamdoc").get("/directives/").get_data(as_text=True)
    assert "Searches the number, subject, issuer, text, tasks and units." in en
