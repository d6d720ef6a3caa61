"""The proposal from a text or a file through the JSON API, and through `dondoc import`."""

from __future__ import annotations

import io
import json
from pathlib import Path

import docx
from flask import Flask

from workflows.access import tokens
from workflows.db import Database

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "import"
TET = (FIXTURES / "00-tet-2020-lang-son.txt").read_text(encoding="utf-8")
KEYS = {"number", "kind", "issuer", "issued_on", "title", "tasks", "new_units"}
TASK_KEYS = {"no", "text", "lead", "coordinating", "due_on", "due_text"}


def bearer(db: Database, username: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {tokens.create_token(db, username, 'test')}"}


def test_the_tet_text_gives_its_ten_tasks_in_the_documented_shape(app: Flask, db: Database):
    response = app.test_client().post(
        "/api/v1/directives/proposal", json={"text": TET}, headers=bearer(db, "vanthu")
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    body = response.get_json()
    assert set(body) == KEYS
    assert len(body["tasks"]) == 10
    assert all(set(task) == TASK_KEYS for task in body["tasks"])
    assert [ref["code"] for ref in body["tasks"][2]["lead"]] == ["KHTC"]
    coordinating = {ref["code"] for ref in body["tasks"][2]["coordinating"]}
    assert coordinating == {"VP", "TTR", "QLKH", "QLCN", "CCTDC", "TTUD"}


def test_a_docx_file_is_read(app: Flask, db: Database) -> None:
    document = docx.Document()
    document.add_paragraph("KẾ HOẠCH")
    document.add_paragraph("Kiểm tra đo lường năm 2024")
    document.add_paragraph(
        "Chi cục TĐC chủ trì, phối hợp với Thanh tra Sở kiểm tra cân tại chợ, trước ngày "
        "25/10/2024.",
        style="List Number",
    )
    document.add_paragraph("VP Sở bố trí xe cho đoàn kiểm tra.", style="List Number")
    data = io.BytesIO()
    document.save(data)
    response = app.test_client().post(
        "/api/v1/directives/proposal",
        data={"file": (io.BytesIO(data.getvalue()), "ke-hoach.docx")},
        headers=bearer(db, "giamdoc"),
        content_type="multipart/form-data",
    )
    assert response.status_code == 200, response.get_data(as_text=True)
    tasks = response.get_json()["tasks"]
    assert [(t["lead"][0]["code"], t["due_on"]) for t in tasks] == [
        ("CCTDC", "2024-10-25"),
        ("VP", None),
    ]
    assert tasks[0]["coordinating"] == [{"code": "TTR", "name": "Thanh tra Sở"}]


def test_units_may_not_ask_and_nothing_is_an_error(app: Flask, db: Database) -> None:
    client = app.test_client()
    refused = client.post(
        "/api/v1/directives/proposal", json={"text": TET}, headers=bearer(db, "truong.khtc")
    )
    assert refused.status_code == 403
    empty = client.post("/api/v1/directives/proposal", json={}, headers=bearer(db, "vanthu"))
    assert empty.status_code == 422
    assert "source" in json.dumps(empty.get_json())
