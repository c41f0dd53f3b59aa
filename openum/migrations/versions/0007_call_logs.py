"""member services call log

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 18:00:00
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import openum.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "call_logs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("plan_id", sa.String(length=64), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("received_at", openum.db.UTCDateTime(), nullable=False),
        sa.Column("logged_at", openum.db.UTCDateTime(), nullable=False),
        sa.Column("caller_name", sa.String(length=200), nullable=False),
        sa.Column("caller_kind", sa.String(length=20), nullable=False),
        sa.Column("callback_number", sa.String(length=40), nullable=False),
        sa.Column("authorization_id", sa.String(length=32), nullable=True),
        sa.Column("member_id", sa.String(length=32), nullable=True),
        sa.Column("subject", sa.Text(), nullable=False),
        sa.Column("staff_user_id", sa.Integer(), nullable=False),
        sa.Column("staff_name", sa.String(length=200), nullable=False),
        sa.Column("staff_title", sa.String(length=100), nullable=False),
        sa.Column("interpreter_language", sa.String(length=40), nullable=True),
        sa.Column("tty_requested", sa.Boolean(), nullable=False),
        sa.Column("callback_due_at", openum.db.UTCDateTime(), nullable=False),
        sa.Column("callback_rule", sa.Text(), nullable=False),
        sa.Column("callback_done_at", openum.db.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["staff_user_id"], ["users.id"], name=op.f("fk_call_logs_staff_user_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_call_logs")),
    )
    with op.batch_alter_table("call_logs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_call_logs_authorization_id"), ["authorization_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_call_logs_member_id"), ["member_id"], unique=False)
        batch_op.create_index("ix_call_logs_callback_due", ["callback_done_at", "callback_due_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("call_logs", schema=None) as batch_op:
        batch_op.drop_index("ix_call_logs_callback_due")
        batch_op.drop_index(batch_op.f("ix_call_logs_member_id"))
        batch_op.drop_index(batch_op.f("ix_call_logs_authorization_id"))
    op.drop_table("call_logs")
