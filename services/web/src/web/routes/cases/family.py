"""The family's members: adding, editing and removing them."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from web.clients.base import ApiProblem
from web.deps import SignedIn, T
from web.routes.cases.common import (
    FAMILY_FIELDS,
    JSON,
    errors_of,
    one,
    read_form,
)
from web.routes.cases.workspace import submit

router = APIRouter(tags=["cases"])


def person_from(form: dict[str, list[str]], prefix: str) -> JSON:
    person: JSON = {}
    for name in FAMILY_FIELDS:
        value = one(form, f"{prefix}{name}")
        if value:
            digits = value.isascii() and value.isdigit()  # not ² nor ١٢
            person[name] = int(value) if name == "year_of_birth" and digits else value
    return person


@router.post("/cases/{case_id}/family")
async def add_family_member(request: Request, user: SignedIn, t: T, case_id: str) -> Response:
    form = await read_form(request)
    person = person_from(form, "")
    values = {k: v[0] for k, v in form.items() if v}
    return await submit(
        request, user, t, case_id, "overview",
        lambda: user.cases().add_family_member(case_id, person),
        form="family", fields=FAMILY_FIELDS, values=values, done=t("form.saved"), anchor="family",
    )  # fmt: skip


EDIT_FIELDS = (*FAMILY_FIELDS, "pesel")


def family_values(person: JSON) -> dict[str, str]:
    """A person's details as the edit form shows them (the PESEL is never shown)."""
    return {name: "" if person.get(name) is None else str(person[name]) for name in FAMILY_FIELDS}


def family_patch(values: dict[str, str]) -> JSON:
    """The PATCH body of a person: names always, an emptied optional field as null (cleared,
    ADR 0024), the PESEL only when one was typed (an empty field keeps the recorded one)."""
    body: JSON = {}
    for name in FAMILY_FIELDS:
        value = values.get(name, "")
        if name in ("first_name", "last_name"):
            body[name] = value or None
        elif name == "year_of_birth" and value.isascii() and value.isdigit():
            body[name] = int(value)
        else:
            body[name] = value or None
    if values.get("pesel"):
        body["pesel"] = values["pesel"]
    return body


@router.post("/cases/{case_id}/family/{member_id}")
async def edit_family_member(
    request: Request, user: SignedIn, t: T, case_id: str, member_id: str
) -> Response:
    form = await read_form(request)
    values = {name: one(form, name) for name in EDIT_FIELDS}
    body = family_patch(values)
    return await submit(
        request, user, t, case_id, "overview",
        lambda: user.cases().edit_family_member(case_id, member_id, body),
        form=f"edit-{member_id}", fields=EDIT_FIELDS,
        values={**values, "pesel": ""},  # never sent back to the browser
        done=t("family.edited"), anchor="family",
    )  # fmt: skip


@router.post("/cases/{case_id}/family/{member_id}/remove")
async def remove_family_member(
    request: Request, user: SignedIn, t: T, case_id: str, member_id: str
) -> Response:
    def refused(problem: ApiProblem) -> dict[str, str]:
        errors = errors_of(problem)
        if problem.status == 409:
            return {"_form": problem.detail or t("family.remove.refused")}
        return errors

    return await submit(
        request, user, t, case_id, "overview",
        lambda: user.cases().remove_family_member(case_id, member_id),
        form=f"edit-{member_id}", to_errors=refused, done=t("family.removed"), anchor="family",
    )  # fmt: skip
