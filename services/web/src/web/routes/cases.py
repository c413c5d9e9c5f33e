"""Pages over the cases service: a case manager's cases and the workspace of one case (consent,
team, diagnosis, plan, referrals, meetings and decisions, access log), and for partner staff the
referrals sent to their institution and the cases of the teams they belong to.

The cases service decides who sees what (the family's consent): a case it does not show is a 404
and a kind of data the consent does not cover is a 403; both become clear messages here, never a
broken page. Nothing of a family's personal data is logged (the pages log nothing of their own).
"""

from __future__ import annotations

import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response, StreamingResponse

from shared import clock
from shared.auth import Role
from web.clients.base import ApiProblem, ServiceUnavailable
from web.clients.cases import CasesClient
from web.deps import SignedIn, T, User, redirect, render, safe_return_path, translator
from web.directory import DirectoryUnavailable, subject_of
from web.i18n import SECTORS, TIMEZONE, Translator, polish_sort_key
from web.routes.partners import parse_time

router = APIRouter(tags=["cases"])

JSON = dict[str, Any]

DATA_KINDS = ("diagnosis", "plan", "referrals", "meetings", "contact")
CONSENT_METHODS = ("paper", "verbal", "electronic")
CASE_STAGES = ("intake", "diagnosis", "planning", "support", "monitoring")
CLOSE_REASONS = (
    "goals_achieved",
    "family_withdrew",
    "moved_away",
    "transferred",
    "no_cooperation",
    "other",
)
DIAGNOSIS_AREAS = (
    "living_conditions",
    "care_and_upbringing",
    "health",
    "work",
    "family_relations",
)
ACTION_STATUSES = ("planned", "in_progress", "done", "dropped")
REASON_CODES = (
    "not_eligible",
    "no_capacity",
    "family_declined",
    "family_unreachable",
    "service_unavailable",
    "duplicate",
    "other",
)
OUTCOME_CODES = ("goal_achieved", "partially_achieved", "not_achieved", "other")
# ADR 0023 (cases.domain.model.ReassignReason) and ADR 0025 (GoalProgress).
REASSIGN_REASONS = (
    "absence",
    "staff_change",
    "workload",
    "conflict_of_interest",
    "family_request",
    "other",
)
GOAL_PROGRESS = ("progressed", "reached", "not_reached")


# Sections of a case's workspace: (slug, message key, kind of data the consent must grant or
# None, only for the case manager).
@dataclass(frozen=True)
class Section:
    slug: str
    kind: str | None
    manager_only: bool = False

    @property
    def href_suffix(self) -> str:
        return "" if self.slug == "overview" else "/" + self.slug


SECTIONS = (
    Section("overview", None),
    Section("consent", None, manager_only=True),
    Section("team", None),
    Section("diagnosis", "diagnosis"),
    Section("plan", "plan"),
    Section("reviews", "plan"),
    Section("referrals", "referrals"),
    Section("meetings", "meetings"),
    Section("access-log", None, manager_only=True),
)
SECTION_BY_SLUG = {s.slug: s for s in SECTIONS}


def is_case_manager(user: User) -> bool:
    return user.principal.has_role(Role.CASE_MANAGER)


def is_partner_staff(user: User) -> bool:
    return user.principal.has_role(Role.PARTNER_STAFF)


# --- what every cases page gets: labels, option lists in the page's language --------------------

ROW_FIELD = re.compile(r"^(?:p(\d+)_|g(\d+)_(?:a(\d+)_)?|d(\d+)_)?(.+)$")


def case_no(case_id: object) -> str:
    """A short, readable number of a case (the first part of its id); lists show no names."""
    return str(case_id)[:8].upper()


def field_label(t: Translator, name: str) -> str:
    """The label of a form field for the error summary, with its row where forms repeat."""
    m = ROW_FIELD.match(name)
    assert m is not None
    person, goal, action, decision, base = m.groups()
    if goal is not None and base in ("id", "title") and action is None:
        text = t("plan.goal_title")
    else:
        text = t(f"cases.field.{base}")
    if person is not None:
        return f"{t('cases.person_n', n=int(person) + 1)}: {text}"
    if goal is not None:
        where = t("plan.goal_n", n=int(goal) + 1)
        if action is not None:
            where += ", " + t("plan.action_n", n=int(action) + 1)
        return f"{where}: {text}"
    if decision is not None:
        return f"{t('decision.n', n=int(decision) + 1)}: {text}"
    return text


