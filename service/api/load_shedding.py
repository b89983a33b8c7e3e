"""ASGI middleware: a bounded number of requests in flight per worker; past it, 503 with
`Retry-After` at once.

Under overload, queueing makes every answer late (at 128 connections on 2 cores, p99 was
~200 ms, all of it waiting). A shop frontend has a better answer than waiting: its cached or
popular list. So past the bound the request is refused immediately and cheaply, and the
requests already admitted keep their latency. /health and /metrics are always admitted, so
an overloaded worker still says how it is.
"""

from __future__ import annotations

from collections.abc import Callable

import msgspec
from litestar.types import (
    ASGIApp,
    HTTPResponseBodyEvent,
    HTTPResponseStartEvent,
    Receive,
    Scope,
    Send,
)

from service.api.schemas import ErrorResponse
from service.observability import metrics

ALWAYS_ADMITTED = ("/health", "/metrics")


def load_shedding(max_in_flight: int, retry_after_s: int = 1) -> Callable[[ASGIApp], ASGIApp]:
    def middleware_factory(app: ASGIApp) -> ASGIApp:
        in_flight = 0

        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            nonlocal in_flight
            if scope["type"] != "http" or max_in_flight <= 0 or scope["path"] in ALWAYS_ADMITTED:
                await app(scope, receive, send)
                return
            if in_flight >= max_in_flight:
                metrics.SHED.inc()
                await _send_503(send, max_in_flight, retry_after_s)
                return
            in_flight += 1
            try:
                await app(scope, receive, send)
            finally:
                in_flight -= 1

        return middleware

    return middleware_factory


async def _send_503(send: Send, limit: int, retry_after_s: int) -> None:
    detail = f"overloaded: {limit} requests in flight on this worker; retry after {retry_after_s} s"
    body = msgspec.json.encode(ErrorResponse(503, detail))
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": 503,
        "headers": [
            (b"content-type", b"application/json"),
            (b"content-length", str(len(body)).encode()),
            (b"retry-after", str(retry_after_s).encode()),
        ],
    }
    await send(start)
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(end)
