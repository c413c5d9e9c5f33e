"""Snapshot the read models now: `python -m evaluation.snapshot [--list]`.
Reads DATABASE_URL and NATS_URL (the service's settings). Takes a snapshot of the read models
with the position of every stream it holds (ADR 0049), keeps the newest SNAPSHOTS_KEPT, and
prints it; `--list` prints the snapshots kept instead. Exit 1 when refused (a rebuild or another
snapshot is running) or NATS is unreachable. The service also takes one every
SNAPSHOT_INTERVAL_HOURS by itself.
"""

from __future__ import annotations

import argparse
import asyncio
import sys

import nats
from nats.errors import NoServersError

from evaluation.adapters.snapshots import Snapshot, list_snapshots, take_snapshot
from evaluation.config import EvaluationSettings
from shared.db import create_engine
from shared.errors import Conflict


def describe(snapshot: Snapshot) -> str:
    positions = ", ".join(f"{name} {seq}" for name, seq in sorted(snapshot.positions.items()))
    return (
        f"snapshot {snapshot.id} taken {snapshot.taken_at.isoformat()}: "
        f"{snapshot.row_count} rows; streams up to {positions or '-'}"
    )


async def run(settings: EvaluationSettings, *, only_list: bool) -> list[Snapshot]:
    engine = create_engine(settings.database_url, pool_size=1)
    try:
        if only_list:
            async with engine.connect() as conn:
                return await list_snapshots(conn)
        nc = await nats.connect(settings.nats_url, connect_timeout=5, max_reconnect_attempts=0)
        try:
            return [await take_snapshot(engine, nc.jetstream(), keep=settings.snapshots_kept)]
        finally:
            await nc.close()
    finally:
        await engine.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m evaluation.snapshot", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--list", action="store_true", help="list the snapshots kept")
    args = parser.parse_args(argv)
    try:
        snapshots = asyncio.run(run(EvaluationSettings(), only_list=args.list))
    except Conflict as refused:
        print(refused.detail, file=sys.stderr)
        return 1
    except (OSError, NoServersError) as error:
        print(f"NATS niedostępny: {error!r}", file=sys.stderr)
        return 1
    for snapshot in snapshots:
        print(describe(snapshot))
    return 0


if __name__ == "__main__":
    sys.exit(main())
