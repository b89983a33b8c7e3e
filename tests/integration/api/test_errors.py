"""Every invalid input: the right status and a JSON body that says what was wrong."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from indexing.connection.embedded_redis import free_port
from indexing.contract.settings import Settings
from service.api.app import create_app
from tests.integration.api.conftest import PRODUCT, USER


def _error(response, status: int, *words: str) -> dict:  # type: ignore[no-untyped-def]
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    body = response.json()
    assert body["status_code"] == status
    assert isinstance(body["detail"], str) and body["detail"]
    text = (body["detail"] + str(body.get("extra"))).lower()
    for word in words:
        assert word.lower() in text, (word, body)
    assert "traceback" not in response.text.lower()
    return body


@pytest.mark.parametrize(
    "url",
    [
        "/recommend/content/P999999",
        "/recommend/hybrid?product_id=P999999",
        f"/recommend/hybrid?user_id={USER}&product_id=P999999",
        f"/recommend/ab?user_id={USER}&product_id=P999999",
    ],
)
def test_unknown_product_is_404(api: TestClient, url: str) -> None:
    _error(api.get(url), 404, "P999999")


@pytest.mark.parametrize("top_k", ["0", "101", "abc", "-1", "2.5"])
@pytest.mark.parametrize(
    "url",
    [
        f"/recommend/content/{PRODUCT}?",
        f"/recommend/user/{USER}?",
        f"/recommend/hybrid?user_id={USER}&",
        f"/recommend/ab?user_id={USER}&",
    ],
)
def test_top_k_outside_1_to_100_is_422(api: TestClient, url: str, top_k: str) -> None:
    _error(api.get(f"{url}top_k={top_k}"), 422, "top_k")


@pytest.mark.parametrize(
    ("url", "words"),
    [
        (f"/recommend/content/{PRODUCT}?price_min=50&price_max=10", ["price_min"]),
        (f"/recommend/user/{USER}?price_min=50&price_max=10", ["price_min"]),
        (f"/recommend/hybrid?user_id={USER}&price_min=50&price_max=10", ["price_min"]),
        (f"/recommend/content/{PRODUCT}?price_min=-1", ["price_min"]),
        (f"/recommend/content/{PRODUCT}?price_max=cheap", ["price_max"]),
        ("/recommend/hybrid", ["user_id", "product_id"]),
        ("/recommend/hybrid?top_k=5", ["user_id", "product_id"]),
        (f"/recommend/hybrid?user_id={USER}&w_content=0&w_cf=0", ["w_content", "w_cf"]),
        (f"/recommend/hybrid?user_id={USER}&w_content=-1", ["w_content"]),
        (f"/recommend/hybrid?user_id={USER}&w_cf=x", ["w_cf"]),
        ("/recommend/ab", ["user_id"]),
    ],
)
def test_bad_parameters_are_422_with_a_message(api: TestClient, url: str, words: list[str]) -> None:
    _error(api.get(url), 422, *words)


def test_bad_json_is_400(api: TestClient) -> None:
    response = api.post(
        "/feedback", content=b"{not json", headers={"content-type": "application/json"}
    )
    _error(response, 400, "json")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"user_id": USER, "product_id": PRODUCT, "action": "like"}, ["action"]),
        ({"user_id": USER, "product_id": PRODUCT}, ["action"]),
        ({"user_id": USER, "action": "view"}, ["product_id"]),
        ({"user_id": "", "product_id": PRODUCT, "action": "view"}, ["user_id"]),
        ({"user_id": USER, "product_id": PRODUCT, "action": "view", "ts": "yesterday"}, ["ts"]),
        ({"user_id": USER, "product_id": PRODUCT, "action": "view", "ts": True}, ["ts"]),
        (
            {"user_id": USER, "product_id": PRODUCT, "action": "view", "ts": "9999-01-01"},
            ["future"],
        ),
        ([1, 2], ["object"]),
    ],
)
def test_invalid_feedback_is_422(api: TestClient, body: object, words: list[str]) -> None:
    _error(api.post("/feedback", json=body), 422, *words)


def test_empty_feedback_body_is_422_saying_so(api: TestClient) -> None:
    response = api.post("/feedback", content=b"", headers={"content-type": "application/json"})
    _error(response, 422, "body is empty")


def test_feedback_on_unknown_product_is_404(api: TestClient, fresh_user: str) -> None:
    body = {"user_id": fresh_user, "product_id": "P999999", "action": "view"}
    _error(api.post("/feedback", json=body), 404, "P999999")


def test_unknown_path_is_404_json(api: TestClient) -> None:
    _error(api.get("/recommend/nothing"), 404)


def test_without_a_live_index_health_and_answers_are_503(settings: Settings) -> None:
    """A key prefix with no index built: health says why, recommendations say 503."""
    with TestClient(app=create_app(settings)) as client:
        health = client.get("/health")
        assert health.status_code == 503
        assert health.json()["status"] == "degraded"
        assert "shoprec index" in health.json()["detail"]
        _error(client.get(f"/recommend/content/{PRODUCT}"), 503, "index")


def test_without_redis_health_and_answers_are_503(settings: Settings) -> None:
    """Nothing listens on the port: a real connection failure."""
    nowhere = settings.replace(redis={"url": f"redis://127.0.0.1:{free_port()}/0"})
    with TestClient(app=create_app(nowhere)) as client:
        health = client.get("/health")
        assert health.status_code == 503
        assert health.json()["redis"] == "unreachable"
        _error(client.get(f"/recommend/content/{PRODUCT}"), 503, "redis")
        body = {"user_id": USER, "product_id": PRODUCT, "action": "view"}
        _error(client.post("/feedback", json=body), 503, "redis")
