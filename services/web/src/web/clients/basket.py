"""The basket service (the Local Basket of Services: offerings, their workflow, search), /v1.

Staff calls carry the user's token; the public catalogue and the open-data exports are called
without one (`BasketClient(http, url, None)`)."""

from __future__ import annotations

from typing import Any

from web.clients.base import ServiceClient

JSON = dict[str, Any]

# The search parameters both lists understand (GET /v1/offerings and the public one).
SEARCH_PARAMS = (
    "q",
    "sector",
    "area",
    "category",
    "target_group",
    "free",
    "accessible",
    "capacity",
    "weekday",
    "sort",
)


class BasketClient(ServiceClient):
    # --- reference data --------------------------------------------------------------------------

    async def categories(self) -> list[JSON]:
        """The 14 areas of the CUS act, each with its finer categories."""
        result: list[JSON] = await self.get("/v1/categories")
        return result

    async def institutions(self, tenant: str | None) -> list[JSON]:
        """Providers known to the basket, with `may_offer` for the tenant's partnership."""
        result: list[JSON] = await self.get("/v1/institutions", tenant=tenant)
        return result

    # --- staff ----------------------------------------------------------------------------------

    async def search(
        self,
        filters: dict[str, Any],
        *,
        tenant: str | None = None,
        status: str | None = None,
        institution_id: str | None = None,
        page: int = 1,
        per_page: int = 20,
    ) -> JSON:
        result: JSON = await self.get(
            "/v1/offerings",
            **filters,
            tenant=tenant,
            status=status,
            institution_id=institution_id,
            page=page,
            per_page=per_page,
        )
        return result

    async def stale(self, tenant: str | None) -> list[JSON]:
        result: list[JSON] = await self.get("/v1/offerings/stale", tenant=tenant)
        return result

    async def offering(self, offering_id: str) -> JSON:
        result: JSON = await self.get(f"/v1/offerings/{offering_id}")
        return result

    async def history(self, offering_id: str) -> list[JSON]:
        result: list[JSON] = await self.get(f"/v1/offerings/{offering_id}/history")
        return result

    async def add(self, body: JSON) -> str:
        created: JSON = await self.post("/v1/offerings", body)
        return str(created["id"])

    async def update(self, offering_id: str, changes: JSON) -> list[str]:
        response = await self.request("PATCH", f"/v1/offerings/{offering_id}", json=changes)
        return list(response.json().get("changed", []))

    async def change_capacity(
        self, offering_id: str, capacity_status: str, waiting_days: int | None
    ) -> list[str]:
        response = await self.request(
            "PATCH",
            f"/v1/offerings/{offering_id}/capacity",
            json={"capacity_status": capacity_status, "waiting_days": waiting_days},
        )
        return list(response.json().get("changed", []))

    async def transition(self, offering_id: str, action: str, reason: str | None = None) -> None:
        """publish, suspend (reason), withdraw (reason) or verify."""
        body = {"reason": reason} if action in ("suspend", "withdraw") else None
        await self.request("POST", f"/v1/offerings/{offering_id}/{action}", json=body)

    # --- public (no token) ----------------------------------------------------------------------

    async def public_search(
        self, tenant: str, filters: dict[str, Any], *, page: int = 1, per_page: int = 20
    ) -> JSON:
        result: JSON = await self.get(
            f"/v1/public/{tenant}/offerings", **filters, page=page, per_page=per_page
        )
        return result

    async def public_offering(self, tenant: str, offering_id: str) -> JSON:
        result: JSON = await self.get(f"/v1/public/{tenant}/offerings/{offering_id}")
        return result

    async def export(
        self, tenant: str, fmt: str, params: dict[str, Any] | None = None
    ) -> tuple[bytes, str, str | None]:
        """An open-data export as the service produces it: body, media type, disposition."""
        response = await self.request(
            "GET", f"/v1/public/{tenant}/export.{fmt}", params=params, accept="*/*"
        )
        return (
            response.content,
            response.headers.get("content-type", "application/octet-stream"),
            response.headers.get("content-disposition"),
        )
