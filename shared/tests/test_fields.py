"""The strict request field types refuse what pydantic's lax mode would coerce (found by
schemathesis' negative_data_rejection check on bodies and query parameters)."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from pydantic import BaseModel, ValidationError

from shared.fields import IsoDate, IsoDateTime, StrictBool, StrictInt


class Body(BaseModel):
    on: StrictBool | None = None
    days: StrictInt | None = None
    day: IsoDate | None = None
    at: IsoDateTime | None = None


@pytest.mark.parametrize(
    "data",
    [
        *({"on": 0}, {"on": "true"}, {"days": False}, {"days": "3"}),
        *({"day": 0}, {"day": "20260101"}),
        *({"at": 0}, {"at": 1.5}, {"at": "0.5"}, {"at": " 1700000000 "}, {"at": "1e9"}),
    ],
)
def test_coercions_are_refused(data: dict[str, object]) -> None:
    with pytest.raises(ValidationError):
        Body.model_validate(data)


def test_the_documented_forms_are_accepted() -> None:
    body = Body.model_validate(
        {"on": True, "days": 3, "day": "2026-12-07", "at": "2026-12-07T10:00:00+00:00"}
    )
    assert body.on is True
    assert body.days == 3
    assert body.day == date(2026, 12, 7)
    assert body.at == datetime(2026, 12, 7, 10, tzinfo=UTC)
    schema = Body.model_json_schema()["properties"]
    assert schema["at"]["anyOf"][0] == {"format": "date-time", "type": "string"}
    assert schema["on"]["anyOf"][0] == {"type": "boolean"}
