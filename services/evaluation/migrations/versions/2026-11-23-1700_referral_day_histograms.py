"""Histograms by whole day of the time to accept and to complete a referral (per municipality
and month sent) and of the duration of a closed case (per month closed), ADR 0046: the views find
in them which day holds the median or the 90th percentile and walk the index from that day.

Revision ID: 8f2c5e1a7d64
Revises: 6b4d2a9e8c31
Create Date: 2026-11-23 17:00:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "8f2c5e1a7d64"
down_revision: str | None = "6b4d2a9e8c31"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ACCEPT = "(EXTRACT(EPOCH FROM (r.accepted_at - r.requested_at)) / 86400.0)"
_COMPLETE = "(EXTRACT(EPOCH FROM (r.completed_at - r.requested_at)) / 86400.0)"
_DURATION = "(EXTRACT(EPOCH FROM (c.closed_at - c.opened_at)) / 86400.0)"


def _facts(scope: str) -> str:
    parts = []
    for kind, value, present in (  # referrals by the month sent
        ("accept", _ACCEPT, "accepted_at"),
        ("complete", _COMPLETE, "completed_at"),
    ):
        parts.append(
            f"""SELECT r.tenant, ev_month(r.requested_at), CAST('{kind}' AS text),
                       CAST(floor({value}) AS integer), count(*)
                FROM ev_referrals r
                WHERE {scope} AND r.{present} IS NOT NULL
                  AND r.requested_at >= p_from AND r.requested_at < p_to
                GROUP BY 1, 2, 3, 4"""
        )
    # Cases by the month they were closed, as the views count them (opened too).
    case_scope = scope.replace("r.tenant", "c.tenant")
    parts.append(
        f"""SELECT c.tenant, ev_month(c.closed_at), CAST('duration' AS text),
                   CAST(floor({_DURATION}) AS integer), count(*)
            FROM ev_cases c
            WHERE {case_scope} AND c.opened_at IS NOT NULL
              AND c.closed_at >= p_from AND c.closed_at < p_to
            GROUP BY 1, 2, 3, 4"""
    )
    return " UNION ALL ".join(parts)


STATEMENTS = [
    """
CREATE TABLE ev_referral_day_months (
    tenant text NOT NULL, month timestamptz NOT NULL, kind text NOT NULL, day integer NOT NULL,
    n bigint NOT NULL
)""",
    "CREATE INDEX ix_ev_referral_day_months ON ev_referral_day_months (tenant, month)",
    f"""
CREATE FUNCTION ev_referral_day_facts(p_tenant text, p_from timestamptz, p_to timestamptz)
RETURNS TABLE (tenant text, month timestamptz, kind text, day integer, n bigint)
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_tenant IS NULL THEN
        RETURN QUERY {_facts("TRUE")};
    ELSE
        RETURN QUERY {_facts("r.tenant = p_tenant")};
    END IF;
END $$""",
    # The month's and the full refresh of 2026-11-23-1630_month_summaries, with the histograms.
    """
CREATE OR REPLACE FUNCTION ev_refresh_month(p_kind text, p_tenant text, p_month timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    upto timestamptz := ev_next_month(p_month);
BEGIN
    IF p_kind = 'referral' THEN
        DELETE FROM ev_referral_months WHERE tenant = p_tenant AND month = p_month;
        DELETE FROM ev_referral_sector_months WHERE tenant = p_tenant AND month = p_month;
        DELETE FROM ev_referral_service_months WHERE tenant = p_tenant AND month = p_month;
        DELETE FROM ev_referral_day_months
        WHERE tenant = p_tenant AND month = p_month AND kind <> 'duration';
        INSERT INTO ev_referral_months SELECT * FROM ev_referral_facts(p_tenant, p_month, upto);
        INSERT INTO ev_referral_sector_months
            SELECT * FROM ev_referral_sector_facts(p_tenant, p_month, upto);
        INSERT INTO ev_referral_service_months
            SELECT * FROM ev_referral_service_facts(p_tenant, p_month, upto);
        INSERT INTO ev_referral_day_months
            SELECT * FROM ev_referral_day_facts(p_tenant, p_month, upto) WHERE kind <> 'duration';
    ELSE
        DELETE FROM ev_referral_day_months
        WHERE tenant = p_tenant AND month = p_month AND kind = 'duration';
        INSERT INTO ev_referral_day_months
            SELECT * FROM ev_referral_day_facts(p_tenant, p_month, upto) WHERE kind = 'duration';
        DELETE FROM ev_case_months
        WHERE tenant = p_tenant AND (opened_month = p_month OR closed_month = p_month);
        INSERT INTO ev_case_months
            SELECT f.tenant, f.opened_month, f.closed_month, f.close_reason, sum(f.n),
                   sum(f.consented), sum(f.plans), sum(f.goal_count), sum(f.action_count),
                   sum(f.actions_done), sum(f.goals_set), sum(f.goals_reached)
            FROM ev_case_facts(p_tenant, p_month, upto) f GROUP BY 1, 2, 3, 4;
    END IF;
END $$""",
    """
CREATE OR REPLACE FUNCTION ev_refresh_all() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE ev_referral_months, ev_referral_sector_months, ev_referral_service_months,
             ev_referral_day_months, ev_case_months, ev_dirty_months;
    INSERT INTO ev_referral_months
        SELECT * FROM ev_referral_facts(NULL, '-infinity', 'infinity');
    INSERT INTO ev_referral_sector_months
        SELECT * FROM ev_referral_sector_facts(NULL, '-infinity', 'infinity');
    INSERT INTO ev_referral_service_months
        SELECT * FROM ev_referral_service_facts(NULL, '-infinity', 'infinity');
    INSERT INTO ev_referral_day_months
        SELECT * FROM ev_referral_day_facts(NULL, '-infinity', 'infinity');
    INSERT INTO ev_case_months
        SELECT f.tenant, f.opened_month, f.closed_month, f.close_reason, sum(f.n),
               sum(f.consented), sum(f.plans), sum(f.goal_count), sum(f.action_count),
               sum(f.actions_done), sum(f.goals_set), sum(f.goals_reached)
        FROM ev_case_facts(NULL, '-infinity', 'infinity') f GROUP BY 1, 2, 3, 4;
END $$""",
    "SELECT ev_refresh_all()",
]


def upgrade() -> None:
    for statement in STATEMENTS:
        op.execute(statement.strip())


def downgrade() -> None:
    for statement in STATEMENTS[3:5]:  # the refresh functions as they were
        without = statement.replace("ev_referral_day_months, ", "").splitlines()
        op.execute("\n".join(li for li in without if "ev_referral_day" not in li).strip())
    op.execute("DROP FUNCTION ev_referral_day_facts")
    op.execute("DROP TABLE ev_referral_day_months")
