"""Start the whole CUS platform on this machine, load the demo region and say where everything is.

    uv run python scripts/platform.py [--no-demo] [--check] [--data-dir DIR] [--port-base N]

PostgreSQL (or the server in DATABASE_URL), NATS with JetStream (or NATS_URL), the development
OIDC issuer (or OIDC_ISSUER) and every service that exists under services/, each on its fixed port
with its own database, migrated. Data lives in `.run/` and survives restarts; Ctrl-C or SIGTERM
stops everything in order (services, issuer, NATS, PostgreSQL). `--check` starts everything,
verifies a few API calls and stops again (tests and CI smoke runs).
"""

from __future__ import annotations

import sys
from pathlib import Path

# This file shares its name with the standard library's `platform`, and a script's folder comes
# first on sys.path, so any library's `import platform` would load this file. Put the repository
# there instead, which also makes `scripts.demo_data` importable.
if Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
    sys.path[0] = str(Path(__file__).resolve().parents[1])

import argparse
import asyncio
import base64
import contextlib
import ctypes
import fcntl
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from types import FrameType
from typing import IO, Any

import asyncpg
import httpx
from sqlalchemy.engine import URL, make_url

from cases import demo as demo_cases
from scripts import demo_data
from shared import clock
from shared.db.migrations import upgrade
from shared.db.roles import ServiceRoles, bootstrap, new_password, password_variable, role_url
from shared.testing.issuer import start_issuer_sync
from shared.testing.servers import NatsServer, Postgres, free_port

REPO = Path(__file__).resolve().parents[1]
REALM_FILE = REPO / "deploy" / "keycloak" / "realm-cus.json"

# Each service's port is the port base plus its offset; the issuer is at base + 80.
SERVICE_PORT_OFFSETS = {
    "web": 0,
    "partners": 1,
    "basket": 2,
    "cases": 3,
    "notifications": 4,
    "evaluation": 5,
}
DEFAULT_PORT_BASE = 8100
ISSUER_PORT_OFFSET = 80
NATS_PORT = 4230
SMTP_PORT = 8025  # the development mail server (notifications sends e-mail to it)
POSTGRES_PORT = 5440
HEALTH_TIMEOUT_S = 30.0
TIME_WAIT_GRACE_S = 75.0  # Linux keeps closed connections in TIME_WAIT for 60 s
STOP_TIMEOUT_S = 15.0
DEMO_PASSWORD = "demo"
TOKEN_CLIENT = "cus-cli"

TENANT_LABELS = {
    "1219053": "A – Wieliczka (1219053)",
    "1219043": "B – Niepołomice (1219043)",
    "1219032": "C – Kłaj (1219032)",
    "1219": "D – powiat wielicki (1219)",
}


class PlatformError(RuntimeError):
    """Something did not start or answer as it should; the message says what and where to look."""


class Shutdown(BaseException):
    """SIGTERM arrived: unwind and stop everything."""


# ---- small helpers ---------------------------------------------------------------------------

_T0 = time.monotonic()


def say(message: str) -> None:
    print(f"[{time.monotonic() - _T0:6.1f}s] {message}", flush=True)


