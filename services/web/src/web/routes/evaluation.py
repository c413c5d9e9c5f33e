"""Pages over the evaluation service: the monitoring view (now) and evaluation reports for a month,
a quarter or a year, per municipality and for the region, each table drawn as an SVG chart with
the table beside it (ADR 0071); CSV/XLSX/PDF exports streamed from the service; partner surveys
with one-time links and the public answer page (no sign-in).

Figures about families arrive already suppressed ("< 3", or "#" and "—" where complementary
suppression hid a figure from which a small one would follow, ADR 0047): the pages show the
service's markers and never compute a figure of their own from them.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections.abc import AsyncIterator
from datetime import date, datetime
from typing import Annotated, Any
from urllib.parse import quote, urlencode

from babel.dates import format_date
from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from shared import clock
from shared.auth import Role
from web import charts
from web.clients.base import ApiProblem, ServiceUnavailable
from web.clients.evaluation import EXPORT_MEDIA, EvaluationClient
from web.deps import Forbidden, OptionalSession, SignedIn, T, User, WebApp, redirect, render
from web.i18n import TIMEZONE, Translator
from web.routes.auth import set_session_cookie

log = logging.getLogger(__name__)

router = APIRouter(tags=["evaluation"])

SUPPRESSED = "< 3"  # the service's marker for a hidden figure (ADR 0042), shown as it comes
# All of the service's markers: a count of 1 or 2, a count hidden so that a small one cannot be
# computed from the rest, a share or time of few (ADR 0047).
MARKERS = (SUPPRESSED, "#", "—")
TENANT = re.compile(r"^\d{4}(\d{3})?$")
PERIOD = re.compile(r"^(\d{4})(?:-(?:(0[1-9]|1[0-2])|Q([1-4])))?$")
MIN_YEAR, MAX_YEAR = 2000, 2100  # the years the evaluation service reports on
READERS = (Role.COORDINATOR, Role.DIRECTOR, Role.ANALYST, Role.REGIONAL_ADMIN)
AUTHORS = (Role.COORDINATOR, Role.REGIONAL_ADMIN)
SUMMARY_TABLES = ("partnership_summary", "basket_summary", "cases_summary", "referrals_summary")
# Tables whose first column is a municipality's TERYT code.
BY_MUNICIPALITY = ("by_municipality", "gaps_by_municipality")


async def reader(user: SignedIn) -> User:
    if not user.principal.has_role(*READERS):
        raise Forbidden()
    return user


async def author(user: SignedIn) -> User:
    if not user.principal.has_role(*AUTHORS):
        raise Forbidden()
    return user


Reader = Annotated[User, Depends(reader)]
Author = Annotated[User, Depends(author)]


def regional(user: User) -> bool:
    return user.principal.is_regional


def clean_tenant(user: User, tenant: str | None) -> str | None:
    """A municipality only for those who may choose one (regional roles); others see theirs."""
    if not tenant or not TENANT.match(tenant) or not regional(user):
        return None
    return tenant


# --- periods -----------------------------------------------------------------------------------


def valid_period(code: str | None) -> bool:
    """A period code the evaluation service reports on (its years, a month, a quarter)."""
    match = PERIOD.match(code or "")
    return match is not None and MIN_YEAR <= int(match.group(1)) <= MAX_YEAR


def period_of(code: str) -> tuple[int, str, int]:
    """(year, kind, index) of a period code: 2026 / 2026-Q3 / 2026-11."""
    match = PERIOD.match(code)
    assert match is not None
    year, month, quarter = match.groups()
    if month:
        return int(year), "month", int(month)
    if quarter:
        return int(year), "quarter", int(quarter)
    return int(year), "year", 1


def code_of(year: int, kind: str, index: int) -> str:
    if kind == "month":
        return f"{year}-{index:02d}"
    if kind == "quarter":
        return f"{year}-Q{index}"
    return str(year)


def shift(code: str, by: int) -> str:
    year, kind, index = period_of(code)
    per_year = {"month": 12, "quarter": 4, "year": 1}[kind]
    n = year * per_year + (index - 1) + by
    return code_of(n // per_year, kind, n % per_year + 1)


def period_label(t: Translator, code: str) -> str:
    year, kind, index = period_of(code)
    if kind == "month":
        return format_date(date(year, index, 1), "LLLL y", locale=t.locale)
    if kind == "quarter":
        return t("eval.period.quarter", quarter=index, year=year)
    return t("eval.period.year", year=year)


def current(kind: str, today: date) -> str:
    if kind == "month":
        return code_of(today.year, "month", today.month)
    if kind == "quarter":
        return code_of(today.year, "quarter", (today.month - 1) // 3 + 1)
    return str(today.year)


def period_choices(t: Translator, today: date) -> list[tuple[str, list[tuple[str, str]]]]:
    """The periods offered: the last 12 months, 8 quarters and 4 years, newest first."""
    groups = []
    for kind, count, key in (
        ("month", 12, "eval.period.months"),
        ("quarter", 8, "eval.period.quarters"),
        ("year", 4, "eval.period.years"),
    ):
        now = current(kind, today)
        codes = [shift(now, -i) for i in range(count)]
        groups.append((t(key), [(c, period_label(t, c)) for c in codes]))
    return groups


def today_local() -> date:
    return clock.today()


# --- the view of a report ----------------------------------------------------------------------


def describe(t: Translator) -> Any:
    def words(kind: str, series: str, rows: int) -> str:
        return t(f"eval.chart.{kind}", series=series, rows=t.number(rows))

    return words


def prepare(report: dict[str, Any], t: Translator) -> list[dict[str, Any]]:
    """Sections with their tables, each table with its chart (an SVG) where it has one."""
    sections = []
    for s_index, section in enumerate(report.get("sections") or []):
        tables = []
        for t_index, table in enumerate(section.get("tables") or []):
            ident = f"c{s_index}-{t_index}"
            drawn = charts.render(
                table, ident=ident, number=t.number, marker=MARKERS, describe=describe(t)
            )
            tables.append(
                {
                    **table,
                    "id": f"t-{table.get('key') or ident}",
                    "svg": drawn[0] if drawn else None,
                    "omitted": drawn[1].omitted_rows if drawn else 0,
                    "has_marker": drawn is not None
                    and any(v in MARKERS for s in drawn[1].series for v in s.values),
                }
            )
        sections.append({**section, "id": f"s-{section.get('key') or s_index}", "tables": tables})
    return sections


async def municipality_names(user: User) -> dict[str, str]:
    """TERYT code → municipality name, from the partnerships the user can see."""
    try:
        partnerships = await user.partners().partnerships()
    except (ApiProblem, ServiceUnavailable):
        return {}
    return {str(p["tenant"]): str(p["municipality_name"]) for p in partnerships}


def scopes(
    user: User, names: dict[str, str], report: dict[str, Any], t: Translator
) -> list[tuple[str, str]]:
    """What a regional user may choose: the region, then every municipality known to the
    partners registry or present in the report."""
    codes = set(names)
    for section in report.get("sections") or []:
        for table in section.get("tables") or []:
            if table.get("key") in BY_MUNICIPALITY:
                codes.update(str(k) for k in table.get("row_keys") or [])
    if report.get("scope") and report["scope"] != "region":
        codes.add(str(report["scope"]))
    options = [("", t("eval.region"))]
    for code in sorted(codes, key=lambda c: (names.get(c, "~"), c)):
        label = f"{names[code]} ({code})" if code in names else code
        options.append((code, label))
    return options


def scope_title(report: dict[str, Any], names: dict[str, str], t: Translator) -> str:
    scope = str(report.get("scope") or "region")
    if scope == "region":
        return t("eval.region")
    return t("eval.municipality", name=f"{names[scope]} ({scope})" if scope in names else scope)


async def evaluation_page(
    request: Request, user: User, t: T, *, period: str | None, tenant: str | None
) -> Response:
    client = user.evaluation()
    tenant = clean_tenant(user, tenant)
    report, names = await asyncio.gather(
        client.report(period, tenant) if period else client.monitoring(tenant),
        municipality_names(user),
    )
    query = {k: v for k, v in {"period": period, "tenant": tenant}.items() if v}
    today = today_local()
    context: dict[str, Any] = {
        "report": report,
        "sections": prepare(report, t),
        "period": period,
        "tenant": tenant or "",
        "regional": regional(user),
        "scope_title": scope_title(report, names, t),
        "scope_options": scopes(user, names, report, t) if regional(user) else [],
        "names": names,
        "exports": [
            (fmt, f"/evaluation/export.{fmt}" + (f"?{urlencode(query)}" if query else ""))
            for fmt in EXPORT_MEDIA
        ],
        "marker": MARKERS,
        "tenant_link": (lambda code: "?" + urlencode({**query, "tenant": code})),
    }
    if period:
        previous, following = shift(period, -1), shift(period, 1)
        context.update(
            period_label=period_label(t, period),
            periods=period_choices(t, today),
            previous=(previous, period_label(t, previous)) if valid_period(previous) else None,
            next=(following, period_label(t, following))
            if valid_period(following) and following <= current(period_of(following)[1], today)
            else None,
        )
    return render(request, "evaluation/view.html", context)


@router.get("/evaluation")
async def monitoring(request: Request, user: Reader, t: T, tenant: str | None = None) -> Response:
    return await evaluation_page(request, user, t, period=None, tenant=tenant)


@router.get("/evaluation/reports")
async def reports(
    request: Request, user: Reader, t: T, period: str | None = None, tenant: str | None = None
) -> Response:
    if not valid_period(period):
        period = current("quarter", today_local())
    assert period is not None
    return await evaluation_page(request, user, t, period=period, tenant=tenant)


@router.get("/evaluation/export.{fmt}")
async def export(
    user: Reader, fmt: str, period: str | None = None, tenant: str | None = None
) -> Response:
    """The service's export, streamed through with its Content-Type and Content-Disposition."""
    if fmt not in EXPORT_MEDIA:
        raise ApiProblem(404)
    period = period if valid_period(period) else None
    stack = contextlib.AsyncExitStack()
    upstream = await stack.enter_async_context(
        user.evaluation().export(fmt, period=period, tenant=clean_tenant(user, tenant))
    )

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_raw():
                yield chunk
        finally:
            await stack.aclose()

    headers = {"Cache-Control": "no-store"}
    disposition = upstream.headers.get("content-disposition")
    if disposition:
        headers["Content-Disposition"] = disposition
    return StreamingResponse(
        body(),
        media_type=upstream.headers.get("content-type", EXPORT_MEDIA[fmt]),
        headers=headers,
    )


