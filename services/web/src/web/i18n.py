"""Languages of the pages: Polish first, English second. A message catalogue, Polish formats of
dates and numbers (babel's CLDR data) and Polish alphabetical order.

The catalogue is a Python dict rather than gettext files: a few hundred short strings, checked by
a test to have the same keys in both languages, and no compile step (ADR 0052). Texts that come
from the services (e.g. validation messages) arrive in Polish and are shown as they are.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from typing import Final
from zoneinfo import ZoneInfo

from babel.dates import format_date, format_datetime
from babel.numbers import format_decimal

from shared.contracts.partners import SECTOR_NAMES as _SECTOR_NAMES
from shared.contracts.partners import SECTORS as _SECTORS
from web.messages import basket as basket_messages
from web.messages import cases as cases_messages
from web.messages import evaluation as evaluation_messages
from web.messages import notifications as notifications_messages

LANGUAGES: Final = ("pl", "en")
DEFAULT_LANGUAGE: Final = "pl"
LOCALES: Final = {"pl": "pl_PL", "en": "en_GB"}
TIMEZONE: Final = ZoneInfo("Europe/Warsaw")

SECTORS: Final = _SECTORS  # defined once, in shared.contracts.partners
MEMBERSHIP_STATES: Final = ("invited", "informal", "declared", "suspended", "left")

MESSAGES: Final[dict[str, dict[str, str]]] = {
    "pl": {
        "app.name": "Platforma CUS",
        "app.tagline": "Model Kooperacji – regionalne Centrum Usług Społecznych",
        "skip": "Przejdź do treści",
        "nav.label": "Menu główne",
        "nav.home": "Start",
        "nav.registry": "Rejestr partnerów",
        "nav.partnership": "Partnerstwo",
        "nav.meetings": "Spotkania",
        "nav.cards": "Karty korzyści",
        "lang.switch": "English",
        "lang.switch.label": "Switch to English",
        "auth.login": "Zaloguj się",
        "auth.logout": "Wyloguj się",
        "auth.signed_in_as": "Zalogowano jako",
        "auth.signed_out": "Wylogowano. Do zobaczenia!",
        "auth.failed": "Logowanie nie powiodło się. Spróbuj ponownie.",
        "auth.expired": "Sesja wygasła. Zaloguj się ponownie.",
        "home.title": "Strona startowa",
        "home.public.lead": "Platforma partnerstw lokalnych: rejestr partnerów, spotkania, "
        "karty korzyści, a wkrótce Lokalny Koszyk Usług i zespoły kooperacyjne.",
        "home.public.login": "Pracownicy CUS, OPS/PCPR i instytucji partnerskich logują się "
        "kontem instytucjonalnym.",
        "home.hello": "Dzień dobry, {name}",
        "home.role": "Twoja rola",
        "home.no_partnership": "Twoja gmina nie ma jeszcze partnerstwa w rejestrze.",
        "home.partnership": "Partnerstwo",
        "home.members": "Członkowie według stanu",
        "home.coverage_gaps": "Brakujące zalecane sektory",
        "home.coverage_ok": "Partnerstwo obejmuje wszystkie zalecane sektory.",
        "home.upcoming": "Najbliższe spotkania",
        "home.no_meetings": "Brak zaplanowanych spotkań.",
        "home.coming": "Ta część platformy jest w przygotowaniu.",
        "home.links": "Na skróty",
        "role.coordinator": "koordynator sieci",
        "role.regional-admin": "administrator regionalny",
        "role.case-manager": "case manager",
        "role.partner-staff": "pracownik instytucji partnerskiej",
        "role.partner-editor": "redaktor instytucji partnerskiej",
        "role.director": "dyrektor",
        "role.analyst": "analityk",
        "registry.title": "Rejestr partnerów",
        "registry.search": "Szukaj po nazwie",
        "registry.sector": "Sektor",
        "registry.state": "Stan członkostwa",
        "registry.any": "dowolny",
        "registry.filter": "Filtruj",
        "registry.register": "Zarejestruj instytucję",
        "registry.count": "Znaleziono: {count}",
        "registry.empty": "Brak instytucji spełniających kryteria.",
        "registry.name": "Nazwa",
        "registry.city": "Miejscowość",
        "registry.no_membership": "poza partnerstwem",
        "paging.label": "Strony wyników",
        "paging.prev": "Poprzednia strona",
        "paging.next": "Następna strona",
        "paging.page": "Strona {page} z {pages}",
        "institution.title": "Instytucja",
        "institution.details": "Dane instytucji",
        "institution.legal_form": "Forma prawna",
        "institution.address": "Adres",
        "institution.email": "E-mail",
        "institution.phone": "Telefon",
        "institution.website": "Strona internetowa",
        "institution.description": "Opis",
        "institution.updated": "Ostatnia zmiana",
        "institution.membership": "Członkostwo w partnerstwie",
        "institution.since": "od",
        "institution.history": "Historia zmian",
        "institution.no_membership": "Instytucja nie należy do partnerstwa gminy.",
        "institution.invite": "Dodaj do partnerstwa",
        "institution.contacts": "Osoby do kontaktu",
        "institution.no_contacts": "Nie wyznaczono osób do kontaktu.",
        "institution.add_contact": "Wyznacz osobę do kontaktu",
        "institution.invitation": "Zaproszenie z kartą korzyści",
        "form.required": "wymagane",
        "form.optional": "opcjonalne",
        "form.save": "Zapisz",
        "form.errors": "Popraw błędy w formularzu",
        "form.saved": "Zapisano.",
        "field.name": "Nazwa",
        "field.sector": "Sektor",
        "field.legal_form": "Forma prawna",
        "field.regon": "REGON",
        "field.nip": "NIP",
        "field.krs": "Numer KRS",
        "field.street": "Ulica i numer",
        "field.postal_code": "Kod pocztowy",
        "field.city": "Miejscowość",
        "field.email": "E-mail",
        "field.phone": "Telefon",
        "field.website": "Strona internetowa",
        "field.description": "Opis",
        "field.position": "Stanowisko",
        "field.since": "Od dnia",
        "field.person_name": "Imię i nazwisko",
        "field.state": "Nowy stan",
        "field.effective_on": "Data zmiany",
        "field.reason": "Powód",
        "field.declaration_reference": "Sygnatura deklaracji",
        "field.declaration_date": "Data deklaracji",
        "field.title": "Temat",
        "field.starts_at": "Początek",
        "field.place": "Miejsce",
        "field.host_institution_id": "Gospodarz",
        "field.online_url": "Link do wideokonferencji",
        "field.agenda": "Porządek obrad (jeden punkt w wierszu)",
        "hint.regon": "9 lub 14 cyfr",
        "hint.nip": "10 cyfr",
        "hint.postal_code": "np. 32-020",
        "hint.starts_at": "Czas lokalny (Europa/Warszawa)",
        "hint.place": "Podaj miejsce albo link do wideokonferencji",
        "membership.change": "Zmień stan członkostwa",
        "membership.state": "Stan",
        "membership.changed_by": "Zmienił(a)",
        "partnership.title": "Partnerstwo",
        "partnership.leader": "Lider",
        "partnership.formal_act": "Akt formalny",
        "partnership.frequency": "Częstotliwość spotkań",
        "partnership.coordinators": "Koordynatorzy sieci",
        "partnership.no_coordinators": "Brak koordynatorów.",
        "partnership.coverage": "Pokrycie sektorów",
        "partnership.recommended": "Zalecany",
        "partnership.member_since": "Od",
        "partnership.add_coordinator": "Dodaj koordynatora sieci",
        "partnership.end_coordinator": "Zakończ pełnienie funkcji",
        "partnership.active_members": "Aktywni członkowie",
        "partnership.members": "Członkowie",
        "meetings.title": "Spotkania partnerstwa",
        "meetings.proposed_host": "Proponowany gospodarz następnego spotkania",
        "meetings.schedule": "Zaplanuj spotkanie",
        "meetings.status": "Status",
        "meetings.host": "Gospodarz",
        "meetings.empty": "Brak spotkań.",
        "meetings.when": "Termin",
        "meetings.default_host": "proponowany gospodarz",
        "meeting.scheduled": "zaplanowane",
        "meeting.held": "odbyte",
        "meeting.cancelled": "odwołane",
        "cards.title": "Karty korzyści",
        "cards.lead": "Dlaczego warto dołączyć do partnerstwa – karty z Załącznika 1 do Modelu "
        "Kooperacji, dla rodziny i dla każdego sektora.",
        "cards.includes": "Dotyczy",
        "cards.invitation": "Zaproszenie dla potencjalnego partnera",
        "cards.invitation.lead": "Przygotuj zaproszenie z kartą korzyści sektora instytucji.",
        "cards.invitation.html": "Otwórz zaproszenie (HTML)",
        "cards.invitation.pdf": "Pobierz zaproszenie (PDF)",
        "cards.institution_name": "Nazwa instytucji",
        "cards.prepare": "Przygotuj zaproszenie",
        "error.title": "Wystąpił błąd",
        "error.not_found": "Nie znaleziono strony.",
        "error.forbidden": "Nie masz uprawnień do tej strony.",
        "error.unavailable": "Usługa jest chwilowo niedostępna. Spróbuj za chwilę.",
        "error.unexpected": "Wystąpił nieoczekiwany błąd. Spróbuj ponownie za chwilę.",
        "error.bad_request": "Adres strony zawiera nieprawidłowe dane.",
        "error.csrf": "Formularz wygasł lub pochodzi z innej strony. Odśwież stronę i spróbuj "
        "ponownie.",
        "error.back": "Wróć do strony startowej",
        "yes": "tak",
        "no": "nie",
        "none": "brak",
        "footer": "Regionalne Centrum Usług Społecznych · deklaracja dostępności: WCAG 2.1 AA",
    },
    "en": {
        "app.name": "CUS Platform",
        "app.tagline": "Cooperation Model – regional Centre of Social Services",
        "skip": "Skip to content",
        "nav.label": "Main menu",
        "nav.home": "Home",
        "nav.registry": "Partner registry",
        "nav.partnership": "Partnership",
        "nav.meetings": "Meetings",
        "nav.cards": "Benefit cards",
        "lang.switch": "Polski",
        "lang.switch.label": "Przełącz na język polski",
        "auth.login": "Sign in",
        "auth.logout": "Sign out",
        "auth.signed_in_as": "Signed in as",
        "auth.signed_out": "You have signed out. See you!",
        "auth.failed": "Sign-in failed. Please try again.",
        "auth.expired": "Your session has expired. Please sign in again.",
        "home.title": "Home",
        "home.public.lead": "The platform of local partnerships: partner registry, meetings, "
        "benefit cards, and soon the Local Basket of Services and cooperation teams.",
        "home.public.login": "Staff of the CUS, welfare centres and partner institutions sign in "
        "with their institutional account.",
        "home.hello": "Hello, {name}",
        "home.role": "Your role",
        "home.no_partnership": "Your municipality has no partnership in the registry yet.",
        "home.partnership": "Partnership",
        "home.members": "Members by state",
        "home.coverage_gaps": "Recommended sectors not yet covered",
        "home.coverage_ok": "The partnership covers every recommended sector.",
        "home.upcoming": "Upcoming meetings",
        "home.no_meetings": "No meetings scheduled.",
        "home.coming": "This part of the platform is being prepared.",
        "home.links": "Shortcuts",
        "role.coordinator": "network coordinator",
        "role.regional-admin": "regional administrator",
        "role.case-manager": "case manager",
        "role.partner-staff": "partner institution staff",
        "role.partner-editor": "partner institution editor",
        "role.director": "director",
        "role.analyst": "analyst",
        "registry.title": "Partner registry",
        "registry.search": "Search by name",
        "registry.sector": "Sector",
        "registry.state": "Membership state",
        "registry.any": "any",
        "registry.filter": "Filter",
        "registry.register": "Register an institution",
        "registry.count": "Found: {count}",
        "registry.empty": "No institutions match.",
        "registry.name": "Name",
        "registry.city": "Town",
        "registry.no_membership": "not in the partnership",
        "paging.label": "Result pages",
        "paging.prev": "Previous page",
        "paging.next": "Next page",
        "paging.page": "Page {page} of {pages}",
        "institution.title": "Institution",
        "institution.details": "Details",
        "institution.legal_form": "Legal form",
        "institution.address": "Address",
        "institution.email": "E-mail",
        "institution.phone": "Phone",
        "institution.website": "Website",
        "institution.description": "Description",
        "institution.updated": "Last changed",
        "institution.membership": "Membership of the partnership",
        "institution.since": "since",
        "institution.history": "History of changes",
        "institution.no_membership": "The institution is not a member of the partnership.",
        "institution.invite": "Add to the partnership",
        "institution.contacts": "Contact persons",
        "institution.no_contacts": "No contact persons designated.",
        "institution.add_contact": "Designate a contact person",
        "institution.invitation": "Invitation with the benefit card",
        "form.required": "required",
        "form.optional": "optional",
        "form.save": "Save",
        "form.errors": "Please correct the errors in the form",
        "form.saved": "Saved.",
        "field.name": "Name",
        "field.sector": "Sector",
        "field.legal_form": "Legal form",
        "field.regon": "REGON",
        "field.nip": "NIP (tax number)",
        "field.krs": "KRS number",
        "field.street": "Street and number",
        "field.postal_code": "Postal code",
        "field.city": "Town",
        "field.email": "E-mail",
        "field.phone": "Phone",
        "field.website": "Website",
        "field.description": "Description",
        "field.position": "Position",
        "field.since": "Since",
        "field.person_name": "Full name",
        "field.state": "New state",
        "field.effective_on": "Effective on",
        "field.reason": "Reason",
        "field.declaration_reference": "Declaration reference",
        "field.declaration_date": "Declaration date",
        "field.title": "Title",
        "field.starts_at": "Starts at",
        "field.place": "Place",
        "field.host_institution_id": "Host",
        "field.online_url": "Videoconference link",
        "field.agenda": "Agenda (one item per line)",
        "hint.regon": "9 or 14 digits",
        "hint.nip": "10 digits",
        "hint.postal_code": "e.g. 32-020",
        "hint.starts_at": "Local time (Europe/Warsaw)",
        "hint.place": "Give a place or a videoconference link",
        "membership.change": "Change membership state",
        "membership.state": "State",
        "membership.changed_by": "Changed by",
        "partnership.title": "Partnership",
        "partnership.leader": "Leader",
        "partnership.formal_act": "Formal act",
        "partnership.frequency": "Meeting frequency",
        "partnership.coordinators": "Network coordinators",
        "partnership.no_coordinators": "No coordinators.",
        "partnership.coverage": "Sector coverage",
        "partnership.recommended": "Recommended",
        "partnership.member_since": "Since",
        "partnership.add_coordinator": "Add a network coordinator",
        "partnership.end_coordinator": "End the role",
        "partnership.active_members": "Active members",
        "partnership.members": "Members",
        "meetings.title": "Partnership meetings",
        "meetings.proposed_host": "Proposed host of the next meeting",
        "meetings.schedule": "Schedule a meeting",
        "meetings.status": "Status",
        "meetings.host": "Host",
        "meetings.empty": "No meetings.",
        "meetings.when": "When",
        "meetings.default_host": "the proposed host",
        "meeting.scheduled": "scheduled",
        "meeting.held": "held",
        "meeting.cancelled": "cancelled",
        "cards.title": "Benefit cards",
        "cards.lead": "Why joining the partnership pays off – the cards of Annex 1 to the "
        "Cooperation Model, for the family and for each sector.",
        "cards.includes": "Covers",
        "cards.invitation": "Invitation for a prospective partner",
        "cards.invitation.lead": "Prepare an invitation with the benefit card of the "
        "institution's sector.",
        "cards.invitation.html": "Open the invitation (HTML)",
        "cards.invitation.pdf": "Download the invitation (PDF)",
        "cards.institution_name": "Institution name",
        "cards.prepare": "Prepare the invitation",
        "error.title": "Something went wrong",
        "error.not_found": "Page not found.",
        "error.forbidden": "You may not see this page.",
        "error.unavailable": "The service is unavailable for a moment. Please try again shortly.",
        "error.unexpected": "Something unexpected went wrong. Please try again shortly.",
        "error.bad_request": "The page address contains invalid data.",
        "error.csrf": "The form has expired or came from another site. Reload the page and try "
        "again.",
        "error.back": "Back to the home page",
        "yes": "yes",
        "no": "no",
        "none": "none",
        "footer": "Regional Centre of Social Services · accessibility: WCAG 2.1 AA",
    },
}

SECTOR_NAMES: Final = _SECTOR_NAMES  # shared.contracts.partners

STATE_NAMES: Final = {
    "pl": {
        "invited": "zaproszona",
        "informal": "uczestnik nieformalny",
        "declared": "deklaracja przystąpienia",
        "suspended": "zawieszona",
        "left": "wystąpiła",
    },
    "en": {
        "invited": "invited",
        "informal": "informal participant",
        "declared": "declared",
        "suspended": "suspended",
        "left": "left",
    },
}

# Each area of the pages keeps its own catalogue in web/messages/<area>.py; one key, one owner.
AREA_CATALOGUES: Final = (
    basket_messages.MESSAGES,
    cases_messages.MESSAGES,
    notifications_messages.MESSAGES,
    evaluation_messages.MESSAGES,
)
for _area in AREA_CATALOGUES:
    for _language in LANGUAGES:
        _clash = MESSAGES[_language].keys() & _area[_language].keys()
        assert not _clash, f"message keys defined twice: {sorted(_clash)}"
        MESSAGES[_language].update(_area[_language])

# Polish alphabetical order: ą after a, ć after c, ..., ź and ż after z (PN-ISO/IEC 14651 in short).
_POLISH_ALPHABET = "aąbcćdeęfghijklłmnńoóprqsśtuvwxyzźż"
_ORDER = {ch: i for i, ch in enumerate(_POLISH_ALPHABET)}


def polish_sort_key(text: str) -> tuple[tuple[int, int | str], ...]:
    """Sort key for Polish text: letters in Polish order, case ignored, other characters after."""
    key: list[tuple[int, int | str]] = []
    for ch in text.casefold():
        if ch in _ORDER:
            key.append((0, _ORDER[ch]))
        elif ch.isdigit() or ch.isspace():
            key.append((-1, ch))
        else:
            key.append((1, ch))
    return tuple(key)


def pick_language(value: str | None) -> str | None:
    value = (value or "").strip().lower()
    return value if value in LANGUAGES else None


class Translator:
    """Everything a template needs to speak one language."""

    def __init__(self, language: str) -> None:
        self.language = language if language in LANGUAGES else DEFAULT_LANGUAGE
        self.locale = LOCALES[self.language]
        self._messages = MESSAGES[self.language]

    def __call__(self, key: str, **values: object) -> str:
        text = self._messages.get(key) or MESSAGES[DEFAULT_LANGUAGE].get(key) or key
        return text.format(**values) if values else text

    def sector(self, code: str | None) -> str:
        return SECTOR_NAMES[self.language].get(code or "", code or "")

    def state(self, code: str | None) -> str:
        return STATE_NAMES[self.language].get(code or "", code or "")

    def date(self, value: date | str | None) -> str:
        if value in (None, ""):
            return ""
        if isinstance(value, str):
            value = date.fromisoformat(value[:10])
        if isinstance(value, datetime):
            value = value.astimezone(TIMEZONE).date()
        return format_date(value, format="long", locale=self.locale)

    def datetime(self, value: datetime | str | None) -> str:
        if value in (None, ""):
            return ""
        if isinstance(value, str):
            value = datetime.fromisoformat(value)
        assert isinstance(value, datetime)
        return format_datetime(value, format="d MMMM y, HH:mm", tzinfo=TIMEZONE, locale=self.locale)

    def number(self, value: int | float | Decimal) -> str:
        return format_decimal(value, locale=self.locale)

    def sorted_by(self, items: list[dict[str, object]], key: str) -> list[dict[str, object]]:
        return sorted(items, key=lambda item: polish_sort_key(str(item.get(key) or "")))

    @property
    def other_language(self) -> str:
        return "en" if self.language == "pl" else "pl"

    def filters(self) -> dict[str, Callable[..., str]]:
        return {"date": self.date, "datetime": self.datetime, "number": self.number}
