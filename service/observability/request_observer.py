"""ASGI middleware around every HTTP request: a request id (the caller's `X-Request-ID`, or a
new one) echoed in the answer, the request counters and latency histogram, and with
SHOPREC_LOG_FORMAT=json one JSON line per request on the `shoprec.access` logger."""

from __future__ import annotations

import json
import logging
import re
import time
import uuid
from collections.abc import Callable

from litestar.types import ASGIApp, Message, Receive, Scope, Send

from service.observability import metrics, request_facts

access_log = logging.getLogger("shoprec.access")

# A caller's id is echoed into a header and a log line: only short, plain tokens are kept.
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
# Paths that matched no route all count as one endpoint, so a scan cannot grow the label set.
UNMATCHED = "unmatched"


def request_observer(log_json: bool) -> Callable[[ASGIApp], ASGIApp]:
    def middleware_factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            started = time.perf_counter()
            facts = request_facts.begin(_request_id(scope))
            status = 500

            async def observing_send(message: Message) -> None:
                nonlocal status
                if message["type"] == "http.response.start":
                    status = message["status"]
                    headers = list(message.get("headers", []))
                    headers.append((b"x-request-id", facts.request_id.encode()))
                    message["headers"] = headers
                await send(message)

            try:
                await app(scope, receive, observing_send)
            finally:
                elapsed = time.perf_counter() - started
                endpoint = scope.get("path_template") or UNMATCHED  # type: ignore[call-overload]
                _count(endpoint, status, elapsed, facts)
                if log_json:
                    _log_line(scope, status, elapsed, facts)

        return middleware

    return middleware_factory


def _request_id(scope: Scope) -> str:
    for name, value in scope.get("headers", []):
        if name == b"x-request-id":
            text = value.decode("latin-1")
            if _REQUEST_ID.match(text):
                return text
    return uuid.uuid4().hex


def _count(endpoint: str, status: int, elapsed: float, facts: request_facts.RequestFacts) -> None:
    metrics.HTTP_REQUESTS.labels(endpoint=endpoint, status=str(status)).inc()
    metrics.HTTP_DURATION.labels(endpoint=endpoint).observe(elapsed)
    if facts.cache_hit is True:
        metrics.CACHE_HITS.labels(endpoint=endpoint).inc()
    elif facts.cache_hit is False:
        metrics.CACHE_MISSES.labels(endpoint=endpoint).inc()
    if facts.variant is not None:
        metrics.AB_IMPRESSIONS.labels(variant=facts.variant).inc()


def _log_line(scope: Scope, status: int, elapsed: float, facts: request_facts.RequestFacts) -> None:
    access_log.info(
        json.dumps(
            {
                "request_id": facts.request_id,
                "method": scope.get("method", ""),
                "path": scope.get("path", ""),
                "status": status,
                "ms": round(elapsed * 1000, 3),
                "cache_hit": facts.cache_hit,
                "variant": facts.variant,
            },
            separators=(",", ":"),
        )
    )
