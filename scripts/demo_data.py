"""The demo region (powiat wielicki) loaded through the services' public APIs, one loader per
service, so that a fresh platform shows realistic data to the people trying it.

Each loader, `load_<service>(base_url, token_for)`, gets the service's base URL and
`token_for(username) -> access token` (demo users of the realm, password `demo`), raises
AlreadyLoaded when the service already holds its data, and returns a summary of what it created
(keys -> ids), which `scripts/platform.py` keeps in `.run/demo-loaded-<service>` so that the next
run loads nothing twice. A loader is registered in LOADERS (in the order they run) with the URLs of
all running services, so a later one can look up what an earlier one created through that
service's API. Every call fails loudly with the response body on a non-2xx answer.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import httpx

from basket.demo import load_basket
from cases.demo import load_cases
from shared import clock

TokenFor = Callable[[str], str]
DemoSummary = dict[str, str]

# The demo tenants (TERYT codes) and who writes for each: the municipality's coordinator where
# the realm has one, otherwise the regional administrator (who names the tenant in the body).
TENANT_A = "1219053"  # Gmina Wieliczka
TENANT_B = "1219043"  # Gmina Niepołomice
TENANT_C = "1219032"  # Gmina Kłaj
DISTRICT_D = "1219"  # Powiat wielicki
REGION = (TENANT_A, TENANT_B, TENANT_C)
WRITER = {TENANT_A: "coord-a", TENANT_B: "coord-b", TENANT_C: "admin", DISTRICT_D: "admin"}

# partner-a's token carries this institution: the school must be registered with exactly this id.
PARTNER_A_SCHOOL_ID = "7a1c3e52-5d0b-4a53-9b1e-2f6d0c8a0001"

REALM_USERS = frozenset(
    {"coord-a", "coord-b", "manager-a", "manager-b", "partner-a", "director-a", "analyst", "admin"}
)


class DemoDataError(RuntimeError):
    """An API refused a demo request; the message carries the request and the response body."""


class AlreadyLoaded(Exception):
    """The service already holds the demo data (e.g. loaded by an earlier run)."""


# ---- identifiers with valid check digits -------------------------------------------------------

_REGON9_WEIGHTS = (8, 9, 2, 3, 4, 5, 6, 7)
_REGON14_WEIGHTS = (2, 4, 8, 5, 0, 9, 7, 3, 6, 1, 2, 4, 8)
_NIP_WEIGHTS = (6, 5, 7, 2, 3, 4, 5, 6, 7)


def _digits(seed: str, count: int) -> str:
    """`count` digits derived from `seed`: an institution always gets the same numbers."""
    value = int.from_bytes(hashlib.sha256(seed.encode()).digest()[:8], "big")
    return f"{value % 10**count:0{count}d}"


def regon9(seed: str) -> str:
    """A 9-digit REGON (an entity); Małopolska's numbers start with 35/36."""
    base = "35" + _digits(f"regon:{seed}", 6)
    check = sum(int(d) * w for d, w in zip(base, _REGON9_WEIGHTS, strict=True)) % 11 % 10
    return base + str(check)


def regon14(parent: str, unit: int) -> str:
    """A 14-digit REGON of a local unit (e.g. a police station) of the entity `parent`."""
    base = parent + f"{unit:04d}"
    check = sum(int(d) * w for d, w in zip(base, _REGON14_WEIGHTS, strict=True)) % 11 % 10
    return base + str(check)


def nip(seed: str, tax_office: str = "683") -> str:
    """A 10-digit NIP (683: Urząd Skarbowy w Wieliczce); a remainder of 10 is never issued."""
    for attempt in range(100):
        base = tax_office + _digits(f"nip:{seed}:{attempt}", 6)
        remainder = sum(int(d) * w for d, w in zip(base, _NIP_WEIGHTS, strict=True)) % 11
        if remainder != 10:
            return base + str(remainder)
    raise AssertionError("unreachable: a valid NIP is found within a few attempts")


def krs(seed: str) -> str:
    return f"{100000 + int(_digits(f'krs:{seed}', 6)) % 900000:010d}"


def subject_of(token: str) -> str:
    """The `sub` claim of a JWT (no verification: the token came straight from the issuer)."""
    payload = token.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    return str(claims["sub"])


# ---- a thin API client -----------------------------------------------------------------------


