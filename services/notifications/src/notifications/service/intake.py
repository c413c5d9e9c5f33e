"""Taking in a platform event: keep the read models, decide which partner systems are entitled to
it (webhook deliveries to do, feed audience) and which people are told (in-app, e-mail).

Runs inside the consumer's transaction: every effect commits together with the inbox record, so a
redelivered event changes nothing, and the webhooks and e-mails are sent later by their workers
from the rows written here.
"""

from __future__ import annotations

import uuid

from notifications.domain.entitlement import entitled, withdrawn
from notifications.service.notices import email_text, rule_for
from notifications.service.ports import Person, Store
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
    if case_id is not None:
        if isinstance(data, c.FamilyConsented):
            await store.add_consent(event, data)
        scopes = await store.scopes(case_id)
        candidates = await store.candidates(case_id, event.tenant, named_institutions(data))
        if isinstance(data, c.ConsentWithdrawn):
            # The systems of the institutions losing access are told so, and nothing after.
            before = entitled(scopes, candidates, event.time)
            after_scopes = withdrawn(
                scopes, data.consent_id, data.institution_ids, list(data.sectors), event.time
            )
            await store.withdraw(
                data.consent_id, data.institution_ids, list(data.sectors), event.time
            )
            audience = before - entitled(after_scopes, candidates, event.time)
        else:
            audience = entitled(scopes, candidates, event.time)
    seq = await store.record_event(event, case_id, restricted_to)
    if seq is None:
        return
    if case_id is not None and audience is not None:
        await store.add_audience(seq, case_id, audience)
        if isinstance(data, c.ConsentWithdrawn):
            await store.revoke(case_id, audience, keep_seq=seq)
    await store.create_deliveries(seq, event, audience, restricted_to)
    await tell_people(store, event, data, audience, web_base_url)


async def tell_people(
    store: Store,
    event: CloudEvent,
    data: EventData,
    audience: set[uuid.UUID] | None,
    web_base_url: str,
) -> None:
    rule = rule_for(event.type, data)
    if rule is None:
        return
    if isinstance(data, c.ConsentWithdrawn):
        institutions = sorted(audience or set())
    else:
        institutions = rule.institutions(data)
        if audience is not None:  # partner staff hear of a case only within the consent
            institutions = [i for i in institutions if i in audience]
    people = await store.people(event.tenant, institutions, rule.coordinators)
    case_id = case_of(event, data)
    if case_id is not None and (rule.case_manager or rule.team):
        # Every team member hears of a withdrawal: those losing access are its audience, the
        # others keep theirs. Otherwise members hear only within the consent, as other staff.
        withdrawal = data if isinstance(data, c.ConsentWithdrawn) else None
        staff = await store.case_staff(
            case_id,
            manager=rule.case_manager,
            team=rule.team,
            institutions=audience if withdrawal is None else None,
            at=event.time if withdrawal is None else withdrawal.withdrawn_at,
        )
        people = merged(people, staff)
    link = rule.link(data)
    await notify(store, people, str(event.id), rule.kind, rule.title, link, web_base_url)


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
    subject, body = email_text(title, link, web_base_url)
    for person in people:
        if person.user_id and person.wants(kind, "in_app"):
            await store.add_notice(person.user_id, dedupe_key, kind, title, link)
        if person.email and person.wants(kind, "email") and not person.daily_digest:
            await store.queue_email(f"{dedupe_key}:{person.email}", person.email, subject, body)
