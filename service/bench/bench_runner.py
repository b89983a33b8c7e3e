"""The benchmark run: per catalogue size, build -> reference floors -> HTTP load, uncached
then cached, against a real uvicorn server; results gathered into one dict (see bench_report).
"""

from __future__ import annotations

import json
import os
import platform
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import redis

from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from service.bench.bench_catalog import BuiltCatalog, built_catalog
from service.bench.bench_rules import bench_rules, rules_in_force
from service.bench.cpu_meter import CpuMeter
from service.bench.load_generator import Request, load
from service.bench.reference_floors import measure_floors
from service.bench.request_paths import HYBRID_VARIANTS, RULED, endpoint_paths
from service.bench.served_metrics import cache_counts, hit_ratio
from service.bench.server_process import HOST, running_server
from service.recommend.rules import Rule

UNCACHED_PATHS = 2000  # distinct requests per endpoint: a cycle longer than any cell's reuse
CACHED_PATHS = 200  # distinct requests, all answered once before measuring (warm cache)
REFERENCE_QUERIES = 200
RULES_CHECKED = 20  # answers of the ruled cell read to see that the rules were in force
# What the ruled hybrid adds is measured in this many alternating pairs of one-connection
# blocks (hybrid, ruled), so the machine's drift between cells cancels out (the other
# variants alternate request by request).
PAIRED_BLOCKS = 4
CACHE_TTL_S = 3600


@dataclass
class BenchOptions:
    sizes: list[int]
    duration_s: float = 20.0
    concurrency: list[int] = field(default_factory=lambda: [1, 16, 64])
    endpoints: list[str] = field(default_factory=lambda: ["content", "user", "hybrid", "ab"])
    workers: int = field(default_factory=lambda: os.cpu_count() or 1)
    out_dir: Path = Path("bench-results")
    seed: int = 42
    quiet: bool = False


def say(options: BenchOptions, text: str) -> None:
    if not options.quiet:
        print(text, flush=True)


def machine() -> dict[str, object]:
    model = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem_kb = 0
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    except OSError:
        pass
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model or platform.processor(),
        "ram_gib": round(mem_kb / 1024**2, 1),
        "python": platform.python_version(),
        "load_average_at_start": [round(x, 2) for x in os.getloadavg()],
    }


