"""Issue 13 §1: one consent decision on every channel. For each consent state and each kind of
data (plus the case itself, the team, a referral to another institution and the consent events),
what reaches a partner — its system by the feed and by webhook, its staff member in the inbox,
by e-mail and by the live unread count (SSE) — against the expected answers written out from the
consent rules (`shared.testing.consent_matrix`, whose API column the cases service's test
checks). Printed as a table (`pytest -s`); 0 mismatches."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import httpx
import uvicorn
from sqlalchemy import text

from shared import clock
from shared.contracts import CloudEvent, EventData
from shared.contracts import cases as c
from shared.contracts.partners import InstitutionRegistered
from shared.testing import consent_matrix as m
from shared.testing.servers import free_port

A = "1219053"
ALL_KINDS = list(m.KINDS)


@dataclass
class Partner:
    state: str
    case_id: uuid.UUID = field(default_factory=uuid.uuid4)
    institution: uuid.UUID = field(default_factory=uuid.uuid4)  # P
    clinic: uuid.UUID = field(default_factory=uuid.uuid4)  # H, a health institution
    welfare: uuid.UUID = field(default_factory=uuid.uuid4)  # the sending side
    staff: str = field(default_factory=lambda: str(uuid.uuid4()))  # S, staff of P
    manager: str = field(default_factory=lambda: str(uuid.uuid4()))
    rows: dict[str, list[uuid.UUID]] = field(default_factory=lambda: defaultdict(list))
    sse: dict[str, bool] = field(default_factory=dict)

    @property
    def email(self) -> str:
        return f"s-{self.staff[:8]}@partner.example.org"


def wrap(data: EventData, case_id: uuid.UUID, at: datetime | None = None) -> CloudEvent:
    return CloudEvent.wrap(data, source="/cus/cases", tenant=A, subject=str(case_id), time=at)


def referral(p: Partner, receiving: uuid.UUID, sector: str) -> c.ReferralRequested:
    return c.ReferralRequested(
        referral_id=uuid.uuid4(), case_id=p.case_id, service_id=uuid.uuid4(),
        sending_institution_id=p.welfare, receiving_institution_id=receiving,
        receiving_sector=sector, state="requested", previous_state="draft",
        at=clock.now(),
    )  # type: ignore[arg-type]  # fmt: skip


def setup(p: Partner, now: datetime) -> list[tuple[EventData, str | None, datetime | None]]:
    """The state's facts: (event data, the matrix row it stands for or None, its time)."""
    cid = p.case_id
    out: list[tuple[EventData, str | None, datetime | None]] = [
        (c.CaseOpened(case_id=cid, opened_at=now - timedelta(days=3), family_size=3,
                      case_manager_user_id=p.manager), None, None),
    ]  # fmt: skip

    def consent(
        institutions: list[uuid.UUID],
        sectors: list[str],
        kinds: list[str],
        given: datetime,
        until: datetime | None = None,
    ) -> c.FamilyConsented:
        return c.FamilyConsented(
            case_id=cid, consent_id=uuid.uuid4(), given_at=given, method="paper",
            institution_ids=institutions, sectors=sectors, data_kinds=kinds,  # type: ignore[arg-type]
            valid_until=until,
        )  # fmt: skip

    def joined(at: datetime) -> c.TeamMemberJoined:
        return c.TeamMemberJoined(case_id=cid, member_id=member, institution_id=p.institution,
                                  sector="education", joined_at=at, user_id=p.staff)  # fmt: skip

    member = uuid.uuid4()
    given = now - timedelta(minutes=5)
    both = [p.institution, p.clinic]
    s = p.state
    if s == "scope_excluding":
        out.append((consent([p.clinic], [], ALL_KINDS, given), "consent", None))
    elif s == "sector_scope":
        out.append((consent([p.clinic], ["education"], ALL_KINDS, given), "consent", None))
        out.append((joined(given), None, None))
    elif s == "kinds_subset":
        out.append((consent(both, [], ["plan", "meetings"], given), "consent", None))
        out.append((joined(given), None, None))
    elif s == "receiving_only":
        out.append((consent(both, [], ALL_KINDS, given), "consent", None))
    elif s == "full":
        out.append((consent(both, [], ALL_KINDS, given), "consent", None))
        out.append((joined(given), None, None))
    elif s == "expired":
        long_ago = now - timedelta(days=2)
        out.append(
            (consent(both, [], ALL_KINDS, long_ago, now - timedelta(hours=1)), "consent", long_ago)
        )
        out.append((joined(long_ago), None, long_ago))
    elif s == "withdrawn":
        gave = consent(both, [], ALL_KINDS, given)
        out.append((gave, "consent", None))
        out.append((joined(given), None, None))
        gone = now - timedelta(seconds=1)
        out.append(
            (c.ConsentWithdrawn(case_id=cid, consent_id=gave.consent_id, withdrawn_at=gone,
                                institution_ids=both, sectors=[]), "consent", gone)
        )  # fmt: skip
        out.append(
            (c.TeamMemberLeft(case_id=cid, member_id=member, institution_id=p.institution,
                              sector="education", left_at=gone), None, gone)
        )  # fmt: skip
    else:
        assert s == "none"
    return out


