"""The case overview: its stage, closing the case, and what the overview section shows."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web.deps import SignedIn, T, User
from web.i18n import Translator
from web.routes.cases.common import (
    CASE_STAGES,
    CLOSE_REASONS,
    JSON,
    errors_of,
    loads,
    one,
    read_form,
)
from web.routes.cases.family import family_values
from web.routes.cases.workspace import submit

router = APIRouter(tags=["cases"])


# --- stage, closing and the family --------------------------------------------------------------


@router.post("/cases/{case_id}/stage")
async def change_stage(request: Request, user: SignedIn, t: T, case_id: str) -> Response:
    form = await read_form(request)
    state = one(form, "state")
    return await submit(
        request, user, t, case_id, "overview",
        lambda: user.cases().change_stage(case_id, state),
        form="stage", fields=("state",), done=t("form.saved"),
    )  # fmt: skip


@router.post("/cases/{case_id}/close")
async def close_case(request: Request, user: SignedIn, t: T, case_id: str) -> Response:
    form = await read_form(request)
    values = {"close_reason": one(form, "close_reason"), "close_note": one(form, "close_note")}
    body: JSON = {"reason": values["close_reason"]}
    if values["close_note"]:
        body["note"] = values["close_note"]
    problems = (
        [] if values["close_reason"]
        else [{"field": "reason", "detail": t("cases.close.reason")}]
    )  # fmt: skip
    return await submit(
        request, user, t, case_id, "overview",
        lambda: user.cases().close_case(case_id, body),
        form="close", values=values, problems=problems, done=t("cases.closed"),
        to_errors=lambda problem: {("close_" + k if k in ("reason", "note") else k): v
                                   for k, v in errors_of(problem).items()},
    )  # fmt: skip


@loads("overview")
async def overview_context(
    request: Request, user: User, t: Translator, case: JSON, values: dict[str, Any]
) -> JSON:
    client = user.cases()
    case_id = str(case["id"])
    manager = case["relation"] == "case_manager"
    context: JSON = {}
    context["stages"] = CASE_STAGES
    context["close_reasons"] = CLOSE_REASONS
    if manager:
        history = await client.reassignments(case_id)
        context["reassignments"] = sorted(history, key=lambda r: str(r["at"]), reverse=True)
        context["family_values"] = {
            str(p["id"]): family_values(p) for p in case.get("family") or []
        }
    return context
