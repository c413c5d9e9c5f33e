"""A person removed from a family record keeps a row (names only) when a consent names them as
its giver (ADR 0024).

Revision ID: 8e4b2d61a7c9
Revises: 5c1e7a20d3f1
Create Date: 2026-12-01 10:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "8e4b2d61a7c9"
down_revision: str | None = "5c1e7a20d3f1"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "family_members", sa.Column("removed_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("family_members", "removed_at")
