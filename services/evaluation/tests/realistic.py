"""A generated, realistic history for the suppression tests: three municipalities of different
sizes (a town, a rural municipality, a small one) over 2026, with partners, offerings of every
cost, cases and referrals through their states — seeded, so that it is the same every run, and
with many small cells (sector pairs, reasons, outcomes, the small municipality's figures)."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, timedelta
from typing import Any

from shared.contracts import CloudEvent
from shared.contracts import basket as b
from shared.contracts import cases as c
from shared.contracts import partners as p

TOWN, RURAL, SMALL = "1219053", "1219043", "1218042"  # coord-a reads TOWN
MUNICIPALITIES = {TOWN: (60, 140), RURAL: (22, 45), SMALL: (6, 9)}  # cases, referrals
SECTORS = ["education", "health", "police", "ngo", "labour_market", "social_assistance"]
AREAS = ["family_support", "health", "housing", "culture", "unemployment"]
COSTS = ["free", "co_paid", "paid"]
REASONS = ["not_eligible", "no_capacity", "family_declined", "family_unreachable", "other"]
OUTCOMES = ["goal_achieved", "partially_achieved", "not_achieved", "other"]
CLOSE = ["goals_achieved", "family_withdrew", "moved_away", "no_cooperation", "other"]


def build(today: date, seed: int = 2026) -> list[CloudEvent]:
    # The history module's helpers, loaded by the conftest under its own name.
    from evaluation_tests_history import History, u  # type: ignore[import-not-found]

    rng = random.Random(seed)
    h = History()

    def at(month: int, d: int) -> datetime:
        return datetime(2026, month, min(d, 28), 9 + rng.randrange(8), tzinfo=UTC)

    for tenant, (n_cases, n_referrals) in MUNICIPALITIES.items():
        inst = [f"{tenant}-i{k}" for k in range(len(SECTORS))]
        for key, sector in zip(inst, SECTORS, strict=True):
            h.add(
                p.InstitutionRegistered(
                    institution_id=u(key), name=f"Instytucja {key}", sector=sector,  # type: ignore[arg-type]
                    tenants_served=[tenant],
                ),
                tenant, p.SOURCE,
            )  # fmt: skip
        h.add(
            p.PartnershipEstablished(
                partnership_id=u(f"{tenant}-p"), name=f"Partnerstwo {tenant}",
                leader_institution_id=u(inst[-1]),
            ),
            tenant, p.SOURCE,
        )  # fmt: skip
        services = []
        for k in range(7):
            sid = f"{tenant}-s{k}"
            services.append(sid)
            h.add(
                b.ServicePublished(
                    service_id=u(sid), institution_id=u(inst[k % len(inst)]),
                    provider_sector=SECTORS[k % len(SECTORS)],  # type: ignore[arg-type]
                    title=f"Usługa {sid}", area=AREAS[k % len(AREAS)], category="poradnictwo",
                    status="published", tenants_served=[tenant],
                    capacity_status="no_capacity" if k == 3 else "available",
                    cost=COSTS[k % len(COSTS)], referral_required=False,  # type: ignore[arg-type]
                    last_verified_on=today - timedelta(days=10),
                ),
                tenant, b.SOURCE,
            )  # fmt: skip
        cases = []
        for k in range(n_cases):
            cid = f"{tenant}-c{k}"
            cases.append(cid)
            opened = at(rng.randint(1, 9), rng.randint(1, 28))
            h.add(c.CaseOpened(case_id=u(cid), opened_at=opened, family_size=3), tenant, c.SOURCE)
            if rng.random() < 0.85:
                h.add(
                    c.FamilyConsented(
                        case_id=u(cid), consent_id=u(f"consent-{cid}"), given_at=opened,
                        method="paper", institution_ids=[], sectors=["health"],
                        data_kinds=["plan"],
                    ),
                    tenant, c.SOURCE,
                )  # fmt: skip
            if rng.random() < 0.6:
                goals, actions = rng.randint(1, 4), rng.randint(1, 6)
                h.add(
                    c.PlanUpdated(
                        case_id=u(cid), version=1, goal_count=goals, action_count=actions,
                        actions_done=rng.randint(0, actions), responsible_institution_ids=[],
                        updated_at=opened + timedelta(days=3), goals_total=goals,
                        goals_achieved=rng.randint(0, goals),
                    ),
                    tenant, c.SOURCE,
                )  # fmt: skip
            if rng.random() < 0.45:
                closed = opened + timedelta(days=rng.randint(10, 120))
                if closed < datetime(2026, 11, 1, tzinfo=UTC):
                    h.add(
                        c.CaseClosed(
                            case_id=u(cid), opened_at=opened, closed_at=closed,
                            reason_code=rng.choice(CLOSE),  # type: ignore[arg-type]
                        ),
                        tenant, c.SOURCE,
                    )  # fmt: skip
        for k in range(n_referrals):
            rid = f"{tenant}-r{k}"
            sid = rng.choice(services)
            sending = rng.choice(["social_assistance"] * 4 + ["education", "police"])
            receiving = rng.choice(SECTORS[:5])
            start = at(rng.randint(1, 9), rng.randint(1, 28))
            capacity = "no_capacity" if sid.endswith("s3") else "available"
            steps: list[tuple[str, datetime, dict[str, Any]]] = [("requested", start, {})]
            roll = rng.random()
            t = start + timedelta(days=rng.randint(1, 6))
            if roll < 0.2:
                steps.append(("rejected", t, {"reason_code": rng.choice([*REASONS[:2], "other"])}))
            elif roll < 0.27:
                steps.append(("cancelled", t, {"reason_code": "family_declined"}))
            elif roll > 0.32:
                steps.append(("accepted", t, {}))
                done = t + timedelta(days=rng.randint(5, 40))
                end = rng.random()
                if end < 0.6:
                    steps.append(("completed", done, {"outcome_code": rng.choice(OUTCOMES)}))
                elif end < 0.72:
                    steps.append(("failed", done, {"reason_code": rng.choice(REASONS[1:])}))
            previous: str | None = None
            for state, when, extra in steps:
                h.add(
                    c.REFERRAL_EVENTS[state](
                        referral_id=u(rid), case_id=u(rng.choice(cases)), service_id=u(sid),
                        sending_sector=sending, receiving_institution_id=u(inst[0]),  # type: ignore[arg-type]
                        receiving_sector=receiving, state=state, previous_state=previous,  # type: ignore[arg-type]
                        at=when, requested_at=start, capacity_status=capacity, **extra,  # type: ignore[arg-type]
                    ),
                    tenant, c.SOURCE,
                )  # fmt: skip
                previous = state
    return h.events
