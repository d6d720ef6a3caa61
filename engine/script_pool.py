"""A small pool of long-lived script workers, shared by the threads of one server process.

Workers are separate Python processes (`python -m engine.script_worker`), started when first
needed and reused; they are never forked from the threaded server. A call takes an idle worker
(or starts one, up to `size`; beyond that it waits for one), sends the request and waits for the
answer with `poll`, which does not hold the GIL, so the server's other threads keep serving.
When the answer does not come by the deadline (the script's time limit plus a grace period for
the worker's own, clearer stop) the worker is killed, reaped and replaced by a fresh one later.

Answers are JSON, checked for size before they are decoded; nothing is unpickled. The pool
closes its workers at interpreter exit (and on `close()`); a worker also exits by itself when
its stdin closes, so none outlives the server.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from engine.script_guards import ScriptLimits, ScriptRaised, ScriptRefused, ScriptStopped
from engine.script_wire import WireError, WorkerTimeout, frame, receive, send

GRACE_SECONDS = 1.0  # the worker's own time limit answers first, with the line it stopped at
START_SECONDS = 30.0  # a fresh worker must say it is ready within this
ANSWER_SLACK = 64 * 1024  # room in an answer for names and messages beside the data
SOURCE_ROOT = Path(__file__).resolve().parents[1]
PASSED_ENVIRONMENT = ("PATH", "PYTHONPATH", "PYTHONHOME", "LANG", "LC_ALL", "SYSTEMROOT")
_SHARED: dict[str, WorkerPool] = {}
_SHARED_LOCK = threading.Lock()


@dataclass(frozen=True)
class ScriptChanges:
    """What a script did to its task data: variables set or changed, and names deleted."""

    changed: dict[str, Any]
    deleted: list[str]


class Worker:
    """One worker process and the two pipes to it."""

    def __init__(self, generation: int = 0) -> None:
        # The worker gets no secrets from our environment (database URL, keys).
        environment = {name: os.environ[name] for name in PASSED_ENVIRONMENT if name in os.environ}
        self.generation = generation
        self.process = subprocess.Popen(
            [sys.executable, "-m", "engine.script_worker"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            bufsize=0,
            cwd=SOURCE_ROOT,
            env=environment,
            close_fds=True,
            start_new_session=True,  # a Ctrl-C at the terminal is for the server, not for it
        )
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.to_worker, self.from_worker = self.process.stdin, self.process.stdout
        os.set_blocking(self.to_worker.fileno(), False)
        os.set_blocking(self.from_worker.fileno(), False)
        try:
            receive(self.from_worker.fileno(), time.monotonic() + START_SECONDS, 1024)
        except WireError:
            self.kill()
            raise

    @property
    def pid(self) -> int:
        """The worker's process id."""
        return self.process.pid

    def send(self, parts: list[bytes], deadline: float) -> None:
        """Send the frames of a request."""
        send(self.to_worker.fileno(), b"".join(frame(part) for part in parts), deadline)

    def answer(self, deadline: float, max_bytes: int) -> dict[str, Any]:
        """Wait for the answer and decode it; raise WireError on any failure."""
        answer = receive(self.from_worker.fileno(), deadline, max_bytes)
        try:
            decoded = json.loads(answer)
        except (ValueError, RecursionError) as exc:
            raise WireError(f"the answer is not JSON: {exc}") from exc
        if not isinstance(decoded, dict):
            raise WireError("the answer is not a JSON object")
        return decoded

    def stop(self) -> None:
        """Let the worker finish by closing its stdin; kill it if it does not."""
        self.to_worker.close()
        try:
            self.process.wait(timeout=2)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.from_worker.close()

    def kill(self) -> None:
        """Kill the worker at once and reap it."""
        self.process.kill()
        self.process.wait()
        self.to_worker.close()
        self.from_worker.close()

    def failed(self, problem: WireError, limits: ScriptLimits) -> str:
        """Kill and reap a worker that broke off, and say why it did."""
        try:
            code = self.process.wait(timeout=0.5)
        except subprocess.TimeoutExpired:  # alive: it answered garbage or too much
            self.kill()
            return f"the sandbox gave a bad answer: {problem}"
        self.kill()
        if code < 0 and -code == getattr(signal, "SIGXCPU", None):
            return f"it ran longer than {limits.seconds} s"
        return f"the sandbox process ended unexpectedly (exit status {code})"


