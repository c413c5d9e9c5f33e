"""Every committed change produces exactly one event; events survive a NATS outage."""

from __future__ import annotations

import asyncio
import uuid
from collections import Counter

import nats

from partners.bootstrap import bootstrap
from partners.config import PartnersSettings
from shared.contracts import CloudEvent
from shared.testing.plugin import serve


async def test_every_change_produces_exactly_one_event(partners, new_institution):
    p = partners
    partnership, leader = await p.partnership()
    school = await p.register("coord-a", new_institution("Szkoła Podstawowa nr 2"))
    await p.patch("coord-a", f"/v1/institutions/{school}", {"phone": "+48 12 222 22 22"})
    membership = await p.member(partnership, school, "invited")
    await p.post("coord-a", f"/v1/memberships/{membership}/transitions", {"state": "informal"})
    await p.post(
        "coord-a",
        f"/v1/memberships/{membership}/transitions",
        {"state": "declared", "declaration_reference": "OPS.4012.1.2026"},
    )
    response = await p.post(
        "coord-a",
        "/v1/meetings",
        {
            "partnership_id": partnership,
            "title": "Spotkanie partnerstwa",
            "starts_at": "2026-12-10T10:00:00+01:00",
            "place": "Urząd Miasta i Gminy",
        },
    )
    meeting = response.json()["id"]
    response = await p.post(
        "coord-a",
        f"/v1/meetings/{meeting}/held",
        {
            "attendance": [{"institution_id": leader}, {"institution_id": school}],
            "minutes": "Omówiono koszyk usług.",
            "decisions": ["Aktualizacja koszyka do 31 grudnia"],
        },
    )
    assert response.status_code == 200, response.text

    expected = Counter(
        {
            "partners.institution.registered": 2,
            "partners.institution.updated": 1,
            "partners.partnership.established": 1,
            "partners.membership.changed": 4,
            "partners.meeting.scheduled": 1,
            "partners.meeting.held": 1,
        }
    )
    # A marker after everything above: all that those changes published is in by the time it is.
    marker = await p.register("coord-a", new_institution("Znacznik końca testu"))
    events = await p.tap.through(lambda e: e.subject == marker)
    assert Counter(e.type for e in events) == expected
    assert len({e.id for e in events}) == len(events)
    changed = [e.payload() for e in events if e.type == "partners.membership.changed"]
    school_states = [
        (c.previous_state, c.state) for c in changed if str(c.institution_id) == school
    ]
    assert school_states == [(None, "invited"), ("invited", "informal"), ("informal", "declared")]
    for event, headers in p.tap.events[: len(events)]:
        assert event.tenant == "1219053"
        assert event.source == "/cus/partners"
        assert headers["Nats-Msg-Id"] == str(event.id)
        assert "traceparent" in headers


async def test_changes_commit_while_nats_is_down_and_events_arrive_later(
    databases, own_nats, issuer, tokens, new_institution
):
    settings = PartnersSettings(
        database_url=await databases.create("partners"),
        nats_url=own_nats.url,
        oidc_issuer=issuer.issuer_url,
    )
    app, runtime = bootstrap(settings)
    headers = await tokens.headers("coord-a")
    async with serve(app, runtime) as client:
        own_nats.stop()
        names = [f"Instytucja {i} {uuid.uuid4().hex[:4]}" for i in range(5)]
        for name in names:
            response = await client.post(
                "/v1/institutions", json=new_institution(name), headers=headers
            )
            assert response.status_code == 201, response.text
        listed = (await client.get("/v1/institutions", headers=headers)).json()
        assert listed["total"] == 5
        own_nats.start()
        # Read the whole stream from the start: every event exactly once, in commit order.
        nc = await nats.connect(own_nats.url)
        js = nc.jetstream()
        for _ in range(200):
            info = await js.stream_info("PARTNERS")
            if info.state.messages >= 5:
                break
            await asyncio.sleep(0.05)
        sub = await js.subscribe("partners.>", ordered_consumer=True)
        received = []
        for _ in range(5):
            msg = await sub.next_msg(timeout=5)
            received.append(msg)
        got = [CloudEvent.model_validate_json(m.data).payload().name for m in received]
        assert got == names
        # Nothing published twice: the next message after the five is a later marker.
        marker = f"Znacznik {uuid.uuid4().hex[:4]}"
        response = await client.post(
            "/v1/institutions", json=new_institution(marker), headers=headers
        )
        assert response.status_code == 201, response.text
        after = CloudEvent.model_validate_json((await sub.next_msg(timeout=10)).data)
        assert after.payload().name == marker
        assert (await js.stream_info("PARTNERS")).state.messages == 6
        await nc.close()
