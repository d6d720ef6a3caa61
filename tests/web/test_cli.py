"""The dondoc command line, run in-process against a temporary instance folder."""

from __future__ import annotations

import json
import textwrap
from pathlib import Path

import docx
import pytest
from click.testing import CliRunner
from sqlalchemy import select

from tests.support.pdf import text_layer_pdf
from web.cli import main
from workflows.db import Database
from workflows.directives import MODEL_KEY
from workflows.organisation import people as org
from workflows.setup import schema
from workflows.tables import Directive


@pytest.fixture
def env(tmp_path: Path) -> dict[str, str]:
    return {"DONDOC_INSTANCE_DIR": str(tmp_path), "DONDOC_SECRET_KEY": "test"}


def _db(env: dict[str, str]) -> Database:
    return Database(f"sqlite:///{env['DONDOC_INSTANCE_DIR']}/dondoc.db")


def test_init_demo_creates_everything_and_prints_passwords_once(env) -> None:
    runner = CliRunner()
    first = runner.invoke(main, ["init", "--demo"], env=env)
    assert first.exit_code == 0, first.output
    assert "version 1 installed" in first.output
    lines = [line.split() for line in first.output.splitlines() if line.startswith("  giamdoc ")]
    ((username, password, role, unit),) = lines
    assert (username, role, unit) == ("giamdoc", "supervisor", "BGD")
    db = _db(env)
    try:
        with db.reading() as session:
            assert org.authenticate(session, "giamdoc", password) is not None
            assert org.authenticate(session, "giamdoc", "wrong-password") is None
            assert db.processes.published_model(session, MODEL_KEY).number == 1
            assert session.scalar(select(Directive.number)) == "01/KH-SKHCN"
    finally:
        db.dispose()
    second = runner.invoke(main, ["init", "--demo"], env=env)
    assert second.exit_code == 0
    assert password not in second.output
    assert "already there" in second.output
    assert "installed" not in second.output


def test_user_create_and_reset_password(env) -> None:
    runner = CliRunner()
    assert runner.invoke(main, ["init", "--demo"], env=env).exit_code == 0
    args = [
        "user",
        "create",
        "nguyen.van.a",
        "--name",
        "Nguyễn Văn A",
        "--unit",
        "QLKH",
        "--role",
        "unit_staff",
        "--password",
        "mat-khau-dai-du",
    ]
    created = runner.invoke(main, args, env=env)
    assert created.exit_code == 0, created.output
    again = runner.invoke(main, args, env=env)
    assert again.exit_code != 0
    assert "is taken" in again.output
    bad_args = [
        "user",
        "create",
        "b.user",
        "--name",
        "B",
        "--unit",
        "QLKH",
        "--role",
        "king",
        "--password",
        "mat-khau-dai-du",
    ]
    bad_role = runner.invoke(main, bad_args, env=env)
    assert bad_role.exit_code != 0
    assert "roles" in bad_role.output
    reset = runner.invoke(main, ["user", "reset-password", "nguyen.van.a"], env=env)
    new_password = reset.output.strip().rsplit(" ", 1)[-1]
    db = _db(env)
    try:
        with db.reading() as session:
            assert org.authenticate(session, "nguyen.van.a", new_password) is not None
            assert org.authenticate(session, "nguyen.van.a", "mat-khau-dai-du") is None
    finally:
        db.dispose()
    missing = runner.invoke(main, ["user", "reset-password", "nobody"], env=env)
    assert missing.exit_code != 0


def test_db_upgrade_reports_the_revision(env) -> None:
    result = CliRunner().invoke(main, ["db", "upgrade"], env=env)
    assert result.exit_code == 0
    assert f"revision {schema.head_schema_revision()}" in result.output


def test_bench_quick_prints_the_table(env) -> None:
    result = CliRunner().invoke(main, ["bench", "--quick", "--sizes", "1"], env=env)
    assert result.exit_code == 0, result.output
    assert "N = 1 assignments per directive" in result.output
    assert "ratio app/floor" in result.output


def test_token_create_prints_a_token_that_the_api_accepts(env) -> None:
    from workflows.access import tokens

    runner = CliRunner()
    assert runner.invoke(main, ["init", "--demo"], env=env).exit_code == 0
    created = runner.invoke(main, ["token", "create", "giamdoc", "--name", "báo cáo"], env=env)
    token = created.output.strip()
    assert created.exit_code == 0
    assert token.startswith("dd_")
    db = _db(env)
    try:
        assert tokens.user_for_token(db, token).username == "giamdoc"
        revoked = runner.invoke(main, ["token", "revoke", "giamdoc"], env=env)
        assert "1 token(s) revoked" in revoked.output
        assert tokens.user_for_token(db, token) is None
    finally:
        db.dispose()
    assert runner.invoke(main, ["token", "create", "nobody"], env=env).exit_code != 0


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
TASK_KEYS = {"no", "text", "lead", "coordinating", "due_on", "due_text"}


def _import(env: dict[str, str], *args: str):
    return CliRunner().invoke(main, ["import", *args], env=env)


