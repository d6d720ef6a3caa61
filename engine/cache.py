"""A bounded cache of deserialized workflows, checked out exclusively, checked back when current.

A workflow is handed to one command at a time: `checkout` removes it, so two threads never share
a live object. It returns to the cache only when the transaction that saved it commits, tagged
with the row's new `version_id`; a rolled-back command simply drops it (pitfall 11 of the notes:
a failed step must never leave a half-advanced workflow behind). A read that changed nothing
checks its workflow back at once with the version it read.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

_PENDING_KEY = "engine.workflow_cache.pending"
_LISTENING_KEY = "engine.workflow_cache.listening"


class WorkflowCache:
    """LRU of instance id -> a few (stamp, workflow) entries; size 0 disables it.

    Two requests of one process may work on one directive at the same time (two units'
    steps): each takes its own copy, so an instance may have up to `PER_INSTANCE` entries.
    """

    PER_INSTANCE = 4

    def __init__(self, size: int = 256) -> None:
        self.size = size
        self._entries: OrderedDict[int, list[tuple[Hashable, Any]]] = OrderedDict()
        self._count = 0
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def checkout(self, instance_id: int, stamp: Hashable) -> Any | None:
        """Take the cached workflow if it is exactly the committed version, else None."""
        workflow, _ = self.checkout_or_stale(instance_id, stamp)
        return workflow

    def checkout_or_stale(
        self, instance_id: int, stamp: Hashable
    ) -> tuple[Any | None, tuple[Hashable, Any] | None]:
        """Take a cached workflow: (it, None) when current, (None, (its stamp, it)) when
        older, (None, None) when there is none. A stale one is the caller's to bring up to date."""
        with self._lock:
            entries = self._entries.get(instance_id)
            if not entries:
                self.misses += 1
                return None, None
            found = next((e for e in entries if e[0] == stamp), entries[-1])
            entries.remove(found)
            self._count -= 1
            if not entries:
                del self._entries[instance_id]
            if found[0] == stamp:
                self.hits += 1
                return found[1], None
            self.misses += 1
            return None, found

    def checkin(self, instance_id: int, stamp: Hashable, wf: Any) -> None:
        """Return a workflow nobody changed to the cache now (a read gives it back)."""
        if self.size <= 0:
            return
        with self._lock:
            self._put(instance_id, (stamp, wf))

    def checkin_on_commit(
        self, session: Session, instance_id: int, stamp: Hashable, wf: Any
    ) -> None:
        """Return the workflow to the cache once the session commits; forget it on rollback."""
        if self.size <= 0:
            return
        if not session.info.get(_LISTENING_KEY):
            session.info[_LISTENING_KEY] = True
            event.listen(session, "after_commit", self._after_commit)
            event.listen(session, "after_rollback", self._after_rollback)
        session.info.setdefault(_PENDING_KEY, {})[instance_id] = (stamp, wf)

    def discard(self, instance_id: int) -> None:
        """Forget the cached workflows of an instance."""
        with self._lock:
            self._count -= len(self._entries.pop(instance_id, []))

    def clear(self) -> None:
        """Forget every cached workflow."""
        with self._lock:
            self._entries.clear()
            self._count = 0

    def _after_commit(self, session: Session) -> None:
        pending = session.info.pop(_PENDING_KEY, None) or {}
        with self._lock:
            for instance_id, entry in pending.items():
                self._put(instance_id, entry)

    def _put(self, instance_id: int, entry: tuple[Hashable, Any]) -> None:
        """Store an entry as the newest, evicting the oldest beyond the sizes (lock held)."""
        entries = self._entries.setdefault(instance_id, [])
        entries.append(entry)
        self._count += 1
        self._entries.move_to_end(instance_id)
        if len(entries) > self.PER_INSTANCE:
            entries.pop(0)
            self._count -= 1
        while self._count > self.size:
            oldest = next(iter(self._entries))
            self._count -= len(self._entries.pop(oldest))

    def _after_rollback(self, session: Session) -> None:
        session.info.pop(_PENDING_KEY, None)
