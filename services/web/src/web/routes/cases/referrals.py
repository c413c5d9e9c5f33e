"""Referrals: sending one from a case, moving it along, and the partner staff's incoming list."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web.clients.base import ApiProblem
from web.deps import SignedIn, T, User, redirect, safe_return_path
from web.i18n import Translator
from web.routes.cases.common import (
    JSON,
    OUTCOME_CODES,
    REASON_CODES,
    SECTION_BY_SLUG,
    SECTIONS,
    CaseUnavailable,
    errors_of,
    guarded,
    institutions_by_id,
    is_partner_staff,
    load_case,
    loads,
    one,
    page,
    read_form,
    unavailable,
)
from web.routes.cases.workspace import back_to, submit, workspace

router = APIRouter(tags=["cases"])


# --- referrals ----------------------------------------------------------------------------------


@router.get("/cases/{case_id}/referrals/new")
async def referral_preview(
    request: Request, user: SignedIn, t: T, case_id: str, service_id: str = ""
) -> Response:
    """Before sending: the chosen service with its capacity (available / waitlist / none)."""
    client = user.cases()
    try:
        case = await load_case(client, case_id)
    except CaseUnavailable:
        return unavailable(request)
    if case["relation"] != "case_manager":
        return page(request, "cases/denied.html", {"reason": "manager"}, status_code=403)
    if not service_id:
        return back_to(case_id, "referrals", "new-referral")
    try:
        offering = await client.offering(service_id)
    except ApiProblem as problem:
        if problem.status not in (404, 422):
            raise
        offering = None
    institutions = await institutions_by_id(user) if offering else {}
    return page(
        request,
        "cases/referral_new.html",
        {
            "case": case,
            "section": SECTION_BY_SLUG["referrals"],
            "sections": SECTIONS,
            "data_kinds": case["data_kinds"],
            "manager": True,
            "allowed": True,
            "offering": offering,
            "provider": institutions.get(str((offering or {}).get("institution_id"))),
        },
        status_code=200 if offering else 404,
    )


@router.post("/cases/{case_id}/referrals")
async def send_referral(request: Request, user: SignedIn, t: T, case_id: str) -> Response:
    form = await read_form(request)
    values = {"service_id": one(form, "service_id"), "note": one(form, "note")}
    body: JSON = {"service_id": values["service_id"], "draft": one(form, "draft") == "1"}
    if values["note"]:
        body["note"] = values["note"]
    problems = (
        [] if values["service_id"]
        else [{"field": "service_id", "detail": t("referrals.error.service")}]
    )  # fmt: skip
    return await submit(
        request, user, t, case_id, "referrals",
        lambda: user.cases().refer(case_id, body),
        form="referral", fields=("service_id", "note"), values=values, problems=problems,
        done=t("referrals.saved_draft" if body["draft"] else "referrals.sent"),
    )  # fmt: skip


MOVE_FIELDS = ("reason_code", "reason", "outcome_code", "outcome")


@router.post("/referrals/{referral_id}/move")
async def move_referral(request: Request, user: SignedIn, t: T, referral_id: str) -> Response:
    """One transition of a referral, from the case's page or the partner's list of referrals."""
    form = await read_form(request)
    state = one(form, "state")
    back = safe_return_path(one(form, "next") or "/referrals")
    values = {name: one(form, name) for name in MOVE_FIELDS}
    body: JSON = {"state": state, **{k: v for k, v in values.items() if v}}
    try:
        await user.cases().move_referral(referral_id, body)
    except ApiProblem as problem:
        errors = errors_of(problem, MOVE_FIELDS)
        form_id = f"move-{referral_id}-{state}"
        case_id = one(form, "case_id")
        if back.startswith("/cases/") and case_id:
            return await workspace(
                request, user, t, case_id, "referrals", form=form_id, values=values, errors=errors
            )
        return await incoming_page(request, user, t, form=form_id, values=values, errors=errors)
    user.session.flash.append(t("referrals.moved", state=t(f"referral.state.{state}")))
    return redirect(f"{back}#referral-{referral_id}")


async def incoming_page(
    request: Request,
    user: User,
    t: Translator,
    *,
    form: str | None = None,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    referrals = await user.cases().incoming() if is_partner_staff(user) else []
    referrals.sort(key=lambda r: r.requested_at or r.created_at, reverse=True)
    member_cases = {str(c["id"]) for c in await user.cases().my_cases()}
    return page(
        request,
        "cases/incoming.html",
        {
            # open or closed as the service says: a final referral offers no move to anyone
            "to_answer": [r for r in referrals if r.state == "requested"],
            "ongoing": [r for r in referrals if r.state != "requested" and r.moves],
            "closed": [r for r in referrals if r.state != "requested" and not r.moves],
            "member_cases": member_cases,
            "reasons": REASON_CODES,
            "outcomes": OUTCOME_CODES,
            "form": form,
            "values": values or {},
            "errors": errors or {},
            "partner": is_partner_staff(user),
        },
        status_code=422 if errors else 200,
    )


@router.get("/referrals")
async def incoming(request: Request, user: SignedIn, t: T) -> Response:
    return await incoming_page(request, user, t)


@loads("referrals")
async def referrals_context(
    request: Request, user: User, t: Translator, case: JSON, values: dict[str, Any]
) -> JSON:
    client = user.cases()
    case_id = str(case["id"])
    manager = case["relation"] == "case_manager"
    context: JSON = {}
    context["referrals"], context["denied"] = await guarded(lambda: client.referrals(case_id))
    if manager:
        offerings = await client.offerings(case["tenant"])
        context["offerings"] = t.sorted_by(offerings, "title")
        institutions = await institutions_by_id(user)
        context["provider_names"] = {k: i["name"] for k, i in institutions.items()}
    context["reasons"] = REASON_CODES
    context["outcomes"] = OUTCOME_CODES
    return context
