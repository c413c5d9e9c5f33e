"""The service's own role may not change or delete access-log entries (ADR 0019, 0029).

The app role gets SELECT, INSERT, UPDATE, DELETE on every table through the owner's default
privileges; on `access_log` it keeps SELECT and INSERT only. The statement trigger
`access_log_append_only` stays: it also stops the owner. A job that must remove entries (the
retention of disposed cases) does it through a SECURITY DEFINER function of the owner, which the
app role may EXECUTE.

Revision ID: b4e1a7c9d2f3
Revises: b13e0f7e2a01
Create Date: 2026-12-07 21:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op

from shared.db.roles import for_app_roles

revision: str = "b4e1a7c9d2f3"
down_revision: str | None = "b13e0f7e2a01"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON access_log FROM PUBLIC")
    op.execute(for_app_roles("REVOKE UPDATE, DELETE, TRUNCATE ON access_log FROM %s"))


def downgrade() -> None:
    op.execute(for_app_roles("GRANT UPDATE, DELETE ON access_log TO %s"))
