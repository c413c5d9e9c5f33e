"""Move every stored PESEL to the current keys: `python -m cases.rotate_pesel_keys`.

Reads the service's settings (DATABASE_URL, CASES_PESEL_KEY, CASES_PESEL_HASH_KEY and
CASES_PESEL_PREVIOUS_KEYS). In batches, each its own transaction, it takes the family records whose
ciphertext or lookup hash is not under the current key (`FOR UPDATE SKIP LOCKED`, so the running
service is not blocked), decrypts each with the key its id names, and stores it encrypted and
hashed under the current keys. Idempotent: a record already under the current keys is never
selected, so a second run does nothing, and an interrupted run resumes where it stopped. A number
no configured key opens is left untouched and counted; the exit status is then 1.
Only counts are printed or logged, never a number (ADR 0026).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cases.adapters import orm
from cases.adapters.crypto import PeselVault
from cases.bootstrap import pesel_vault
from cases.config import CasesSettings
from shared.db.engine import create_engine, session_factory

log = logging.getLogger("cases.rotate_pesel_keys")

f_ = orm.family_members.c


@dataclass
class RotationReport:
    rotated: int = 0
    unreadable: int = 0
    batches: int = 0

    def __str__(self) -> str:
        return (
            f"PESEL: przeniesiono na bieżące klucze {self.rotated}, nieczytelne {self.unreadable}, "
            f"partie {self.batches}"
        )


def _outdated(vault: PeselVault) -> tuple[ColumnElement[bool], ColumnElement[bool]]:
    return (
        f_.pesel_encrypted.is_not(None),
        or_(
            f_.pesel_key_id.is_distinct_from(vault.key_id),
            f_.pesel_hash_key_id.is_distinct_from(vault.hash_key_id),
        ),
    )


async def remaining(sessions: async_sessionmaker[AsyncSession], vault: PeselVault) -> int:
    """How many stored numbers are not yet under the current keys."""
    async with sessions() as session:
        query = select(func.count()).select_from(orm.family_members).where(*_outdated(vault))
        return int((await session.execute(query)).scalar_one())


async def rotate(
    sessions: async_sessionmaker[AsyncSession],
    vault: PeselVault,
    *,
    batch_size: int = 500,
    max_batches: int | None = None,
) -> RotationReport:
    report = RotationReport()
    after: uuid.UUID | None = None  # unreadable rows stay outdated; walk past them by id
    while max_batches is None or report.batches < max_batches:
        async with sessions() as session, session.begin():
            query = (
                select(f_.id, f_.pesel_encrypted, f_.pesel_key_id)
                .where(*_outdated(vault))
                .order_by(f_.id)
                .limit(batch_size)
                .with_for_update(skip_locked=True)
            )
            if after is not None:
                query = query.where(f_.id > after)
            rows = (await session.execute(query)).all()
            if not rows:
                break
            for row in rows:
                pesel = vault.decrypt(row.pesel_encrypted, row.pesel_key_id)
                if pesel is None:
                    report.unreadable += 1
                    continue
                sealed = vault.seal(pesel)
                await session.execute(
                    update(orm.family_members)
                    .where(f_.id == row.id)
                    .values(
                        pesel_encrypted=sealed.ciphertext,
                        pesel_key_id=sealed.key_id,
                        pesel_hash=sealed.lookup_hash,
                        pesel_hash_key_id=sealed.hash_key_id,
                    )
                )
                report.rotated += 1
            after = rows[-1].id
        report.batches += 1
        log.info("PESEL key rotation: %s", report)
    return report


async def _main(batch_size: int) -> RotationReport:
    settings = CasesSettings()
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        return await rotate(session_factory(engine), pesel_vault(settings), batch_size=batch_size)
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cases.rotate_pesel_keys", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--batch-size", type=int, default=500)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # Without explicit keys the settings would invent ephemeral ones, and rotating to a key that
    # dies with this process would make every number unreadable.
    if not os.environ.get("CASES_PESEL_KEY") or not os.environ.get("CASES_PESEL_HASH_KEY"):
        print("CASES_PESEL_KEY i CASES_PESEL_HASH_KEY muszą być ustawione.", file=sys.stderr)
        return 2
    report = asyncio.run(_main(args.batch_size))
    print(report)
    return 1 if report.unreadable else 0


if __name__ == "__main__":
    sys.exit(main())
