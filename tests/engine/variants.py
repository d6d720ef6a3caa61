"""Edited copies of bpmn/directive.bpmn, as an administrator would save them in the editor."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from lxml import etree

BPMN_FILE = Path(__file__).resolve().parents[2] / "bpmn" / "directive.bpmn"
BPMN = "http://www.omg.org/spec/BPMN/20100524/MODEL"
SPIFF = "http://spiffworkflow.org/bpmn/schema/1.0/core"
CONTRIBUTE_PARTS = (
    "contribute",
    "contribute_reminder",
    "contribute_overdue",
    "contribute_reminded",
    "contribute_escalated",
    "flow_contribute_reminder",
    "flow_contribute_overdue",
    "flow_contribute_coord_sign_gw",
)


def original() -> bytes:
    """Return the bundled diagram's text."""
    return BPMN_FILE.read_bytes()


def _edited(change: Callable[[Any], None], xml: bytes | None = None) -> bytes:
    root = etree.fromstring(xml or original())
    change(root)
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _by_id(root: Any, element_id: str) -> Any:
    (found,) = root.xpath("//*[@id=$id]", id=element_id)
    return found


def _bpmn(parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
    child = etree.SubElement(parent, f"{{{BPMN}}}{tag}", attrs)
    child.text = text
    return child


def _replace_ref(root: Any, tag: str, old: str, new: str) -> None:
    for ref in root.iter(f"{{{BPMN}}}{tag}"):
        if ref.text == old:
            ref.text = new


def with_legal_review(xml: bytes | None = None) -> bytes:
    """Insert a supervisor's user task `legal_review` after `report` (before `accept`)."""

    def change(root: Any) -> None:
        _by_id(root, "flow_report_sign_gw").set("targetRef", "legal_review")
        _replace_ref(root, "incoming", "flow_report_sign_gw", "flow_legal_review_accept")
        accept = _by_id(root, "accept")
        task = etree.Element(f"{{{BPMN}}}userTask", id="legal_review", name="Thẩm định / Review")
        accept.addprevious(task)
        extensions = _bpmn(task, "extensionElements")
        properties = etree.SubElement(extensions, f"{{{SPIFF}}}properties")
        etree.SubElement(properties, f"{{{SPIFF}}}property", name="form", value="accept")
        _bpmn(task, "incoming", "flow_report_sign_gw")
        _bpmn(task, "outgoing", "flow_legal_review_accept")
        flow = _by_id(root, "flow_report_sign_gw")
        flow.addnext(
            etree.Element(
                f"{{{BPMN}}}sequenceFlow",
                id="flow_legal_review_accept",
                sourceRef="legal_review",
                targetRef="sign_gw",
            )
        )
        _bpmn(_by_id(root, "lane_supervisor"), "flowNodeRef", "legal_review")

    return _edited(change, xml)


def without_contribute(xml: bytes | None = None) -> bytes:
    """Drop `contribute` (and its timers): coordinating units go straight to acknowledge."""

    def change(root: Any) -> None:
        for element_id in CONTRIBUTE_PARTS:
            element = _by_id(root, element_id)
            element.getparent().remove(element)
        for element in root.xpath("//*[@bpmnElement]"):
            if element.get("bpmnElement") in CONTRIBUTE_PARTS:
                element.getparent().remove(element)
        for ref in root.iter(f"{{{BPMN}}}flowNodeRef"):
            if ref.text in CONTRIBUTE_PARTS:
                ref.getparent().remove(ref)
        _by_id(root, "flow_contribute_merge_contribute").set("targetRef", "coord_sign_gw")
        _replace_ref(
            root, "incoming", "flow_contribute_coord_sign_gw", "flow_contribute_merge_contribute"
        )

    return _edited(change, xml)


def renamed(element_id: str, name: str, xml: bytes | None = None) -> bytes:
    """Give an element a new name (its id stays)."""
    return _edited(lambda root: _by_id(root, element_id).set("name", name), xml)


def moved(element_id: str, dx: int, xml: bytes | None = None) -> bytes:
    """Move an element's shape in the diagram, nothing else."""

    def change(root: Any) -> None:
        (shape,) = root.xpath("//*[@bpmnElement=$id]", id=element_id)
        bounds = shape[0]
        bounds.set("x", str(int(bounds.get("x")) + dx))

    return _edited(change, xml)


def edited(change: Callable[[Any], None], xml: bytes | None = None) -> bytes:
    """Apply any change to a parsed copy of the diagram (for one-off variants)."""
    return _edited(change, xml)


def by_id(root: Any, element_id: str) -> Any:
    """Return the element with this id."""
    return _by_id(root, element_id)


def with_form(element_id: str, form: str, xml: bytes | None = None) -> bytes:
    """Give a user task another form."""

    def change(root: Any) -> None:
        (prop,) = _by_id(root, element_id).iter(f"{{{SPIFF}}}property")
        prop.set("value", form)

    return _edited(change, xml)


def with_wrap_up(xml: bytes | None = None) -> bytes:
    """Insert a script task `wrap_up` between the per-assignment sub-process and the end."""

    def change(root: Any) -> None:
        flow = _by_id(root, "flow_unit_work_end")
        flow.set("targetRef", "wrap_up")
        _replace_ref(root, "incoming", "flow_unit_work_end", "flow_wrap_up_end")
        task = etree.Element(f"{{{BPMN}}}scriptTask", id="wrap_up", name="Wrap up")
        _by_id(root, "end").addprevious(task)
        _bpmn(task, "incoming", "flow_unit_work_end")
        _bpmn(task, "outgoing", "flow_wrap_up_end")
        _bpmn(task, "script", "wrapped_up = True")
        flow.addnext(
            etree.Element(
                f"{{{BPMN}}}sequenceFlow",
                id="flow_wrap_up_end",
                sourceRef="wrap_up",
                targetRef="end",
            )
        )
        _bpmn(_by_id(root, "lane_supervisor"), "flowNodeRef", "wrap_up")

    return _edited(change, xml)


def with_new_id(old: str, new: str, xml: bytes | None = None) -> bytes:
    """Give an element a new id, and every reference to it (as an editor would)."""
    attributes = ("id", "sourceRef", "targetRef", "attachedToRef", "bpmnElement", "default")

    def change(root: Any) -> None:
        for element in root.iter():
            for attribute in attributes:
                if element.get(attribute) == old:
                    element.set(attribute, new)
            if element.text == old:
                element.text = new

    return _edited(change, xml)


def with_timer(event_id: str, kind: str, expression: str, xml: bytes | None = None) -> bytes:
    """Give a timer event another timer: `kind` is timeDate, timeDuration or timeCycle."""

    def change(root: Any) -> None:
        (definition,) = _by_id(root, event_id).iter(f"{{{BPMN}}}timerEventDefinition")
        for child in list(definition):
            definition.remove(child)
        _bpmn(definition, kind, expression)

    return _edited(change, xml)


def with_failing_reminder(xml: bytes | None = None) -> bytes:
    """Run a script that raises after `execute_reminder` fires (between it and its end)."""

    def change(root: Any) -> None:
        flow = _by_id(root, "flow_execute_reminder")
        flow.set("targetRef", "reminder_fails")
        _replace_ref(root, "incoming", "flow_execute_reminder", "flow_reminder_fails_end")
        task = etree.Element(f"{{{BPMN}}}scriptTask", id="reminder_fails", name="Broken")
        _by_id(root, "execute_reminded").addprevious(task)
        _bpmn(task, "incoming", "flow_execute_reminder")
        _bpmn(task, "outgoing", "flow_reminder_fails_end")
        _bpmn(task, "script", "nothing = 1 / 0")
        flow.addnext(
            etree.Element(
                f"{{{BPMN}}}sequenceFlow",
                id="flow_reminder_fails_end",
                sourceRef="reminder_fails",
                targetRef="execute_reminded",
            )
        )
        _bpmn(_by_id(root, "lane_unit"), "flowNodeRef", "reminder_fails")

    return _edited(change, xml)
