"""Every result of every recommend endpoint says why it is there (`reason`, `explanation`,
`based_on`), and what it names is true: the query product, or a product of the user's own
history. Over the real app and the demo index."""

from __future__ import annotations

import csv

import pytest
import redis
from litestar.testing import TestClient

from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from service.recommend.reasons import REASONS
from tests.conftest import DATA_DIR
from tests.integration.api.conftest import PRODUCT, USER

# A demo product with interactions (its together list is bought_with).
BUSY_PRODUCT = PRODUCT


@pytest.fixture(scope="session")
def titles() -> dict[str, str]:
    with (DATA_DIR / "products.csv").open(newline="") as f:
        return {r["product_id"]: r["title"] for r in csv.DictReader(f)}


@pytest.fixture
def history(demo_index: Settings, redis_client: redis.Redis, live_version: int) -> set[str]:
    layout = RedisLayout(demo_index.redis.key_prefix)
    return {m.decode() for m in redis_client.zrange(layout.history(live_version, USER), 0, -1)}


def _results(api: TestClient, path: str) -> list[dict]:
    answer = api.get(path)
    assert answer.status_code == 200, answer.text
    results = answer.json()["results"]
    assert results
    for item in results:
        assert item["reason"] in REASONS, item
        assert item["explanation"], item
    return results


def _names(item: dict, titles: dict[str, str]) -> None:
    """The explanation names the product `based_on` says, by its title."""
    assert item["based_on"] is not None, item
    assert titles[item["based_on"]] in item["explanation"], item


def test_content_names_the_query_product(api: TestClient, titles: dict[str, str]) -> None:
    for item in _results(api, f"/recommend/content/{PRODUCT}?top_k=10"):
        assert item["reason"] == "similar_to"
        assert item["based_on"] == PRODUCT
        _names(item, titles)
        assert item["explanation"] == f"Similar to {titles[PRODUCT]}"


def test_together_names_the_query_product(api: TestClient, titles: dict[str, str]) -> None:
    for item in _results(api, f"/recommend/together/{BUSY_PRODUCT}?top_k=10"):
        assert item["reason"] == "bought_with"
        assert item["based_on"] == BUSY_PRODUCT
        _names(item, titles)


def test_user_results_name_a_product_of_the_users_history(
    api: TestClient, titles: dict[str, str], history: set[str]
) -> None:
    results = _results(api, f"/recommend/user/{USER}?top_k=20")
    for item in results:
        if item["reason"] == "history":
            assert item["based_on"] in history, item
            _names(item, titles)
            assert item["explanation"].startswith("Because you viewed ")
    # The CF list (or the re-ranker over it) names history for most results, and more than
    # one product of it over the list (the closest, not always the strongest).
    named = [item["based_on"] for item in results if item["reason"] == "history"]
    assert len(named) >= len(results) // 2
    assert len(set(named)) > 1


def test_hybrid_names_the_side_that_contributed_most(
    api: TestClient, titles: dict[str, str], history: set[str]
) -> None:
    # CF alone: every reason is the history; content alone: every reason is the product.
    for item in _results(api, f"/recommend/hybrid?user_id={USER}&w_content=0&w_cf=1"):
        assert item["reason"] == "history" and item["based_on"] in history
    path = f"/recommend/hybrid?user_id={USER}&product_id={PRODUCT}&w_content=1&w_cf=0"
    for item in _results(api, path):
        assert item["reason"] == "similar_to" and item["based_on"] == PRODUCT
    # Blended: each names its side's source truly.
    path = f"/recommend/hybrid?user_id={USER}&product_id={PRODUCT}&w_content=0.5&w_cf=0.5"
    seen = set()
    for item in _results(api, path + "&top_k=30"):
        seen.add(item["reason"])
        if item["reason"] == "similar_to":
            assert item["based_on"] == PRODUCT
        else:
            assert item["reason"] == "history" and item["based_on"] in history, item
        _names(item, titles)
    # Without a product the content side stands on the user's strongest items.
    for item in _results(api, f"/recommend/hybrid?user_id={USER}&w_content=1&w_cf=0"):
        assert item["reason"] == "similar_to" and item["based_on"] in history, item
        _names(item, titles)


def test_hybrid_without_a_user_names_the_product(api: TestClient) -> None:
    for item in _results(api, f"/recommend/hybrid?product_id={PRODUCT}&top_k=20"):
        assert item["reason"] in ("similar_to", "bought_with")
        assert item["based_on"] == PRODUCT


def test_a_new_user_gets_popular_reasons(api: TestClient, fresh_user: str) -> None:
    for path in (f"/recommend/user/{fresh_user}", f"/recommend/hybrid?user_id={fresh_user}"):
        for item in _results(api, path):
            assert item["reason"] == "popular" and item["based_on"] is None


def test_ab_and_trending_carry_reasons(api: TestClient, history: set[str]) -> None:
    for item in _results(api, f"/recommend/ab?user_id={USER}"):
        if item["reason"] == "history":
            assert item["based_on"] in history
    body = api.get("/recommend/trending?top_k=5").json()
    assert {item["reason"] for item in body["results"]} == {body["basis"]}


def test_diversified_lists_keep_their_reasons(api: TestClient, history: set[str]) -> None:
    path = f"/recommend/user/{USER}?top_k=10&max_per_category=2&diversity=0.5"
    for item in _results(api, path):
        if item["reason"] == "history":
            assert item["based_on"] in history


def test_a_cached_answer_keeps_its_reasons(api: TestClient) -> None:
    for path in (f"/recommend/content/{PRODUCT}?top_k=7", f"/recommend/user/{USER}?top_k=7"):
        first = api.get(path).json()
        second = api.get(path).json()
        assert (first["source"], second["source"]) == ("model", "cache")
        assert second["results"] == first["results"]
        assert all(item["reason"] and item["explanation"] for item in second["results"])


def test_the_openapi_schema_shows_the_reason_fields(api: TestClient) -> None:
    schema = api.get("/schema/openapi.json").json()
    item = schema["components"]["schemas"]["RecommendedItem"]
    assert {"reason", "explanation", "based_on"} <= set(item["properties"])
    assert set(item["properties"]["reason"]["enum"]) == set(REASONS)
