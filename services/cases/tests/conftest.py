"""Fixtures of the cases service tests: the service running in-process against real servers, the
read models fed by contract events published into NATS, and the scan for personal data in every
event the tests make the service publish."""

from __future__ import annotations

import asyncio
import base64
import json
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
import nats
import pytest
from fastapi import FastAPI
from sqlalchemy import text

from cases.adapters.crypto import new_key
from cases.bootstrap import bootstrap
from cases.config import CasesSettings
from cases.domain.pesel import with_check_digit
from shared.contracts import CloudEvent, EventData, event_type_registry
from shared.contracts.basket import CapacityChanged, ServicePublished, ServiceWithdrawn
from shared.contracts.partners import InstitutionRegistered
from shared.runtime import Runtime
from shared.testing.issuer import RunningIssuer
from shared.testing.plugin import Databases, EventTap, Tokens, open_tap, serve

A, B = "1219053", "1219043"
SCHOOL = uuid.UUID("7a1c3e52-5d0b-4a53-9b1e-2f6d0c8a0001")  # partner-a's institution
CLINIC = uuid.UUID("7a1c3e52-5d0b-4a53-9b1e-2f6d0c8a0002")  # health, serves A
NGO = uuid.UUID("7a1c3e52-5d0b-4a53-9b1e-2f6d0c8a0003")  # ngo, serves A

# Personal data the fixtures use; no event may ever carry any of it.
MOTHER = {"first_name": "Anastazja", "last_name": "Zmyślona-Testowa"}
CHILD = {"first_name": "Bartłomiej", "last_name": "Zmyślony"}
PESEL_MOTHER = with_check_digit("8503150123")
PESEL_CHILD = with_check_digit("1423050456")
ADDRESS = "ul. Nieistniejąca 13/7, 32-020 Wieliczka"
PHONE = "+48 600 700 812"
EMAIL = "anastazja.zmyslona@example.org"
DIAGNOSIS_TEXT = "Poufne: matka zgłasza epizody depresyjne, syn opuszcza zajęcia"
FREE_REASON = "Anastazja nie odbiera telefonu pod numerem 600 700 812"
PERSONAL = [
    *MOTHER.values(),
    *CHILD.values(),
    PESEL_MOTHER,
    PESEL_CHILD,
    ADDRESS,
    "Nieistniejąca",
    PHONE,
    "600 700 812",
    EMAIL,
    DIAGNOSIS_TEXT,
    "depresyjne",
    FREE_REASON,
]


def family() -> list[dict[str, Any]]:
    return [
        {**MOTHER, "year_of_birth": 1985, "relation": "matka", "phone": PHONE, "email": EMAIL,
         "address": ADDRESS, "pesel": PESEL_MOTHER},
        {**CHILD, "year_of_birth": 2014, "relation": "syn", "pesel": PESEL_CHILD},
    ]  # fmt: skip


def staff_claims(institution: uuid.UUID, username: str = "staff-x") -> dict[str, Any]:
    return {
        "preferred_username": username,
        "sub": str(uuid.uuid5(uuid.NAMESPACE_URL, username)),
        "realm_access": {"roles": ["partner-staff"]},
        "tenants": [A],
        "institution": str(institution),
    }


async def publish(url: str, events: list[CloudEvent], fresh_msg_id: bool = False) -> None:
    """Publish contract events as their producer's relay would (Nats-Msg-Id = event id); with
    `fresh_msg_id`, as a re-publish after JetStream's duplicate window."""
    nc = await nats.connect(url)
    js = nc.jetstream()
    for event in events:
        msg_id = f"{event.id}-{uuid.uuid4()}" if fresh_msg_id else str(event.id)
        await js.publish(
            event.type, event.model_dump_json().encode(), headers={"Nats-Msg-Id": msg_id}
        )
    await nc.close()


def institution_event(id: uuid.UUID, name: str, sector: str, tenants: list[str]) -> CloudEvent:
    data = InstitutionRegistered(
        institution_id=id, name=name, sector=sector, tenants_served=tenants
    )  # type: ignore[arg-type]
    return CloudEvent.wrap(data, source="/cus/partners", tenant=tenants[0], subject=str(id))


def offering_event(
    cls: type[EventData] = ServicePublished,
    *,
    service_id: uuid.UUID,
    institution: uuid.UUID = SCHOOL,
    sector: str = "education",
    status: str = "published",
    capacity: str = "available",
    tenants: list[str] | None = None,
    **extra: Any,
) -> CloudEvent:
    data = cls(
        service_id=service_id,
        institution_id=institution,
        provider_sector=sector,
        title=f"Zajęcia wyrównawcze {str(service_id)[:4]}",
        area="public_education",
        category="edukacja.wsparcie",
        status=status,
        tenants_served=tenants or [A],
        capacity_status=capacity,
        waiting_days=14 if capacity == "waitlist" else None,
        cost="free",
        referral_required=True,
        **extra,
    )
    return CloudEvent.wrap(data, source="/cus/basket", tenant=A, subject=str(service_id))


