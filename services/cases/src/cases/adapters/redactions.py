"""A removed family member's data taken out of the case's free text, and the places waiting for
the case manager to redact (ADR 0017).

The free text is walked on the domain objects (the ORM opens and seals it), so the sealing and
the associated data stay in one place. In JSON columns only the text values are looked at, not
the structural keys (ids, states, dates, staff usernames).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Table, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cases.adapters import orm
from cases.adapters.sealing import open_value, seal_changes, seal_value, vault_of
from cases.domain import model
from cases.domain.redaction import Person, Scrubbed, redact, scrub
from cases.service.ports import PendingRedaction, ScrubOutcome
from shared.db.uow import Tracked

# The case's free text: class, table, the attributes looked at (sealed or not).
PLACES: tuple[tuple[type[Any], Table, tuple[str, ...]], ...] = (
    (model.Case, orm.cases, ("close_note",)),
    (model.CaseReassignment, orm.case_reassignments, ("reason",)),
    (model.Consent, orm.consents, ("withdrawal_note",)),
    (model.DiagnosisEntry, orm.diagnosis_entries, ("text",)),
    (model.PlanVersion, orm.plan_versions, ("goals",)),
    (model.MonitoringReview, orm.monitoring_reviews, ("goals", "family_assessment", "notes")),
    (model.Referral, orm.referrals, ("note", "reason", "outcome", "history")),
    (model.Meeting, orm.meetings, ("place", "agenda", "notes", "decisions")),
    (model.FamilyMember, orm.family_members, ("relation", "address")),
)
_CLASSES = {table.name: (cls, attrs) for cls, table, attrs in PLACES}
# Keys of JSON values that hold codes, ids, dates or staff usernames, never free text.
STRUCTURAL = frozenset(
    {"id", "goal_id", "status", "kind", "member_id", "family_member_id", "due_on", "at",
     "from", "to", "by", "party", "noted_by", "family_consent", "reason_code", "outcome_code"}
)  # fmt: skip
REASON_ORDER = ("shared", "common_word", "inflected")

PLACE_NAMES_PL = {
    "cases.close_note": "Sprawa: uwaga przy zamknięciu",
    "case_reassignments.reason": "Przekazanie sprawy: uzasadnienie",
    "consents.withdrawal_note": "Zgoda: uwaga przy wycofaniu",
    "diagnosis_entries.text": "Diagnoza: wpis",
    "plan_versions.goals": "Plan wsparcia: cele i działania",
    "monitoring_reviews.goals": "Przegląd: ocena celów",
    "monitoring_reviews.family_assessment": "Przegląd: ocena rodziny",
    "monitoring_reviews.notes": "Przegląd: notatki",
    "referrals.note": "Skierowanie: uwagi",
    "referrals.reason": "Skierowanie: uzasadnienie",
    "referrals.outcome": "Skierowanie: wynik",
    "referrals.history": "Skierowanie: historia",
    "meetings.place": "Spotkanie: miejsce",
    "meetings.agenda": "Spotkanie: porządek obrad",
    "meetings.notes": "Spotkanie: notatki",
    "meetings.decisions": "Spotkanie: ustalenia",
    "family_members.relation": "Rodzina: pokrewieństwo",
    "family_members.address": "Rodzina: adres",
}
REASON_NAMES_PL = {
    "shared": "imię lub nazwisko ma też inna osoba z rodziny",
    "common_word": "imię lub nazwisko jest też zwykłym słowem",
    "inflected": "odmieniona lub zdrobniona forma imienia albo nazwiska",
}


def _walk(value: Any, text: Callable[[str], str], key: str | None = None) -> Any:
    """The value with `text` applied to each free-text string in it."""
    if isinstance(value, str):
        return value if key in STRUCTURAL else text(value)
    if isinstance(value, list):
        return [_walk(v, text, key) for v in value]
    if isinstance(value, dict):
        return {k: _walk(v, text, k) for k, v in value.items()}
    return value


def _texts(value: Any, key: str | None = None) -> list[str]:
    if isinstance(value, str):
        return [] if key in STRUCTURAL else [value]
    if isinstance(value, list):
        return [t for v in value for t in _texts(v, key)]
    if isinstance(value, dict):
        return [t for k, v in value.items() for t in _texts(v, k)]
    return []


def _collecting(
    results: list[Scrubbed], person: Person, others: Sequence[Person]
) -> Callable[[str], str]:
    def one(text: str) -> str:
        result = scrub(text, person, others)
        results.append(result)
        return result.text

    return one


class SqlRedactions:
    def __init__(self, session: AsyncSession, seen: Tracked[Any]) -> None:
        self.session = session
        self.seen = seen

    async def _objects(self, cls: type[Any], table: Table, case_id: uuid.UUID) -> Sequence[Any]:
        key = table.c.id if table is orm.cases else table.c.case_id
        rows = await self.session.execute(select(cls).where(key == case_id))
        items = rows.scalars().all()
        for item in items:
            self.seen.add(item)
        return items

    async def scrub(
        self,
        case: model.Case,
        person: Person,
        others: Sequence[Person],
        skip: uuid.UUID | None,
        at: datetime,
    ) -> ScrubOutcome:
        """Replace what is certainly the person in every free text of the case; record each
        place where something only may be the person. `skip`: the person's own row."""
        replaced = flagged = 0
        vault = vault_of(self.session.sync_session)
        for cls, table, attrs in PLACES:
            for obj in await self._objects(cls, table, case.id):
                if obj.id == skip:
                    continue
                for attr in attrs:
                    value = getattr(obj, attr)
                    if value is None:
                        continue
                    results: list[Scrubbed] = []
                    new = _walk(value, _collecting(results, person, others))
                    replaced += sum(r.replaced for r in results)
                    if new != value:
                        setattr(obj, attr, new)
                    fragments = [f for r in results for f in r.fragments]
                    if fragments:
                        reasons = {x for r in results for x in r.reasons}
                        reason = next(x for x in REASON_ORDER if x in reasons)
                        rid = uuid.uuid4()
                        await self.session.execute(
                            insert(orm.redactions).values(
                                id=rid,
                                case_id=case.id,
                                tenant=case.tenant,
                                place=f"{table.name}.{attr}",
                                row_id=obj.id,
                                reason=reason,
                                fragments=seal_value(
                                    vault, "redactions.fragments", rid, sorted(set(fragments))
                                ),
                                found_at=at,
                            )
                        )
                        flagged += 1
        await self.session.flush()
        return ScrubOutcome(replaced, flagged)

    async def pending(self, case_id: uuid.UUID) -> list[PendingRedaction]:
        r = orm.redactions.c
        rows = await self.session.execute(
            select(orm.redactions)
            .where(r.case_id == case_id, r.resolved_at.is_(None))
            .order_by(r.found_at, r.place, r.id)
        )
        vault = vault_of(self.session.sync_session)
        out = []
        for row in rows.all():
            fragments = open_value(vault, "redactions.fragments", row.id, row.fragments) or []
            texts = _texts(await self._value(row.place, row.row_id))
            excerpts = [t for t in texts if any(f in t for f in fragments)]
            out.append(PendingRedaction(row.id, row.place, row.row_id, row.reason, fragments,
                                        excerpts, row.found_at))  # fmt: skip
        return out

    async def _object(self, place: str, row_id: uuid.UUID) -> tuple[Any, str] | None:
        table, _, attr = place.partition(".")
        cls, attrs = _CLASSES[table]
        assert attr in attrs
        obj = await self.session.get(cls, row_id)
        if obj is not None:
            self.seen.add(obj)
        return None if obj is None else (obj, attr)

    async def _value(self, place: str, row_id: uuid.UUID) -> Any:
        found = await self._object(place, row_id)
        return None if found is None else getattr(found[0], found[1])

    async def resolve(
        self, case_id: uuid.UUID, redaction_id: uuid.UUID, *, apply: bool, by: str, at: datetime
    ) -> int | None:
        """Apply (replace every fragment in the place by the marker) or dismiss a pending
        redaction; the fragments are erased either way. None: no such pending redaction;
        else how many occurrences were replaced."""
        r = orm.redactions.c
        row = (
            await self.session.execute(
                select(orm.redactions)
                .where(r.id == redaction_id, r.case_id == case_id, r.resolved_at.is_(None))
                .with_for_update()
            )
        ).first()
        if row is None:
            return None
        replaced = 0
        if apply:
            vault = vault_of(self.session.sync_session)
            fragments = open_value(vault, "redactions.fragments", row.id, row.fragments) or []
            found = await self._object(row.place, row.row_id)
            if found is not None:
                obj, attr = found
                value = getattr(obj, attr)
                counts: list[int] = []

                def one(text: str) -> str:
                    new, n = redact(text, fragments)
                    counts.append(n)
                    return new

                new = _walk(value, one) if value is not None else None
                replaced = sum(counts)
                if new != value:
                    setattr(obj, attr, new)
        seal_changes(self.session.sync_session)
        await self.session.execute(
            update(orm.redactions)
            .where(r.id == redaction_id)
            .values(
                resolved_at=at,
                resolved_by=by,
                resolution="applied" if apply else "dismissed",
                fragments=None,
            )
        )
        await self.session.flush()
        return replaced