async def monitoring_summary(user: User) -> dict[str, Any]:
    """The start page's block for directors and analysts (and regional staff): a few headline
    figures of the monitoring view, as the service disclosed them."""
    if not user.principal.has_role(Role.DIRECTOR, Role.ANALYST, Role.REGIONAL_ADMIN):
        return {}
    try:
        report = await user.evaluation().monitoring(None)
    except (ApiProblem, ServiceUnavailable) as exc:
        log.info("monitoring unavailable for the start page", extra={"error": str(exc)})
        return {"monitoring_home": {"available": False}}
    figures = []
    for section in report.get("sections") or []:
        for table in section.get("tables") or []:
            if table.get("key") in SUMMARY_TABLES:
                figures += [(row[0], row[1]) for row in (table.get("rows") or [])[:2]]
    return {
        "monitoring_home": {
            "available": True,
            "scope_label": report.get("scope_label"),
            "figures": figures,
            "marker": MARKERS,
        }
    }


# --- surveys -----------------------------------------------------------------------------------

SURVEY_KINDS = ("satisfaction", "cooperation_quality")
QUESTION_KINDS = ("scale", "choice", "text")
SLOTS = 6
LINKS_KEY = "evaluation.links"  # links issued, shown once after the POST
MIN_ANSWERS = 5

