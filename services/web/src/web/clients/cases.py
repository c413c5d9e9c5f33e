"""The cases service (cases, consent, teams, diagnosis, plan, referrals, meetings), /v1.

Every call carries the signed-in user's token; the service decides what the user may see (the
family's consent) and answers 404 / 403 otherwise, which the pages turn into clear messages.
Nothing here logs request or response bodies: they hold a family's personal data.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import httpx

from web.clients.base import ServiceClient
from web.clients.cases_models import ConsentCoverage, Referral

JSON = dict[str, Any]


class CasesClient(ServiceClient):
    # --- cases and the family -------------------------------------------------------------------

    async def my_cases(self) -> list[JSON]:
        result: list[JSON] = await self.get("/v1/cases")
        return result

    async def open_case(self, body: JSON) -> str:
        created: JSON = await self.post("/v1/cases", body)
        return str(created["id"])

    async def case(self, case_id: str) -> JSON:
        result: JSON = await self.get(f"/v1/cases/{case_id}")
        return result

    async def change_stage(self, case_id: str, state: str) -> None:
        await self.request("PATCH", f"/v1/cases/{case_id}", json={"state": state})

    async def close_case(self, case_id: str, body: JSON) -> None:
        await self.post(f"/v1/cases/{case_id}/close", body)

    async def family(self, case_id: str) -> list[JSON]:
        result: list[JSON] = await self.get(f"/v1/cases/{case_id}/family")
        return result

    async def add_family_member(self, case_id: str, body: JSON) -> str:
        created: JSON = await self.post(f"/v1/cases/{case_id}/family", body)
        return str(created["id"])

    async def edit_family_member(self, case_id: str, member_id: str, body: JSON) -> None:
        await self.request("PATCH", f"/v1/cases/{case_id}/family/{member_id}", json=body)

    async def remove_family_member(self, case_id: str, member_id: str) -> None:
        await self.request("DELETE", f"/v1/cases/{case_id}/family/{member_id}")

    async def reassign(self, case_id: str, body: JSON) -> None:
        await self.post(f"/v1/cases/{case_id}/reassign", body)

    async def reassignments(self, case_id: str) -> list[JSON]:
        result: list[JSON] = await self.get(f"/v1/cases/{case_id}/reassignments")
        return result

    # --- consent --------------------------------------------------------------------------------

    async def consents(self, case_id: str) -> list[JSON]:
        result: list[JSON] = await self.get(f"/v1/cases/{case_id}/consents")
        return result

    async def coverage(self, case_id: str) -> ConsentCoverage:
        """What the valid consents cover now: the institutions that may be invited."""
        return ConsentCoverage.model_validate(
            await self.get(f"/v1/cases/{case_id}/consents/coverage")
        )

    async def give_consent(self, case_id: str, body: JSON) -> str:
        created: JSON = await self.post(f"/v1/cases/{case_id}/consents", body)
        return str(created["id"])

    async def withdraw_consent(self, case_id: str, consent_id: str, note: str | None) -> None:
        body = {"note": note} if note else {}
        await self.post(f"/v1/cases/{case_id}/consents/{consent_id}/withdraw", body)

    async def document(self, path: str, accept: str) -> tuple[bytes, str]:
        """A document the service renders (consent form, access report): bytes and type."""
        response = await self.request("GET", f"/v1/cases/{path}", accept=accept)
        return response.content, response.headers.get("content-type", accept)

    @asynccontextmanager
    async def family_export(self, case_id: str, fmt: str) -> AsyncIterator[httpx.Response]:
        """The family's copy of its data (ADR 0016), opened as the service sends it; the caller
        streams the body on with its Content-Type and Content-Disposition."""
        accept = "application/pdf" if fmt == "pdf" else "application/json"
        async with self.stream(
            f"/v1/cases/{case_id}/export", accept=accept, params={"format": fmt}
        ) as response:
            yield response

    # --- team -----------------------------------------------------------------------------------

    async def team(self, case_id: str) -> list[JSON]:
        result: list[JSON] = await self.get(f"/v1/cases/{case_id}/team")
        return result

    async def invite(self, case_id: str, body: JSON) -> str:
        created: JSON = await self.post(f"/v1/cases/{case_id}/team", body)
        return str(created["id"])

    async def reinvite(self, case_id: str, member_id: str) -> str:
        """A new invitation for a member who left when the family's consent ended."""
        created: JSON = await self.post(f"/v1/cases/{case_id}/team/{member_id}/reinvite", {})
        return str(created["id"])

    async def remove_member(self, case_id: str, member_id: str) -> None:
        await self.request("DELETE", f"/v1/cases/{case_id}/team/{member_id}")

    async def invitations(self) -> list[JSON]:
        result: list[JSON] = await self.get("/v1/team-invitations")
        return result

    async def answer_invitation(self, member_id: str, accept: bool) -> None:
        await self.post(f"/v1/team-invitations/{member_id}/{'accept' if accept else 'decline'}", {})

    # --- diagnosis and plan ---------------------------------------------------------------------

    async def diagnosis(self, case_id: str) -> list[JSON]:
        result: list[JSON] = await self.get(f"/v1/cases/{case_id}/diagnosis")
        return result

    async def add_diagnosis_entry(self, case_id: str, body: JSON) -> str:
        created: JSON = await self.post(f"/v1/cases/{case_id}/diagnosis", body)
        return str(created["id"])

    async def plan_versions(self, case_id: str) -> list[JSON]:
        result: list[JSON] = await self.get(f"/v1/cases/{case_id}/plan/versions")
        return result

    async def save_plan(self, case_id: str, body: JSON) -> int:
        response = await self.request("PUT", f"/v1/cases/{case_id}/plan", json=body)
        return int(response.json()["version"])

    async def reviews(self, case_id: str) -> list[JSON]:
        result: list[JSON] = await self.get(f"/v1/cases/{case_id}/reviews")
        return result

    async def record_review(self, case_id: str, body: JSON) -> str:
        created: JSON = await self.post(f"/v1/cases/{case_id}/reviews", body)
        return str(created["id"])

    # --- offerings and referrals ----------------------------------------------------------------

    async def offerings(self, tenant: str | None = None) -> list[JSON]:
        result: list[JSON] = await self.get("/v1/offerings", tenant=tenant)
        return result

    async def offering(self, service_id: str) -> JSON:
        result: JSON = await self.get(f"/v1/offerings/{service_id}")
        return result

    async def referrals(self, case_id: str) -> list[Referral]:
        """The case's referrals, each with the moves the user may make on it now."""
        return [
            Referral.model_validate(r) for r in await self.get(f"/v1/cases/{case_id}/referrals")
        ]

    async def refer(self, case_id: str, body: JSON) -> str:
        created: JSON = await self.post(f"/v1/cases/{case_id}/referrals", body)
        return str(created["id"])

    async def incoming(self) -> list[Referral]:
        return [Referral.model_validate(r) for r in await self.get("/v1/referrals/incoming")]

    async def move_referral(self, referral_id: str, body: JSON) -> str:
        result: JSON = await self.post(f"/v1/referrals/{referral_id}/transitions", body)
        return str(result["state"])

    # --- meetings and the access log ------------------------------------------------------------

    async def meetings(self, case_id: str) -> list[JSON]:
        result: list[JSON] = await self.get(f"/v1/cases/{case_id}/meetings")
        return result

    async def schedule_meeting(self, case_id: str, body: JSON) -> str:
        created: JSON = await self.post(f"/v1/cases/{case_id}/meetings", body)
        return str(created["id"])

    async def meeting_held(self, meeting_id: str, body: JSON) -> None:
        await self.post(f"/v1/meetings/{meeting_id}/held", body)

    async def access_log(self, case_id: str) -> list[JSON]:
        result: list[JSON] = await self.get(f"/v1/cases/{case_id}/access-log")
        return result

    async def access_report(self, case_id: str) -> list[JSON]:
        """The family's report: the log grouped by sitting (ADR 0029)."""
        result: list[JSON] = await self.get(f"/v1/cases/{case_id}/access-report")
        return result