def port_free(port: int) -> bool:
    """Whether a server could listen on 127.0.0.1:port now (SO_REUSEADDR like the servers do)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind(("127.0.0.1", port))
        except OSError:
            return False
        return True


def tail(path: Path, lines: int = 40) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"(cannot read {path}: {exc})"
    return "\n".join(text.splitlines()[-lines:])


def _libc_prctl() -> Callable[[int, int], int] | None:
    if not sys.platform.startswith("linux"):
        return None
    with contextlib.suppress(OSError):
        prctl: Callable[[int, int], int] = ctypes.CDLL(None, use_errno=True).prctl
        return prctl
    return None


_PRCTL = _libc_prctl()
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """In a child before exec: get SIGTERM when the launcher dies, even by SIGKILL (Linux)."""
    if _PRCTL is not None:
        _PRCTL(_PR_SET_PDEATHSIG, signal.SIGTERM)


@contextlib.contextmanager
def children_in_own_session() -> Iterator[None]:
    """Start the children created inside (by the NATS and issuer helpers) in their own session.

    A Ctrl-C at the terminal signals the whole foreground process group; children in it would stop
    at once and in no order. In their own session only this launcher gets it, and stops them in
    order. The helpers own their Popen calls, so the default is changed for the duration.
    """
    original = subprocess.Popen

    class _OwnSession(original):  # type: ignore[valid-type,misc]
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            kwargs.setdefault("start_new_session", True)
            kwargs.setdefault("preexec_fn", _die_with_parent)
            super().__init__(*args, **kwargs)

    subprocess.Popen = _OwnSession  # type: ignore[misc]
    try:
        yield
    finally:
        subprocess.Popen = original  # type: ignore[misc]


def _quietly(what: str, stop: Callable[[], object]) -> Callable[[], None]:
    """A stop step that reports its failure and lets the next steps run."""

    def run() -> None:
        try:
            stop()
        except Exception as exc:
            say(f"warning: stopping {what} failed: {exc}")

    return run


# ---- the pieces --------------------------------------------------------------------------------


@dataclass
class Service:
    name: str
    port: int
    database_url: str
    log_path: Path
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


def discover_services(repo: Path) -> list[str]:
    """The services that exist: services/<name>/ with pyproject.toml and src/<name>/bootstrap.py."""
    found = []
    for name in SERVICE_PORT_OFFSETS:
        directory = repo / "services" / name
        if (directory / "pyproject.toml").is_file() and (
            directory / "src" / name / "bootstrap.py"
        ).is_file():
            found.append(name)
    return found


@dataclass
class Database:
    """Where the services' databases live: our own PostgreSQL or the server in DATABASE_URL."""

    server: URL  # a URL of the server's maintenance database, used to create the others
    prefix: str  # database names are <prefix><service>
    external: bool

    def url_for(self, service: str) -> str:
        """The service's database as the server's superuser (the bootstrap's URL)."""
        return self.server.set(database=f"{self.prefix}{service}").render_as_string(
            hide_password=False
        )

    def roles_for(self, service: str) -> ServiceRoles:
        """The service's roles (ADR 0019); on a server of one's own `<service>_owner` and
        `<service>_app`, on an external one prefixed like the database names."""
        return ServiceRoles.of(f"{self.prefix}{service}")

    def role_url(self, service: str, role: str, password: str) -> str:
        return role_url(self.url_for(service), f"{self.prefix}{service}", role, password)

    def shown(self) -> str:
        """The server's address without a database (and without the password)."""
        s = self.server
        return URL.create(s.drivername, s.username, s.password, s.host, s.port).render_as_string(
            hide_password=True
        )


def start_postgres(data_dir: Path, stack: contextlib.ExitStack) -> Database:
    external = os.environ.get("DATABASE_URL")
    if external:
        server = make_url(external).set(drivername="postgresql")
        if not server.database:
            server = server.set(database="postgres")
        say(f"PostgreSQL: using DATABASE_URL ({server.render_as_string(hide_password=True)})")
        return Database(server, "cus_", external=True)
    pg = Postgres(data_dir / "pg", fast=False)
    if pg.is_running():
        # Only a launcher holding the data-dir lock gets here, so this server is an orphan of an
        # earlier run that was killed: stop it cleanly and start again.
        say("PostgreSQL: a server from an earlier run is still up on this data dir; stopping it")
        with contextlib.suppress(subprocess.CalledProcessError):
            pg.stop()
    pg.port = POSTGRES_PORT if port_free(POSTGRES_PORT) else free_port()
    first_time = not (pg.data_dir / "PG_VERSION").exists()
    say(f"PostgreSQL: {'initialising and ' if first_time else ''}starting on port {pg.port}")
    _let_postgres_reach(data_dir)
    stack.callback(_quietly("PostgreSQL", pg.stop))
    stack.callback(say, "stopping PostgreSQL")
    try:
        pg.start()
    except subprocess.CalledProcessError as exc:
        raise PlatformError(
            f"PostgreSQL did not start ({exc}); {pg.data_dir / 'server.log'}:\n"
            + tail(pg.data_dir / "server.log")
        ) from exc
    _link_log(data_dir, "postgres", pg.data_dir / "server.log")
    return Database(make_url(pg.url("postgres")), "", external=False)


def _let_postgres_reach(path: Path) -> None:
    """As root, PostgreSQL runs as an unprivileged user that keeps root's group: each folder on
    the way to its data must be traversable by group root too, not only by others (a 0700 home
    or temporary folder would otherwise stop initdb)."""
    if os.geteuid() != 0:
        return
    for folder in [path, *path.parents]:
        status = folder.stat()
        if status.st_gid == 0 and not status.st_mode & 0o010:
            folder.chmod(status.st_mode | 0o050)


@dataclass(frozen=True)
class ServiceDatabase:
    """A service's database as its two roles see it (ADR 0019)."""

    app_url: str  # what the service connects with (DATABASE_URL)
    owner_url: str  # what its migrations run with


