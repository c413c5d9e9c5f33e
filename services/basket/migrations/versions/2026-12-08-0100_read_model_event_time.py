"""The partners read model's version: the time of the partners event each institution and
membership row is as of, so that an older event arriving late (two consumer replicas, a
redelivery) no longer overwrites a newer one (ADR 0083). NULL for rows written before: the next
event about them overwrites them.

Revision ID: 7d3f1a9c2e58
Revises: 5b8e2c7d9f14
Create Date: 2026-12-08 01:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7d3f1a9c2e58"
down_revision: str | None = "5b8e2c7d9f14"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for table in ("institutions", "memberships"):
        op.add_column(table, sa.Column("event_time", sa.DateTime(timezone=True)))


def downgrade() -> None:
    for table in ("institutions", "memberships"):
        op.drop_column(table, "event_time")
