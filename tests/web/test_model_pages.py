"""Process diagram pages: versions, save from the editor, upload, export, publish, hostile input.

Every refused diagram must leave the version list as it was and the server answering.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import func, select
from werkzeug.datastructures import FileStorage, MultiDict
from werkzeug.test import encode_multipart

from engine.tables import ProcessModelVersion
from tests.engine import variants
from tests.helpers import item_of, snapshot
from tests.web.helpers import csrf_token
from tests.workflows.conftest import small_directive
from workflows import directives
from workflows.db import Database
from workflows.read import detail as queries
from workflows.steps import unit_work as steps
from workflows.tables import Directive

BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
XXE_FILE = b"""<?xml version="1.0"?>
<!DOCTYPE d [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
<bpmn:process id="p" isExecutable="true"><bpmn:documentation>&x;</bpmn:documentation>
</bpmn:process></bpmn:definitions>"""
XXE_NETWORK = XXE_FILE.replace(b"file:///etc/passwd", b"http://127.0.0.1:9/secret")
LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
<!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">]>
<bpmn:definitions xmlns:bpmn="http://www.omg.org/spec/BPMN/20100524/MODEL" id="d">
<bpmn:process id="p" isExecutable="true"><bpmn:documentation>&lol4;</bpmn:documentation>
</bpmn:process></bpmn:definitions>"""
NOT_BPMN = b'<?xml version="1.0"?><invoice><total>12</total></invoice>'
SPIFF_REJECTS = variants.edited(
    lambda root: variants.by_id(root, "flow_start_assign").set("targetRef", "no_such_task")
)


def _versions(db: Database) -> int:
    with db.reading() as session:
        return session.scalar(select(func.count()).select_from(ProcessModelVersion)) or 0


def _save(client: Any, xml: bytes, comment: str = "") -> Any:
    token = csrf_token(client, "/admin/models/edit")
    return client.post(
        "/admin/models/versions",
        json={"xml": xml.decode("utf-8"), "comment": comment},
        headers={"X-CSRFToken": token},
    )


def _upload(client: Any, data: bytes, name: str = "directive.bpmn") -> Any:
    token = csrf_token(client, "/admin/models")
    # Encoded in memory: the test client would spool a large body to a file it never closes.
    fields = MultiDict({"comment": "tải lên", "csrf_token": token})
    fields.add("diagram", FileStorage(io.BytesIO(data), filename=name))
    boundary, body = encode_multipart(fields)
    return client.post(
        "/admin/models/upload",
        data=body,
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def _script_after_start(script: str) -> bytes:
    """The bundled diagram with a script task between the start event and `assign`."""

    def change(root: Any) -> None:
        flow = variants.by_id(root, "flow_start_assign")
        flow.set("targetRef", "hostile")
        assign = variants.by_id(root, "assign")
        task = etree.Element(f"{{{BPMN}}}scriptTask", id="hostile", name="Hostile")
        task.set("scriptFormat", "python")
        etree.SubElement(task, f"{{{BPMN}}}incoming").text = "flow_start_assign"
        etree.SubElement(task, f"{{{BPMN}}}outgoing").text = "flow_hostile_assign"
        etree.SubElement(task, f"{{{BPMN}}}script").text = script
        assign.addprevious(task)
        flow.addnext(
            etree.Element(
                f"{{{BPMN}}}sequenceFlow",
                id="flow_hostile_assign",
                sourceRef="hostile",
                targetRef="assign",
            )
        )
        for ref in assign.iter(f"{{{BPMN}}}incoming"):
            ref.text = "flow_hostile_assign"
        lane = variants.by_id(root, "lane_supervisor")
        etree.SubElement(lane, f"{{{BPMN}}}flowNodeRef").text = "hostile"

    return variants.edited(change)


def test_the_version_list_shows_the_published_version_and_exports_it(client_for) -> None:
    admin = client_for("admin")
    page = admin.get("/admin/models").get_data(as_text=True)
    assert "Phiên bản 1" in page
    exported = admin.get("/admin/models/versions/1/bpmn?download=1")
    assert exported.status_code == 200
    assert exported.mimetype == "application/xml"
    assert 'filename="directive-v1.bpmn"' in exported.headers["Content-Disposition"]
    assert exported.data == variants.original()


def test_a_save_from_the_editor_is_a_new_version_with_a_diff(client_for, db) -> None:
    admin = client_for("admin")
    response = _save(admin, variants.renamed("accept", "Phê duyệt báo cáo"), "đổi tên bước duyệt")
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["version"]["number"] == 2
    page = admin.get(body["url"]).get_data(as_text=True)
    assert "Phê duyệt báo cáo" in page
    assert "đổi tên bước duyệt" in page
    listing = admin.get("/admin/models").get_data(as_text=True)
    assert "~1" in listing  # one element changed
    again = _save(admin, variants.renamed("accept", "Phê duyệt báo cáo"))
    assert again.status_code == 422  # nothing changed since version 2
    assert _versions(db) == 2


def test_publish_needs_a_confirmation_and_new_directives_use_it(client_for, db) -> None:
    admin = client_for("admin")
    saved = _save(admin, variants.renamed("accept", "Phê duyệt")).get_json()["version"]
    confirm = admin.get(f"/admin/models/versions/{saved['id']}/publish")
    assert confirm.status_code == 200
    assert "Phê duyệt" in confirm.get_data(as_text=True)
    with db.reading() as session:
        assert db.processes.published_model(session, "directive").number == 1
    token = csrf_token(admin, f"/admin/models/versions/{saved['id']}/publish")
    done = admin.post(f"/admin/models/versions/{saved['id']}/publish", data={"csrf_token": token})
    assert done.status_code == 302
    with db.reading() as session:
        assert db.processes.published_model(session, "directive").number == 2


HOSTILE_FILES = {
    "xxe-file": XXE_FILE,
    "xxe-network": XXE_NETWORK,
    "billion-laughs": LAUGHS,
    "not-bpmn": NOT_BPMN,
    "spiff-rejects": SPIFF_REJECTS,
    "import": _script_after_start("import os"),
    "dunder-import": _script_after_start("x = __import__('os').getcwd()"),
    "open": _script_after_start("data = open('/etc/passwd').read()"),
    "mro-escape": _script_after_start("x = ().__class__.__mro__[1].__subclasses__()"),
}


@pytest.mark.parametrize("name", sorted(HOSTILE_FILES))
def test_hostile_diagrams_are_refused_through_both_doors(client_for, db, name: str) -> None:
    admin = client_for("admin")
    uploaded = _upload(admin, HOSTILE_FILES[name])
    assert uploaded.status_code == 422
    assert "không được lưu" in uploaded.get_data(as_text=True)
    saved = _save(admin, HOSTILE_FILES[name])
    assert saved.status_code == 422
    problems = saved.get_json()["error"]["details"]["problems"]
    assert problems
    assert all(p["message"] for p in problems)
    if name in ("import", "dunder-import", "open", "mro-escape"):
        assert "hostile" in {p["element"] for p in problems}  # shown at the script task
    assert _versions(db) == 1
    assert "/etc/passwd" not in saved.get_data(as_text=True) or name == "open"
    assert admin.get("/healthz").get_json()["status"] == "ok"


def test_a_50_mb_upload_is_stopped_before_it_is_read(client_for, db) -> None:
    admin = client_for("admin")
    huge = b"<bpmn:definitions>" + b" " * (50 * 1024 * 1024) + b"</bpmn:definitions>"
    response = _upload(admin, huge)
    assert response.status_code == 413
    assert _versions(db) == 1
    assert admin.get("/healthz").get_json()["status"] == "ok"


def test_a_file_just_over_the_diagram_limit_is_refused_with_the_limit(client_for, db) -> None:
    admin = client_for("admin")
    padded = variants.original().replace(
        b"</bpmn:definitions>", b"<!--" + b"x" * (5 * 1024 * 1024) + b"--></bpmn:definitions>"
    )
    response = _save(admin, padded)
    assert response.status_code == 422
    assert "limit" in response.get_json()["error"]["details"]["problems"][0]["message"]
    assert _versions(db) == 1


@pytest.mark.parametrize(
    "script",
    ["while True:\n    pass", "x = 'a' * 10**10", "x = [0] * 10**9", "x = 10**10**10"],
    ids=["infinite-loop", "huge-string", "huge-list", "huge-power"],
)
def test_runaway_scripts_are_stopped_at_run_time_and_nothing_is_kept(
    client_for, db, users, script: str
) -> None:
    """They compile, so they can be saved; running them stops with a clear error."""
    admin = client_for("admin")
    saved = _save(admin, _script_after_start(script))
    assert saved.status_code == 201, saved.get_json()
    version_id = saved.get_json()["version"]["id"]
    token = csrf_token(admin, f"/admin/models/versions/{version_id}/publish")
    admin.post(f"/admin/models/versions/{version_id}/publish", data={"csrf_token": token})

    clerk = client_for("vanthu")
    token = csrf_token(clerk, "/directives/new")
    form = {
        "csrf_token": token,
        "number": "99/KH-SKHCN",
        "kind": "ke_hoach",
        "issuer": "Sở KH&CN",
        "issued_on": date.today().isoformat(),
        "title": "Kế hoạch thử kịch bản",
        "tasks-0-content": "Nhiệm vụ",
        "tasks-0-lead_units": "KHTC",
    }
    response = clerk.post("/directives/new", data=form)
    assert response.status_code == 500
    page = response.get_data(as_text=True)
    assert "hostile" in page  # the error names the script task
    assert any(word in page for word in ("stopped", "refused", "longer than"))
    with db.reading() as session:
        assert session.scalar(select(func.count()).select_from(Directive)) == 0
    assert clerk.get("/healthz").get_json()["status"] == "ok"
    assert clerk.get("/inbox").status_code == 200


def test_bad_requests_to_the_save_endpoint(client_for) -> None:
    admin = client_for("admin")
    token = csrf_token(admin, "/admin/models/edit")
    not_json = admin.post("/admin/models/versions", data="xml", headers={"X-CSRFToken": token})
    assert not_json.status_code == 400
    assert not_json.get_json()["error"]["code"] == "bad_request"
    no_token = admin.post("/admin/models/versions", json={"xml": "<x/>"})
    assert no_token.status_code == 400


def test_the_migration_page_is_a_dry_run_then_moves_only_the_chosen(
    client_for, db, users, assigned_small
) -> None:
    """Directives at different steps: those that can move are offered; the move is recorded."""
    admin = client_for("admin")
    saved = _save(admin, variants.without_contribute(), "bỏ bước góp ý").get_json()["version"]
    path = f"/admin/models/versions/{saved['id']}/migrate"
    # VP (coordinating) already contributes: its step is gone in the new version.
    steps.start_work(
        db, users["cv.vp"], item_of(db, users["cv.vp"], "execute", task_no=1).work_item_id
    )
    before = snapshot(db)
    page = admin.get(path).get_data(as_text=True)
    assert "12/TB-SKHCN" in page
    assert 'name="directive"' not in page  # it cannot move, so it is not offered
    assert "contribute" in page  # the reason names the missing step
    assert snapshot(db) == before  # the dry run changed nothing

    token = csrf_token(admin, path)
    refused = admin.post(path, data={"csrf_token": token})  # nothing chosen
    assert refused.status_code == 302
    assert snapshot(db) == before

    fresh = directives.create_directive(db, users["vanthu"], small_directive(date.today(), "3/MOI"))
    page = admin.get(path).get_data(as_text=True)
    assert f'name="directive" value="{fresh}"' in page
    token = csrf_token(admin, path)
    done = admin.post(path, data={"csrf_token": token, "directive": [str(fresh)]})
    assert done.status_code == 302
    kinds = [e.kind for e in queries.history_of(db, users["giamdoc"], fresh)]
    assert kinds[-1] == "process_migrated"
    detail = admin.get(f"/directives/{fresh}").get_data(as_text=True)
    assert "Chuyển sang phiên bản quy trình mới" in detail
    with db.reading() as session:
        assert db.processes.instance_version(session, _instance_of(db, fresh)).number == 2


def _instance_of(db: Database, directive_id: int) -> int:
    with db.reading() as session:
        directive = session.get(Directive, directive_id)
        assert directive is not None
        assert directive.process_instance_id is not None
        return directive.process_instance_id


def test_saving_over_a_colleagues_newer_version_asks_first(client_for, db) -> None:
    first, second = client_for("admin"), client_for("admin")
    page = first.get("/admin/models/edit").get_data(as_text=True)
    assert 'data-base-number="1"' in page
    token = csrf_token(second, "/admin/models/edit")
    ahead = second.post(
        "/admin/models/versions",
        json={"xml": variants.renamed("accept", "Duyệt A").decode(), "base": 1},
        headers={"X-CSRFToken": token},
    )
    assert ahead.status_code == 201
    token = csrf_token(first, "/admin/models/edit")
    late = {"xml": variants.renamed("accept", "Duyệt B").decode(), "base": 1}
    stale = first.post("/admin/models/versions", json=late, headers={"X-CSRFToken": token})
    assert stale.status_code == 409
    error = stale.get_json()["error"]
    assert error["code"] == "newer_version"
    assert "2" in error["message"]
    assert _versions(db) == 2  # nothing saved until the admin confirms
    forced = first.post(
        "/admin/models/versions", json={**late, "force": True}, headers={"X-CSRFToken": token}
    )
    assert forced.status_code == 201
    assert forced.get_json()["version"]["number"] == 3
