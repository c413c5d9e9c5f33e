"""Move every stored PESEL and the case's sealed free text to the current keys:
`python -m cases.rotate_pesel_keys`.

Reads the service's settings (DATABASE_URL, CASES_PESEL_KEY, CASES_PESEL_HASH_KEY and
CASES_PESEL_PREVIOUS_KEYS). In batches, each its own transaction, it takes the family records whose
ciphertext or lookup hash is not under the current key (`FOR UPDATE SKIP LOCKED`, so the running
service is not blocked), decrypts each with the key its id names, and stores it encrypted and
hashed under the current keys. Idempotent: a record already under the current keys is never
selected, so a second run does nothing, and an interrupted run resumes where it stopped. A number
no configured key opens is left untouched and counted; the exit status is then 1.
Only counts are printed or logged, never a number (ADR 0026).

The free text of the case sealed under the PESEL encryption key (ADR 0017) is moved the same way
in the same run: every sealed column of every table whose value names another key than the
current one is opened for its row and column and sealed again under the current key. A value no
configured key opens is left as it is and counted (exit status 1). `--dry-run` only counts what
is left to move.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, Table, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from cases.adapters import orm, sealing
from cases.adapters.crypto import TEXT_HEADER, PeselVault, UnreadableText
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

    what: str = "PESEL"

    def __str__(self) -> str:
        return (
            f"{self.what}: przeniesiono na bieżące klucze {self.rotated}, "
            f"nieczytelne {self.unreadable}, partie {self.batches}"
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


# --- the case's sealed free text (ADR 0017) ----------------------------------------------------


def _sealed_tables() -> list[tuple[Table, tuple[str, ...]]]:
    return [(orm.metadata.tables[name], columns) for name, columns in sealing.SEALED.items()]


def _text_outdated(
    table: Table, columns: tuple[str, ...], vault: PeselVault
) -> ColumnElement[bool]:
    """A sealed value of the row names another key than the current one (bytes 2–9 of the
    blob are its key id)."""
    current = bytes.fromhex(vault.key_id)
    return or_(
        *(
            func.substring(table.c[c], 2, TEXT_HEADER - 1).is_distinct_from(current)
            & table.c[c].is_not(None)
            for c in columns
        )
    )


async def remaining_texts(sessions: async_sessionmaker[AsyncSession], vault: PeselVault) -> int:
    """How many rows hold sealed free text not yet under the current key."""
    total = 0
    async with sessions() as session:
        for table, columns in _sealed_tables():
            query = (
                select(func.count()).select_from(table).where(_text_outdated(table, columns, vault))
            )
            total += int((await session.execute(query)).scalar_one())
    return total


async def rotate_texts(
    sessions: async_sessionmaker[AsyncSession],
    vault: PeselVault,
    *,
    batch_size: int = 500,
    max_batches: int | None = None,
) -> RotationReport:
    """Seal again under the current key every free-text value under an older one; each batch of
    rows its own transaction, locked with SKIP LOCKED so the running service is not blocked."""
    report = RotationReport(what="tekst spraw")
    current = bytes.fromhex(vault.key_id)
    for table, columns in _sealed_tables():
        after: uuid.UUID | None = None
        while max_batches is None or report.batches < max_batches:
            async with sessions() as session, session.begin():
                query = (
                    select(table.c.id, *(table.c[c] for c in columns))
                    .where(_text_outdated(table, columns, vault))
                    .order_by(table.c.id)
                    .limit(batch_size)
                    .with_for_update(skip_locked=True)
                )
                if after is not None:
                    query = query.where(table.c.id > after)
                rows = (await session.execute(query)).all()
                if not rows:
                    break
                for row in rows:
                    values: dict[str, bytes] = {}
                    for column in columns:
                        blob = row._mapping[column]
                        if blob is None or bytes(blob[1:TEXT_HEADER]) == current:
                            continue
                        place = f"{table.name}.{column}"
                        try:
                            plain = vault.open_text(place, row.id, bytes(blob))
                        except UnreadableText:
                            report.unreadable += 1
                            continue
                        values[column] = vault.seal_text(place, row.id, plain)
                        report.rotated += 1
                    if values:
                        await session.execute(
                            update(table).where(table.c.id == row.id).values(**values)
                        )
                after = rows[-1].id
            report.batches += 1
            log.info("free-text key rotation: %s", report)
    return report


async def _main(batch_size: int, dry_run: bool) -> list[RotationReport]:
    settings = CasesSettings()
    engine = create_engine(settings.database_url, pool_size=1)
    sessions, vault = session_factory(engine), pesel_vault(settings)
    try:
        if dry_run:
            print(f"PESEL do przeniesienia: {await remaining(sessions, vault)}")
            print(f"tekst spraw do przeniesienia: {await remaining_texts(sessions, vault)}")
            return []
        return [
            await rotate(sessions, vault, batch_size=batch_size),
            await rotate_texts(sessions, vault, batch_size=batch_size),
        ]
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cases.rotate_pesel_keys", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--batch-size", type=int, default=500)
    parser.add_argument(
        "--dry-run", action="store_true", help="only count what is not under the current keys"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    # Without explicit keys the settings would invent ephemeral ones, and rotating to a key that
    # dies with this process would make every number unreadable.
    if not os.environ.get("CASES_PESEL_KEY") or not os.environ.get("CASES_PESEL_HASH_KEY"):
        print("CASES_PESEL_KEY i CASES_PESEL_HASH_KEY muszą być ustawione.", file=sys.stderr)
        return 2
    reports = asyncio.run(_main(args.batch_size, args.dry_run))
    for report in reports:
        print(report)
    return 1 if any(r.unreadable for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
