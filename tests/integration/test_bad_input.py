"""Bad input never gets a 5xx: wrong types, out-of-range numbers, unknown/empty/huge ids, unicode,
RediSearch query syntax in every string that reaches a query, broken JSON, oversized bodies.
Each answers a 4xx with a JSON error (or a 200 where the input is merely unusual), and a
crafted category or exclude list never widens or breaks the filter."""

from __future__ import annotations

from collections.abc import Iterator
from urllib.parse import quote

import pytest
from litestar.testing import TestClient

from indexing.contract.settings import Settings
from service.api.app import MAX_BODY_BYTES, create_app

# Strings in RediSearch query syntax (and friends) that must stay plain text.
QUERY_SYNTAX = [
    "Kitchen|Garden",
    "*",
    "@title:x",
    "}",
    "{",
    "-Kitchen",
    "-",
    '"Kitchen"',
    "'",
    "\\",
    "Kitchen\\|Garden",
    "(Kitchen)",
    "@category:{Kitchen}",
    "Kitchen} | @category:{Garden",
    "%Kitch%",
    "~Kitchen",
    "$param",
    "=>[KNN 10 @x $v]",
    "Kitchen Garden",
    "Kitchen,Garden",
    "ключ ⚡ 厨房",
    "\x00",
    "a\nb",
]
HUGE = "P" * 10_240
ENDPOINTS = [
    "/recommend/content/P000001",
    "/recommend/user/U00001",
    "/recommend/hybrid?user_id=U00001&product_id=P000001",
]


@pytest.fixture(scope="module")
def client(demo_index: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(demo_index)) as test_client:
        yield test_client


def _sep(url: str) -> str:
    return "&" if "?" in url else "?"


def assert_client_error(response, allowed: tuple[int, ...] = (400, 404, 413, 422)) -> None:
    assert response.status_code in allowed, (response.status_code, response.text[:300])
    body = response.json()
    assert body["status_code"] == response.status_code
    assert isinstance(body["detail"], str) and body["detail"]


def assert_not_server_error(response) -> None:
    assert response.status_code < 500, (response.status_code, response.text[:300])
    assert response.headers["content-type"].startswith("application/json")
    if response.status_code >= 400:
        assert_client_error(response)


@pytest.mark.parametrize(
    "path",
    [
        "/recommend/content/P000001?top_k=0",
        "/recommend/content/P000001?top_k=-1",
        "/recommend/content/P000001?top_k=101",
        "/recommend/content/P000001?top_k=99999999999999999999999",
        "/recommend/content/P000001?top_k=abc",
        "/recommend/content/P000001?top_k=1.5",
        "/recommend/content/P000001?top_k=",
        "/recommend/content/P000001?price_min=-1",
        "/recommend/content/P000001?price_min=abc",
        "/recommend/content/P000001?price_min=nan",
        "/recommend/content/P000001?price_min=10&price_max=5",
        f"/recommend/content/{HUGE}",
        "/recommend/content/P999999",
        "/recommend/content/%20",
        "/recommend/content/" + quote("@title:x"),
        "/recommend/content/" + quote("*"),
        f"/recommend/user/{HUGE}",
        "/recommend/user/U00001?top_k=-5",
        "/recommend/user/U00001?category=" + "c" * 10_240,
        "/recommend/hybrid",
        "/recommend/hybrid?user_id=",
        "/recommend/hybrid?product_id=",
        "/recommend/hybrid?product_id=P999999",
        "/recommend/hybrid?user_id=U1&w_content=0&w_cf=0",
        "/recommend/hybrid?user_id=U1&w_content=-1",
        "/recommend/hybrid?user_id=U1&w_cf=abc",
        f"/recommend/hybrid?user_id={HUGE}",
        "/recommend/ab",
        "/recommend/ab?user_id=",
        f"/recommend/ab?user_id={HUGE}",
        "/recommend/ab?user_id=U1&product_id=P999999",
        "/recommend/ab?user_id=U1&top_k=0",
        "/recommend/content/P000001?exclude=" + "x" * 30_000,
    ],
)
def test_bad_query_parameters_get_a_4xx_json_error(client: TestClient, path: str) -> None:
    assert_client_error(client.get(path))


@pytest.mark.parametrize("endpoint", ENDPOINTS)
@pytest.mark.parametrize("text", QUERY_SYNTAX)
def test_query_syntax_in_filters_is_plain_text(client: TestClient, endpoint: str, text: str):
    for name in ("category", "exclude"):
        response = client.get(f"{endpoint}{_sep(endpoint)}{name}={quote(text)}")
        assert_not_server_error(response)
        if name == "category" and response.status_code == 200:
            # No category is spelled like this: a filter that stays a filter finds nothing.
            assert response.json()["results"] == [], (text, response.json())


@pytest.mark.parametrize("text", QUERY_SYNTAX)
def test_query_syntax_in_ids_never_gives_a_5xx(client: TestClient, text: str) -> None:
    quoted = quote(text, safe="")
    for path in (
        f"/recommend/content/{quoted}",
        f"/recommend/user/{quoted}",
        f"/recommend/hybrid?user_id={quoted}",
        f"/recommend/hybrid?product_id={quoted}",
        f"/recommend/ab?user_id={quoted}",
        f"/recommend/ab?user_id=U1&product_id={quoted}",
    ):
        assert_not_server_error(client.get(path))
    body = {"user_id": text, "product_id": text, "action": "view"}
    assert_not_server_error(client.post("/feedback", json=body))


