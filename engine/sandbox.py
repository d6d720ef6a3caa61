"""Run the scripts and expressions of uploaded diagrams in a sandbox.

Administrators upload diagrams, so every scriptTask, pre/post-script, gateway condition, timer
and multi-instance expression is untrusted Python. Five layers hold it:

1. A process of its own. Every script, and every expression that calls or computes anything,
   runs in a script worker (`engine.script_worker`, pooled by `engine.script_pool`): a separate
   Python process with an address-space and a CPU-time limit, killed by the server at a
   wall-clock deadline and replaced. A single C call (`round(1, -10**7)`, `[*a, *a, ...]`, a
   comparison walking shared references) can hold only that worker, never the server's GIL.
   Only JSON crosses back, at most `ScriptLimits.max_data_bytes` of new or changed task data
   per run, measured while it is encoded. Expressions made only of names, constants,
   comparisons, and/or/not, constant subscripts and allowed attributes
   (`script_policy.is_bounded_expression`) run in the server: on plain JSON data they cost at
   most a walk of the data they read, and they are most of a diagram's conditions and timers.
   So do scripts that only delete variables (`del assignments`, `is_bounded_script`).
2. Compile. RestrictedPython with `SandboxPolicy` refuses names and attributes that start with
   "_", imports, classes, print, `try` and `with` (a script must not catch the sandbox's own
   stop), and f-string format specs other than short fixed text. It routes `*`, `**`, `<<`,
   `+` and `%` (augmented assignments too) through size guards, and f-string values through a
   size check. Compiled code is cached by text (bounded LRU).
3. Names. The code sees the task data, a small builtins dict and the guard functions. Every
   attribute goes through `_getattr_`, which allows only a few harmless methods of plain data
   types (`ALLOWED_ATTRIBUTES`); `str.join` and `str.replace` come back size-guarded.
4. Time. A thread-local `sys.settrace` function checks a deadline on every call event and on
   every line of the script's own code, so `while True: pass` stops after the budget with the
   line it was on. CPython switches tracing off once a trace function raises; that is safe only
   because scripts cannot catch exceptions, which is why `try` and `with` are refused.
5. Memory. Sizes that one call could multiply are refused *before* allocating: sequences
   longer than `max_items`, ints over `max_int_bits`, ranges over `max_range` items, `str()` and
   formatting of structures heavier than `max_items`. Growth made of many small steps is watched
   through the peak resident size (`ru_maxrss`) every `memory_check_every` trace events. In a
   worker the address-space limit backs both: an allocation past `memory_bytes` fails there.

Layers 2 to 5 run in the worker too, for their clearer messages (and in the server for bounded
expressions). The guards, the builtins and the tracer live in `engine.script_guards`, the
compile policy in `engine.script_policy`; this module plugs the sandbox into SpiffWorkflow,
checks timer values before SpiffWorkflow arms them (`engine.timers`) and checks diagrams
before they are saved.
"""

from __future__ import annotations

from typing import Any

from SpiffWorkflow.bpmn.exceptions import WorkflowTaskException
from SpiffWorkflow.bpmn.script_engine import PythonScriptEngine, TaskDataEnvironment
from SpiffWorkflow.exceptions import SpiffWorkflowException

from engine import timers
from engine.script_guards import (
    Guards,
    ScriptLimits,
    ScriptRaised,
    ScriptRefused,
    ScriptStopped,
    run_limited,
)
from engine.script_policy import (
    SandboxPolicy,
    bounded_message,
    is_bounded_expression,
    is_bounded_script,
    restricted_compile,
    script_line,
    shorten,
    text_problems,
)
from engine.script_pool import WorkerPool, shared_pool

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


