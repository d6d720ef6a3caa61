"""What diagram code may be: the compile policy, the save-time text checks, bounded expressions.

`restricted_compile` turns script or expression text into code under `SandboxPolicy` (see the
docstring of `engine.sandbox` for the layers). `is_bounded_expression` tells which expressions
cannot run long or allocate much whatever the task data holds, so the server may evaluate them
itself; everything else runs in a script worker process (`engine.script_pool`). This module
imports neither SpiffWorkflow nor the database, so a worker starts small.
"""

from __future__ import annotations

import ast
import functools
import re
import reprlib
import traceback
import typing
from types import CodeType
from typing import Any

from RestrictedPython.compile import compile_restricted_eval, compile_restricted_exec
from RestrictedPython.transformer import RestrictingNodeTransformer, copy_locations

from engine.script_guards import ALLOWED_ATTRIBUTE_NAMES, FORMAT_WIDTH_LIMIT, SCRIPT_FILE

FORBIDDEN_NAMES = frozenset(
    {
        "open", "exec", "eval", "compile", "getattr", "setattr", "delattr", "hasattr",
        "globals", "locals", "vars", "dir", "type", "object", "input", "breakpoint",
        "memoryview", "help", "exit", "quit", "super", "classmethod", "staticmethod",
        "property", "format", "iter", "next", "id", "print",
    }
)  # fmt: skip


# -- compiling -----------------------------------------------------------------------------

GUARDED_OPERATORS: dict[type[ast.operator], str] = {
    ast.Mult: "_mul_",
    ast.Pow: "_pow_",
    ast.LShift: "_lshift_",
    ast.Add: "_add_",
    ast.Mod: "_mod_",
}


class SandboxPolicy(RestrictingNodeTransformer):
    """RestrictedPython's policy, stricter: no imports, try, with, classes or print; sized ops."""

    def visit_BinOp(self, node: ast.BinOp) -> ast.AST:
        """Route size-amplifying operators through guards that check the result's size."""
        node = self.node_contents_visit(node)
        helper = GUARDED_OPERATORS.get(type(node.op))
        if helper is None:
            return node
        call = ast.Call(ast.Name(helper, ast.Load()), [node.left, node.right], [])
        copy_locations(call, node)
        return call

    def visit_FormattedValue(self, node: ast.FormattedValue) -> ast.AST:
        """Allow only short fixed format specs, and size-check every formatted value."""
        if node.format_spec is not None:
            self._check_format_spec(node, node.format_spec)
        node = self.node_contents_visit(node)
        call = ast.Call(ast.Name("_format_", ast.Load()), [node.value], [])
        copy_locations(call, node.value)
        node.value = call
        return node

    def _check_format_spec(self, node: ast.AST, spec: ast.expr) -> None:
        parts = spec.values if isinstance(spec, ast.JoinedStr) else [spec]
        if not all(isinstance(part, ast.Constant) for part in parts):
            self.error(node, "f-string format specs must be fixed text")
            return
        text = "".join(str(getattr(part, "value", "")) for part in parts)
        if any(int(number) > FORMAT_WIDTH_LIMIT for number in re.findall(r"\d+", text)):
            self.error(node, f"f-string format widths above {FORMAT_WIDTH_LIMIT} are not allowed")

    def visit_While(self, node: ast.While) -> ast.AST:
        """Check the limits on every turn: `while True: pass` yields no trace events."""
        node = self.node_contents_visit(node)
        node.body.insert(0, _tick(node.body[0]))
        return node

    def visit_For(self, node: ast.For) -> ast.AST:
        """Check the limits on every turn of a for loop."""
        node = typing.cast(ast.For, self.guard_iter(node))
        node.body.insert(0, _tick(node.body[0]))
        return node

    def visit_comprehension(self, node: ast.comprehension) -> ast.AST:
        """Check the limits on every item of a comprehension."""
        node = typing.cast(ast.comprehension, self.guard_iter(node))
        node.ifs.append(_tick(node.target).value)
        return node

    def visit_Name(self, node: ast.Name) -> Any:
        """Refuse print (scripts have no output) before RestrictedPython rewrites it."""
        if node.id in ("print", "printed"):
            self.error(node, "print is not allowed in diagram scripts")
            return node
        return super().visit_Name(node)

    def _refuse(self, node: ast.AST, what: str) -> None:
        self.error(node, f"{what} are not allowed in diagram scripts")

    def visit_Import(self, node: ast.Import) -> None:
        """Refuse imports."""
        self._refuse(node, "import statements")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        """Refuse imports."""
        self._refuse(node, "import statements")

    def visit_Try(self, node: ast.Try) -> None:
        """Refuse try: the time limit's exception must not be caught."""
        self._refuse(node, "try statements")

    def visit_With(self, node: ast.With) -> None:
        """Refuse with: a context manager could swallow the time limit's exception."""
        self._refuse(node, "with statements")

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        """Refuse class definitions."""
        self._refuse(node, "class definitions")


