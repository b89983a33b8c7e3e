"""A flood of distinct cached requests against a Redis with a small `maxmemory`, set the way
the embedded server sets it (settings.resources, volatile-lru): the cache is evicted, never
the catalog, histories or feedback, and Redis stays within its cap (issue 15: 1,000 distinct
requests added 33 MB to a Redis without a cap)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from litestar.testing import TestClient

from indexing.connection.embedded_redis import EmbeddedRedis, free_port
from indexing.contract.redis_layout import RedisLayout
from service.api.app import create_app
from tests.conftest import make_settings
from tests.support.live_server import build_small_index

# The small catalog takes about 9.5 MB of Redis: 16 MB leaves a few MB for the cache.
MAXMEMORY = "16mb"
FLOOD = 1200


@pytest.fixture
def capped_redis(tmp_path: Path) -> Iterator[EmbeddedRedis]:
    server = EmbeddedRedis(port=free_port(), data_dir=tmp_path / "redis", maxmemory=MAXMEMORY)
    server.start()
    yield server
    server.stop()


def _keys_without_ttl(client: redis.Redis) -> set[bytes]:
    pipe = client.pipeline(transaction=False)
    names = list(client.scan_iter(count=1000))
    for name in names:
        pipe.ttl(name)
    return {name for name, ttl in zip(names, pipe.execute(), strict=True) if ttl == -1}


def test_a_flood_of_distinct_requests_evicts_only_cached_answers(
    capped_redis: EmbeddedRedis, small_csvs: tuple[Path, Path]
) -> None:
    client = redis.Redis.from_url(capped_redis.url)
    config = client.config_get("maxmemory*")
    cap = int(config["maxmemory"])
    assert cap == 16 * 1024 * 1024 and config["maxmemory-policy"] == "volatile-lru"
    settings = make_settings(capped_redis.url)
    build_small_index(settings, small_csvs)
    layout = RedisLayout(settings.redis.key_prefix)
    version = int(client.hget(layout.meta, "version") or 0)
    products = [
        key.decode().rsplit(":", 1)[1]
        for key in client.scan_iter(match=layout.product(version, "*"), count=1000)
    ]
    trending = layout.trending_hour(version, 0).removesuffix("0")
    with TestClient(create_app(settings)) as http:
        for n in range(20):  # feedback, histories and dismissals that must survive
            body = {"user_id": f"keeper{n}", "product_id": products[n], "action": "purchase"}
            assert http.post("/feedback", json=body).status_code == 200
        kept = _keys_without_ttl(client)
        stream_length = client.xlen(layout.feedback_stream)
        # Before the flood only the feedback rate-limit windows and the hourly trending
        # counts carry a TTL (counts that may go at the cap: trending undercounts, no more).
        windows = set(client.scan_iter(match=f"{layout.prefix}:rate:*", count=1000))
        windows |= set(client.scan_iter(match=f"{trending}*", count=1000))
        assert client.dbsize() == len(kept) + len(windows)

        for n in range(FLOOD):
            if n % 3:
                url = f"/recommend/content/{products[n % 50]}?top_k=100&exclude=X{n}"
            else:
                url = f"/recommend/user/flood{n}?top_k=100"
            assert http.get(url).status_code == 200

    # The memory section alone: a whole INFO allocates its earlier sections' text before it
    # samples used_memory, which can put a Redis evicted to just under its cap a few hundred
    # bytes over it.
    info = {**client.info("memory"), **client.info("stats")}
    print(
        f"after {FLOOD} distinct requests: used_memory {info['used_memory'] / 1e6:.1f} MB "
        f"of {cap / 1e6:.1f} MB, {info['evicted_keys']} cached answers evicted"
    )
    assert info["evicted_keys"] > 0  # the flood did press against the cap
    assert info["used_memory"] - info.get("mem_not_counted_for_evict", 0) <= cap
    assert kept <= set(client.scan_iter(count=1000))  # every catalog/feedback key is there
    assert client.xlen(layout.feedback_stream) == stream_length
    # Whatever carries a TTL is a cached answer or a trending count, and every cached answer
    # carries one.
    cache_prefix = layout.cache_prefix(version).encode()
    for name in client.scan_iter(count=1000):
        ttl = client.ttl(name)
        if name.startswith(trending.encode()):
            continue
        assert (ttl > 0) == name.startswith(cache_prefix), (name, ttl)