def test_a_crafted_category_never_widens_the_filter(client: TestClient) -> None:
    def categories(category: str) -> set[str]:
        response = client.get(f"/recommend/content/P000001?top_k=50&category={quote(category)}")
        assert response.status_code == 200, response.text
        ids = [r["product_id"] for r in response.json()["results"]]
        return {_category_of(client, pid) for pid in ids}

    assert categories("Kitchen") == {"Kitchen"}
    assert categories("Garden") == {"Garden"}
    assert categories("Sports & Outdoors") == {"Sports & Outdoors"}  # spaces and & work
    assert categories("Kitchen|Garden") == set()
    assert categories("Kitchen} | @category:{Garden") == set()
    assert categories("*") == set()


def test_exclude_with_query_syntax_still_excludes(client: TestClient) -> None:
    plain = client.get("/recommend/content/P000001?top_k=5").json()["results"]
    first = plain[0]["product_id"]
    crafted = ",".join([first, "*", "a|b", "}", "@title:x", '"', "\\"])
    response = client.get(f"/recommend/content/P000001?top_k=5&exclude={quote(crafted)}")
    assert response.status_code == 200, response.text
    ids = [r["product_id"] for r in response.json()["results"]]
    assert first not in ids and len(ids) == 5


_CATEGORY_CACHE: dict[str, str] = {}


def _category_of(client: TestClient, product_id: str) -> str:
    if not _CATEGORY_CACHE:
        import csv

        from indexing.contract.settings import PROJECT_ROOT

        with (PROJECT_ROOT / "data" / "products.csv").open(newline="") as handle:
            for row in csv.DictReader(handle):
                _CATEGORY_CACHE[row["product_id"]] = row["category"]
    return _CATEGORY_CACHE[product_id]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"not json",
        b"[]",
        b"null",
        b"42",
        b'"text"',
        b"{}",
        b'{"user_id": "U1"}',
        b'{"user_id": 1, "product_id": "P000001", "action": "view"}',
        b'{"user_id": "U1", "product_id": ["P000001"], "action": "view"}',
        b'{"user_id": "U1", "product_id": "P000001", "action": "like"}',
        b'{"user_id": "", "product_id": "P000001", "action": "view"}',
        b'{"user_id": "U1", "product_id": "", "action": "view"}',
        b'{"user_id": "U1", "product_id": "P999999", "action": "view"}',
        b'{"user_id": "U1", "product_id": "P000001", "action": "view", "ts": "yesterday"}',
        b'{"user_id": "U1", "product_id": "P000001", "action": "view", "ts": true}',
        b'{"user_id": "U1", "product_id": "P000001", "action": "view", "ts": "9999-99-99"}',
        b'{"user_id": "U1", "product_id": "P000001", "action": "view", "ts": "1e400"}',
        # The future: once a 500 (the decayed history weight 2^(age/half-life) overflowed).
        b'{"user_id": "U1", "product_id": "P000001", "action": "view", "ts": "9999-12-31"}',
        b'{"user_id": "U1", "product_id": "P000001", "action": "view", "ts": "2300-01-01"}',
        '{"user_id": "U1", "product_id": "P000001", "action": "view", "ts": "\u0000"}'.encode(),
        b'{"user_id": "' + HUGE.encode() + b'", "product_id": "P000001", "action": "view"}',
        b'{"user_id": "U1", "product_id": "P000001", "action": "view"',
        b"\xff\xfe\x00binary",
    ],
)
def test_bad_feedback_bodies_get_a_4xx_json_error(client: TestClient, body: bytes) -> None:
    response = client.post("/feedback", content=body, headers={"content-type": "application/json"})
    assert_client_error(response)


def test_oversized_body_gets_413(client: TestClient) -> None:
    body = b'{"user_id": "' + b"u" * (MAX_BODY_BYTES + 1) + b'"}'
    response = client.post("/feedback", content=body, headers={"content-type": "application/json"})
    assert_client_error(response, allowed=(413,))


def test_a_timestamp_outside_the_readable_range_is_a_422(client: TestClient) -> None:
    """Feedback reads ts as the CSV loader does, which drops times before 1677 as unreadable."""
    body = {"user_id": "U1", "product_id": "P000001", "action": "view", "ts": "0001-01-01"}
    answer = client.post("/feedback", json=body)
    assert answer.status_code == 422
    assert "epoch" in answer.json()["detail"]


def test_epoch_seconds_are_a_time(client: TestClient) -> None:
    body = {"user_id": "U1", "product_id": "P000001", "action": "view", "ts": 5}
    assert client.post("/feedback", json=body).status_code == 200


def test_unicode_ids_work(client: TestClient) -> None:
    user = "ユーザー-ü-😀"
    response = client.post(
        "/feedback", json={"user_id": user, "product_id": "P000001", "action": "click"}
    )
    assert response.status_code == 200, response.text
    response = client.get(f"/recommend/user/{quote(user)}")
    assert response.status_code == 200, response.text


def test_wrong_method_gets_405_json(client: TestClient) -> None:
    response = client.delete("/feedback")
    assert_client_error(response, allowed=(405,))
