"""Timer cycles and durations either work or are refused; one engine call is bounded.

A zero period (`R/PT0S`) used to pass the diagram check and then fire for ever inside the step
that armed it, holding the database's write lock. Such timers are now refused when the diagram
is saved (literal text) or when the timer is armed (a value from a variable); an engine call
stops after `max_timer_firings` firings or `call_seconds`. Cycles above the minimum report
every firing, each with its own due time.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy.orm import Session, sessionmaker

from engine import ModelInvalid, ModelRules, ProcessEngine, ProcessError, check_model
from engine.types import EngineLimits
from tests.engine import variants
from tests.engine.conftest import RULES
from tests.engine.test_sandbox import ASSIGNMENTS, _instance_state

MODEL_RULES = ModelRules(
    roles=frozenset({"supervisor", "unit", "unit_head", "lead_unit"}),
    forms=frozenset(
        {"assign", "execute", "report", "sign_off", "accept", "contribute", "acknowledge"}
    ),
)


def _timer(kind: str, expression: str) -> bytes:
    return variants.with_timer("execute_reminder", kind, expression)


def _problems(xml: bytes, min_timer_seconds: float = 60) -> list[str]:
    with pytest.raises(ModelInvalid) as caught:
        check_model(xml, MODEL_RULES, min_timer_seconds=min_timer_seconds)
    return [message for where, message in caught.value.problems if where == "execute_reminder"]


@pytest.mark.parametrize(
    ("kind", "text", "words"),
    [
        ("timeCycle", "R/PT0S", "its cycle repeats every 0 s; the shortest allowed is 60 s"),
        ("timeCycle", "R5/PT1S", "its cycle repeats every 1 s; the shortest allowed is 60 s"),
        ("timeCycle", "R/P0D", "its cycle repeats every 0 s"),
        ("timeDuration", "PT0S", "its duration lasts 0 s; the shortest allowed is 60 s"),
        ("timeDuration", "PT59S", "its duration lasts 59 s"),
        ("timeCycle", "R/PTXS", "'PTXS' is not an ISO 8601 duration"),
        ("timeCycle", "R3/2026-01-01T00:00:00Z/PT1H", "write R<count>/<duration>"),
        ("timeCycle", "PT1H", "write R<count>/<duration>"),
        ("timeDuration", "P1H", "'P1H' is not an ISO 8601 duration"),
        ("timeDuration", "P99999999Y", "more than a hundred years"),
        ("timeDate", "2026-13-45T00:00:00Z", "is not an ISO 8601 date and time"),
        ("timeDate", "PT1H", "is not an ISO 8601 date and time"),
        ("timeDate", "next week", "is not an ISO 8601 date and time"),
    ],
)
def test_a_literal_timer_that_cannot_run_is_refused_at_save(kind, text, words) -> None:
    found = _problems(_timer(kind, repr(text)))
    assert any(words in message for message in found), found
    assert all(message.startswith("the timer is not valid: ") for message in found)


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("timeCycle", "R/PT1M"),
        ("timeCycle", "R3/P1D"),
        ("timeCycle", "R/P1W"),
        ("timeDuration", "PT2H30M"),
        ("timeDuration", "P1Y2M"),
        ("timeDate", "2026-12-31T17:00:00+07:00"),
        ("timeCycle", 'assignment["period"]'),  # a variable: checked when the timer is armed
    ],
)
def test_timers_at_or_above_the_minimum_are_accepted(kind, text) -> None:
    expression = text if "[" in text else repr(text)
    check_model(_timer(kind, expression), MODEL_RULES)


def test_the_minimum_can_be_lowered_for_tests() -> None:
    xml = _timer("timeCycle", "'R3/PT1S'")
    assert _problems(xml) == [
        "the timer is not valid: its cycle repeats every 1 s; the shortest allowed is 60 s"
    ]
    check_model(xml, MODEL_RULES, min_timer_seconds=1)


def test_the_engine_saves_with_its_own_minimum(sessions) -> None:
    strict = ProcessEngine(RULES, model_rules=MODEL_RULES)
    lenient = ProcessEngine(
        RULES, model_rules=MODEL_RULES, limits=EngineLimits(min_timer_seconds=1)
    )
    xml = _timer("timeCycle", "'R3/PT1S'")
    with sessions() as session:
        with pytest.raises(ModelInvalid):
            strict.save_model(session, "cycle", xml, author="admin")
        assert lenient.save_model(session, "cycle", xml, author="admin").number == 1


# -- at run time ------------------------------------------------------------------------------


def _engine(sessions: sessionmaker[Session], xml: bytes, **limits: float) -> ProcessEngine:
    processes = ProcessEngine(RULES, limits=EngineLimits(**limits))
    with sessions() as session:
        processes.save_model(session, "directive", xml, author="admin", publish=True)
        session.commit()
    return processes


def _assign(sessions, processes, assignments=ASSIGNMENTS) -> tuple[int, float, ProcessError]:
    """Start an instance and complete `assign`, which must fail; return (instance, seconds)."""
    with sessions() as session:
        started = processes.start(session, "directive", {"directive_id": 1})
        session.commit()
    with sessions() as session:
        before = _instance_state(session, started.instance_id)
        began = time.perf_counter()
        with pytest.raises(ProcessError) as caught:
            processes.complete(
                session, started.instance_id, started.ready[0].id, {"assignments": assignments}
            )
        took = time.perf_counter() - began
        session.rollback()
    with sessions() as session:
        assert _instance_state(session, started.instance_id) == before  # nothing was saved
    return started.instance_id, took, caught.value


@pytest.mark.parametrize(
    "expression",
    ['assignment["period"]', '"R/PT" + str(assignment["assignment_id"] * 0) + "S"'],
    ids=["in-the-server", "in-a-worker"],
)
def test_a_zero_period_from_a_variable_fails_the_step_at_once(sessions, expression) -> None:
    processes = _engine(sessions, _timer("timeCycle", expression))
    assignments = [{**ASSIGNMENTS[0], "period": "R/PT0S"}]
    _, took, error = _assign(sessions, processes, assignments)
    assert took < 3
    assert error.element_id == "execute_reminder"
    assert str(error) == (
        "the process failed at execute_reminder: the timer in 'execute_reminder' was refused: "
        "its cycle repeats every 0 s; the shortest allowed is 60 s"
    )


def test_a_malformed_duration_from_a_variable_fails_the_step(sessions) -> None:
    processes = _engine(sessions, _timer("timeDuration", 'assignment["period"]'))
    _, _, error = _assign(sessions, processes, [{**ASSIGNMENTS[0], "period": "P99999999Y"}])
    assert "the timer in 'execute_reminder' was refused" in str(error)
    assert "more than a hundred years" in str(error)


def test_timers_firing_without_end_are_stopped_at_the_firing_bound(sessions) -> None:
    processes = _engine(sessions, _timer("timeCycle", "'R/PT0S'"), min_timer_seconds=0)
    _, took, error = _assign(sessions, processes)
    assert took < 5
    assert error.element_id == "execute_reminder"
    assert str(error) == (
        "the step was stopped: its timers fired more than 100 times "
        "(the last was 'execute_reminder')"
    )


def test_an_engine_call_is_stopped_at_its_wall_clock_limit(sessions) -> None:
    processes = _engine(
        sessions,
        _timer("timeCycle", "'R/PT0S'"),
        min_timer_seconds=0,
        max_timer_firings=10**9,
        call_seconds=1,
    )
    _, took, error = _assign(sessions, processes)
    assert 1 <= took < 4
    assert "the step was stopped after 1 s: a step may run at most 1 s" in str(error)


def test_a_cycle_reports_every_firing_with_its_own_due_time(sessions) -> None:
    processes = _engine(sessions, _timer("timeCycle", "'R3/PT1S'"), min_timer_seconds=1)
    with sessions() as session:
        started = processes.start(session, "directive", {"directive_id": 1})
        assigned = processes.complete(
            session, started.instance_id, started.ready[0].id, {"assignments": ASSIGNMENTS}
        )
        session.commit()
    first_due = assigned.next_timer_at
    assert first_due is not None
    fired, wakes, give_up = [], [first_due], time.monotonic() + 15
    while len(fired) < 3 and time.monotonic() < give_up:
        time.sleep(max(0.0, (wakes[-1] - _now()).total_seconds()) + 0.05)
        with sessions() as session:
            result = processes.fire_due_timers(session, started.instance_id)
            session.commit()
        fired += [(timer.event_name, timer.ref, timer.due_at) for timer in result.fired_timers]
        wakes.append(result.next_timer_at or _now() + timedelta(seconds=1))
    assert fired == [
        ("execute_reminder", "1", first_due + timedelta(seconds=index)) for index in range(3)
    ]
    time.sleep(1.2)  # the cycle is spent: no fourth firing
    with sessions() as session:
        assert processes.fire_due_timers(session, started.instance_id).fired_timers == ()
        session.commit()


def test_a_late_call_reports_each_missed_firing(sessions) -> None:
    processes = _engine(sessions, _timer("timeCycle", "'R3/PT1S'"), min_timer_seconds=1)
    with sessions() as session:
        started = processes.start(session, "directive", {"directive_id": 1})
        assigned = processes.complete(
            session, started.instance_id, started.ready[0].id, {"assignments": ASSIGNMENTS}
        )
        session.commit()
    assert assigned.next_timer_at is not None
    time.sleep(max(0.0, (assigned.next_timer_at - _now()).total_seconds()) + 1.3)
    with sessions() as session:
        result = processes.fire_due_timers(session, started.instance_id)
        session.commit()
    dues = [timer.due_at for timer in result.fired_timers]
    assert dues == [assigned.next_timer_at, assigned.next_timer_at + timedelta(seconds=1)]


def _now() -> datetime:
    return datetime.now(UTC)
