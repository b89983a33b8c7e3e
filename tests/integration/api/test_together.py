"""GET /recommend/together/{product_id}: products bought or carted with a product, over the
real app and the demo index."""

from __future__ import annotations

import csv
import random

import pytest
from litestar.testing import TestClient

from tests.conftest import DATA_DIR
from tests.integration.api.conftest import PRODUCT, Product, ids

# A demo product nobody interacted with (no CF vectors): its answer is content similarity.
NO_INTERACTIONS = "P000052"


@pytest.fixture(scope="session")
def users_of() -> dict[str, set[str]]:
    """product_id -> the users with any event on it in the demo log."""
    users: dict[str, set[str]] = {}
    with (DATA_DIR / "interactions.csv").open(newline="") as f:
        for r in csv.DictReader(f):
            users.setdefault(r["product_id"], set()).add(r["user_id"])
    return users


def test_the_top_products_share_buyers_with_the_product(
    api: TestClient, users_of: dict[str, set[str]]
) -> None:
    busy = sorted(pid for pid, users in users_of.items() if len(users) >= 20)
    sampled = random.Random(18).sample(busy, 8)
    for product_id in sampled:
        body = api.get(f"/recommend/together/{product_id}?top_k=5").json()
        assert body["basis"] == "bought_with"
        top = body["results"][0]["product_id"]
        assert users_of[product_id] & users_of.get(top, set()), (product_id, top)


def test_more_shared_users_than_random_products(
    api: TestClient, users_of: dict[str, set[str]]
) -> None:
    # Over the lists of a few products, the answered products share more users with the
    # product than products drawn at random do.
    rng = random.Random(7)
    busy = sorted(pid for pid, users in users_of.items() if len(users) >= 20)
    shared_answered = shared_random = 0
    for product_id in rng.sample(busy, 6):
        answered = ids(api.get(f"/recommend/together/{product_id}?top_k=10").json())
        mine = users_of[product_id]
        shared_answered += sum(len(mine & users_of.get(p, set())) for p in answered)
        drawn = rng.sample(sorted(users_of), 10)
        shared_random += sum(len(mine & users_of[p]) for p in drawn)
    assert shared_answered > 2 * shared_random


def test_the_product_itself_is_left_out_and_top_k_is_filled(api: TestClient) -> None:
    body = api.get(f"/recommend/together/{PRODUCT}?top_k=30").json()
    assert body["source"] == "model"
    assert body["basis"] == "bought_with"
    assert len(body["results"]) == 30
    assert PRODUCT not in ids(body)
    scores = [item["score"] for item in body["results"]]
    assert scores == sorted(scores, reverse=True)


def test_an_unknown_product_is_404(api: TestClient) -> None:
    answer = api.get("/recommend/together/P999999")
    assert answer.status_code == 404
    assert answer.json()["detail"] == "unknown product_id 'P999999'"


def test_a_product_without_interactions_falls_back_to_content(api: TestClient) -> None:
    body = api.get(f"/recommend/together/{NO_INTERACTIONS}?top_k=5").json()
    assert body["basis"] == "similar_content"
    content = api.get(f"/recommend/content/{NO_INTERACTIONS}?top_k=5").json()
    assert ids(body) == ids(content)
    assert NO_INTERACTIONS not in ids(body)


def test_the_cached_answer_keeps_its_basis(api: TestClient) -> None:
    for product_id, basis in ((PRODUCT, "bought_with"), (NO_INTERACTIONS, "similar_content")):
        first = api.get(f"/recommend/together/{product_id}?top_k=4").json()
        again = api.get(f"/recommend/together/{product_id}?top_k=4").json()
        assert (first["source"], again["source"]) == ("model", "cache")
        assert first["basis"] == again["basis"] == basis
        assert first["results"] == again["results"]


def test_filters_hold(api: TestClient, catalog: dict[str, Product]) -> None:
    query = "top_k=10&category=Garden&price_min=10&price_max=200"
    plain = ids(api.get(f"/recommend/together/{PRODUCT}?top_k=2").json())
    body = api.get(f"/recommend/together/{PRODUCT}?{query}&exclude={','.join(plain)}").json()
    assert body["results"]
    for item in body["results"]:
        product = catalog[item["product_id"]]
        assert "garden" in product.category.lower()
        assert 10 <= product.price <= 200
        assert item["product_id"] not in plain


def test_price_min_above_price_max_is_422(api: TestClient) -> None:
    answer = api.get(f"/recommend/together/{PRODUCT}?price_min=50&price_max=10")
    assert answer.status_code == 422
