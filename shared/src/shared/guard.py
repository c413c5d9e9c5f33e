"""A pure ASGI middleware in front of every app that refuses, before any parsing and without
changing anything, requests that would otherwise be parsed at any size, reach PostgreSQL with a
character it refuses, or be read with their bytes silently replaced (ADR 0009):

- a body above the app's limit: 413 (a Content-Length is checked up front; a body without one,
  chunked, is counted as it streams and refused once it passes the limit);
- a query string or path that is not UTF-8 once percent-decoded: 400 naming the parameter
  (Starlette would decode it with U+FFFD in place of the bad bytes and search for that);
- a NUL character (U+0000) in a query parameter, a path parameter, a JSON string (or key) or a
  form field: 422 naming the field (PostgreSQL refuses NUL in text; asyncpg raises).

The cost on the hot paths is a few byte searches: a query or path without `%` and non-ASCII bytes
is not decoded, and a JSON body is searched for the escape `\\u0000` (the only way to write NUL in
valid JSON) and parsed here only when it holds one. A body that the app will read anyway is
gathered here (it is at most the limit) and handed on as one message.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote_to_bytes

from starlette.requests import Request
from starlette.routing import Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared.errors.problems import ProblemField, problem_response

# 1 MiB: the largest request any API takes is a form or a JSON document of a few kilobytes (a
# plan with its goals, a survey's answers); a megabyte leaves room for a hundred times that.
DEFAULT_MAX_BODY = 1024 * 1024

# How much of a refused body is read and dropped so that the client can read the 413.
DRAIN_LIMIT = 16 * 1024 * 1024

_NUL = "Tekst nie może zawierać znaku NUL (U+0000)."
_NOT_UTF8 = "Wartość nie jest poprawnie zakodowana w UTF-8."


class RequestGuard:
    def __init__(
        self,
        app: ASGIApp,
        *,
        max_body: int = DEFAULT_MAX_BODY,
        own_query_checks: frozenset[str] = frozenset(),
    ) -> None:
        """`own_query_checks`: query parameters the app itself turns into something safe
        whatever they hold (the web's `next`, which falls back to the start page), so that a
        bad value there does not stop the request."""
        self.app = app
        self.max_body = max_body
        self.own_query_checks = own_query_checks

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        refusal = _check_path(scope) or _check_query(scope, self.own_query_checks)
        if refusal is not None:
            await _refuse(scope, receive, send, *refusal)
            return
        length: bytes | None = None
        chunked = False
        content_type = b""
        for name, value in scope["headers"]:
            if name == b"content-length":
                length = value
            elif name == b"transfer-encoding":
                chunked = True
            elif name == b"content-type":
                content_type = value
        if length is not None:
            if not length.strip().isdigit():
                field = _field("Content-Length", "header", "Nieprawidłowy nagłówek.", "invalid")
                await _refuse(scope, receive, send, 400, [field])
                return
            if int(length) > self.max_body:
                # Above DRAIN_LIMIT not even dropped: the answer closes the connection.
                drain = int(length) <= DRAIN_LIMIT
                await self._too_large(scope, receive, send, drain=drain)
                return
            if int(length) == 0:
                await self.app(scope, receive, send)
                return
        elif not chunked:
            await self.app(scope, receive, send)
            return
        kind = _body_kind(content_type)
        if kind is None and not chunked:
            # A body of a known size that we need not look into: straight through.
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                # The client went away before the body was complete: let the app see that.
                await self.app(scope, _replay([], message, receive), send)
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body:
                more = bool(message.get("more_body", False))
                await self._too_large(scope, receive, send, pending=more)
                return
            if chunk:
                chunks.append(chunk)
            if not message.get("more_body", False):
                break
        body = chunks[0] if len(chunks) == 1 else b"".join(chunks)
        fields = _nul_fields(body, kind) if kind is not None else []
        if fields:
            await _refuse(scope, receive, send, 422, fields)
            return
        await self.app(scope, _replay([body], None, receive), send)

    async def _too_large(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        *,
        pending: bool = True,
        drain: bool = True,
    ) -> None:
        """413. The rest of the body is read and dropped (not kept) up to DRAIN_LIMIT, so that
        the client, still sending, gets to read the answer; past that the connection is closed
        after the answer instead."""
        drained = 0
        while pending and drain and drained <= DRAIN_LIMIT:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            drained += len(message.get("body", b""))
            pending = bool(message.get("more_body", False))
        detail = f"Treść żądania przekracza limit tej usługi: {self.max_body} bajtów."
        field = _field("body", "body", detail, "too_large", pointer="")
        headers = {"Connection": "close"} if pending else None
        await _refuse(
            scope, receive, send, 413, [field], detail=detail, slug="too-large", headers=headers
        )


def _replay(chunks: list[bytes], last: Message | None, receive: Receive) -> Receive:
    """A `receive` that hands out the body gathered here first, then the client's own."""
    pending: list[Message] = [
        {"type": "http.request", "body": chunk, "more_body": False} for chunk in chunks
    ]
    if last is not None:
        pending.append(last)

    async def replayed() -> Message:
        if pending:
            return pending.pop(0)
        return await receive()

    return replayed


def _field(
    name: str, location: str, detail: str, code: str, *, pointer: str | None = None
) -> ProblemField:
    return ProblemField(
        field=name,
        pointer=("/" + name.replace(".", "/")) if pointer is None else pointer,
        location=location,
        detail=detail,
        code=code,
    )


async def _refuse(
    scope: Scope,
    receive: Receive,
    send: Send,
    status: int,
    fields: list[ProblemField],
    *,
    detail: str | None = None,
    slug: str | None = None,
    headers: dict[str, str] | None = None,
) -> None:
    if detail is None:
        detail = "; ".join(f"{f.field}: {f.detail}" for f in fields)
    if slug is None:
        slug = "validation" if status == 422 else "bad-request"
    response = problem_response(Request(scope), status, slug=slug, detail=detail, errors=fields)
    await response(scope, receive, send)


# --- query string and path ----------------------------------------------------------------------


def _needs_decoding(raw: bytes) -> bool:
    return b"%" in raw or b"\x00" in raw or not raw.isascii()


def _check_query(
    scope: Scope, own_checks: frozenset[str] = frozenset()
) -> tuple[int, list[ProblemField]] | None:
    query: bytes = scope.get("query_string", b"")
    if not query or not _needs_decoding(query):
        return None
    bad_encoding: list[ProblemField] = []
    nul: list[ProblemField] = []
    for part in query.split(b"&"):
        if not part:
            continue
        raw_name, _, raw_value = part.partition(b"=")
        name_bytes = unquote_to_bytes(raw_name.replace(b"+", b" "))
        value_bytes = unquote_to_bytes(raw_value.replace(b"+", b" "))
        name = name_bytes.decode("utf-8", errors="replace")
        if name in own_checks:
            continue
        try:
            name_bytes.decode("utf-8")
            value_bytes.decode("utf-8")
        except UnicodeDecodeError:
            bad_encoding.append(_field(name, "query", _NOT_UTF8, "invalid_utf8"))
            continue
        if b"\x00" in name_bytes or b"\x00" in value_bytes:
            nul.append(_field(name.replace("\x00", "\\u0000"), "query", _NUL, "null_character"))
    if bad_encoding:
        return 400, bad_encoding
    if nul:
        return 422, nul
    return None


def _check_path(scope: Scope) -> tuple[int, list[ProblemField]] | None:
    raw: bytes | None = scope.get("raw_path")
    if raw is None:
        if "\x00" not in scope["path"]:
            return None
        decoded: str | None = scope["path"]
    else:
        if not _needs_decoding(raw):
            return None
        try:
            decoded = unquote_to_bytes(raw).decode("utf-8")
        except UnicodeDecodeError:
            decoded = None
        if decoded is not None and "\x00" not in decoded:
            return None
    if decoded is None:
        return 400, [_path_field(scope, "\ufffd", _NOT_UTF8, "invalid_utf8")]
    return 422, [_path_field(scope, "\x00", _NUL, "null_character")]


def _path_field(scope: Scope, marker: str, detail: str, code: str) -> ProblemField:
    """Names the path parameter that holds the bad value, found through the app's routes (only
    for a refused request, so routing twice costs nothing on the good ones); `path` when no
    route takes it."""
    app = scope.get("app")
    routes: list[Any] = list(getattr(getattr(app, "router", None), "routes", ()))
    while routes:
        route = routes.pop(0)
        # FastAPI ≥ 0.16x keeps an included router as one route; its candidates are the routes.
        candidates = getattr(route, "effective_candidates", None)
        if callable(candidates):
            routes[:0] = list(candidates())
            continue
        try:
            match, child = route.matches(scope)
        except Exception:
            continue
        if match == Match.NONE:
            continue
        for name, value in child.get("path_params", {}).items():
            if marker in str(value):
                return _field(name, "path", detail, code)
    return _field("path", "path", detail, code, pointer="")


# --- bodies -------------------------------------------------------------------------------------


def _body_kind(content_type: bytes) -> str | None:
    media = content_type.split(b";", 1)[0].strip().lower()
    if media == b"application/json" or media.endswith(b"+json"):
        return "json"
    if media == b"application/x-www-form-urlencoded":
        return "form"
    return None


def _nul_fields(body: bytes, kind: str) -> list[ProblemField]:
    if kind == "json":
        if b"\\u0000" not in body:
            return []
        try:
            document = json.loads(body)
        except ValueError:
            return []  # the app answers 422 json_invalid
        return [
            _field(".".join(path) or "body", "body", _NUL, "null_character")
            for path in _nul_paths(document, [])
        ]
    if b"%00" not in body and b"\x00" not in body:
        return []
    fields: list[ProblemField] = []
    for part in body.split(b"&"):
        raw_name, _, raw_value = part.partition(b"=")
        name = unquote_to_bytes(raw_name.replace(b"+", b" "))
        value = unquote_to_bytes(raw_value.replace(b"+", b" "))
        if b"\x00" in name or b"\x00" in value:
            label = name.decode("utf-8", errors="replace").replace("\x00", "\\u0000")
            fields.append(_field(label, "body", _NUL, "null_character"))
    return fields


def _nul_paths(value: Any, path: list[str]) -> Iterator[list[str]]:
    if isinstance(value, str):
        if "\x00" in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in key:
                yield [*path, key.replace("\x00", "\\u0000")]
            else:
                yield from _nul_paths(item, [*path, key])
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _nul_paths(item, [*path, str(index)])
