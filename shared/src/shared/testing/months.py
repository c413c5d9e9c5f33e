"""Month names as the tests expect them, written out by hand (not from babel or our tables)."""

from __future__ import annotations

# Mianownik: "grudzień 2026" (a month on its own, a report's period).
NOMINATIVE_PL = (
    "styczeń", "luty", "marzec", "kwiecień", "maj", "czerwiec",
    "lipiec", "sierpień", "wrzesień", "październik", "listopad", "grudzień",
)  # fmt: skip
# Dopełniacz: "7 grudnia 2026" (a day of the month).
GENITIVE_PL = (
    "stycznia", "lutego", "marca", "kwietnia", "maja", "czerwca",
    "lipca", "sierpnia", "września", "października", "listopada", "grudnia",
)  # fmt: skip
ENGLISH = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
MONTHS = range(1, 13)
