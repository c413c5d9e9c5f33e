"""Rules of the partnership: membership life cycle, meetings, the rotating host."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from partners.domain import events as ev
from partners.domain import model
from partners.domain.model import MembershipState as S
from shared.errors import Conflict, InvalidInput

NOW = datetime(2026, 11, 23, 10, tzinfo=UTC)


def membership(state: S = S.INVITED, **extra) -> model.Membership:
    return model.Membership.start(
        id=uuid.uuid4(),
        tenant="1219053",
        partnership_id=uuid.uuid4(),
        institution_id=uuid.uuid4(),
        state=state,
        effective_on=date(2026, 1, 1),
        changed_by="coord-a",
        now=NOW,
        **extra,
    )


ALLOWED = {(a, b) for a, targets in model.TRANSITIONS.items() for b in targets}


@pytest.mark.parametrize("source", list(S))
@pytest.mark.parametrize("target", list(S))
def test_every_transition_is_allowed_or_refused_as_the_table_says(source, target):
    m = membership(S.INVITED)
    path = {
        S.INVITED: [],
        S.INFORMAL: [S.INFORMAL],
        S.DECLARED: [S.DECLARED],
        S.SUSPENDED: [S.INFORMAL, S.SUSPENDED],
        S.LEFT: [S.LEFT],
    }[source]
    for step in path:
        m.change_state(step, effective_on=date(2026, 2, 1), changed_by="c", now=NOW, **_needs(step))
    assert m.state == source
    before = (m.state, len(m.history))
    if (source, target) in ALLOWED:
        m.change_state(
            target, effective_on=date(2026, 3, 1), changed_by="c", now=NOW, **_needs(target)
        )
        assert m.state == target
        assert m.history[-1].previous_state == source
    else:
        with pytest.raises(InvalidInput) as error:
            m.change_state(
                target, effective_on=date(2026, 3, 1), changed_by="c", now=NOW, **_needs(target)
            )
        assert error.value.errors[0].field == "state"
        assert (m.state, len(m.history)) == before


def _needs(state: S) -> dict[str, str]:
    if state == S.DECLARED:
        return {"declaration_reference": "OPS.4012.1.2026"}
    if state in (S.SUSPENDED, S.LEFT):
        return {"reason": "powód"}
    return {}


def test_informal_participation_is_first_class():
    m = membership(S.INFORMAL)
    assert m.active
    m.change_state(
        S.DECLARED,
        effective_on=date(2026, 2, 1),
        changed_by="c",
        now=NOW,
        declaration_reference="D/1",
    )
    m.change_state(S.INFORMAL, effective_on=date(2026, 3, 1), changed_by="c", now=NOW)
    assert m.active
    assert [h.state for h in m.history] == [S.INFORMAL, S.DECLARED, S.INFORMAL]
    assert m.declaration_reference == "D/1"


def test_each_change_is_dated_and_recorded_as_an_event():
    m = membership()
    m.change_state(S.INFORMAL, effective_on=date(2026, 2, 1), changed_by="coord-a", now=NOW)
    assert [type(e) for e in m.events] == [ev.MembershipChanged, ev.MembershipChanged]
    assert m.history[-1].effective_on == date(2026, 2, 1)
    with pytest.raises(InvalidInput) as error:
        m.change_state(
            S.DECLARED,
            effective_on=date(2026, 1, 15),
            changed_by="c",
            now=NOW,
            declaration_reference="x",
        )
    assert error.value.errors[0].field == "effective_on"


def test_cannot_start_suspended():
    with pytest.raises(InvalidInput):
        membership(S.SUSPENDED)


def test_meeting_rules():
    with pytest.raises(InvalidInput) as error:
        model.Meeting.schedule(
            id=uuid.uuid4(),
            tenant="1219053",
            partnership_id=uuid.uuid4(),
            starts_at=NOW,
            ends_at=NOW - timedelta(hours=1),
            title="x",
        )
    assert {e.field for e in error.value.errors} == {"ends_at", "place"}
    meeting = model.Meeting.schedule(
        id=uuid.uuid4(),
        tenant="1219053",
        partnership_id=uuid.uuid4(),
        starts_at=NOW,
        title="x",
        online_url="https://meet.example.org/x",
    )
    member = uuid.uuid4()
    with pytest.raises(InvalidInput):
        meeting.record_held(
            held_at=NOW,
            attendance=[{"institution_id": str(uuid.uuid4())}],
            minutes=None,
            decisions=[],
            member_ids={member},
        )
    meeting.record_held(
        held_at=NOW,
        attendance=[{"institution_id": str(member)}],
        minutes="m",
        decisions=["d"],
        member_ids={member},
    )
    with pytest.raises(Conflict):
        meeting.cancel("za późno")


def test_host_rotates_to_who_hosted_least_then_longest_ago():
    a, b, c = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
    members = [(a, "Alfa"), (b, "Beta"), (c, "Gamma")]
    assert model.propose_host(members, {}) == a  # nobody hosted: by name
    hosted = {a: (2, NOW), b: (1, NOW - timedelta(days=10)), c: (1, NOW - timedelta(days=100))}
    assert model.propose_host(members, hosted) == c
    assert model.propose_host([], hosted) is None
