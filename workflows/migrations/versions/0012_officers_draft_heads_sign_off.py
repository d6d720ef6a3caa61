"""officers draft, heads sign off, delegations, leaders' instructions

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-10 09:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import engine.tables


revision: str = '0012'
down_revision: str | None = '0011'
branch_labels: str | None = None
depends_on: str | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('delegation',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('delegator_id', sa.Integer(), nullable=False),
    sa.Column('deputy_id', sa.Integer(), nullable=False),
    sa.Column('starts_on', sa.Date(), nullable=False),
    sa.Column('ends_on', sa.Date(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('created_at', engine.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', engine.tables.UTCDateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['delegator_id'], ['app_user.id'], name=op.f('fk_delegation_delegator_id_app_user')),
    sa.ForeignKeyConstraint(['deputy_id'], ['app_user.id'], name=op.f('fk_delegation_deputy_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delegation'))
    )
    with op.batch_alter_table('delegation', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_delegation_delegator_id'), ['delegator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_delegation_deputy_id'), ['deputy_id'], unique=False)

    op.create_table('report_draft',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('assignment_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('attempt', sa.Integer(), nullable=False),
    sa.Column('cycle', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('written_by_id', sa.Integer(), nullable=False),
    sa.Column('written_at', engine.tables.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', engine.tables.UTCDateTime(timezone=True), nullable=True),
    sa.Column('comment', sa.Text(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['assignment_id'], ['assignment.id'], name=op.f('fk_report_draft_assignment_id_assignment')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['app_user.id'], name=op.f('fk_report_draft_decided_by_id_app_user')),
    sa.ForeignKeyConstraint(['report_id'], ['report.id'], name=op.f('fk_report_draft_report_id_report')),
    sa.ForeignKeyConstraint(['written_by_id'], ['app_user.id'], name=op.f('fk_report_draft_written_by_id_app_user')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_draft'))
    )
    with op.batch_alter_table('report_draft', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_draft_assignment_id'), ['assignment_id'], unique=False)

    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('draft_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_attachment_draft_id'), ['draft_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_attachment_draft_id_report_draft'), 'report_draft', ['draft_id'], ['id'])

    with op.batch_alter_table('directive', schema=None) as batch_op:
        batch_op.add_column(sa.Column('instruction', sa.Text(), server_default='', nullable=False))

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.add_column(sa.Column('on_behalf_of_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_event_on_behalf_of_id_app_user'), 'app_user', ['on_behalf_of_id'], ['id'])

    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.add_column(sa.Column('drafted_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_report_drafted_by_id_app_user'), 'app_user', ['drafted_by_id'], ['id'])

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.add_column(sa.Column('instruction', sa.Text(), server_default='', nullable=False))

    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.add_column(sa.Column('any_officer_drafts', sa.Boolean(), server_default=sa.text('false'), nullable=False))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('unit', schema=None) as batch_op:
        batch_op.drop_column('any_officer_drafts')

    with op.batch_alter_table('task', schema=None) as batch_op:
        batch_op.drop_column('instruction')

    with op.batch_alter_table('report', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_report_drafted_by_id_app_user'), type_='foreignkey')
        batch_op.drop_column('drafted_by_id')

    with op.batch_alter_table('event', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_event_on_behalf_of_id_app_user'), type_='foreignkey')
        batch_op.drop_column('on_behalf_of_id')

    with op.batch_alter_table('directive', schema=None) as batch_op:
        batch_op.drop_column('instruction')

    with op.batch_alter_table('attachment', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_attachment_draft_id_report_draft'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_attachment_draft_id'))
        batch_op.drop_column('draft_id')

    with op.batch_alter_table('report_draft', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_draft_assignment_id'))

    op.drop_table('report_draft')
    with op.batch_alter_table('delegation', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_delegation_deputy_id'))
        batch_op.drop_index(batch_op.f('ix_delegation_delegator_id'))

    op.drop_table('delegation')
