"""RFC 9457 problems from the services become messages next to the right form fields."""

from __future__ import annotations

import httpx

from web.clients.base import ApiProblem, problem_from
from web.routes.partners import INSTITUTION_FIELDS, problem_errors


def test_field_errors_go_to_their_fields_and_the_rest_to_the_summary() -> None:
    response = httpx.Response(
        422,
        json={
            "type": "https://cus.gov.pl/problems/validation",
            "title": "Nieprawidłowe dane",
            "status": 422,
            "detail": "regon: REGON ma nieprawidłową cyfrę kontrolną.",
            "errors": [
                {"field": "regon", "detail": "REGON ma nieprawidłową cyfrę kontrolną."},
                {"field": "tenant", "detail": "Wskaż gminę (kod TERYT)."},
            ],
        },
    )
    problem = problem_from(response)
    assert problem.status == 422
    assert problem_errors(problem, INSTITUTION_FIELDS) == {
        "regon": "REGON ma nieprawidłową cyfrę kontrolną.",
        "_form": "Wskaż gminę (kod TERYT).",
    }


def test_a_problem_without_field_errors_or_json_still_says_something() -> None:
    conflict = ApiProblem(409, title="Konflikt ze stanem obiektu", detail="Już istnieje.")
    assert problem_errors(conflict, INSTITUTION_FIELDS) == {"_form": "Już istnieje."}
    plain = problem_from(httpx.Response(400, text="bad"))
    assert plain.title == "Bad Request"
    assert problem_errors(plain, INSTITUTION_FIELDS) == {"_form": "Bad Request"}
