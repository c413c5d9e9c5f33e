"""Both languages say everything; Polish dates, numbers and alphabetical order."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path

import web
from shared.auth import Role
from web.i18n import MESSAGES, SECTOR_NAMES, STATE_NAMES, Translator, polish_sort_key


def test_both_languages_have_the_same_messages() -> None:
    assert MESSAGES["pl"].keys() == MESSAGES["en"].keys()
    assert SECTOR_NAMES["pl"].keys() == SECTOR_NAMES["en"].keys()
    assert STATE_NAMES["pl"].keys() == STATE_NAMES["en"].keys()


def test_polish_formats() -> None:
    t = Translator("pl")
    assert t.date(date(2026, 11, 23)) == "23 listopada 2026"
    # Stored in UTC, shown in Warsaw time (CET, +1 in November).
    assert t.datetime(datetime(2026, 11, 23, 9, 30, tzinfo=UTC)) == "23 listopada 2026, 10:30"
    assert t.datetime("2026-07-01T08:00:00Z") == "1 lipca 2026, 10:00"
    assert t.number(1234567.5) == "1\xa0234\xa0567,5"
    assert Translator("en").number(1234567.5) == "1,234,567.5"
    assert Translator("en").date("2026-11-23") == "23 November 2026"


def test_unknown_language_and_key_fall_back() -> None:
    assert Translator("de").language == "pl"
    assert Translator("en")("no.such.key") == "no.such.key"
    assert Translator("en")("home.hello", name="Ala") == "Hello, Ala"
    assert Translator("en").sector("police") == "Police"


def test_polish_alphabetical_order() -> None:
    names = [
        "Żłobek",
        "Zespół Szkół",
        "Ósemka",
        "Ośrodek",
        "Łącznik",
        "Lider",
        "ćma",
        "Cyrk",
        "ąb",
        "Ab",
    ]
    assert sorted(names, key=polish_sort_key) == [
        "Ab",
        "ąb",
        "Cyrk",
        "ćma",
        "Lider",
        "Łącznik",
        "Ośrodek",
        "Ósemka",
        "Zespół Szkół",
        "Żłobek",
    ]


def test_every_message_the_templates_and_routes_ask_for_exists() -> None:
    source = Path(web.__file__).parent
    files = [*source.rglob("*.html"), *source.rglob("*.py")]
    asked = {
        key
        for path in files
        for key in re.findall(r"\bt\(\s*[\"']([a-z][a-z_.-]*)[\"']", path.read_text("utf-8"))
        if not key.endswith(".")  # a prefix completed at run time, checked below
    }
    asked |= {f"role.{role.value}" for role in Role}
    asked |= {f"meeting.{status}" for status in ("scheduled", "held", "cancelled")}
    assert len(asked) > 50
    assert asked <= MESSAGES["pl"].keys(), asked - MESSAGES["pl"].keys()
