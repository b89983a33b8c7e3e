"""Every endpoint's answer shape and status code, as the frontend contract in
docs/architecture.md has it."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from tests.integration.api.conftest import PRODUCT, USER, ids

RECOMMEND_URLS = [
    f"/recommend/content/{PRODUCT}",
    f"/recommend/user/{USER}",
    f"/recommend/user/nobody-{PRODUCT}",  # unknown user: popular products, not an error
    f"/recommend/hybrid?user_id={USER}",
    f"/recommend/hybrid?product_id={PRODUCT}",
    f"/recommend/hybrid?user_id={USER}&product_id={PRODUCT}&w_content=0.7&w_cf=0.3",
]


def _check_results(results: list[dict], top_k: int) -> None:
    assert len(results) == top_k
    for item in results:
        assert set(item) == {
            "product_id",
            "title",
            "score",
            "price",
            "category",
            "img_url",
            "reason",
            "explanation",
            "based_on",
        }
        assert isinstance(item["product_id"], str) and item["product_id"]
        assert isinstance(item["reason"], str) and item["explanation"]
        assert isinstance(item["title"], str) and item["title"]
        assert isinstance(item["score"], float)
        # Every demo product has a price, a category and an image (test_cards: equal to its hash).
        assert isinstance(item["price"], float)
        assert isinstance(item["category"], list) and item["category"]
        assert isinstance(item["img_url"], str)
    scores = [item["score"] for item in results]
    assert scores == sorted(scores, reverse=True), "best first"
    assert len({item["product_id"] for item in results}) == len(results), "no duplicates"


def test_health_reports_redis_version_and_product_count(api: TestClient) -> None:
    response = api.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["redis"] == "ok"
    assert body["products"] == 5000
    assert isinstance(body["index_version"], int) and body["index_version"] >= 1


@pytest.mark.parametrize("url", RECOMMEND_URLS)
def test_recommend_answers_source_and_results(api: TestClient, url: str) -> None:
    response = api.get(url)
    assert response.status_code == 200
    body = response.json()
    assert set(body) == {"source", "results"}
    assert body["source"] == "model"
    _check_results(body["results"], 10)


@pytest.mark.parametrize("url", RECOMMEND_URLS)
def test_top_k_100_has_no_duplicates(api: TestClient, url: str) -> None:
    sep = "&" if "?" in url else "?"
    response = api.get(f"{url}{sep}top_k=100")
    assert response.status_code == 200
    _check_results(response.json()["results"], 100)


def test_content_leaves_the_product_itself_out(api: TestClient) -> None:
    assert PRODUCT not in ids(api.get(f"/recommend/content/{PRODUCT}?top_k=50").json())


def test_user_answer_leaves_out_what_the_user_bought(
    api: TestClient, purchases: dict[str, set[str]]
) -> None:
    assert purchases[USER], "the demo user has purchases"
    answer = ids(api.get(f"/recommend/user/{USER}?top_k=100").json())
    assert not set(answer) & purchases[USER]


def test_hybrid_with_cf_weight_zero_ranks_like_content(api: TestClient) -> None:
    content = ids(api.get(f"/recommend/content/{PRODUCT}").json())
    hybrid = ids(api.get(f"/recommend/hybrid?product_id={PRODUCT}&w_content=1&w_cf=0").json())
    assert hybrid == content


def test_hybrid_weights_change_the_blend(api: TestClient) -> None:
    base = f"/recommend/hybrid?user_id={USER}&product_id={PRODUCT}&top_k=20"
    content_heavy = ids(api.get(f"{base}&w_content=1&w_cf=0.01").json())
    cf_heavy = ids(api.get(f"{base}&w_content=0.01&w_cf=1").json())
    assert content_heavy != cf_heavy


def test_ab_answers_variant_and_results(api: TestClient) -> None:
    response = api.get(f"/recommend/ab?user_id={USER}&product_id={PRODUCT}&top_k=5")
    assert response.status_code == 200
    body = response.json()
    assert body["variant"] in {"content", "hybrid"}
    _check_results(body["results"], 5)


def test_feedback_answers_received(api: TestClient, fresh_user: str) -> None:
    response = api.post(
        "/feedback",
        json={
            "user_id": fresh_user,
            "product_id": PRODUCT,
            "action": "view",
            "ts": "2026-11-26T12:00:00Z",
        },
    )
    assert response.status_code == 200
    assert response.json() == {"status": "received", "durable": True}


def test_ab_report_shape(api: TestClient) -> None:
    response = api.get("/ab/report")
    assert response.status_code == 200
    body = response.json()
    assert body["split"] == {"content": 0.5, "hybrid": 0.5}
    assert [v["variant"] for v in body["variants"]] == ["content", "hybrid"]
    for variant in body["variants"]:
        assert {"impressions", "clicks", "add_to_cart", "purchases", "ctr", "ctr_ci95"} <= set(
            variant
        )
    assert "p_value" in body


def test_openapi_schema_has_every_endpoint_with_examples(api: TestClient) -> None:
    schema = api.get("/schema/openapi.json").json()
    assert {
        "/health",
        "/recommend/content/{product_id}",
        "/recommend/user/{user_id}",
        "/recommend/hybrid",
        "/recommend/ab",
        "/feedback",
        "/ab/report",
    } <= set(schema["paths"])
    content = schema["paths"]["/recommend/content/{product_id}"]["get"]
    params = {p["name"]: p for p in content["parameters"]}
    assert params["product_id"]["examples"]
    assert "404" in content["responses"]
    item = schema["components"]["schemas"]["RecommendedItem"]
    assert item["properties"]["product_id"]["examples"]
    # The card fields are always there (null when absent), so a client can rely on them.
    assert {"price", "category", "img_url", "reason", "explanation"} <= set(item["required"])
    assert "/products/{product_id}" in schema["paths"]
    feedback = schema["components"]["schemas"]["FeedbackRequest"]["properties"]
    # Any spelling of the CSV's vocabulary is taken, so the schema names the words instead of
    # an enum (an unknown one is a 422 that lists them).
    for name in ("view", "click", "add_to_cart", "purchase", "dismiss"):
        assert name in feedback["action"]["description"]
    assert feedback["action"]["maxLength"] == 32


def test_interactive_docs_are_served(api: TestClient) -> None:
    response = api.get("/schema/swagger")
    assert response.status_code == 200
    assert "text/html" in response.headers["content-type"]
    assert "swagger" in response.text.lower()
