"""shared.paging: the one paging scheme and the arithmetic the HSDS and feed answers share."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from shared.paging import (
    DEFAULT_PER_PAGE,
    MAX_PAGE,
    MAX_PER_PAGE,
    CursorParams,
    FeedCursor,
    Page,
    PageParams,
    Paging,
    page_count,
)


def test_a_page_knows_its_offset_and_limit() -> None:
    params = PageParams(page=3, per_page=20)
    assert (params.offset, params.limit) == (40, 20)
    assert PageParams(page=1, per_page=50).offset == 0


@pytest.mark.parametrize(
    ("offset", "limit", "page"), [(0, 20, 1), (19, 20, 1), (20, 20, 2), (45, 20, 3), (0, 0, 1)]
)
def test_an_offset_falls_on_its_page(offset: int, limit: int, page: int) -> None:
    params = PageParams.from_offset(offset, limit)
    assert (params.page, params.per_page) == (page, limit)


def test_page_of_is_the_one_answer_shape() -> None:
    answer = PageParams(page=2, per_page=2).page_of(["c", "d"], 5)
    assert isinstance(answer, Page)
    assert answer.model_dump() == {"items": ["c", "d"], "total": 5, "page": 2, "per_page": 2}


@pytest.mark.parametrize(
    ("total", "per_page", "pages"), [(0, 10, 1), (1, 10, 1), (10, 10, 1), (11, 10, 2), (5, 0, 5)]
)
def test_page_count_is_at_least_one(total: int, per_page: int, pages: int) -> None:
    assert page_count(total, per_page) == pages


def test_the_next_cursor_is_the_last_key_or_the_same_cursor_on_an_empty_page() -> None:
    cursor = CursorParams(after=41, limit=100)
    assert cursor.next_cursor(57) == "57"
    assert cursor.next_cursor(None) == "41"


def app() -> FastAPI:
    api = FastAPI()

    @api.get("/list")
    async def listing(paging: Paging) -> Page[int]:
        return paging.page_of(list(range(paging.offset, paging.offset + 2)), 1000)

    @api.get("/feed")
    async def feed(cursor: FeedCursor) -> dict[str, Any]:
        return {"after": cursor.after, "limit": cursor.limit}

    return api


async def get(path: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.get(path)


async def test_the_query_parameters_and_their_bounds() -> None:
    answer = (await get("/list")).json()
    assert answer == {"items": [0, 1], "total": 1000, "page": 1, "per_page": DEFAULT_PER_PAGE}
    answer = (await get("/list?page=3&per_page=10")).json()
    assert answer["items"] == [20, 21]
    for bad in (f"page={MAX_PAGE + 1}", "page=0", f"per_page={MAX_PER_PAGE + 1}", "per_page=0"):
        assert (await get(f"/list?{bad}")).status_code == 422, bad


async def test_the_feed_cursor_and_its_bounds() -> None:
    assert (await get("/feed")).json() == {"after": 0, "limit": 100}
    assert (await get("/feed?after=9223372036854775807&limit=500")).status_code == 200
    for bad in ("after=9223372036854775808", "after=-1", "limit=501", "after=x"):
        assert (await get(f"/feed?{bad}")).status_code == 422, bad