class Api:
    """JSON calls as a demo user; any non-2xx answer raises DemoDataError with the body."""

    def __init__(self, base_url: str, token_for: TokenFor) -> None:
        self._client = httpx.Client(base_url=base_url.rstrip("/"), timeout=30.0)
        self._token_for = token_for

    def close(self) -> None:
        self._client.close()

    def call(
        self, method: str, path: str, user: str, body: Mapping[str, Any] | None = None
    ) -> httpx.Response:
        response = self._client.request(
            method,
            path,
            json=body,
            headers={"Authorization": f"Bearer {self._token_for(user)}"},
        )
        if not response.is_success:
            sent = json.dumps(body, ensure_ascii=False, default=str) if body is not None else ""
            raise DemoDataError(
                f"{method} {path} as {user} -> HTTP {response.status_code}\n"
                f"request: {sent}\nresponse: {response.text}"
            )
        return response

    def post(self, path: str, user: str, body: Mapping[str, Any]) -> dict[str, Any]:
        result: dict[str, Any] = self.call("POST", path, user, body).json()
        return result

    def get(self, path: str, user: str) -> Any:
        return self.call("GET", path, user).json()

    def exists(self, path: str, user: str) -> bool:
        """True on 200, False on 404; anything else raises DemoDataError."""
        response = self._client.get(
            path, headers={"Authorization": f"Bearer {self._token_for(user)}"}
        )
        if response.status_code in (200, 404):
            return response.status_code == 200
        raise DemoDataError(f"GET {path} as {user} -> HTTP {response.status_code}: {response.text}")


def _warsaw() -> tzinfo:
    try:
        return ZoneInfo("Europe/Warsaw")
    except ZoneInfoNotFoundError:  # no tz database on the machine: winter time is close enough
        return timezone(timedelta(hours=1))


# ---- partners: the registry and the partnerships ---------------------------------------------


@dataclass(frozen=True)
class Inst:
    """A demo institution; `tenant` is the unit whose coordinator keeps the entry. `contacts` are
    "name; position; phone[; realm user]" (the work e-mail is made from the name)."""

    key: str
    tenant: str
    sector: str
    name: str
    legal_form: str
    address: str  # "street, 00-000 City"
    email: str
    phone: str
    served: tuple[str, ...] = ()
    website: str | None = None
    description: str | None = None
    has_krs: bool = False
    local_unit_of: str | None = None  # the key of the entity whose REGON it extends
    has_nip: bool = True
    contacts: tuple[str, ...] = ()
    fixed_id: str | None = None


@dataclass(frozen=True)
class Step:
    """One state of a membership, `days_ago` before today; the first step opens it."""

    state: str
    days_ago: int
    reason: str | None = None
    declaration: str | None = None


@dataclass(frozen=True)
class Partnership:
    tenant: str
    leader: str
    name: str
    municipality_name: str
    formal_act: tuple[str, str]  # kind, reference
    established_days_ago: int
    goals: str
    meeting_frequency: str
    members: dict[str, tuple[Step, ...]]  # institution key -> its membership's states
    coordinators: tuple[str, ...]  # "name; phone[; realm user]"


A, B, C, D = TENANT_A, TENANT_B, TENANT_C, DISTRICT_D
WIELICZKA, NIEPOLOMICE, KLAJ = "32-020 Wieliczka", "32-005 Niepołomice", "32-015 Kłaj"
BUDGET_UNIT = "jednostka budżetowa"
LTD = "spółka z ograniczoną odpowiedzialnością"

