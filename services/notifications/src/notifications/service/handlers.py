"""The API's commands, each in one unit of work that it commits: webhook endpoints, dead letters,
the feed's disclosures, the inbox and preferences, and the signed-in person's profile.

A command that answers with what it changed reads it back through `fetch` (a read view the route
passes in) inside the same unit of work, after the commit, as the routes did before (ADR 0080).
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from datetime import timedelta
from typing import Any, TypeVar

from notifications.service import webhooks
from notifications.service.ports import Profile, UnitOfWork
from shared.errors import InvalidInput, NotFound

T = TypeVar("T")
Fetch = Callable[[UnitOfWork], Awaitable[T]]


async def _changed(uow: UnitOfWork, endpoint_id: uuid.UUID) -> dict[str, Any]:
    endpoint = await uow.endpoints.get(endpoint_id)
    assert endpoint is not None
    return endpoint


# --- webhook endpoints ------------------------------------------------------------------------


async def register_endpoint(
    owner: webhooks.Owner,
    *,
    uow: UnitOfWork,
    url: str,
    description: str | None,
    event_types: list[str],
    secret: str | None,
    check: webhooks.CheckUrl,
) -> dict[str, Any]:
    async with uow:
        values = await webhooks.register(
            uow.endpoints,
            owner,
            url=url,
            description=description,
            event_types=event_types,
            secret=secret,
            check=check,
        )
        await uow.commit()
        return await _changed(uow, values["id"])


async def change_endpoint(
    endpoint_id: uuid.UUID,
    changes: dict[str, Any],
    *,
    uow: UnitOfWork,
    scope: uuid.UUID | None,
    check: webhooks.CheckUrl,
) -> dict[str, Any]:
    async with uow:
        endpoint = await webhooks.owned(uow.endpoints, endpoint_id, scope)
        await webhooks.change(uow.endpoints, endpoint, changes, check)
        await uow.commit()
        return await _changed(uow, endpoint_id)


async def delete_endpoint(
    endpoint_id: uuid.UUID, *, uow: UnitOfWork, scope: uuid.UUID | None
) -> None:
    async with uow:
        await webhooks.owned(uow.endpoints, endpoint_id, scope)
        await uow.endpoints.delete(endpoint_id)
        await uow.commit()


async def rotate_secret(
    endpoint_id: uuid.UUID,
    secret: str | None,
    *,
    uow: UnitOfWork,
    scope: uuid.UUID | None,
    previous_valid: timedelta,
) -> tuple[str, dict[str, Any]]:
    """The new secret, and the endpoint as it is now."""
    async with uow:
        endpoint = await webhooks.owned(uow.endpoints, endpoint_id, scope)
        fresh = await webhooks.rotate(uow.endpoints, endpoint, secret, previous_valid)
        await uow.commit()
        return fresh, await _changed(uow, endpoint_id)


async def replay_dead_letter(delivery_id: int, *, uow: UnitOfWork, scope: uuid.UUID | None) -> int:
    async with uow:
        await webhooks.owned_delivery(uow.endpoints, delivery_id, scope)
        count = await uow.endpoints.replay([delivery_id], None)
        await uow.commit()
        return count


async def replay_dead_letters(
    endpoint_id: uuid.UUID, *, uow: UnitOfWork, scope: uuid.UUID | None
) -> int:
    async with uow:
        await webhooks.owned(uow.endpoints, endpoint_id, scope)
        count = await uow.endpoints.replay(None, endpoint_id)
        await uow.commit()
        return count


# --- the pull feed ----------------------------------------------------------------------------


async def feed_page(
    institution_id: uuid.UUID,
    client_id: str | None,
    *,
    uow: UnitOfWork,
    fetch: Fetch[list[tuple[int, bytes]]],
) -> list[tuple[int, bytes]]:
    """A page of the feed; its case events are disclosed to the caller's institution (ADR 0029)
    in the same transaction that read them."""
    async with uow:
        rows = await fetch(uow)
        await uow.disclosures.record_feed(institution_id, client_id, [seq for seq, _ in rows])
        await uow.commit()
        return rows


# --- the inbox, preferences and the profile ---------------------------------------------------


async def read_notice(
    notice_id: int, *, uow: UnitOfWork, user_id: str, fetch: Fetch[dict[str, Any] | None]
) -> dict[str, Any]:
    """Mark a notice read, if the person may see it (`fetch` is their view of it)."""
    async with uow:
        if await fetch(uow) is None:
            raise NotFound("Nie ma takiego powiadomienia.")
        await uow.people.mark_read(user_id, notice_id)
        await uow.commit()
        row = await fetch(uow)
        if row is None:
            raise NotFound("Nie ma takiego powiadomienia.")
        return row


async def read_all(*, uow: UnitOfWork, user_id: str) -> None:
    async with uow:
        await uow.people.mark_read(user_id, None)
        await uow.commit()


async def set_preferences(
    channels: list[tuple[str, str, bool]],
    daily_digest: bool | None,
    *,
    uow: UnitOfWork,
    user_id: str,
    email: str | None,
    fetch: Fetch[T],
) -> T:
    """Which kinds of events reach the person in the app and by e-mail; daily digest or not."""
    if daily_digest and not email:
        raise InvalidInput.field("daily_digest", "Brak adresu e-mail w profilu użytkownika.")
    async with uow:
        await uow.people.set_preferences(user_id, channels, daily_digest)
        await uow.commit()
        return await fetch(uow)


async def remember(profile: Profile, *, uow: UnitOfWork) -> bool:
    """Keep the signed-in person's profile, so that notices about their municipality or
    institution can reach them; written only when it is new or changed (ADR 0080)."""
    async with uow:
        written = await uow.people.remember(profile)
        await uow.commit()
        return written
