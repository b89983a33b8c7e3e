"""ASGI middleware: a query parameter given twice is a 400, on every route.

Litestar would take one of the values of `user_id=a&user_id=b` or `top_k=1&top_k=2` and drop
the other without a word; the caller meant something, and is told what instead. No parameter
of the API takes several values by repetition (`exclude` and `ids` are comma-separated).
"""

from __future__ import annotations

from collections import Counter
from urllib.parse import parse_qsl

from litestar.types import ASGIApp, Receive, Scope, Send

from service.api.json_error import send_json_error


def repeated_names(query_string: bytes) -> list[str]:
    """The parameter names that occur more than once, in order of first occurrence."""
    text = query_string.decode("latin-1")
    counts = Counter(name for name, _ in parse_qsl(text, keep_blank_values=True))
    return [name for name, n in counts.items() if n > 1]


def refuse_repeated_parameters(app: ASGIApp) -> ASGIApp:
    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("query_string"):
            repeated = repeated_names(scope["query_string"])
            if repeated:
                names = ", ".join(repr(name) for name in repeated)
                detail = (
                    f"query parameter {names} is given more than once; give each parameter "
                    "once (exclude and ids take one comma-separated list)"
                )
                await send_json_error(send, 400, detail)
                return
        await app(scope, receive, send)

    return middleware