# fmt: off
INSTITUTIONS: tuple[Inst, ...] = (
    # --- Gmina Wieliczka (A)
    Inst("ops_a", A, "social_assistance", "Miejski Ośrodek Pomocy Społecznej w Wieliczce",
         BUDGET_UNIT, f"ul. Powstania Warszawskiego 1, {WIELICZKA}",
         "sekretariat.mops.wieliczka@example.org", "12 278 10 47",
         website="https://mops.wieliczka.example.org/",
         description="Lider partnerstwa gminy Wieliczka: pomoc społeczna, praca socjalna, "
         "asystentura rodziny, koordynacja zespołów kooperacyjnych.",
         contacts=("Anna Kowalska; koordynatorka sieci kooperacji; 12 278 10 52; coord-a",
                   "Katarzyna Wiśniewska; starsza pracownica socjalna; 12 278 10 55; manager-a",
                   "Tomasz Lewandowski; dyrektor MOPS; 12 278 10 40; director-a")),
    Inst("sp1_a", A, "education", "Szkoła Podstawowa nr 1 im. Jana Pawła II w Wieliczce",
         BUDGET_UNIT, f"ul. Słowackiego 6, {WIELICZKA}", "sp1.wieliczka@example.org",
         "12 278 22 13", website="https://sp1.wieliczka.example.org/",
         description="Szkoła podstawowa (klasy 1–8) z oddziałami integracyjnymi; pedagog i "
         "psycholog szkolny, świetlica do 17:30.",
         contacts=("Marta Nowak; pedagog szkolny; 12 278 22 15",
                   "Magdalena Zielińska; pedagog specjalny; 12 278 22 16; partner-a"),
         fixed_id=PARTNER_A_SCHOOL_ID),
    Inst("przychodnia_a", A, "health", "Przychodnia Rodzinna „Salus” w Wieliczce", LTD,
         f"ul. Dembowskiego 8, {WIELICZKA}", "rejestracja.salus@example.org", "12 289 30 00",
         description="Podstawowa opieka zdrowotna (NFZ): lekarze rodzinni, pediatra, położna "
         "środowiskowa, pielęgniarka szkolna.", has_krs=True,
         contacts=("Barbara Kaczmarek; położna środowiskowa; 12 289 30 07",)),
    Inst("fundacja_a", A, "ngo", "Fundacja „Dobry Start” na rzecz Dzieci i Rodzin", "fundacja",
         f"ul. Sienkiewicza 14, {WIELICZKA}", "biuro.dobrystart@example.org", "600 412 318",
         description="Poradnictwo rodzinne, grupy wsparcia dla rodziców, korepetycje "
         "wolontariuszy dla uczniów.", has_krs=True,
         contacts=("Joanna Pawlak; prezeska zarządu; 600 412 318",)),
    Inst("spoldzielnia_a", A, "social_economy", "Spółdzielnia Socjalna „Solna Kuchnia”",
         "spółdzielnia socjalna", f"ul. Klaśnieńska 5, {WIELICZKA}",
         "kontakt.solnakuchnia@example.org", "512 330 901",
         description="Catering i stołówka; miejsca pracy i staże dla osób w kryzysie.",
         has_krs=True, contacts=("Robert Górski; prezes spółdzielni; 512 330 901",)),
    Inst("cis_a", A, "social_economy", "Centrum Integracji Społecznej w Wieliczce", BUDGET_UNIT,
         f"ul. Reformacka 3, {WIELICZKA}", "cis.wieliczka@example.org", "12 278 44 20",
         description="Reintegracja społeczna i zawodowa: warsztaty, zatrudnienie socjalne.",
         contacts=("Elżbieta Wójcik; kierowniczka CIS; 12 278 44 21",)),
    Inst("pwd_a", A, "family_support", "Placówka Wsparcia Dziennego „Przystań” w Wieliczce",
         BUDGET_UNIT, f"ul. Asnyka 9, {WIELICZKA}", "przystan.wieliczka@example.org",
         "12 278 51 60", description="Świetlica opiekuńczo-wychowawcza dla dzieci 7–15 lat, "
         "pomoc w nauce, zajęcia socjoterapeutyczne.",
         contacts=("Agata Krawczyk; wychowawczyni; 12 278 51 61",)),
    Inst("firma_a", A, "business", "Zakład Usług Remontowych „Solny Gród” Sp. z o.o.", LTD,
         f"ul. Krakowska 41, {WIELICZKA}", "biuro.solnygrod@example.org", "12 288 17 70",
         description="Lokalna firma budowlana: praktyki zawodowe i zatrudnienie wspomagane "
         "dla osób wracających na rynek pracy.", has_krs=True,
         contacts=("Marek Jabłoński; kierownik kadr; 12 288 17 72",)),
    Inst("umig_a", A, "local_government", "Urząd Miasta i Gminy Wieliczka", BUDGET_UNIT,
         f"Rynek Górny 1, {WIELICZKA}", "umig.wieliczka@example.org", "12 278 32 44",
         website="https://wieliczka.example.org/",
         description="Wydział Edukacji, Zdrowia i Spraw Społecznych; gminna komisja "
         "rozwiązywania problemów alkoholowych.",
         contacts=("Paweł Dudek; naczelnik Wydziału Spraw Społecznych; 12 278 32 60",)),
    # --- Gmina Niepołomice (B)
    Inst("ops_b", B, "social_assistance",
         "Miejsko-Gminny Ośrodek Pomocy Społecznej w Niepołomicach", BUDGET_UNIT,
         f"ul. Bocheńska 26, {NIEPOLOMICE}", "mgops.niepolomice@example.org", "12 281 13 50",
         description="Lider partnerstwa gminy Niepołomice.",
         contacts=("Bartosz Nowak; koordynator sieci kooperacji; 12 281 13 58; coord-b",
                   "Piotr Wójcik; pracownik socjalny; 12 281 13 54; manager-b")),
    Inst("sp1_b", B, "education",
         "Szkoła Podstawowa nr 1 im. Tadeusza Kościuszki w Niepołomicach", BUDGET_UNIT,
         f"ul. Szkolna 2, {NIEPOLOMICE}", "sp1.niepolomice@example.org", "12 281 10 52",
         contacts=("Ewelina Sikora; psycholog szkolny; 12 281 10 59",)),
    Inst("kp_b", B, "police", "Komisariat Policji w Niepołomicach",
         "jednostka organizacyjna Policji", f"ul. Kościuszki 7, {NIEPOLOMICE}",
         "kp.niepolomice@example.org", "47 832 87 20", local_unit_of="kpp_d", has_nip=False,
         contacts=("asp. szt. Krzysztof Mazur; dzielnicowy; 47 832 87 25",)),
    Inst("przychodnia_b", B, "health", "Niepołomickie Centrum Medyczne", LTD,
         f"ul. Bocheńska 28, {NIEPOLOMICE}", "rejestracja.ncm@example.org", "12 281 40 40",
         has_krs=True),
    Inst("stowarzyszenie_b", B, "ngo", "Stowarzyszenie „Razem dla Niepołomic”", "stowarzyszenie",
         f"ul. Zamkowa 2, {NIEPOLOMICE}", "razem.niepolomice@example.org", "604 118 272",
         description="Wolontariat sąsiedzki, klub seniora, pomoc w opiece wytchnieniowej.",
         has_krs=True, contacts=("Irena Wróbel; prezeska stowarzyszenia; 604 118 272",)),
    Inst("wtz_b", B, "social_economy", "Warsztat Terapii Zajęciowej w Niepołomicach",
         "jednostka organizacyjna stowarzyszenia", f"ul. Wimmera 4, {NIEPOLOMICE}",
         "wtz.niepolomice@example.org", "12 281 25 33",
         contacts=("Sylwia Lis; kierowniczka warsztatu; 12 281 25 33",)),
    Inst("firma_b", B, "business", "Niepołomickie Zakłady Opakowań Sp. z o.o.", LTD,
         f"ul. Grabska 11, {NIEPOLOMICE}", "kadry.nzo@example.org", "12 281 90 00",
         has_krs=True),
    Inst("umig_b", B, "local_government", "Urząd Miasta i Gminy Niepołomice", BUDGET_UNIT,
         f"Plac Zwycięstwa 13, {NIEPOLOMICE}", "umig.niepolomice@example.org", "12 250 95 00",
         contacts=("Adam Kozieł; pełnomocnik ds. polityki społecznej; 12 250 95 21",)),
    # --- Gmina Kłaj (C)
    Inst("ops_c", C, "social_assistance", "Gminny Ośrodek Pomocy Społecznej w Kłaju",
         BUDGET_UNIT, f"Kłaj 655, {KLAJ}", "gops.klaj@example.org", "12 284 11 82",
         description="Lider partnerstwa gminy Kłaj.",
         contacts=("Renata Kurek; kierowniczka GOPS; 12 284 11 82",)),
    Inst("sp_c", C, "education", "Szkoła Podstawowa im. Marii Konopnickiej w Kłaju",
         BUDGET_UNIT, f"Kłaj 2, {KLAJ}", "sp.klaj@example.org", "12 284 10 35",
         contacts=("Dorota Baran; pedagog szkolny; 12 284 10 36",)),
    Inst("oz_c", C, "health", "Ośrodek Zdrowia w Kłaju",
         "samodzielny publiczny zakład opieki zdrowotnej", f"Kłaj 649, {KLAJ}",
         "oz.klaj@example.org", "12 284 10 62"),
    Inst("kgw_c", C, "ngo", "Koło Gospodyń Wiejskich w Kłaju", "koło gospodyń wiejskich",
         f"Kłaj 598, {KLAJ}", "kgw.klaj@example.org", "692 301 744", has_krs=True,
         has_nip=False),
    Inst("ug_c", C, "local_government", "Urząd Gminy Kłaj", BUDGET_UNIT, f"Kłaj 655, {KLAJ}",
         "ug.klaj@example.org", "12 284 11 00",
         contacts=("Łukasz Pietrzak; sekretarz gminy; 12 284 11 05",)),
    # --- Powiat wielicki (D): district units serving all three municipalities
    Inst("pcpr_d", D, "family_support", "Powiatowe Centrum Pomocy Rodzinie w Wieliczce",
         BUDGET_UNIT, f"ul. Szpitalna 1, {WIELICZKA}", "pcpr.wieliczka@example.org",
         "12 278 39 20", served=REGION,
         description="Piecza zastępcza, interwencja kryzysowa, poradnictwo rodzinne; lider "
         "partnerstwa powiatu.",
         contacts=("Agnieszka Sowa; koordynatorka pieczy zastępczej; 12 278 39 25",)),
    Inst("ppp_d", D, "education", "Poradnia Psychologiczno-Pedagogiczna w Wieliczce",
         BUDGET_UNIT, f"ul. Szpitalna 1, {WIELICZKA}", "ppp.wieliczka@example.org",
         "12 278 32 02", served=REGION, contacts=("Monika Czarnecka; psycholog; 12 278 32 05",)),
    Inst("sad_d", D, "justice", "Sąd Rejonowy w Wieliczce – I Zespół Kuratorskiej Służby Sądowej",
         "jednostka organizacyjna Skarbu Państwa", f"ul. Kościuszki 2, {WIELICZKA}",
         "kuratorzy.sr.wieliczka@example.org", "12 399 50 30", served=REGION,
         contacts=("Grzegorz Pająk; kierownik zespołu kuratorów rodzinnych; 12 399 50 33",)),
    Inst("kpp_d", D, "police", "Komenda Powiatowa Policji w Wieliczce",
         "jednostka organizacyjna Policji", f"ul. Asnyka 10, {WIELICZKA}",
         "kpp.wieliczka@example.org", "47 832 86 00", served=REGION,
         contacts=("podkom. Tomasz Zając; Zespół ds. Nieletnich i Patologii; 47 832 86 40",)),
    Inst("pup_d", D, "labour_market", "Powiatowy Urząd Pracy w Wieliczce", BUDGET_UNIT,
         f"ul. Dembowskiego 2, {WIELICZKA}", "pup.wieliczka@example.org", "12 278 29 75",
         served=REGION, contacts=("Beata Michalska; doradczyni zawodowa; 12 278 29 80",)),
    Inst("ohp_d", D, "labour_market", "Młodzieżowe Centrum Kariery OHP w Wieliczce",
         "państwowa jednostka budżetowa", f"ul. Dembowskiego 2, {WIELICZKA}",
         "mck.wieliczka@example.org", "12 278 60 14", served=REGION),
)


