"""Retention of closed case files (ADR 0018).

- `case_retention`: one row per closed case whose retention period has ended ("due for disposal"),
  written by the retention job, and the recorded approval of its disposal (the state archive's
  consent to the `brakowanie`, its reference, who recorded it and when). Deleted with the case.
- `access_log_disposals`: append-only record of every access-log chain removed with its case: the
  digest of the case id (sha256 of its text), the chain's length and last hash, the approval's
  reference, the time. `python -m cases.verify_access_log` tells removal from tampering by it.
- `access_log_dispose(case_id)`: SECURITY DEFINER (runs as the table owner, so a runtime role
  that is not the owner and holds no DELETE on the log can still dispose of an approved case),
  the only way to delete access-log entries: it refuses a case without a recorded approval,
  records the chain in `access_log_disposals`, then deletes all the case's entries at once with
  the transaction-local setting `cases.access_log_disposal` = the case id.
- `access_log_append_only` lets a DELETE statement through only while that setting is set; the
  new row trigger `access_log_disposal_only` then checks every deleted row: its case must be the
  one being disposed, approved, with its disposal recorded. UPDATE and TRUNCATE still raise.
- `access_log_chain` refuses to start a new chain for a disposed case (a read that raced the
  disposal must not leave an orphan chain behind).

Revision ID: b13e0d3c9f03
Revises: b4e1a7c9d2f3
Create Date: 2026-12-07 21:30:00+00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b13e0d3c9f03"
down_revision: str | None = "b4e1a7c9d2f3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DIGEST = "encode(sha256(convert_to({}::text, 'UTF8')), 'hex')"

FUNCTIONS = [
    r"""
CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'DELETE' AND coalesce(current_setting('cases.access_log_disposal', true), '') <> ''
    THEN
        RETURN NULL;  -- each row is checked by access_log_disposal_only
    END IF;
    RAISE EXCEPTION 'access_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
""",
    rf"""
CREATE FUNCTION access_log_disposal_only() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    disposing text := coalesce(current_setting('cases.access_log_disposal', true), '');
BEGIN
    -- Without the setting, access_log_append_only has refused the statement already (unless the
    -- owner disabled it: ADR 0029's tampering, which the chains show).
    IF disposing = '' THEN
        RETURN OLD;
    END IF;
    IF disposing <> OLD.case_id::text
       OR NOT EXISTS (SELECT 1 FROM case_retention
                       WHERE case_id = OLD.case_id AND approved_at IS NOT NULL)
       OR NOT EXISTS (SELECT 1 FROM access_log_disposals
                       WHERE case_digest = {DIGEST.format("OLD.case_id")})
    THEN
        RAISE EXCEPTION 'access_log: entries are deleted only by access_log_dispose()'
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    RETURN OLD;
END
$$
""",
    rf"""
CREATE FUNCTION access_log_dispose(p_case uuid) RETURNS bigint
LANGUAGE plpgsql SECURITY DEFINER SET search_path = public, pg_temp AS $$
DECLARE
    approval text;
    last_pos bigint;
    last_hash text;
    removed bigint;
BEGIN
    SELECT approval_ref INTO approval FROM case_retention
     WHERE case_id = p_case AND approved_at IS NOT NULL;
    IF approval IS NULL THEN
        RAISE EXCEPTION 'case % has no recorded approval of its disposal', p_case
            USING ERRCODE = 'insufficient_privilege';
    END IF;
    -- The chain's lock: no entry of this case is written meanwhile (ADR 0029).
    PERFORM pg_advisory_xact_lock(20029, hashtext(p_case::text));
    SELECT chain_pos, hash INTO last_pos, last_hash FROM access_log
     WHERE case_id = p_case ORDER BY chain_pos DESC LIMIT 1;
    INSERT INTO access_log_disposals (case_digest, entries, last_hash, approval_ref)
    VALUES ({DIGEST.format("p_case")}, coalesce(last_pos, 0), last_hash, approval)
    ON CONFLICT (case_digest) DO NOTHING;
    PERFORM set_config('cases.access_log_disposal', p_case::text, true);
    DELETE FROM access_log WHERE case_id = p_case;
    GET DIAGNOSTICS removed = ROW_COUNT;
    PERFORM set_config('cases.access_log_disposal', '', true);
    RETURN removed;
END
$$
""",
    rf"""
CREATE OR REPLACE FUNCTION access_log_chain() RETURNS trigger
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
        -- A new chain (once per case): never for a case disposed of (ADR 0018).
        IF EXISTS (SELECT 1 FROM access_log_disposals
                    WHERE case_digest = {DIGEST.format("NEW.case_id")}) THEN
            RAISE EXCEPTION 'access_log: case % was disposed of', NEW.case_id
                USING ERRCODE = 'insufficient_privilege';
        END IF;
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
CREATE FUNCTION access_log_disposals_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'access_log_disposals is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
""",
]

# The chain trigger of ADR 0029, restored on downgrade.
CHAIN_0029 = r"""
CREATE OR REPLACE FUNCTION access_log_chain() RETURNS trigger
LANGUAGE plpgsql AS $$
DECLARE
    last_pos bigint;
    last_hash text;
BEGIN
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
"""

APPEND_ONLY_0029 = r"""
CREATE OR REPLACE FUNCTION access_log_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'access_log is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$$
"""


def upgrade() -> None:
    op.create_table(
        "case_retention",
        sa.Column("case_id", sa.Uuid(), nullable=False),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("category", sa.Text(), nullable=False),
        sa.Column("closed_year", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("approval_ref", sa.Text(), nullable=True),
        sa.Column("approved_by", sa.Text(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["case_id"], ["cases.id"], name=op.f("fk_case_retention_case_id_cases")
        ),
        sa.PrimaryKeyConstraint("case_id", name=op.f("pk_case_retention")),
    )
    op.create_table(
        "access_log_disposals",
        sa.Column("seq", sa.BigInteger(), sa.Identity(always=True), nullable=False),
        sa.Column("case_digest", sa.Text(), nullable=False, comment="sha256 of the case id"),
        sa.Column("entries", sa.BigInteger(), nullable=False),
        sa.Column("last_hash", sa.Text(), nullable=True),
        sa.Column("approval_ref", sa.Text(), nullable=False),
        sa.Column(
            "disposed_at",
            sa.DateTime(timezone=True),
            nullable=False,
            server_default=sa.text("now()"),
        ),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_access_log_disposals")),
        sa.UniqueConstraint("case_digest", name=op.f("uq_access_log_disposals_case_digest")),
    )
    for statement in FUNCTIONS:
        op.execute(statement)
    op.execute(
        "CREATE TRIGGER access_log_disposal_only BEFORE DELETE ON access_log"
        " FOR EACH ROW EXECUTE FUNCTION access_log_disposal_only()"
    )
    op.execute(
        "CREATE TRIGGER access_log_disposals_append_only BEFORE UPDATE OR DELETE OR TRUNCATE"
        " ON access_log_disposals FOR EACH STATEMENT"
        " EXECUTE FUNCTION access_log_disposals_append_only()"
    )


def downgrade() -> None:
    op.execute("DROP TRIGGER access_log_disposals_append_only ON access_log_disposals")
    op.execute("DROP TRIGGER access_log_disposal_only ON access_log")
    op.execute(CHAIN_0029)
    op.execute(APPEND_ONLY_0029)
    op.execute("DROP FUNCTION access_log_dispose(uuid)")
    op.execute("DROP FUNCTION access_log_disposal_only()")
    op.execute("DROP FUNCTION access_log_disposals_append_only()")
    op.drop_table("access_log_disposals")
    op.drop_table("case_retention")
