"""The app's conventions are checked before a diagram is saved, element by element."""

from __future__ import annotations

import pytest

from engine import ModelInvalid, ModelRules, ProcessEngine, check_model
from tests.engine.conftest import BPMN, RULES

MODEL_RULES = ModelRules(
    roles=frozenset({"supervisor", "unit", "unit_head", "lead_unit"}),
    forms=frozenset(
        {"assign", "execute", "report", "sign_off", "accept", "contribute", "acknowledge"}
    ),
)
TIMER = 'assignment["due_at"] or "9999-12-31T00:00:00+00:00"'


def _broken(old: str, new: str, count: int = 1) -> bytes:
    xml = BPMN.read_text(encoding="utf-8")
    assert old in xml
    return xml.replace(old, new, count).encode("utf-8")


def test_the_reference_diagram_follows_the_conventions() -> None:
    check_model(BPMN.read_bytes(), MODEL_RULES)


@pytest.mark.parametrize(
    ("old", "new", "element", "words"),
    [
        (
            '<bpmn:lane id="lane_unit" name="unit">',
            '<bpmn:lane id="lane_unit" name="everyone">',
            "execute",
            "lane naming a role",
        ),
        (
            '<spiffworkflow:property name="form" value="report" />',
            '<spiffworkflow:property name="form" value="mystery" />',
            "report",
            "known form",
        ),
        (TIMER, "PT1H", "execute_overdue", "quote it"),
        (TIMER, 'assignment["due_at"', "execute_overdue", "not valid"),
        (
            '<bpmn:sequenceFlow id="flow_accept_accepted_gw" sourceRef="accept" '
            'targetRef="accepted_gw" />',
            "",
            "accept",
            "end event",
        ),
    ],
    ids=["unknown-lane", "unknown-form", "unquoted-timer", "timer-syntax", "dead-end"],
)
def test_a_broken_convention_is_reported_at_its_element(old, new, element, words) -> None:
    with pytest.raises(ModelInvalid) as caught:
        check_model(_broken(old, new), MODEL_RULES)
    found = [message for where, message in caught.value.problems if where == element]
    assert found, caught.value.problems
    assert any(words in message for message in found)


def test_an_engine_with_rules_saves_nothing_that_breaks_them(sessions) -> None:
    processes = ProcessEngine(RULES, model_rules=MODEL_RULES)
    with sessions() as session:
        with pytest.raises(ModelInvalid):
            processes.save_model(session, "directive", _broken(TIMER, "PT1H"), author="admin")
        session.rollback()
        assert processes.model_versions(session, "directive") == []
        saved = processes.save_model(session, "directive", BPMN.read_bytes(), author="admin")
        assert saved.number == 1
