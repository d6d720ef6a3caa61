"""Diagram code runs in worker processes with OS limits: attacks on the server's memory and CPU.

The attacks of issue 9 (item 2) went past the in-process guards: one C call that builds a huge
list, a small list whose JSON is huge, and C-level work the trace function never sees
(`round(1, -10**7)`, a comparison walking shared references). Each now fails the step with a
message naming the element; nothing is saved, this process (the server) does not grow, and
the next normal step works. The pool itself survives killed workers and concurrent callers.
"""

from __future__ import annotations

import os
import resource
import threading
import time
from pathlib import Path

import pytest

import engine
from engine.script_guards import ScriptLimits, ScriptRefused, ScriptStopped
from engine.script_policy import is_bounded_expression, is_bounded_script
from engine.script_pool import WorkerPool
from engine.script_wire import WireError, frame, receive
from tests.engine.conftest import RULES
from tests.engine.test_sandbox import (
    EXECUTE_TIMER,
    ROLE_CONDITION,
    assert_refused_and_nothing_saved,
    with_expression,
    with_post_script,
)

MB = 1024 * 1024
SPREAD = "a = [0] * 10**6\nx = [" + ", ".join(["*a"] * 100) + "]"  # 100 M items in one C call
REPEATED = "a = [0] * 10**6\nx = [a] * 20"  # 8 MB in memory, 140 MB as JSON
ROUND = "x = round(1, -10**7)"
COMPARE = "a = [[0] * 10**6] * 10**6\nb = [[0] * 10**6] * 10**6\nx = a == b"
SCRIPT_ATTACKS = {
    "spread": (SPREAD, "the script in 'assign' was stopped: it used more than 256 MB of memory"),
    "repeated": (
        REPEATED,
        "the script in 'assign' was stopped: it left 257 KB of data or more, at most 256 KB",
    ),
    "round": (ROUND, "the script in 'assign' was stopped: it ran longer than 1.0 s"),
    "compare": (COMPARE, "the script in 'assign' was stopped: it ran longer than 1.0 s"),
}
EXPRESSION_ATTACKS = {
    "spread": (
        "len([" + ", ".join(["*[0] * 10**6"] * 100) + "]) > 0",
        "was stopped: it used more than 256 MB of memory",
    ),
    "repeated": ("[[0] * 10**6] * 20", "was stopped: it returned 257 KB of data or more"),
    "round": ("round(1, -10**7) == 0", "was stopped: it ran longer than 1.0 s"),
    "compare": (
        "[[0] * 10**6] * 10**6 == [[0] * 10**6] * 10**6",
        "was stopped: it ran longer than 1.0 s",
    ),
}


def _peak_rss() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


@pytest.mark.parametrize(
    ("script", "message"), SCRIPT_ATTACKS.values(), ids=list(SCRIPT_ATTACKS.keys())
)
def test_an_attack_in_a_script_stops_in_its_worker(sessions, processes, script, message) -> None:
    before, began = _peak_rss(), time.perf_counter()
    error = assert_refused_and_nothing_saved(sessions, processes, with_post_script(script), "")
    assert time.perf_counter() - began < 15
    assert error.element_id == "assign"
    assert message in str(error)
    assert _peak_rss() - before < 64 * MB  # the server did not build the attack's data


@pytest.mark.parametrize(
    ("expression", "message"), EXPRESSION_ATTACKS.values(), ids=list(EXPRESSION_ATTACKS.keys())
)
def test_an_attack_in_a_gateway_condition_stops_in_its_worker(
    sessions, processes, expression, message
) -> None:
    before = _peak_rss()
    xml = with_expression(ROLE_CONDITION, expression)
    error = assert_refused_and_nothing_saved(sessions, processes, xml, message)
    assert error.element_id == "role_gw"
    assert "in 'role_gw' was stopped" in str(error)
    assert _peak_rss() - before < 64 * MB


@pytest.mark.parametrize("attack", ["round", "compare", "spread"])
def test_an_attack_in_a_timer_expression_stops_in_its_worker(sessions, processes, attack) -> None:
    condition, message = EXPRESSION_ATTACKS[attack]
    expression = f'({condition}) and "9999-12-31T00:00:00+00:00"'
    error = assert_refused_and_nothing_saved(
        sessions, processes, with_expression(EXECUTE_TIMER, expression), message
    )
    assert error.element_id == "execute_overdue"


def test_a_script_may_leave_up_to_its_data_limit(sessions) -> None:
    processes = engine.ProcessEngine(RULES, script_limits=ScriptLimits(max_data_bytes=4096))
    with sessions() as session:  # the normal instance leaves 4 000 characters: allowed
        xml = with_post_script("x = 'a' * 4000")
        processes.save_model(session, "directive", xml, author="t", publish=True)
        session.commit()
    with_more = with_post_script("x = 'a' * 4000\ny = 'b' * 200")
    error = assert_refused_and_nothing_saved(sessions, processes, with_more, "")
    assert "was stopped: it left 5 KB of data or more, at most 4 KB" in str(error)


def test_data_a_script_cannot_store_is_refused_with_its_name(sessions, processes) -> None:
    error = assert_refused_and_nothing_saved(
        sessions, processes, with_post_script("seen = {1, 2}"), ""
    )
    assert str(error).startswith(
        "the process failed at assign: the script in 'assign' was refused: it left a value of "
        "type set in 'seen': only text, numbers, True/False, None, lists and dicts can be kept"
    )


