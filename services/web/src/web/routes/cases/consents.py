"""The family's consent: giving and withdrawing it, its form, and the access log it allows."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from shared import clock
from web.deps import SignedIn, T, User
from web.i18n import SECTORS, Translator
from web.routes.cases.common import (
    CONSENT_METHODS,
    DATA_KINDS,
    DOCUMENT_CSP,
    JSON,
    end_of_day,
    given,
    institutions_by_id,
    loads,
    one,
    person_name,
    read_form,
)
from web.routes.cases.workspace import submit

router = APIRouter(tags=["cases"])


# --- consent ------------------------------------------------------------------------------------

CONSENT_FIELDS = (
    "given_by_member_id",
    "method",
    "valid_until",
    "institution_ids",
    "sectors",
    "data_kinds",
)


@router.post("/cases/{case_id}/consent")
async def give_consent(request: Request, user: SignedIn, t: T, case_id: str) -> Response:
    form = await read_form(request)
    values: dict[str, Any] = {
        "given_by_member_id": one(form, "given_by_member_id"),
        "method": one(form, "method"),
        "valid_until": one(form, "valid_until"),
        "institution_ids": form.get("institution_ids", []),
        "sectors": form.get("sectors", []),
        "data_kinds": form.get("data_kinds", []),
    }
    body: JSON = {
        "method": values["method"],
        "scope": {
            "institution_ids": values["institution_ids"],
            "sectors": values["sectors"],
            "data_kinds": values["data_kinds"],
        },
    }
    problems: list[dict[str, str]] = []
    if values["given_by_member_id"]:
        body["given_by_member_id"] = values["given_by_member_id"]
    else:
        problems.append({"field": "given_by_member_id", "detail": t("consent.error.giver")})
    if not values["method"]:
        problems.append({"field": "method", "detail": t("consent.error.method")})
    if values["valid_until"]:
        until = end_of_day(values["valid_until"])
        if until is None:
            problems.append({"field": "valid_until", "detail": t("consent.error.date")})
        body["valid_until"] = until
    return await submit(
        request, user, t, case_id, "consent",
        lambda: user.cases().give_consent(case_id, body),
        form="consent", fields=CONSENT_FIELDS, values=values, problems=problems,
        done=t("consent.recorded"),
    )  # fmt: skip


@router.post("/cases/{case_id}/consents/{consent_id}/withdraw")
async def withdraw_consent(
    request: Request, user: SignedIn, t: T, case_id: str, consent_id: str
) -> Response:
    form = await read_form(request)
    note = given(one(form, "note"))
    return await submit(
        request, user, t, case_id, "consent",
        lambda: user.cases().withdraw_consent(case_id, consent_id, note),
        form=f"withdraw-{consent_id}", fields=("note",), done=t("consent.withdrawn_now"),
    )  # fmt: skip


def document_response(content: bytes, media_type: str, filename: str) -> Response:
    headers = {"Content-Security-Policy": DOCUMENT_CSP}
    if media_type.startswith("application/pdf"):
        headers["Content-Disposition"] = f'inline; filename="{filename}"'
    return Response(content, media_type=media_type, headers=headers)


@router.get("/cases/{case_id}/consents/{consent_id}/form")
async def consent_form(
    user: SignedIn, case_id: str, consent_id: str, format: str = "html"
) -> Response:
    pdf = format == "pdf"
    content, media_type = await user.cases().document(
        f"{case_id}/consents/{consent_id}/form.{'pdf' if pdf else 'html'}",
        "application/pdf" if pdf else "text/html",
    )
    return document_response(content, media_type, "zgoda.pdf")


@router.get("/cases/{case_id}/access-log/pdf")
async def access_report(user: SignedIn, case_id: str) -> Response:
    content, media_type = await user.cases().document(
        f"{case_id}/access-log.pdf", "application/pdf"
    )
    return document_response(content, media_type, "rejestr-dostepu.pdf")


@loads("consent")
async def consent_context(
    request: Request, user: User, t: Translator, case: JSON, values: dict[str, Any]
) -> JSON:
    client = user.cases()
    case_id = str(case["id"])
    context: JSON = {}
    context["consents"] = await client.consents(case_id)
    context["institutions"] = await institutions_by_id(user)
    context["institution_options"] = [
        (str(i["id"]), str(i["name"]))
        for i in t.sorted_by(list(context["institutions"].values()), "name")
    ]
    context["family_names"] = {str(p["id"]): person_name(p) for p in case.get("family") or []}
    context["methods"] = CONSENT_METHODS
    context["kinds"] = DATA_KINDS
    context["sectors"] = SECTORS
    context["today"] = clock.today().isoformat()
    return context


@loads("access-log")
async def access_log_context(
    request: Request, user: User, t: Translator, case: JSON, values: dict[str, Any]
) -> JSON:
    client = user.cases()
    case_id = str(case["id"])
    context: JSON = {}
    lines = await client.access_report(case_id)
    context["entries"] = sorted(lines, key=lambda e: str(e["first_at"]), reverse=True)
    return context
