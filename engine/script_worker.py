"""A script worker: runs diagram scripts and expressions for the server, in a process of its own.

`engine.script_pool` starts it as `python -m engine.script_worker`. Before it reads a request it
limits itself: no core files, no writing to files, and hard caps on its address space and CPU
time (`RLIMIT_AS`, `RLIMIT_CPU`). For each request it lowers the soft limits to what the request
may spend, so a single C call that allocates gigabytes fails with MemoryError and a CPU-bound one
is stopped by SIGXCPU; the server also kills it at a wall-clock deadline. Inside, the code runs
under the same RestrictedPython policy, guards and trace-based limits as in the server, which give
the clearer messages for Python-level loops.

Only JSON goes back: the value of an expression, or the task data a script created, changed or
deleted. What a run leaves is measured as JSON while it is encoded and refused beyond
`ScriptLimits.max_data_bytes`, so a value that would serialize to 100 MB is never built.
"""

from __future__ import annotations

import functools
import json
import math
import os
import resource
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from engine.script_guards import (
    Guards,
    ScriptLimits,
    ScriptRefused,
    ScriptStopped,
    run_limited,
)
from engine.script_policy import bounded_message, restricted_compile, script_line
from engine.script_wire import NotPlainData, TooMuchData, encode_limited, frame, read_frame

ADDRESS_SPACE_HEADROOM = 1 << 30  # the hard cap: the address space at start plus 1 GiB
CPU_CAP_SECONDS = 600  # CPU time over the worker's life; it retires after half of it
MAX_REQUEST_BYTES = 512 * 1024 * 1024
READY = b'{"ready":true}'


@dataclass(frozen=True)
class Request:
    """One run: the mode ("eval" or "exec"), the text, the limits, task data and external data."""

    mode: str
    text: str
    limits: ScriptLimits
    data: bytes
    external: bytes


def main() -> None:
    """Limit this process, then answer requests from stdin until it closes."""
    cap_resources()
    reader, writer = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # only frames may reach the server
    writer.write(frame(READY))
    writer.flush()
    while True:
        request = read_request(reader)
        if request is None:
            return
        answer, retire = handle(request)
        writer.write(frame(answer))
        writer.flush()
        if retire:
            return


def read_request(reader: Any) -> Request | None:
    """Read the three frames of a request; None when the server closed the pipe."""
    header = read_frame(reader, MAX_REQUEST_BYTES)
    data = read_frame(reader, MAX_REQUEST_BYTES)
    external = read_frame(reader, MAX_REQUEST_BYTES)
    if header is None or data is None or external is None:
        return None
    fields = json.loads(header)
    return Request(fields["mode"], fields["text"], ScriptLimits(**fields["limits"]), data, external)


def handle(request: Request) -> tuple[bytes, bool]:
    """Run one request; return the answer and whether this worker should retire after it."""
    try:
        with request_limits(request.limits):
            body = run(request)
        retire = tired()
        return b'{"ok":true,"retire":%s,%s}' % (json.dumps(retire).encode(), body.encode()), retire
    except MemoryError:  # the soft RLIMIT_AS: the heap may be fragmented, start afresh
        megabytes = request.limits.memory_bytes // (1024 * 1024)
        message = f"it used more than {megabytes} MB of memory"
        return failure("stopped", "ScriptStopped", message, retire=True), True
    except Exception as exc:  # every failure of the script goes back as a message
        retire = tired()
        return describe(exc, retire), retire


def run(request: Request) -> str:
    """Run the request's code; return the answer's fields as JSON text."""
    code = restricted_compile(request.text, request.mode)
    guards = guards_for(request.limits)
    data, external = json.loads(request.data), json.loads(request.external)
    limit = request.limits.max_data_bytes
    if request.mode == "eval":
        namespace = {**guards, **external, **data, **guards}  # data must not replace a guard
        value = run_limited(code, namespace, request.limits)
        try:
            return '"value":' + encoded(value, limit, "it returned")
        except TooMuchData as exc:
            raise ScriptStopped(too_much("it returned", exc.size, limit)) from None
    pristine = json.loads(request.data)
    data.update({**guards, **external, **guards})
    run_limited(code, data, request.limits)
    for key in list(data):  # what SpiffWorkflow removes after a script: globals, functions
        if key == "__builtins__" or callable(data[key]) or key in guards or key in external:
            del data[key]
    try:
        return changes(data, pristine, limit)
    except TooMuchData as exc:
        raise ScriptStopped(too_much("it left", exc.size, limit)) from None


@functools.lru_cache(maxsize=8)
def guards_for(limits: ScriptLimits) -> dict[str, Any]:
    """Return the guard names for a set of limits (the same few limits come back every time)."""
    return Guards(limits).names()


