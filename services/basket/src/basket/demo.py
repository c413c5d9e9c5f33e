"""Demo data of the basket: about thirty realistic offerings of the demo region's partners in
Wieliczka (A), Niepołomice (B) and Kłaj (C), added and published through the basket's API.

`load_basket` is called by the platform's run script after the partners demo data; the relevance
benchmark (bench/basket_relevance.py) loads the same offerings into a database of its own.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import httpx

A, B, C = "1219053", "1219043", "1219032"
WRITER = {A: "coord-a", B: "coord-b", C: "admin"}

WIELICZKA = ("32-020", "Wieliczka", 49.9870, 20.0640)
NIEPOLOMICE = ("32-005", "Niepołomice", 50.0340, 20.2170)
KLAJ = ("32-015", "Kłaj", 50.0050, 20.3010)

OPS_A = "Miejski Ośrodek Pomocy Społecznej w Wieliczce"
SP1_A = "Szkoła Podstawowa nr 1 im. Jana Pawła II w Wieliczce"
SALUS_A = "Przychodnia Rodzinna „Salus” w Wieliczce"
FUND_A = "Fundacja „Dobry Start” na rzecz Dzieci i Rodzin"
KUCHNIA_A = "Spółdzielnia Socjalna „Solna Kuchnia”"
CIS_A = "Centrum Integracji Społecznej w Wieliczce"
PWD_A = "Placówka Wsparcia Dziennego „Przystań” w Wieliczce"
UMIG_A = "Urząd Miasta i Gminy Wieliczka"
OPS_B = "Miejsko-Gminny Ośrodek Pomocy Społecznej w Niepołomicach"
SP1_B = "Szkoła Podstawowa nr 1 im. Tadeusza Kościuszki w Niepołomicach"
KP_B = "Komisariat Policji w Niepołomicach"
NCM_B = "Niepołomickie Centrum Medyczne"
RAZEM_B = "Stowarzyszenie „Razem dla Niepołomic”"
WTZ_B = "Warsztat Terapii Zajęciowej w Niepołomicach"
OPS_C = "Gminny Ośrodek Pomocy Społecznej w Kłaju"
SP_C = "Szkoła Podstawowa im. Marii Konopnickiej w Kłaju"
OZ_C = "Ośrodek Zdrowia w Kłaju"
KGW_C = "Koło Gospodyń Wiejskich w Kłaju"
PCPR_D = "Powiatowe Centrum Pomocy Rodzinie w Wieliczce"
PPP_D = "Poradnia Psychologiczno-Pedagogiczna w Wieliczce"
PUP_D = "Powiatowy Urząd Pracy w Wieliczce"


def _offering(
    tenant: str,
    provider: str,
    title: str,
    description: str,
    category: str,
    groups: list[str],
    *,
    street: str,
    town: tuple[str, str, float, float],
    days: tuple[int, ...] = (1, 2, 3, 4, 5),
    hours: tuple[str, str] = ("08:00", "15:00"),
    contact: tuple[str, str, str],
    cost: dict[str, Any] | None = None,
    eligibility: dict[str, Any] | None = None,
    documents: tuple[str, ...] = (),
    accessible: bool = True,
    capacity: str = "available",
    waiting_days: int | None = None,
    served: tuple[str, ...] = (),
    languages: tuple[str, ...] = ("pl",),
    shift: float = 0.0,
) -> dict[str, Any]:
    postal, city, lat, lon = town
    return {
        "tenant": tenant,
        "provider": provider,
        "body": {
            "tenant": tenant,
            "title": title,
            "description": description,
            "category": category,
            "target_groups": groups,
            "eligibility": eligibility or {"description": "Mieszkańcy gminy"},
            "required_documents": list(documents),
            "cost": cost or {"kind": "free"},
            "places": [
                {
                    "street": street,
                    "postal_code": postal,
                    "city": city,
                    "latitude": round(lat + shift, 5),
                    "longitude": round(lon + shift, 5),
                    "accessible": accessible,
                }
            ],
            "schedule": [{"weekday": d, "opens_at": hours[0], "closes_at": hours[1]} for d in days],
            "languages": list(languages),
            "tenants_served": list(served),
            "contact": {"name": contact[0], "role": contact[1], "phone": contact[2]},
            "capacity_status": capacity,
            "waiting_days": waiting_days,
        },
    }


# fmt: off
DEMO_OFFERINGS: tuple[dict[str, Any], ...] = (
    # --- Wieliczka (A)
    _offering(A, OPS_A, "Asystent rodziny",
              "Asystent rodziny wspiera rodziny przeżywające trudności opiekuńczo-wychowawcze: "
              "pomaga w prowadzeniu domu, budżecie i kontaktach ze szkołą.",
              "family_support.family_assistant", ["families", "parents", "children"],
              street="ul. Powstania Warszawskiego 1", town=WIELICZKA,
              contact=("Katarzyna Wiśniewska", "starsza pracownica socjalna", "12 278 10 55"),
              eligibility={"description": "Rodziny z dziećmi w trudnej sytuacji",
                           "decision_required": True}, capacity="waitlist", waiting_days=21),
    _offering(A, OPS_A, "Zasiłek celowy i pomoc finansowa",
              "Zasiłki celowe, okresowe i stałe dla osób i rodzin w trudnej sytuacji materialnej; "
              "wywiad środowiskowy pracownika socjalnego.",
              "social_assistance.benefits", ["families", "adults", "seniors"],
              street="ul. Powstania Warszawskiego 1", town=WIELICZKA,
              contact=("Anna Kowalska", "pracownica socjalna", "12 278 10 52"),
              eligibility={"description": "Dochód poniżej kryterium ustawowego",
                           "decision_required": True},
              documents=("Zaświadczenie o dochodach", "Dowód osobisty")),
    _offering(A, OPS_A, "Usługi opiekuńcze w domu",
              "Pomoc w codziennych czynnościach, pielęgnacja i opieka w miejscu zamieszkania "
              "dla osób starszych, chorych i niesamodzielnych.",
              "social_assistance.care_services", ["seniors", "disabled"],
              street="ul. Powstania Warszawskiego 1", town=WIELICZKA,
              contact=("Anna Kowalska", "pracownica socjalna", "12 278 10 52"),
              cost={"kind": "co_paid", "amount": 12.5, "description": "za godzinę, wg dochodu"},
              eligibility={"description": "Osoby samotne wymagające pomocy",
                           "decision_required": True}, capacity="waitlist", waiting_days=30),
    _offering(A, OPS_A, "Interwencja kryzysowa i wsparcie w przemocy domowej",
              "Pomoc osobom doznającym przemocy domowej: procedura Niebieskiej Karty, plan "
              "bezpieczeństwa, konsultacje psychologa i prawnika.",
              "social_assistance.violence", ["violence", "crisis", "families"],
              street="ul. Powstania Warszawskiego 1", town=WIELICZKA, days=(1, 2, 3, 4, 5, 6, 7),
              hours=("00:00", "23:59"),
              contact=("Anna Kowalska", "koordynatorka zespołu interdyscyplinarnego",
                       "12 278 10 52")),
    _offering(A, SP1_A, "Zajęcia wyrównawcze z matematyki",
              "Bezpłatne zajęcia dydaktyczno-wyrównawcze dla uczniów klas 4–8 mających trudności "
              "w nauce matematyki.",
              "public_education.tutoring", ["children", "youth"],
              street="ul. Słowackiego 6", town=WIELICZKA, days=(2, 4), hours=("14:00", "15:30"),
              contact=("Marta Nowak", "pedagog szkolny", "12 278 22 15"),
              eligibility={"description": "Uczniowie szkoły", "min_age": 10, "max_age": 15},
              shift=0.002),
    _offering(A, SP1_A, "Terapia logopedyczna dla dzieci",
              "Diagnoza i terapia wad wymowy, ćwiczenia logopedyczne dla dzieci w wieku "
              "szkolnym.",
              "public_education.speech_therapy", ["children"],
              street="ul. Słowackiego 6", town=WIELICZKA, days=(1, 3), hours=("12:00", "16:00"),
              contact=("Magdalena Zielińska", "logopeda", "12 278 22 16"),
              eligibility={"description": "Uczniowie klas 1–3", "min_age": 6, "max_age": 10},
              shift=0.002),
    _offering(A, SALUS_A, "Poradnia zdrowia psychicznego dzieci i młodzieży",
              "Konsultacje psychiatry dziecięcego i psychoterapia dla dzieci i nastolatków w "
              "kryzysie psychicznym, depresji i zaburzeniach lękowych.",
              "health.mental_health", ["children", "youth"],
              street="ul. Dembowskiego 8", town=WIELICZKA,
              contact=("Barbara Kaczmarek", "rejestracja", "12 289 30 00"),
              eligibility={"description": "Dzieci i młodzież do 18 lat", "max_age": 18},
              capacity="waitlist", waiting_days=60, shift=-0.003),
    _offering(A, SALUS_A, "Wizyty patronażowe położnej",
              "Położna środowiskowa odwiedza matkę i noworodka w domu: karmienie piersią, "
              "pielęgnacja dziecka, wsparcie po porodzie.",
              "health.prevention", ["parents", "families", "children"],
              street="ul. Dembowskiego 8", town=WIELICZKA,
              contact=("Barbara Kaczmarek", "położna środowiskowa", "12 289 30 07"),
              shift=-0.003),
    _offering(A, FUND_A, "Grupa wsparcia dla rodziców nastolatków",
              "Spotkania grupy wsparcia dla rodziców: komunikacja z nastolatkiem, granice, "
              "uzależnienia od ekranów.",
              "family_support.parenting_skills", ["parents", "families"],
              street="ul. Sienkiewicza 14", town=WIELICZKA, days=(3,), hours=("17:00", "19:00"),
              contact=("Joanna Pawlak", "prezeska zarządu", "600 412 318"), shift=0.004),
    _offering(A, FUND_A, "Korepetycje wolontariuszy dla uczniów",
              "Wolontariusze-studenci udzielają bezpłatnych korepetycji z języka polskiego, "
              "angielskiego i matematyki uczniom z rodzin w trudnej sytuacji.",
              "public_education.tutoring", ["children", "youth"],
              street="ul. Sienkiewicza 14", town=WIELICZKA, days=(1, 2, 3, 4),
              hours=("15:00", "18:00"),
              contact=("Joanna Pawlak", "koordynatorka wolontariatu", "600 412 318"),
              languages=("pl", "uk"), shift=0.004),
    _offering(A, FUND_A, "Poradnictwo rodzinne i mediacje",
              "Konsultacje z psychologiem rodzinnym i mediatorem dla par i rodzin w konflikcie, "
              "także przy rozwodzie i ustalaniu kontaktów z dzieckiem.",
              "family_support.counselling", ["families", "parents"],
              street="ul. Sienkiewicza 14", town=WIELICZKA, days=(2, 5),
              hours=("10:00", "18:00"),
              contact=("Joanna Pawlak", "mediatorka", "600 412 318"), shift=0.004),
    _offering(A, KUCHNIA_A, "Posiłki dla osób potrzebujących",
              "Ciepły obiad w stołówce spółdzielni lub na wynos dla osób skierowanych przez "
              "ośrodek pomocy społecznej.",
              "social_assistance.food_aid", ["adults", "seniors", "homeless"],
              street="ul. Klaśnieńska 5", town=WIELICZKA, hours=("12:00", "15:00"),
              contact=("Robert Górski", "prezes spółdzielni", "512 330 901"),
              eligibility={"description": "Na podstawie skierowania MOPS",
                           "referral_required": True}, shift=-0.006),
    _offering(A, CIS_A, "Reintegracja zawodowa w Centrum Integracji Społecznej",
              "Roczny program warsztatów zawodowych, zatrudnienia socjalnego i wsparcia "
              "psychologa dla osób długotrwale bezrobotnych i wychodzących z bezdomności.",
              "reintegration.social_integration_centre", ["unemployed", "homeless", "addiction"],
              street="ul. Reformacka 3", town=WIELICZKA,
              contact=("Elżbieta Wójcik", "kierowniczka CIS", "12 278 44 21"),
              eligibility={"description": "Osoby zagrożone wykluczeniem społecznym",
                           "min_age": 18, "referral_required": True},
              capacity="no_capacity", shift=0.006),
    _offering(A, PWD_A, "Świetlica opiekuńczo-wychowawcza",
              "Opieka po lekcjach dla dzieci 7–15 lat: pomoc w odrabianiu lekcji, zajęcia "
              "socjoterapeutyczne, podwieczorek.",
              "family_support.day_support", ["children", "youth"],
              street="ul. Asnyka 9", town=WIELICZKA, hours=("12:00", "18:00"),
              contact=("Agata Krawczyk", "wychowawczyni", "12 278 51 61"),
              eligibility={"min_age": 7, "max_age": 15}, shift=0.008),
    _offering(A, UMIG_A, "Punkt konsultacyjny dla osób uzależnionych i ich rodzin",
              "Konsultacje terapeuty uzależnień dla osób z problemem alkoholowym, narkotykowym "
              "i hazardowym oraz dla ich bliskich (współuzależnienie).",
              "health.addiction", ["addiction", "families"],
              street="Rynek Górny 1", town=WIELICZKA, days=(1, 4), hours=("16:00", "20:00"),
              contact=("Paweł Dudek", "pełnomocnik ds. profilaktyki", "12 278 32 60")),
    _offering(A, UMIG_A, "Nieodpłatna pomoc prawna",
              "Porady prawnika i doradcy obywatelskiego: sprawy rodzinne, alimenty, mieszkaniowe, "
              "zadłużenia. Zapisy telefoniczne.",
              "civic_activity.legal_aid", ["adults", "seniors", "families"],
              street="Rynek Górny 1", town=WIELICZKA, days=(1, 2, 3, 4, 5),
              hours=("09:00", "13:00"),
              contact=("Paweł Dudek", "naczelnik wydziału", "12 278 32 60"),
              documents=("Oświadczenie o braku możliwości poniesienia kosztów",)),
    _offering(A, PCPR_D, "Rodzinna piecza zastępcza – nabór kandydatów",
              "Szkolenia i kwalifikacja kandydatów na rodziny zastępcze i prowadzących rodzinne "
              "domy dziecka; wsparcie koordynatora pieczy.",
              "foster_care.foster_family", ["foster_families", "families"],
              street="ul. Szpitalna 1", town=WIELICZKA,
              contact=("Agnieszka Sowa", "koordynatorka pieczy zastępczej", "12 278 39 25"),
              served=(A, B, C), shift=0.01),
    _offering(A, PPP_D, "Diagnoza psychologiczno-pedagogiczna",
              "Badania psychologiczne i pedagogiczne, opinie i orzeczenia o potrzebie kształcenia "
              "specjalnego, wczesne wspomaganie rozwoju dziecka.",
              "public_education.psych_ped_support", ["children", "youth", "parents", "disabled"],
              street="ul. Szpitalna 1", town=WIELICZKA,
              contact=("Monika Czarnecka", "psycholog", "12 278 32 05"),
              eligibility={"description": "Dzieci i młodzież z powiatu wielickiego",
                           "max_age": 24},
              documents=("Wniosek rodzica",), capacity="waitlist", waiting_days=45,
              served=(A, B, C), shift=0.01),
    _offering(A, PUP_D, "Szkolenia zawodowe i bony szkoleniowe",
              "Kursy zawodowe finansowane przez urząd pracy: operator wózka widłowego, "
              "opiekun osoby starszej, kucharz, kursy komputerowe.",
              "unemployment.vocational_training", ["unemployed", "adults", "youth"],
              street="ul. Dembowskiego 2", town=WIELICZKA,
              contact=("Beata Michalska", "doradczyni zawodowa", "12 278 29 80"),
              eligibility={"description": "Osoby zarejestrowane jako bezrobotne", "min_age": 18},
              served=(A, B, C), shift=-0.01),
    _offering(A, PUP_D, "Doradztwo zawodowe i pośrednictwo pracy",
              "Indywidualne spotkania z doradcą zawodowym, oferty pracy, staże i prace "
              "interwencyjne, pomoc w napisaniu CV.",
              "unemployment.career_counselling", ["unemployed", "youth", "migrants"],
              street="ul. Dembowskiego 2", town=WIELICZKA,
              contact=("Beata Michalska", "doradczyni zawodowa", "12 278 29 80"),
              served=(A, B, C), languages=("pl", "uk", "en"), shift=-0.01),
    # --- Niepołomice (B)
    _offering(B, OPS_B, "Mieszkanie treningowe dla usamodzielnianych",
              "Mieszkanie chronione treningowe dla wychowanków pieczy zastępczej i osób "
              "wychodzących z kryzysu bezdomności, z opieką pracownika socjalnego.",
              "housing.sheltered_housing", ["homeless", "youth", "crisis"],
              street="ul. Bocheńska 26", town=NIEPOLOMICE,
              contact=("Piotr Wójcik", "pracownik socjalny", "12 281 13 54"),
              eligibility={"min_age": 18, "decision_required": True},
              capacity="no_capacity"),
    _offering(B, OPS_B, "Dodatek mieszkaniowy i energetyczny",
              "Pomoc w opłatach za mieszkanie: dodatek mieszkaniowy, dodatek energetyczny, "
              "pomoc w spłacie zadłużenia czynszowego.",
              "housing.housing_allowance", ["families", "seniors", "adults"],
              street="ul. Bocheńska 26", town=NIEPOLOMICE,
              contact=("Bartosz Nowak", "specjalista ds. świadczeń", "12 281 13 58"),
              eligibility={"description": "Kryterium dochodowe", "decision_required": True},
              documents=("Deklaracja o dochodach", "Umowa najmu")),
    _offering(B, SP1_B, "Pomoc psychologiczna w szkole",
              "Konsultacje psychologa szkolnego dla uczniów i rodziców, zajęcia z radzenia sobie "
              "ze stresem i przeciwdziałania przemocy rówieśniczej.",
              "public_education.psych_ped_support", ["children", "youth", "parents"],
              street="ul. Szkolna 2", town=NIEPOLOMICE, hours=("08:00", "14:00"),
              contact=("Ewelina Sikora", "psycholog szkolny", "12 281 10 59"), shift=0.002),
    _offering(B, KP_B, "Dzielnicowy – profilaktyka i bezpieczeństwo",
              "Spotkania z dzielnicowym, pomoc osobom doznającym przemocy, profilaktyka "
              "uzależnień i cyberprzemocy w szkołach.",
              "social_assistance.violence", ["violence", "youth", "seniors"],
              street="ul. Kościuszki 7", town=NIEPOLOMICE,
              contact=("Krzysztof Mazur", "dzielnicowy", "47 832 87 25"), shift=-0.002),
    _offering(B, NCM_B, "Rehabilitacja ruchowa dla seniorów",
              "Fizjoterapia, gimnastyka korekcyjna i zajęcia usprawniające dla osób starszych "
              "po urazach i z chorobami układu ruchu.",
              "health.rehabilitation", ["seniors", "disabled"],
              street="ul. Bocheńska 28", town=NIEPOLOMICE,
              contact=("Rejestracja", "rejestracja", "12 281 40 40"),
              eligibility={"referral_required": True, "min_age": 60},
              documents=("Skierowanie lekarskie",), capacity="waitlist", waiting_days=90,
              shift=0.003),
    _offering(B, RAZEM_B, "Klub seniora",
              "Spotkania, wycieczki, zajęcia ruchowe i komputerowe dla seniorów; wspólne "
              "śpiewanie i warsztaty rękodzieła.",
              "civic_activity.senior_clubs", ["seniors"],
              street="ul. Zamkowa 2", town=NIEPOLOMICE, days=(2, 4), hours=("10:00", "13:00"),
              contact=("Irena Wróbel", "prezeska stowarzyszenia", "604 118 272"), shift=-0.004),
    _offering(B, RAZEM_B, "Opieka wytchnieniowa dla opiekunów",
              "Czasowe zastępstwo w opiece nad osobą z niepełnosprawnością, aby opiekun mógł "
              "odpocząć; opieka w domu lub w ośrodku dziennym.",
              "disability_support.respite_care", ["carers", "disabled"],
              street="ul. Zamkowa 2", town=NIEPOLOMICE,
              contact=("Irena Wróbel", "koordynatorka programu", "604 118 272"),
              eligibility={"description": "Opiekunowie osób z orzeczeniem o niepełnosprawności",
                           "decision_required": False},
              documents=("Orzeczenie o niepełnosprawności",), shift=-0.004),
    _offering(B, RAZEM_B, "Wolontariat sąsiedzki",
              "Wolontariusze pomagają sąsiadom: zakupy, wizyty u lekarza, towarzystwo dla osób "
              "samotnych. Zapraszamy też nowych wolontariuszy.",
              "civic_activity.volunteering", ["seniors", "disabled", "adults"],
              street="ul. Zamkowa 2", town=NIEPOLOMICE,
              contact=("Irena Wróbel", "prezeska stowarzyszenia", "604 118 272"), shift=-0.004),
    _offering(B, WTZ_B, "Warsztat terapii zajęciowej",
              "Terapia zajęciowa w pracowniach: ceramicznej, stolarskiej, kulinarnej i "
              "komputerowej dla dorosłych osób z niepełnosprawnością intelektualną.",
              "reintegration.occupational_therapy", ["disabled", "adults"],
              street="ul. Wimmera 4", town=NIEPOLOMICE, hours=("08:00", "15:00"),
              contact=("Sylwia Lis", "kierowniczka warsztatu", "12 281 25 33"),
              eligibility={"min_age": 18, "description": "Orzeczenie o niepełnosprawności ze "
                           "wskazaniem do terapii zajęciowej"},
              capacity="waitlist", waiting_days=120, shift=0.005),
    # --- Kłaj (C)
    _offering(C, OPS_C, "Transport dla osób z niepełnosprawnościami",
              "Dowóz busem przystosowanym dla wózków do lekarza, na rehabilitację i do urzędów.",
              "disability_support.transport", ["disabled", "seniors"],
              street="Kłaj 655", town=KLAJ,
              contact=("Renata Kurek", "kierowniczka GOPS", "12 284 11 82"),
              cost={"kind": "co_paid", "amount": 5, "description": "za kurs"}),
    _offering(C, SP_C, "Zajęcia sportowe dla dzieci",
              "Pozalekcyjne zajęcia piłki nożnej, siatkówki i gimnastyki na hali sportowej "
              "szkoły.",
              "sport_tourism.sport_activities", ["children", "youth"],
              street="Kłaj 2", town=KLAJ, days=(1, 3, 5), hours=("15:00", "17:00"),
              contact=("Dorota Baran", "nauczycielka wychowania fizycznego", "12 284 10 36"),
              eligibility={"min_age": 7, "max_age": 15}, shift=0.002),
    _offering(C, OZ_C, "Szczepienia i bilanse zdrowia dziecka",
              "Szczepienia ochronne według kalendarza, bilanse zdrowia, porady pediatry.",
              "health.prevention", ["children", "parents"],
              street="Kłaj 649", town=KLAJ,
              contact=("Rejestracja", "rejestracja", "12 284 10 62"), shift=-0.002),
    _offering(C, KGW_C, "Warsztaty kulinarne i rękodzieła",
              "Warsztaty gotowania tradycyjnych potraw i rękodzieła dla mieszkańców w każdym "
              "wieku; spotkania międzypokoleniowe.",
              "culture.workshops", ["adults", "seniors", "families"],
              street="Kłaj 598", town=KLAJ, days=(6,), hours=("10:00", "14:00"),
              contact=("Koło Gospodyń", "przewodnicząca", "692 301 744"),
              cost={"kind": "paid", "amount": 20, "description": "za warsztat, z materiałami"},
              accessible=False, shift=0.003),
)
# fmt: on


def load_basket(
    base_url: str,
    token_for: Callable[[str], str],
    *,
    timeout: float = 60.0,
    publish: bool = True,
) -> dict[str, str]:
    """Add (and publish) the demo offerings through the basket API; returns title → id.

    Providers are found by name in the basket's own read model (GET /v1/institutions), which
    fills from the partners events: this waits until every provider there may offer services.
    Offerings already present (same title and provider) are not added twice.
    """
    ids: dict[str, str] = {}
    with httpx.Client(base_url=base_url, timeout=30.0) as client:

        def headers(user: str) -> dict[str, str]:
            return {"Authorization": f"Bearer {token_for(user)}"}

        providers: dict[tuple[str, str], str] = {}
        known: set[tuple[str, str]] = set()
        previous: frozenset[tuple[str, str]] | None = None
        deadline = time.monotonic() + timeout
        needed = {(o["tenant"], o["provider"]) for o in DEMO_OFFERINGS}
        # Wait until the read model (fed by the partners events) knows every provider, then
        # offer services only for those that take part in the partnership.
        while True:
            for tenant in (A, B, C):
                response = client.get(
                    "/v1/institutions", params={"tenant": tenant}, headers=headers(WRITER[tenant])
                )
                response.raise_for_status()
                for item in response.json():
                    known.add((tenant, item["name"]))
                    if item["may_offer"]:
                        providers[(tenant, item["name"])] = item["id"]
            missing = needed - known
            active = frozenset(providers)
            if not missing and (needed <= active or active == previous):
                break  # all known, and the memberships behind them have settled
            previous = active if not missing else None
            if time.monotonic() > deadline:
                if missing:
                    raise RuntimeError(f"providers unknown to the basket: {sorted(missing)}")
                break
            time.sleep(1.0)

        for entry in DEMO_OFFERINGS:
            tenant, body = entry["tenant"], dict(entry["body"])
            institution_id = providers.get((tenant, entry["provider"]))
            if institution_id is None:  # invited, suspended or left: no offering
                continue
            writer = WRITER[tenant]
            existing = client.get(
                "/v1/offerings",
                params={"tenant": tenant, "institution_id": institution_id, "per_page": 200},
                headers=headers(writer),
            )
            existing.raise_for_status()
            same = [i for i in existing.json()["items"] if i["title"] == body["title"]]
            if same:
                ids[body["title"]] = same[0]["id"]
                continue
            response = client.post(
                "/v1/offerings",
                json={**body, "institution_id": institution_id},
                headers=headers(writer),
            )
            if response.status_code != 201:
                raise RuntimeError(f"{body['title']}: {response.status_code} {response.text}")
            offering_id = response.json()["id"]
            if publish:
                client.post(
                    f"/v1/offerings/{offering_id}/publish", headers=headers(writer)
                ).raise_for_status()
            ids[body["title"]] = offering_id
    return ids
