"""The search query over the basket: Polish full text (stems, prefixes for partial words, typos
corrected against a vocabulary by trigram similarity), with filters, sorted by relevance,
distance or name, paged — one SQL statement (see docs/adr/0010-basket-polish-search.md).

`build_search` returns plain SQL with named parameters, so the benchmark can run the very same
statement on bare asyncpg (see bench/basket_search.py).
"""

from __future__ import annotations

import functools
import math
import re
import uuid
from dataclasses import dataclass
from typing import Any, Literal

from basket.domain import polish

Sort = Literal["relevance", "distance", "name"]

KM_PER_DEGREE_LAT = 111.2
# pg_trgm's word similarity above which a title word counts as the query word mistyped.
TYPO_THRESHOLD = 0.6

# Scalars only (no JSON to decode for a list): the first place's town, the cost's parts.
COLUMNS = """
    o.id, o.tenant, o.institution_id, i.name AS institution_name, o.provider_sector, o.title,
    o.description, o.area, o.category, o.target_groups, o.cost->>'kind' AS cost_kind,
    (o.cost->>'amount')::float8 AS cost_amount, o.cost->>'description' AS cost_description,
    o.free, o.accessible, o.capacity_status, o.waiting_days, o.status, o.status_reason,
    o.last_verified_on, o.tenants_served, o.places->0->>'city' AS city, o.latitude, o.longitude,
    o.updated_at
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
    capacity: str | None = None  # available / waitlist / no_capacity
    weekday: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    radius_km: float | None = None
    status: str | None = None
    institution_id: uuid.UUID | None = None
    published_only: bool = False
    readable_tenants: frozenset[str] | None = None  # None: every tenant (regional staff)
    modified_after: Any = None
    ids: tuple[uuid.UUID, ...] | None = None  # only these offerings
    sort: Sort = "relevance"
    limit: int = 20
    offset: int = 0


def ts_query(q: str) -> str | None:
    """A tsquery of the query's stems, OR-ed, prefix-matching (partial words) when long enough."""
    terms = [f"{s}:*" if len(s) >= 3 else s for s in polish.stems(q)]
    return " | ".join(terms) if terms else None


