"""The plan of a case: its versions, the plan form (goals and actions) and saving a new version."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web.clients.base import ApiProblem
from web.deps import SignedIn, T, User
from web.i18n import Translator
from web.routes.cases.common import (
    ACTION_STATUSES,
    JSON,
    guarded,
    loads,
    path_errors,
    read_form,
    responsible_label,
)
from web.routes.cases.workspace import back_to, workspace

router = APIRouter(tags=["cases"])


# --- plan ---------------------------------------------------------------------------------------


def plan_form(
    versions: list[JSON], posted: dict[str, Any]
) -> tuple[list[tuple[int, list[int]]], dict[str, Any]]:
    """Rows of the plan form and their values: as posted (after an error), or the current version
    with one empty action under each goal and one empty goal with two actions."""
    if posted:
        goals: dict[int, set[int]] = {}
        for key in posted:
            if m := GOAL_FIELD.match(key):
                goals.setdefault(int(m[1]), set())
            elif m := ACTION_FIELD.match(key):
                goals.setdefault(int(m[1]), set()).add(int(m[2]))
        return [(g, sorted(goals[g])) for g in sorted(goals)], posted
    values: dict[str, Any] = {}
    rows: list[tuple[int, list[int]]] = []
    current = versions[0]["goals"] if versions else []
    for g, goal in enumerate(current):
        values[f"g{g}_id"] = goal["id"]
        values[f"g{g}_title"] = goal["title"]
        for a, action in enumerate(goal["actions"]):
            p = f"g{g}_a{a}_"
            responsible = action["responsible"]
            kind = responsible.get("kind", "case_manager")
            values[p + "id"] = action["id"]
            values[p + "title"] = action["title"]
            values[p + "responsible"] = (
                f"member:{responsible['member_id']}" if kind == "member" else kind
            )
            values[p + "due_on"] = action.get("due_on") or ""
            values[p + "status"] = action["status"]
        rows.append((g, list(range(len(goal["actions"]) + 1))))
    rows.append((len(current), [0, 1]))
    return rows, values


GOAL_FIELD = re.compile(r"^g(\d+)_(id|title)$")
ACTION_FIELD = re.compile(r"^g(\d+)_a(\d+)_(id|title|responsible|due_on|status)$")


@dataclass
class PlanForm:
    """The plan as posted: goals and actions with their rows in the form, blank rows dropped."""

    body: JSON
    goal_rows: list[int]
    action_rows: list[list[int]]


def parse_plan(form: dict[str, list[str]]) -> PlanForm:
    goals: dict[int, JSON] = {}
    actions: dict[int, dict[int, JSON]] = {}
    for key, values in form.items():
        if m := GOAL_FIELD.match(key):
            goals.setdefault(int(m[1]), {})[m[2]] = values[0]
        elif m := ACTION_FIELD.match(key):
            actions.setdefault(int(m[1]), {}).setdefault(int(m[2]), {})[m[3]] = values[0]
    body_goals: list[JSON] = []
    goal_rows: list[int] = []
    action_rows: list[list[int]] = []
    for g in sorted(goals):
        goal = goals[g]
        rows = actions.get(g, {})
        kept = [a for a in sorted(rows) if rows[a].get("title")]
        if not goal.get("title") and not kept:
            continue
        out_actions = []
        for a in kept:
            action = rows[a]
            responsible = action.get("responsible") or "case_manager"
            kind, _, member = responsible.partition(":")
            item: JSON = {
                "title": action["title"],
                "responsible": {"kind": kind, **({"member_id": member} if member else {})},
                "status": action.get("status") or "planned",
            }
            if action.get("id"):
                item["id"] = action["id"]
            if action.get("due_on"):
                item["due_on"] = action["due_on"]
            out_actions.append(item)
        body_goal: JSON = {"title": goal.get("title", ""), "actions": out_actions}
        if goal.get("id"):
            body_goal["id"] = goal["id"]
        body_goals.append(body_goal)
        goal_rows.append(g)
        action_rows.append(kept)
    return PlanForm({"goals": body_goals}, goal_rows, action_rows)


def plan_errors(problem: ApiProblem, plan: PlanForm) -> dict[str, str]:
    """The service names `goals.0.actions.1.due_on`; the form's field is `g<row>_a<row>_due_on`."""

    def name_of(path: list[str]) -> str:
        if len(path) >= 3 and path[0] == "goals" and path[1].isdigit():
            g = int(path[1])
            if g < len(plan.goal_rows):
                row = plan.goal_rows[g]
                if path[2] == "title":
                    return f"g{row}_title"
                if path[2] == "actions" and len(path) >= 5 and path[3].isdigit():
                    a = int(path[3])
                    if a < len(plan.action_rows[g]):
                        return f"g{row}_a{plan.action_rows[g][a]}_{path[4]}"
        return "_form"

    return path_errors(problem, name_of)


@router.post("/cases/{case_id}/plan")
async def save_plan(request: Request, user: SignedIn, t: T, case_id: str) -> Response:
    form = await read_form(request)
    plan = parse_plan(form)
    values = {k: v[0] for k, v in form.items() if v}
    try:
        if not plan.body["goals"]:
            raise ApiProblem(422, errors=[{"field": "goals", "detail": t("plan.error.empty")}])
        version = await user.cases().save_plan(case_id, plan.body)
    except ApiProblem as problem:
        errors = plan_errors(problem, plan)
        return await workspace(
            request, user, t, case_id, "plan", form="plan", values=values, errors=errors
        )
    user.session.flash.append(t("plan.saved", version=version))
    return back_to(case_id, "plan")


@loads("plan")
async def plan_context(
    request: Request, user: User, t: Translator, case: JSON, values: dict[str, Any]
) -> JSON:
    client = user.cases()
    case_id = str(case["id"])
    context: JSON = {}
    versions, denied = await guarded(lambda: client.plan_versions(case_id))
    context["denied"] = denied
    versions = sorted(versions or [], key=lambda v: int(v["version"]), reverse=True)
    context["versions"] = versions
    wanted = request.query_params.get("version")
    shown = next((v for v in versions if str(v["version"]) == wanted), None)
    context["shown"] = shown or (versions[0] if versions else None)
    context["previous"] = next(
        (v for v in versions if context["shown"] and v["version"] < context["shown"]["version"]),
        None,
    )
    context["statuses"] = ACTION_STATUSES
    context["active_members"] = [
        m for m in case.get("team", []) if m.get("id") and m["state"] == "active"
    ]
    context["responsible_label"] = lambda r: responsible_label(t, case, r)
    context["responsible_options"] = [
        ("case_manager", t("plan.responsible.case_manager")),
        ("family", t("plan.responsible.family")),
    ] + [
        (
            f"member:{m['id']}",
            responsible_label(t, case, {"kind": "member", "member_id": m["id"]}),
        )
        for m in context["active_members"]
    ]
    context["plan_rows"], context["plan_values"] = plan_form(context["versions"], values)
    return context
