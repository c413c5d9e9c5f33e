"""Monitoring reviews of the support plan (ADR 0025): recorded by the case manager with the
family, visible to team members whose consent shares the plan, published as counts only; the plan
event carries how many of its goals the reviews found reached."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import text

from shared import clock

TODAY = clock.today()
PLAN = {
    "goals": [
        {"id": "g-school", "title": "Regularna obecność syna w szkole"},
        {"id": "g-work", "title": "Praca matki"},
    ]
}
ASSESSMENT = "Anastazja mówi, że depresyjne dni są rzadsze"


async def counts(c) -> dict[str, int]:
    async with c.runtime.engine.connect() as conn:
        return {
            t: int((await conn.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one())
            for t in ("monitoring_reviews", "access_log", "outbox")
        }


def review(**extra) -> dict:
    return {
        "reviewed_on": str(TODAY),
        "goals": [
            {"goal_id": "g-school", "status": "reached", "note": "Frekwencja 95%"},
            {"goal_id": "g-work", "status": "progressed"},
        ],
        "family_assessment": ASSESSMENT,
        "next_review_on": str(TODAY + timedelta(days=90)),
        **extra,
    }


async def test_a_review_is_recorded_shown_within_consent_and_published_as_counts(cases):
    c = cases
    case_id, people, _consent = await c.team_case()
    assert (await c.put("manager-a", f"/v1/cases/{case_id}/plan", PLAN)).status_code == 200
    review_id = await c.created("manager-a", f"/v1/cases/{case_id}/reviews", review())

    for user in ("manager-a", "partner-a"):
        response = await c.get(user, f"/v1/cases/{case_id}/reviews")
        assert response.status_code == 200, response.text
        [shown] = response.json()
        assert shown["id"] == review_id
        assert shown["plan_version"] == 1
        assert [(g["goal_id"], g["title"], g["status"]) for g in shown["goals"]] == [
            ("g-school", "Regularna obecność syna w szkole", "reached"),
            ("g-work", "Praca matki", "progressed"),
        ]
        assert shown["family_assessment"] == ASSESSMENT
        assert shown["next_review_on"] == str(TODAY + timedelta(days=90))
    # A team member whose consent does not share the plan: 403; a stranger: 404.
    clinic = c.forge_staff("clinic-x", c.CLINIC)
    await c.consent(case_id, people[0], institutions=[c.CLINIC], kinds=["meetings"])
    await c.join(case_id, c.CLINIC, clinic)
    assert (await c.get(clinic, f"/v1/cases/{case_id}/reviews")).status_code == 403
    assert (await c.get("manager-b", f"/v1/cases/{case_id}/reviews")).status_code == 404
    assert (await c.post("partner-a", f"/v1/cases/{case_id}/reviews", review())).status_code == 403

    log = (await c.get("manager-a", f"/v1/cases/{case_id}/access-log")).json()
    assert "review.record" in [
        e["what"] for e in log if e["action"] == "change" and e["outcome"] == "allowed"
    ]
    assert [(e["actor_username"], e["outcome"]) for e in log if "review" in e["what"]][-5:] == [
        ("manager-a", "allowed"), ("partner-a", "allowed"), ("clinic-x", "refused"),
        ("manager-b", "refused"), ("partner-a", "refused"),
    ]  # fmt: skip

    events = await c.tap.wait_for(lambda es: any(e.type == "cases.review.recorded" for e in es))
    [event] = [e for e in events if e.type == "cases.review.recorded"]
    assert event.tenant == c.A
    assert event.data == {
        "case_id": case_id,
        "review_id": review_id,
        "plan_version": 1,
        "reviewed_on": str(TODAY),
        "next_review_on": str(TODAY + timedelta(days=90)),
        "recorded_at": event.data["recorded_at"],
        "goals_total": 2,
        "goals_reviewed": 2,
        "goals_progressed": 1,
        "goals_reached": 1,
        "goals_not_reached": 0,
        "family_assessed": True,
    }

    # The next plan version keeps both goals and adds one: one of three reached.
    plan2 = {"goals": [*PLAN["goals"], {"id": "g-home", "title": "Mieszkanie"}]}
    assert (await c.put("manager-a", f"/v1/cases/{case_id}/plan", plan2)).status_code == 200
    plans = await c.tap.wait_for(
        lambda es: any(e.type == "cases.plan.updated" and e.data["version"] == 2 for e in es)
    )
    first, second = [e for e in plans if e.type == "cases.plan.updated"]
    assert (first.data["goals_total"], first.data["goals_achieved"]) == (2, 0)
    assert (second.data["goals_total"], second.data["goals_achieved"]) == (3, 1)
    assert second.data["goal_count"] == 3


async def test_bad_reviews_are_named_and_change_nothing(cases):
    c = cases
    case_id, _people = await c.open_case()
    url = f"/v1/cases/{case_id}/reviews"
    no_plan = await c.post("manager-a", url, review())
    assert no_plan.status_code == 422
    assert [(e["field"], e["code"]) for e in no_plan.json()["errors"]] == [("goals", "no_plan")]
    assert (await c.put("manager-a", f"/v1/cases/{case_id}/plan", PLAN)).status_code == 200
    before = await counts(c)
    school = {"goal_id": "g-school", "status": "reached"}
    for body, expected in [
        (review(goals=[{"goal_id": "nope", "status": "reached"}]), ["goals.0.goal_id"]),
        (review(goals=[school, school]), ["goals.1.goal_id"]),
        (review(goals=[{"goal_id": "g-school", "status": "done"}]), ["goals.0.status"]),
        (review(goals=[]), ["goals"]),
        (review(reviewed_on=str(TODAY + timedelta(days=1))), ["reviewed_on"]),
        (review(reviewed_on=str(TODAY - timedelta(days=1))), ["reviewed_on"]),
        (review(next_review_on=str(TODAY)), ["next_review_on"]),
        (review(reviewed_on="wczoraj"), ["reviewed_on"]),
    ]:
        response = await c.post("manager-a", url, body)
        assert response.status_code == 422, (body, response.text)
        assert response.headers["content-type"] == "application/problem+json"
        assert [e["field"] for e in response.json()["errors"]] == expected
    assert await counts(c) == before
    closed = await c.post("manager-a", f"/v1/cases/{case_id}/close", {"reason": "other"})
    assert closed.status_code == 200
    before = await counts(c)
    assert (await c.post("manager-a", url, review())).status_code == 409
    assert await counts(c) == before