def _invited(days_ago: int) -> Step:
    return Step("invited", days_ago)


def _informal(days_ago: int) -> Step:
    return Step("informal", days_ago)


def _declared(reference: str, days_ago: int) -> Step:
    return Step("declared", days_ago, declaration=reference)


def _suspended(days_ago: int, reason: str) -> Step:
    return Step("suspended", days_ago, reason=reason)


def _left(days_ago: int, reason: str) -> Step:
    return Step("left", days_ago, reason=reason)


PARTNERSHIPS: tuple[Partnership, ...] = (
    Partnership(
        A, "ops_a", "Partnerstwo na rzecz Rodzin Gminy Wieliczka", "Wieliczka",
        ("uchwała rady miejskiej", "XIV/187/2026"), 310,
        "Wspólne wsparcie rodzin z dziećmi w kryzysie; aktualny Lokalny Koszyk Usług; "
        "zespoły kooperacyjne wokół rodzin.",
        "raz na kwartał",
        {
            "umig_a": (_declared("OPS.4012.1.2026", 305),),
            "cis_a": (_declared("OPS.4012.2.2026", 300),
                      _left(45, "Zakończenie projektu, z którego finansowano udział CIS "
                            "w partnerstwie")),
            "sp1_a": (_invited(280), _informal(250), _declared("OPS.4012.3.2026", 200)),
            "ppp_d": (_declared("OPS.4012.4.2026", 240),),
            "sad_d": (_declared("OPS.4012.5.2026", 230),),
            "pup_d": (_declared("OPS.4012.6.2026", 225),),
            "pcpr_d": (_declared("OPS.4012.7.2026", 225),),
            "kpp_d": (_informal(260), _declared("OPS.4012.9.2026", 120)),
            "przychodnia_a": (_informal(220),),
            "fundacja_a": (_invited(190), _informal(160)),
            "spoldzielnia_a": (_informal(210),
                               _suspended(25, "Spółdzielnia zawiesiła działalność na czas "
                                          "przeniesienia kuchni do nowej siedziby")),
            "firma_a": (_invited(40), _informal(18)),
            "ohp_d": (_invited(30),),
            "pwd_a": (_invited(12),),
        },
        ("Anna Kowalska; 12 278 10 52; coord-a", "Ewa Mazur; 12 278 10 53"),
    ),
    Partnership(
        B, "ops_b", "Niepołomickie Partnerstwo Kooperacyjne", "Niepołomice",
        ("porozumienie partnerskie", "MGOPS.032.1.2026"), 260,
        "Skoordynowana pomoc rodzinom i osobom starszym; wspólne dyżury specjalistów.",
        "co dwa miesiące",
        {
            "umig_b": (_declared("MGOPS.4012.1.2026", 255),),
            "sp1_b": (_declared("MGOPS.4012.2.2026", 240),),
            "stowarzyszenie_b": (_declared("MGOPS.4012.3.2026", 230),
                                 _suspended(20, "Zmiana zarządu stowarzyszenia – udział "
                                            "wstrzymany do wyboru nowych władz")),
            "kp_b": (_informal(200),),
            "sad_d": (_declared("MGOPS.4012.4.2026", 190),),
            "pcpr_d": (_declared("MGOPS.4012.5.2026", 190),),
            "firma_b": (_informal(180),
                        _left(60, "Przeniesienie zakładu poza gminę Niepołomice")),
            "pup_d": (_informal(170),),
            "wtz_b": (_informal(150),),
            "przychodnia_b": (_invited(35),),
            "ppp_d": (_invited(15),),
        },
        # Only one network coordinator: the partnership shows the "fewer than two" warning.
        ("Bartosz Nowak; 12 281 13 58; coord-b",),
    ),
    Partnership(
        C, "ops_c", "Partnerstwo Lokalne Gminy Kłaj", "Kłaj",
        ("zarządzenie wójta gminy", "0050.42.2026"), 150,
        "Wsparcie rodzin na terenach wiejskich; dojazd usług do mieszkańców.",
        "raz na kwartał",
        {
            "ug_c": (_declared("GOPS.4012.1.2026", 148),),
            "sp_c": (_declared("GOPS.4012.2.2026", 140),),
            "oz_c": (_informal(120),),
            "pcpr_d": (_informal(100),),
            "kpp_d": (_invited(50),),
            "kgw_c": (_invited(20),),
        },
        ("Renata Kurek; 12 284 11 82", "Łukasz Pietrzak; 12 284 11 05"),
    ),
    Partnership(
        D, "pcpr_d", "Partnerstwo Powiatu Wielickiego na rzecz Rodziny i Pieczy Zastępczej",
        "Powiat wielicki", ("uchwała zarządu powiatu", "112/2026"), 200,
        "Spójne wsparcie rodzin zastępczych i usamodzielnianych wychowanków w całym powiecie.",
        "dwa razy w roku",
        {
            "pup_d": (_declared("PCPR.4012.1.2026", 190),),
            "ppp_d": (_declared("PCPR.4012.2.2026", 190),),
            "sad_d": (_informal(150),),
            "kpp_d": (_declared("PCPR.4012.3.2026", 140),),
            "ohp_d": (_invited(25),),
        },
        ("Agnieszka Sowa; 12 278 39 25", "Jolanta Rogalska; 12 278 39 26"),
    ),
)
# fmt: on

