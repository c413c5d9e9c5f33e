"""The access log's hash chain, recomputed outside the database (ADR 0029).

Each case's entries form one chain: entry n stores `prev_hash` (the hash of entry n-1, 64 zeros for
the first) and `hash` = sha256 of the previous hash and the entry's canonical content. The database
computes them on insert (trigger `access_log_chain`); this module computes them again from the
stored fields, independently of the SQL, so that a changed, removed or inserted entry is found.

A chain removed with its disposed case (ADR 0018) is recorded in `access_log_disposals` by the
digest of its case id: verification counts it as removed, and reports as broken any entry left of
a case whose chain was recorded as removed.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from asyncpg import Connection

GENESIS = "0" * 64
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# The fields of an entry in the order they are hashed (the same as `access_log_hash` in SQL).
CANONICAL_FIELDS = (
    "seq", "case_id", "chain_pos", "tenant", "at", "actor_subject", "actor_username",
    "actor_name", "actor_roles", "relation", "institution_id", "action", "outcome", "what",
    "purpose",
)  # fmt: skip


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return str((value - _EPOCH) // timedelta(microseconds=1))
    return str(value)


def _field(value: Any) -> str:
    text = _text(value)
    return "-" if text is None else f"{len(text)}:{text}"


def entry_hash(prev_hash: str, entry: Mapping[str, Any]) -> str:
    """The hash an entry with these fields must have after `prev_hash`."""
    canonical = "|".join([prev_hash, *(_field(entry[name]) for name in CANONICAL_FIELDS)])
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass(frozen=True)
class BrokenLink:
    case_id: uuid.UUID
    chain_pos: int
    seq: int
    reason: str

    def __str__(self) -> str:
        return f"case {self.case_id}, entry {self.chain_pos} (seq {self.seq}): {self.reason}"


@dataclass(frozen=True)
class Verification:
    entries: int
    chains: int
    broken: BrokenLink | None
    heads_digest: str  # sha256 over every chain's (case, length, last hash), to keep elsewhere
    disposed_chains: int = 0  # chains removed with their disposed cases (ADR 0018)
    disposed_entries: int = 0


def case_digest(case_id: uuid.UUID) -> str:
    """How `access_log_disposals` names a removed chain's case: sha256 of the id's text."""
    return hashlib.sha256(str(case_id).encode()).hexdigest()


_ROWS = f"SELECT {', '.join(CANONICAL_FIELDS)}, prev_hash, hash FROM access_log"


async def _rows(conn: Connection, case_id: uuid.UUID | None) -> AsyncIterator[Mapping[str, Any]]:
    query = _ROWS + (" WHERE case_id = $1" if case_id else "") + " ORDER BY case_id, chain_pos"
    async for row in conn.cursor(query, *([case_id] if case_id else []), prefetch=2000):
        yield row


async def verify(conn: Connection, case_id: uuid.UUID | None = None) -> Verification:
    """Walk every chain (or one case's) in order and recompute each link; stop at the first
    broken one. One consistent snapshot, so entries written meanwhile do not disturb it."""
    entries = chains = 0
    heads = hashlib.sha256()
    current: uuid.UUID | None = None
    prev, pos = GENESIS, 0
    broken: BrokenLink | None = None

    def close_chain() -> None:
        if current is not None:
            heads.update(f"{current}:{pos}:{prev};".encode())

    async with conn.transaction(isolation="repeatable_read", readonly=True):
        disposals = await conn.fetch("SELECT case_digest, entries FROM access_log_disposals")
        disposed = {r["case_digest"] for r in disposals}
        async for row in _rows(conn, case_id):
            if row["case_id"] != current:
                close_chain()
                current, prev, pos = row["case_id"], GENESIS, 0
                chains += 1
            entries += 1
            reason = _link_problem(row, prev, pos, disposed)
            if reason is not None:
                broken = BrokenLink(row["case_id"], row["chain_pos"], row["seq"], reason)
                break
            prev, pos = row["hash"], row["chain_pos"]
        else:
            close_chain()
    return Verification(
        entries,
        chains,
        broken,
        heads.hexdigest(),
        disposed_chains=len(disposals),
        disposed_entries=sum(int(r["entries"]) for r in disposals),
    )


def _link_problem(row: Mapping[str, Any], prev: str, pos: int, disposed: set[str]) -> str | None:
    if pos == 0 and disposed and case_digest(row["case_id"]) in disposed:
        return "the case's chain was recorded as removed with its disposal, yet entries remain"
    if row["chain_pos"] != pos + 1:
        return f"expected entry {pos + 1}: an entry is missing"
    if row["prev_hash"] != prev:
        return "prev_hash does not match the previous entry's hash"
    if row["hash"] != entry_hash(prev, row):
        return "hash does not match the entry's content"
    return None
