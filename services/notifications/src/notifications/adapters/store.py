"""The storage side of taking in an event (the `Store` port): read models, the event journal and
its audience, webhook deliveries to do, in-app notices and e-mails to send."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from notifications.adapters import facts, orm
from notifications.domain.entitlement import CaseFacts, Scope
from notifications.service.ports import NoticeTarget, Person
from shared import clock
from shared.contracts import CloudEvent, EventData
from shared.contracts import basket as b
from shared.contracts import cases as c
from shared.contracts import partners as p
from shared.messaging.readmodel import newer_update, newer_upsert

_UPSERT_CASE = text(
    "INSERT INTO cases (case_id, tenant) VALUES (:id, :tenant) ON CONFLICT (case_id) DO NOTHING"
)
_CASE_MANAGER = text(
    "UPDATE cases SET manager_user_id = :user, manager_since = :at WHERE case_id = :id "
    "AND (manager_since IS NULL OR manager_since < :at)"
)
_MEMBER_JOINED = text(
    "INSERT INTO case_team (member_id, case_id, institution_id, user_id) "
    "VALUES (:member, :case, :inst, :user) ON CONFLICT (member_id) DO UPDATE "
    "SET user_id = coalesce(EXCLUDED.user_id, case_team.user_id)"
)
# Leaving is final and its time only moves earlier (a duplicate or a late older `left` leaves
# the earliest): the team a consent decision sees is the same in any order (ADR 0083, 0034).
_MEMBER_LEFT = text(
    "INSERT INTO case_team (member_id, case_id, institution_id, left_at) "
    "VALUES (:member, :case, :inst, :at) ON CONFLICT (member_id) DO UPDATE "
    "SET left_at = least(case_team.left_at, :at)"
)
# The staff of one case to tell: its manager and/or its team members at the time of the fact
# (a member leaving because of a withdrawal leaves at its very time, and still hears of it) —
# those of the institutions given, unless every member is meant. An e-mail only where the person
# is known: from their token (users) or as a partner's contact person; otherwise the inbox only.
_CASE_STAFF = text(
    """
    WITH staff AS (
        SELECT manager_user_id AS user_id, NULL::uuid AS institution_id, true AS manager
        FROM cases WHERE case_id = :case AND :manager AND manager_user_id IS NOT NULL
        UNION
        SELECT user_id, institution_id, false FROM case_team
        WHERE case_id = :case AND :team AND user_id IS NOT NULL
          AND (left_at IS NULL OR left_at >= :at)
          AND (:all_members OR institution_id = ANY(:insts))
    )
    SELECT s.user_id, coalesce(u.email, cp.email), coalesce(u.daily_digest, false),
           coalesce(u.institution_id, s.institution_id),
           coalesce(u.roles, CASE WHEN s.manager THEN ARRAY['case-manager']
                                  ELSE ARRAY['partner-staff'] END),
           coalesce(u.tenants, ARRAY[c.tenant]), s.manager
    FROM staff s LEFT JOIN users u ON u.user_id = s.user_id
    LEFT JOIN cases c ON c.case_id = :case
    LEFT JOIN LATERAL (
        SELECT email FROM contact_persons
        WHERE user_id = s.user_id AND active AND email IS NOT NULL LIMIT 1) cp ON true
    ORDER BY s.manager DESC, s.user_id
    """
)
# A referral's state is as of its latest event (an older one arriving late does not bring back
# an earlier state); the request time and the sender, once known, are kept whatever the order.
_REFERRAL_KNOWN = text(
    "UPDATE referrals SET requested_at = coalesce(:req, requested_at), "
    "sending_institution_id = coalesce(:sender, sending_institution_id) WHERE referral_id = :id"
)
# The last verification only moves forward, whatever the order of snapshots and verifications.
_OFFERING_VERIFIED = text(
    "UPDATE offerings SET last_verified_on = greatest(last_verified_on, :on) WHERE service_id = :id"
)
# A withdrawal is final: each scope of the consent is withdrawn at the earliest withdrawal taken
# in that covers it (naming no institution and no sector: everything), whatever the order the
# consent and its withdrawals arrived in (ADR 0036, 0083).
_APPLY_WITHDRAWALS = text(
    """
    UPDATE consent_scopes s SET withdrawn_at = least(s.withdrawn_at, (
        SELECT min(w.withdrawn_at) FROM consent_withdrawals w
        WHERE w.consent_id = s.consent_id
          AND ((cardinality(w.institution_ids) = 0 AND cardinality(w.sectors) = 0)
               OR s.institution_id = ANY(w.institution_ids) OR s.sector = ANY(w.sectors))))
    WHERE s.consent_id = :consent
    """
)
_UPSERT_PARTNERSHIP = text(
    "INSERT INTO partnerships (partnership_id, tenant) VALUES (:id, :tenant) "
    "ON CONFLICT (partnership_id) DO UPDATE SET tenant = coalesce(partnerships.tenant, :tenant)"
)


class SqlStore:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # What the event left for the workers: the consumer wakes only those with work.
        self.deliveries_created = 0
        self.emails_queued = 0

    async def _run(self, sql: str, **params: object) -> None:
        await self.session.execute(text(sql), params)

    async def update_read_models(self, event: CloudEvent, data: EventData) -> None:
        s, tenant = self.session, event.tenant
        # Institutions, contact persons, offerings, meetings, referrals: each row as of its latest
        # event (ADR 0083); an older one arriving late is refused.
        if isinstance(data, p.InstitutionRegistered | p.InstitutionUpdated):
            await s.execute(
                newer_upsert(
                    orm.institutions,
                    {"id": data.institution_id},
                    {"name": data.name, "sector": data.sector, "tenants": data.tenants_served},
                    event.time,
                    version="event_time",
                )
            )
        elif isinstance(data, p.ContactPersonChanged):
            await s.execute(
                newer_upsert(
                    orm.contact_persons,
                    {"id": data.contact_person_id},
                    {
                        "institution_id": data.institution_id,
                        "user_id": data.user_id,
                        "name": data.name,
                        "email": data.email,
                        "active": data.active,
                    },
                    event.time,
                    version="event_time",
                )
            )
        elif isinstance(data, p.PartnershipEstablished | p.PartnershipUpdated):
            await s.execute(_UPSERT_PARTNERSHIP, {"id": data.partnership_id, "tenant": tenant})
        elif isinstance(data, p.CoordinatorsChanged):
            await s.execute(_UPSERT_PARTNERSHIP, {"id": data.partnership_id, "tenant": tenant})
            await self._run(
                "UPDATE partnerships SET coordinator_count = :n, single_since = CASE WHEN :n = 1 "
                "THEN coalesce(single_since, CAST(:on AS date)) END WHERE partnership_id = :id",
                n=data.coordinator_count,
                on=event.time.date(),
                id=data.partnership_id,
            )
        elif isinstance(data, p.MeetingScheduled):
            insts = [i for i in (data.host_institution_id,) if i]
            await s.execute(
                newer_upsert(
                    orm.meetings,
                    {"meeting_id": data.meeting_id},
                    {"starts_at": data.starts_at, "institution_ids": insts, "cancelled": False},
                    event.time,
                    version="event_time",
                    inserted={
                        "tenant": tenant,
                        "case_id": None,
                        "partnership_id": data.partnership_id,
                    },
                )
            )
        elif isinstance(data, p.MeetingHeld | p.MeetingCancelled | c.MeetingHeld):
            # Held or cancelled as of this event: a late, older `scheduled` does not reopen it
            # (a newer one, a rescheduling, does). One taken in before its meeting is lost.
            await s.execute(
                newer_update(
                    orm.meetings,
                    {"meeting_id": data.meeting_id},
                    {"cancelled": True},
                    event.time,
                    version="event_time",
                )
            )
        elif isinstance(data, b.OfferingSnapshot):
            await s.execute(
                newer_upsert(
                    orm.offerings,
                    {"service_id": data.service_id},
                    {
                        "institution_id": data.institution_id,
                        "title": data.title,
                        "status": data.status,
                    },
                    event.time,
                    version="event_time",
                    inserted={"tenant": tenant},
                )
            )
            if data.last_verified_on is not None:
                await s.execute(
                    _OFFERING_VERIFIED, {"id": data.service_id, "on": data.last_verified_on}
                )
        elif isinstance(data, b.ServiceVerified):
            await s.execute(_OFFERING_VERIFIED, {"id": data.service_id, "on": data.verified_on})
        await self._case_read_models(event, data)

    async def _case_read_models(self, event: CloudEvent, data: EventData) -> None:
        case_id = getattr(data, "case_id", None)
        if not event.type.startswith("cases.") or not isinstance(case_id, uuid.UUID):
            return
        if event.tenant:
            await self.session.execute(_UPSERT_CASE, {"id": case_id, "tenant": event.tenant})
        if isinstance(data, c.CaseOpened | c.CaseReassigned) and data.case_manager_user_id:
            at = data.opened_at if isinstance(data, c.CaseOpened) else data.reassigned_at
            await self.session.execute(
                _CASE_MANAGER, {"id": case_id, "user": data.case_manager_user_id, "at": at}
            )
        elif isinstance(data, c.TeamMemberJoined):
            await self.session.execute(
                _MEMBER_JOINED,
                {
                    "member": data.member_id,
                    "case": case_id,
                    "inst": data.institution_id,
                    "user": data.user_id,
                },
            )
        elif isinstance(data, c.TeamMemberLeft):
            await self.session.execute(
                _MEMBER_LEFT,
                {
                    "member": data.member_id,
                    "case": case_id,
                    "inst": data.institution_id,
                    "at": data.left_at,
                },
            )
        elif isinstance(data, c.CaseClosed):
            await self._run(
                "UPDATE cases SET closed_at = :at WHERE case_id = :id",
                at=data.closed_at,
                id=case_id,
            )
        elif isinstance(data, c.ReferralEvent):
            requested = data.requested_at or (data.at if data.state == "requested" else None)
            await self.session.execute(
                newer_upsert(
                    orm.referrals,
                    {"referral_id": data.referral_id},
                    {"state": data.state},
                    event.time,
                    version="event_time",
                    inserted={
                        "case_id": case_id,
                        "tenant": event.tenant,
                        "receiving_institution_id": data.receiving_institution_id,
                        "sending_institution_id": data.sending_institution_id,
                        "requested_at": requested,
                    },
                )
            )
            await self.session.execute(
                _REFERRAL_KNOWN,
                {"id": data.referral_id, "req": requested, "sender": data.sending_institution_id},
            )
        elif isinstance(data, c.MeetingScheduled):
            await self.session.execute(
                newer_upsert(
                    orm.meetings,
                    {"meeting_id": data.meeting_id},
                    {
                        "starts_at": data.starts_at,
                        "institution_ids": data.institution_ids,
                        "cancelled": False,
                    },
                    event.time,
                    version="event_time",
                    inserted={"tenant": event.tenant, "case_id": case_id, "partnership_id": None},
                )
            )

    async def record_event(
        self, event: CloudEvent, case_id: uuid.UUID | None, restricted_to: uuid.UUID | None
    ) -> int | None:
        seq = (
            await self.session.execute(
                text(
                    "INSERT INTO events (event_id, type, subject, tenant, case_id, restricted_to, "
                    "time, body) VALUES (:id, :type, :subject, :tenant, :case, :only, :time, "
                    ":body) ON CONFLICT (event_id) DO NOTHING RETURNING seq"
                ),
                {
                    "id": event.id,
                    "type": event.type,
                    "subject": event.subject,
                    "tenant": event.tenant,
                    "case": case_id,
                    "only": restricted_to,
                    "time": event.time,
                    "body": event.model_dump_json().encode(),
                },
            )
        ).scalar()
        return int(seq) if seq is not None else None

    async def scopes(self, case_id: uuid.UUID) -> list[Scope]:
        return list((await facts.one_case(self.session, case_id)).scopes)

    async def case_facts(self, case_id: uuid.UUID) -> CaseFacts:
        return await facts.one_case(self.session, case_id)

    async def add_consent(self, event: CloudEvent, data: EventData) -> None:
        assert isinstance(data, c.FamilyConsented)
        rows = [(i, None) for i in data.institution_ids] + [(None, s) for s in data.sectors]
        for institution_id, sector in rows:
            await self._run(
                "INSERT INTO consent_scopes (consent_id, case_id, tenant, institution_id, sector, "
                "valid_until, data_kinds, given_at) VALUES (:consent, :case, :tenant, :inst, "
                ":sector, :until, :kinds, :given)",
                consent=data.consent_id,
                case=data.case_id,
                tenant=event.tenant,
                inst=institution_id,
                sector=sector,
                until=data.valid_until,
                kinds=sorted(data.data_kinds),
                given=data.given_at,
            )
        # Its withdrawals taken in before it (a late consent event) withdraw it at once.
        await self.session.execute(_APPLY_WITHDRAWALS, {"consent": data.consent_id})

    async def withdraw(
        self,
        consent_id: uuid.UUID,
        institution_ids: list[uuid.UUID],
        sectors: list[str],
        at: datetime,
    ) -> None:
        await self._run(
            "INSERT INTO consent_withdrawals (consent_id, institution_ids, sectors, withdrawn_at) "
            "VALUES (:consent, :ids, :sectors, :at)",
            consent=consent_id,
            ids=institution_ids,
            sectors=sectors,
            at=at,
        )
        await self.session.execute(_APPLY_WITHDRAWALS, {"consent": consent_id})

    async def candidates(
        self, case_id: uuid.UUID, tenant: str | None, extra: list[uuid.UUID]
    ) -> dict[uuid.UUID, str | None]:
        # Institutions that could be concerned: named in a scope or the event, in the case team,
        # owning an endpoint, with signed-in staff or contact persons, or of a sector named in a
        # scope. The sector counts only for an institution serving the case's municipality.
        rows = await self.session.execute(
            text(
                """
                WITH ids AS (
                    SELECT institution_id AS id FROM consent_scopes
                        WHERE case_id = :case AND institution_id IS NOT NULL
                    UNION SELECT unnest(CAST(:extra AS uuid[]))
                    UNION SELECT institution_id FROM case_team
                        WHERE case_id = :case AND left_at IS NULL
                    UNION SELECT institution_id FROM endpoints
                        WHERE institution_id IS NOT NULL AND :tenant = ANY(tenants)
                    UNION SELECT institution_id FROM users
                        WHERE institution_id IS NOT NULL AND :tenant = ANY(tenants)
                    UNION SELECT i.id FROM institutions i
                        WHERE :tenant = ANY(i.tenants) AND i.sector IN (
                            SELECT sector FROM consent_scopes
                            WHERE case_id = :case AND sector IS NOT NULL)
                )
                SELECT ids.id, CASE WHEN :tenant = ANY(i.tenants) THEN i.sector END
                FROM ids LEFT JOIN institutions i ON i.id = ids.id
                """
            ),
            {"case": case_id, "extra": extra, "tenant": tenant},
        )
        return {row[0]: row[1] for row in rows.all() if row[0] is not None}

    async def add_audience(
        self, seq: int, case_id: uuid.UUID, institutions: set[uuid.UUID]
    ) -> None:
        if institutions:
            await self._run(
                "INSERT INTO event_audience (event_seq, institution_id, case_id) "
                "SELECT :seq, unnest(CAST(:ids AS uuid[])), :case ON CONFLICT DO NOTHING",
                seq=seq,
                ids=sorted(institutions),
                case=case_id,
            )

    async def create_deliveries(
        self,
        seq: int,
        event: CloudEvent,
        audience: set[uuid.UUID] | None,
        restricted_to: uuid.UUID | None,
    ) -> int:
        if not event.tenant:
            return 0
        result = await self.session.execute(
            text(
                "INSERT INTO deliveries (event_seq, event_id, endpoint_id, object_key) "
                "SELECT :seq, :id, e.id, :key FROM endpoints e WHERE e.active "
                "AND :tenant = ANY(e.tenants) "
                "AND (cardinality(e.event_types) = 0 OR :type = ANY(e.event_types)) "
                "AND (NOT :by_audience OR e.institution_id = ANY(:audience)) "
                "AND (CAST(:only AS uuid) IS NULL OR e.institution_id = :only) "
                "ON CONFLICT DO NOTHING"
            ),
            {
                "seq": seq,
                "id": event.id,
                "key": event.subject or str(event.id),
                "tenant": event.tenant,
                "type": event.type,
                "by_audience": audience is not None,
                "audience": sorted(audience or ()),
                "only": restricted_to,
            },
        )
        created = int(getattr(result, "rowcount", 0) or 0)
        self.deliveries_created += created
        return created

    async def people(
        self, tenant: str | None, institutions: list[uuid.UUID], coordinators: bool
    ) -> list[Person]:
        rows = (
            await self.session.execute(
                text(
                    """
                    SELECT u.user_id, coalesce(u.email, cp.email), u.daily_digest,
                           u.institution_id, u.roles, u.tenants, false
                    FROM users u LEFT JOIN LATERAL (
                        SELECT email FROM contact_persons
                        WHERE user_id = u.user_id AND active LIMIT 1) cp ON true
                    WHERE (u.institution_id = ANY(:insts))
                       OR (:coord AND 'coordinator' = ANY(u.roles) AND :tenant = ANY(u.tenants))
                    UNION ALL
                    SELECT cp.user_id, cp.email, false, cp.institution_id,
                           ARRAY['partner-staff'], ARRAY[]::text[], false
                    FROM contact_persons cp
                    WHERE cp.active AND cp.institution_id = ANY(:insts) AND (cp.user_id IS NULL
                        OR cp.user_id NOT IN (SELECT user_id FROM users))
                    """
                ),
                {"insts": institutions, "coord": coordinators, "tenant": tenant},
            )
        ).all()
        return await self._persons(rows)

    async def case_staff(
        self,
        case_id: uuid.UUID,
        *,
        manager: bool,
        team: bool,
        institutions: set[uuid.UUID] | None,
        at: datetime,
    ) -> list[Person]:
        rows = (
            await self.session.execute(
                _CASE_STAFF,
                {
                    "case": case_id,
                    "manager": manager,
                    "team": team,
                    "all_members": institutions is None,
                    "insts": sorted(institutions or ()),
                    "at": at,
                },
            )
        ).all()
        return await self._persons(rows)

    async def member_user_id(self, member_id: uuid.UUID) -> str | None:
        value = await self.session.scalar(
            text("SELECT user_id FROM case_team WHERE member_id = :m"), {"m": member_id}
        )
        return str(value) if value else None

    async def _persons(self, rows: Sequence[Any]) -> list[Person]:
        """(user id, e-mail, daily digest, institution, roles, tenants, manager) rows → people
        with their preferences and their institution's sector, once each."""
        user_ids = [r[0] for r in rows if r[0]]
        prefs: dict[str, dict[tuple[str, str], bool]] = {}
        if user_ids:
            for uid, kind, channel, enabled in await self.session.execute(
                text(
                    "SELECT user_id, kind, channel, enabled FROM preferences "
                    "WHERE user_id = ANY(:ids)"
                ),
                {"ids": user_ids},
            ):
                prefs.setdefault(uid, {})[(kind, channel)] = enabled
        institutions = {r[3] for r in rows if r[3] is not None}
        known: dict[uuid.UUID, str] = {}
        if institutions:
            for iid, sector in await self.session.execute(
                text("SELECT id, sector FROM institutions WHERE id = ANY(:ids)"),
                {"ids": sorted(institutions)},
            ):
                known[iid] = sector
        seen: set[str] = set()
        out: list[Person] = []
        for uid, email, digest, institution, roles, tenants, manager in rows:
            key = uid or f"mail:{email}"
            if key in seen or not (uid or email):
                continue
            seen.add(key)
            out.append(
                Person(
                    uid,
                    email,
                    bool(digest),
                    prefs.get(uid or "", {}),
                    institution_id=institution,
                    sector=known.get(institution) if institution is not None else None,
                    roles=frozenset(roles or ()),
                    tenants=frozenset(tenants or ()),
                    manager=bool(manager),
                )
            )
        return out

    async def add_notice(
        self,
        user_id: str,
        dedupe_key: str,
        kind: str,
        title: str,
        link: str | None,
        target: NoticeTarget | None = None,
    ) -> None:
        await self._run(
            # Dated on the business clock: the daily digest selects the last day's notices.
            "INSERT INTO notices (user_id, dedupe_key, kind, title, link, case_id, data_kind, "
            "referral_id, created_at) VALUES (:u, :k, :kind, :title, :link, :case, :data_kind, "
            ":referral, :at) ON CONFLICT DO NOTHING",
            at=clock.now(),
            u=user_id,
            k=dedupe_key,
            kind=kind,
            title=title,
            link=link,
            case=target.case_id if target else None,
            data_kind=target.data_kind if target else None,
            referral=target.referral_id if target else None,
        )

    async def queue_email(self, dedupe_key: str, recipient: str, subject: str, body: str) -> None:
        self.emails_queued += 1
        await self._run(
            "INSERT INTO emails (dedupe_key, recipient, subject, body) "
            "VALUES (:k, :to, :subject, :body) ON CONFLICT DO NOTHING",
            k=dedupe_key,
            to=recipient,
            subject=subject,
            body=body,
        )
