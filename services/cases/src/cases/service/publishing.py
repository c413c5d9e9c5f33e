"""Translation of the cases domain events into the published contracts (shared.contracts.cases).

Only identifiers, the tenant, institutions, sectors, codes and times leave the service: never a
family's names, PESEL, contact, nor any free text (notes, reasons, diagnosis, plan content).
"""

from __future__ import annotations

import uuid
from typing import Any

from cases.domain import events as ev
from cases.domain import model
from shared.contracts import CloudEvent, EventData
from shared.contracts import cases as contract

SOURCE = contract.SOURCE


def _wrap(data: EventData, tenant: str, subject: uuid.UUID) -> CloudEvent:
    return CloudEvent.wrap(data, source=SOURCE, tenant=tenant, subject=str(subject))


async def _institutions_of(uow: Any, meeting: model.Meeting) -> list[uuid.UUID]:
    team = {m.id: m for m in await uow.team.of_case(meeting.case_id)}
    ids = [
        team[uuid.UUID(str(p["member_id"]))].institution_id
        for p in meeting.participants
        if p.get("kind") == "member" and uuid.UUID(str(p["member_id"])) in team
    ]
    return list(dict.fromkeys(ids))


def _referral_event(r: model.Referral, e: ev.ReferralMoved) -> EventData:
    cls = contract.REFERRAL_EVENTS[e.state]
    return cls(
        referral_id=r.id,
        case_id=r.case_id,
        service_id=r.service_id,
        sending_institution_id=None,
        receiving_institution_id=r.institution_id,
        receiving_sector=r.sector,
        state=e.state,
        previous_state=e.previous_state,
        at=e.at,
        requested_at=r.requested_at,
        reason_code=r.reason_code.value if r.reason_code and e.state in (
            "rejected", "cancelled", "on-hold", "failed", "withdrawn-consent") else None,
        outcome_code=r.outcome_code.value if r.outcome_code and e.state == "completed" else None,
        capacity_status=r.capacity_status,
    )  # fmt: skip


