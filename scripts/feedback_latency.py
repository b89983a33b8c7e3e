"""What durable feedback costs: POST /feedback latency with durability on versus off.

One embedded Redis (temporary folder), a 200-product slice of the demo catalog, the app
in-process (Litestar TestClient, so the whole HTTP stack but no network). Configurations run
interleaved in rounds, so machine noise hits them alike:
  on       appendfsync always + WAITAOF (the default: acknowledged = fsynced)
  off      appendfsync everysec, no WAITAOF (SHOPREC_FEEDBACK_DURABLE=0 on a default Redis)
  always   appendfsync always, no WAITAOF (what the fsync alone costs)
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd
import redis
from litestar.testing import TestClient

from indexing.build.index_builder import build_index
from indexing.connection.embedded_redis import EmbeddedRedis, free_port
from indexing.contract.settings import PROJECT_ROOT, get_settings
from service.api.app import create_app

CONFIGS = {"on": ("always", True), "off": ("everysec", False), "always": ("always", False)}


def small_catalog(out: Path, n: int) -> tuple[Path, Path]:
    products = pd.read_csv(PROJECT_ROOT / "data" / "products.csv", dtype=str).head(n)
    events = pd.read_csv(PROJECT_ROOT / "data" / "interactions.csv", dtype=str)
    events = events[events["product_id"].isin(set(products["product_id"]))]
    products.to_csv(out / "products.csv", index=False)
    events.to_csv(out / "interactions.csv", index=False)
    return out / "products.csv", out / "interactions.csv"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--per-round", type=int, default=100, help="posts per config per round")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        server = EmbeddedRedis(port=free_port(), data_dir=Path(tmp) / "redis")
        server.start()
        try:
            admin = redis.Redis.from_url(server.url)
            settings = get_settings().replace(redis={"url": server.url, "key_prefix": "lat"})
            build_index(admin, settings, *small_catalog(Path(tmp), 200), quiet=True)
            samples: dict[str, list[float]] = {name: [] for name in CONFIGS}
            clients = {
                name: TestClient(create_app(settings.replace(reliability={"feedback_durable": d})))
                for name, (_fsync, d) in CONFIGS.items()
            }
            for client in clients.values():
                client.__enter__()
            for round_no in range(args.rounds):
                for name, (fsync, _durable) in CONFIGS.items():
                    admin.config_set("appendfsync", fsync)
                    for i in range(args.per_round):
                        body = {"user_id": f"u{i % 50}", "product_id": "P000001", "action": "view"}
                        started = time.perf_counter()
                        response = clients[name].post("/feedback", json=body)
                        samples[name].append(time.perf_counter() - started)
                        if response.status_code != 200:
                            print(f"error: {name}: {response.status_code} {response.text}")
                            return 1
                print(f"round {round_no + 1}/{args.rounds} done", flush=True)
            for client in clients.values():
                client.__exit__(None, None, None)
        finally:
            server.stop()
    header = ("durability", "appendfsync", "WAITAOF", "n", "p50 ms", "p99 ms")
    print("\n{:<10} {:<12} {:<8} {:>5} {:>8} {:>8}".format(*header))
    for name, (fsync, durable) in CONFIGS.items():
        values = sorted(samples[name])
        p50 = statistics.median(values) * 1000
        p99 = values[min(len(values) - 1, int(0.99 * len(values)))] * 1000
        waitaof = "yes" if durable else "no"
        print(f"{name:<10} {fsync:<12} {waitaof:<8} {len(values):>5} {p50:>8.2f} {p99:>8.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
