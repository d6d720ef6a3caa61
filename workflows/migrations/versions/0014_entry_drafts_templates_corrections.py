"""entry: drafts, templates, corrections, unit aliases

Drafts of directives and templates of recurring ones; the deadline phrase of a task as written
and when a correction withdrew a task or an assignment; the other names of a unit.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-05 09:42:26.912654
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.tables


revision: str = '0014'
down_revision: str | None = '0013'
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('directive_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('token', sa.String(length=32), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', engine.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', engine.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('number', sa.String(length=64), nullable=False),
    sa.Column('title', sa.String(length=500), nullable=False),
    sa.Column('form', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_directive_draft_created_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directive_draft')),
    sa.UniqueConstraint('token', name=op.f('uq_directive_draft_token'))
    )
    with op.batch_alter_table('directive_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_directive_draft_created_by_id'), ['created_by_id'], unique=False)

    op.create_table('directive_template',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=255), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=False),
    sa.Column('created_at', engine.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('source_directive_id', sa.Integer(), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=False),
    sa.Column('content', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['app_user.id'], name=op.f('fk_directive_template_created_by_id_app_user')),
    sa.ForeignKeyConstraint(['source_directive_id'], ['directive.id'], name=op.f('fk_directive_template_source_directive_id_directive')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_directive_template')),
    sa.UniqueConstraint('name', name=op.f('uq_directive_template_name'))
    )
    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', engine.tables.UTCDateTime(timezone=True), nullable=True))
        # a unit withdrawn from a task keeps its row when it is added to the task again
        batch_op.drop_constraint('uq_assignment_task_id', type_='unique')

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('due_text', sa.Text(), server_default='', nullable=False))
        batch_op.add_column(sa.Column('withdrawn_at', engine.tables.UTCDateTime(timezone=True), nullable=True))

    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('aliases', sa.JSON(), server_default=sa.text("'[]'"), nullable=False))



def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_column('aliases')

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_column('withdrawn_at')
        batch_op.drop_column('due_text')

    with op.batch_alter_table('assignment', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_assignment_task_id', ['task_id', 'unit_id'])
        batch_op.drop_column('cancelled_at')

    op.drop_table('directive_template')
    with op.batch_alter_table('directive_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_directive_draft_created_by_id'))

    op.drop_table('directive_draft')
