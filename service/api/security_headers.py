"""ASGI middleware: the headers every answer carries so a browser treats it safely.

`X-Content-Type-Options: nosniff` (a JSON answer is never run as a script or page) and
`Referrer-Policy: no-referrer` (a link out of the pages tells nobody which user was shown).
The pages add their Content-Security-Policy themselves (service/api/pages.py).
"""

from __future__ import annotations

from litestar.types import ASGIApp, Message, Receive, Scope, Send

HEADERS = (
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)


def security_headers(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *HEADERS]
            await send(message)

        await app(scope, receive, send_with_headers)

    return middleware
