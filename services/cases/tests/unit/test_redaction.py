"""The matching rules of a removed person in the case's free text (ADR 0017)."""

from __future__ import annotations

from datetime import date

from cases.domain.redaction import MARKER, Person, redact, scrub

CHILD = Person("Bartłomiej", "Zmyślony", "14230504567", date(2014, 3, 5))
MOTHER = Person("Anastazja", "Zmyślona-Testowa")
ANNA = Person("Anna", "Kowalska")


def test_certain_data_is_replaced():
    text = "Bartłomiej Zmyślony, PESEL 142 305 04567, ur. 5 marca 2014 (2014-03-05, 05.03.2014)"
    out = scrub(text, CHILD, [MOTHER])
    assert out.text == f"{MARKER}, PESEL {MARKER}, ur. {MARKER} ({MARKER}, {MARKER})"
    assert out.fragments == []


def test_inflected_and_diminutive_forms_are_queued_not_replaced():
    out = scrub("Anna Kowalska i Ani mama. Kowalskiej nie było; Anny też. Kowalscy", ANNA)
    assert out.text.startswith(MARKER)
    assert out.fragments == ["Ani", "Kowalskiej", "Anny", "Kowalscy"]
    assert out.reasons == {"inflected"}


def test_a_surname_another_person_shares_is_queued():
    out = scrub("Zmyślony junior; Zmyślona przyszła", CHILD, [MOTHER])
    assert out.text == "Zmyślony junior; Zmyślona przyszła"
    assert out.fragments == ["Zmyślony"]
    assert out.reasons == {"shared"}


def test_a_name_that_is_a_common_word_is_queued():
    out = scrub("Róża Lis przyszła. Lis w ogrodzie, róża", Person("Róża", "Lis"))
    assert out.text.startswith(MARKER)
    assert set(out.fragments) == {"Lis", "róża"}
    assert "common_word" in out.reasons


def test_apply_replaces_whole_words_only():
    assert redact("Bartka i Bartkami", ["Bartka"]) == (f"{MARKER} i Bartkami", 1)
