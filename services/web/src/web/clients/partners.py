"""The partners service (registry, partnerships, memberships, meetings, benefit cards), /v1."""

from __future__ import annotations

from typing import Any

from web.clients.base import ServiceClient

JSON = dict[str, Any]


class PartnersClient(ServiceClient):
    async def municipalities(self) -> list[JSON]:
        """The public list of municipalities (TERYT code and name); needs no token."""
        result: list[JSON] = await self.get("/v1/municipalities")
        return result

    async def institutions(
        self,
        *,
        q: str | None = None,
        sector: str | None = None,
        status: str | None = None,
        page: int = 1,
        per_page: int = 20,
    ) -> JSON:
        result: JSON = await self.get(
            "/v1/institutions", q=q, sector=sector, status=status, page=page, per_page=per_page
        )
        return result

    async def institution(self, institution_id: str) -> JSON:
        result: JSON = await self.get(f"/v1/institutions/{institution_id}")
        return result

    async def register_institution(self, body: JSON) -> str:
        created: JSON = await self.post("/v1/institutions", body)
        return str(created["id"])

    async def contact_persons(self, institution_id: str) -> list[JSON]:
        result: list[JSON] = await self.get(f"/v1/institutions/{institution_id}/contact-persons")
        return result

    async def add_contact_person(self, institution_id: str, body: JSON) -> str:
        created: JSON = await self.post(f"/v1/institutions/{institution_id}/contact-persons", body)
        return str(created["id"])

    async def partnerships(self) -> list[JSON]:
        result: list[JSON] = await self.get("/v1/partnerships")
        return result

    async def partnership(self, partnership_id: str) -> JSON:
        result: JSON = await self.get(f"/v1/partnerships/{partnership_id}")
        return result

    async def coverage(self, partnership_id: str) -> JSON:
        result: JSON = await self.get(f"/v1/partnerships/{partnership_id}/coverage")
        return result

    async def add_coordinator(self, partnership_id: str, body: JSON) -> str:
        created: JSON = await self.post(f"/v1/partnerships/{partnership_id}/coordinators", body)
        return str(created["id"])

    async def end_coordinator(self, coordinator_id: str) -> None:
        await self.request("POST", f"/v1/coordinators/{coordinator_id}/end", json={})

    async def proposed_host(self, partnership_id: str) -> JSON:
        result: JSON = await self.get(f"/v1/partnerships/{partnership_id}/proposed-host")
        return result

    async def memberships(self, partnership_id: str, *, per_page: int = 200) -> JSON:
        result: JSON = await self.get(
            "/v1/memberships", partnership_id=partnership_id, per_page=per_page
        )
        return result

    async def membership(self, membership_id: str) -> JSON:
        result: JSON = await self.get(f"/v1/memberships/{membership_id}")
        return result

    async def add_membership(self, body: JSON) -> str:
        created: JSON = await self.post("/v1/memberships", body)
        return str(created["id"])

    async def change_membership(self, membership_id: str, body: JSON) -> JSON:
        result: JSON = await self.post(f"/v1/memberships/{membership_id}/transitions", body)
        return result

    async def meetings(self, partnership_id: str, *, status: str | None = None) -> JSON:
        result: JSON = await self.get(
            "/v1/meetings", partnership_id=partnership_id, status=status, per_page=100
        )
        return result

    async def schedule_meeting(self, body: JSON) -> str:
        created: JSON = await self.post("/v1/meetings", body)
        return str(created["id"])

    async def benefit_cards(self) -> list[JSON]:
        result: list[JSON] = await self.get("/v1/benefit-cards")
        return result

    async def invitation(
        self, partnership_id: str, params: dict[str, Any], fmt: str
    ) -> tuple[bytes, str, str | None]:
        response = await self.request(
            "GET",
            f"/v1/partnerships/{partnership_id}/invitation",
            params={**params, "format": fmt},
            accept="application/pdf" if fmt == "pdf" else "text/html",
        )
        return (
            response.content,
            response.headers.get("content-type", "application/octet-stream"),
            response.headers.get("content-disposition"),
        )
