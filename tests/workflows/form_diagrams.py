"""Variants of bpmn/directive.bpmn with generic steps (JSON Schema forms), for the tests."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from sqlalchemy.orm import Session

from tests.helpers import item_of
from tests.workflows.conftest import small_directive
from workflows import directives
from workflows.db import Database
from workflows.diagrams import forms
from workflows.steps import unit_work as steps

DIRECTIVE_BPMN = Path(__file__).resolve().parents[2] / "bpmn" / "directive.bpmn"
UNIT_CHECK_SCHEMA = {
    "type": "object",
    "properties": {
        "checked_on": {"type": "string", "format": "date", "title": "Ngày kiểm tra"},
        "hours": {"type": "integer", "title": "Số giờ", "minimum": 0, "maximum": 1000},
        "score": {"type": "number", "title": "Điểm", "minimum": 0, "maximum": 10},
        "level": {"type": "string", "title": "Mức độ", "enum": ["đạt", "chưa đạt"]},
        "note": {"type": "string", "title": "Ghi chú", "maxLength": 20},
    },
    "required": ["checked_on", "level"],
}


def _user_task(task_id: str, name: str, form: str, incoming: str, outgoing: str) -> str:
    return f"""<bpmn:userTask id="{task_id}" name="{name}">
        <bpmn:extensionElements>
          <spiffworkflow:properties>
            <spiffworkflow:property name="form" value="{form}" />
          </spiffworkflow:properties>
        </bpmn:extensionElements>
        <bpmn:incoming>{incoming}</bpmn:incoming>
        <bpmn:outgoing>{outgoing}</bpmn:outgoing>
      </bpmn:userTask>
      """


def _replace_once(xml: str, old: str, new: str) -> str:
    assert xml.count(old) == 1, old
    return xml.replace(old, new)


def with_legal_review(xml: str | None = None, form: str = "legal_review") -> str:
    """Insert the legal review (supervisor lane) before accept, on both ways to it (a head's
    own report, an officer's draft the head signed off)."""
    xml = xml or DIRECTIVE_BPMN.read_text(encoding="utf-8")
    xml = _replace_once(
        xml,
        "<bpmn:flowNodeRef>accept</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>accept</bpmn:flowNodeRef>\n"
        "        <bpmn:flowNodeRef>legal_review</bpmn:flowNodeRef>",
    )
    task = _user_task(
        "legal_review",
        "Thẩm định pháp lý / Legal review",
        form,
        "flow_sign_gw_accept",
        "flow_legal_review_accept",
    ).replace(
        "<bpmn:incoming>flow_sign_gw_accept</bpmn:incoming>",
        "<bpmn:incoming>flow_sign_gw_accept</bpmn:incoming>\n"
        "        <bpmn:incoming>flow_signed_gw_accept</bpmn:incoming>",
    )
    xml = _replace_once(xml, '<bpmn:userTask id="accept" ', task + '<bpmn:userTask id="accept" ')
    xml = _replace_once(
        xml,
        "<bpmn:incoming>flow_sign_gw_accept</bpmn:incoming>\n"
        "        <bpmn:incoming>flow_signed_gw_accept</bpmn:incoming>\n"
        "        <bpmn:outgoing>flow_accept_accepted_gw</bpmn:outgoing>",
        "<bpmn:incoming>flow_legal_review_accept</bpmn:incoming>\n"
        "        <bpmn:outgoing>flow_accept_accepted_gw</bpmn:outgoing>",
    )
    for gateway, flow in (
        ("sign_gw", "flow_sign_gw_accept"),
        ("signed_gw", "flow_signed_gw_accept"),
    ):
        xml = _replace_once(
            xml,
            f'<bpmn:sequenceFlow id="{flow}" name="',
            f'<bpmn:sequenceFlow id="{flow}" name="',
        )
        xml = _replace_once(
            xml,
            f'sourceRef="{gateway}" targetRef="accept">',
            f'sourceRef="{gateway}" targetRef="legal_review">',
        )
    return _replace_once(
        xml,
        '<bpmn:sequenceFlow id="flow_report_sign_gw" sourceRef="report" targetRef="sign_gw" />',
        '<bpmn:sequenceFlow id="flow_report_sign_gw" sourceRef="report" targetRef="sign_gw" />'
        '\n      <bpmn:sequenceFlow id="flow_legal_review_accept" sourceRef="legal_review" '
        'targetRef="accept" />',
    )


def with_unit_check(xml: str | None = None) -> str:
    """Insert a unit-lane self check (form unit_check) between execute and report."""
    xml = xml or DIRECTIVE_BPMN.read_text(encoding="utf-8")
    xml = _replace_once(
        xml,
        "<bpmn:flowNodeRef>report</bpmn:flowNodeRef>",
        "<bpmn:flowNodeRef>report</bpmn:flowNodeRef>\n"
        "        <bpmn:flowNodeRef>unit_check</bpmn:flowNodeRef>",
    )
    xml = _replace_once(  # report_merge now comes after the check
        xml,
        "<bpmn:incoming>flow_execute_report_merge</bpmn:incoming>",
        "<bpmn:incoming>flow_unit_check_report_merge</bpmn:incoming>",
    )
    xml = _replace_once(
        xml,
        '<bpmn:userTask id="report" ',
        _user_task(
            "unit_check",
            "Tự kiểm tra / Self check",
            "unit_check",
            "flow_execute_report_merge",
            "flow_unit_check_report_merge",
        )
        + '<bpmn:userTask id="report" ',
    )
    return _replace_once(
        xml,
        '<bpmn:sequenceFlow id="flow_execute_report_merge" sourceRef="execute" '
        'targetRef="report_merge" />',
        '<bpmn:sequenceFlow id="flow_execute_report_merge" sourceRef="execute" '
        'targetRef="unit_check" />\n      <bpmn:sequenceFlow id="flow_unit_check_report_merge" '
        'sourceRef="unit_check" targetRef="report_merge" />',
    )


def publish(db: Database, xml: str) -> None:
    """Save a diagram as the published version of the directive process, checked as admins do."""

    def run(session: Session) -> None:
        db.processes.save_model(
            session,
            "directive",
            xml.encode("utf-8"),
            author="test",
            publish=True,
            rules=forms.model_rules(session),
        )

    db.command(run)


def install_unit_check(db: Database, admin_id: int) -> None:
    """Store the unit_check form used by with_unit_check()."""
    forms.save_form(
        db, admin_id, "unit_check", "Tự kiểm tra / Self check", json.dumps(UNIT_CHECK_SCHEMA)
    )


def reported_before_legal_review(db: Database, users: dict[str, int], today: date) -> int:
    """Publish the legal review diagram; enter, assign and report task 1 of a directive on it."""
    forms.install_bundled_forms(db)
    publish(db, with_legal_review())
    directive_id = directives.create_directive(db, users["vanthu"], small_directive(today))
    directives.assign_directive(
        db, users["giamdoc"], item_of(db, users["giamdoc"], "assign").work_item_id
    )
    execute = item_of(db, users["cv.khtc"], "execute", task_no=1)
    steps.start_work(db, users["cv.khtc"], execute.work_item_id)
    report = item_of(db, users["truong.khtc"], "report", task_no=1)
    steps.submit_report(db, users["truong.khtc"], report.work_item_id, "Đã rà soát xong")
    return directive_id
