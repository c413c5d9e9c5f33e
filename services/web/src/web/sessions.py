"""Server-side sessions: the browser holds only an opaque, signed session id; the tokens stay here.

`SessionStore` is the port; `MemorySessionStore` keeps sessions in this process (one instance of
the app; a restart signs everyone out). A shared store (e.g. Redis) can implement the same port
when the app runs as several instances (ADR 0050).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

from shared.auth import Principal


@dataclass
class PendingLogin:
    """What /login remembers until the issuer sends the browser back to /auth/callback."""

    state: str
    nonce: str
    code_verifier: str
    return_to: str
    created_at: float = field(default_factory=time.time)


@dataclass
class Tokens:
    access_token: str
    refresh_token: str | None
    id_token: str
    expires_at: float
    refresh_expires_at: float | None = None


@dataclass
class Session:
    id: str
    created_at: float = field(default_factory=time.time)
    last_seen: float = field(default_factory=time.time)
    pending: PendingLogin | None = None
    tokens: Tokens | None = None
    principal: Principal | None = None
    flash: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)
    lock: asyncio.Lock = field(default_factory=asyncio.Lock, repr=False)

    @property
    def signed_in(self) -> bool:
        return self.tokens is not None and self.principal is not None


class SessionStore(Protocol):
    async def get(self, session_id: str) -> Session | None: ...

    async def create(self) -> Session: ...

    async def save(self, session: Session) -> None: ...

    async def delete(self, session_id: str) -> None: ...


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


class MemorySessionStore:
    """Sessions in a dict, expiring after `idle` seconds unused or `max_age` seconds in all."""

    def __init__(self, *, idle: float, max_age: float) -> None:
        self.idle = idle
        self.max_age = max_age
        self._sessions: dict[str, Session] = {}

    def _expired(self, session: Session, now: float) -> bool:
        return now - session.last_seen > self.idle or now - session.created_at > self.max_age

    def _sweep(self, now: float) -> None:
        for key in [k for k, s in self._sessions.items() if self._expired(s, now)]:
            del self._sessions[key]

    async def get(self, session_id: str) -> Session | None:
        now = time.time()
        session = self._sessions.get(session_id)
        if session is None:
            return None
        if self._expired(session, now):
            del self._sessions[session_id]
            return None
        session.last_seen = now
        return session

    async def create(self) -> Session:
        now = time.time()
        self._sweep(now)
        session = Session(id=new_session_id(), created_at=now, last_seen=now)
        self._sessions[session.id] = session
        return session

    async def save(self, session: Session) -> None:
        self._sessions[session.id] = session

    async def delete(self, session_id: str) -> None:
        self._sessions.pop(session_id, None)

    def __len__(self) -> int:
        return len(self._sessions)


def same(given: str, expected: str) -> bool:
    """Constant-time equality that takes any text: `hmac.compare_digest` raises TypeError on a
    non-ASCII string (a forged cookie, state or form field would otherwise be a 500)."""
    return hmac.compare_digest(
        given.encode("utf-8", "replace"), expected.encode("utf-8", "replace")
    )


class CookieSigner:
    """Signs the session id in the cookie, so a forged or altered cookie is refused at once."""

    def __init__(self, secret: str) -> None:
        self._key = hashlib.sha256(("cus-web-session:" + secret).encode()).digest()

    def _mac(self, value: str, purpose: str) -> str:
        digest = hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")

    def sign(self, session_id: str) -> str:
        return f"{session_id}.{self._mac(session_id, 'cookie')}"

    def unsign(self, cookie: str | None) -> str | None:
        if not cookie or "." not in cookie:
            return None
        session_id, mac = cookie.rsplit(".", 1)
        return session_id if same(mac, self._mac(session_id, "cookie")) else None

    def csrf_token(self, session_id: str) -> str:
        """The session's CSRF token: derived from its id, so nothing more to store or leak."""
        return self._mac(session_id, "csrf")

    def csrf_valid(self, session_id: str, token: str | None) -> bool:
        return bool(token) and same(str(token), self.csrf_token(session_id))
