"""The re-ranker through Redis and the service: the build records its decision, the model
round-trips through the version's key, and the service's answers follow a model that is on."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import pytest
import redis
import redis.asyncio as aioredis
from litestar.testing import TestClient

from indexing.build.index_builder import build_index
from indexing.contract.catalog_meta import CatalogMeta
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.rerank_features import FEATURES
from indexing.contract.rerank_model import RerankModel
from indexing.contract.settings import Settings
from indexing.rerank.model_store import store_model
from indexing.rerank.trainer import LGB_PARAMS
from service.api.app import create_app
from service.recommend.base import RecommendRequest
from service.store.catalog_reader import CatalogView
from service.store.rerank_reader import VersionReranker, read_reranker
from tests.conftest import make_settings
from tests.support.recommenders import recommend

USERS = 20
PRICE = FEATURES.index("price_ratio")


def _price_model() -> RerankModel:
    """A model that learned one thing: products dearer than the user's usual are wanted."""
    rng = np.random.default_rng(0)
    features = rng.normal(size=(4000, len(FEATURES))).astype(np.float32)
    labels = (features[:, PRICE] > 0.5).astype(np.float32)
    data = lgb.Dataset(features, labels, group=[40] * 100, feature_name=list(FEATURES))
    return RerankModel(lgb.train(LGB_PARAMS, data, num_boost_round=30))


@pytest.fixture(scope="module")
def built(redis_url: str, small_csvs: tuple[Path, Path]) -> tuple[Settings, CatalogMeta]:
    settings = make_settings(
        redis_url, cf={"tune": True, "tune_min_users": 5, "tune_budget_s": 20.0}
    )
    client = redis.Redis.from_url(redis_url)
    summary = build_index(client, settings, *small_csvs, quiet=True)
    client.close()
    return settings, summary.meta


def _view(settings: Settings, meta: CatalogMeta) -> CatalogView:
    return CatalogView(meta, RedisLayout(settings.redis.key_prefix))


def test_the_build_records_its_decision_and_keeps_a_model_only_when_on(
    built: tuple[Settings, CatalogMeta], redis_client: redis.Redis
) -> None:
    settings, meta = built
    record = meta.params["rerank"]
    ndcg = record["validation_ndcg_at_10"]
    assert record["on"] == (ndcg["reranked"] > ndcg["first_stage"])
    assert record["reason"] == ("won" if record["on"] else "did not win")
    assert record["features"] == list(FEATURES)
    key = RedisLayout(settings.redis.key_prefix).reranker(meta.version)
    assert bool(redis_client.exists(key)) == record["on"]


def test_the_model_round_trips_through_redis(
    built: tuple[Settings, CatalogMeta], redis_client: redis.Redis
) -> None:
    settings, meta = built
    layout, version = RedisLayout(settings.redis.key_prefix), meta.version + 1000
    model = _price_model()
    store_model(redis_client, layout, version, model.to_text())
    params = {"rerank": {"on": True, "candidates_per_side": 7}}
    view = CatalogView(
        CatalogMeta(**{**meta.__dict__, "version": version, "params": params}), layout
    )
    redis_client.zadd(layout.popular(version), {"P1": 4.0, "P2": 1.0})

    async def read() -> VersionReranker | None:
        client = aioredis.Redis.from_url(settings.redis.url)
        try:
            return await read_reranker(client, view, 10)
        finally:
            await client.aclose()

    try:
        loaded = asyncio.run(read())
    finally:
        redis_client.delete(layout.reranker(version), layout.popular(version))
    assert loaded is not None
    rows = np.random.default_rng(1).normal(size=(50, len(FEATURES))).astype(np.float32)
    assert np.allclose(loaded.model.scores(rows), model.scores(rows))
    assert loaded.popular == ["P1", "P2"] and loaded.popularity == {"P1": 1.0, "P2": 0.25}
    assert loaded.per_side == 7


@pytest.fixture(scope="module")
def price_reranked(
    built: tuple[Settings, CatalogMeta], redis_url: str
) -> Iterator[tuple[Settings, list[str]]]:
    """The built version, switched to serve the price model (as if its build had chosen it)."""
    settings, meta = built
    layout = RedisLayout(settings.redis.key_prefix)
    client = redis.Redis.from_url(redis_url)
    store_model(client, layout, meta.version, _price_model().to_text())
    params = {**meta.params, "rerank": {"on": True, "candidates_per_side": 30}}
    client.hset(layout.meta, "params", json.dumps(params))
    scope = layout.history_scope(meta.version)
    found = client.scan_iter(layout.user_key(scope, "*"), count=1000)
    users = sorted(layout.user_of(k.decode(), scope) or "" for k in found)
    yield settings.replace(serving={"cache_ttl_s": 0}), users[:USERS]
    client.close()


def _answers(api: TestClient, paths: list[str]) -> list[list[dict]]:
    out = []
    for path in paths:
        response = api.get(path)
        assert response.status_code == 200, response.text
        out.append(response.json()["results"])
    return out


def _mean_price(lists: list[list[str]], prices: dict[str, float]) -> float:
    return float(np.mean([prices[p] for ids in lists for p in ids]))


def test_served_answers_follow_the_model_when_it_is_on(
    price_reranked: tuple[Settings, list[str]], small_csvs: tuple[Path, Path]
) -> None:
    settings, users = price_reranked
    catalog = pd.read_csv(small_csvs[0])
    prices = dict(zip(catalog["product_id"], catalog["price"].astype(float), strict=True))
    first_stage = [
        [s.product_id for s in answer]
        for answer in recommend(settings, "cf", *(RecommendRequest(10, u) for u in users))
    ]
    with TestClient(app=create_app(settings)) as api:
        assert api.get("/health").json()["served"]["reranker"] is True
        served = _answers(api, [f"/recommend/user/{u}" for u in users])
        hybrid = _answers(api, [f"/recommend/hybrid?user_id={u}" for u in users])
        explicit = _answers(
            api, [f"/recommend/hybrid?user_id={u}&w_cf=1&w_content=0" for u in users]
        )
    reranked = [[item["product_id"] for item in answer] for answer in served]
    assert reranked != first_stage
    assert _mean_price(reranked, prices) > _mean_price(first_stage, prices)
    assert [[i["product_id"] for i in a] for a in hybrid] == reranked  # the default blend too
    for answer in served:
        scores = [item["score"] for item in answer]
        assert len(answer) == 10 and scores == sorted(scores, reverse=True)
        assert all(0.0 <= s <= 1.0 for s in scores)
    # Explicit weights ask for the blend itself: the first stage answers.
    assert [[i["product_id"] for i in a] for a in explicit] == first_stage
    # A service with SHOPREC_RERANK=off ignores the version's model.
    with TestClient(app=create_app(settings.replace(cf={"rerank": "off"}))) as api:
        assert api.get("/health").json()["served"]["reranker"] is False
        off = _answers(api, [f"/recommend/user/{u}" for u in users])
    assert [[i["product_id"] for i in a] for a in off] == first_stage
