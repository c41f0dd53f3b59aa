"""standard interfaces: PAS subscriptions and their outbox, SMART backend service clients

Revision ID: 0009
Revises: 0008
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import openum.db

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

JSON = sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "fhir_subscriptions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("filter_value", sa.String(length=100), nullable=False),
        sa.Column("endpoint", sa.Text(), nullable=False),
        sa.Column("headers", JSON, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("events", sa.Integer(), nullable=False),
        sa.Column("resource", JSON, nullable=False),
        sa.Column("created_by_user_id", sa.Integer(), nullable=True),
        sa.Column("created_at", openum.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["created_by_user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_fhir_subscriptions_organization_id", "fhir_subscriptions", ["organization_id"])
    op.create_table(
        "fhir_subscription_deliveries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.String(length=36), nullable=False),
        sa.Column("request_pk", sa.Integer(), nullable=False),
        sa.Column("event_number", sa.Integer(), nullable=False),
        sa.Column("payload", JSON, nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_attempt_at", openum.db.UTCDateTime(), nullable=True),
        sa.Column("lease_until", openum.db.UTCDateTime(), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", openum.db.UTCDateTime(), nullable=False),
        sa.Column("delivered_at", openum.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["subscription_id"], ["fhir_subscriptions.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["request_pk"], ["authorization_requests.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_fhir_subscription_deliveries_subscription_id", "fhir_subscription_deliveries",
                    ["subscription_id"])
    op.create_index("ix_fhir_subscription_deliveries_request_pk", "fhir_subscription_deliveries",
                    ["request_pk"])
    op.create_index("ix_fhir_subscription_deliveries_due", "fhir_subscription_deliveries",
                    ["status", "next_attempt_at"])
    op.create_table(
        "smart_clients",
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("organization_id", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("jwks", JSON, nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", openum.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["organization_id"], ["organizations.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("client_id"),
    )
    op.create_index("ix_smart_clients_organization_id", "smart_clients", ["organization_id"])
    op.create_table(
        "smart_used_assertions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("client_id", sa.String(length=100), nullable=False),
        sa.Column("jti", sa.String(length=200), nullable=False),
        sa.Column("expires_at", openum.db.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("client_id", "jti"),
    )
    op.create_index("ix_smart_used_assertions_expires_at", "smart_used_assertions", ["expires_at"])


def downgrade() -> None:
    op.drop_table("smart_used_assertions")
    op.drop_table("smart_clients")
    op.drop_table("fhir_subscription_deliveries")
    op.drop_table("fhir_subscriptions")
