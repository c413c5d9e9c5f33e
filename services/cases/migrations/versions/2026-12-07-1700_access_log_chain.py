"""The access log becomes append-only and hash-chained per case (ADR 0029).

- New columns: `actor_name` (the person's name from the token, for the family's report),
  `outcome` (`allowed` | `refused`), `chain_pos`, `prev_hash`, `hash`.
- `access_log_chain` (BEFORE INSERT, per row): takes the case's chain lock (a transaction-level
  advisory lock on the case id), reads the case's last entry and fills `chain_pos`, `prev_hash`
  and `hash` = sha256(prev_hash | canonical content). Every writer — the case view's
  data-modifying CTE, the ORM's INSERT, the consumer of disclosures — gets a valid chain without
  computing anything itself.
- `access_log_append_only` (BEFORE UPDATE OR DELETE OR TRUNCATE, per statement) raises, whoever
  the role: only a table owner who disables the trigger can change the log, and the chain shows it
  (`python -m cases.verify_access_log`).
- Existing entries are chained in place, per case in `seq` order.
- The unique index (case_id, chain_pos) replaces (case_id, at): one chain per case, no forks.

Revision ID: 9f3c1d7e5a20
Revises: 6d2a8f41c0b7
Create Date: 2026-12-07 17:00:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9f3c1d7e5a20"
down_revision: str | None = "6d2a8f41c0b7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The canonical content of an entry, as `cases.adapters.access_chain.entry_hash` computes it: each
# field as text, length-prefixed ("<len>:<value>", NULL as "-"), joined by "|", after the previous
# entry's hash; `at` in integer microseconds since the Unix epoch.
FUNCTIONS = [
    r"""
CREATE FUNCTION access_log_field(v text) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS
$$ SELECT coalesce(length(v)::text || ':' || v, '-') $$
""",
    r"""
CREATE FUNCTION access_log_hash(e access_log) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
SELECT encode(sha256(convert_to(concat_ws('|',
    e.prev_hash,
    access_log_field(e.seq::text),
    access_log_field(e.case_id::text),
    access_log_field(e.chain_pos::text),
    access_log_field(e.tenant),
    access_log_field(trunc(extract(epoch FROM e.at) * 1000000)::bigint::text),
    access_log_field(e.actor_subject),
    access_log_field(e.actor_username),
    access_log_field(e.actor_name),
    access_log_field(e.actor_roles),
    access_log_field(e.relation),
    access_log_field(e.institution_id::text),
    access_log_field(e.action),
    access_log_field(e.outcome),
    access_log_field(e.what),
    access_log_field(e.purpose)
), 'UTF8')), 'hex')
$$
""",
    r"""
CREATE FUNCTION access_log_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    last_pos bigint;
    last_hash text;
BEGIN
    -- One writer per case's chain at a time, until its transaction ends; other cases run on.
    PERFORM pg_advisory_xact_lock(20029, hashtext(NEW.case_id::text));
    SELECT chain_pos, hash INTO last_pos, last_hash FROM access_log
     WHERE case_id = NEW.case_id ORDER BY chain_pos DESC LIMIT 1;
    IF last_pos IS NULL THEN
        NEW.chain_pos := 1;
        NEW.prev_hash := repeat('0', 64);
    ELSE
        NEW.chain_pos := last_pos + 1;
        NEW.prev_hash := last_hash;
    END IF;
    NEW.hash := access_log_hash(NEW);
    RETURN NEW;
END
$$
""",
    r"""
CREATE FUNCTION access_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'access_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
""",
]

CHAIN_EXISTING = r"""
DO $$
DECLARE
    r access_log;
    prev_case uuid;
    pos bigint;
    prev text;
BEGIN
    FOR r IN SELECT * FROM access_log ORDER BY case_id, seq LOOP
        IF prev_case IS DISTINCT FROM r.case_id THEN
            prev_case := r.case_id;
            pos := 0;
            prev := repeat('0', 64);
        END IF;
        pos := pos + 1;
        r.chain_pos := pos;
        r.prev_hash := prev;
        r.hash := access_log_hash(r);
        UPDATE access_log SET chain_pos = r.chain_pos, prev_hash = r.prev_hash, hash = r.hash
         WHERE seq = r.seq;
        prev := r.hash;
    END LOOP;
END
$$
"""


def upgrade() -> None:
    op.add_column("access_log", sa.Column("actor_name", sa.Text(), nullable=True))
    op.add_column(
        "access_log",
        sa.Column("outcome", sa.Text(), nullable=False, server_default="allowed"),
    )
    op.alter_column("access_log", "outcome", server_default=None)
    op.add_column("access_log", sa.Column("chain_pos", sa.BigInteger(), nullable=True))
    op.add_column("access_log", sa.Column("prev_hash", sa.Text(), nullable=True))
    op.add_column("access_log", sa.Column("hash", sa.Text(), nullable=True))
    for statement in FUNCTIONS:
        op.execute(statement)
    op.execute(CHAIN_EXISTING)
    for name in ("chain_pos", "prev_hash", "hash"):
        op.alter_column("access_log", name, nullable=False)
    op.drop_index("ix_access_log_case_at", table_name="access_log")
    op.create_index("ux_access_log_chain", "access_log", ["case_id", "chain_pos"], unique=True)
    op.execute(
        "CREATE TRIGGER access_log_chain BEFORE INSERT ON access_log"
        " FOR EACH ROW EXECUTE FUNCTION access_log_chain()"
    )
    op.execute(
        "CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON access_log"
        " FOR EACH STATEMENT EXECUTE FUNCTION access_log_append_only()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER access_log_append_only ON access_log")
    op.execute("DROP TRIGGER access_log_chain ON access_log")
    op.drop_index("ux_access_log_chain", table_name="access_log")
    op.create_index("ix_access_log_case_at", "access_log", ["case_id", "at"], unique=False)
    op.execute("DROP FUNCTION access_log_append_only()")
    op.execute("DROP FUNCTION access_log_chain()")
    op.execute("DROP FUNCTION access_log_hash(access_log)")
    op.execute("DROP FUNCTION access_log_field(text)")
    for name in ("hash", "prev_hash", "chain_pos", "outcome", "actor_name"):
        op.drop_column("access_log", name)