def _tick(node: ast.stmt | ast.expr) -> ast.Expr:
    """Return the statement `_tick_()`, placed at the node."""
    tick = ast.Expr(ast.Call(ast.Name("_tick_", ast.Load()), [], []))
    copy_locations(tick, node)
    copy_locations(tick.value, node)
    return tick


@functools.lru_cache(maxsize=1024)
def restricted_compile(text: str, mode: str = "exec") -> CodeType:
    """Compile script ("exec") or expression ("eval") text under the sandbox policy.

    Raise SyntaxError naming every refusal. Results are cached by text: the engine runs the
    same few scripts over and over.
    """
    compiler = compile_restricted_eval if mode == "eval" else compile_restricted_exec
    result = compiler(text, filename=SCRIPT_FILE, policy=SandboxPolicy)
    if result.errors or result.code is None:
        raise SyntaxError("; ".join(result.errors) or "the text does not compile")
    return result.code


def text_problems(text: str, mode: str, what: str = "the script") -> list[str]:
    """Return why the sandbox would refuse a script or expression text (nothing when fine)."""
    try:
        restricted_compile(text, mode)
    except SyntaxError as exc:
        return [f"{what} is not valid: {exc.msg}"]
    tree = ast.parse(text, mode=mode)
    stored = {node.id for node in ast.walk(tree) if isinstance(node, ast.Name)
              and not isinstance(node.ctx, ast.Load)}  # fmt: skip
    problems = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and node.id in FORBIDDEN_NAMES and node.id not in stored:
            problems.append(f"'{node.id}' is not allowed in diagram scripts")
        elif isinstance(node, ast.Attribute) and node.attr not in ALLOWED_ATTRIBUTE_NAMES:
            problems.append(f"attribute '{node.attr}' is not allowed in diagram scripts")
    return list(dict.fromkeys(problems))


# -- expressions the server may evaluate itself ----------------------------------------------

BOUNDED_NODES = (
    ast.Expression, ast.Name, ast.Load, ast.Constant, ast.Compare, ast.BoolOp, ast.And, ast.Or,
    ast.UnaryOp, ast.Not, ast.USub, ast.UAdd, ast.Subscript, ast.Attribute, ast.Eq, ast.NotEq,
    ast.Lt, ast.LtE, ast.Gt, ast.GtE, ast.Is, ast.IsNot, ast.In, ast.NotIn,
)  # fmt: skip


@functools.lru_cache(maxsize=1024)
def is_bounded_expression(text: str) -> bool:
    """Tell whether an expression is only names, constants, comparisons, and/or/not, subscripts
    with constant keys and allowed attributes.

    Such an expression calls nothing and builds nothing: on plain JSON data (no shared
    references, which is all the engine stores) its cost is bounded by the size of the data it
    reads, so it may run in the server. Anything else runs in a script worker.
    """
    try:
        tree = ast.parse(text, mode="eval")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    for node in ast.walk(tree):
        if not isinstance(node, BOUNDED_NODES):
            return False
        if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Constant):
            return False
        if isinstance(node, ast.Attribute) and node.attr not in ALLOWED_ATTRIBUTE_NAMES:
            return False
    return True


@functools.lru_cache(maxsize=1024)
def is_bounded_script(text: str) -> bool:
    """Tell whether a script only deletes variables (`del a, b`), so the server may run it.

    Such a script allocates nothing and cannot loop; diagrams use it to drop data a
    sub-process does not need (`del assignments` on every multi-instance item).
    """
    try:
        tree = ast.parse(text, mode="exec")
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return False
    return bool(tree.body) and all(
        isinstance(statement, ast.Delete)
        and all(isinstance(target, ast.Name) for target in statement.targets)
        for statement in tree.body
    )


# -- describing failures -------------------------------------------------------------------


def script_line(exc: BaseException) -> int | None:
    """Return the line of the diagram script an exception was raised on, if any."""
    lines = [
        frame.lineno
        for frame in traceback.extract_tb(exc.__traceback__)
        if frame.filename == SCRIPT_FILE and frame.lineno
    ]
    return lines[-1] if lines else None


def bounded_message(exc: BaseException) -> str:
    """Render an exception's message without printing huge values from the script."""
    if len(exc.args) == 1 and isinstance(exc.args[0], str):
        return shorten(exc.args[0], 300, quote=False)
    return reprlib.repr(exc.args)


def shorten(text: str, limit: int = 80, quote: bool = True) -> str:
    """Cut a text to `limit` characters, quoted unless told otherwise."""
    short = text if len(text) <= limit else text[: limit - 1] + "…"
    return repr(short) if quote else short
