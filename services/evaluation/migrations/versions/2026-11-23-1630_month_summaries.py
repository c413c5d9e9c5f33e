"""Monthly summaries of referrals and cases per municipality, kept by the database from the
per-object rows (ADR 0046): a row trigger notes the (municipality, month) slices a change touches,
and at commit a deferred trigger recomputes those slices from the rows. The views read whole
months from the summaries and only the partial months at a period's edges from the rows.

Revision ID: 6b4d2a9e8c31
Revises: 3e8a1f6c7b20
Create Date: 2026-11-23 16:30:00.000000+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "6b4d2a9e8c31"
down_revision: str | None = "3e8a1f6c7b20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The month of a time: the start of its calendar month in Europe/Warsaw, as an instant.
MONTH = """
CREATE FUNCTION ev_month(ts timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN date_trunc('month', ts AT TIME ZONE 'Europe/Warsaw') AT TIME ZONE 'Europe/Warsaw';

CREATE FUNCTION ev_next_month(m timestamptz) RETURNS timestamptz
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN ((m AT TIME ZONE 'Europe/Warsaw') + interval '1 month') AT TIME ZONE 'Europe/Warsaw';
"""

TABLES = """
CREATE TABLE ev_referral_months (
    tenant text NOT NULL, month timestamptz NOT NULL,
    state text, outcome text, rejection_reason text, failure_reason text, capacity_status text,
    n bigint NOT NULL, accepted bigint NOT NULL, rejected bigint NOT NULL,
    completed bigint NOT NULL, failed bigint NOT NULL, cancelled bigint NOT NULL
);
CREATE INDEX ix_ev_referral_months ON ev_referral_months (tenant, month);
CREATE TABLE ev_referral_sector_months (
    tenant text NOT NULL, month timestamptz NOT NULL,
    sending_sector text, receiving_sector text,
    n bigint NOT NULL, accepted bigint NOT NULL, rejected bigint NOT NULL
);
CREATE INDEX ix_ev_referral_sector_months ON ev_referral_sector_months (tenant, month);
CREATE TABLE ev_referral_service_months (
    tenant text NOT NULL, month timestamptz NOT NULL, service_id uuid NOT NULL,
    n bigint NOT NULL, completed bigint NOT NULL, goal_achieved bigint NOT NULL,
    not_eligible bigint NOT NULL, no_capacity bigint NOT NULL, to_full bigint NOT NULL
);
CREATE INDEX ix_ev_referral_service_months ON ev_referral_service_months (tenant, month);
CREATE TABLE ev_case_months (
    tenant text NOT NULL, opened_month timestamptz, closed_month timestamptz, close_reason text,
    n bigint NOT NULL, consented bigint NOT NULL, plans bigint NOT NULL,
    goal_count bigint NOT NULL, action_count bigint NOT NULL, actions_done bigint NOT NULL,
    goals_set bigint NOT NULL, goals_reached bigint NOT NULL
);
CREATE INDEX ix_ev_case_months_opened ON ev_case_months (tenant, opened_month);
CREATE INDEX ix_ev_case_months_closed ON ev_case_months (tenant, closed_month);
CREATE INDEX ix_ev_cases_tenant_closed ON ev_cases (tenant, closed_at);
CREATE TABLE ev_dirty_months (
    kind text NOT NULL, tenant text NOT NULL, month timestamptz NOT NULL,
    txid bigint NOT NULL DEFAULT txid_current(),
    CONSTRAINT pk_ev_dirty_months PRIMARY KEY (txid, kind, tenant, month)
);
"""

# The facts of a window [p_from, p_to) in the summaries' shape, for one municipality or (NULL)
# for all; used to recompute a month and by the views for the partial months of a period.
_FACTS = {
    "ev_referral_facts": (
        """tenant text, month timestamptz, state text, outcome text, rejection_reason text,
        failure_reason text, capacity_status text, n bigint, accepted bigint, rejected bigint,
        completed bigint, failed bigint, cancelled bigint""",
        """SELECT r.tenant, ev_month(r.requested_at), r.state, r.outcome, r.rejection_reason,
               r.failure_reason, r.capacity_status, count(*),
               count(*) FILTER (WHERE r.accepted_at IS NOT NULL),
               count(*) FILTER (WHERE r.rejected_at IS NOT NULL),
               count(*) FILTER (WHERE r.completed_at IS NOT NULL),
               count(*) FILTER (WHERE r.failed_at IS NOT NULL),
               count(*) FILTER (WHERE r.cancelled_at IS NOT NULL)
        FROM ev_referrals r
        WHERE {scope} AND r.requested_at >= p_from AND r.requested_at < p_to
        GROUP BY 1, 2, 3, 4, 5, 6, 7""",
    ),
    "ev_referral_sector_facts": (
        """tenant text, month timestamptz, sending_sector text, receiving_sector text,
        n bigint, accepted bigint, rejected bigint""",
        """SELECT r.tenant, ev_month(r.requested_at), r.sending_sector, r.receiving_sector,
               count(*), count(*) FILTER (WHERE r.accepted_at IS NOT NULL),
               count(*) FILTER (WHERE r.rejected_at IS NOT NULL)
        FROM ev_referrals r
        WHERE {scope} AND r.requested_at >= p_from AND r.requested_at < p_to
        GROUP BY 1, 2, 3, 4""",
    ),
    "ev_referral_service_facts": (
        """tenant text, month timestamptz, service_id uuid, n bigint, completed bigint,
        goal_achieved bigint, not_eligible bigint, no_capacity bigint, to_full bigint""",
        """SELECT r.tenant, ev_month(r.requested_at), r.service_id, count(*),
               count(*) FILTER (WHERE r.completed_at IS NOT NULL),
               count(*) FILTER (WHERE r.outcome = 'goal_achieved'),
               count(*) FILTER (WHERE r.rejection_reason = 'not_eligible'),
               count(*) FILTER (WHERE r.rejection_reason = 'no_capacity'
                                  OR r.failure_reason = 'no_capacity'),
               count(*) FILTER (WHERE r.capacity_status = 'no_capacity')
        FROM ev_referrals r
        WHERE {scope} AND r.requested_at >= p_from AND r.requested_at < p_to
        GROUP BY 1, 2, 3""",
    ),
    # Cases opened or closed in the window; opened_in / closed_in say which.
    "ev_case_facts": (
        """tenant text, opened_month timestamptz, closed_month timestamptz, close_reason text,
        opened_in boolean, closed_in boolean, n bigint, consented bigint, plans bigint,
        goal_count bigint, action_count bigint, actions_done bigint, goals_set bigint,
        goals_reached bigint""",
        """SELECT c.tenant, ev_month(c.opened_at), ev_month(c.closed_at), c.close_reason,
               COALESCE(c.opened_at >= p_from AND c.opened_at < p_to, false),
               COALESCE(c.closed_at >= p_from AND c.closed_at < p_to, false),
               count(*), count(*) FILTER (WHERE c.consented), count(p.case_id),
               COALESCE(sum(p.goal_count), 0), COALESCE(sum(p.action_count), 0),
               COALESCE(sum(p.actions_done), 0),
               COALESCE(sum(p.goals_total) FILTER (WHERE p.goals_achieved IS NOT NULL), 0),
               COALESCE(sum(p.goals_achieved), 0)
        FROM ev_cases c LEFT JOIN ev_plans p ON p.case_id = c.case_id AND p.tenant = c.tenant
        WHERE {scope} AND ((c.opened_at >= p_from AND c.opened_at < p_to)
                           OR (c.closed_at >= p_from AND c.closed_at < p_to))
        GROUP BY 1, 2, 3, 4, 5, 6""",
    ),
}


def _facts_function(name: str, columns: str, body: str) -> str:
    # Two branches, so that each gets a plan using the tenant indexes or not.
    region = body.format(scope="TRUE")
    one = body.format(scope=f"{'c' if name == 'ev_case_facts' else 'r'}.tenant = p_tenant")
    return f"""
CREATE FUNCTION {name}(p_tenant text, p_from timestamptz, p_to timestamptz)
RETURNS TABLE ({columns})
LANGUAGE plpgsql STABLE AS $$
BEGIN
    IF p_tenant IS NULL THEN
        RETURN QUERY {region};
    ELSE
        RETURN QUERY {one};
    END IF;
END $$;
"""


REFRESH = """
-- Recompute the summaries of one (kind, municipality, month) from the rows.
CREATE FUNCTION ev_refresh_month(p_kind text, p_tenant text, p_month timestamptz)
RETURNS void LANGUAGE plpgsql AS $$
DECLARE
    upto timestamptz := ev_next_month(p_month);
BEGIN
    IF p_kind = 'referral' THEN
        DELETE FROM ev_referral_months WHERE tenant = p_tenant AND month = p_month;
        DELETE FROM ev_referral_sector_months WHERE tenant = p_tenant AND month = p_month;
        DELETE FROM ev_referral_service_months WHERE tenant = p_tenant AND month = p_month;
        INSERT INTO ev_referral_months SELECT * FROM ev_referral_facts(p_tenant, p_month, upto);
        INSERT INTO ev_referral_sector_months
            SELECT * FROM ev_referral_sector_facts(p_tenant, p_month, upto);
        INSERT INTO ev_referral_service_months
            SELECT * FROM ev_referral_service_facts(p_tenant, p_month, upto);
    ELSE
        DELETE FROM ev_case_months
        WHERE tenant = p_tenant AND (opened_month = p_month OR closed_month = p_month);
        INSERT INTO ev_case_months
            SELECT f.tenant, f.opened_month, f.closed_month, f.close_reason, sum(f.n),
                   sum(f.consented), sum(f.plans), sum(f.goal_count), sum(f.action_count),
                   sum(f.actions_done), sum(f.goals_set), sum(f.goals_reached)
            FROM ev_case_facts(p_tenant, p_month, upto) f GROUP BY 1, 2, 3, 4;
    END IF;
END $$;

-- Every summary recomputed from the rows (after a rebuild's swap).
CREATE FUNCTION ev_refresh_all() RETURNS void LANGUAGE plpgsql AS $$
BEGIN
    TRUNCATE ev_referral_months, ev_referral_sector_months, ev_referral_service_months,
             ev_case_months, ev_dirty_months;
    INSERT INTO ev_referral_months
        SELECT * FROM ev_referral_facts(NULL, '-infinity', 'infinity');
    INSERT INTO ev_referral_sector_months
        SELECT * FROM ev_referral_sector_facts(NULL, '-infinity', 'infinity');
    INSERT INTO ev_referral_service_months
        SELECT * FROM ev_referral_service_facts(NULL, '-infinity', 'infinity');
    INSERT INTO ev_case_months
        SELECT f.tenant, f.opened_month, f.closed_month, f.close_reason, sum(f.n),
               sum(f.consented), sum(f.plans), sum(f.goal_count), sum(f.action_count),
               sum(f.actions_done), sum(f.goals_set), sum(f.goals_reached)
        FROM ev_case_facts(NULL, '-infinity', 'infinity') f GROUP BY 1, 2, 3, 4;
END $$;

CREATE FUNCTION ev_note_month(p_kind text, p_tenant text, p_at timestamptz)
RETURNS void LANGUAGE sql AS $$
    INSERT INTO ev_dirty_months (kind, tenant, month)
    SELECT p_kind, p_tenant, ev_month(p_at) WHERE p_at IS NOT NULL
    ON CONFLICT DO NOTHING
$$;

-- Row triggers: note the slices a change touches, before and after it. A rebuild's swap, which
-- copies whole tables and then recomputes everything, turns them off for its transaction.
CREATE FUNCTION ev_note_referral() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('evaluation.summaries', true) = 'off' THEN RETURN NULL; END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM ev_note_month('referral', OLD.tenant, OLD.requested_at);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM ev_note_month('referral', NEW.tenant, NEW.requested_at);
    END IF;
    RETURN NULL;
END $$;

CREATE FUNCTION ev_note_case() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF current_setting('evaluation.summaries', true) = 'off' THEN RETURN NULL; END IF;
    IF TG_OP <> 'INSERT' THEN
        PERFORM ev_note_month('case', OLD.tenant, OLD.opened_at);
        PERFORM ev_note_month('case', OLD.tenant, OLD.closed_at);
    END IF;
    IF TG_OP <> 'DELETE' THEN
        PERFORM ev_note_month('case', NEW.tenant, NEW.opened_at);
        PERFORM ev_note_month('case', NEW.tenant, NEW.closed_at);
    END IF;
    RETURN NULL;
END $$;

-- A plan counts in the month its case was opened.
CREATE FUNCTION ev_note_plan() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    c record;
BEGIN
    IF current_setting('evaluation.summaries', true) = 'off' THEN RETURN NULL; END IF;
    SELECT tenant, opened_at INTO c FROM ev_cases
    WHERE case_id = COALESCE(NEW.case_id, OLD.case_id);
    IF FOUND THEN
        PERFORM ev_note_month('case', c.tenant, c.opened_at);
    END IF;
    RETURN NULL;
END $$;

-- At commit: recompute each noted slice once. The lock serialises the commits that recompute,
-- so a slice recomputed later always sees the rows of one committed earlier.
CREATE FUNCTION ev_refresh_noted() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(7105003);
    DELETE FROM ev_dirty_months
    WHERE txid = NEW.txid AND kind = NEW.kind AND tenant = NEW.tenant AND month = NEW.month;
    PERFORM ev_refresh_month(NEW.kind, NEW.tenant, NEW.month);
    RETURN NULL;
END $$;

CREATE TRIGGER ev_referrals_note AFTER INSERT OR UPDATE OR DELETE ON ev_referrals
    FOR EACH ROW EXECUTE FUNCTION ev_note_referral();
CREATE TRIGGER ev_cases_note AFTER INSERT OR UPDATE OR DELETE ON ev_cases
    FOR EACH ROW EXECUTE FUNCTION ev_note_case();
CREATE TRIGGER ev_plans_note AFTER INSERT OR UPDATE OR DELETE ON ev_plans
    FOR EACH ROW EXECUTE FUNCTION ev_note_plan();
CREATE CONSTRAINT TRIGGER ev_dirty_months_refresh AFTER INSERT ON ev_dirty_months
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION ev_refresh_noted();
"""


def _statements(script: str) -> list[str]:
    """One statement at a time (the driver prepares each): split at a line ending in `;` outside
    a function body."""
    statements, current, in_body = [], [], False
    for line in script.splitlines():
        current.append(line)
        in_body ^= line.count("$$") % 2 == 1
        if line.rstrip().endswith(";") and not in_body:
            statements.append("\n".join(current).strip())
            current = []
    return [s for s in statements if s]


def upgrade() -> None:
    for script in (MONTH, TABLES):
        for statement in _statements(script):
            op.execute(statement)
    for name, (columns, body) in _FACTS.items():
        op.execute(_facts_function(name, columns, body).strip())
    for statement in _statements(REFRESH):
        op.execute(statement)
    op.execute("SELECT ev_refresh_all()")


def downgrade() -> None:
    for table in ("ev_referrals", "ev_cases", "ev_plans"):
        op.execute(f"DROP TRIGGER {table}_note ON {table}")
    op.execute(
        """
        DROP TABLE ev_referral_months, ev_referral_sector_months, ev_referral_service_months,
                   ev_case_months, ev_dirty_months
        """
    )
    op.execute("DROP INDEX ix_ev_cases_tenant_closed")
    op.execute(
        """
        DROP FUNCTION ev_refresh_noted, ev_note_plan, ev_note_case, ev_note_referral,
                      ev_note_month, ev_refresh_all, ev_refresh_month, ev_case_facts,
                      ev_referral_service_facts, ev_referral_sector_facts, ev_referral_facts,
                      ev_next_month, ev_month
        """
    )
