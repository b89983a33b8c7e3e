"""ASGI middleware: every HTTP request answers within a deadline, or 503 with a JSON body.

The Redis client's socket timeouts bound each command, but one request runs several; a Redis
that accepts connections and then stalls must not hold the shop's page for seconds. Past the
deadline the handler is cancelled and the client gets a 503 it can act on.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import msgspec
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Message,
    Receive,
    Scope,
    Send,
)

from service.api.schemas import ErrorResponse

log = logging.getLogger(__name__)


def request_deadline(timeout_s: float) -> Callable[[ASGIApp], ASGIApp]:
    def middleware_factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or timeout_s <= 0:
                await app(scope, receive, send)
                return
            started = False

            async def tracking_send(message: Message) -> None:
                nonlocal started
                if message["type"] == "http.response.start":
                    started = True
                await send(message)

            try:
                async with asyncio.timeout(timeout_s):
                    await app(scope, receive, tracking_send)
            except TimeoutError:
                if started:
                    raise
                path, limit = scope["path"], timeout_s
                method = scope.get("method", "")
                log.warning("%s %s: no answer within %.2f s", method, path, limit)
                await _send_503(send, f"no answer within {limit:g} s (Redis slow or unreachable)")

        return middleware

    return middleware_factory


async def _send_503(send: Send, detail: str) -> None:
    body = msgspec.json.encode(ErrorResponse(503, detail))
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": 503,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
        ],
    }
    await send(start)
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(end)
