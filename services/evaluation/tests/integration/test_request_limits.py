"""The public survey answer, open to anyone with a link, refuses a body above the limit before
reading it (413) and NUL in an answer or the link (422 naming the field); either way the link
stays unused and nothing is stored (issue 12, ADR 0009)."""

from __future__ import annotations

import uuid

from sqlalchemy import text

from shared.guard import DEFAULT_MAX_BODY

QUESTIONS = [
    {"id": "q1", "text": "Jak oceniasz współpracę?", "kind": "scale"},
    {"id": "q3", "text": "Co poprawić?", "kind": "text"},
]


def problem(response, status: int) -> list[tuple[str, str]]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    return [(e["location"], e["field"]) for e in response.json()["errors"]]


async def _answers(evaluation) -> int:
    async with evaluation.runtime.engine.connect() as conn:
        return int((await conn.execute(text("SELECT count(*) FROM survey_answers"))).scalar_one())


async def test_the_public_answer_refuses_a_large_body_and_nul(evaluation):
    response = await evaluation.post(
        "coord-a", "/v1/surveys", {"title": "Ankieta", "questions": QUESTIONS}
    )
    assert response.status_code == 201, response.text
    survey = response.json()["id"]
    links = await evaluation.post(
        "coord-a", f"/v1/surveys/{survey}/links", {"contact_person_ids": [str(uuid.uuid4())]}
    )
    token = links.json()["links"][0]["token"]
    url = f"/v1/public/surveys/answer/{token}"

    big = {"answers": {"q1": 4, "q3": "x" * (10 * DEFAULT_MAX_BODY)}}
    assert problem(await evaluation.post(None, url, big), 413) == [("body", "body")]
    nul = {"answers": {"q1": 4, "q3": "uwaga\x00"}}
    assert problem(await evaluation.post(None, url, nul), 422) == [("body", "answers.q3")]
    assert problem(await evaluation.get(None, f"{url}%00"), 422) == [("path", "token")]
    assert await _answers(evaluation) == 0

    # The link was not spent: the proper answer is taken.
    ok = await evaluation.post(None, url, {"answers": {"q1": 4, "q3": "uwaga"}})
    assert ok.status_code == 201, ok.text
    assert await _answers(evaluation) == 1
