"""The public basket, without signing in: a municipality's Local Basket of Services with search and
filters, a service's page with its conditions and contact, a printable version, and the open-data
exports (proxied from the basket service, which need not be reachable from the internet)."""

from __future__ import annotations

import logging
import math
import re
import time
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from shared import clock
from shared.contracts.basket import TARGET_GROUPS
from web.clients.base import ApiProblem, ServiceUnavailable
from web.clients.basket import BasketClient
from web.clients.partners import PartnersClient
from web.deps import T, WebApp, redirect, render
from web.i18n import SECTORS, Translator, polish_sort_key
from web.routes.basket import (
    CAPACITIES,
    WEEKDAYS,
    category_options,
    page_number,
    search_filters,
    with_language_names,
)

router = APIRouter(tags=["public"])
log = logging.getLogger(__name__)

PER_PAGE = 20
TERYT = re.compile(r"^\d{4}(\d{3})?$")
EXPORTS = {"csv": "CSV", "json": "JSON (HSDS 3.0)", "xlsx": "XLSX", "pdf": "PDF"}


def public_client(web: WebApp) -> BasketClient:
    return BasketClient(web.http, web.settings.basket_url, None)


_NAMES: dict[str, tuple[float, dict[str, str]]] = {}  # by the partners service's URL
NAMES_TTL_S = 300.0


async def municipality_names(web: WebApp) -> dict[str, str]:
    """TERYT code → name of the municipalities with a partnership (the partners service's public
    list, kept for five minutes). A service that does not answer leaves the pages with codes."""
    source = web.settings.partners_url
    cached = _NAMES.get(source)
    if cached is not None and time.monotonic() - cached[0] < NAMES_TTL_S:
        return cached[1]
    try:
        listed = await PartnersClient(web.http, web.settings.partners_url, None).municipalities()
    except (ApiProblem, ServiceUnavailable) as exc:
        log.warning("municipality names unavailable", extra={"error": str(exc)})
        return {}
    names = {str(m["teryt"]): str(m["name"]) for m in listed}
    if names:  # an installation without partnerships yet is asked again next time
        _NAMES[source] = (time.monotonic(), names)
    return names


def municipality_label(t: Translator, teryt: str, names: dict[str, str]) -> str:
    name = names.get(teryt)
    if name:
        return t("public.municipality.named", name=name, teryt=teryt)
    return t("public.municipality", teryt=teryt)


def valid_teryt(value: str) -> str:
    if not TERYT.match(value):
        raise ApiProblem(404)
    return value


@router.get("/public/basket")
async def choose_municipality(
    request: Request, web: WebApp, t: T, teryt: str | None = None
) -> Response:
    """Where a visitor without a link from their municipality's website starts: the
    municipalities by name, or a TERYT code."""
    value = (teryt or "").strip().replace(" ", "")
    if value and TERYT.match(value):
        return redirect(f"/public/basket/{value}")
    errors = {"teryt": t("public.teryt.invalid")} if value else {}
    names = await municipality_names(web)
    municipalities = sorted(names.items(), key=lambda pair: polish_sort_key(pair[1]))
    return render(
        request,
        "public/choose.html",
        {"values": {"teryt": value}, "errors": errors, "municipalities": municipalities},
        status_code=422 if errors else 200,
    )


@router.get("/public/basket/{teryt}")
async def public_basket(request: Request, web: WebApp, t: T, teryt: str) -> Response:
    teryt = valid_teryt(teryt)
    params = request.query_params
    filters = search_filters(params)
    page = page_number(params.get("page"))
    client = public_client(web)
    result = await client.public_search(teryt, filters, page=page, per_page=PER_PAGE)
    pages = max(1, math.ceil(result["total"] / PER_PAGE))
    return render(
        request,
        "public/basket.html",
        {
            "teryt": teryt,
            "municipality": municipality_label(t, teryt, await municipality_names(web)),
            "result": result,
            "filters": filters,
            "query": filters,
            "page": page,
            "pages": pages,
            "areas": category_options(await client.categories(), t),
            "group_options": [(g, t("basket.group." + g)) for g in TARGET_GROUPS],
            "sector_options": [(s, t.sector(s)) for s in SECTORS],
            "capacity_options": [(c, t("basket.capacity." + c)) for c in CAPACITIES],
            "weekday_options": [(str(d), t(f"basket.weekday.{d}")) for d in WEEKDAYS],
        },
    )


async def _offering(web: WebApp, t: Translator, teryt: str, offering_id: str) -> dict[str, Any]:
    if not re.fullmatch(r"[0-9a-fA-F-]{36}", offering_id):
        raise ApiProblem(404)
    offering = await public_client(web).public_offering(valid_teryt(teryt), offering_id)
    return with_language_names(offering, t)


@router.get("/public/basket/{teryt}/services/{offering_id}")
async def public_offering(
    request: Request, web: WebApp, t: T, teryt: str, offering_id: str
) -> Response:
    offering = await _offering(web, t, teryt, offering_id)
    return render(request, "public/offering.html", {"teryt": teryt, "o": offering})


@router.get("/public/basket/{teryt}/services/{offering_id}/print")
async def public_offering_print(
    request: Request, web: WebApp, t: T, teryt: str, offering_id: str
) -> Response:
    offering = await _offering(web, t, teryt, offering_id)
    municipality = municipality_label(t, teryt, await municipality_names(web))
    return render(
        request,
        "public/print.html",
        {"teryt": teryt, "o": offering, "today": clock.today(), "municipality": municipality},
    )


@router.get("/public/basket/{teryt}/export.{fmt}")
async def public_export(web: WebApp, teryt: str, fmt: str) -> Response:
    if fmt not in EXPORTS:
        raise ApiProblem(404)
    content, media_type, disposition = await public_client(web).export(valid_teryt(teryt), fmt)
    headers = {"Cache-Control": "public, max-age=300"}
    if disposition:
        headers["Content-Disposition"] = disposition
    if fmt == "json" or fmt == "csv":
        headers["Access-Control-Allow-Origin"] = "*"  # open data: any site may read it
    return Response(content, media_type=media_type, headers=headers)
