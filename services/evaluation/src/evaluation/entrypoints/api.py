"""HTTP routes of the evaluation service (under /v1): monitoring, reports and their exports,
surveys (with the public one-time answer link), and the rebuild of the read models."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from nats.js import JetStreamContext
from pydantic import AfterValidator

from evaluation import views
from evaluation.adapters import exports
from evaluation.adapters import surveys as store
from evaluation.adapters.rebuild import rebuild
from evaluation.adapters.snapshots import Snapshot, list_snapshots, take_snapshot
from evaluation.config import EvaluationSettings
from evaluation.domain.periods import MAX_YEAR, MIN_YEAR, Period
from evaluation.domain.report import Report
from evaluation.domain.surveys import MIN_ANSWERS, Question, SurveyRow
from evaluation.domain.surveys import results as survey_results
from evaluation.entrypoints import schemas as s
from evaluation.entrypoints.deps import (
    Admin,
    Reader,
    Session,
    SurveyAuthor,
    UoW,
    runtime_of,
    scope_for,
)
from evaluation.service import handlers
from shared import clock
from shared.errors import Conflict, InvalidInput, NotFound
from shared.errors.problems import PROBLEM_RESPONSES

router = APIRouter(prefix="/v1", responses=PROBLEM_RESPONSES)
public = APIRouter(prefix="/v1/public", responses=PROBLEM_RESPONSES)

TenantQuery = Annotated[
    str | None,
    Query(
        pattern=r"^\d{4}(\d{3})?$",
        description="Kod TERYT gminy; bez niego – region (analitycy i pracownicy regionalni)",
    ),
]


def _valid_period(value: str) -> str:
    """Refuses a period outside the years a report may cover as a query error naming `period`."""
    try:
        Period.parse(value)
    except InvalidInput as error:
        raise ValueError(error.errors[0].message) from None
    return value


PeriodQuery = Annotated[
    str,
    Query(
        pattern=r"^\d{4}(-(0[1-9]|1[0-2]|Q[1-4]))?$",
        description="Okres: rok (2026), kwartał (2026-Q3) albo miesiąc (2026-11); "
        f"lata {MIN_YEAR}–{MAX_YEAR}",
    ),
    AfterValidator(_valid_period),
]
Format = Literal["csv", "xlsx", "pdf"]
MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}
# What the export routes answer, for the OpenAPI: one file in the format of the path.
EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "Plik w formacie z rozszerzenia ścieżki",
        "content": {
            media.split(";")[0]: {"schema": {"type": "string", "format": "binary"}}
            for media in MEDIA.values()
        },
    }
}


def _now() -> datetime:
    return clock.now()


def _export(report: Report, fmt: Format, name: str) -> Response:
    disclosed = report.disclosed()
    render = {"csv": exports.to_csv, "xlsx": exports.to_xlsx, "pdf": exports.to_pdf}[fmt]
    return Response(
        render(disclosed),
        media_type=MEDIA[fmt],
        headers={"Content-Disposition": f'attachment; filename="{name}.{fmt}"'},
    )


# --- monitoring and reports ----------------------------------------------------------------------


@router.get("/monitoring", tags=["monitoring"], summary="Monitoring: stan współpracy teraz")
async def monitoring(
    principal: Reader, session: Session, tenant: TenantQuery = None
) -> dict[str, Any]:
    scope = scope_for(principal, tenant)
    return (await views.monitoring(session, scope, _now())).disclosed().as_json()


@router.get(
    "/monitoring/export.{fmt}",
    tags=["monitoring"],
    summary="Monitoring jako CSV, XLSX lub PDF",
    response_class=Response,
    responses=EXPORT_RESPONSES,
)
async def monitoring_export(
    fmt: Format, principal: Reader, session: Session, tenant: TenantQuery = None
) -> Response:
    scope = scope_for(principal, tenant)
    report = await views.monitoring(session, scope, _now())
    return _export(report, fmt, f"monitoring-{scope or 'region'}")


@router.get("/reports", tags=["reports"], summary="Raport ewaluacyjny za okres, z trendem")
async def report(
    principal: Reader, session: Session, period: PeriodQuery, tenant: TenantQuery = None
) -> dict[str, Any]:
    scope = scope_for(principal, tenant)
    built = await views.report(session, scope, Period.parse(period), _now())
    return built.disclosed().as_json()


@router.get(
    "/reports/export.{fmt}",
    tags=["reports"],
    summary="Raport ewaluacyjny jako CSV, XLSX lub PDF",
    response_class=Response,
    responses=EXPORT_RESPONSES,
)
async def report_export(
    fmt: Format,
    principal: Reader,
    session: Session,
    period: PeriodQuery,
    tenant: TenantQuery = None,
) -> Response:
    scope = scope_for(principal, tenant)
    parsed = Period.parse(period)
    built = await views.report(session, scope, parsed, _now())
    return _export(built, fmt, f"raport-{scope or 'region'}-{parsed.code}")


def _snapshot_out(snapshot: Snapshot) -> s.SnapshotOut:
    return s.SnapshotOut(
        id=snapshot.id,
        taken_at=snapshot.taken_at,
        positions=snapshot.positions,
        rows=snapshot.row_count,
    )


def _jetstream(request: Request) -> JetStreamContext:
    nc = runtime_of(request).nats_connection()
    if nc is None:
        raise Conflict("Brak połączenia z NATS; operacja niemożliwa.")
    return nc.jetstream()


@router.post(
    "/admin/rebuild",
    tags=["admin"],
    summary="Odbuduj modele odczytu z najnowszej migawki i zdarzeń po niej",
    description="Bez migawki (albo z `from=history`) – z pełnej historii zdarzeń. Odmawia (409), "
    "gdy strumień nie zawiera już zdarzeń potrzebnych do odbudowy (limit wieku strumieni, "
    "ADR 0049); niczego wtedy nie zmienia.",
)
async def rebuild_read_models(
    principal: Admin,
    request: Request,
    source: Annotated[
        Literal["snapshot", "history"],
        Query(
            alias="from",
            description="`snapshot`: od najnowszej migawki (domyślnie); `history`: od "
            "pierwszego zdarzenia każdego strumienia",
        ),
    ] = "snapshot",
) -> s.RebuildOut:
    runtime = runtime_of(request)
    settings = runtime.settings
    keep = settings.snapshots_kept if isinstance(settings, EvaluationSettings) else 3
    result = await rebuild(
        runtime.engine,
        _jetstream(request),
        from_snapshot=source == "snapshot",
        keep_snapshots=keep,
    )
    return s.RebuildOut(
        events=result.events,
        total=result.total,
        seconds=round(result.seconds, 3),
        from_snapshot=_snapshot_out(result.snapshot) if result.snapshot else None,
        replayed_from=result.replayed_from,
        snapshot_after=_snapshot_out(result.snapshot_after) if result.snapshot_after else None,
    )


@router.post(
    "/admin/snapshots",
    tags=["admin"],
    status_code=201,
    summary="Wykonaj migawkę modeli odczytu teraz",
    description="Poza migawkami wykonywanymi okresowo (SNAPSHOT_INTERVAL_HOURS); zachowywane są "
    "najnowsze (SNAPSHOTS_KEPT).",
)
async def take_read_model_snapshot(principal: Admin, request: Request) -> s.SnapshotOut:
    runtime = runtime_of(request)
    settings = runtime.settings
    keep = settings.snapshots_kept if isinstance(settings, EvaluationSettings) else 3
    snapshot = await take_snapshot(runtime.engine, _jetstream(request), keep=keep)
    return _snapshot_out(snapshot)


@router.get(
    "/admin/snapshots",
    tags=["admin"],
    summary="Migawki modeli odczytu, od najnowszej",
)
async def list_read_model_snapshots(principal: Admin, session: Session) -> list[s.SnapshotOut]:
    conn = await session.connection()
    return [_snapshot_out(snapshot) for snapshot in await list_snapshots(conn)]


# --- surveys -------------------------------------------------------------------------------------


def _survey_out(row: SurveyRow, answers: int) -> s.SurveyOut:
    return s.SurveyOut(
        id=row.id,
        tenant=row.tenant,
        title=row.title,
        kind=row.kind,
        questions=[q.as_json() for q in row.questions],
        created_at=row.created_at,
        closes_at=row.closes_at,
        answers=answers if answers >= MIN_ANSWERS else f"< {MIN_ANSWERS}",
    )


@router.post("/surveys", status_code=201, tags=["surveys"], summary="Zdefiniuj ankietę")
async def create_survey(body: s.SurveyIn, principal: SurveyAuthor, uow: UoW) -> s.SurveyOut:
    tenant = scope_for(principal, body.tenant)
    if tenant is None:
        raise InvalidInput.field("tenant", "Ankietę definiuje się dla gminy: wskaż kod TERYT.")
    row = await handlers.create_survey(
        uow=uow,
        actor=principal,
        tenant=tenant,
        title=body.title,
        kind=body.kind,
        questions=[Question(q.id, q.text, q.kind, tuple(q.options)) for q in body.questions],
        closes_at=body.closes_at,
    )
    return _survey_out(row, 0)


@router.get("/surveys", tags=["surveys"], summary="Ankiety gmin, do których masz dostęp")
async def list_surveys(principal: Reader, session: Session) -> list[s.SurveyOut]:
    rows = await store.list_for(session, principal.readable_tenants())
    return [_survey_out(row, n) for row, n in rows]


async def _readable_survey(session: Session, principal: Reader, survey_id: uuid.UUID) -> SurveyRow:
    row = await store.get(session, survey_id)
    if row is None or not principal.can_read_tenant(row.tenant):
        raise NotFound("Nie ma takiej ankiety.")
    return row


@router.post(
    "/surveys/{survey_id}/links",
    status_code=201,
    tags=["surveys"],
    summary="Wydaj jednorazowe linki do ankiety dla osób do kontaktu",
)
async def issue_links(
    survey_id: uuid.UUID,
    body: s.LinksIn,
    principal: SurveyAuthor,
    uow: UoW,
    request: Request,
) -> s.LinksOut:
    issued = await handlers.issue_links(
        survey_id, body.contact_person_ids, uow=uow, actor=principal
    )
    base = runtime_of(request).settings.public_base_url or str(request.base_url).rstrip("/")
    return s.LinksOut(
        survey_id=survey_id,
        links=[
            s.LinkOut(
                contact_person_id=person,
                token=token,
                url=f"{base}/v1/public/surveys/answer/{token}",
            )
            for person, token in issued
        ],
        note="Linki przekazuje osobom do kontaktu serwis powiadomień; serwis ewaluacji nie "
        "zapisuje, komu który link wydano, więc odpowiedzi są anonimowe.",
    )


@router.get(
    "/surveys/{survey_id}/results", tags=["surveys"], summary="Wyniki ankiety (≥ 5 odpowiedzi)"
)
async def survey_results_view(
    survey_id: uuid.UUID, principal: Reader, session: Session
) -> dict[str, Any]:
    row = await _readable_survey(session, principal, survey_id)
    answers = await store.answers_of(session, survey_id)
    return {"survey_id": str(row.id), "title": row.title, **survey_results(row.questions, answers)}


@public.get(
    "/surveys/answer/{token}", tags=["surveys"], summary="Ankieta do wypełnienia (bez logowania)"
)
async def public_survey(token: str, session: Session) -> s.PublicSurveyOut:
    row = handlers.open_survey(await store.survey_of_token(session, token), _now())
    return s.PublicSurveyOut(
        title=row.title, kind=row.kind, questions=[q.as_json() for q in row.questions]
    )


@public.post(
    "/surveys/answer/{token}",
    status_code=201,
    tags=["surveys"],
    summary="Odpowiedz na ankietę (link działa raz; odpowiedź jest anonimowa)",
)
async def answer_survey(token: str, body: s.AnswerIn, uow: UoW) -> dict[str, str]:
    await handlers.answer_survey(token, body.answers, uow=uow, now=_now())
    return {"status": "Dziękujemy, odpowiedź zapisano anonimowo."}
