"""Run the scripts and expressions of uploaded diagrams in a sandbox.

Administrators upload diagrams, so every scriptTask, pre/post-script, gateway condition, timer
and multi-instance expression is untrusted Python. Four layers hold it:

1. Compile. RestrictedPython with `SandboxPolicy` refuses names and attributes that start with
   "_", imports, classes, print, `try` and `with` (a script must not catch the sandbox's own
   stop), and f-string format specs other than short fixed text. It routes `*`, `**`, `<<`,
   `+` and `%` (augmented assignments too) through size guards, and f-string values through a
   size check. Compiled code is cached by text (bounded LRU).
2. Names. The code sees the task data, a small builtins dict and the guard functions. Every
   attribute goes through `_getattr_`, which allows only a few harmless methods of plain data
   types (`ALLOWED_ATTRIBUTES`); `str.join` and `str.replace` come back size-guarded.
3. Time. A thread-local `sys.settrace` function checks a deadline on every call event and on
   every line of the script's own code, so `while True: pass` stops after the budget. CPython
   switches tracing off once a trace function raises; that is safe only because scripts cannot
   catch exceptions, which is why `try` and `with` are refused.
4. Memory. One C call cannot be interrupted in-process, so everything that can multiply sizes
   in a single call refuses results beyond a bound *before* allocating: sequences longer than
   `max_items`, ints over `max_int_bits`, ranges over `max_range` items, `str()` and formatting
   of structures heavier than `max_items` (shared references counted each time, as printing
   them would). Growth made of many small steps is watched instead: every
   `memory_check_every` trace events, and after every large guarded result, the process's peak
   resident size (`ru_maxrss`) is compared with its value when the script started, and the
   script stops beyond `memory_bytes`. `ru_maxrss` is a peak, so memory the process had used
   before is not counted again: the check bounds new growth of the process, the real danger.

The guards, the builtins and the tracer live in `engine.script_guards`; this module compiles,
plugs the sandbox into SpiffWorkflow and checks diagrams before they are saved.

Not covered, because only a separate process could: a single C-level comparison, hash or
`count` over data built with many shared references keeps the CPU busy without trace events.
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
from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine.script_guards import (
    ALLOWED_ATTRIBUTE_NAMES,
    FORMAT_WIDTH_LIMIT,
    SCRIPT_FILE,
    Guards,
    ScriptLimits,
    ScriptRefused,
    ScriptStopped,
    run_limited,
)

__all__ = [
    "SandboxPolicy",
    "SandboxedEnvironment",
    "SandboxedScriptEngine",
    "ScriptFailed",
    "ScriptLimits",
    "ScriptRefused",
    "ScriptStopped",
    "restricted_compile",
    "script_problems",
    "text_problems",
]
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


# -- SpiffWorkflow integration --------------------------------------------------------------


class SandboxedEnvironment(TaskDataEnvironment):  # type: ignore[misc]  # SpiffWorkflow is untyped
    """TaskDataEnvironment that compiles with RestrictedPython and runs under limits.

    Task data is read and written back exactly as SpiffWorkflow's own environment does: an
    expression sees a copy, a script runs in the task data dict itself and the globals,
    functions and guards are removed from it afterwards.
    """

    def __init__(
        self, environment_globals: dict[str, Any] | None = None, limits: ScriptLimits | None = None
    ) -> None:
        self.limits = limits or ScriptLimits()
        self.guards = Guards(self.limits).names()
        super().__init__({**(environment_globals or {}), **self.guards})

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: Any = None
    ) -> Any:
        """Evaluate an expression (condition, timer, cardinality) against task data."""
        code = restricted_compile(expression, "eval")
        namespace = dict(self.globals)
        self._prepare_context(context)
        namespace.update(external_context or {})
        namespace.update(context)
        namespace.update(self.guards)  # task data must not replace a guard
        return run_limited(code, namespace, self.limits)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        """Run a script in the task data, which keeps the variables it sets."""
        code = restricted_compile(script, "exec")
        self.check_for_overwrite(context, external_context or {})
        namespace = dict(self.globals)
        self._prepare_context(context)
        namespace.update(external_context or {})
        namespace.update(self.guards)
        context.update(namespace)
        try:
            run_limited(code, context, self.limits)
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True


class SandboxedScriptEngine(PythonScriptEngine):  # type: ignore[misc]  # SpiffWorkflow is untyped
    """The script engine for uploaded diagrams: sandboxed, with errors that say what happened."""

    def __init__(
        self, environment_globals: dict[str, Any] | None = None, limits: ScriptLimits | None = None
    ) -> None:
        super().__init__(environment=SandboxedEnvironment(environment_globals, limits))

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        """Evaluate an expression for a task; failures name the element and the reason."""
        try:
            return self.environment.evaluate(expression, task.data, external_context)
        except SpiffWorkflowException:
            raise
        except Exception as exc:
            what = f"the expression {_shorten(expression)}"
            raise script_failure(task, what, expression, exc) from exc

    def execute(self, task: Any, script: str, external_context: Any = None) -> bool:
        """Run a script for a task; failures name the element, the line and the reason."""
        try:
            return bool(self.environment.execute(script, task.data, external_context or {}))
        except SpiffWorkflowException:
            raise
        except Exception as exc:
            raise script_failure(task, "the script", script, exc) from exc


class ScriptFailed(WorkflowTaskException):  # type: ignore[misc]  # SpiffWorkflow is untyped
    """A diagram script or expression failed or was stopped by the sandbox."""

    def __str__(self) -> str:
        return ". ".join([str(self.args[0]), *self.notes])


def script_failure(task: Any, what: str, source: str, exc: Exception) -> ScriptFailed:
    """Describe a failed script: where, on which line (of a longer script), and why."""
    element = task.task_spec.bpmn_id or task.task_spec.name
    line = _script_line(exc)
    where = f"{what} in '{element}'" + (f" (line {line})" if line and "\n" in source else "")
    if isinstance(exc, ScriptStopped):
        reason = f"was stopped: {exc}"
    elif isinstance(exc, ScriptRefused | SyntaxError):
        reason = f"was refused: {_bounded(exc)}"
    else:
        reason = f"failed: {type(exc).__name__}: {_bounded(exc)}"
    return ScriptFailed(f"{where} {reason}", task=task, exception=exc, line_number=line)


def _script_line(exc: BaseException) -> int | None:
    lines = [
        frame.lineno
        for frame in traceback.extract_tb(exc.__traceback__)
        if frame.filename == SCRIPT_FILE and frame.lineno
    ]
    return lines[-1] if lines else None


def _bounded(exc: BaseException) -> str:
    """Render an exception's message without printing huge values from the script."""
    if len(exc.args) == 1 and isinstance(exc.args[0], str):
        return _shorten(exc.args[0], 300, quote=False)
    return reprlib.repr(exc.args)


