"""Fixtures of the partners service tests: the service running in-process against real servers."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from sqlalchemy import text

from partners.bootstrap import bootstrap
from partners.config import PartnersSettings
from shared.runtime import Runtime
from shared.testing.issuer import RunningIssuer
from shared.testing.plugin import Databases, EventTap, Tokens, open_tap, serve

A, B = "1219053", "1219043"


def institution(name: str, sector: str = "education", **extra: Any) -> dict[str, Any]:
    return {"name": name, "sector": sector, **extra}


@dataclass
class Partners:
    client: httpx.AsyncClient
    runtime: Runtime
    tap: EventTap
    tokens: Tokens

    async def as_(self, user: str) -> dict[str, str]:
        return await self.tokens.headers(user)

    async def post(self, user: str, url: str, json: object) -> httpx.Response:
        return await self.client.post(url, json=json, headers=await self.as_(user))

    async def get(self, user: str, url: str, **params: object) -> httpx.Response:
        return await self.client.get(url, params=params, headers=await self.as_(user))

    async def patch(self, user: str, url: str, json: object) -> httpx.Response:
        return await self.client.patch(url, json=json, headers=await self.as_(user))

    async def register(self, user: str, body: dict[str, Any]) -> str:
        response = await self.post(user, "/v1/institutions", body)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def partnership(self, user: str = "coord-a") -> tuple[str, str]:
        """A partnership led by the welfare centre; returns (partnership id, leader id)."""
        leader = await self.register(
            user, institution("Ośrodek Pomocy Społecznej", "social_assistance")
        )
        response = await self.post(
            user,
            "/v1/partnerships",
            {
                "name": "Partnerstwo na rzecz rodzin",
                "municipality_name": "Wieliczka",
                "leader_institution_id": leader,
                "formal_act_kind": "uchwała rady gminy",
                "formal_act_reference": "XII/1/2026",
            },
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"]), leader

    async def member(
        self,
        partnership: str,
        institution_id: str,
        state: str = "informal",
        user: str = "coord-a",
        **extra: Any,
    ) -> str:
        response = await self.post(
            user,
            "/v1/memberships",
            {
                "partnership_id": partnership,
                "institution_id": institution_id,
                "state": state,
                **extra,
            },
        )
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    async def outbox_count(self) -> int:
        async with self.runtime.engine.connect() as conn:
            return int((await conn.execute(text("SELECT count(*) FROM outbox"))).scalar_one())


async def start_partners(
    databases: Databases, nats_url: str, issuer: RunningIssuer, tokens: Tokens
) -> AsyncIterator[Partners]:
    settings = PartnersSettings(
        database_url=await databases.create("partners"),
        nats_url=nats_url,
        oidc_issuer=issuer.issuer_url,
        db_pool_size=5,
    )
    app, runtime = bootstrap(settings)
    async with serve(app, runtime) as client:
        async for tap in open_tap(nats_url, "PARTNERS"):
            yield Partners(client, runtime, tap, tokens)


@pytest.fixture
def new_institution() -> Any:
    return institution


@pytest.fixture
async def partners(
    databases: Databases, nats_url: str, issuer: RunningIssuer, tokens: Tokens
) -> AsyncIterator[Partners]:
    async for p in start_partners(databases, nats_url, issuer, tokens):
        yield p
