"""The projector: turns partners, basket and cases events into the read-model rows.

Every statement is an idempotent, order-tolerant upsert of one object's row:
- facts that replace each other (a membership's state, an offering's snapshot, a referral's
  current state) carry a version (event time, then event id; a referral's own `at` and the rank
  of its state) and only a newer version overwrites;
- facts that accumulate are kept per object or per event id (attendance per meeting and
  institution, withdrawals per event) or merged so that order does not matter (the first time a
  referral was accepted is `LEAST` of the times seen, the latest verification `GREATEST`).
So applying the same events twice, or in any order, leaves the same rows. Because of that the
projector may also group a batch by statement and run each statement once for the whole batch
(asyncpg's pipelined executemany), which is what makes the bulk path of a rebuild fast.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

from shared.contracts import CloudEvent, EventData
from shared.contracts import basket as b
from shared.contracts import cases as c
from shared.contracts import partners as p

# Held (shared) by every transaction that projects, and exclusively by a rebuild's swap, so the
# swap never races a live batch.
PROJECTION_LOCK = 7_105_001

Params = dict[str, Any]

_INSTITUTION = text(
    """
    INSERT INTO ev_institutions AS t
        (institution_id, tenant, name, sector, tenants_served, version, version_id)
    VALUES (:institution_id, :tenant, :name, :sector, :tenants_served, :version, :version_id)
    ON CONFLICT (institution_id) DO UPDATE SET
        tenant = EXCLUDED.tenant, name = EXCLUDED.name, sector = EXCLUDED.sector,
        tenants_served = EXCLUDED.tenants_served,
        version = EXCLUDED.version, version_id = EXCLUDED.version_id
    WHERE (t.version, t.version_id) < (EXCLUDED.version, EXCLUDED.version_id)
    """
)

_PARTNERSHIP = text(
    """
    INSERT INTO ev_partnerships AS t (partnership_id, tenant, name, name_version, name_version_id)
    VALUES (:partnership_id, :tenant, :name, :version, :version_id)
    ON CONFLICT (partnership_id) DO UPDATE SET
        tenant = EXCLUDED.tenant, name = EXCLUDED.name,
        name_version = EXCLUDED.name_version, name_version_id = EXCLUDED.name_version_id
    WHERE t.name_version IS NULL
       OR (t.name_version, t.name_version_id) < (EXCLUDED.name_version, EXCLUDED.name_version_id)
    """
)

_COORDINATORS = text(
    """
    INSERT INTO ev_partnerships AS t
        (partnership_id, tenant, coordinator_count, coord_version, coord_version_id)
    VALUES (:partnership_id, :tenant, :count, :version, :version_id)
    ON CONFLICT (partnership_id) DO UPDATE SET
        coordinator_count = EXCLUDED.coordinator_count,
        coord_version = EXCLUDED.coord_version, coord_version_id = EXCLUDED.coord_version_id
    WHERE t.coord_version IS NULL
       OR (t.coord_version, t.coord_version_id)
          < (EXCLUDED.coord_version, EXCLUDED.coord_version_id)
    """
)

_MEMBERSHIP = text(
    """
    INSERT INTO ev_memberships AS t (membership_id, tenant, partnership_id, institution_id, sector,
                                     state, effective_on, version, version_id)
    VALUES (:membership_id, :tenant, :partnership_id, :institution_id, :sector, :state,
            :effective_on, :version, :version_id)
    ON CONFLICT (membership_id) DO UPDATE SET
        sector = EXCLUDED.sector, state = EXCLUDED.state, effective_on = EXCLUDED.effective_on,
        version = EXCLUDED.version, version_id = EXCLUDED.version_id
    WHERE (t.version, t.version_id) < (EXCLUDED.version, EXCLUDED.version_id)
    """
)

_MEETING_SCHEDULED = text(
    """
    INSERT INTO ev_meetings AS t (meeting_id, tenant, partnership_id, starts_at)
    VALUES (:meeting_id, :tenant, :partnership_id, :starts_at)
    ON CONFLICT (meeting_id) DO UPDATE SET starts_at = EXCLUDED.starts_at
    """
)

_MEETING_HELD = text(
    """
    INSERT INTO ev_meetings AS t (meeting_id, tenant, partnership_id, held_at)
    VALUES (:meeting_id, :tenant, :partnership_id, :held_at)
    ON CONFLICT (meeting_id) DO UPDATE SET held_at = EXCLUDED.held_at
    """
)

_MEETING_CANCELLED = text(
    """
    INSERT INTO ev_meetings AS t (meeting_id, tenant, partnership_id, cancelled)
    VALUES (:meeting_id, :tenant, :partnership_id, true)
    ON CONFLICT (meeting_id) DO UPDATE SET cancelled = true
    """
)

_ATTENDANCE = text(
    """
    INSERT INTO ev_meeting_attendance (meeting_id, institution_id)
    VALUES (:meeting_id, :institution_id)
    ON CONFLICT DO NOTHING
    """
)

_NEWER_SNAPSHOT = (
    "(t.snapshot_version IS NULL OR (t.snapshot_version, t.snapshot_version_id)"
    " < (EXCLUDED.snapshot_version, EXCLUDED.snapshot_version_id))"
)
_NEWER_CAPACITY = (
    "(t.capacity_version IS NULL OR (t.capacity_version, t.capacity_version_id)"
    " < (EXCLUDED.capacity_version, EXCLUDED.capacity_version_id))"
)


def _if_newer(condition: str, *columns: str) -> str:
    return ",\n".join(
        f"{col} = CASE WHEN {condition} THEN EXCLUDED.{col} ELSE t.{col} END" for col in columns
    )


_OFFERING = text(
    f"""
    INSERT INTO ev_offerings AS t
        (service_id, tenant, tenants, institution_id, provider_sector, area, category, status,
         cost, snapshot_version, snapshot_version_id, capacity_status, waiting_days,
         capacity_version, capacity_version_id, last_verified_on)
    VALUES (:service_id, :tenant, :tenants, :institution_id, :provider_sector, :area, :category,
            :status, :cost, :version, :version_id, :capacity_status, :waiting_days,
            :version, :version_id, :last_verified_on)
    ON CONFLICT (service_id) DO UPDATE SET
        {
        _if_newer(
            _NEWER_SNAPSHOT,
            "tenant",
            "tenants",
            "institution_id",
            "provider_sector",
            "area",
            "category",
            "status",
            "cost",
        )
    },
        {_if_newer(_NEWER_CAPACITY, "capacity_status", "waiting_days")},
        snapshot_version = CASE WHEN {_NEWER_SNAPSHOT}
            THEN EXCLUDED.snapshot_version ELSE t.snapshot_version END,
        snapshot_version_id = CASE WHEN {_NEWER_SNAPSHOT}
            THEN EXCLUDED.snapshot_version_id ELSE t.snapshot_version_id END,
        capacity_version = CASE WHEN {_NEWER_CAPACITY}
            THEN EXCLUDED.capacity_version ELSE t.capacity_version END,
        capacity_version_id = CASE WHEN {_NEWER_CAPACITY}
            THEN EXCLUDED.capacity_version_id ELSE t.capacity_version_id END,
        last_verified_on = GREATEST(t.last_verified_on, EXCLUDED.last_verified_on)
    """
)

_VERIFIED = text(
    """
    INSERT INTO ev_offerings AS t (service_id, tenant, tenants, institution_id, last_verified_on)
    VALUES (:service_id, :tenant, :tenants, :institution_id, :verified_on)
    ON CONFLICT (service_id) DO UPDATE SET
        last_verified_on = GREATEST(t.last_verified_on, EXCLUDED.last_verified_on)
    """
)

_CAPACITY = text(
    f"""
    INSERT INTO ev_offerings AS t (service_id, tenant, tenants, institution_id, capacity_status,
                                   waiting_days, capacity_version, capacity_version_id)
    VALUES (:service_id, :tenant, :tenants, :institution_id, :capacity_status, :waiting_days,
            :version, :version_id)
    ON CONFLICT (service_id) DO UPDATE SET
        capacity_status = EXCLUDED.capacity_status, waiting_days = EXCLUDED.waiting_days,
        capacity_version = EXCLUDED.capacity_version,
        capacity_version_id = EXCLUDED.capacity_version_id
    WHERE {_NEWER_CAPACITY}
    """
)

_CASE_OPENED = text(
    """
    INSERT INTO ev_cases AS t (case_id, tenant, opened_at) VALUES (:case_id, :tenant, :opened_at)
    ON CONFLICT (case_id) DO UPDATE SET opened_at = EXCLUDED.opened_at
    """
)

_CASE_CLOSED = text(
    """
    INSERT INTO ev_cases AS t (case_id, tenant, opened_at, closed_at, close_reason)
    VALUES (:case_id, :tenant, :opened_at, :closed_at, :reason)
    ON CONFLICT (case_id) DO UPDATE SET
        opened_at = COALESCE(t.opened_at, EXCLUDED.opened_at),
        closed_at = EXCLUDED.closed_at, close_reason = EXCLUDED.close_reason
    """
)

_CONSENTED = text(
    """
    INSERT INTO ev_consents AS t (consent_id, case_id, tenant, given_at)
    VALUES (:consent_id, :case_id, :tenant, :given_at)
    ON CONFLICT (consent_id) DO UPDATE SET given_at = EXCLUDED.given_at
    """
)

# The case's "consented" flag (ADR 0045): set by any consent and never cleared (a withdrawal is
# counted apart), so it commutes with the case's other statements; a stub row if the case is new.
_CASE_CONSENTED = text(
    """
    INSERT INTO ev_cases AS t (case_id, tenant, consented) VALUES (:case_id, :tenant, true)
    ON CONFLICT (case_id) DO UPDATE SET consented = true WHERE NOT t.consented
    """
)

_WITHDRAWN = text(
    """
    INSERT INTO ev_consent_withdrawals (event_id, case_id, tenant, withdrawn_at)
    VALUES (:event_id, :case_id, :tenant, :withdrawn_at)
    ON CONFLICT DO NOTHING
    """
)

_NEWER_PLAN = "((t.version, t.updated_at) < (EXCLUDED.version, EXCLUDED.updated_at))"
# Goals reached are optional in cases.plan.updated (absent in older events): they carry their own
# version, set only by an event that has them, so an event without them never erases them.
_NEWER_GOALS = (
    "(EXCLUDED.goals_version IS NOT NULL AND (t.goals_version IS NULL"
    " OR (t.goals_version, t.goals_updated_at)"
    " < (EXCLUDED.goals_version, EXCLUDED.goals_updated_at)))"
)
_CARRIES_GOALS = "CAST(:goals_achieved AS integer) IS NOT NULL"

_PLAN = text(
    f"""
    INSERT INTO ev_plans AS t
        (case_id, tenant, version, updated_at, goal_count, action_count, actions_done,
         goals_total, goals_achieved, goals_version, goals_updated_at)
    VALUES (:case_id, :tenant, :version, :updated_at, :goal_count, :action_count, :actions_done,
            CASE WHEN {_CARRIES_GOALS}
                 THEN COALESCE(CAST(:goals_total AS integer), CAST(:goal_count AS integer)) END,
            CAST(:goals_achieved AS integer),
            CASE WHEN {_CARRIES_GOALS} THEN CAST(:version AS integer) END,
            CASE WHEN {_CARRIES_GOALS} THEN CAST(:updated_at AS timestamptz) END)
    ON CONFLICT (case_id) DO UPDATE SET
        {
        _if_newer(
            _NEWER_PLAN, "version", "updated_at", "goal_count", "action_count", "actions_done"
        )
    },
        {
        _if_newer(
            _NEWER_GOALS, "goals_total", "goals_achieved", "goals_version", "goals_updated_at"
        )
    }
    WHERE {_NEWER_PLAN} OR {_NEWER_GOALS}
    """
)

# How far along the referral loop a state is: a later state wins a tie on time.
STATE_RANK = {
    "draft": 0,
    "requested": 1,
    "accepted": 2,
    "on-hold": 3,
    "in-progress": 3,
    "rejected": 4,
    "cancelled": 4,
    "completed": 4,
    "failed": 4,
}

# A referral ended because the family's consent ended (cases ADR 0037) is counted with the
# cancelled ones: the loop was closed by neither side's decision about the service. Its reason
# code (consent_withdrawn | consent_expired) is kept as the cancellation's reason.
COUNTED_AS = {"withdrawn-consent": "cancelled"}

_NEWER_STATE = "((t.state_at, t.state_rank) < (EXCLUDED.state_at, EXCLUDED.state_rank))"

_REFERRAL = text(
    f"""
    INSERT INTO ev_referrals AS t
        (referral_id, tenant, case_id, service_id, sending_sector, receiving_sector, state,
         state_at, state_rank, requested_at, accepted_at, rejected_at, completed_at, failed_at,
         cancelled_at, rejection_reason, failure_reason, cancel_reason, outcome, capacity_status)
    VALUES (:referral_id, :tenant, :case_id, :service_id, :sending_sector, :receiving_sector,
            :state, :at, :rank, :requested_at, :accepted_at, :rejected_at, :completed_at,
            :failed_at, :cancelled_at, :rejection_reason, :failure_reason, :cancel_reason,
            :outcome, :capacity_status)
    ON CONFLICT (referral_id) DO UPDATE SET
        {_if_newer(_NEWER_STATE, "state", "state_at", "state_rank")},
        sending_sector = COALESCE(t.sending_sector, EXCLUDED.sending_sector),
        receiving_sector = COALESCE(t.receiving_sector, EXCLUDED.receiving_sector),
        requested_at = LEAST(t.requested_at, EXCLUDED.requested_at),
        accepted_at = LEAST(t.accepted_at, EXCLUDED.accepted_at),
        rejected_at = LEAST(t.rejected_at, EXCLUDED.rejected_at),
        completed_at = LEAST(t.completed_at, EXCLUDED.completed_at),
        failed_at = LEAST(t.failed_at, EXCLUDED.failed_at),
        cancelled_at = LEAST(t.cancelled_at, EXCLUDED.cancelled_at),
        rejection_reason = COALESCE(t.rejection_reason, EXCLUDED.rejection_reason),
        failure_reason = COALESCE(t.failure_reason, EXCLUDED.failure_reason),
        cancel_reason = COALESCE(t.cancel_reason, EXCLUDED.cancel_reason),
        outcome = COALESCE(t.outcome, EXCLUDED.outcome),
        capacity_status = COALESCE(t.capacity_status, EXCLUDED.capacity_status)
    """
)


class EventMeta(Protocol):
    """What the projection reads of an event's envelope: a CloudEvent, or the rebuild's typed
    envelope (building a CloudEvent per event cost the rebuild a third of its CPU)."""

    @property
    def id(self) -> uuid.UUID: ...

    @property
    def time(self) -> datetime: ...

    @property
    def tenant(self) -> str | None: ...


def _version(event: EventMeta) -> Params:
    return {"version": event.time, "version_id": event.id}


def _tenant(event: EventMeta) -> str:
    return event.tenant or ""


def rows_for(event: EventMeta, payload: EventData) -> list[tuple[Any, Params]]:
    """The statements (and their parameters) that project one event; none for other events."""
    tenant = _tenant(event)
    match payload:
        case p.InstitutionRegistered() | p.InstitutionUpdated():
            return [
                (
                    _INSTITUTION,
                    {
                        "institution_id": payload.institution_id,
                        "tenant": tenant,
                        "name": payload.name,
                        "sector": payload.sector,
                        "tenants_served": list(payload.tenants_served),
                        **_version(event),
                    },
                )
            ]
        case p.PartnershipEstablished() | p.PartnershipUpdated():
            params = {"partnership_id": payload.partnership_id, "tenant": tenant}
            return [(_PARTNERSHIP, {**params, "name": payload.name, **_version(event)})]
        case p.CoordinatorsChanged():
            return [
                (
                    _COORDINATORS,
                    {
                        "partnership_id": payload.partnership_id,
                        "tenant": tenant,
                        "count": payload.coordinator_count,
                        **_version(event),
                    },
                )
            ]
        case p.MembershipChanged():
            return [
                (
                    _MEMBERSHIP,
                    {
                        "membership_id": payload.membership_id,
                        "tenant": tenant,
                        "partnership_id": payload.partnership_id,
                        "institution_id": payload.institution_id,
                        "sector": payload.sector,
                        "state": payload.state,
                        "effective_on": payload.effective_on,
                        **_version(event),
                    },
                )
            ]
        case p.MeetingScheduled():
            meeting = {"meeting_id": payload.meeting_id, "tenant": tenant}
            meeting["partnership_id"] = payload.partnership_id
            return [(_MEETING_SCHEDULED, {**meeting, "starts_at": payload.starts_at})]
        case p.MeetingHeld():
            meeting = {"meeting_id": payload.meeting_id, "tenant": tenant}
            meeting["partnership_id"] = payload.partnership_id
            rows: list[tuple[Any, Params]] = [
                (_MEETING_HELD, {**meeting, "held_at": payload.held_at})
            ]
            rows += [
                (_ATTENDANCE, {"meeting_id": payload.meeting_id, "institution_id": i})
                for i in dict.fromkeys(payload.attending_institution_ids)
            ]
            return rows
        case p.MeetingCancelled():
            return [
                (
                    _MEETING_CANCELLED,
                    {
                        "meeting_id": payload.meeting_id,
                        "tenant": tenant,
                        "partnership_id": payload.partnership_id,
                    },
                )
            ]
        case b.OfferingSnapshot():
            return [
                (
                    _OFFERING,
                    {
                        "service_id": payload.service_id,
                        "tenant": tenant,
                        "tenants": sorted({tenant, *payload.tenants_served} - {""}),
                        "institution_id": payload.institution_id,
                        "provider_sector": payload.provider_sector,
                        "area": payload.area,
                        "category": payload.category,
                        "status": payload.status,
                        "cost": payload.cost,
                        "capacity_status": payload.capacity_status,
                        "waiting_days": payload.waiting_days,
                        "last_verified_on": payload.last_verified_on,
                        **_version(event),
                    },
                )
            ]
        case b.ServiceVerified():
            return [
                (
                    _VERIFIED,
                    {
                        "service_id": payload.service_id,
                        "tenant": tenant,
                        "tenants": [tenant] if tenant else [],
                        "institution_id": payload.institution_id,
                        "verified_on": payload.verified_on,
                    },
                )
            ]
        case b.CapacityChanged():
            return [
                (
                    _CAPACITY,
                    {
                        "service_id": payload.service_id,
                        "tenant": tenant,
                        "tenants": [tenant] if tenant else [],
                        "institution_id": payload.institution_id,
                        "capacity_status": payload.capacity_status,
                        "waiting_days": payload.waiting_days,
                        **_version(event),
                    },
                )
            ]
        case c.CaseOpened():
            params = {"case_id": payload.case_id, "tenant": tenant}
            return [(_CASE_OPENED, {**params, "opened_at": payload.opened_at})]
        case c.CaseClosed():
            return [
                (
                    _CASE_CLOSED,
                    {
                        "case_id": payload.case_id,
                        "tenant": tenant,
                        "opened_at": payload.opened_at,
                        "closed_at": payload.closed_at,
                        "reason": payload.reason_code,
                    },
                )
            ]
        case c.FamilyConsented():
            return [
                (
                    _CONSENTED,
                    {
                        "consent_id": payload.consent_id,
                        "case_id": payload.case_id,
                        "tenant": tenant,
                        "given_at": payload.given_at,
                    },
                ),
                (_CASE_CONSENTED, {"case_id": payload.case_id, "tenant": tenant}),
            ]
        case c.ConsentWithdrawn():
            return [
                (
                    _WITHDRAWN,
                    {
                        "event_id": event.id,
                        "case_id": payload.case_id,
                        "tenant": tenant,
                        "withdrawn_at": payload.withdrawn_at,
                    },
                )
            ]
        case c.PlanUpdated():
            return [
                (
                    _PLAN,
                    {
                        "case_id": payload.case_id,
                        "tenant": tenant,
                        "version": payload.version,
                        "updated_at": payload.updated_at,
                        "goal_count": payload.goal_count,
                        "action_count": payload.action_count,
                        "actions_done": payload.actions_done,
                        "goals_total": payload.goals_total,
                        "goals_achieved": payload.goals_achieved,
                    },
                )
            ]
        case c.ReferralEvent():
            return [(_REFERRAL, _referral_params(tenant, payload))]
    return []


def _referral_params(tenant: str, r: c.ReferralEvent) -> Params:
    state = COUNTED_AS.get(r.state, r.state)

    def at_if(wanted: str) -> Any:
        return r.at if state == wanted else None

    return {
        "referral_id": r.referral_id,
        "tenant": tenant,
        "case_id": r.case_id,
        "service_id": r.service_id,
        "sending_sector": r.sending_sector,
        "receiving_sector": r.receiving_sector,
        "state": state,
        "at": r.at,
        "rank": STATE_RANK.get(state, max(STATE_RANK.values())),
        "requested_at": r.requested_at or at_if("requested"),
        "accepted_at": at_if("accepted"),
        "rejected_at": at_if("rejected"),
        "completed_at": at_if("completed"),
        "failed_at": at_if("failed"),
        "cancelled_at": at_if("cancelled"),
        "rejection_reason": r.reason_code if state == "rejected" else None,
        "failure_reason": r.reason_code if state == "failed" else None,
        "cancel_reason": r.reason_code if state == "cancelled" else None,
        "outcome": r.outcome_code if state == "completed" else None,
        "capacity_status": r.capacity_status,
    }


async def take_projection_lock(session: AsyncSession) -> None:
    """Once per transaction: wait while a rebuild swaps the tables."""
    if not session.info.get("projection_lock"):
        await session.execute(text(f"SELECT pg_advisory_xact_lock_shared({PROJECTION_LOCK})"))
        session.info["projection_lock"] = True


async def project(session: AsyncSession, events: Sequence[tuple[EventMeta, EventData]]) -> int:
    """Apply events to the read models in the session's transaction, one executemany per
    statement. Returns how many events had an effect on the read models."""
    grouped: dict[Any, list[Params]] = defaultdict(list)
    applied = 0
    for event, payload in events:
        rows = rows_for(event, payload)
        applied += bool(rows)
        for statement, params in rows:
            grouped[statement].append(params)
    for statement, params_list in grouped.items():
        await session.execute(statement, params_list)
    return applied


async def handle(session: AsyncSession, event: CloudEvent, payload: EventData) -> None:
    """The live consumers' handler (one event, inside the consumer's batch transaction)."""
    rows = rows_for(event, payload)
    if rows:
        await take_projection_lock(session)
        for statement, params in rows:
            await session.execute(statement, [params])
