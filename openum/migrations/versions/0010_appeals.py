"""reconsiderations, appeals, external reviews, reviewer profiles

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 12:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import openum.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine:  # type: ignore[type-arg]
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "appeals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_pk", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("line_of_business", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("appellant", sa.String(length=20), nullable=False),
        sa.Column("appellant_name", sa.String(length=200), nullable=False),
        sa.Column("appellant_contact", sa.String(length=200), nullable=True),
        sa.Column("filed_by_user_id", sa.Integer(), nullable=True),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("received_at", openum.db.UTCDateTime(), nullable=False),
        sa.Column("statement", sa.Text(), nullable=True),
        sa.Column("original_decision_pk", sa.Integer(), nullable=True),
        sa.Column("original_basis", sa.String(length=30), nullable=True),
        sa.Column("service_class", sa.String(length=30), nullable=True),
        sa.Column("notice_date", sa.Date(), nullable=True),
        sa.Column("filing_deadline", sa.Date(), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("late_handling", sa.String(length=20), nullable=True),
        sa.Column("good_cause", sa.Text(), nullable=True),
        sa.Column("consent_required", sa.Boolean(), nullable=False),
        sa.Column("consent_received_at", openum.db.UTCDateTime(), nullable=True),
        sa.Column("consent_signed_on", sa.Date(), nullable=True),
        sa.Column("urgency_requested", sa.String(length=20), nullable=False),
        sa.Column("urgency", sa.String(length=20), nullable=False),
        sa.Column("practitioner_asserted_urgency", sa.Boolean(), nullable=False),
        sa.Column("urgency_basis", sa.Text(), nullable=True),
        sa.Column("expedite_status", sa.String(length=20), nullable=True),
        sa.Column("expedite_reason", sa.Text(), nullable=True),
        sa.Column("decision_due_at", openum.db.UTCDateTime(), nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=True),
        sa.Column("decided_at", openum.db.UTCDateTime(), nullable=True),
        sa.Column("decided_by_user_id", sa.Integer(), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("reviewer_role", sa.String(length=40), nullable=True),
        sa.Column("reviewer_credential", sa.String(length=40), nullable=True),
        sa.Column("reviewer_specialty", sa.String(length=64), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("rationale", sa.Text(), nullable=True),
        sa.Column("decision_lines", _json(), nullable=True),
        sa.Column("checks", _json(), nullable=True),
        sa.Column("decision_pk", sa.Integer(), nullable=True),
        sa.Column("resolution_notice_date", sa.Date(), nullable=True),
        sa.Column("effectuation_due_at", openum.db.UTCDateTime(), nullable=True),
        sa.Column("effectuated_at", openum.db.UTCDateTime(), nullable=True),
        sa.Column("effectuation_note", sa.Text(), nullable=True),
        sa.Column("continuation_requested_at", openum.db.UTCDateTime(), nullable=True),
        sa.Column("continuation_status", sa.String(length=20), nullable=True),
        sa.Column("continuation_note", sa.Text(), nullable=True),
        sa.Column("continuation_ended_at", openum.db.UTCDateTime(), nullable=True),
        sa.Column("created_at", openum.db.UTCDateTime(), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["request_pk"], ["authorization_requests.id"],
                                name=op.f("fk_appeals_request_pk_authorization_requests"), ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["filed_by_user_id"], ["users.id"], name=op.f("fk_appeals_filed_by_user_id_users")),
        sa.ForeignKeyConstraint(["original_decision_pk"], ["decisions.id"],
                                name=op.f("fk_appeals_original_decision_pk_decisions")),
        sa.ForeignKeyConstraint(["decided_by_user_id"], ["users.id"],
                                name=op.f("fk_appeals_decided_by_user_id_users")),
        sa.ForeignKeyConstraint(["decision_pk"], ["decisions.id"], name=op.f("fk_appeals_decision_pk_decisions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeals")),
    )
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appeals_request_pk"), ["request_pk"], unique=False)
        batch_op.create_index("ix_appeals_status_due", ["status", "decision_due_at"], unique=False)

    op.create_table(
        "appeal_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_pk", sa.Integer(), nullable=False),
        sa.Column("at", openum.db.UTCDateTime(), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=False),
        sa.Column("actor_user_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=100), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("data", _json(), nullable=False),
        sa.ForeignKeyConstraint(["appeal_pk"], ["appeals.id"], name=op.f("fk_appeal_events_appeal_pk_appeals"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["actor_user_id"], ["users.id"], name=op.f("fk_appeal_events_actor_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_events")),
    )
    with op.batch_alter_table("appeal_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appeal_events_appeal_pk"), ["appeal_pk"], unique=False)

    op.create_table(
        "appeal_evidence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_pk", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("filename", sa.String(length=255), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("received_at", openum.db.UTCDateTime(), nullable=False),
        sa.Column("uploaded_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["appeal_pk"], ["appeals.id"], name=op.f("fk_appeal_evidence_appeal_pk_appeals"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["uploaded_by_user_id"], ["users.id"],
                                name=op.f("fk_appeal_evidence_uploaded_by_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_evidence")),
    )
    with op.batch_alter_table("appeal_evidence", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_appeal_evidence_appeal_pk"), ["appeal_pk"], unique=False)

    op.create_table(
        "appeal_deadlines",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_pk", sa.Integer(), nullable=False),
        sa.Column("obligation", sa.String(length=30), nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("due_at", openum.db.UTCDateTime(), nullable=True),
        sa.Column("due_status", sa.String(length=20), nullable=False),
        sa.Column("layer_id", sa.String(length=64), nullable=True),
        sa.Column("rule_id", sa.String(length=64), nullable=True),
        sa.Column("rule", sa.Text(), nullable=True),
        sa.Column("clock", sa.Text(), nullable=True),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.Column("state", sa.String(length=10), nullable=False),
        sa.Column("met_at", openum.db.UTCDateTime(), nullable=True),
        sa.Column("breached_at", openum.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["appeal_pk"], ["appeals.id"], name=op.f("fk_appeal_deadlines_appeal_pk_appeals"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_appeal_deadlines")),
        sa.UniqueConstraint("appeal_pk", "obligation", "outcome",
                            name=op.f("uq_appeal_deadlines_appeal_pk_obligation_outcome")),
    )
    with op.batch_alter_table("appeal_deadlines", schema=None) as batch_op:
        batch_op.create_index("ix_appeal_deadlines_state_due", ["state", "due_at"], unique=False)

    op.create_table(
        "external_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appeal_pk", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("body", sa.String(length=200), nullable=False),
        sa.Column("requested_by", sa.String(length=20), nullable=False),
        sa.Column("automatic", sa.Boolean(), nullable=False),
        sa.Column("requested_at", openum.db.UTCDateTime(), nullable=False),
        sa.Column("filing_deadline", sa.Date(), nullable=True),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("expedited", sa.Boolean(), nullable=False),
        sa.Column("forward_due_at", openum.db.UTCDateTime(), nullable=True),
        sa.Column("forwarded_at", openum.db.UTCDateTime(), nullable=True),
        sa.Column("case_reference", sa.String(length=100), nullable=True),
        sa.Column("continuation_requested", sa.Boolean(), nullable=False),
        sa.Column("continuation_status", sa.String(length=20), nullable=True),
        sa.Column("outcome", sa.String(length=30), nullable=False),
        sa.Column("decided_at", openum.db.UTCDateTime(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("effectuation_due_at", openum.db.UTCDateTime(), nullable=True),
        sa.Column("effectuated_at", openum.db.UTCDateTime(), nullable=True),
        sa.Column("citation", sa.Text(), nullable=False),
        sa.Column("created_at", openum.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["appeal_pk"], ["appeals.id"], name=op.f("fk_external_reviews_appeal_pk_appeals"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_external_reviews")),
    )
    with op.batch_alter_table("external_reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_external_reviews_appeal_pk"), ["appeal_pk"], unique=False)

    op.create_table(
        "reviewer_profiles",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("specialty", sa.String(length=64), nullable=True),
        sa.Column("supervisor_user_id", sa.Integer(), nullable=True),
        sa.Column("updated_at", openum.db.UTCDateTime(), nullable=False),
        sa.Column("updated_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_reviewer_profiles_user_id_users"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["supervisor_user_id"], ["users.id"],
                                name=op.f("fk_reviewer_profiles_supervisor_user_id_users")),
        sa.ForeignKeyConstraint(["updated_by_user_id"], ["users.id"],
                                name=op.f("fk_reviewer_profiles_updated_by_user_id_users")),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_reviewer_profiles")),
    )
    with op.batch_alter_table("reviewer_profiles", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviewer_profiles_supervisor_user_id"), ["supervisor_user_id"],
                              unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reviewer_profiles", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviewer_profiles_supervisor_user_id"))
    op.drop_table("reviewer_profiles")
    with op.batch_alter_table("external_reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_external_reviews_appeal_pk"))
    op.drop_table("external_reviews")
    with op.batch_alter_table("appeal_deadlines", schema=None) as batch_op:
        batch_op.drop_index("ix_appeal_deadlines_state_due")
    op.drop_table("appeal_deadlines")
    with op.batch_alter_table("appeal_evidence", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appeal_evidence_appeal_pk"))
    op.drop_table("appeal_evidence")
    with op.batch_alter_table("appeal_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_appeal_events_appeal_pk"))
    op.drop_table("appeal_events")
    with op.batch_alter_table("appeals", schema=None) as batch_op:
        batch_op.drop_index("ix_appeals_status_due")
        batch_op.drop_index(batch_op.f("ix_appeals_request_pk"))
    op.drop_table("appeals")
