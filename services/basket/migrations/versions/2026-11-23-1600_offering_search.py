"""The offerings as a municipality's search reads them: one narrow row per municipality served,
kept by a trigger on `offerings`, with a covering index so that a municipality's search is an
index-only scan of a few contiguous pages instead of a heap visit per offering (ADR 0013).

Revision ID: 5b8e2c7d9f14
Revises: 3f9a7b21c5e4
Create Date: 2026-11-23 16:00:00+00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "5b8e2c7d9f14"
down_revision: str | None = "3f9a7b21c5e4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Every column a search's filters, relevance, distance and name order read (adapters/search.py).
COLUMNS = (
    "tenant, status, provider_sector, area, category, target_groups, free, accessible, "
    "capacity_status, weekdays, institution_id, latitude, longitude, updated_at, search_title, "
    "search_doc"
)


def upgrade() -> None:
    op.execute(
        "CREATE TABLE offering_search ("
        " tenant_served text NOT NULL,"
        " id uuid NOT NULL,"
        " tenant text NOT NULL,"
        " status varchar(32) NOT NULL,"
        " provider_sector text NOT NULL,"
        " area text NOT NULL,"
        " category text NOT NULL,"
        " target_groups text[] NOT NULL,"
        " free boolean NOT NULL,"
        " accessible boolean NOT NULL,"
        " capacity_status varchar(32) NOT NULL,"
        " weekdays integer[] NOT NULL,"
        " institution_id uuid NOT NULL,"
        " latitude double precision,"
        " longitude double precision,"
        " updated_at timestamptz NOT NULL,"
        " search_title text NOT NULL,"
        " search_doc tsvector,"
        f" CONSTRAINT pk_offering_search PRIMARY KEY (tenant_served, id) INCLUDE ({COLUMNS}))"
    )
    op.execute(
        "CREATE FUNCTION offering_search_sync() RETURNS trigger LANGUAGE plpgsql AS $$\n"
        "BEGIN\n"
        "  IF TG_OP <> 'INSERT' THEN\n"
        "    DELETE FROM offering_search\n"
        "     WHERE tenant_served = ANY(OLD.tenants_served) AND id = OLD.id;\n"
        "  END IF;\n"
        "  IF TG_OP <> 'DELETE' THEN\n"
        f"    INSERT INTO offering_search (tenant_served, id, {COLUMNS})\n"
        f"    SELECT DISTINCT t, NEW.id, {', '.join(f'NEW.{c}' for c in COLUMNS.split(', '))}\n"
        "      FROM unnest(NEW.tenants_served) AS t;\n"
        "  END IF;\n"
        "  RETURN NULL;\n"
        "END $$"
    )
    op.execute(
        "CREATE TRIGGER offering_search_sync AFTER INSERT OR UPDATE OR DELETE ON offerings"
        " FOR EACH ROW EXECUTE FUNCTION offering_search_sync()"
    )
    op.execute(
        f"INSERT INTO offering_search (tenant_served, id, {COLUMNS})"
        f" SELECT DISTINCT t, o.id, {', '.join(f'o.{c}' for c in COLUMNS.split(', '))}"
        " FROM offerings o, unnest(o.tenants_served) AS t"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER offering_search_sync ON offerings")
    op.execute("DROP FUNCTION offering_search_sync()")
    op.execute("DROP TABLE offering_search")
