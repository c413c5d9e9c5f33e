"""Schemathesis against each service's OpenAPI on the real stack (see conftest.py): one test per
service, each fuzzing every operation with each demo user whose roles may call it."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import asyncpg
import nats
import pytest
from fastapi import FastAPI

from shared import clock
from shared.contracts import CloudEvent
from shared.contracts import partners as pc

pytestmark = pytest.mark.timeout(600)

A = "1219053"
# The institution partner-a works for (the `institution` attribute in the realm file).
PARTNER_A = uuid.UUID("7a1c3e52-5d0b-4a53-9b1e-2f6d0c8a0001")


def _partners(settings: dict[str, Any]) -> FastAPI:
    from partners.bootstrap import bootstrap
    from partners.config import PartnersSettings

    return bootstrap(PartnersSettings(**settings))[0]


def _basket(settings: dict[str, Any]) -> FastAPI:
    from basket.bootstrap import bootstrap
    from basket.config import BasketSettings

    return bootstrap(BasketSettings(**settings))[0]


def _cases(settings: dict[str, Any]) -> FastAPI:
    from cases.bootstrap import bootstrap
    from cases.config import CasesSettings

    return bootstrap(CasesSettings(**settings))[0]


def _notifications(settings: dict[str, Any]) -> FastAPI:
    from notifications.bootstrap import bootstrap
    from notifications.config import NotificationsSettings

    return bootstrap(NotificationsSettings(**settings))[0]


def _evaluation(settings: dict[str, Any]) -> FastAPI:
    from evaluation.bootstrap import bootstrap
    from evaluation.config import EvaluationSettings

    return bootstrap(EvaluationSettings(**settings))[0]


async def _seed_basket(nats_url: str, database_url: str) -> None:
    """partner-a's institution as a declared partner of Wieliczka in the basket's read model, as
    partners would announce it: so offerings can be added and the 2xx paths are reached."""
    membership = uuid.uuid5(PARTNER_A, A)
    events = [
        CloudEvent.wrap(
            pc.InstitutionRegistered(
                institution_id=PARTNER_A,
                name="Szkoła Podstawowa nr 1",
                sector="education",
                tenants_served=[A],
            ),
            source=pc.SOURCE,
            tenant=A,
            subject=str(PARTNER_A),
        ),
        CloudEvent.wrap(
            pc.MembershipChanged(
                membership_id=membership,
                partnership_id=uuid.uuid5(uuid.NAMESPACE_URL, A),
                institution_id=PARTNER_A,
                sector="education",
                state="declared",
                effective_on=clock.today(),
            ),
            source=pc.SOURCE,
            tenant=A,
            subject=str(membership),
        ),
    ]
    nc = await nats.connect(nats_url)
    try:
        js = nc.jetstream()
        for event in events:
            await js.publish(
                event.type, event.model_dump_json().encode(), headers={"Nats-Msg-Id": str(event.id)}
            )
    finally:
        await nc.close()
    conn = await asyncpg.connect(database_url.replace("+asyncpg", ""))
    try:
        async with asyncio.timeout(20):
            while not await conn.fetchval(
                "SELECT count(*) FROM memberships WHERE institution_id = $1", PARTNER_A
            ):
                await asyncio.sleep(0.05)
    finally:
        await conn.close()


@dataclass
class Target:
    name: str
    app: Callable[[dict[str, Any]], FastAPI]
    users: list[str]
    seed: Callable[[str, str], Any] | None = None


TARGETS = [
    Target("partners", _partners, ["coord-a", "partner-a", "director-a", "admin"]),
    Target("basket", _basket, ["partner-a", "coord-a", "admin"], _seed_basket),
    Target("cases", _cases, ["manager-a", "partner-a", "coord-a"]),
    Target("notifications", _notifications, ["partner-a", "coord-a", "admin"]),
    Target("evaluation", _evaluation, ["director-a", "analyst", "coord-a", "admin"]),
]


@pytest.mark.parametrize("target", TARGETS, ids=[t.name for t in TARGETS])
async def test_service_answers_as_its_openapi_says(fuzz: Any, target: Target) -> None:
    stack = fuzz.stack
    database_url = await stack.databases.create(target.name)
    app = target.app(
        {
            "database_url": database_url,
            "nats_url": stack.nats_url,
            "oidc_issuer": stack.issuer.issuer_url,
        }
    )
    with fuzz.service(target.name, database_url) as running:
        if target.seed:
            await target.seed(stack.nats_url, database_url)
        summary = await asyncio.to_thread(fuzz.run, running, app, target.users)
        fuzz.report(summary, running)
