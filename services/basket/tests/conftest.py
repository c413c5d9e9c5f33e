"""Fixtures of the basket service tests: the service running in-process against real servers, and
partners events published straight onto NATS to feed its read model."""

from __future__ import annotations

import asyncio
import os
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import nats
import pytest
from sqlalchemy import text

from basket.bootstrap import bootstrap
from basket.config import BasketSettings
from shared import clock
from shared.contracts import CloudEvent
from shared.contracts import partners as pc
from shared.runtime import Runtime
from shared.testing.issuer import RunningIssuer
from shared.testing.plugin import Databases, EventTap, Tokens, open_tap, serve
from shared.testing.servers import NatsServer

A, B = "1219053", "1219043"
# The institution partner-a (partner-staff + partner-editor) works for.
PARTNER_A = "7a1c3e52-5d0b-4a53-9b1e-2f6d0c8a0001"
# The HSDS 3.0 schemas the tests validate against, vendored beside the tests (CC BY-SA 4.0).
HSDS_DIR = Path(__file__).resolve().parent / "hsds-3.0"


def offering(
    institution_id: str, title: str = "Konsultacje psychologiczne", **extra: Any
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "institution_id": institution_id,
        "title": title,
        "description": "Indywidualne konsultacje psychologiczne dla rodzin w kryzysie.",
        "category": "family_support.counselling",
        "target_groups": ["families", "parents"],
        "eligibility": {"description": "Mieszkańcy gminy", "min_age": 18},
        "required_documents": ["Dowód osobisty"],
        "cost": {"kind": "free"},
        "places": [
            {
                "name": "Punkt konsultacyjny",
                "street": "ul. Słowackiego 1",
                "postal_code": "32-020",
                "city": "Wieliczka",
                "latitude": 49.987,
                "longitude": 20.064,
                "accessible": True,
            }
        ],
        "schedule": [{"weekday": 2, "opens_at": "09:00", "closes_at": "15:00"}],
        "languages": ["pl", "uk"],
        "contact": {"name": "Anna Nowak", "role": "psycholog", "phone": "+48 12 000 00 00"},
    }
    body.update(extra)
    return body


@dataclass
class Basket:
    client: httpx.AsyncClient
    runtime: Runtime
    tap: EventTap
    tokens: Tokens
    nats_url: str
    seeded: set[str] = field(default_factory=set)

    async def as_(self, user: str) -> dict[str, str]:
        return await self.tokens.headers(user)

    async def post(self, user: str | None, url: str, json: object = None) -> httpx.Response:
        headers = await self.as_(user) if user else {}
        return await self.client.post(url, json=json, headers=headers)

    async def get(self, user: str | None, url: str, **params: object) -> httpx.Response:
        headers = await self.as_(user) if user else {}
        return await self.client.get(url, params=params, headers=headers)

    async def patch(self, user: str, url: str, json: object) -> httpx.Response:
        return await self.client.patch(url, json=json, headers=await self.as_(user))

    async def partner(
        self,
        tenant: str = A,
        state: str = "declared",
        sector: str = "ngo",
        institution_id: str | None = None,
        name: str = "Fundacja Pomocy Rodzinie",
    ) -> str:
        """An institution and its membership in `tenant`'s partnership, as partners announces
        them; returns once the basket's read model has them."""
        institution = institution_id or str(uuid.uuid4())
        events: list[CloudEvent] = []
        if institution not in self.seeded:
            events.append(
                CloudEvent.wrap(
                    pc.InstitutionRegistered(
                        institution_id=uuid.UUID(institution),
                        name=name,
                        sector=sector,  # type: ignore[arg-type]
                        tenants_served=[tenant],
                    ),
                    source=pc.SOURCE,
                    tenant=tenant,
                    subject=institution,
                )
            )
        events.append(self.membership_event(institution, tenant, state, sector))
        await self.publish(events)
        await self.wait_for_state(institution, tenant, state)
        self.seeded.add(institution)
        return institution

    async def partners(self, entries: list[tuple[str, str]], state: str = "declared") -> None:
        """Many (tenant, institution name) partners at once: one publish, then one wait each."""
        events: list[CloudEvent] = []
        ids = []
        for tenant, name in entries:
            institution = str(uuid.uuid4())
            ids.append((institution, tenant))
            events.append(
                CloudEvent.wrap(
                    pc.InstitutionRegistered(
                        institution_id=uuid.UUID(institution),
                        name=name,
                        sector="ngo",
                        tenants_served=[tenant],
                    ),
                    source=pc.SOURCE,
                    tenant=tenant,
                    subject=institution,
                )
            )
            events.append(self.membership_event(institution, tenant, state))
        await self.publish(events)
        for institution, tenant in ids:
            await self.wait_for_state(institution, tenant, state)

    def membership_event(
        self, institution: str, tenant: str, state: str, sector: str = "ngo"
    ) -> CloudEvent:
        # One membership per (institution, tenant), as in partners.
        membership_id = uuid.uuid5(uuid.UUID(institution), tenant)
        return CloudEvent.wrap(
            pc.MembershipChanged(
                membership_id=membership_id,
                partnership_id=uuid.uuid5(uuid.NAMESPACE_URL, tenant),
                institution_id=uuid.UUID(institution),
                sector=sector,  # type: ignore[arg-type]
                state=state,  # type: ignore[arg-type]
                effective_on=clock.today(),
            ),
            source=pc.SOURCE,
            tenant=tenant,
            subject=str(membership_id),
        )

    async def publish(self, events: list[CloudEvent]) -> None:
        nc = await nats.connect(self.nats_url)
        try:
            js = nc.jetstream()
            for event in events:
                await js.publish(
                    event.type,
                    event.model_dump_json().encode(),
                    headers={"Nats-Msg-Id": str(event.id)},
                )
        finally:
            await nc.close()

    async def wait_for_state(self, institution: str, tenant: str, state: str) -> None:
        async with asyncio.timeout(15):
            while True:
                async with self.runtime.engine.connect() as conn:
                    found = (
                        await conn.execute(
                            text(
                                "SELECT 1 FROM memberships m JOIN institutions i "
                                "ON i.id = m.institution_id WHERE m.institution_id = :i "
                                "AND m.tenant = :t AND m.state = :s"
                            ),
                            {"i": institution, "t": tenant, "s": state},
                        )
                    ).first()
                if found:
                    return
                await asyncio.sleep(0.03)

    async def add(self, user: str, body: dict[str, Any], publish: bool = False) -> str:
        response = await self.post(user, "/v1/offerings", body)
        assert response.status_code == 201, response.text
        offering_id = str(response.json()["id"])
        if publish:
            published = await self.post(user, f"/v1/offerings/{offering_id}/publish")
            assert published.status_code == 200, published.text
        return offering_id

    async def sql(self, statement: str, **params: object) -> list[Any]:
        async with self.runtime.engine.begin() as conn:
            result = await conn.execute(text(statement), params)
            return list(result.all()) if result.returns_rows else []

    async def counts(self) -> tuple[int, int, int]:
        """(offerings, history entries, outbox rows): to show that bad input changed nothing."""
        rows = await self.sql(
            "SELECT (SELECT count(*) FROM offerings), (SELECT count(*) FROM offering_changes), "
            "(SELECT count(*) FROM outbox)"
        )
        return tuple(rows[0])  # type: ignore[return-value]


