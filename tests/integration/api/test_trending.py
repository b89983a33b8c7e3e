"""GET /recommend/trending over the real app: it follows posted feedback at once, falls back
to the popular list where the window is quiet, and refuses windows out of range."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator

import pytest
import redis
from litestar.testing import TestClient

from indexing.build.index_builder import build_index
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from indexing.contract.trending_counts import SECONDS_PER_HOUR, hour_of
from service.api.app import create_app
from service.recommend.trending import MIN_RECENT_EVENTS
from tests.conftest import make_settings
from tests.integration.api.conftest import Product, ids

BURST = MIN_RECENT_EVENTS + 10


def _clear_of_the_hour_boundary() -> None:
    """Posts and reads fall in one hour (the 1-hour window is the current hour)."""
    left = SECONDS_PER_HOUR - time.time() % SECONDS_PER_HOUR
    if left < 10:
        time.sleep(left + 1)


def _quiet_product(api: TestClient, catalog: dict[str, Product], category: str) -> str:
    """A product of `category` with no events this hour (the shared demo index gets other
    tests' feedback)."""
    listed = set(ids(api.get("/recommend/trending?window=1&top_k=100").json()))
    return next(
        pid for pid, p in sorted(catalog.items()) if p.category == category and pid not in listed
    )


def _busiest_this_hour(settings: Settings, client: redis.Redis) -> int:
    """The most events any product has in the current hour (other tests post feedback too)."""
    layout = RedisLayout(settings.redis.key_prefix)
    version = int(client.hget(layout.meta, "version"))
    top = client.zrevrange(
        layout.trending_hour(version, hour_of(time.time())), 0, 0, withscores=True
    )
    return int(top[0][1]) if top else 0


def _burst(api: TestClient, product_id: str, events: int = BURST) -> None:
    # At most 20 events a user: well inside SHOPREC_FEEDBACK_PER_USER.
    users = [f"t18-{uuid.uuid4().hex[:8]}" for _ in range(events // 20 + 1)]
    for i in range(events):
        answer = api.post(
            "/feedback",
            json={"user_id": users[i % len(users)], "product_id": product_id, "action": "click"},
        )
        assert answer.status_code == 200, answer.text


@pytest.fixture
def burst_users_cleanup(demo_index: Settings, redis_client: redis.Redis) -> Iterator[None]:
    yield
    keys = list(redis_client.scan_iter(match=f"{demo_index.redis.key_prefix}:*t18-*", count=1000))
    if keys:
        redis_client.delete(*keys)


@pytest.mark.usefixtures("burst_users_cleanup")
def test_a_burst_of_feedback_lifts_a_product_to_the_top_at_once(
    api: TestClient,
    catalog: dict[str, Product],
    demo_index: Settings,
    redis_client: redis.Redis,
) -> None:
    _clear_of_the_hour_boundary()
    product = _quiet_product(api, catalog, "Garden")
    # More events than any product has this hour: with no week behind them, it leads.
    _burst(api, product, max(BURST, _busiest_this_hour(demo_index, redis_client) + 10))
    body = api.get("/recommend/trending?window=1&top_k=5").json()
    assert body["basis"] == "trending"
    assert body["source"] == "model"
    assert ids(body)[0] == product
    scores = [item["score"] for item in body["results"]]
    assert scores == sorted(scores, reverse=True)
    # The category filter holds: the product leads its own category and is absent elsewhere.
    garden = api.get("/recommend/trending?window=1&category=garden&top_k=5").json()
    assert ids(garden)[0] == product
    assert all("Garden" in item["category"] for item in garden["results"])
    other = api.get("/recommend/trending?window=1&category=Shoes&top_k=100").json()
    assert product not in ids(other)
    assert all("Shoes" in item["category"] for item in other["results"])


@pytest.mark.parametrize("window", [0, 169, -1, "x"])
def test_a_window_out_of_range_is_422(api: TestClient, window: object) -> None:
    answer = api.get(f"/recommend/trending?window={window}")
    assert answer.status_code == 422


def test_a_category_with_control_characters_is_422(api: TestClient) -> None:
    assert api.get("/recommend/trending?category=%01").status_code == 422


@pytest.fixture
def quiet_shop(redis_url: str, small_csvs: tuple) -> Iterator[Settings]:
    """The small catalog under a prefix of its own: its log ended weeks ago, so no bucket of
    it is recent, and no other test posts feedback to it."""
    settings = make_settings(
        redis_url,
        redis={"key_prefix": f"t18q{uuid.uuid4().hex[:6]}"},
        catalog={"content_dims": 32},
        cf={"dims": 32},
    )
    client = redis.Redis.from_url(redis_url)
    build_index(client, settings, *small_csvs, quiet=True)
    yield settings
    keys = list(client.scan_iter(match=f"{settings.redis.key_prefix}:*", count=1000))
    client.execute_command("FT.DROPINDEX", RedisLayout(settings.redis.key_prefix).index_name(1))
    if keys:
        client.delete(*keys)
    client.close()


def test_a_shop_without_recent_events_answers_popular_until_feedback_arrives(
    quiet_shop: Settings,
) -> None:
    _clear_of_the_hour_boundary()
    with TestClient(app=create_app(quiet_shop)) as api:
        body = api.get("/recommend/trending?top_k=5").json()
        assert body["basis"] == "popular"
        assert len(body["results"]) == 5
        popular = api.get(f"/recommend/user/new-{uuid.uuid4().hex[:6]}?top_k=5").json()
        assert ids(body) == ids(popular)
        product = ids(body)[-1]
        _burst(api, product)
        lifted = api.get("/recommend/trending?window=1&top_k=5").json()
        assert lifted["basis"] == "trending"
        assert ids(lifted) == [product]


def test_the_build_seeds_the_week_before_the_logs_newest_event(
    redis_url: str, small_csvs: tuple, tmp_path
) -> None:
    import pandas as pd

    products_csv, interactions_csv = small_csvs
    events = pd.read_csv(interactions_csv, dtype=str)
    stamps = pd.to_datetime(events["ts"])
    # Moved so the newest event is an hour ago: the log's last week is recent.
    shift = pd.Timestamp.utcnow().tz_localize(None) - pd.Timedelta(hours=1) - stamps.max()
    events["ts"] = (stamps + shift).dt.strftime("%Y-%m-%dT%H:%M:%S")
    moved = tmp_path / "interactions.csv"
    events.to_csv(moved, index=False)
    prefix = f"t18s{uuid.uuid4().hex[:6]}"
    settings = make_settings(
        redis_url, redis={"key_prefix": prefix}, catalog={"content_dims": 32}, cf={"dims": 32}
    )
    client = redis.Redis.from_url(redis_url)
    try:
        build_index(client, settings, products_csv, moved, quiet=True)
        layout = RedisLayout(prefix)
        stamps = pd.to_datetime(events["ts"])
        newest = hour_of(stamps.max().tz_localize("UTC").timestamp())
        # The 168 hours before the newest event reach into a 169th hour bucket.
        week = [layout.trending_hour(1, h) for h in range(newest - 168, newest + 1)]
        seeded = sum(sum(s for _, s in client.zrange(k, 0, -1, withscores=True)) for k in week)
        assert seeded == (stamps > stamps.max() - pd.Timedelta(hours=168)).sum()
        assert 0 < client.ttl(week[-1]) <= 8 * 24 * SECONDS_PER_HOUR
    finally:
        keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
        client.execute_command("FT.DROPINDEX", RedisLayout(prefix).index_name(1))
        if keys:
            client.delete(*keys)
        client.close()
