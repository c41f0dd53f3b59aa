"""post-stabilization flag on requests

Revision ID: 0008
Revises: 0007
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain ADD COLUMN (no batch copy): SQLite keeps the receipt-protection triggers on the table.
    op.add_column("authorization_requests",
                  sa.Column("post_stabilization", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("authorization_requests") as batch_op:
        batch_op.drop_column("post_stabilization")
