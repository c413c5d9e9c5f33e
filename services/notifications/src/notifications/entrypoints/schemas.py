"""Request and response bodies of the notifications API."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool, field_validator

from notifications.service.webhooks import check_event_types, check_secret

Kind = Literal[
    "referral", "consent", "meeting", "team", "case", "partnership", "basket", "reminder"
]
Channel = Literal["in_app", "email"]


def _check_url(value: str) -> str:
    if not value.startswith(("http://", "https://")):
        raise ValueError("Adres musi zaczynać się od http:// lub https://.")
    return value


class EndpointIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str = Field(max_length=2000, description="Where deliveries are POSTed (http or https)")
    description: str | None = Field(default=None, max_length=500)
    event_types: list[str] = Field(
        default_factory=list,
        max_length=500,
        description="Event types to receive; empty: every entitled event",
    )
    secret: str | None = Field(
        default=None, description="`whsec_` + base64 of 24–64 bytes; generated when omitted"
    )
    institution_id: uuid.UUID | None = Field(
        default=None,
        description="Regional administrator only: the partner institution the endpoint belongs to",
    )
    tenants: list[Annotated[str, Field(pattern=r"^\d{4}(\d{3})?$")]] | None = Field(
        default=None,
        max_length=500,
        description="Regional administrator only: the municipalities (TERYT) it hears of",
    )

    _url = field_validator("url")(_check_url)
    _types = field_validator("event_types")(check_event_types)

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        return None if value is None else check_secret(value)


class EndpointPatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    url: str | None = Field(default=None, max_length=2000)
    description: str | None = Field(default=None, max_length=500)
    event_types: list[str] | None = Field(default=None, max_length=500)
    active: bool | None = Field(default=None, description="true re-enables a disabled endpoint")

    @field_validator("url")
    @classmethod
    def _url(cls, value: str | None) -> str | None:
        return None if value is None else _check_url(value)

    @field_validator("event_types")
    @classmethod
    def _types(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else check_event_types(value)


class RotateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    secret: str | None = None

    @field_validator("secret")
    @classmethod
    def _secret(cls, value: str | None) -> str | None:
        return None if value is None else check_secret(value)


class EndpointOut(BaseModel):
    id: uuid.UUID
    institution_id: uuid.UUID | None
    tenants: list[str]
    url: str
    description: str | None
    event_types: list[str]
    active: bool
    disabled_reason: str | None
    created_at: datetime
    updated_at: datetime
    previous_secret_expires_at: datetime | None = None


class EndpointCreated(EndpointOut):
    secret: str = Field(description="The signing secret; shown only now")


class SecretOut(BaseModel):
    secret: str
    previous_secret_expires_at: datetime


class DeliveryOut(BaseModel):
    id: int
    event_id: uuid.UUID
    event_type: str
    subject: str | None
    endpoint_id: uuid.UUID
    status: Literal["pending", "delivered", "dead", "cancelled"]
    attempts: int
    last_status_code: int | None
    last_error: str | None
    created_at: datetime
    next_attempt_at: datetime
    delivered_at: datetime | None


class AttemptOut(BaseModel):
    at: datetime
    status_code: int | None
    error: str | None
    duration_ms: int


class ReplayOut(BaseModel):
    replayed: int


class FeedOut(BaseModel):
    items: list[dict[str, Any]] = Field(description="CloudEvents, oldest first")
    next_cursor: str = Field(description="Pass as `after` to get what follows")


class NoticeOut(BaseModel):
    id: int
    kind: str
    title: str
    link: str | None
    created_at: datetime
    read_at: datetime | None


class InboxOut(BaseModel):
    items: list[NoticeOut]
    unread: int


class UnreadOut(BaseModel):
    unread: int


class ChannelPreference(BaseModel):
    model_config = ConfigDict(extra="forbid")

    kind: Kind
    channel: Channel
    enabled: StrictBool


class PreferencesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    daily_digest: StrictBool | None = Field(
        default=None, description="One e-mail a day instead of single messages"
    )
    channels: list[ChannelPreference] = Field(default_factory=list, max_length=100)


class PreferencesOut(BaseModel):
    email: str | None
    daily_digest: bool
    channels: list[ChannelPreference]