# -- the pool ---------------------------------------------------------------------------------


def _alive(pid: int) -> bool:
    return Path(f"/proc/{pid}").exists()


def test_a_killed_worker_is_reaped_and_replaced() -> None:
    pool = WorkerPool(size=1)
    try:
        assert pool.evaluate("1 + 1", {}, {}, ScriptLimits()) == 2
        (first,) = pool.pids()
        with pytest.raises(ScriptStopped, match="ran longer than 1.0 s"):
            pool.execute(ROUND, {}, {}, ScriptLimits())
        assert not _alive(first)  # killed and waited for: no zombie left behind
        assert pool.evaluate("len(a)", {"a": [1, 2]}, {}, ScriptLimits()) == 2
        (second,) = pool.pids()
        assert second != first
    finally:
        pool.close()
    assert not _alive(second)


def test_a_worker_that_died_while_idle_is_replaced_without_failing_the_call() -> None:
    pool = WorkerPool(size=1)
    try:
        pool.evaluate("1", {}, {}, ScriptLimits())
        (pid,) = pool.pids()
        os.kill(pid, 9)
        time.sleep(0.2)
        assert pool.evaluate("2 * 3", {}, {}, ScriptLimits()) == 6
    finally:
        pool.close()


def test_threads_share_the_pool_while_one_worker_is_killed() -> None:
    pool = WorkerPool(size=2)
    results: dict[int, object] = {}

    def call(index: int) -> None:
        try:
            if index == 0:
                pool.execute(ROUND, {}, {}, ScriptLimits())
            else:
                results[index] = pool.execute(
                    f"y = x * {index}", {"x": 2}, {}, ScriptLimits()
                ).changed
        except ScriptStopped as exc:
            results[index] = str(exc)

    threads = [threading.Thread(target=call, args=(index,)) for index in range(12)]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert results[0] == "it ran longer than 1.0 s"
        assert {index: results[index] for index in range(1, 12)} == {
            index: {"y": 2 * index} for index in range(1, 12)
        }
        assert len(pool.pids()) <= 2
    finally:
        pool.close()


def test_workers_run_under_os_limits_without_the_servers_secrets(monkeypatch) -> None:
    monkeypatch.setenv("DONDOC_SECRET_KEY", "do-not-leak")
    pool = WorkerPool(size=1)
    try:
        pool.evaluate("1", {}, {}, ScriptLimits())
        (pid,) = pool.pids()
        limits = Path(f"/proc/{pid}/limits").read_text()
        environment = Path(f"/proc/{pid}/environ").read_bytes()
    finally:
        pool.close()
    rows = {line[:26].strip(): line[26:].split() for line in limits.splitlines()[1:]}
    assert rows["Max address space"][1] != "unlimited"
    assert int(rows["Max address space"][1]) < 2 * 1024 * MB
    assert rows["Max cpu time"][:2] == ["600", "600"]
    assert rows["Max core file size"][:2] == ["0", "0"]
    assert rows["Max file size"][:2] == ["0", "0"]
    assert b"do-not-leak" not in environment


def test_an_answer_over_its_limit_is_refused_before_it_is_read() -> None:
    read_end, write_end = os.pipe()
    try:
        os.write(write_end, frame(b"x" * 100))
        os.set_blocking(read_end, False)
        with pytest.raises(WireError, match="over the 99 allowed"):
            receive(read_end, time.monotonic() + 1, 99)
    finally:
        os.close(read_end)
        os.close(write_end)


def test_a_worker_error_keeps_its_kind_and_line() -> None:
    pool = WorkerPool(size=1)
    try:
        with pytest.raises(ScriptRefused) as refused:
            pool.execute("x = 1\ny = x.__class__", {}, {}, ScriptLimits())
        assert "__class__" in str(refused.value)
        with pytest.raises(Exception, match="division by zero") as failed:
            pool.execute("x = 1\ny = x / 0", {}, {}, ScriptLimits())
        assert (type(failed.value).__name__, failed.value.type_name, failed.value.line) == (
            "ScriptRaised",
            "ZeroDivisionError",
            2,
        )
    finally:
        pool.close()


@pytest.mark.parametrize(
    ("text", "bounded"),
    [
        ('assignment["role"] == "lead"', True),
        ("accepted == True", True),
        ('assignment["remind_at"] or "9999-12-31T00:00:00+00:00"', True),
        ('not a and b["x"][0] in c', True),
        ('len(assignment.get("cycles") or []) > assignment.get("cycle", 0) + 1', False),
        ("a[b]", False),
        ("a == [*b]", False),
        ("x.__class__", False),
        ("a * 2 == b", False),
        ("f'{a}'", False),
    ],
)
def test_only_expressions_that_call_and_build_nothing_stay_in_the_server(text, bounded) -> None:
    assert is_bounded_expression(text) is bounded


@pytest.mark.parametrize(
    ("text", "bounded"),
    [
        ("del assignments", True),
        ("del a, b\ndel c", True),
        ("del a[0]", False),
        ("del a\nx = [0] * 10", False),
        ("x = 1", False),
        ("", False),
    ],
)
def test_only_scripts_that_delete_variables_stay_in_the_server(text, bounded) -> None:
    assert is_bounded_script(text) is bounded


def test_the_engine_package_loads_its_names_on_first_use() -> None:
    assert sorted(engine.__all__) == sorted(engine._HOMES)
    for name in engine.__all__:
        assert getattr(engine, name) is not None
