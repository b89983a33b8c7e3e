"""The answer cache through the app: miss then hit, keys as docs/architecture.md gives them
under the live version, personal answers per user, and a broken cache bypassed."""

from __future__ import annotations

import logging

import pytest
import redis
from litestar.testing import TestClient

from indexing.contract.settings import Settings
from tests.integration.api.conftest import OTHER_USER, PRODUCT, USER, ids


def test_content_miss_then_hit_under_the_design_key(
    api: TestClient, redis_client: redis.Redis, cache_prefix: str
) -> None:
    first = api.get(f"/recommend/content/{PRODUCT}").json()
    second = api.get(f"/recommend/content/{PRODUCT}").json()
    assert first["source"] == "model"
    assert second["source"] == "cache"
    assert second["results"] == first["results"]
    key = f"{cache_prefix}content|product_id:{PRODUCT}|top_k:10"
    assert redis_client.exists(key)
    assert 0 < redis_client.ttl(key) <= 300


def test_parameters_are_part_of_the_key_in_sorted_order(
    api: TestClient, redis_client: redis.Redis, cache_prefix: str
) -> None:
    api.get(f"/recommend/content/{PRODUCT}?top_k=5&price_max=100&category=Garden&exclude=P2,P1")
    key = (
        f"{cache_prefix}content|category:Garden|exclude:P1,P2|price_max:100.0"
        f"|product_id:{PRODUCT}|top_k:5"
    )
    assert redis_client.exists(key)
    # Other parameters are another entry; the same ones in another order are the same entry.
    assert api.get(f"/recommend/content/{PRODUCT}?top_k=6").json()["source"] == "model"
    again = f"/recommend/content/{PRODUCT}?exclude=P1,P2&category=Garden&price_max=100&top_k=5"
    assert api.get(again).json()["source"] == "cache"


def test_user_answer_miss_then_hit_in_the_users_own_hash(
    api: TestClient, api_settings: Settings, redis_client: redis.Redis, cache_prefix: str
) -> None:
    assert api.get(f"/recommend/user/{USER}").json()["source"] == "model"
    assert api.get(f"/recommend/user/{USER}").json()["source"] == "cache"
    fields = redis_client.hkeys(f"{cache_prefix}user:{USER}")
    # The seen policy applied (here the configured default) is part of the key.
    seen = api_settings.serving.exclude_seen
    assert fields == [f"user|exclude_seen:{seen}|top_k:10|user_id:{USER}".encode()]
    assert 0 < redis_client.ttl(f"{cache_prefix}user:{USER}") <= 300


@pytest.mark.parametrize("path", [f"/recommend/user/{USER}", f"/recommend/hybrid?user_id={USER}"])
def test_each_seen_policy_is_its_own_entry(
    api: TestClient, redis_client: redis.Redis, cache_prefix: str, path: str
) -> None:
    joiner = "&" if "?" in path else "?"
    for policy in ("bought", "carted", "all"):
        assert api.get(f"{path}{joiner}exclude_seen={policy}").json()["source"] == "model"
    for policy in ("bought", "carted", "all"):
        assert api.get(f"{path}{joiner}exclude_seen={policy}").json()["source"] == "cache"
    fields = {f.decode() for f in redis_client.hkeys(f"{cache_prefix}user:{USER}")}
    assert {
        policy
        for policy in ("bought", "carted", "all")
        if any(f"exclude_seen:{policy}|" in field for field in fields)
    } == {"bought", "carted", "all"}


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
    assert not redis_client.exists(f"content|product_id:{PRODUCT}|top_k:10")


def test_ttl_zero_turns_the_cache_off(api_settings, cache_prefix: str) -> None:  # type: ignore[no-untyped-def]

    from service.api.app import create_app

    settings = api_settings.replace(serving={"cache_ttl_s": 0})
    with TestClient(app=create_app(settings)) as client:
        for _ in range(2):
            assert client.get(f"/recommend/content/{PRODUCT}?top_k=3").json()["source"] == "model"


def test_corrupt_shared_entry_is_logged_and_answered_by_the_model(
    api: TestClient, redis_client: redis.Redis, cache_prefix: str, caplog: pytest.LogCaptureFixture
) -> None:
    key = f"{cache_prefix}content|product_id:{PRODUCT}|top_k:10"
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
    redis_client.set(f"{cache_prefix}user:{USER}", b"not a hash")
    with caplog.at_level(logging.WARNING, logger="service.store.answer_cache"):
        for _ in range(2):
            response = api.get(f"/recommend/user/{USER}")
            assert response.status_code == 200
            body = response.json()
            assert body["source"] == "model"
            assert len(body["results"]) == 10
    assert "cache read failed" in caplog.text
    assert "cache write failed" in caplog.text
