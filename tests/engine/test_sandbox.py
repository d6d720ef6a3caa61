"""Diagram scripts and expressions run sandboxed: escapes and resource bombs fail cleanly.

Every attack is placed in a copy of the reference diagram, saved and run by a real
ProcessEngine on SQLite: the step fails with a ProcessError that says what was refused, nothing
of the step is saved, and the engine goes on running normal instances. Where the attack can be
seen in the text, the check made before a diagram is saved reports it at its element.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import pytest
from lxml import etree
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from engine import ModelInvalid, ModelRules, ProcessEngine, ProcessError, check_model
from engine.sandbox import ScriptLimits
from engine.store import stored_state
from engine.tables import ProcessInstance, WorkItem
from tests.engine.conftest import BPMN, RULES

NS = {
    "bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL",
    "spiffworkflow": "http://spiffworkflow.org/bpmn/schema/1.0/core",
}
MODEL_RULES = ModelRules(
    roles=frozenset({"supervisor", "unit", "unit_head", "lead_unit"}),
    forms=frozenset(
        {"assign", "execute", "report", "sign_off", "accept", "contribute", "acknowledge"}
    ),
)
ASSIGNMENTS = [
    {
        "assignment_id": 1,
        "unit": "KHTC",
        "role": "lead",
        "lead_unit": "KHTC",
        "due_at": None,
        "remind_at": None,
    }
]


def _root() -> Any:
    return etree.fromstring(BPMN.read_bytes())


def _text(root: Any) -> bytes:
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def with_post_script(script: str) -> bytes:
    """Give the top-level `assign` task a post-script: it runs when assign is completed."""
    root = _root()
    (extensions,) = root.xpath(
        "//bpmn:userTask[@id='assign']/bpmn:extensionElements", namespaces=NS
    )
    etree.SubElement(extensions, f"{{{NS['spiffworkflow']}}}postScript").text = script
    return _text(root)


def with_expression(xpath: str, expression: str) -> bytes:
    """Replace the text of one condition or timer expression."""
    root = _root()
    (element,) = root.xpath(xpath, namespaces=NS)
    element.text = expression
    return _text(root)


ROLE_CONDITION = "//bpmn:sequenceFlow[@id='flow_role_lead']/bpmn:conditionExpression"
EXECUTE_TIMER = "//bpmn:boundaryEvent[@id='execute_overdue']//bpmn:timeDate"

# (script, what the runtime error says, what the save-time check says or None if it cannot see it)
ATTACKS = {
    "dunder-import": (
        "x = __import__('os')",
        '"__import__" is an invalid variable name',
        "__import__",
    ),
    "import": ("import os", "import statements are not allowed", "import statements"),
    "open": (
        "x = open('/etc/passwd').read()",
        "name 'open' is not defined",
        "'open' is not allowed",
    ),
    "subclasses": (
        "x = ().__class__.__mro__[1].__subclasses__()",
        '"__class__" is an invalid attribute name',
        "__class__",
    ),
    "getattr": (
        "x = getattr(assignments, '__class__')",
        "name 'getattr' is not defined",
        "'getattr'",
    ),
    "bound-self": ("x = [].append.__self__", '"__self__" is an invalid attribute name', "__self__"),
    "format-escape": (
        "x = '{0.__class__}'.format(1)",
        "access to 'format' of str is not allowed",
        "attribute 'format' is not allowed",
    ),
    "fstring-width": ("x = f'{1:>{10**9}}'", "format specs must be fixed text", "fixed text"),
    "generator-frame": (
        "x = (y for y in []).gi_frame",
        '"gi_frame" is a restricted name',
        "gi_frame",
    ),
    "huge-string": ("x = 'a' * 10**10", "would hold more than 1000000 items", None),
    "huge-power": ("x = 10**10**10", "the power would have about", None),
    "huge-list": ("x = [0] * 10**9", "would hold more than 1000000 items", None),
    "huge-shift": ("x = 1 << 10**10", "the shifted number would have about", None),
    "shared-references": ("x = str([[0] * 10**6] * 10**6)", "the text would hold more than", None),
    "percent-width": ("x = '%*d' % (10**9, 1)", "format widths above 1000", None),
}


def _instance_state(session: Session, instance_id: int) -> tuple[Any, ...]:
    row = session.get(ProcessInstance, instance_id)
    assert row is not None
    items = session.scalars(select(WorkItem.id).where(WorkItem.instance_id == instance_id))
    return stored_state(session, instance_id), row.version_id, row.status, sorted(items)


def _start(sessions: sessionmaker[Session], processes: ProcessEngine, key: str) -> tuple[int, str]:
    with sessions() as session:
        started = processes.start(session, key, {"directive_id": 1})
        session.commit()
    (assign,) = started.ready
    return started.instance_id, assign.id


def _publish(sessions: sessionmaker[Session], processes: ProcessEngine, xml: bytes) -> None:
    with sessions() as session:
        processes.save_model(session, "attack", xml, author="admin", publish=True)
        session.commit()


def assert_refused_and_nothing_saved(
    sessions: sessionmaker[Session], processes: ProcessEngine, xml: bytes, words: str
) -> ProcessError:
    """Run assign on the diagram: it must fail with `words`, save nothing, spoil nothing."""
    _publish(sessions, processes, xml)
    instance, assign = _start(sessions, processes, "attack")
    with sessions() as session:
        before = _instance_state(session, instance)
        with pytest.raises(ProcessError) as caught:
            processes.complete(session, instance, assign, {"assignments": ASSIGNMENTS})
        session.rollback()
    assert words in str(caught.value)
    with sessions() as session:
        assert _instance_state(session, instance) == before
    assert_a_normal_instance_still_runs(sessions, processes)
    return caught.value


def assert_a_normal_instance_still_runs(
    sessions: sessionmaker[Session], processes: ProcessEngine
) -> None:
    """Start the reference diagram and assign one unit: its first step must become ready."""
    instance, assign = _start(sessions, processes, "directive")
    with sessions() as session:
        result = processes.complete(session, instance, assign, {"assignments": ASSIGNMENTS})
        session.commit()
    assert [(task.task_name, task.unit) for task in result.ready] == [("execute", "KHTC")]


@pytest.mark.parametrize(("script", "runtime", "static"), ATTACKS.values(), ids=ATTACKS.keys())
def test_an_attack_in_a_script_fails_cleanly(sessions, processes, script, runtime, static) -> None:
    error = assert_refused_and_nothing_saved(sessions, processes, with_post_script(script), runtime)
    assert error.element_id == "assign"
    assert "the script in 'assign'" in str(error)


@pytest.mark.parametrize(("script", "runtime", "static"), ATTACKS.values(), ids=ATTACKS.keys())
def test_an_attack_is_reported_before_saving_when_the_text_shows_it(
    script, runtime, static
) -> None:
    xml = with_post_script(script)
    if static is None:  # only running it shows the size: the runtime guards stop it
        check_model(xml, MODEL_RULES)
        return
    with pytest.raises(ModelInvalid) as caught:
        check_model(xml, MODEL_RULES)
    found = [message for where, message in caught.value.problems if where == "assign"]
    assert any(static in message for message in found), caught.value.problems


def test_an_endless_loop_is_stopped_after_the_time_limit(sessions, processes) -> None:
    began = time.perf_counter()
    error = assert_refused_and_nothing_saved(
        sessions, processes, with_post_script("while True:\n    pass"), "ran longer than 1.0 s"
    )
    assert time.perf_counter() - began < 10
    assert "the script in 'assign'" in str(error)


def test_a_failing_line_of_a_longer_script_is_named(sessions, processes) -> None:
    script = "units = [a['unit'] for a in assignments]\nx = 1\ny = open('/etc/passwd')"
    error = assert_refused_and_nothing_saved(
        sessions, processes, with_post_script(script), "name 'open' is not defined"
    )
    assert "the script in 'assign' (line 3) failed: NameError" in str(error)


def test_a_one_line_endless_loop_is_stopped_too(sessions, processes) -> None:
    began = time.perf_counter()
    assert_refused_and_nothing_saved(
        sessions, processes, with_post_script("while True: pass"), "ran longer than 1.0 s"
    )
    assert time.perf_counter() - began < 10


def test_a_list_growing_until_memory_runs_out_is_stopped(sessions, processes) -> None:
    script = "x = []\nwhile True:\n    x.append('a' * 100000)"
    began = time.perf_counter()
    error = assert_refused_and_nothing_saved(
        sessions, processes, with_post_script(script), "was stopped: it"
    )
    assert time.perf_counter() - began < 10
    assert "ran longer than" in str(error) or "memory" in str(error)


def test_the_memory_limit_stops_growth_before_the_time_limit(sessions) -> None:
    limits = ScriptLimits(seconds=30, memory_bytes=32 * 1024 * 1024)
    processes = ProcessEngine(RULES, script_limits=limits)
    with sessions() as session:
        processes.save_model(session, "directive", BPMN.read_bytes(), author="t", publish=True)
        session.commit()
    script = "x = []\nwhile True:\n    x.append('a' * 100000)"
    assert_refused_and_nothing_saved(
        sessions, processes, with_post_script(script), "used more than 32 MB of memory"
    )


def test_an_escape_in_a_gateway_condition_fails_cleanly(sessions, processes) -> None:
    condition = "'{0.__class__}'.format(assignment)"
    xml = with_expression(ROLE_CONDITION, condition)
    error = assert_refused_and_nothing_saved(
        sessions, processes, xml, "access to 'format' of str is not allowed"
    )
    assert error.element_id == "role_gw"
    with pytest.raises(ModelInvalid) as caught:
        check_model(xml, MODEL_RULES)
    assert ("flow_role_lead", "attribute 'format' is not allowed in diagram scripts") in (
        caught.value.problems
    )


def test_an_escape_in_a_timer_expression_fails_cleanly(sessions, processes) -> None:
    xml = with_expression(EXECUTE_TIMER, "assignment.__class__")
    assert_refused_and_nothing_saved(sessions, processes, xml, '"__class__" is an invalid')
    with pytest.raises(ModelInvalid) as caught:
        check_model(xml, MODEL_RULES)
    found = [message for where, message in caught.value.problems if where == "execute_overdue"]
    assert found == [
        'the timer expression is not valid: Line 1: "__class__" is an invalid attribute name '
        'because it starts with "_".'
    ]


def test_the_reference_diagram_passes_the_script_check() -> None:
    check_model(BPMN.read_bytes(), MODEL_RULES)


def test_allowed_script_features_work_and_land_in_task_data(sessions, processes) -> None:
    script = "\n".join(
        [
            "units = sorted(a.get('unit', '').strip().upper() for a in assignments)",
            "label = f\"{len(units):03d}:\" + ','.join(units)",
            "total = 0",
            "for index, a in enumerate(assignments):",
            "    total += a['assignment_id'] * 2 ** index",
            "checks = [isinstance(total, int), any(units), max(1, 2) == 2, 'KH' in units[0]]",
            "checks.append(label == '002:KHTC,VP' and '%s-%d' % ('a', 1) == 'a-1')",
            "assignments = [",
            "    dict(a, unit=a['unit'].strip().upper(), assignment_id=total * 100 + i)",
            "    for i, a in enumerate(assignments)",
            "    if all(checks)",
            "]",
        ]
    )
    _publish(sessions, processes, with_post_script(script))
    instance, assign = _start(sessions, processes, "attack")
    two = [*ASSIGNMENTS, {**ASSIGNMENTS[0], "assignment_id": 2, "unit": " vp", "role": "coord"}]
    with sessions() as session:
        result = processes.complete(session, instance, assign, {"assignments": two})
        session.commit()
    found = sorted((task.task_name, task.unit, task.ref) for task in result.ready)
    assert found == [("coord_execute", "VP", "501"), ("execute", "KHTC", "500")]


def test_the_trace_function_in_place_before_a_script_is_given_back(sessions, processes) -> None:
    before = sys.gettrace()
    assert_a_normal_instance_still_runs(sessions, processes)
    assert sys.gettrace() is before
