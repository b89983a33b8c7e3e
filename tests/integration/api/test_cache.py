"""The answer cache through the app: miss then hit, keys as docs/architecture.md gives them
under the live version, personal answers per user, no request served another's entry, no
oversized entry, and a broken cache bypassed."""

from __future__ import annotations

import logging

import pytest
import redis
from litestar.testing import TestClient

from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from service.api.app import create_app
from service.store.answer_cache import cache_key
from tests.integration.api.conftest import OTHER_USER, PRODUCT, USER, Product, ids


def _shared(cache_prefix: str, endpoint: str, params: dict[str, object]) -> str:
    """The Redis key of a shared answer (RedisLayout.cached_answer under the live version)."""
    return f"{cache_prefix}answer:{cache_key(endpoint, params)}"


CONTENT_KEY = {"product_id": PRODUCT, "top_k": 10}


def test_content_miss_then_hit_under_the_design_key(
    api: TestClient, redis_client: redis.Redis, cache_prefix: str
) -> None:
    first = api.get(f"/recommend/content/{PRODUCT}").json()
    second = api.get(f"/recommend/content/{PRODUCT}").json()
    assert first["source"] == "model"
    assert second["source"] == "cache"
    assert second["results"] == first["results"]
    key = _shared(cache_prefix, "content", CONTENT_KEY)
    assert redis_client.exists(key)
    assert 0 < redis_client.ttl(key) <= 300


def test_parameters_are_part_of_the_key_in_sorted_order(
    api: TestClient, redis_client: redis.Redis, cache_prefix: str
) -> None:
    api.get(f"/recommend/content/{PRODUCT}?top_k=5&price_max=100&category=Garden&exclude=P2,P1")
    params = {"category": "Garden", "exclude": ["P1", "P2"], "price_max": 100.0}
    assert redis_client.exists(
        _shared(cache_prefix, "content", {**CONTENT_KEY, **params, "top_k": 5})
    )
    # Other parameters are another entry; the same ones in another order are the same entry.
    assert api.get(f"/recommend/content/{PRODUCT}?top_k=6").json()["source"] == "model"
    again = f"/recommend/content/{PRODUCT}?exclude=P1,P2&category=Garden&price_max=100&top_k=5"
    assert api.get(again).json()["source"] == "cache"
    # The same ids to leave out, in another order and repeated, are the same entry.
    again = f"/recommend/content/{PRODUCT}?exclude=P2,P1,P2&category=Garden&price_max=100.0&top_k=5"
    assert api.get(again).json()["source"] == "cache"


def test_user_answer_miss_then_hit_in_the_users_own_hash(
    api: TestClient, api_settings: Settings, redis_client: redis.Redis, cache_prefix: str
) -> None:
    assert api.get(f"/recommend/user/{USER}").json()["source"] == "model"
    assert api.get(f"/recommend/user/{USER}").json()["source"] == "cache"
    fields = redis_client.hkeys(RedisLayout.user_key(f"{cache_prefix}user", USER))
    # The seen policy applied (here the configured default) is part of the key.
    seen = api_settings.serving.exclude_seen
    assert fields == [
        cache_key("user", {"exclude_seen": seen, "top_k": 10, "user_id": USER}).encode()
    ]
    assert 0 < redis_client.ttl(RedisLayout.user_key(f"{cache_prefix}user", USER)) <= 300


@pytest.mark.parametrize("path", [f"/recommend/user/{USER}", f"/recommend/hybrid?user_id={USER}"])
def test_each_seen_policy_is_its_own_entry(
    api: TestClient, redis_client: redis.Redis, cache_prefix: str, path: str
) -> None:
    joiner = "&" if "?" in path else "?"
    for policy in ("bought", "carted", "all"):
        assert api.get(f"{path}{joiner}exclude_seen={policy}").json()["source"] == "model"
    for policy in ("bought", "carted", "all"):
        assert api.get(f"{path}{joiner}exclude_seen={policy}").json()["source"] == "cache"
    # Three entries, one per policy (the keys are digests: their count is what shows it).
    assert len(redis_client.hkeys(RedisLayout.user_key(f"{cache_prefix}user", USER))) == 3


@pytest.mark.parametrize(
    "url",
    [
        "/recommend/user/{user}",
        "/recommend/hybrid?user_id={user}&product_id=" + PRODUCT,
        "/recommend/ab?user_id={user}&product_id=" + PRODUCT,
    ],
)
def test_a_personal_answer_is_never_served_to_another_user(api: TestClient, url: str) -> None:
    mine = api.get(url.format(user=USER)).json()
    assert api.get(url.format(user=USER)).json()["source"] == "cache"
    theirs = api.get(url.format(user=OTHER_USER)).json()
    assert theirs["source"] == "model"
    if "/ab" not in url:
        # (Two users in the A/B content arm may rightly get the same content list.)
        assert ids(theirs) != ids(mine)


