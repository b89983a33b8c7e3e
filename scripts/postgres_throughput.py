"""Ingest and feedback-sink throughput (events/s) on the demo log, for docs/postgres.md.

Starts a throw-away PostgreSQL (tests/support/postgres_server.py) and an embedded Redis on
free ports, builds the demo index, then:
- ingest: data/interactions.csv loaded into a table (ts timestamptz) with every time moved past
  the build's newest event, so all of it is new, and applied by one `ingest_once`;
- sink: the same events appended to the feedback stream as POST /feedback writes them, and
  moved into the sink table by one `drain`.
Run: PYTHONPATH=. .venv/bin/python scripts/postgres_throughput.py
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import psycopg
import redis

from indexing.build.index_builder import build_index
from indexing.connection.embedded_redis import EmbeddedRedis, free_port
from indexing.contract.catalog_meta import CatalogMeta
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import PROJECT_ROOT, get_settings
from indexing.feedback.event_ingest import ingest_once
from indexing.feedback.feedback_sink import drain
from indexing.load.csv_loader import load_interactions, load_products
from indexing.sources.postgres_url import parse_postgres_url
from tests.support.postgres_server import PostgresServer

DATA = PROJECT_ROOT / "data"


def main() -> None:
    pg = PostgresServer.create()
    pg.start()
    folder = Path(tempfile.mkdtemp(prefix="shoprec-throughput-"))
    server = EmbeddedRedis(port=free_port(), data_dir=folder / "redis")
    server.start()
    try:
        _measure(pg.url, server.url)
    finally:
        server.stop()
        pg.stop()


def _measure(pg_url: str, redis_url: str) -> None:
    settings = get_settings().replace(redis={"url": redis_url}, cf={"tune": False})
    client = redis.Redis.from_url(redis_url)
    build_index(client, settings, DATA / "products.csv", DATA / "interactions.csv", quiet=True)
    layout = RedisLayout(settings.redis.key_prefix)
    meta = CatalogMeta.from_redis(client.hgetall(layout.meta))  # type: ignore[arg-type]
    assert meta is not None
    catalog = load_products(DATA / "products.csv")
    events = load_interactions(
        DATA / "interactions.csv", catalog.product_ids, settings.cf.event_weights
    ).events
    shift = meta.history_epoch - float(events["ts"].min()) + 60.0
    with psycopg.connect(pg_url) as conn:
        conn.execute(
            "create table events (user_id text, product_id text, interaction_type text, "
            "ts timestamptz)"
        )
        with conn.cursor().copy("copy events from stdin") as copy:
            for row in events.itertuples():
                ts = time.strftime("%Y-%m-%dT%H:%M:%S+00", time.gmtime(row.ts + shift))
                copy.write_row((row.user_id, row.product_id, row.interaction_type, ts))
    summary = ingest_once(client, settings, parse_postgres_url(f"{pg_url}?table=events"))
    print(f"ingest: {summary.applied:,} of {summary.rows:,} events applied in "
          f"{summary.seconds:.2f} s = {summary.rows / summary.seconds:,.0f} events/s")  # fmt: skip

    pipe = client.pipeline(transaction=False)
    for row in events.itertuples():
        fields = {"user_id": row.user_id, "product_id": row.product_id,
                  "action": row.interaction_type, "ts": f"{row.ts:.3f}"}  # fmt: skip
        pipe.xadd(layout.feedback_stream, fields)  # type: ignore[arg-type]
    pipe.execute()
    started = time.perf_counter()
    moved = drain(
        client, layout, pg_url, settings.postgres.sink_table, settings.postgres.batch_size
    )
    seconds = time.perf_counter() - started
    print(f"feedback-sink: {moved.inserted:,} events inserted in {seconds:.2f} s = "
          f"{moved.inserted / seconds:,.0f} events/s")  # fmt: skip
    client.close()


if __name__ == "__main__":
    main()
