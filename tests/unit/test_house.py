"""The house keeps its size rules: modules under 400 lines, functions under 60 (STYLE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "workflows", "web")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60


def _modules() -> list[Path]:
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            parts = path.relative_to(ROOT).parts
            if "node_modules" in parts or "versions" in parts:
                continue  # vendored code; migrations are frozen history
            found.append(path)
    return found


def _offences(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    name = str(path.relative_to(ROOT))
    lines = len(text.splitlines())
    found = [f"{name}: {lines} lines"] if lines > MAX_MODULE_LINES else []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef) and node.end_lineno:
            length = node.end_lineno - node.lineno + 1
            if length > MAX_FUNCTION_LINES:
                found.append(f"{name}:{node.lineno} {node.name}: {length} lines")
    return found


def test_modules_and_functions_stay_small() -> None:
    modules = _modules()
    assert len(modules) > 100  # the walk found the house
    assert [offence for path in modules for offence in _offences(path)] == []