def probes(p: Partner, now: datetime) -> list[tuple[EventData, str]]:
    """One event per row, after the state's facts (the referral to P first: it makes P the
    receiving institution)."""
    cid = p.case_id
    return [
        (referral(p, p.institution, "education"), "referrals"),
        (c.CaseReassigned(case_id=cid, reassigned_at=now, case_manager_user_id=str(uuid.uuid4()),
                          previous_case_manager_user_id=p.manager, reason_code="absence",
                          by_relation="case_manager"), "case"),
        (c.PlanUpdated(case_id=cid, version=2, goal_count=3, action_count=4, actions_done=1,
                       responsible_institution_ids=[p.institution, p.clinic], updated_at=now),
         "plan"),
        (c.MeetingScheduled(case_id=cid, meeting_id=uuid.uuid4(), kind="meeting",
                            starts_at=now + timedelta(days=5), online=True,
                            institution_ids=[p.institution, p.clinic], family_participates=True),
         "meetings"),
        (referral(p, p.clinic, "health"), "referral_elsewhere"),
        (c.TeamMemberJoined(case_id=cid, member_id=uuid.uuid4(), institution_id=p.clinic,
                            sector="health", joined_at=now, user_id=str(uuid.uuid4())), "team"),
    ]  # fmt: skip


async def wait_applied(service: Any, event_id: uuid.UUID, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        async with service.built.runtime.engine.connect() as conn:
            found = (
                await conn.execute(
                    text("SELECT 1 FROM events WHERE event_id = :id"), {"id": event_id}
                )
            ).first()
        if found:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"event {event_id} not taken in")
        await asyncio.sleep(0.03)


async def sse_unread(port: int, headers: dict[str, str]) -> int:
    """The first count the live unread stream pushes."""
    async with (
        httpx.AsyncClient(timeout=10) as client,
        client.stream(
            "GET", f"http://127.0.0.1:{port}/v1/inbox/unread/stream", headers=headers
        ) as response,
    ):
        async for line in response.aiter_lines():
            if line.startswith("data:"):
                return int(json.loads(line[5:])["unread"])
    raise AssertionError("no count pushed")


async def test_one_consent_decision_on_every_channel(service, receivers, eventually) -> None:
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            service.built.app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"
        )
    )
    serving = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        partners = [Partner(state) for state in m.STATES]
        hooks, systems, people = {}, {}, {}
        for p in partners:
            systems[p.state] = await service.system(p.institution)
            hooks[p.state] = receivers()
            await service.endpoint(systems[p.state], hooks[p.state].url())
            people[p.state] = {
                "Authorization": "Bearer " + service.tokens.forge({
                    "sub": p.staff, "preferred_username": f"staff-{p.staff[:6]}",
                    "realm_access": {"roles": ["partner-staff"]}, "tenants": [A],
                    "institution": str(p.institution), "email": p.email,
                })
            }  # fmt: skip
            # Signing in once makes S known (institution, e-mail) to the service.
            assert (
                await service.client.get("/v1/inbox", headers=people[p.state])
            ).status_code == 200
            if p.state == "sector_scope":
                registered = CloudEvent.wrap(
                    InstitutionRegistered(institution_id=p.institution, name="Szkoła nr 7",
                                          sector="education", tenants_served=[A]),
                    source="/cus/partners", tenant=A, subject=str(p.institution),
                )  # fmt: skip
                await service.publish(registered)
                await wait_applied(service, registered.id)

        async def step(p: Partner, data: EventData, row: str | None, at: datetime | None) -> None:
            headers = people[p.state]
            if row is not None:  # what this event alone adds to the live unread count
                await service.client.post("/v1/inbox/read-all", headers=headers)
            event = wrap(data, p.case_id, at)
            await service.publish(event)
            await wait_applied(service, event.id)
            if row is not None:
                p.rows[row].append(event.id)
                p.sse[row] = p.sse.get(row, False) or await sse_unread(port, headers) > 0

        now = clock.now()
        for p in partners:
            for data, row, at in setup(p, now):
                await step(p, data, row, at)
            for data, row in probes(p, now):
                await step(p, data, row, None)

        async def settled() -> bool:
            async with service.built.runtime.engine.connect() as conn:
                pending = await conn.execute(
                    text("SELECT count(*) FROM deliveries WHERE status = 'pending'")
                )
                return pending.scalar_one() == 0

        deadline = time.monotonic() + 20
        while not await settled():
            assert time.monotonic() < deadline, "webhook deliveries still pending"
            await asyncio.sleep(0.05)

        observed: dict[tuple[str, str, str], bool | None] = {}
        leaks: list[str] = []
        for p in partners:
            of_row = {eid: row for row, ids in p.rows.items() for eid in ids}
            feed = (
                await service.client.get("/v1/feed?limit=500", headers=systems[p.state])
            ).json()["items"]
            hooked = [h.cloud_event() for h in hooks[p.state].delivered()]
            async with service.built.runtime.engine.connect() as conn:
                keys = dict(
                    (
                        await conn.execute(
                            text("SELECT id, dedupe_key FROM notices WHERE user_id = :u"),
                            {"u": p.staff},
                        )
                    ).all()
                )
                mails = (
                    (
                        await conn.execute(
                            text("SELECT dedupe_key FROM emails WHERE recipient = :to"),
                            {"to": p.email},
                        )
                    )
                    .scalars()
                    .all()
                )
            inbox = (
                await service.client.get("/v1/inbox?per_page=100", headers=people[p.state])
            ).json()["items"]
            reached: dict[str, set[str]] = {
                "feed": {of_row[uuid.UUID(e["id"])] for e in feed if uuid.UUID(e["id"]) in of_row},
                "webhook": {of_row[e.id] for e in hooked if e.id in of_row},
                "inbox": {
                    of_row[uuid.UUID(keys[n["id"]])]
                    for n in inbox
                    if uuid.UUID(keys[n["id"]]) in of_row
                },
                "e-mail": {
                    of_row[uuid.UUID(k.split(":", 1)[0])]
                    for k in mails
                    if uuid.UUID(k.split(":", 1)[0]) in of_row
                },
                "SSE": {row for row, seen in p.sse.items() if seen},
            }
            for channel, rows in reached.items():
                for row in m.ROWS:
                    observed[(channel, p.state, row)] = row in rows
            # A consent event tells the partner only what concerns it.
            for body in [*feed, *(e.model_dump(mode="json") for e in hooked)]:
                if body["type"] in (c.FamilyConsented.event_type, c.ConsentWithdrawn.event_type):
                    named = {uuid.UUID(i) for i in body["data"]["institution_ids"]}
                    if not named <= {p.institution} or set(body["data"]["sectors"]) - {"education"}:
                        leaks.append(f"{p.state}: {body['type']} names {body['data']}")
            # Nothing else of the case beyond the matrix rows: every case event that reached P
            # is one of the rows (or P's own membership).
        shown, checked, mismatches = m.table(
            observed, tuple(ch for ch in m.CHANNELS if ch != m.API_CHANNEL)
        )
        print(f"\nConsent matrix, notifications channels (8 states × {len(m.ROWS)} rows):{shown}")
        assert leaks == []
        assert checked > 0
        assert mismatches == 0
    finally:
        server.should_exit = True
        await serving


