"""An error answer sent by ASGI middleware, outside Litestar's handlers: the same JSON body
(`ErrorResponse`) every other error has."""

from __future__ import annotations

from collections.abc import Sequence

import msgspec
from litestar.types import HTTPResponseBodyEvent, HTTPResponseStartEvent, Send

from service.api.schemas import ErrorResponse


async def send_json_error(
    send: Send,
    status: int,
    detail: str,
    close: bool = False,
    extra_headers: Sequence[tuple[bytes, bytes]] = (),
) -> None:
    """`close`: the server closes the connection after the answer (a request whose body was
    not all read leaves the connection unusable). `extra_headers`, e.g. Retry-After."""
    body = msgspec.json.encode(ErrorResponse(status, detail))
    headers = [
        (b"content-type", b"application/json"),
        (b"content-length", str(len(body)).encode()),
    ]
    if close:
        headers.append((b"connection", b"close"))
    headers.extend(extra_headers)
    start: HTTPResponseStartEvent = {
        "type": "http.response.start",
        "status": status,
        "headers": headers,
    }
    await send(start)
    end: HTTPResponseBodyEvent = {"type": "http.response.body", "body": body, "more_body": False}
    await send(end)
