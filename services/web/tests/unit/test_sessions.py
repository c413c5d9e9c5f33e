"""The session store, the signed session cookie and the CSRF token derived from the session."""

from __future__ import annotations

import time

from web.sessions import CookieSigner, MemorySessionStore


async def test_a_session_expires_when_idle_and_after_its_maximum_age() -> None:
    store = MemorySessionStore(idle=60, max_age=3600)
    session = await store.create()
    assert await store.get(session.id) is session

    session.last_seen = time.time() - 61
    assert await store.get(session.id) is None

    old = await store.create()
    old.created_at = time.time() - 3601
    assert await store.get(old.id) is None
    assert len(store) == 0


async def test_deleted_sessions_are_gone_and_ids_are_unguessable() -> None:
    store = MemorySessionStore(idle=60, max_age=3600)
    first, second = await store.create(), await store.create()
    assert first.id != second.id
    assert len(first.id) >= 43
    await store.delete(first.id)
    assert await store.get(first.id) is None
    assert await store.get(second.id) is second


def test_the_cookie_is_signed_and_a_changed_one_is_refused() -> None:
    signer = CookieSigner("secret")
    cookie = signer.sign("abc")
    assert signer.unsign(cookie) == "abc"
    assert signer.unsign("abd" + cookie[3:]) is None
    assert signer.unsign(cookie + "x") is None
    assert signer.unsign(None) is None
    assert signer.unsign("no-dot") is None
    assert CookieSigner("other secret").unsign(cookie) is None


def test_the_csrf_token_belongs_to_one_session() -> None:
    signer = CookieSigner("secret")
    token = signer.csrf_token("session-1")
    assert signer.csrf_valid("session-1", token)
    assert not signer.csrf_valid("session-2", token)
    assert not signer.csrf_valid("session-1", None)
    assert not signer.csrf_valid("session-1", "")
    assert token != signer.sign("session-1").rsplit(".", 1)[1]  # not the cookie's signature
