"""What sandboxed diagram scripts run with: guard functions, builtins, time and memory limits.

`engine.sandbox` compiles scripts with RestrictedPython; the compiled code calls the guards
here for every attribute, item write, iteration and size-amplifying operator, and runs under
`run_limited`, whose trace function enforces the time and memory budgets. See the docstring
of `engine.sandbox` for how the layers fit together.
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
import re
import resource
import sys
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from types import CodeType, FrameType
from typing import Any

from RestrictedPython.Guards import guarded_iter_unpack_sequence, guarded_unpack_sequence

SCRIPT_FILE = "<diagram script>"  # the file name of compiled diagram code, for the tracer
FORMAT_WIDTH_LIMIT = 1_000
LARGE_RESULT = 10_000  # a guarded result at least this long triggers a memory check
_DATE = frozenset({"year", "month", "day", "isoformat", "weekday", "isoweekday"})
ALLOWED_ATTRIBUTES: dict[type, frozenset[str]] = {
    str: frozenset(
        {
            "strip", "lstrip", "rstrip", "lower", "upper", "title", "capitalize", "startswith",
            "endswith", "split", "rsplit", "join", "replace", "count", "find", "isdigit",
            "isalpha", "isspace",
        }
    ),
    list: frozenset({"append", "count", "index", "pop", "insert", "copy"}),
    dict: frozenset({"get", "items", "keys", "values", "pop", "setdefault", "copy"}),
    tuple: frozenset({"count", "index"}),
    set: frozenset({"add", "discard", "union", "intersection", "difference", "issubset"}),
    float: frozenset({"is_integer"}),
    date: _DATE,
    datetime: _DATE | {"hour", "minute", "second", "microsecond", "date", "timestamp"},
    timedelta: frozenset({"days", "seconds", "total_seconds"}),
}  # fmt: skip
ALLOWED_ATTRIBUTE_NAMES = frozenset().union(*ALLOWED_ATTRIBUTES.values())
_SEQUENCES = (str, bytes, list, tuple)
_PERCENT_SPEC = re.compile(r"%[-+ #0]*(\*|\d*)(?:\.(\*|\d*))?")
_INPLACE: dict[str, Callable[[Any, Any], Any]] = {
    "-=": operator.sub,
    "/=": operator.truediv,
    "//=": operator.floordiv,
    ">>=": operator.rshift,
    "|=": operator.or_,
    "^=": operator.xor,
    "&=": operator.and_,
    "@=": operator.matmul,
}
_CURRENT = threading.local()  # the watch of the script running in this thread


@dataclass(frozen=True)
class ScriptLimits:
    """What one script or expression may spend; the defaults suit short data-shaping scripts."""

    seconds: float = 1.0
    memory_bytes: int = 256 * 1024 * 1024
    max_items: int = 1_000_000
    max_int_bits: int = 10_000
    max_range: int = 100_000
    max_zip_args: int = 8
    memory_check_every: int = 16
    max_data_bytes: int = 256 * 1024  # what one run may leave in the task data, as JSON


class ScriptRefused(Exception):
    """The script asked for something the sandbox does not allow."""

    line: int | None = None  # the script line, when a worker reported it


class ScriptStopped(Exception):
    """The script ran out of time or memory, or left too much data."""

    line: int | None = None


class ScriptRaised(Exception):
    """The script raised an exception in the worker; `type_name` says which kind."""

    line: int | None = None

    def __init__(self, type_name: str, message: str) -> None:
        super().__init__(message)
        self.type_name = type_name


def weight(value: Any, budget: int) -> int:
    """Count what printing or comparing `value` walks, stopping once past `budget`.

    Shared references count every time, as printing would print them every time.
    """
    total, todo = 0, [value]
    while todo and total <= budget:
        item = todo.pop()
        if isinstance(item, str | bytes):
            total += len(item)
        elif isinstance(item, int):
            total += 1 + item.bit_length() // 3
        elif isinstance(item, dict):
            total += 2 * len(item)
            if total <= budget:
                todo.extend(itertools.chain(item.keys(), item.values()))
        elif isinstance(item, list | tuple | set | frozenset):
            total += len(item)
            if total <= budget:
                todo.extend(item)
        else:
            total += 1
    return total


class Guards:
    """The functions RestrictedPython's compiled code calls, bound to one set of limits."""

    def __init__(self, limits: ScriptLimits) -> None:
        self.limits = limits

    def names(self) -> dict[str, Any]:
        """Return the globals every script runs with: builtins and guards."""
        return {
            "__builtins__": self.builtins(),
            "_getattr_": self.getattr,
            "_getitem_": operator.getitem,
            "_getiter_": iter,
            "_write_": _write,
            "_iter_unpack_sequence_": guarded_iter_unpack_sequence,
            "_unpack_sequence_": guarded_unpack_sequence,
            "_inplacevar_": self.inplace,
            "_apply_": _apply,
            "_mul_": self.mul,
            "_pow_": self.pow,
            "_lshift_": self.lshift,
            "_add_": self.add,
            "_mod_": self.mod,
            "_format_": self.format_value,
            "_tick_": tick,
        }

    def builtins(self) -> dict[str, Any]:
        """Return the small builtins dict scripts may use."""
        plain = (len, abs, round, any, all, enumerate, int, float, bool, list, dict, tuple, set)
        guarded: dict[str, Callable[..., Any]] = {
            "str": self.text,
            "range": self.range,
            "zip": self.zip,
            "sum": self.sum,
            "min": self.deep(min),
            "max": self.deep(max),
            "sorted": self.deep(sorted),
        }
        real: dict[Any, type] = {guarded["str"]: str, guarded["range"]: range, guarded["zip"]: zip}
        return {
            "True": True,
            "False": False,
            "None": None,
            **{function.__name__: function for function in plain},
            **guarded,
            "isinstance": lambda value, kinds: isinstance(value, _real_types(kinds, real)),
        }

    def refuse_size(self, size: int, what: str) -> None:
        """Refuse a result over the item limit; look at memory before making a large one."""
        if size > self.limits.max_items:
            raise ScriptRefused(f"{what} would hold more than {self.limits.max_items} items")
        if size >= LARGE_RESULT:
            check_memory()

    def refuse_bits(self, bits: float, what: str) -> None:
        """Refuse an int result wider than the bit limit."""
        if bits > self.limits.max_int_bits:
            limit = self.limits.max_int_bits
            raise ScriptRefused(f"{what} would have about {int(bits)} bits (limit {limit})")

    def getattr(self, value: Any, name: str) -> Any:
        """Allow only the harmless methods and fields listed in ALLOWED_ATTRIBUTES."""
        if name.startswith("_"):
            raise ScriptRefused(f"access to {name!r} is not allowed")
        if name not in ALLOWED_ATTRIBUTES.get(type(value), ()):
            raise ScriptRefused(f"access to {name!r} of {type(value).__name__} is not allowed")
        if isinstance(value, str) and name in ("join", "replace"):
            return functools.partial(self.join if name == "join" else self.replace, value)
        return getattr(value, name)

    def mul(self, left: Any, right: Any) -> Any:
        """Multiply, refusing huge ints and long repeated sequences."""
        if isinstance(left, int) and isinstance(right, int):
            self.refuse_bits(left.bit_length() + right.bit_length(), "the product")
        elif isinstance(left, _SEQUENCES) and isinstance(right, int):
            self.refuse_size(len(left) * right, "the repeated sequence")
        elif isinstance(right, _SEQUENCES) and isinstance(left, int):
            self.refuse_size(len(right) * left, "the repeated sequence")
        return left * right

    def pow(self, base: Any, exponent: Any) -> Any:
        """Raise to a power, refusing huge int results."""
        if isinstance(base, int) and isinstance(exponent, int) and exponent > 0 and abs(base) > 1:
            self.refuse_bits(exponent * math.log2(abs(base)), "the power")
        return base**exponent

    def lshift(self, left: Any, right: Any) -> Any:
        """Shift left, refusing huge int results."""
        if isinstance(left, int) and isinstance(right, int) and right > 0:
            self.refuse_bits(left.bit_length() + right, "the shifted number")
        return left << right

    def add(self, left: Any, right: Any) -> Any:
        """Add or concatenate, refusing long sequences."""
        if isinstance(left, _SEQUENCES) and isinstance(right, _SEQUENCES):
            self.refuse_size(len(left) + len(right), "the joined sequence")
        return left + right

    def mod(self, left: Any, right: Any) -> Any:
        """Apply %, refusing `*` or wide widths and heavy values in string formatting."""
        if isinstance(left, str | bytes):
            text = left if isinstance(left, str) else left.decode("latin-1")
            for width, precision in _PERCENT_SPEC.findall(text):
                _refuse_width(width)
                _refuse_width(precision)
            self.refuse_size(len(left) + weight(right, self.limits.max_items), "the text")
        return left % right

    def format_value(self, value: Any) -> Any:
        """Let an f-string format a value only when its text cannot be huge."""
        if not isinstance(value, int | float | str | None):
            self.refuse_size(weight(value, self.limits.max_items), "the formatted text")
        return value

    def inplace(self, op: str, target: Any, value: Any) -> Any:
        """Apply an augmented assignment (x += y) with the same guards as its operator."""
        guarded = {"+=": self.add, "*=": self.mul, "**=": self.pow, "<<=": self.lshift}
        function = guarded.get(op) or (self.mod if op == "%=" else _INPLACE[op])
        return function(target, value)

    def text(self, value: Any = "") -> str:
        """str(), refusing values whose text would be huge."""
        if not isinstance(value, str):
            self.refuse_size(weight(value, self.limits.max_items), "the text")
        return str(value)

    def range(self, *args: int) -> range:
        """range(), refusing more than `max_range` items."""
        numbers = range(*args)
        try:
            size = len(numbers)
        except OverflowError:
            size = sys.maxsize
        if size > self.limits.max_range:
            raise ScriptRefused(f"range() would hold more than {self.limits.max_range} items")
        return numbers

    def zip(self, *iterables: Iterable[Any]) -> Iterable[tuple[Any, ...]]:
        """zip(), refusing many iterables (every item would be a tuple that wide)."""
        if len(iterables) > self.limits.max_zip_args:
            raise ScriptRefused(f"zip() takes at most {self.limits.max_zip_args} iterables")
        return zip(*iterables, strict=False)

    def sum(self, values: Iterable[Any], start: Any = 0) -> Any:
        """sum() of numbers only: summing lists would concatenate them in one C call."""
        if not isinstance(start, int | float):
            raise ScriptRefused("sum() adds numbers only")
        return sum(values, start)

    def deep(self, function: Callable[..., Any]) -> Callable[..., Any]:
        """Wrap a builtin that compares items: refuse input that is heavy to compare."""

        def guarded(*args: Any, **kwargs: Any) -> Any:
            self.refuse_size(weight(args, self.limits.max_items), f"{function.__name__}() input")
            return function(*args, **kwargs)

        guarded.__name__ = function.__name__
        return guarded

    def join(self, separator: str, iterable: Iterable[Any]) -> str:
        """str.join, refusing results longer than `max_items` characters."""
        parts = list(itertools.islice(iterable, self.limits.max_items + 1))
        size = sum(len(part) for part in parts if isinstance(part, str))
        self.refuse_size(size + len(separator) * max(len(parts) - 1, 0), "the joined text")
        return separator.join(parts)

    def replace(self, text: str, old: str, new: str, count: int = -1) -> str:
        """str.replace, refusing results longer than `max_items` characters."""
        found = text.count(old) if old else len(text) + 1
        found = found if count < 0 else min(found, count)
        self.refuse_size(len(text) + found * (len(new) - len(old)), "the replaced text")
        return text.replace(old, new, count)