def typo_candidates(q: str, limit: int = 4) -> list[str]:
    """The query's words long enough to be looked up as possibly mistyped."""
    found = [w for w in polish.words(q) if w not in polish.STOPWORDS and len(w) >= 4]
    return list(dict.fromkeys(found))[:limit]


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
        where.append("(o.tenant = ANY(CAST(:readable AS text[])) OR o.status = 'published')")
    # One municipality's offerings are read from `offering_search` (one narrow row per
    # municipality served, kept by a trigger): an index-only scan of a few contiguous pages of its
    # covering primary key, instead of a visit to a wide heap row per offering (ADR 0013).
    source = "offering_search" if f.tenant else "offerings"
    if f.tenant:
        params["tenant"] = f.tenant
        where.append("o.tenant_served = CAST(:tenant AS text)")
    # Equality and flag filters always take part, NULL meaning "any": a handful of statement
    # shapes instead of one per combination, so prepared statements and plans are reused.
    optional = (
        ("status", f.status, "text", "o.status = :status"),
        ("sector", f.sector, "text", "o.provider_sector = :sector"),
        ("area", f.area, "text", "o.area = :area"),
        ("category", f.category, "text", "o.category = :category"),
        ("target_group", f.target_group, "text", "o.target_groups @> ARRAY[:target_group]"),
        ("free", f.free, "boolean", "o.free = :free"),
        ("accessible", f.accessible, "boolean", "o.accessible = :accessible"),
        ("capacity", f.capacity, "text", "o.capacity_status = :capacity"),
        ("weekday", f.weekday, "integer", ":weekday = ANY(o.weekdays)"),
        ("institution_id", f.institution_id, "uuid", "o.institution_id = :institution_id"),
    )
    for name, value, sql_type, condition in optional:
        params[name] = value
        typed = condition.replace(f":{name}", f"CAST(:{name} AS {sql_type})")
        where.append(f"(CAST(:{name} AS {sql_type}) IS NULL OR {typed})")
    if f.ids is not None:
        params["ids"] = list(f.ids)
        where.append("o.id = ANY(CAST(:ids AS uuid[]))")
    if f.modified_after is not None:
        params["modified_after"] = f.modified_after
        where.append("o.updated_at > :modified_after")

    located = f.latitude is not None and f.longitude is not None
    distance = "NULL::float8"
    if located:
        assert f.latitude is not None
        assert f.longitude is not None
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
    query_cte = ""
    tsq = ts_query(f.q) if f.q else None
    folded = polish.fold(f.q).strip() if f.q else ""
    if folded:
        params["qn"] = folded
        similar = "word_similarity(:qn, o.search_title) + similarity(:qn, o.search_title)"
        if tsq:
            # The query's stems, plus the stems of title words that look like its words
            # (pg_trgm's % on the small vocabulary table): typos cost one indexed lookup, and
            # each offering is matched by its stems alone.
            params["tsq"] = tsq
            tokens = typo_candidates(f.q or "")
            expansion = "''"
            if tokens:
                for i, token in enumerate(tokens):
                    params[f"t{i}"] = token
                near = " OR ".join(f"v.word % CAST(:t{i} AS text)" for i in range(len(tokens)))
                expansion = (
                    "COALESCE((SELECT ' | ' || string_agg(DISTINCT v.stem || ':*', ' | ') "
                    f"FROM search_words v WHERE {near}), '')"
                )
            query_cte = f"q AS (SELECT to_tsquery('simple', :tsq || {expansion}) AS tsq), "
            # Within a municipality its few hundred rows are matched one by one; across the
            # region the text index on `offerings` is used.
            where.append("o.search_doc @@ q.tsq")
            # The query's own stems weigh more than those of words that merely look alike.
            score = (
                "ts_rank_cd(o.search_doc, to_tsquery('simple', :tsq), 1) * 4 "
                f"+ ts_rank_cd(o.search_doc, q.tsq, 1) + {similar}"
            )
        else:
            where.append(f"word_similarity(:qn, o.search_title) >= {TYPO_THRESHOLD}")
            score = similar

    if f.sort == "distance" and located:
        order = "{p}distance_km NULLS LAST, {p}search_title, {p}id"
    elif f.sort == "name" or not folded:
        order = "{p}search_title, {p}id"
    else:
        order = "{p}score DESC, {p}search_title, {p}id"

    # The page is chosen over narrow rows first; only its rows are then read in full.
    sql = (
        f"WITH {query_cte}hits AS (SELECT o.id, o.search_title, {score} AS score, "
        f"{distance} AS distance_km, count(*) OVER () AS total "
        f"FROM {source} o{', q' if query_cte else ''} "
        f"WHERE {' AND '.join(where) or 'true'} "
        f"ORDER BY {order.format(p='')} LIMIT :limit OFFSET :offset) "
        f"SELECT {COLUMNS}, h.score, h.distance_km, h.total "
        "FROM hits h JOIN offerings o ON o.id = h.id "
        "LEFT JOIN institutions i ON i.id = o.institution_id "
        f"ORDER BY {order.format(p='h.')}"
    )
    return sql, params


_NAMED = re.compile(r"(?<![:\w]):(\w+)")


@functools.lru_cache(maxsize=256)
def _numbered(sql: str) -> tuple[str, tuple[str, ...]]:
    order: list[str] = []

    def number(match: re.Match[str]) -> str:
        name = match.group(1)
        if name not in order:
            order.append(name)
        return f"${order.index(name) + 1}"

    return _NAMED.sub(number, sql), tuple(order)


def positional(sql: str, params: dict[str, Any]) -> tuple[str, tuple[Any, ...]]:
    """The statement in the driver's own form ($1, $2 …) with its arguments in order: executed
    as is, it skips SQLAlchemy's parsing of a text statement on every search."""
    numbered, names = _numbered(sql)
    return numbered, tuple(params[name] for name in names)


def _cos_deg(degrees: float) -> float:
    return math.cos(math.radians(degrees))
