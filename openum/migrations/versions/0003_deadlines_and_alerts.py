"""deadlines and alerts

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 16:38:19.429578
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import openum.db

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('deadlines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_pk', sa.Integer(), nullable=False),
    sa.Column('obligation', sa.String(length=30), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('due_at', openum.db.UTCDateTime(), nullable=True),
    sa.Column('due_status', sa.String(length=20), nullable=False),
    sa.Column('clock_started_at', openum.db.UTCDateTime(), nullable=False),
    sa.Column('layer_id', sa.String(length=64), nullable=False),
    sa.Column('layer_kind', sa.String(length=20), nullable=False),
    sa.Column('rule_id', sa.String(length=64), nullable=False),
    sa.Column('rule', sa.Text(), nullable=False),
    sa.Column('clock', sa.Text(), nullable=False),
    sa.Column('citation', sa.Text(), nullable=False),
    sa.Column('missed_is_adverse_determination', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('met_at', openum.db.UTCDateTime(), nullable=True),
    sa.Column('escalation_level', sa.Integer(), nullable=False),
    sa.Column('next_check_at', openum.db.UTCDateTime(), nullable=True),
    sa.Column('breached_at', openum.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['request_pk'], ['authorization_requests.id'], name=op.f('fk_deadlines_request_pk_authorization_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadlines')),
    sa.UniqueConstraint('request_pk', 'obligation', 'outcome', name=op.f('uq_deadlines_request_pk_obligation_outcome'))
    )
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.create_index('ix_deadlines_due', ['state', 'obligation', 'due_at'], unique=False)
        batch_op.create_index('ix_deadlines_next_check', ['state', 'next_check_at'], unique=False)

    op.create_table('deadline_alerts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('deadline_id', sa.Integer(), nullable=False),
    sa.Column('request_pk', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('level', sa.Integer(), nullable=False),
    sa.Column('due_at', openum.db.UTCDateTime(), nullable=False),
    sa.Column('happened_at', openum.db.UTCDateTime(), nullable=False),
    sa.Column('raised_at', openum.db.UTCDateTime(), nullable=False),
    sa.Column('notify', sa.String(length=200), nullable=False),
    sa.Column('acknowledged_by', sa.Integer(), nullable=True),
    sa.Column('acknowledged_at', openum.db.UTCDateTime(), nullable=True),
    sa.ForeignKeyConstraint(['acknowledged_by'], ['users.id'], name=op.f('fk_deadline_alerts_acknowledged_by_users')),
    sa.ForeignKeyConstraint(['deadline_id'], ['deadlines.id'], name=op.f('fk_deadline_alerts_deadline_id_deadlines'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['request_pk'], ['authorization_requests.id'], name=op.f('fk_deadline_alerts_request_pk_authorization_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deadline_alerts')),
    sa.UniqueConstraint('deadline_id', 'kind', 'level', name=op.f('uq_deadline_alerts_deadline_id_kind_level'))
    )
    with op.batch_alter_table('deadline_alerts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deadline_alerts_deadline_id'), ['deadline_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_deadline_alerts_request_pk'), ['request_pk'], unique=False)

    


def downgrade() -> None:
    
    with op.batch_alter_table('deadline_alerts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deadline_alerts_request_pk'))
        batch_op.drop_index(batch_op.f('ix_deadline_alerts_deadline_id'))

    op.drop_table('deadline_alerts')
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index('ix_deadlines_next_check')
        batch_op.drop_index('ix_deadlines_due')

    op.drop_table('deadlines')
    
