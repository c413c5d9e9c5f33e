"""Handovers of a case from one case manager to another (ADR 0023).

Revision ID: 5c1e7a20d3f1
Revises: b28f24885736
Create Date: 2026-12-01 09:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5c1e7a20d3f1"
down_revision: str | None = "b28f24885736"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "case_reassignments",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("from_subject", sa.Text(), nullable=False),
        sa.Column("from_username", sa.Text(), nullable=False),
        sa.Column("to_subject", sa.Text(), nullable=False),
        sa.Column("to_username", sa.Text(), nullable=False),
        sa.Column(
            "reason_code",
            sa.Enum(
                "absence",
                "staff_change",
                "workload",
                "conflict_of_interest",
                "family_request",
                "other",
                name="reassign_reason",
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("by_username", sa.Text(), nullable=False),
        sa.Column("by_relation", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_reassignments_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_reassignments")),
    )
    op.create_index(
        op.f("ix_case_reassignments_case_id"), "case_reassignments", ["case_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_case_reassignments_case_id"), table_name="case_reassignments")
    op.drop_table("case_reassignments")
