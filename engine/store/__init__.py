"""Where process instances live: loading, locking, saving, the cache and the projections.

The façade (`engine.processes`) runs SpiffWorkflow; this store keeps its state. The state is
cut in parts (`engine.partition`): the instance row holds the top part and its status, one
`ProcessPart` row per sub-process holds that assignment's work. Saving writes only the parts
whose fingerprint changed, each under its own optimistic version, and rebuilds their work items
and timers (`engine.projection`); a step of one assignment therefore costs the same in a
directive of five assignments and of a hundred, and two assignments of one directive can be
saved at the same time. Loading a workflow that is not cached joins every part again.

A workflow is checked out of the cache for one command at a time, tagged with the versions of
the rows it was read from. A command that saved it checks it back when its transaction
commits; a read that changed nothing gives it back at once.
"""

from engine.store import queries
from engine.store.instances import InstanceStore, focused_serializer
from engine.store.queries import stored_state

__all__ = ["InstanceStore", "focused_serializer", "queries", "stored_state"]
