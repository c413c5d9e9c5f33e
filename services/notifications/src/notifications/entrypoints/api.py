"""HTTP API of the notifications service: webhook endpoints, delivery log and dead letters, the
pull feed and the AsyncAPI document for partner systems; the in-app inbox and preferences."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import AsyncIterator
from datetime import timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from sse_starlette.sse import EventSourceResponse

from notifications import views
from notifications.adapters.endpoints import SqlEndpointRepository
from notifications.adapters.network import allowed_addresses
from notifications.entrypoints.asyncapi import document
from notifications.entrypoints.deps import Ctx, Me, Session, SignedIn, UoW, institution_scope
from notifications.entrypoints.schemas import (
    AttemptOut,
    DeliveryOut,
    EndpointCreated,
    EndpointIn,
    EndpointOut,
    EndpointPatch,
    FeedOut,
    InboxOut,
    NoticeOut,
    PreferencesIn,
    PreferencesOut,
    ReplayOut,
    RotateIn,
    SecretOut,
    UnreadOut,
)
from notifications.service import handlers, webhooks
from notifications.service.webhooks import check_event_types
from shared.auth.deps import CurrentPrincipal
from shared.errors import Forbidden, InvalidInput
from shared.errors.problems import PROBLEM_RESPONSES
from shared.paging import BigintId, FeedCursor, Page, Paging

router = APIRouter(prefix="/v1", responses=PROBLEM_RESPONSES)


def _checker(ctx: Ctx) -> webhooks.CheckUrl:
    async def check(url: str) -> list[str]:
        return await allowed_addresses(url, ctx.allowlist)

    return check


# --- webhook endpoints ------------------------------------------------------------------------


@router.post("/endpoints", status_code=201, tags=["webhooks"], response_model=EndpointCreated)
async def register_endpoint(
    body: EndpointIn, principal: CurrentPrincipal, uow: UoW, ctx: Ctx
) -> dict[str, Any]:
    """Register a webhook endpoint of the caller's institution, for its municipalities; a
    regional administrator registers one for a partner institution it names, with its
    municipalities."""
    scope = institution_scope(principal)
    if scope is None:
        owner = webhooks.owner_named_by_admin(body.institution_id, body.tenants)
    else:
        if body.institution_id is not None or body.tenants is not None:
            raise Forbidden("Instytucję i gminy punktu odbioru wskazuje administrator regionalny.")
        owner = webhooks.require_owner(scope, principal.tenants, principal.client_id)
    return await handlers.register_endpoint(
        owner,
        uow=uow,
        url=body.url,
        description=body.description,
        event_types=body.event_types,
        secret=body.secret,
        check=_checker(ctx),
    )


@router.get("/endpoints", tags=["webhooks"], response_model=list[EndpointOut])
async def list_endpoints(principal: CurrentPrincipal, session: Session) -> list[dict[str, Any]]:
    return await views.endpoints(session, institution_scope(principal))


async def _owned(session: Session, principal: CurrentPrincipal, endpoint_id: uuid.UUID) -> Any:
    return await webhooks.owned(
        SqlEndpointRepository(session), endpoint_id, institution_scope(principal)
    )


@router.get("/endpoints/{endpoint_id}", tags=["webhooks"], response_model=EndpointOut)
async def get_endpoint(
    endpoint_id: uuid.UUID, principal: CurrentPrincipal, session: Session
) -> dict[str, Any]:
    endpoint: dict[str, Any] = await _owned(session, principal, endpoint_id)
    return endpoint


@router.patch("/endpoints/{endpoint_id}", tags=["webhooks"], response_model=EndpointOut)
async def change_endpoint(
    endpoint_id: uuid.UUID,
    body: EndpointPatch,
    principal: CurrentPrincipal,
    uow: UoW,
    ctx: Ctx,
) -> dict[str, Any]:
    """Change the URL, filter or description; `active: true` re-enables a disabled endpoint."""
    changed = await handlers.change_endpoint(
        endpoint_id,
        body.model_dump(exclude_unset=True),
        uow=uow,
        scope=institution_scope(principal),
        check=_checker(ctx),
    )
    ctx.wake()
    return changed


@router.delete("/endpoints/{endpoint_id}", status_code=204, tags=["webhooks"])
async def delete_endpoint(
    endpoint_id: uuid.UUID, principal: CurrentPrincipal, uow: UoW
) -> Response:
    await handlers.delete_endpoint(endpoint_id, uow=uow, scope=institution_scope(principal))
    return Response(status_code=204)


@router.post("/endpoints/{endpoint_id}/secret/rotate", tags=["webhooks"], response_model=SecretOut)
async def rotate_secret(
    endpoint_id: uuid.UUID,
    principal: CurrentPrincipal,
    uow: UoW,
    ctx: Ctx,
    body: RotateIn | None = None,
) -> dict[str, Any]:
    """A new signing secret; the previous one stays valid (both signatures are sent) for a while."""
    secret, changed = await handlers.rotate_secret(
        endpoint_id,
        body.secret if body else None,
        uow=uow,
        scope=institution_scope(principal),
        previous_valid=timedelta(hours=ctx.settings.previous_secret_valid_h),
    )
    return {"secret": secret, "previous_secret_expires_at": changed["previous_secret_expires_at"]}


@router.get(
    "/endpoints/{endpoint_id}/deliveries", tags=["webhooks"], response_model=Page[DeliveryOut]
)
async def endpoint_deliveries(
    endpoint_id: uuid.UUID,
    principal: CurrentPrincipal,
    session: Session,
    paging: Paging,
    status: Literal["pending", "delivered", "dead", "cancelled"] | None = None,
) -> dict[str, Any]:
    """The delivery log of an endpoint, newest first."""
    await _owned(session, principal, endpoint_id)
    items, total = await views.deliveries(
        session,
        endpoint_id=endpoint_id,
        institution_id=None,
        status=status,
        limit=paging.per_page,
        offset=paging.offset,
    )
    return paging.page_of(items, total).model_dump()


@router.get(
    "/deliveries/{delivery_id}/attempts", tags=["webhooks"], response_model=list[AttemptOut]
)
async def delivery_attempts(
    delivery_id: BigintId, principal: CurrentPrincipal, session: Session
) -> list[dict[str, Any]]:
    await _owned_delivery(session, principal, delivery_id)
    return await views.attempts(session, delivery_id)


async def _owned_delivery(session: Session, principal: CurrentPrincipal, delivery_id: int) -> None:
    await webhooks.owned_delivery(
        SqlEndpointRepository(session), delivery_id, institution_scope(principal)
    )


@router.get("/dead-letters", tags=["webhooks"], response_model=Page[DeliveryOut])
async def dead_letters(
    principal: CurrentPrincipal,
    session: Session,
    paging: Paging,
    endpoint_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """Deliveries given up on (retries spent, or the receiver answered 410)."""
    items, total = await views.deliveries(
        session,
        endpoint_id=endpoint_id,
        institution_id=institution_scope(principal),
        status="dead",
        limit=paging.per_page,
        offset=paging.offset,
    )
    return paging.page_of(items, total).model_dump()


@router.post("/dead-letters/{delivery_id}/replay", tags=["webhooks"], response_model=ReplayOut)
async def replay_one(
    delivery_id: BigintId, principal: CurrentPrincipal, uow: UoW, ctx: Ctx
) -> dict[str, int]:
    count = await handlers.replay_dead_letter(
        delivery_id, uow=uow, scope=institution_scope(principal)
    )
    ctx.wake()
    return {"replayed": count}


@router.post("/dead-letters/replay", tags=["webhooks"], response_model=ReplayOut)
async def replay_all(
    principal: CurrentPrincipal, uow: UoW, ctx: Ctx, endpoint_id: uuid.UUID
) -> dict[str, int]:
    """Replay every dead letter of an endpoint (re-enable it first if it was disabled)."""
    count = await handlers.replay_dead_letters(
        endpoint_id, uow=uow, scope=institution_scope(principal)
    )
    ctx.wake()
    return {"replayed": count}


# --- pull feed and AsyncAPI -------------------------------------------------------------------


@router.get("/feed", tags=["feed"], response_model=FeedOut)
async def feed(
    principal: CurrentPrincipal,
    uow: UoW,
    cursor: FeedCursor,
    types: Annotated[list[str] | None, Query(description="Only these event types")] = None,
) -> dict[str, Any]:
    """The events the caller's institution is entitled to, in order, after a cursor: the same
    events and filtering as its webhooks."""
    if principal.institution_id is None:
        raise Forbidden("Strumień zdarzeń jest dostępny dla systemów instytucji partnerskich.")
    try:
        wanted = check_event_types(types or [])
    except ValueError as exc:
        raise InvalidInput.field("types", str(exc), "unknown_event_type") from exc
    institution_id = principal.institution_id

    async def page(_: object) -> list[tuple[int, bytes]]:
        return await views.feed(
            uow.session,
            after=cursor.after,
            limit=cursor.limit,
            tenants=sorted(principal.tenants),
            institution_id=institution_id,
            types=wanted,
        )

    # The case events on this page are disclosed to the caller's institution (ADR 0029).
    rows = await handlers.feed_page(institution_id, principal.client_id, uow=uow, fetch=page)
    return {
        "items": [json.loads(body) for _, body in rows],
        "next_cursor": cursor.next_cursor(rows[-1][0] if rows else None),
    }


@router.get("/asyncapi.json", tags=["feed"])
async def asyncapi(request: Request) -> dict[str, Any]:
    """AsyncAPI 3.0: every subject a partner system can receive, with its payload schema."""
    return document(request.app.version)


@router.get("/event-types", tags=["feed"])
async def event_types() -> list[str]:
    return webhooks.subscribable_types()


# --- in-app inbox and preferences -------------------------------------------------------------


def _viewer(me: Me) -> views.Viewer:
    p = me.principal
    return views.Viewer(me.user_id, frozenset(p.roles), frozenset(p.tenants), p.institution_id)


@router.get("/inbox", tags=["inbox"], response_model=InboxOut)
async def inbox(
    me: SignedIn, session: Session, paging: Paging, unread: bool = False
) -> dict[str, Any]:
    viewer = _viewer(me)
    items = await views.inbox(
        session, viewer, unread_only=unread, limit=paging.per_page, offset=paging.offset
    )
    return {"items": items, "unread": await views.unread_count(session, viewer)}


@router.get("/inbox/unread", tags=["inbox"], response_model=UnreadOut)
async def unread(me: SignedIn, session: Session) -> dict[str, int]:
    return {"unread": await views.unread_count(session, _viewer(me))}


@router.get(
    "/inbox/unread/stream",
    tags=["inbox"],
    response_class=Response,
    responses={
        200: {
            "description": "Strumień zdarzeń `unread` z liczbą nieprzeczytanych (`data: "
            '{"unread": n}`)',
            "content": {
                "text/event-stream": {
                    "schema": {
                        "type": "object",
                        "properties": {"event": {"const": "unread"}, "data": {"type": "string"}},
                    }
                }
            },
        }
    },
)
async def unread_stream(me: SignedIn, request: Request, ctx: Ctx) -> EventSourceResponse:
    """Server-sent events: `unread` with the count at once and whenever it changes."""
    sessions = request.app.state.runtime.sessions
    viewer = _viewer(me)

    async def counts() -> AsyncIterator[dict[str, str]]:
        last: int | None = None
        while True:
            async with sessions() as session:  # the consent decision at each push (ADR 0036)
                count = await views.unread_count(session, viewer)
            if count != last:
                last = count
                yield {"event": "unread", "data": json.dumps({"unread": count})}
            await asyncio.sleep(ctx.settings.sse_poll_s)

    return EventSourceResponse(counts(), ping=15)


@router.post("/inbox/{notice_id}/read", tags=["inbox"], response_model=NoticeOut)
async def read_notice(notice_id: BigintId, me: SignedIn, uow: UoW) -> dict[str, Any]:
    viewer = _viewer(me)

    async def notice(_: object) -> dict[str, Any] | None:
        return await views.notice(uow.session, viewer, notice_id)

    return await handlers.read_notice(notice_id, uow=uow, user_id=me.user_id, fetch=notice)


@router.post("/inbox/read-all", tags=["inbox"], response_model=UnreadOut)
async def read_all(me: SignedIn, uow: UoW) -> dict[str, int]:
    await handlers.read_all(uow=uow, user_id=me.user_id)
    return {"unread": 0}


@router.get("/preferences", tags=["inbox"], response_model=PreferencesOut)
async def get_preferences(me: SignedIn, session: Session) -> dict[str, Any]:
    return await views.preferences(session, me.user_id)


@router.put("/preferences", tags=["inbox"], response_model=PreferencesOut)
async def put_preferences(body: PreferencesIn, me: SignedIn, uow: UoW) -> dict[str, Any]:
    """Which kinds of events reach the person in the app and by e-mail; daily digest or not."""

    async def preferences(_: object) -> dict[str, Any]:
        return await views.preferences(uow.session, me.user_id)

    return await handlers.set_preferences(
        [(c.kind, c.channel, c.enabled) for c in body.channels],
        body.daily_digest,
        uow=uow,
        user_id=me.user_id,
        email=me.email,
        fetch=preferences,
    )
