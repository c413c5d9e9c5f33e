"""Pages over the cases service: a case manager's cases and the workspace of one case (consent,
team, diagnosis, plan, referrals, meetings and decisions, access log), and for partner staff the
referrals sent to their institution and the cases of the teams they belong to.

The cases service decides who sees what (the family's consent): a case it does not show is a 404
and a kind of data the consent does not cover is a 403; both become clear messages here, never a
broken page. Nothing of a family's personal data is logged (the pages log nothing of their own).

One module per page section; `common` holds what every page uses and `workspace` the frame of one
case's workspace. The router is assembled here from the sections' routes (flat, as the app and the
tests list them), in the order the paths must be matched in: the export before the workspace's
`/cases/{case_id}/{slug}`, which would take "export" for a section's name.
"""

from __future__ import annotations

from fastapi import APIRouter

from web.routes.cases import (
    consents,
    diagnosis,
    export,
    family,
    listing,
    meetings,
    overview,
    plan,
    reassign,
    referrals,
    reviews,
    team,
    workspace,
)
from web.routes.cases.common import (
    case_no,
    errors_of,
    field_label,
    reinvitable,
    ui_context,
    what_label,
)
from web.routes.cases.consents import CONSENT_FIELDS
from web.routes.cases.family import family_patch
from web.routes.cases.plan import parse_plan, plan_errors, plan_form
from web.routes.cases.reassign import reassign_errors
from web.routes.cases.reviews import parse_review, review_errors
from web.routes.cases.summary import home_summary

__all__ = [
    "CONSENT_FIELDS",
    "case_no",
    "errors_of",
    "family_patch",
    "field_label",
    "home_summary",
    "parse_plan",
    "parse_review",
    "plan_errors",
    "plan_form",
    "reassign_errors",
    "reinvitable",
    "review_errors",
    "router",
    "ui_context",
    "what_label",
]

router = APIRouter(tags=["cases"])
for section in (
    listing,
    export,
    workspace,
    overview,
    family,
    reassign,
    consents,
    team,
    diagnosis,
    plan,
    reviews,
    referrals,
    meetings,
):
    router.routes.extend(section.router.routes)
