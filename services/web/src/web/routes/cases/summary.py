"""The start page's block of the cases service."""

from __future__ import annotations

from datetime import timedelta

from shared import clock
from web.clients.base import ApiProblem, ServiceUnavailable
from web.deps import User
from web.routes.cases.common import (
    JSON,
    case_no,
    is_case_manager,
    is_partner_staff,
)
from web.routes.partners import parse_time

# --- the start page -----------------------------------------------------------------------------


async def home_summary(user: User) -> JSON:
    """The start page's block: referrals to answer (partner staff), pending team invitations,
    and for case managers their open cases and the meetings of this week. The start page must
    open even when the cases service does not answer: the block then says so."""
    if not (is_partner_staff(user) or is_case_manager(user)):
        return {}
    try:
        return await _home_summary(user)
    except (ServiceUnavailable, ApiProblem):
        return {"cases_unavailable": True}


async def _home_summary(user: User) -> JSON:
    out: JSON = {"case_no": case_no}
    client = user.cases()
    if is_partner_staff(user):
        incoming = await client.incoming()
        out["referrals_to_answer"] = [r for r in incoming if r.state == "requested"]
        out["team_invitations"] = await client.invitations()
    if is_case_manager(user):
        cases = await client.my_cases()
        managed = [c for c in cases if c["relation"] == "case_manager"]
        out["open_cases"] = [c for c in managed if c["state"] != "closed"]
        now = clock.now()
        week_end = now + timedelta(days=7)
        meetings: list[JSON] = []
        for case in out["open_cases"][:20]:
            try:
                found = await client.meetings(str(case["id"]))
            except ApiProblem:
                continue
            for meeting in found:
                starts = parse_time(str(meeting["starts_at"]))
                if meeting["status"] == "scheduled" and now <= starts <= week_end:
                    meetings.append({**meeting, "case_id": case["id"]})
        out["meetings_this_week"] = sorted(meetings, key=lambda m: str(m["starts_at"]))
    return out
