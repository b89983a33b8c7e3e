"""What one request learned on its way (cache hit, A/B variant), for its metrics and log line.

The middleware puts a fresh `RequestFacts` in a context variable before the handler runs; the
handler's layers fill it in. A mutable object, not values set in the variable, so what a
callee writes is visible to the middleware whatever context copies lie in between.
"""

from __future__ import annotations

from contextvars import ContextVar
from dataclasses import dataclass


@dataclass
class RequestFacts:
    request_id: str = ""
    cache_hit: bool | None = None  # None: the request did not ask the answer cache
    variant: str | None = None  # the A/B arm served, for /recommend/ab


_current: ContextVar[RequestFacts | None] = ContextVar("shoprec_request_facts", default=None)


def begin(request_id: str) -> RequestFacts:
    facts = RequestFacts(request_id=request_id)
    _current.set(facts)
    return facts


def current() -> RequestFacts:
    """This request's facts; outside a request (evaluation, benchmarks) a throw-away one."""
    return _current.get() or RequestFacts()
