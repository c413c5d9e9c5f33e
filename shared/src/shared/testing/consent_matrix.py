"""The expected answers of the consent matrix over channels (issue 13, ADR 0036), written out by
hand from the consent rules (ADR 0021) — not computed by the code under test. The cases API's
test checks the API column against it, the notifications test the inbox, feed, webhook, e-mail
and live-update (SSE) columns.

The partner is an institution P with one staff member S; the consent names P (or P's sector) and
a health clinic H. States:
- none: no consent; scope_excluding: a consent naming only H; sector_scope: P's sector and H,
  all kinds, P in the team; kinds_subset: P and H with plan and meetings, P in the team;
  receiving_only: P and H with all kinds, P not in the team but a referral sent to it;
  full: P and H with all kinds, P in the team; expired: as full, expired before the events;
  withdrawn: as full, withdrawn (P's member left) before the events.
Rows: the kinds of data, the case itself, the team (H joins), a referral to another institution
(H), and the consent events.
"""

from __future__ import annotations

STATES = (
    "none",
    "scope_excluding",
    "sector_scope",
    "kinds_subset",
    "receiving_only",
    "full",
    "expired",
    "withdrawn",
)
KINDS = ("diagnosis", "plan", "referrals", "meetings", "contact")
ROWS = ("case", *KINDS, "referral_elsewhere", "team", "consent")
API_CHANNEL = "API"
EVENT_CHANNELS = ("feed", "webhook")
PERSON_CHANNELS = ("inbox", "e-mail", "SSE")
CHANNELS = (API_CHANNEL, "inbox", "feed", "webhook", "e-mail", "SSE")

_ALL = {"case", *KINDS, "referral_elsewhere", "team"}
# What S may read in the cases API in each state (a row absent: 404 or 403).
API_SEES: dict[str, set[str]] = {
    "none": set(),
    "scope_excluding": set(),
    "sector_scope": set(_ALL),
    "kinds_subset": {"case", "plan", "meetings", "team"},
    "receiving_only": {"case", "referrals"},  # only its own referral; not the team
    "full": set(_ALL),
    "expired": set(),
    "withdrawn": set(),
}
# Consent events concern P where a consent in force names it, or it was withdrawn from P.
_CONSENT_CONCERNS = {"sector_scope", "kinds_subset", "receiving_only", "full", "withdrawn"}

# Which case events exist for a row (no event carries diagnosis or contact data).
EVENT_ROWS = ("case", "plan", "meetings", "referrals", "referral_elsewhere", "team", "consent")


def expected(state: str, row: str, channel: str) -> bool | None:
    """Whether what the row stands for reaches S (or P's system) on the channel; None: the
    channel has nothing of this row to carry (no event of that kind exists)."""
    sees = API_SEES[state]
    if channel == API_CHANNEL:
        return None if row == "consent" else row in sees  # consents: the case manager's only
    if row not in EVENT_ROWS:
        return None
    if channel in EVENT_CHANNELS:
        if row == "referral_elsewhere":
            return False  # a referral's events reach only its sender and its receiver
        if row == "consent":
            return state in _CONSENT_CONCERNS
        return row in sees
    assert channel in PERSON_CHANNELS
    if row == "consent":
        # Told of the withdrawal of a consent that named P; a consent given before S joined
        # the team came when S could not open the case yet.
        return state == "withdrawn"
    if row in ("referrals", "meetings"):
        return row in sees  # a referral sent to P; a meeting of the team P is in
    return False  # no notice to S for the case's opening, the plan, H's referral or H joining


def table(
    observed: dict[tuple[str, str, str], bool | None], channels: tuple[str, ...]
) -> tuple[str, int, int]:
    """The matrix as text (one block per channel; ✓ reached and expected, · not reached and not
    expected, ✗ a mismatch, - not applicable), the number of cells checked and of mismatches."""
    lines: list[str] = []
    checked = mismatches = 0
    width = max(len(r) for r in ROWS) + 2
    for channel in channels:
        lines.append(f"\n[{channel}]".ljust(width + 1) + " ".join(s[:9].rjust(9) for s in STATES))
        for row in ROWS:
            cells = []
            for state in STATES:
                want = expected(state, row, channel)
                got = observed.get((channel, state, row))
                if want is None:
                    cells.append("-")
                    continue
                checked += 1
                if got != want:
                    mismatches += 1
                    cells.append(f"✗{'+' if got else '0'}")
                else:
                    cells.append("✓" if want else "·")
            lines.append(row.ljust(width) + " ".join(c.rjust(9) for c in cells))
    lines.append(f"\ncells checked: {checked}, mismatches: {mismatches}")
    return "\n".join(lines), checked, mismatches
