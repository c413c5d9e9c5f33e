"""The case's free text encrypted at rest, and the queue of places waiting for redaction (ADR 0017).

The free-text columns that can hold health, court or family details become bytea holding
AES-256-GCM ciphertexts under the PESEL encryption key (`CASES_PESEL_KEY`), bound by their
associated data to the key, the table and column, and the row. Existing values are encrypted
here, in the migration's transaction: that needs `CASES_PESEL_KEY` in the environment of the
migration (the service's own setting; `./run` passes the one it generated, compose passes the
one from `.env`). A database with no free text yet (a new one, the tests' template) needs no
key. The format is written out here, not imported, so that this migration keeps producing what
the service of this revision reads. The downgrade decrypts with the current and the previous
keys (`CASES_PESEL_PREVIOUS_KEYS`).

Revision ID: b13e0f7e2a01
Revises: 9f3c1d7e5a20
Create Date: 2026-12-07 21:00:00+00:00
"""

import base64
import hashlib
import hmac
import json
import os
import uuid
from collections.abc import Iterator, Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

revision: str = "b13e0f7e2a01"
down_revision: str | None = "9f3c1d7e5a20"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SEALED: dict[str, tuple[str, ...]] = {
    "cases": ("close_note",),
    "case_reassignments": ("reason",),
    "consents": ("withdrawal_note",),
    "diagnosis_entries": ("text",),
    "plan_versions": ("goals",),
    "monitoring_reviews": ("goals", "family_assessment", "notes"),
    "referrals": ("note", "reason", "outcome", "history"),
    "meetings": ("agenda", "notes", "decisions"),
}
JSON_COLUMNS = {
    "plan_versions.goals",
    "monitoring_reviews.goals",
    "referrals.history",
    "meetings.agenda",
    "meetings.decisions",
}
COMMENT = "AES-256-GCM, adapters.sealing: version || key id || nonce || ciphertext+tag"
BATCH = 500


def _key_id(key: bytes) -> str:
    return hmac.new(key, b"cus-cases-pesel-key-id", hashlib.sha256).hexdigest()[:16]


def _aad(kid: str, place: str, row_id: uuid.UUID) -> bytes:
    return b"cus-cases-text-v1:" + f"{kid}:{place}:{row_id}".encode()


def _keys(names: Sequence[str]) -> list[bytes]:
    keys = []
    for name in names:
        for part in (os.environ.get(name) or "").split(","):
            if part.strip():
                key = base64.b64decode(part.strip())
                if len(key) != 32:
                    raise RuntimeError(f"{name} must be base64 of exactly 32 bytes")
                keys.append(key)
    return keys


def _has_free_text(bind: sa.Connection) -> bool:
    for table, columns in SEALED.items():
        where = " OR ".join(f"{c} IS NOT NULL" for c in columns)
        if bind.execute(sa.text(f"SELECT EXISTS (SELECT 1 FROM {table} WHERE {where})")).scalar():
            return True
    return False


def _rows(bind: sa.Connection, table: str, columns: Sequence[str]) -> Iterator[sa.Row[Any]]:
    """Every row of the table, in batches by id (keyset)."""
    after = None
    while True:
        query = f"SELECT id, {', '.join(columns)} FROM {table}"
        params: dict[str, object] = {"n": BATCH}
        if after is not None:
            query += " WHERE id > :after"
            params["after"] = after
        rows = bind.execute(sa.text(query + " ORDER BY id LIMIT :n"), params).all()
        if not rows:
            return
        yield from rows
        after = rows[-1].id


