"""The public basket, without signing in: a municipality's Local Basket of Services with search and
filters, a service's page with its conditions and contact, a printable version, and the open-data
exports (proxied from the basket service, which need not be reachable from the internet)."""

from __future__ import annotations

import math
import re
from datetime import date
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web.clients.base import ApiProblem
from web.clients.basket import BasketClient
from web.deps import T, WebApp, redirect, render
from web.i18n import SECTORS, Translator
from web.routes.basket import (
    CAPACITIES,
    TARGET_GROUPS,
    WEEKDAYS,
    category_options,
    page_number,
    search_filters,
    with_language_names,
)

router = APIRouter(tags=["public"])

PER_PAGE = 20
TERYT = re.compile(r"^\d{4}(\d{3})?$")
EXPORTS = {"csv": "CSV", "json": "JSON (HSDS 3.0)", "xlsx": "XLSX", "pdf": "PDF"}


def public_client(web: WebApp) -> BasketClient:
    return BasketClient(web.http, web.settings.basket_url, None)


def valid_teryt(value: str) -> str:
    if not TERYT.match(value):
        raise ApiProblem(404)
    return value


@router.get("/public/basket")
async def choose_municipality(request: Request, t: T, teryt: str | None = None) -> Response:
    """Where a visitor without a link from their municipality's website starts."""
    value = (teryt or "").strip().replace(" ", "")
    if value and TERYT.match(value):
        return redirect(f"/public/basket/{value}")
    errors = {"teryt": t("public.teryt.invalid")} if value else {}
    return render(
        request,
        "public/choose.html",
        {"values": {"teryt": value}, "errors": errors},
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
    return render(
        request, "public/print.html", {"teryt": teryt, "o": offering, "today": date.today()}
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
