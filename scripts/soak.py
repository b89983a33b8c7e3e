"""`make soak`: a real server under steady load, then the numbers that say whether it holds.

Starts its own embedded Redis (folder var/soak-redis, port 6470; the demo index is built once
and reused), serves `shoprec serve` (one worker per core) on port 8070, and runs CONCURRENCY clients
for DURATION seconds over a mix of endpoints on the demo data. Prints status counts, latency
percentiles, throughput, the server's RSS (after warm-up vs at the end) and Redis memory (cache
entries all carry a TTL). Exit status 1 on any 5xx or RSS growth of 10% or more.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import json
import os
import random
import sys
import time
from pathlib import Path
from urllib.parse import quote

import redis

from indexing.build.catalog_versions import live_version
from indexing.build.index_builder import build_index
from indexing.connection.embedded_redis import EmbeddedRedis
from indexing.contract.index_schema import CATEGORY_SEPARATOR
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import PROJECT_ROOT, get_settings
from service.bench.cpu_meter import process_tree
from service.bench.load_generator import LoadResult, Request, run_load
from service.bench.server_process import HOST, running_server

# (weight, kind): the mix a shop frontend sends, mostly reads, some feedback.
MIX = [
    (35, "content"),
    (20, "user"),
    (15, "hybrid"),
    (10, "ab"),
    (12, "feedback"),
    (3, "health"),
    (5, "filtered"),
]
ACTIONS = ["view", "view", "view", "click", "click", "add_to_cart", "purchase", "dismiss"]
# Distinct requests in the mix (cycled): enough that most answers miss the cache.
REQUESTS = 50_000


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=60.0, help="seconds of load")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--warmup", type=float, default=10.0, help="seconds before RSS baseline")
    parser.add_argument("--port", type=int, default=8070, help="HTTP port of the server")
    parser.add_argument("--redis-port", type=int, default=6470)
    parser.add_argument("--redis-dir", type=Path, default=PROJECT_ROOT / "var" / "soak-redis")
    parser.add_argument("--seed", type=int, default=7)
    return parser.parse_args()


def read_ids() -> tuple[list[str], list[str], list[str]]:
    with (PROJECT_ROOT / "data" / "products.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    products = [r["product_id"] for r in rows]
    # A product may have several categories ("Books|Music"); each is a filter value.
    categories = sorted({c for r in rows for c in r["category"].split(CATEGORY_SEPARATOR) if c})
    with (PROJECT_ROOT / "data" / "interactions.csv").open(newline="") as handle:
        users = sorted({r["user_id"] for r in csv.DictReader(handle)})
    return products, users, categories


def rss_mb(pid: int) -> float:
    """RSS of the server and all its descendants: `shoprec serve` runs one worker process per
    core under a supervisor, and the workers are what could leak."""
    total_kb = 0
    for proc in process_tree(pid):
        try:
            lines = Path(f"/proc/{proc}/status").read_text().splitlines()
        except FileNotFoundError:
            continue  # exited between the listing and the read
        total_kb += next((int(x.split()[1]) for x in lines if x.startswith("VmRSS:")), 0)
    if total_kb == 0:
        raise RuntimeError(f"no VmRSS for pid {pid}")
    return total_kb / 1024


def request_for(
    kind: str, rng: random.Random, ids: tuple[list[str], list[str], list[str]]
) -> Request:
    products, users, categories = ids
    product, top_k = rng.choice(products), rng.choice([5, 10, 10, 20])
    # Some users are new (popular answers), most have a history.
    user = rng.choice(users) if rng.random() < 0.85 else f"new-{rng.randrange(100_000)}"
    if kind == "content":
        return Request(f"/recommend/content/{product}?top_k={top_k}", kind)
    if kind == "user":
        return Request(f"/recommend/user/{user}?top_k={top_k}", kind)
    if kind == "hybrid":
        return Request(f"/recommend/hybrid?user_id={user}&product_id={product}&top_k={top_k}", kind)
    if kind == "ab":
        return Request(f"/recommend/ab?user_id={user}&top_k={top_k}", kind)
    if kind == "feedback":
        body = {"user_id": user, "product_id": product, "action": rng.choice(ACTIONS)}
        return Request("/feedback", kind, json.dumps(body).encode())
    if kind == "filtered":
        category = quote(rng.choice(categories))
        return Request(f"/recommend/content/{product}?category={category}&price_max=200", kind)
    return Request("/health", "health")


def request_mix(args: argparse.Namespace) -> list[Request]:
    """REQUESTS requests drawn from MIX; the load generator cycles through them."""
    rng = random.Random(args.seed)
    kinds = [k for w, k in MIX for _ in range(w)]
    ids = read_ids()
    return [request_for(rng.choice(kinds), rng, ids) for _ in range(REQUESTS)]


def cache_keys_without_ttl(client: redis.Redis, layout: RedisLayout, version: int) -> tuple:
    count = no_ttl = 0
    for key in client.scan_iter(match=f"{layout.cache_prefix(version)}*", count=1000):
        count += 1
        if client.ttl(key) == -1:
            no_ttl += 1
    return count, no_ttl


def main() -> int:
    args = parse_args()
    settings = get_settings().replace(redis={"key_prefix": "soak"})
    server = EmbeddedRedis(port=args.redis_port, data_dir=args.redis_dir)
    print(f"soak: Redis on port {server.port} ({server.data_dir})", flush=True)
    server.start()
    client = redis.Redis.from_url(server.url)
    layout = RedisLayout(settings.redis.key_prefix)
    if live_version(client, layout) is None:
        print("soak: building the demo index (once; reused next time) ...", flush=True)
        build_index(
            client,
            settings.replace(redis={"url": server.url}),
            PROJECT_ROOT / "data" / "products.csv",
            PROJECT_ROOT / "data" / "interactions.csv",
            quiet=True,
        )
    version = live_version(client, layout)
    assert version is not None
    env = {"SHOPREC_KEY_PREFIX": settings.redis.key_prefix}
    log_path = args.redis_dir / "soak-serve.log"
    requests = request_mix(args)
    try:
        with running_server(
            server.url, env, os.cpu_count() or 1, log_path, port=args.port
        ) as serving:
            memory_before = int(client.info("memory")["used_memory"])
            rss_start = rss_mb(serving.pid)
            stream_before = client.xlen(layout.feedback_stream)
            print(
                f"soak: {args.duration:.0f} s at concurrency {args.concurrency} against port "
                f"{serving.port} (RSS baseline after {args.warmup:.0f} s of load)",
                flush=True,
            )
            samples: list[tuple[float, float]] = []

            async def run() -> LoadResult:
                async def sample_rss() -> None:
                    started = time.monotonic()
                    while time.monotonic() - started < args.duration:
                        samples.append((time.monotonic() - started, rss_mb(serving.pid)))
                        await asyncio.sleep(1.0)

                sampler = asyncio.create_task(sample_rss())
                result = await run_load(
                    HOST, serving.port, requests, args.concurrency, args.duration
                )
                await sampler
                return result

            result = asyncio.run(run())
            rss_end = rss_mb(serving.pid)
        memory_after = int(client.info("memory")["used_memory"])
        stream_after = client.xlen(layout.feedback_stream)
        cache_count, cache_no_ttl = cache_keys_without_ttl(client, layout, version)
    finally:
        client.close()
        server.stop()

    warm = [rss for t, rss in samples if t >= args.warmup]
    rss_warm = warm[0] if warm else rss_start
    growth = (rss_end - rss_warm) / rss_warm
    statuses = result.statuses
    total = sum(statuses.values())
    server_errors = sum(n for s, n in statuses.items() if not isinstance(s, int) or s >= 500)
    print("\nstatus counts:", dict(sorted(statuses.items(), key=str)))
    print(f"requests: {total} in {result.seconds:.0f} s = {total / result.seconds:.0f} req/s")
    print(f"{'endpoint':<10} {'n':>7} {'p50 ms':>8} {'p99 ms':>8}")
    for kind in [*sorted(result.by_kind), None]:
        n = len(result.by_kind[kind]) if kind else result.requests
        p50, p99 = result.percentile(50, kind), result.percentile(99, kind)
        print(f"{kind or 'all':<10} {n:>7} {p50:>8.1f} {p99:>8.1f}")
    print(
        f"service RSS: {rss_start:.1f} MB before load, {rss_warm:.1f} MB after warm-up, "
        f"{max(r for _, r in samples):.1f} MB max, {rss_end:.1f} MB at the end "
        f"-> growth after warm-up {growth * 100:+.1f}%"
    )
    print(
        f"Redis used_memory: {memory_before / 2**20:.1f} MB -> {memory_after / 2**20:.1f} MB; "
        f"feedback stream +{stream_after - stream_before} entries (the durable log, kept by "
        f"design); cache entries now {cache_count}, without a TTL: {cache_no_ttl}"
    )
    failed = server_errors > 0 or growth >= 0.10 or cache_no_ttl > 0
    print("soak: FAILED" if failed else "soak: OK (no 5xx, RSS growth < 10%, cache TTLs hold)")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
