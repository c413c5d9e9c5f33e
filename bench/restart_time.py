"""How long each service takes to answer again after `kill -9` and a restart.

    uv run python bench/restart_time.py [--services partners,evaluation] [--rounds 3] [--load]

Starts its own PostgreSQL and NATS (throw-away, in a temporary folder), migrates each service's
database, and starts the service as `./run` (scripts/platform.py) does: `python -m uvicorn
--factory <service>.bootstrap:app` with the same environment. For each service it prints the
seconds from the process start until GET /healthz answers 200 and until GET /readyz answers 200
(database and NATS connected): first a cold start, then, `--rounds` times, after SIGKILL of the
running process and an immediate restart on the same port. With `--nats-outage`, NATS is stopped
a few seconds before the kill (the outbox fills) and started again just before the restart. With
`--load`, 20 clients keep requesting the service across the kill and the restart (partners:
POST /v1/institutions as coord-a; the others: GET /readyz).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import asyncpg
import httpx

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from shared.db.migrations import upgrade  # noqa: E402
from shared.testing.issuer import start_issuer_sync  # noqa: E402
from shared.testing.servers import NatsServer, Postgres, free_port  # noqa: E402

SERVICES = ["partners", "basket", "cases", "notifications", "evaluation"]


def start(service: str, port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "uvicorn",
            "--factory",
            f"{service}.bootstrap:app",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
        ],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=log.open("ab"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def wait_answers(url: str, proc: subprocess.Popen[bytes], started: float) -> tuple[float, float]:
    """Seconds until /healthz and until /readyz answer 200."""
    healthy = ready = None
    with httpx.Client(timeout=1.0) as client:
        while ready is None:
            if proc.poll() is not None:
                raise RuntimeError(f"the service exited with {proc.returncode}")
            path = "/healthz" if healthy is None else "/readyz"
            with contextlib.suppress(httpx.HTTPError):
                if client.get(url + path).status_code == 200:
                    now = time.monotonic() - started
                    if healthy is None:
                        healthy = now
                    else:
                        ready = now
                    continue
            time.sleep(0.02)
    return healthy, ready


def token(issuer_url: str, user: str = "coord-a") -> str:
    response = httpx.post(
        f"{issuer_url}/protocol/openid-connect/token",
        data={
            "grant_type": "password",
            "client_id": "cus-cli",
            "username": user,
            "password": "demo",
            "scope": "openid",
        },
    )
    response.raise_for_status()
    return str(response.json()["access_token"])


class Load:
    """20 clients in a thread, requesting the service as fast as it answers: for partners,
    writes (POST /v1/institutions as coord-a: handler, unit of work, outbox); else GET /readyz."""

    def __init__(self, url: str, bearer: str | None) -> None:
        self.url = url
        self.bearer = bearer
        self.counts = {"ok": 0, "failed": 0}
        self.stop = threading.Event()
        self.thread = threading.Thread(target=lambda: asyncio.run(self.run()), daemon=True)

    async def run(self) -> None:
        async with httpx.AsyncClient(timeout=2.0) as client:

            async def request() -> httpx.Response:
                if self.bearer is None:
                    return await client.get(self.url + "/readyz")
                return await client.post(
                    self.url + "/v1/institutions",
                    json={"name": f"Fundacja {time.monotonic_ns()}", "sector": "ngo"},
                    headers={"Authorization": f"Bearer {self.bearer}"},
                )

            async def one() -> None:
                while not self.stop.is_set():
                    try:
                        response = await request()
                    except httpx.HTTPError:
                        self.counts["failed"] += 1
                        await asyncio.sleep(0.01)
                        continue
                    self.counts["ok" if response.status_code < 300 else "failed"] += 1

            await asyncio.gather(*(one() for _ in range(20)))

    def __enter__(self) -> Load:
        self.thread.start()
        time.sleep(0.5)
        return self

    def __exit__(self, *args: object) -> None:
        self.stop.set()
        self.thread.join(5)


async def create_database(admin_url: str, name: str) -> None:
    conn = await asyncpg.connect(admin_url)
    try:
        await conn.execute(f'CREATE DATABASE "{name}"')
    finally:
        await conn.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--services", default=",".join(SERVICES))
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--load", action="store_true")
    parser.add_argument(
        "--nats-outage",
        action="store_true",
        help="stop NATS 3 s before the kill (the outbox fills) and start it with the service",
    )
    args = parser.parse_args()
    names = [n for n in args.services.split(",") if n]

    work = Path(tempfile.mkdtemp(prefix="cus-restart-", dir="/tmp"))
    work.chmod(0o755)
    pg = Postgres(work / "pg", fast=True).start()
    nats = NatsServer(work / "nats").start()
    issuer = start_issuer_sync(None, work / "issuer")
    procs: list[subprocess.Popen[bytes]] = []
    try:
        print(f"{'service':<14} {'run':<10} {'/healthz s':>10} {'/readyz s':>10}")
        for name in names:
            database = f"bench_{name}"
            asyncio.run(create_database(pg.url(), database))
            upgrade(REPO / "services" / name, pg.url(database))
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            env = dict(os.environ)
            env.update(
                DATABASE_URL=pg.url(database),
                NATS_URL=nats.url,
                OIDC_ISSUER=issuer.issuer_url,
                LOG_LEVEL="WARNING",
                PYTHONUNBUFFERED="1",
            )
            log = work / f"{name}.log"
            started = time.monotonic()
            proc = start(name, port, env, log)
            procs.append(proc)
            healthy, ready = wait_answers(url, proc, started)
            print(f"{name:<14} {'cold':<10} {healthy:>10.2f} {ready:>10.2f}", flush=True)
            for round_ in range(1, args.rounds + 1):
                bearer = token(issuer.issuer_url) if name == "partners" else None
                load = Load(url, bearer) if args.load else None
                with load or contextlib.nullcontext():
                    time.sleep(1.0)
                    if args.nats_outage:
                        nats.stop()
                        time.sleep(3.0)
                    os.kill(proc.pid, signal.SIGKILL)
                    proc.wait()
                    if args.nats_outage:
                        nats.start()
                    started = time.monotonic()
                    proc = start(name, port, env, log)
                    procs.append(proc)
                    healthy, ready = wait_answers(url, proc, started)
                    time.sleep(1.0)
                if load is not None:
                    print(f"  load: {load.counts}", flush=True)
                label = f"kill-9 #{round_}"
                print(f"{name:<14} {label:<10} {healthy:>10.2f} {ready:>10.2f}", flush=True)
            proc.terminate()
            proc.wait(15)
    finally:
        for proc in procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        issuer.stop()
        nats.stop()
        pg.stop()
        print(f"logs: {work}")


if __name__ == "__main__":
    main()
