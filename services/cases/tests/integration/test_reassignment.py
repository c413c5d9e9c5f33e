"""A case passes to another case manager of the same municipality (ADR 0023): the previous one
loses access on the next request, the new one gains it, the access log and an event record it,
and bad input or the wrong caller change nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import text

TABLES = ("cases", "case_reassignments", "access_log", "outbox")


async def counts(c) -> dict[str, int]:
    async with c.runtime.engine.connect() as conn:
        return {
            t: int((await conn.execute(text(f"SELECT count(*) FROM {t}"))).scalar_one())
            for t in TABLES
        }


def handover(subject: str, username: str = "manager-c", **extra) -> dict:
    return {"manager_subject": subject, "manager_username": username,
            "reason_code": "absence", **extra}  # fmt: skip


async def test_the_case_manager_hands_the_case_over(cases):
    c = cases
    case_id, _people, _consent = await c.team_case()
    new = c.forge_user("manager-c", "case-manager")
    old = await c.subject_of("manager-a")
    response = await c.post(
        "manager-a",
        f"/v1/cases/{case_id}/reassign",
        handover(new, reason="Urlop macierzyński Anastazji"),
    )
    assert response.status_code == 200, response.text
    assert response.json() == {"case_id": case_id, "manager_username": "manager-c"}

    # The very next request: the old manager sees nothing, the new one everything.
    assert (await c.get("manager-a", f"/v1/cases/{case_id}")).status_code == 404
    assert (await c.get("manager-a", f"/v1/cases/{case_id}/family")).status_code == 404
    view = await c.get("manager-c", f"/v1/cases/{case_id}")
    assert view.status_code == 200
    assert view.json()["relation"] == "case_manager"
    assert view.json()["manager_username"] == "manager-c"
    family = (await c.get("manager-c", f"/v1/cases/{case_id}/family")).json()
    assert any(p["pesel"] == c.PESEL_MOTHER for p in family)
    assert case_id in [x["id"] for x in (await c.get("manager-c", "/v1/cases")).json()]
    assert case_id not in [x["id"] for x in (await c.get("manager-a", "/v1/cases")).json()]
    # The team is untouched.
    assert (await c.get("partner-a", f"/v1/cases/{case_id}/plan")).status_code == 200

    log = (await c.get("manager-c", f"/v1/cases/{case_id}/access-log")).json()
    [entry] = [e for e in log if e["what"] == "case.reassign"]
    assert (entry["actor_username"], entry["relation"], entry["action"]) == (
        "manager-a", "case_manager", "change"
    )  # fmt: skip
    history = (await c.get("manager-c", f"/v1/cases/{case_id}/reassignments")).json()
    assert [
        (h["from_username"], h["to_username"], h["reason_code"], h["by_relation"]) for h in history
    ] == [("manager-a", "manager-c", "absence", "case_manager")]

    events = await c.tap.wait_for(lambda es: any(e.type == "cases.case.reassigned" for e in es))
    [event] = [e for e in events if e.type == "cases.case.reassigned"]
    assert event.tenant == c.A
    assert event.subject == case_id
    assert event.data["case_id"] == case_id
    assert event.data["case_manager_user_id"] == new
    assert event.data["previous_case_manager_user_id"] == old
    assert event.data["reason_code"] == "absence"
    assert event.data["by_relation"] == "case_manager"
    assert "reason" not in event.data
    assert "Urlop" not in event.model_dump_json()

    # And back again: the new manager may hand it over in turn.
    back = await c.post("manager-c", f"/v1/cases/{case_id}/reassign", handover(old, "manager-a"))
    assert back.status_code == 200
    assert (await c.get("manager-c", f"/v1/cases/{case_id}")).status_code == 404
    assert (await c.get("manager-a", f"/v1/cases/{case_id}")).status_code == 200


async def test_the_director_of_the_municipality_hands_over_without_seeing_the_case(cases):
    c = cases
    case_id, _people = await c.open_case()
    new = c.forge_user("manager-c", "case-manager")
    # A closed case can be handed over too (its access log stays producible for the family).
    closed = await c.post("manager-a", f"/v1/cases/{case_id}/close", {"reason": "other"})
    assert closed.status_code == 200
    assert (await c.get("director-a", f"/v1/cases/{case_id}")).status_code == 404
    response = await c.post("director-a", f"/v1/cases/{case_id}/reassign", handover(new))
    assert response.status_code == 200, response.text
    assert (await c.get("director-a", f"/v1/cases/{case_id}")).status_code == 404
    assert (await c.get("manager-c", f"/v1/cases/{case_id}/access-log")).status_code == 200
    history = (await c.get("manager-c", f"/v1/cases/{case_id}/reassignments")).json()
    assert history[0]["by_username"] == "director-a"
    assert history[0]["by_relation"] == "director"
    assert "cases.case.reassigned" in await c.outbox_types()


@pytest.mark.parametrize(
    ("user", "status"),
    [("manager-b", 404), ("coord-a", 404), ("analyst", 404), ("admin", 404),
     ("director-b", 404), ("manager-c", 404), ("partner-a", 403)],
)  # fmt: skip
async def test_nobody_else_hands_a_case_over(cases, user, status):
    c = cases
    case_id, _people, _consent = await c.team_case()
    new = c.forge_user("manager-c", "case-manager")
    c.forge_user("director-b", "director", tenant=c.B)
    before = await counts(c)
    response = await c.post(user, f"/v1/cases/{case_id}/reassign", handover(new))
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    # Nothing changed; the refused attempt is recorded (ADR 0029).
    assert await counts(c) == {**before, "access_log": before["access_log"] + 1}
    async with c.runtime.engine.connect() as conn:
        last = (
            await conn.execute(text("SELECT * FROM access_log ORDER BY seq DESC LIMIT 1"))
        ).one()
    assert (last.what, last.outcome) == ("case.reassign", "refused")
    assert (await c.get("manager-a", f"/v1/cases/{case_id}")).status_code == 200


async def test_bad_input_is_named_and_changes_nothing(cases):
    c = cases
    case_id, _people = await c.open_case()
    new = c.forge_user("manager-c", "case-manager")
    me = await c.subject_of("manager-a")
    director = await c.subject_of("director-a")
    before = await counts(c)
    url = f"/v1/cases/{case_id}/reassign"
    for body, field, code in [
        ({"manager_subject": new, "manager_username": "manager-c"}, "reason_code", None),
        (handover(new, reason_code="holidays"), "reason_code", None),
        (handover(""), "manager_subject", None),
        (handover(new, username=""), "manager_username", None),
        (handover(me, "manager-a"), "manager_subject", "same_manager"),
        ({**handover(new), "tenant": c.B}, "tenant", None),
    ]:
        response = await c.post("manager-a", url, body)
        assert response.status_code == 422, response.text
        assert response.headers["content-type"] == "application/problem+json"
        errors = response.json()["errors"]
        assert [e["field"] for e in errors] == [field]
        if code:
            assert errors[0]["code"] == code
    # The director cannot take the case himself: a director is not a case manager.
    response = await c.post("director-a", url, handover(director, "director-a"))
    assert response.status_code == 422
    assert response.json()["errors"][0]["code"] == "not_a_case_manager"
    missing = await c.post(
        "manager-a", "/v1/cases/00000000-0000-4000-8000-000000000000/reassign", handover(new)
    )
    assert missing.status_code == 404
    assert await counts(c) == before
