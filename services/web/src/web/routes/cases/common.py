"""What every cases page uses: the workspace's sections, labels and option lists in the page's
language, reading forms and the service's errors, loading a case, and the registry of the
sections' loaders."""

from __future__ import annotations

import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from fastapi import Request
from fastapi.responses import Response

from shared import clock
from shared.auth import Role
from web.clients.base import ApiProblem
from web.clients.cases import CasesClient
from web.deps import User, render, translator
from web.i18n import SECTORS, TIMEZONE, Translator

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


DECISION_ROWS = 3


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


FAMILY_FIELDS = (
    "first_name",
    "last_name",
    "year_of_birth",
    "relation",
    "phone",
    "email",
    "address",
)


# The service's own documents: shown under a policy of their own, like the partners invitation.
DOCUMENT_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; sandbox"


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


# What one section of the workspace shows besides the case, loaded through the user's token: one
# loader per section, each registered by its section's module (none: the case alone).
SectionLoader = Callable[[Request, User, Translator, JSON, dict[str, Any]], Awaitable[JSON]]
SECTION_LOADERS: dict[str, SectionLoader] = {}


def loads(slug: str) -> Callable[[SectionLoader], SectionLoader]:
    def register(load: SectionLoader) -> SectionLoader:
        SECTION_LOADERS[slug] = load
        return load

    return register
