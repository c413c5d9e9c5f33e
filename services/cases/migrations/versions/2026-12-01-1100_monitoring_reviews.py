"""Monitoring reviews of the support plan (ADR 0025).

Revision ID: 3a9f0c5e8b12
Revises: 8e4b2d61a7c9
Create Date: 2026-12-01 11:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "3a9f0c5e8b12"
down_revision: str | None = "8e4b2d61a7c9"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "monitoring_reviews",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("plan_version", sa.Integer(), nullable=False),
        sa.Column("reviewed_on", sa.Date(), nullable=False),
        sa.Column("goals", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("family_assessment", sa.Text(), nullable=True),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("next_review_on", sa.Date(), nullable=True),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_monitoring_reviews_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_monitoring_reviews")),
    )
    op.create_index(
        op.f("ix_monitoring_reviews_case_id"), "monitoring_reviews", ["case_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_monitoring_reviews_case_id"), table_name="monitoring_reviews")
    op.drop_table("monitoring_reviews")
