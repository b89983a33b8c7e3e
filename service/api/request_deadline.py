"""ASGI middleware: every HTTP request answers within a deadline, or a JSON error.

The Redis client's socket timeouts bound each command, but one request runs several; a Redis
that accepts connections and then stalls must not hold the shop's page for seconds. Past the
deadline the handler is cancelled and the client gets an answer it can act on: 408 when the
request was still waiting for its own body (a slow or stalled client: nothing to do with
Redis), else 503 (Redis slow or unreachable).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send

from service.api.json_error import send_json_error

log = logging.getLogger(__name__)


def request_deadline(timeout_s: float) -> Callable[[ASGIApp], ASGIApp]:
    def middleware_factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http" or timeout_s <= 0:
                await app(scope, receive, send)
                return
            started = False
            reading_body = False

            async def tracking_receive() -> ReceiveMessage:
                nonlocal reading_body
                # Cleared only when a message came: the deadline's cancellation leaves it set.
                reading_body = True
                message = await receive()
                reading_body = False
                return message

            async def tracking_send(message: Message) -> None:
                nonlocal started
                if message["type"] == "http.response.start":
                    started = True
                await send(message)

            try:
                async with asyncio.timeout(timeout_s):
                    await app(scope, tracking_receive, tracking_send)
            except TimeoutError:
                if started:
                    raise
                path, limit = scope["path"], timeout_s
                method = scope.get("method", "")
                if reading_body:
                    log.warning("%s %s: body not received within %.2f s", method, path, limit)
                    detail = f"the request body did not arrive within {limit:g} s"
                    await send_json_error(send, 408, detail, close=True)
                    return
                log.warning("%s %s: no answer within %.2f s", method, path, limit)
                detail = f"no answer within {limit:g} s (Redis slow or unreachable)"
                await send_json_error(send, 503, detail)

        return middleware

    return middleware_factory
