"""Search on SQLite and PostgreSQL: word starts only, marks that were typed count, ranked."""

from __future__ import annotations

import importlib.util
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests.conftest import seed
from workflows import directives
from workflows.db import Database
from workflows.directives import refresh_search_text
from workflows.entry import DirectiveInput, TaskInput
from workflows.organisation.units import list_units
from workflows.read.listing import DirectiveFilter, list_directives
from workflows.rules.folding import marked_spans, search_document
from workflows.settings import Settings
from workflows.tables import Directive, User

TZ = ZoneInfo("Asia/Ho_Chi_Minh")
TEXTS = [  # number, issued in January on, title, issuer, task
    ("01/KH-UBND", 5, "Kế hoạch đo lường năm 2025", "UBND tỉnh", "Kiểm tra cân tại chợ"),
    ("02/KH-SKHCN", 6, "Kế hoạch đồng bộ dữ liệu", "Đài Phát thanh", "Đo độ ẩm kho lưu trữ"),
    ("03/CT-UBND", 7, "Chỉ thị về chất lượng sản phẩm", "UBND tỉnh", "Tăng cường đo lường"),
    (
        "04/TB-SKHCN",
        8,
        "Thông báo độ an toàn đồng hồ đối với nhà máy",
        "Văn phòng Sở",
        "Rà soát KH, gửi CN",
    ),
    ("05/QĐ-UBND", 9, "Quyết định của Uỷ ban về đoàn kiểm tra", "Ủy ban nhân dân tỉnh", "Lập đoàn"),
    ("06/KH-SKHCN", 4, "Kế hoạch năm", "Sở KH&CN", "Tổng kết"),
]


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.pg)])
def found(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator:
    url = (
        f"sqlite:///{tmp_path / 's.db'}"
        if request.param == "sqlite"
        else request.getfixturevalue("pg_url")
    )
    seed(url)
    db = Database(url, Settings(upload_dir=tmp_path / "uploads"))
    with db.reading() as session:
        users = {u.username: u.id for u in session.scalars(select(User))}
    for number, day, title, issuer, task in TEXTS:
        issued = date(2025, 1, day)
        data = DirectiveInput(
            number, "ke_hoach", issuer, issued, title, (TaskInput(task, ("VP",), (), None),)
        )
        at = datetime(2025, 1, day, 9, tzinfo=TZ)
        directives.create_directive(db, users["vanthu"], data, now=at)

    def numbers(words: str) -> list[str]:
        page = list_directives(db, users["giamdoc"], DirectiveFilter(query=words))
        return [row.number for row in page.rows]

    numbers.issuers = lambda: list_directives(db, users["giamdoc"]).issuers  # type: ignore[attr-defined]
    numbers.units = lambda: [u.name for u in list_units(db)]  # type: ignore[attr-defined]

    yield numbers
    db.dispose()


def test_typed_marks_count_and_bare_words_match_every_accent(found) -> None:
    assert set(found("đo")) == {"01/KH-UBND", "02/KH-SKHCN", "03/CT-UBND", "05/QĐ-UBND"}
    # "đo" is not "đồng", "độ" or "đối" (04), but it starts "đoàn" (05)
    assert set(found("do")) == {n for n, *_ in TEXTS} - {"06/KH-SKHCN"}  # every accent
    assert set(found("độ")) == {"02/KH-SKHCN", "04/TB-SKHCN"}
    assert set(found("đồng")) == {"02/KH-SKHCN", "04/TB-SKHCN"}
    assert found("Ủy ban") == found("Uỷ ban") == found("uy ban") == ["05/QĐ-UBND"]
    assert set(found("lư")) == {"01/KH-UBND", "03/CT-UBND", "02/KH-SKHCN"}  # lường, lưu
    assert found("uong") == []  # inside "lường", not at a word's start
    assert set(found("KH CN")) == {"04/TB-SKHCN", "06/KH-SKHCN"}
    assert found("KH&CN") == ["06/KH-SKHCN"]  # as written, not "KH" here and "CN" there
    assert found("hoạch") == ["02/KH-SKHCN", "01/KH-UBND", "06/KH-SKHCN"]


def test_the_number_title_and_issuer_rank_before_the_text(found) -> None:
    # 03 is newer, but only its task speaks of "đo lường"; 01's title does
    assert found("đo lường") == ["01/KH-UBND", "03/CT-UBND"]
    assert found("kiểm tra") == ["05/QĐ-UBND", "01/KH-UBND"]  # title, then task
    assert found("UBND") == ["05/QĐ-UBND", "03/CT-UBND", "01/KH-UBND"]  # all in the head
    assert found("tỉnh chợ") == ["01/KH-UBND"]


def test_issuers_and_units_are_listed_in_vietnamese_order(found) -> None:
    assert found.issuers() == (
        "Đài Phát thanh",  # đ after d, not after z as in bytes
        "Sở KH&CN",
        "UBND tỉnh",
        "Ủy ban nhân dân tỉnh",  # before V, not after it as in bytes
        "Văn phòng Sở",
    )
    assert found.units() == [
        "Sở Khoa học và Công nghệ tỉnh Lạng Sơn",  # the root first
        "Ban Giám đốc Sở",
        "Chi cục Tiêu chuẩn Đo lường Chất lượng",
        "Phòng Kế hoạch - Tài chính",
        "Phòng Quản lý Công nghệ và Quản lý chuyên ngành",
        "Phòng Quản lý Khoa học",
        "Thanh tra Sở",
        "Trung tâm ứng dụng, phát triển khoa học - công nghệ và đo lường, chất lượng sản phẩm",
        "Văn phòng Sở",
    ]


def test_matching_words_are_cut_out_for_marking() -> None:
    assert marked_spans("Kế hoạch đo lường, <b>đồng</b> Uỷ ban", "đo Ủy") == [
        ("Kế hoạch ", False),
        ("đo", True),
        (" lường, <b>đồng</b> ", False),
        ("Uỷ", True),
        (" ban", False),
    ]
    assert marked_spans("Kế hoạch", "") == [("Kế hoạch", False)]


def test_the_migration_folds_as_production_does() -> None:
    path = next(Path("workflows/migrations/versions").glob("0015_*.py"))
    spec = importlib.util.spec_from_file_location("m0015", path)
    assert spec
    assert spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    for number, _, title, issuer, task in TEXTS:
        head = f"{number} {title} {issuer}"
        assert module._document(head, task) == search_document(head, task)


def test_the_benchmark_loads_the_search_text_production_writes(db: Database) -> None:
    from benchmarks import oversight as bench

    bench.load(db, 5)
    with db.reading() as session:
        loaded = {d.id: d.search_text for d in session.scalars(select(Directive))}
    assert len(loaded) == 5

    def refold(session) -> None:
        for directive in session.scalars(select(Directive)):
            refresh_search_text(session, directive)

    db.command(refold)
    with db.reading() as session:
        assert {d.id: d.search_text for d in session.scalars(select(Directive))} == loaded
