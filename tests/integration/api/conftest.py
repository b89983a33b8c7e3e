"""The real app (`create_app`) over the demo index built once per session, through Litestar's
TestClient.

The demo index is shared read-only with other tests, so every test here gets its own A/B
experiment name, writes feedback only for user ids of its own (`fresh_user`), and drops the
cache entries it made when it ends.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
import redis
from litestar.testing import TestClient

from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from service.api.app import create_app
from tests.conftest import DATA_DIR

# Real ids of the demo data: P000001 is a Garden planter; U00007 has history and 5 purchases.
PRODUCT = "P000001"
USER = "U00007"
OTHER_USER = "U00008"


@dataclass(frozen=True)
class Product:
    category: str
    price: float


@pytest.fixture(scope="session")
def catalog() -> dict[str, Product]:
    with (DATA_DIR / "products.csv").open(newline="") as f:
        return {
            r["product_id"]: Product(r["category"], float(r["price"])) for r in csv.DictReader(f)
        }


@pytest.fixture(scope="session")
def purchases() -> dict[str, set[str]]:
    bought: dict[str, set[str]] = {}
    with (DATA_DIR / "interactions.csv").open(newline="") as f:
        for r in csv.DictReader(f):
            if r["interaction_type"] == "purchase":
                bought.setdefault(r["user_id"], set()).add(r["product_id"])
    return bought


@pytest.fixture
def api_settings(demo_index: Settings) -> Settings:
    return demo_index.replace(ab={"experiment": f"exp-{uuid.uuid4().hex[:8]}"})


@pytest.fixture
def live_version(demo_index: Settings, redis_client: redis.Redis) -> int:
    return int(redis_client.hget(RedisLayout(demo_index.redis.key_prefix).meta, "version"))


@pytest.fixture
def cache_prefix(demo_index: Settings, live_version: int) -> str:
    return RedisLayout(demo_index.redis.key_prefix).cache_prefix(live_version)


def drop_experiment(client: redis.Redis, layout: RedisLayout, experiment: str) -> None:
    """The experiment's counters and every user's variant mark (one key per user)."""
    client.delete(layout.ab_counters(experiment))
    _drop_cache(client, layout.user_key(layout.ab_user_scope(experiment), "")[:-1])


def _drop_cache(client: redis.Redis, prefix: str) -> None:
    keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture
def api(
    api_settings: Settings, redis_client: redis.Redis, cache_prefix: str
) -> Iterator[TestClient]:
    _drop_cache(redis_client, cache_prefix)
    with TestClient(app=create_app(api_settings)) as client:
        yield client
    _drop_cache(redis_client, cache_prefix)
    layout = RedisLayout(api_settings.redis.key_prefix)
    drop_experiment(redis_client, layout, api_settings.ab.experiment)


@pytest.fixture
def fresh_user(demo_index: Settings, redis_client: redis.Redis) -> Iterator[str]:
    """A user id nobody else uses; its history, purchases and dismissals go at teardown."""
    user = f"t3-{uuid.uuid4().hex[:10]}"
    yield user
    keys = list(redis_client.scan_iter(match=f"{demo_index.redis.key_prefix}:*{user}*", count=1000))
    if keys:
        redis_client.delete(*keys)


def ids(body: dict) -> list[str]:
    return [item["product_id"] for item in body["results"]]


# Every recommending endpoint, each ready for `&`-joined parameters.
RECOMMENDING_ENDPOINTS = [
    f"/recommend/content/{PRODUCT}?",
    f"/recommend/user/{USER}?",
    f"/recommend/user/nobody-{PRODUCT}?",  # popular products for a new user
    f"/recommend/hybrid?user_id={USER}&",
    f"/recommend/hybrid?product_id={PRODUCT}&",
    f"/recommend/hybrid?user_id={USER}&product_id={PRODUCT}&",
]