def test_a_rebuild_retires_every_entry(
    api: TestClient, redis_client: redis.Redis, cache_prefix: str
) -> None:
    """Entries live under the version prefix, not the bare key."""
    api.get(f"/recommend/content/{PRODUCT}")
    assert cache_prefix.endswith(":cache:") and ":v" in cache_prefix
    assert not redis_client.exists(f"answer:{cache_key('content', CONTENT_KEY)}")


def test_ttl_zero_turns_the_cache_off(api_settings: Settings) -> None:
    settings = api_settings.replace(serving={"cache_ttl_s": 0})
    with TestClient(app=create_app(settings)) as client:
        for _ in range(2):
            assert client.get(f"/recommend/content/{PRODUCT}?top_k=3").json()["source"] == "model"


def test_corrupt_shared_entry_is_logged_and_answered_by_the_model(
    api: TestClient, redis_client: redis.Redis, cache_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    key = _shared(cache_prefix, "content", CONTENT_KEY)
    redis_client.set(key, b"{not json")
    with caplog.at_level(logging.WARNING, logger="service.store.answer_cache"):
        response = api.get(f"/recommend/content/{PRODUCT}")
    assert response.status_code == 200
    assert response.json()["source"] == "model"
    assert "cache read failed" in caplog.text
    # The model's answer replaced the broken entry.
    assert api.get(f"/recommend/content/{PRODUCT}").json()["source"] == "cache"


def test_cache_read_and_write_errors_are_logged_and_bypassed(
    api: TestClient, redis_client: redis.Redis, cache_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A user's cache key of the wrong type makes Redis itself refuse HGET and HSET
    (WRONGTYPE): a real cache fault, without a mock."""
    redis_client.set(RedisLayout.user_key(f"{cache_prefix}user", USER), b"not a hash")
    with caplog.at_level(logging.WARNING, logger="service.store.answer_cache"):
        for _ in range(2):
            response = api.get(f"/recommend/user/{USER}")
            assert response.status_code == 200
            body = response.json()
            assert body["source"] == "model"
            assert len(body["results"]) == 10
    assert "cache read failed" in caplog.text
    assert "cache write failed" in caplog.text


def test_an_exclude_value_cannot_poison_another_requests_entry(
    api: TestClient, catalog: dict[str, Product]
) -> None:
    """Issue 15: `exclude=P004389%7Cprice_max:10.0` once made the entry that
    `exclude=P004389&price_max=10` was then served, with the excluded product and items above 10."""
    crafted = api.get(f"/recommend/content/{PRODUCT}?exclude=P004389%7Cprice_max:10.0")
    assert crafted.status_code == 200
    real = api.get(f"/recommend/content/{PRODUCT}?exclude=P004389&price_max=10").json()
    assert real["source"] == "model"
    assert real["results"]
    assert "P004389" not in ids(real)
    assert all(catalog[pid].price <= 10 for pid in ids(real))


def test_a_category_value_cannot_poison_another_requests_entry(api: TestClient) -> None:
    """Issue 15: `category=Garden%7Cprice_min:100.0` (no such category: []) once made the real
    request answer [] for the cache's lifetime."""
    crafted = api.get(f"/recommend/content/{PRODUCT}?category=Garden%7Cprice_min:100.0").json()
    assert crafted["results"] == []
    real = api.get(f"/recommend/content/{PRODUCT}?category=Garden&price_min=100").json()
    assert real["source"] == "model"
    assert real["results"]


def test_personal_entries_cannot_be_poisoned_either(api: TestClient) -> None:
    crafted = api.get(f"/recommend/user/{USER}?category=Garden%7Cprice_min:100.0").json()
    assert crafted["results"] == []
    real = api.get(f"/recommend/user/{USER}?category=Garden&price_min=100").json()
    assert real["source"] == "model"
    assert real["results"]


def test_an_answer_above_the_size_cap_is_served_but_not_cached(
    api_settings: Settings, redis_client: redis.Redis, cache_prefix: str
) -> None:
    settings = api_settings.replace(resources={"cache_max_answer_bytes": 400})
    with TestClient(app=create_app(settings)) as client:
        small = f"/recommend/content/{PRODUCT}?top_k=1"
        large = f"/recommend/content/{PRODUCT}?top_k=20"
        for _ in range(2):
            assert len(client.get(large).json()["results"]) == 20
        assert client.get(large).json()["source"] == "model"
        client.get(small)
        assert client.get(small).json()["source"] == "cache"
    assert not redis_client.exists(_shared(cache_prefix, "content", {**CONTENT_KEY, "top_k": 20}))
