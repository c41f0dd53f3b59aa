"""foundation schema

Revision ID: 0001
Revises: 
Create Date: 2026-11-22 16:22:47.466855
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import openum.db

revision = '0001'
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', openum.db.UTCDateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('organization_id', sa.String(length=64), nullable=True),
    sa.Column('action', sa.String(length=20), nullable=False),
    sa.Column('record_type', sa.String(length=40), nullable=False),
    sa.Column('record_id', sa.String(length=64), nullable=True),
    sa.Column('member_id', sa.String(length=32), nullable=True),
    sa.Column('purpose', sa.String(length=40), nullable=False),
    sa.Column('source_ip', sa.String(length=64), nullable=True),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('prev_hash', sa.String(length=64), nullable=False),
    sa.Column('hash', sa.String(length=64), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_events_member_id'), ['member_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_record_id'), ['record_id'], unique=False)

    op.create_table('members',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('member_id', sa.String(length=32), nullable=False),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('birth_date', sa.Date(), nullable=False),
    sa.Column('sex', sa.String(length=1), nullable=False),
    sa.Column('language', sa.String(length=3), nullable=False),
    sa.Column('large_print', sa.Boolean(), nullable=False),
    sa.Column('address_line1', sa.String(length=200), nullable=False),
    sa.Column('city', sa.String(length=100), nullable=False),
    sa.Column('state', sa.String(length=2), nullable=False),
    sa.Column('postal_code', sa.String(length=10), nullable=False),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('pcp_npi', sa.String(length=10), nullable=True),
    sa.Column('plan_product', sa.String(length=20), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_members')),
    sa.UniqueConstraint('plan_id', 'member_id', name=op.f('uq_members_plan_id_member_id'))
    )
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_members_member_id'), ['member_id'], unique=False)

    op.create_table('organizations',
    sa.Column('id', sa.String(length=64), nullable=False),
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('tax_id', sa.String(length=20), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_organizations'))
    )
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_organizations_plan_id'), ['plan_id'], unique=False)

    op.create_table('pack_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('version', sa.String(length=32), nullable=False),
    sa.Column('effective_from', sa.Date(), nullable=False),
    sa.Column('approved_by', sa.String(length=200), nullable=False),
    sa.Column('approved_at', sa.Date(), nullable=False),
    sa.Column('committee', sa.String(length=200), nullable=True),
    sa.Column('content_hash', sa.String(length=64), nullable=False),
    sa.Column('first_loaded_at', openum.db.UTCDateTime(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_pack_versions')),
    sa.UniqueConstraint('plan_id', 'version', name=op.f('uq_pack_versions_plan_id_version'))
    )
    op.create_table('benefit_accumulators',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_pk', sa.Integer(), nullable=False),
    sa.Column('benefit_limit', sa.String(length=64), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('used', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['member_pk'], ['members.id'], name=op.f('fk_benefit_accumulators_member_pk_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_benefit_accumulators')),
    sa.UniqueConstraint('member_pk', 'benefit_limit', 'period_start', name=op.f('uq_benefit_accumulators_member_pk_benefit_limit_period_start'))
    )
    op.create_table('eligibility_spans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('member_pk', sa.Integer(), nullable=False),
    sa.Column('line_of_business', sa.String(length=64), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['member_pk'], ['members.id'], name=op.f('fk_eligibility_spans_member_pk_members'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_eligibility_spans'))
    )
    with op.batch_alter_table('eligibility_spans', schema=None) as batch_op:
        batch_op.create_index('ix_eligibility_member_start', ['member_pk', 'start'], unique=False)

    op.create_table('providers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('npi', sa.String(length=10), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('specialty', sa.String(length=100), nullable=False),
    sa.Column('facility_type', sa.String(length=50), nullable=True),
    sa.Column('organization_id', sa.String(length=64), nullable=True),
    sa.Column('is_pcp', sa.Boolean(), nullable=False),
    sa.Column('terminated_on', sa.Date(), nullable=True),
    sa.Column('phone', sa.String(length=30), nullable=True),
    sa.Column('fax', sa.String(length=30), nullable=True),
    sa.Column('email', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_providers_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_providers')),
    sa.UniqueConstraint('plan_id', 'npi', name=op.f('uq_providers_plan_id_npi'))
    )
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_providers_npi'), ['npi'], unique=False)

    op.create_table('users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('username', sa.String(length=100), nullable=False),
    sa.Column('full_name', sa.String(length=200), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=True),
    sa.Column('role', sa.String(length=40), nullable=False),
    sa.Column('organization_id', sa.String(length=64), nullable=True),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('failed_logins', sa.Integer(), nullable=False),
    sa.Column('locked_until', openum.db.UTCDateTime(), nullable=True),
    sa.Column('credentials', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('created_at', openum.db.UTCDateTime(), nullable=False),
    sa.ForeignKeyConstraint(['organization_id'], ['organizations.id'], name=op.f('fk_users_organization_id_organizations')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('username', name=op.f('uq_users_username'))
    )
    op.create_table('authorization_requests',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('authorization_id', sa.String(length=32), nullable=False),
    sa.Column('plan_id', sa.String(length=64), nullable=False),
    sa.Column('pack_version', sa.String(length=32), nullable=False),
    sa.Column('channel', sa.String(length=20), nullable=False),
    sa.Column('received_at', openum.db.UTCDateTime(), nullable=False),
    sa.Column('submitted_by_user_id', sa.Integer(), nullable=True),
    sa.Column('submitter_organization_id', sa.String(length=64), nullable=True),
    sa.Column('submitter_key', sa.String(length=80), nullable=False),
    sa.Column('idempotency_key', sa.String(length=200), nullable=True),
    sa.Column('dedup_fingerprint', sa.String(length=64), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('urgency', sa.String(length=20), nullable=False),
    sa.Column('urgency_asserted_by_practitioner', sa.Boolean(), nullable=False),
    sa.Column('urgency_basis', sa.Text(), nullable=True),
    sa.Column('line_of_business', sa.String(length=64), nullable=False),
    sa.Column('setting', sa.String(length=30), nullable=True),
    sa.Column('member_pk', sa.Integer(), nullable=True),
    sa.Column('member_reference', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('requesting_npi', sa.String(length=10), nullable=True),
    sa.Column('requesting_provider_id', sa.Integer(), nullable=True),
    sa.Column('servicing_npi', sa.String(length=10), nullable=True),
    sa.Column('servicing_provider_id', sa.Integer(), nullable=True),
    sa.Column('facility_npi', sa.String(length=10), nullable=True),
    sa.Column('facility_id', sa.Integer(), nullable=True),
    sa.Column('servicing_organization_id', sa.String(length=64), nullable=True),
    sa.Column('requested_length_of_stay', sa.Integer(), nullable=True),
    sa.Column('admission_date', sa.Date(), nullable=True),
    sa.Column('proposed_procedure_date', sa.Date(), nullable=True),
    sa.Column('clinical_indications', sa.Text(), nullable=True),
    sa.Column('pertinent_history', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=30), nullable=False),
    sa.Column('status_reason', sa.Text(), nullable=True),
    sa.Column('missing_items', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('coverage', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('determination', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=True),
    sa.Column('row_version', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['facility_id'], ['providers.id'], name=op.f('fk_authorization_requests_facility_id_providers')),
    sa.ForeignKeyConstraint(['member_pk'], ['members.id'], name=op.f('fk_authorization_requests_member_pk_members')),
    sa.ForeignKeyConstraint(['requesting_provider_id'], ['providers.id'], name=op.f('fk_authorization_requests_requesting_provider_id_providers')),
    sa.ForeignKeyConstraint(['servicing_provider_id'], ['providers.id'], name=op.f('fk_authorization_requests_servicing_provider_id_providers')),
    sa.ForeignKeyConstraint(['submitted_by_user_id'], ['users.id'], name=op.f('fk_authorization_requests_submitted_by_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_authorization_requests')),
    sa.UniqueConstraint('authorization_id', name=op.f('uq_authorization_requests_authorization_id')),
    sa.UniqueConstraint('submitter_key', 'idempotency_key', name=op.f('uq_authorization_requests_submitter_key_idempotency_key'))
    )
    with op.batch_alter_table('authorization_requests', schema=None) as batch_op:
        batch_op.create_index('ix_authorization_requests_dedup', ['dedup_fingerprint', 'received_at'], unique=False)
        batch_op.create_index('ix_authorization_requests_member_received', ['member_pk', 'received_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_authorization_requests_servicing_organization_id'), ['servicing_organization_id'], unique=False)
        batch_op.create_index('ix_authorization_requests_status', ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_authorization_requests_submitter_organization_id'), ['submitter_organization_id'], unique=False)

    op.create_table('network_spans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('line_of_business', sa.String(length=64), nullable=False),
    sa.Column('start', sa.Date(), nullable=False),
    sa.Column('end', sa.Date(), nullable=True),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_network_spans_provider_id_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_network_spans'))
    )
    with op.batch_alter_table('network_spans', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_network_spans_provider_id'), ['provider_id'], unique=False)

    op.create_table('attachments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_pk', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('content_type', sa.String(length=100), nullable=False),
    sa.Column('size', sa.Integer(), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('storage_key', sa.String(length=300), nullable=False),
    sa.Column('received_at', openum.db.UTCDateTime(), nullable=False),
    sa.Column('uploaded_by_user_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['request_pk'], ['authorization_requests.id'], name=op.f('fk_attachments_request_pk_authorization_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by_user_id'], ['users.id'], name=op.f('fk_attachments_uploaded_by_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_attachments'))
    )
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_attachments_request_pk'), ['request_pk'], unique=False)

    op.create_table('diagnoses',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_pk', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=False),
    sa.Column('description', sa.String(length=300), nullable=True),
    sa.ForeignKeyConstraint(['request_pk'], ['authorization_requests.id'], name=op.f('fk_diagnoses_request_pk_authorization_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_diagnoses'))
    )
    with op.batch_alter_table('diagnoses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_diagnoses_request_pk'), ['request_pk'], unique=False)

    op.create_table('request_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_pk', sa.Integer(), nullable=False),
    sa.Column('at', openum.db.UTCDateTime(), nullable=False),
    sa.Column('type', sa.String(length=40), nullable=False),
    sa.Column('actor_user_id', sa.Integer(), nullable=True),
    sa.Column('actor', sa.String(length=100), nullable=False),
    sa.Column('actor_role', sa.String(length=40), nullable=True),
    sa.Column('from_status', sa.String(length=30), nullable=True),
    sa.Column('to_status', sa.String(length=30), nullable=True),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('data', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.ForeignKeyConstraint(['actor_user_id'], ['users.id'], name=op.f('fk_request_events_actor_user_id_users')),
    sa.ForeignKeyConstraint(['request_pk'], ['authorization_requests.id'], name=op.f('fk_request_events_request_pk_authorization_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_request_events'))
    )
    with op.batch_alter_table('request_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_request_events_request_pk'), ['request_pk'], unique=False)

    op.create_table('service_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_pk', sa.Integer(), nullable=False),
    sa.Column('sequence', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=20), nullable=False),
    sa.Column('code_system', sa.String(length=12), nullable=False),
    sa.Column('modifiers', sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), 'postgresql'), nullable=False),
    sa.Column('units', sa.Integer(), nullable=False),
    sa.Column('from_date', sa.Date(), nullable=True),
    sa.Column('to_date', sa.Date(), nullable=True),
    sa.Column('place_of_service', sa.String(length=2), nullable=True),
    sa.Column('requirement', sa.String(length=30), nullable=True),
    sa.Column('delegated_to', sa.String(length=64), nullable=True),
    sa.Column('decision', sa.String(length=20), nullable=True),
    sa.Column('approved_units', sa.Integer(), nullable=True),
    sa.Column('approved_from', sa.Date(), nullable=True),
    sa.Column('approved_to', sa.Date(), nullable=True),
    sa.Column('used_units', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['request_pk'], ['authorization_requests.id'], name=op.f('fk_service_lines_request_pk_authorization_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_service_lines'))
    )
    with op.batch_alter_table('service_lines', schema=None) as batch_op:
        batch_op.create_index('ix_service_lines_code_dates', ['code', 'from_date'], unique=False)
        batch_op.create_index(batch_op.f('ix_service_lines_request_pk'), ['request_pk'], unique=False)

    


def downgrade() -> None:
    
    with op.batch_alter_table('service_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_service_lines_request_pk'))
        batch_op.drop_index('ix_service_lines_code_dates')

    op.drop_table('service_lines')
    with op.batch_alter_table('request_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_request_events_request_pk'))

    op.drop_table('request_events')
    with op.batch_alter_table('diagnoses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_diagnoses_request_pk'))

    op.drop_table('diagnoses')
    with op.batch_alter_table('attachments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_attachments_request_pk'))

    op.drop_table('attachments')
    with op.batch_alter_table('network_spans', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_network_spans_provider_id'))

    op.drop_table('network_spans')
    with op.batch_alter_table('authorization_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_authorization_requests_submitter_organization_id'))
        batch_op.drop_index('ix_authorization_requests_status')
        batch_op.drop_index(batch_op.f('ix_authorization_requests_servicing_organization_id'))
        batch_op.drop_index('ix_authorization_requests_member_received')
        batch_op.drop_index('ix_authorization_requests_dedup')

    op.drop_table('authorization_requests')
    op.drop_table('users')
    with op.batch_alter_table('providers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_providers_npi'))

    op.drop_table('providers')
    with op.batch_alter_table('eligibility_spans', schema=None) as batch_op:
        batch_op.drop_index('ix_eligibility_member_start')

    op.drop_table('eligibility_spans')
    op.drop_table('benefit_accumulators')
    op.drop_table('pack_versions')
    with op.batch_alter_table('organizations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_organizations_plan_id'))

    op.drop_table('organizations')
    with op.batch_alter_table('members', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_members_member_id'))

    op.drop_table('members')
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_record_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_member_id'))

    op.drop_table('audit_events')
    