_ASCII = str.maketrans("ąćęłńóśźżĄĆĘŁŃÓŚŹŻ", "acelnoszzACELNOSZZ")


def work_email(name: str) -> str:
    """first.last@example.org from a person's name (ranks such as "asp. szt." are dropped)."""
    first, last = name.split()[-2:]
    return f"{first}.{last}@example.org".lower().translate(_ASCII)


def _institution_body(inst: Inst) -> dict[str, Any]:
    street, postal = inst.address.rsplit(", ", 1)
    postal_code, city = postal.split(" ", 1)
    body: dict[str, Any] = {
        "name": inst.name,
        "sector": inst.sector,
        "tenant": inst.tenant,
        "tenants_served": list(inst.served),
        "legal_form": inst.legal_form,
        "regon": regon14(regon9(inst.local_unit_of), 1) if inst.local_unit_of else regon9(inst.key),
        "street": street,
        "postal_code": postal_code,
        "city": city,
        "email": inst.email,
        "phone": inst.phone,
    }
    if inst.has_nip:
        body["nip"] = nip(inst.key)
    if inst.has_krs:
        body["krs"] = krs(inst.key)
    if inst.website:
        body["website"] = inst.website
    if inst.description:
        body["description"] = inst.description
    if inst.fixed_id:
        body["id"] = inst.fixed_id
    return body


