"""The search query over the basket: Polish full text (stems) + trigram similarity (typos, partial
words), with filters, sorted by relevance, distance or name, paged — one SQL statement.

`build_search` returns plain SQL with named parameters, so the benchmark can run the very same
statement on bare asyncpg (see bench/basket_search.py).
"""

from __future__ import annotations

import math
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from basket.domain import polish

Sort = Literal["relevance", "distance", "name"]

KM_PER_DEGREE_LAT = 111.2

COLUMNS = """
    o.id, o.tenant, o.institution_id, i.name AS institution_name, o.provider_sector, o.title,
    o.description, o.area, o.category, o.target_groups, o.cost, o.free, o.accessible,
    o.capacity_status, o.waiting_days, o.status, o.status_reason, o.last_verified_on,
    o.tenants_served, o.places, o.latitude, o.longitude, o.updated_at
"""


@dataclass(frozen=True)
class SearchFilters:
    q: str | None = None
    tenant: str | None = None
    sector: str | None = None
    area: str | None = None
    category: str | None = None
    target_group: str | None = None
    free: bool | None = None
    accessible: bool | None = None
    weekday: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    radius_km: float | None = None
    status: str | None = None
    institution_id: uuid.UUID | None = None
    published_only: bool = False
    readable_tenants: frozenset[str] | None = None  # None: every tenant (regional staff)
    modified_after: Any = None
    sort: Sort = "relevance"
    limit: int = 20
    offset: int = 0


def ts_query(q: str) -> str | None:
    """A tsquery of the query's stems, OR-ed, prefix-matching (partial words) when long enough."""
    terms = [f"{s}:*" if len(s) >= 3 else s for s in polish.stems(q)]
    return " | ".join(terms) if terms else None


def _haversine(lat: str, lon: str) -> str:
    return (
        f"(6371.0 * 2 * asin(sqrt(power(sin(radians(o.latitude - {lat}) / 2), 2) + "
        f"cos(radians({lat})) * cos(radians(o.latitude)) * "
        f"power(sin(radians(o.longitude - {lon}) / 2), 2))))"
    )


def build_search(f: SearchFilters) -> tuple[str, dict[str, Any]]:
    where: list[str] = []
    params: dict[str, Any] = {"limit": f.limit, "offset": f.offset}
    if f.published_only:
        where.append("o.status = 'published'")
    elif f.readable_tenants is not None:
        params["readable"] = sorted(f.readable_tenants)
        where.append(
            "(o.tenant = ANY(CAST(:readable AS text[])) OR (o.status = 'published' "
            "AND o.tenants_served && CAST(:readable AS text[])))"
        )
    if f.tenant:
        params["tenant"] = f.tenant
        where.append("o.tenants_served @> ARRAY[CAST(:tenant AS text)]")
    if f.status:
        params["status"] = f.status
        where.append("o.status = :status")
    if f.sector:
        params["sector"] = f.sector
        where.append("o.provider_sector = :sector")
    if f.area:
        params["area"] = f.area
        where.append("o.area = :area")
    if f.category:
        params["category"] = f.category
        where.append("o.category = :category")
    if f.target_group:
        params["target_group"] = f.target_group
        where.append("o.target_groups @> ARRAY[CAST(:target_group AS text)]")
    if f.free is not None:
        where.append("o.free" if f.free else "NOT o.free")
    if f.accessible is not None:
        where.append("o.accessible" if f.accessible else "NOT o.accessible")
    if f.weekday is not None:
        params["weekday"] = f.weekday
        where.append("CAST(:weekday AS integer) = ANY(o.weekdays)")
    if f.institution_id is not None:
        params["institution_id"] = f.institution_id
        where.append("o.institution_id = :institution_id")
    if f.modified_after is not None:
        params["modified_after"] = f.modified_after
        where.append("o.updated_at > :modified_after")

    located = f.latitude is not None and f.longitude is not None
    distance = "NULL::float8"
    if located:
        assert f.latitude is not None and f.longitude is not None
        params["lat"], params["lon"] = f.latitude, f.longitude
        distance = _haversine("CAST(:lat AS float8)", "CAST(:lon AS float8)")
        if f.radius_km is not None:
            # A bounding box on the indexed coordinates first, then the exact distance.
            dlat = f.radius_km / KM_PER_DEGREE_LAT
            dlon = dlat / max(0.2, _cos_deg(f.latitude))
            params.update(
                lat_min=f.latitude - dlat,
                lat_max=f.latitude + dlat,
                lon_min=f.longitude - dlon,
                lon_max=f.longitude + dlon,
                radius=f.radius_km,
            )
            where.append(
                "o.latitude BETWEEN :lat_min AND :lat_max "
                "AND o.longitude BETWEEN :lon_min AND :lon_max"
            )
            where.append(f"{distance} <= :radius")

    score = "0.0"
    tsq = ts_query(f.q) if f.q else None
    folded = polish.fold(f.q).strip() if f.q else ""
    if folded:
        params["qn"] = folded
        text_match = ":qn <% o.search_text"
        rank = "word_similarity(:qn, o.search_text) + similarity(:qn, o.search_title)"
        if tsq:
            params["tsq"] = tsq
            text_match = f"(o.search_doc @@ to_tsquery('simple', :tsq) OR {text_match})"
            rank = f"ts_rank(o.search_doc, to_tsquery('simple', :tsq), 1) * 4 + {rank}"
        where.append(text_match)
        score = rank

    if f.sort == "distance" and located:
        order = "distance_km NULLS LAST, o.search_title, o.id"
    elif f.sort == "name" or not folded:
        order = "o.search_title, o.id"
    else:
        order = "score DESC, o.search_title, o.id"

    sql = (
        f"SELECT {COLUMNS}, {score} AS score, {distance} AS distance_km, "
        "count(*) OVER () AS total "
        "FROM offerings o LEFT JOIN institutions i ON i.id = o.institution_id "
        f"WHERE {' AND '.join(where) or 'true'} "
        f"ORDER BY {order} LIMIT :limit OFFSET :offset"
    )
    return sql, params


def _cos_deg(degrees: float) -> float:
    return math.cos(math.radians(degrees))
