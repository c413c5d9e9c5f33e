"""The one place that wires the web front end: settings, HTTP client, OIDC, session store,
templates, middlewares, error pages and the routers (one per backend service)."""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from fastapi import Depends, FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, pass_context, select_autoescape
from jinja2.runtime import Context
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from shared import clock
from shared.auth import API_AUDIENCE, TokenVerifier
from shared.guard import RequestGuard
from shared.observability.tracing import configure_tracing, instrument_app
from web import readiness
from web.clients.base import ApiProblem, ServiceUnavailable
from web.config import WebSettings
from web.deps import (
    CsrfFailed,
    Forbidden,
    LoginRequired,
    Web,
    csrf_protect,
    redirect,
    render,
    translator,
)
from web.oidc import OidcClient, OidcError
from web.routes import auth, basket, cases, home, partners, public
from web.routes import evaluation as evaluation_routes
from web.routes import notifications as notifications_routes
from web.security import Language, SecurityHeaders
from web.sessions import CookieSigner, MemorySessionStore, SessionStore

SERVICE = "web"
HERE = Path(__file__).parent
# One router per backend service (basket, cases, notifications, evaluation join as they settle).
ROUTERS = (
    auth.router,
    home.router,
    partners.router,
    cases.router,
    basket.router,
    public.router,
    notifications_routes.router,
    evaluation_routes.router,
    readiness.router,
)

log = logging.getLogger(__name__)


def templates() -> Jinja2Templates:
    env = Environment(
        loader=FileSystemLoader(HERE / "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters.update(pair_sector=_pair_sector, pair_state=_pair_state, pair_member=_pair_member)
    return Jinja2Templates(env=env)


# (value, label) pairs for <select>s, in the page's language.
@pass_context
def _pair_sector(context: Context, code: str) -> tuple[str, str]:
    return code, context["t"].sector(code)


@pass_context
def _pair_state(context: Context, code: str) -> tuple[str, str]:
    return code, context["t"].state(code)


def _pair_member(member: dict[str, Any]) -> tuple[str, str]:
    return str(member["institution_id"]), str(member["institution_name"])


def install_error_pages(app: FastAPI) -> None:
    async def on_login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        if request.headers.get("HX-Request"):
            # htmx follows HX-Redirect; a full page load then starts the sign-in.
            return Response(status_code=200, headers={"HX-Redirect": "/login"})
        return redirect(f"/login?next={quote(exc.return_to, safe='/')}")

    async def on_csrf(request: Request, exc: Exception) -> Response:
        if request.url.path == "/logout" and getattr(request.state, "session", None) is None:
            return redirect("/")  # the session had already ended: nothing to sign out of
        t = translator(request)
        return render(request, "error.html", {"message": t("error.csrf")}, status_code=403)

    async def on_forbidden(request: Request, exc: Exception) -> Response:
        t = translator(request)
        return render(request, "error.html", {"message": t("error.forbidden")}, status_code=403)

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ApiProblem)
        t = translator(request)
        if exc.status == 401:
            return redirect("/login")
        message = {404: t("error.not_found"), 403: t("error.forbidden")}.get(
            exc.status, exc.detail or exc.title
        )
        status = exc.status if exc.status in (400, 403, 404, 409, 422) else 502
        return render(request, "error.html", {"message": message}, status_code=status)

    async def on_unavailable(request: Request, exc: Exception) -> Response:
        t = translator(request)
        return render(request, "error.html", {"message": t("error.unavailable")}, status_code=503)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        t = translator(request)
        message = t("error.not_found") if exc.status_code == 404 else str(exc.detail)
        return render(request, "error.html", {"message": message}, status_code=exc.status_code)

    async def on_invalid(request: Request, exc: Exception) -> Response:
        # A page address with a bad part (`/notifications?page=x`): the page, not FastAPI's JSON.
        assert isinstance(exc, RequestValidationError)
        t = translator(request)
        if any(tuple(e.get("loc", ()))[:1] == ("path",) for e in exc.errors()):
            return render(request, "error.html", {"message": t("error.not_found")}, status_code=404)
        return render(request, "error.html", {"message": t("error.bad_request")}, status_code=400)

    app.add_exception_handler(LoginRequired, on_login_required)
    app.add_exception_handler(RequestValidationError, on_invalid)
    app.add_exception_handler(CsrfFailed, on_csrf)
    app.add_exception_handler(Forbidden, on_forbidden)
    app.add_exception_handler(ApiProblem, on_problem)
    app.add_exception_handler(ServiceUnavailable, on_unavailable)
    app.add_exception_handler(OidcError, on_unavailable)
    app.add_exception_handler(StarletteHTTPException, on_http)


class UnexpectedErrors:
    """Any error no handler took answers with the normal error page (HTML, 500), inside the
    middlewares that add the security headers and the language, never Starlette's plain text."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def watch(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, watch)
        except Exception:
            if started:
                raise  # part of the answer is out: the server can only end the connection
            log.exception("unexpected error", extra={"path": scope.get("path")})
            request = Request(scope, receive)
            t = translator(request)
            page = render(
                request, "error.html", {"message": t("error.unexpected")}, status_code=500
            )
            await page(scope, receive, send)


def create_app(
    settings: WebSettings | None = None,
    *,
    store: SessionStore | None = None,
    http: httpx.AsyncClient | None = None,
) -> FastAPI:
    settings = settings or WebSettings()
    configure_tracing(SERVICE)
    clock.install(clock.clock_starting_at(settings.clock_start))
    client = http or httpx.AsyncClient(timeout=10.0)
    web = Web(
        settings=settings,
        store=store
        if store is not None
        else MemorySessionStore(
            idle=settings.session_idle_seconds, max_age=settings.session_max_seconds
        ),
        signer=CookieSigner(settings.session_secret),
        oidc=OidcClient(
            settings.oidc_issuer,
            settings.oidc_client_id,
            settings.oidc_client_secret,
            f"{settings.base}/auth/callback",
            http=client,
            scope=settings.oidc_scope,
            jwks_refresh_interval=settings.jwks_refresh_interval_s,
        ),
        verifier=TokenVerifier(
            settings.oidc_issuer,
            API_AUDIENCE,
            http=client,
            refresh_interval=settings.jwks_refresh_interval_s,
        ),
        http=client,
        templates=templates(),
    )

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        try:
            yield
        finally:
            if http is None:
                await client.aclose()

    app = FastAPI(
        title="CUS – aplikacja webowa",
        lifespan=lifespan,
        dependencies=[Depends(csrf_protect)],
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.web = web
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    for router in ROUTERS:
        app.include_router(router)
    install_error_pages(app)
    app.add_middleware(UnexpectedErrors)
    app.add_middleware(Language, secure=settings.secure_cookies)
    # Bodies above 1 MiB, NUL in text and query strings or paths not in UTF-8: refused (ADR 0009).
    # `next` is made a safe local path by the sign-in itself (anything else: the start page),
    # so a bad byte in it never blocks a person from signing in.
    app.add_middleware(RequestGuard, own_query_checks=frozenset({"next"}))
    app.add_middleware(
        SecurityHeaders, issuer_url=settings.oidc_issuer, https=settings.secure_cookies
    )
    instrument_app(app)
    return app


def app() -> FastAPI:
    """ASGI factory: `uvicorn --factory web.bootstrap:app --port 8100`."""
    from shared.observability import configure_logging

    settings = WebSettings()
    configure_logging(SERVICE, settings.log_level)
    return create_app(settings)