class WorkerPool:
    """Up to `size` workers; thread-safe; survives workers that are killed or crash."""

    def __init__(self, size: int = 4) -> None:
        self.size = size
        self._idle: list[Worker] = []
        self._started = 0  # workers alive, idle or busy
        self._generation = 0  # close() retires every worker of earlier generations
        self._changed = threading.Condition()

    def evaluate(
        self, text: str, data: Mapping[str, Any], external: Mapping[str, Any], limits: ScriptLimits
    ) -> Any:
        """Evaluate an expression in a worker and return its value."""
        answer = self._run("eval", text, data, external, limits)
        if "value" not in answer:
            raise ScriptStopped("the sandbox gave a malformed answer")
        return answer["value"]

    def execute(
        self, text: str, data: Mapping[str, Any], external: Mapping[str, Any], limits: ScriptLimits
    ) -> ScriptChanges:
        """Run a script in a worker and return what it changed in the task data."""
        answer = self._run("exec", text, data, external, limits)
        changed, deleted = answer.get("changed"), answer.get("deleted")
        if not isinstance(changed, dict) or not isinstance(deleted, list):
            raise ScriptStopped("the sandbox gave a malformed answer")
        return ScriptChanges(changed, [str(name) for name in deleted])

    def pids(self) -> list[int]:
        """The process ids of the idle workers (for tests and operations)."""
        with self._changed:
            return [worker.pid for worker in self._idle]

    def close(self) -> None:
        """Stop the idle workers now and busy ones when they finish; later calls start anew."""
        with self._changed:
            idle, self._idle = self._idle, []
            self._started -= len(idle)
            self._generation += 1
            self._changed.notify_all()
        for worker in idle:
            worker.stop()

    def _run(
        self,
        mode: str,
        text: str,
        data: Mapping[str, Any],
        external: Mapping[str, Any],
        limits: ScriptLimits,
    ) -> dict[str, Any]:
        header = b'{"mode":%s,"text":%s,"limits":%s}' % (
            json.dumps(mode).encode(),
            json.dumps(text).encode(),
            _limits_json(limits),
        )
        parts = [header, json.dumps(data).encode(), json.dumps(external).encode()]
        answer = self._ask(parts, limits)
        if answer.get("ok") is True:
            return answer
        raise _failure(answer)

    def _ask(self, parts: list[bytes], limits: ScriptLimits) -> dict[str, Any]:
        deadline = time.monotonic() + limits.seconds + GRACE_SECONDS
        worker = self._send(parts, deadline)
        try:
            answer = worker.answer(deadline, limits.max_data_bytes + ANSWER_SLACK)
        except WorkerTimeout:
            self._discard(worker, kill=True)
            raise ScriptStopped(f"it ran longer than {limits.seconds} s") from None
        except WireError as exc:
            reason = worker.failed(exc, limits)
            self._discard(worker, kill=False, reaped=True)
            raise ScriptStopped(reason) from exc
        except BaseException:
            self._discard(worker, kill=True)
            raise
        self._give_back(worker, retire=answer.get("retire") is not False)
        return answer

    def _send(self, parts: list[bytes], deadline: float, retry: bool = True) -> Worker:
        """Hand the request to a worker; a worker that died while idle is replaced once."""
        worker, fresh = self._take()
        try:
            worker.send(parts, deadline)
        except WireError as exc:
            self._discard(worker, kill=True)
            if retry and not fresh and not isinstance(exc, WorkerTimeout):
                return self._send(parts, deadline, retry=False)
            raise ScriptStopped(f"the sandbox could not take the script: {exc}") from exc
        except BaseException:
            self._discard(worker, kill=True)
            raise
        return worker

    def _take(self) -> tuple[Worker, bool]:
        """Return an idle worker, or a new one when there is room, and whether it is new."""
        with self._changed:
            while True:
                while self._idle and self._idle[-1].process.poll() is not None:
                    self._started -= 1  # it died while idle (poll reaped it)
                    self._idle.pop().kill()
                if self._idle:
                    return self._idle.pop(), False
                if self._started < self.size:
                    break
                self._changed.wait()
            self._started += 1
            generation = self._generation
        try:
            return Worker(generation), True
        except BaseException as exc:
            with self._changed:
                self._started -= 1
                self._changed.notify()
            if isinstance(exc, WireError | OSError):
                raise ScriptStopped(f"the sandbox process did not start: {exc}") from exc
            raise

    def _give_back(self, worker: Worker, retire: bool) -> None:
        with self._changed:
            current = worker.generation == self._generation
            if not retire and current and worker.process.poll() is None:
                self._idle.append(worker)
                self._changed.notify()
                return
        self._discard(worker, kill=False)

    def _discard(self, worker: Worker, kill: bool, reaped: bool = False) -> None:
        if kill:
            worker.kill()
        elif not reaped:
            worker.stop()
        with self._changed:
            self._started -= 1
            self._changed.notify()


def _failure(answer: dict[str, Any]) -> Exception:
    """Rebuild the exception a worker reported, with the script line it names."""
    kind, message = answer.get("kind"), str(answer.get("message", ""))
    error: ScriptStopped | ScriptRefused | ScriptRaised
    if kind == "stopped":
        error = ScriptStopped(message)
    elif kind == "refused":
        error = ScriptRefused(message)
    else:
        error = ScriptRaised(str(answer.get("type", "Exception")), message)
    line = answer.get("line")
    error.line = line if isinstance(line, int) else None
    return error


@functools.lru_cache(maxsize=8)
def _limits_json(limits: ScriptLimits) -> bytes:
    return json.dumps(asdict(limits)).encode()


def _forget_inherited_pool() -> None:
    """In a forked child: the parent's workers and lock are the parent's; start afresh."""
    global _SHARED_LOCK  # noqa: PLW0603 - a lock held by another thread at fork time
    _SHARED_LOCK = threading.Lock()
    _SHARED.pop("pool", None)


os.register_at_fork(after_in_child=_forget_inherited_pool)


def shared_pool() -> WorkerPool:
    """Return this process's pool, creating it (and its clean-up at exit) on first use."""
    with _SHARED_LOCK:
        pool = _SHARED.get("pool")
        if pool is None:
            pool = _SHARED["pool"] = WorkerPool()
            atexit.register(pool.close)
        return pool
