"""Polish names of the codes the events carry, for views and exports."""

from __future__ import annotations

from shared.contracts.basket import AREA_NAMES_PL, AREAS

SECTORS: dict[str, str] = {
    "education": "Edukacja",
    "health": "Ochrona zdrowia",
    "justice": "Wymiar sprawiedliwości",
    "police": "Policja",
    "ngo": "Organizacje pozarządowe",
    "social_economy": "Ekonomia społeczna",
    "labour_market": "Rynek pracy",
    "family_support": "Wspieranie rodziny i piecza zastępcza",
    "business": "Biznes lokalny",
    "local_government": "Samorząd",
    "social_assistance": "Pomoc społeczna",
}

# The sectors the seeds ask every partnership to reach.
RECOMMENDED_SECTORS = ("education", "labour_market", "justice", "police", "health")

MEMBERSHIP_STATES: dict[str, str] = {
    "invited": "Zaproszone",
    "informal": "Udział nieformalny",
    "declared": "Deklaracja przystąpienia",
    "suspended": "Zawieszone",
    "left": "Wystąpiły",
}
ACTIVE_STATES = ("informal", "declared")

OFFERING_STATUSES: dict[str, str] = {
    "draft": "Robocze",
    "published": "Opublikowane",
    "suspended": "Zawieszone",
    "withdrawn": "Wycofane",
}

CAPACITY: dict[str, str] = {
    "available": "Wolne miejsca",
    "waitlist": "Lista oczekujących",
    "no_capacity": "Brak miejsc",
}

COSTS: dict[str, str] = {
    "free": "Bezpłatna",
    "co_paid": "Częściowo odpłatna",
    "paid": "Odpłatna",
}

REFERRAL_STATES: dict[str, str] = {
    "draft": "Szkic",
    "requested": "Wysłane",
    "accepted": "Przyjęte",
    "rejected": "Odrzucone",
    "cancelled": "Anulowane",
    "in-progress": "W realizacji",
    "on-hold": "Wstrzymane",
    "completed": "Zakończone",
    "failed": "Nieudane",
}

REASONS: dict[str, str] = {
    "not_eligible": "Nie spełnia kryteriów",
    "no_capacity": "Brak miejsc",
    "family_declined": "Rodzina zrezygnowała",
    "family_unreachable": "Brak kontaktu z rodziną",
    "service_unavailable": "Usługa niedostępna",
    "duplicate": "Duplikat",
    "other": "Inny",
}

OUTCOMES: dict[str, str] = {
    "goal_achieved": "Cel osiągnięty",
    "partially_achieved": "Cel osiągnięty częściowo",
    "not_achieved": "Cel nieosiągnięty",
    "other": "Inny",
}

CLOSE_REASONS: dict[str, str] = {
    "goals_achieved": "Cele osiągnięte",
    "family_withdrew": "Rodzina zrezygnowała",
    "moved_away": "Przeprowadzka",
    "transferred": "Przekazanie",
    "no_cooperation": "Brak współpracy",
    "other": "Inny",
}

__all__ = ["AREAS", "AREA_NAMES_PL"]


def sector(code: str | None) -> str:
    return SECTORS.get(code or "", code or "nieznany")


def area(code: str | None) -> str:
    return AREA_NAMES_PL.get(code or "", code or "nieznany")


def scope_label(tenant: str | None) -> str:
    return f"Gmina (TERYT {tenant})" if tenant else "Region (wszystkie gminy)"
