"""The family's copy of its data (ADR 0016), streamed through from the cases service."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from fastapi import APIRouter
from fastapi.responses import Response, StreamingResponse

from web.clients.base import ApiProblem
from web.deps import SignedIn
from web.routes.cases.common import (
    DOCUMENT_CSP,
)

router = APIRouter(tags=["cases"])


EXPORT_FORMATS = {"json": "application/json", "pdf": "application/pdf"}


# Before the sections' route below, which would take "export" for a section's name.
@router.get("/cases/{case_id}/export")
async def family_export(user: SignedIn, case_id: str, format: str = "json") -> Response:
    """The family's copy of its data from the cases service (ADR 0016), streamed through as a
    download; the service decides who may have it and records it in the access log."""
    if format not in EXPORT_FORMATS:
        raise ApiProblem(404)
    stack = contextlib.AsyncExitStack()
    upstream = await stack.enter_async_context(user.cases().family_export(case_id, format))

    async def body() -> AsyncIterator[bytes]:
        try:
            async for chunk in upstream.aiter_raw():
                yield chunk
        finally:
            await stack.aclose()

    headers = {"Cache-Control": "no-store", "Content-Security-Policy": DOCUMENT_CSP}
    disposition = upstream.headers.get("content-disposition")
    headers["Content-Disposition"] = disposition or f'attachment; filename="dane-rodziny.{format}"'
    return StreamingResponse(
        body(),
        media_type=upstream.headers.get("content-type", EXPORT_FORMATS[format]),
        headers=headers,
    )