def _write(value: Any) -> Any:
    """Allow changing items of dicts and lists only."""
    if isinstance(value, dict | list):
        return value
    raise ScriptRefused(f"changing a {type(value).__name__} is not allowed")


def _apply(function: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
    return function(*args, **kwargs)


def _real_types(kinds: Any, real: dict[Any, type]) -> Any:
    """Map the guarded builtins (str, range, zip) back to the types isinstance needs."""
    if isinstance(kinds, tuple):
        return tuple(real.get(kind, kind) for kind in kinds)
    return real.get(kinds, kinds)


def _refuse_width(text: str) -> None:
    if text == "*" or (text and int(text) > FORMAT_WIDTH_LIMIT):
        raise ScriptRefused(f"format widths above {FORMAT_WIDTH_LIMIT} are not allowed")


# -- time and memory -----------------------------------------------------------------------


def _peak_bytes() -> int:
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak if sys.platform == "darwin" else peak * 1024  # Linux reports KiB


class _Watch:
    """A trace function that stops the running script at its deadline or memory limit."""

    def __init__(self, limits: ScriptLimits) -> None:
        self.limits = limits
        self.deadline = time.perf_counter() + limits.seconds
        self.start_bytes = _peak_bytes()
        self.events = 0

    def on_call(self, frame: FrameType, event: str, arg: Any) -> Any:
        """Check on every call; follow lines only in the script's own code, not the guards."""
        self.check()
        return self.on_line if frame.f_code.co_filename == SCRIPT_FILE else None

    def on_line(self, frame: FrameType, event: str, arg: Any) -> Any:
        """Check on every line, return and exception event of the script."""
        self.check()
        return self.on_line

    def check(self) -> None:
        """Stop once the deadline passed; look at memory every few events."""
        if time.perf_counter() > self.deadline:
            raise ScriptStopped(f"it ran longer than {self.limits.seconds} s")
        self.events += 1
        if self.events % self.limits.memory_check_every == 0:
            self.check_memory()

    def check_memory(self) -> None:
        """Stop once the process grew by more than the memory limit since the script began."""
        if _peak_bytes() - self.start_bytes > self.limits.memory_bytes:
            megabytes = self.limits.memory_bytes // (1024 * 1024)
            raise ScriptStopped(f"it used more than {megabytes} MB of memory")


def tick() -> bool:
    """Apply the time and memory limits of the script running in this thread (once a turn)."""
    watch = getattr(_CURRENT, "watch", None)
    if watch is not None:
        watch.check()
    return True


def check_memory() -> None:
    """Apply the memory limit of the script running in this thread, if any."""
    watch = getattr(_CURRENT, "watch", None)
    if watch is not None:
        watch.check_memory()


def run_limited(code: CodeType, namespace: dict[str, Any], limits: ScriptLimits) -> Any:
    """Run compiled code in a namespace under the time and memory limits; return its value."""
    watch, outer = _Watch(limits), getattr(_CURRENT, "watch", None)
    previous = sys.gettrace()  # pytest, coverage or a debugger may be tracing: give it back
    _CURRENT.watch = watch
    sys.settrace(watch.on_call)
    try:
        return eval(code, namespace)  # a restricted code object of either mode, guarded names
    finally:
        sys.settrace(previous)
        _CURRENT.watch = outer
