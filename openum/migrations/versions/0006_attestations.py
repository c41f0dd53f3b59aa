"""attestations and committee memberships

Annual no-incentive statements for UM decision makers and confidentiality / conflict-of-interest
statements for committee members (seed 001). Signatures are append-only, like the audit trail.

Revision ID: 0006
Revises: 0005
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import openum.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "attestations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("statement_version", sa.String(length=20), nullable=False),
        sa.Column("statement_sha256", sa.String(length=64), nullable=False),
        sa.Column("attested_at", openum.db.UTCDateTime(), nullable=False),
        sa.Column("source_ip", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_attestations_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_attestations")),
        sa.UniqueConstraint("user_id", "kind", "year", name=op.f("uq_attestations_user_id_kind_year")),
    )
    with op.batch_alter_table("attestations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_attestations_user_id"), ["user_id"], unique=False)

    op.create_table(
        "committee_memberships",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("committee", sa.String(length=20), nullable=False),
        sa.Column("joined_on", sa.Date(), nullable=False),
        sa.Column("left_on", sa.Date(), nullable=True),
        sa.Column("recorded_by_user_id", sa.Integer(), nullable=False),
        sa.Column("recorded_at", openum.db.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_committee_memberships_user_id_users")),
        sa.ForeignKeyConstraint(["recorded_by_user_id"], ["users.id"],
                                name=op.f("fk_committee_memberships_recorded_by_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_committee_memberships")),
    )
    with op.batch_alter_table("committee_memberships", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_committee_memberships_user_id"), ["user_id"], unique=False)

    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE TRIGGER attestations_append_only BEFORE UPDATE OR DELETE ON attestations
            FOR EACH ROW EXECUTE FUNCTION openum_refuse_change('append-only');
        """)
        return
    for op_name in ("UPDATE", "DELETE"):
        op.execute(f"""
            CREATE TRIGGER attestations_no_{op_name.lower()} BEFORE {op_name} ON attestations
            BEGIN SELECT RAISE(ABORT, 'openum: attestations is append-only'); END;
        """)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER attestations_append_only ON attestations")
    else:
        op.execute("DROP TRIGGER attestations_no_update")
        op.execute("DROP TRIGGER attestations_no_delete")
    with op.batch_alter_table("committee_memberships", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_committee_memberships_user_id"))
    op.drop_table("committee_memberships")
    with op.batch_alter_table("attestations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_attestations_user_id"))
    op.drop_table("attestations")
