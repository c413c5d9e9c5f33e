"""Retention of disclosures (ADR 0018).

`disclosures` stays append-only (ADR 0029) for everything but its retention:
`disclosures_prune(years)`, SECURITY DEFINER (runs as the table's owner, so it works when the
runtime role is not the owner), deletes the rows disclosed before 1 January of the year `years`
years ago (in Poland's calendar) with the transaction-local setting
`notifications.disclosures_before` = that date; the statement trigger lets a DELETE through only
while the setting is set, and a new row trigger checks that each deleted row is older than it.

Revision ID: c14f1a2b3d04
Revises: c8d2f5a1e7b4
Create Date: 2026-12-07 21:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "c14f1a2b3d04"
down_revision: str | None = "c8d2f5a1e7b4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FUNCTIONS = [
    r"""
CREATE OR REPLACE FUNCTION disclosures_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE'
       AND coalesce(current_setting('notifications.disclosures_before', true), '') <> '' THEN
        RETURN NULL;  -- each row is checked by disclosures_retention_only
    END IF;
    RAISE EXCEPTION 'disclosures is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
""",
    r"""
CREATE FUNCTION disclosures_retention_only() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    before text := coalesce(current_setting('notifications.disclosures_before', true), '');
BEGIN
    IF before = '' THEN
        RETURN OLD;  -- refused by disclosures_append_only unless the owner disabled it
    END IF;
    IF (OLD.disclosed_at AT TIME ZONE 'Europe/Warsaw')::date >= before::date THEN
        RAISE EXCEPTION 'disclosures: only rows past their retention are deleted'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END
$$
""",
    r"""
CREATE FUNCTION disclosures_prune(p_years int) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    before date;
    removed bigint;
BEGIN
    IF p_years IS NULL OR p_years < 1 THEN
        RAISE EXCEPTION 'disclosures are kept at least a year' USING ERRCODE = 'data_exception';
    END IF;
    before := make_date(extract(year FROM now() AT TIME ZONE 'Europe/Warsaw')::int - p_years, 1, 1);
    PERFORM set_config('notifications.disclosures_before', before::text, true);
    DELETE FROM disclosures WHERE disclosed_at < (before::timestamp AT TIME ZONE 'Europe/Warsaw');
    GET DIAGNOSTICS removed = ROW_COUNT;
    PERFORM set_config('notifications.disclosures_before', '', true);
    RETURN removed;
END
$$
""",
]

APPEND_ONLY_0029 = r"""
CREATE OR REPLACE FUNCTION disclosures_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'disclosures is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    for statement in FUNCTIONS:
        op.execute(statement)
    op.execute(
        "CREATE TRIGGER disclosures_retention_only BEFORE DELETE ON disclosures"
        " FOR EACH ROW EXECUTE FUNCTION disclosures_retention_only()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER disclosures_retention_only ON disclosures")
    op.execute(APPEND_ONLY_0029)
    op.execute("DROP FUNCTION disclosures_prune(int)")
    op.execute("DROP FUNCTION disclosures_retention_only()")
