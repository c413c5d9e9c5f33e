"""The family's report groups what one person did in one sitting into one line."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from cases.domain.access_report import Entry, sittings

T0 = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
SCHOOL = uuid.uuid4()


def entry(minutes: float, who: str = "m-1", what: str = "case", **kw: object) -> Entry:
    fields: dict[str, object] = {
        "at": T0 + timedelta(minutes=minutes),
        "actor_subject": who,
        "actor_username": f"login-{who}",
        "actor_name": f"Osoba {who}",
        "relation": "case_manager",
        "institution_id": None,
        "institution_name": None,
        "action": "read",
        "outcome": "allowed",
        "what": what,
        "purpose": "praca z rodziną",
    }
    fields.update(kw)
    return Entry(**fields)  # type: ignore[arg-type]


def test_entries_less_than_30_minutes_apart_make_one_line() -> None:
    lines = sittings([entry(0), entry(5, what="family"), entry(29, what="plan"), entry(40)])
    [line] = lines
    assert (line.first_at, line.last_at) == (T0, T0 + timedelta(minutes=40))
    assert line.what == ["case", "family", "plan"]
    assert line.entries == 4
    assert line.who == "Osoba m-1"


def test_a_gap_of_30_minutes_starts_a_new_sitting() -> None:
    lines = sittings([entry(0), entry(10), entry(40), entry(41)])
    assert [(ln.first_at, ln.entries) for ln in lines] == [
        (T0, 2),
        (T0 + timedelta(minutes=40), 2),
    ]


def test_people_actions_and_outcomes_are_apart_and_lines_ordered_by_start() -> None:
    lines = sittings(
        [
            entry(3, who="p-1", relation="team_member", institution_id=SCHOOL),
            entry(0),
            entry(1, action="change", what="plan"),
            entry(2, who="x", outcome="refused", actor_name=None),
            entry(4),
        ]
    )
    assert [(ln.who, ln.action, ln.outcome, ln.entries) for ln in lines] == [
        ("Osoba m-1", "read", "allowed", 2),
        ("Osoba m-1", "change", "allowed", 1),
        ("login-x", "read", "refused", 1),
        ("Osoba p-1", "read", "allowed", 1),
    ]
