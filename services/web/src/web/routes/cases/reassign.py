"""Handing the case over to another case manager (ADR 0023)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web.clients.base import ApiProblem
from web.deps import SignedIn, T, redirect
from web.directory import DirectoryUnavailable, subject_of
from web.routes.cases.common import (
    JSON,
    case_no,
    errors_of,
    one,
    page,
    read_form,
    unavailable,
)
from web.routes.cases.workspace import workspace

router = APIRouter(tags=["cases"])


# --- handing the case over (ADR 0023) -----------------------------------------------------------

REASSIGN_FIELDS = ("manager_username", "reason_code", "reason")


@router.post("/cases/{case_id}/reassign")
async def reassign(request: Request, user: SignedIn, t: T, case_id: str) -> Response:
    """The case goes to another case manager: the web looks up the new manager's subject by the
    username typed (Keycloak's admin API); the cases service checks everything else."""
    form = await read_form(request)
    values = {name: one(form, name) for name in REASSIGN_FIELDS}
    problems: list[dict[str, str]] = []
    subject: str | None = None
    if not values["manager_username"]:
        problems.append({"field": "manager_username", "detail": t("reassign.error.username")})
    else:
        try:
            subject = await subject_of(user.web.settings, values["manager_username"])
        except DirectoryUnavailable:
            problems.append({"field": "_form", "detail": t("reassign.error.directory")})
        else:
            if subject is None:
                problems.append(
                    {"field": "manager_username", "detail": t("reassign.error.unknown")}
                )
    if not values["reason_code"]:
        problems.append({"field": "reason_code", "detail": t("reassign.error.reason")})
    body: JSON = {
        "manager_subject": subject or "",
        "manager_username": values["manager_username"],
        "reason_code": values["reason_code"],
    }
    if values["reason"]:
        body["reason"] = values["reason"]
    try:
        if problems:
            raise ApiProblem(422, errors=problems)
        await user.cases().reassign(case_id, body)
    except ApiProblem as problem:
        if problem.status == 403:
            return page(request, "cases/denied.html", {"reason": "manager"}, status_code=403)
        if problem.status == 404:
            return unavailable(request)
        errors = reassign_errors(problem)
        return await workspace(
            request, user, t, case_id, "overview", form="reassign", values=values, errors=errors
        )
    user.session.flash.append(
        t("reassign.done", number=case_no(case_id), username=values["manager_username"])
    )
    return redirect("/cases")


def reassign_errors(problem: ApiProblem) -> dict[str, str]:
    """The service names `manager_subject` for the person (the form asks for the username)."""
    errors = errors_of(problem)
    out: dict[str, str] = {}
    for name, message in errors.items():
        key = "manager_username" if name == "manager_subject" else name
        out.setdefault(key if key in REASSIGN_FIELDS else "_form", message)
    return out
