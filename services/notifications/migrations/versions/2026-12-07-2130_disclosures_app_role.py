"""The service's own role may not change or delete disclosures (ADR 0019, 0029).

The app role gets SELECT, INSERT, UPDATE, DELETE on every table through the owner's default
privileges; on `disclosures` it keeps SELECT and INSERT only. The statement trigger
`disclosures_append_only` stays: it also stops the owner.

Revision ID: c8d2f5a1e7b4
Revises: 7e2b9c4d1f30
Create Date: 2026-12-07 21:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op

from shared.db.roles import for_app_roles

revision: str = "c8d2f5a1e7b4"
down_revision: str | None = "7e2b9c4d1f30"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("REVOKE UPDATE, DELETE, TRUNCATE ON disclosures FROM PUBLIC")
    op.execute(for_app_roles("REVOKE UPDATE, DELETE, TRUNCATE ON disclosures FROM %s"))


def downgrade() -> None:
    op.execute(for_app_roles("GRANT UPDATE, DELETE ON disclosures TO %s"))
