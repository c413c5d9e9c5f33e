"""ev_plans: goals reached of the plan (cases.plan.updated's optional goals_total and
goals_achieved, ADR 0025), with their own version (ADR 0044).

Existing rows get NULLs: the events they came from did not carry the fields. A rebuild
(POST /v1/admin/rebuild) fills them from events that did.

Revision ID: 5c1f0e7b9a42
Revises: a2e75dae5d3d
Create Date: 2026-11-23 13:15:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1f0e7b9a42"
down_revision: str | None = "a2e75dae5d3d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("ev_plans", sa.Column("goals_total", sa.Integer(), nullable=True))
    op.add_column("ev_plans", sa.Column("goals_achieved", sa.Integer(), nullable=True))
    op.add_column("ev_plans", sa.Column("goals_version", sa.Integer(), nullable=True))
    op.add_column(
        "ev_plans", sa.Column("goals_updated_at", sa.DateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    op.drop_column("ev_plans", "goals_updated_at")
    op.drop_column("ev_plans", "goals_version")
    op.drop_column("ev_plans", "goals_achieved")
    op.drop_column("ev_plans", "goals_total")
