"""What a shop frontend on another origin and its operators meet: CORS for the listed origins
only, HEAD /health, and a /health that names what is served."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from litestar.testing import TestClient

from indexing.contract.settings import Settings
from service.api.app import create_app

SHOP = "https://shop.example.com"


@pytest.fixture
def cors_api(api_settings: Settings) -> Iterator[TestClient]:
    settings = api_settings.replace(serving={"cors_origins": f"{SHOP}, https://other.example"})
    with TestClient(app=create_app(settings)) as client:
        yield client


def test_an_allowed_origin_can_read_answers(cors_api: TestClient) -> None:
    answer = cors_api.get("/recommend/content/P000001?top_k=3", headers={"Origin": SHOP})
    assert answer.status_code == 200
    assert answer.headers["access-control-allow-origin"] == SHOP


def test_preflight_of_json_feedback(cors_api: TestClient) -> None:
    preflight = cors_api.options(
        "/feedback",
        headers={
            "Origin": SHOP,
            "Access-Control-Request-Method": "POST",
            # A page sends its shopper's token (docs/security.md).
            "Access-Control-Request-Headers": "content-type,x-user-token",
        },
    )
    assert preflight.status_code in (200, 204)
    assert preflight.headers["access-control-allow-origin"] == SHOP
    assert "POST" in preflight.headers["access-control-allow-methods"]
    allowed = preflight.headers["access-control-allow-headers"].lower()
    assert "content-type" in allowed and "x-user-token" in allowed


def test_another_origin_gets_no_cors_headers(cors_api: TestClient) -> None:
    answer = cors_api.get("/recommend/content/P000001", headers={"Origin": "https://evil.example"})
    assert "access-control-allow-origin" not in answer.headers


def test_cors_is_off_by_default(api: TestClient) -> None:
    answer = api.get("/recommend/content/P000001", headers={"Origin": SHOP})
    assert "access-control-allow-origin" not in answer.headers


def test_health_names_what_is_served(api: TestClient, api_settings: Settings) -> None:
    body = api.get("/health").json()
    assert body["status"] == "ok"
    assert body["key_prefix"] == api_settings.redis.key_prefix
    assert body["redis_url"] == api_settings.redis.url
    assert body["index_version"] >= 1 and body["products"] >= 5000 and body["users"] > 0
    assert body["built_at"] > 1.6e9
    assert body["feedback_durability"] == "always" and body["feedback_durable"] is True


def test_head_health(api: TestClient) -> None:
    answer = api.head("/health")
    assert answer.status_code == 200
    assert answer.content == b""


@pytest.mark.parametrize(
    "spelling",
    ["Purchase", "cart", "add to cart", "add-to-cart", "Add_To_Cart", " CLICKED ", "view"],
)
def test_feedback_takes_the_spellings_of_the_csv(
    api: TestClient, fresh_user: str, spelling: str
) -> None:
    body = {"user_id": fresh_user, "product_id": "P000001", "action": spelling}
    answer = api.post("/feedback", json=body)
    assert answer.status_code == 200, answer.text


def test_an_unknown_action_lists_the_accepted_ones(api: TestClient, fresh_user: str) -> None:
    body = {"user_id": fresh_user, "product_id": "P000001", "action": "like"}
    answer = api.post("/feedback", json=body)
    assert answer.status_code == 422
    detail = answer.json()["detail"]
    assert "action must be one of" in detail
    for name in ("view", "click", "add_to_cart", "purchase", "dismiss"):
        assert name in detail


@pytest.mark.parametrize("ts", [1764158400, 1764158400.5, "1764158400", 1764158400000, None])
def test_feedback_takes_epoch_seconds_and_milliseconds(
    api: TestClient, fresh_user: str, ts: object
) -> None:
    body = {"user_id": fresh_user, "product_id": "P000001", "action": "view", "ts": ts}
    assert api.post("/feedback", json=body).status_code == 200


def test_an_unreadable_or_future_ts_is_a_422(api: TestClient, fresh_user: str) -> None:
    for ts in ("yesterday", 4102444800):  # 2100-01-01
        body = {"user_id": fresh_user, "product_id": "P000001", "action": "view", "ts": ts}
        answer = api.post("/feedback", json=body)
        assert answer.status_code == 422, (ts, answer.text)
