"""The consent decision on every channel (ADR 0036): consent kinds and given_at, referral senders,
what a case notice opens.

Revision ID: 5c1e9d7a2b60
Revises: 3b7d2a9c4e10
Create Date: 2026-12-07 17:00:00.000000+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "5c1e9d7a2b60"
down_revision: str | None = "3b7d2a9c4e10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "consent_scopes",
        sa.Column(
            "data_kinds", postgresql.ARRAY(sa.Text()), server_default=sa.text("'{}'"),
            nullable=False,
        ),
    )  # fmt: skip
    op.add_column(
        "consent_scopes", sa.Column("given_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.add_column("referrals", sa.Column("sending_institution_id", sa.Uuid(), nullable=True))
    op.add_column("notices", sa.Column("case_id", sa.Uuid(), nullable=True))
    op.add_column("notices", sa.Column("data_kind", sa.Text(), nullable=True))
    op.add_column("notices", sa.Column("referral_id", sa.Uuid(), nullable=True))
    # The scopes taken in before: their kinds and given_at from the consent events kept in the
    # journal, as received (a consent not found there grants nothing).
    op.execute(
        """
        UPDATE consent_scopes s SET
            data_kinds = ARRAY(SELECT jsonb_array_elements_text(j.body -> 'data' -> 'data_kinds')),
            given_at = CAST(j.body -> 'data' ->> 'given_at' AS timestamptz)
        FROM (SELECT convert_from(body, 'UTF8')::jsonb AS body FROM events
              WHERE type = 'cases.family.consented') j
        WHERE CAST(j.body -> 'data' ->> 'consent_id' AS uuid) = s.consent_id
        """
    )
    op.execute(
        """
        UPDATE referrals r SET sending_institution_id =
            CAST(j.body -> 'data' ->> 'sending_institution_id' AS uuid)
        FROM (SELECT convert_from(body, 'UTF8')::jsonb AS body FROM events
              WHERE type LIKE 'cases.referral.%') j
        WHERE CAST(j.body -> 'data' ->> 'referral_id' AS uuid) = r.referral_id
          AND j.body -> 'data' ->> 'sending_institution_id' IS NOT NULL
        """
    )
    # Earlier case notices: what their link opens, read from the link.
    op.execute(
        """
        UPDATE notices SET
            case_id = CAST(substring(link from '^/sprawy/([0-9a-f-]{36})') AS uuid),
            referral_id = CAST(substring(link from '/skierowania/([0-9a-f-]{36})') AS uuid),
            data_kind = CASE WHEN link ~ '/skierowania/' THEN 'referrals' END
        WHERE link ~ '^/sprawy/[0-9a-f-]{36}'
        """
    )


def downgrade() -> None:
    op.drop_column("notices", "referral_id")
    op.drop_column("notices", "data_kind")
    op.drop_column("notices", "case_id")
    op.drop_column("referrals", "sending_institution_id")
    op.drop_column("consent_scopes", "given_at")
    op.drop_column("consent_scopes", "data_kinds")