DEFAULT_QUESTIONS = [
    {"text": "Jak oceniasz współpracę z liderem partnerstwa?", "kind": "scale"},
    {"text": "Jak oceniasz przepływ informacji między partnerami?", "kind": "scale"},
    {
        "text": "Czy udział w partnerstwie przynosi korzyści Twojej instytucji?",
        "kind": "choice",
        "options": "Tak\nRaczej tak\nRaczej nie\nNie",
    },
    {"text": "Co powinniśmy zmienić we współpracy?", "kind": "text"},
]


@router.get("/surveys")
async def surveys(request: Request, user: Reader) -> Response:
    items = await user.evaluation().surveys()
    items.sort(key=lambda s: str(s.get("created_at") or ""), reverse=True)
    names = await municipality_names(user)
    return render(
        request,
        "evaluation/surveys.html",
        {
            "surveys": items,
            "names": names,
            "can_author": user.principal.has_role(*AUTHORS),
            "regional": regional(user),
        },
    )


def default_values() -> dict[str, str]:
    values = {"title": "Ankieta satysfakcji partnerów", "kind": "satisfaction"}
    for i, q in enumerate(DEFAULT_QUESTIONS, start=1):
        values[f"q{i}_text"] = q["text"]
        values[f"q{i}_kind"] = q["kind"]
        values[f"q{i}_options"] = q.get("options", "")
    return values