def prepare_databases(
    database: Database, services: list[str], data_dir: Path
) -> dict[str, ServiceDatabase]:
    """Run the roles bootstrap (shared.db.roles) as the server's superuser for every service —
    its `<service>_owner` and `<service>_app` roles, the database owned by the first, extensions,
    default privileges — then its migrations as the owner. The roles' passwords are generated
    once and kept in `<data>/secrets/database.env` (mode 0600); `<ROLE>_PASSWORD` in the
    environment wins."""
    names = [f"{database.prefix}{name}" for name in services]
    variables = [
        password_variable(role)
        for name in services
        for role in (database.roles_for(name).owner, database.roles_for(name).app)
    ]
    passwords = kept_secrets(data_dir, "database", variables, new_password)
    result: dict[str, ServiceDatabase] = {}

    async def bootstrap_all() -> None:
        for name in services:
            roles = database.roles_for(name)
            await bootstrap(
                database.server.render_as_string(hide_password=False),
                roles,
                passwords[password_variable(roles.owner)],
                passwords[password_variable(roles.app)],
            )

    try:
        asyncio.run(bootstrap_all())
    except (OSError, asyncpg.PostgresError) as exc:
        raise PlatformError(
            f"cannot set up the databases and their roles on {database.shown()} "
            f"(DATABASE_URL must be a superuser's): {exc}"
        ) from exc
    say(f"PostgreSQL: databases {', '.join(names)}, each with its owner and app role")
    for name in services:
        roles = database.roles_for(name)
        result[name] = ServiceDatabase(
            app_url=database.role_url(name, roles.app, passwords[password_variable(roles.app)]),
            owner_url=database.role_url(
                name, roles.owner, passwords[password_variable(roles.owner)]
            ),
        )
        service_dir = REPO / "services" / name
        if not (service_dir / "alembic.ini").is_file():
            continue
        # A migration may need the service's own secrets: the cases one seals existing free text
        # under CASES_PESEL_KEY (ADR 0017). They are set for the migration only.
        secrets = local_secrets(data_dir, name) if data_dir is not None else {}
        saved = {key: os.environ.get(key) for key in secrets}
        os.environ.update(secrets)
        try:
            upgrade(service_dir, result[name].owner_url)
        except Exception as exc:
            raise PlatformError(f"migrations of {name} failed: {exc!r}") from exc
        finally:
            for key, value in saved.items():
                if value is None:
                    os.environ.pop(key, None)
                else:
                    os.environ[key] = value
    say(f"PostgreSQL: migrations up to date ({', '.join(services) or 'no services'})")
    return result


def start_nats(data_dir: Path, stack: contextlib.ExitStack) -> str:
    external = os.environ.get("NATS_URL")
    if external:
        say(f"NATS: using NATS_URL ({external})")
        return external
    nats = NatsServer(data_dir / "nats", port=NATS_PORT if port_free(NATS_PORT) else free_port())
    stack.callback(_quietly("NATS", nats.stop))
    stack.callback(say, "stopping NATS")
    try:
        with children_in_own_session():
            nats.start()
    except (RuntimeError, TimeoutError) as exc:
        raise PlatformError(
            f"NATS did not start: {exc}\n{tail(data_dir / 'nats' / 'nats.log')}"
        ) from exc
    _link_log(data_dir, "nats", data_dir / "nats" / "nats.log")
    say(f"NATS: JetStream ready at {nats.url}")
    return nats.url


def start_mail(data_dir: Path, stack: contextlib.ExitStack) -> tuple[int, Path]:
    """The development SMTP server: every e-mail the platform sends lands in .run/mail as .eml."""
    from notifications import devsmtp

    folder = data_dir / "mail"
    port = SMTP_PORT if port_free(SMTP_PORT) else free_port()
    controller, _ = devsmtp.start(port, folder)
    stack.callback(_quietly("SMTP", controller.stop))
    say(f"SMTP (development): 127.0.0.1:{port}, messages in {folder}")
    return port, folder


