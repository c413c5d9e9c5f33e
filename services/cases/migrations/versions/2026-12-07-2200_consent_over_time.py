"""Consent over time (ADR 0037).

- `referrals.state` may be `withdrawn-consent`: the final state of an open referral whose
  receiving institution the family's consent no longer covers (withdrawn or expired).
- `team_members.left_reason` (`consent_ended` | `case_closed` | NULL): why a member left, so the
  case manager sees who lost access with the consent and can invite them again.
- `consents.expiry_applied_at`: when the sweep applied an expiry's consequences; the partial
  index `ix_consents_expiry_pending` finds the expired consents still to apply. Consents that
  expired before this migration are left NULL: the first sweep applies them.

Revision ID: b13e0c5a7d02
Revises: b13e0d3c9f03
Create Date: 2026-12-07 22:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b13e0c5a7d02"
down_revision: str | None = "b13e0d3c9f03"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATES = (
    "draft", "requested", "accepted", "rejected", "cancelled", "in-progress", "on-hold",
    "completed", "failed",
)  # fmt: skip


REASONS = (
    "not_eligible", "no_capacity", "family_declined", "family_unreachable",
    "service_unavailable", "duplicate", "other",
)  # fmt: skip
WITHDRAWN = "withdrawn-consent"
CONSENT = ("consent_withdrawn", "consent_expired")


def _in(column: str, values: Sequence[str]) -> str:
    return f"{column} IN (" + ", ".join(f"'{v}'" for v in values) + ")"


def upgrade() -> None:
    op.drop_constraint(op.f("ck_referrals_referral_state"), "referrals", type_="check")
    op.create_check_constraint(
        op.f("ck_referrals_referral_state"), "referrals", _in("state", [*STATES, WITHDRAWN])
    )
    op.drop_constraint(op.f("ck_referrals_reason_code"), "referrals", type_="check")
    op.create_check_constraint(
        op.f("ck_referrals_reason_code"), "referrals", _in("reason_code", [*REASONS, *CONSENT])
    )
    op.add_column("team_members", sa.Column("left_reason", sa.String(32), nullable=True))
    op.create_check_constraint(
        op.f("ck_team_members_left_reason"),
        "team_members",
        _in("left_reason", ("consent_ended", "case_closed")),
    )
    op.add_column(
        "consents", sa.Column("expiry_applied_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_index(
        "ix_consents_expiry_pending",
        "consents",
        ["valid_until"],
        postgresql_where=sa.text("withdrawn_at IS NULL AND expiry_applied_at IS NULL"),
    )


def downgrade() -> None:
    op.drop_index("ix_consents_expiry_pending", table_name="consents")
    op.drop_column("consents", "expiry_applied_at")
    op.drop_column("team_members", "left_reason")
    op.execute(
        "UPDATE referrals SET state = 'cancelled', reason_code = 'other' "
        "WHERE state = 'withdrawn-consent'"
    )
    op.drop_constraint(op.f("ck_referrals_referral_state"), "referrals", type_="check")
    op.create_check_constraint(
        op.f("ck_referrals_referral_state"), "referrals", _in("state", STATES)
    )
    op.drop_constraint(op.f("ck_referrals_reason_code"), "referrals", type_="check")
    op.create_check_constraint(
        op.f("ck_referrals_reason_code"), "referrals", _in("reason_code", REASONS)
    )
