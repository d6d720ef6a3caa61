"""A readable difference between two BPMN texts, element by element, for administrators.

Elements are matched by id over the processes, their (nested) sub-processes and their lanes.
The diagram interchange section (shapes, edges, coordinates) is compared apart: moving a shape
is not a change of the process, only of its layout.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from engine.specs import parse_xml_safely

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
BPMNDI = "{http://www.omg.org/spec/BPMN/20100524/DI}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
CONTAINERS = ("process", "subProcess", "transaction", "adHocSubProcess")
NOT_ELEMENTS = frozenset({"laneSet", "extensionElements", "documentation", "ioSpecification"})
ATTRIBUTE_LABELS = {
    "sourceRef": "source",
    "targetRef": "target",
    "attachedToRef": "attached to",
    "default": "default flow",
    "cancelActivity": "interrupting",
}
SKIPPED_ATTRIBUTES = frozenset({"id", "name"})
SKIPPED_CHILDREN = frozenset(
    {"incoming", "outgoing", "extensionElements", "documentation", "flowNodeRef", "childLaneSet"}
)
EVENT_DEFINITION = "EventDefinition"
SHORT_VALUE = 60


@dataclass(frozen=True)
class ElementDiff:
    """One element added, removed or changed; `changes` says what changed, one short line each."""

    id: str
    kind: str  # the BPMN type: userTask, sequenceFlow, lane, boundaryEvent, ...
    name: str
    changes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelDiff:
    """What a new version of a diagram adds, removes and changes compared with an older one."""

    added: tuple[ElementDiff, ...]
    removed: tuple[ElementDiff, ...]
    changed: tuple[ElementDiff, ...]
    layout_changed: bool

    @property
    def layout_only(self) -> bool:
        """Tell whether only the drawing differs (shapes moved), not the process."""
        return self.layout_changed and not (self.added or self.removed or self.changed)


@dataclass(frozen=True)
class _Element:
    id: str
    kind: str
    name: str
    facets: dict[str, str]


DEFAULT_ATTRIBUTES = frozenset(
    {
        ("isSequential", "false"),
        ("cancelActivity", "true"),
        ("isInterrupting", "true"),
        ("isForCompensation", "false"),
        ("parallelMultiple", "false"),
        ("completionQuantity", "1"),
        ("startQuantity", "1"),
        ("isClosed", "false"),
        ("instantiate", "false"),
        ("triggeredByEvent", "false"),
        ("gatewayDirection", "Unspecified"),
    }
)


def diff_models(old_xml: bytes, new_xml: bytes) -> ModelDiff:
    """Compare two BPMN texts element by element, and their layouts apart."""
    old_tree, new_tree = parse_xml_safely(old_xml), parse_xml_safely(new_xml)
    old, new = _elements(old_tree), _elements(new_tree)
    changed = []
    for element_id, before in old.items():
        after = new.get(element_id)
        if after is not None:
            changes = _changes(before, after)
            if changes:
                changed.append(ElementDiff(after.id, after.kind, after.name, changes))
    return ModelDiff(
        added=tuple(_summary(e) for key, e in new.items() if key not in old),
        removed=tuple(_summary(e) for key, e in old.items() if key not in new),
        changed=tuple(changed),
        layout_changed=_layout(old_tree) != _layout(new_tree),
    )


def _summary(element: _Element) -> ElementDiff:
    return ElementDiff(element.id, element.kind, element.name)


def _local(tag: Any) -> str:
    return str(tag).rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def _elements(tree: Any) -> dict[str, _Element]:
    """Index every process element by id: processes, their nodes and flows, and lanes."""
    root = tree.getroot()
    lanes = _lane_of_nodes(root)
    found: dict[str, _Element] = {}
    for process in root.findall(f"{BPMN}process"):
        _collect(process, lanes, found)
    return found


def _collect(container: Any, lanes: dict[str, str], found: dict[str, _Element]) -> None:
    found[container.get("id")] = _element(container, lanes)
    for child in container:
        kind = _local(child.tag)
        if kind == "laneSet":
            for lane in child.iter(f"{BPMN}lane"):
                found[lane.get("id")] = _element(lane, lanes)
        elif kind in CONTAINERS:
            _collect(child, lanes, found)
        elif child.get("id") and kind not in NOT_ELEMENTS:
            found[child.get("id")] = _element(child, lanes)


def _lane_of_nodes(root: Any) -> dict[str, str]:
    """Map each flow node id to the name of the innermost lane listing it."""
    lanes: dict[str, str] = {}
    for lane in root.iter(f"{BPMN}lane"):  # document order: nested lanes come after parents
        for ref in lane.findall(f"{BPMN}flowNodeRef"):
            lanes[(ref.text or "").strip()] = lane.get("name") or lane.get("id")
    return lanes


def _element(node: Any, lanes: dict[str, str]) -> _Element:
    kind = _local(node.tag)
    facets: dict[str, str] = {}
    if node.get("id") in lanes:
        facets["lane"] = lanes[node.get("id")]
    facets.update(_extension_facets(node))
    facets.update(_content_facets(node))
    for name, value in _stated(node.attrib):
        if name not in SKIPPED_ATTRIBUTES:
            facets[ATTRIBUTE_LABELS.get(name, f"attribute {name}")] = value
    documentation = node.find(f"{BPMN}documentation")
    if documentation is not None:
        facets["documentation"] = _text(documentation)
    facets["name"] = node.get("name") or ""
    facets["type"] = kind
    return _Element(node.get("id"), kind, node.get("name") or "", facets)


def _extension_facets(node: Any) -> dict[str, str]:
    """Read spiffworkflow properties and other extensions (preScript, postScript, ...)."""
    facets: dict[str, str] = {}
    extensions = node.find(f"{BPMN}extensionElements")
    if extensions is None:
        return facets
    for child in extensions:
        if child.tag == f"{SPIFF}properties":
            for prop in child.findall(f"{SPIFF}property"):
                facets[f"property {prop.get('name')}"] = prop.get("value") or ""
        elif isinstance(child.tag, str):
            facets[_local(child.tag)] = _text(child)
    return facets


def _content_facets(node: Any) -> dict[str, str]:
    """Read what an element holds: script, condition, timer, event definition, loop settings."""
    facets: dict[str, str] = {}
    for child in node:
        kind = _local(child.tag)
        if not kind or kind in SKIPPED_CHILDREN:
            continue
        if kind == "timerEventDefinition":
            facets["timer"] = "; ".join(f"{_local(c.tag)} {_text(c)}" for c in child)
        elif kind.endswith(EVENT_DEFINITION):
            facets["event"] = _canonical(child)
        elif kind == "conditionExpression":
            facets["condition"] = _text(child)
        elif kind == "script":
            facets["script"] = _text(child)
        elif kind == "multiInstanceLoopCharacteristics":
            facets["multi-instance"] = _canonical(child)
        elif kind not in CONTAINERS and not child.get("id"):
            facets[kind] = _canonical(child)
    return facets


def _text(node: Any) -> str:
    return (node.text or "").strip()


def _stated(attributes: Any) -> list[tuple[str, str]]:
    """Attributes by local name, without those that only restate BPMN's default value
    (bpmn-js drops `isSequential="false"`, for instance; that is not a change)."""
    return sorted(
        (_local(key), value)
        for key, value in attributes.items()
        if (_local(key), value) not in DEFAULT_ATTRIBUTES
    )


def _canonical(node: Any) -> str:
    """Render a small subtree as text that ignores whitespace, attribute order and defaults."""
    attributes = ",".join(f"{key}={value}" for key, value in _stated(node.attrib))
    inner = " ".join(_canonical(child) for child in node if isinstance(child.tag, str))
    return f"{_local(node.tag)}({attributes})[{_text(node)}]{{{inner}}}"


def _changes(before: _Element, after: _Element) -> tuple[str, ...]:
    keys = list(dict.fromkeys([*after.facets, *before.facets]))
    order = {"type": 0, "name": 1, "lane": 2}
    keys.sort(key=lambda key: order.get(key, 3))
    return tuple(
        _describe(key, before.facets.get(key), after.facets.get(key))
        for key in keys
        if before.facets.get(key) != after.facets.get(key)
    )


def _describe(key: str, old: str | None, new: str | None) -> str:
    """Say what changed in one short line, showing values only when they are short."""
    if old is None:
        return f"{key} added" + (f": {new!r}" if _short(new) else "")
    if new is None:
        return f"{key} removed" + (f" (was {old!r})" if _short(old) else "")
    if _short(old) and _short(new):
        return f"{key}: {old!r} → {new!r}"
    return f"{key} changed"


def _short(value: str | None) -> bool:
    return value is not None and len(value) <= SHORT_VALUE and "\n" not in value


def _layout(tree: Any) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """List the diagram interchange elements with their attributes, ignoring whitespace."""
    return [
        (str(node.tag), tuple(sorted(node.attrib.items())))
        for diagram in tree.getroot().findall(f"{BPMNDI}BPMNDiagram")
        for node in diagram.iter()
        if isinstance(node.tag, str)
    ]
