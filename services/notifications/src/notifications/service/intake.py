"""Taking in a platform event: keep the read models, decide which partner systems are entitled to
it (webhook deliveries to do, feed audience) and which people are told (in-app, e-mail).

Runs inside the consumer's transaction: every effect commits together with the inbox record, so a
redelivered event changes nothing, and the webhooks and e-mails are sent later by their workers
from the rows written here.
"""

from __future__ import annotations

import uuid
from datetime import datetime

from notifications.domain import entitlement
from notifications.domain.entitlement import CaseFacts
from notifications.service.notices import email_text, rule_for
from notifications.service.ports import NoticeTarget, Person, Store
from shared import clock
from shared.contracts import CloudEvent, EventData
from shared.contracts import cases as c
from shared.contracts import partners as p


def case_of(event: CloudEvent, data: EventData) -> uuid.UUID | None:
    if not event.type.startswith("cases."):
        return None
    case_id = getattr(data, "case_id", None)
    return case_id if isinstance(case_id, uuid.UUID) else None


def named_institutions(data: EventData) -> list[uuid.UUID]:
    """Institutions an event names: candidates for entitlement besides the known ones."""
    out: list[uuid.UUID] = []
    for name in (
        "institution_id",
        "receiving_institution_id",
        "sending_institution_id",
        "institution_ids",
        "responsible_institution_ids",
    ):
        value = getattr(data, name, None)
        if isinstance(value, uuid.UUID):
            out.append(value)
        elif isinstance(value, list):
            out.extend(v for v in value if isinstance(v, uuid.UUID))
    return out


async def take_in(store: Store, event: CloudEvent, data: EventData, web_base_url: str) -> None:
    await store.update_read_models(event, data)
    case_id = case_of(event, data)
    restricted_to = data.institution_id if isinstance(data, p.ContactPersonChanged) else None
    audience: set[uuid.UUID] | None = None
    facts: CaseFacts | None = None
    # The consent decision runs at the fact's time, or now if that is later (an event taken in
    # late must not reach anyone a consent expired for meanwhile).
    at = max(event.time, clock.now())
    if case_id is not None:
        if isinstance(data, c.FamilyConsented):
            await store.add_consent(event, data)
        elif isinstance(data, c.ConsentWithdrawn):
            await store.withdraw(
                data.consent_id, data.institution_ids, list(data.sectors), data.withdrawn_at
            )
        facts = await store.case_facts(case_id)
        candidates = await store.candidates(case_id, event.tenant, named_institutions(data))
        audience = entitlement.audience(event.type, data, facts, candidates, at)
    seq = await store.record_event(event, case_id, restricted_to)
    if seq is None:
        return
    if case_id is not None and audience is not None:
        await store.add_audience(seq, case_id, audience)
    await store.create_deliveries(seq, event, audience, restricted_to)
    await tell_people(store, event, data, facts, audience, at, web_base_url)


