"""Pages over the notifications service: the inbox with its live unread count (server-sent events
proxied from the service, ADR 0070), notification preferences, and the webhook endpoints of
partner systems with their delivery log and dead letters."""

from __future__ import annotations

import contextlib
import json
import logging
import re
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response, StreamingResponse

from shared.auth import Role
from web.clients.base import ApiProblem, ServiceUnavailable
from web.deps import (
    Forbidden,
    LoginRequired,
    OptionalSession,
    SignedIn,
    T,
    User,
    redirect,
    render,
    signed_in_user,
)

log = logging.getLogger(__name__)

router = APIRouter(tags=["notifications"])

PER_PAGE = 20
KINDS = ("referral", "consent", "meeting", "team", "case", "partnership", "basket", "reminder")
CHANNELS = ("in_app", "email")
DELIVERY_STATES = ("pending", "delivered", "dead", "cancelled")
UNREAD_KEY = "notifications.unread"  # the last count seen, in the session (the header badge)
ONCE_KEY = "notifications.once"  # a secret shown once after registration or rotation

# --- the unread count in the header ----------------------------------------------------------


def remember_unread(user: User, count: int) -> None:
    user.session.data[UNREAD_KEY] = count


async def unread_summary(user: User) -> dict[str, Any]:
    """The start page's block: the unread count and the latest unread notices (for everyone)."""
    try:
        inbox = await user.notifications().inbox(unread=True, per_page=3)
    except (ApiProblem, ServiceUnavailable) as exc:
        log.info("inbox unavailable for the start page", extra={"error": str(exc)})
        return {"inbox_home": {"available": False}}
    remember_unread(user, int(inbox["unread"]))
    return {
        "inbox_home": {
            "available": True,
            "unread": int(inbox["unread"]),
            "items": [dict(item, href=open_href(item)) for item in inbox["items"]],
        }
    }


# --- where a notice leads ----------------------------------------------------------------------

# The service's links are the platform's Polish paths (also used in its e-mails); these are the
# pages of this front end that show those objects.
_UUID = r"[0-9a-fA-F-]{36}"
LINKS: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(rf"^/sprawy/({_UUID})/skierowania/({_UUID})$"),
        "/cases/{0}/referrals#referral-{1}",
    ),
    (re.compile(rf"^/sprawy/({_UUID})$"), "/cases/{0}"),
    (re.compile(rf"^/partnerstwa/{_UUID}$"), "/partnership"),
    (re.compile(rf"^/koszyk/({_UUID})$"), "/basket/{0}"),
)


def page_for(link: str | None) -> str | None:
    """The page of this front end for a notice's link, or None when there is none."""
    if not link:
        return None
    for pattern, target in LINKS:
        match = pattern.match(link)
        if match:
            return target.format(*match.groups())
    return None


def open_href(item: dict[str, Any]) -> str | None:
    return f"/notifications/{item['id']}/open" if page_for(item.get("link")) else None


# --- the inbox ---------------------------------------------------------------------------------


@router.get("/notifications")
async def inbox(request: Request, user: SignedIn, unread: bool = False, page: int = 1) -> Response:
    page = max(page, 1)
    result = await user.notifications().inbox(unread=unread, page=page, per_page=PER_PAGE)
    remember_unread(user, int(result["unread"]))
    items = [dict(item, href=open_href(item)) for item in result["items"]]
    return render(
        request,
        "notifications/inbox.html",
        {
            "items": items,
            "unread": int(result["unread"]),
            "unread_only": unread,
            "page": page,
            "has_next": len(items) == PER_PAGE,
            "query": "unread=true&" if unread else "",
        },
    )


# The e-mails of the service link to these Polish paths.
@router.get("/powiadomienia", include_in_schema=False)
async def inbox_pl() -> Response:
    return redirect("/notifications", 301)


@router.get("/powiadomienia/ustawienia", include_in_schema=False)
async def preferences_pl() -> Response:
    return redirect("/notifications/preferences", 301)


# The e-mails link to the objects' Polish paths too (`{web}/sprawy/...`): the same pages.
@router.get("/sprawy/{rest:path}", include_in_schema=False)
@router.get("/partnerstwa/{rest:path}", include_in_schema=False)
@router.get("/koszyk/{rest:path}", include_in_schema=False)
async def object_pl(request: Request, t: T) -> Response:
    target = page_for(request.url.path)
    if target is None:
        return render(request, "error.html", {"message": t("error.not_found")}, status_code=404)
    return redirect(target)


def back_to_inbox(request: Request) -> str:
    """Back to the inbox page the form was on (its filter and page), never elsewhere."""
    query = request.url.query
    allowed = {k: v for k, v in request.query_params.items() if k in ("unread", "page")}
    if not query or not allowed:
        return "/notifications"
    return "/notifications?" + "&".join(f"{k}={v}" for k, v in allowed.items() if v.isalnum())


