"""Commands on webhook endpoints: register, change, rotate the secret, replay dead letters.

Rules checked here: the URL must lead to a public address (or one on the development allowlist),
the event types must exist in the contracts, a secret must be a `whsec_` secret of 24–64 bytes.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from notifications.domain.addresses import ForbiddenAddress
from notifications.domain.signing import MalformedSecret, new_secret, secret_key
from shared.contracts import event_type_registry
from shared.contracts.notifications import INTERNAL_PREFIX
from shared.errors import Forbidden, InvalidInput, NotFound

CheckUrl = Callable[[str], Awaitable[list[str]]]


def subscribable_types() -> list[str]:
    return sorted(_receivable())


def _receivable() -> dict[str, object]:
    """The platform's event types but this service's own (disclosures, ADR 0029)."""
    return {t: m for t, m in event_type_registry().items() if not t.startswith(INTERNAL_PREFIX)}


def check_event_types(types: list[str]) -> list[str]:
    known = _receivable()
    unknown = [t for t in types if t not in known]
    if unknown:
        raise ValueError(f"Nieznany typ zdarzenia: {', '.join(unknown)}.")
    return sorted(set(types))


def check_secret(secret: str) -> str:
    try:
        secret_key(secret)
    except MalformedSecret as exc:
        raise ValueError(str(exc)) from exc
    return secret


async def check_url(url: str, check: CheckUrl) -> None:
    try:
        await check(url)
    except ForbiddenAddress as exc:
        raise InvalidInput.field("url", str(exc), "forbidden_address") from exc


@dataclass(frozen=True)
class Owner:
    """Who registers endpoints: a partner institution's system or staff, for its municipalities."""

    institution_id: uuid.UUID
    tenants: list[str]
    client_id: str | None


class EndpointRepository(Protocol):
    async def add(self, values: dict[str, Any]) -> None: ...

    async def get(self, endpoint_id: uuid.UUID) -> dict[str, Any] | None: ...

    async def update(self, endpoint_id: uuid.UUID, values: dict[str, Any]) -> None: ...

    async def replay(
        self, delivery_ids: list[int] | None, endpoint_id: uuid.UUID | None
    ) -> int: ...

    async def delete(self, endpoint_id: uuid.UUID) -> None: ...

    async def endpoint_of_delivery(self, delivery_id: int) -> uuid.UUID | None: ...


async def register(
    repo: EndpointRepository,
    owner: Owner,
    *,
    url: str,
    description: str | None,
    event_types: list[str],
    secret: str | None,
    check: CheckUrl,
) -> dict[str, Any]:
    if not owner.tenants:
        raise InvalidInput.field("tenants", "Token nie wskazuje żadnej gminy.", "missing")
    await check_url(url, check)
    values = {
        "id": uuid.uuid4(),
        "institution_id": owner.institution_id,
        "client_id": owner.client_id,
        "tenants": sorted(owner.tenants),
        "url": url,
        "description": description,
        "event_types": event_types,
        "secret": secret or new_secret(),
    }
    await repo.add(values)
    return values


async def owned(
    repo: EndpointRepository, endpoint_id: uuid.UUID, institution_id: uuid.UUID | None
) -> dict[str, Any]:
    """The endpoint, if the caller's institution owns it (None: a regional administrator)."""
    endpoint = await repo.get(endpoint_id)
    if endpoint is None:
        raise NotFound("Nie ma takiego punktu odbioru webhooków.")
    if institution_id is not None and endpoint["institution_id"] != institution_id:
        raise NotFound("Nie ma takiego punktu odbioru webhooków.")
    return endpoint


async def change(
    repo: EndpointRepository,
    endpoint: dict[str, Any],
    changes: dict[str, Any],
    check: CheckUrl,
) -> None:
    if "url" in changes:
        await check_url(changes["url"], check)
    if changes.get("active") is True:
        changes["disabled_reason"] = None
    if changes:
        await repo.update(endpoint["id"], changes)


async def rotate(
    repo: EndpointRepository,
    endpoint: dict[str, Any],
    secret: str | None,
    previous_valid: timedelta,
) -> str:
    """A new secret; the current one stays valid (signatures carry both) for `previous_valid`."""
    fresh = secret or new_secret()
    if fresh == endpoint["secret"]:
        raise InvalidInput.field("secret", "Nowy sekret musi różnić się od obecnego.", "same")
    await repo.update(
        endpoint["id"],
        {
            "secret": fresh,
            "previous_secret": endpoint["secret"],
            "previous_secret_expires_at": datetime.now(UTC) + previous_valid,
        },
    )
    return fresh


async def owned_delivery(
    repo: EndpointRepository, delivery_id: int, institution_id: uuid.UUID | None
) -> dict[str, Any]:
    """The endpoint of a delivery, if the caller's institution owns it."""
    endpoint_id = await repo.endpoint_of_delivery(delivery_id)
    if endpoint_id is None:
        raise NotFound("Nie ma takiej dostawy.")
    return await owned(repo, endpoint_id, institution_id)


def require_owner(
    institution_id: uuid.UUID | None, tenants: frozenset[str], client: str | None
) -> Owner:
    if institution_id is None:
        raise Forbidden("Webhooki rejestruje system lub pracownik instytucji partnerskiej.")
    return Owner(institution_id, sorted(tenants), client)


def owner_named_by_admin(institution_id: uuid.UUID | None, tenants: list[str] | None) -> Owner:
    """A regional administrator registers an endpoint on behalf of a partner institution: it
    names the institution and the municipalities the endpoint hears of."""
    if institution_id is None:
        raise InvalidInput.field("institution_id", "Wskaż instytucję partnerską.", "missing")
    if not tenants:
        raise InvalidInput.field("tenants", "Wskaż co najmniej jedną gminę.", "missing")
    return Owner(institution_id, sorted(set(tenants)), None)
