"""Make the OpenAPI schema honest about errors: every operation documents the error statuses the
app's exception handlers answer with (see app.py), each with the ErrorResponse body.

Applied to the handlers in `create_app`, so routes added later are documented too without
repeating `responses=` on every decorator. A handler's own `responses` entries win.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from litestar import Controller
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.datastructures import ResponseSpec

from service.api.access import LEVEL
from service.api.schemas import ErrorResponse

ERROR_DESCRIPTIONS = {
    400: "A query parameter given more than once",
    404: "Unknown product_id (an unknown user is a new user, not an error)",
    422: "Invalid parameters or body; `detail` and `extra` say which and why",
    408: "The request's headers or body did not arrive in time",
    431: "The request line and headers are too large, or too many headers",
    503: "Redis is unreachable or slow, no catalog index is live, or feedback is not durable",
}
BODY_ERROR_DESCRIPTIONS = {
    400: "The body is not valid JSON, or a query parameter is given more than once",
    413: "The body is larger than the service accepts",
}
_KEY_MISSING = "A key or user token is needed (or the one given is wrong or expired)"
_NOT_YOURS = "The key or token given does not open this (another user's token, or the API key)"
# By the access level a route declares (service.api.access).
ACCESS_ERROR_DESCRIPTIONS = {
    "admin": {401: _KEY_MISSING, 403: _NOT_YOURS},
    "personal": {401: _KEY_MISSING, 403: _NOT_YOURS},
    "feedback": {
        401: _KEY_MISSING,
        403: _NOT_YOURS,
        415: "The body is not sent as Content-Type: application/json",
        429: "Too many events for this user or product; wait Retry-After seconds",
    },
}


def _error_spec(description: str) -> ResponseSpec:
    return ResponseSpec(ErrorResponse, description=description, generate_examples=False)


def _handlers(route_handlers: Iterable[object]) -> Iterator[HTTPRouteHandler]:
    for item in route_handlers:
        if isinstance(item, HTTPRouteHandler):
            yield item
        elif isinstance(item, type) and issubclass(item, Controller):
            for name in dir(item):
                attr = getattr(item, name)
                if isinstance(attr, HTTPRouteHandler):
                    yield attr


def document_errors(route_handlers: Iterable[object]) -> None:
    """Add the error responses to every HTTP handler (idempotent)."""
    for handler in _handlers(route_handlers):
        responses = dict(handler.responses or {})
        codes = dict(ERROR_DESCRIPTIONS)
        if handler.http_methods & {"POST", "PUT", "PATCH"}:
            codes.update(BODY_ERROR_DESCRIPTIONS)
        codes.update(ACCESS_ERROR_DESCRIPTIONS.get(handler.opt.get(LEVEL, ""), {}))
        for status, description in codes.items():
            responses.setdefault(status, _error_spec(description))
        handler.responses = responses
