"""episodes of care, discharge planning, quality flags, retrospective reviews, referrals,
out-of-network exceptions, letters of agreement, claim checks

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy import Text
from sqlalchemy.dialects import postgresql

import openum.db

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def _json() -> sa.types.TypeEngine:  # type: ignore[type-arg]
    return sa.JSON().with_variant(postgresql.JSONB(astext_type=Text()), "postgresql")


def upgrade() -> None:
    op.create_table(
        "episodes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("pack_version", sa.String(length=32), nullable=False),
        sa.Column("line_of_business", sa.String(length=64), nullable=False),
        sa.Column("member_pk", sa.Integer(), nullable=False),
        sa.Column("facility_npi", sa.String(length=10), nullable=False),
        sa.Column("facility_id", sa.Integer(), nullable=True),
        sa.Column("attending_npi", sa.String(length=10), nullable=True),
        sa.Column("submitter_organization_id", sa.String(length=64), nullable=True),
        sa.Column("servicing_organization_id", sa.String(length=64), nullable=True),
        sa.Column("admission_type", sa.String(length=30), nullable=False),
        sa.Column("level_of_care", sa.String(length=30), nullable=False),
        sa.Column("level_started_on", sa.Date(), nullable=False),
        sa.Column("admitted_at", openum.db.UTCDateTime(), nullable=False),
        sa.Column("admission_date", sa.Date(), nullable=False),
        sa.Column("estimated_length_of_stay", sa.Integer(), nullable=True),
        sa.Column("estimated_los_source", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("discharge_date", sa.Date(), nullable=True),
        sa.Column("discharge_disposition", sa.String(length=40), nullable=True),
        sa.Column("discharged_at", openum.db.UTCDateTime(), nullable=True),
        sa.Column("discharge_planning_started_at", openum.db.UTCDateTime(), nullable=False),
        sa.Column("created_at", openum.db.UTCDateTime(), nullable=False),
        sa.Column("row_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["facility_id"], ["providers.id"], name=op.f("fk_episodes_facility_id_providers")),
        sa.ForeignKeyConstraint(["member_pk"], ["members.id"], name=op.f("fk_episodes_member_pk_members")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_episodes")),
    )
    op.create_index("ix_episodes_member_admitted", "episodes", ["member_pk", "admission_date"], unique=False)
    op.create_index(
        op.f("ix_episodes_servicing_organization_id"), "episodes", ["servicing_organization_id"], unique=False
    )
    op.create_index(
        op.f("ix_episodes_submitter_organization_id"), "episodes", ["submitter_organization_id"], unique=False
    )
    op.create_table(
        "episode_authorizations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_pk", sa.Integer(), nullable=False),
        sa.Column("request_pk", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=30), nullable=False),
        sa.Column("level_of_care", sa.String(length=30), nullable=False),
        sa.Column("units_requested", sa.Integer(), nullable=True),
        sa.Column("from_date", sa.Date(), nullable=True),
        sa.Column("to_date", sa.Date(), nullable=True),
        sa.Column("supersedes_request_pk", sa.Integer(), nullable=True),
        sa.Column("linked_at", openum.db.UTCDateTime(), nullable=False),
        sa.Column("notified_at", openum.db.UTCDateTime(), nullable=True),
        sa.Column("notification_required", sa.Boolean(), nullable=False),
        sa.Column("notification_due_at", openum.db.UTCDateTime(), nullable=True),
        sa.Column("notification_late", sa.Boolean(), nullable=True),
        sa.Column("clinical_documentation_received", sa.Boolean(), nullable=True),
        sa.Column("member_liability_from", openum.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["episode_pk"],
            ["episodes.id"],
            name=op.f("fk_episode_authorizations_episode_pk_episodes"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["request_pk"],
            ["authorization_requests.id"],
            name=op.f("fk_episode_authorizations_request_pk_authorization_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["supersedes_request_pk"],
            ["authorization_requests.id"],
            name=op.f("fk_episode_authorizations_supersedes_request_pk_authorization_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_episode_authorizations")),
        sa.UniqueConstraint("request_pk", name=op.f("uq_episode_authorizations_request_pk")),
    )
    op.create_index(
        op.f("ix_episode_authorizations_episode_pk"), "episode_authorizations", ["episode_pk"], unique=False
    )
    op.create_table(
        "discharge_needs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_pk", sa.Integer(), nullable=False),
        sa.Column("need", sa.String(length=40), nullable=False),
        sa.Column("description", sa.Text(), nullable=True),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_at", openum.db.UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("updated_at", openum.db.UTCDateTime(), nullable=False),
        sa.Column("completed_at", openum.db.UTCDateTime(), nullable=True),
        sa.Column("history", _json(), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_pk"], ["episodes.id"], name=op.f("fk_discharge_needs_episode_pk_episodes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_discharge_needs")),
    )
    op.create_index(op.f("ix_discharge_needs_episode_pk"), "discharge_needs", ["episode_pk"], unique=False)
    op.create_table(
        "care_referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_pk", sa.Integer(), nullable=False),
        sa.Column("program", sa.String(length=40), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("referred_at", openum.db.UTCDateTime(), nullable=False),
        sa.Column("referred_by", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(
            ["episode_pk"], ["episodes.id"], name=op.f("fk_care_referrals_episode_pk_episodes"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_care_referrals")),
    )
    op.create_index(op.f("ix_care_referrals_episode_pk"), "care_referrals", ["episode_pk"], unique=False)
    op.create_table(
        "quality_flags",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("episode_pk", sa.Integer(), nullable=False),
        sa.Column("request_pk", sa.Integer(), nullable=False),
        sa.Column("work_item_id", sa.Integer(), nullable=True),
        sa.Column("category", sa.String(length=40), nullable=False),
        sa.Column("condition", sa.String(length=200), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("flagged_at", openum.db.UTCDateTime(), nullable=False),
        sa.Column("flagged_by", sa.String(length=100), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("resolved_at", openum.db.UTCDateTime(), nullable=True),
        sa.Column("resolved_by", sa.String(length=100), nullable=True),
        sa.Column("resolution", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["episode_pk"], ["episodes.id"], name=op.f("fk_quality_flags_episode_pk_episodes"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["request_pk"],
            ["authorization_requests.id"],
            name=op.f("fk_quality_flags_request_pk_authorization_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["work_item_id"], ["work_items.id"], name=op.f("fk_quality_flags_work_item_id_work_items")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_quality_flags")),
    )
    op.create_index(op.f("ix_quality_flags_episode_pk"), "quality_flags", ["episode_pk"], unique=False)
    op.create_table(
        "retrospective_reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_pk", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=False),
        sa.Column("date_of_service", sa.Date(), nullable=False),
        sa.Column("primary_insurer_denial_date", sa.Date(), nullable=True),
        sa.Column("retro_eligibility_date", sa.Date(), nullable=True),
        sa.Column("received_on", sa.Date(), nullable=False),
        sa.Column("window_basis", sa.String(length=40), nullable=False),
        sa.Column("timely_until", sa.Date(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("days_late", sa.Integer(), nullable=False),
        sa.Column("reviewable_until", sa.Date(), nullable=False),
        sa.Column("reviewable", sa.Boolean(), nullable=False),
        sa.Column("windows", _json(), nullable=False),
        sa.Column("original_request_pk", sa.Integer(), nullable=True),
        sa.Column("created_at", openum.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["original_request_pk"],
            ["authorization_requests.id"],
            name=op.f("fk_retrospective_reviews_original_request_pk_authorization_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["request_pk"],
            ["authorization_requests.id"],
            name=op.f("fk_retrospective_reviews_request_pk_authorization_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retrospective_reviews")),
        sa.UniqueConstraint("request_pk", name=op.f("uq_retrospective_reviews_request_pk")),
    )
    op.create_table(
        "referrals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("line_of_business", sa.String(length=64), nullable=False),
        sa.Column("member_pk", sa.Integer(), nullable=False),
        sa.Column("referring_npi", sa.String(length=10), nullable=False),
        sa.Column("specialist_npi", sa.String(length=10), nullable=False),
        sa.Column("specialist_provider_id", sa.Integer(), nullable=True),
        sa.Column("specialty", sa.String(length=100), nullable=True),
        sa.Column("purpose", sa.String(length=30), nullable=True),
        sa.Column("service_codes", _json(), nullable=False),
        sa.Column("diagnoses", _json(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("visits", sa.Integer(), nullable=True),
        sa.Column("first_visit_date", sa.Date(), nullable=True),
        sa.Column("notified_at", openum.db.UTCDateTime(), nullable=False),
        sa.Column("notified_on", sa.Date(), nullable=False),
        sa.Column("window_until", sa.Date(), nullable=True),
        sa.Column("notified_before_first_visit", sa.Boolean(), nullable=True),
        sa.Column("timely", sa.Boolean(), nullable=True),
        sa.Column("status", sa.String(length=40), nullable=False),
        sa.Column("exemption", sa.String(length=80), nullable=True),
        sa.Column("in_network", sa.Boolean(), nullable=False),
        sa.Column("request_pk", sa.Integer(), nullable=True),
        sa.Column("submitter_organization_id", sa.String(length=64), nullable=True),
        sa.Column("servicing_organization_id", sa.String(length=64), nullable=True),
        sa.Column("created_by", sa.String(length=100), nullable=False),
        sa.Column("notes", _json(), nullable=False),
        sa.ForeignKeyConstraint(["member_pk"], ["members.id"], name=op.f("fk_referrals_member_pk_members")),
        sa.ForeignKeyConstraint(
            ["request_pk"], ["authorization_requests.id"], name=op.f("fk_referrals_request_pk_authorization_requests")
        ),
        sa.ForeignKeyConstraint(
            ["specialist_provider_id"], ["providers.id"], name=op.f("fk_referrals_specialist_provider_id_providers")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_referrals")),
    )
    op.create_index("ix_referrals_member_notified", "referrals", ["member_pk", "notified_at"], unique=False)
    op.create_index(
        op.f("ix_referrals_servicing_organization_id"), "referrals", ["servicing_organization_id"], unique=False
    )
    op.create_index(
        op.f("ix_referrals_submitter_organization_id"), "referrals", ["submitter_organization_id"], unique=False
    )
    op.create_table(
        "out_of_network_exceptions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_pk", sa.Integer(), nullable=False),
        sa.Column("evaluated_at", openum.db.UTCDateTime(), nullable=False),
        sa.Column("evaluated_by", sa.String(length=100), nullable=False),
        sa.Column("facts", _json(), nullable=False),
        sa.Column("conditions", _json(), nullable=False),
        sa.Column("eligible", sa.Boolean(), nullable=False),
        sa.Column("basis", sa.String(length=60), nullable=True),
        sa.Column("covered_until", sa.Date(), nullable=True),
        sa.Column("open_ended", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_pk"],
            ["authorization_requests.id"],
            name=op.f("fk_out_of_network_exceptions_request_pk_authorization_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_out_of_network_exceptions")),
    )
    op.create_index(
        op.f("ix_out_of_network_exceptions_request_pk"), "out_of_network_exceptions", ["request_pk"], unique=False
    )
    op.create_table(
        "letters_of_agreement",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_pk", sa.Integer(), nullable=False),
        sa.Column("provider_npi", sa.String(length=10), nullable=False),
        sa.Column("provider_name", sa.String(length=200), nullable=True),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("rate_basis", sa.String(length=200), nullable=False),
        sa.Column("effective_from", sa.Date(), nullable=False),
        sa.Column("effective_to", sa.Date(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("recorded_at", openum.db.UTCDateTime(), nullable=False),
        sa.Column("recorded_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(
            ["request_pk"],
            ["authorization_requests.id"],
            name=op.f("fk_letters_of_agreement_request_pk_authorization_requests"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_letters_of_agreement")),
        sa.UniqueConstraint("request_pk", name=op.f("uq_letters_of_agreement_request_pk")),
    )
    op.create_table(
        "claim_checks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("claim_id", sa.String(length=64), nullable=False),
        sa.Column("line_number", sa.Integer(), nullable=False),
        sa.Column("consumption_key", sa.String(length=160), nullable=True),
        sa.Column("member_id", sa.String(length=32), nullable=False),
        sa.Column("servicing_npi", sa.String(length=10), nullable=False),
        sa.Column("code", sa.String(length=20), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("to_date", sa.Date(), nullable=False),
        sa.Column("units", sa.Integer(), nullable=False),
        sa.Column("outcome", sa.String(length=40), nullable=False),
        sa.Column("reasons", _json(), nullable=False),
        sa.Column("request_pk", sa.Integer(), nullable=True),
        sa.Column("line_pk", sa.Integer(), nullable=True),
        sa.Column("units_applied", sa.Integer(), nullable=False),
        sa.Column("remaining_units", sa.Integer(), nullable=True),
        sa.Column("retrospective_request_pk", sa.Integer(), nullable=True),
        sa.Column("checked_at", openum.db.UTCDateTime(), nullable=False),
        sa.Column("checked_by", sa.String(length=100), nullable=False),
        sa.ForeignKeyConstraint(["line_pk"], ["service_lines.id"], name=op.f("fk_claim_checks_line_pk_service_lines")),
        sa.ForeignKeyConstraint(
            ["request_pk"],
            ["authorization_requests.id"],
            name=op.f("fk_claim_checks_request_pk_authorization_requests"),
        ),
        sa.ForeignKeyConstraint(
            ["retrospective_request_pk"],
            ["authorization_requests.id"],
            name=op.f("fk_claim_checks_retrospective_request_pk_authorization_requests"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_claim_checks")),
        sa.UniqueConstraint("consumption_key", name=op.f("uq_claim_checks_consumption_key")),
    )
    op.create_index("ix_claim_checks_claim", "claim_checks", ["plan_id", "claim_id", "line_number"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_claim_checks_claim", table_name="claim_checks")
    op.drop_table("claim_checks")
    op.drop_table("letters_of_agreement")
    op.drop_index(op.f("ix_out_of_network_exceptions_request_pk"), table_name="out_of_network_exceptions")
    op.drop_table("out_of_network_exceptions")
    op.drop_index(op.f("ix_referrals_submitter_organization_id"), table_name="referrals")
    op.drop_index(op.f("ix_referrals_servicing_organization_id"), table_name="referrals")
    op.drop_index("ix_referrals_member_notified", table_name="referrals")
    op.drop_table("referrals")
    op.drop_table("retrospective_reviews")
    op.drop_index(op.f("ix_quality_flags_episode_pk"), table_name="quality_flags")
    op.drop_table("quality_flags")
    op.drop_index(op.f("ix_care_referrals_episode_pk"), table_name="care_referrals")
    op.drop_table("care_referrals")
    op.drop_index(op.f("ix_discharge_needs_episode_pk"), table_name="discharge_needs")
    op.drop_table("discharge_needs")
    op.drop_index(op.f("ix_episode_authorizations_episode_pk"), table_name="episode_authorizations")
    op.drop_table("episode_authorizations")
    op.drop_index(op.f("ix_episodes_submitter_organization_id"), table_name="episodes")
    op.drop_index(op.f("ix_episodes_servicing_organization_id"), table_name="episodes")
    op.drop_index("ix_episodes_member_admitted", table_name="episodes")
    op.drop_table("episodes")