def test_import_prints_a_docx_proposal_as_the_documented_json(env, tmp_path: Path) -> None:
    document = docx.Document()
    for line in (
        "UBND TỈNH CAO BẰNG",
        "SỞ KHOA HỌC VÀ CÔNG NGHỆ",
        "Số: 41/KH-SKHCN",
        "Cao Bằng, ngày 02 tháng 3 năm 2026",
        "KẾ HOẠCH",
        "Kiểm tra đo lường xăng dầu năm 2026",
        "Sở giao nhiệm vụ như sau:",
        "1. Chi cục TĐC chủ trì, phối hợp với Thanh tra Sở kiểm tra các cửa hàng xăng dầu, "
        "hoàn thành trước ngày 30/6/2026.",
        "2. Phòng KH-TC chủ trì, phối hợp với Sở Công Thương bố trí kinh phí; "
        "thực hiện thường xuyên.",
        "Nơi nhận:",
        "- Lưu: VT.",
    ):
        document.add_paragraph(line)
    path = tmp_path / "ke-hoach.docx"
    document.save(path)
    result = _import(env, str(path), "--json", "--org", str(FIXTURES / "org.json"))
    assert result.exit_code == 0, result.output
    proposal = json.loads(result.stdout)
    assert set(proposal) == {
        "number", "kind", "issuer", "issued_on", "title", "tasks", "new_units"
    }  # fmt: skip
    assert (proposal["number"], proposal["kind"], proposal["issued_on"]) == (
        "41/KH-SKHCN",
        "ke_hoach",
        "2026-03-02",
    )
    assert proposal["title"] == "Kiểm tra đo lường xăng dầu năm 2026"
    first, second = proposal["tasks"]
    assert all(set(task) == TASK_KEYS for task in proposal["tasks"])
    assert first["lead"] == [{"code": "CCTDC", "name": "Chi cục TĐC"}]
    assert [ref["code"] for ref in first["coordinating"]] == ["TTR"]
    assert (first["due_on"], first["due_text"]) == ("2026-06-30", "hoàn thành trước ngày 30/6/2026")
    assert [ref["code"] for ref in second["lead"]] == ["KHTC"]
    assert second["coordinating"] == [{"code": None, "name": "Sở Công Thương"}]
    assert (second["due_on"], second["due_text"]) == (None, "thường xuyên")
    assert proposal["new_units"] == ["Sở Công Thương"]


def test_import_prints_the_tet_text_for_a_person(env) -> None:
    text = FIXTURES / "00-tet-2020-lang-son.txt"
    result = _import(env, str(text), "--org", str(FIXTURES / "org.json"))
    assert result.exit_code == 0, result.output
    assert "Nhiệm vụ: 10" in result.stdout
    assert "3. Phòng Kế hoạch - Tài chính chủ trì" in result.stdout
    assert "   Chủ trì: KHTC" in result.stdout
    as_json = json.loads(
        _import(env, str(text), "--json", "--org", str(FIXTURES / "org.json")).stdout
    )
    assert [task["no"] for task in as_json["tasks"]] == list(range(1, 11))


def test_import_refuses_a_bad_file_in_vietnamese_with_status_one(env, tmp_path: Path) -> None:
    org_file = str(FIXTURES / "org.json")
    empty = tmp_path / "trong.txt"
    empty.write_bytes(b"")
    english = tmp_path / "english.txt"
    english.write_text("The committee will meet on Monday to review the budget. " * 5)
    cases = {
        str(empty): "Lỗi: trong.txt là tệp rỗng",
        str(english): "Lỗi: nội dung không giống tiếng Việt",
        str(tmp_path / "khong-co.docx"): "khong-co.docx: không có tệp này",
        str(tmp_path): "là thư mục, không phải tệp",
    }
    for path, said in cases.items():
        result = _import(env, path, "--org", org_file)
        assert result.exit_code == 1, (path, result.output)
        assert said in result.stderr
        assert "Error" not in result.output
    bad_org = _import(env, str(FIXTURES / "00-tet-2020-lang-son.txt"), "--org", str(english))
    assert bad_org.exit_code == 1
    assert "không phải là tệp danh mục đơn vị" in bad_org.stderr


def test_import_reads_a_pdf_text_layer_as_it_reads_the_text(env, tmp_path: Path) -> None:
    """A plan printed to PDF: the title wraps over two lines, paragraphs wrap at 80 characters."""
    text = FIXTURES / "heldout" / "h7-ke-hoach-bac-ninh.txt"
    title = "Triển khai công tác chuyển đổi số của Sở Khoa học và Công nghệ năm 2024"
    printed: list[str] = []
    for line in text.read_text(encoding="utf-8").splitlines():
        if line == title:
            printed += [title[:62].rstrip(), title[62:].strip()]
        else:
            printed += textwrap.wrap(line, 80)
    assert len(printed) > len(text.read_text(encoding="utf-8").splitlines()) + 5
    pdf = tmp_path / "ke-hoach.pdf"
    pdf.write_bytes(text_layer_pdf(printed, per_page=30))
    org_file = str(FIXTURES / "heldout" / "org.json")
    from_pdf = json.loads(_import(env, str(pdf), "--json", "--org", org_file).stdout)
    from_text = json.loads(_import(env, str(text), "--json", "--org", org_file).stdout)
    assert from_pdf["title"] == title
    assert from_pdf == from_text
    assert [task["text"][:24] for task in from_pdf["tasks"]] == [
        "Văn phòng Sở chủ trì, ph",
        "Phòng QLCN rà soát, nâng",
        "Phòng KH-TC bố trí kinh ",
        "Các phòng chuyên môn, đơ",
        "Văn phòng Sở theo dõi, đ",
    ]