def _person(spec: str, token_for: TokenFor) -> dict[str, Any]:
    """A contact person or coordinator from "name; [position;] phone[; realm user]"."""
    name, *rest = (part.strip() for part in spec.split(";"))
    body: dict[str, Any] = {"name": name, "email": work_email(name)}
    if rest and rest[-1] in REALM_USERS:
        body["user_id"] = subject_of(token_for(rest.pop()))
    body["phone"] = rest.pop()
    if rest:
        body["position"] = rest.pop()
    return body


def _meeting_at(days_from_today: int, hour: int) -> str:
    day = clock.today() + timedelta(days=days_from_today)
    return datetime.combine(day, time(hour, 0), tzinfo=_warsaw()).isoformat()


def _next_week(weekday: int) -> int:
    """Days from today to the given weekday (0 = Monday) of next week."""
    today = clock.today()
    return 7 - today.weekday() + weekday


def load_partners(base_url: str, token_for: TokenFor) -> DemoSummary:
    """Register the region's institutions, partnerships, memberships in every state, contact
    persons, network coordinators and meetings. Raises AlreadyLoaded if partner-a's school exists.
    """
    api = Api(base_url, token_for)
    try:
        if api.exists(f"/v1/institutions/{PARTNER_A_SCHOOL_ID}", "admin"):
            raise AlreadyLoaded("partner-a's school is already registered")
        ids = _register_institutions(api, token_for)
        summary = {f"institution:{key}": value for key, value in ids.items()}
        for partnership in PARTNERSHIPS:
            summary.update(_establish(api, partnership, ids, token_for))
        summary.update(_meetings(api, ids, summary))
        return summary
    finally:
        api.close()