def what_label(t: Translator, what: str) -> str:
    key = f"access.what.{what}"
    text = t(key)
    if text != key:
        return text
    if what.startswith("cases."):  # an event disclosed to a partner system
        return t("access.what.event", type=what.removeprefix("cases."))
    return what.replace(".", " – ")


def options(t: Translator, prefix: str, codes: tuple[str, ...]) -> list[tuple[str, str]]:
    return [(code, t(f"{prefix}.{code}")) for code in codes]


def ui_context(t: Translator) -> JSON:
    return {
        "case_no": case_no,
        "label_of": lambda name: field_label(t, name),
        "what_label": lambda what: what_label(t, what),
        "stage_options": options(t, "case.stage", CASE_STAGES),
        "close_options": options(t, "case.close", CLOSE_REASONS),
        "reason_options": options(t, "referral.reason", REASON_CODES),
        "outcome_options": options(t, "referral.outcome", OUTCOME_CODES),
        "method_options": options(t, "consent.method", CONSENT_METHODS),
        "kind_options": options(t, "consent.kind", DATA_KINDS),
        "sector_options": [(code, t.sector(code)) for code in SECTORS],
        "area_options": options(t, "diagnosis.area", DIAGNOSIS_AREAS),
        "perspective_options": options(t, "diagnosis.perspective", ("family", "specialist")),
        "status_options": options(t, "plan.status", ACTION_STATUSES),
        "consent_options": options(t, "decision.consent", ("given", "refused")),
        "reassign_options": options(t, "reassign.reason", REASSIGN_REASONS),
        "progress_options": options(t, "review.progress", GOAL_PROGRESS),
        "decision_rows": range(DECISION_ROWS),
    }


def page(
    request: Request, template: str, context: JSON | None = None, *, status_code: int = 200
) -> Response:
    t = translator(request)
    return render(request, template, {**ui_context(t), **(context or {})}, status_code=status_code)


# --- forms --------------------------------------------------------------------------------------


async def read_form(request: Request) -> dict[str, list[str]]:
    """Every field of the posted form, each as the list of its (stripped) values."""
    form = await request.form()
    out: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if key == "csrf_token" or not isinstance(value, str):
            continue
        out.setdefault(key, []).append(value.strip())
    return out


def one(form: dict[str, list[str]], name: str) -> str:
    values = form.get(name) or [""]
    return values[0]


def given(value: str) -> str | None:
    return value or None


def errors_of(problem: ApiProblem, fields: tuple[str, ...] | None = None) -> dict[str, str]:
    """`errors[].detail` by form field (the last part of the service's dotted path); what no field
    of the form shows goes to the summary on its own."""
    if problem.status not in (400, 409, 422):
        raise problem
    errors = problem.field_errors()
    if not errors:
        return {"_form": problem.detail or problem.title}
    if fields is None:
        return errors
    out: dict[str, str] = {}
    for name, message in errors.items():
        key = name if name in fields else "_form"
        out.setdefault(key, message)
    return out


def path_errors(problem: ApiProblem, name_of: Callable[[list[str]], str]) -> dict[str, str]:
    """`errors[].detail` by the form field `name_of` gives for the service's dotted path (split);
    with no errors, the problem itself goes to the summary."""
    if problem.status not in (400, 409, 422):
        raise problem
    errors: dict[str, str] = {}
    for err in problem.errors:
        path = str(err.get("field") or "").split(".")
        errors.setdefault(name_of(path), str(err.get("detail") or ""))
    return errors or {"_form": problem.detail or problem.title}


def local_datetime(value: str) -> str | None:
    """A `datetime-local` value (Warsaw time) as an ISO time with its offset; None if not one."""
    try:
        return datetime.fromisoformat(value).replace(tzinfo=TIMEZONE).isoformat()
    except ValueError:
        return None


