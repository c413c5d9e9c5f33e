"""What people are told about each kind of event: the kind (for preferences), the Polish title, the
link into the web front end, and who is concerned. Texts name no family: links carry ids only."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

from shared.contracts import EventData
from shared.contracts import basket as b
from shared.contracts import cases as c
from shared.contracts import partners as p

KINDS = ("referral", "consent", "meeting", "team", "case", "partnership", "basket", "reminder")
CHANNELS = ("in_app", "email")

Institutions = Callable[[EventData], list[uuid.UUID]]


def _none(_: EventData) -> list[uuid.UUID]:
    return []


@dataclass(frozen=True)
class NoticeRule:
    kind: str
    title: str
    link: Callable[[EventData], str]
    coordinators: bool = True
    # Institutions whose staff and contact persons are concerned (for case events, only those
    # the consent covers are told).
    institutions: Institutions = field(default=_none)
    # The case's own staff, known by subject from the case events (ADR 0034): its current case
    # manager, and its current team members (those of institutions the consent covers).
    case_manager: bool = False
    team: bool = False


def _case_link(d: EventData) -> str:
    return f"/sprawy/{getattr(d, 'case_id', '')}"


def _referral_link(d: EventData) -> str:
    assert isinstance(d, c.ReferralEvent)
    return f"/sprawy/{d.case_id}/skierowania/{d.referral_id}"


def _receiving(d: EventData) -> list[uuid.UUID]:
    assert isinstance(d, c.ReferralEvent)
    return [d.receiving_institution_id]


def _sending(d: EventData) -> list[uuid.UUID]:
    assert isinstance(d, c.ReferralEvent)
    return [d.sending_institution_id] if d.sending_institution_id else []


def _attr_ids(name: str) -> Institutions:
    def get(d: EventData) -> list[uuid.UUID]:
        value = getattr(d, name, None)
        if value is None:
            return []
        return list(value) if isinstance(value, list) else [value]

    return get


def _partnership_link(d: EventData) -> str:
    return f"/partnerstwa/{getattr(d, 'partnership_id', '')}"


def _offering_link(d: EventData) -> str:
    return f"/koszyk/{getattr(d, 'service_id', '')}"


RULES: dict[str, NoticeRule] = {
    c.ReferralRequested.event_type: NoticeRule(
        "referral", "Nowe skierowanie czeka na odpowiedź", _referral_link, True, _receiving
    ),
    c.ReferralAccepted.event_type: NoticeRule(
        "referral",
        "Skierowanie zostało przyjęte",
        _referral_link,
        True,
        _sending,
        case_manager=True,
    ),
    c.ReferralRejected.event_type: NoticeRule(
        "referral",
        "Skierowanie zostało odrzucone",
        _referral_link,
        True,
        _sending,
        case_manager=True,
    ),
    c.ReferralCancelled.event_type: NoticeRule(
        "referral", "Skierowanie zostało anulowane", _referral_link, True, _receiving
    ),
    c.ReferralCompleted.event_type: NoticeRule(
        "referral",
        "Usługa ze skierowania została zrealizowana",
        _referral_link,
        True,
        _sending,
        case_manager=True,
    ),
    c.ReferralFailed.event_type: NoticeRule(
        "referral",
        "Realizacja skierowania nie powiodła się",
        _referral_link,
        True,
        _sending,
        case_manager=True,
    ),
    # The receiving institution is told without the link (it may open the referral no more:
    # `intake.ends_their_share`); the case manager with it.
    c.ReferralWithdrawnConsent.event_type: NoticeRule(
        "referral",
        "Skierowanie zostało zakończone, bo zgoda rodziny przestała obowiązywać",
        _referral_link,
        False,
        _receiving,
        case_manager=True,
    ),
    c.ConsentWithdrawn.event_type: NoticeRule(
        "consent",
        "Rodzina wycofała zgodę na udostępnianie danych",
        _case_link,
        True,
        case_manager=True,
        team=True,
    ),
    c.FamilyConsented.event_type: NoticeRule(
        "consent", "Rodzina wyraziła zgodę na udostępnianie danych", _case_link, True
    ),
    c.CaseOpened.event_type: NoticeRule("case", "Założono nową sprawę", _case_link, True),
    c.CaseReassigned.event_type: NoticeRule(
        "case", "Przekazano Ci sprawę do prowadzenia", _case_link, False, case_manager=True
    ),
    c.MeetingScheduled.event_type: NoticeRule(
        "meeting",
        "Zaplanowano spotkanie zespołu",
        _case_link,
        True,
        _attr_ids("institution_ids"),
        team=True,
    ),
    c.TeamMemberJoined.event_type: NoticeRule(
        "team",
        "Twoja instytucja dołączyła do zespołu",
        _case_link,
        False,
        _attr_ids("institution_id"),
    ),
    p.MembershipChanged.event_type: NoticeRule(
        "partnership", "Zmiana członkostwa w partnerstwie", _partnership_link, True
    ),
    p.MeetingScheduled.event_type: NoticeRule(
        "meeting",
        "Zaplanowano spotkanie partnerstwa",
        _partnership_link,
        True,
        _attr_ids("host_institution_id"),
    ),
    b.ServiceSuspended.event_type: NoticeRule(
        "basket",
        "Usługa w koszyku została zawieszona",
        _offering_link,
        True,
        _attr_ids("institution_id"),
    ),
    b.ServiceWithdrawn.event_type: NoticeRule(
        "basket",
        "Usługa została wycofana z koszyka",
        _offering_link,
        True,
        _attr_ids("institution_id"),
    ),
}


# A member who left the team because the consent ended (ADR 0037): told, without a link (there
# is nothing they may open any more: `intake.ends_their_share`) and without the family's name.
ACCESS_ENDED = NoticeRule(
    "team",
    "Twój dostęp do sprawy zakończył się, bo zgoda rodziny przestała obowiązywać",
    _case_link,
    False,
    _attr_ids("institution_id"),
)


def rule_for(event_type: str, data: EventData) -> NoticeRule | None:
    if isinstance(data, c.TeamMemberLeft):
        return ACCESS_ENDED if data.reason_code == "consent_ended" else None
    if isinstance(data, p.CoordinatorsChanged):
        if not data.understaffed:
            return None
        return NoticeRule(
            "partnership", "Partnerstwo ma mniej niż dwóch koordynatorów", _partnership_link
        )
    return RULES.get(event_type)


def email_text(title: str, link: str | None, web_base_url: str) -> tuple[str, str]:
    """Subject and body of a single e-mail, in Polish."""
    body = f"Dzień dobry,\n\n{title}.\n"
    if link:
        body += f"\nSzczegóły: {web_base_url}{link}\n"
    body += (
        "\nWiadomość wysłana automatycznie przez platformę CUS."
        f"\nUstawienia powiadomień: {web_base_url}/powiadomienia/ustawienia\n"
    )
    return f"[CUS] {title}", body


def digest_text(items: list[tuple[str, str | None]], web_base_url: str) -> tuple[str, str]:
    lines = [f"- {title}" + (f": {web_base_url}{link}" if link else "") for title, link in items]
    body = (
        "Dzień dobry,\n\nOto podsumowanie powiadomień z ostatniej doby "
        f"({len(items)}):\n\n" + "\n".join(lines) + "\n\nWiadomość wysłana automatycznie przez "
        f"platformę CUS.\nUstawienia powiadomień: {web_base_url}/powiadomienia/ustawienia\n"
    )
    return f"[CUS] Dzienne podsumowanie: {len(items)} powiadomień", body
