"""Abuse limits (issue 15's attacks, repeated): feedback rate limits answer 429 with
Retry-After, and a 1,000-event flood of one user on one product moves that product's history
score and its built popularity by no more than the caps."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from litestar.testing import TestClient

from indexing.build.index_builder import build_index
from indexing.contract.catalog_meta import CatalogMeta
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from service.api.app import create_app
from tests.conftest import make_settings

FLOOD = 1000
QUIET = {"feedback_per_user": 0, "feedback_per_product": 0}  # the caps alone, no rate limit
# A product no other test of the shared demo index sends feedback for.
LIMITED_PRODUCT = "P004321"


def _meta(client: redis.Redis, layout: RedisLayout) -> CatalogMeta:
    meta = CatalogMeta.from_redis(client.hgetall(layout.meta))
    assert meta is not None
    return meta


@pytest.fixture
def limited_product(demo_index: Settings, redis_client: redis.Redis) -> Iterator[str]:
    layout = RedisLayout(demo_index.redis.key_prefix)
    redis_client.delete(layout.feedback_rate_product(LIMITED_PRODUCT))
    yield LIMITED_PRODUCT
    redis_client.delete(layout.feedback_rate_product(LIMITED_PRODUCT))


def _limited(api_settings: Settings, **abuse: float) -> TestClient:
    return TestClient(app=create_app(api_settings.replace(abuse=abuse)))


def _retry_after(response) -> int:
    assert response.status_code == 429, response.text
    seconds = int(response.headers["retry-after"])
    assert 1 <= seconds <= 60
    return seconds


def test_one_user_past_the_limit_gets_429_with_retry_after(
    api: TestClient,
    api_settings: Settings,
    fresh_user: str,
    limited_product: str,
    redis_client: redis.Redis,
) -> None:
    stream = RedisLayout(api_settings.redis.key_prefix).feedback_stream
    body = {"user_id": fresh_user, "product_id": limited_product, "action": "purchase"}
    with _limited(api_settings, feedback_per_user=5, feedback_window_s=60) as client:
        assert [client.post("/feedback", json=body).status_code for _ in range(5)] == [200] * 5
        logged = redis_client.xlen(stream)
        refused = client.post("/feedback", json=body)
        _retry_after(refused)
        assert "at most 5 in 60 s" in refused.json()["detail"]
        assert "user" in refused.json()["detail"]
        # A refused event is neither logged nor counted against the next one.
        assert redis_client.xlen(stream) == logged
        _retry_after(client.post("/feedback", json=body))
        other = {**body, "user_id": f"{fresh_user}-other"}
        assert client.post("/feedback", json=other).status_code == 200


def test_one_product_past_the_limit_gets_429(
    api: TestClient, api_settings: Settings, fresh_user: str, limited_product: str
) -> None:
    """The Sybil attack (500 fake users lifting one product) meets the per-product window."""
    with _limited(api_settings, feedback_per_user=0, feedback_per_product=3) as client:
        answers = [
            client.post(
                "/feedback",
                json={
                    "user_id": f"{fresh_user}-{i}",
                    "product_id": limited_product,
                    "action": "view",
                },
            )
            for i in range(4)
        ]
    assert [a.status_code for a in answers[:3]] == [200, 200, 200]
    _retry_after(answers[3])
    assert "product" in answers[3].json()["detail"]


def test_a_flood_moves_the_live_history_score_by_no_more_than_the_cap(
    api: TestClient, api_settings: Settings, fresh_user: str, redis_client: redis.Redis
) -> None:
    """1,000 purchases by one user of one product: a score of 8,000 before the cap (38,326
    measured against ~2 for real users), at most 64 event weights now."""
    layout = RedisLayout(api_settings.redis.key_prefix)
    meta = _meta(redis_client, layout)
    # At the version's reference time, so the cap is exactly 64 (no decay to account for).
    body = {"user_id": fresh_user, "product_id": "P000002", "action": "purchase"}
    body["ts"] = meta.history_epoch  # type: ignore[assignment]
    settings = api_settings.replace(abuse=QUIET, reliability={"feedback_durable": False})
    with TestClient(app=create_app(settings)) as client:
        codes = {client.post("/feedback", json=body).status_code for _ in range(FLOOD)}
    assert codes == {200}
    score = redis_client.zscore(layout.history(meta.version, fresh_user), "P000002")
    cap = api_settings.abuse.max_user_product_interest
    assert score == pytest.approx(cap)
    assert score <= cap


def test_a_late_event_never_lowers_a_capped_score(
    api: TestClient, api_settings: Settings, fresh_user: str, redis_client: redis.Redis
) -> None:
    """The bound is at the event's time: an older event arriving late (a replay, a queued
    sender) may add nothing to a capped score, but must not cut it to its own, lower bound."""
    layout = RedisLayout(api_settings.redis.key_prefix)
    meta = _meta(redis_client, layout)
    body = {"user_id": fresh_user, "product_id": "P000003", "action": "purchase"}
    settings = api_settings.replace(abuse=QUIET, reliability={"feedback_durable": False})
    month = 30 * 86_400
    with TestClient(app=create_app(settings)) as client:
        for ts in [meta.history_epoch] * 10 + [meta.history_epoch - month] * 10:
            assert client.post("/feedback", json={**body, "ts": ts}).status_code == 200
    score = redis_client.zscore(layout.history(meta.version, fresh_user), "P000003")
    assert score == pytest.approx(api_settings.abuse.max_user_product_interest)


def _popularity(client: redis.Redis, settings: Settings) -> tuple[dict[str, float], CatalogMeta]:
    layout = RedisLayout(settings.redis.key_prefix)
    meta = _meta(client, layout)
    ranked = client.zrevrange(layout.popular(meta.version), 0, -1, withscores=True)
    return {p.decode(): s for p, s in ranked}, meta


def _small_settings(redis_url: str, abuse: dict[str, float]) -> Settings:
    """A small catalog of its own, flooded without waiting for fsyncs."""
    return make_settings(
        redis_url,
        catalog={"content_dims": 32},
        cf={"dims": 32},
        abuse=abuse,
        reliability={"feedback_durable": False},
    )


def _flood_and_rebuild(
    settings: Settings, small_csvs: tuple[Path, Path], client: redis.Redis, user: str
) -> tuple[dict[str, float], dict[str, float], str, CatalogMeta]:
    build_index(client, settings, *small_csvs, quiet=True)
    before, meta = _popularity(client, settings)
    target = min(before, key=before.__getitem__)  # the least popular product
    body = {"user_id": user, "product_id": target, "action": "purchase", "ts": meta.history_epoch}
    with TestClient(app=create_app(settings)) as api:
        assert {api.post("/feedback", json=body).status_code for _ in range(FLOOD)} == {200}
    build_index(client, settings, *small_csvs, quiet=True)  # folds the stream in
    after, rebuilt = _popularity(client, settings)
    return before, after, target, rebuilt


def test_a_flood_moves_built_popularity_by_no_more_than_the_cap(
    redis_url: str, small_csvs: tuple[Path, Path], redis_client: redis.Redis
) -> None:
    """Once: 1,000 purchases made a product with no interactions #1 popular at 7,999.9."""
    settings = _small_settings(redis_url, QUIET)
    before, after, target, meta = _flood_and_rebuild(settings, small_csvs, redis_client, "flood")
    cap = settings.abuse.max_user_product_popularity
    assert after[target] - before[target] == pytest.approx(cap)
    assert max(before.values()) > after[target]  # not #1
    history = RedisLayout(settings.redis.key_prefix).history(meta.version, "flood")
    assert redis_client.zscore(history, target) == pytest.approx(
        settings.abuse.max_user_product_interest
    )


def test_without_the_caps_the_same_flood_takes_popularity(
    redis_url: str, small_csvs: tuple[Path, Path], redis_client: redis.Redis
) -> None:
    """The control: the attack the caps stop does work with them off."""
    uncapped = {**QUIET, "max_user_product_interest": 0, "max_user_product_popularity": 0}
    settings = _small_settings(redis_url, uncapped)
    before, after, target, _ = _flood_and_rebuild(settings, small_csvs, redis_client, "flood")
    assert after[target] - before[target] == pytest.approx(8.0 * FLOOD)
    assert max(after, key=after.__getitem__) == target
