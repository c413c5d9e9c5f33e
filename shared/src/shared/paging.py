"""The one way lists are paged (ADR 0009, ADR 0081): `?page=&per_page=` in (`Paging`),
`{items, total, page, per_page}` out (`Page`, built by `PageParams.page_of`). New routes use
this and nothing else.

Two existing answers keep their public shapes on top of the same parameters and arithmetic: the
HSDS routes take `page` and `per_page` too and only name their answer's fields HSDS's way
(`page_count` gives their `total_pages`); the notifications feed, a stream read after a cursor,
takes `after` and `limit` (`FeedCursor`) and answers `next_cursor` (`CursorParams.next_cursor`).

Every bound is checked before a statement runs: `page` ≤ MAX_PAGE and `per_page` ≤ MAX_PER_PAGE,
so OFFSET stays ≤ 1,999,800 — far inside PostgreSQL's bigint (a `page` of 2^63 made asyncpg
raise) and a bound on the rows a deep page makes PostgreSQL skip. 10,000 pages of 200 are twenty
times the largest list we know of (100,000 offerings in the basket benchmark); a search narrows
better than page 10,001 would.
"""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

from fastapi import Depends, Path, Query
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel

T = TypeVar("T")

MAX_PAGE = 10_000
MAX_PER_PAGE = 200
DEFAULT_PER_PAGE = 50
# The feed's cursor is an event's sequence number, a PostgreSQL bigint.
MAX_CURSOR = MAX_BIGINT = 2**63 - 1
MAX_FEED_LIMIT = 500


def page_count(total: int, per_page: int) -> int:
    """How many pages `total` items fill, at least one (an empty list is one empty page)."""
    return max(1, -(-total // max(per_page, 1)))


class PageParams(BaseModel):
    page: int
    per_page: int

    @classmethod
    def from_offset(cls, offset: int, limit: int) -> PageParams:
        """The page an offset falls on, for code that holds a LIMIT and an OFFSET."""
        return cls(page=offset // max(limit, 1) + 1, per_page=limit)

    @property
    def offset(self) -> int:
        return (self.page - 1) * self.per_page

    @property
    def limit(self) -> int:
        return self.per_page

    def page_of(self, items: list[T], total: int) -> Page[T]:
        """This page's answer: its items and the total over all pages."""
        return Page(items=items, total=total, page=self.page, per_page=self.per_page)


def _page_params(
    page: Annotated[
        int, Query(ge=1, le=MAX_PAGE, description=f"Numer strony (od 1, najwyżej {MAX_PAGE})")
    ] = 1,
    per_page: Annotated[
        int,
        Query(ge=1, le=MAX_PER_PAGE, description=f"Liczba pozycji na stronie (1–{MAX_PER_PAGE})"),
    ] = DEFAULT_PER_PAGE,
) -> PageParams:
    return PageParams(page=page, per_page=per_page)


Paging = Annotated[PageParams, Depends(_page_params)]


class Page(BaseModel, Generic[T]):
    items: list[T]
    total: int
    page: int
    per_page: int


class CursorParams(BaseModel):
    after: int
    limit: int

    def next_cursor(self, last: int | None) -> str:
        """The cursor after a page whose last item has key `last` (None: an empty page, so the
        same cursor again)."""
        return str(self.after if last is None else last)


def _cursor_params(
    after: Annotated[
        str,
        Query(
            pattern=r"^[0-9]{1,19}$",
            description="Kursor z poprzedniej odpowiedzi (`next_cursor`); 0 na początek",
        ),
    ] = "0",
    limit: Annotated[
        int, Query(ge=1, le=MAX_FEED_LIMIT, description="Najwięcej pozycji w odpowiedzi")
    ] = 100,
) -> CursorParams:
    cursor = int(after)
    if cursor > MAX_CURSOR:
        error = {"type": "less_than_equal", "loc": ("query", "after"), "msg": "", "input": after}
        raise RequestValidationError([error])
    return CursorParams(after=cursor, limit=limit)


FeedCursor = Annotated[CursorParams, Depends(_cursor_params)]


# A row's bigint key in a path (a delivery, a notice): above PostgreSQL's range it is refused
# with 422 here, not passed to asyncpg, which cannot encode it.
BigintId = Annotated[int, Path(ge=1, le=MAX_BIGINT, description="Identyfikator (liczba)")]
