"""Two processes share one database: a cached workflow is brought up to date part by part.

Each `ProcessEngine` here stands for one web process with its own cache. When one completes a
step, the other's cached workflow is stale in that step's part (and in the top when a unit's
work ended); it must read only those parts again and then hold exactly the stored state.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from engine import ProcessEngine, partition
from tests.engine.conftest import RULES
from tests.engine.driver import FORM_DATA
from tests.engine.test_instances import assignment, complete, start_assigned

UNITS = ("KHTC", "TTR", "QLKH", "VP", "QLCN", "CCTDC")


def _whole(engine: ProcessEngine, workflow: Any) -> str:
    """The state as stored whole; a carrier task's own data is left out (see engine.store.refresh:
    SpiffWorkflow derives it from its parent at restore, live and restored workflows differ)."""
    registry = engine.store.serializer.registry
    registry._encoder_mode = True
    try:
        whole = partition.whole_dict(registry, workflow)
    finally:
        registry._encoder_mode = False
    for carrier in whole["subprocesses"]:
        if carrier in whole["tasks"]:
            whole["tasks"][carrier] = {**whole["tasks"][carrier], "data": None, "delta": None}
    return json.dumps(whole, sort_keys=True, cls=engine.store.serializer._encoder_cls)


def _as_loaded(sessions: sessionmaker[Session], engine: ProcessEngine, instance: int) -> str:
    """What the engine's load gives (from its cache, brought up to date if need be)."""
    with sessions() as session:
        _, workflow = engine.store.load(session, instance)
        text = _whole(engine, workflow)
        engine.store.give_back(session, instance, workflow)
        return text


def _step(sessions, engine: ProcessEngine, instance: int, name: str, unit: str) -> None:
    ref = str(UNITS.index(unit))
    with sessions() as session:
        waiting = engine.ready_tasks(session, instance)
    (task,) = [t for t in waiting if (t.task_name, t.ref) == (name, ref)]
    complete(sessions, engine, instance, task.id, FORM_DATA[name])


def test_a_stale_cached_workflow_reads_only_the_parts_another_process_changed(
    sessions, processes
) -> None:
    instance = start_assigned(sessions, processes, [assignment(i, u) for i, u in enumerate(UNITS)])
    other = ProcessEngine(RULES)
    fresh = ProcessEngine(RULES, cache_size=0)
    assert _as_loaded(sessions, other, instance) == _as_loaded(sessions, fresh, instance)
    _step(sessions, processes, instance, "execute", "KHTC")  # one part changes
    restored = other.store.restored
    assert _as_loaded(sessions, other, instance) == _as_loaded(sessions, fresh, instance)
    assert (other.store.restored, other.store.refreshed) == (restored, 1)
    for name in ("report", "accept"):  # the unit's work ends: its part and the top change
        _step(sessions, processes, instance, name, "KHTC")
    assert _as_loaded(sessions, other, instance) == _as_loaded(sessions, fresh, instance)
    assert (other.store.restored, other.store.refreshed) == (restored, 2)


def test_two_processes_taking_turns_finish_a_directive_with_nothing_lost(
    sessions, processes
) -> None:
    instance = start_assigned(sessions, processes, [assignment(i, u) for i, u in enumerate(UNITS)])
    engines = (processes, ProcessEngine(RULES))
    fresh = ProcessEngine(RULES, cache_size=0)
    turn = 0
    for name in ("execute", "report", "accept"):
        for unit in UNITS:
            _step(sessions, engines[turn % 2], instance, name, unit)
            turn += 1
            seen = _as_loaded(sessions, engines[turn % 2], instance)  # the other process
            assert seen == _as_loaded(sessions, fresh, instance), (name, unit)
    with sessions() as session:
        assert processes.instance_status(session, instance) == "completed"
        results = ProcessEngine(RULES, cache_size=0).instance_data(session, instance)["results"]
    assert sorted(r["unit"] for r in results) == sorted(UNITS)
    assert engines[1].store.refreshed > 0
    assert engines[1].store.restored <= 1  # only its first load


def test_only_a_step_that_may_end_its_item_also_holds_the_top() -> None:
    """Execute and report lead to another user task; accept may end the unit's work (assign
    lives in the top already: with no assignment it ends the process)."""
    from engine import runtime
    from engine.specs import SpecCache
    from tests.engine.conftest import BPMN

    model = SpecCache().get(BPMN.read_bytes(), "reference")
    ends = {
        name: runtime.may_end_its_process(
            runtime.user_task_spec(model.spec, model.subprocess_specs, name)
        )
        for name in (
            "assign",
            "execute",
            "report",
            "sign_off",
            "accept",
            "contribute",
            "acknowledge",
        )
    }
    assert ends == {
        "assign": True,
        "execute": False,
        "report": False,
        "sign_off": False,
        "accept": True,
        "contribute": False,
        "acknowledge": True,
    }


def test_two_requests_of_one_process_on_one_directive_each_keep_a_copy() -> None:
    """Two steps of one directive at once in one process: both copies return to the cache,
    so neither request after them rebuilds the instance; an instance keeps a few at most."""
    from engine.cache import WorkflowCache

    cache = WorkflowCache(size=8)
    first, second = object(), object()
    cache.checkin(1, "v1", first)
    cache.checkin(1, "v2", second)
    assert cache.checkout(1, "v2") is second
    workflow, stale = cache.checkout_or_stale(1, "v3")
    assert (workflow, stale) == (None, ("v1", first))
    for n in range(WorkflowCache.PER_INSTANCE + 2):
        cache.checkin(1, f"s{n}", n)
    kept = [cache.checkout_or_stale(1, "none")[1] for _ in range(WorkflowCache.PER_INSTANCE + 1)]
    assert [entry[1] for entry in kept if entry] == [5, 4, 3, 2]
    for instance in range(10):
        cache.checkin(instance, "v", instance)
    assert cache.checkout(0, "v") is None  # evicted: the cache holds `size` entries in all
    assert cache.checkout(9, "v") == 9
