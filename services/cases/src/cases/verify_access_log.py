"""Check the access log's hash chains: `python -m cases.verify_access_log [--case ID]`.

Reads DATABASE_URL (the service's settings). Recomputes every entry's hash from its stored fields
and its chain's previous entry (ADR 0029) and prints the number of entries checked; on the first
broken link it prints which case, entry and why, and exits 1. It also prints a digest of every
chain's last link: kept outside the database (e.g. with the backups), it shows later whether
entries were removed from the end of a chain. Chains removed with their disposed cases (ADR 0018)
are counted as removed; an entry left of such a case is a broken link.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import uuid

import asyncpg

from cases.adapters.access_chain import Verification, verify
from shared.config import ServiceSettings
from shared.db.engine import plain_url


async def run(database_url: str, case_id: uuid.UUID | None = None) -> Verification:
    conn = await asyncpg.connect(plain_url(database_url))
    try:
        return await verify(conn, case_id)
    finally:
        await conn.close()


def report(result: Verification) -> str:
    lines = [f"checked {result.entries} entries in {result.chains} chains"]
    if result.disposed_chains:
        lines.append(
            f"{result.disposed_chains} chains ({result.disposed_entries} entries) removed with "
            "their disposed cases (access_log_disposals, ADR 0018)"
        )
    if result.broken is None:
        lines.append("chains intact")
        lines.append(f"heads digest {result.heads_digest}")
    else:
        lines.append(f"BROKEN at {result.broken}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m cases.verify_access_log", description=__doc__.split("\n\n")[0]
    )
    parser.add_argument("--case", type=uuid.UUID, default=None, help="check one case's chain")
    args = parser.parse_args(argv)
    result = asyncio.run(run(ServiceSettings().database_url, args.case))
    print(report(result))
    return 1 if result.broken else 0


if __name__ == "__main__":
    sys.exit(main())
