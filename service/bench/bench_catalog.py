"""One benchmark catalogue: generate it, build it under its own key prefix, remove it after.

Each size gets the prefix `{key_prefix}-bench-{size}`, so a benchmark never touches the live
catalogue (or another size), and everything it wrote is deleted when it is done.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
import redis

from indexing.build.build_summary import BuildSummary
from indexing.build.catalog_versions import remove_prefix
from indexing.build.index_builder import build_index
from indexing.connection.redis_connection import sync_state_client
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from indexing.demo.demo_catalog import write_demo_data

SAMPLE_IDS = 2000


@dataclass
class BuiltCatalog:
    settings: Settings  # points at this catalogue's key prefix
    summary: BuildSummary
    redis_bytes: int
    cpu_seconds: dict[str, float] = field(default_factory=dict)
    product_ids: list[str] = field(default_factory=list)  # a sample, for requests
    user_ids: list[str] = field(default_factory=list)  # a sample of users with history

    @property
    def size(self) -> int:
        return self.summary.products

    @property
    def version(self) -> int:
        return self.summary.version

    def build_stats(self) -> dict[str, float | int | str]:
        s, summary = self.summary.seconds, self.summary
        vectors_s = s.get("content vectors", 0.0) + s.get("cf vectors", 0.0)
        load_s = s.get("redis load", 0.0) + s.get("hnsw wait", 0.0)
        return {
            "products": self.size,
            "users": summary.users,
            "events": summary.events,
            "cf_items": summary.cf_items,
            "cf_model": summary.cf_model,
            "csv_load_s": round(s.get("load csv", 0.0), 2),
            "vectors_s": round(vectors_s, 2),
            "redis_load_s": round(load_s, 2),
            "build_total_s": round(s.get("total", 0.0), 2),
            "vectors_products_per_s": round(self.size / vectors_s, 1) if vectors_s else 0.0,
            "redis_load_products_per_s": round(self.size / load_s, 1) if load_s else 0.0,
            "redis_bytes_per_product": round(self.redis_bytes / self.size, 1),
            **self.cpu_seconds,
        }


def bench_settings(settings: Settings, size: int) -> Settings:
    return settings.replace(redis={"key_prefix": f"{settings.redis.key_prefix}-bench-{size}"})


def _used_memory(client: redis.Redis) -> int:
    return int(client.info("memory")["used_memory"])


def _redis_cpu_s(client: redis.Redis) -> float:
    """CPU seconds the Redis server has used (all its threads); with the machine shared, CPU
    time says more about cost than wall time does."""
    info = client.info("cpu")
    return float(info["used_cpu_user"]) + float(info["used_cpu_sys"])


@contextmanager
def built_catalog(
    client: redis.Redis, settings: Settings, size: int, seed: int, quiet: bool
) -> Iterator[BuiltCatalog]:
    """Generate `size` products (users and events scaled with them), build them, yield,
    then delete every key of the catalogue's prefix and the generated files."""
    size_settings = bench_settings(settings, size)
    layout = RedisLayout(size_settings.redis.key_prefix)
    workdir = Path(tempfile.mkdtemp(prefix=f"shoprec-bench-{size}-"))
    state = sync_state_client(settings, client)  # REDIS_STATE_URL's, else `client`
    remove_prefix(client, layout, state)  # leftovers of an interrupted run
    try:
        started = time.perf_counter()
        data = write_demo_data(workdir, n_products=size, seed=seed)
        if not quiet:
            print(
                f"  generated {data.n_products:,} products, {data.n_users:,} users, "
                f"{data.n_interactions:,} events in {time.perf_counter() - started:.1f}s",
                flush=True,
            )
        before, redis_cpu, own_cpu = _used_memory(client), _redis_cpu_s(client), time.process_time()
        summary = build_index(
            client, size_settings, data.products_path, data.interactions_path, quiet=quiet
        )
        after = _used_memory(client)
        cpu = {
            "builder_cpu_s": round(time.process_time() - own_cpu, 2),
            "redis_cpu_s": round(_redis_cpu_s(client) - redis_cpu, 2),
        }
        products, users = _sample_ids(data.products_path, data.interactions_path, seed)
        yield BuiltCatalog(
            settings=size_settings,
            summary=summary,
            redis_bytes=max(0, after - before),
            cpu_seconds=cpu,
            product_ids=products,
            user_ids=users,
        )
    finally:
        remove_prefix(client, layout, state)
        shutil.rmtree(workdir, ignore_errors=True)


def _sample_ids(
    products_csv: Path, interactions_csv: Path, seed: int
) -> tuple[list[str], list[str]]:
    rng = np.random.default_rng(seed)
    products = pd.read_csv(products_csv, usecols=["product_id"], dtype=str)["product_id"]
    users = pd.read_csv(interactions_csv, usecols=["user_id"], dtype=str)["user_id"].unique()
    pick_p = rng.choice(len(products), size=min(SAMPLE_IDS, len(products)), replace=False)
    pick_u = rng.choice(len(users), size=min(SAMPLE_IDS, len(users)), replace=False)
    return [str(products.iloc[i]) for i in pick_p], [str(users[i]) for i in pick_u]
