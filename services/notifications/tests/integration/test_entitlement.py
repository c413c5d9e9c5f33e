"""The entitlement matrix: a partner system hears of a case only while its institution is within
the family's consent and the case is in one of its municipalities; after a withdrawal it is told
so, and nothing about the case afterwards. Checked on webhooks and on the pull feed."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from shared import clock
from shared.contracts import CloudEvent, EventData
from shared.contracts import cases as c
from shared.contracts.partners import InstitutionRegistered

A, B = "1219053", "1219043"
NOW = clock.now()


@pytest.fixture(autouse=True)
def _now_is_when_the_test_starts() -> None:
    """Facts are dated from the test's own start, not from when pytest imported the module
    (minutes earlier in the whole suite): "a minute ahead" must still be ahead."""
    global NOW
    NOW = clock.now()


def case_event(data: EventData, case_id: uuid.UUID, tenant: str = A) -> CloudEvent:
    return CloudEvent.wrap(data, source="/cus/cases", tenant=tenant, subject=str(case_id))


def referral(case_id: uuid.UUID, receiving: uuid.UUID) -> c.ReferralRequested:
    return c.ReferralRequested(
        referral_id=uuid.uuid4(), case_id=case_id, service_id=uuid.uuid4(),
        receiving_institution_id=receiving, receiving_sector="ngo", state="requested",
        previous_state="draft", at=NOW,
    )  # fmt: skip


async def test_case_events_reach_only_systems_within_consent_and_stop_after_withdrawal(
    service, receivers, eventually
) -> None:
    inside, outside, elsewhere = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    systems = {
        "inside": await service.system(inside),  # named in the consent, municipality A
        "outside": await service.system(outside),  # not named, municipality A
        "elsewhere": await service.system(elsewhere, [B]),  # named, but a system of B
    }
    hooks = {name: receivers() for name in systems}
    secrets = {
        name: (await service.endpoint(systems[name], hooks[name].url()))["secret"]
        for name in systems
    }
    case_id, consent_id = uuid.uuid4(), uuid.uuid4()
    consented = case_event(
        c.FamilyConsented(
            case_id=case_id, consent_id=consent_id, given_at=NOW, method="paper",
            institution_ids=[inside, elsewhere], sectors=[], data_kinds=["referrals"],
            valid_until=NOW + timedelta(days=90),
        ),
        case_id,
    )  # fmt: skip
    requested = case_event(referral(case_id, inside), case_id)
    withdrawal = case_event(
        c.ConsentWithdrawn(
            case_id=case_id, consent_id=consent_id, withdrawn_at=NOW,
            institution_ids=[inside], sectors=[],
        ),
        case_id,
    )  # fmt: skip
    after = case_event(referral(case_id, inside), case_id)
    await service.publish(consented, requested)
    await service.applied(2)
    await eventually(lambda: len(hooks["inside"].delivered()) == 2)
    feed = await service.client.get("/v1/feed", headers=systems["inside"])
    assert [e["id"] for e in feed.json()["items"]] == [str(consented.id), str(requested.id)]

    await service.publish(withdrawal, after)
    await service.applied(4)
    await eventually(lambda: len(hooks["inside"].delivered()) == 3)
    await service.settled()

    got = [e.type for e in hooks["inside"].verified(secrets["inside"])]
    assert got == ["cases.family.consented", "cases.referral.requested", "cases.consent.withdrawn"]
    assert hooks["outside"].hits == []
    assert hooks["elsewhere"].hits == []

    # The feed: after the withdrawal only the notice of it is left about this case.
    feeds = {
        name: (await service.client.get("/v1/feed", headers=headers)).json()
        for name, headers in systems.items()
    }
    assert [e["type"] for e in feeds["inside"]["items"]] == ["cases.consent.withdrawn"]
    assert feeds["outside"]["items"] == []
    assert feeds["elsewhere"]["items"] == []
    cursor = feeds["inside"]["next_cursor"]
    rest = await service.client.get(f"/v1/feed?after={cursor}", headers=systems["inside"])
    assert rest.json() == {"items": [], "next_cursor": cursor}


async def test_sector_consent_and_expiry(service, receivers, eventually) -> None:
    """A consent naming a whole sector covers the institutions of that sector serving the
    municipality; an expired consent covers nobody."""
    school = uuid.uuid4()
    system = await service.system(school)
    hook = receivers()
    await service.endpoint(system, hook.url())
    await service.publish(
        CloudEvent.wrap(
            InstitutionRegistered(
                institution_id=school, name="Szkoła Podstawowa nr 1", sector="education",
                tenants_served=[A],
            ),
            source="/cus/partners", tenant=A, subject=str(school),
        )
    )  # fmt: skip
    await service.applied(1)  # the partners stream is consumed apart from the cases stream
    live, expired = uuid.uuid4(), uuid.uuid4()
    for case_id, until in ((live, NOW + timedelta(days=30)), (expired, NOW - timedelta(days=1))):
        await service.publish(
            case_event(
                c.FamilyConsented(
                    case_id=case_id, consent_id=uuid.uuid4(), given_at=NOW - timedelta(days=60),
                    method="paper", institution_ids=[], sectors=["education"],
                    data_kinds=["referrals"], valid_until=until,
                ),
                case_id,
            )
        )  # fmt: skip
        await service.publish(case_event(referral(case_id, school), case_id))
    await service.applied(5)
    await eventually(lambda: len(hook.delivered()) == 3)
    await service.settled()
    cases = [
        (e["type"], e["subject"]) for e in [h.cloud_event().model_dump() for h in hook.delivered()]
    ]
    assert ("cases.referral.requested", str(live)) in cases
    assert all(subject != str(expired) for _, subject in cases)