def upgrade() -> None:
    bind = op.get_bind()
    for table, columns in SEALED.items():
        for column in columns:
            place = f"{table}.{column}"
            source = f"{column}::text" if place in JSON_COLUMNS else column
            op.execute(
                f"ALTER TABLE {table} ALTER COLUMN {column} TYPE bytea "
                f"USING convert_to({source}, 'UTF8')"
            )
            op.execute(f"COMMENT ON COLUMN {table}.{column} IS '{COMMENT}'")

    if _has_free_text(bind):
        keys = _keys(["CASES_PESEL_KEY"])
        if not keys:
            raise RuntimeError(
                "Szyfrowanie tekstu spraw wymaga CASES_PESEL_KEY w środowisku migracji "
                "(the free-text encryption needs CASES_PESEL_KEY, ADR 0017)."
            )
        key = keys[0]
        kid, aead = _key_id(key), AESGCM(key)
        header = b"\x01" + bytes.fromhex(kid)
        for table, columns in SEALED.items():
            for row in list(_rows(bind, table, columns)):
                values: dict[str, object] = {}
                for column in columns:
                    raw = getattr(row, column)
                    if raw is None:
                        continue
                    place = f"{table}.{column}"
                    text = bytes(raw).decode()
                    if place in JSON_COLUMNS:
                        text = json.dumps(
                            json.loads(text), ensure_ascii=False, separators=(",", ":")
                        )
                    nonce = os.urandom(12)
                    values[column] = (
                        header
                        + nonce
                        + aead.encrypt(nonce, text.encode(), _aad(kid, place, row.id))
                    )
                if values:
                    sets = ", ".join(f"{c} = :{c}" for c in values)
                    bind.execute(
                        sa.text(f"UPDATE {table} SET {sets} WHERE id = :id"),
                        {**values, "id": row.id},
                    )

    op.create_table(
        "redactions",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("case_id", sa.Uuid(), sa.ForeignKey("cases.id"), nullable=False, index=True),
        sa.Column("tenant", sa.Text(), nullable=False),
        sa.Column("place", sa.Text(), nullable=False, comment="table.column of the free text"),
        sa.Column("row_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False, comment="inflected | common_word | shared"),
        sa.Column("fragments", sa.LargeBinary(), comment=COMMENT),
        sa.Column("found_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("resolved_at", sa.DateTime(timezone=True)),
        sa.Column("resolved_by", sa.Text()),
        sa.Column("resolution", sa.Text(), comment="applied | dismissed"),
    )


def downgrade() -> None:
    bind = op.get_bind()
    op.drop_table("redactions")
    readers: dict[str, AESGCM] = {}
    if _has_free_text(bind):
        keys = _keys(["CASES_PESEL_KEY", "CASES_PESEL_PREVIOUS_KEYS"])
        if not keys:
            raise RuntimeError("the downgrade needs CASES_PESEL_KEY (ADR 0017)")
        readers = {_key_id(k): AESGCM(k) for k in keys}
        for table, columns in SEALED.items():
            for row in list(_rows(bind, table, columns)):
                values: dict[str, object] = {}
                for column in columns:
                    raw = getattr(row, column)
                    if raw is None:
                        continue
                    blob = bytes(raw)
                    kid, place = blob[1:9].hex(), f"{table}.{column}"
                    try:
                        aad = _aad(kid, place, row.id)
                        plain = readers[kid].decrypt(blob[9:21], blob[21:], aad)
                    except (KeyError, InvalidTag):
                        raise RuntimeError(f"no configured key opens {place} of a row") from None
                    values[column] = plain
                sets = ", ".join(f"{c} = :{c}" for c in values)
                if values:
                    bind.execute(
                        sa.text(f"UPDATE {table} SET {sets} WHERE id = :id"),
                        {**values, "id": row.id},
                    )
    for table, columns in SEALED.items():
        for column in columns:
            place = f"{table}.{column}"
            kind = "jsonb" if place in JSON_COLUMNS else "text"
            op.execute(
                f"ALTER TABLE {table} ALTER COLUMN {column} TYPE {kind} "
                f"USING convert_from({column}, 'UTF8')::{kind}"
            )
            op.execute(f"COMMENT ON COLUMN {table}.{column} IS NULL")
