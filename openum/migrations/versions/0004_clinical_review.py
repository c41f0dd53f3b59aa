"""clinical review

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 16:47:03.298536
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import openum.db

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('care_involvements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('member_pk', sa.Integer(), nullable=False),
    sa.Column('recorded_at', openum.db.UTCDateTime(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['member_pk'], ['members.id'], name=op.f('fk_care_involvements_member_pk_members')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_care_involvements_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_care_involvements'))
    )
    with op.batch_alter_table('care_involvements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_care_involvements_member_pk'), ['member_pk'], unique=False)
        batch_op.create_index(batch_op.f('ix_care_involvements_user_id'), ['user_id'], unique=False)

    op.create_table('criteria_disclosures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_pk', sa.Integer(), nullable=False),
    sa.Column('requested_at', openum.db.UTCDateTime(), nullable=False),
    sa.Column('requester_kind', sa.String(length=20), nullable=False),
    sa.Column('requester_name', sa.String(length=200), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('answered_at', openum.db.UTCDateTime(), nullable=True),
    sa.Column('answered_by', sa.String(length=100), nullable=True),
    sa.Column('content', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['request_pk'], ['authorization_requests.id'], name=op.f('fk_criteria_disclosures_request_pk_authorization_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_criteria_disclosures'))
    )
    with op.batch_alter_table('criteria_disclosures', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_criteria_disclosures_request_pk'), ['request_pk'], unique=False)

    op.create_table('criteria_evaluations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_pk', sa.Integer(), nullable=False),
    sa.Column('line_sequence', sa.Integer(), nullable=False),
    sa.Column('policy_id', sa.String(length=80), nullable=False),
    sa.Column('policy_version', sa.String(length=20), nullable=False),
    sa.Column('outcome', sa.String(length=30), nullable=False),
    sa.Column('results', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('missing_facts', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('facts', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('evaluated_at', openum.db.UTCDateTime(), nullable=False),
    sa.Column('evaluated_by', sa.String(length=100), nullable=False),
    sa.Column('automatic', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['request_pk'], ['authorization_requests.id'], name=op.f('fk_criteria_evaluations_request_pk_authorization_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_criteria_evaluations'))
    )
    with op.batch_alter_table('criteria_evaluations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_criteria_evaluations_request_pk'), ['request_pk'], unique=False)

    op.create_table('decisions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_pk', sa.Integer(), nullable=False),
    sa.Column('decided_at', openum.db.UTCDateTime(), nullable=False),
    sa.Column('decided_by_user_id', sa.Integer(), nullable=True),
    sa.Column('decided_by', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('credential', sa.String(length=40), nullable=True),
    sa.Column('action', sa.String(length=30), nullable=False),
    sa.Column('basis', sa.String(length=30), nullable=False),
    sa.Column('administrative_category', sa.String(length=40), nullable=True),
    sa.Column('member_issued', sa.Boolean(), nullable=True),
    sa.Column('policy_id', sa.String(length=80), nullable=True),
    sa.Column('policy_version', sa.String(length=20), nullable=True),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('rationale', sa.Text(), nullable=True),
    sa.Column('alternatives', sa.Text(), nullable=True),
    sa.Column('override_reason', sa.Text(), nullable=True),
    sa.Column('automatic', sa.Boolean(), nullable=False),
    sa.Column('lines', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['decided_by_user_id'], ['users.id'], name=op.f('fk_decisions_decided_by_user_id_users')),
    sa.ForeignKeyConstraint(['request_pk'], ['authorization_requests.id'], name=op.f('fk_decisions_request_pk_authorization_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_decisions'))
    )
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_decisions_request_pk'), ['request_pk'], unique=False)

    op.create_table('peer_to_peer',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_pk', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('offered_at', openum.db.UTCDateTime(), nullable=False),
    sa.Column('timing', sa.String(length=20), nullable=False),
    sa.Column('physician_user_id', sa.Integer(), nullable=True),
    sa.Column('practitioner_name', sa.String(length=200), nullable=True),
    sa.Column('practitioner_phone', sa.String(length=40), nullable=True),
    sa.Column('scheduled_for', openum.db.UTCDateTime(), nullable=True),
    sa.Column('held_at', openum.db.UTCDateTime(), nullable=True),
    sa.Column('notes', sa.Text(), nullable=True),
    sa.Column('outcome', sa.String(length=40), nullable=True),
    sa.ForeignKeyConstraint(['physician_user_id'], ['users.id'], name=op.f('fk_peer_to_peer_physician_user_id_users')),
    sa.ForeignKeyConstraint(['request_pk'], ['authorization_requests.id'], name=op.f('fk_peer_to_peer_request_pk_authorization_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_peer_to_peer'))
    )
    with op.batch_alter_table('peer_to_peer', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_peer_to_peer_request_pk'), ['request_pk'], unique=False)

    op.create_table('work_items',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_pk', sa.Integer(), nullable=False),
    sa.Column('queue', sa.String(length=40), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=True),
    sa.Column('line_of_business', sa.String(length=64), nullable=False),
    sa.Column('urgency', sa.String(length=20), nullable=False),
    sa.Column('due_at', openum.db.UTCDateTime(), nullable=True),
    sa.Column('state', sa.String(length=10), nullable=False),
    sa.Column('assignee_user_id', sa.Integer(), nullable=True),
    sa.Column('claimed_at', openum.db.UTCDateTime(), nullable=True),
    sa.Column('waiting_until', openum.db.UTCDateTime(), nullable=True),
    sa.Column('after_hours', sa.Boolean(), nullable=False),
    sa.Column('post_stabilization', sa.Boolean(), nullable=False),
    sa.Column('answer_by', openum.db.UTCDateTime(), nullable=True),
    sa.Column('created_at', openum.db.UTCDateTime(), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['assignee_user_id'], ['users.id'], name=op.f('fk_work_items_assignee_user_id_users')),
    sa.ForeignKeyConstraint(['request_pk'], ['authorization_requests.id'], name=op.f('fk_work_items_request_pk_authorization_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_work_items'))
    )
    with op.batch_alter_table('work_items', schema=None) as batch_op:
        batch_op.create_index('ix_work_items_assignee_due', ['state', 'assignee_user_id', 'due_at'], unique=False)
        batch_op.create_index('ix_work_items_queue_due', ['state', 'queue', 'due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_work_items_request_pk'), ['request_pk'], unique=False)

    with op.batch_alter_table('authorization_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('clinical_facts', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True))

    


def downgrade() -> None:
    
    with op.batch_alter_table('authorization_requests', schema=None) as batch_op:
        batch_op.drop_column('clinical_facts')

    with op.batch_alter_table('work_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_work_items_request_pk'))
        batch_op.drop_index('ix_work_items_queue_due')
        batch_op.drop_index('ix_work_items_assignee_due')

    op.drop_table('work_items')
    with op.batch_alter_table('peer_to_peer', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_peer_to_peer_request_pk'))

    op.drop_table('peer_to_peer')
    with op.batch_alter_table('decisions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_decisions_request_pk'))

    op.drop_table('decisions')
    with op.batch_alter_table('criteria_evaluations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_criteria_evaluations_request_pk'))

    op.drop_table('criteria_evaluations')
    with op.batch_alter_table('criteria_disclosures', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_criteria_disclosures_request_pk'))

    op.drop_table('criteria_disclosures')
    with op.batch_alter_table('care_involvements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_care_involvements_user_id'))
        batch_op.drop_index(batch_op.f('ix_care_involvements_member_pk'))

    op.drop_table('care_involvements')
    
