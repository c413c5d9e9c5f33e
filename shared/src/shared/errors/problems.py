"""RFC 9457 problem details for every error a service returns; validation errors name the field."""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.routing import Match

from shared.errors.kinds import DomainError, InvalidInput
from shared.errors.outages import install_outage_handlers

log = logging.getLogger(__name__)

PROBLEM_BASE = "https://cus.gov.pl/problems/"
MEDIA_TYPE = "application/problem+json"

_TITLES = {
    400: "Błędne żądanie",
    401: "Wymagane uwierzytelnienie",
    403: "Brak uprawnień",
    404: "Nie znaleziono",
    405: "Metoda niedozwolona",
    409: "Konflikt ze stanem obiektu",
    413: "Zbyt duża treść żądania",
    415: "Nieobsługiwany format danych",
    422: "Nieprawidłowe dane",
    429: "Zbyt wiele żądań",
    500: "Błąd serwera",
    503: "Usługa chwilowo niedostępna",
}

_MESSAGES = {
    "missing": "Pole jest wymagane.",
    "string_too_short": "Wartość jest za krótka.",
    "string_too_long": "Wartość jest za długa.",
    "string_type": "Oczekiwano tekstu.",
    "int_parsing": "Oczekiwano liczby całkowitej.",
    "int_type": "Oczekiwano liczby całkowitej.",
    "float_parsing": "Oczekiwano liczby.",
    "bool_parsing": "Oczekiwano wartości logicznej (true/false).",
    "uuid_parsing": "Oczekiwano identyfikatora UUID.",
    "uuid_type": "Oczekiwano identyfikatora UUID.",
    "date_from_datetime_parsing": "Oczekiwano daty w formacie RRRR-MM-DD.",
    "date_parsing": "Oczekiwano daty w formacie RRRR-MM-DD.",
    "datetime_parsing": "Oczekiwano daty i godziny w formacie ISO 8601.",
    "datetime_from_date_parsing": "Oczekiwano daty i godziny w formacie ISO 8601.",
    "greater_than_equal": "Wartość jest za mała.",
    "less_than_equal": "Wartość jest za duża.",
    "greater_than": "Wartość jest za mała.",
    "less_than": "Wartość jest za duża.",
    "extra_forbidden": "Nieznane pole.",
    "json_invalid": "Nieprawidłowy JSON.",
    "model_attributes_type": "Oczekiwano obiektu.",
    "list_type": "Oczekiwano listy.",
    "too_long": "Za dużo elementów.",
    "too_short": "Za mało elementów.",
    "value_error.email": "Nieprawidłowy adres e-mail.",
    "timezone_aware": "Podaj datę i godzinę ze strefą czasową (np. +01:00).",
    "timezone_naive": "Podaj datę i godzinę bez strefy czasowej.",
}


class ProblemField(BaseModel):
    field: str = Field(description="The failing field, dotted (e.g. address.postal_code)")
    pointer: str = Field(description="JSON Pointer to the field in the request")
    location: str = Field(description="body, query, path or header")
    detail: str
    code: str


class Problem(BaseModel):
    """RFC 9457 problem details."""

    type: str = "about:blank"
    title: str
    status: int
    detail: str | None = None
    instance: str | None = None
    errors: list[ProblemField] | None = None


def problem_response(
    request: Request,
    status: int,
    *,
    slug: str | None = None,
    title: str | None = None,
    detail: str | None = None,
    errors: list[ProblemField] | None = None,
    headers: dict[str, str] | None = None,
) -> JSONResponse:
    body = Problem(
        type=PROBLEM_BASE + slug if slug else "about:blank",
        title=title or _TITLES.get(status, "Błąd"),
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors,
    )
    # Never kept by a cache (issue 13 §3): it may name what was asked for. A 500 leaves from
    # outside every middleware, so the header is set here rather than only by NoStoreByDefault.
    headers = {"Cache-Control": "no-store", **(headers or {})}
    return JSONResponse(
        body.model_dump(exclude_none=True),
        status_code=status,
        media_type=MEDIA_TYPE,
        headers=headers,
    )


