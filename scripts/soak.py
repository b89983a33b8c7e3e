"""`make soak`: a real server under steady load, then the numbers that say whether it holds.

Starts its own embedded Redis (folder var/soak-redis, port 6470; the demo index is built once
and reused), serves `shoprec serve` as a subprocess on port 8070, and runs CONCURRENCY clients
for DURATION seconds over a mix of endpoints on the demo data. Prints status counts, latency
percentiles, throughput, the server's RSS (after warm-up vs at the end) and Redis memory (cache
entries all carry a TTL). Exit status 1 on any 5xx or RSS growth of 10% or more.
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import os
import random
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import redis

from indexing.build.index_builder import build_index
from indexing.build.index_writer import live_version
from indexing.connection.embedded_redis import EmbeddedRedis
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import PROJECT_ROOT, get_settings

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
    categories = sorted({r["category"] for r in rows})
    with (PROJECT_ROOT / "data" / "interactions.csv").open(newline="") as handle:
        users = sorted({r["user_id"] for r in csv.DictReader(handle)})
    return products, users, categories


def rss_mb(pid: int) -> float:
    """RSS of the server and all its descendants: `shoprec serve` runs one worker process per
    core under a supervisor, and the workers are what could leak."""
    total_kb = 0
    for proc in [pid, *_descendants(pid)]:
        try:
            lines = Path(f"/proc/{proc}/status").read_text().splitlines()
        except FileNotFoundError:
            continue  # exited between the listing and the read
        total_kb += next((int(x.split()[1]) for x in lines if x.startswith("VmRSS:")), 0)
    if total_kb == 0:
        raise RuntimeError(f"no VmRSS for pid {pid}")
    return total_kb / 1024


def _descendants(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            children = (task / "children").read_text().split()
        except FileNotFoundError:
            continue
        for child in map(int, children):
            found += [child, *_descendants(child)]
    return found


def request_for(kind: str, rng: random.Random, ids: tuple[list[str], list[str], list[str]]):
    products, users, categories = ids
    product, top_k = rng.choice(products), rng.choice([5, 10, 10, 20])
    # Some users are new (popular answers), most have a history.
    user = rng.choice(users) if rng.random() < 0.85 else f"new-{rng.randrange(100_000)}"
    if kind == "content":
        return "GET", f"/recommend/content/{product}?top_k={top_k}", None
    if kind == "user":
        return "GET", f"/recommend/user/{user}?top_k={top_k}", None
    if kind == "hybrid":
        return "GET", f"/recommend/hybrid?user_id={user}&product_id={product}&top_k={top_k}", None
    if kind == "ab":
        return "GET", f"/recommend/ab?user_id={user}&top_k={top_k}", None
    if kind == "feedback":
        body = {"user_id": user, "product_id": product, "action": rng.choice(ACTIONS)}
        return "POST", "/feedback", body
    if kind == "filtered":
        category = rng.choice(categories)
        return "GET", f"/recommend/content/{product}?category={category}&price_max=200", None
    return "GET", "/health", None


async def load(base: str, args: argparse.Namespace, ids) -> tuple[Counter, dict]:
    statuses: Counter = Counter()
    by_kind: dict[str, list[float]] = {}
    kinds = [k for w, k in MIX for _ in range(w)]
    deadline = time.monotonic() + args.duration
    limits = httpx.Limits(max_connections=args.concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=10.0, limits=limits) as client:

        async def worker(n: int) -> None:
            rng = random.Random(args.seed * 1000 + n)
            while time.monotonic() < deadline:
                kind = rng.choice(kinds)
                method, path, body = request_for(kind, rng, ids)
                started = time.perf_counter()
                try:
                    response = await client.request(method, path, json=body)
                    statuses[response.status_code] += 1
                except httpx.HTTPError as exc:
                    statuses[f"error {type(exc).__name__}"] += 1
                    continue
                by_kind.setdefault(kind, []).append(time.perf_counter() - started)

        await asyncio.gather(*(worker(n) for n in range(args.concurrency)))
    return statuses, by_kind


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def wait_for_http(base: str, process: subprocess.Popen, within_s: float = 60) -> None:
    deadline = time.monotonic() + within_s
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"error: the server exited with status {process.returncode}")
        try:
            if httpx.get(f"{base}/health", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit("error: the server did not answer /health in time")


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
    env = {**os.environ, "REDIS_URL": server.url, "SHOPREC_KEY_PREFIX": settings.redis.key_prefix}
    shoprec = Path(sys.executable).parent / "shoprec"
    command = [str(shoprec), "serve", "--port", str(args.port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{args.port}"
    try:
        wait_for_http(base, process)
        memory_before = int(client.info("memory")["used_memory"])
        rss_start = rss_mb(process.pid)
        stream_before = client.xlen(layout.feedback_stream)
        print(
            f"soak: {args.duration:.0f} s at concurrency {args.concurrency} against {base} "
            f"(RSS baseline after {args.warmup:.0f} s of load)",
            flush=True,
        )
        samples: list[tuple[float, float]] = []

        async def run() -> tuple[Counter, dict]:
            async def sample_rss() -> None:
                started = time.monotonic()
                while time.monotonic() - started < args.duration:
                    samples.append((time.monotonic() - started, rss_mb(process.pid)))
                    await asyncio.sleep(1.0)

            sampler = asyncio.create_task(sample_rss())
            result = await load(base, args, read_ids())
            await sampler
            return result

        statuses, by_kind = asyncio.run(run())
        rss_end = rss_mb(process.pid)
        memory_after = int(client.info("memory")["used_memory"])
        stream_after = client.xlen(layout.feedback_stream)
        cache_count, cache_no_ttl = cache_keys_without_ttl(client, layout, version)
    finally:
        process.terminate()
        process.wait(timeout=15)
        client.close()
        server.stop()

    warm = [rss for t, rss in samples if t >= args.warmup]
    rss_warm = warm[0] if warm else rss_start
    growth = (rss_end - rss_warm) / rss_warm
    total = sum(n for s, n in statuses.items() if isinstance(s, int))
    server_errors = sum(n for s, n in statuses.items() if not isinstance(s, int) or s >= 500)
    every = [v for values in by_kind.values() for v in values]
    print("\nstatus counts:", dict(sorted(statuses.items(), key=str)))
    print(f"requests: {total} in {args.duration:.0f} s = {total / args.duration:.0f} req/s")
    print(f"{'endpoint':<10} {'n':>7} {'p50 ms':>8} {'p99 ms':>8}")
    for kind in sorted(by_kind):
        values = by_kind[kind]
        p50, p99 = percentile(values, 0.5) * 1000, percentile(values, 0.99) * 1000
        print(f"{kind:<10} {len(values):>7} {p50:>8.1f} {p99:>8.1f}")
    all_p50, all_p99 = percentile(every, 0.5) * 1000, percentile(every, 0.99) * 1000
    print(f"{'all':<10} {len(every):>7} {all_p50:>8.1f} {all_p99:>8.1f}")
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
