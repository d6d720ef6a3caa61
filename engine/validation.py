"""Conventions a diagram must follow before it is saved, reported element by element.

SpiffWorkflow's parser checks BPMN itself; these checks catch what it accepts but the app
cannot run: user tasks in lanes that name no role, forms nobody can render, timer text that
would only fail at run time, scripts and expressions the sandbox refuses (`engine.sandbox`),
and elements no token can reach or leave.
"""

from __future__ import annotations

import ast
import re
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from engine import timers
from engine.errors import ModelInvalid
from engine.sandbox import restricted_compile, script_problems
from engine.specs import parse_model, parse_xml_safely

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
ISO_LIKE = re.compile(r"^R?\d*/?P(?:\d|T)|^\d{4}-\d{2}-\d{2}")
FLOW_NODES = {
    "startEvent",
    "endEvent",
    "userTask",
    "scriptTask",
    "serviceTask",
    "task",
    "manualTask",
    "exclusiveGateway",
    "parallelGateway",
    "inclusiveGateway",
    "eventBasedGateway",
    "intermediateCatchEvent",
    "intermediateThrowEvent",
    "boundaryEvent",
    "subProcess",
    "callActivity",
    "businessRuleTask",
    "sendTask",
    "receiveTask",
}


@dataclass(frozen=True)
class ModelRules:
    """What the application knows: the roles lanes may name and the forms tasks may use."""

    roles: frozenset[str]
    forms: frozenset[str]


def check_model(
    xml: bytes, rules: ModelRules, *, min_timer_seconds: float = timers.MIN_TIMER_SECONDS
) -> None:
    """Raise ModelInvalid listing every problem (element id, message); return if none.

    A timer written as literal text must be ISO 8601 the engine can run, with a duration or
    cycle period of at least `min_timer_seconds`.
    """
    parsed = parse_model(xml)  # safe XML, one executable process, SpiffWorkflow accepts it
    tree = parse_xml_safely(xml)
    problems = _task_problems(parsed.spec, parsed.subprocess_specs, rules)
    problems += _timer_problems(tree, min_timer_seconds)
    problems += _flow_problems(tree)
    problems += [problem for problem in script_problems(tree) if problem not in problems]
    if problems:
        summary = "; ".join(f"{element}: {message}" for element, message in problems[:5])
        raise ModelInvalid(f"the diagram breaks the app's conventions: {summary}", problems)


def _task_problems(
    spec: Any, subprocess_specs: dict[str, Any], rules: ModelRules
) -> list[tuple[str | None, str]]:
    problems: list[tuple[str | None, str]] = []
    for process in [spec, *subprocess_specs.values()]:
        for task_spec in process.task_specs.values():
            if not getattr(task_spec, "manual", False):
                continue
            element = str(task_spec.bpmn_id)
            if task_spec.lane not in rules.roles:
                problems.append(
                    (
                        element,
                        f"the user task must be in a lane naming a role "
                        f"({', '.join(sorted(rules.roles))})",
                    )
                )
            form = (getattr(task_spec, "extensions", None) or {}).get("properties", {}).get("form")
            if form not in rules.forms:
                problems.append(
                    (
                        element,
                        f"the user task needs a known form "
                        f"({', '.join(sorted(rules.forms))}), not {form!r}",
                    )
                )
    return problems


def _timer_problems(tree: Any, min_seconds: float) -> list[tuple[str | None, str]]:
    problems: list[tuple[str | None, str]] = []
    for definition in tree.getroot().iter(f"{BPMN}timerEventDefinition"):
        event = definition.getparent()
        for child in definition:
            problem = _timer_text_problem(child, min_seconds)
            if problem:
                problems.append((event.get("id"), problem))
    return problems


def _timer_text_problem(element: Any, min_seconds: float) -> str | None:
    """Say what is wrong with one timeDate/timeDuration/timeCycle text, or None."""
    text = (element.text or "").strip()
    if not text:
        return "the timer has no expression"
    if ISO_LIKE.match(text):
        return f'timer text is Python: quote it, "{text}", or name a variable'
    try:
        restricted_compile(text, "eval")
    except SyntaxError as exc:
        return f"the timer expression is not valid: {exc.msg}"
    kind = timers.KIND_OF_TAG.get(str(element.tag).rsplit("}", 1)[-1])
    literal = ast.parse(text, mode="eval").body
    if kind is None or not isinstance(literal, ast.Constant):
        return None  # a variable or a computation: checked when the timer is armed
    problem = timers.timer_problem(kind, literal.value, min_seconds)
    return f"the timer is not valid: {problem}" if problem else None


def _flow_problems(tree: Any) -> list[tuple[str | None, str]]:
    problems: list[tuple[str | None, str]] = []
    containers = [*tree.getroot().iter(f"{BPMN}process"), *tree.getroot().iter(f"{BPMN}subProcess")]
    for container in containers:
        problems += _container_flow_problems(container)
    return problems


def _container_flow_problems(container: Any) -> list[tuple[str | None, str]]:
    nodes = {
        child.get("id"): child.tag.removeprefix(BPMN)
        for child in container
        if child.tag.removeprefix(BPMN) in FLOW_NODES
    }
    forward: dict[str, list[str]] = defaultdict(list)
    backward: dict[str, list[str]] = defaultdict(list)
    for flow in container.findall(f"{BPMN}sequenceFlow"):
        forward[flow.get("sourceRef")].append(flow.get("targetRef"))
        backward[flow.get("targetRef")].append(flow.get("sourceRef"))
    for node_id, kind in nodes.items():  # a boundary event hangs on its activity
        if kind == "boundaryEvent":
            attached = container.find(f"{BPMN}boundaryEvent[@id='{node_id}']").get("attachedToRef")
            forward[attached].append(node_id)
            backward[node_id].append(attached)
    starts = [n for n, kind in nodes.items() if kind == "startEvent"]
    ends = [n for n, kind in nodes.items() if kind == "endEvent"]
    reached, finishing = _walk(starts, forward), _walk(ends, backward)
    problems: list[tuple[str | None, str]] = []
    for node_id in nodes:
        if node_id not in reached:
            problems.append((node_id, "no path from a start event reaches this element"))
        elif node_id not in finishing:
            problems.append((node_id, "no path leads from this element to an end event"))
    return problems


def _walk(seeds: list[str], edges: dict[str, list[str]]) -> set[str]:
    seen, todo = set(seeds), list(seeds)
    while todo:
        for nxt in edges.get(todo.pop(), []):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen
