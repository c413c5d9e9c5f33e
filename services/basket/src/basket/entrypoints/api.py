"""HTTP routes of the basket service: staff API under /v1, the public catalogue under /v1/public,
and the HSDS 3 read API under /hsds. Endpoints turn requests into commands and call a handler
(the handler commits); reads go through views."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Response
from fastapi.responses import JSONResponse
from pydantic import AfterValidator

from basket import views
from basket.adapters import exports, hsds
from basket.adapters.search import SearchFilters, Sort
from basket.domain import model
from basket.entrypoints import schemas as s
from basket.entrypoints.deps import (
    Editor,
    ReadConnection,
    Reader,
    ReadSession,
    Settings,
    UoW,
    resolve_tenant,
)
from basket.service import commands as c
from basket.service import handlers
from shared.auth.principal import Principal
from shared.contracts.basket import AREA_NAMES_PL, AREAS, Area
from shared.contracts.partners import Sector
from shared.errors import InvalidInput, NotFound
from shared.errors.problems import PROBLEM_RESPONSES
from shared.fields import IsoDateTime
from shared.paging import Page, Paging

router = APIRouter(prefix="/v1", responses=PROBLEM_RESPONSES)
public = APIRouter(prefix="/v1", responses=PROBLEM_RESPONSES)
hsds_api = APIRouter(prefix="/hsds", tags=["hsds"], responses=PROBLEM_RESPONSES)

TenantQuery = Annotated[
    str | None, Query(pattern=r"^\d{4}(\d{3})?$", description="Kod TERYT gminy")
]


class SearchParams:
    """The search and its filters, shared by the staff and the public lists."""

    def __init__(
        self,
        paging: Paging,
        q: Annotated[
            str | None,
            Query(
                min_length=1,
                max_length=200,
                description="Szukaj po polsku: odmiana, brak polskich znaków, literówki, "
                "początki słów",
            ),
        ] = None,
        sector: Annotated[Sector | None, Query(description="Sektor realizatora")] = None,
        area: Annotated[Area | None, Query(description="Obszar ustawy o CUS")] = None,
        category: Annotated[str | None, Query(max_length=100)] = None,
        target_group: s.TargetGroup | None = None,
        free: Annotated[bool | None, Query(description="Tylko bezpłatne")] = None,
        accessible: Annotated[
            bool | None, Query(description="Dostępne dla osób z niepełnosprawnością")
        ] = None,
        capacity: Annotated[
            model.Capacity | None, Query(description="Dostępność miejsc: available, waitlist…")
        ] = None,
        weekday: Annotated[int | None, Query(ge=1, le=7, description="Czynne w dniu 1–7")] = None,
        lat: Annotated[float | None, Query(ge=model.LAT_RANGE[0], le=model.LAT_RANGE[1])] = None,
        lon: Annotated[float | None, Query(ge=model.LON_RANGE[0], le=model.LON_RANGE[1])] = None,
        radius_km: Annotated[float | None, Query(gt=0, le=500)] = None,
        sort: Annotated[Sort, Query(description="relevance, distance albo name")] = "relevance",
    ) -> None:
        if (lat is None) != (lon is None):
            raise InvalidInput.field("lon" if lon is None else "lat", "Podaj lat i lon.", "missing")
        if radius_km is not None and lat is None:
            raise InvalidInput.field("lat", "Odległość wymaga punktu (lat, lon).", "missing")
        if sort == "distance" and lat is None:
            raise InvalidInput.field("sort", "Sortowanie po odległości wymaga lat i lon.")
        self.paging = paging
        self.filters = SearchFilters(
            q=q,
            sector=sector,
            area=area,
            category=category,
            target_group=target_group,
            free=free,
            accessible=accessible,
            capacity=capacity.value if capacity else None,
            weekday=weekday,
            latitude=lat,
            longitude=lon,
            radius_km=radius_km,
            sort=sort,
            limit=paging.per_page,
            offset=paging.offset,
        )

    def with_(self, **changes: Any) -> SearchFilters:
        return SearchFilters(**{**self.filters.__dict__, **changes})


Search = Annotated[SearchParams, Depends()]


# --- reference data -----------------------------------------------------------------------------


@public.get("/categories", tags=["reference"], summary="Obszary ustawy o CUS i kategorie usług")
async def list_categories(session: ReadSession) -> list[s.AreaOut]:
    return await views.categories(session)


@public.get("/target-groups", tags=["reference"], summary="Grupy docelowe")
async def list_target_groups() -> list[s.TargetGroupOut]:
    return [s.TargetGroupOut(code=k, name=v) for k, v in model.TARGET_GROUPS.items()]


@router.get(
    "/institutions",
    tags=["reference"],
    summary="Realizatorzy znani koszykowi (z wydarzeń rejestru partnerów)",
)
async def list_institutions(
    principal: Reader, session: ReadSession, tenant: TenantQuery = None
) -> list[s.InstitutionOut]:
    teryt = resolve_tenant(principal, tenant)
    if not principal.can_read_tenant(teryt):
        return []
    return await views.institutions(session, teryt)


# --- offerings (staff) --------------------------------------------------------------------------


@router.get("/offerings", tags=["offerings"], summary="Szukaj w koszyku")
async def search_offerings(
    principal: Reader,
    session: ReadConnection,
    settings: Settings,
    search: Search,
    tenant: TenantQuery = None,
    status: model.Status | None = None,
    institution_id: uuid.UUID | None = None,
) -> Page[s.OfferingSummary]:
    filters = search.with_(
        tenant=tenant,
        status=status.value if status else None,
        institution_id=institution_id,
        readable_tenants=principal.readable_tenants(),
    )
    return await views.search(
        session, filters, today=handlers.today(), stale_after_days=settings.stale_after_days
    )


@router.post("/offerings", status_code=201, tags=["offerings"], summary="Dodaj usługę")
async def add_offering(
    body: s.OfferingCreate, principal: Editor, uow: UoW, response: Response
) -> s.Created:
    offering_id = await handlers.add_offering(
        c.AddOffering(
            tenant=resolve_tenant(principal, body.tenant),
            institution_id=body.institution_id,
            category=body.category,
            values=body.values(),
            offering_id=body.id,
        ),
        uow=uow,
        actor=principal,
    )
    response.headers["Location"] = f"/v1/offerings/{offering_id}"
    return s.Created(id=offering_id)


@router.get(
    "/offerings/stale",
    tags=["offerings"],
    summary="Usługi niezweryfikowane od dawna (domyślnie 90 dni)",
)
async def stale_offerings(
    principal: Reader, session: ReadSession, settings: Settings, tenant: TenantQuery = None
) -> list[s.OfferingSummary]:
    teryt = resolve_tenant(principal, tenant)
    if not principal.can_read_tenant(teryt):
        return []
    return await views.stale(
        session, teryt, today=handlers.today(), stale_after_days=settings.stale_after_days
    )


async def _visible(session: ReadSession, principal: Principal, offering_id: uuid.UUID) -> Any:
    loaded = await views.load(session, offering_id)
    if loaded is None or not handlers.can_see(principal, loaded[0]):
        raise NotFound("Nie znaleziono usługi.")
    return loaded


# `:uuid`: /offerings/stale is a resource of its own, not an offering id; without it a PATCH of
# /offerings/stale reached update_offering (422) instead of 405 (schemathesis' unsupported_method).
@router.get("/offerings/{offering_id:uuid}", tags=["offerings"])
async def get_offering(
    offering_id: uuid.UUID, principal: Reader, session: ReadSession, settings: Settings
) -> s.OfferingOut:
    offering, provider = await _visible(session, principal, offering_id)
    return views.offering_out(
        offering,
        provider,
        await views.category_names(session),
        today=handlers.today(),
        stale_after_days=settings.stale_after_days,
    )


@router.patch("/offerings/{offering_id:uuid}", tags=["offerings"], summary="Zmień usługę")
async def update_offering(
    offering_id: uuid.UUID, body: s.OfferingPatch, principal: Editor, uow: UoW
) -> s.Changed:
    changed = await handlers.update_offering(
        c.UpdateOffering(offering_id, body.changes()), uow=uow, actor=principal
    )
    return s.Changed(changed=changed)


@router.post("/offerings/{offering_id}/publish", tags=["offerings"], summary="Opublikuj")
async def publish_offering(offering_id: uuid.UUID, principal: Editor, uow: UoW) -> s.Changed:
    await handlers.publish_offering(c.PublishOffering(offering_id), uow=uow, actor=principal)
    return s.Changed(changed=["status"])


@router.post("/offerings/{offering_id}/suspend", tags=["offerings"], summary="Zawieś")
async def suspend_offering(
    offering_id: uuid.UUID, body: s.Reason, principal: Editor, uow: UoW
) -> s.Changed:
    await handlers.suspend_offering(
        c.SuspendOffering(offering_id, body.reason), uow=uow, actor=principal
    )
    return s.Changed(changed=["status", "status_reason"])


@router.post("/offerings/{offering_id}/withdraw", tags=["offerings"], summary="Wycofaj")
async def withdraw_offering(
    offering_id: uuid.UUID, body: s.Reason, principal: Editor, uow: UoW
) -> s.Changed:
    await handlers.withdraw_offering(
        c.WithdrawOffering(offering_id, body.reason), uow=uow, actor=principal
    )
    return s.Changed(changed=["status", "status_reason"])


@router.post(
    "/offerings/{offering_id}/verify",
    tags=["offerings"],
    summary="Potwierdź, że informacje są aktualne",
)
async def verify_offering(offering_id: uuid.UUID, principal: Editor, uow: UoW) -> s.Changed:
    await handlers.verify_offering(c.VerifyOffering(offering_id), uow=uow, actor=principal)
    return s.Changed(changed=["last_verified_on"])


@router.patch(
    "/offerings/{offering_id}/capacity",
    tags=["offerings"],
    summary="Zmień dostępność miejsc i czas oczekiwania",
)
async def change_capacity(
    offering_id: uuid.UUID, body: s.CapacityIn, principal: Editor, uow: UoW
) -> s.Changed:
    changed = await handlers.change_capacity(
        c.ChangeCapacity(offering_id, body.capacity_status, body.waiting_days),
        uow=uow,
        actor=principal,
    )
    return s.Changed(changed=["capacity_status", "waiting_days"] if changed else [])


@router.get("/offerings/{offering_id}/history", tags=["offerings"], summary="Historia zmian")
async def offering_history(
    offering_id: uuid.UUID, principal: Reader, session: ReadSession
) -> list[s.HistoryEntry]:
    await _visible(session, principal, offering_id)
    return await views.history(session, offering_id)


# --- the public catalogue -----------------------------------------------------------------------


@public.get(
    "/public/{tenant}/offerings",
    tags=["public"],
    summary="Opublikowany koszyk gminy (bez logowania)",
)
async def public_offerings(
    tenant: str,
    session: ReadConnection,
    settings: Settings,
    search: Search,
) -> Page[s.OfferingSummary]:
    filters = search.with_(tenant=_teryt(tenant), published_only=True)
    return await views.search(
        session, filters, today=handlers.today(), stale_after_days=settings.stale_after_days
    )


def _teryt(tenant: str) -> str:
    if not tenant.isdigit() or len(tenant) not in (4, 7):
        raise NotFound("Nie ma takiej gminy.")
    return tenant


async def _published_in(session: ReadSession, tenant: str, offering_id: uuid.UUID) -> Any:
    entries = await views.published(session, tenant=tenant, ids=[offering_id])
    if not entries:
        raise NotFound("Nie znaleziono usługi.")
    return entries[0]


@public.get("/public/{tenant}/offerings/{offering_id}", tags=["public"])
async def public_offering(
    tenant: str, offering_id: uuid.UUID, session: ReadSession, settings: Settings
) -> s.OfferingOut:
    offering, provider = await _published_in(session, _teryt(tenant), offering_id)
    return views.offering_out(
        offering,
        provider,
        await views.category_names(session),
        today=handlers.today(),
        stale_after_days=settings.stale_after_days,
    )


async def _export_data(
    session: ReadSession, tenant: str
) -> tuple[list[exports.Entry], dict[str, str]]:
    return await views.published(session, tenant=_teryt(tenant)), await views.category_names(
        session
    )


def _attachment(name: str) -> dict[str, str]:
    return {"Content-Disposition": f'attachment; filename="{name}"'}


@public.get(
    "/public/{tenant}/export.json",
    tags=["public"],
    summary="Otwarte dane: usługi w formacie HSDS 3.0 (JSON)",
)
async def export_json(tenant: str, session: ReadSession) -> JSONResponse:
    entries, names = await _export_data(session, tenant)
    return JSONResponse(
        [hsds.service(o, p, names) for o, p in entries],
        headers=_attachment(f"koszyk-{tenant}-hsds.json"),
    )


def _file(media_type: str) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI of an export route: one file of `media_type`."""
    return {
        200: {
            "description": "Plik do pobrania",
            "content": {media_type: {"schema": {"type": "string", "format": "binary"}}},
        }
    }


@public.get(
    "/public/{tenant}/export.csv",
    tags=["public"],
    summary="Koszyk gminy jako CSV",
    response_class=Response,
    responses=_file("text/csv"),
)
async def export_csv(tenant: str, session: ReadSession) -> Response:
    entries, names = await _export_data(session, tenant)
    return Response(
        exports.to_csv(entries, names),
        media_type="text/csv; charset=utf-8",
        headers=_attachment(f"koszyk-{tenant}.csv"),
    )


@public.get(
    "/public/{tenant}/export.xlsx",
    tags=["public"],
    summary="Koszyk gminy jako XLSX",
    response_class=Response,
    responses=_file("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
)
async def export_xlsx(tenant: str, session: ReadSession) -> Response:
    entries, names = await _export_data(session, tenant)
    return Response(
        exports.to_xlsx(entries, names, f"Lokalny Koszyk Usług {tenant}"),
        media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        headers=_attachment(f"koszyk-{tenant}.xlsx"),
    )


@public.get(
    "/public/{tenant}/export.pdf",
    tags=["public"],
    summary="Koszyk gminy do druku (PDF, wg obszarów i kategorii)",
    response_class=Response,
    responses=_file("application/pdf"),
)
async def export_pdf(
    tenant: str,
    session: ReadSession,
    municipality: Annotated[
        str | None, Query(max_length=100, description="Nazwa gminy do nagłówka")
    ] = None,
) -> Response:
    entries, names = await _export_data(session, tenant)
    pdf = exports.to_pdf(
        entries,
        names,
        municipality=municipality or f"(TERYT {tenant})",
        today=handlers.today(),
    )
    return Response(pdf, media_type="application/pdf", headers=_attachment(f"koszyk-{tenant}.pdf"))


# --- HSDS 3.0 API (read-only, public, published offerings only) ---------------------------------


@hsds_api.get("/", summary="O tym API (HSDS)")
async def hsds_root() -> dict[str, str]:
    return {
        "version": hsds.HSDS_VERSION,
        "profile": "https://docs.openreferral.org/en/latest/",
        "openapi_url": "/openapi.json",
    }


async def _term_codes(session: ReadSession) -> dict[str, str]:
    codes = [*AREAS, *(await views.category_names(session))]
    codes += [f"target_group.{g}" for g in model.TARGET_GROUPS]
    return {hsds.term_id(code): code for code in codes}


@hsds_api.get("/services", summary="Usługi (HSDS): lista stronicowana")
async def hsds_services(
    session: ReadSession,
    paging: Paging,
    search: Annotated[str | None, Query(max_length=200)] = None,
    taxonomy_term_id: str | None = None,
    organization_id: uuid.UUID | None = None,
    modified_after: Annotated[IsoDateTime | None, AfterValidator(s.in_utc)] = None,
    tenant: TenantQuery = None,
    full: bool = False,
) -> dict[str, Any]:
    filters = SearchFilters(
        q=search,
        tenant=tenant,
        institution_id=organization_id,
        modified_after=modified_after,
        published_only=True,
        sort="relevance" if search else "name",
        limit=paging.per_page,
        offset=paging.offset,
    )
    if taxonomy_term_id:
        code = (await _term_codes(session)).get(taxonomy_term_id, taxonomy_term_id)
        if code in AREAS:
            filters = SearchFilters(**{**filters.__dict__, "area": code})
        elif code.startswith("target_group."):
            group = code.removeprefix("target_group.")
            filters = SearchFilters(**{**filters.__dict__, "target_group": group})
        else:
            filters = SearchFilters(**{**filters.__dict__, "category": code})
    found = await views.search(session, filters, today=handlers.today(), stale_after_days=10**6)
    entries = await views.published(session, ids=[i.id for i in found.items])
    by_id = {o.id: (o, p) for o, p in entries}
    names = await views.category_names(session)
    contents = []
    for item in found.items:
        if item.id in by_id:
            service = hsds.service(*by_id[item.id], names)
            contents.append(service if full else hsds.service_list_item(service))
    return hsds.page(contents, total=found.total, page=paging.page, per_page=paging.per_page)


@hsds_api.get("/services/{service_id}", summary="Usługa (HSDS), w pełni zagnieżdżona")
async def hsds_service(service_id: uuid.UUID, session: ReadSession) -> dict[str, Any]:
    entries = await views.published(session, ids=[service_id])
    if not entries:
        raise NotFound("Nie znaleziono usługi.")
    return hsds.service(*entries[0], await views.category_names(session))


@hsds_api.get("/organizations", summary="Organizacje (HSDS): lista stronicowana")
async def hsds_organizations(
    session: ReadSession,
    paging: Paging,
    search: Annotated[str | None, Query(max_length=200)] = None,
    tenant: TenantQuery = None,
) -> dict[str, Any]:
    providers, total = await views.organizations(
        session, tenant=tenant, search=search, limit=paging.per_page, offset=paging.offset
    )
    return hsds.page(
        [hsds.organization(p) for p in providers],
        total=total,
        page=paging.page,
        per_page=paging.per_page,
    )


@hsds_api.get("/organizations/{organization_id}", summary="Organizacja (HSDS)")
async def hsds_organization(organization_id: uuid.UUID, session: ReadSession) -> dict[str, Any]:
    providers, _ = await views.organizations(
        session, tenant=None, search=None, limit=1, offset=0, id=organization_id
    )
    if not providers:
        raise NotFound("Nie znaleziono organizacji.")
    return hsds.organization(providers[0])


@hsds_api.get("/taxonomy_terms", summary="Pojęcia taksonomii (obszary, kategorie, grupy)")
async def hsds_taxonomy_terms(session: ReadSession) -> dict[str, Any]:
    c_names = await views.category_names(session)
    terms = [hsds.taxonomy_term(a, AREA_NAMES_PL[a]) for a in AREAS]
    terms += [hsds.taxonomy_term(code, name, code.split(".")[0]) for code, name in c_names.items()]
    terms += [hsds.taxonomy_term(f"target_group.{k}", v) for k, v in model.TARGET_GROUPS.items()]
    return hsds.page(terms, total=len(terms), page=1, per_page=max(len(terms), 1))
