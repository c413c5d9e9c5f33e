"""The facts functions of the monthly summaries plan each call with its arguments (ADR 0046).

After five calls PL/pgSQL may switch a statement to a generic plan, which cannot see that a
period's edge is a few hours and reads every referral or case of the region.

Revision ID: 1a7e9c3b5d08
Revises: 8f2c5e1a7d64
Create Date: 2026-11-23 17:30:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "1a7e9c3b5d08"
down_revision: str | None = "8f2c5e1a7d64"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTIONS = (
    "ev_referral_facts",
    "ev_referral_sector_facts",
    "ev_referral_service_facts",
    "ev_referral_day_facts",
    "ev_case_facts",
)


def upgrade() -> None:
    for name in FUNCTIONS:
        op.execute(
            f"ALTER FUNCTION {name}(text, timestamptz, timestamptz)"
            " SET plan_cache_mode = force_custom_plan"
        )


def downgrade() -> None:
    for name in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {name}(text, timestamptz, timestamptz) RESET plan_cache_mode")
