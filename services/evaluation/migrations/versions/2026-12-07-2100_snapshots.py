"""Snapshots of the read models, each with the stream positions it holds (ADR 0049).

A snapshot is a row of `ev_snapshots` (when, and for each stream the last sequence whose events
it holds) and its parts in `ev_snapshot_parts`: a projection table's rows as JSON, in chunks.

Revision ID: e16b3c4d5f06
Revises: 1a7e9c3b5d08
Create Date: 2026-12-07 21:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "e16b3c4d5f06"
down_revision: str | None = "1a7e9c3b5d08"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "ev_snapshots",
        sa.Column("id", sa.BigInteger(), sa.Identity(), nullable=False),
        sa.Column("taken_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("positions", postgresql.JSONB(), nullable=False),
        sa.Column("row_count", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ev_snapshots")),
    )
    op.create_table(
        "ev_snapshot_parts",
        sa.Column("snapshot_id", sa.BigInteger(), nullable=False),
        sa.Column("table_name", sa.Text(), nullable=False),
        sa.Column("part", sa.Integer(), nullable=False),
        sa.Column("columns", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("rows", postgresql.JSONB(), nullable=False),
        sa.ForeignKeyConstraint(
            ["snapshot_id"],
            ["ev_snapshots.id"],
            name=op.f("fk_ev_snapshot_parts_snapshot_id_ev_snapshots"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "snapshot_id", "table_name", "part", name=op.f("pk_ev_snapshot_parts")
        ),
    )


def downgrade() -> None:
    op.drop_table("ev_snapshot_parts")
    op.drop_table("ev_snapshots")