def _register_institutions(api: Api, token_for: TokenFor) -> dict[str, str]:
    ids: dict[str, str] = {}
    # The school with the fixed id goes first: its presence is what marks the data as loaded.
    for inst in sorted(INSTITUTIONS, key=lambda i: i.fixed_id is None):
        writer = WRITER[inst.tenant]
        new_id = str(api.post("/v1/institutions", writer, _institution_body(inst))["id"])
        if inst.fixed_id and new_id != inst.fixed_id:
            raise DemoDataError(
                f"the partners API gave {inst.name!r} the id {new_id} instead of {inst.fixed_id} "
                "(the institution in partner-a's token): POST /v1/institutions must honour `id`"
            )
        ids[inst.key] = new_id
        for spec in inst.contacts:
            api.post(f"/v1/institutions/{new_id}/contact-persons", writer, _person(spec, token_for))
    return ids


def _establish(
    api: Api, p: Partnership, ids: Mapping[str, str], token_for: TokenFor
) -> DemoSummary:
    writer = WRITER[p.tenant]
    today = clock.today()
    established = today - timedelta(days=p.established_days_ago)
    partnership_id = str(
        api.post(
            "/v1/partnerships",
            writer,
            {
                "tenant": p.tenant,
                "name": p.name,
                "municipality_name": p.municipality_name,
                "leader_institution_id": ids[p.leader],
                "goals": p.goals,
                "principles": "Dobrowolność udziału, równorzędność partnerów, decyzje dotyczące "
                "rodziny tylko za jej zgodą, jawność działań.",
                "meeting_frequency": p.meeting_frequency,
                "formal_act_kind": p.formal_act[0],
                "formal_act_reference": p.formal_act[1],
                "formal_act_date": (established - timedelta(days=14)).isoformat(),
                "established_on": established.isoformat(),
            },
        )["id"]
    )
    summary = {f"partnership:{p.tenant}": partnership_id}
    for key, (first, *later) in p.members.items():
        body = {"partnership_id": partnership_id, "institution_id": ids[key]}
        membership_id = str(
            api.post("/v1/memberships", writer, body | _step_body(first, today))["id"]
        )
        summary[f"membership:{p.tenant}:{key}"] = membership_id
        for step in later:
            api.post(
                f"/v1/memberships/{membership_id}/transitions", writer, _step_body(step, today)
            )
    for spec in p.coordinators:
        coordinator = _person(spec, token_for) | {
            "institution_id": ids[p.leader],
            "since": established.isoformat(),
        }
        api.post(f"/v1/partnerships/{partnership_id}/coordinators", writer, coordinator)
    return summary


def _step_body(step: Step, today: date) -> dict[str, Any]:
    body: dict[str, Any] = {
        "state": step.state,
        "effective_on": (today - timedelta(days=step.days_ago)).isoformat(),
    }
    if step.reason:
        body["reason"] = step.reason
    if step.declaration:
        body["declaration_reference"] = step.declaration
    return body


