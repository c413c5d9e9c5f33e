"""Case manager and team members by their Keycloak subject, from case events (ADR 0027, 0034).

Revision ID: 3b7d2a9c4e10
Revises: a6c0e1f2b3d4
Create Date: 2026-11-23 14:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3b7d2a9c4e10"
down_revision: str | None = "a6c0e1f2b3d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("cases", sa.Column("manager_user_id", sa.Text(), nullable=True))
    op.add_column("cases", sa.Column("manager_since", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "case_team",
        sa.Column("member_id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("institution_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Text(), nullable=True),
        sa.Column("left_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("member_id", name=op.f("pk_case_team")),
    )
    op.create_index(op.f("ix_case_team_case_id"), "case_team", ["case_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_case_team_case_id"), table_name="case_team")
    op.drop_table("case_team")
    op.drop_column("cases", "manager_since")
    op.drop_column("cases", "manager_user_id")
