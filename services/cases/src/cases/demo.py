"""Demo data for local runs: a couple of cases of obviously fictional families for manager-a, with
consent covering partner-a's school, partner-a in the team, a diagnosis, a plan and a meeting.

Called by the run script through the public API (so the consent checks, the access log and the
events all happen as in real use):

    load_cases("http://127.0.0.1:8103", token_for)   # token_for("manager-a") -> access token
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import httpx

from cases.domain.pesel import with_check_digit
from shared import clock

DEMO_SCHOOL = "7a1c3e52-5d0b-4a53-9b1e-2f6d0c8a0001"  # partner-a's institution in the realm
PURPOSE = {"purpose": "dane demonstracyjne"}

FAMILIES: list[list[dict[str, Any]]] = [
    [
        {"first_name": "Ewa", "last_name": "Testowa", "year_of_birth": 1988, "relation": "matka",
         "phone": "+48 000 000 001", "address": "ul. Przykładowa 1, Wieliczka (fikcyjny)",
         "pesel": with_check_digit("8801010000")},
        {"first_name": "Kacper", "last_name": "Testowy", "year_of_birth": 2013,
         "relation": "syn"},
    ],
    [
        {"first_name": "Rodzina", "last_name": "Przykładowa", "year_of_birth": 1975,
         "relation": "osoba samotna", "email": "rodzina.przykladowa@example.org"},
    ],
]  # fmt: skip


def _ok(response: httpx.Response) -> dict[str, Any]:
    if response.status_code >= 400:
        raise RuntimeError(f"{response.request.method} {response.request.url}: {response.text}")
    body: dict[str, Any] = response.json() if response.content else {}
    return body


def load_cases(
    base_url: str,
    token_for: Callable[[str], str],
    *,
    manager: str = "manager-a",
    partner: str = "partner-a",
    institution_id: str = DEMO_SCHOOL,
    timeout: float = 10.0,
    wait_for_school: float = 15.0,
) -> list[str]:
    """Create the demo cases; returns their ids. The school must already be in the cases read
    model (the partners service registers it and its event reaches cases) for the invitation;
    when it is not there within `wait_for_school` seconds, the cases are created without a
    team."""
    as_manager = {"Authorization": f"Bearer {token_for(manager)}"}
    as_partner = {"Authorization": f"Bearer {token_for(partner)}"}
    created: list[str] = []
    with httpx.Client(base_url=base_url, timeout=timeout, params=PURPOSE) as client:
        for family in FAMILIES:
            case_id = _ok(client.post("/v1/cases", json={"family": family}, headers=as_manager))[
                "id"
            ]
            created.append(case_id)
            people = client.get(f"/v1/cases/{case_id}/family", headers=as_manager)
            people.raise_for_status()
            giver = people.json()[0]["id"]
            _ok(
                client.post(
                    f"/v1/cases/{case_id}/consents",
                    headers=as_manager,
                    json={
                        "given_by_member_id": giver,
                        "method": "paper",
                        "valid_until": (clock.now() + timedelta(days=365)).isoformat(),
                        "scope": {
                            "institution_ids": [institution_id],
                            "data_kinds": ["diagnosis", "plan", "referrals", "meetings"],
                        },
                    },
                )
            )
            _ok(
                client.post(
                    f"/v1/cases/{case_id}/diagnosis",
                    headers=as_manager,
                    json={"area": "care_and_upbringing", "perspective": "family",
                          "text": "Rodzina chce, by syn wrócił do regularnej nauki."},
                )
            )  # fmt: skip
            # The school reaches the cases read model through the partners service's events,
            # which may still be on their way when the demo data of both is loaded together.
            for _attempt in range(int(wait_for_school / 0.25) + 1):
                invited = client.post(
                    f"/v1/cases/{case_id}/team",
                    headers=as_manager,
                    json={"institution_id": institution_id, "function": "pedagog szkolny"},
                )
                if invited.status_code != 422:
                    break
                time.sleep(0.25)
            responsible: dict[str, Any] = {"kind": "family"}
            if invited.status_code == 201:
                member_id = invited.json()["id"]
                _ok(client.post(f"/v1/team-invitations/{member_id}/accept", headers=as_partner))
                responsible = {"kind": "member", "member_id": member_id}
            _ok(
                client.put(
                    f"/v1/cases/{case_id}/plan",
                    headers=as_manager,
                    json={"goals": [{"title": "Stabilna sytuacja szkolna dziecka", "actions": [
                        {"title": "Konsultacja z pedagogiem", "responsible": responsible,
                         "due_on": str(clock.today() + timedelta(days=14))},
                        {"title": "Udział w spotkaniu zespołu", "responsible": {"kind": "family"},
                         "due_on": str(clock.today() + timedelta(days=21))},
                    ]}]},
                )
            )  # fmt: skip
            _ok(
                client.post(
                    f"/v1/cases/{case_id}/meetings",
                    headers=as_manager,
                    json={"kind": "consultation",
                          "starts_at": (clock.now() + timedelta(days=3)).isoformat(),
                          "place": "OPS Wieliczka, pokój 12",
                          "participants": [{"kind": "family"}, {"kind": "case_manager"}],
                          "agenda": ["Omówienie planu z rodziną"]},
                )
            )  # fmt: skip
    return created