def end_of_day(value: str) -> str | None:
    """A date as the last second of that day in Warsaw (a consent valid "until" the date)."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        return None
    return datetime.combine(day, time(23, 59, 59), TIMEZONE).isoformat()


def now_local_input() -> str:
    return clock.local_now().strftime("%Y-%m-%dT%H:%M")


# --- the list of cases and a new case -----------------------------------------------------------


FAMILY_FIELDS = (
    "first_name",
    "last_name",
    "year_of_birth",
    "relation",
    "phone",
    "email",
    "address",
)
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


def person_from(form: dict[str, list[str]], prefix: str) -> JSON:
    person: JSON = {}
    for name in FAMILY_FIELDS:
        value = one(form, f"{prefix}{name}")
        if value:
            digits = value.isascii() and value.isdigit()  # not ² nor ١٢
            person[name] = int(value) if name == "year_of_birth" and digits else value
    return person


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


# --- the workspace of one case ------------------------------------------------------------------


class CaseUnavailable(Exception):
    """The cases service does not show this case to the user (404)."""


async def load_case(client: CasesClient, case_id: str) -> JSON:
    try:
        uuid.UUID(case_id)
    except ValueError:
        raise CaseUnavailable() from None
    try:
        return await client.case(case_id)
    except ApiProblem as problem:
        if problem.status in (403, 404):
            raise CaseUnavailable() from problem
        raise


async def guarded(load: Callable[[], Awaitable[Any]]) -> tuple[Any, bool]:
    """Run a section's read; a 403 (the consent does not cover it) is `(None, True)`."""
    try:
        return await load(), False
    except ApiProblem as problem:
        if problem.status == 403:
            return None, True
        raise


def unavailable(request: Request) -> Response:
    return page(request, "cases/unavailable.html", status_code=404)


async def institutions_by_id(user: User) -> dict[str, JSON]:
    """The registry's institutions the user can see (names for scopes, choices for forms)."""
    result = await user.partners().institutions(per_page=100)
    return {str(i["id"]): i for i in result["items"]}


def person_name(person: JSON) -> str:
    return f"{person['first_name']} {person['last_name']}"


def reinvitable(team: list[JSON]) -> set[str]:
    """Members the case manager may invite again: they left because the family's consent ended,
    and no newer invitation or membership of the same institution and person stands."""
    current = {
        (str(m.get("institution_id")), m.get("username") or None)
        for m in team
        if m.get("id") and m["state"] in ("invited", "active")
    }
    return {
        str(m["id"])
        for m in team
        if m.get("id")
        and m["state"] == "left"
        and m.get("left_reason") == "consent_ended"
        and (str(m.get("institution_id")), m.get("username") or None) not in current
    }


def members_by_id(case: JSON) -> dict[str, JSON]:
    return {str(m["id"]): m for m in case.get("team", []) if m.get("id")}


def responsible_label(t: Translator, case: JSON, responsible: JSON) -> str:
    kind = responsible.get("kind")
    if kind == "member":
        member = members_by_id(case).get(str(responsible.get("member_id")))
        if member is None:
            return t("plan.responsible.member")
        who = member.get("username") or member.get("function") or ""
        return f"{member.get('institution_name') or ''} {('– ' + who) if who else ''}".strip()
    return t(f"plan.responsible.{kind}")


