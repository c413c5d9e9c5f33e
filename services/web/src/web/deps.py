"""What a page handler needs: the app's wiring, the session, CSRF, the signed-in user with a fresh
access token, the language, and rendering. Endpoints read as signatures (`user: SignedIn`)."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

import httpx
from fastapi import Depends, Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates

from shared.auth import InvalidToken, Principal, Role, TokenVerifier
from web.clients.basket import BasketClient
from web.clients.cases import CasesClient
from web.clients.evaluation import EvaluationClient
from web.clients.notifications import NotificationsClient
from web.clients.partners import PartnersClient
from web.config import WebSettings
from web.i18n import Translator
from web.nav import current as current_nav
from web.nav import items_for
from web.oidc import OidcClient, OidcError
from web.sessions import CookieSigner, Session, SessionStore

log = logging.getLogger(__name__)

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
REFRESH_MARGIN_S = 30


@dataclass
class Web:
    """Everything `bootstrap` wires, kept on `app.state.web`."""

    settings: WebSettings
    store: SessionStore
    signer: CookieSigner
    oidc: OidcClient
    verifier: TokenVerifier
    http: httpx.AsyncClient
    templates: Jinja2Templates

    @property
    def cookie_name(self) -> str:
        # The __Host- prefix makes the browser insist on Secure, Path=/ and no Domain.
        return "__Host-cus_session" if self.settings.secure_cookies else "cus_session"


class LoginRequired(Exception):
    def __init__(self, return_to: str = "/", reason: str | None = None) -> None:
        super().__init__(reason or "login required")
        self.return_to = return_to
        self.reason = reason


class CsrfFailed(Exception):
    pass


class Forbidden(Exception):
    pass


def get_web(request: Request) -> Web:
    web: Web = request.app.state.web
    return web


WebApp = Annotated[Web, Depends(get_web)]


async def load_session(request: Request) -> Session | None:
    web = get_web(request)
    if getattr(request.state, "session_loaded", False):
        cached: Session | None = request.state.session
        return cached
    session_id = web.signer.unsign(request.cookies.get(web.cookie_name))
    session = await web.store.get(session_id) if session_id else None
    request.state.session = session
    request.state.session_loaded = True
    return session


OptionalSession = Annotated[Session | None, Depends(load_session)]


async def csrf_protect(request: Request) -> None:
    """Every request that may change something carries the session's CSRF token, in the form
    field `csrf_token` or (htmx) the header `X-CSRF-Token`. Installed on the whole app."""
    if request.method in SAFE_METHODS:
        return
    session = await load_session(request)
    token = request.headers.get(CSRF_HEADER)
    if token is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()
            value = form.get(CSRF_FIELD)
            token = value if isinstance(value, str) else None
    web = get_web(request)
    if session is None or not web.signer.csrf_valid(session.id, token):
        raise CsrfFailed()


# What may stay as it is in a URL: RFC 3986's reserved characters and `%` (escapes already made);
# everything else that is not unreserved (non-ASCII letters, spaces, quotes) is percent-encoded.
URL_SAFE = ":/?#[]@!$&'()*+,;=%"


def _has_control(value: str) -> bool:
    return any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in value)


def safe_return_path(value: str | None) -> str:
    """Only a local path (no scheme, no host, no `//`, no backslash, no control character) may be
    a place to go back to, percent-encoded (`/ą` → `/%C4%85`); anything else is the start page,
    so a bad `next` never blocks the sign-in."""
    if (
        not isinstance(value, str)
        or not value.startswith("/")
        or value.startswith("//")
        or "\\" in value
        or _has_control(value)
    ):
        return "/"
    parts = urlsplit(value)
    if parts.scheme or parts.netloc:
        return "/"
    return quote(value, safe=URL_SAFE)


@dataclass
class User:
    """The signed-in person: their session, what their access token says, and service clients."""

    session: Session
    principal: Principal
    access_token: str
    web: Web

    def partners(self) -> PartnersClient:
        return PartnersClient(self.web.http, self.web.settings.partners_url, self.access_token)

    def basket(self) -> BasketClient:
        return BasketClient(self.web.http, self.web.settings.basket_url, self.access_token)

    def cases(self) -> CasesClient:
        return CasesClient(self.web.http, self.web.settings.cases_url, self.access_token)

    def notifications(self) -> NotificationsClient:
        return NotificationsClient(
            self.web.http, self.web.settings.notifications_url, self.access_token
        )

    def evaluation(self) -> EvaluationClient:
        return EvaluationClient(self.web.http, self.web.settings.evaluation_url, self.access_token)

    @property
    def is_coordinator(self) -> bool:
        return self.principal.has_role(Role.COORDINATOR, Role.REGIONAL_ADMIN)


async def principal_from(web: Web, access_token: str) -> Principal:
    return await web.verifier.principal(access_token)


async def signed_in_user(request: Request, session: OptionalSession) -> User:
    return_to = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    if session is None or not session.signed_in or session.tokens is None:
        raise LoginRequired(safe_return_path(return_to))
    web = get_web(request)
    async with session.lock:
        tokens = session.tokens
        if tokens.expires_at - time.time() < REFRESH_MARGIN_S:
            try:
                tokens = await web.oidc.refresh(tokens)
                session.principal = await principal_from(web, tokens.access_token)
            except (OidcError, InvalidToken) as exc:
                log.info("token refresh failed; signing out", extra={"error": str(exc)})
                await web.store.delete(session.id)
                raise LoginRequired(safe_return_path(return_to), "auth.expired") from exc
            session.tokens = tokens
            await web.store.save(session)
    assert session.principal is not None
    return User(session, session.principal, tokens.access_token, web)


SignedIn = Annotated[User, Depends(signed_in_user)]


async def coordinator(user: SignedIn) -> User:
    if not user.is_coordinator:
        raise Forbidden()
    return user


Coordinator = Annotated[User, Depends(coordinator)]


def translator(request: Request) -> Translator:
    return Translator(str(request.scope.get("state", {}).get("lang", "pl")))


T = Annotated[Translator, Depends(translator)]


def render(
    request: Request,
    template: str,
    context: dict[str, Any] | None = None,
    *,
    status_code: int = 200,
) -> HTMLResponse:
    web = get_web(request)
    t = translator(request)
    session: Session | None = getattr(request.state, "session", None)
    principal = session.principal if session is not None and session.signed_in else None
    flash: list[str] = []
    if session is not None and session.flash:
        flash, session.flash = session.flash, []
    full: dict[str, Any] = {
        "t": t,
        "lang": t.language,
        "principal": principal,
        "is_coordinator": bool(
            principal and principal.has_role(Role.COORDINATOR, Role.REGIONAL_ADMIN)
        ),
        "csrf_token": web.signer.csrf_token(session.id) if session is not None else "",
        "path": request.url.path,
        "nav": (nav := items_for(principal)),
        "nav_current": current_nav(nav, request.url.path),
        "flash": flash,
        "errors": {},
        "values": {},
        **(context or {}),
    }
    return web.templates.TemplateResponse(request, template, full, status_code=status_code)


def redirect(url: str, status_code: int = 303) -> Response:
    # Percent-encoded, a Location never carries a non-ASCII letter (not Latin-1: the response
    # could not be sent) nor a CR or LF (a header injection); a proper URL stays as it is.
    return Response(status_code=status_code, headers={"Location": quote(url, safe=URL_SAFE)})
