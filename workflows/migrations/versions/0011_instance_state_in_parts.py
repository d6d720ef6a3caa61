"""instance state in parts

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-05 09:32:47.063634
"""

from __future__ import annotations

import json
import zlib
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

import engine.tables


revision: str = '0011'
down_revision: str | None = '0010'
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision: cut every running instance's state into its top part and one part
    per sub-process, compressed, without the specs (they are the model version's); an ended
    instance's state stays whole, compressed, with no parts (it never changes again)."""
    op.create_table('process_part',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('instance_id', sa.Integer(), nullable=False),
    sa.Column('key', sa.String(length=36), nullable=False),
    sa.Column('state', sa.LargeBinary(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('next_timer_at', engine.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('updated_at', engine.tables.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['instance_id'], ['process_instance.id'], name=op.f('fk_process_part_instance_id_process_instance'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_process_part')),
    sa.UniqueConstraint('instance_id', 'key', name=op.f('uq_process_part_instance_id'))
    )
    with op.batch_alter_table('process_part', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_process_part_instance_id'), ['instance_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_process_part_next_timer_at'), ['next_timer_at'], unique=False)

    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.add_column(sa.Column('state', sa.LargeBinary(), nullable=True))

    with op.batch_alter_table('work_item', schema=None) as batch_op:
        batch_op.add_column(sa.Column('part', sa.String(length=36), server_default='', nullable=False))

    _cut_every_state()

    with op.batch_alter_table('process_instance', schema=None) as batch_op:
        batch_op.alter_column('state', existing_type=sa.LargeBinary(), nullable=False)
        batch_op.drop_column('state_json')


# -- the conversion, on plain dictionaries (frozen here: later code must not change it) --------

SPEC_KEYS = ("spec", "subprocess_specs", "subprocesses", "serializer_version")
LIVE = ("running", "suspended")


def _cut_every_state() -> None:
    connection = op.get_bind()
    instances = sa.table(
        "process_instance",
        sa.column("id", sa.Integer),
        sa.column("state_json", sa.Text),
        sa.column("state", sa.LargeBinary),
        sa.column("status", sa.String),
        sa.column("next_timer_at", engine.tables.UTCDateTime(timezone=True)),
    )
    parts = sa.table(
        "process_part",
        sa.column("instance_id", sa.Integer),
        sa.column("key", sa.String),
        sa.column("state", sa.LargeBinary),
        sa.column("version_id", sa.Integer),
        sa.column("next_timer_at", engine.tables.UTCDateTime(timezone=True)),
        sa.column("updated_at", engine.tables.UTCDateTime(timezone=True)),
    )
    items = sa.table("work_item", sa.column("id", sa.String), sa.column("part", sa.String))
    now = datetime.now(UTC)
    rows = connection.execute(
        sa.select(
            instances.c.id, instances.c.state_json, instances.c.status, instances.c.next_timer_at
        )
    ).all()
    for instance_id, state_json, status, next_timer_at in rows:
        whole = json.loads(state_json or "{}")
        if status not in LIVE:
            whole = {k: v for k, v in whole.items() if k not in SPEC_KEYS or k == "subprocesses"}
            connection.execute(
                instances.update().where(instances.c.id == instance_id).values(state=_pack(whole))
            )
            continue
        top, cut = _cut(whole)
        connection.execute(
            instances.update().where(instances.c.id == instance_id).values(state=_pack(top))
        )
        for key, (part, task_ids) in cut.items():
            connection.execute(
                parts.insert().values(
                    instance_id=instance_id,
                    key=key,
                    state=_pack(part),
                    version_id=1,
                    next_timer_at=next_timer_at,  # the first firing recomputes it
                    updated_at=now,
                )
            )
            if task_ids:
                connection.execute(
                    items.update().where(items.c.id.in_(task_ids)).values(part=key)
                )


def _cut(whole: dict[str, Any]) -> tuple[dict[str, Any], dict[str, tuple[dict[str, Any], list[str]]]]:
    """(top part, {key: (part, the ids of the tasks in it)}) of a whole serialized workflow."""
    tasks = dict(whole.get("tasks", {}))
    subprocesses = whole.get("subprocesses", {})
    owner = {tid: sid for sid, sub in subprocesses.items() for tid in sub.get("tasks", {})}
    keys: dict[str, str] = {}
    for sid in subprocesses:
        current = sid
        seen = set()
        while current not in tasks and current in owner and current not in seen:
            seen.add(current)
            current = owner[current]
        keys[sid] = current
    cut: dict[str, tuple[dict[str, Any], list[str]]] = {}
    for sid, sub in subprocesses.items():
        key = keys[sid]
        part, task_ids = cut.setdefault(key, ({"task": tasks.get(key), "subprocesses": {}}, []))
        part["subprocesses"][sid] = sub
        task_ids.extend(sub.get("tasks", {}))
    top = {k: v for k, v in whole.items() if k not in SPEC_KEYS}
    top["tasks"] = {tid: task for tid, task in tasks.items() if tid not in cut}
    return top, cut


def _pack(value: Any) -> bytes:
    return zlib.compress(json.dumps(value).encode("utf-8"), 6)


def downgrade() -> None:
    """Not supported: the states no longer carry their specs; restore a backup instead."""
    raise NotImplementedError("0011 cannot be undone: restore the backup taken before upgrading")
