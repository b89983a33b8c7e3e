"""GET /catalog, /catalog/categories, /catalog/users and /catalog/meta on the demo index:
the listing the storefront and insight page read. Hostile text finds nothing instead of
widening the query or failing, and every bound answers 422."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from service.api.app import create_app
from tests.conftest import make_settings
from tests.integration.api.conftest import PRODUCT, Product

HOSTILE = [
    "*",
    "@title:x",
    "}",
    "-x",
    '"',
    "\\",
    "Kitchen|Garden",
    "(",
    "%%",
    "$vector",
    "日本語",
    "' OR 1=1 --",
    "a" * 256,
    "~@[]{}()<>|",
]


def test_the_listing_pages_through_the_whole_catalog(api: TestClient) -> None:
    first = api.get("/catalog", params={"limit": 100}).json()
    assert first["total"] == 5000 and len(first["results"]) == 100
    second = api.get("/catalog", params={"limit": 100, "offset": 100}).json()
    assert not {p["product_id"] for p in first["results"]} & {
        p["product_id"] for p in second["results"]
    }
    item = first["results"][0]
    assert set(item) == {"product_id", "title", "categories", "price", "img_url"}


def test_search_by_title_words_and_prefix(api: TestClient) -> None:
    body = api.get("/catalog", params={"query": "terracotta plan"}).json()
    assert body["total"] > 0
    for item in body["results"]:
        assert "terracotta" in item["title"].lower() and "plan" in item["title"].lower()


def test_category_and_ids_filters(api: TestClient, catalog: dict[str, Product]) -> None:
    body = api.get("/catalog", params={"category": "Garden", "limit": 100}).json()
    assert body["total"] == sum(p.category == "Garden" for p in catalog.values())
    assert {c for item in body["results"] for c in item["categories"]} == {"Garden"}
    spaced = api.get("/catalog", params={"category": "Sports & Outdoors"}).json()
    assert spaced["total"] == sum(p.category == "Sports & Outdoors" for p in catalog.values())
    one = api.get("/catalog", params={"ids": f"{PRODUCT},P000002"}).json()
    assert sorted(p["product_id"] for p in one["results"]) == [PRODUCT, "P000002"]
    assert one["results"][0]["price"] == catalog[one["results"][0]["product_id"]].price


@pytest.mark.parametrize("text", HOSTILE)
def test_hostile_text_finds_nothing_or_little_and_never_fails(api: TestClient, text: str) -> None:
    for name in ("query", "category", "ids"):
        response = api.get("/catalog", params={name: text})
        assert response.status_code == 200, (name, response.text)
    # A query-syntax character never widens a category filter to the whole catalog.
    assert api.get("/catalog", params={"category": text}).json()["total"] == 0


@pytest.mark.parametrize(
    "params",
    [
        {"limit": 0},
        {"limit": 101},
        {"offset": -1},
        {"offset": 9901},
        {"query": "a" * 257},
        {"query": "x\x00y"},
        {"category": "\x00"},
        {"ids": "P1," * 2000},
        {"limit": "many"},
    ],
)
def test_bounds_answer_422(api: TestClient, params: dict[str, object]) -> None:
    response = api.get("/catalog", params=params)
    assert response.status_code == 422, response.text
    assert response.json()["status_code"] == 422


def test_categories_users_and_meta(api: TestClient, catalog: dict[str, Product]) -> None:
    categories = api.get("/catalog/categories").json()["categories"]
    counted = {c["name"]: c["products"] for c in categories}
    expected: dict[str, int] = {}
    for product in catalog.values():
        expected[product.category] = expected.get(product.category, 0) + 1
    assert counted == expected
    users = api.get("/catalog/users", params={"limit": 5}).json()["users"]
    assert len(users) == 5 and users == sorted(users)
    assert api.get("/catalog/users", params={"limit": 101}).status_code == 422
    meta = api.get("/catalog/meta").json()
    assert meta["products"] == 5000 and meta["events"] and meta["params"]["hnsw_m"]


def test_without_a_live_index_every_listing_answers_503(redis_url: str) -> None:
    with TestClient(app=create_app(make_settings(redis_url))) as client:
        for path in ("/catalog", "/catalog/categories", "/catalog/users", "/catalog/meta"):
            response = client.get(path)
            assert response.status_code == 503
            assert "shoprec index" in response.json()["detail"]


def test_the_pages_and_their_files_are_served(api: TestClient) -> None:
    for path in ("/", "/insight"):
        response = api.get(path)
        assert response.status_code == 200 and "text/html" in response.headers["content-type"]
    for name in ("shop.js", "insight.js", "api.js", "shop.css"):
        assert api.get(f"/static/{name}").status_code == 200
    assert api.get("/static/nope.js").status_code == 404
