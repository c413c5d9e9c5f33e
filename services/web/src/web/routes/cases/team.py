"""The team of a case: inviting institutions, removing and re-inviting members, answering an
invitation."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web.clients.base import ApiProblem
from web.deps import SignedIn, T, User, redirect
from web.i18n import Translator, polish_sort_key
from web.routes.cases.common import (
    JSON,
    loads,
    one,
    read_form,
    reinvitable,
)
from web.routes.cases.workspace import back_to, submit

router = APIRouter(tags=["cases"])


# --- team ---------------------------------------------------------------------------------------

INVITE_FIELDS = ("institution_id", "function", "username")


@router.post("/cases/{case_id}/team")
async def invite(request: Request, user: SignedIn, t: T, case_id: str) -> Response:
    form = await read_form(request)
    values = {name: one(form, name) for name in INVITE_FIELDS}
    body = {k: v for k, v in values.items() if v}
    problems = (
        [] if values["institution_id"]
        else [{"field": "institution_id", "detail": t("team.error.institution")}]
    )  # fmt: skip
    return await submit(
        request, user, t, case_id, "team",
        lambda: user.cases().invite(case_id, body),
        form="invite", fields=INVITE_FIELDS, values=values, problems=problems,
        done=t("team.invited"),
    )  # fmt: skip


@router.post("/cases/{case_id}/team/{member_id}/remove")
async def remove_member(user: SignedIn, t: T, case_id: str, member_id: str) -> Response:
    await user.cases().remove_member(case_id, member_id)
    user.session.flash.append(t("team.removed"))
    return back_to(case_id, "team")


@router.post("/cases/{case_id}/team/{member_id}/reinvite")
async def reinvite(
    request: Request, user: SignedIn, t: T, case_id: str, member_id: str
) -> Response:
    """The case manager invites again a member who left when the family's consent ended; the
    service checks that a valid consent covers the institution now, and its refusal is shown."""
    return await submit(
        request, user, t, case_id, "team",
        lambda: user.cases().reinvite(case_id, member_id),
        form=f"reinvite-{member_id}", fields=(), done=t("team.reinvited"),
    )  # fmt: skip


@router.post("/team-invitations/{member_id}/{answer}")
async def answer_invitation(user: SignedIn, t: T, member_id: str, answer: str) -> Response:
    if answer not in ("accept", "decline"):
        raise ApiProblem(404)
    await user.cases().answer_invitation(member_id, answer == "accept")
    user.session.flash.append(t("team.accepted" if answer == "accept" else "team.declined"))
    return redirect("/cases")


@loads("team")
async def team_context(
    request: Request, user: User, t: Translator, case: JSON, values: dict[str, Any]
) -> JSON:
    client = user.cases()
    case_id = str(case["id"])
    manager = case["relation"] == "case_manager"
    context: JSON = {}
    if manager:
        coverage = await client.coverage(case_id)  # the service's rule, not ours
        invitable = sorted(coverage.institutions, key=lambda i: polish_sort_key(i.name))
        context["invitable"] = invitable
        context["institution_options"] = [(str(i.id), i.name) for i in invitable]
        context["has_valid_consent"] = coverage.has_valid_consent
        context["reinvitable"] = reinvitable(case.get("team", []))
    return context
