"""The rebuild of the read models runs as the service's own role, which may not do DDL (ADR 0019).

What the rebuild needs beyond SELECT/INSERT/UPDATE/DELETE is done by two SECURITY DEFINER
functions of the owner, which take only names of projection tables (`ev_*`, ordinary tables in
`public`):

- `ev_rebuild_prepare(tables)`: the schema `ev_rebuild` afresh, with an empty copy of each table
  (the owner's default privileges let the app role fill them);
- `ev_rebuild_swap(tables)`: in the caller's transaction, replaces the live tables' rows with the
  copies', recomputes the monthly summaries (`ev_refresh_all`, which TRUNCATEs them) and drops the
  schema. TRUNCATE is thus never granted to the app role.

The VACUUM (ANALYZE) after the swap cannot run in a function: the app role gets MAINTAIN on the
`ev_*` tables (PostgreSQL 17 and later; on older servers VACUUM skips them with a warning, and
autovacuum comes by later). A migration adding a projection table grants MAINTAIN on it too.

Revision ID: d3a9e6b2c5f1
Revises: e16b3c4d5f06
Create Date: 2026-12-07 21:30:00+00:00
"""

from collections.abc import Sequence

from alembic import op

from shared.db.roles import for_app_roles

revision: str = "d3a9e6b2c5f1"
down_revision: str | None = "e16b3c4d5f06"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

CHECK = """
    FOREACH t IN ARRAY tables LOOP
        IF t !~ '^ev_[a-z_]+$' OR NOT EXISTS (
            SELECT FROM pg_tables WHERE schemaname = 'public' AND tablename = t
        ) THEN
            RAISE EXCEPTION 'not a projection table: %', t;
        END IF;
    END LOOP;
"""

PREPARE = f"""
CREATE FUNCTION ev_rebuild_prepare(tables text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    t text;
BEGIN
{CHECK}
    DROP SCHEMA IF EXISTS ev_rebuild CASCADE;
    CREATE SCHEMA ev_rebuild;
    FOREACH t IN ARRAY tables LOOP
        EXECUTE format('CREATE TABLE ev_rebuild.%I (LIKE public.%I INCLUDING ALL)', t, t);
    END LOOP;
END $$
"""

SWAP = f"""
CREATE FUNCTION ev_rebuild_swap(tables text[]) RETURNS void
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, public AS $$
DECLARE
    t text;
BEGIN
{CHECK}
    EXECUTE (SELECT 'TRUNCATE ' || string_agg(format('public.%I', x), ', ') FROM unnest(tables) x);
    FOREACH t IN ARRAY tables LOOP
        EXECUTE format('INSERT INTO public.%I SELECT * FROM ev_rebuild.%I', t, t);
    END LOOP;
    PERFORM public.ev_refresh_all();
    DROP SCHEMA ev_rebuild CASCADE;
END $$
"""


def upgrade() -> None:
    op.execute(PREPARE)
    op.execute(SWAP)
    for function in ("ev_rebuild_prepare(text[])", "ev_rebuild_swap(text[])"):
        op.execute(f"REVOKE EXECUTE ON FUNCTION {function} FROM PUBLIC")
        op.execute(for_app_roles(f"GRANT EXECUTE ON FUNCTION {function} TO %s"))
    op.execute(
        for_app_roles(
            "DO $m$ DECLARE t text; BEGIN"
            " IF current_setting('server_version_num')::int < 170000 THEN RETURN; END IF;"
            " FOR t IN SELECT tablename FROM pg_tables"
            " WHERE schemaname = 'public' AND tablename LIKE 'ev\\_%%' LOOP"
            " EXECUTE format('GRANT MAINTAIN ON public.%%I TO %s', t);"
            " END LOOP; END $m$"
        )
    )


def downgrade() -> None:
    op.execute("DROP FUNCTION ev_rebuild_swap(text[])")
    op.execute("DROP FUNCTION ev_rebuild_prepare(text[])")