async def survey_form(
    request: Request,
    user: User,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    admin = Role.REGIONAL_ADMIN in user.principal.roles
    names = await municipality_names(user) if admin else {}
    return render(
        request,
        "evaluation/survey_new.html",
        {
            "values": values or default_values(),
            "errors": errors or {},
            "slots": range(1, SLOTS + 1),
            "kinds": SURVEY_KINDS,
            "question_kinds": QUESTION_KINDS,
            "tenants": sorted(names.items(), key=lambda kv: kv[1]) if admin else None,
        },
        status_code=422 if errors else 200,
    )


@router.get("/surveys/new")
async def new_survey(request: Request, user: Author) -> Response:
    return await survey_form(request, user)


def survey_errors(problem: ApiProblem, slots: list[int]) -> dict[str, str]:
    """The service's errors by form field: `questions.2.options` is slot 3's options."""
    out: dict[str, str] = {}
    for err in problem.errors:
        path = str(err.get("field") or "").split(".")
        detail = str(err.get("detail") or "")
        if path and path[0] == "body":
            path = path[1:]
        if len(path) >= 3 and path[0] == "questions" and path[1].isdigit():
            i = int(path[1])
            slot = slots[i] if i < len(slots) else 1
            part = path[2] if path[2] in ("text", "kind", "options") else "text"
            out.setdefault(f"q{slot}_{part}", detail)
        elif path and path[0] in ("title", "kind", "closes_at", "tenant", "questions"):
            out.setdefault(path[0], detail)
        else:
            out.setdefault("_form", detail or problem.title)
    if not out:
        out["_form"] = problem.detail or problem.title
    return out


@router.post("/surveys/new")
async def create_survey(request: Request, user: Author, t: T) -> Response:
    form = await request.form()
    names = ["title", "kind", "closes_at", "tenant"] + [
        f"q{i}_{part}" for i in range(1, SLOTS + 1) for part in ("text", "kind", "options")
    ]
    values = {n: str(form.get(n) or "").strip() for n in names}
    questions: list[dict[str, Any]] = []
    slots: list[int] = []
    for i in range(1, SLOTS + 1):
        text = values[f"q{i}_text"]
        if not text:
            continue
        kind = values[f"q{i}_kind"] if values[f"q{i}_kind"] in QUESTION_KINDS else "scale"
        options = [o.strip() for o in values[f"q{i}_options"].splitlines() if o.strip()]
        questions.append(
            {"id": f"q{len(questions) + 1}", "text": text, "kind": kind, "options": options}
        )
        slots.append(i)
    body: dict[str, Any] = {
        "title": values["title"],
        "kind": values["kind"] if values["kind"] in SURVEY_KINDS else "satisfaction",
        "questions": questions,
    }
    if values["tenant"]:
        body["tenant"] = values["tenant"]
    errors: dict[str, str] = {}
    if values["closes_at"]:
        try:
            closes = date.fromisoformat(values["closes_at"])
            body["closes_at"] = datetime(
                closes.year, closes.month, closes.day, 23, 59, tzinfo=TIMEZONE
            ).isoformat()
        except ValueError:
            errors["closes_at"] = t("form.required")
    if not values["title"]:
        errors["title"] = t("form.required")
    if not questions:
        errors["q1_text"] = t("form.required")
    try:
        if errors:
            raise ApiProblem(422)
        created = await user.evaluation().create_survey(body)
    except ApiProblem as problem:
        if problem.status not in (400, 403, 409, 422):
            raise
        found = errors or survey_errors(problem, slots)
        return await survey_form(request, user, values=values, errors=found)
    user.session.flash.append(t("survey.created_ok"))
    return redirect(f"/surveys/{created['id']}")


async def contact_people(user: User, tenant: str) -> list[dict[str, Any]]:
    """Contact persons of the active member institutions of the municipality's partnership."""
    client = user.partners()
    partnerships = [p for p in await client.partnerships() if str(p["tenant"]) == tenant]
    if not partnerships:
        return []
    members = (await client.memberships(partnerships[0]["id"]))["items"]
    active = [m for m in members if m["state"] in ("informal", "declared")]
    leader = {
        "institution_id": partnerships[0]["leader_institution_id"],
        "institution_name": partnerships[0]["leader_name"],
    }
    institutions = {str(m["institution_id"]): m for m in [leader, *active]}
    found = await asyncio.gather(*(client.contact_persons(i) for i in institutions))
    people = []
    for institution_id, persons in zip(institutions, found, strict=True):
        for person in persons:
            if person.get("active", True) is False:
                continue
            people.append(
                {
                    **person,
                    "institution_name": institutions[institution_id]["institution_name"],
                }
            )
    return sorted(people, key=lambda p: (str(p["institution_name"]), str(p["name"])))


async def find_survey(client: EvaluationClient, survey_id: str) -> dict[str, Any]:
    for survey in await client.surveys():
        if str(survey["id"]) == survey_id:
            return survey
    raise ApiProblem(404)


def result_charts(results: dict[str, Any], t: Translator) -> list[dict[str, Any]]:
    """Each question's results, with a chart and its table for scales and choices."""
    out = []
    for n, q in enumerate(results.get("questions") or []):
        item = dict(q)
        if q["kind"] in ("scale", "choice"):
            pairs = (
                list(q.get("distribution", {}).items())
                if q["kind"] == "scale"
                else list(q.get("counts", {}).items())
            )
            table = {
                "key": f"q-{q['id']}",
                "title": q["text"],
                "chart": "bar",
                "columns": [
                    t("survey.results.value" if q["kind"] == "scale" else "survey.results.option"),
                    t("survey.results.people"),
                ],
                "rows": [[label, count] for label, count in pairs],
            }
            drawn = charts.render(
                table,
                ident=f"q{n}",
                number=t.number,
                marker=SUPPRESSED,
                describe=describe(t),
                keep_zero=True,
            )
            item["table"] = table
            item["svg"] = drawn[0] if drawn else None
        out.append(item)
    return out


@router.get("/surveys/{survey_id}")
async def survey(request: Request, user: Reader, t: T, survey_id: str) -> Response:
    client = user.evaluation()
    found = await find_survey(client, survey_id)
    results = await client.results(survey_id)
    can_send = user.principal.has_role(*AUTHORS) and user.principal.can_write_tenant(
        str(found["tenant"])
    )
    people = await contact_people(user, str(found["tenant"])) if can_send else []
    once = user.session.data.get(LINKS_KEY)
    links = None
    if isinstance(once, dict) and once.get("survey_id") == survey_id:
        user.session.data.pop(LINKS_KEY, None)
        links = once["links"]
    return render(
        request,
        "evaluation/survey.html",
        {
            "survey": found,
            "results": results,
            "questions": result_charts(results, t) if results.get("shown") else [],
            "can_send": can_send,
            "people": people,
            "links": links,
            "min_answers": MIN_ANSWERS,
        },
    )


@router.post("/surveys/{survey_id}/links")
async def issue_links(request: Request, user: Author, t: T, survey_id: str) -> Response:
    form = await request.form()
    chosen = [str(v) for v in form.getlist("people")]
    client = user.evaluation()
    found = await find_survey(client, survey_id)
    if not chosen:
        user.session.flash.append(t("survey.send.pick"))
        return redirect(f"/surveys/{survey_id}#send")
    people = {str(p["id"]): p for p in await contact_people(user, str(found["tenant"]))}
    issued = await client.issue_links(survey_id, [c for c in chosen if c in people])
    base = user.web.settings.base
    links = []
    for link in issued["links"]:
        person = people.get(str(link["contact_person_id"]), {})
        url = f"{base}/ankieta/{link['token']}"
        mail = None
        if person.get("email"):
            subject = t("survey.links.mail_subject", title=found["title"])
            text = t("survey.links.mail_body", title=found["title"], url=url)
            mail = (
                f"mailto:{quote(str(person['email']), safe='@')}"
                f"?subject={quote(subject)}&body={quote(text)}"
            )
        links.append(
            {
                "name": person.get("name", ""),
                "institution": person.get("institution_name", ""),
                "url": url,
                "mail": mail,
            }
        )
    user.session.data[LINKS_KEY] = {"survey_id": survey_id, "links": links}
    return redirect(f"/surveys/{survey_id}#links")


# --- the public answer page (no sign-in; the one-time link is the only credential) -------------


async def anonymous_session(request: Request, web: Any, session: Any) -> tuple[Any, bool]:
    """The respondent's session: only so that the answer form carries a CSRF token."""
    if session is not None:
        return session, False
    fresh = await web.store.create()
    request.state.session = fresh
    request.state.session_loaded = True
    return fresh, True


def public_client(web: Any) -> EvaluationClient:
    return EvaluationClient(web.http, web.settings.evaluation_url, None)


async def public_page(
    request: Request,
    web: Any,
    session: Any,
    token: str,
    *,
    values: dict[str, str] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    t = Translator(str(request.scope.get("state", {}).get("lang", "pl")))
    session, fresh = await anonymous_session(request, web, session)
    try:
        found = await public_client(web).public_survey(token)
    except ApiProblem as problem:
        message = t("survey.public.closed" if problem.status == 409 else "survey.public.invalid")
        response = render(
            request, "evaluation/answer_gone.html", {"message": message}, status_code=404
        )
    else:
        response = render(
            request,
            "evaluation/answer.html",
            {
                "survey": found,
                "token": token,
                "values": values or {},
                "errors": errors or {},
                "scale": range(1, 6),
            },
            status_code=422 if errors else 200,
        )
    response.headers["Referrer-Policy"] = "no-referrer"  # the token is in the address
    if fresh:
        set_session_cookie(response, web, session)
    return response


@router.get("/ankieta/dziekujemy")
async def answered(request: Request) -> Response:
    return render(request, "evaluation/answer_thanks.html")


@router.get("/ankieta/{token}")
async def answer_form(
    request: Request, web: WebApp, session: OptionalSession, token: str
) -> Response:
    return await public_page(request, web, session, token)


@router.post("/ankieta/{token}")
async def answer(request: Request, web: WebApp, session: OptionalSession, token: str) -> Response:
    form = await request.form()
    client = public_client(web)
    try:
        found = await client.public_survey(token)
    except ApiProblem:
        return await public_page(request, web, session, token)
    values: dict[str, str] = {}
    answers: dict[str, Any] = {}
    for q in found["questions"]:
        raw = str(form.get(q["id"]) or "").strip()
        values[q["id"]] = raw
        if not raw:
            continue
        digits = raw.isascii() and raw.isdigit()  # "²".isdigit(), but int("²") fails
        answers[q["id"]] = int(raw) if q["kind"] == "scale" and digits else raw
    try:
        await client.answer(token, answers)
    except ApiProblem as problem:
        if problem.status not in (400, 404, 409, 422):
            raise
        if problem.status in (404, 409):
            return await public_page(request, web, session, token)
        errors: dict[str, str] = {}
        for err in problem.errors:
            path = str(err.get("field") or "").split(".")
            key = path[-1] if len(path) >= 2 and path[-2] == "answers" else "_form"
            errors.setdefault(key, str(err.get("detail") or ""))
        return await public_page(
            request, web, session, token, values=values, errors=errors or {"_form": problem.title}
        )
    return redirect("/ankieta/dziekujemy")