@dataclass
class Cases:
    client: httpx.AsyncClient
    runtime: Runtime
    tap: EventTap
    tokens: Tokens
    nats_url: str
    app: FastAPI
    forged: dict[str, str] = field(default_factory=dict)

    # Constants for the tests (test modules cannot import this conftest in importlib mode).
    A: ClassVar[str] = A
    B: ClassVar[str] = B
    SCHOOL: ClassVar[uuid.UUID] = SCHOOL
    CLINIC: ClassVar[uuid.UUID] = CLINIC
    NGO: ClassVar[uuid.UUID] = NGO
    PESEL_MOTHER: ClassVar[str] = PESEL_MOTHER
    DIAGNOSIS_TEXT: ClassVar[str] = DIAGNOSIS_TEXT
    FREE_REASON: ClassVar[str] = FREE_REASON
    PERSONAL: ClassVar[list[str]] = PERSONAL
    withdrawn_cls: ClassVar[type[EventData]] = ServiceWithdrawn
    capacity_cls: ClassVar[type[EventData]] = CapacityChanged
    offering_event = staticmethod(offering_event)
    institution_event = staticmethod(institution_event)

    @staticmethod
    def family() -> list[dict[str, Any]]:
        return family()

    @staticmethod
    def scan(bodies: list[bytes]) -> list[str]:
        return scan_for_personal_data(bodies)

    async def as_(self, user: str) -> dict[str, str]:
        if user in self.forged:
            return {"Authorization": f"Bearer {self.forged[user]}"}
        return await self.tokens.headers(user)

    def forge_staff(self, name: str, institution: uuid.UUID) -> str:
        self.forged[name] = self.tokens.forge(staff_claims(institution, name))
        return name

    def forge_user(self, name: str, role: str, tenant: str = A) -> str:
        """A signed token for a user the realm does not have (e.g. a second case manager of
        municipality A); returns the user's subject."""
        subject = str(uuid.uuid5(uuid.NAMESPACE_URL, name))
        self.forged[name] = self.tokens.forge(
            {"preferred_username": name, "sub": subject, "realm_access": {"roles": [role]},
             "tenants": [tenant]}
        )  # fmt: skip
        return subject

    async def subject_of(self, user: str) -> str:
        token = (await self.as_(user))["Authorization"].split()[1]
        payload = token.split(".")[1]
        claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return str(claims["sub"])

    async def request(
        self, method: str, user: str, url: str, headers: dict[str, str] | None = None, **kw: Any
    ) -> httpx.Response:
        all_headers = {**(await self.as_(user)), **(headers or {})}
        return await self.client.request(method, url, headers=all_headers, **kw)

    async def get(self, user: str, url: str, **params: Any) -> httpx.Response:
        return await self.request("GET", user, url, params=params)

    async def post(self, user: str, url: str, json: Any = None) -> httpx.Response:
        return await self.request("POST", user, url, json=json if json is not None else {})

    async def put(self, user: str, url: str, json: Any) -> httpx.Response:
        return await self.request("PUT", user, url, json=json)

    async def created(self, user: str, url: str, json: Any) -> str:
        response = await self.post(user, url, json)
        assert response.status_code == 201, response.text
        return str(response.json()["id"])

    # --- the world around a case ------------------------------------------------------------

    async def publish(self, *events: CloudEvent, fresh_msg_id: bool = False) -> None:
        await publish(self.nats_url, list(events), fresh_msg_id)

    async def wait_sql(self, sql: str, expected: Any, timeout: float = 10.0) -> None:
        async with asyncio.timeout(timeout):
            while True:
                async with self.runtime.engine.connect() as conn:
                    if (await conn.execute(text(sql))).scalar() == expected:
                        return
                await asyncio.sleep(0.03)

    async def institutions(self) -> None:
        await self.publish(
            institution_event(SCHOOL, "Szkoła Podstawowa nr 1 w Wieliczce", "education", [A]),
            institution_event(CLINIC, "Poradnia Zdrowia Psychicznego", "health", [A]),
            institution_event(NGO, "Stowarzyszenie Razem", "ngo", [A]),
        )
        await self.wait_sql(
            f"SELECT count(*) FROM institutions WHERE id IN ('{SCHOOL}', '{CLINIC}', '{NGO}')", 3
        )

    async def offering(self, **kw: Any) -> str:
        service_id = kw.pop("service_id", None) or uuid.uuid4()
        await self.publish(offering_event(service_id=service_id, **kw))
        status = kw.get("status", "published")
        await self.wait_sql(
            f"SELECT status FROM offerings WHERE service_id = '{service_id}'", status
        )
        return str(service_id)

    async def open_case(self, user: str = "manager-a") -> tuple[str, list[str]]:
        case_id = await self.created(user, "/v1/cases", {"family": family()})
        people = (await self.get(user, f"/v1/cases/{case_id}/family")).json()
        return case_id, [p["id"] for p in sorted(people, key=lambda p: p["year_of_birth"])]

    async def consent(
        self,
        case_id: str,
        giver: str,
        *,
        institutions: list[uuid.UUID] | None = None,
        sectors: list[str] | None = None,
        kinds: list[str] | None = None,
        **extra: Any,
    ) -> str:
        return await self.created(
            "manager-a",
            f"/v1/cases/{case_id}/consents",
            {
                "given_by_member_id": giver,
                "method": "paper",
                "scope": {
                    "institution_ids": [str(i) for i in (institutions or [])],
                    "sectors": sectors or [],
                    "data_kinds": kinds
                    or ["diagnosis", "plan", "referrals", "meetings", "contact"],
                },
                **extra,
            },
        )

    async def join(self, case_id: str, institution: uuid.UUID, user: str = "partner-a") -> str:
        member_id = await self.created(
            "manager-a", f"/v1/cases/{case_id}/team", {"institution_id": str(institution)}
        )
        response = await self.post(user, f"/v1/team-invitations/{member_id}/accept")
        assert response.status_code == 200, response.text
        return member_id

    async def team_case(self) -> tuple[str, list[str], str]:
        """A case whose family consented to everything for the school, with partner-a in the
        team; returns (case id, family member ids, consent id)."""
        await self.institutions()
        case_id, people = await self.open_case()
        consent_id = await self.consent(case_id, people[0], institutions=[SCHOOL])
        await self.join(case_id, SCHOOL)
        return case_id, people, consent_id

    async def access_count(self, case_id: str) -> int:
        async with self.runtime.engine.connect() as conn:
            return int(
                (
                    await conn.execute(
                        text("SELECT count(*) FROM access_log WHERE case_id = :c"), {"c": case_id}
                    )
                ).scalar_one()
            )

    async def outbox_bodies(self) -> list[bytes]:
        async with self.runtime.engine.connect() as conn:
            return [
                bytes(b) for b in (await conn.execute(text("SELECT body FROM outbox"))).scalars()
            ]

    async def outbox_types(self) -> list[str]:
        async with self.runtime.engine.connect() as conn:
            rows = await conn.execute(text("SELECT subject FROM outbox ORDER BY seq"))
            return list(rows.scalars())