async def section_context(
    request: Request,
    user: User,
    t: Translator,
    case: JSON,
    section: Section,
    values: dict[str, Any],
) -> JSON:
    """What one section of the workspace shows, loaded through the user's token."""
    client = user.cases()
    case_id = str(case["id"])
    manager = case["relation"] == "case_manager"
    context: JSON = {}
    if section.slug == "overview":
        context["stages"] = CASE_STAGES
        context["close_reasons"] = CLOSE_REASONS
        if manager:
            history = await client.reassignments(case_id)
            context["reassignments"] = sorted(history, key=lambda r: str(r["at"]), reverse=True)
            context["family_values"] = {
                str(p["id"]): family_values(p) for p in case.get("family") or []
            }
    elif section.slug == "consent":
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
    elif section.slug == "team":
        if manager:
            coverage = await client.coverage(case_id)  # the service's rule, not ours
            invitable = sorted(coverage.institutions, key=lambda i: polish_sort_key(i.name))
            context["invitable"] = invitable
            context["institution_options"] = [(str(i.id), i.name) for i in invitable]
            context["has_valid_consent"] = coverage.has_valid_consent
            context["reinvitable"] = reinvitable(case.get("team", []))
    elif section.slug == "diagnosis":
        context["areas"], context["denied"] = await guarded(lambda: client.diagnosis(case_id))
        context["area_codes"] = DIAGNOSIS_AREAS
    elif section.slug == "plan":
        versions, denied = await guarded(lambda: client.plan_versions(case_id))
        context["denied"] = denied
        versions = sorted(versions or [], key=lambda v: int(v["version"]), reverse=True)
        context["versions"] = versions
        wanted = request.query_params.get("version")
        shown = next((v for v in versions if str(v["version"]) == wanted), None)
        context["shown"] = shown or (versions[0] if versions else None)
        context["previous"] = next(
            (
                v
                for v in versions
                if context["shown"] and v["version"] < context["shown"]["version"]
            ),
            None,
        )
        context["statuses"] = ACTION_STATUSES
        context["active_members"] = [
            m for m in case.get("team", []) if m.get("id") and m["state"] == "active"
        ]
        context["responsible_label"] = lambda r: responsible_label(t, case, r)
        context["responsible_options"] = [
            ("case_manager", t("plan.responsible.case_manager")),
            ("family", t("plan.responsible.family")),
        ] + [
            (
                f"member:{m['id']}",
                responsible_label(t, case, {"kind": "member", "member_id": m["id"]}),
            )
            for m in context["active_members"]
        ]
        context["plan_rows"], context["plan_values"] = plan_form(context["versions"], values)
    elif section.slug == "reviews":
        reviews, context["denied"] = await guarded(lambda: client.reviews(case_id))
        context["reviews"] = sorted(
            reviews or [],
            key=lambda r: (str(r["reviewed_on"]), str(r["recorded_at"])),
            reverse=True,
        )
        context["plan_goals"] = (case.get("plan") or {}).get("goals") or []
        context["review_values"] = values or {"reviewed_on": clock.today().isoformat()}
        context["today"] = clock.today().isoformat()
    elif section.slug == "referrals":
        context["referrals"], context["denied"] = await guarded(lambda: client.referrals(case_id))
        if manager:
            offerings = await client.offerings(case["tenant"])
            context["offerings"] = t.sorted_by(offerings, "title")
            institutions = await institutions_by_id(user)
            context["provider_names"] = {k: i["name"] for k, i in institutions.items()}
        context["reasons"] = REASON_CODES
        context["outcomes"] = OUTCOME_CODES
    elif section.slug == "meetings":
        meetings, context["denied"] = await guarded(lambda: client.meetings(case_id))
        meetings = sorted(meetings or [], key=lambda m: str(m["starts_at"]), reverse=True)
        context["meetings"] = meetings
        context["family_names"] = {str(p["id"]): person_name(p) for p in case.get("family") or []}
        context["now_local"] = now_local_input()
        context["participant_label"] = lambda p: participant_label(t, case, p)
        context["meeting_kind_options"] = options(
            t, "case_meetings.kind", ("meeting", "consultation")
        )
        context["participant_options"] = [
            (f"family:{p['id']}", person_name(p)) for p in case.get("family") or []
        ] + [
            (
                f"member:{m['id']}",
                responsible_label(t, case, {"kind": "member", "member_id": m["id"]}),
            )
            for m in case.get("team", [])
            if m.get("id") and m["state"] == "active"
        ]
    elif section.slug == "access-log":
        lines = await client.access_report(case_id)
        context["entries"] = sorted(lines, key=lambda e: str(e["first_at"]), reverse=True)
    return context


def participant_label(t: Translator, case: JSON, participant: JSON) -> str:
    kind = participant.get("kind")
    if kind == "member":
        member = members_by_id(case).get(str(participant.get("member_id")))
        return (member or {}).get("institution_name") or t("case_meetings.participant.member")
    if kind == "family":
        people = {str(p["id"]): person_name(p) for p in case.get("family") or []}
        name = people.get(str(participant.get("family_member_id")))
        return name or t("case_meetings.participant.family")
    return t("case_meetings.participant.case_manager")


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


EXPORT_FORMATS = {"json": "application/json", "pdf": "application/pdf"}


# Before the sections' route below, which would take "export" for a section's name.
@router.get("/cases/{case_id}/export")
async def family_export(user: SignedIn, case_id: str, format: str = "json") -> Response:
    """The family's copy of its data from the cases service (ADR 0016), streamed through as a
    download; the service decides who may have it and records it in the access log."""
    if format not in EXPORT_FORMATS:
        raise ApiProblem(404)
    stack = contextlib.AsyncExitStack()
    upstream = await stack.enter_async_context(user.cases().family_export(case_id, format))

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_raw():
                yield chunk
        finally:
            await stack.aclose()

    headers = {"Cache-Control": "no-store", "Content-Security-Policy": DOCUMENT_CSP}
    disposition = upstream.headers.get("content-disposition")
    headers["Content-Disposition"] = disposition or f'attachment; filename="dane-rodziny.{format}"'
    return StreamingResponse(
        body(),
        media_type=upstream.headers.get("content-type", EXPORT_FORMATS[format]),
        headers=headers,
    )


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


