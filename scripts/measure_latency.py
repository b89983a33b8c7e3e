"""Latency of each REST endpoint over sequential requests against running `shoprec serve`s.

Give one or more servers as LABEL=URL, e.g. one started with SHOPREC_CACHE_TTL_S=0 and one
with the cache on:

    python scripts/measure_latency.py uncached=http://127.0.0.1:8031 cached=http://127.0.0.1:8030

For every endpoint it sends each distinct request once to every server (warm-up: connections,
and the cache where it is on), then N timed requests cycling over the same distinct requests,
one at a time, alternating between the servers request by request (so machine noise hits all
alike), and prints p50 / p99 per endpoint and server in milliseconds (a markdown table),
with the share of answers that came from the cache. Client time, so it includes HTTP and JSON.
Feedback is posted for synthetic users (`latency-<i>`) so real users' histories stay as they are.
"""

from __future__ import annotations

import argparse
import csv
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import httpx
import numpy as np

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
ENDPOINTS = ("content", "user", "hybrid", "ab", "feedback", "health")


@dataclass(frozen=True)
class Result:
    p50_ms: float
    p99_ms: float
    cache_share: float | None  # None where the endpoint has no cache


def sample_ids(products_csv: Path, interactions_csv: Path, count: int, seed: int):
    with products_csv.open(newline="") as f:
        products = [row["product_id"] for row in csv.DictReader(f)]
    with interactions_csv.open(newline="") as f:
        users = sorted({row["user_id"] for row in csv.DictReader(f)})
    rng = random.Random(seed)
    return rng.sample(products, count), rng.sample(users, count)


def requests_for(
    endpoint: str, products: list[str], users: list[str]
) -> list[Callable[[httpx.Client], httpx.Response]]:
    """The distinct requests one endpoint is measured with."""
    pairs = list(zip(products, users, strict=True))
    if endpoint == "content":
        return [lambda c, p=p: c.get(f"/recommend/content/{p}") for p, _ in pairs]
    if endpoint == "user":
        return [lambda c, u=u: c.get(f"/recommend/user/{u}") for _, u in pairs]
    if endpoint == "hybrid":
        return [
            lambda c, p=p, u=u: c.get("/recommend/hybrid", params={"user_id": u, "product_id": p})
            for p, u in pairs
        ]
    if endpoint == "ab":
        return [lambda c, u=u: c.get("/recommend/ab", params={"user_id": u}) for _, u in pairs]
    if endpoint == "feedback":
        return [
            lambda c, p=p, i=i: c.post(
                "/feedback", json={"user_id": f"latency-{i}", "product_id": p, "action": "view"}
            )
            for i, (p, _) in enumerate(pairs)
        ]
    if endpoint == "health":
        return [lambda c: c.get("/health")]
    raise ValueError(endpoint)


def measure(clients: list[httpx.Client], calls: list, n: int) -> list[Result]:
    """Time the same n requests on every server, interleaved request by request, so that
    a noisy neighbour on a shared machine hurts every server alike."""
    for client in clients:  # warm-up, not timed
        for call in calls:
            call(client).raise_for_status()
    times = np.empty((len(clients), n))
    from_cache = [0] * len(clients)
    cacheable = False
    for i in range(n):
        call = calls[i % len(calls)]
        for s, client in enumerate(clients):
            start = time.perf_counter()
            response = call(client)
            times[s, i] = time.perf_counter() - start
            if response.status_code != 200:
                raise SystemExit(f"error: {response.request.url} answered {response.status_code}")
            body = response.json()
            if "source" in body:
                cacheable = True
                from_cache[s] += body["source"] == "cache"
    results = []
    for s in range(len(clients)):
        p50, p99 = np.percentile(times[s] * 1000, [50, 99])
        share = from_cache[s] / n if cacheable else None
        results.append(Result(float(p50), float(p99), share))
    return results


def parse_server(text: str) -> tuple[str, str]:
    label, sep, url = text.partition("=")
    if not sep or not label or not url.startswith("http"):
        raise argparse.ArgumentTypeError(f"{text!r} is not LABEL=http://HOST:PORT")
    return label, url.rstrip("/")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog="Example: python scripts/measure_latency.py uncached=http://127.0.0.1:8031 "
        "cached=http://127.0.0.1:8030",
    )
    parser.add_argument("servers", nargs="+", type=parse_server, metavar="LABEL=URL")
    parser.add_argument("-n", "--requests", type=int, default=1000, help="timed per endpoint")
    parser.add_argument("--distinct", type=int, default=50, help="distinct ids cycled over")
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS), help="comma-separated")
    parser.add_argument("--products", type=Path, default=DATA_DIR / "products.csv")
    parser.add_argument("--interactions", type=Path, default=DATA_DIR / "interactions.csv")
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    endpoints = [e.strip() for e in args.endpoints.split(",") if e.strip()]
    unknown = set(endpoints) - set(ENDPOINTS)
    if unknown:
        parser.error(f"unknown endpoints {sorted(unknown)}; choose from {', '.join(ENDPOINTS)}")
    if args.requests < 1 or args.distinct < 1:
        parser.error("--requests and --distinct must be at least 1")

    products, users = sample_ids(args.products, args.interactions, args.distinct, args.seed)
    results: dict[tuple[str, str], Result] = {}
    clients = [httpx.Client(base_url=url, timeout=30) for _, url in args.servers]
    try:
        for (label, url), client in zip(args.servers, clients, strict=True):
            try:
                client.get("/health").raise_for_status()
            except httpx.HTTPError as exc:
                print(f"error: {label} at {url}: {exc}", file=sys.stderr)
                return 1
        for endpoint in endpoints:
            print(f"{endpoint} x {args.requests} ...", file=sys.stderr, flush=True)
            calls = requests_for(endpoint, products, users)
            for (label, _), result in zip(
                args.servers, measure(clients, calls, args.requests), strict=True
            ):
                results[(label, endpoint)] = result
    finally:
        for client in clients:
            client.close()

    labels = [label for label, _ in args.servers]
    header = "| endpoint | " + " | ".join(
        f"{label} p50 ms | {label} p99 ms | {label} from cache" for label in labels
    )
    print(header + " |")
    print("|" + " --- |" * (1 + 3 * len(labels)))
    for endpoint in endpoints:
        cells = []
        for label in labels:
            r = results[(label, endpoint)]
            share = "-" if r.cache_share is None else f"{r.cache_share:.0%}"
            cells.append(f"{r.p50_ms:.2f} | {r.p99_ms:.2f} | {share}")
        print(f"| {endpoint} | " + " | ".join(cells) + " |")
    print(
        f"\n{args.requests} sequential requests per endpoint and server over {args.distinct} "
        "distinct requests, after one warm-up pass; servers interleaved request by request.",
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