def _meetings(api: Api, ids: Mapping[str, str], partnerships: DemoSummary) -> DemoSummary:
    """Partnership A: a held meeting with attendance, minutes and decisions, and one next week;
    B: a held one and an online consultation next week (host proposed by rotation)."""
    next_year = clock.today().year + 1
    a, b = partnerships[f"partnership:{TENANT_A}"], partnerships[f"partnership:{TENANT_B}"]
    held_a = api.post(
        "/v1/meetings",
        "coord-a",
        {
            "partnership_id": a,
            "title": "Spotkanie partnerstwa – przegląd koszyka usług",
            "starts_at": _meeting_at(-16, 10),
            "ends_at": _meeting_at(-16, 12),
            "place": "Sala konferencyjna MOPS, ul. Powstania Warszawskiego 1, Wieliczka",
            "host_institution_id": ids["ops_a"],
            "chair_institution_id": ids["ops_a"],
            "chair_name": "Anna Kowalska",
            "agenda": [
                "Przegląd Lokalnego Koszyka Usług – nowe i nieaktualne wpisy",
                "Zespoły kooperacyjne: zasady zapraszania partnerów i zgody rodzin",
                f"Harmonogram spotkań na {next_year} r.",
                "Wolne wnioski",
            ],
        },
    )["id"]
    attendance_a = [
        ("ops_a", "Anna Kowalska"),
        ("sp1_a", "Marta Nowak"),
        ("kpp_d", "podkom. Tomasz Zając"),
        ("pup_d", "Beata Michalska"),
        ("fundacja_a", "Joanna Pawlak"),
        ("sad_d", "Grzegorz Pająk"),
        ("umig_a", "Paweł Dudek"),
    ]
    api.post(
        f"/v1/meetings/{held_a}/held",
        "coord-a",
        {
            "held_at": _meeting_at(-16, 10),
            "attendance": [{"institution_id": ids[k], "person_name": n} for k, n in attendance_a],
            "minutes": "Spotkanie otworzyła koordynatorka sieci, Anna Kowalska. Partnerzy "
            "omówili stan Lokalnego Koszyka Usług: 6 wpisów wymaga weryfikacji, 3 nowe usługi "
            "zgłosiła Fundacja „Dobry Start”. Przedstawiciel KPP przedstawił zasady udziału "
            "dzielnicowych w zespołach kooperacyjnych. PUP zaproponował wspólne dyżury doradcy "
            "zawodowego w MOPS raz w miesiącu. Kolejne spotkanie odbędzie się w Szkole "
            "Podstawowej nr 1.",
            "decisions": [
                "Każdy partner zweryfikuje swoje wpisy w Lokalnym Koszyku Usług w ciągu miesiąca.",
                f"Od stycznia {next_year} r. doradca zawodowy PUP dyżuruje w MOPS w pierwszy "
                "wtorek miesiąca.",
                "Powołuje się zespół roboczy ds. przeciwdziałania przemocy w rodzinie (MOPS, KPP, "
                "SP nr 1, kuratorzy Sądu Rejonowego).",
            ],
        },
    )
    tuesday = _next_week(1)
    upcoming_a = api.post(
        "/v1/meetings",
        "coord-a",
        {
            "partnership_id": a,
            "title": f"Spotkanie partnerstwa – plan pracy na {next_year} r.",
            "starts_at": _meeting_at(tuesday, 10),
            "ends_at": _meeting_at(tuesday, 12),
            "place": "Szkoła Podstawowa nr 1, ul. Słowackiego 6, Wieliczka – biblioteka szkolna",
            "host_institution_id": ids["sp1_a"],
            "chair_institution_id": ids["sp1_a"],
            "chair_name": "Marta Nowak",
            "agenda": [
                f"Plan pracy partnerstwa na {next_year} r.",
                "Ferie zimowe: zajęcia dla dzieci w koszyku usług",
                "Informacja zespołu roboczego ds. przeciwdziałania przemocy",
            ],
        },
    )["id"]
    held_b = api.post(
        "/v1/meetings",
        "coord-b",
        {
            "partnership_id": b,
            "title": "Spotkanie partnerstwa – wsparcie seniorów",
            "starts_at": _meeting_at(-35, 9),
            "place": "Urząd Miasta i Gminy Niepołomice, Plac Zwycięstwa 13, sala nr 1",
            "host_institution_id": ids["umig_b"],
            "agenda": ["Sytuacja seniorów w gminie", "Wolne wnioski"],
        },
    )["id"]
    attendance_b = [
        ("ops_b", "Bartosz Nowak"),
        ("umig_b", "Adam Kozieł"),
        ("sp1_b", "Ewelina Sikora"),
        ("wtz_b", "Sylwia Lis"),
    ]
    api.post(
        f"/v1/meetings/{held_b}/held",
        "coord-b",
        {
            "held_at": _meeting_at(-35, 9),
            "attendance": [{"institution_id": ids[k], "person_name": n} for k, n in attendance_b],
            "minutes": "Omówiono potrzeby seniorów mieszkających samotnie; Stowarzyszenie "
            "„Razem dla Niepołomic” zgłosiło potrzebę wolontariuszy.",
            "decisions": ["MGOPS przygotuje mapę usług dla seniorów w ciągu dwóch miesięcy."],
        },
    )
    upcoming_b = api.post(
        "/v1/meetings",
        "coord-b",
        {
            "partnership_id": b,
            "title": "Konsultacja partnerów – opieka wytchnieniowa",
            "starts_at": _meeting_at(_next_week(3), 13),
            "online_url": "https://spotkania.example.org/niepolomice-partnerstwo",
            "agenda": ["Opieka wytchnieniowa – kto może ją zapewnić?"],
        },
    )["id"]
    return {
        "meeting:held:A": str(held_a),
        "meeting:scheduled:A": str(upcoming_a),
        "meeting:held:B": str(held_b),
        "meeting:scheduled:B": str(upcoming_b),
    }


# ---- the registry of loaders, in the order they run ---------------------------------------------

Loader = Callable[[Mapping[str, str], TokenFor], DemoSummary]


def _load_basket(urls: Mapping[str, str], token_for: TokenFor) -> DemoSummary:
    return {f"offering:{title}": id for title, id in load_basket(urls["basket"], token_for).items()}


def _load_cases(urls: Mapping[str, str], token_for: TokenFor) -> DemoSummary:
    return {f"case:{n}": id for n, id in enumerate(load_cases(urls["cases"], token_for), 1)}


LOADERS: dict[str, Loader] = {
    "partners": lambda urls, token_for: load_partners(urls["partners"], token_for),
    # The basket's and the cases' loaders wait for the partners events to reach their read models.
    "basket": _load_basket,
    "cases": _load_cases,
}
"""service name -> loader(urls of running services, token_for); run when the service exists."""
