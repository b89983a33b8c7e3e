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

from litestar.types import ASGIApp, Receive, Scope, Send

from service.api.json_error import send_json_error
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
                detail = (
                    f"overloaded: {max_in_flight} requests in flight on this worker; retry "
                    f"after {retry_after_s} s"
                )
                retry = ((b"retry-after", str(retry_after_s).encode()),)
                await send_json_error(send, 503, detail, extra_headers=retry)
                return
            in_flight += 1
            metrics.IN_FLIGHT.inc()
            try:
                await app(scope, receive, send)
            finally:
                in_flight -= 1
                metrics.IN_FLIGHT.dec()

        return middleware

    return middleware_factory
