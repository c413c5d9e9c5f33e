"""The demo region (powiat wielicki) loaded through the services' public APIs, one loader per
service, so that a fresh platform shows realistic data to the people trying it.

Each loader takes the service's base URL and `token_for(username) -> access token` (demo users of
the realm, password `demo`) and returns a small summary of what it created (keys -> ids), which
`scripts/platform.py` keeps in `.run/demo-loaded-<service>` so the next run does not load twice.
Every call fails loudly with the response body on a non-2xx answer.
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
class Contact:
    name: str
    position: str
    email: str
    phone: str | None = None
    user: str | None = None  # a realm user this person signs in as


@dataclass(frozen=True)
class Coordinator:
    name: str
    email: str
    phone: str | None = None
    user: str | None = None


@dataclass(frozen=True)
class Inst:
    """A demo institution; `tenant` is the unit whose coordinator keeps the entry."""

    key: str
    tenant: str
    name: str
    sector: str
    legal_form: str
    street: str
    postal_code: str
    city: str
    email: str
    phone: str
    served: tuple[str, ...] = ()
    website: str | None = None
    description: str | None = None
    has_krs: bool = False
    local_unit_of: str | None = None  # the key of the entity whose REGON it extends
    no_nip: bool = False
    contacts: tuple[Contact, ...] = ()
    fixed_id: str | None = None


@dataclass(frozen=True)
class Step:
    """One state of a membership, `days_ago` before today; the first step opens it."""

    state: str
    days_ago: int
    reason: str | None = None
    declaration: str | None = None


@dataclass(frozen=True)
class Member:
    key: str
    steps: tuple[Step, ...]


@dataclass(frozen=True)
class Partnership:
    tenant: str
    leader: str
    name: str
    municipality_name: str
    formal_act_kind: str
    formal_act_reference: str
    established_days_ago: int
    goals: str
    meeting_frequency: str
    members: tuple[Member, ...]
    coordinators: tuple[Coordinator, ...] = ()


def _wieliczka(street: str) -> dict[str, str]:
    return {"street": street, "postal_code": "32-020", "city": "Wieliczka"}


INSTITUTIONS: tuple[Inst, ...] = (
    # --- Gmina Wieliczka (A)
    Inst(
        "ops_a",
        TENANT_A,
        "Miejski Ośrodek Pomocy Społecznej w Wieliczce",
        "social_assistance",
        "jednostka budżetowa",
        "ul. Powstania Warszawskiego 1",
        "32-020",
        "Wieliczka",
        "sekretariat.mops.wieliczka@example.org",
        "12 278 10 47",
        website="https://mops.wieliczka.example.org/",
        description="Lider partnerstwa gminy Wieliczka: pomoc społeczna, praca socjalna, "
        "asystentura rodziny, koordynacja zespołów kooperacyjnych.",
        contacts=(
            Contact(
                "Anna Kowalska",
                "koordynatorka sieci kooperacji",
                "anna.kowalska@example.org",
                "12 278 10 52",
                user="coord-a",
            ),
            Contact(
                "Katarzyna Wiśniewska",
                "starsza pracownica socjalna",
                "katarzyna.wisniewska@example.org",
                "12 278 10 55",
                user="manager-a",
            ),
            Contact(
                "Tomasz Lewandowski",
                "dyrektor MOPS",
                "tomasz.lewandowski@example.org",
                "12 278 10 40",
                user="director-a",
            ),
        ),
    ),
    Inst(
        "sp1_a",
        TENANT_A,
        "Szkoła Podstawowa nr 1 im. Jana Pawła II w Wieliczce",
        "education",
        "jednostka budżetowa",
        "ul. Słowackiego 6",
        "32-020",
        "Wieliczka",
        "sp1.wieliczka@example.org",
        "12 278 22 13",
        website="https://sp1.wieliczka.example.org/",
        description="Szkoła podstawowa (klasy 1–8) z oddziałami integracyjnymi; pedagog i "
        "psycholog szkolny, świetlica do 17:30.",
        contacts=(
            Contact("Marta Nowak", "pedagog szkolny", "marta.nowak@example.org", "12 278 22 15"),
            Contact(
                "Magdalena Zielińska",
                "pedagog specjalny",
                "magdalena.zielinska@example.org",
                "12 278 22 16",
                user="partner-a",
            ),
        ),
        fixed_id=PARTNER_A_SCHOOL_ID,
    ),
    Inst(
        "przychodnia_a",
        TENANT_A,
        "Przychodnia Rodzinna „Salus” w Wieliczce",
        "health",
        "spółka z ograniczoną odpowiedzialnością",
        "ul. Dembowskiego 8",
        "32-020",
        "Wieliczka",
        "rejestracja.salus@example.org",
        "12 289 30 00",
        description="Podstawowa opieka zdrowotna (NFZ): lekarze rodzinni, pediatra, "
        "położna środowiskowa, pielęgniarka szkolna.",
        has_krs=True,
        contacts=(
            Contact(
                "Barbara Kaczmarek",
                "położna środowiskowa",
                "barbara.kaczmarek@example.org",
                "12 289 30 07",
            ),
        ),
    ),
    Inst(
        "fundacja_a",
        TENANT_A,
        "Fundacja „Dobry Start” na rzecz Dzieci i Rodzin",
        "ngo",
        "fundacja",
        "ul. Sienkiewicza 14",
        "32-020",
        "Wieliczka",
        "biuro.dobrystart@example.org",
        "600 412 318",
        description="Poradnictwo rodzinne, grupy wsparcia dla rodziców, korepetycje "
        "wolontariuszy dla uczniów.",
        has_krs=True,
        contacts=(
            Contact(
                "Joanna Pawlak", "prezeska zarządu", "joanna.pawlak@example.org", "600 412 318"
            ),
        ),
    ),
    Inst(
        "spoldzielnia_a",
        TENANT_A,
        "Spółdzielnia Socjalna „Solna Kuchnia”",
        "social_economy",
        "spółdzielnia socjalna",
        "ul. Klaśnieńska 5",
        "32-020",
        "Wieliczka",
        "kontakt.solnakuchnia@example.org",
        "512 330 901",
        description="Catering i stołówka; miejsca pracy i staże dla osób w kryzysie.",
        has_krs=True,
        contacts=(
            Contact(
                "Robert Górski", "prezes spółdzielni", "robert.gorski@example.org", "512 330 901"
            ),
        ),
    ),
    Inst(
        "cis_a",
        TENANT_A,
        "Centrum Integracji Społecznej w Wieliczce",
        "social_economy",
        "jednostka budżetowa",
        "ul. Reformacka 3",
        "32-020",
        "Wieliczka",
        "cis.wieliczka@example.org",
        "12 278 44 20",
        description="Reintegracja społeczna i zawodowa: warsztaty, zatrudnienie socjalne.",
        contacts=(Contact("Elżbieta Wójcik", "kierowniczka CIS", "elzbieta.wojcik@example.org"),),
    ),
    Inst(
        "pwd_a",
        TENANT_A,
        "Placówka Wsparcia Dziennego „Przystań” w Wieliczce",
        "family_support",
        "jednostka budżetowa",
        "ul. Asnyka 9",
        "32-020",
        "Wieliczka",
        "przystan.wieliczka@example.org",
        "12 278 51 60",
        description="Świetlica opiekuńczo-wychowawcza dla dzieci 7–15 lat, pomoc w nauce, "
        "zajęcia socjoterapeutyczne.",
        contacts=(
            Contact(
                "Agata Krawczyk", "wychowawczyni", "agata.krawczyk@example.org", "12 278 51 61"
            ),
        ),
    ),
    Inst(
        "firma_a",
        TENANT_A,
        "Zakład Usług Remontowych „Solny Gród” Sp. z o.o.",
        "business",
        "spółka z ograniczoną odpowiedzialnością",
        "ul. Krakowska 41",
        "32-020",
        "Wieliczka",
        "biuro.solnygrod@example.org",
        "12 288 17 70",
        description="Lokalna firma budowlana: praktyki zawodowe i zatrudnienie "
        "wspomagane dla osób wracających na rynek pracy.",
        has_krs=True,
        contacts=(
            Contact(
                "Marek Jabłoński", "kierownik kadr", "marek.jablonski@example.org", "12 288 17 72"
            ),
        ),
    ),
    Inst(
        "umig_a",
        TENANT_A,
        "Urząd Miasta i Gminy Wieliczka",
        "local_government",
        "jednostka budżetowa",
        "Rynek Górny 1",
        "32-020",
        "Wieliczka",
        "umig.wieliczka@example.org",
        "12 278 32 44",
        website="https://wieliczka.example.org/",
        description="Wydział Edukacji, Zdrowia i Spraw Społecznych; gminna komisja "
        "rozwiązywania problemów alkoholowych.",
        contacts=(
            Contact(
                "Paweł Dudek",
                "naczelnik Wydziału Spraw Społecznych",
                "pawel.dudek@example.org",
                "12 278 32 60",
            ),
        ),
    ),
    # --- Gmina Niepołomice (B)
    Inst(
        "ops_b",
        TENANT_B,
        "Miejsko-Gminny Ośrodek Pomocy Społecznej w Niepołomicach",
        "social_assistance",
        "jednostka budżetowa",
        "ul. Bocheńska 26",
        "32-005",
        "Niepołomice",
        "mgops.niepolomice@example.org",
        "12 281 13 50",
        description="Lider partnerstwa gminy Niepołomice.",
        contacts=(
            Contact(
                "Bartosz Nowak",
                "koordynator sieci kooperacji",
                "bartosz.nowak@example.org",
                "12 281 13 58",
                user="coord-b",
            ),
            Contact(
                "Piotr Wójcik",
                "pracownik socjalny",
                "piotr.wojcik@example.org",
                "12 281 13 54",
                user="manager-b",
            ),
        ),
    ),
    Inst(
        "sp1_b",
        TENANT_B,
        "Szkoła Podstawowa nr 1 im. Tadeusza Kościuszki w Niepołomicach",
        "education",
        "jednostka budżetowa",
        "ul. Szkolna 2",
        "32-005",
        "Niepołomice",
        "sp1.niepolomice@example.org",
        "12 281 10 52",
        contacts=(
            Contact(
                "Ewelina Sikora", "psycholog szkolny", "ewelina.sikora@example.org", "12 281 10 59"
            ),
        ),
    ),
    Inst(
        "kp_b",
        TENANT_B,
        "Komisariat Policji w Niepołomicach",
        "police",
        "jednostka organizacyjna Policji",
        "ul. Kościuszki 7",
        "32-005",
        "Niepołomice",
        "kp.niepolomice@example.org",
        "47 832 87 20",
        local_unit_of="kpp_d",
        no_nip=True,
        contacts=(
            Contact(
                "asp. szt. Krzysztof Mazur",
                "dzielnicowy",
                "krzysztof.mazur@example.org",
                "47 832 87 25",
            ),
        ),
    ),
    Inst(
        "przychodnia_b",
        TENANT_B,
        "Niepołomickie Centrum Medyczne",
        "health",
        "spółka z ograniczoną odpowiedzialnością",
        "ul. Bocheńska 28",
        "32-005",
        "Niepołomice",
        "rejestracja.ncm@example.org",
        "12 281 40 40",
        has_krs=True,
    ),
    Inst(
        "stowarzyszenie_b",
        TENANT_B,
        "Stowarzyszenie „Razem dla Niepołomic”",
        "ngo",
        "stowarzyszenie",
        "ul. Zamkowa 2",
        "32-005",
        "Niepołomice",
        "razem.niepolomice@example.org",
        "604 118 272",
        description="Wolontariat sąsiedzki, klub seniora, pomoc w opiece wytchnieniowej.",
        has_krs=True,
        contacts=(Contact("Irena Wróbel", "prezeska stowarzyszenia", "irena.wrobel@example.org"),),
    ),
    Inst(
        "wtz_b",
        TENANT_B,
        "Warsztat Terapii Zajęciowej w Niepołomicach",
        "social_economy",
        "jednostka organizacyjna stowarzyszenia",
        "ul. Wimmera 4",
        "32-005",
        "Niepołomice",
        "wtz.niepolomice@example.org",
        "12 281 25 33",
        contacts=(
            Contact(
                "Sylwia Lis", "kierowniczka warsztatu", "sylwia.lis@example.org", "12 281 25 33"
            ),
        ),
    ),
    Inst(
        "firma_b",
        TENANT_B,
        "Niepołomickie Zakłady Opakowań Sp. z o.o.",
        "business",
        "spółka z ograniczoną odpowiedzialnością",
        "ul. Grabska 11",
        "32-005",
        "Niepołomice",
        "kadry.nzo@example.org",
        "12 281 90 00",
        has_krs=True,
    ),
    Inst(
        "umig_b",
        TENANT_B,
        "Urząd Miasta i Gminy Niepołomice",
        "local_government",
        "jednostka budżetowa",
        "Plac Zwycięstwa 13",
        "32-005",
        "Niepołomice",
        "umig.niepolomice@example.org",
        "12 250 95 00",
        contacts=(
            Contact(
                "Adam Kozieł", "pełnomocnik ds. polityki społecznej", "adam.koziel@example.org"
            ),
        ),
    ),
    # --- Gmina Kłaj (C)
    Inst(
        "ops_c",
        TENANT_C,
        "Gminny Ośrodek Pomocy Społecznej w Kłaju",
        "social_assistance",
        "jednostka budżetowa",
        "Kłaj 655",
        "32-015",
        "Kłaj",
        "gops.klaj@example.org",
        "12 284 11 82",
        description="Lider partnerstwa gminy Kłaj.",
        contacts=(
            Contact(
                "Renata Kurek", "kierowniczka GOPS", "renata.kurek@example.org", "12 284 11 82"
            ),
        ),
    ),
    Inst(
        "sp_c",
        TENANT_C,
        "Szkoła Podstawowa im. Marii Konopnickiej w Kłaju",
        "education",
        "jednostka budżetowa",
        "Kłaj 2",
        "32-015",
        "Kłaj",
        "sp.klaj@example.org",
        "12 284 10 35",
        contacts=(
            Contact("Dorota Baran", "pedagog szkolny", "dorota.baran@example.org", "12 284 10 36"),
        ),
    ),
    Inst(
        "oz_c",
        TENANT_C,
        "Ośrodek Zdrowia w Kłaju",
        "health",
        "samodzielny publiczny zakład opieki zdrowotnej",
        "Kłaj 649",
        "32-015",
        "Kłaj",
        "oz.klaj@example.org",
        "12 284 10 62",
    ),
    Inst(
        "kgw_c",
        TENANT_C,
        "Koło Gospodyń Wiejskich w Kłaju",
        "ngo",
        "koło gospodyń wiejskich",
        "Kłaj 598",
        "32-015",
        "Kłaj",
        "kgw.klaj@example.org",
        "692 301 744",
        has_krs=True,
        no_nip=True,
    ),
    Inst(
        "ug_c",
        TENANT_C,
        "Urząd Gminy Kłaj",
        "local_government",
        "jednostka budżetowa",
        "Kłaj 655",
        "32-015",
        "Kłaj",
        "ug.klaj@example.org",
        "12 284 11 00",
        contacts=(Contact("Łukasz Pietrzak", "sekretarz gminy", "lukasz.pietrzak@example.org"),),
    ),
    # --- Powiat wielicki (D): district units serving all three municipalities
    Inst(
        "pcpr_d",
        DISTRICT_D,
        "Powiatowe Centrum Pomocy Rodzinie w Wieliczce",
        "family_support",
        "jednostka budżetowa",
        "ul. Szpitalna 1",
        "32-020",
        "Wieliczka",
        "pcpr.wieliczka@example.org",
        "12 278 39 20",
        served=REGION,
        description="Piecza zastępcza, interwencja kryzysowa, poradnictwo rodzinne; lider "
        "partnerstwa powiatu.",
        contacts=(
            Contact(
                "Agnieszka Sowa",
                "koordynatorka pieczy zastępczej",
                "agnieszka.sowa@example.org",
                "12 278 39 25",
            ),
        ),
    ),
    Inst(
        "ppp_d",
        DISTRICT_D,
        "Poradnia Psychologiczno-Pedagogiczna w Wieliczce",
        "education",
        "jednostka budżetowa",
        "ul. Szpitalna 1",
        "32-020",
        "Wieliczka",
        "ppp.wieliczka@example.org",
        "12 278 32 02",
        served=REGION,
        contacts=(
            Contact(
                "Monika Czarnecka", "psycholog", "monika.czarnecka@example.org", "12 278 32 05"
            ),
        ),
    ),
    Inst(
        "sad_d",
        DISTRICT_D,
        "Sąd Rejonowy w Wieliczce – I Zespół Kuratorskiej Służby Sądowej",
        "justice",
        "jednostka organizacyjna Skarbu Państwa",
        "ul. Kościuszki 2",
        "32-020",
        "Wieliczka",
        "kuratorzy.sr.wieliczka@example.org",
        "12 399 50 30",
        served=REGION,
        contacts=(
            Contact(
                "Grzegorz Pająk",
                "kierownik zespołu kuratorów rodzinnych",
                "grzegorz.pajak@example.org",
                "12 399 50 33",
            ),
        ),
    ),
    Inst(
        "kpp_d",
        DISTRICT_D,
        "Komenda Powiatowa Policji w Wieliczce",
        "police",
        "jednostka organizacyjna Policji",
        "ul. Asnyka 10",
        "32-020",
        "Wieliczka",
        "kpp.wieliczka@example.org",
        "47 832 86 00",
        served=REGION,
        contacts=(
            Contact(
                "podkom. Tomasz Zając",
                "Zespół ds. Nieletnich i Patologii",
                "tomasz.zajac@example.org",
                "47 832 86 40",
            ),
        ),
    ),
    Inst(
        "pup_d",
        DISTRICT_D,
        "Powiatowy Urząd Pracy w Wieliczce",
        "labour_market",
        "jednostka budżetowa",
        "ul. Dembowskiego 2",
        "32-020",
        "Wieliczka",
        "pup.wieliczka@example.org",
        "12 278 29 75",
        served=REGION,
        contacts=(
            Contact(
                "Beata Michalska",
                "doradczyni zawodowa",
                "beata.michalska@example.org",
                "12 278 29 80",
            ),
        ),
    ),
    Inst(
        "ohp_d",
        DISTRICT_D,
        "Młodzieżowe Centrum Kariery OHP w Wieliczce",
        "labour_market",
        "państwowa jednostka budżetowa",
        "ul. Dembowskiego 2",
        "32-020",
        "Wieliczka",
        "mck.wieliczka@example.org",
        "12 278 60 14",
        served=REGION,
    ),
)


def _declared(ref: str, days_ago: int) -> Step:
    return Step("declared", days_ago, declaration=ref)


PARTNERSHIPS: tuple[Partnership, ...] = (
    Partnership(
        TENANT_A,
        "ops_a",
        "Partnerstwo na rzecz Rodzin Gminy Wieliczka",
        "Wieliczka",
        "uchwała rady miejskiej",
        "XIV/187/2026",
        310,
        "Wspólne wsparcie rodzin z dziećmi w kryzysie; aktualny Lokalny Koszyk Usług; "
        "zespoły kooperacyjne wokół rodzin.",
        "raz na kwartał",
        (
            Member(
                "sp1_a",
                (Step("invited", 280), Step("informal", 250), _declared("OPS.4012.3.2026", 200)),
            ),
            Member("ppp_d", (_declared("OPS.4012.4.2026", 240),)),
            Member("przychodnia_a", (Step("informal", 220),)),
            Member("sad_d", (_declared("OPS.4012.5.2026", 230),)),
            Member("kpp_d", (Step("informal", 260), _declared("OPS.4012.9.2026", 120))),
            Member("fundacja_a", (Step("invited", 190), Step("informal", 160))),
            Member(
                "spoldzielnia_a",
                (
                    Step("informal", 210),
                    Step(
                        "suspended",
                        25,
                        reason="Spółdzielnia zawiesiła działalność na czas "
                        "przeniesienia kuchni do nowej siedziby",
                    ),
                ),
            ),
            Member(
                "cis_a",
                (
                    _declared("OPS.4012.2.2026", 300),
                    Step(
                        "left",
                        45,
                        reason="Zakończenie projektu, z którego finansowano udział "
                        "CIS w partnerstwie",
                    ),
                ),
            ),
            Member("pup_d", (_declared("OPS.4012.6.2026", 225),)),
            Member("pcpr_d", (_declared("OPS.4012.7.2026", 225),)),
            Member("pwd_a", (Step("invited", 12),)),
            Member("firma_a", (Step("invited", 40), Step("informal", 18))),
            Member("umig_a", (_declared("OPS.4012.1.2026", 305),)),
            Member("ohp_d", (Step("invited", 30),)),
        ),
        coordinators=(
            Coordinator("Anna Kowalska", "anna.kowalska@example.org", "12 278 10 52", "coord-a"),
            Coordinator("Ewa Mazur", "ewa.mazur@example.org", "12 278 10 53"),
        ),
    ),
    Partnership(
        TENANT_B,
        "ops_b",
        "Niepołomickie Partnerstwo Kooperacyjne",
        "Niepołomice",
        "porozumienie partnerskie",
        "MGOPS.032.1.2026",
        260,
        "Skoordynowana pomoc rodzinom i osobom starszym; wspólne dyżury specjalistów.",
        "co dwa miesiące",
        (
            Member("sp1_b", (_declared("MGOPS.4012.2.2026", 240),)),
            Member("kp_b", (Step("informal", 200),)),
            Member("przychodnia_b", (Step("invited", 35),)),
            Member(
                "stowarzyszenie_b",
                (
                    _declared("MGOPS.4012.3.2026", 230),
                    Step(
                        "suspended",
                        20,
                        reason="Zmiana zarządu stowarzyszenia – udział "
                        "wstrzymany do wyboru nowych władz",
                    ),
                ),
            ),
            Member("wtz_b", (Step("informal", 150),)),
            Member(
                "firma_b",
                (
                    Step("informal", 180),
                    Step("left", 60, reason="Przeniesienie zakładu poza gminę Niepołomice"),
                ),
            ),
            Member("umig_b", (_declared("MGOPS.4012.1.2026", 255),)),
            Member("pup_d", (Step("informal", 170),)),
            Member("sad_d", (_declared("MGOPS.4012.4.2026", 190),)),
            Member("pcpr_d", (_declared("MGOPS.4012.5.2026", 190),)),
            Member("ppp_d", (Step("invited", 15),)),
        ),
        coordinators=(
            Coordinator("Bartosz Nowak", "bartosz.nowak@example.org", "12 281 13 58", "coord-b"),
        ),
    ),
    Partnership(
        TENANT_C,
        "ops_c",
        "Partnerstwo Lokalne Gminy Kłaj",
        "Kłaj",
        "zarządzenie wójta gminy",
        "0050.42.2026",
        150,
        "Wsparcie rodzin na terenach wiejskich; dojazd usług do mieszkańców.",
        "raz na kwartał",
        (
            Member("sp_c", (_declared("GOPS.4012.1.2026", 140),)),
            Member("oz_c", (Step("informal", 120),)),
            Member("kgw_c", (Step("invited", 20),)),
            Member("ug_c", (_declared("GOPS.4012.2.2026", 148),)),
            Member("kpp_d", (Step("invited", 50),)),
            Member("pcpr_d", (Step("informal", 100),)),
        ),
        coordinators=(
            Coordinator("Renata Kurek", "renata.kurek@example.org", "12 284 11 82"),
            Coordinator("Łukasz Pietrzak", "lukasz.pietrzak@example.org", "12 284 11 05"),
        ),
    ),
    Partnership(
        DISTRICT_D,
        "pcpr_d",
        "Partnerstwo Powiatu Wielickiego na rzecz Rodziny i Pieczy Zastępczej",
        "Powiat wielicki",
        "uchwała zarządu powiatu",
        "112/2026",
        200,
        "Spójne wsparcie rodzin zastępczych i usamodzielnianych wychowanków w całym powiecie.",
        "dwa razy w roku",
        (
            Member("pup_d", (_declared("PCPR.4012.1.2026", 190),)),
            Member("ppp_d", (_declared("PCPR.4012.2.2026", 190),)),
            Member("sad_d", (Step("informal", 150),)),
            Member("kpp_d", (_declared("PCPR.4012.3.2026", 140),)),
            Member("ohp_d", (Step("invited", 25),)),
        ),
        coordinators=(
            Coordinator("Agnieszka Sowa", "agnieszka.sowa@example.org", "12 278 39 25"),
            Coordinator("Jolanta Rogalska", "jolanta.rogalska@example.org", "12 278 39 26"),
        ),
    ),
)


def _institution_body(inst: Inst, by_key: Mapping[str, Inst]) -> dict[str, Any]:
    body: dict[str, Any] = {
        "name": inst.name,
        "sector": inst.sector,
        "tenant": inst.tenant,
        "tenants_served": list(inst.served),
        "legal_form": inst.legal_form,
        "street": inst.street,
        "postal_code": inst.postal_code,
        "city": inst.city,
        "email": inst.email,
        "phone": inst.phone,
    }
    if inst.local_unit_of:
        body["regon"] = regon14(regon9(by_key[inst.local_unit_of].key), unit=1)
    else:
        body["regon"] = regon9(inst.key)
    if not inst.no_nip:
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


def _meeting_at(days_from_today: int, hour: int) -> str:
    day = date.today() + timedelta(days=days_from_today)
    return datetime.combine(day, time(hour, 0), tzinfo=_warsaw()).isoformat()


def _next_weekday(weekday: int, at_least: int = 5) -> int:
    """Days from today to the `weekday` (0 = Monday) of next week, at least `at_least` away."""
    today = date.today()
    days = at_least
    while (today + timedelta(days=days)).weekday() != weekday:
        days += 1
    return days


def load_partners(base_url: str, token_for: TokenFor) -> DemoSummary:
    """Register the region's institutions, partnerships, memberships in every state, contact
    persons, network coordinators and meetings. Raises AlreadyLoaded if partner-a's school exists.
    """
    api = Api(base_url, token_for)
    try:
        return _load_partners(api, token_for)
    finally:
        api.close()


def _load_partners(api: Api, token_for: TokenFor) -> DemoSummary:
    if api.exists(f"/v1/institutions/{PARTNER_A_SCHOOL_ID}", "admin"):
        raise AlreadyLoaded("partner-a's school is already registered")

    today = date.today()
    by_key = {inst.key: inst for inst in INSTITUTIONS}
    ids: dict[str, str] = {}
    summary: DemoSummary = {}

    for inst in INSTITUTIONS:
        writer = WRITER[inst.tenant]
        created = api.post("/v1/institutions", writer, _institution_body(inst, by_key))
        ids[inst.key] = str(created["id"])
        summary[f"institution:{inst.key}"] = ids[inst.key]
        if inst.fixed_id and ids[inst.key] != inst.fixed_id:
            raise DemoDataError(
                f"the partners API gave {inst.name!r} the id {ids[inst.key]} instead of "
                f"{inst.fixed_id} (the institution in partner-a's token): it must accept `id` "
                "in POST /v1/institutions"
            )
        for person in inst.contacts:
            contact: dict[str, Any] = {
                "name": person.name,
                "position": person.position,
                "email": person.email,
            }
            if person.phone:
                contact["phone"] = person.phone
            if person.user:
                contact["user_id"] = subject_of(token_for(person.user))
            api.post(f"/v1/institutions/{ids[inst.key]}/contact-persons", writer, contact)

    for p in PARTNERSHIPS:
        writer = WRITER[p.tenant]
        established = today - timedelta(days=p.established_days_ago)
        created = api.post(
            "/v1/partnerships",
            writer,
            {
                "tenant": p.tenant,
                "name": p.name,
                "municipality_name": p.municipality_name,
                "leader_institution_id": ids[p.leader],
                "goals": p.goals,
                "principles": "Dobrowolność udziału, partnerstwo równych podmiotów, decyzje "
                "dotyczące rodziny tylko za jej zgodą, jawność działań.",
                "meeting_frequency": p.meeting_frequency,
                "formal_act_kind": p.formal_act_kind,
                "formal_act_reference": p.formal_act_reference,
                "formal_act_date": (established - timedelta(days=14)).isoformat(),
                "established_on": established.isoformat(),
            },
        )
        partnership_id = str(created["id"])
        summary[f"partnership:{p.tenant}"] = partnership_id

        for member in p.members:
            first, *rest = member.steps
            opened = api.post(
                "/v1/memberships",
                writer,
                {
                    "partnership_id": partnership_id,
                    "institution_id": ids[member.key],
                    **_step_body(first, today),
                },
            )
            membership_id = str(opened["id"])
            summary[f"membership:{p.tenant}:{member.key}"] = membership_id
            for step in rest:
                api.post(
                    f"/v1/memberships/{membership_id}/transitions", writer, _step_body(step, today)
                )

        for coordinator in p.coordinators:
            body: dict[str, Any] = {
                "name": coordinator.name,
                "email": coordinator.email,
                "institution_id": ids[p.leader],
                "since": established.isoformat(),
            }
            if coordinator.phone:
                body["phone"] = coordinator.phone
            if coordinator.user:
                body["user_id"] = subject_of(token_for(coordinator.user))
            api.post(f"/v1/partnerships/{partnership_id}/coordinators", writer, body)

    _meetings(api, ids, summary)
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


def _meetings(api: Api, ids: Mapping[str, str], summary: DemoSummary) -> None:
    a = summary[f"partnership:{TENANT_A}"]
    held = api.post(
        "/v1/meetings",
        "coord-a",
        {
            "partnership_id": a,
            "title": "Spotkanie partnerstwa – IV kwartał 2026",
            "starts_at": _meeting_at(-16, 10),
            "ends_at": _meeting_at(-16, 12),
            "place": "Sala konferencyjna MOPS, ul. Powstania Warszawskiego 1, Wieliczka",
            "host_institution_id": ids["ops_a"],
            "chair_institution_id": ids["ops_a"],
            "chair_name": "Anna Kowalska",
            "agenda": [
                "Przegląd Lokalnego Koszyka Usług – nowe i nieaktualne wpisy",
                "Zespoły kooperacyjne: zasady zapraszania partnerów i zgody rodzin",
                "Harmonogram spotkań na 2027 r.",
                "Wolne wnioski",
            ],
        },
    )
    summary["meeting:held:A"] = str(held["id"])
    api.post(
        f"/v1/meetings/{held['id']}/held",
        "coord-a",
        {
            "held_at": _meeting_at(-16, 10),
            "attendance": [
                {"institution_id": ids["ops_a"], "person_name": "Anna Kowalska"},
                {"institution_id": ids["sp1_a"], "person_name": "Marta Nowak"},
                {"institution_id": ids["kpp_d"], "person_name": "podkom. Tomasz Zając"},
                {"institution_id": ids["pup_d"], "person_name": "Beata Michalska"},
                {"institution_id": ids["fundacja_a"], "person_name": "Joanna Pawlak"},
                {"institution_id": ids["sad_d"], "person_name": "Grzegorz Pająk"},
                {"institution_id": ids["umig_a"], "person_name": "Paweł Dudek"},
            ],
            "minutes": (
                "Spotkanie otworzyła koordynatorka sieci, Anna Kowalska. Partnerzy omówili stan "
                "Lokalnego Koszyka Usług: 6 wpisów wymaga weryfikacji, 3 nowe usługi zgłosiła "
                "Fundacja „Dobry Start”. Przedstawiciel KPP przedstawił zasady udziału "
                "dzielnicowych w zespołach kooperacyjnych. PUP zaproponował wspólne dyżury "
                "doradcy zawodowego w MOPS raz w miesiącu. Ustalono, że kolejne spotkanie "
                "odbędzie się w Szkole Podstawowej nr 1."
            ),
            "decisions": [
                "Każdy partner zweryfikuje swoje wpisy w Lokalnym Koszyku Usług do 15 grudnia "
                "2026 r.",
                "Od stycznia 2027 r. doradca zawodowy PUP dyżuruje w MOPS w pierwszy wtorek "
                "miesiąca.",
                "Powołuje się zespół roboczy ds. przeciwdziałania przemocy w rodzinie "
                "(MOPS, KPP, SP nr 1, Sąd Rejonowy – kuratorzy).",
            ],
        },
    )
    next_tuesday = _next_weekday(1)
    upcoming = api.post(
        "/v1/meetings",
        "coord-a",
        {
            "partnership_id": a,
            "title": "Spotkanie partnerstwa – plan pracy na 2027 r.",
            "starts_at": _meeting_at(next_tuesday, 10),
            "ends_at": _meeting_at(next_tuesday, 12),
            "place": "Szkoła Podstawowa nr 1, ul. Słowackiego 6, Wieliczka – biblioteka szkolna",
            "host_institution_id": ids["sp1_a"],
            "chair_institution_id": ids["sp1_a"],
            "chair_name": "Marta Nowak",
            "agenda": [
                "Plan pracy partnerstwa na 2027 r.",
                "Ferie zimowe: oferta zajęć dla dzieci w koszyku usług",
                "Informacja o zespole roboczym ds. przeciwdziałania przemocy",
            ],
        },
    )
    summary["meeting:scheduled:A"] = str(upcoming["id"])

    b = summary[f"partnership:{TENANT_B}"]
    held_b = api.post(
        "/v1/meetings",
        "coord-b",
        {
            "partnership_id": b,
            "title": "Spotkanie partnerstwa – jesień 2026",
            "starts_at": _meeting_at(-35, 9),
            "place": "Urząd Miasta i Gminy Niepołomice, Plac Zwycięstwa 13, sala nr 1",
            "host_institution_id": ids["umig_b"],
            "agenda": ["Sytuacja seniorów w gminie", "Wolne wnioski"],
        },
    )
    api.post(
        f"/v1/meetings/{held_b['id']}/held",
        "coord-b",
        {
            "held_at": _meeting_at(-35, 9),
            "attendance": [
                {"institution_id": ids["ops_b"], "person_name": "Bartosz Nowak"},
                {"institution_id": ids["umig_b"], "person_name": "Adam Kozieł"},
                {"institution_id": ids["sp1_b"], "person_name": "Ewelina Sikora"},
                {"institution_id": ids["wtz_b"], "person_name": "Sylwia Lis"},
            ],
            "minutes": "Omówiono potrzeby seniorów mieszkających samotnie; Stowarzyszenie "
            "„Razem dla Niepołomic” zgłosiło potrzebę wolontariuszy.",
            "decisions": ["MGOPS przygotuje mapę usług dla seniorów do końca roku."],
        },
    )
    summary["meeting:held:B"] = str(held_b["id"])
    upcoming_b = api.post(
        "/v1/meetings",
        "coord-b",
        {
            "partnership_id": b,
            "title": "Konsultacja partnerów – opieka wytchnieniowa",
            "starts_at": _meeting_at(_next_weekday(3), 13),
            "online_url": "https://spotkania.example.org/niepolomice-partnerstwo",
            "agenda": ["Opieka wytchnieniowa – kto może ją zapewnić?"],
        },
    )
    summary["meeting:scheduled:B"] = str(upcoming_b["id"])


# ---- the registry of loaders, in the order they run ---------------------------------------------

Loader = Callable[[Mapping[str, str], TokenFor], DemoSummary]

LOADERS: dict[str, Loader] = {
    "partners": lambda urls, token_for: load_partners(urls["partners"], token_for),
}
"""service name -> loader(urls of running services, token_for); run when the service exists."""
