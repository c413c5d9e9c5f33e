"""Every figure of the scripted history equals the value computed by hand (see history.py), both
before disclosure and as the API shows it (small cells suppressed)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest

from evaluation import views
from evaluation.domain.disclosure import Count, Rate, Stat
from evaluation.domain.periods import Period
from evaluation.domain.report import Report
from shared import clock
from shared.clock import WARSAW

A, B = "1219053", "1219043"
Q3 = Period.parse("2026-Q3")


def raw(report: Report, key: str) -> dict[str, list[Any]]:
    for section in report.sections:
        for t in section.tables:
            if t.key == key:
                return dict(zip(t.row_keys, t.rows, strict=True))
    raise KeyError(key)


def stat(cell: Any) -> tuple[float, int]:
    assert isinstance(cell, Stat)
    assert cell.value is not None
    return round(cell.value, 3), cell.n


@pytest.fixture
async def q3_a(evaluation) -> Report:
    async with evaluation.runtime.sessions() as session:
        return await views.report(session, A, Q3, clock.now())


async def test_partnership_figures(evaluation, q3_a):
    summary = raw(q3_a, "partnership_summary")
    assert summary["declared"][1] == 3
    assert summary["informal"][1] == 1
    assert summary["recommended_covered"][1] == 2
    assert summary["coordinators"][1] == 2
    assert summary["understaffed"][1] == 0
    assert summary["meetings_held"][1] == 2  # Q3 only; the October meeting is in Q4

    by_sector = raw(q3_a, "members_by_sector")
    # columns: name, invited, informal, declared, suspended, left, active
    assert by_sector["education"][1:] == [0, 0, 1, 0, 0, 1]
    assert by_sector["police"][1:] == [0, 1, 0, 0, 0, 1]
    assert by_sector["health"][1:] == [1, 0, 0, 0, 0, 0]
    assert by_sector["social_assistance"][1:] == [0, 0, 1, 0, 0, 1]
    coverage = raw(q3_a, "recommended_coverage")
    assert {k for k, row in coverage.items() if row[2] == "tak"} == {"education", "police"}

    assert {k: r[1] for k, r in raw(q3_a, "meetings_per_quarter").items()} == {"2026-Q3": 2}
    attendance = {r[0]: (r[2], r[3], r[4]) for r in raw(q3_a, "attendance").values()}
    assert attendance == {
        "Instytucja school": (2, 2, 100.0),
        "Instytucja police": (1, 2, 50.0),
        "Instytucja ngo": (0, 2, 0.0),
        "Instytucja ops": (2, 2, 100.0),
    }

    async with evaluation.runtime.sessions() as session:
        now = await views.monitoring(session, A, clock.now())
    quarters = {k: r[1] for k, r in raw(now, "meetings_per_quarter").items()}
    assert quarters == {"2026-Q3": 2, "2026-Q4": 1}
    attendance = {r[0]: (r[2], r[3]) for r in raw(now, "attendance").values()}
    assert attendance["Instytucja police"] == (2, 3)
    assert attendance["Instytucja ngo"] == (1, 3)


async def test_basket_figures(evaluation):
    # The basket is a state: checked on the monitoring view, whose 90 days run back from today
    # (the history's verification dates are relative to today too).
    async with evaluation.runtime.sessions() as session:
        now = await views.monitoring(session, A, clock.now())
    summary = raw(now, "basket_summary")
    assert summary["status_published"][1] == 4  # S1 S2 S3, and B's S6 which serves A
    assert summary["status_draft"][1] == 1
    assert summary["status_withdrawn"][1] == 1
    assert summary["verified_90"][1] == 3
    assert summary["verified_90_share"][1] == 75.0
    assert summary["no_capacity"][1] == 1
    assert summary["areas_covered"][1] == 4
    by_area = {k: r[1] for k, r in raw(now, "offerings_by_area").items() if r[1]}
    assert by_area == {"family_support": 1, "health": 1, "housing": 1, "culture": 1}
    assert {k: r[1] for k, r in raw(now, "capacity").items()} == {
        "available": 2,
        "waitlist": 1,
        "no_capacity": 1,
    }
    assert {k: r[1] for k, r in raw(now, "offerings_by_sector").items()} == {
        "education": 1,
        "health": 1,
        "ngo": 2,
    }
    assert raw(now, "offerings_by_category")["health/terapia"][2] == 1
    missing = raw(now, "missing_areas")
    assert len(missing) == 10
    assert f"{A}/foster_care" in missing
    assert f"{A}/culture" not in missing


async def test_case_figures(q3_a):
    s = raw(q3_a, "cases_summary")
    assert s["opened"][1] == Count(5)
    assert s["consented"][1] == Count(4)
    assert s["consent_share"][1] == Rate(4, 5)
    assert s["closed"][1] == Count(3)
    assert s["open"][1] == Count(2)
    assert stat(s["duration_median"][1]) == (60.0, 3)
    assert stat(s["duration_p90"][1]) == (60.8, 3)
    assert s["withdrawals"][1] == Count(1)
    assert s["plans"][1] == Count(3)
    assert s["plan_goals"][1] == Count(7)
    assert s["plan_actions"][1] == Count(10)
    assert s["plan_actions_done"][1] == Count(7)
    assert s["plan_goals_set"][1] == Count(7)
    assert s["plan_goals_reached"][1] == Count(3)
    assert s["plan_goals_reached_share"][1] == Rate(3, 7)
    assert s["closed_goals_achieved"][1] == Count(1)
    reasons = {k: r[1] for k, r in raw(q3_a, "cases_closed_by_reason").items() if r[1].n}
    assert reasons == {
        "goals_achieved": Count(1),
        "family_withdrew": Count(1),
        "no_cooperation": Count(1),
    }


async def test_referral_figures(q3_a):
    s = raw(q3_a, "referrals_summary")
    assert s["sent"][1] == Count(9)
    assert s["accepted"][1] == Count(5)
    assert s["rejected"][1] == Count(3)
    assert s["acceptance_rate"][1] == Rate(5, 8)
    assert s["completed"][1] == Count(3)
    assert s["failed"][1] == Count(1)
    assert s["cancelled"][1] == Count(1)
    assert stat(s["accept_median"][1]) == (3.0, 5)
    assert stat(s["accept_p90"][1]) == (4.6, 5)
    assert stat(s["complete_median"][1]) == (18.0, 3)
    assert stat(s["complete_p90"][1]) == (27.6, 3)
    assert s["to_no_capacity"][1] == Count(2)

    sectors = {k: [c.n for c in r[2:]] for k, r in raw(q3_a, "referrals_by_sector").items()}
    assert sectors == {
        "education>health": [1, 1, 0],
        "social_assistance>education": [2, 2, 0],
        "social_assistance>health": [4, 2, 2],
        "social_assistance>ngo": [2, 0, 1],
    }
    states = {k: r[1].n for k, r in raw(q3_a, "referrals_by_state").items() if r[1].n}
    assert states == {"rejected": 3, "completed": 3, "failed": 1, "cancelled": 1, "in-progress": 1}
    outcomes = {k: r[1].n for k, r in raw(q3_a, "referral_outcomes").items() if r[1].n}
    assert outcomes == {"goal_achieved": 2, "partially_achieved": 1}
    rejections = {k: r[1].n for k, r in raw(q3_a, "rejection_reasons").items() if r[1].n}
    assert rejections == {"not_eligible": 2, "no_capacity": 1}
    failures = {k: r[1].n for k, r in raw(q3_a, "failure_reasons").items() if r[1].n}
    assert failures == {"family_unreachable": 1}
    free = raw(q3_a, "referrals_by_cost")["free"]  # every offering of the history is free
    assert free[1:] == [Count(9), Count(3), Count(2), Rate(2, 3)]
    assert raw(q3_a, "referrals_by_cost")["paid"][1] == Count(0)


async def test_gap_and_trend_figures(q3_a):
    gaps = raw(q3_a, "gaps_by_municipality")[A]
    assert [c.n for c in gaps[1:4]] == [2, 1, 2]  # not eligible, no capacity, sent to full ones
    assert gaps[4:6] == [1, 10]  # offerings without capacity, areas without an offering
    by_area = {k: [c.n for c in r[1:]] for k, r in raw(q3_a, "gaps_by_area").items()}
    assert by_area["health"] == [1, 1, 1]
    assert by_area["family_support"] == [1, 0, 1]
    trend = raw(q3_a, "trend")
    assert list(trend) == ["2025-Q4", "2026-Q1", "2026-Q2", "2026-Q3"]
    assert [c.n if isinstance(c, Count) else c for c in trend["2026-Q3"][1:]] == [5, 9, 5, 3, 2]
    assert [c.n if isinstance(c, Count) else c for c in trend["2026-Q2"][1:]] == [0, 0, 0, 0, 0]


async def test_region_adds_up_the_municipalities(evaluation, support):
    response = await evaluation.get("analyst", "/v1/reports", period="2026-Q3")
    assert response.status_code == 200, response.text
    region = response.json()
    assert region["scope"] == "region"
    # B opened one case and sent one referral: the region's totals would give them away next to
    # A's figures, so complementary suppression hides them too ("#", ADR 0047).
    assert support.value(region, "cases_summary", "opened") == "#"
    assert support.value(region, "referrals_summary", "sent") == 10
    assert support.value(region, "referrals_summary", "accepted") == "#"
    assert support.value(region, "referrals_summary", "acceptance_rate") == "—"
    assert support.value(region, "partnership_summary", "understaffed") == 1
    municipalities = support.table(region, "by_municipality")
    assert municipalities[A][1:] == ["#", "#", 62.5, 4, 4]
    assert municipalities[B][1:] == ["#", "< 3", "—", 1, 1]
    assert len(support.table(region, "missing_areas")) == 10 + 13


async def test_api_shows_the_same_figures_with_small_cells_suppressed(evaluation, support):
    response = await evaluation.get("coord-a", "/v1/reports", period="2026-Q3")
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["scope"] == A
    s = support.table(report, "referrals_summary")
    assert s["sent"][1] == 9
    assert s["acceptance_rate"][1] == "—"  # of a hidden count: rejected (3) is "#"
    assert s["accept_median"][1] == 3.0
    assert s["complete_p90"][1] == 27.6
    # failed 1 and cancelled 1 among the states summing to the 9 sent: 9 − 7 = 2 = 1 + 1 would
    # give both away, so one is shown as "#" (and the figures equal to it with it).
    assert s["failed"][1] == "#"
    assert s["to_no_capacity"][1] == "#"
    c = support.table(report, "cases_summary")
    assert c["opened"][1] == "#"  # 5 opened, 4 with consent: the 1 without would follow
    assert c["open"][1] == "< 3"
    assert c["withdrawals"][1] == "< 3"
    assert c["consent_share"][1] == "—"  # 4 of 5: the remainder (1) would give a family away
    assert c["plan_actions_done_share"][1] == 70.0
    assert c["plan_goals_reached"][1] == 3
    assert c["plan_goals_reached_share"][1] == 42.9
    assert c["duration_median"][1] == 60.0
    # Zero stays zero; every other small count about families is hidden.
    assert support.table(report, "rejection_reasons")["duplicate"][1] == 0
    assert support.table(report, "rejection_reasons")["not_eligible"][1] == "#"
    for section in report["sections"]:
        if section["key"] in ("cases", "referrals"):
            for t in section["tables"]:
                for row in t["rows"]:
                    assert not {1, 2} & set(row[1:]), (t["key"], row)


async def test_the_monitoring_trend_ends_with_this_month_in_poland(evaluation):
    # 00:30 on 1 January 2028 in Warsaw is 23:30 on 31 December 2027 in UTC.
    now = datetime(2028, 1, 1, 0, 30, tzinfo=WARSAW).astimezone(UTC)
    async with evaluation.runtime.sessions() as session:
        report = await views.monitoring(session, A, now)
    months = list(raw(report, "trend"))
    assert months[-1] == "2028-01", months
    assert len(months) == 6
