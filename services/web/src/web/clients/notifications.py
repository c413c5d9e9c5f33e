"""The notifications service (inbox, preferences, webhook endpoints, deliveries), /v1."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from web.clients.base import ServiceClient, ServiceUnavailable, problem_from

JSON = dict[str, Any]

# The service pings every 15 s on the unread stream; a read waiting much longer means it is gone.
STREAM_TIMEOUT = httpx.Timeout(10.0, read=45.0)


class NotificationsClient(ServiceClient):
    # --- inbox ---------------------------------------------------------------------------------

    async def inbox(self, *, unread: bool = False, page: int = 1, per_page: int = 20) -> JSON:
        result: JSON = await self.get(
            "/v1/inbox", unread="true" if unread else None, page=page, per_page=per_page
        )
        return result

    async def unread(self) -> int:
        result: JSON = await self.get("/v1/inbox/unread")
        return int(result["unread"])

    async def mark_read(self, notice_id: int) -> JSON:
        result: JSON = await self.post(f"/v1/inbox/{notice_id}/read", {})
        return result

    async def mark_all_read(self) -> None:
        await self.post("/v1/inbox/read-all", {})

    @asynccontextmanager
    async def unread_stream(self) -> AsyncIterator[httpx.Response]:
        """The service's server-sent events of the unread count, opened but not read: the caller
        streams the body on (no buffering)."""
        request = self._http.build_request(
            "GET",
            self._base + "/v1/inbox/unread/stream",
            headers={**self._headers, "Accept": "text/event-stream"},
            timeout=STREAM_TIMEOUT,
        )
        try:
            response = await self._http.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise ServiceUnavailable(str(exc)) from exc
        try:
            if response.status_code >= 500:
                raise ServiceUnavailable(f"{response.status_code} from the unread stream")
            if response.status_code >= 400:
                await response.aread()
                raise problem_from(response)
            yield response
        finally:
            await response.aclose()

    # --- preferences ---------------------------------------------------------------------------

    async def preferences(self) -> JSON:
        result: JSON = await self.get("/v1/preferences")
        return result

    async def set_preferences(self, body: JSON) -> JSON:
        response = await self.request("PUT", "/v1/preferences", json=body)
        result: JSON = response.json()
        return result

    # --- webhook endpoints ---------------------------------------------------------------------

    async def event_types(self) -> list[str]:
        result: list[str] = await self.get("/v1/event-types")
        return result

    async def endpoints(self) -> list[JSON]:
        result: list[JSON] = await self.get("/v1/endpoints")
        return result

    async def endpoint(self, endpoint_id: str) -> JSON:
        result: JSON = await self.get(f"/v1/endpoints/{endpoint_id}")
        return result

    async def register_endpoint(self, body: JSON) -> JSON:
        """The new endpoint with its signing secret (shown only this once)."""
        result: JSON = await self.post("/v1/endpoints", body)
        return result

    async def change_endpoint(self, endpoint_id: str, body: JSON) -> JSON:
        response = await self.request("PATCH", f"/v1/endpoints/{endpoint_id}", json=body)
        result: JSON = response.json()
        return result

    async def delete_endpoint(self, endpoint_id: str) -> None:
        await self.request("DELETE", f"/v1/endpoints/{endpoint_id}")

    async def rotate_secret(self, endpoint_id: str) -> JSON:
        result: JSON = await self.post(f"/v1/endpoints/{endpoint_id}/secret/rotate", {})
        return result

    async def deliveries(
        self, endpoint_id: str, *, status: str | None = None, page: int = 1, per_page: int = 20
    ) -> JSON:
        result: JSON = await self.get(
            f"/v1/endpoints/{endpoint_id}/deliveries",
            status=status,
            page=page,
            per_page=per_page,
        )
        return result

    async def attempts(self, delivery_id: int) -> list[JSON]:
        result: list[JSON] = await self.get(f"/v1/deliveries/{delivery_id}/attempts")
        return result

    async def dead_letters(
        self, *, endpoint_id: str | None = None, page: int = 1, per_page: int = 20
    ) -> JSON:
        result: JSON = await self.get(
            "/v1/dead-letters", endpoint_id=endpoint_id, page=page, per_page=per_page
        )
        return result

    async def replay(self, delivery_id: int) -> int:
        result: JSON = await self.post(f"/v1/dead-letters/{delivery_id}/replay", {})
        return int(result["replayed"])

    async def replay_endpoint(self, endpoint_id: str) -> int:
        response = await self.request(
            "POST", "/v1/dead-letters/replay", params={"endpoint_id": endpoint_id}
        )
        return int(response.json()["replayed"])
