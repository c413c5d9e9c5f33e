"""Monitoring reviews of the plan (ADR 0025)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from shared import clock
from web.clients.base import ApiProblem
from web.deps import SignedIn, T, User
from web.i18n import Translator
from web.routes.cases.common import (
    JSON,
    guarded,
    loads,
    one,
    path_errors,
    read_form,
)
from web.routes.cases.workspace import submit

router = APIRouter(tags=["cases"])


# --- monitoring reviews (ADR 0025) --------------------------------------------------------------

REVIEW_FIELDS = ("reviewed_on", "family_assessment", "review_notes", "next_review_on", "goals")
REVIEW_GOAL = re.compile(r"^g(\d+)_(goal_id|status|note)$")


@dataclass
class ReviewForm:
    body: JSON
    goal_rows: list[int]


def parse_review(form: dict[str, list[str]]) -> ReviewForm:
    """The review as posted: each goal of the plan is row `g<n>` (its id hidden, a status radio,
    a note); goals without a status are left out (not reviewed this time)."""
    rows: dict[int, dict[str, str]] = {}
    for key, values in form.items():
        if m := REVIEW_GOAL.match(key):
            rows.setdefault(int(m[1]), {})[m[2]] = values[0]
    goals: list[JSON] = []
    goal_rows: list[int] = []
    for row in sorted(rows):
        item = rows[row]
        if not item.get("status") or not item.get("goal_id"):
            continue
        goal: JSON = {"goal_id": item["goal_id"], "status": item["status"]}
        if item.get("note"):
            goal["note"] = item["note"]
        goals.append(goal)
        goal_rows.append(row)
    body: JSON = {"reviewed_on": one(form, "reviewed_on") or None, "goals": goals}
    for name, field in (
        ("family_assessment", "family_assessment"),
        ("notes", "review_notes"),
        ("next_review_on", "next_review_on"),
    ):
        if one(form, field):
            body[name] = one(form, field)
    return ReviewForm(body, goal_rows)


def review_errors(problem: ApiProblem, review: ReviewForm) -> dict[str, str]:
    """`goals.1.status` is the form's `g<row>_status`; the rest by name or in the summary."""

    def name_of(path: list[str]) -> str:
        if len(path) >= 3 and path[0] == "goals" and path[1].isdigit():
            index = int(path[1])
            if index < len(review.goal_rows):
                field = "status" if path[2] == "goal_id" else path[2]  # the row's radios
                return f"g{review.goal_rows[index]}_{field}"
            return "_form"
        if path[-1] == "notes":
            return "review_notes"
        return path[-1] if path[-1] in REVIEW_FIELDS else "_form"

    return path_errors(problem, name_of)


@router.post("/cases/{case_id}/reviews")
async def record_review(request: Request, user: SignedIn, t: T, case_id: str) -> Response:
    form = await read_form(request)
    review = parse_review(form)
    values = {k: v[0] for k, v in form.items() if v}
    problems = []
    if not review.body["reviewed_on"]:
        problems.append({"field": "reviewed_on", "detail": t("review.error.date")})
    if not review.body["goals"]:
        problems.append({"field": "goals", "detail": t("review.error.goals")})
    return await submit(
        request, user, t, case_id, "reviews",
        lambda: user.cases().record_review(case_id, review.body),
        form="review", values=values, problems=problems, done=t("review.recorded"),
        to_errors=lambda problem: review_errors(problem, review),
    )  # fmt: skip


@loads("reviews")
async def reviews_context(
    request: Request, user: User, t: Translator, case: JSON, values: dict[str, Any]
) -> JSON:
    client = user.cases()
    case_id = str(case["id"])
    context: JSON = {}
    reviews, context["denied"] = await guarded(lambda: client.reviews(case_id))
    context["reviews"] = sorted(
        reviews or [],
        key=lambda r: (str(r["reviewed_on"]), str(r["recorded_at"])),
        reverse=True,
    )
    context["plan_goals"] = (case.get("plan") or {}).get("goals") or []
    context["review_values"] = values or {"reviewed_on": clock.today().isoformat()}
    context["today"] = clock.today().isoformat()
    return context