def _message(err: dict[str, Any]) -> str:
    kind = str(err.get("type", ""))
    if kind in ("literal_error", "enum"):
        expected = (err.get("ctx") or {}).get("expected")
        return (
            f"Niedozwolona wartość; dozwolone: {expected}." if expected else "Niedozwolona wartość."
        )
    if kind == "value_error":
        # Our validators raise ValueError with a Polish message; pydantic prefixes it.
        return str(err.get("msg", "")).removeprefix("Value error, ")
    return _MESSAGES.get(kind, str(err.get("msg", "Nieprawidłowa wartość.")))


def validation_fields(errors: list[dict[str, Any]]) -> list[ProblemField]:
    out: list[ProblemField] = []
    for err in errors:
        loc = [str(p) for p in err.get("loc", ())]
        location = (
            loc[0] if loc and loc[0] in ("body", "query", "path", "header", "cookie") else "body"
        )
        path = loc[1:] if loc and loc[0] == location else loc
        out.append(
            ProblemField(
                field=".".join(path) or location,
                pointer="/" + "/".join(path),
                location=location,
                detail=_message(err),
                code=str(err.get("type", "invalid")),
            )
        )
    return out


_HTTP_METHODS = ("GET", "PUT", "POST", "DELETE", "PATCH", "OPTIONS", "TRACE")


def allowed_methods(request: Request) -> str | None:
    """`Allow` for a 405: every method some route of the app would take on this path, asked of
    the routes themselves (so path convertors count). Starlette's own names only the first route
    that matched the path, so a path with GET and POST declared as two routes said `Allow: GET`."""
    routes = request.app.router.routes
    allowed = [
        method
        for method in _HTTP_METHODS
        if any(
            route.matches({**request.scope, "method": method})[0] is Match.FULL for route in routes
        )
    ]
    return ", ".join(allowed) or None


def install_problem_handlers(app: FastAPI) -> None:
    async def on_validation(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, RequestValidationError)
        fields = validation_fields(list(exc.errors()))
        detail = "; ".join(f"{f.field}: {f.detail}" for f in fields)
        return problem_response(request, 422, slug="validation", detail=detail, errors=fields)

    async def on_domain(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, DomainError)
        errors = None
        if isinstance(exc, InvalidInput):
            errors = [
                ProblemField(
                    field=e.field,
                    pointer="/" + e.field.replace(".", "/"),
                    location="body",
                    detail=e.message,
                    code=e.code,
                )
                for e in exc.errors
            ]
        return problem_response(
            request, exc.status, slug=exc.slug, title=exc.title, detail=exc.detail, errors=errors
        )

    async def on_http(request: Request, exc: Exception) -> JSONResponse:
        assert isinstance(exc, StarletteHTTPException)
        detail: str | None = exc.detail if isinstance(exc.detail, str) else None
        if detail == "Not Found":
            detail = None
        headers = dict(exc.headers or {})
        allow = allowed_methods(request) if exc.status_code == 405 else None
        if allow:
            headers["Allow"] = allow
        return problem_response(request, exc.status_code, detail=detail, headers=headers or None)

    async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error", extra={"path": request.url.path})
        return problem_response(request, 500, detail="Wystąpił nieoczekiwany błąd.")

    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(DomainError, on_domain)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(Exception, on_unexpected)
    install_outage_handlers(app)  # connection-level database errors: 503, not 500


# Responses to document on routes (OpenAPI).
PROBLEM_RESPONSES: dict[int | str, dict[str, Any]] = {
    401: {"model": Problem, "description": "Brak lub nieprawidłowy token"},
    403: {"model": Problem, "description": "Brak uprawnień"},
    404: {"model": Problem, "description": "Nie znaleziono (lub poza zakresem uprawnień)"},
    409: {"model": Problem, "description": "Konflikt ze stanem obiektu (np. niedozwolona zmiana)"},
    422: {"model": Problem, "description": "Nieprawidłowe dane; `errors` wskazuje pola"},
}
