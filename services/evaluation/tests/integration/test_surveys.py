"""Surveys: defined by a coordinator, answered once per link without signing in, anonymously;
results shown only from five answers."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import text

A = "1219053"

QUESTIONS = [
    {"id": "q1", "text": "Jak oceniasz współpracę w partnerstwie?", "kind": "scale"},
    {
        "id": "q2",
        "text": "Czy spotkania są potrzebne?",
        "kind": "choice",
        "options": ["tak", "nie"],
    },
    {"id": "q3", "text": "Co poprawić?", "kind": "text"},
]


async def _survey(evaluation) -> str:
    response = await evaluation.post(
        "coord-a", "/v1/surveys", {"title": "Satysfakcja partnerów 2026", "questions": QUESTIONS}
    )
    assert response.status_code == 201, response.text
    assert response.json()["tenant"] == A
    return str(response.json()["id"])


async def test_answers_are_anonymous_once_per_link_and_shown_from_five(evaluation):
    survey = await _survey(evaluation)
    people = [str(uuid.uuid4()) for _ in range(6)]
    response = await evaluation.post(
        "coord-a", f"/v1/surveys/{survey}/links", {"contact_person_ids": people}
    )
    assert response.status_code == 201, response.text
    links = response.json()["links"]
    assert [link["contact_person_id"] for link in links] == people
    tokens = [link["token"] for link in links]
    assert links[0]["url"].endswith(f"/v1/public/surveys/answer/{tokens[0]}")

    form = await evaluation.get(None, f"/v1/public/surveys/answer/{tokens[0]}")
    assert form.status_code == 200, form.text
    assert [q["id"] for q in form.json()["questions"]] == ["q1", "q2", "q3"]

    for i, token in enumerate(tokens[:4]):
        answer = {"answers": {"q1": 3 + i % 3, "q2": "tak" if i else "nie", "q3": f"uwaga {i}"}}
        response = await evaluation.post(None, f"/v1/public/surveys/answer/{token}", answer)
        assert response.status_code == 201, response.text
    again = await evaluation.post(
        None, f"/v1/public/surveys/answer/{tokens[0]}", {"answers": {"q1": 1}}
    )
    assert again.status_code == 404
    assert (await evaluation.get(None, f"/v1/public/surveys/answer/{tokens[0]}")).status_code == 404

    hidden = await evaluation.get("director-a", f"/v1/surveys/{survey}/results")
    assert hidden.status_code == 200
    assert hidden.json()["shown"] is False
    assert hidden.json()["answers"] == "< 5"
    assert hidden.json()["questions"] is None

    response = await evaluation.post(
        None, f"/v1/public/surveys/answer/{tokens[4]}", {"answers": {"q1": 5, "q2": "tak"}}
    )
    assert response.status_code == 201
    shown = (await evaluation.get("analyst", f"/v1/surveys/{survey}/results")).json()
    assert shown["shown"] is True
    assert shown["answers"] == 5
    q1, q2, q3 = shown["questions"]
    assert q1["distribution"] == {"1": 0, "2": 0, "3": 2, "4": 1, "5": 2}  # 3, 4, 5, 3, 5
    assert q1["mean"] == 4.0
    assert q2["counts"] == {"tak": 4, "nie": 1}
    assert q3["texts"] == ["uwaga 0", "uwaga 1", "uwaga 2", "uwaga 3"]

    # Nothing stored ties an answer to a link or a person.
    async with evaluation.runtime.engine.connect() as conn:
        columns = (
            (
                await conn.execute(
                    text(
                        "SELECT column_name FROM information_schema.columns "
                        "WHERE table_name IN ('survey_answers', 'survey_links')"
                    )
                )
            )
            .scalars()
            .all()
        )
        stored = (
            (await conn.execute(text("SELECT answers::text FROM survey_answers"))).scalars().all()
        )
    assert set(columns) == {"id", "survey_id", "answers", "token_hash", "used"}
    assert not any(token in s or p in s for s in stored for token in tokens for p in people)

    other = await evaluation.get("coord-b", f"/v1/surveys/{survey}/results")
    assert other.status_code == 404


async def test_bad_answers_and_definitions_name_the_field(evaluation):
    survey = await _survey(evaluation)
    token = (
        await evaluation.post(
            "coord-a", f"/v1/surveys/{survey}/links", {"contact_person_ids": [str(uuid.uuid4())]}
        )
    ).json()["links"][0]["token"]
    bad = await evaluation.post(None, f"/v1/public/surveys/answer/{token}", {"answers": {"q1": 9}})
    assert bad.status_code == 422
    assert "answers.q1" in bad.text
    # The token was not spent by the failed attempt.
    good = await evaluation.post(None, f"/v1/public/surveys/answer/{token}", {"answers": {"q1": 4}})
    assert good.status_code == 201

    choice = [{"id": "x", "text": "Wybierz coś", "kind": "choice", "options": ["jedna"]}]
    response = await evaluation.post(
        "coord-a", "/v1/surveys", {"title": "Zła", "questions": choice}
    )
    assert response.status_code == 422
    assert "questions.0.options" in response.text
    assert (
        await evaluation.post("director-a", "/v1/surveys", {"title": "Nie", "questions": QUESTIONS})
    ).status_code == 403
    assert (
        await evaluation.get(None, "/v1/public/surveys/answer/nieznany-token")
    ).status_code == 404
    regional = await evaluation.post(
        "admin", "/v1/surveys", {"title": "Bez gminy", "questions": QUESTIONS}
    )
    assert regional.status_code == 422
    assert "tenant" in regional.text


@pytest.mark.parametrize(
    "closes_at", ["9999-12-31T23:59:59-10:00", "0001-01-01T00:00:00+10:00", "2101-01-01T00:00:00Z"]
)
async def test_a_closing_date_outside_the_years_is_refused_and_nothing_is_stored(
    evaluation, closes_at
):
    before = await evaluation.get("coord-a", "/v1/surveys")
    response = await evaluation.post(
        "coord-a",
        "/v1/surveys",
        {"title": "Ankieta z odległą datą", "questions": QUESTIONS, "closes_at": closes_at},
    )
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    [error] = response.json()["errors"]
    assert error["field"] == "closes_at"
    assert "2000–2100" in error["detail"]
    after = await evaluation.get("coord-a", "/v1/surveys")
    assert len(after.json()) == len(before.json())


async def test_oversized_answers_and_options_are_refused_and_the_link_is_kept(evaluation):
    survey = await _survey(evaluation)
    token = (
        await evaluation.post(
            "coord-a", f"/v1/surveys/{survey}/links", {"contact_person_ids": [str(uuid.uuid4())]}
        )
    ).json()["links"][0]["token"]
    many = {"answers": {f"q{i}": 1 for i in range(101)}}
    response = await evaluation.post(None, f"/v1/public/surveys/answer/{token}", many)
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["answers"]
    assert (await evaluation.get(None, f"/v1/public/surveys/answer/{token}")).status_code == 200

    long_option = [
        {"id": "x", "text": "Wybierz coś", "kind": "choice", "options": ["a" * 201, "b"]}
    ]
    response = await evaluation.post(
        "coord-a", "/v1/surveys", {"title": "Długa opcja", "questions": long_option}
    )
    assert response.status_code == 422, response.text
    assert [e["field"] for e in response.json()["errors"]] == ["questions.0.options.0"]
