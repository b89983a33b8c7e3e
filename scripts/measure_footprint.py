"""How much Redis memory and build time a catalog costs, and how fast a single query is.

Starts a fresh embedded Redis (on --port, data in a temporary folder, so nothing else is in
it), builds the index from the given CSVs, then prints: build seconds per stage, Redis
used_memory before and after, what the product hashes, the vector indexes and the user
histories take, memory per product, and the latency of a sequential probe (one query at a
time: raw KNN in Redis, then the content and user endpoints in-process without HTTP).

    .venv/bin/python scripts/measure_footprint.py --port 6480 \
        --products data/products.csv --interactions data/interactions.csv

Numbers from a shared machine are indicative; compare runs made back to back.
"""

from __future__ import annotations

import argparse
import logging
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import redis

from indexing.build.index_builder import build_index
from indexing.connection.embedded_redis import EmbeddedRedis
from indexing.contract.index_schema import CONTENT_FIELD
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import get_settings

MB = 1024 * 1024


def _used_memory(client: redis.Redis) -> int:
    return int(client.info("memory")["used_memory"])


def _memory_of(client: redis.Redis, pattern: str) -> tuple[int, int]:
    """(keys, bytes) of every key matching `pattern`, by MEMORY USAGE."""
    keys = list(client.scan_iter(match=pattern, count=5000))
    pipe = client.pipeline(transaction=False)
    for key in keys:
        pipe.memory_usage(key, samples=0)
    return len(keys), sum(int(size or 0) for size in pipe.execute())


def _latencies_ms(run: Callable[[str], None], ids: list[str]) -> list[float]:
    out = []
    for item in ids:
        started = time.perf_counter()
        run(item)
        out.append((time.perf_counter() - started) * 1000)
    return out


def _describe(label: str, values: list[float]) -> str:
    values = sorted(values)
    p95 = values[min(len(values) - 1, int(0.95 * len(values)))]
    return (
        f"{label}: n={len(values)} mean {statistics.fmean(values):.2f} ms, "
        f"p50 {statistics.median(values):.2f} ms, p95 {p95:.2f} ms"
    )


def _raw_knn_probe(client: redis.Redis, layout: RedisLayout, version: int, ids: list[str]) -> str:
    index = layout.index_name(version)

    def run(product_id: str) -> None:
        blob = client.hget(layout.product(version, product_id), CONTENT_FIELD)
        vector = np.frombuffer(blob, dtype=np.float32)  # type: ignore[arg-type]
        client.execute_command(
            "FT.SEARCH",
            index,
            f"*=>[KNN 11 @{CONTENT_FIELD} $vec AS vector_distance]",
            "PARAMS",
            "2",
            "vec",
            vector.tobytes(),
            "SORTBY",
            "vector_distance",
            "RETURN",
            "2",
            "product_id",
            "title",
            "DIALECT",
            "2",
        )

    return _describe("redis KNN (HGET vector + FT.SEARCH k=11)", _latencies_ms(run, ids))


def _service_probe(settings_url: str, prefix: str, product_ids: list[str], users: list[str]) -> str:
    from litestar.testing import TestClient

    from service.api.app import create_app

    settings = get_settings().replace(redis={"url": settings_url, "key_prefix": prefix})
    lines = []
    with TestClient(app=create_app(settings)) as http:

        def content(product_id: str) -> None:
            answer = http.get(f"/recommend/content/{product_id}")
            assert answer.status_code == 200 and answer.json()["source"] == "model", answer.text

        def user(user_id: str) -> None:
            answer = http.get(f"/recommend/user/{user_id}")
            assert answer.status_code == 200 and answer.json()["source"] == "model", answer.text

        lines.append(
            _describe("GET /recommend/content (in-process)", _latencies_ms(content, product_ids))
        )
        lines.append(_describe("GET /recommend/user (in-process)", _latencies_ms(user, users)))
    return "\n".join(lines)


def measure(products: Path, interactions: Path, port: int, queries: int) -> None:
    settings = get_settings().replace(redis={"key_prefix": "shoprec"})
    layout = RedisLayout(settings.redis.key_prefix)
    with tempfile.TemporaryDirectory(prefix="shoprec-footprint-") as data_dir:
        server = EmbeddedRedis(port=port, data_dir=Path(data_dir))
        server.start()
        try:
            client = redis.Redis.from_url(server.url, socket_timeout=60)
            before = _used_memory(client)
            settings = settings.replace(redis={"url": server.url})
            summary = build_index(client, settings, products, interactions)
            time.sleep(1)  # let lazy frees (UNLINK of nothing, module GC) settle
            after = _used_memory(client)
            version = summary.version
            n_products, product_bytes = _memory_of(client, f"{layout.product_prefix(version)}*")
            n_hist, hist_bytes = _memory_of(client, f"{layout.version_prefix(version)}:history:*")
            n_bought, bought_bytes = _memory_of(
                client, f"{layout.version_prefix(version)}:bought:*"
            )
            _, models_bytes = _memory_of(client, layout.models(version))
            info = client.ft(layout.index_name(version)).info()
            vector_mb = float(info.get("vector_index_sz_mb", 0))
            other_index_mb = float(info.get("total_index_memory_sz_mb", 0))
            print(f"\n== {products} ({summary.products:,} products, {summary.events:,} events)")
            print("build seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in summary.seconds.items()))
            print(
                f"used_memory: before {before / MB:.1f} MB, after {after / MB:.1f} MB, "
                f"growth {(after - before) / MB:.1f} MB = "
                f"{(after - before) / summary.products / 1024:.1f} KB per product"
            )
            print(
                f"product hashes: {n_products:,} keys, {product_bytes / MB:.1f} MB, "
                f"{product_bytes / max(n_products, 1) / 1024:.2f} KB each"
            )
            print(
                f"vector indexes (FT.INFO vector_index_sz_mb): {vector_mb:.1f} MB, "
                f"{vector_mb * 1024 / summary.products:.2f} KB per product"
            )
            print(
                f"text, tag and numeric index (FT.INFO total_index_memory_sz_mb): "
                f"{other_index_mb:.1f} MB; content model blob: {models_bytes / MB:.1f} MB"
            )
            print(
                f"histories: {n_hist:,} keys, {hist_bytes / MB:.1f} MB; "
                f"bought sets: {n_bought:,} keys, {bought_bytes / MB:.1f} MB"
            )
            rng = random.Random(7)
            all_ids = [
                k.decode().rsplit(":", 1)[1]
                for k in client.scan_iter(match=f"{layout.product_prefix(version)}*")
            ]
            probe_ids = rng.sample(all_ids, min(queries, len(all_ids)))
            scope = layout.history_scope(version)
            users = [
                layout.user_of(k.decode(), scope) or ""
                for k in client.scan_iter(match=layout.user_key(scope, "*"))
            ]
            probe_users = rng.sample(users, min(queries, len(users)))
            print(_raw_knn_probe(client, layout, version, probe_ids))
            print(_service_probe(server.url, settings.redis.key_prefix, probe_ids, probe_users))
            client.close()
        finally:
            server.stop()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--products", type=Path, required=True)
    parser.add_argument("--interactions", type=Path, required=True)
    parser.add_argument("--port", type=int, required=True, help="a free port for the fresh Redis")
    parser.add_argument("--queries", type=int, default=300, help="queries per probe")
    args = parser.parse_args()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # one line per probe request otherwise
    measure(args.products, args.interactions, args.port, args.queries)
    return 0


if __name__ == "__main__":
    sys.exit(main())
