"""Meetings of a case and the decisions recorded when one was held."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web.deps import SignedIn, T, User
from web.i18n import Translator
from web.routes.cases.common import (
    DECISION_ROWS,
    JSON,
    guarded,
    loads,
    local_datetime,
    members_by_id,
    now_local_input,
    one,
    options,
    path_errors,
    person_name,
    read_form,
    responsible_label,
)
from web.routes.cases.workspace import submit

router = APIRouter(tags=["cases"])


# --- meetings and decisions ---------------------------------------------------------------------

MEETING_FIELDS = ("kind", "starts_at", "place", "online_url", "agenda", "participants")


@router.post("/cases/{case_id}/meetings")
async def schedule_meeting(request: Request, user: SignedIn, t: T, case_id: str) -> Response:
    form = await read_form(request)
    values: dict[str, Any] = {name: one(form, name) for name in MEETING_FIELDS}
    values["participants"] = form.get("participants", [])
    participants: list[JSON] = [{"kind": "case_manager"}]
    for item in values["participants"]:
        kind, _, ident = item.partition(":")
        if kind == "member":
            participants.append({"kind": "member", "member_id": ident})
        elif kind == "family":
            participants.append({"kind": "family", "family_member_id": ident})
    body: JSON = {
        "kind": values["kind"] or "meeting",
        "participants": participants,
        "agenda": [line.strip() for line in values["agenda"].splitlines() if line.strip()],
    }
    for name in ("place", "online_url"):
        if values[name]:
            body[name] = values[name]
    problems = []
    starts = local_datetime(values["starts_at"])
    if starts is None:
        problems.append({"field": "starts_at", "detail": t("case_meetings.error.starts_at")})
    body["starts_at"] = starts
    return await submit(
        request, user, t, case_id, "meetings",
        lambda: user.cases().schedule_meeting(case_id, body),
        form="meeting", fields=MEETING_FIELDS, values=values, problems=problems,
        done=t("case_meetings.scheduled_now"),
    )  # fmt: skip


@router.post("/cases/{case_id}/meetings/{meeting_id}/held")
async def meeting_held(
    request: Request, user: SignedIn, t: T, case_id: str, meeting_id: str
) -> Response:
    form = await read_form(request)
    values = {k: v[0] for k, v in form.items() if v}
    decisions: list[JSON] = []
    rows: list[int] = []
    problems: list[dict[str, str]] = []
    for row in range(DECISION_ROWS):
        text = one(form, f"d{row}_text")
        consent = one(form, f"d{row}_family_consent")
        if not text:
            continue
        if consent not in ("given", "refused"):
            problems.append(
                {"field": f"d{row}_family_consent", "detail": t("decision.error.consent")}
            )
        decisions.append({"text": text, "family_consent": consent})
        rows.append(row)
    held = local_datetime(one(form, "held_at"))
    if held is None:
        problems.append({"field": "held_at", "detail": t("case_meetings.error.held_at")})
    body: JSON = {"held_at": held, "decisions": decisions}
    if one(form, "notes"):
        body["notes"] = one(form, "notes")

    def name_of(path: list[str]) -> str:
        """`decisions.1.text` is the form's `d<row>_text`; the rest by name or in the summary."""
        if len(path) == 3 and path[0] == "decisions" and path[1].isdigit():
            index = int(path[1])
            row = rows[index] if index < len(rows) else 0
            return f"d{row}_{path[2]}"
        if path[0] in ("held_at", "notes") or path[0].startswith("d"):
            return path[0]
        return "_form"

    return await submit(
        request, user, t, case_id, "meetings",
        lambda: user.cases().meeting_held(meeting_id, body),
        form=f"held-{meeting_id}", values=values, problems=problems,
        to_errors=lambda problem: path_errors(problem, name_of),
        done=t("case_meetings.held_recorded"), anchor=f"meeting-{meeting_id}",
    )  # fmt: skip


def participant_label(t: Translator, case: JSON, participant: JSON) -> str:
    kind = participant.get("kind")
    if kind == "member":
        member = members_by_id(case).get(str(participant.get("member_id")))
        return (member or {}).get("institution_name") or t("case_meetings.participant.member")
    if kind == "family":
        people = {str(p["id"]): person_name(p) for p in case.get("family") or []}
        name = people.get(str(participant.get("family_member_id")))
        return name or t("case_meetings.participant.family")
    return t("case_meetings.participant.case_manager")


@loads("meetings")
async def meetings_context(
    request: Request, user: User, t: Translator, case: JSON, values: dict[str, Any]
) -> JSON:
    client = user.cases()
    case_id = str(case["id"])
    context: JSON = {}
    meetings, context["denied"] = await guarded(lambda: client.meetings(case_id))
    meetings = sorted(meetings or [], key=lambda m: str(m["starts_at"]), reverse=True)
    context["meetings"] = meetings
    context["family_names"] = {str(p["id"]): person_name(p) for p in case.get("family") or []}
    context["now_local"] = now_local_input()
    context["participant_label"] = lambda p: participant_label(t, case, p)
    context["meeting_kind_options"] = options(t, "case_meetings.kind", ("meeting", "consultation"))
    context["participant_options"] = [
        (f"family:{p['id']}", person_name(p)) for p in case.get("family") or []
    ] + [
        (
            f"member:{m['id']}",
            responsible_label(t, case, {"kind": "member", "member_id": m["id"]}),
        )
        for m in case.get("team", [])
        if m.get("id") and m["state"] == "active"
    ]
    return context
