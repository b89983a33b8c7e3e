"""Every byte is either valid or a 4xx (issue 15): control characters in tag values, case-
folded categories on every path, a long exclude list that still fills top_k or is refused past
its limit, and a parameter given twice refused (docs/api.md#input-rules)."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from service.api.routes import MAX_EXCLUDE
from tests.integration.api.conftest import PRODUCT, USER, Product, ids

CONTROL = [chr(i) for i in range(0x20)] + ["\x7f"]
# (path, its own parameters): the client's `params` replace a URL's query string.
Route = tuple[str, dict[str, str]]
HYBRID: Route = ("/recommend/hybrid", {"user_id": USER, "product_id": PRODUCT})
RECOMMEND: list[Route] = [
    (f"/recommend/content/{PRODUCT}", {}),
    (f"/recommend/user/{USER}", {}),
    ("/recommend/user/nobody-has-this-id", {}),  # the popular list
    HYBRID,
]
WITH_CATEGORY: list[Route] = [*RECOMMEND, ("/catalog", {})]


@pytest.mark.parametrize("route", WITH_CATEGORY)
def test_every_control_character_in_a_category_is_a_422_that_says_why(
    api: TestClient, route: Route
) -> None:
    path, params = route
    for char in CONTROL:
        for category in (char, f"Gar{char}den", f"{char}{char}"):
            response = api.get(path, params={**params, "category": category})
            assert response.status_code == 422, (hex(ord(char)), response.text)
            assert "control characters" in response.json()["detail"]


def test_control_characters_in_catalog_ids_are_a_422(api: TestClient) -> None:
    for char in CONTROL:
        assert api.get("/catalog", params={"ids": f"P000001,P0{char}1"}).status_code == 422


AB: Route = ("/recommend/ab", {"user_id": USER})


@pytest.mark.parametrize("route", [*WITH_CATEGORY, AB])
@pytest.mark.parametrize("category", [" ", "\u00a0", "\u3000", "\u2028", "\x85", "{", "}|", "\\"])
def test_other_odd_categories_answer_and_never_5xx(
    api: TestClient, route: Route, category: str
) -> None:
    path, params = route
    response = api.get(path, params={**params, "category": category})
    assert response.status_code == 200, response.text


@pytest.mark.parametrize("route", RECOMMEND)
def test_category_matches_case_folded_on_every_path(
    api: TestClient, route: Route, catalog: dict[str, Product]
) -> None:
    path, params = route
    exact = ids(api.get(path, params={**params, "category": "Garden"}).json())
    assert exact and all(catalog[pid].category == "Garden" for pid in exact)
    for spelling in ("garden", "GARDEN"):
        assert ids(api.get(path, params={**params, "category": spelling}).json()) == exact


@pytest.mark.parametrize("route", [RECOMMEND[0], RECOMMEND[1], HYBRID])
def test_excluding_the_most_ids_allowed_still_fills_top_k(api: TestClient, route: Route) -> None:
    """The nearest MAX_EXCLUDE products are left out, round by round, and the list still has
    top_k products, none of them excluded."""
    path, params = route
    excluded: list[str] = []
    while len(excluded) < MAX_EXCLUDE:
        page = api.get(path, params={**params, "top_k": "100", "exclude": ",".join(excluded)})
        excluded += ids(page.json())[: MAX_EXCLUDE - len(excluded)]
    assert len(set(excluded)) == MAX_EXCLUDE
    answer = api.get(path, params={**params, "top_k": "100", "exclude": ",".join(excluded)})
    assert answer.status_code == 200
    got = ids(answer.json())
    assert len(got) == 100
    assert not set(got) & set(excluded)


def test_more_ids_than_allowed_are_a_422_that_names_the_limit(api: TestClient) -> None:
    many = ",".join(f"P{n:06d}" for n in range(MAX_EXCLUDE + 1))
    response = api.get(f"/recommend/content/{PRODUCT}", params={"exclude": many})
    assert response.status_code == 422
    assert f"at most {MAX_EXCLUDE}" in response.json()["detail"]
    # Repeated ids count once.
    same = ",".join([PRODUCT.replace("1", "2")] * (MAX_EXCLUDE + 1))
    assert api.get(f"/recommend/content/{PRODUCT}", params={"exclude": same}).status_code == 200


@pytest.mark.parametrize(
    "query",
    [
        f"/recommend/hybrid?user_id=a&user_id=b&product_id={PRODUCT}",
        f"/recommend/content/{PRODUCT}?top_k=1&top_k=2",
        f"/recommend/content/{PRODUCT}?exclude=P1&exclude=P2",
        f"/recommend/ab?user_id={USER}&user_id=U00008",
        "/catalog?limit=1&limit=2",
        f"/recommend/user/{USER}?top_k=3&top%5Fk=4",
    ],
)
def test_a_parameter_given_twice_is_a_400_that_names_it(api: TestClient, query: str) -> None:
    response = api.get(query)
    assert response.status_code == 400, response.text
    body = response.json()
    assert body["status_code"] == 400
    assert "more than once" in body["detail"]
    assert "'" in body["detail"]


def test_distinct_parameters_are_fine(api: TestClient) -> None:
    response = api.get(f"/recommend/content/{PRODUCT}?top_k=2&exclude=P1,P2&category=Garden")
    assert response.status_code == 200
