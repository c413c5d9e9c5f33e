"""The workspace of one case: the frame every section is shown in, the overview and section
pages, and how a form of the workspace is submitted (errors shown again, else back to the
section)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web.clients.base import ApiProblem
from web.deps import SignedIn, T, User, redirect
from web.i18n import Translator
from web.routes.cases.common import (
    JSON,
    SECTION_BY_SLUG,
    SECTION_LOADERS,
    SECTIONS,
    CaseUnavailable,
    Section,
    errors_of,
    load_case,
    page,
    unavailable,
)

router = APIRouter(tags=["cases"])


async def section_context(
    request: Request,
    user: User,
    t: Translator,
    case: JSON,
    section: Section,
    values: dict[str, Any],
) -> JSON:
    """What one section of the workspace shows, loaded through the user's token."""
    load = SECTION_LOADERS.get(section.slug)
    return await load(request, user, t, case, values) if load else {}


async def workspace(
    request: Request,
    user: User,
    t: Translator,
    case_id: str,
    slug: str,
    *,
    form: str | None = None,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    section = SECTION_BY_SLUG[slug]
    client = user.cases()
    try:
        case = await load_case(client, case_id)
    except CaseUnavailable:
        return unavailable(request)
    manager = case["relation"] == "case_manager"
    if section.manager_only and not manager:
        return page(request, "cases/denied.html", {"reason": "manager"}, status_code=403)
    context = await section_context(request, user, t, case, section, values or {})
    allowed = section.kind is None or section.kind in case["data_kinds"]
    return page(
        request,
        f"cases/{slug.replace('-', '_')}.html",
        {
            "case": case,
            "section": section,
            "sections": [s for s in SECTIONS if manager or not s.manager_only],
            "data_kinds": case["data_kinds"],
            "manager": manager,
            "allowed": allowed,
            "form": form,
            "values": values or {},
            "errors": errors or {},
            **context,
        },
        status_code=422 if errors else 200,
    )


@router.get("/cases/{case_id}")
async def case_overview(request: Request, user: SignedIn, t: T, case_id: str) -> Response:
    return await workspace(request, user, t, case_id, "overview")


@router.get("/cases/{case_id}/{slug}")
async def case_section(request: Request, user: SignedIn, t: T, case_id: str, slug: str) -> Response:
    if slug not in SECTION_BY_SLUG or slug == "overview":
        return page(request, "error.html", {"message": t("error.not_found")}, status_code=404)
    return await workspace(request, user, t, case_id, slug)


def back_to(case_id: str, slug: str, anchor: str = "") -> Response:
    suffix = SECTION_BY_SLUG[slug].href_suffix
    return redirect(f"/cases/{case_id}{suffix}{('#' + anchor) if anchor else ''}")


async def submit(
    request: Request,
    user: User,
    t: Translator,
    case_id: str,
    slug: str,
    change: Callable[[], Awaitable[object]],
    *,
    form: str,
    done: str,
    fields: tuple[str, ...] | None = None,
    to_errors: Callable[[ApiProblem], dict[str, str]] | None = None,
    values: dict[str, Any] | None = None,
    problems: list[dict[str, str]] | None = None,
    anchor: str = "",
) -> Response:
    """A change of one form of the workspace: the form's own `problems`, or the service's
    errors, show the section again with the form's errors (`to_errors`, or by `fields`); else
    `done` is flashed and the browser goes back to the section."""
    try:
        if problems:
            raise ApiProblem(422, errors=problems)
        await change()
    except ApiProblem as problem:
        errors = to_errors(problem) if to_errors else errors_of(problem, fields)
        return await workspace(
            request, user, t, case_id, slug, form=form, values=values, errors=errors
        )
    user.session.flash.append(done)
    return back_to(case_id, slug, anchor)