@router.post("/notifications/{notice_id}/read")
async def mark_read(request: Request, user: SignedIn, t: T, notice_id: int) -> Response:
    await user.notifications().mark_read(notice_id)
    user.session.flash.append(t("inbox.marked"))
    return redirect(back_to_inbox(request))


@router.post("/notifications/read-all")
async def mark_all_read(request: Request, user: SignedIn, t: T) -> Response:
    await user.notifications().mark_all_read()
    remember_unread(user, 0)
    user.session.flash.append(t("inbox.marked_all"))
    return redirect(back_to_inbox(request))


@router.get("/notifications/{notice_id}/open")
async def open_notice(user: SignedIn, t: T, notice_id: int) -> Response:
    """Opening a notice marks it read (as a mail client does; it changes only the reader's own
    inbox) and goes to the page of its object."""
    notice = await user.notifications().mark_read(notice_id)
    target = page_for(notice.get("link"))
    if target is None:
        user.session.flash.append(t("inbox.no_link"))
        return redirect("/notifications")
    return redirect(target)


# --- the live unread count (server-sent events) ------------------------------------------------

# The stream ends a little before the access token expires; the browser's EventSource comes back
# after `retry` ms through the session, which refreshes the token (ADR 0070).
STREAM_MARGIN_S = 20
STREAM_MAX_S = 15 * 60
RETRY_MS = 3000


def _unread_of(event_block: str) -> int | None:
    data = "".join(
        line[5:].strip() for line in event_block.splitlines() if line.startswith("data:")
    )
    if not data:
        return None
    try:
        value = json.loads(data).get("unread")
    except (ValueError, AttributeError):
        return None
    return int(value) if isinstance(value, int) else None


