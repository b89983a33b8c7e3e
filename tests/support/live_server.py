"""A real uvicorn server in a background thread, and a small index for tests that need their
own Redis (outage, crash, password): building the demo catalog takes most of a minute."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import redis
import uvicorn
from litestar import Litestar

from indexing.build.index_builder import build_index
from indexing.connection.embedded_redis import free_port
from indexing.contract.settings import Settings


@contextmanager
def live_server(app: Litestar) -> Iterator[str]:
    """Serve `app` on a free port; yields the base URL; stops the server on exit."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="on")
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
