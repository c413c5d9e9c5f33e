"""Messages of the evaluation pages."""

from __future__ import annotations

from typing import Final

MESSAGES: Final[dict[str, dict[str, str]]] = {
    "pl": {},
    "en": {},
}
