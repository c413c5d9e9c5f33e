"""The logic of the case pages that needs no browser: the plan form both ways, the service's field
paths back to the form's fields, labels of repeated rows, the referral moves each party is offered,
and the message catalogue of the case pages."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from cases.domain.model import CONSENT_REASONS, REFERRAL_STATE_NAMES_PL, LeftReason, ReferralState
from web.clients.base import ApiProblem
from web.i18n import MESSAGES, Translator
from web.messages.cases import MESSAGES as CASES_MESSAGES
from web.routes import cases as pages

TEMPLATES = Path(pages.__file__).resolve().parents[2] / "templates" / "cases"


def test_the_plan_form_drops_blank_rows_and_keeps_ids() -> None:
    form = {
        "g0_id": ["goal-a"],
        "g0_title": ["Powrót do pracy"],
        "g0_a0_id": ["act-1"],
        "g0_a0_title": ["Doradca zawodowy"],
        "g0_a0_responsible": ["member:3b9f0d0e-0000-4000-8000-000000000001"],
        "g0_a0_due_on": ["2026-12-07"],
        "g0_a0_status": ["in_progress"],
        "g0_a1_title": [""],  # the empty row under a goal
        "g0_a1_responsible": ["case_manager"],
        "g0_a2_title": ["Świetlica dla syna"],
        "g0_a2_responsible": ["family"],
        "g1_title": [""],  # the empty new goal
        "g1_a0_title": [""],
    }
    plan = pages.parse_plan(form)
    assert plan.body == {
        "goals": [
            {
                "id": "goal-a",
                "title": "Powrót do pracy",
                "actions": [
                    {
                        "id": "act-1",
                        "title": "Doradca zawodowy",
                        "responsible": {
                            "kind": "member",
                            "member_id": "3b9f0d0e-0000-4000-8000-000000000001",
                        },
                        "due_on": "2026-12-07",
                        "status": "in_progress",
                    },
                    {
                        "title": "Świetlica dla syna",
                        "responsible": {"kind": "family"},
                        "status": "planned",
                    },
                ],
            }
        ]
    }
    # the service numbers what it got; the form's rows are 0 and 2
    problem = ApiProblem(
        422,
        errors=[
            {"field": "goals.0.actions.1.due_on", "detail": "Za wcześnie."},
            {"field": "goals.0.actions.0.responsible.member_id", "detail": "Nie członek."},
            {"field": "goals", "detail": "Co najmniej jeden cel."},
        ],
    )
    assert pages.plan_errors(problem, plan) == {
        "g0_a2_due_on": "Za wcześnie.",
        "g0_a0_responsible": "Nie członek.",
        "_form": "Co najmniej jeden cel.",
    }


def test_the_plan_form_shows_the_current_version_with_room_for_more() -> None:
    versions = [
        {
            "version": 2,
            "goals": [
                {
                    "id": "g",
                    "title": "Cel",
                    "actions": [
                        {
                            "id": "a",
                            "title": "Działanie",
                            "responsible": {"kind": "member", "member_id": "m-1"},
                            "due_on": None,
                            "status": "planned",
                        }
                    ],
                }
            ],
        }
    ]
    rows, values = pages.plan_form(versions, {})
    assert rows == [(0, [0, 1]), (1, [0, 1])]  # one empty action, one empty goal with two
    assert values["g0_a0_responsible"] == "member:m-1"
    assert values["g0_a0_due_on"] == ""
    # after an error the posted rows come back as they were
    posted = {"g0_title": "x", "g0_a0_title": "y", "g0_a3_title": "", "g2_title": ""}
    assert pages.plan_form(versions, posted) == ([(0, [0, 3]), (2, [])], posted)


def test_a_problem_other_than_bad_input_is_not_a_form_error() -> None:
    with pytest.raises(ApiProblem):
        pages.errors_of(ApiProblem(404, title="Not Found"), ("note",))
    conflict = ApiProblem(409, detail="Ta zgoda została już wycofana.")
    assert pages.errors_of(conflict, ("note",)) == {"_form": "Ta zgoda została już wycofana."}
    scope = ApiProblem(422, errors=[{"field": "scope.data_kinds", "detail": "Wskaż dane."}])
    assert pages.errors_of(scope, pages.CONSENT_FIELDS) == {"data_kinds": "Wskaż dane."}


@pytest.mark.parametrize(
    ("name", "polish", "english"),
    [
        ("p1_first_name", "Osoba 2: Imię", "Person 2: First name"),
        ("g0_a1_due_on", "Cel 1, działanie 2: Termin", "Goal 1, action 2: Due date"),
        ("g2_title", "Cel 3: Cel", "Goal 3: Goal"),
        (
            "d0_family_consent",
            "Ustalenie 1: Czy rodzina się zgodziła",
            "Decision 1: Did the family agree",
        ),
        ("reason_code", "Powód", "Reason"),
        ("institution_ids", "Instytucje objęte zgodą", "Institutions covered"),
    ],
)
def test_the_error_summary_names_the_field_and_its_row(
    name: str, polish: str, english: str
) -> None:
    assert pages.field_label(Translator("pl"), name) == polish
    assert pages.field_label(Translator("en"), name) == english


def test_the_access_log_names_every_kind_of_entry_in_both_languages() -> None:
    whats = [
        "case", "family", "consents", "consent-form", "team", "diagnosis", "plan",
        "plan.versions", "referrals", "referrals.incoming", "meetings", "case.open",
        "case.state", "case.close", "family.add", "family.pesel-lookup", "consent.give",
        "consent.withdraw", "team.invite", "team.accept", "team.decline", "team.leave",
        "referral.create", "referral.accepted", "referral.rejected", "meeting.schedule",
        "meeting.held", "reviews", "review.record", "reassignments", "case.reassign",
        "family.edit", "family.remove",
    ]  # fmt: skip
    for language in ("pl", "en"):
        t = Translator(language)
        for what in whats:
            assert f"access.what.{what}" in MESSAGES[language], (language, what)
            assert pages.what_label(t, what) == MESSAGES[language][f"access.what.{what}"]
    # an entry the pages do not know yet is shown without looking like a message key
    assert pages.what_label(Translator("pl"), "plan.review") == "plan – review"


def test_the_case_catalogue_has_both_languages_and_every_key_the_templates_use() -> None:
    assert CASES_MESSAGES["pl"].keys() == CASES_MESSAGES["en"].keys()
    used: set[str] = set()
    for template in TEMPLATES.glob("*.html"):
        used |= set(re.findall(r'\bt\("([a-z_.-]+[a-z_])"\)', template.read_text(encoding="utf-8")))
    missing = sorted(k for k in used if k not in MESSAGES["pl"] or k not in MESSAGES["en"])
    assert not missing, missing
    # the option lists the pages build from codes resolve too
    context = pages.ui_context(Translator("en"))
    for key, options in context.items():
        if key.endswith("_options"):
            for code, text in options:
                assert "." not in text or " " in text, (key, code, text)


def test_a_case_number_is_short_and_shows_no_personal_data() -> None:
    assert pages.case_no("27273d1b-94c2-4d2c-9a55-0d8c1e7f0a11") == "27273D1B"


def test_re_saving_the_plan_sends_every_goal_and_action_id_back() -> None:
    """ADR 0025: a goal keeps its id only if the form sends it back; else earlier reviews stop
    matching. The form shows the current version (ids hidden) and posts it unchanged."""
    versions = [
        {
            "version": 3,
            "goals": [
                {
                    "id": f"goal-{g}",
                    "title": f"Cel {g}",
                    "actions": [
                        {
                            "id": f"act-{g}-{a}",
                            "title": f"Działanie {a}",
                            "responsible": {"kind": "family"},
                            "due_on": None,
                            "status": "planned",
                        }
                        for a in range(2)
                    ],
                }
                for g in range(3)
            ],
        }
    ]
    _, values = pages.plan_form(versions, {})
    posted = {name: [str(value)] for name, value in values.items()}
    body = pages.parse_plan(posted).body
    assert [g["id"] for g in body["goals"]] == ["goal-0", "goal-1", "goal-2"]
    assert [a["id"] for a in body["goals"][1]["actions"]] == ["act-1-0", "act-1-1"]
    # and the template posts the hidden ids the form's values hold
    template = (TEMPLATES / "plan.html").read_text(encoding="utf-8")
    assert 'name="g{{ g }}_id"' in template
    assert 'name="{{ p }}id"' in template


def test_a_review_sends_the_marked_goals_and_names_their_rows() -> None:
    form = {
        "reviewed_on": ["2026-11-20"],
        "g0_goal_id": ["goal-a"],
        "g0_status": ["reached"],
        "g1_goal_id": ["goal-b"],  # not marked: not reviewed this time
        "g1_note": [""],
        "g2_goal_id": ["goal-c"],
        "g2_status": ["progressed"],
        "g2_note": ["Powoli."],
        "family_assessment": ["Jest lepiej."],
        "review_notes": [""],
        "next_review_on": ["2027-02-20"],
    }
    review = pages.parse_review(form)
    assert review.body == {
        "reviewed_on": "2026-11-20",
        "goals": [
            {"goal_id": "goal-a", "status": "reached"},
            {"goal_id": "goal-c", "status": "progressed", "note": "Powoli."},
        ],
        "family_assessment": "Jest lepiej.",
        "next_review_on": "2027-02-20",
    }
    problem = ApiProblem(
        422,
        errors=[
            {"field": "goals.1.goal_id", "detail": "Nie ma takiego celu."},
            {"field": "next_review_on", "detail": "Po dniu przeglądu."},
            {"field": "notes", "detail": "Za długie."},
        ],
    )
    assert pages.review_errors(problem, review) == {
        "g2_status": "Nie ma takiego celu.",
        "next_review_on": "Po dniu przeglądu.",
        "review_notes": "Za długie.",
    }
    assert pages.field_label(Translator("pl"), "g2_status") == "Cel 3: Stan"


def test_a_corrected_person_clears_emptied_fields_and_keeps_an_untyped_pesel() -> None:
    values = {
        "first_name": "Jan",
        "last_name": "Kowalski",
        "relation": "",
        "year_of_birth": "2012",
        "phone": "+48 600 100 200",
        "email": "",
        "address": "",
        "pesel": "",
    }
    assert pages.family_patch(values) == {
        "first_name": "Jan",
        "last_name": "Kowalski",
        "relation": None,
        "year_of_birth": 2012,
        "phone": "+48 600 100 200",
        "email": None,
        "address": None,
    }
    assert pages.family_patch({**values, "pesel": "12271402999"})["pesel"] == "12271402999"
    assert pages.family_patch({**values, "first_name": ""})["first_name"] is None


def test_the_handover_shows_the_service_subject_error_at_the_username() -> None:
    problem = ApiProblem(
        422,
        errors=[
            {"field": "manager_subject", "detail": "To już prowadzący."},
            {"field": "reason_code", "detail": "Nieznany powód."},
        ],
    )
    assert pages.reassign_errors(problem) == {
        "manager_username": "To już prowadzący.",
        "reason_code": "Nieznany powód.",
    }
    assert pages.reassign_errors(ApiProblem(409, detail="Konflikt.")) == {"_form": "Konflikt."}


def test_the_access_report_names_refusals_disclosures_and_log_reads_in_both_languages() -> None:
    for language in ("pl", "en"):
        for key in (
            "access.action.disclose", "access.action.refused", "access.relation.partner_system",
            "access.relation.none", "access.what.access-log", "access.what.access-report",
            "access.sittings", "access.entries",
        ):  # fmt: skip
            assert key in MESSAGES[language], (language, key)
    assert pages.what_label(Translator("pl"), "access-log") == "rejestr dostępu"
    assert pages.what_label(Translator("pl"), "cases.referral.requested") == (
        "zdarzenie referral.requested"
    )


def test_only_a_member_who_left_with_the_consent_and_has_no_newer_invitation_is_reinvitable():
    school, clinic = "inst-school", "inst-clinic"
    team = [
        {"id": None, "state": "case_manager", "institution_id": None, "username": "manager-a"},
        {"id": "m1", "state": "left", "left_reason": "consent_ended", "institution_id": school,
         "username": "partner-a"},
        {"id": "m2", "state": "left", "left_reason": None, "institution_id": school,
         "username": "pedagog-2"},  # removed by the case manager: not this button
        {"id": "m3", "state": "left", "left_reason": "case_closed", "institution_id": clinic,
         "username": None},
        {"id": "m4", "state": "left", "left_reason": "consent_ended", "institution_id": clinic,
         "username": None},
        {"id": "m5", "state": "declined", "left_reason": None, "institution_id": clinic,
         "username": "x"},
    ]  # fmt: skip
    assert pages.reinvitable(team) == {"m1", "m4"}
    # once invited again (or back in the team), the member who left is not offered a second time
    again = [*team, {"id": "m6", "state": "invited", "institution_id": school,
                     "username": "partner-a"}]  # fmt: skip
    assert pages.reinvitable(again) == {"m4"}
    back = [*team, {"id": "m7", "state": "active", "institution_id": clinic, "username": None}]
    assert pages.reinvitable(back) == {"m1"}


def test_every_reason_for_leaving_and_every_end_of_a_referral_with_the_consent_has_a_label():
    for language in ("pl", "en"):
        t = Translator(language)
        for reason in [*LeftReason, "other"]:
            key = f"team.left.{reason}"
            assert key in MESSAGES[language], (language, key)
            shown = t(key, date="1 maja 2026")
            assert "1 maja 2026" in shown, (language, key)
            assert key not in shown
        for state in ReferralState:
            assert f"referral.state.{state}" in MESSAGES[language], (language, state)
        for code in CONSENT_REASONS:
            assert f"referral.reason.{code}" in MESSAGES[language], (language, code)
        for key in ("team.reinvite", "team.reinvite.hint", "team.reinvited"):
            assert key in MESSAGES[language], (language, key)
    pl = Translator("pl")
    assert pl("team.left.consent_ended", date="1 maja 2026") == (
        "Odszedł(a) 1 maja 2026 — zgoda rodziny przestała obowiązywać."
    )
    # the web's Polish label of each state is the service's own name of it
    for state, name in REFERRAL_STATE_NAMES_PL.items():
        assert pl(f"referral.state.{state}") == name, state
