"""Card-ready answers: every recommendation result carries the price, categories and image of
its product as the product's hash holds them (fresh and cached answers alike), and
GET /products/{id} gives one product in the shape /catalog lists it."""

from __future__ import annotations

import uuid

import pytest
import redis
from litestar.testing import TestClient

from indexing.contract.index_schema import CATEGORY_SEPARATOR
from indexing.contract.redis_layout import RedisLayout
from indexing.contract.settings import Settings
from tests.integration.api.conftest import PRODUCT, USER

CARD = ("title", "price", "category", "img_url")
REASON = ("reason", "explanation", "based_on")  # see test_reasons.py


def stored_card(client: redis.Redis, settings: Settings, version: int, pid: str) -> dict:
    """What a result must carry of `pid`, read straight from its product hash."""
    raw = client.hgetall(RedisLayout(settings.redis.key_prefix).product(version, pid))
    fields = {k.decode(): v for k, v in raw.items()}
    category = fields.get("category", b"").decode()
    return {
        "title": fields["title"].decode(),
        "price": float(fields["price"]) if "price" in fields else None,
        "category": [c for c in category.split(CATEGORY_SEPARATOR) if c],
        "img_url": fields["img_url"].decode() if fields.get("img_url") else None,
    }


def assert_cards_match(
    results: list[dict], client: redis.Redis, settings: Settings, version: int
) -> None:
    assert results
    for item in results:
        assert set(item) == {"product_id", "score", *CARD, *REASON}
        shown = {name: item[name] for name in CARD}
        assert shown == stored_card(client, settings, version, item["product_id"])


URLS = [
    f"/recommend/content/{PRODUCT}",
    f"/recommend/content/{PRODUCT}?user_id={USER}",
    f"/recommend/user/{USER}",
    f"/recommend/hybrid?user_id={USER}",
    f"/recommend/hybrid?user_id={USER}&product_id={PRODUCT}",
    f"/recommend/hybrid?product_id={PRODUCT}&w_content=0&w_cf=1",
    f"/recommend/ab?user_id={USER}",
    f"/recommend/ab?user_id={USER}&product_id={PRODUCT}",
    # A user without history: the popular fallback of the user and hybrid endpoints.
    "/recommend/user/{new}",
    "/recommend/hybrid?user_id={new}",
]


@pytest.mark.parametrize("url", URLS)
def test_fresh_and_cached_results_carry_the_product_hash_fields(
    api: TestClient,
    api_settings: Settings,
    redis_client: redis.Redis,
    live_version: int,
    url: str,
) -> None:
    url = url.format(new=f"cards-new-{uuid.uuid4().hex[:8]}")
    fresh = api.get(url)
    cached = api.get(url)
    assert fresh.status_code == cached.status_code == 200, fresh.text
    assert fresh.json()["source"] == "model"
    assert cached.json()["source"] == "cache"
    assert cached.json()["results"] == fresh.json()["results"]
    assert_cards_match(fresh.json()["results"], redis_client, api_settings, live_version)


def test_a_cached_answer_without_card_fields_is_recomputed(
    api: TestClient, redis_client: redis.Redis, cache_prefix: str
) -> None:
    # An entry as the cache held it before answers carried cards: not served as it is.
    key = f"{cache_prefix}content|product_id:{PRODUCT}|top_k:3"
    redis_client.set(key, b'[{"product_id":"P000002","title":"x","score":1.0}]', ex=60)
    body = api.get(f"/recommend/content/{PRODUCT}?top_k=3").json()
    assert body["source"] == "model"
    assert all("price" in item for item in body["results"])


def test_product_details_are_the_hash_and_the_catalog_listing(
    api: TestClient, api_settings: Settings, redis_client: redis.Redis, live_version: int
) -> None:
    answer = api.get(f"/products/{PRODUCT}")
    assert answer.status_code == 200
    body = answer.json()
    stored = stored_card(redis_client, api_settings, live_version, PRODUCT)
    assert body["product_id"] == PRODUCT
    assert body["title"] == stored["title"]
    assert body["price"] == stored["price"]
    assert body["categories"] == stored["category"]
    assert body["img_url"] == stored["img_url"]
    listed = api.get(f"/catalog?ids={PRODUCT}&limit=1").json()["results"]
    assert listed == [body]


@pytest.mark.parametrize("product_id", ["P999999", "p000001", "P000001 "])
def test_an_unknown_product_is_a_404_that_names_it(api: TestClient, product_id: str) -> None:
    answer = api.get(f"/products/{product_id}")
    assert answer.status_code == 404
    assert answer.json()["detail"] == f"unknown product_id {product_id!r}"