@router.post("/cases/{case_id}/family")
async def add_family_member(request: Request, user: SignedIn, t: T, case_id: str) -> Response:
    form = await read_form(request)
    person = person_from(form, "")
    values = {k: v[0] for k, v in form.items() if v}
    return await submit(
        request, user, t, case_id, "overview",
        lambda: user.cases().add_family_member(case_id, person),
        form="family", fields=FAMILY_FIELDS, values=values, done=t("form.saved"), anchor="family",
    )  # fmt: skip


EDIT_FIELDS = (*FAMILY_FIELDS, "pesel")


def family_values(person: JSON) -> dict[str, str]:
    """A person's details as the edit form shows them (the PESEL is never shown)."""
    return {name: "" if person.get(name) is None else str(person[name]) for name in FAMILY_FIELDS}


def family_patch(values: dict[str, str]) -> JSON:
    """The PATCH body of a person: names always, an emptied optional field as null (cleared,
    ADR 0024), the PESEL only when one was typed (an empty field keeps the recorded one)."""
    body: JSON = {}
    for name in FAMILY_FIELDS:
        value = values.get(name, "")
        if name in ("first_name", "last_name"):
            body[name] = value or None
        elif name == "year_of_birth" and value.isascii() and value.isdigit():
            body[name] = int(value)
        else:
            body[name] = value or None
    if values.get("pesel"):
        body["pesel"] = values["pesel"]
    return body


@router.post("/cases/{case_id}/family/{member_id}")
async def edit_family_member(
    request: Request, user: SignedIn, t: T, case_id: str, member_id: str
) -> Response:
    form = await read_form(request)
    values = {name: one(form, name) for name in EDIT_FIELDS}
    body = family_patch(values)
    return await submit(
        request, user, t, case_id, "overview",
        lambda: user.cases().edit_family_member(case_id, member_id, body),
        form=f"edit-{member_id}", fields=EDIT_FIELDS,
        values={**values, "pesel": ""},  # never sent back to the browser
        done=t("family.edited"), anchor="family",
    )  # fmt: skip


@router.post("/cases/{case_id}/family/{member_id}/remove")
async def remove_family_member(
    request: Request, user: SignedIn, t: T, case_id: str, member_id: str
) -> Response:
    def refused(problem: ApiProblem) -> dict[str, str]:
        errors = errors_of(problem)
        if problem.status == 409:
            return {"_form": problem.detail or t("family.remove.refused")}
        return errors

    return await submit(
        request, user, t, case_id, "overview",
        lambda: user.cases().remove_family_member(case_id, member_id),
        form=f"edit-{member_id}", to_errors=refused, done=t("family.removed"), anchor="family",
    )  # fmt: skip


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


# The service's own documents: shown under a policy of their own, like the partners invitation.
DOCUMENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


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


# --- plan ---------------------------------------------------------------------------------------


def plan_form(
    versions: list[JSON], posted: dict[str, Any]
) -> tuple[list[tuple[int, list[int]]], dict[str, Any]]:
    """Rows of the plan form and their values: as posted (after an error), or the current version
    with one empty action under each goal and one empty goal with two actions."""
    if posted:
        goals: dict[int, set[int]] = {}
        for key in posted:
            if m := GOAL_FIELD.match(key):
                goals.setdefault(int(m[1]), set())
            elif m := ACTION_FIELD.match(key):
                goals.setdefault(int(m[1]), set()).add(int(m[2]))
        return [(g, sorted(goals[g])) for g in sorted(goals)], posted
    values: dict[str, Any] = {}
    rows: list[tuple[int, list[int]]] = []
    current = versions[0]["goals"] if versions else []
    for g, goal in enumerate(current):
        values[f"g{g}_id"] = goal["id"]
        values[f"g{g}_title"] = goal["title"]
        for a, action in enumerate(goal["actions"]):
            p = f"g{g}_a{a}_"
            responsible = action["responsible"]
            kind = responsible.get("kind", "case_manager")
            values[p + "id"] = action["id"]
            values[p + "title"] = action["title"]
            values[p + "responsible"] = (
                f"member:{responsible['member_id']}" if kind == "member" else kind
            )
            values[p + "due_on"] = action.get("due_on") or ""
            values[p + "status"] = action["status"]
        rows.append((g, list(range(len(goal["actions"]) + 1))))
    rows.append((len(current), [0, 1]))
    return rows, values


