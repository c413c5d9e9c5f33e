"""The list of a user's cases and opening a new case."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web.clients.base import ApiProblem
from web.deps import SignedIn, T, redirect
from web.routes.cases.common import (
    JSON,
    is_case_manager,
    is_partner_staff,
    page,
    read_form,
)
from web.routes.cases.family import person_from

router = APIRouter(tags=["cases"])


# --- the list of cases and a new case -----------------------------------------------------------


NEW_CASE_PEOPLE = 3


@router.get("/cases")
async def case_list(request: Request, user: SignedIn) -> Response:
    client = user.cases()
    cases = await client.my_cases()
    cases.sort(key=lambda c: str(c["opened_at"]), reverse=True)
    invitations = await client.invitations() if is_partner_staff(user) else []
    return page(
        request,
        "cases/list.html",
        {
            "managed": [c for c in cases if c["relation"] == "case_manager"],
            "member_of": [c for c in cases if c["relation"] != "case_manager"],
            "invitations": invitations,
            "can_open": is_case_manager(user),
        },
    )


def new_case_page(
    request: Request, values: dict[str, str] | None = None, errors: dict[str, str] | None = None
) -> Response:
    return page(
        request,
        "cases/new.html",
        {"people": range(NEW_CASE_PEOPLE), "values": values or {}, "errors": errors or {}},
        status_code=422 if errors else 200,
    )


@router.get("/cases/new")
async def new_case_form(request: Request, user: SignedIn) -> Response:
    if not is_case_manager(user):
        return page(request, "cases/denied.html", {"reason": "manager"}, status_code=403)
    return new_case_page(request)


@router.post("/cases/new")
async def open_case(request: Request, user: SignedIn, t: T) -> Response:
    form = await read_form(request)
    values = {k: v[0] for k, v in form.items() if v}
    family: list[JSON] = []
    index_of: dict[int, int] = {}  # position in the request -> row of the form
    for row in range(NEW_CASE_PEOPLE):
        person = person_from(form, f"p{row}_")
        if person or row == 0:
            index_of[len(family)] = row
            family.append(person)
    try:
        case_id = await user.cases().open_case({"family": family})
    except ApiProblem as problem:
        if problem.status not in (400, 409, 422):
            raise
        errors: dict[str, str] = {}
        for err in problem.errors:
            path = str(err.get("field") or "").split(".")
            if len(path) == 3 and path[0] == "family" and path[1].isdigit():
                row = index_of.get(int(path[1]), 0)
                errors.setdefault(f"p{row}_{path[2]}", str(err.get("detail") or ""))
            else:
                errors.setdefault("_form", str(err.get("detail") or problem.detail or ""))
        return new_case_page(request, values, errors or {"_form": problem.detail or problem.title})
    user.session.flash.append(t("cases.opened"))
    return redirect(f"/cases/{case_id}")
