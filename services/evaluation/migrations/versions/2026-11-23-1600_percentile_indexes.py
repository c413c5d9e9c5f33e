"""Indexes on the durations whose median and 90th percentile the views show (time to accept and
to complete a referral, duration of a closed case), per municipality and for the region: the
views read the two order statistics they need off them instead of sorting every row (ADR 0045).

Revision ID: 3e8a1f6c7b20
Revises: 9d3b6c2e4f15
Create Date: 2026-11-23 16:00:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "3e8a1f6c7b20"
down_revision: str | None = "9d3b6c2e4f15"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACCEPT = "(EXTRACT(EPOCH FROM (accepted_at - requested_at)) / 86400.0)"
_COMPLETE = "(EXTRACT(EPOCH FROM (completed_at - requested_at)) / 86400.0)"
_DURATION = "(EXTRACT(EPOCH FROM (closed_at - opened_at)) / 86400.0)"

INDEXES = (
    ("ix_ev_referrals_accept_days", "ev_referrals", _ACCEPT, "requested_at", "accepted_at"),
    ("ix_ev_referrals_complete_days", "ev_referrals", _COMPLETE, "requested_at", "completed_at"),
    ("ix_ev_cases_duration_days", "ev_cases", _DURATION, "opened_at", "closed_at"),
)


def upgrade() -> None:
    # The columns of the value are included so that the walk is an index-only scan.
    for name, table, value, start, present in INDEXES:
        where = f"{present} IS NOT NULL"
        if table == "ev_cases":
            where += " AND opened_at IS NOT NULL"
        # The region walks the first; a municipality the second.
        op.execute(
            f"CREATE INDEX {name} ON {table} ({value}) INCLUDE ({start}, {present}) WHERE {where}"
        )
        op.execute(
            f"CREATE INDEX {name}_tenant ON {table} (tenant, {value})"
            f" INCLUDE ({start}, {present}) WHERE {where}"
        )


def downgrade() -> None:
    for name, *_ in INDEXES:
        op.execute(f"DROP INDEX {name}_tenant")
        op.execute(f"DROP INDEX {name}")
