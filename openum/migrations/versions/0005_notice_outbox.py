"""notice outbox

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 17:03:54.697731
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import openum.db

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('notices',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_pk', sa.Integer(), nullable=False),
    sa.Column('trigger_event_id', sa.Integer(), nullable=False),
    sa.Column('obligation', sa.String(length=30), nullable=False),
    sa.Column('recipient', sa.String(length=10), nullable=False),
    sa.Column('recipient_name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.Text(), nullable=True),
    sa.Column('channel', sa.String(length=10), nullable=False),
    sa.Column('letter_type', sa.String(length=40), nullable=True),
    sa.Column('language', sa.String(length=3), nullable=False),
    sa.Column('large_print', sa.Boolean(), nullable=False),
    sa.Column('context', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('due_at', openum.db.UTCDateTime(), nullable=True),
    sa.Column('status', sa.String(length=15), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('next_attempt_at', openum.db.UTCDateTime(), nullable=True),
    sa.Column('lease_until', openum.db.UTCDateTime(), nullable=True),
    sa.Column('last_error', sa.Text(), nullable=True),
    sa.Column('document_key', sa.String(length=300), nullable=True),
    sa.Column('document_sha256', sa.String(length=64), nullable=True),
    sa.Column('created_at', openum.db.UTCDateTime(), nullable=False),
    sa.Column('sent_at', openum.db.UTCDateTime(), nullable=True),
    sa.Column('delivered_at', openum.db.UTCDateTime(), nullable=True),
    sa.Column('late', sa.Boolean(), nullable=False),
    sa.Column('call_log', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.ForeignKeyConstraint(['request_pk'], ['authorization_requests.id'], name=op.f('fk_notices_request_pk_authorization_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notices')),
    sa.UniqueConstraint('request_pk', 'trigger_event_id', 'obligation', 'recipient', 'channel', name=op.f('uq_notices_request_pk_trigger_event_id_obligation_recipient_channel'))
    )
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.create_index('ix_notices_pending', ['status', 'next_attempt_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_notices_request_pk'), ['request_pk'], unique=False)

    


def downgrade() -> None:
    
    with op.batch_alter_table('notices', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notices_request_pk'))
        batch_op.drop_index('ix_notices_pending')

    op.drop_table('notices')
    
