"""Disclosures: every case event that left for a partner institution's system (ADR 0029).

One row per (event, institution, channel), append-only (a statement trigger raises on UPDATE,
DELETE and TRUNCATE). Each new row also goes out as `notifications.disclosure.recorded`, which the
cases service writes into the case's access log.

Revision ID: 7e2b9c4d1f30
Revises: 5c1e9d7a2b60
Create Date: 2026-12-07 18:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7e2b9c4d1f30"
down_revision: str | None = "5c1e9d7a2b60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "disclosures",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("event_id", sa.Uuid(), nullable=False),
        sa.Column("event_type", sa.Text(), nullable=False),
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=True),
        sa.Column("institution_id", sa.Uuid(), nullable=False),
        sa.Column("channel", sa.Text(), nullable=False),
        sa.Column("endpoint_id", sa.Uuid(), nullable=True),
        sa.Column("client_id", sa.Text(), nullable=True),
        sa.Column(
            "disclosed_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_disclosures")),
        sa.UniqueConstraint(
            "event_id", "institution_id", "channel", name="uq_disclosures_event_institution"
        ),
    )
    op.execute(
        """
        CREATE FUNCTION disclosures_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'disclosures is append-only: % refused', TG_OP
                USING ERRCODE = 'insufficient_privilege';
        END
        $$
        """
    )
    op.execute(
        "CREATE TRIGGER disclosures_append_only BEFORE UPDATE OR DELETE OR TRUNCATE"
        " ON disclosures FOR EACH STATEMENT EXECUTE FUNCTION disclosures_append_only()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER disclosures_append_only ON disclosures")
    op.execute("DROP FUNCTION disclosures_append_only()")
    op.drop_table("disclosures")
