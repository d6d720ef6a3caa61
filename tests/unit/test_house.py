"""The house keeps its size rules: modules under 400 lines, functions under 60 (STYLE.md)."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGES = ("engine", "workflows", "web")
MAX_MODULE_LINES = 400
MAX_FUNCTION_LINES = 60
# A package's one door lists its public names and nothing else; it is as long as the surface.
FRONT_DOORS = ("workflows/__init__.py",)


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
    if name in FRONT_DOORS:
        return _front_door_offences(name, ast.parse(text))
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


def _front_door_offences(name: str, tree: ast.Module) -> list[str]:
    allowed = (ast.ImportFrom, ast.Import, ast.Assign, ast.Expr)  # imports, __all__, docstring
    found = [
        f"{name}:{node.lineno} holds code, not only names"
        for node in tree.body
        if not isinstance(node, allowed)
        or (isinstance(node, ast.Assign) and [ast.unparse(t) for t in node.targets] != ["__all__"])
        or (isinstance(node, ast.Expr) and not isinstance(node.value, ast.Constant))
    ]
    return found


def test_the_front_door_holds_only_names() -> None:
    assert _front_door_offences("door", ast.parse('"""Doc."""\nimport a\n__all__ = ["a"]\n')) == []
    assert _front_door_offences("door", ast.parse("def f():\n    pass\n")) != []
    assert _front_door_offences("door", ast.parse("X = 1\n")) != []