def start_issuer(data_dir: Path, port: int, stack: contextlib.ExitStack) -> str:
    external = os.environ.get("OIDC_ISSUER")
    if external:
        say(f"OIDC issuer: using OIDC_ISSUER ({external})")
        return external.rstrip("/")
    if not port_free(port):
        raise PlatformError(
            f"port {port} for the development OIDC issuer is in use (a running Keycloak, or "
            "another platform?). Stop it, start with --port-base to use other ports, or set "
            f"OIDC_ISSUER=http://127.0.0.1:{port}/realms/cus to use the issuer already there."
        )
    say(f"OIDC issuer: starting the development issuer on port {port}")
    deadline = time.monotonic() + TIME_WAIT_GRACE_S
    waiting = False
    while True:
        try:
            with children_in_own_session():
                issuer = start_issuer_sync(port, data_dir / "dev-issuer")
            break
        except (RuntimeError, FileNotFoundError) as exc:
            # The helper's own port test refuses a port that still holds closed connections of
            # the previous run (TIME_WAIT), though a server could listen there: wait them out.
            if "in use" in str(exc) and port_free(port) and time.monotonic() < deadline:
                if not waiting:
                    say(
                        f"OIDC issuer: port {port} still holds connections of the last run "
                        "(TIME_WAIT); waiting for them to clear (up to a minute)"
                    )
                    waiting = True
                time.sleep(2.0)
                continue
            raise PlatformError(f"the development OIDC issuer did not start: {exc}") from exc
    stack.callback(_quietly("the OIDC issuer", issuer.stop))
    stack.callback(say, "stopping the OIDC issuer")
    _link_log(data_dir, "dev-issuer", data_dir / "dev-issuer" / "issuer.log")
    say(f"OIDC issuer: ready at {issuer.issuer_url}")
    return issuer.issuer_url


def _link_log(data_dir: Path, name: str, target: Path) -> None:
    """.run/logs/<name>.log points at the server's own log file."""
    link = data_dir / "logs" / f"{name}.log"
    if not link.is_symlink() and not link.exists():
        with contextlib.suppress(OSError):
            link.symlink_to(os.path.relpath(target, link.parent))


# Secrets the services need across restarts, generated once per data folder (ADR 0026's keys
# protect PESEL numbers: new keys at each start would make every stored PESEL unreadable).
LOCAL_SECRETS = {"cases": ("CASES_PESEL_KEY", "CASES_PESEL_HASH_KEY")}


def local_secrets(data_dir: Path, service: str) -> dict[str, str]:
    """The service's generated secrets, kept in `<data>/secrets/<service>.env` (mode 0600) and
    reused at every start; a variable already set in the environment wins (production sets them
    from its secret store, and the cases service refuses to start there without them)."""
    names = LOCAL_SECRETS.get(service, ())
    if not names or all(os.environ.get(name) for name in names):
        return {}
    values = kept_secrets(
        data_dir, service, names, lambda: base64.b64encode(os.urandom(32)).decode()
    )
    return {name: value for name, value in values.items() if not os.environ.get(name)}


def kept_secrets(
    data_dir: Path, file: str, names: Sequence[str], generate: Callable[[], str]
) -> dict[str, str]:
    """`names` from `<data>/secrets/<file>.env` (mode 0600), the missing ones generated and
    written there; a variable set in the environment wins over the file."""
    folder = data_dir / "secrets"
    folder.mkdir(mode=0o700, exist_ok=True)
    folder.chmod(0o700)
    path = folder / f"{file}.env"
    values: dict[str, str] = {}
    if path.exists():
        for line in path.read_text(encoding="utf-8").splitlines():
            name, sep, value = line.partition("=")
            if sep and name in names:
                values[name] = value
    missing = [name for name in names if not values.get(name)]
    if missing:
        for name in missing:
            values[name] = generate()
        tmp = path.with_name(path.name + ".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write("".join(f"{name}={values[name]}\n" for name in names))
        tmp.replace(path)
        say(f"{file}: generated {', '.join(missing)} into {path} (keep this file)")
    path.chmod(0o600)
    return {name: os.environ.get(name) or value for name, value in values.items()}


def service_env(
    service: Service,
    nats_url: str,
    issuer_url: str,
    urls: dict[str, str],
    smtp_port: int = SMTP_PORT,
    secrets: dict[str, str] | None = None,
) -> dict[str, str]:
    env = dict(os.environ)
    env.update(secrets or {})
    env.update(
        DATABASE_URL=service.database_url,
        NATS_URL=nats_url,
        OIDC_ISSUER=issuer_url,
        LOG_LEVEL=os.environ.get("LOG_LEVEL", "INFO"),
        PYTHONUNBUFFERED="1",
    )
    for name, url in urls.items():
        env[f"{name.upper()}_URL"] = url
    if service.name == "web":
        env["PUBLIC_URL"] = service.url  # the front end builds its OIDC redirect URIs from it
    if service.name == "notifications":
        env["SMTP_PORT"] = str(smtp_port)
        env["WEB_BASE_URL"] = urls.get("web", "")  # links in e-mails lead to the front end
        # Partner systems' webhooks on this machine (a receiver you run locally) are allowed.
        env.setdefault("WEBHOOK_ALLOWLIST", '["127.0.0.1", "::1", "localhost"]')
    return env


def start_services(
    names: list[str],
    port_base: int,
    databases: dict[str, ServiceDatabase],
    nats_url: str,
    issuer_url: str,
    data_dir: Path,
    stack: contextlib.ExitStack,
    health_timeout: float,
    smtp_port: int = SMTP_PORT,
) -> list[Service]:
    services = [
        Service(
            name,
            port_base + SERVICE_PORT_OFFSETS[name],
            databases[name].app_url,  # never the owner's: the service does no DDL (ADR 0019)
            data_dir / "logs" / f"{name}.log",
        )
        for name in names
    ]
    for service in services:
        if not port_free(service.port):
            raise PlatformError(
                f"port {service.port} for {service.name} is in use: is the platform already "
                "running? Stop it, or use --port-base to choose other ports."
            )
    every_url = {
        name: f"http://127.0.0.1:{port_base + offset}"
        for name, offset in SERVICE_PORT_OFFSETS.items()
    }
    stack.callback(stop_services, services)
    for service in services:
        service._log = service.log_path.open("ab")
        service._log.write(f"\n==== {time.strftime('%Y-%m-%d %H:%M:%S')} start ====\n".encode())
        service._log.flush()
        service.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "--factory",
                f"{service.name}.bootstrap:app",
                "--host",
                "127.0.0.1",
                "--port",
                str(service.port),
            ],
            cwd=REPO,
            env=service_env(
                service,
                nats_url,
                issuer_url,
                every_url,
                smtp_port,
                local_secrets(data_dir, service.name),
            ),
            stdin=subprocess.DEVNULL,
            stdout=service._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=_die_with_parent,
        )
        service.started_at = time.monotonic()
    wait_healthy(services, health_timeout)
    return services


