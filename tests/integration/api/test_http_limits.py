"""The server as `shoprec serve` configures it (service/api/http_server.server_config, a real
uvicorn on a socket): header size and count limits, slow and idle connections closed, a slow
body answered 408, no server banner, security headers on every answer (issue 15)."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from indexing.contract.settings import ResourceSettings, Settings
from service.api.app import create_app
from service.api.pages import CONTENT_SECURITY_POLICY
from tests.integration.api.conftest import PRODUCT
from tests.support.live_server import live_server

# A bound on waiting for an answer, so a broken limit fails instead of hanging; never a timing
# assertion (the header deadline below is far shorter).
HANG_GUARD_S = 30
RESOURCES = ResourceSettings(
    http_max_header_bytes=16384, http_max_headers=100, http_header_timeout_s=1.0
)


@pytest.fixture
def server(api_settings: Settings) -> Iterator[tuple[str, int]]:
    settings = api_settings.replace(
        serving={"cache_ttl_s": 0}, reliability={"request_timeout_s": 1.0}
    )
    with live_server(create_app(settings), RESOURCES) as base:
        parts = urlsplit(base)
        yield str(parts.hostname), int(parts.port or 80)


def _exchange(address: tuple[str, int], data: bytes) -> bytes:
    """Send `data`, then read until the server closes the connection."""
    with socket.create_connection(address, timeout=HANG_GUARD_S) as sock:
        try:
            sock.sendall(data)
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server may close before it has read everything: its answer is read below
        return _read_to_close(sock)


def _read_to_close(sock: socket.socket) -> bytes:
    chunks = []
    while True:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        chunks.append(chunk)
    return b"".join(chunks)


def _status(reply: bytes) -> int:
    assert reply.startswith(b"HTTP/1.1 "), reply[:200]
    return int(reply.split(b" ", 2)[1])


def _body(reply: bytes) -> dict[str, object]:
    return json.loads(reply.split(b"\r\n\r\n", 1)[1])


def test_a_50_kb_header_is_refused_with_431(server: tuple[str, int]) -> None:
    request = b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 50_000 + b"\r\n\r\n"
    reply = _exchange(server, request)
    assert _status(reply) == 431
    assert "exceed 16384 bytes" in str(_body(reply)["detail"])


def test_a_header_that_never_ends_is_refused_before_it_is_all_read(
    server: tuple[str, int],
) -> None:
    """Sent in pieces without the end of the headers: refused once past the limit, without
    waiting for the rest (50 MB were taken before)."""
    with socket.create_connection(server, timeout=HANG_GUARD_S) as sock:
        sock.sendall(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: ")
        sent = 0
        try:
            while sent < 50_000_000:
                sock.sendall(b"a" * 65536)
                sent += 65536
        except (BrokenPipeError, ConnectionResetError):
            pass
        reply = _read_to_close(sock)
    assert sent < 50_000_000
    if reply:  # a reset can drop the answer in flight; the close itself is the refusal
        assert _status(reply) == 431


def test_too_many_headers_are_refused_with_431(server: tuple[str, int]) -> None:
    headers = b"".join(b"X-H%d: v\r\n" % n for n in range(101))
    reply = _exchange(server, b"GET /health HTTP/1.1\r\nHost: x\r\n" + headers + b"\r\n")
    assert _status(reply) == 431
    assert "more than 100" in str(_body(reply)["detail"])


def test_slow_headers_get_408_and_the_connection_closes(server: tuple[str, int]) -> None:
    """Half a request and then nothing: the header deadline answers and closes (it stayed
    open past 40 s before)."""
    reply = _exchange(server, b"GET /health HTTP/1.1\r\nHost: x\r\n")
    assert _status(reply) == 408
    assert "headers not received" in str(_body(reply)["detail"])


def test_an_idle_connection_is_closed(server: tuple[str, int]) -> None:
    with socket.create_connection(server, timeout=HANG_GUARD_S) as sock:
        reply = _read_to_close(sock)
    assert _status(reply) == 408


def test_a_slow_body_gets_408_not_redis_slow(server: tuple[str, int]) -> None:
    head = (
        b"POST /feedback HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        b"Content-Length: 100\r\n\r\n"
    )
    reply = _exchange(server, head + b'{"user_id": ')
    assert _status(reply) == 408
    detail = str(_body(reply)["detail"])
    assert "body did not arrive" in detail and "Redis" not in detail
    assert b"connection: close" in reply.split(b"\r\n\r\n", 1)[0].lower()


def test_keep_alive_serves_many_requests_and_no_server_banner(server: tuple[str, int]) -> None:
    host, port = server
    with httpx.Client(base_url=f"http://{host}:{port}", timeout=HANG_GUARD_S) as client:
        for _ in range(3):
            response = client.get(f"/recommend/content/{PRODUCT}")
            assert response.status_code == 200
            assert "server" not in response.headers
            assert response.headers["x-content-type-options"] == "nosniff"
            assert response.headers["referrer-policy"] == "no-referrer"


@pytest.mark.parametrize("path", ["/", "/insight"])
def test_pages_carry_a_content_security_policy(server: tuple[str, int], path: str) -> None:
    host, port = server
    response = httpx.get(f"http://{host}:{port}{path}", timeout=HANG_GUARD_S)
    assert response.status_code == 200
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert response.headers["x-content-type-options"] == "nosniff"


def test_error_answers_carry_the_security_headers_too(server: tuple[str, int]) -> None:
    host, port = server
    base = f"http://{host}:{port}"
    for url in (
        f"{base}/recommend/content/P999999",
        f"{base}/recommend/content/{PRODUCT}?top_k=1&top_k=2",
    ):
        response = httpx.get(url, timeout=HANG_GUARD_S)
        assert response.status_code in (400, 404)
        assert response.headers["x-content-type-options"] == "nosniff"
