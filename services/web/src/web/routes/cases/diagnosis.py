"""The diagnosis of a case: its areas and the entries added to them."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web.deps import SignedIn, T, User
from web.i18n import Translator
from web.routes.cases.common import (
    DIAGNOSIS_AREAS,
    JSON,
    guarded,
    loads,
    one,
    read_form,
)
from web.routes.cases.workspace import submit

router = APIRouter(tags=["cases"])


# --- diagnosis ----------------------------------------------------------------------------------

DIAGNOSIS_FIELDS = ("area", "perspective", "text")


@router.post("/cases/{case_id}/diagnosis")
async def add_diagnosis(request: Request, user: SignedIn, t: T, case_id: str) -> Response:
    form = await read_form(request)
    values = {name: one(form, name) for name in DIAGNOSIS_FIELDS}
    missing = [{"field": name, "detail": t("cases.missing")} for name, v in values.items() if not v]
    return await submit(
        request, user, t, case_id, "diagnosis",
        lambda: user.cases().add_diagnosis_entry(case_id, values),
        form="diagnosis", fields=DIAGNOSIS_FIELDS, values=values, problems=missing,
        done=t("form.saved"), anchor=f"area-{values['area']}",
    )  # fmt: skip


@loads("diagnosis")
async def diagnosis_context(
    request: Request, user: User, t: Translator, case: JSON, values: dict[str, Any]
) -> JSON:
    client = user.cases()
    case_id = str(case["id"])
    context: JSON = {}
    context["areas"], context["denied"] = await guarded(lambda: client.diagnosis(case_id))
    context["area_codes"] = DIAGNOSIS_AREAS
    return context
