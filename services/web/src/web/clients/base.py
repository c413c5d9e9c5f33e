"""What every service client shares: the user's bearer token, RFC 9457 problems as exceptions."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx

log = logging.getLogger(__name__)


@dataclass
class ApiProblem(Exception):
    """A service answered with an error (RFC 9457 problem details when it could)."""

    status: int
    title: str = ""
    detail: str | None = None
    errors: list[dict[str, Any]] = field(default_factory=list)

    def __str__(self) -> str:
        return f"{self.status} {self.title}: {self.detail or ''}"

    def field_errors(self) -> dict[str, str]:
        """`errors[].detail` by field name (the last part of a dotted path), for the form."""
        out: dict[str, str] = {}
        for err in self.errors:
            name = str(err.get("field") or "").rsplit(".", 1)[-1] or "_form"
            out.setdefault(name, str(err.get("detail") or ""))
        return out


class ServiceUnavailable(Exception):
    """The service could not be reached or failed (5xx)."""


class ServiceClient:
    def __init__(self, http: httpx.AsyncClient, base_url: str, access_token: str | None) -> None:
        self._http = http
        self._base = base_url.rstrip("/")
        self._headers = {"Accept": "application/json"}
        if access_token:  # None only for the services' public endpoints
            self._headers["Authorization"] = f"Bearer {access_token}"

    @asynccontextmanager
    async def stream(
        self, path: str, *, accept: str, params: dict[str, str] | None = None
    ) -> AsyncIterator[httpx.Response]:
        """A file opened as the service sends it (an export); the caller streams the body on with
        its Content-Type and Content-Disposition. 5xx and transport errors are the service being
        unavailable, 4xx its problem details."""
        request = self._http.build_request(
            "GET",
            f"{self._base}{path}",
            params=params,
            headers={**self._headers, "Accept": accept},
            timeout=httpx.Timeout(10.0, read=60.0),
        )
        try:
            response = await self._http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(str(exc)) from exc
        try:
            if response.status_code >= 500:
                raise ServiceUnavailable(f"{response.status_code} from {path}")
            if response.status_code >= 400:
                await response.aread()
                raise problem_from(response)
            yield response
        finally:
            await response.aclose()

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: dict[str, Any] | None = None,
        json: Any = None,
        accept: str | None = None,
    ) -> httpx.Response:
        headers = dict(self._headers)
        if accept:
            headers["Accept"] = accept
        clean = {k: v for k, v in (params or {}).items() if v not in (None, "")}
        try:
            response = await self._http.request(
                method, self._base + path, params=clean, json=json, headers=headers
            )
        except httpx.HTTPError as exc:
            log.warning("service unreachable", extra={"url": self._base + path, "error": str(exc)})
            raise ServiceUnavailable(str(exc)) from exc
        if response.status_code >= 500:
            raise ServiceUnavailable(f"{response.status_code} from {self._base}{path}")
        if response.status_code >= 400:
            raise problem_from(response)
        return response

    async def get(self, path: str, **params: Any) -> Any:
        return (await self.request("GET", path, params=params)).json()

    async def post(self, path: str, body: Any) -> Any:
        response = await self.request("POST", path, json=body)
        return response.json() if response.content else None


def problem_from(response: httpx.Response) -> ApiProblem:
    try:
        body = response.json()
    except ValueError:
        body = {}
    if not isinstance(body, dict):
        body = {}
    raw = body.get("errors")
    errors: list[Any] = raw if isinstance(raw, list) else []
    return ApiProblem(
        status=response.status_code,
        title=str(body.get("title") or response.reason_phrase),
        detail=body.get("detail"),
        errors=[e for e in errors if isinstance(e, dict)],
    )
