"""Sign-in (authorization code with PKCE at the issuer), the callback, and sign-out (also at the
issuer). The browser only ever gets an opaque session cookie."""

from __future__ import annotations

import logging
import time

from fastapi import APIRouter, Request
from fastapi.responses import Response

from shared.auth import InvalidToken
from web.deps import (
    OptionalSession,
    T,
    WebApp,
    load_session,
    principal_from,
    redirect,
    render,
    safe_return_path,
)
from web.oidc import OidcError
from web.sessions import Session, same

log = logging.getLogger(__name__)

router = APIRouter(tags=["auth"])

PENDING_LOGIN_MAX_AGE_S = 15 * 60


def set_session_cookie(response: Response, web: WebApp, session: Session) -> None:
    response.set_cookie(
        web.cookie_name,
        web.signer.sign(session.id),
        httponly=True,
        secure=web.settings.secure_cookies,
        samesite="lax",
        path="/",
        max_age=web.settings.session_max_seconds,
    )


@router.get("/login")
async def login(web: WebApp, session: OptionalSession, next: str | None = None) -> Response:
    return_to = safe_return_path(next)
    if session is not None and session.signed_in:
        return redirect(return_to)
    url, pending = await web.oidc.start_login(return_to)
    if session is None:
        session = await web.store.create()
    session.pending = pending
    await web.store.save(session)
    response = redirect(url, 302)
    set_session_cookie(response, web, session)
    return response


@router.get("/auth/callback")
async def callback(
    request: Request,
    web: WebApp,
    t: T,
    session: OptionalSession,
    code: str | None = None,
    state: str | None = None,
    error: str | None = None,
) -> Response:
    pending = session.pending if session is not None else None
    if (
        session is None
        or pending is None
        or state is None
        or not same(state, pending.state)
        or time.time() - pending.created_at > PENDING_LOGIN_MAX_AGE_S
    ):
        log.info("callback without a matching login in progress")
        return render(request, "error.html", {"message": t("auth.failed")}, status_code=400)
    session.pending = None
    if error or not code:
        log.info("issuer refused the sign-in", extra={"error": error})
        return render(request, "error.html", {"message": t("auth.failed")}, status_code=400)
    try:
        tokens = await web.oidc.exchange_code(code, pending)
        principal = await principal_from(web, tokens.access_token)
    except (OidcError, InvalidToken) as exc:
        log.warning("sign-in failed", extra={"error": str(exc)})
        return render(request, "error.html", {"message": t("auth.failed")}, status_code=400)
    # A new session id after sign-in: an id planted before it is worth nothing (session fixation).
    await web.store.delete(session.id)
    fresh = await web.store.create()
    fresh.tokens = tokens
    fresh.principal = principal
    await web.store.save(fresh)
    request.state.session = fresh
    log.info("signed in", extra={"user": principal.username})
    response = redirect(safe_return_path(pending.return_to))
    set_session_cookie(response, web, fresh)
    return response


@router.post("/logout")
async def logout(request: Request, web: WebApp) -> Response:
    """Ends our session and then the issuer's (RP-initiated logout with id_token_hint)."""
    session = await load_session(request)  # CSRF already checked by the app-wide dependency
    id_token = session.tokens.id_token if session is not None and session.tokens else None
    if session is not None:
        await web.store.delete(session.id)
    url = await web.oidc.end_session_url(id_token, f"{web.settings.base}/signed-out")
    response = redirect(url)
    response.delete_cookie(web.cookie_name, path="/", secure=web.settings.secure_cookies)
    return response


@router.get("/signed-out")
async def signed_out(request: Request, t: T) -> Response:
    return render(request, "home_public.html", {"notice": t("auth.signed_out")})