GOAL_FIELD = re.compile(r"^g(\d+)_(id|title)$")
ACTION_FIELD = re.compile(r"^g(\d+)_a(\d+)_(id|title|responsible|due_on|status)$")


@dataclass
class PlanForm:
    """The plan as posted: goals and actions with their rows in the form, blank rows dropped."""

    body: JSON
    goal_rows: list[int]
    action_rows: list[list[int]]


def parse_plan(form: dict[str, list[str]]) -> PlanForm:
    goals: dict[int, JSON] = {}
    actions: dict[int, dict[int, JSON]] = {}
    for key, values in form.items():
        if m := GOAL_FIELD.match(key):
            goals.setdefault(int(m[1]), {})[m[2]] = values[0]
        elif m := ACTION_FIELD.match(key):
            actions.setdefault(int(m[1]), {}).setdefault(int(m[2]), {})[m[3]] = values[0]
    body_goals: list[JSON] = []
    goal_rows: list[int] = []
    action_rows: list[list[int]] = []
    for g in sorted(goals):
        goal = goals[g]
        rows = actions.get(g, {})
        kept = [a for a in sorted(rows) if rows[a].get("title")]
        if not goal.get("title") and not kept:
            continue
        out_actions = []
        for a in kept:
            action = rows[a]
            responsible = action.get("responsible") or "case_manager"
            kind, _, member = responsible.partition(":")
            item: JSON = {
                "title": action["title"],
                "responsible": {"kind": kind, **({"member_id": member} if member else {})},
                "status": action.get("status") or "planned",
            }
            if action.get("id"):
                item["id"] = action["id"]
            if action.get("due_on"):
                item["due_on"] = action["due_on"]
            out_actions.append(item)
        body_goal: JSON = {"title": goal.get("title", ""), "actions": out_actions}
        if goal.get("id"):
            body_goal["id"] = goal["id"]
        body_goals.append(body_goal)
        goal_rows.append(g)
        action_rows.append(kept)
    return PlanForm({"goals": body_goals}, goal_rows, action_rows)


def plan_errors(problem: ApiProblem, plan: PlanForm) -> dict[str, str]:
    """The service names `goals.0.actions.1.due_on`; the form's field is `g<row>_a<row>_due_on`."""

    def name_of(path: list[str]) -> str:
        if len(path) >= 3 and path[0] == "goals" and path[1].isdigit():
            g = int(path[1])
            if g < len(plan.goal_rows):
                row = plan.goal_rows[g]
                if path[2] == "title":
                    return f"g{row}_title"
                if path[2] == "actions" and len(path) >= 5 and path[3].isdigit():
                    a = int(path[3])
                    if a < len(plan.action_rows[g]):
                        return f"g{row}_a{plan.action_rows[g][a]}_{path[4]}"
        return "_form"

    return path_errors(problem, name_of)


@router.post("/cases/{case_id}/plan")
async def save_plan(request: Request, user: SignedIn, t: T, case_id: str) -> Response:
    form = await read_form(request)
    plan = parse_plan(form)
    values = {k: v[0] for k, v in form.items() if v}
    try:
        if not plan.body["goals"]:
            raise ApiProblem(422, errors=[{"field": "goals", "detail": t("plan.error.empty")}])
        version = await user.cases().save_plan(case_id, plan.body)
    except ApiProblem as problem:
        errors = plan_errors(problem, plan)
        return await workspace(
            request, user, t, case_id, "plan", form="plan", values=values, errors=errors
        )
    user.session.flash.append(t("plan.saved", version=version))
    return back_to(case_id, "plan")


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


# --- meetings and decisions ---------------------------------------------------------------------

MEETING_FIELDS = ("kind", "starts_at", "place", "online_url", "agenda", "participants")
DECISION_ROWS = 3


