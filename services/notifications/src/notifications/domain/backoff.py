"""When a failed webhook delivery is tried again: exponential steps over a day, with jitter."""

from __future__ import annotations

import random

# 5 s, 30 s, 2 min, 10 min, 30 min, 1 h, 2 h, 4 h, 8 h, 12 h: about 27.7 h in total.
DEFAULT_DELAYS: tuple[float, ...] = (
    5.0,
    30.0,
    120.0,
    600.0,
    1800.0,
    3600.0,
    7200.0,
    14400.0,
    28800.0,
    43200.0,
)


def next_delay(
    attempts: int, delays: tuple[float, ...], jitter: float = 0.2, rng: random.Random | None = None
) -> float | None:
    """Seconds to wait after the `attempts`-th failed attempt, or None when retries are spent."""
    if attempts > len(delays):
        return None
    base = delays[attempts - 1]
    spread = (rng or random).uniform(-jitter, jitter)
    return max(0.0, base * (1.0 + spread))
