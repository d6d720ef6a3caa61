"""Parsing BPMN text safely into SpiffWorkflow specs, cached by content hash."""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import Any

from lxml import etree
from SpiffWorkflow.bpmn.parser.ValidationException import ValidationException
from SpiffWorkflow.bpmn.specs.mixins.multiinstance_task import LoopTask
from SpiffWorkflow.spiff.parser.process import VALIDATOR, SpiffBpmnParser

from engine.errors import ModelInvalid

MAX_BPMN_BYTES = 5 * 1024 * 1024


@dataclass(frozen=True)
class ParsedModel:
    """The specs of one BPMN text: the process to start and its called subprocesses."""

    sha256: str
    process_id: str
    spec: Any
    subprocess_specs: dict[str, Any]


def sha256_of(xml: bytes) -> str:
    """Return the hex SHA-256 of a BPMN text."""
    return hashlib.sha256(xml).hexdigest()


def parse_xml_safely(xml: bytes, max_bytes: int = MAX_BPMN_BYTES) -> Any:
    """Parse XML with no DTD, no entities and no network; refuse oversize input."""
    if len(xml) > max_bytes:
        raise ModelInvalid(f"the file is {len(xml)} bytes; the limit is {max_bytes} bytes")
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
    )
    try:
        root = etree.fromstring(xml, parser=parser)
    except etree.XMLSyntaxError as exc:
        raise ModelInvalid(f"the file is not well-formed XML: {exc}") from exc
    if root.getroottree().docinfo.internalDTD is not None or root.getroottree().docinfo.doctype:
        raise ModelInvalid("documents with a DOCTYPE are refused (entities are not allowed)")
    return root.getroottree()


def _executable_process_id(tree: Any) -> str:
    """Return the id of the one executable process in the document."""
    ns = {"bpmn": "http://www.omg.org/spec/BPMN/20100524/MODEL"}
    processes = tree.getroot().findall("bpmn:process", ns)
    if not processes:
        raise ModelInvalid("the document has no BPMN process")
    executable = [p for p in processes if p.get("isExecutable") == "true"]
    if len(executable) != 1:
        raise ModelInvalid("the document must have exactly one executable process")
    return str(executable[0].get("id"))


def parse_model(xml: bytes) -> ParsedModel:
    """Parse and validate BPMN text into specs, or raise ModelInvalid with the offending element."""
    tree = parse_xml_safely(xml)
    process_id = _executable_process_id(tree)
    parser = SpiffBpmnParser(validator=VALIDATOR)
    try:
        parser.add_bpmn_xml(tree, filename=f"{process_id}.bpmn")
        spec = parser.get_spec(process_id)
        subprocess_specs = parser.get_subprocess_specs(process_id)
    except ValidationException as exc:
        element = getattr(exc, "id", None)
        raise ModelInvalid(str(exc), [(element, str(exc))]) from exc
    except Exception as exc:  # any other parser failure also means the model is refused
        raise ModelInvalid(f"SpiffWorkflow cannot parse the model: {exc}") from exc
    for process in (spec, *subprocess_specs.values()):
        _wire_loops(process)
    return ParsedModel(sha256_of(xml), process_id, spec, subprocess_specs)


def _wire_loops(process: Any) -> None:
    """Connect each multi-instance to the completion of its children, as a restore would.

    SpiffWorkflow makes this connection when a multi-instance first creates a child, and its
    serializer when it restores a spec; a workflow rebuilt on parsed specs needs it at once.
    """
    for task_spec in process.task_specs.values():
        if isinstance(task_spec, LoopTask):
            child = process.task_specs.get(task_spec.task_spec)
            if child is not None and not child.completed_event.is_connected(task_spec.merge_child):
                child.completed_event.connect(task_spec.merge_child)


class SpecCache:
    """Parsed models keyed by the SHA-256 of their text; parsing happens once per version."""

    def __init__(self) -> None:
        self._models: dict[str, ParsedModel] = {}
        self._lock = threading.Lock()

    def get(self, xml: bytes, sha256: str | None = None) -> ParsedModel:
        """Return the parsed model for this text, parsing it on first use."""
        key = sha256 or sha256_of(xml)
        with self._lock:
            cached = self._models.get(key)
        if cached is not None:
            return cached
        parsed = parse_model(xml)
        with self._lock:
            self._models[key] = parsed
        return parsed

    def get_by_hash(self, sha256: str) -> ParsedModel | None:
        """Return a parsed model if this hash was parsed before."""
        with self._lock:
            return self._models.get(sha256)
