"""The family's report of the access log (art. 15 GDPR): one line per sitting, not per request.

A case manager who opens five tabs of a case writes five entries; the family wants to know that
Katarzyna Wiśniewska of the welfare centre looked at their data on Monday between 9:02 and 9:40,
and what she looked at. Entries of the same person (or partner system), in the same relation and
institution, with the same action and outcome, each less than `SITTING_GAP` after the previous
one, make one line: first and last time, the kinds of data, the purposes, how many entries.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

SITTING_GAP = timedelta(minutes=30)


@dataclass(frozen=True)
class Entry:
    at: datetime
    actor_subject: str
    actor_username: str
    actor_name: str | None
    relation: str
    institution_id: uuid.UUID | None
    institution_name: str | None
    action: str  # read | change | disclose
    outcome: str  # allowed | refused
    what: str
    purpose: str


@dataclass
class Line:
    first_at: datetime
    last_at: datetime
    who: str  # the person's name (the login only when the token carried no name)
    relation: str
    institution_id: uuid.UUID | None
    institution_name: str | None
    action: str
    outcome: str
    what: list[str] = field(default_factory=list)
    purposes: list[str] = field(default_factory=list)
    entries: int = 0

    def add(self, e: Entry) -> None:
        self.last_at = e.at
        self.entries += 1
        if e.what not in self.what:
            self.what.append(e.what)
        if e.purpose not in self.purposes:
            self.purposes.append(e.purpose)


def _key(e: Entry) -> tuple[object, ...]:
    return (e.actor_subject, e.relation, e.institution_id, e.action, e.outcome)


def sittings(entries: Iterable[Entry], gap: timedelta = SITTING_GAP) -> list[Line]:
    """The lines of the report, in the order they began."""
    lines: list[Line] = []
    open_lines: dict[tuple[object, ...], Line] = {}
    for e in sorted(entries, key=lambda e: e.at):
        key = _key(e)
        line = open_lines.get(key)
        if line is None or e.at - line.last_at >= gap:
            line = Line(
                first_at=e.at,
                last_at=e.at,
                who=e.actor_name or e.actor_username,
                relation=e.relation,
                institution_id=e.institution_id,
                institution_name=e.institution_name,
                action=e.action,
                outcome=e.outcome,
            )
            open_lines[key] = line
            lines.append(line)
        line.add(e)
    return lines
