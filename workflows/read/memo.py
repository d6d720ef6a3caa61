"""Answers of the counting queries, kept while nothing they count has changed.

A counting answer depends on the data and on the instant it is counted at. The data's stamp
is the newest id of the due items (every step that changes them rebuilds them: new ids), of
the event log (nudges, reports, directive changes) and of the audit log (leaders in charge,
unit names); reading it costs three index lookups. The callers key an answer by the instant
rounded down to its minute but count at the instant itself: what was assigned a moment ago
changes the stamp and is counted at once, and a deadline that passes is counted overdue
within a minute. Each process
keeps its own answers (256 at most); another process's writes change the stamp all the same.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from datetime import datetime
from typing import Any, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import func, select

from workflows.db import Database
from workflows.tables import AuditEntry, DueItem, Event

T = TypeVar("T")
SIZE = 256
_LOCK = threading.Lock()
_ANSWERS: WeakKeyDictionary[Database, OrderedDict[Hashable, Any]] = WeakKeyDictionary()


def minute(moment: datetime) -> datetime:
    """The instant rounded down to its minute."""
    return moment.replace(second=0, microsecond=0)


def _stamp(db: Database) -> tuple[Any, ...]:
    with db.reading() as session:
        return tuple(
            session.scalar(select(func.max(column)))
            for column in (DueItem.id, Event.id, AuditEntry.id)
        )


def remembered(db: Database, key: Hashable, compute: Callable[[], T]) -> T:
    """The answer for `key` on the data as it is now: kept, or computed and kept."""
    full = (key, _stamp(db))
    with _LOCK:
        answers = _ANSWERS.setdefault(db, OrderedDict())
        if full in answers:
            answers.move_to_end(full)
            found: T = answers[full]
            return found
    value = compute()
    with _LOCK:
        answers[full] = value
        while len(answers) > SIZE:
            answers.popitem(last=False)
    return value


def forget(db: Database) -> None:
    """Drop every kept answer (benchmarks measure the cold path with it)."""
    with _LOCK:
        _ANSWERS.pop(db, None)