def run_bench(
    client: redis.Redis,
    redis_url: str,
    settings: Settings,
    options: BenchOptions,
    on_size_done: Callable[[dict[str, object]], object] | None = None,
) -> dict[str, object]:
    """Benchmark every size in turn; `on_size_done` gets the results so far after each size
    (the command writes its reports then, so a long run that fails late keeps what it had)."""
    options.out_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, object] = {
        "machine": machine(),
        "started_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "options": {
            "sizes": options.sizes,
            "duration_s": options.duration_s,
            "concurrency": options.concurrency,
            "endpoints": options.endpoints,
            "workers": options.workers,
            "seed": options.seed,
        },
        "settings": {
            "hnsw_m": settings.index.hnsw_m,
            "hnsw_ef_construction": settings.index.hnsw_ef_construction,
            "hnsw_ef_runtime": settings.index.hnsw_ef_runtime,
            "content_dims": settings.catalog.content_dims,
            "cf_dims": settings.cf.dims,
        },
        "sizes": [],
    }
    for size in options.sizes:
        say(options, f"== {size:,} products: building")
        with built_catalog(client, settings, size, options.seed, options.quiet) as catalog:
            results["sizes"].append(_bench_size(client, redis_url, catalog, options))  # type: ignore[attr-defined]
        if on_size_done is not None:
            on_size_done(results)
    results["finished_at"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    return results


def _bench_size(
    client: redis.Redis, redis_url: str, catalog: BuiltCatalog, options: BenchOptions
) -> dict[str, object]:
    build = catalog.build_stats()
    say(
        options,
        f"  built in {build['build_total_s']}s; reference floors "
        f"({min(options.duration_s, 5.0):.0f}s)",
    )
    floors = measure_floors(
        client,
        catalog.settings,
        catalog.version,
        catalog.product_ids[:REFERENCE_QUERIES],
        duration_s=min(options.duration_s, 5.0),
    )
    http: dict[str, dict[str, list[dict[str, object]]]] = {}
    for mode in ("uncached", "cached"):
        http[mode] = _bench_http(redis_url, catalog, options, mode)
    return {"products": catalog.size, "build": build, "floors": floors, "http": http}


def _bench_http(
    redis_url: str, catalog: BuiltCatalog, options: BenchOptions, mode: str
) -> dict[str, list[dict[str, object]]]:
    env = {
        "SHOPREC_KEY_PREFIX": catalog.settings.redis.key_prefix,
        "SHOPREC_CACHE_TTL_S": "0" if mode == "uncached" else str(CACHE_TTL_S),
    }
    count = UNCACHED_PATHS if mode == "uncached" else CACHED_PATHS
    log_path = options.out_dir / "server.log"
    out: dict[str, list[dict[str, object]]] = {}
    meter_client = redis.Redis.from_url(redis_url)
    with running_server(redis_url, env, options.workers, log_path) as server:
        port, meter = server.port, CpuMeter(server.pid, meter_client)
        for endpoint in options.endpoints:
            paths = endpoint_paths(endpoint, catalog.product_ids, catalog.user_ids, count)
            kept = _kept_rules(meter_client, catalog, endpoint)
            with _ruled(meter_client, catalog, kept) as rules:
                if mode == "cached":
                    _warm(port, paths)
                # Untimed warm-up: connection pools filled, code paths hot.
                load(HOST, port, paths, max(options.concurrency), min(1.0, options.duration_s / 4))
                seen = _boosted_share(port, paths) if rules else None
                out[endpoint] = []
                for concurrency in options.concurrency:
                    row = _measured_cell(port, meter, paths, concurrency, options.duration_s)
                    if rules:
                        row |= {"rules_in_force": rules, "answers_boosted_share": seen}
                    out[endpoint].append(row)
                    _say_cell(options, catalog.size, mode, endpoint, row)
            if mode == "uncached" and endpoint in HYBRID_VARIANTS:
                hybrid = endpoint_paths("hybrid", catalog.product_ids, catalog.user_ids, count)
                added = _paired_added(port, meter_client, catalog, kept, hybrid, paths, options)
                for row in out[endpoint]:
                    row["p50_added_paired_c1_ms"] = added
                say(
                    options,
                    f"  {catalog.size:>7,} {endpoint:16} adds {added:+.2f} ms p50 (c1 pairs)",
                )
    meter_client.close()
    return out


def _paired_added(
    port: int,
    client: redis.Redis,
    catalog: BuiltCatalog,
    kept: list[Rule],
    hybrid_paths: list[str],
    variant_paths: list[str],
    options: BenchOptions,
) -> float:
    """The p50 the variant adds to the hybrid at concurrency 1. A variant of the query
    alone (diversity, the cap) alternates with the hybrid request by request on one
    connection (`paired_requests`), so drift falls on both alike. Rules are in force for
    the whole server: the median, over PAIRED_BLOCKS pairs of blocks run one after the
    other, of the ruled block's p50 less the hybrid's."""
    if not kept:
        result = load(
            HOST, port, paired_requests(hybrid_paths, variant_paths), 1, options.duration_s
        )
        return round(result.percentile(50, "variant") - result.percentile(50, "hybrid"), 3)
    block_s = max(options.duration_s / PAIRED_BLOCKS, 0.5)
    added = []
    for _ in range(PAIRED_BLOCKS):
        plain = load(HOST, port, hybrid_paths, 1, block_s).percentile(50)
        with _ruled(client, catalog, kept):
            varied = load(HOST, port, variant_paths, 1, block_s).percentile(50)
        added.append(varied - plain)
    return round(float(np.median(added)), 3)


def paired_requests(hybrid_paths: list[str], variant_paths: list[str]) -> list[Request]:
    """The hybrid's and the variant's requests, alternating, neither about the ids the one
    before it asked: the variant at the other end of the cycle. Right after a request for the
    same user and product, the second is served warm (its reads, its search just made):
    0.5 ms faster at 50K products, which measured the variant faster than it is."""
    half = len(variant_paths) // 2
    shifted = variant_paths[half:] + variant_paths[:half]
    return [
        request
        for hybrid, variant in zip(hybrid_paths, shifted, strict=True)
        for request in (Request(hybrid, "hybrid"), Request(variant, "variant"))
    ]


def _measured_cell(
    port: int, meter: CpuMeter, paths: list[str], concurrency: int, duration_s: float
) -> dict[str, object]:
    before, cache_before = meter.sample(), cache_counts(HOST, port)
    result = load(HOST, port, paths, concurrency, duration_s)
    row: dict[str, object] = dict(result.summary())
    row |= CpuMeter.per_request(before, meter.sample(), result.requests)
    # What the service counted, not what the mode intends: "uncached" must be 0.
    cache_after = cache_counts(HOST, port)
    row["cache_hit_ratio"] = hit_ratio(cache_before["answers"], cache_after["answers"])
    # Product rows the workers held (service/store/product_rows.py), of those the computed
    # answers used (answers from the cache use none).
    if cache_after["rows"] != cache_before["rows"]:
        row["rows_cached_ratio"] = hit_ratio(cache_before["rows"], cache_after["rows"])
    if result.errors:
        row["first_error"] = result.first_error
    return row


def _say_cell(
    options: BenchOptions, size: int, mode: str, endpoint: str, row: dict[str, object]
) -> None:
    errors = f"  ERRORS {row['errors']}: {row['first_error']}" if row.get("errors") else ""
    held = row.get("rows_cached_ratio")
    rows = f"  rows cached {held:.0%}" if isinstance(held, float) else ""
    say(
        options,
        f"  {size:>7,} {mode:8} {endpoint:16} c{row['concurrency']:<3} "
        f"p50 {row['p50_ms']:7.2f} ms  p95 {row['p95_ms']:7.2f}  "
        f"p99 {row['p99_ms']:7.2f}  {row['rps']:8.1f} req/s  CPU ms/req server "
        f"{row['server_cpu_ms_per_req']:.2f} Redis {row['redis_cpu_ms_per_req']:.2f}  "
        f"cache hits {row['cache_hit_ratio']:.0%}{rows}{errors}",
    )


def _kept_rules(client: redis.Redis, catalog: BuiltCatalog, endpoint: str) -> list[Rule]:
    """The rules the endpoint's cells run under: the benchmark's for the ruled one, else none."""
    if endpoint != RULED:
        return []
    layout = RedisLayout(catalog.settings.redis.key_prefix)
    return bench_rules(client, layout, catalog.version, catalog.product_ids)


@contextmanager
def _ruled(client: redis.Redis, catalog: BuiltCatalog, kept: list[Rule]) -> Iterator[int]:
    """`kept` in force for the block (yields how many); none: nothing to do (0)."""
    if not kept:
        yield 0
        return
    with rules_in_force(client, RedisLayout(catalog.settings.redis.key_prefix), kept):
        yield len(kept)


def _boosted_share(port: int, paths: list[str]) -> float:
    """The share of the first answers holding a boosted product: that the rules were seen."""
    checked = paths[:RULES_CHECKED]
    boosted = 0
    for path in checked:
        with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=10) as answer:
            results = json.loads(answer.read())["results"]
        boosted += any(item.get("reason") == "boosted" for item in results)
    return boosted / len(checked)


def _warm(port: int, paths: list[str]) -> None:
    """Answer every path once, so the measured requests are all cache hits."""
    for path in paths:
        with urllib.request.urlopen(f"http://{HOST}:{port}{path}", timeout=10) as answer:
            answer.read()
