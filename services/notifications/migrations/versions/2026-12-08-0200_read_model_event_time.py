"""The read models' version: the time of the other service's event each institution, contact
person, offering, referral and meeting row is as of, so that an older event arriving late (two
consumer replicas, a redelivery) no longer overwrites a newer one (ADR 0083). NULL for rows
written before: the next event about them overwrites them.

And the consents' withdrawals as taken in, so that a withdrawal is final whatever the order: a
consent taken in after its withdrawal (a late, older event) is withdrawn as it is inserted, and
each scope's `withdrawn_at` is the earliest withdrawal covering it (ADR 0036, 0083).

Revision ID: 9a4e6c2f1d85
Revises: c14f1a2b3d04
Create Date: 2026-12-08 02:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "9a4e6c2f1d85"
down_revision: str | None = "c14f1a2b3d04"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("institutions", "contact_persons", "offerings", "referrals", "meetings")


def upgrade() -> None:
    for table in TABLES:
        op.add_column(table, sa.Column("event_time", sa.DateTime(timezone=True)))
    op.create_table(
        "consent_withdrawals",
        sa.Column("id", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("consent_id", sa.Uuid(), nullable=False),
        sa.Column(
            "institution_ids",
            postgresql.ARRAY(sa.Uuid()),
            server_default=sa.text("'{}'"),
            nullable=False,
        ),
        sa.Column(
            "sectors", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"), nullable=False
        ),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consent_withdrawals")),
    )
    op.create_index(
        op.f("ix_consent_withdrawals_consent_id"), "consent_withdrawals", ["consent_id"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_consent_withdrawals_consent_id"), table_name="consent_withdrawals")
    op.drop_table("consent_withdrawals")
    for table in TABLES:
        op.drop_column(table, "event_time")
