"""Protect receipt timestamps and append-only history in the database itself

NCQA UM system controls: receipt and notice dates may not be changed without a trail. The ORM
never updates them, and these triggers refuse it even from a direct SQL session.

Revision ID: 0002
Revises: 0001
"""
from __future__ import annotations

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

_APPEND_ONLY = ("request_events", "audit_events")


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("""
            CREATE FUNCTION openum_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
              RAISE EXCEPTION 'openum: % on % is not allowed (%)', TG_OP, TG_TABLE_NAME, TG_ARGV[0]
                USING ERRCODE = 'insufficient_privilege';
            END $$;
        """)
        op.execute("""
            CREATE TRIGGER authorization_requests_receipt_immutable
            BEFORE UPDATE OF received_at, authorization_id, channel ON authorization_requests
            FOR EACH ROW WHEN (OLD.received_at IS DISTINCT FROM NEW.received_at
                               OR OLD.authorization_id IS DISTINCT FROM NEW.authorization_id
                               OR OLD.channel IS DISTINCT FROM NEW.channel)
            EXECUTE FUNCTION openum_refuse_change('receipt facts are immutable; record a correction');
        """)
        for table in _APPEND_ONLY:
            op.execute(f"""
                CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table}
                FOR EACH ROW EXECUTE FUNCTION openum_refuse_change('append-only');
            """)
        return
    op.execute("""
        CREATE TRIGGER authorization_requests_receipt_immutable
        BEFORE UPDATE OF received_at, authorization_id, channel ON authorization_requests
        WHEN OLD.received_at IS NOT NEW.received_at OR OLD.authorization_id IS NOT NEW.authorization_id
             OR OLD.channel IS NOT NEW.channel
        BEGIN SELECT RAISE(ABORT, 'openum: receipt facts are immutable; record a correction'); END;
    """)
    for table in _APPEND_ONLY:
        for op_name in ("UPDATE", "DELETE"):
            op.execute(f"""
                CREATE TRIGGER {table}_no_{op_name.lower()} BEFORE {op_name} ON {table}
                BEGIN SELECT RAISE(ABORT, 'openum: {table} is append-only'); END;
            """)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER authorization_requests_receipt_immutable ON authorization_requests")
        for table in _APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION openum_refuse_change()")
        return
    op.execute("DROP TRIGGER authorization_requests_receipt_immutable")
    for table in _APPEND_ONLY:
        op.execute(f"DROP TRIGGER {table}_no_update")
        op.execute(f"DROP TRIGGER {table}_no_delete")