def wait_healthy(services: list[Service], timeout: float) -> None:
    pending = list(services)
    with httpx.Client(timeout=1.0) as client:
        while pending:
            for service in list(pending):
                assert service.process is not None
                code = service.process.poll()
                if code is not None:
                    raise PlatformError(
                        f"{service.name} exited with code {code} while starting; "
                        f"the end of {service.log_path}:\n{tail(service.log_path)}"
                    )
                with contextlib.suppress(httpx.HTTPError):
                    if client.get(f"{service.url}/healthz").status_code == 200:
                        pending.remove(service)
                        say(f"{service.name}: ready at {service.url}")
                        continue
                if time.monotonic() - service.started_at > timeout:
                    raise PlatformError(
                        f"{service.name} did not answer GET /healthz within "
                        f"{timeout:.0f} s; the end of {service.log_path}:\n"
                        f"{tail(service.log_path)}"
                    )
            time.sleep(0.2)


def stop_services(services: list[Service]) -> None:
    running = [s for s in services if s.process is not None and s.process.poll() is None]
    if running:
        say(f"stopping {', '.join(s.name for s in running)}")
    for service in running:
        assert service.process is not None
        service.process.terminate()
    for service in services:
        if service.process is not None:
            try:
                service.process.wait(STOP_TIMEOUT_S)
            except subprocess.TimeoutExpired:
                say(f"warning: {service.name} did not stop in {STOP_TIMEOUT_S:.0f} s; killing it")
                service.process.kill()
                service.process.wait(5)
        if service._log is not None:
            service._log.close()
            service._log = None


# ---- demo data and checks ----------------------------------------------------------------------


class DemoTokens:
    """Access tokens of the demo users (password grant of the CLI client), cached until expiry."""

    def __init__(self, issuer_url: str) -> None:
        self.endpoint = f"{issuer_url}/protocol/openid-connect/token"
        self._cache: dict[str, tuple[str, float]] = {}

    def __call__(self, username: str) -> str:
        cached = self._cache.get(username)
        if cached and cached[1] > time.monotonic():
            return cached[0]
        response = httpx.post(
            self.endpoint,
            data={
                "grant_type": "password",
                "client_id": TOKEN_CLIENT,
                "username": username,
                "password": DEMO_PASSWORD,
            },
            timeout=10.0,
        )
        if response.status_code != 200:
            raise PlatformError(
                f"no token for {username} from {self.endpoint}: "
                f"HTTP {response.status_code} {response.text}"
            )
        body = response.json()
        token = str(body["access_token"])
        lifetime = float(body.get("expires_in", 60))
        self._cache[username] = (token, time.monotonic() + max(lifetime - 30, 5))
        return token