async def test_the_decision_is_taken_again_at_each_webhook_attempt(service, receivers) -> None:
    """A delivery queued while the consent was in force and attempted after its withdrawal (a
    retry, a replayed dead letter) is not sent: the attempt asks the consent decision again."""
    p = Partner("full")
    system = await service.system(p.institution)
    hook = receivers()
    hook.status = 503
    endpoint = await service.endpoint(system, hook.url())
    now = clock.now()
    facts = setup(p, now)
    consented = facts[1][0]
    assert isinstance(consented, c.FamilyConsented)
    plan = c.PlanUpdated(
        case_id=p.case_id, version=1, goal_count=1, action_count=1, actions_done=0,
        responsible_institution_ids=[p.institution], updated_at=now,
    )  # fmt: skip
    events = [wrap(data, p.case_id, at) for data, _, at in facts] + [wrap(plan, p.case_id)]
    await service.publish(*events)
    for e in events:
        await wait_applied(service, e.id)

    async def status_of(event_id: uuid.UUID) -> str | None:
        async with service.built.runtime.engine.connect() as conn:
            return (
                await conn.execute(
                    text("SELECT status FROM deliveries WHERE event_id = :e"), {"e": event_id}
                )
            ).scalar()

    deadline = time.monotonic() + 20
    while await status_of(events[-1].id) != "dead":  # every retry refused by the receiver
        assert time.monotonic() < deadline, "the plan's delivery did not give up"
        await asyncio.sleep(0.05)
    assert hook.delivered() == []
    assert [h.event_id for h in hook.hits if h.event_id == str(events[-1].id)]  # it was tried

    hook.status = 200
    gone = wrap(
        c.ConsentWithdrawn(case_id=p.case_id, consent_id=consented.consent_id,
                           withdrawn_at=clock.now(), institution_ids=[p.institution],
                           sectors=[]),
        p.case_id,
    )  # fmt: skip
    await service.publish(gone)
    await wait_applied(service, gone.id)
    replay = await service.client.post(
        f"/v1/dead-letters/replay?endpoint_id={endpoint['id']}", headers=system
    )
    assert replay.status_code == 200, replay.text
    deadline = time.monotonic() + 20
    while await status_of(events[-1].id) == "pending" or not any(
        h.event_id == str(gone.id) for h in hook.delivered()
    ):
        assert time.monotonic() < deadline, "replay and withdrawal not settled"
        await asyncio.sleep(0.05)
    assert await status_of(events[-1].id) == "cancelled"
    assert str(events[-1].id) not in {h.event_id for h in hook.delivered()}
    # The feed, read now, holds nothing of the case but the withdrawal.
    feed = (await service.client.get("/v1/feed", headers=system)).json()["items"]
    assert [e["type"] for e in feed if e["subject"] == str(p.case_id)] == [
        c.ConsentWithdrawn.event_type
    ]