def scan_for_personal_data(bodies: list[bytes]) -> list[str]:
    found = []
    for body in bodies:
        decoded = body.decode()
        found += [p for p in PERSONAL if p in decoded or p.lower() in decoded.lower()]
    return found


async def start_cases(
    databases: Databases, nats_url: str, issuer: RunningIssuer, tokens: Tokens
) -> AsyncIterator[Cases]:
    settings = CasesSettings(
        database_url=await databases.create("cases"),
        nats_url=nats_url,
        oidc_issuer=issuer.issuer_url,
        db_pool_size=5,
        cases_pesel_key=new_key(),  # type: ignore[arg-type]
        cases_pesel_hash_key=new_key(),  # type: ignore[arg-type]
        consent_sweep_interval_s=3600,  # the tests run the consent-expiry sweep themselves
    )
    app, runtime = bootstrap(settings)
    async with serve(app, runtime) as client:
        async for tap in open_tap(nats_url, "CASES"):
            cases = Cases(client, runtime, tap, tokens, nats_url, app)
            yield cases
            # Whatever the test did: the events its own actions made the service publish.
            bodies = await cases.outbox_bodies()
            leaked = scan_for_personal_data(bodies)
            assert not leaked, f"personal data in published events: {leaked}"
            registry = event_type_registry()
            undeclared = [
                t for t in (json.loads(b)["type"] for b in bodies)
                if t not in registry or not t.startswith("cases.")
            ]  # fmt: skip
            assert not undeclared, f"events that are no contract of cases: {undeclared}"


@pytest.fixture
async def cases(
    databases: Databases, nats_url: str, issuer: RunningIssuer, tokens: Tokens
) -> AsyncIterator[Cases]:
    async for c in start_cases(databases, nats_url, issuer, tokens):
        yield c