def load_demo(data_dir: Path, urls: dict[str, str], token_for: demo_data.TokenFor) -> None:
    for name, loader in demo_data.LOADERS.items():
        if name not in urls:
            continue
        marker = data_dir / f"demo-loaded-{name}"
        if marker.exists():
            say(f"demo data of {name}: already loaded ({marker.name})")
            continue
        say(f"demo data of {name}: loading")
        try:
            summary = loader(urls, token_for)
        except demo_data.AlreadyLoaded as exc:
            say(f"demo data of {name}: already in the service ({exc}); not loaded again")
            marker.write_text(json.dumps({"found": str(exc)}, ensure_ascii=False) + "\n")
            continue
        except (demo_data.DemoDataError, httpx.HTTPError) as exc:
            raise PlatformError(
                f"loading the demo data of {name} failed:\n{exc}\n"
                f"What was loaded stays; to start afresh, remove {data_dir / 'pg'} "
                "(or the service's database) before the next run."
            ) from exc
        marker.write_text(json.dumps(summary, indent=2, ensure_ascii=False) + "\n")
        say(f"demo data of {name}: loaded ({len(summary)} objects)")


def verify_pesel_readable(
    cases: str, token_for: demo_data.TokenFor, check: Callable[[bool, str], None]
) -> None:
    """The demo family's PESEL is found (hash key) and read back (encryption key): after a
    restart this holds only if the service got the same keys again."""
    pesel = str(demo_cases.FAMILIES[0][0]["pesel"])
    with httpx.Client(
        base_url=cases,
        timeout=10.0,
        params=demo_cases.PURPOSE,
        headers={"Authorization": f"Bearer {token_for('manager-a')}"},
    ) as client:
        found = client.post("/v1/families/search", json={"pesel": pesel})
        check(found.status_code == 200, f"PESEL search answers ({found.status_code})")
        case_ids = found.json()["case_ids"]
        check(len(case_ids) >= 1, "the demo family is found by its PESEL")
        family = client.get(f"/v1/cases/{case_ids[0]}/family")
        check(family.status_code == 200, f"the demo family's record ({family.status_code})")
        check(
            any(member.get("pesel") == pesel for member in family.json()),
            "the demo family's PESEL is read back",
        )


def verify_roles(
    database: Database, services: list[str], check: Callable[[bool, str], None]
) -> None:
    """Every connection to a service's database is its app role's, which is no superuser and owns
    nothing there (ADR 0019) — asked of the server while the services run."""

    async def ask() -> list[tuple[str, str, bool, int]]:
        conn = await asyncpg.connect(database.server.render_as_string(hide_password=False))
        try:
            rows = await conn.fetch(
                "SELECT a.datname, a.usename, r.rolsuper,"
                " (SELECT count(*) FROM pg_database d WHERE d.datdba = r.oid)"
                " FROM pg_stat_activity a JOIN pg_roles r ON r.oid = a.usesysid"
                " WHERE a.datname = ANY($1::text[]) AND a.pid <> pg_backend_pid()",
                [f"{database.prefix}{name}" for name in services],
            )
        finally:
            await conn.close()
        return [(str(r[0]), str(r[1]), bool(r[2]), int(r[3])) for r in rows]

    seen = asyncio.run(ask())
    for name in services:
        app = database.roles_for(name).app
        users = {user for db, user, _, _ in seen if db == f"{database.prefix}{name}"}
        check(users == {app}, f"{name} connects as {', '.join(sorted(users)) or 'nobody'}")
    check(
        not [row for row in seen if row[2] or row[3]],
        "no service connects as a superuser or as a database's owner",
    )