def changes(data: dict[str, Any], pristine: dict[str, Any], limit: int) -> str:
    """Encode the variables a script set or changed, and the names it deleted, within `limit`."""
    deleted = [key for key in pristine if key not in data]
    parts, used = [], len(json.dumps(deleted))
    for key, value in data.items():
        if key in pristine and same(value, pristine[key]):
            continue
        prefix = json.dumps(key) + ":"
        try:
            text = encoded(value, limit - used - len(prefix), "it left", f" in {key!r}")
        except TooMuchData as exc:
            raise TooMuchData(used + len(prefix) + exc.size) from None
        parts.append(prefix + text)
        used += len(prefix) + len(text) + 1
    return '"changed":{' + ",".join(parts) + '},"deleted":' + json.dumps(deleted)


def same(value: Any, before: Any) -> bool:
    """Tell whether a variable still holds what it held before the script ran."""
    try:
        return type(value) is type(before) and bool(value == before)
    except RecursionError:  # a structure that contains itself: not plain data any more
        return False


def encoded(value: Any, budget: int, what: str, where: str = "") -> str:
    """Encode a value within a budget; say what is wrong with data that is not plain JSON."""
    try:
        return encode_limited(value, max(budget, 0))
    except NotPlainData as exc:
        raise ScriptRefused(
            f"{what} a value of type {exc.type_name}{where}: only text, numbers, True/False, "
            "None, lists and dicts can be kept"
        ) from None
    except (ValueError, RecursionError) as exc:  # circular, or nested too deep to encode
        problem = bounded_message(exc)
        raise ScriptRefused(f"{what} data that cannot be stored{where}: {problem}") from None


def too_much(what: str, size: int, limit: int) -> str:
    """Say that a run left (or returned) more data than allowed."""
    return f"{what} {math.ceil(size / 1024)} KB of data or more, at most {limit // 1024} KB"


def describe(exc: Exception, retire: bool) -> bytes:
    """Turn a failure of the script into an answer frame's payload."""
    if isinstance(exc, ScriptStopped):
        kind = "stopped"
    elif isinstance(exc, ScriptRefused | SyntaxError):
        kind = "refused"
    else:
        kind = "failed"
    message, line = bounded_message(exc), script_line(exc)
    return failure(kind, type(exc).__name__, message, line, retire)


def failure(
    kind: str, type_name: str, message: str, line: int | None = None, retire: bool = False
) -> bytes:
    """Encode a failure answer."""
    answer = {"ok": False, "kind": kind, "type": type_name, "message": message, "line": line}
    return json.dumps({**answer, "retire": retire}).encode()


# -- resource limits -------------------------------------------------------------------------


def cap_resources() -> None:
    """Set the hard limits this worker lives under; done before any request is read."""
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    resource.setrlimit(resource.RLIMIT_FSIZE, (0, 0))  # no writing to files; pipes still work
    size = address_space()
    if size is not None:
        _set_hard(resource.RLIMIT_AS, size + ADDRESS_SPACE_HEADROOM)
    _set_hard(resource.RLIMIT_CPU, CPU_CAP_SECONDS)


def _set_hard(kind: int, cap: int) -> None:
    _, hard = resource.getrlimit(kind)
    value = cap if hard == resource.RLIM_INFINITY else min(hard, cap)
    resource.setrlimit(kind, (value, value))


@contextmanager
def request_limits(limits: ScriptLimits) -> Iterator[None]:
    """Lower the soft limits to what one request may spend, and raise them again after it."""
    _, memory_cap = resource.getrlimit(resource.RLIMIT_AS)
    _, cpu_cap = resource.getrlimit(resource.RLIMIT_CPU)
    size = address_space()
    if size is not None and memory_cap != resource.RLIM_INFINITY:
        allowed = min(memory_cap, size + limits.memory_bytes)
        resource.setrlimit(resource.RLIMIT_AS, (allowed, memory_cap))
    cpu = min(cpu_cap, math.ceil(cpu_seconds() + limits.seconds) + 2)  # after the server's kill
    resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu_cap))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_AS, (memory_cap, memory_cap))
        resource.setrlimit(resource.RLIMIT_CPU, (cpu_cap, cpu_cap))


def address_space() -> int | None:
    """Return this process's virtual memory size in bytes (Linux), or None where unknown."""
    try:
        pages = int(os.pread(_statm(), 64, 0).split()[0])
    except (OSError, ValueError, IndexError):
        return None
    return pages * os.sysconf("SC_PAGE_SIZE")


@functools.cache
def _statm() -> int:
    return os.open("/proc/self/statm", os.O_RDONLY)  # kept open: read once per request


def cpu_seconds() -> float:
    """Return the CPU time this process used so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def tired() -> bool:
    """Tell whether this worker used half its lifetime CPU and should make way for a fresh one."""
    return cpu_seconds() > CPU_CAP_SECONDS / 2


if __name__ == "__main__":
    main()
