"""Security headers on every response and the language of each request (`?lang=` or a cookie).

Pure ASGI middlewares (no BaseHTTPMiddleware), so streaming responses pass untouched.
"""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from web.i18n import DEFAULT_LANGUAGE, pick_language

LANG_COOKIE = "cus_lang"


def content_security_policy(issuer_url: str) -> str:
    """No inline script or style anywhere; forms may post only here, and /logout's redirect to
    the issuer's end-session endpoint counts as a form target in Chromium."""
    parts = urlsplit(issuer_url)
    issuer_origin = f"{parts.scheme}://{parts.netloc}"
    return "; ".join(
        [
            "default-src 'self'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            "connect-src 'self'",
            "font-src 'self'",
            "object-src 'none'",
            "base-uri 'none'",
            "frame-ancestors 'none'",
            f"form-action 'self' {issuer_origin}",
        ]
    )


class SecurityHeaders:
    def __init__(self, app: ASGIApp, *, issuer_url: str, https: bool) -> None:
        self.app = app
        self.headers = {
            "Content-Security-Policy": content_security_policy(issuer_url),
            "X-Frame-Options": "DENY",
            "X-Content-Type-Options": "nosniff",
            "Referrer-Policy": "strict-origin-when-cross-origin",
            "Permissions-Policy": "camera=(), microphone=(), geolocation=(), payment=(), usb=()",
            "Cross-Origin-Opener-Policy": "same-origin",
        }
        if https:
            self.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = str(scope.get("path", "")).startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    # A response may bring its own, stricter policy (the proxied invitation).
                    if name not in headers:
                        headers[name] = value
                if not static and "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class Language:
    """Puts the language in `scope["state"]["lang"]`; `?lang=en` also remembers it in a cookie."""

    def __init__(self, app: ASGIApp, *, secure: bool) -> None:
        self.app = app
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
        chosen = pick_language((query.get("lang") or [None])[0])
        cookie = None
        for name, value in scope.get("headers", []):
            if name == b"cookie":
                for part in value.decode("latin-1").split(";"):
                    key, _, val = part.strip().partition("=")
                    if key == LANG_COOKIE:
                        cookie = pick_language(val)
        scope.setdefault("state", {})["lang"] = chosen or cookie or DEFAULT_LANGUAGE

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and chosen and chosen != cookie:
                flags = "; Secure" if self.secure else ""
                MutableHeaders(scope=message).append(
                    "Set-Cookie",
                    f"{LANG_COOKIE}={chosen}; Path=/; Max-Age=31536000; SameSite=Lax; "
                    f"HttpOnly{flags}",
                )
            await send(message)

        await self.app(scope, receive, send_with_cookie)
