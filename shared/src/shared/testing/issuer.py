"""Run the development OpenID provider (deploy/dev-issuer) for tests and local runs.

The dev issuer is a small Node server built on the certified library oidc-provider. It reads
deploy/keycloak/realm-cus.json and issues tokens shaped like Keycloak's for realm `cus`; production
uses the real Keycloak. With the environment variable OIDC_ISSUER set (e.g. to a running Keycloak's
`http://127.0.0.1:8180/realms/cus`), nothing is started and that issuer is used instead.

The signing keys live in a JWKS file (private RSA JWK with kid, alg RS256, use sig); tests read the
private key from it to mint deliberately bad tokens (expired, wrong audience) with the real key.

Run it in the foreground with `uv run python -m shared.testing.issuer [--port 8180]`.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import hashlib
import json
import logging
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import httpx
import jwt
from cryptography.hazmat.primitives.asymmetric import rsa

log = logging.getLogger(__name__)

REALM = "cus"
DEFAULT_PORT = 8180
READY_TIMEOUT_S = 60.0  # a first start on a busy machine has taken over 20 s
JWKS_FILE_NAME = "jwks.json"


def _find_issuer_dir() -> Path:
    """deploy/dev-issuer of the repository this package lives in (or the current directory's)."""
    override = os.environ.get("CUS_DEV_ISSUER_DIR")
    if override:
        return Path(override)
    for start in (Path(__file__).resolve(), Path.cwd().resolve()):
        for parent in (start, *start.parents):
            candidate = parent / "deploy" / "dev-issuer"
            if (candidate / "issuer.mjs").is_file():
                return candidate
    msg = "deploy/dev-issuer/issuer.mjs not found (set CUS_DEV_ISSUER_DIR)"
    raise FileNotFoundError(msg)


def issuer_url_for(port: int, host: str = "127.0.0.1") -> str:
    return f"http://{host}:{port}/realms/{REALM}"


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that was free a moment ago (bind to port 0 and let the kernel choose)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


def _port_free(host: str, port: int) -> bool:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        # As a listening server would: old connections in TIME_WAIT don't make the port busy.
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
        return True


# ---- Keys ----------------------------------------------------------------------------------------


def _b64url_uint(value: int) -> str:
    raw = value.to_bytes((value.bit_length() + 7) // 8 or 1, "big")
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _b64url_to_int(value: str) -> int:
    return int.from_bytes(base64.urlsafe_b64decode(value + "=" * (-len(value) % 4)), "big")


def jwk_thumbprint(jwk: Mapping[str, Any]) -> str:
    """RFC 7638 thumbprint of an RSA JWK (the kid the dev issuer uses too)."""
    canonical = json.dumps(
        {"e": jwk["e"], "kty": jwk["kty"], "n": jwk["n"]}, separators=(",", ":"), sort_keys=True
    )
    digest = hashlib.sha256(canonical.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def write_jwks(path: Path) -> dict[str, Any]:
    """Generate an RSA-2048 private JWK (kid, alg RS256, use sig) and write `{"keys": [jwk]}`."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    priv = key.private_numbers()
    pub = priv.public_numbers
    jwk: dict[str, Any] = {
        "kty": "RSA",
        "n": _b64url_uint(pub.n),
        "e": _b64url_uint(pub.e),
        "d": _b64url_uint(priv.d),
        "p": _b64url_uint(priv.p),
        "q": _b64url_uint(priv.q),
        "dp": _b64url_uint(priv.dmp1),
        "dq": _b64url_uint(priv.dmq1),
        "qi": _b64url_uint(priv.iqmp),
    }
    jwk.update(kid=jwk_thumbprint(jwk), alg="RS256", use="sig")
    jwks: dict[str, Any] = {"keys": [jwk]}
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(json.dumps(jwks, indent=2) + "\n", encoding="utf-8")
    tmp.chmod(0o600)
    tmp.replace(path)
    return jwks


def load_private_key(jwks_path: Path) -> tuple[str, rsa.RSAPrivateKey]:
    """The kid and private key of the first RSA signing key in a JWKS file."""
    jwks = json.loads(Path(jwks_path).read_text(encoding="utf-8"))
    for jwk in jwks["keys"]:
        if jwk.get("kty") == "RSA" and "d" in jwk and jwk.get("use", "sig") == "sig":
            n, e = _b64url_to_int(jwk["n"]), _b64url_to_int(jwk["e"])
            numbers = rsa.RSAPrivateNumbers(
                p=_b64url_to_int(jwk["p"]),
                q=_b64url_to_int(jwk["q"]),
                d=_b64url_to_int(jwk["d"]),
                dmp1=_b64url_to_int(jwk["dp"]),
                dmq1=_b64url_to_int(jwk["dq"]),
                iqmp=_b64url_to_int(jwk["qi"]),
                public_numbers=rsa.RSAPublicNumbers(e=e, n=n),
            )
            return str(jwk.get("kid") or jwk_thumbprint(jwk)), numbers.private_key()
    msg = f"no private RSA signing key in {jwks_path}"
    raise ValueError(msg)


def sign_token(
    jwks_path: Path, claims: Mapping[str, Any], headers: Mapping[str, Any] | None = None
) -> str:
    """Sign arbitrary claims with the issuer's real key (RS256, its kid, typ JWT) - for tests."""
    kid, key = load_private_key(jwks_path)
    return jwt.encode(
        dict(claims), key, algorithm="RS256", headers={"kid": kid, "typ": "JWT", **(headers or {})}
    )


# ---- Process -------------------------------------------------------------------------------------


@dataclass
class RunningIssuer:
    """A started dev issuer (or an external one from OIDC_ISSUER, then `process` is None)."""

    issuer_url: str
    jwks_file: Path | None
    process: subprocess.Popen[bytes] | None = None
    log_file: Path | None = None
    _log: IO[bytes] | None = field(default=None, repr=False)

    @property
    def base_url(self) -> str:
        """The server URL as python-keycloak wants it (issuer without /realms/<realm>), with '/'."""
        return self.issuer_url.rsplit("/realms/", 1)[0] + "/"

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> RunningIssuer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def ensure_node_modules(issuer_dir: Path | None = None) -> None:
    """Run `npm ci` in deploy/dev-issuer when its node_modules are missing."""
    directory = issuer_dir or _find_issuer_dir()
    if (directory / "node_modules" / "oidc-provider" / "package.json").is_file():
        return
    npm = shutil.which("npm")
    if npm is None:
        msg = "npm not found: install Node.js 20+ to run the dev issuer"
        raise RuntimeError(msg)
    log.warning("dev issuer: node_modules missing, running `npm ci` in %s", directory)
    result = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"],
        cwd=directory,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        msg = f"npm ci failed in {directory}:\n{result.stdout}\n{result.stderr}"
        raise RuntimeError(msg)


def _wait_ready(issuer: RunningIssuer, timeout: float) -> None:
    url = f"{issuer.issuer_url}/.well-known/openid-configuration"
    deadline = time.monotonic() + timeout
    with httpx.Client(timeout=2.0) as client:
        while True:
            if issuer.process is not None and issuer.process.poll() is not None:
                break
            try:
                if client.get(url).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                break
            time.sleep(0.05)
    code = issuer.process.poll() if issuer.process else None
    issuer.stop()
    output = issuer.log_file.read_text(errors="replace") if issuer.log_file else ""
    state = f"exited with {code}" if code is not None else f"not ready after {timeout:.0f} s"
    msg = f"dev issuer {state} ({url}); its output:\n{output}"
    raise RuntimeError(msg)


def start_issuer_sync(
    port: int | None = None,
    data_dir: Path | None = None,
    *,
    host: str = "127.0.0.1",
    realm_file: Path | None = None,
    ready_timeout: float = READY_TIMEOUT_S,
) -> RunningIssuer:
    """Start the dev issuer (port None or 0: a free one) and wait until discovery answers.

    `data_dir` holds jwks.json (kept across restarts) and issuer.log. With OIDC_ISSUER set, return
    that issuer instead (jwks_file None).
    """
    external = os.environ.get("OIDC_ISSUER")
    if external:
        return RunningIssuer(issuer_url=external.rstrip("/"), jwks_file=None)
    issuer_dir = _find_issuer_dir()
    ensure_node_modules(issuer_dir)
    node = shutil.which("node")
    if node is None:
        msg = "node not found: install Node.js 20+ to run the dev issuer"
        raise RuntimeError(msg)
    data = data_dir or issuer_dir.parent.parent / ".run" / "dev-issuer"
    data.mkdir(parents=True, exist_ok=True)
    if port and not _port_free(host, port):
        msg = f"port {port} on {host} is in use (another dev issuer or Keycloak running?)"
        raise RuntimeError(msg)
    chosen = port or free_port(host)
    issuer_url = issuer_url_for(chosen, host)
    env = {
        **os.environ,
        "ISSUER_URL": issuer_url,
        "PORT": str(chosen),
        "HOST": host,
        "JWKS_FILE": str(data / JWKS_FILE_NAME),
        "PARENT_PID": str(os.getpid()),
    }
    if realm_file is not None:
        env["REALM_FILE"] = str(realm_file)
    log_file = data / "issuer.log"
    out = log_file.open("wb")
    process = subprocess.Popen(
        [node, str(issuer_dir / "issuer.mjs")],
        cwd=issuer_dir,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=out,
        stderr=subprocess.STDOUT,
    )
    issuer = RunningIssuer(
        issuer_url=issuer_url,
        jwks_file=data / JWKS_FILE_NAME,
        process=process,
        log_file=log_file,
        _log=out,
    )
    _wait_ready(issuer, ready_timeout)
    log.info("dev issuer ready at %s", issuer_url)
    return issuer


async def start_issuer(
    port: int | None = None,
    data_dir: Path | None = None,
    *,
    host: str = "127.0.0.1",
    realm_file: Path | None = None,
    ready_timeout: float = READY_TIMEOUT_S,
) -> RunningIssuer:
    """Async variant of start_issuer_sync (the blocking work runs in a thread)."""
    return await asyncio.to_thread(
        start_issuer_sync,
        port,
        data_dir,
        host=host,
        realm_file=realm_file,
        ready_timeout=ready_timeout,
    )


@contextmanager
def run_issuer(port: int | None = None, data_dir: Path | None = None) -> Iterator[RunningIssuer]:
    """`with run_issuer(data_dir=tmp) as issuer: ...` - started, then stopped."""
    issuer = start_issuer_sync(port, data_dir)
    try:
        yield issuer
    finally:
        issuer.stop()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the CUS development OpenID provider.")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT)
    parser.add_argument("--data-dir", type=Path, default=None, help="default: .run/dev-issuer")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    logging.getLogger("httpx").setLevel(logging.WARNING)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))  # stop the node process on SIGTERM too
    with run_issuer(args.port, args.data_dir) as issuer:
        if issuer.process is None:
            print(f"OIDC_ISSUER is set: using {issuer.issuer_url}, nothing started", flush=True)
            return
        print(f"dev issuer: {issuer.issuer_url} (keys {issuer.jwks_file}); Ctrl-C stops it")
        with suppress(KeyboardInterrupt):
            issuer.process.wait()


if __name__ == "__main__":
    main()
