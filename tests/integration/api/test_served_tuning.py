"""The service serves a version with what its build's tuning chose, not the configured values:
the CF query weighting, the history length and the hybrid's default weights (/health shows
them), read with the version."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from litestar.testing import TestClient

from indexing.build.index_builder import build_index
from indexing.contract.query_blend import QUERY_WEIGHTINGS
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from indexing.contract.tuned_params import TuningParams
from service.api.app import create_app
from service.recommend.base import RecommendRequest
from tests.conftest import make_settings
from tests.support.recommenders import recommend

USERS = 30


@pytest.fixture(scope="module")
def tuned_build(
    redis_url: str, small_csvs: tuple[Path, Path]
) -> tuple[Settings, TuningParams, list[str]]:
    """A small catalog built with tuning; returns the build's settings, what it chose and some
    users with history."""
    settings = make_settings(
        redis_url,
        cf={"tune": True, "tune_min_users": 5, "tune_budget_s": 20.0, "rerank": "off"},
    )
    client = redis.Redis.from_url(redis_url)
    summary = build_index(client, settings, *small_csvs, quiet=True)
    layout = RedisLayout(settings.redis.key_prefix)
    scope = layout.history_scope(summary.version)
    found = client.scan_iter(layout.user_key(scope, "*"), count=1000)
    users = sorted(layout.user_of(k.decode(), scope) or "" for k in found)
    client.close()
    chosen = TuningParams.from_meta(summary.meta.params)
    assert chosen is not None, summary.meta.params["tuning"]
    return settings, chosen, users[:USERS]


@pytest.fixture(scope="module")
def configured(tuned_build: tuple[Settings, TuningParams, list[str]]) -> Settings:
    """The service's own settings: another query weighting and other blend weights than the
    build chose (as if the operator's environment said otherwise)."""
    settings, chosen, _ = tuned_build
    other = next(w for w in QUERY_WEIGHTINGS if w != chosen.query_weighting)
    w_cf = 0.2 if chosen.w_cf > 0.5 else 0.9
    return settings.replace(
        cf={"query_weighting": other, "history_max_items": chosen.history_max_items + 7},
        serving={"w_cf": w_cf, "w_content": round(1 - w_cf, 6), "cache_ttl_s": 0},
    )


@pytest.fixture
def api(configured: Settings) -> Iterator[TestClient]:
    with TestClient(app=create_app(configured)) as client:
        yield client


def _served(api: TestClient, path: str) -> list[str]:
    response = api.get(path)
    assert response.status_code == 200, response.text
    return [item["product_id"] for item in response.json()["results"]]


def _ids(answers: list[list]) -> list[list[str]]:
    return [[s.product_id for s in answer] for answer in answers]


def test_health_shows_the_tuned_values(
    api: TestClient, tuned_build: tuple[Settings, TuningParams, list[str]]
) -> None:
    _, chosen, _ = tuned_build
    served = api.get("/health").json()["served"]
    assert served == {
        "tuned": True,
        "query_weighting": chosen.query_weighting,
        "history_max_items": chosen.history_max_items,
        "w_cf": chosen.w_cf,
        "w_content": round(1 - chosen.w_cf, 6),
        "reranker": False,
    }


def test_user_answers_use_the_tuned_query_weighting(
    api: TestClient,
    configured: Settings,
    tuned_build: tuple[Settings, TuningParams, list[str]],
) -> None:
    _, chosen, users = tuned_build
    requests = [RecommendRequest(top_k=10, user_id=u) for u in users]
    as_tuned = _ids(recommend(chosen.applied_to(configured), "cf", *requests))
    as_configured = _ids(recommend(configured, "cf", *requests))
    assert as_tuned != as_configured  # the two weightings answer differently here
    assert [_served(api, f"/recommend/user/{u}?top_k=10") for u in users] == as_tuned


def test_hybrid_defaults_to_the_tuned_weights(
    api: TestClient,
    configured: Settings,
    tuned_build: tuple[Settings, TuningParams, list[str]],
) -> None:
    _, chosen, users = tuned_build
    tuned = chosen.applied_to(configured)
    weights = {"w_content": tuned.serving.w_content, "w_cf": tuned.serving.w_cf}
    own = configured.serving
    with_tuned = _ids(recommend(tuned, "hybrid", *(_hybrid(u, **weights) for u in users)))
    with_configured = _ids(
        recommend(tuned, "hybrid", *(_hybrid(u, own.w_content, own.w_cf) for u in users))
    )
    assert with_tuned != with_configured
    assert [_served(api, f"/recommend/hybrid?user_id={u}&top_k=10") for u in users] == with_tuned
    # A weight given in the request still wins over the default.
    explicit = f"w_content={own.w_content}&w_cf={own.w_cf}"
    served = [_served(api, f"/recommend/hybrid?user_id={u}&top_k=10&{explicit}") for u in users]
    assert served == with_configured


def test_both_weights_zero_is_refused(api: TestClient) -> None:
    response = api.get("/recommend/hybrid?product_id=P000001&w_content=0&w_cf=0")
    assert response.status_code == 422
    assert "must not both be 0" in response.json()["detail"]


def _hybrid(user: str, w_content: float, w_cf: float) -> RecommendRequest:
    return RecommendRequest(top_k=10, user_id=user, w_content=w_content, w_cf=w_cf)