@router.post("/cases/{case_id}/meetings")
async def schedule_meeting(request: Request, user: SignedIn, t: T, case_id: str) -> Response:
    form = await read_form(request)
    values: dict[str, Any] = {name: one(form, name) for name in MEETING_FIELDS}
    values["participants"] = form.get("participants", [])
    participants: list[JSON] = [{"kind": "case_manager"}]
    for item in values["participants"]:
        kind, _, ident = item.partition(":")
        if kind == "member":
            participants.append({"kind": "member", "member_id": ident})
        elif kind == "family":
            participants.append({"kind": "family", "family_member_id": ident})
    body: JSON = {
        "kind": values["kind"] or "meeting",
        "participants": participants,
        "agenda": [line.strip() for line in values["agenda"].splitlines() if line.strip()],
    }
    for name in ("place", "online_url"):
        if values[name]:
            body[name] = values[name]
    problems = []
    starts = local_datetime(values["starts_at"])
    if starts is None:
        problems.append({"field": "starts_at", "detail": t("case_meetings.error.starts_at")})
    body["starts_at"] = starts
    return await submit(
        request, user, t, case_id, "meetings",
        lambda: user.cases().schedule_meeting(case_id, body),
        form="meeting", fields=MEETING_FIELDS, values=values, problems=problems,
        done=t("case_meetings.scheduled_now"),
    )  # fmt: skip


@router.post("/cases/{case_id}/meetings/{meeting_id}/held")
async def meeting_held(
    request: Request, user: SignedIn, t: T, case_id: str, meeting_id: str
) -> Response:
    form = await read_form(request)
    values = {k: v[0] for k, v in form.items() if v}
    decisions: list[JSON] = []
    rows: list[int] = []
    problems: list[dict[str, str]] = []
    for row in range(DECISION_ROWS):
        text = one(form, f"d{row}_text")
        consent = one(form, f"d{row}_family_consent")
        if not text:
            continue
        if consent not in ("given", "refused"):
            problems.append(
                {"field": f"d{row}_family_consent", "detail": t("decision.error.consent")}
            )
        decisions.append({"text": text, "family_consent": consent})
        rows.append(row)
    held = local_datetime(one(form, "held_at"))
    if held is None:
        problems.append({"field": "held_at", "detail": t("case_meetings.error.held_at")})
    body: JSON = {"held_at": held, "decisions": decisions}
    if one(form, "notes"):
        body["notes"] = one(form, "notes")

    def name_of(path: list[str]) -> str:
        """`decisions.1.text` is the form's `d<row>_text`; the rest by name or in the summary."""
        if len(path) == 3 and path[0] == "decisions" and path[1].isdigit():
            index = int(path[1])
            row = rows[index] if index < len(rows) else 0
            return f"d{row}_{path[2]}"
        if path[0] in ("held_at", "notes") or path[0].startswith("d"):
            return path[0]
        return "_form"

    return await submit(
        request, user, t, case_id, "meetings",
        lambda: user.cases().meeting_held(meeting_id, body),
        form=f"held-{meeting_id}", values=values, problems=problems,
        to_errors=lambda problem: path_errors(problem, name_of),
        done=t("case_meetings.held_recorded"), anchor=f"meeting-{meeting_id}",
    )  # fmt: skip


# --- the start page -----------------------------------------------------------------------------


async def home_summary(user: User) -> JSON:
    """The start page's block: referrals to answer (partner staff), pending team invitations,
    and for case managers their open cases and the meetings of this week. The start page must
    open even when the cases service does not answer: the block then says so."""
    if not (is_partner_staff(user) or is_case_manager(user)):
        return {}
    try:
        return await _home_summary(user)
    except (ServiceUnavailable, ApiProblem):
        return {"cases_unavailable": True}


async def _home_summary(user: User) -> JSON:
    out: JSON = {"case_no": case_no}
    client = user.cases()
    if is_partner_staff(user):
        incoming = await client.incoming()
        out["referrals_to_answer"] = [r for r in incoming if r.state == "requested"]
        out["team_invitations"] = await client.invitations()
    if is_case_manager(user):
        cases = await client.my_cases()
        managed = [c for c in cases if c["relation"] == "case_manager"]
        out["open_cases"] = [c for c in managed if c["state"] != "closed"]
        now = clock.now()
        week_end = now + timedelta(days=7)
        meetings: list[JSON] = []
        for case in out["open_cases"][:20]:
            try:
                found = await client.meetings(str(case["id"]))
            except ApiProblem:
                continue
            for meeting in found:
                starts = parse_time(str(meeting["starts_at"]))
                if meeting["status"] == "scheduled" and now <= starts <= week_end:
                    meetings.append({**meeting, "case_id": case["id"]})
        out["meetings_this_week"] = sorted(meetings, key=lambda m: str(m["starts_at"]))
    return out
