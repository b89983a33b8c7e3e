"""The insight page and the no-index message, in headless Chromium."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from indexing.contract.settings import Settings
from service.api.app import create_app
from tests.conftest import make_settings
from tests.support.live_server import live_server


def test_the_insight_page_shows_the_live_version_and_the_ab_report(
    page: Any, shop_url: str, live_version: int
) -> None:
    httpx.get(f"{shop_url}/recommend/ab", params={"user_id": "t17-insight", "top_k": 3})
    page.goto(f"{shop_url}/insight")
    page.wait_for_selector("body[data-ready='yes']")
    assert page.locator("[data-fact=version]").inner_text() == str(live_version)
    meta = httpx.get(f"{shop_url}/catalog/meta").json()
    assert page.locator("[data-fact=products]").inner_text() == f"{meta['products']:,}"
    assert page.locator("[data-fact=events]").inner_text() == f"{meta['events']:,}"
    assert "hnsw_m" in page.locator("#settings").inner_text()
    report = httpx.get(f"{shop_url}/ab/report").json()
    bars = page.locator("#chart svg rect[data-variant]")
    assert bars.count() == len(report["variants"])
    assert page.locator("#ab-table tbody tr").count() == len(report["variants"])
    assert "p-value" in page.locator("#ab-summary").inner_text()


def test_the_insight_page_shows_traffic_from_the_metrics(page: Any, shop_url: str) -> None:
    for _ in range(2):  # a model answer, then the cache's
        httpx.get(f"{shop_url}/recommend/content/P000009", params={"top_k": 3})
    page.goto(f"{shop_url}/insight")
    page.wait_for_selector("body[data-ready='yes']")
    row = page.locator("#traffic tr[data-endpoint='/recommend/content/{product_id}']")
    cells = row.locator("td").all_inner_texts()
    requests, errors, hits, p50, p99 = cells
    assert int(requests.replace(",", "")) >= 2
    assert errors == "0"
    assert hits.endswith("%") and float(hits[:-1]) > 0  # the second call was a cache hit
    assert p50.startswith("≤") and p99.startswith("≤")


@pytest.fixture
def empty_url(redis_url: str) -> Iterator[str]:
    settings: Settings = make_settings(redis_url)  # a fresh prefix: nothing was ever built
    with live_server(create_app(settings)) as url:
        yield url


@pytest.mark.parametrize("path", ["/", "/insight"])
def test_without_an_index_the_pages_say_how_to_build_one(
    page: Any, empty_url: str, path: str
) -> None:
    page.goto(f"{empty_url}{path}")
    notice = page.locator("#notice")
    notice.wait_for(state="visible")
    assert ".venv/bin/shoprec index" in notice.inner_text()


ADMIN_KEY = "insight-admin-key-123"


@pytest.fixture
def keyed_url(shop_settings: Settings) -> Iterator[str]:
    """The insight page of an app whose admin data needs SHOPREC_ADMIN_KEY."""
    settings = shop_settings.replace(access={"admin_key": ADMIN_KEY})
    with live_server(create_app(settings)) as url:
        yield url


def test_with_an_admin_key_the_insight_page_asks_for_it(
    page: Any, keyed_url: str, live_version: int
) -> None:
    page.goto(f"{keyed_url}/insight")
    form = page.locator("#admin-key-form")
    form.wait_for(state="visible")
    assert "SHOPREC_ADMIN_KEY" in page.locator("#notice").inner_text()
    page.fill("#admin-key", "a wrong guess")
    page.click("#admin-key-form button")
    page.wait_for_selector("#notice:has-text('neither')")
    page.fill("#admin-key", ADMIN_KEY)
    page.click("#admin-key-form button")
    page.wait_for_selector(f"[data-fact=version]:text-is('{live_version}')")
    assert page.locator("#notice").is_hidden()
