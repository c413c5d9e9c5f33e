"""`scripts/platform.py --check` starts the whole platform from nothing (its own PostgreSQL, NATS
and dev issuer), loads the demo region, verifies it through the APIs and stops cleanly; a second
run on the same data keeps it and loads nothing twice."""

from __future__ import annotations

import os
import random
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from shared.testing.servers import Postgres

REPO = Path(__file__).resolve().parents[1]
PORT_OFFSETS = (0, 1, 2, 3, 4, 5, 80)  # the services and the dev issuer
RUN_TIMEOUT_S = 120
# Six services importing at once on a two-core machine that also runs other tests.
HEALTH_TIMEOUT_S = 90


def _free(port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def _free_port_base(avoid: int | None = None) -> int:
    """A base N with N+0..N+5 and N+80 free, away from a developer's running platform (8100)
    and below the kernel's ephemeral ports (32768+)."""
    for _ in range(100):
        base = random.randrange(20000, 32000, 100)
        if base != avoid and all(_free(base + offset) for offset in PORT_OFFSETS):
            return base
    raise RuntimeError("no free port range found")


@pytest.fixture
def data_dir() -> Iterator[Path]:
    """Not under pytest's tmp_path: a later pytest session resets /tmp/pytest-of-<user> to 0700,
    which locks out PostgreSQL's unprivileged user (as root) in the middle of a run."""
    path = Path(tempfile.mkdtemp(prefix="cus-platform-test-", dir="/tmp"))
    path.chmod(0o755)
    yield path / "run"
    # A run that timed out may leave its PostgreSQL behind (it is detached by design).
    leftover = Postgres(path / "run" / "pg")
    if leftover.is_running():
        leftover.stop()
    shutil.rmtree(path, ignore_errors=True)


def _check_run(data_dir: Path, port_base: int) -> tuple[subprocess.CompletedProcess[str], float]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in ("NATS_URL", "DATABASE_URL", "OIDC_ISSUER")
    }
    started = time.monotonic()
    result = subprocess.run(
        [
            sys.executable,
            str(REPO / "scripts" / "platform.py"),
            "--check",
            "--data-dir",
            str(data_dir),
            "--port-base",
            str(port_base),
            "--health-timeout",
            str(HEALTH_TIMEOUT_S),
        ],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=RUN_TIMEOUT_S,
        check=False,
    )
    return result, time.monotonic() - started


@pytest.mark.timeout(2 * RUN_TIMEOUT_S + 30)
def test_check_starts_loads_verifies_and_stops_and_a_second_run_keeps_the_data(
    data_dir: Path,
) -> None:
    port_base = _free_port_base()
    first, first_seconds = _check_run(data_dir, port_base)
    output = first.stdout + first.stderr
    assert first.returncode == 0, output
    assert first_seconds < RUN_TIMEOUT_S
    assert "demo data of partners: loaded" in first.stdout, output
    assert "check passed" in first.stdout, output
    assert "Demo logins (password: demo)" in first.stdout
    for user in ("coord-a", "coord-b", "manager-a", "partner-a", "director-a", "admin"):
        assert f"   {user} " in first.stdout, user
    assert f"http://127.0.0.1:{port_base + 1}/docs" in first.stdout
    assert f"http://127.0.0.1:{port_base + 80}/realms/cus" in first.stdout
    # Stopped cleanly: nothing listens any more and PostgreSQL shut down.
    assert all(_free(port_base + offset) for offset in PORT_OFFSETS)
    assert not (data_dir / "pg" / "postmaster.pid").exists()
    assert (data_dir / "demo-loaded-partners").is_file()

    # Other ports, same data: nothing is initialised or loaded again.
    second, _ = _check_run(data_dir, _free_port_base(avoid=port_base))
    output = second.stdout + second.stderr
    assert second.returncode == 0, output
    assert "demo data of partners: already loaded" in second.stdout, output
    assert "initialising" not in second.stdout
    assert "check passed" in second.stdout, output
    # The PESEL keys were generated once, kept private, and reused: the stored PESEL is read back.
    assert "the demo family's PESEL is read back" in second.stdout, output
    secrets = data_dir / "secrets" / "cases.env"
    assert secrets.stat().st_mode & 0o777 == 0o600
    assert (data_dir / "secrets").stat().st_mode & 0o777 == 0o700
    assert "generated CASES_PESEL_KEY" not in second.stdout
    # Each service ran as its app role, with passwords generated once and kept (ADR 0019).
    for name in ("partners", "basket", "cases", "notifications", "evaluation"):
        assert f"check ok: {name} connects as {name}_app" in second.stdout, output
    assert "no service connects as a superuser or as a database's owner" in second.stdout
    passwords = data_dir / "secrets" / "database.env"
    assert passwords.stat().st_mode & 0o777 == 0o600
    assert "CASES_APP_PASSWORD=" in passwords.read_text(encoding="utf-8")
    assert "generated" not in second.stdout