def verify(
    urls: dict[str, str],
    token_for: demo_data.TokenFor,
    demo: bool,
    database: Database | None = None,
) -> None:
    """A few real API calls, as the people using the platform would make them."""

    def check(ok: bool, what: str) -> None:
        if not ok:
            raise PlatformError(f"check failed: {what}")
        say(f"check ok: {what}")

    def get(url: str, user: str | None = None) -> Any:
        headers = {"Authorization": f"Bearer {token_for(user)}"} if user else {}
        response = httpx.get(url, headers=headers, timeout=10.0)
        if response.status_code != 200:
            raise PlatformError(
                f"check failed: GET {url} -> {response.status_code} {response.text}"
            )
        return response.json()

    def readyz(url: str) -> Any:  # 503 (not ready) carries the same checks as 200
        response = httpx.get(f"{url}/readyz", timeout=10.0)
        if response.status_code not in (200, 503):
            raise PlatformError(f"check failed: GET {url}/readyz -> {response.status_code}")
        return response.json()

    for name, url in urls.items():
        if name == "web":  # its readiness is the issuer's, checked by the sign-ins below
            continue
        deadline = time.monotonic() + 20
        ready = readyz(url)
        while ready.get("nats") != "ok" and time.monotonic() < deadline:
            time.sleep(0.5)
            ready = readyz(url)
        check(
            ready.get("database") == "ok" and ready.get("nats") == "ok", f"{name} /readyz {ready}"
        )
    if database is not None:
        verify_roles(database, [name for name in urls if name != "web"], check)
    if demo and "cases" in urls:
        verify_pesel_readable(urls["cases"], token_for, check)
    partners = urls.get("partners")
    if partners is None:
        return
    cards = get(f"{partners}/v1/benefit-cards")
    check(len(cards) > 1, f"public benefit cards: {len(cards)}")
    if not demo:
        return
    mine = get(f"{partners}/v1/partnerships", "coord-a")
    check(
        [p["tenant"] for p in mine] == [demo_data.TENANT_A],
        "coord-a sees only Wieliczka's partnership",
    )
    check(
        mine[0]["coordinator_warning"] is None and len(mine[0]["coordinators"]) == 2,
        "Wieliczka has two network coordinators and no warning",
    )
    memberships = get(
        f"{partners}/v1/memberships?partnership_id={mine[0]['id']}&per_page=200", "coord-a"
    )
    states = {m["state"] for m in memberships["items"]}
    check(
        states == {"invited", "informal", "declared", "suspended", "left"},
        f"Wieliczka's memberships in every state ({', '.join(sorted(states))})",
    )
    theirs = get(f"{partners}/v1/partnerships", "coord-b")
    check(
        bool(theirs and theirs[0]["coordinator_warning"]),
        f"Niepołomice warns: {theirs[0]['coordinator_warning'] if theirs else None}",
    )
    school = get(f"{partners}/v1/institutions/{demo_data.PARTNER_A_SCHOOL_ID}", "partner-a")
    check(school["tenant"] == demo_data.TENANT_A, f"partner-a sees its school: {school['name']}")
    contacts = get(
        f"{partners}/v1/institutions/{demo_data.PARTNER_A_SCHOOL_ID}/contact-persons", "partner-a"
    )
    check(
        any(c["name"] == "Marta Nowak" for c in contacts),
        "the school's contact persons include Marta Nowak, pedagog szkolny",
    )
    meetings = get(f"{partners}/v1/meetings?partnership_id={mine[0]['id']}", "coord-a")
    statuses = sorted(m["status"] for m in meetings["items"])
    check(statuses == ["held", "scheduled"], f"Wieliczka's meetings: {', '.join(statuses)}")


# ---- what to print -----------------------------------------------------------------------------


def demo_logins() -> list[tuple[str, str, str, str]]:
    """(user, name, roles, municipality) of the realm's people, from the realm file."""
    realm = json.loads(REALM_FILE.read_text(encoding="utf-8"))
    rows = []
    for user in realm.get("users", []):
        username = str(user["username"])
        if username.startswith("service-account-"):
            continue
        tenants = [
            str(g).rsplit("/", 1)[-1] for g in user.get("groups", []) if "/tenants/" in str(g)
        ]
        where = ", ".join(TENANT_LABELS.get(t, t) for t in tenants) or "whole region"
        if (user.get("attributes") or {}).get("institution"):
            where += " – SP nr 1 w Wieliczce"
        name = f"{user.get('firstName', '')} {user.get('lastName', '')}".strip()
        rows.append((username, name, ", ".join(user.get("realmRoles", [])), where))
    return rows


def summary_block(
    services: list[Service],
    issuer_url: str,
    nats_url: str,
    database: Database,
    data_dir: Path,
    check: bool,
    mail: tuple[int, Path] | None = None,
) -> str:
    line = "=" * 78
    rows: list[tuple[str, str]] = []
    for service in services:
        if service.name == "web":
            rows.insert(0, ("Web (staff, public)", service.url))
        else:
            rows.append((f"{service.name} API", f"{service.url}/docs"))
    rows.append(("OIDC issuer", issuer_url))
    rows.append(("NATS", nats_url))
    databases = ", ".join(f"{database.prefix}{s.name}" for s in services)
    rows.append(("PostgreSQL", f"{database.shown()}  (databases: {databases})"))
    if mail is not None:
        rows.append(("E-mail (dev SMTP)", f"127.0.0.1:{mail[0]}  (messages: {mail[1]})"))
    rows.append(("Data", str(data_dir)))
    rows.append(("Logs", str(data_dir / "logs")))
    state = "started for a check" if check else "is running – Ctrl-C stops everything"
    out = [line, f" CUS platform {state}", "-" * 78]
    out += [f" {label:<22} {value}" for label, value in rows]
    out += ["-" * 78, f" Demo logins (password: {DEMO_PASSWORD})"]
    out.append(f"   {'user':<11} {'name':<21} {'role':<30} municipality")
    for username, name, roles, where in demo_logins():
        out.append(f"   {username:<11} {name:<21} {roles:<30} {where}")
    out.append(line)
    return "\n".join(out)


