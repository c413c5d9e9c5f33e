"""`Cache-Control: no-store` on every response of a service's API unless the route set its own
(issue 13 §3): the services answer with a family's personal data, and a response that says
nothing may be kept by a browser, a proxy or a gateway. Routes that serve public facts on
purpose (the public partner and basket pages' data) set `public, max-age=…` and keep it.

A pure ASGI middleware mounted by `shared.runtime.create_app` outside the request guard, so the
guard's refusals (400, 413, 422) carry it too; problem details made by the exception handlers
carry it as well (`shared.errors.problems.problem_response`), including a 500 that Starlette
sends from outside every middleware.
"""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

NO_STORE = "no-store"


class NoStoreByDefault:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_no_store(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if "cache-control" not in headers:
                    headers["Cache-Control"] = NO_STORE
            await send(message)

        await self.app(scope, receive, send_no_store)
