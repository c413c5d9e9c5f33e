"""Who is calling is resolved once per request: the token is verified once, and the person's
profile (the `users` row the audience of notices is chosen from) is written only when it is new or
changed — a GET of someone whose token says what it said before writes nothing (ADR 0080)."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import text

A = "1219053"
B = "1261011"


async def _row(service: Any, user_id: str) -> Any:
    async with service.built.runtime.engine.connect() as conn:
        return (
            await conn.execute(
                text(
                    "SELECT xmin::text AS xmin, xmax::text AS xmax, username, email, roles, "
                    "tenants, institution_id, seen_at FROM users WHERE user_id = :u"
                ),
                {"u": user_id},
            )
        ).one_or_none()


def _headers(service: Any, sub: str, **claims: Any) -> dict[str, str]:
    return {"Authorization": f"Bearer {service.tokens.forge({'sub': sub, **claims})}"}


async def test_gets_of_an_unchanged_person_write_nothing(service) -> None:
    sub = str(uuid.uuid4())
    headers = _headers(service, sub, email="ala@gmina.example.pl")
    assert (await service.client.get("/v1/inbox", headers=headers)).status_code == 200
    first = await _row(service, sub)
    assert first is not None
    assert first.email == "ala@gmina.example.pl"
    assert first.roles == ["coordinator"]
    assert first.tenants == [A]
    for path in ("/v1/inbox", "/v1/inbox/unread", "/v1/preferences"):
        assert (await service.client.get(path, headers=headers)).status_code == 200
    again = await _row(service, sub)
    # Not updated, not even locked: the same row version, no locker, the same time.
    assert (again.xmin, again.xmax, again.seen_at) == (first.xmin, first.xmax, first.seen_at)


async def test_a_changed_token_updates_the_profile_and_keeps_a_known_email(service) -> None:
    sub = str(uuid.uuid4())
    headers = _headers(service, sub, email="ala@gmina.example.pl")
    assert (await service.client.get("/v1/inbox", headers=headers)).status_code == 200
    first = await _row(service, sub)
    moved = _headers(service, sub, tenants=[B], email=None)  # no e-mail claim this time
    assert (await service.client.get("/v1/inbox", headers=moved)).status_code == 200
    changed = await _row(service, sub)
    assert changed.xmin != first.xmin
    assert changed.tenants == [B]
    assert changed.email == "ala@gmina.example.pl"
    assert (await service.client.get("/v1/inbox", headers=moved)).status_code == 200
    assert (await _row(service, sub)).xmin == changed.xmin


async def test_the_token_is_verified_once_per_request(service, monkeypatch) -> None:
    verifier = service.built.app.state.token_verifier
    calls: list[str] = []
    verify = verifier.verify

    async def counting(token: str) -> dict[str, Any]:
        calls.append(token)
        return await verify(token)

    monkeypatch.setattr(verifier, "verify", counting)
    headers = _headers(service, str(uuid.uuid4()), email="ola@gmina.example.pl")
    assert (await service.client.get("/v1/inbox", headers=headers)).status_code == 200
    assert len(calls) == 1
