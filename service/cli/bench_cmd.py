"""`shoprec bench`: speed at scale, from the build to HTTP answers (see service/bench/)."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from indexing.connection.redis_connection import resolve_redis_url, sync_client
from indexing.contract.settings import Settings
from service.cli.errors import CommandError


def _int_list(text: str) -> list[int]:
    try:
        values = [
            int(part.replace("_", "").lower().replace("k", "000")) for part in text.split(",")
        ]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a comma-separated list of integers"
        ) from None
    if not values or any(v < 1 for v in values):
        raise argparse.ArgumentTypeError(f"{text!r}: every value must be a positive integer")
    return values


def register(sub: argparse._SubParsersAction, settings: Settings) -> None:
    from service.bench.request_paths import BENCHED, ENDPOINTS

    bench_p = sub.add_parser(
        "bench",
        help="benchmark build and HTTP serving at several catalogue sizes",
        description="For each size: generate a synthetic catalogue (the demo generator scaled "
        "up), build it under its own key prefix, measure build throughput, Redis memory, HNSW "
        "recall@10, a raw FT.SEARCH and an exact numpy top-k, then p50/p95/p99 and req/s of "
        "each endpoint over HTTP against a real uvicorn server, uncached and cached. Writes "
        "bench.json, bench.md and bench-latency.png; removes the catalogues after.",
    )
    bench_p.add_argument(
        "--sizes",
        type=_int_list,
        default=[5_000, 50_000, 200_000],
        help="catalogue sizes, e.g. 5k,50k,200k (default)",
    )
    bench_p.add_argument(
        "--duration", type=float, default=20.0, help="seconds per measured cell (default 20)"
    )
    bench_p.add_argument(
        "--concurrency",
        type=_int_list,
        default=[1, 16, 64],
        help="open connections per cell, e.g. 1,16,64 (default)",
    )
    bench_p.add_argument(
        "--endpoints",
        default=",".join(ENDPOINTS),
        help=f"comma-separated subset of {','.join(BENCHED)} (default "
        f"{','.join(ENDPOINTS)}); the hybrid-* variants add MMR diversity, a category cap, "
        "or three rules in force to the hybrid, and the report says what each adds to it",
    )
    bench_p.add_argument(
        "--workers",
        type=int,
        default=os.cpu_count() or 1,
        help="uvicorn worker processes (default: the number of cores)",
    )
    bench_p.add_argument(
        "--out",
        type=Path,
        default=Path("bench-results"),
        help="output folder (default bench-results)",
    )
    bench_p.add_argument("--seed", type=int, default=42, help="data generator seed")
    bench_p.add_argument("-q", "--quiet", action="store_true", help="no progress output")
    bench_p.set_defaults(handler=cmd_bench)


def cmd_bench(args: argparse.Namespace, settings: Settings) -> int:
    from service.bench.bench_report import write_reports
    from service.bench.bench_runner import BenchOptions, run_bench
    from service.bench.request_paths import BENCHED
    from service.bench.server_process import ServerStartError

    endpoints = [e.strip() for e in args.endpoints.split(",") if e.strip()]
    unknown = [e for e in endpoints if e not in BENCHED]
    if unknown or not endpoints:
        raise CommandError(f"unknown endpoint(s) {unknown}; choose from {', '.join(BENCHED)}", 2)
    if args.duration <= 0 or args.workers < 1:
        raise CommandError("--duration and --workers must be positive", 2)
    if any(size < 20 for size in args.sizes):
        raise CommandError("every size must be at least 20 products", 2)
    # An embedded Redis the bench starts holds catalogs up to 200K products (~1.4 GB, twice
    # that in a rebuild), past the cap a shop's embedded Redis gets: it runs without one.
    settings = settings.replace(resources={"embedded_redis_maxmemory": "0"})
    url = resolve_redis_url(settings)
    options = BenchOptions(
        sizes=args.sizes,
        duration_s=args.duration,
        concurrency=args.concurrency,
        endpoints=endpoints,
        workers=args.workers,
        out_dir=args.out,
        seed=args.seed,
        quiet=args.quiet,
    )
    try:
        results = run_bench(
            sync_client(url, timeout_s=120.0),
            url,
            settings,
            options,
            on_size_done=lambda partial: write_reports(partial, args.out),
        )
    except ServerStartError as exc:
        raise CommandError(str(exc)) from None
    paths = write_reports(results, args.out)
    print(paths["markdown"].read_text())
    print("wrote " + ", ".join(str(p) for p in paths.values()))
    return 0
