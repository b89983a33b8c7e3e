"""A real uvicorn server in a background thread, and a small catalog for tests that need their
own Redis (outage, crash, password): building the demo catalog takes most of a minute."""

from __future__ import annotations

import csv
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


def small_catalog(products_csv: Path, interactions_csv: Path, out_dir: Path, n: int = 300):
    """The first `n` products of the demo catalog and the interactions that name them."""
    out_dir.mkdir(parents=True, exist_ok=True)
    products_out, interactions_out = out_dir / "products.csv", out_dir / "interactions.csv"
    keep: set[str] = set()
    with products_csv.open(newline="") as src, products_out.open("w", newline="") as dst:
        reader, writer = csv.reader(src), csv.writer(dst)
        writer.writerow(next(reader))
        for row in reader:
            if len(keep) >= n:
                break
            keep.add(row[0])
            writer.writerow(row)
    with interactions_csv.open(newline="") as src, interactions_out.open("w", newline="") as dst:
        reader, writer = csv.reader(src), csv.writer(dst)
        header = next(reader)
        writer.writerow(header)
        column = header.index("product_id")
        writer.writerows(row for row in reader if row[column] in keep)
    return products_out, interactions_out


def build_small_index(settings: Settings, csvs: tuple[Path, Path]) -> None:
    assert settings.redis.url
    client = redis.Redis.from_url(settings.redis.url)
    try:
        build_index(client, settings, *csvs, quiet=True)
    finally:
        client.close()
