"""A scripted history of platform events (two municipalities, mostly the third quarter of 2026),
whose figures the tests compute by hand. See the comments for the expected values."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.contracts import CloudEvent, EventData
from shared.contracts import basket as b
from shared.contracts import cases as c
from shared.contracts import partners as p

A, B = "1219053", "1219043"
T0 = datetime(2026, 6, 1, 8, 0, tzinfo=UTC)


def u(name: str) -> uuid.UUID:
    return uuid.uuid5(uuid.NAMESPACE_URL, f"cus-eval-test/{name}")


def day(month: int, d: int, hour: int = 10) -> datetime:
    return datetime(2026, month, d, hour, 0, tzinfo=UTC)


class History:
    def __init__(self) -> None:
        self.events: list[CloudEvent] = []
        self._tick = 0

    def add(self, data: EventData, tenant: str, source: str, at: datetime | None = None) -> None:
        self._tick += 1
        self.events.append(
            CloudEvent.wrap(
                data,
                source=source,
                tenant=tenant,
                event_id=u(f"event-{self._tick}"),
                time=at or T0 + timedelta(minutes=self._tick),
            )
        )


def build(today: date) -> list[CloudEvent]:
    h = History()
    P, BK, CS = p.SOURCE, b.SOURCE, c.SOURCE

    # --- partners: A has five institutions, B one -----------------------------------------
    inst = {
        "school": ("education", A),
        "police": ("police", A),
        "ngo": ("ngo", A),
        "clinic": ("health", A),
        "ops": ("social_assistance", A),
        "police_b": ("police", B),
    }
    for key, (sector, tenant) in inst.items():
        h.add(
            p.InstitutionRegistered(
                institution_id=u(key), name=f"Instytucja {key}", sector=sector,  # type: ignore[arg-type]
                tenants_served=[tenant],
            ),
            tenant, P,
        )  # fmt: skip
    for pid, tenant, leader in (("pa", A, "ops"), ("pb", B, "police_b")):
        h.add(
            p.PartnershipEstablished(
                partnership_id=u(pid), name=f"Partnerstwo {pid}", leader_institution_id=u(leader)
            ),
            tenant, P,
        )  # fmt: skip

    def member(mid: str, key: str, pid: str, tenant: str, *states: str) -> None:
        previous = None
        for state in states:
            h.add(
                p.MembershipChanged(
                    membership_id=u(mid), partnership_id=u(pid), institution_id=u(key),
                    sector=inst[key][0], previous_state=previous, state=state,  # type: ignore[arg-type]
                    effective_on=date(2026, 6, 1),
                ),
                tenant, P,
            )  # fmt: skip
            previous = state

    # A: declared 3 (school, ngo, ops), informal 1 (police), invited 1 (clinic);
    # recommended sectors covered: education, police = 2.
    member("m1", "school", "pa", A, "informal", "declared")
    member("m2", "police", "pa", A, "invited", "informal")
    member("m3", "ngo", "pa", A, "declared")
    member("m4", "clinic", "pa", A, "invited")
    member("m5", "ops", "pa", A, "declared")
    member("m6", "police_b", "pb", B, "declared")
    # Coordinators: A 1 then 2 (final 2); B 1 (understaffed).
    h.add(
        p.CoordinatorsChanged(partnership_id=u("pa"), coordinator_count=1, understaffed=True), A, P
    )
    h.add(
        p.CoordinatorsChanged(partnership_id=u("pa"), coordinator_count=2, understaffed=False), A, P
    )
    h.add(
        p.CoordinatorsChanged(partnership_id=u("pb"), coordinator_count=1, understaffed=True), B, P
    )
    # Meetings of A: two in Q3, one in Q4, one cancelled.
    for mid, held, who in (
        ("mt1", day(7, 10), ["school", "police", "ops"]),
        ("mt2", day(8, 20), ["school", "ops"]),
        ("mt3", day(10, 5), ["school", "police", "ngo", "ops"]),
    ):
        h.add(
            p.MeetingScheduled(
                meeting_id=u(mid), partnership_id=u("pa"), starts_at=held,
                host_institution_id=u("ops"), chair_institution_id=None, online=False,
            ),
            A, P,
        )  # fmt: skip
        h.add(
            p.MeetingHeld(
                meeting_id=u(mid), partnership_id=u("pa"), held_at=held,
                host_institution_id=u("ops"), attending_institution_ids=[u(k) for k in who],
                decision_count=1,
            ),
            A, P,
        )  # fmt: skip
    h.add(
        p.MeetingScheduled(
            meeting_id=u("mt4"), partnership_id=u("pa"), starts_at=day(9, 1),
            host_institution_id=None, chair_institution_id=None, online=True,
        ),
        A, P,
    )  # fmt: skip
    h.add(
        p.MeetingCancelled(meeting_id=u("mt4"), partnership_id=u("pa"), reason="brak kworum"), A, P
    )

    # --- basket ----------------------------------------------------------------------------
    recent, stale = today - timedelta(days=20), today - timedelta(days=200)

    def offering(cls: type[b.OfferingSnapshot], sid: str, tenant: str, **over: Any) -> None:
        data: dict[str, Any] = {
            "service_id": u(sid), "institution_id": u("school"), "provider_sector": "education",
            "title": f"Usługa {sid}", "area": "family_support", "category": "poradnictwo",
            "status": "published", "tenants_served": [tenant], "capacity_status": "available",
            "cost": "free", "referral_required": False, "last_verified_on": recent,
        }  # fmt: skip
        data.update(over)
        extra: dict[str, Any] = {}
        if cls in (b.ServiceSuspended, b.ServiceWithdrawn):
            extra["reason"] = "koniec projektu"
        h.add(cls(**data, **extra), tenant, BK)

    # A publishes S1, S2, S3; S4 stays a draft; S5 is withdrawn; B's S6 also serves A.
    # A: published 4 (S1, S2, S3, S6); verified ≤ 90 days: S1, S2 (verified later), S6 = 3 → 75 %;
    # capacity: available S1, S6 = 2, waitlist S3 = 1, no capacity S2 = 1;
    # areas: family_support, health, housing, culture → 10 missing.
    offering(b.ServiceAdded, "s1", A, status="draft")
    offering(b.ServicePublished, "s1", A)
    offering(
        b.ServicePublished, "s2", A, area="health", category="terapia",
        provider_sector="health", institution_id=u("clinic"), capacity_status="no_capacity",
        last_verified_on=stale,
    )  # fmt: skip
    h.add(
        b.ServiceVerified(service_id=u("s2"), institution_id=u("clinic"), verified_on=recent), A, BK
    )
    offering(
        b.ServicePublished, "s3", A, area="housing", category="mieszkania",
        provider_sector="ngo", last_verified_on=stale,
    )  # fmt: skip
    h.add(
        b.CapacityChanged(
            service_id=u("s3"), institution_id=u("school"), previous_status="available",
            capacity_status="waitlist", waiting_days=14,
        ),
        A, BK,
    )  # fmt: skip
    offering(b.ServiceAdded, "s4", A, status="draft", area="culture", category="zajęcia")
    offering(b.ServicePublished, "s5", A, area="unemployment", category="doradztwo")
    offering(
        b.ServiceWithdrawn, "s5", A, area="unemployment", category="doradztwo", status="withdrawn"
    )
    offering(
        b.ServicePublished, "s6", B, area="culture", category="zajęcia",
        provider_sector="ngo", tenants_served=[B, A],
    )  # fmt: skip

    # --- cases of A (Q3 2026) ----------------------------------------------------------------
    # opened 5, with consent 4, closed 3 (durations 60, 61, 31 days: median 60, p90 60.8),
    # open at the end of Q3 2; one consent withdrawal; one closed with goals achieved.
    def case(cid: str, tenant: str, opened: datetime, consent: bool) -> None:
        h.add(c.CaseOpened(case_id=u(cid), opened_at=opened, family_size=3), tenant, CS)
        if consent:
            h.add(
                c.FamilyConsented(
                    case_id=u(cid), consent_id=u(f"consent-{cid}"), given_at=opened,
                    method="paper", institution_ids=[], sectors=["health"], data_kinds=["plan"],
                ),
                tenant, CS,
            )  # fmt: skip

    def close(cid: str, tenant: str, opened: datetime, closed: datetime, reason: str) -> None:
        h.add(
            c.CaseClosed(case_id=u(cid), opened_at=opened, closed_at=closed, reason_code=reason),  # type: ignore[arg-type]
            tenant, CS,
        )  # fmt: skip

    case("c1", A, day(7, 1), True)
    case("c2", A, day(7, 5), True)
    case("c3", A, day(7, 10), True)
    case("c4", A, day(8, 1), True)
    case("c5", A, day(8, 15), False)
    h.add(
        c.ConsentWithdrawn(
            case_id=u("c3"), consent_id=u("consent-c3"), withdrawn_at=day(8, 1),
            institution_ids=[], sectors=["health"],
        ),
        A, CS,
    )  # fmt: skip
    close("c1", A, day(7, 1), day(8, 30), "goals_achieved")
    close("c2", A, day(7, 5), day(9, 4), "family_withdrew")
    close("c3", A, day(7, 10), day(8, 10), "no_cooperation")
    # Plans: 3 cases with a plan, goals 3 + 2 + 2 = 7, actions 5 + 3 + 2 = 10, done 4 + 3 + 0 = 7.
    # Goals reached (latest plan event carrying them): c1 2 of 3 (version 2; version 1 said 0),
    # c2 1 of 2 (version 1; its version 2 is an event without the fields, which keeps them),
    # c4 0 of 2 → reached 3 of 7 = 42.9 %.
    for cid, version, goals, actions, done, reached in (
        ("c1", 1, 3, 4, 1, 0),
        ("c1", 2, 3, 5, 4, 2),
        ("c2", 1, 2, 3, 3, 1),
        ("c2", 2, 2, 3, 3, None),
        ("c4", 1, 2, 2, 0, 0),
    ):
        h.add(
            c.PlanUpdated(
                case_id=u(cid), version=version, goal_count=goals, action_count=actions,
                actions_done=done, responsible_institution_ids=[], updated_at=day(8, version),
                goals_total=None if reached is None else goals, goals_achieved=reached,
            ),
            A, CS,
        )  # fmt: skip
    # A review: consumed, with no figure of its own (ADR 0044).
    h.add(
        c.ReviewRecorded(
            case_id=u("c4"), review_id=u("review-c4"), plan_version=1,
            reviewed_on=date(2026, 8, 20), next_review_on=None, recorded_at=day(8, 20),
            goals_total=2, goals_reviewed=2,
            goals_progressed=1, goals_reached=1, goals_not_reached=0, family_assessed=True,
        ),
        A, CS,
    )  # fmt: skip
    case("cb1", B, day(7, 3), True)

    # --- referrals --------------------------------------------------------------------------
    # A sent 9: accepted 5 (R1 R2 R3 R7 R9), rejected 3 (R4 R5 R6) → 62.5 %; completed 3, failed 1,
    # cancelled 1; days to acceptance 2, 1, 4, 3, 5 (median 3, p90 4.6); to completion 18, 10,
    # 30 (median 18, p90 27.6); to offerings with no capacity 2 (R5, R6).
    def referral(
        rid: str, tenant: str, service: str, sending: str, receiving: str,
        steps: list[tuple[str, datetime, dict[str, Any]]], capacity: str | None = "available",
    ) -> None:  # fmt: skip
        requested_at = steps[0][1]
        previous: str | None = None
        for state, at, extra in steps:
            cls = c.REFERRAL_EVENTS[state]
            h.add(
                cls(
                    referral_id=u(rid), case_id=u("c1"), service_id=u(service),
                    sending_sector=sending, receiving_institution_id=u("clinic"),  # type: ignore[arg-type]
                    receiving_sector=receiving, state=state, previous_state=previous, at=at,  # type: ignore[arg-type]
                    requested_at=requested_at, capacity_status=capacity, **extra,  # type: ignore[arg-type]
                ),
                tenant, CS,
            )  # fmt: skip
            previous = state

    sa = "social_assistance"
    referral("r1", A, "s1", sa, "education", [
        ("requested", day(7, 2), {}), ("accepted", day(7, 4), {}),
        ("in-progress", day(7, 5), {}),
        ("completed", day(7, 20), {"outcome_code": "goal_achieved"}),
    ])  # fmt: skip
    referral("r2", A, "s2", sa, "health", [
        ("requested", day(7, 3), {}), ("accepted", day(7, 4), {}),
        ("completed", day(7, 13), {"outcome_code": "partially_achieved"}),
    ])  # fmt: skip
    referral("r3", A, "s2", sa, "health", [
        ("requested", day(7, 6), {}), ("accepted", day(7, 10), {}),
        ("failed", day(7, 30), {"reason_code": "family_unreachable"}),
    ])  # fmt: skip
    referral("r4", A, "s2", sa, "health", [
        ("requested", day(7, 8), {}), ("rejected", day(7, 9), {"reason_code": "not_eligible"}),
    ])  # fmt: skip
    referral("r5", A, "s1", sa, "ngo", [
        ("requested", day(7, 11), {}), ("rejected", day(7, 12), {"reason_code": "not_eligible"}),
    ], capacity="no_capacity")  # fmt: skip
    referral("r6", A, "s2", sa, "health", [
        ("requested", day(7, 12), {}), ("rejected", day(7, 13), {"reason_code": "no_capacity"}),
    ], capacity="no_capacity")  # fmt: skip
    referral("r7", A, "s2", "education", "health", [
        ("requested", day(7, 15), {}), ("accepted", day(7, 18), {}),
        ("completed", day(8, 14), {"outcome_code": "goal_achieved"}),
    ])  # fmt: skip
    referral("r8", A, "s1", sa, "ngo", [
        ("requested", day(7, 20), {}),
        ("cancelled", day(7, 21), {"reason_code": "family_declined"}),
    ])  # fmt: skip
    referral("r9", A, "s1", sa, "education", [
        ("requested", day(8, 1), {}), ("accepted", day(8, 6), {}), ("in-progress", day(8, 7), {}),
    ])  # fmt: skip
    referral("rb1", B, "s6", sa, "ngo", [
        ("requested", day(7, 5), {}), ("accepted", day(7, 6), {}),
    ])  # fmt: skip
    return h.events


def table(report: dict[str, Any], key: str) -> dict[str, list[Any]]:
    """A table of a disclosed report as {row key: row values}."""
    for section in report["sections"]:
        for t in section["tables"]:
            if t["key"] == key:
                return dict(zip(t["row_keys"], t["rows"], strict=True))
    raise KeyError(key)


def value(report: dict[str, Any], key: str, row: str, column: int = 1) -> Any:
    return table(report, key)[row][column]