async def tell_people(
    store: Store,
    event: CloudEvent,
    data: EventData,
    facts: CaseFacts | None,
    audience: set[uuid.UUID] | None,
    at: datetime,
    web_base_url: str,
) -> None:
    rule = rule_for(event.type, data)
    if rule is None:
        return
    link = rule.link(data)
    if facts is None:  # not about a case
        people = await store.people(event.tenant, rule.institutions(data), rule.coordinators)
        await notify(store, people, str(event.id), rule.kind, rule.title, link, web_base_url)
        return
    # About a case: only people who may open what the notice points at (the cases API's
    # decision); never the municipality's coordinators, who see no case.
    if isinstance(data, c.FamilyConsented | c.ConsentWithdrawn):
        institutions = sorted(audience or set())  # those the consent concerns
    else:
        institutions = rule.institutions(data)
    people = await store.people(event.tenant, institutions, coordinators=False)
    if isinstance(data, c.TeamMemberLeft):
        # Only the specialist whose membership ended (ADR 0037), known by the subject they
        # joined with.
        member = await store.member_user_id(data.member_id)
        people = [
            p
            for p in await store.case_staff(
                facts.case_id,
                manager=False,
                team=True,
                institutions={data.institution_id},
                at=data.left_at,
            )
            if member is not None and p.user_id == member
        ]
    if rule.case_manager or rule.team:
        # Members as of the withdrawal's own time (ADR 0034): the cases service lets them go at
        # that very time, and their departure may be taken in first.
        members_at = data.withdrawn_at if isinstance(data, c.ConsentWithdrawn) else at
        staff = await store.case_staff(
            facts.case_id,
            manager=rule.case_manager,
            team=rule.team,
            institutions=None,
            at=members_at,
        )
        people = merged(staff, people)
    target = notice_target(event.type, data, facts.case_id)
    told: list[tuple[Person, str | None]] = []
    for person in people:
        if person.manager:
            told.append((person, link))
            continue
        if person.institution_id is None or entitlement.PARTNER_STAFF not in person.roles:
            continue
        if (
            entitlement.reaches(
                event.type,
                data,
                facts,
                person.institution_id,
                person.sector,
                at,
                person=person.user_id or "",
            )
            is None
        ):
            continue
        if ends_their_share(data):
            # Told that their share (the referral, their membership) ended with the consent, with
            # nothing to open: the cases service decided they may open it no more (ADR 0037),
            # whatever this read model still holds. Taken in before the withdrawal that caused it
            # (a redelivery), the event would otherwise seem to leave them access, get a link,
            # and vanish from their inbox once the withdrawal is taken in.
            told.append((person, None))
        elif may_open(facts, person, target, at):
            told.append((person, link))
        elif isinstance(data, c.ConsentWithdrawn):
            # Told of the withdrawal with nothing to open when it took their access.
            told.append((person, None))
    await notify_each(store, told, str(event.id), rule.kind, rule.title, target, web_base_url)


def ends_their_share(data: EventData) -> bool:
    """An event by which the consent's end took a partner's share of the case (ADR 0037): a
    referral ended in `withdrawn-consent`, a member who left because no consent covers them."""
    return isinstance(data, c.ReferralWithdrawnConsent) or (
        isinstance(data, c.TeamMemberLeft) and data.reason_code == entitlement.CONSENT_ENDED
    )


def notice_target(event_type: str, data: EventData, case_id: uuid.UUID) -> NoticeTarget:
    referral_id = data.referral_id if isinstance(data, c.ReferralEvent) else None
    return NoticeTarget(case_id, entitlement.EVENT_KINDS.get(event_type), referral_id)


def may_open(facts: CaseFacts, person: Person, target: NoticeTarget, at: datetime) -> bool:
    if person.manager:
        return True
    return entitlement.opens(
        facts,
        user_id=person.user_id or "",
        roles=person.roles,
        tenants=person.tenants,
        institution_id=person.institution_id,
        sector=person.sector,
        kind=target.data_kind,
        referral_id=target.referral_id,
        at=at,
    )


def merged(people: list[Person], more: list[Person]) -> list[Person]:
    """Both lists, each signed-in user once (the first entry wins; it has the e-mail if any)."""
    users = {p.user_id for p in people if p.user_id}
    return people + [p for p in more if not p.user_id or p.user_id not in users]


async def notify(
    store: Store,
    people: list[Person],
    dedupe_key: str,
    kind: str,
    title: str,
    link: str | None,
    web_base_url: str,
) -> None:
    await notify_each(
        store, [(p, link) for p in people], dedupe_key, kind, title, None, web_base_url
    )


async def notify_each(
    store: Store,
    told: list[tuple[Person, str | None]],
    dedupe_key: str,
    kind: str,
    title: str,
    target: NoticeTarget | None,
    web_base_url: str,
) -> None:
    """In the app and by e-mail, as each person's preferences say; a notice without a link
    points at nothing (no target to check when it is read)."""
    for person, link in told:
        subject, body = email_text(title, link, web_base_url)
        if person.user_id and person.wants(kind, "in_app"):
            await store.add_notice(
                person.user_id, dedupe_key, kind, title, link, target if link else None
            )
        if person.email and person.wants(kind, "email") and not person.daily_digest:
            await store.queue_email(f"{dedupe_key}:{person.email}", person.email, subject, body)