# ---- main --------------------------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Start the CUS platform with demo data.")
    parser.add_argument("--no-demo", action="store_true", help="do not load the demo region")
    parser.add_argument(
        "--check",
        action="store_true",
        help="start, load the demo data, verify a few API calls, stop and exit (0 = all good)",
    )
    parser.add_argument(
        "--data-dir", type=Path, default=REPO / ".run", help="where data and logs live (.run)"
    )
    parser.add_argument(
        "--port-base",
        type=int,
        default=DEFAULT_PORT_BASE,
        help="services on N+0..N+5 (web, partners, basket, cases, notifications, evaluation), "
        "the dev issuer on N+80 (default 8100: issuer 8180)",
    )
    parser.add_argument(
        "--health-timeout",
        type=float,
        default=HEALTH_TIMEOUT_S,
        help="seconds each service has to answer GET /healthz (default %(default)s)",
    )
    return parser.parse_args(argv)


def _lock(data_dir: Path) -> IO[str]:
    handle = (data_dir / "platform.lock").open("a+")
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        handle.close()
        raise PlatformError(
            f"another platform is already running with the data in {data_dir}"
        ) from None
    return handle


def run(args: argparse.Namespace, stack: contextlib.ExitStack) -> int:
    data_dir: Path = args.data_dir.resolve()
    (data_dir / "logs").mkdir(parents=True, exist_ok=True)
    stack.enter_context(_lock(data_dir))
    if not os.environ.get("XDG_RUNTIME_DIR"):
        runtime_dir = data_dir / "xdg-runtime"
        runtime_dir.mkdir(mode=0o700, exist_ok=True)
        os.environ["XDG_RUNTIME_DIR"] = str(runtime_dir)

    names = discover_services(REPO)
    say(f"services found: {', '.join(names) or 'none'}")
    database = start_postgres(data_dir, stack)
    service_databases = prepare_databases(database, names, data_dir)
    nats_url = start_nats(data_dir, stack)
    issuer_url = start_issuer(data_dir, args.port_base + ISSUER_PORT_OFFSET, stack)
    smtp_port, mail_dir = start_mail(data_dir, stack)
    services = start_services(
        names,
        args.port_base,
        service_databases,
        nats_url,
        issuer_url,
        data_dir,
        stack,
        args.health_timeout,
        smtp_port,
    )
    urls = {s.name: s.url for s in services}
    token_for = DemoTokens(issuer_url)
    if not args.no_demo:
        load_demo(data_dir, urls, token_for)
    print(
        summary_block(
            services, issuer_url, nats_url, database, data_dir, args.check, (smtp_port, mail_dir)
        )
    )
    if args.check:
        verify(urls, token_for, demo=not args.no_demo, database=database)
        say("check passed; stopping")
        return 0
    while True:
        for service in services:
            assert service.process is not None
            code = service.process.poll()
            if code is not None:
                raise PlatformError(
                    f"{service.name} stopped unexpectedly (exit code {code}); "
                    f"the end of {service.log_path}:\n{tail(service.log_path)}"
                )
        time.sleep(1.0)


def _raise_shutdown(signum: int, frame: FrameType | None) -> None:
    raise Shutdown


def _still_stopping(signum: int, frame: FrameType | None) -> None:
    say("still stopping, please wait")


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    # CLOCK_START (ADR 0015) reaches every service through the environment; the demo data
    # loaded from here is dated on the same clock.
    clock.install(clock.clock_starting_at(clock.parse_start(os.environ.get("CLOCK_START"))))
    signal.signal(signal.SIGTERM, _raise_shutdown)
    stack = contextlib.ExitStack()
    code = 0
    try:
        code = run(args, stack)
    except (KeyboardInterrupt, Shutdown):
        print(flush=True)
        say("stop requested")
    except PlatformError as exc:
        say(f"error: {exc}")
        code = 1
    finally:
        signal.signal(signal.SIGINT, _still_stopping)
        signal.signal(signal.SIGTERM, _still_stopping)
        stack.close()
    say("stopped" if code == 0 else "stopped after an error")
    return code


if __name__ == "__main__":
    sys.exit(main())
