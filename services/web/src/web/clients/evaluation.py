"""The evaluation service (monitoring views, reports, exports, surveys), /v1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from web.clients.base import ServiceClient

JSON = dict[str, Any]

EXPORT_MEDIA = {
    "csv": "text/csv",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "pdf": "application/pdf",
}


class EvaluationClient(ServiceClient):
    async def monitoring(self, tenant: str | None) -> JSON:
        result: JSON = await self.get("/v1/monitoring", tenant=tenant)
        return result

    async def report(self, period: str, tenant: str | None) -> JSON:
        result: JSON = await self.get("/v1/reports", period=period, tenant=tenant)
        return result

    @asynccontextmanager
    async def export(
        self, fmt: str, *, period: str | None, tenant: str | None
    ) -> AsyncIterator[httpx.Response]:
        """An export file of the monitoring view (no period) or of a report, opened as the
        service sends it; the caller streams the body on with its Content-Type and
        Content-Disposition."""
        path = "/v1/reports" if period else "/v1/monitoring"
        params = {k: v for k, v in {"period": period, "tenant": tenant}.items() if v}
        async with self.stream(
            f"{path}/export.{fmt}", accept=EXPORT_MEDIA[fmt], params=params
        ) as response:
            yield response

    # --- surveys -------------------------------------------------------------------------------

    async def surveys(self) -> list[JSON]:
        result: list[JSON] = await self.get("/v1/surveys")
        return result

    async def create_survey(self, body: JSON) -> JSON:
        result: JSON = await self.post("/v1/surveys", body)
        return result

    async def issue_links(self, survey_id: str, contact_person_ids: list[str]) -> JSON:
        result: JSON = await self.post(
            f"/v1/surveys/{survey_id}/links", {"contact_person_ids": contact_person_ids}
        )
        return result

    async def results(self, survey_id: str) -> JSON:
        result: JSON = await self.get(f"/v1/surveys/{survey_id}/results")
        return result

    # Public, without a token (the one-time link is the only credential).

    async def public_survey(self, token: str) -> JSON:
        result: JSON = await self.get(f"/v1/public/surveys/answer/{token}")
        return result

    async def answer(self, token: str, answers: JSON) -> JSON:
        result: JSON = await self.post(f"/v1/public/surveys/answer/{token}", {"answers": answers})
        return result