def _shorten(text: str, limit: int = 80, quote: bool = True) -> str:
    short = text if len(text) <= limit else text[: limit - 1] + "…"
    return repr(short) if quote else short


# -- checking a diagram before it is saved --------------------------------------------------

BPMN = "{http://www.omg.org/spec/BPMN/20100524/MODEL}"
SPIFF = "{http://spiffworkflow.org/bpmn/schema/1.0/core}"
SCRIPT_ELEMENTS = {  # tag -> (compile mode, what the messages call it)
    f"{BPMN}script": ("exec", "the script"),
    f"{SPIFF}preScript": ("exec", "the pre-script"),
    f"{SPIFF}postScript": ("exec", "the post-script"),
    f"{BPMN}conditionExpression": ("eval", "the condition"),
    f"{BPMN}completionCondition": ("eval", "the completion condition"),
    f"{BPMN}loopCardinality": ("eval", "the loop cardinality"),
    f"{BPMN}timeDate": ("eval", "the timer expression"),
    f"{BPMN}timeDuration": ("eval", "the timer expression"),
    f"{BPMN}timeCycle": ("eval", "the timer expression"),
}
WRAPPERS = {  # elements between a script text and the BPMN element it belongs to
    f"{BPMN}extensionElements",
    f"{BPMN}timerEventDefinition",
    f"{BPMN}conditionalEventDefinition",
    f"{BPMN}multiInstanceLoopCharacteristics",
}


def script_problems(tree: Any) -> list[tuple[str | None, str]]:
    """List (element id, message) for every diagram script or expression the sandbox refuses.

    The element is the BPMN element that carries the text: the scriptTask, the task with the
    pre/post-script, the sequenceFlow of the condition, the timer event.
    """
    problems: list[tuple[str | None, str]] = []
    for element in tree.getroot().iter(*SCRIPT_ELEMENTS):
        text = (element.text or "").strip()
        if text:
            mode, what = SCRIPT_ELEMENTS[element.tag]
            owner = _owner_id(element)
            problems += [(owner, message) for message in text_problems(text, mode, what)]
    return problems


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


def _owner_id(element: Any) -> str | None:
    node = element.getparent()
    while node is not None and node.tag in WRAPPERS:
        node = node.getparent()
    return None if node is None else node.get("id")