class SandboxedEnvironment(TaskDataEnvironment):  # type: ignore[misc]  # SpiffWorkflow is untyped
    """TaskDataEnvironment that runs diagram code in script workers, under limits.

    Task data is read and written back as SpiffWorkflow's own environment does: an expression
    sees the data, a script's new and changed variables land in the task data dict and the
    ones it deleted leave it. Expressions that `is_bounded_expression` accepts, and scripts that
    only delete variables, run here, in the server, under the same policy and trace-based
    limits; every other text runs in a worker.
    """

    def __init__(self, limits: ScriptLimits | None = None, pool: WorkerPool | None = None) -> None:
        self.limits = limits or ScriptLimits()
        self.guards = Guards(self.limits).names()
        self._pool = pool
        super().__init__(dict(self.guards))

    @property
    def pool(self) -> WorkerPool:
        """The workers this environment uses: its own, or the process's shared pool."""
        return self._pool or shared_pool()

    def evaluate(
        self, expression: str, context: dict[str, Any], external_context: Any = None
    ) -> Any:
        """Evaluate an expression (condition, timer, cardinality) against task data."""
        self._prepare_context(context)
        if not is_bounded_expression(expression):
            return self.pool.evaluate(expression, context, external_context or {}, self.limits)
        code = restricted_compile(expression, "eval")
        namespace = dict(self.globals)
        namespace.update(external_context or {})
        namespace.update(context)
        namespace.update(self.guards)  # task data must not replace a guard
        return run_limited(code, namespace, self.limits)

    def execute(self, script: str, context: dict[str, Any], external_context: Any = None) -> bool:
        """Run a script in a worker; the task data takes the variables it set and deleted."""
        self.check_for_overwrite(context, external_context or {})
        self._prepare_context(context)
        if is_bounded_script(script):
            return self._delete_here(script, context, external_context)
        changes = self.pool.execute(script, context, external_context or {}, self.limits)
        context.update(changes.changed)
        for name in changes.deleted:
            context.pop(name, None)
        return True

    def _delete_here(self, script: str, context: dict[str, Any], external_context: Any) -> bool:
        """Run a script that only deletes variables in the server, as SpiffWorkflow would."""
        code = restricted_compile(script, "exec")
        context.update({**self.globals, **(external_context or {}), **self.guards})
        try:
            run_limited(code, context, self.limits)
        finally:
            self._remove_globals_and_functions_from_context(context, external_context)
        return True


class SandboxedScriptEngine(PythonScriptEngine):  # type: ignore[misc]  # SpiffWorkflow is untyped
    """The script engine for uploaded diagrams: sandboxed, with errors that say what happened.

    The value of a timer's expression is checked before SpiffWorkflow arms the timer: text it
    cannot read, or a duration or cycle period below `min_timer_seconds`, fails the step.
    """

    def __init__(
        self,
        limits: ScriptLimits | None = None,
        pool: WorkerPool | None = None,
        min_timer_seconds: float = timers.MIN_TIMER_SECONDS,
    ) -> None:
        super().__init__(environment=SandboxedEnvironment(limits, pool))
        self.min_timer_seconds = min_timer_seconds

    def evaluate(self, task: Any, expression: str, external_context: Any = None) -> Any:
        """Evaluate an expression for a task; failures name the element and the reason."""
        try:
            value = self.environment.evaluate(expression, task.data, external_context)
        except SpiffWorkflowException:
            raise
        except Exception as exc:
            what = f"the expression {shorten(expression)}"
            raise script_failure(task, what, expression, exc) from exc
        kind = timers.timer_kind(task.task_spec, expression)
        problem = kind and timers.timer_problem(kind, value, self.min_timer_seconds)
        if problem:
            refused = ScriptRefused(problem)
            raise script_failure(task, "the timer", expression, refused) from refused
        return value

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
    line = getattr(exc, "line", None) or script_line(exc)
    where = f"{what} in '{element}'" + (f" (line {line})" if line and "\n" in source else "")
    if isinstance(exc, ScriptStopped):
        reason = f"was stopped: {exc}"
    elif isinstance(exc, ScriptRefused | SyntaxError):
        reason = f"was refused: {bounded_message(exc)}"
    else:
        kind = exc.type_name if isinstance(exc, ScriptRaised) else type(exc).__name__
        reason = f"failed: {kind}: {bounded_message(exc)}"
    return ScriptFailed(f"{where} {reason}", task=task, exception=exc, line_number=line)


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


def _owner_id(element: Any) -> str | None:
    node = element.getparent()
    while node is not None and node.tag in WRAPPERS:
        node = node.getparent()
    return None if node is None else node.get("id")
