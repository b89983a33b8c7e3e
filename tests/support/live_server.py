"""A real uvicorn server in a background thread, and a small index for tests that need their
own Redis (outage, crash, password): building the demo catalog takes most of a minute."""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest
import redis
import uvicorn
from litestar import Litestar

from indexing.build.index_builder import build_index
from indexing.connection.embedded_redis import free_port
from indexing.contract.settings import ResourceSettings, Settings
from service.api.http_server import server_config


@contextmanager
def live_server(app: Litestar, resources: ResourceSettings | None = None) -> Iterator[str]:
    """Serve `app` on a free port, configured as `shoprec serve` configures uvicorn; yields
    the base URL; stops the server on exit."""
    port = free_port()
    config = server_config(
        app, "127.0.0.1", port, resources or ResourceSettings(), log_level="warning"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.02)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)


def build_small_index(settings: Settings, csvs: tuple[Path, Path]) -> None:
    assert settings.redis.url
    client = redis.Redis.from_url(settings.redis.url)
    try:
        build_index(client, settings, *csvs, quiet=True)
    finally:
        client.close()


def wait_until_serving(server: subprocess.Popen[bytes], url: str, limit_s: float) -> None:
    """Until `shoprec serve` (a subprocess) answers /health; fails the test with its output if
    it exits or does not answer within `limit_s` (a bound on a busy machine, not a timing)."""
    deadline = time.monotonic() + limit_s
    while True:
        try:
            httpx.get(f"{url}/health", timeout=2)
            return
        except httpx.TransportError:
            if server.poll() is not None or time.monotonic() > deadline:
                # Stop it first: reading the output of a server still running never ends.
                server.terminate()
                output = server.communicate(timeout=30)[0].decode()
                pytest.fail(f"shoprec serve did not come up:\n{output}")
            time.sleep(0.2)