async def translate(uow: Any, aggregate: object, event: ev.DomainEvent) -> list[CloudEvent]:
    match event, aggregate:
        case ev.CaseOpened(), model.Case() as k:
            data: EventData = contract.CaseOpened(
                case_id=k.id,
                opened_at=k.opened_at,
                family_size=k.family_size,
                case_manager_user_id=k.manager_subject,
            )
            return [_wrap(data, k.tenant, k.id)]
        case ev.CaseClosed(), model.Case() as k:
            assert k.closed_at is not None
            assert k.close_reason is not None
            data = contract.CaseClosed(
                case_id=k.id,
                opened_at=k.opened_at,
                closed_at=k.closed_at,
                reason_code=k.close_reason.value,
            )
            return [_wrap(data, k.tenant, k.id)]
        case ev.CaseReassigned() as e, model.Case() as k:
            data = contract.CaseReassigned(
                case_id=k.id,
                reassigned_at=e.at,
                case_manager_user_id=k.manager_subject,
                previous_case_manager_user_id=e.previous_subject,
                reason_code=e.reason_code,
                by_relation=e.by_relation,
            )
            return [_wrap(data, k.tenant, k.id)]
        case ev.ConsentGiven(), model.Consent() as cs:
            data = contract.FamilyConsented(
                case_id=cs.case_id,
                consent_id=cs.id,
                given_at=cs.given_at,
                method=cs.method.value,
                institution_ids=list(cs.institution_ids),
                sectors=list(cs.sectors),
                data_kinds=[str(k) for k in cs.data_kinds],
                valid_until=cs.valid_until,
            )
            return [_wrap(data, cs.tenant, cs.case_id)]
        case ev.ConsentWithdrawn(), model.Consent() as cs:
            assert cs.withdrawn_at is not None
            data = contract.ConsentWithdrawn(
                case_id=cs.case_id,
                consent_id=cs.id,
                withdrawn_at=cs.withdrawn_at,
                institution_ids=list(cs.institution_ids),
                sectors=list(cs.sectors),
            )
            return [_wrap(data, cs.tenant, cs.case_id)]
        case ev.MemberJoined(), model.TeamMember() as m:
            assert m.joined_at is not None
            data = contract.TeamMemberJoined(
                case_id=m.case_id,
                member_id=m.id,
                institution_id=m.institution_id,
                sector=m.sector,
                joined_at=m.joined_at,
                user_id=m.user_subject,
            )
            return [_wrap(data, m.tenant, m.case_id)]
        case ev.MemberLeft(), model.TeamMember() as m:
            assert m.left_at is not None
            data = contract.TeamMemberLeft(
                case_id=m.case_id,
                member_id=m.id,
                institution_id=m.institution_id,
                sector=m.sector,
                left_at=m.left_at,
                reason_code=m.left_reason.value if m.left_reason else None,
            )
            return [_wrap(data, m.tenant, m.case_id)]
        case ev.PlanUpdated(), model.PlanVersion() as p:
            actions = p.actions()
            team = {m.id: m.institution_id for m in await uow.team.of_case(p.case_id)}
            responsible = [
                team[uuid.UUID(str(a["responsible"]["member_id"]))]
                for a in actions
                if (a.get("responsible") or {}).get("kind") == "member"
                and uuid.UUID(str(a["responsible"]["member_id"])) in team
            ]
            reviews = list(await uow.reviews.of_case(p.case_id))
            data = contract.PlanUpdated(
                case_id=p.case_id,
                version=p.version,
                goals_total=len(p.goals),
                goals_achieved=model.goals_reached(p, reviews),
                goal_count=len(p.goals),
                action_count=len(actions),
                actions_done=sum(1 for a in actions if a.get("status") == "done"),
                responsible_institution_ids=list(dict.fromkeys(responsible)),
                updated_at=p.created_at,
            )
            return [_wrap(data, p.tenant, p.case_id)]
        case ev.ReviewRecorded(), model.MonitoringReview() as rv:
            plan = await uow.plans.latest(rv.case_id)
            data = contract.ReviewRecorded(
                case_id=rv.case_id,
                review_id=rv.id,
                plan_version=rv.plan_version,
                reviewed_on=rv.reviewed_on,
                next_review_on=rv.next_review_on,
                recorded_at=rv.recorded_at,
                goals_total=len(plan.goals) if plan is not None else len(rv.goals),
                goals_reviewed=len(rv.goals),
                goals_progressed=rv.count(model.GoalProgress.PROGRESSED),
                goals_reached=rv.count(model.GoalProgress.REACHED),
                goals_not_reached=rv.count(model.GoalProgress.NOT_REACHED),
                family_assessed=bool(rv.family_assessment),
            )
            return [_wrap(data, rv.tenant, rv.case_id)]
        case ev.ReferralMoved() as e, model.Referral() as r:
            return [_wrap(_referral_event(r, e), r.tenant, r.id)]
        case ev.MeetingScheduled(), model.Meeting() as mt:
            data = contract.MeetingScheduled(
                case_id=mt.case_id,
                meeting_id=mt.id,
                kind=mt.kind.value,
                starts_at=mt.starts_at,
                online=bool(mt.online_url),
                institution_ids=await _institutions_of(uow, mt),
                family_participates=mt.family_participates,
            )
            return [_wrap(data, mt.tenant, mt.id)]
        case ev.MeetingHeld(), model.Meeting() as mt:
            assert mt.held_at is not None
            data = contract.MeetingHeld(
                case_id=mt.case_id,
                meeting_id=mt.id,
                kind=mt.kind.value,
                held_at=mt.held_at,
                institution_ids=await _institutions_of(uow, mt),
                family_participated=mt.family_participates,
                decision_count=len(mt.decisions),
                decisions_with_family_consent=sum(
                    1 for d in mt.decisions if d.get("family_consent") == "given"
                ),
            )
            return [_wrap(data, mt.tenant, mt.id)]
    raise TypeError(f"no contract for {type(event).__name__} on {type(aggregate).__name__}")
