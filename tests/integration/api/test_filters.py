"""category, price_min, price_max and exclude on every recommending endpoint."""

from __future__ import annotations

import pytest
from litestar.testing import TestClient

from tests.integration.api.conftest import PRODUCT, RECOMMENDING_ENDPOINTS, Product, ids

ENDPOINTS = RECOMMENDING_ENDPOINTS


@pytest.mark.parametrize("url", ENDPOINTS)
def test_category_filter_is_applied_inside_the_knn(
    api: TestClient, catalog: dict[str, Product], url: str
) -> None:
    """P000001 is a Garden product; asking for Books still gives a full list of Books, which
    filtering the nearest neighbours afterwards could not."""
    answer = ids(api.get(f"{url}category=Books&top_k=20").json())
    assert len(answer) == 20
    assert {catalog[pid].category for pid in answer} == {"Books"}


@pytest.mark.parametrize("url", ENDPOINTS)
def test_price_range(api: TestClient, catalog: dict[str, Product], url: str) -> None:
    answer = ids(api.get(f"{url}price_min=20&price_max=40&top_k=20").json())
    assert len(answer) == 20
    assert all(20 <= catalog[pid].price <= 40 for pid in answer)


@pytest.mark.parametrize("url", ENDPOINTS)
def test_filters_combine(api: TestClient, catalog: dict[str, Product], url: str) -> None:
    answer = ids(api.get(f"{url}category=Garden&price_max=50&top_k=10").json())
    assert answer
    assert all(catalog[p].category == "Garden" and catalog[p].price <= 50 for p in answer)


@pytest.mark.parametrize("url", ENDPOINTS)
def test_exclude_leaves_those_out_and_still_fills_the_list(api: TestClient, url: str) -> None:
    before = ids(api.get(f"{url}top_k=10").json())
    dropped = before[:3]
    after = ids(api.get(f"{url}top_k=10&exclude={','.join(dropped)}").json())
    assert len(after) == 10
    assert not set(after) & set(dropped)
    if "hybrid" not in url:
        # (Hybrid re-normalises each side over its candidates, so the order may shift.)
        assert after[:7] == before[3:]


def test_an_unknown_category_gives_an_empty_list(api: TestClient) -> None:
    response = api.get(f"/recommend/content/{PRODUCT}?category=No%20Such%20Thing")
    assert response.status_code == 200
    assert response.json()["results"] == []


def test_category_text_cannot_widen_the_filter(api: TestClient, catalog) -> None:  # type: ignore[no-untyped-def]
    """Query syntax inside a category is escaped: it matches nothing rather than everything."""
    response = api.get(f"/recommend/content/{PRODUCT}?category=Books%7C*")
    assert response.status_code == 200
    assert response.json()["results"] == []
