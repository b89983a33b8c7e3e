"""uvicorn's httptools protocol with the limits it lacks: the size and number of a request's
headers, and how long a client may take to send them.

uvicorn bounds headers only on its h11 protocol (`h11_max_incomplete_event_size`); on
httptools (the faster one, used whenever it is installed) a 50 MB header or 10,000 headers
were taken, and a connection that sends its headers one byte at a time, or nothing at all,
was held open forever. Here:

- past `max_header_bytes` of request line and headers, or `max_headers` headers, the answer is
  431 and the connection closes (counted as they arrive, so no more than one read beyond the
  limit is ever buffered);
- a request whose headers are not complete `header_timeout_s` after the connection opened (or
  after the first byte of the next request on a kept-alive one) gets 408 and the connection
  closes. Idle keep-alive connections close after uvicorn's `timeout_keep_alive`.

The body is bounded by the app (its size: Litestar's request_max_body_size; its pace: the
request deadline, which answers a slow body 408).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from typing import Any

import msgspec
from uvicorn.config import Config
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from service.api.schemas import ErrorResponse


@dataclass(frozen=True)
class HttpLimits:
    max_header_bytes: int = 32768
    max_headers: int = 100
    header_timeout_s: float = 10.0


class _Refused(Exception):
    """Raised in a parser callback to stop parsing; uvicorn then calls send_400_response."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self._limits: HttpLimits = getattr(config, "http_limits", HttpLimits())
        self._headers_pending = True
        self._header_bytes = 0
        self._header_count = 0
        self._received = 0  # bytes read while this request's headers were incomplete
        self._refusal: tuple[int, str] | None = None
        self._header_timer: asyncio.TimerHandle | None = None

    # --- the header deadline -------------------------------------------------------------
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_header_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_header_timer()
        super().connection_lost(exc)

    def _arm_header_timer(self) -> None:
        if self._header_timer is None:
            self._header_timer = self.loop.call_later(
                self._limits.header_timeout_s, self._header_timeout
            )

    def _cancel_header_timer(self) -> None:
        if self._header_timer is not None:
            self._header_timer.cancel()
            self._header_timer = None

    def _header_timeout(self) -> None:
        self._header_timer = None
        if self.cycle is not None and not self.cycle.response_complete:
            # A pipelined request behind one still answering: its turn to be judged comes
            # after that answer (no 408 in the middle of another response).
            self._arm_header_timer()
            return
        limit = self._limits.header_timeout_s
        self._answer_and_close(408, f"request headers not received within {limit:g} s")

    # --- counting ------------------------------------------------------------------------
    def data_received(self, data: bytes) -> None:
        counted = self._headers_pending
        if counted:
            self._received += len(data)
        super().data_received(data)
        # Still no end of the headers after this read: all of it was header bytes.
        if counted and self._headers_pending and self._received > self._limits.max_header_bytes:
            self._answer_and_close(431, self._too_large())

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._headers_pending = True
        self._header_bytes = self._header_count = 0
        self._arm_header_timer()

    def on_url(self, url: bytes) -> None:
        self._count(len(url), 0)
        super().on_url(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        self._count(len(name) + len(value) + 4, 1)  # + ": " and CRLF
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._headers_pending = False
        self._received = 0
        self._cancel_header_timer()
        super().on_headers_complete()

    def _count(self, size: int, headers: int) -> None:
        self._header_bytes += size
        self._header_count += headers
        if self._header_bytes > self._limits.max_header_bytes:
            self._refuse(self._too_large())
        if self._header_count > self._limits.max_headers:
            self._refuse(f"more than {self._limits.max_headers} request headers")

    def _too_large(self) -> str:
        return f"request line and headers exceed {self._limits.max_header_bytes} bytes"

    def _refuse(self, detail: str) -> None:
        self._refusal = (431, detail)
        raise _Refused(detail)

    # --- answering -----------------------------------------------------------------------
    def send_400_response(self, msg: str) -> None:
        if self._refusal is None:
            super().send_400_response(msg)
            return
        self._answer_and_close(*self._refusal)

    def _answer_and_close(self, status: int, detail: str) -> None:
        if self.transport.is_closing():
            return
        self.logger.warning("refused a request: %s", detail)
        body = msgspec.json.encode(ErrorResponse(status, detail))
        content = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: application/json\r\n",
                b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                b"connection: close\r\n",
                b"\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()
