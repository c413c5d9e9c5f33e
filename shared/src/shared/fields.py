"""Field types for request models that take only what the OpenAPI says.

Pydantic's lax mode (FastAPI validates bodies and parameters as Python objects, so the models
cannot simply be strict: a UUID or a date arrives as a string) turns 0/1 into booleans, false into
0, and a number into a date or time (a Unix timestamp). The OpenAPI documents a boolean, an
integer, an ISO 8601 date or date-time; schemathesis' negative_data_rejection check found each
of these accepted. These types refuse them with 422 and leave the documented schema as it was.
"""

from __future__ import annotations

import re
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BeforeValidator, StrictBool, StrictInt

__all__ = ["IsoDate", "IsoDateTime", "StrictBool", "StrictInt"]

_NUMBER = re.compile(r"^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$")


def _not_a_number(value: Any) -> Any:
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.match(value)):
        raise ValueError("Oczekiwano daty w formacie ISO 8601.")
    return value


IsoDate = Annotated[date, BeforeValidator(_not_a_number)]
IsoDateTime = Annotated[datetime, BeforeValidator(_not_a_number)]