@pytest.fixture(scope="session")
def nats_url(work_dir: Path) -> Iterator[str]:
    """The basket's tests get a nats-server of their own (overriding the plugin's for this folder):
    they publish on the BASKET stream, which other services' tests consume from the start, and
    they publish partners events that nobody else should see."""
    if os.environ.get("NATS_URL"):
        yield os.environ["NATS_URL"]
        return
    server = NatsServer(work_dir / "nats-basket").start()
    yield server.url
    server.stop()


def basket_settings(database_url: str, nats_url: str, issuer: RunningIssuer) -> BasketSettings:
    return BasketSettings(
        database_url=database_url,
        nats_url=nats_url,
        oidc_issuer=issuer.issuer_url,
        db_pool_size=5,
        # A durable of its own per test: each test's database starts empty.
        partners_consumer=f"basket-partners-{uuid.uuid4().hex[:8]}",
    )


async def start_basket(
    databases: Databases, nats_url: str, issuer: RunningIssuer, tokens: Tokens
) -> AsyncIterator[Basket]:
    settings = basket_settings(await databases.create("basket"), nats_url, issuer)
    app, runtime = bootstrap(settings)
    async with serve(app, runtime) as client:
        async for tap in open_tap(nats_url, "BASKET"):
            yield Basket(client, runtime, tap, tokens, nats_url)


@pytest.fixture
async def basket(
    databases: Databases, nats_url: str, issuer: RunningIssuer, tokens: Tokens
) -> AsyncIterator[Basket]:
    async for b in start_basket(databases, nats_url, issuer, tokens):
        yield b


@pytest.fixture(scope="module")
async def module_basket(
    databases: Databases, nats_url: str, issuer: RunningIssuer, tokens: Tokens
) -> AsyncIterator[Basket]:
    """One basket for a whole module, for read-only tests over the same data."""
    async for b in start_basket(databases, nats_url, issuer, tokens):
        yield b


@pytest.fixture(scope="session")
def hsds_dir() -> Path:
    assert HSDS_DIR.is_dir(), f"HSDS schemas not found at {HSDS_DIR}"
    return HSDS_DIR


@pytest.fixture(scope="session")
def new_offering() -> Any:
    """offering(institution_id, title=..., **fields): a valid request body to add an offering."""
    return offering
