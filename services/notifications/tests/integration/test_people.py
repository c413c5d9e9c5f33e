"""People: the staff and contact persons of the receiving institution and the coordinators of the
municipality are told, in the app (inbox, live unread count) and by e-mail in Polish, as their
preferences say."""

from __future__ import annotations

import asyncio
import json
import uuid
from datetime import timedelta

import httpx
import pytest
import uvicorn

from shared import clock
from shared.contracts import CloudEvent, EventData
from shared.contracts import cases as c
from shared.contracts.partners import ContactPersonChanged, CoordinatorsChanged
from shared.testing.servers import free_port

A = "1219053"
DEMO_INSTITUTION = uuid.UUID("7a1c3e52-5d0b-4a53-9b1e-2f6d0c8a0001")
NOW = clock.now()


@pytest.fixture(autouse=True)
def _now_is_when_the_test_starts() -> None:
    """Facts are dated from the test's own start, not from when pytest imported the module
    (minutes earlier in the whole suite): "a minute ahead" must still be ahead."""
    global NOW
    NOW = clock.now()


def wrap(data: EventData, subject: object) -> CloudEvent:
    source = "/cus/partners" if data.event_type.startswith("partners") else "/cus/cases"
    return CloudEvent.wrap(data, source=source, tenant=A, subject=str(subject))


def consented(case_id: uuid.UUID) -> CloudEvent:
    return wrap(
        c.FamilyConsented(
            case_id=case_id, consent_id=uuid.uuid4(), given_at=NOW, method="paper",
            institution_ids=[DEMO_INSTITUTION], sectors=[], data_kinds=["referrals"],
            valid_until=NOW + timedelta(days=90),
        ),
        case_id,
    )  # fmt: skip


def understaffed() -> CloudEvent:
    pship = uuid.uuid4()
    return wrap(
        CoordinatorsChanged(partnership_id=pship, coordinator_count=1, understaffed=True), pship
    )


def requested(case_id: uuid.UUID) -> CloudEvent:
    data = c.ReferralRequested(
        referral_id=uuid.uuid4(), case_id=case_id, service_id=uuid.uuid4(),
        receiving_institution_id=DEMO_INSTITUTION, receiving_sector="ngo", state="requested",
        previous_state="draft", at=NOW,
    )  # fmt: skip
    return wrap(data, data.referral_id)


async def test_referral_reaches_staff_contacts_and_coordinators(service, smtp, eventually) -> None:
    _, mailbox = smtp
    people = {name: await service.user(name) for name in ("partner-a", "coord-a", "coord-b")}
    for headers in people.values():  # signing in once makes a person known to the service
        assert (await service.client.get("/v1/inbox", headers=headers)).json()["unread"] == 0
    contact = f"kontakt-{uuid.uuid4().hex[:6]}@fundacja.example.org"
    await service.publish(
        wrap(
            ContactPersonChanged(
                contact_person_id=uuid.uuid4(), institution_id=DEMO_INSTITUTION,
                name="Anna Kontaktowa", email=contact, active=True,
            ),
            DEMO_INSTITUTION,
        )
    )  # fmt: skip
    await service.applied(1)
    case_id = uuid.uuid4()
    referral = requested(case_id)
    await service.publish(consented(case_id), referral)
    await service.applied(3)

    inbox = (await service.client.get("/v1/inbox", headers=people["partner-a"])).json()
    assert inbox["unread"] == 1
    [notice] = inbox["items"]
    assert notice["title"] == "Nowe skierowanie czeka na odpowiedź"
    assert notice["link"] == f"/sprawy/{case_id}/skierowania/{referral.data['referral_id']}"
    # Coordinators see no case (the cases API gives them 404): no notice about one (ADR 0036).
    coordinator = (await service.client.get("/v1/inbox", headers=people["coord-a"])).json()
    assert coordinator["items"] == []
    assert (await service.client.get("/v1/inbox", headers=people["coord-b"])).json()["unread"] == 0

    def mail_to(address: str) -> list:
        return [m for m in mailbox.messages if m["To"] == address]

    await eventually(lambda: mail_to(contact) and mail_to("partner-a@example.org"))
    message = mail_to(contact)[0]
    assert message["Subject"] == "[CUS] Nowe skierowanie czeka na odpowiedź"
    body = message.get_content()
    assert "Dzień dobry" in body
    assert f"/sprawy/{case_id}/skierowania/" in body
    assert "Anna" not in body

    read = await service.client.post(f"/v1/inbox/{notice['id']}/read", headers=people["partner-a"])
    assert read.json()["read_at"] is not None
    unread = await service.client.get("/v1/inbox/unread", headers=people["partner-a"])
    assert unread.json() == {"unread": 0}

    # the same event again: no second notice, no second e-mail
    await service.publish(referral, fresh_msg_id=True)
    await eventually(lambda: sum(s.duplicates for s in service.built.stats.values()) == 1)
    await service.settled()
    assert len(mail_to(contact)) == 1
    assert (await service.client.get("/v1/inbox", headers=people["partner-a"])).json()[
        "unread"
    ] == 0


async def test_preferences_turn_off_e_mail_and_choose_a_digest(service, smtp) -> None:
    _, mailbox = smtp
    me = await service.user("coord-a")
    prefs = (await service.client.get("/v1/preferences", headers=me)).json()
    assert prefs["email"] == "coord-a@example.org"
    assert {"kind": "referral", "channel": "email", "enabled": True} in prefs["channels"]
    changed = await service.client.put(
        "/v1/preferences",
        json={"channels": [{"kind": "partnership", "channel": "email", "enabled": False}]},
        headers=me,
    )
    assert {"kind": "partnership", "channel": "email", "enabled": False} in changed.json()[
        "channels"
    ]
    bad = await service.client.put(
        "/v1/preferences", json={"channels": [{"kind": "gossip", "channel": "email"}]}, headers=me
    )
    assert bad.status_code == 422
    assert {e["field"] for e in bad.json()["errors"]} == {"channels.0.kind", "channels.0.enabled"}

    before = len([m for m in mailbox.messages if m["To"] == "coord-a@example.org"])
    await service.publish(understaffed())
    await service.applied(1)
    inbox = (await service.client.get("/v1/inbox", headers=me)).json()
    assert [n["kind"] for n in inbox["items"]] == ["partnership"]  # in the app, still
    await service.settled()
    assert len([m for m in mailbox.messages if m["To"] == "coord-a@example.org"]) == before


async def test_live_unread_count_over_server_sent_events(service) -> None:
    me = await service.user("partner-a")
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(
            service.built.app, host="127.0.0.1", port=port, lifespan="off", log_level="warning"
        )
    )
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            await asyncio.sleep(0.02)
        counts: list[int] = []
        async with (
            httpx.AsyncClient(timeout=10) as client,
            client.stream(
                "GET", f"http://127.0.0.1:{port}/v1/inbox/unread/stream", headers=me
            ) as response,
        ):
            assert response.headers["content-type"].startswith("text/event-stream")
            async for line in response.aiter_lines():
                if line.startswith("data:"):
                    counts.append(json.loads(line[5:])["unread"])
                    if len(counts) == 1:
                        case_id = uuid.uuid4()
                        await service.publish(consented(case_id), requested(case_id))
                    else:
                        break
        assert counts == [0, 1]
    finally:
        server.should_exit = True
        await task
