"""Garbage-collection pauses in the steps of a big directive: Python's defaults against the
setting `dondoc serve` applies (`web.serving.quiet_garbage_collection`: freeze what start-up
made, full passes a hundred times rarer), in the same run.

Each run drives one directive of N assignments through execute, report and accept in one
process with a warm workflow cache (as a server does), timing every step and every collector
pass (`gc.callbacks`). Printed per setting: step p50/p95/max, the number of passes of each
generation, the longest pass, and the steps that contained a pass over 20 ms.

Run: `python benchmarks/gc_pauses.py [--size 100] [--directives 3]`.
"""

from __future__ import annotations

import argparse
import gc
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from lifecycle import app_database, directive_of, percentile, ready_items  # noqa: E402

from web.serving import quiet_garbage_collection  # noqa: E402
from workflows import directives  # noqa: E402
from workflows.steps import unit_work as steps  # noqa: E402

SLOW_PASS_MS = 20.0


class Passes:
    """Collector passes seen through gc.callbacks: generation and duration."""

    def __init__(self) -> None:
        self.started = 0.0
        self.seen: list[tuple[int, float]] = []

    def __call__(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self.started = time.perf_counter()
        else:
            self.seen.append((int(info["generation"]), (time.perf_counter() - self.started) * 1e3))


def drive(
    folder: Path, size: int, count: int, quiet: bool
) -> tuple[list[float], list[int], Passes]:
    """Steps of `count` directives; return step times, slow-pass counts per step, passes."""
    gc.unfreeze()
    gc.set_threshold(700, 10, 10)  # Python's defaults
    db, users = app_database(folder, f"gc-{quiet}.db", 256)
    if quiet:
        quiet_garbage_collection()
    passes = Passes()
    gc.callbacks.append(passes)
    times: list[float] = []
    slow_steps: list[int] = []
    try:
        for serial in range(count):
            directives.create_directive(
                db, users["vanthu"], directive_of(size, serial, date.today())
            )
            ((assign, _),) = ready_items(db, "assign")
            directives.assign_directive(db, users["giamdoc"], assign)
            for form in ("execute", "report", "accept"):
                for item, unit in ready_items(db, form):
                    before = len(passes.seen)
                    began = time.perf_counter()
                    _step(db, users, form, item, unit or "")
                    times.append((time.perf_counter() - began) * 1e3)
                    during = passes.seen[before:]
                    slow_steps.append(sum(ms > SLOW_PASS_MS for _, ms in during))
    finally:
        gc.callbacks.remove(passes)
        db.dispose()
    return times, slow_steps, passes


def _step(db: Any, users: dict[str, int], form: str, item: str, unit: str) -> None:
    if form == "execute":
        steps.start_work(db, users[f"cv.{unit.lower()}"], item)
    elif form == "report":
        steps.submit_report(db, users[f"truong.{unit.lower()}"], item, "ok")
    else:
        steps.accept_report(db, users["giamdoc"], item)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=100)
    parser.add_argument("--directives", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        for quiet in (False, True):
            times, slow, passes = drive(Path(tmp), args.size, args.directives, quiet)
            label = "serve's setting" if quiet else "Python defaults"
            by_generation = [sum(g == n for g, _ in passes.seen) for n in range(3)]
            longest = max((ms for _, ms in passes.seen), default=0.0)
            print(
                f"{label:16} steps {len(times)}  p50 {statistics.median(times):6.2f} ms"
                f"  p95 {percentile(times, 0.95):6.2f} ms  max {max(times):7.2f} ms"
                f"  passes gen0/1/2 {by_generation}  longest pass {longest:6.2f} ms"
                f"  steps holding a pass > {SLOW_PASS_MS:.0f} ms: {sum(1 for s in slow if s)}"
            )


if __name__ == "__main__":
    main()
