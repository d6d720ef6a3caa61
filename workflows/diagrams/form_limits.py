"""Bounds a form's JSON Schema keeps, so that checking it and validating with it stay cheap.

A schema is a tree of JSON objects and arrays plus the edges its `$ref`s add. A form is refused
when that graph could make a save or a submission run away or fail:

- nesting deeper than MAX_DEPTH levels, references followed (jsonschema recurses per level);
- more than MAX_NODES objects and arrays once every reference is inlined (a few references per
  level double the work at each level without any cycle);
- a reference that is not a JSON pointer into the form itself (`#` or `#/...`), one that points
  to nothing or to something that is not a schema, and references that go round in a cycle;
- `$id` below the top, `$anchor`, `$dynamicAnchor` and `$dynamicRef`, which would make
  references mean something other than what is checked here;
- a pattern RE2 cannot compile or longer than MAX_PATTERN_LENGTH, and `unevaluatedProperties`
  beside `patternProperties` (jsonschema would match those names with Python's `re`).

Every walk uses its own stack: no schema, however deep, raises RecursionError.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from workflows.diagrams.form_patterns import MAX_PATTERN_LENGTH, pattern_error
from workflows.messages import N_, Message

MAX_DEPTH = 32
MAX_NODES = 2_000
UNSUPPORTED_KEYWORDS = ("$anchor", "$dynamicAnchor", "$dynamicRef", "$recursiveRef")
Path = tuple[str | int, ...]


def schema_problem(schema: dict[str, Any]) -> Message | None:
    """Say what makes a parsed schema unsafe to check or to validate with, or None."""
    document = _Document.of(schema)
    return (
        document.keyword_problem()
        or document.pattern_problem()
        or document.reference_problem()
        or document.graph_problem()
    )


def where(path: Path) -> str:
    """The JSON pointer of a place in the schema, e.g. /properties/code/pattern."""
    parts = (str(p).replace("~", "~0").replace("/", "~1") for p in path)
    return "/" + "/".join(parts)


@dataclass
class _Document:
    """Every object and array of a schema with its place, and the targets of its references."""

    root: dict[str, Any]
    places: dict[int, Path] = field(default_factory=dict)
    nodes: list[Any] = field(default_factory=list)
    targets: dict[int, Any] = field(default_factory=dict)

    @classmethod
    def of(cls, root: dict[str, Any]) -> _Document:
        document = cls(root)
        stack: list[tuple[Any, Path]] = [(root, ())]
        while stack:
            node, path = stack.pop()
            document.places[id(node)] = path
            document.nodes.append(node)
            kids = [(child, (*path, key)) for key, child in _children(node)]
            stack.extend(reversed(kids))  # popped in document order: problems come in that order
        return document

    def objects(self) -> Iterator[tuple[dict[str, Any], Path]]:
        for node in self.nodes:
            if isinstance(node, dict):
                yield node, self.places[id(node)]

    def keyword_problem(self) -> Message | None:
        for node, path in self.objects():
            for keyword in UNSUPPORTED_KEYWORDS:
                if isinstance(node.get(keyword), str):
                    return N_(
                        "%(keyword)s (at %(where)s) is not supported in a form",
                        keyword=keyword,
                        where=where(path),
                    )
            if path and isinstance(node.get("$id"), str):
                return N_(
                    "$id is only allowed at the top of a form (found at %(where)s)",
                    where=where(path),
                )
        used = {keyword for node, _ in self.objects() for keyword in node}
        if {"patternProperties", "unevaluatedProperties"} <= used:
            return N_("a form cannot use unevaluatedProperties together with patternProperties")
        return None

    def pattern_problem(self) -> Message | None:
        for node, path in self.objects():
            for pattern, place in _patterns(node, path):
                problem = _one_pattern_problem(pattern, place)
                if problem is not None:
                    return problem
        return None

    def reference_problem(self) -> Message | None:
        for node, path in self.objects():
            ref = node.get("$ref")
            if not isinstance(ref, str):
                continue
            if not (ref == "#" or ref.startswith("#/")):
                return N_("only local references (#/...) are allowed, not %(ref)s", ref=ref)
            target = pointed(self.root, ref)
            if not isinstance(target, dict | bool):
                return N_(
                    "the reference %(ref)s at %(where)s points to no schema",
                    ref=ref,
                    where=where((*path, "$ref")),
                )
            if isinstance(target, dict):
                self.targets[id(node)] = target
        return None

    def graph_problem(self) -> Message | None:
        """Refuse reference cycles, and graphs too deep or too large with references inlined."""
        return _Walk(self).run()


@dataclass
class _Walk:
    """A depth-first walk of the schema graph (tree edges plus references), on its own stack."""

    document: _Document
    size: dict[int, int] = field(default_factory=dict)
    depth: dict[int, int] = field(default_factory=dict)
    parent: dict[int, Any] = field(default_factory=dict)
    on_path: set[int] = field(default_factory=set)

    def edges(self, node: Any) -> list[Any]:
        kids = [child for _, child in _children(node)]
        target = self.document.targets.get(id(node))
        return [*kids, target] if target is not None else kids

    def run(self) -> Message | None:
        stack: list[tuple[Any, bool]] = [(self.document.root, False)]
        while stack:
            node, finished = stack.pop()
            key = id(node)
            if finished:
                self.on_path.discard(key)
                self.finish(node)
                continue
            if key in self.size:
                continue
            self.on_path.add(key)
            stack.append((node, True))
            for kid in self.edges(node):
                if id(kid) in self.on_path:
                    return self.cycle(node, kid)
                if id(kid) not in self.size:
                    self.parent[id(kid)] = node
                    stack.append((kid, False))
        if self.depth[id(self.document.root)] > MAX_DEPTH:
            return N_(
                "the schema is nested more than %(count)s levels deep (references followed)",
                count=MAX_DEPTH,
            )
        if self.size[id(self.document.root)] > MAX_NODES:
            return N_(
                "the schema has more than %(count)s objects and lists (references followed)",
                count=MAX_NODES,
            )
        return None

    def finish(self, node: Any) -> None:
        kids = self.edges(node)
        total = 1 + sum(self.size[id(kid)] for kid in kids)
        self.size[id(node)] = min(total, MAX_NODES + 1)  # saturate: the count can explode
        self.depth[id(node)] = 1 + max((self.depth[id(kid)] for kid in kids), default=0)

    def cycle(self, node: Any, back_to: Any) -> Message:
        """Name a reference on the cycle closed by the edge node -> back_to."""
        holder, child = node, back_to
        while self.document.targets.get(id(holder)) is not child and holder is not back_to:
            holder, child = self.parent[id(holder)], holder
        if self.document.targets.get(id(holder)) is not child:
            holder = node  # unreachable: a tree has no cycle, so one takes a reference
        ref = holder.get("$ref") if isinstance(holder, dict) else None
        return N_(
            "the reference %(ref)s at %(where)s leads back to itself (a cycle)",
            ref=ref,
            where=where((*self.document.places[id(holder)], "$ref")),
        )


def _children(node: Any) -> Iterator[tuple[str | int, Any]]:
    if isinstance(node, dict):
        items: Iterator[tuple[str | int, Any]] = iter(node.items())
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return iter(())
    return ((key, child) for key, child in items if isinstance(child, dict | list))


def _patterns(node: dict[str, Any], path: Path) -> Iterator[tuple[str, Path]]:
    if isinstance(node.get("pattern"), str):
        yield node["pattern"], (*path, "pattern")
    names = node.get("patternProperties")
    if isinstance(names, dict):
        for pattern in names:
            yield pattern, (*path, "patternProperties", pattern)


def _one_pattern_problem(pattern: str, path: Path) -> Message | None:
    if len(pattern) > MAX_PATTERN_LENGTH:
        return N_(
            "the pattern at %(where)s is longer than %(count)s characters",
            where=where(path),
            count=MAX_PATTERN_LENGTH,
        )
    error = pattern_error(pattern)
    if error is None:
        return None
    return N_(
        "the pattern at %(where)s cannot be used (%(error)s): back-references, look-ahead "
        "and look-behind are not supported",
        where=where(path),
        error=error,
    )


def pointed(root: Any, ref: str) -> Any:
    """Return what a local reference (#...) points to, as jsonschema resolves it, or None."""
    target = root
    pointer = ref[1:]
    if not pointer:
        return target
    for segment in unquote(pointer[1:]).split("/"):
        if isinstance(target, list):
            if not (segment.isascii() and segment.isdigit()) or int(segment) >= len(target):
                return None
            target = target[int(segment)]
        elif isinstance(target, dict):
            target = target.get(segment.replace("~1", "/").replace("~0", "~"))
        else:
            return None
    return target