@router.get("/notifications/unread/stream")
async def unread_stream(request: Request, session: OptionalSession) -> Response:
    """The service's SSE stream of the signed-in user's unread count, passed through as it comes
    (no buffering). Not signed in: 204, which tells EventSource to stop reconnecting."""
    try:
        user = await signed_in_user(request, session)
    except LoginRequired:
        return Response(status_code=204)
    assert user.session.tokens is not None
    deadline = time.monotonic() + min(
        STREAM_MAX_S, max(user.session.tokens.expires_at - time.time() - STREAM_MARGIN_S, 5)
    )
    stack = contextlib.AsyncExitStack()
    try:
        upstream = await stack.enter_async_context(user.notifications().unread_stream())
    except (ApiProblem, ServiceUnavailable):
        await stack.aclose()
        return Response(status_code=503, headers={"Retry-After": "30"})

    async def body() -> AsyncIterator[bytes]:
        buffer = ""
        try:
            yield f"retry: {RETRY_MS}\n\n".encode()
            async for chunk in upstream.aiter_raw():
                yield chunk
                # Remember the latest count for the header of the next page (without JS too).
                buffer += chunk.decode("utf-8", errors="replace")
                *blocks, buffer = re.split(r"\r?\n\r?\n", buffer)
                for block in blocks:
                    count = _unread_of(block)
                    if count is not None:
                        remember_unread(user, count)
                if time.monotonic() > deadline:
                    break
        finally:
            await stack.aclose()

    return StreamingResponse(
        body(),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


# --- preferences -------------------------------------------------------------------------------


async def preferences_page(
    request: Request,
    user: User,
    *,
    prefs: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    current = prefs or await user.notifications().preferences()
    enabled = {(c["kind"], c["channel"]): bool(c["enabled"]) for c in current["channels"]}
    kinds = list(dict.fromkeys([*KINDS, *(c["kind"] for c in current["channels"])]))
    return render(
        request,
        "notifications/preferences.html",
        {
            "prefs": current,
            "kinds": kinds,
            "channels": CHANNELS,
            "enabled": enabled,
            "errors": errors or {},
        },
        status_code=422 if errors else 200,
    )


@router.get("/notifications/preferences")
async def preferences(request: Request, user: SignedIn) -> Response:
    return await preferences_page(request, user)


@router.post("/notifications/preferences")
async def save_preferences(request: Request, user: SignedIn, t: T) -> Response:
    form = await request.form()
    client = user.notifications()
    current = await client.preferences()
    channels = [
        {
            "kind": c["kind"],
            "channel": c["channel"],
            "enabled": f"{c['kind']}:{c['channel']}" in form,
        }
        for c in current["channels"]
    ]
    digest = form.get("daily_digest") == "on"
    try:
        await client.set_preferences({"daily_digest": digest, "channels": channels})
    except ApiProblem as problem:
        if problem.status not in (400, 422):
            raise
        errors = {
            ("daily_digest" if k == "daily_digest" else "_form"): v
            for k, v in (problem.field_errors() or {"_form": problem.detail or ""}).items()
        }
        wanted = dict(current, daily_digest=digest, channels=channels)
        return await preferences_page(request, user, prefs=wanted, errors=errors)
    user.session.flash.append(t("prefs.saved"))
    return redirect("/notifications/preferences")


# --- webhook endpoints -------------------------------------------------------------------------


async def webhook_user(user: SignedIn) -> User:
    """Regional administrators (every endpoint) and staff of a partner institution (its own)."""
    p = user.principal
    if Role.REGIONAL_ADMIN in p.roles:
        return user
    if p.institution_id is not None and p.has_role(Role.PARTNER_STAFF, Role.PARTNER_EDITOR):
        return user
    raise Forbidden()


WebhookUser = Annotated[User, Depends(webhook_user)]

ENDPOINT_FIELDS = ("url", "description", "institution_id", "tenants")


def is_admin(user: User) -> bool:
    return Role.REGIONAL_ADMIN in user.principal.roles


def grouped_types(types: list[str]) -> list[tuple[str, list[str]]]:
    groups: dict[str, list[str]] = {}
    for code in types:
        prefix = code.split(".", 1)[0]
        group = prefix if prefix in ("partners", "basket", "cases") else "other"
        groups.setdefault(group, []).append(code)
    order = ("partners", "basket", "cases", "other")
    return [(g, groups[g]) for g in order if g in groups]


async def names_of_institutions(user: User) -> dict[str, str]:
    """Institution names for an administrator's lists and form (the registry, first 200)."""
    try:
        result = await user.partners().institutions(per_page=200)
    except (ApiProblem, ServiceUnavailable):
        return {}
    return {str(i["id"]): str(i["name"]) for i in result.get("items", [])}


async def municipalities(user: User) -> dict[str, str]:
    """TERYT code → municipality name, from the partnerships the user can see."""
    try:
        partnerships = await user.partners().partnerships()
    except (ApiProblem, ServiceUnavailable):
        return {}
    return {str(p["tenant"]): str(p["municipality_name"]) for p in partnerships}


def take_once(user: User, endpoint_id: str) -> dict[str, Any] | None:
    once = user.session.data.get(ONCE_KEY)
    if isinstance(once, dict) and once.get("endpoint_id") == endpoint_id:
        user.session.data.pop(ONCE_KEY, None)
        return once
    return None


@router.get("/webhooks")
async def webhooks(request: Request, user: WebhookUser) -> Response:
    endpoints = await user.notifications().endpoints()
    names = await names_of_institutions(user) if is_admin(user) else {}
    return render(
        request,
        "notifications/webhooks.html",
        {"endpoints": endpoints, "names": names, "admin": is_admin(user)},
    )


async def endpoint_form(
    request: Request,
    user: User,
    *,
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
) -> Response:
    client = user.notifications()
    admin = is_admin(user)
    context: dict[str, Any] = {
        "groups": grouped_types(await client.event_types()),
        "admin": admin,
        "values": values or {"event_types": []},
        "errors": errors or {},
    }
    if admin:
        names = await names_of_institutions(user)
        context["institutions"] = sorted(names.items(), key=lambda kv: kv[1].lower())
        known = await municipalities(user)
        context["known"] = ", ".join(f"{name} – {code}" for code, name in sorted(known.items()))
    return render(
        request, "notifications/webhook_new.html", context, status_code=422 if errors else 200
    )


@router.get("/webhooks/new")
async def new_endpoint(request: Request, user: WebhookUser) -> Response:
    return await endpoint_form(request, user)


@router.post("/webhooks/new")
async def register_endpoint(request: Request, user: WebhookUser, t: T) -> Response:
    form = await request.form()
    values: dict[str, Any] = {name: str(form.get(name) or "").strip() for name in ENDPOINT_FIELDS}
    values["event_types"] = [str(v) for v in form.getlist("event_types")]
    body: dict[str, Any] = {"url": values["url"], "event_types": values["event_types"]}
    if values["description"]:
        body["description"] = values["description"]
    errors: dict[str, str] = {}
    if not values["url"]:
        errors["url"] = t("form.required")
    if is_admin(user):
        body["institution_id"] = values["institution_id"] or None
        tenants = [c.strip() for c in re.split(r"[,\s;]+", values["tenants"]) if c.strip()]
        body["tenants"] = tenants or None
        if not values["institution_id"]:
            errors["institution_id"] = t("form.required")
        if not tenants:
            errors["tenants"] = t("form.required")
    if errors:
        return await endpoint_form(request, user, values=values, errors=errors)
    try:
        created = await user.notifications().register_endpoint(body)
    except ApiProblem as problem:
        if problem.status not in (400, 403, 409, 422):
            raise
        found = problem.field_errors() or {"_form": problem.detail or problem.title}
        shown = {
            (k if k in (*ENDPOINT_FIELDS, "event_types") else "_form"): v for k, v in found.items()
        }
        return await endpoint_form(request, user, values=values, errors=shown)
    user.session.data[ONCE_KEY] = {"endpoint_id": str(created["id"]), "secret": created["secret"]}
    user.session.flash.append(t("form.saved"))
    return redirect(f"/webhooks/{created['id']}")


@router.get("/webhooks/dead-letters")
async def dead_letters(request: Request, user: WebhookUser, page: int = 1) -> Response:
    page = max(page, 1)
    client = user.notifications()
    result = await client.dead_letters(page=page, per_page=PER_PAGE)
    endpoints = {str(e["id"]): e for e in await client.endpoints()}
    return render(
        request,
        "notifications/dead_letters.html",
        {
            "result": result,
            "endpoints": endpoints,
            "page": page,
            "pages": max(1, -(-int(result["total"]) // PER_PAGE)),
        },
    )


@router.get("/webhooks/{endpoint_id}")
async def endpoint(
    request: Request,
    user: WebhookUser,
    endpoint_id: str,
    status: str | None = None,
    page: int = 1,
) -> Response:
    status = status if status in DELIVERY_STATES else None
    page = max(page, 1)
    client = user.notifications()
    found = await client.endpoint(endpoint_id)
    log_page = await client.deliveries(endpoint_id, status=status, page=page, per_page=PER_PAGE)
    names = await names_of_institutions(user) if is_admin(user) else {}
    return render(
        request,
        "notifications/webhook.html",
        {
            "endpoint": found,
            "once": take_once(user, endpoint_id),
            "log": log_page,
            "status": status or "",
            "states": DELIVERY_STATES,
            "page": page,
            "pages": max(1, -(-int(log_page["total"]) // PER_PAGE)),
            "names": names,
        },
    )


@router.post("/webhooks/{endpoint_id}/rotate")
async def rotate_secret(user: WebhookUser, t: T, endpoint_id: str) -> Response:
    rotated = await user.notifications().rotate_secret(endpoint_id)
    user.session.data[ONCE_KEY] = {
        "endpoint_id": endpoint_id,
        "secret": rotated["secret"],
        "previous_until": rotated["previous_secret_expires_at"],
    }
    return redirect(f"/webhooks/{endpoint_id}")


@router.post("/webhooks/{endpoint_id}/active")
async def set_active(request: Request, user: WebhookUser, t: T, endpoint_id: str) -> Response:
    form = await request.form()
    active = form.get("active") == "true"
    await user.notifications().change_endpoint(endpoint_id, {"active": active})
    user.session.flash.append(t("webhooks.resumed" if active else "webhooks.paused"))
    return redirect(f"/webhooks/{endpoint_id}")


@router.get("/webhooks/{endpoint_id}/delete")
async def confirm_delete(request: Request, user: WebhookUser, endpoint_id: str) -> Response:
    found = await user.notifications().endpoint(endpoint_id)
    return render(request, "notifications/webhook_delete.html", {"endpoint": found})


@router.post("/webhooks/{endpoint_id}/delete")
async def delete_endpoint(user: WebhookUser, t: T, endpoint_id: str) -> Response:
    await user.notifications().delete_endpoint(endpoint_id)
    user.session.flash.append(t("webhooks.deleted"))
    return redirect("/webhooks")


@router.get("/webhooks/{endpoint_id}/deliveries/{delivery_id}")
async def delivery(
    request: Request, user: WebhookUser, endpoint_id: str, delivery_id: int
) -> Response:
    client = user.notifications()
    found = await client.endpoint(endpoint_id)
    attempts = await client.attempts(delivery_id)
    return render(
        request,
        "notifications/delivery.html",
        {"endpoint": found, "delivery_id": delivery_id, "attempts": attempts},
    )


def _back(request: Request, fallback: str) -> str:
    """Back to the page the replay form was on (a local path named in the form), or fallback."""
    target = str(request.query_params.get("back") or "")
    return target if target.startswith("/webhooks") and "//" not in target else fallback


@router.post("/webhooks/dead-letters/{delivery_id}/replay")
async def replay(request: Request, user: WebhookUser, t: T, delivery_id: int) -> Response:
    count = await user.notifications().replay(delivery_id)
    user.session.flash.append(t("webhooks.replayed", count=count))
    return redirect(_back(request, "/webhooks/dead-letters"))


@router.post("/webhooks/{endpoint_id}/replay")
async def replay_endpoint(user: WebhookUser, t: T, endpoint_id: str) -> Response:
    count = await user.notifications().replay_endpoint(endpoint_id)
    user.session.flash.append(t("webhooks.replayed", count=count))
    return redirect(f"/webhooks/{endpoint_id}")
