"""ev_cases.consented: whether a consent of the family was recorded, kept by the projector
(ADR 0045), filled here from the consents already projected.

Revision ID: 9d3b6c2e4f15
Revises: 5c1f0e7b9a42
Create Date: 2026-11-23 15:30:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d3b6c2e4f15"
down_revision: str | None = "5c1f0e7b9a42"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "ev_cases",
        sa.Column("consented", sa.Boolean(), server_default=sa.text("false"), nullable=False),
    )
    op.execute(
        "UPDATE ev_cases c SET consented = true WHERE EXISTS ("
        " SELECT 1 FROM ev_consents k WHERE k.case_id = c.case_id AND k.given_at IS NOT NULL)"
    )


def downgrade() -> None:
    op.drop_column("ev_cases", "consented")
